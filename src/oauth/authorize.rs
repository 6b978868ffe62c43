//! The first leg of the authorization-code flow: a checked authorize URL, plus everything the app
//! must keep in its session (state, PKCE verifier, normalised redirect URI) to finish the flow.

use std::fmt;
use std::str::FromStr;

use url::{Host, Url};

use crate::oauth::{PkceMethod, PkceVerifier};
use crate::oauth::{Scope, Scopes};
use crate::random::random_token;
use crate::{ClientId, GuildId, Secret, Snowflake, SnowflakeError};

/// The longest value the server takes for `state`, `scope` and `redirect_uri`.
const MAX_PARAM_LEN: usize = 256;

/// The `state` value that ties a callback to the browser session that started the flow (CSRF
/// protection).
///
/// It is treated as a secret: `Debug` prints it redacted, there is no `Display`, the memory is
/// zeroed on drop and equality is checked in constant time.
///
/// ```
/// use fluxer_oauth2::oauth::CsrfState;
///
/// let state = CsrfState::generate();
/// assert_eq!(state.expose_secret().len(), 43);
/// assert_eq!(format!("{state:?}"), "CsrfState([redacted])");
/// // Restored from the app's session store:
/// let restored = CsrfState::new(state.expose_secret());
/// assert_eq!(restored, state);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CsrfState(Secret);

impl CsrfState {
    /// A fresh state: 32 bytes from a CSPRNG, base64url without padding (43 characters).
    pub fn generate() -> Self {
        Self(Secret::new(random_token()))
    }

    /// Wraps a state the app already has, for example one restored from its session store.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Secret::new(value))
    }

    /// The state value, to store in the app's session.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for CsrfState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CsrfState([redacted])")
    }
}

/// The `prompt` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prompt {
    /// `consent`: always show the consent page.
    Consent,
    /// `none`: never show a page. The server redirects at once with a code if the same scopes were
    /// granted before, or with `error=login_required` / `error=consent_required`.
    None,
}

impl Prompt {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Prompt::Consent => "consent",
            Prompt::None => "none",
        }
    }
}

/// Why a URL (redirect URI, API base or web page) was refused. No variant carries the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// It holds a control character (CR, LF, TAB, …) or white space, which URL parsing would drop
    /// or encode, so that the URI sent would not be the one given.
    #[error("it holds white space or a control character; remove it (encode a space as %20)")]
    ControlOrSpace,
    /// It does not parse as an absolute URL.
    #[error(
        "it is not an absolute URL ({0}); give the full form, such as `https://app.example/callback`"
    )]
    Unparseable(url::ParseError),
    /// Its scheme is not `http` or `https`.
    #[error("its scheme is not http or https")]
    UnsupportedScheme,
    /// Plain `http` to a host other than `localhost`, `*.localhost` or an IP literal.
    #[error(
        "it uses plain http for a host that is not localhost, *.localhost or an IP address; use https"
    )]
    InsecureHttp,
    /// It has a `#fragment` (RFC 6749 section 3.1.2 forbids one in a redirect URI).
    #[error("it has a #fragment; remove it")]
    Fragment,
    /// It has a user name or password.
    #[error("it has a user name or password in it; remove them")]
    Credentials,
    /// An API base URL with a query string.
    #[error(
        "it has a query string, which an API base URL cannot have (give e.g. `https://api.fluxer.app/v1`)"
    )]
    Query,
    /// Longer than the server accepts.
    #[error("it is {len} characters long once normalised; the server takes at most 256")]
    TooLong {
        /// The normalised length.
        len: usize,
    },
}

/// A redirect URI in the exact form the server stores and compares: `new URL(uri).toString()`.
///
/// **The trailing-slash trap.** The server stores registered redirect URIs as given, and the
/// authorize request must name one of them character for character. The code it issues, though, is
/// bound to the *normalised* URI (`new URL(uri).toString()`), and the token exchange compares against
/// that exactly. A bare origin gains a slash: register `https://x.example`, authorize with
/// `https://x.example`, the browser comes back to `https://x.example/?code=…&state=…`, and the token
/// exchange must send `https://x.example/`; sending `https://x.example` gives `invalid_grant`.
/// Likewise the host is lower-cased and default ports are dropped. So: [`RedirectUri::as_registered`]
/// goes in the authorize URL (the crate does this), [`RedirectUri::normalized`] in the token exchange
/// (`exchange_code` does this). Registering `https://x.example/callback` rather than a bare origin
/// avoids the question. A registered URI with a query keeps it: `…/p?x=1&code=…&state=…`.
///
/// Rules, as the server applies them when registering: `https`, or `http` only for `localhost`,
/// `*.localhost` and IP literals (`127.0.0.1`, `[::1]`, …). This type also refuses a fragment and
/// embedded credentials, and anything over 256 characters.
///
/// ```
/// use fluxer_oauth2::oauth::RedirectUri;
///
/// let uri = RedirectUri::parse("https://X.Example").unwrap();
/// assert_eq!(uri.normalized(), "https://x.example/");
/// assert!(RedirectUri::parse("http://app.example/cb").is_err());
/// assert!(RedirectUri::parse("http://127.0.0.1:8080/cb").is_ok());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RedirectUri {
    registered: String,
    normalized: Url,
}

impl RedirectUri {
    /// Parses and normalises a redirect URI.
    ///
    /// # Errors
    /// [`UrlError`] when the URI breaks one of the rules above.
    pub fn parse(uri: &str) -> Result<Self, UrlError> {
        let url = parse_web_url(uri)?;
        if url.fragment().is_some() {
            return Err(UrlError::Fragment);
        }
        let len = url.as_str().chars().count().max(uri.chars().count());
        if len > MAX_PARAM_LEN {
            return Err(UrlError::TooLong { len });
        }
        Ok(Self {
            registered: uri.to_owned(),
            normalized: url,
        })
    }

    /// The URI as given, which must be one registered on the application: the authorize request
    /// sends this.
    pub fn as_registered(&self) -> &str {
        &self.registered
    }

    /// The normalised form the issued code is bound to: the token exchange sends this.
    pub fn normalized(&self) -> &str {
        self.normalized.as_str()
    }

    /// The normalised form as a [`Url`].
    pub fn as_url(&self) -> &Url {
        &self.normalized
    }

    /// The same URI given in its normalised form, as the token exchange sends it.
    ///
    /// ```
    /// use fluxer_oauth2::oauth::RedirectUri;
    ///
    /// let uri = RedirectUri::parse("https://X.Example").unwrap().normalized_form();
    /// assert_eq!(uri.as_registered(), "https://x.example/");
    /// ```
    pub fn normalized_form(&self) -> Self {
        Self {
            registered: self.normalized.as_str().to_owned(),
            normalized: self.normalized.clone(),
        }
    }
}

impl TryFrom<&str> for RedirectUri {
    type Error = UrlError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl TryFrom<&String> for RedirectUri {
    type Error = UrlError;

    fn try_from(value: &String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

/// Lets a call take a redirect URI by reference.
impl From<&RedirectUri> for RedirectUri {
    fn from(value: &RedirectUri) -> Self {
        value.clone()
    }
}

/// Lets a builder take `impl TryInto<RedirectUri, Error: Into<UrlError>>`: text, or a checked URI.
impl From<std::convert::Infallible> for UrlError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = UrlError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// Sent as given (the server compares registered URIs as exact strings).
impl serde::Serialize for RedirectUri {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.registered)
    }
}

/// Read with the same checks as [`RedirectUri::parse`].
impl<'de> serde::Deserialize<'de> for RedirectUri {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl FromStr for RedirectUri {
    type Err = UrlError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.normalized())
    }
}

impl fmt::Debug for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedirectUri")
            .field(&self.normalized())
            .finish()
    }
}

/// Why [`AuthorizeUrl::build`] refused. No variant carries the state or a URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeError {
    /// `client_id` is not a snowflake.
    #[error(
        "client_id is not an application id: it must be decimal digits without a leading zero, at \
         most 2^63-1 (copy the application id; do not pass the client secret)"
    )]
    InvalidClientId,
    /// No scope was asked for.
    #[error("no scope was requested; add at least one, e.g. .scope(Scope::Identify)")]
    NoScopes,
    /// A [`Scope::Other`] that is not a valid scope token.
    #[error(
        "`{0}` is not a valid scope name (printable ASCII without space, quote, backslash or `+`)"
    )]
    InvalidScope(String),
    /// The scope string is longer than the server accepts.
    #[error("the scope string is {len} characters long; the server takes at most 256")]
    ScopeTooLong {
        /// Its length.
        len: usize,
    },
    /// The redirect URI was refused.
    #[error("redirect_uri refused: {0}")]
    RedirectUri(UrlError),
    /// The API base URL was refused.
    #[error("API base URL refused: {0}")]
    ApiBase(UrlError),
    /// The web page URL given to [`AuthorizeUrl::web_page`] was refused.
    #[error("authorize web page URL refused: {0}")]
    WebPage(UrlError),
    /// `guild_id` is not a snowflake.
    #[error("guild_id must be decimal digits without a leading zero, at most 2^63-1")]
    InvalidGuildId,
    /// `channel_id` is not a snowflake.
    #[error("channel_id must be decimal digits without a leading zero, at most 2^63-1")]
    InvalidChannelId,
    /// Both `guild_id` and `channel_id` were set; the server refuses that.
    #[error("guild_id and channel_id cannot both be set; keep one")]
    GuildAndChannel,
    /// `permissions` is not a decimal number.
    #[error("permissions must be a non-negative decimal number, such as \"2048\"")]
    InvalidPermissions,
    /// Scopes other than `bot` were asked for without a redirect URI: the server needs one then.
    #[error(
        "scopes other than bot need a redirect URI (the code comes back to it): set BotInvite::redirect_uri"
    )]
    RedirectUriRequired,
    /// An empty state was given.
    #[error("the state is empty; leave .state() out to get a random one")]
    EmptyState,
    /// The state is longer than the server accepts.
    #[error("the state is {len} characters long; the server takes at most 256")]
    StateTooLong {
        /// Its length.
        len: usize,
    },
}

/// Builds the URL that sends the user to Fluxer's consent page.
///
/// By default the URL is `{api_base}/oauth2/authorize`, which the API answers with a redirect to
/// its own web app's consent page, so it is right for self-hosted instances too;
/// [`web_page`](Self::web_page) points at a consent page directly. A random state and an S256 PKCE
/// challenge are added unless you say otherwise.
///
/// ```
/// use fluxer_oauth2::oauth::{AuthorizeUrl, Prompt};
/// use fluxer_oauth2::oauth::Scope;
///
/// let request = AuthorizeUrl::new(
///     fluxer_oauth2::DEFAULT_BASE_URL, // "https://api.fluxer.app/v1", or a self-hosted instance's
///     "1574449618593251330",
///     "https://app.example/callback",
/// )
/// .scope(Scope::Identify)
/// .scope(Scope::Email)
/// .prompt(Prompt::Consent)
/// .build()?;
///
/// assert!(request.url.as_str().starts_with(
///     "https://api.fluxer.app/v1/oauth2/authorize?client_id=1574449618593251330&response_type=code&scope=identify%20email"
/// ));
/// // Keep these in the user's session until the callback arrives:
/// let (_state, _verifier, _redirect) = (request.state, request.pkce_verifier, request.redirect_uri);
/// # Ok::<(), fluxer_oauth2::oauth::AuthorizeError>(())
/// ```
#[derive(Debug)]
#[must_use = "call .build() to get the URL"]
pub struct AuthorizeUrl {
    api_base: String,
    /// Checked when given; an error is reported by `build`.
    client_id: Result<ClientId, SnowflakeError>,
    /// `None` only for a bot invite without the code grant (see `crate::oauth::BotInvite`).
    redirect_uri: Option<Result<RedirectUri, UrlError>>,
    scopes: Scopes,
    state: Option<CsrfState>,
    pkce: Option<PkceMethod>,
    pkce_verifier: Option<PkceVerifier>,
    prompt: Option<Prompt>,
    guild_id: Option<Result<GuildId, SnowflakeError>>,
    channel_id: Option<Result<Snowflake, SnowflakeError>>,
    permissions: Option<String>,
    disable_guild_select: Option<bool>,
    web_page: Option<String>,
}

impl AuthorizeUrl {
    /// Starts a builder. `api_base` is the API root such as
    /// [`DEFAULT_BASE_URL`](crate::DEFAULT_BASE_URL) (`https://api.fluxer.app/v1`),
    /// `client_id` the application id, `redirect_uri` a URI registered on the application.
    ///
    /// Both are taken as text (checked here, the error reported by [`build`](Self::build)) or
    /// as checked values ([`ClientId`] or [`crate::ApplicationId`], [`RedirectUri`]), which are not
    /// checked again.
    pub fn new(
        api_base: &str,
        client_id: impl TryInto<ClientId, Error: Into<SnowflakeError>>,
        redirect_uri: impl TryInto<RedirectUri, Error: Into<UrlError>>,
    ) -> Self {
        Self {
            redirect_uri: Some(redirect_uri.try_into().map_err(Into::into)),
            ..Self::without_redirect(api_base, client_id)
        }
    }

    /// The same builder with this redirect URI (a bot invite that uses the code grant).
    pub(crate) fn with_redirect(
        mut self,
        redirect_uri: impl TryInto<RedirectUri, Error: Into<UrlError>>,
    ) -> Self {
        self.redirect_uri = Some(redirect_uri.try_into().map_err(Into::into));
        self
    }

    /// A builder without a redirect URI, for a bot invite that does not use the code grant.
    pub(crate) fn without_redirect(
        api_base: &str,
        client_id: impl TryInto<ClientId, Error: Into<SnowflakeError>>,
    ) -> Self {
        Self {
            api_base: api_base.to_owned(),
            client_id: client_id.try_into().map_err(Into::into),
            redirect_uri: None,
            scopes: Scopes::new(),
            state: None,
            pkce: Some(PkceMethod::S256),
            pkce_verifier: None,
            prompt: None,
            guild_id: None,
            channel_id: None,
            permissions: None,
            disable_guild_select: None,
            web_page: None,
        }
    }

    /// Asks for one more scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scopes.insert(scope);
        self
    }

    /// Asks for several more scopes.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.scopes.extend(scopes);
        self
    }

    /// Uses this state instead of a fresh random one. It must be unguessable and tied to the user's
    /// session; the default is 32 random bytes.
    pub fn state(mut self, state: CsrfState) -> Self {
        self.state = Some(state);
        self
    }

    /// Turns PKCE on with this method (it is on with [`PkceMethod::S256`] by default).
    pub fn pkce(mut self, method: PkceMethod) -> Self {
        self.pkce = Some(method);
        self
    }

    /// Uses this verifier instead of a fresh one, and turns PKCE on if it was off.
    pub fn pkce_verifier(mut self, verifier: PkceVerifier) -> Self {
        self.pkce.get_or_insert(PkceMethod::S256);
        self.pkce_verifier = Some(verifier);
        self
    }

    /// Turns PKCE off. The server does not require it, but it protects the code if it leaks.
    pub fn no_pkce(mut self) -> Self {
        self.pkce = None;
        self.pkce_verifier = None;
        self
    }

    /// Sets `prompt`.
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// Pre-selects the guild to add the bot to (with [`Scope::Bot`]).
    ///
    /// Text is checked here and an error reported by [`build`](Self::build).
    pub fn guild_id(
        mut self,
        guild_id: impl TryInto<GuildId, Error: Into<SnowflakeError>>,
    ) -> Self {
        self.guild_id = Some(guild_id.try_into().map_err(Into::into));
        self
    }

    /// Pre-selects the group DM channel to add the bot to (with [`Scope::Bot`]).
    ///
    /// Text is checked here and an error reported by [`build`](Self::build).
    pub fn channel_id(
        mut self,
        channel_id: impl TryInto<Snowflake, Error: Into<SnowflakeError>>,
    ) -> Self {
        self.channel_id = Some(channel_id.try_into().map_err(Into::into));
        self
    }

    /// The permissions bitfield requested for the bot.
    pub fn permissions(mut self, permissions: u64) -> Self {
        self.permissions = Some(permissions.to_string());
        self
    }

    /// The permissions requested for the bot, as named flags (or raw bits).
    ///
    /// ```
    /// use fluxer_oauth2::oauth::{AuthorizeUrl, Permissions, Scope};
    ///
    /// let request = AuthorizeUrl::new(fluxer_oauth2::DEFAULT_BASE_URL, "1574449618593251330", "https://app.example/cb")
    ///     .scopes([Scope::Identify, Scope::Bot])
    ///     .guild_id("1574449618593251331")
    ///     .bot_permissions(Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES)
    ///     .build()?;
    /// assert!(request.url.as_str().contains("&permissions=3072"));
    /// # Ok::<(), fluxer_oauth2::oauth::AuthorizeError>(())
    /// ```
    pub fn bot_permissions(mut self, permissions: crate::oauth::Permissions) -> Self {
        self.permissions = Some(permissions.to_string());
        self
    }

    /// The permissions bitfield as a decimal string, for values beyond `u64`.
    pub fn permissions_decimal(mut self, permissions: impl Into<String>) -> Self {
        self.permissions = Some(permissions.into());
        self
    }

    /// Sets `disable_guild_select`: `true` locks the guild picker of the consent page to
    /// [`guild_id`](Self::guild_id).
    pub fn disable_guild_select(mut self, disable: bool) -> Self {
        self.disable_guild_select = Some(disable);
        self
    }

    /// Sends the user straight to this consent page (for example
    /// `https://fluxer.app/oauth2/authorize`) instead of `{api_base}/oauth2/authorize`.
    pub fn web_page(mut self, url: impl Into<String>) -> Self {
        self.web_page = Some(url.into());
        self
    }

    /// Checks everything and builds the URL.
    ///
    /// # Errors
    /// [`AuthorizeError`] names the first parameter that is wrong.
    pub fn build(self) -> Result<AuthorizeRequest, AuthorizeError> {
        let parts = self.build_parts()?;
        let redirect_uri = parts
            .redirect_uri
            .expect("AuthorizeUrl::new always has a redirect URI");
        Ok(AuthorizeRequest {
            url: parts.url,
            state: parts.state,
            pkce_verifier: parts.pkce_verifier,
            redirect_uri,
        })
    }

    /// Checks everything and builds the URL; without a redirect URI, only `bot` may be asked for,
    /// and neither `response_type` nor PKCE is sent (no code is meant to be exchanged).
    pub(crate) fn build_parts(self) -> Result<AuthorizeParts, AuthorizeError> {
        let client_id = self
            .client_id
            .map_err(|_| AuthorizeError::InvalidClientId)?;
        if self.scopes.is_empty() {
            return Err(AuthorizeError::NoScopes);
        }
        if let Some(bad) = self
            .scopes
            .iter()
            .find(|s| !Scope::is_valid_token(s.as_str()))
        {
            return Err(AuthorizeError::InvalidScope(bad.as_str().to_owned()));
        }
        let scope = self.scopes.to_string();
        if scope.len() > MAX_PARAM_LEN {
            return Err(AuthorizeError::ScopeTooLong { len: scope.len() });
        }
        let redirect_uri = match self.redirect_uri {
            Some(given) => Some(given.map_err(AuthorizeError::RedirectUri)?),
            None if self.scopes.iter().any(|s| *s != Scope::Bot) => {
                return Err(AuthorizeError::RedirectUriRequired);
            }
            None => None,
        };
        let mut url = match &self.web_page {
            Some(page) => web_page_url(page).map_err(AuthorizeError::WebPage)?,
            None => api_authorize_url(&self.api_base).map_err(AuthorizeError::ApiBase)?,
        };
        let guild_id = self
            .guild_id
            .transpose()
            .map_err(|_| AuthorizeError::InvalidGuildId)?;
        let channel_id = self
            .channel_id
            .transpose()
            .map_err(|_| AuthorizeError::InvalidChannelId)?;
        if guild_id.is_some() && channel_id.is_some() {
            return Err(AuthorizeError::GuildAndChannel);
        }
        if let Some(p) = &self.permissions
            && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(AuthorizeError::InvalidPermissions);
        }
        let state = match self.state {
            Some(state) => {
                let len = state.expose_secret().chars().count();
                if len == 0 {
                    return Err(AuthorizeError::EmptyState);
                }
                if len > MAX_PARAM_LEN {
                    return Err(AuthorizeError::StateTooLong { len });
                }
                state
            }
            None => CsrfState::generate(),
        };
        let pkce = self.pkce.filter(|_| redirect_uri.is_some()).map(|method| {
            let verifier = self.pkce_verifier.unwrap_or_else(PkceVerifier::generate);
            let challenge = verifier.challenge(method);
            (verifier, challenge)
        });

        let mut query = Query(url.query().unwrap_or_default().to_owned());
        query.push("client_id", client_id.as_str());
        if let Some(redirect_uri) = &redirect_uri {
            query.push("response_type", "code");
            query.push("scope", &scope);
            query.push("redirect_uri", redirect_uri.as_registered());
        } else {
            query.push("scope", &scope);
        }
        query.push("state", state.expose_secret());
        if let Some(prompt) = self.prompt {
            query.push("prompt", prompt.as_str());
        }
        if let Some(id) = &guild_id {
            query.push("guild_id", id.as_str());
        }
        if let Some(id) = &channel_id {
            query.push("channel_id", id.as_str());
        }
        if let Some(p) = &self.permissions {
            query.push("permissions", p);
        }
        if let Some(disable) = self.disable_guild_select {
            query.push(
                "disable_guild_select",
                if disable { "true" } else { "false" },
            );
        }
        if let Some((_, challenge)) = &pkce {
            query.push("code_challenge", &challenge.value);
            query.push("code_challenge_method", challenge.method.as_str());
        }
        url.set_query(Some(&query.0));

        Ok(AuthorizeParts {
            url,
            state,
            pkce_verifier: pkce.map(|(verifier, _)| verifier),
            redirect_uri,
        })
    }
}

/// What [`AuthorizeUrl::build_parts`] makes: an [`AuthorizeRequest`] whose redirect URI may be
/// absent.
pub(crate) struct AuthorizeParts {
    pub(crate) url: Url,
    pub(crate) state: CsrfState,
    pub(crate) pkce_verifier: Option<PkceVerifier>,
    pub(crate) redirect_uri: Option<RedirectUri>,
}

/// A built authorize URL and what the app must keep in the user's session to finish the flow:
/// `state` to check the callback, `pkce_verifier` and `redirect_uri` for the token exchange.
///
/// `Debug` leaves out the URL's query, which holds the state.
#[non_exhaustive]
pub struct AuthorizeRequest {
    /// Where to send the user's browser.
    pub url: Url,
    /// The state in the URL; compare the callback's against it.
    pub state: CsrfState,
    /// The PKCE verifier, unless PKCE was turned off.
    pub pkce_verifier: Option<PkceVerifier>,
    /// The normalised redirect URI; send [`RedirectUri::normalized`] in the token exchange.
    pub redirect_uri: RedirectUri,
}

impl AuthorizeRequest {
    /// The URL to send the browser to, and what to keep until the callback (it consumes the
    /// request: the PKCE verifier is not copied).
    pub fn into_parts(self) -> (Url, crate::oauth::PendingAuthorization) {
        let pending = crate::oauth::PendingAuthorization::new(
            self.state,
            self.pkce_verifier,
            self.redirect_uri,
        );
        (self.url, pending)
    }
}

impl fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let before_query = &self.url[..url::Position::AfterPath];
        let url = if self.url.query().is_some() {
            format!("{before_query}?[redacted]")
        } else {
            before_query.to_owned()
        };
        f.debug_struct("AuthorizeRequest")
            .field("url", &url)
            .field("state", &self.state)
            .field("pkce_verifier", &self.pkce_verifier)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// A query string built with strict percent-encoding: everything but RFC 3986 unreserved
/// characters is escaped, so a space is `%20`, never an ambiguous `+`.
struct Query(String);

impl Query {
    fn push(&mut self, name: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push('&');
        }
        encode_into(&mut self.0, name);
        self.0.push('=');
        encode_into(&mut self.0, value);
    }
}

fn encode_into(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// Parses an absolute http(s) URL and applies the server's transport rule: https, or http only for
/// `localhost`, `*.localhost` and IP literals. Credentials are refused.
fn parse_web_url(raw: &str) -> Result<Url, UrlError> {
    if raw.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(UrlError::ControlOrSpace);
    }
    let url = Url::parse(raw).map_err(UrlError::Unparseable)?;
    match url.scheme() {
        "https" => {}
        "http" => {
            let local = match url.host() {
                Some(Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
                Some(Host::Ipv4(_) | Host::Ipv6(_)) => true,
                None => false,
            };
            if !local {
                return Err(UrlError::InsecureHttp);
            }
        }
        _ => return Err(UrlError::UnsupportedScheme),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    Ok(url)
}

fn api_authorize_url(api_base: &str) -> Result<Url, UrlError> {
    let mut url = parse_web_url(api_base)?;
    // The API base follows the client's policy, stricter than a redirect URI's: plain http only to
    // this machine, since the same base takes the credentials.
    if url.scheme() == "http" && !crate::client::is_local_host(&url) {
        return Err(UrlError::InsecureHttp);
    }
    if url.fragment().is_some() {
        return Err(UrlError::Fragment);
    }
    if url.query().is_some() {
        return Err(UrlError::Query);
    }
    // http(s) URLs always have a path, so this cannot fail; the error arm keeps it panic-free.
    url.path_segments_mut()
        .map_err(|()| UrlError::UnsupportedScheme)?
        .pop_if_empty()
        .extend(["oauth2", "authorize"]);
    Ok(url)
}

fn web_page_url(page: &str) -> Result<Url, UrlError> {
    let url = parse_web_url(page)?;
    if url.fragment().is_some() {
        return Err(UrlError::Fragment);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes() {
        let is_snowflake = |id: &str| crate::Snowflake::parse(id).is_ok();
        for ok in ["0", "1", "1574449618593251330", "9223372036854775807"] {
            assert!(is_snowflake(ok), "{ok}");
        }
        for bad in [
            "",
            "01",
            "-1",
            "+1",
            " 1",
            "1 ",
            "abc",
            "9223372036854775808",
            "18446744073709551616",
            "１",
        ] {
            assert!(!is_snowflake(bad), "{bad}");
        }
    }

    #[test]
    fn strict_encoding() {
        let mut out = String::new();
        encode_into(&mut out, "a b+c&d=e/é~");
        assert_eq!(out, "a%20b%2Bc%26d%3De%2F%C3%A9~");
    }

    #[test]
    fn api_base_with_or_without_trailing_slash() {
        for base in ["https://api.fluxer.app/v1", "https://api.fluxer.app/v1/"] {
            assert_eq!(
                api_authorize_url(base).unwrap().as_str(),
                "https://api.fluxer.app/v1/oauth2/authorize"
            );
        }
        assert_eq!(
            api_authorize_url("http://localhost:8080").unwrap().as_str(),
            "http://localhost:8080/oauth2/authorize"
        );
        assert_eq!(
            api_authorize_url("https://api.example/?x=1"),
            Err(UrlError::Query)
        );
    }

    #[test]
    fn transport_rule() {
        for ok in [
            "https://app.example/cb",
            "http://localhost/cb",
            "http://dev.localhost:3000/cb",
            "http://127.0.0.1:8080/cb",
            "http://[::1]:8080/cb",
            "http://192.168.1.10/cb",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            RedirectUri::parse("http://app.example/cb"),
            Err(UrlError::InsecureHttp)
        );
        assert_eq!(
            RedirectUri::parse("http://localhost.evil.example/cb"),
            Err(UrlError::InsecureHttp)
        );
        assert_eq!(
            RedirectUri::parse("ftp://app.example/cb"),
            Err(UrlError::UnsupportedScheme)
        );
        assert_eq!(
            RedirectUri::parse("myapp://cb"),
            Err(UrlError::UnsupportedScheme)
        );
        assert_eq!(
            RedirectUri::parse("https://app.example/cb#x"),
            Err(UrlError::Fragment)
        );
        assert_eq!(
            RedirectUri::parse("https://u:p@app.example/cb"),
            Err(UrlError::Credentials)
        );
        assert!(matches!(
            RedirectUri::parse("/callback"),
            Err(UrlError::Unparseable(_))
        ));
        let long = format!("https://app.example/{}", "a".repeat(240));
        assert!(matches!(
            RedirectUri::parse(&long),
            Err(UrlError::TooLong { .. })
        ));
    }
}
