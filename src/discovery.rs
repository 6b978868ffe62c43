//! Instance discovery: read a Fluxer instance's `/.well-known/fluxer` document and configure a
//! client for it (API base, consent page, captcha provider).
//!
//! Fluxer is self-hosted, so an application that serves more than one instance starts from the
//! address a user types, such as `https://chat.example.org`. [`FluxerClient::discover`] reads that
//! instance's document, takes the API base and the web app from it, checks that the API answers
//! there, and returns a client aimed at it; [`FluxerClient::instance`] keeps what was learnt.
//!
//! What it guards against:
//!
//! - **Transport.** The instance address and every address the document advertises must be https,
//!   or plain http to this machine (`localhost`, loopback addresses): the document decides where
//!   credentials go, so it must not send them in clear.
//! - **Time and size.** The document is read within [`Discovery::timeout`] (10 s by default) and
//!   [`Discovery::max_document_bytes`] (256 KiB by default); redirects are not followed.
//! - **A wrong advertised address.** An instance advertises what it was configured with, which need
//!   not be where it answers (a test instance advertised `http://localhost:8088/api` while serving
//!   elsewhere). By default the advertised API is asked for the document too before it is used;
//!   when it does not answer, [`DiscoveryError::ApiUnreachable`] says so, and
//!   [`Discovery::api_base_override`] names the right address.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fluxer_oauth2::Error> {
//! use fluxer_oauth2::{FluxerClient, discovery::Discovery};
//!
//! // The address a user typed:
//! let client = FluxerClient::discover("https://chat.example.org").await?;
//! let instance = client.instance().expect("a discovered client knows its instance");
//! println!("API at {}, consent at {}", client.base_url(), instance.authorize_endpoint());
//!
//! // An instance whose document advertises an address that does not answer from here:
//! let client = FluxerClient::discover(
//!     Discovery::new("https://chat.example.org").api_base_override("https://chat.example.org/api"),
//! )
//! .await?;
//! # let _ = client;
//! # Ok(()) }
//! ```

use std::{fmt, future::Future, sync::Arc, time::Duration};

use url::Url;

use crate::{
    ClientId, Error, FluxerClient, FluxerClientBuilder, RetryPolicy, SnowflakeError, TransportKind,
    client::checked_base_url,
    oauth::{AuthorizeUrl, RedirectUri, Scopes, UrlError},
    types,
};

/// How long reading the document (and, separately, checking the API) may take by default.
pub const DEFAULT_DISCOVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest instance document read by default. A document is a few kilobytes.
pub const DEFAULT_MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// What to discover and how: the instance address, overrides for what it advertises, and bounds.
///
/// A `&str` or `String` converts into one with the defaults.
///
/// ```
/// use std::time::Duration;
/// use fluxer_oauth2::discovery::Discovery;
///
/// let discovery = Discovery::new("https://chat.example.org")
///     .api_base_override("https://api.chat.example.org/v1")
///     .timeout(Duration::from_secs(5));
/// assert_eq!(discovery.instance_url(), "https://chat.example.org");
/// ```
#[derive(Clone, Debug)]
#[must_use = "pass it to FluxerClient::discover"]
pub struct Discovery {
    instance_url: String,
    api_base_override: Option<String>,
    web_app_override: Option<String>,
    verify_api: bool,
    timeout: Duration,
    max_document_bytes: usize,
}

impl Discovery {
    /// Discovery of the instance at `instance_url`: its web address (`https://chat.example.org`),
    /// or its API base (`https://api.fluxer.app/v1`), which serves the document too. The document
    /// is read from `{instance_url}/.well-known/fluxer`.
    pub fn new(instance_url: impl Into<String>) -> Self {
        Self {
            instance_url: instance_url.into(),
            api_base_override: None,
            web_app_override: None,
            verify_api: true,
            timeout: DEFAULT_DISCOVERY_TIMEOUT,
            max_document_bytes: DEFAULT_MAX_DOCUMENT_BYTES,
        }
    }

    /// The instance address, as given.
    pub fn instance_url(&self) -> &str {
        &self.instance_url
    }

    /// Uses this API base instead of the one the document advertises (`endpoints.api`), for an
    /// instance whose advertised address does not answer from here. The same transport rule
    /// applies: https, or plain http to this machine.
    pub fn api_base_override(mut self, api_base: impl Into<String>) -> Self {
        self.api_base_override = Some(api_base.into());
        self
    }

    /// Uses this web app instead of the one the document advertises (`endpoints.webapp`): consent
    /// pages are then `{web_app}/oauth2/authorize`.
    pub fn web_app_override(mut self, web_app: impl Into<String>) -> Self {
        self.web_app_override = Some(web_app.into());
        self
    }

    /// Whether the API base is asked for the document before it is used (on by default; skipped
    /// when it is the instance address itself). Turned off, discovery makes one request, and a
    /// wrong advertised address shows only on the first call.
    pub fn verify_api(mut self, verify: bool) -> Self {
        self.verify_api = verify;
        self
    }

    /// How long reading the document may take, and checking the API (10 s each by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest document read (256 KiB by default); a larger one is
    /// [`DiscoveryError::TooLarge`].
    pub fn max_document_bytes(mut self, limit: usize) -> Self {
        self.max_document_bytes = limit;
        self
    }
}

impl From<&str> for Discovery {
    fn from(instance_url: &str) -> Self {
        Self::new(instance_url)
    }
}

impl From<String> for Discovery {
    fn from(instance_url: String) -> Self {
        Self::new(instance_url)
    }
}

impl From<&String> for Discovery {
    fn from(instance_url: &String) -> Self {
        Self::new(instance_url.as_str())
    }
}

/// What discovery learnt about an instance: its document, and the addresses a client uses.
///
/// ```
/// use fluxer_oauth2::discovery::Instance;
///
/// let body = br#"{"endpoints":{"api":"https://api.chat.example.org/v1","webapp":"https://chat.example.org"},
///                 "captcha":{"provider":"hcaptcha","hcaptcha_site_key":"k"}}"#;
/// let instance = Instance::from_document("https://chat.example.org", body)?;
/// assert_eq!(instance.api_base(), "https://api.chat.example.org/v1");
/// assert_eq!(instance.authorize_endpoint().as_str(), "https://chat.example.org/oauth2/authorize");
/// assert_eq!(instance.captcha_provider(), Some("hcaptcha"));
/// # Ok::<(), fluxer_oauth2::discovery::DiscoveryError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    instance_url: String,
    document: types::InstanceDocument,
    api_base: String,
    api_base_overridden: bool,
    web_app: Option<Url>,
    authorize_endpoint: Url,
}

impl Instance {
    /// Reads a document (the body of `/.well-known/fluxer`) as discovery does, without overrides
    /// and without any traffic: the instance address is checked, the body decoded, and the
    /// advertised addresses checked against the transport rule.
    ///
    /// # Errors
    /// [`DiscoveryError::InstanceUrl`], [`DiscoveryError::Malformed`] or
    /// [`DiscoveryError::UnusableEndpoint`].
    pub fn from_document(instance_url: &str, body: &[u8]) -> Result<Self, DiscoveryError> {
        let instance = instance_base(instance_url)?;
        let document: types::InstanceDocument =
            serde_json::from_slice(body).map_err(|e| DiscoveryError::Malformed {
                instance: instance.clone(),
                reason: e.to_string(),
            })?;
        resolve(&instance, document, &Discovery::new(instance.as_str()))
    }

    /// The instance address discovery started from (without a trailing slash).
    pub fn instance_url(&self) -> &str {
        &self.instance_url
    }

    /// The document, as the instance sent it.
    pub fn document(&self) -> &types::InstanceDocument {
        &self.document
    }

    /// The API base the client uses: the advertised one, or the override.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The API base the document advertises (`endpoints.api`), as sent.
    pub fn advertised_api_base(&self) -> &str {
        &self.document.endpoints.api
    }

    /// Whether [`Discovery::api_base_override`] replaced the advertised API base.
    pub fn is_api_base_overridden(&self) -> bool {
        self.api_base_overridden
    }

    /// The web app (`endpoints.webapp`, or the override), when known.
    pub fn web_app_base(&self) -> Option<&Url> {
        self.web_app.as_ref()
    }

    /// The consent page users are sent to: the `oauth2` block's `authorization_endpoint` when the
    /// instance has one, else `{web app}/oauth2/authorize`, else `{API base}/oauth2/authorize`
    /// (which the API answers with a redirect to its consent page).
    pub fn authorize_endpoint(&self) -> &Url {
        &self.authorize_endpoint
    }

    /// The captcha provider the instance uses (`hcaptcha`, `turnstile`), or `None` when it uses
    /// none or does not say.
    pub fn captcha_provider(&self) -> Option<&str> {
        self.document
            .captcha
            .as_ref()
            .and_then(|c| c.provider.as_deref())
            .filter(|p| !p.is_empty() && *p != "none")
    }

    /// The scopes the instance lists in its `oauth2` block (newer servers), when it has one.
    /// Names that are not valid scope tokens are skipped.
    pub fn scopes_supported(&self) -> Option<Scopes> {
        let listed = self.document.oauth2.as_ref()?;
        if listed.scopes_supported.is_empty() {
            return None;
        }
        Some(
            listed
                .scopes_supported
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
        )
    }

    /// An authorize URL builder for this instance: the API base, with the consent page set to
    /// [`Instance::authorize_endpoint`].
    pub fn authorize_url(
        &self,
        client_id: impl TryInto<ClientId, Error: Into<SnowflakeError>>,
        redirect_uri: impl TryInto<RedirectUri, Error: Into<UrlError>>,
    ) -> AuthorizeUrl {
        AuthorizeUrl::new(&self.api_base, client_id, redirect_uri)
            .web_page(self.authorize_endpoint.as_str())
    }
}

/// Why discovery failed. Every variant says what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// The instance address was refused before any traffic.
    #[error("discovery: the instance address was refused: {reason}")]
    InstanceUrl {
        /// What is wrong with it.
        reason: String,
    },
    /// The instance did not answer.
    #[error("discovery: {instance} did not answer ({}): {message}; check the address and the network", transport_summary(*kind))]
    Unreachable {
        /// The instance address.
        instance: String,
        /// What failed.
        kind: TransportKind,
        /// Details from the HTTP stack.
        message: String,
    },
    /// The instance answered, but not with a document.
    #[error(
        "discovery: {instance} has no instance document (/.well-known/fluxer answered {status}); give the address of a Fluxer instance: its web app or its API base"
    )]
    NoDocument {
        /// The instance address.
        instance: String,
        /// The HTTP status of the answer.
        status: u16,
    },
    /// The instance answered with a redirect, which is not followed.
    #[error(
        "discovery: {instance} answered {status}, a redirect, which discovery does not follow; give the address it redirects to"
    )]
    Redirected {
        /// The instance address.
        instance: String,
        /// The HTTP status (3xx).
        status: u16,
    },
    /// The document is larger than [`Discovery::max_document_bytes`].
    #[error(
        "discovery: the instance document of {instance} is larger than {limit} bytes and was not read; raise Discovery::max_document_bytes if that is expected"
    )]
    TooLarge {
        /// The instance address.
        instance: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// The document is not an instance document (not JSON, or no `endpoints.api`).
    #[error("discovery: the answer of {instance} is not an instance document: {reason}")]
    Malformed {
        /// The instance address.
        instance: String,
        /// Why it could not be read.
        reason: String,
    },
    /// An address the document advertises cannot be used (not a URL, or plain http to another
    /// machine).
    #[error(
        "discovery: {instance} advertises an unusable `{field}`: {reason}; if the instance is right, set Discovery::{setter} to the address to use",
        setter = if *field == "endpoints.api" { "api_base_override" } else { "web_app_override" }
    )]
    UnusableEndpoint {
        /// The instance address.
        instance: String,
        /// The document field, e.g. `endpoints.api`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The API base did not answer with an instance document.
    #[error(
        "discovery: the API base {api_base} {} did not answer ({reason}){}",
        if *overridden { "given by Discovery::api_base_override" } else { "that the instance advertises" },
        if *overridden { "; check the override" } else { "; instances advertise what they were configured with, which need not be where they answer: set Discovery::api_base_override to the address that answers (or turn Discovery::verify_api off to use it anyway)" }
    )]
    ApiUnreachable {
        /// The instance address.
        instance: String,
        /// The API base that was tried.
        api_base: String,
        /// Whether it was the override rather than the advertised one.
        overridden: bool,
        /// What went wrong.
        reason: String,
    },
    /// A step of discovery took longer than [`Discovery::timeout`].
    #[error(
        "discovery: {instance} did not answer within {limit:?}; check the address, or raise Discovery::timeout"
    )]
    TimedOut {
        /// The instance address.
        instance: String,
        /// The time limit.
        limit: Duration,
    },
}

fn transport_summary(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Connect => "no connection",
        TransportKind::Timeout => "timed out",
        TransportKind::Interrupted => "connection broken",
    }
}

impl FluxerClient {
    /// Discovers the instance at an address (or as [`Discovery`] says) and returns a client aimed
    /// at its API, with default settings and no credential; see the [module docs](self).
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), fluxer_oauth2::Error> {
    /// let client = fluxer_oauth2::FluxerClient::discover("https://chat.example.org").await?;
    /// println!("the API is at {}", client.base_url());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Discovery`] with a [`DiscoveryError`].
    pub async fn discover(discovery: impl Into<Discovery>) -> Result<FluxerClient, Error> {
        FluxerClientBuilder::default().discover(discovery).await
    }

    /// What discovery learnt about the instance (its document, consent page, captcha provider),
    /// for a client made by [`FluxerClient::discover`] or [`FluxerClientBuilder::discover`] and
    /// the clients derived from it; `None` otherwise.
    pub fn instance(&self) -> Option<&Instance> {
        self.api.inner.instance.as_deref()
    }

    /// An authorize URL builder for this client's instance: the API base, and for a discovered
    /// client the instance's consent page ([`Instance::authorize_endpoint`]).
    ///
    /// ```
    /// use fluxer_oauth2::{FluxerClient, oauth::Scope};
    ///
    /// let client = FluxerClient::builder().build()?;
    /// let request = client
    ///     .authorize_url("1574449618593251330", "https://app.example/callback")
    ///     .scope(Scope::Identify)
    ///     .build()?;
    /// assert!(request.url.as_str().starts_with("https://api.fluxer.app/v1/oauth2/authorize?"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn authorize_url(
        &self,
        client_id: impl TryInto<ClientId, Error: Into<SnowflakeError>>,
        redirect_uri: impl TryInto<RedirectUri, Error: Into<UrlError>>,
    ) -> AuthorizeUrl {
        let url = AuthorizeUrl::new(self.base_url(), client_id, redirect_uri);
        match self.instance() {
            Some(instance) => url.web_page(instance.authorize_endpoint().as_str()),
            None => url,
        }
    }
}

impl FluxerClientBuilder {
    /// Discovers the instance (see the [module docs](crate::discovery)) and builds a client aimed
    /// at its API with these settings (credential, timeouts, retries); the base URL set on the
    /// builder is not used. The document itself is read without a credential.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), fluxer_oauth2::Error> {
    /// use fluxer_oauth2::{Credential, FluxerClient};
    ///
    /// let bot = FluxerClient::builder()
    ///     .credential(Credential::bot("1234.secret"))
    ///     .discover("https://chat.example.org")
    ///     .await?;
    /// # let _ = bot;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Discovery`] with a [`DiscoveryError`]; [`Error::InvalidInput`] when the HTTP client
    /// cannot be set up.
    pub async fn discover(self, discovery: impl Into<Discovery>) -> Result<FluxerClient, Error> {
        let discovery = discovery.into();
        let instance_url = instance_base(&discovery.instance_url)?;
        // Overrides are checked before any traffic.
        for (what, given) in [
            ("API base", &discovery.api_base_override),
            ("web app", &discovery.web_app_override),
        ] {
            if let Some(raw) = given {
                web_url(raw).map_err(|e| DiscoveryError::InstanceUrl {
                    reason: format!("the {what} override: {}", reason_of(e)),
                })?;
            }
        }
        let document = bounded(&instance_url, discovery.timeout, async {
            fetch(&self, &instance_url, &discovery).await
        })
        .await??;
        let instance = resolve(&instance_url, document, &discovery)?;
        // The API base answered already when the document came from it.
        if discovery.verify_api && instance.api_base != instance_url {
            let api_base = instance.api_base.clone();
            let overridden = instance.api_base_overridden;
            let checked = bounded(&instance_url, discovery.timeout, async {
                let probe =
                    document_client(&self, &api_base, &discovery).map_err(|e| e.to_string())?;
                probe
                    .get_instance_document()
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| e.to_string())
            })
            .await;
            let reason = match checked {
                Ok(Ok(())) => None,
                Ok(Err(reason)) => Some(reason),
                Err(DiscoveryError::TimedOut { limit, .. }) => {
                    Some(format!("no answer within {limit:?}"))
                }
                Err(other) => return Err(other.into()),
            };
            if let Some(reason) = reason {
                return Err(DiscoveryError::ApiUnreachable {
                    instance: instance_url,
                    api_base,
                    overridden,
                    reason,
                }
                .into());
            }
        }
        let mut client = self.base_url(instance.api_base.clone()).build()?;
        client.api.inner.instance = Some(Arc::new(instance));
        Ok(client)
    }
}

/// Runs one step of discovery within `limit`.
async fn bounded<T>(
    instance: &str,
    limit: Duration,
    step: impl Future<Output = T>,
) -> Result<T, DiscoveryError> {
    tokio::time::timeout(limit, step)
        .await
        .map_err(|_| DiscoveryError::TimedOut {
            instance: instance.to_owned(),
            limit,
        })
}

/// The instance address checked by the transport rule, without a trailing slash.
fn instance_base(raw: &str) -> Result<String, DiscoveryError> {
    checked_base_url(raw.trim()).map_err(|e| DiscoveryError::InstanceUrl {
        reason: reason_of(e),
    })
}

/// The message of an input refusal, without the operation's name.
fn reason_of(error: Error) -> String {
    match error {
        Error::InvalidInput { message, .. } => message,
        other => other.to_string(),
    }
}

/// A client without credential for reading the document at `base`, bounded as discovery says.
fn document_client(
    builder: &FluxerClientBuilder,
    base: &str,
    discovery: &Discovery,
) -> Result<FluxerClient, Error> {
    Ok(builder
        .clone()
        .base_url(base)
        .timeout(discovery.timeout)
        .connect_timeout(discovery.timeout)
        .retry_policy(RetryPolicy::NONE)
        .max_response_bytes(discovery.max_document_bytes)
        .build()?
        .with_credential(None))
}

/// Reads the document at `{instance}/.well-known/fluxer`.
async fn fetch(
    builder: &FluxerClientBuilder,
    instance: &str,
    discovery: &Discovery,
) -> Result<types::InstanceDocument, Error> {
    let client = document_client(builder, instance, discovery)?;
    let failed = match client.get_instance_document().send().await {
        Ok(document) => return Ok(document.into_inner()),
        Err(e) => e,
    };
    let instance = instance.to_owned();
    let error = match failed {
        Error::Transport { kind, message, .. } => DiscoveryError::Unreachable {
            instance,
            kind,
            message,
        },
        Error::Redirected { status, .. } => DiscoveryError::Redirected { instance, status },
        Error::ResponseTooLarge { limit, .. } => DiscoveryError::TooLarge { instance, limit },
        Error::Decode {
            status, message, ..
        } if (200..300).contains(&status) => DiscoveryError::Malformed {
            instance,
            reason: message,
        },
        other => match other.status() {
            Some(status) => DiscoveryError::NoDocument { instance, status },
            None => DiscoveryError::Malformed {
                instance,
                reason: other.to_string(),
            },
        },
    };
    Err(error.into())
}

/// Picks the addresses to use from the document and the overrides, each checked by the
/// transport rule.
fn resolve(
    instance: &str,
    document: types::InstanceDocument,
    discovery: &Discovery,
) -> Result<Instance, DiscoveryError> {
    let unusable = |field: &'static str, reason: String| DiscoveryError::UnusableEndpoint {
        instance: instance.to_owned(),
        field,
        reason,
    };
    let refused_override = |what: &str, e: Error| DiscoveryError::InstanceUrl {
        reason: format!("the {what} override: {}", reason_of(e)),
    };
    let (api_base, api_base_overridden) = match &discovery.api_base_override {
        Some(raw) => (
            checked_base_url(raw).map_err(|e| refused_override("API base", e))?,
            true,
        ),
        None => (
            checked_base_url(&document.endpoints.api)
                .map_err(|e| unusable("endpoints.api", reason_of(e)))?,
            false,
        ),
    };
    let web_app = match (&discovery.web_app_override, &document.endpoints.webapp) {
        (Some(raw), _) => Some(web_url(raw).map_err(|e| refused_override("web app", e))?),
        (None, Some(raw)) => {
            Some(web_url(raw).map_err(|e| unusable("endpoints.webapp", reason_of(e)))?)
        }
        (None, None) => None,
    };
    let advertised_page = document
        .oauth2
        .as_ref()
        .and_then(|o| o.authorization_endpoint.as_deref())
        .filter(|_| discovery.web_app_override.is_none());
    let authorize_endpoint = match (advertised_page, &web_app) {
        (Some(raw), _) => {
            let base = checked_base_url(raw)
                .map_err(|e| unusable("oauth2.authorization_endpoint", reason_of(e)))?;
            Url::parse(&base)
                .map_err(|e| unusable("oauth2.authorization_endpoint", e.to_string()))?
        }
        (None, Some(web)) => join(web, "oauth2/authorize"),
        (None, None) => {
            let api =
                Url::parse(&api_base).map_err(|e| unusable("endpoints.api", e.to_string()))?;
            join(&api, "oauth2/authorize")
        }
    };
    Ok(Instance {
        instance_url: instance.to_owned(),
        document,
        api_base,
        api_base_overridden,
        web_app,
        authorize_endpoint,
    })
}

/// A web address checked by the transport rule.
fn web_url(raw: &str) -> Result<Url, Error> {
    let checked = checked_base_url(raw)?;
    Url::parse(&checked).map_err(|e| Error::InvalidInput {
        operation: "discovery",
        message: e.to_string(),
    })
}

/// `base` with `path` appended as segments.
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(path.split('/'));
    }
    url
}

impl fmt::Display for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (API {})", self.instance_url, self.api_base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(json: &str) -> Result<Instance, DiscoveryError> {
        Instance::from_document("https://chat.example.org", json.as_bytes())
    }

    #[test]
    fn webapp_then_api_for_the_consent_page() {
        let i = doc(r#"{"endpoints":{"api":"https://chat.example.org/api"}}"#).unwrap();
        assert_eq!(
            i.authorize_endpoint().as_str(),
            "https://chat.example.org/api/oauth2/authorize"
        );
        assert!(i.web_app_base().is_none());
        let i = doc(
            r#"{"endpoints":{"api":"https://chat.example.org/api","webapp":"https://web.example.org/app/"}}"#,
        )
        .unwrap();
        assert_eq!(
            i.authorize_endpoint().as_str(),
            "https://web.example.org/app/oauth2/authorize"
        );
    }

    #[test]
    fn the_oauth2_block_wins_when_present() {
        let i = doc(
            r#"{"endpoints":{"api":"https://a.example/v1","webapp":"https://w.example"},
                "oauth2":{"authorization_endpoint":"https://login.example/consent","scopes_supported":["identify","bot","x y"]}}"#,
        )
        .unwrap();
        assert_eq!(
            i.authorize_endpoint().as_str(),
            "https://login.example/consent"
        );
        assert_eq!(i.scopes_supported().unwrap().to_string(), "identify bot");
    }

    #[test]
    fn insecure_or_broken_addresses_are_refused() {
        for (json, field) in [
            (
                r#"{"endpoints":{"api":"http://api.example.org/v1"}}"#,
                "endpoints.api",
            ),
            (r#"{"endpoints":{"api":"not a url"}}"#, "endpoints.api"),
            (
                r#"{"endpoints":{"api":"https://a.example","webapp":"http://w.example"}}"#,
                "endpoints.webapp",
            ),
            (
                r#"{"endpoints":{"api":"https://a.example"},"oauth2":{"authorization_endpoint":"http://evil.example/x"}}"#,
                "oauth2.authorization_endpoint",
            ),
        ] {
            match doc(json) {
                Err(DiscoveryError::UnusableEndpoint { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{json}: {other:?}"),
            }
        }
        assert!(matches!(doc("{}"), Err(DiscoveryError::Malformed { .. })));
        assert!(matches!(
            Instance::from_document("http://chat.example.org", b"{}"),
            Err(DiscoveryError::InstanceUrl { .. })
        ));
    }

    #[test]
    fn captcha_none_is_no_provider() {
        let i = doc(r#"{"endpoints":{"api":"https://a.example"},"captcha":{"provider":"none"}}"#)
            .unwrap();
        assert_eq!(i.captcha_provider(), None);
    }
}
