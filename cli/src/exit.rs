//! Errors of the command and the exit codes they map to.

use std::fmt;

use fluxer_oauth2::{ApiErrorCode, Error, OAuthErrorKind, oauth::loopback::LoopbackError};

/// What kind of failure, which decides the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 1: anything else (a refused input on the server side, a local file problem).
    Failure,
    /// 2: the command line or an input is wrong.
    Usage,
    /// 3: not logged in, a wrong password or code, a refused token or client secret, no permission.
    Auth,
    /// 4: the application (or other object) does not exist.
    NotFound,
    /// 5: rate limited.
    RateLimited,
    /// 6: the server failed or answered something unreadable.
    Server,
    /// 7: the server could not be reached.
    Unreachable,
}

impl Kind {
    /// The exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Failure => 1,
            Self::Usage => 2,
            Self::Auth => 3,
            Self::NotFound => 4,
            Self::RateLimited => 5,
            Self::Server => 6,
            Self::Unreachable => 7,
        }
    }

    /// The name in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Self::Failure => "failure",
            Self::Usage => "usage",
            Self::Auth => "auth",
            Self::NotFound => "not_found",
            Self::RateLimited => "rate_limited",
            Self::Server => "server",
            Self::Unreachable => "unreachable",
        }
    }
}

/// A failed command: its kind and a message that says what to do. It never holds a secret.
#[derive(Debug)]
pub struct CliError {
    /// The kind.
    pub kind: Kind,
    /// The message.
    pub message: String,
}

impl CliError {
    /// An error of this kind.
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// A usage error.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    /// An authentication error.
    pub fn auth(message: impl Into<String>) -> Self {
        Self::new(Kind::Auth, message)
    }

    /// Any other failure.
    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(Kind::Failure, message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The kind of a library error.
pub fn kind_of(error: &Error) -> Kind {
    match error {
        Error::RateLimited { .. } => Kind::RateLimited,
        Error::InvalidInput { .. }
        | Error::Authorize(_)
        | Error::Loopback(LoopbackError::RandomPort) => Kind::Usage,
        Error::Transport { .. } => Kind::Unreachable,
        Error::Server { .. }
        | Error::Decode { .. }
        | Error::Redirected { .. }
        | Error::ResponseTooLarge { .. } => Kind::Server,
        Error::MissingScope { .. }
        | Error::SudoRequired { .. }
        | Error::SessionRevoked { .. }
        | Error::CredentialNotAccepted { .. }
        | Error::InvalidLogin { .. }
        | Error::MfaTicketExpired { .. }
        | Error::InvalidMfaCode { .. }
        | Error::MfaMethodUnavailable { .. }
        | Error::CaptchaRequired { .. }
        | Error::SessionEnded { .. }
        | Error::ReauthorizationRequired { .. }
        | Error::Callback(_) => Kind::Auth,
        Error::OAuth { kind, .. } => match kind {
            OAuthErrorKind::InvalidClient | OAuthErrorKind::InvalidGrant => Kind::Auth,
            _ => Kind::Failure,
        },
        Error::Api { status, code, .. } => match (status, code) {
            (_, ApiErrorCode::UnknownApplication) | (404, _) => Kind::NotFound,
            (401 | 403, _)
            | (_, ApiErrorCode::Unauthorized | ApiErrorCode::InvalidToken)
            | (_, ApiErrorCode::AccessDenied) => Kind::Auth,
            (500.., _) => Kind::Server,
            _ => Kind::Failure,
        },
        _ => match error.status() {
            Some(404) => Kind::NotFound,
            Some(401 | 403) => Kind::Auth,
            Some(500..) => Kind::Server,
            _ => Kind::Failure,
        },
    }
}

impl From<Error> for CliError {
    fn from(error: Error) -> Self {
        let kind = kind_of(&error);
        let mut message = error.to_string();
        if kind == Kind::Auth
            && matches!(
                error,
                Error::Api { status: 401, .. } | Error::SessionRevoked { .. }
            )
        {
            message.push_str("\nhint: log in again with `fluxer-oauth2 login`");
        }
        Self::new(kind, message)
    }
}
