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
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bot => "a bot token",
            Self::Bearer => "an OAuth2 access token",
            Self::Session => "a user session token",
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
    /// The credentials the server accepts; empty when the operation takes none.
    pub accepts: &'static [CredentialKind],
    /// The OAuth2 scopes an access token needs.
    pub scopes: &'static [&'static str],
    /// Whether the operation is guarded by sudo mode.
    pub sudo: bool,
    /// Whether the request may spend a single-use value (code, refresh token).
    pub single_use: bool,
}

impl OperationSpec {
    /// Looks an operation up by its `operationId`.
    ///
    /// ```
    /// let op = fluxer_oauth2::OperationSpec::find("get_oauth2_userinfo").unwrap();
    /// assert_eq!(op.scopes, ["identify"]);
    /// ```
    pub fn find(id: &str) -> Option<&'static OperationSpec> {
        crate::generated::OPERATIONS.iter().find(|op| op.id == id)
    }

    /// Every operation of the spec.
    pub fn all() -> &'static [OperationSpec] {
        crate::generated::OPERATIONS
    }
}
