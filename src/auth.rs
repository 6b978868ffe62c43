//! `Credential` and the one place that turns it into the `Authorization` header.

use reqwest::header::HeaderValue;

use crate::{Secret, oauth::ClientCredentials, operations::CredentialKind};

/// What the client authenticates with.
///
/// ```
/// use fluxer_oauth2::Credential;
///
/// let bot = Credential::bot("1234.abcd");
/// assert_eq!(format!("{bot:?}"), "Bot([redacted])");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Credential {
    /// A bot token, sent as `Authorization: Bot <token>`.
    Bot(Secret),
    /// An OAuth2 access token, sent as `Authorization: Bearer <token>`.
    Bearer(Secret),
    /// A user session token (`flx_…`), sent as the raw value: `Authorization: <token>`.
    ///
    /// The server also reads `Bearer flx_…` as a session (the docs show that form), but the raw form
    /// is unambiguous, so that is what this crate sends.
    Session(Secret),
    /// An application's client id and secret, for the token, introspect and revoke endpoints. Sent as
    /// `Authorization: Basic …` when they say [`crate::oauth::ClientAuth::Basic`]; with the default
    /// [`crate::oauth::ClientAuth::Body`] no header is sent and the token helpers put them in the form.
    Client(ClientCredentials),
}

impl Credential {
    /// A bot token.
    pub fn bot(token: impl Into<Secret>) -> Self {
        Self::Bot(token.into())
    }

    /// An OAuth2 access token.
    pub fn bearer(token: impl Into<Secret>) -> Self {
        Self::Bearer(token.into())
    }

    /// A user session token.
    pub fn session(token: impl Into<Secret>) -> Self {
        Self::Session(token.into())
    }

    /// An application's client credentials.
    pub fn client(credentials: ClientCredentials) -> Self {
        Self::Client(credentials)
    }

    /// Which kind of credential this is.
    pub fn kind(&self) -> CredentialKind {
        match self {
            Self::Bot(_) => CredentialKind::Bot,
            Self::Bearer(_) => CredentialKind::Bearer,
            Self::Session(_) => CredentialKind::Session,
            Self::Client(_) => CredentialKind::Client,
        }
    }

    /// Everything secret in the credential, for masking the server's answers.
    pub(crate) fn add_secrets(&self, secrets: &mut crate::mask::RequestSecrets) {
        match self {
            Self::Bot(t) | Self::Bearer(t) | Self::Session(t) => secrets.add(t.expose_secret()),
            Self::Client(c) => secrets.add(c.client_secret().expose_secret()),
        }
    }

    /// The header value, marked sensitive so that HTTP stacks do not log it; `None` when this
    /// credential sends no header (client credentials that go in the form body).
    pub(crate) fn header_value(&self) -> Option<Result<HeaderValue, String>> {
        let value = match self {
            Self::Bot(t) => format!("Bot {}", t.expose_secret()),
            Self::Bearer(t) => format!("Bearer {}", t.expose_secret()),
            Self::Session(t) => t.expose_secret().to_owned(),
            Self::Client(c) => return c.basic_header().map(Ok),
        };
        let header = HeaderValue::from_str(&value).map(|mut header| {
            header.set_sensitive(true);
            header
        });
        Some(header.map_err(|_| {
            format!(
                "{} contains characters that cannot go in an HTTP header",
                self.kind()
            )
        }))
    }
}
