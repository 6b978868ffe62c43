//! What the spec says about each operation (credentials, scopes, sudo), as a table build.rs derives.

use std::fmt;

/// The kinds of credential the Fluxer API knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A bot token (`Authorization: Bot <token>`).
    Bot,
    /// An OAuth2 access token (`Authorization: Bearer <token>`).
    Bearer,
    /// A user session token (`Authorization: <token>`).
    Session,
    /// An application's client id and secret (`Authorization: Basic …`, or in the form body), on the
    /// token, introspect and revoke endpoints.
    Client,
}

impl CredentialKind {
    const ALL: [Self; 4] = [Self::Bot, Self::Bearer, Self::Session, Self::Client];

    /// Reads back what [`fmt::Display`] wrote.
    pub(crate) fn from_phrase(phrase: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.to_string() == phrase)
    }
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bot => "a bot token",
            Self::Bearer => "an OAuth2 access token",
            Self::Session => "a user session token",
            Self::Client => "client credentials",
        })
    }
}

/// One operation of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperationSpec {
    /// The spec's `operationId`.
    pub id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, relative to the base URL.
    pub path: &'static str,
    /// The credentials the server accepts and the client sends.
    pub accepts: &'static [CredentialKind],
    /// Whether the call may also go without a credential (then a client holding a credential that is
    /// not in `accepts` sends none).
    pub anonymous: bool,
    /// The OAuth2 scopes an access token needs.
    pub scopes: &'static [&'static str],
    /// Whether the operation is guarded by sudo mode.
    pub sudo: bool,
    /// Whether the request may spend a single-use value (code, refresh token): it is retried only
    /// when the server did not take it (a 429, or a connection that never opened).
    pub single_use: bool,
    /// The status of a successful answer.
    pub ok_status: u16,
    /// Whether a success ends the session that sent it (logout).
    pub ends_session: bool,
    /// The request body's fields that carry a secret: their values are masked in the answer.
    pub secret_fields: &'static [&'static str],
}

impl OperationSpec {
    /// Looks an operation up by its `operationId`.
    ///
    /// ```
    /// let op = fluxer_oauth2::OperationSpec::find("get_oauth2_userinfo").unwrap();
    /// assert_eq!(op.scopes, ["identify"]);
    /// ```
    pub fn find(id: &str) -> Option<&'static OperationSpec> {
        crate::generated::operation(id)
    }

    /// Every operation of the spec.
    pub fn all() -> &'static [OperationSpec] {
        crate::generated::OPERATIONS
    }

    /// Whether a client holding `given` may make this call.
    pub fn admits(&self, given: Option<CredentialKind>) -> bool {
        self.anonymous || given.is_some_and(|k| self.accepts.contains(&k))
    }
}
