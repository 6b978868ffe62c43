//! `Error`: the one error type every call returns, built from the four body shapes the server sends,
//! with messages that say what happened and what to do.
//!
//! The crate's errors come in two tiers:
//!
//! - **[`Error`], from anything that sends a request or touches a store**: the generated calls, the
//!   token helpers (`exchange_code`, `refresh`, `introspect`, `revoke`), the
//!   [`TokenManager`](crate::oauth::TokenManager), `login`, `discover` and the loopback login.
//! - **Local errors, from work done without a request**, each about one thing:
//!   - [`AuthorizeError`](crate::oauth::AuthorizeError): building an authorize URL or a bot invite
//!     (it holds a [`UrlError`](crate::oauth::UrlError) for a refused URL);
//!   - [`CallbackError`](crate::oauth::CallbackError): reading the redirect back from the consent
//!     page (a denial carries its [`OAuthCallbackError`](crate::oauth::OAuthCallbackError) code);
//!   - `LoopbackError`: the loopback login's listener (port, wait, connections);
//!   - [`DiscoveryError`](crate::discovery::DiscoveryError): an instance document that cannot be used;
//!   - one value that does not parse: [`SnowflakeError`](crate::SnowflakeError),
//!     [`UrlError`](crate::oauth::UrlError), [`PkceError`](crate::oauth::PkceError),
//!     [`ScopeError`](crate::oauth::ScopeError), [`PermissionsError`](crate::oauth::PermissionsError);
//!   - [`StoreError`](crate::oauth::StoreError): what a [`TokenStore`](crate::oauth::TokenStore)
//!     implementation returns (the manager reports it as [`Error::Store`]).
//!
//! Every local error converts into [`Error`] (`?` works in a function that returns `Error`): the
//! flow errors become their own variant ([`Error::Authorize`], [`Error::Callback`],
//! [`Error::Discovery`], `Error::Loopback`), a value error becomes [`Error::InvalidInput`] named
//! after the type that refused it. `source()` leads from an [`Error`] to the error underneath: the
//! `reqwest::Error` of a transport failure, the store's error and its `io::Error` or Redis error.

use std::{fmt, sync::Arc, time::Duration};

use crate::{operations::CredentialKind, ratelimit::RateLimitInfo};

/// A Fluxer error code (`code` in the server's error bodies).
///
/// The server knows more than 300 codes and adds new ones, so the set is open: codes this crate has no
/// variant for arrive as [`ApiErrorCode::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorCode {
    /// `UNAUTHORIZED`: no credential, or one the server did not accept.
    Unauthorized,
    /// `INVALID_TOKEN`: a bot or bearer token the server does not know.
    InvalidToken,
    /// `ACCESS_DENIED`: the credential is valid but may not do this.
    AccessDenied,
    /// `MISSING_OAUTH_SCOPE`: the access token lacks a scope.
    MissingOauthScope,
    /// `BOT_IS_PRIVATE`: only the owner may add this bot.
    BotIsPrivate,
    /// `BOT_ALREADY_IN_GUILD`: the bot is a member of that guild already.
    BotAlreadyInGuild,
    /// `MISSING_PERMISSIONS`: the user may not do this in that guild; for a bot invite, the user
    /// is not in the guild, lacks the right to add bots, or the guild does not exist.
    MissingPermissions,
    /// `UNKNOWN_GUILD`: no guild with that id, or the caller is not in it.
    UnknownGuild,
    /// `UNKNOWN_MEMBER`: that user is not a member of the guild.
    UnknownMember,
    /// `UNKNOWN_APPLICATION`: no application has that id.
    UnknownApplication,
    /// `INVALID_FORM_BODY`: a field failed validation; see the field errors.
    InvalidFormBody,
    /// `CAPTCHA_REQUIRED`: this instance needs a captcha for the call.
    CaptchaRequired,
    /// `INVALID_CAPTCHA`: the captcha token was refused.
    InvalidCaptcha,
    /// `MAX_APPLICATIONS`: the user owns the most applications allowed (25).
    MaxApplications,
    /// `INTERNAL_SERVER_ERROR`.
    InternalServerError,
    /// Any other code, as the server sent it.
    Other(String),
}

impl ApiErrorCode {
    /// Reads a code as the server spells it.
    pub fn parse(code: &str) -> Self {
        match code {
            "UNAUTHORIZED" => Self::Unauthorized,
            "INVALID_TOKEN" => Self::InvalidToken,
            "ACCESS_DENIED" => Self::AccessDenied,
            "MISSING_OAUTH_SCOPE" => Self::MissingOauthScope,
            "BOT_IS_PRIVATE" => Self::BotIsPrivate,
            "BOT_ALREADY_IN_GUILD" => Self::BotAlreadyInGuild,
            "MISSING_PERMISSIONS" => Self::MissingPermissions,
            "UNKNOWN_GUILD" => Self::UnknownGuild,
            "UNKNOWN_MEMBER" => Self::UnknownMember,
            "UNKNOWN_APPLICATION" => Self::UnknownApplication,
            "INVALID_FORM_BODY" => Self::InvalidFormBody,
            "CAPTCHA_REQUIRED" => Self::CaptchaRequired,
            "INVALID_CAPTCHA" => Self::InvalidCaptcha,
            "MAX_APPLICATIONS" => Self::MaxApplications,
            "INTERNAL_SERVER_ERROR" => Self::InternalServerError,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The code as the server spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unauthorized => "UNAUTHORIZED",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::AccessDenied => "ACCESS_DENIED",
            Self::MissingOauthScope => "MISSING_OAUTH_SCOPE",
            Self::BotIsPrivate => "BOT_IS_PRIVATE",
            Self::BotAlreadyInGuild => "BOT_ALREADY_IN_GUILD",
            Self::MissingPermissions => "MISSING_PERMISSIONS",
            Self::UnknownGuild => "UNKNOWN_GUILD",
            Self::UnknownMember => "UNKNOWN_MEMBER",
            Self::UnknownApplication => "UNKNOWN_APPLICATION",
            Self::InvalidFormBody => "INVALID_FORM_BODY",
            Self::CaptchaRequired => "CAPTCHA_REQUIRED",
            Self::InvalidCaptcha => "INVALID_CAPTCHA",
            Self::MaxApplications => "MAX_APPLICATIONS",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
            Self::Other(code) => code,
        }
    }

    /// What to do about the code, for the codes where the server's message does not say it.
    fn advice(&self) -> Option<&'static str> {
        Some(match self {
            Self::BotIsPrivate => {
                "only the application's owner may add a private bot: sign in as the owner, or \
                 make the bot public (bot_public: true)"
            }
            Self::BotAlreadyInGuild => {
                "the bot is in that guild already: nothing to add (to change its permissions, \
                 edit its role in the guild)"
            }
            Self::MissingPermissions => {
                "the signed-in user must be in the guild and have the right to add bots there, \
                 and the guild must exist: check guild_id"
            }
            Self::UnknownMember => "that user is not a member of the guild",
            _ => return None,
        })
    }
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The RFC 6749 `error` of an OAuth2 error body.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OAuthErrorKind {
    /// `invalid_grant`: the code or refresh token is unknown, used, expired, revoked, or bound to
    /// another application or redirect URI, or the PKCE verifier does not match.
    InvalidGrant,
    /// `invalid_client`: unknown client id, or a missing or wrong client secret.
    InvalidClient,
    /// `invalid_scope`: a scope the server does not know.
    InvalidScope,
    /// `invalid_request`: e.g. an unregistered redirect URI, or client credentials sent twice.
    InvalidRequest,
    /// Any other value, as the server sent it.
    Other(String),
}

impl OAuthErrorKind {
    /// Reads the `error` field.
    pub fn parse(error: &str) -> Self {
        match error {
            "invalid_grant" => Self::InvalidGrant,
            "invalid_client" => Self::InvalidClient,
            "invalid_scope" => Self::InvalidScope,
            "invalid_request" => Self::InvalidRequest,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The value as the server spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidClient => "invalid_client",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidRequest => "invalid_request",
            Self::Other(other) => other,
        }
    }

    fn advice(&self) -> &'static str {
        match self {
            Self::InvalidGrant => {
                "the code or refresh token cannot be used again: start the authorization again \
                 (check that redirect_uri and the PKCE verifier match the authorize request)"
            }
            Self::InvalidClient => {
                "check the client id and client secret (a rotated secret stops working at once)"
            }
            Self::InvalidScope => {
                "request only scopes the server knows: identify, email, guilds, connections, bot"
            }
            Self::InvalidRequest => {
                "check the redirect URI against the registered ones, character for character"
            }
            Self::Other(_) => "see the description",
        }
    }
}

/// One field-level validation problem of an `INVALID_FORM_BODY` error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field, e.g. `password`.
    pub path: String,
    /// A machine-readable reason, e.g. `INVALID_PASSWORD`.
    pub code: Option<String>,
    /// The server's message.
    pub message: String,
}

/// Which sudo verification methods the user can use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SudoMethods {
    /// A TOTP code from an authenticator app.
    pub totp: bool,
    /// A WebAuthn security key or passkey.
    pub webauthn: bool,
}

/// Why a request never reached the server or its answer never arrived whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be opened.
    Connect,
    /// The connect or total timeout fired.
    Timeout,
    /// The connection broke while the request or the response was under way.
    Interrupted,
}

/// Everything that can go wrong in a call. Match on the variants; every variant's `Display` says what
/// happened and what to do, and no variant ever holds a secret.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with a Fluxer error body `{code, message, errors}`.
    #[error(
        "{operation}: the server answered {status} {code}: {message}{}{}",
        field_summary(errors),
        code.advice().map(|a| format!(" ({a})")).unwrap_or_default()
    )]
    Api {
        /// The operation id.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The error code.
        code: ApiErrorCode,
        /// The server's message.
        message: String,
        /// Field-level problems (for `INVALID_FORM_BODY`).
        errors: Vec<FieldError>,
    },
    /// The server answered with an RFC 6749 body `{error, error_description}`.
    #[error("{operation}: OAuth2 error {} ({}): {}", kind.as_str(), description.as_deref().unwrap_or("no description"), kind.advice())]
    OAuth {
        /// The operation id.
        operation: &'static str,
        /// The HTTP status (400 in practice, even for `invalid_client`).
        status: u16,
        /// The `error` value.
        kind: OAuthErrorKind,
        /// The `error_description`.
        description: Option<String>,
    },
    /// The access token lacks a scope this call needs. The server says so (403
    /// `MISSING_OAUTH_SCOPE`, naming the scope); a client that knows the token's granted scopes
    /// ([`crate::FluxerClient::with_token_set`], [`crate::oauth::TokenManager::client`])
    /// finds it before sending, and then nothing was sent.
    #[error(
        "{operation}: the access token lacks the `{scope}` scope: ask the user to authorize again with it"
    )]
    MissingScope {
        /// The operation id.
        operation: &'static str,
        /// The scope the server asked for.
        scope: String,
    },
    /// Rate limited, and the retry budget or the call's deadline ran out (or retrying was off, or the
    /// server's wait was not a usable number).
    #[error("{operation}: rate limited{}{}: wait before sending more{}", if *global { " (global limit)" } else { "" }, wait_summary(*retry_after, raw_retry_after.as_deref()), if *global { "; a session that hits the global limit is revoked by the server" } else { "" })]
    RateLimited {
        /// The operation id.
        operation: &'static str,
        /// How long to wait before one more request may go (zero when the server's value was not
        /// usable: see `raw_retry_after`).
        retry_after: Duration,
        /// The wait as the server sent it, when it was not a usable number of seconds (negative,
        /// not a number, absurdly large), cut to 32 characters.
        raw_retry_after: Option<String>,
        /// Whether the global (per user or IP) limit was hit.
        global: bool,
        /// The rate-limit headers of the answer.
        info: Box<RateLimitInfo>,
    },
    /// The operation needs sudo mode: call it again with a [`crate::SudoVerification`].
    #[error("{operation}: sudo mode is required: {}", sudo_advice(*has_mfa, methods))]
    SudoRequired {
        /// The operation id.
        operation: &'static str,
        /// Whether the user has MFA (then a password is not accepted).
        has_mfa: bool,
        /// The methods the user can verify with.
        methods: SudoMethods,
    },
    /// A session credential got 401 after the server's global rate limit: the server revoked it.
    #[error(
        "{operation}: the server revoked this session after it hit the global rate limit: sign in again for a new session token"
    )]
    SessionRevoked {
        /// The operation id.
        operation: &'static str,
    },
    /// The client's credential is not one this operation accepts; nothing was sent.
    #[error("{operation} does not accept {}: it takes {}; use FluxerClient::with_credential", given.map_or("calls without a credential".to_owned(), |k| k.to_string()), accepted_list(accepted))]
    CredentialNotAccepted {
        /// The operation id.
        operation: &'static str,
        /// The credential the client holds, if any.
        given: Option<CredentialKind>,
        /// The credentials the operation accepts.
        accepted: &'static [CredentialKind],
    },
    /// The bot permissions value was refused (`invalid_request` with `INVALID_PERMISSIONS_INTEGER`
    /// or `INVALID_PERMISSIONS_NEGATIVE`, in the OAuth2 error shape).
    #[error(
        "{operation}: the permissions value was refused ({description}): send a non-negative decimal integer, such as oauth::Permissions::SEND_MESSAGES.to_string()"
    )]
    InvalidPermissions {
        /// The operation id.
        operation: &'static str,
        /// The server's description, e.g. `INVALID_PERMISSIONS_INTEGER`.
        description: String,
    },
    /// The consent needs a `redirect_uri`: the scopes include more than `bot`, or the application
    /// has `bot_require_code_grant` (the full code grant for its bot).
    #[error(
        "{operation}: a redirect_uri is required ({description}): scopes other than bot, and applications with bot_require_code_grant, need a registered redirect URI (BotInvite::redirect_uri)"
    )]
    RedirectUriRequired {
        /// The operation id.
        operation: &'static str,
        /// The server's description.
        description: String,
    },
    /// Discovering an instance failed; nothing was configured.
    #[error(transparent)]
    Discovery(#[from] crate::discovery::DiscoveryError),
    /// The email or password is wrong; the server does not say which.
    #[error(
        "{operation}: the email or password is wrong (the server does not say which): check both"
    )]
    InvalidLogin {
        /// The operation id.
        operation: &'static str,
    },
    /// The MFA ticket of a login is spent or too old.
    #[error(
        "{operation}: the login's MFA ticket expired or was used up: log in again for a new one"
    )]
    MfaTicketExpired {
        /// The operation id.
        operation: &'static str,
    },
    /// The second-factor code is wrong.
    #[error(
        "{operation}: the code is wrong: use the current code from the authenticator app (or a backup code); a few wrong codes spend the ticket"
    )]
    InvalidMfaCode {
        /// The operation id.
        operation: &'static str,
    },
    /// The account (or the instance) does not offer this second factor.
    #[error(
        "{operation}: {method} is not available for this account: use one of the challenge's allowed methods"
    )]
    MfaMethodUnavailable {
        /// The operation id.
        operation: &'static str,
        /// The method asked for (`totp`, `webauthn`).
        method: &'static str,
    },
    /// The instance wants a solved captcha with this call.
    #[error("{operation}: the instance requires a captcha: solve one{} and pass its token (FluxerClient::login_with_captcha, or the call's x_captcha_token)", provider.as_deref().map(|p| format!(" with {p}")).unwrap_or_default())]
    CaptchaRequired {
        /// The operation id.
        operation: &'static str,
        /// The provider, when the client knows it from the instance document.
        provider: Option<String>,
    },
    /// The session this client holds was logged out; nothing was sent.
    #[error(
        "{operation}: this client's session was logged out: log in again and use the new session"
    )]
    SessionEnded {
        /// The operation id.
        operation: &'static str,
    },
    /// An input was refused before anything was sent.
    #[error("{operation}: invalid input: {message}")]
    InvalidInput {
        /// The operation id (or the helper's name).
        operation: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The request did not reach the server, or its answer did not arrive.
    #[error("{operation}: {}: {message}", transport_summary(*kind))]
    Transport {
        /// The operation id.
        operation: &'static str,
        /// What failed.
        kind: TransportKind,
        /// Details from the HTTP stack.
        message: String,
        /// The HTTP stack's error (a `reqwest::Error`), reachable through `source()`.
        #[source]
        cause: Option<Cause>,
    },
    /// The server's answer could not be read as the expected type.
    #[error(
        "{operation}: could not decode the {status} answer ({message}); body starts: {snippet:?}"
    )]
    Decode {
        /// The operation id.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// Why decoding failed.
        message: String,
        /// The first bytes of the body, with anything that looks like a token masked.
        snippet: String,
    },
    /// The server failed (a 5xx answer whose body is not a Fluxer error, such as a proxy's HTML page).
    #[error(
        "{operation}: the server failed with {status}; try again later (body starts: {snippet:?})"
    )]
    Server {
        /// The operation id.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The first bytes of the body, with anything that looks like a token masked.
        snippet: String,
    },
    /// The server answered with a redirect, which the client does not follow (a credential must never
    /// reach another host).
    #[error(
        "{operation}: the server answered {status}, a redirect; redirects are not followed so that credentials stay on the configured host: check the base URL (it should name the API itself, e.g. https://api.fluxer.app/v1)"
    )]
    Redirected {
        /// The operation id.
        operation: &'static str,
        /// The HTTP status (3xx).
        status: u16,
    },
    /// The answer was larger than the configured limit and was not read.
    #[error(
        "{operation}: the answer is larger than the {limit}-byte limit; raise FluxerClientBuilder::max_response_bytes if that is expected"
    )]
    ResponseTooLarge {
        /// The operation id.
        operation: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// The user must authorize the application again (the refresh token was refused).
    #[error(
        "the refresh token was refused ({description}): the user must authorize the application again"
    )]
    ReauthorizationRequired {
        /// The server's description.
        description: String,
    },
    /// The server issues access tokens that expire within the token manager's refresh margin, so
    /// refreshing would never end; refreshes are held to one per half margin.
    #[error(
        "the server issued an access token that lives {lifetime:?}, within the {margin:?} refresh margin: refreshes are held to one per half margin; lower TokenManagerBuilder::refresh_margin or check the server"
    )]
    TokenLifetimeTooShort {
        /// The lifetime of the last pair.
        lifetime: Duration,
        /// The manager's refresh margin.
        margin: Duration,
    },
    /// The token store failed; the token pair is still held in memory. `source()` leads to the
    /// store's error and what caused it (an `io::Error`, a Redis error).
    #[error(
        "the token store failed: {0}; the new tokens are kept in memory and saving is tried again on the next call"
    )]
    Store(#[source] StoreFailure),
    /// The authorization callback was refused (denied, missing or mismatched state).
    #[error(transparent)]
    Callback(#[from] crate::oauth::CallbackError),
    /// The authorization URL could not be built.
    #[error(transparent)]
    Authorize(#[from] crate::oauth::AuthorizeError),
    /// The loopback login's listener failed: the port, the wait for the browser, the connections.
    #[cfg(feature = "loopback")]
    #[error(transparent)]
    Loopback(#[from] crate::oauth::loopback::LoopbackError),
}

/// A value that did not parse, reported as [`Error::InvalidInput`] named after the type that
/// refused it (`Snowflake: invalid input: not a Fluxer id (...)`).
macro_rules! value_error_into_error {
    ($($error:ty => $what:literal),* $(,)?) => {$(
        impl From<$error> for Error {
            fn from(error: $error) -> Self {
                Self::InvalidInput {
                    operation: $what,
                    message: error.to_string(),
                }
            }
        }
    )*};
}

value_error_into_error!(
    crate::SnowflakeError => "Snowflake",
    crate::oauth::UrlError => "URL",
    crate::oauth::PkceError => "PkceVerifier",
    crate::oauth::ScopeError => "Scope",
    crate::oauth::PermissionsError => "Permissions",
);

impl Error {
    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. }
            | Self::OAuth { status, .. }
            | Self::Decode { status, .. }
            | Self::Server { status, .. }
            | Self::Redirected { status, .. } => Some(*status),
            Self::RateLimited { .. } => Some(429),
            Self::SudoRequired { .. } | Self::MissingScope { .. } => Some(403),
            Self::InvalidPermissions { .. } | Self::RedirectUriRequired { .. } => Some(400),
            Self::SessionRevoked { .. } => Some(401),
            _ => None,
        }
    }

    /// The OAuth2 error kind, for OAuth2-shaped errors.
    pub fn oauth_kind(&self) -> Option<&OAuthErrorKind> {
        match self {
            Self::OAuth { kind, .. } => Some(kind),
            _ => None,
        }
    }

    /// The Fluxer error code, for Fluxer-shaped errors.
    pub fn api_code(&self) -> Option<&ApiErrorCode> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// The error underneath a failure (the HTTP stack's, a store's), shared so that [`Error`] stays
/// `Clone`. Its `source()` is that error itself, ready to downcast.
///
/// ```
/// # async fn demo() {
/// use std::error::Error as _;
///
/// let client = fluxer_oauth2::FluxerClient::builder()
///     .base_url("http://127.0.0.1:9")
///     .build()
///     .unwrap();
/// let err = client.get_sso_status().send().await.unwrap_err();
/// let mut source = err.source();
/// let mut found = false;
/// while let Some(inner) = source {
///     found |= inner.downcast_ref::<fluxer_oauth2::reqwest::Error>().is_some();
///     source = inner.source();
/// }
/// assert!(found);
/// # }
/// ```
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    pub(crate) fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Arc::new(error))
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Cause").field(&self.0.to_string()).finish()
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.0)
    }
}

/// What [`Error::Store`] holds: the store's message (it derefs to it) and its error, whose own
/// `source()` is the I/O or Redis error underneath. Never holds a token.
#[derive(Clone, Debug)]
pub struct StoreFailure {
    message: String,
    error: Option<Arc<crate::oauth::StoreError>>,
}

impl StoreFailure {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            error: None,
        }
    }
}

impl From<crate::oauth::StoreError> for StoreFailure {
    fn from(error: crate::oauth::StoreError) -> Self {
        Self {
            message: error.full_message(),
            error: Some(Arc::new(error)),
        }
    }
}

impl std::ops::Deref for StoreFailure {
    type Target = str;

    fn deref(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

fn field_summary(errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return String::new();
    }
    // The list is already cut short where the error was made (at most a handful, then a count).
    let parts: Vec<String> = errors
        .iter()
        .map(|e| match &e.code {
            Some(code) => format!("{} ({code}): {}", e.path, e.message),
            None => format!("{}: {}", e.path, e.message),
        })
        .collect();
    format!(" [{}]", parts.join("; "))
}

fn accepted_list(accepted: &[CredentialKind]) -> String {
    if accepted.is_empty() {
        return "no credential".to_owned();
    }
    accepted
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" or ")
}

fn sudo_advice(has_mfa: bool, methods: &SudoMethods) -> &'static str {
    match (has_mfa, methods.totp, methods.webauthn) {
        (false, _, _) => "call it again with SudoVerification::password",
        (true, true, true) => {
            "call it again with SudoVerification::totp or SudoVerification::webauthn (a password is not accepted once MFA is on)"
        }
        (true, true, false) => {
            "call it again with SudoVerification::totp (a password is not accepted once MFA is on)"
        }
        (true, false, true) => {
            "call it again with SudoVerification::webauthn (a password is not accepted once MFA is on)"
        }
        (true, false, false) => "the user has MFA but no usable method: verify in the Fluxer app",
    }
}

fn wait_summary(wait: Duration, raw: Option<&str>) -> String {
    match raw {
        Some(raw) => {
            format!(" (the server asked to wait {raw:?}, which is not a usable number of seconds)")
        }
        None => format!(" for {wait:?}"),
    }
}

fn transport_summary(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Connect => {
            "could not connect to the server (check the base URL and the network)"
        }
        TransportKind::Timeout => {
            "the server did not answer in time (raise the timeout or try later)"
        }
        TransportKind::Interrupted => {
            "the connection broke mid-exchange (try again; single-use values may have been spent)"
        }
    }
}
