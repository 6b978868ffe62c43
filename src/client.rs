//! `FluxerClient` and its builder: one connection pool, one credential, and the settings every call
//! shares (base URL, timeouts, retries, response size cap).

use std::{sync::Arc, time::Duration};

use crate::{
    Credential, Error, generated,
    hooks::{
        ClientState, DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES, Pacer, SESSION_MIN_INTERVAL,
        Shared,
    },
    ratelimit::RetryPolicy,
};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://api.fluxer.app/v1";

/// A client of the Fluxer API, holding one credential.
///
/// Cheap to clone; clones share the connection pool. [`FluxerClient::with_credential`] makes a client
/// for another credential on the same pool, e.g. an application's bot token beside a user's access token.
///
/// ```no_run
/// # async fn demo() -> Result<(), fluxer_oauth2::Error> {
/// use fluxer_oauth2::{Credential, FluxerClient};
///
/// let bot = FluxerClient::new(Credential::bot("1234.secret"))?;
/// let app = bot.get_current_user_applications().send().await?;
/// println!("{} is owned by {}", app.name, app.owner.username);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct FluxerClient {
    pub(crate) api: generated::Client,
}

impl FluxerClient {
    /// A client for the production API with default settings.
    pub fn new(credential: Credential) -> Result<Self, Error> {
        Self::builder().credential(credential).build()
    }

    /// A builder for the settings.
    pub fn builder() -> FluxerClientBuilder {
        FluxerClientBuilder::default()
    }

    /// A client for another credential (or none) on the same connection pool and settings. A sudo-mode
    /// token is not carried over: it belongs to the user of the original credential; nor are granted
    /// scopes ([`FluxerClient::with_token_set`] sets them). What discovery learnt is kept.
    pub fn with_credential(&self, credential: impl Into<Option<Credential>>) -> Self {
        let mut inner = ClientState::new(credential.into(), self.api.inner.shared.clone());
        inner.instance.clone_from(&self.api.inner.instance);
        Self {
            api: generated::Client::new_with_client(
                &self.api.baseurl,
                self.api.client.clone(),
                inner,
            ),
        }
    }

    /// The generated client underneath, for calls this wrapper does not cover. Its hooks still set the
    /// header, check the credential, honour 429s and cap responses; its errors are progenitor's.
    pub fn api(&self) -> &generated::Client {
        &self.api
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.api.baseurl
    }

    /// The credential kind this client sends, if any.
    pub fn credential_kind(&self) -> Option<crate::CredentialKind> {
        self.api.inner.credential.as_ref().map(Credential::kind)
    }
}

/// Settings for a [`FluxerClient`].
#[derive(Clone, Debug)]
pub struct FluxerClientBuilder {
    base_url: String,
    credential: Option<Credential>,
    connect_timeout: Duration,
    timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    max_response_bytes: usize,
    http_client: Option<reqwest::Client>,
    call_timeout: Duration,
}

impl Default for FluxerClientBuilder {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            credential: None,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            user_agent: concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            http_client: None,
            call_timeout: DEFAULT_CALL_TIMEOUT,
        }
    }
}

impl FluxerClientBuilder {
    /// The API base, e.g. `https://api.fluxer.app/v1` (the default) or a self-hosted instance's.
    /// Plain `http` is refused unless the host is this machine.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The credential every call sends (none by default).
    pub fn credential(mut self, credential: Credential) -> Self {
        self.credential = Some(credential);
        self
    }

    /// How long opening a connection may take (10 s by default).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The deadline of a whole call: every attempt, every wait for a 429 and every connect retry
    /// (30 s by default). A call past it fails with [`Error::Transport`] (`TransportKind::Timeout`),
    /// or with [`Error::RateLimited`] when it would have had to wait out a 429 beyond it.
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// How long one attempt of a call may take in total (30 s by default; never more than what is
    /// left of [`FluxerClientBuilder::call_timeout`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The `User-Agent` (the crate's name and version by default).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// How 429 answers are retried (3 retries within 10 s by default).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The largest response body the client reads (4 MiB by default).
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Your own `reqwest::Client` (from the re-exported [`crate::reqwest`], so that the versions
    /// match), e.g. for a proxy, custom root certificates or a shared pool. The client's own
    /// settings then apply to connections; [`FluxerClientBuilder::connect_timeout`] and
    /// [`FluxerClientBuilder::user_agent`] are not used, while [`FluxerClientBuilder::timeout`]
    /// still bounds each attempt.
    ///
    /// Start from [`http_client_builder`], which has redirects off and the TLS provider set up.
    /// Redirects must stay off: a credential must never follow a redirect to another host. The
    /// crate's hooks refuse a redirect answer anyway ([`Error::Redirected`]), but a client that
    /// follows redirects would already have sent the request on.
    ///
    /// ```
    /// use fluxer_oauth2::{FluxerClient, http_client_builder, reqwest};
    ///
    /// let http = http_client_builder()
    ///     .proxy(reqwest::Proxy::all("http://127.0.0.1:3128").unwrap())
    ///     .build()
    ///     .unwrap();
    /// let client = FluxerClient::builder().http_client(http).build().unwrap();
    /// ```
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] for a base URL the URL policy refuses, a zero timeout or size cap,
    /// or a setting the HTTP stack refuses (e.g. a user agent with a line break).
    pub fn build(self) -> Result<FluxerClient, Error> {
        let base_url = checked_base_url(&self.base_url)?;
        self.check_settings()?;
        install_tls_provider();
        let http = match self.http_client {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout)
                .timeout(self.timeout)
                .user_agent(self.user_agent)
                // Credentials must never follow a redirect to another host; the API does not
                // redirect.
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| Error::InvalidInput {
                    operation: "FluxerClientBuilder::build",
                    message: format!("the HTTP client could not be set up: {e}"),
                })?,
        };
        let shared = Shared {
            retry: self.retry,
            max_response_bytes: self.max_response_bytes,
            timeout: self.timeout,
            call_timeout: self.call_timeout,
            session_pacer: Pacer::new(SESSION_MIN_INTERVAL),
        };
        let inner = ClientState::new(self.credential, Arc::new(shared));
        Ok(FluxerClient {
            api: generated::Client::new_with_client(&base_url, http, inner),
        })
    }
}

impl FluxerClientBuilder {
    /// Refuses settings that would make every call fail, with what to set instead. Large values are
    /// fine: every sum of durations and counts saturates.
    fn check_settings(&self) -> Result<(), Error> {
        let refuse = |message: &str| {
            Err(Error::InvalidInput {
                operation: "FluxerClientBuilder::build",
                message: message.to_owned(),
            })
        };
        if self.timeout.is_zero() {
            return refuse(
                "timeout is zero, so every call would time out: give a positive duration",
            );
        }
        if self.connect_timeout.is_zero() {
            return refuse(
                "connect_timeout is zero, so no connection could open: give a positive duration",
            );
        }
        if self.call_timeout.is_zero() {
            return refuse(
                "call_timeout is zero, so every call would time out: give a positive duration",
            );
        }
        if self.max_response_bytes == 0 {
            return refuse(
                "max_response_bytes is zero, so no answer could be read: give at least a few KiB",
            );
        }
        Ok(())
    }
}

/// A `reqwest::ClientBuilder` to customise (proxy, root certificates, pool) and hand to
/// [`FluxerClientBuilder::http_client`]: redirects off, and the TLS crypto provider the crate's
/// default `rustls-ring` feature needs installed (building a `reqwest::Client` without one panics).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

/// Parses the base URL: absolute, https (or http on this machine), no query or fragment.
pub(crate) fn checked_base_url(raw: &str) -> Result<String, Error> {
    let refuse = |message: String| Error::InvalidInput {
        operation: "FluxerClientBuilder::base_url",
        message,
    };
    if raw.len() > MAX_URL_BYTES {
        return Err(refuse(format!(
            "the base URL is {} bytes long, over the {MAX_URL_BYTES}-byte limit: give the API base only",
            raw.len()
        )));
    }
    // The URL is not quoted back: it may hold a password or a token pasted by mistake.
    let url = url::Url::parse(raw).map_err(|e| {
        refuse(format!(
            "the base URL is not an absolute URL ({e}), e.g. https://api.fluxer.app/v1"
        ))
    })?;
    let host = url
        .host_str()
        .unwrap_or_default()
        .chars()
        .take(64)
        .collect::<String>();
    match url.scheme() {
        "https" => {}
        "http" if is_local_host(&url) => {}
        "http" => {
            return Err(refuse(format!(
                "the base URL uses plain http to {host}, another machine, which would send credentials in clear: use https"
            )));
        }
        other => {
            let other: String = other.chars().take(16).collect();
            return Err(refuse(format!(
                "the base URL has scheme {other:?}; use https"
            )));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refuse(
            "the base URL has a user name or password in it; remove them (credentials go in Credential)".to_owned(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(refuse(format!(
            "the base URL for {host} has a query or fragment; give the API base only"
        )));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The longest base URL accepted.
pub(crate) const MAX_URL_BYTES: usize = 8 * 1024;

/// Whether the URL's host is this machine: `localhost`, `*.localhost`, or a loopback address.
pub(crate) fn is_local_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// With the `rustls-ring` feature, makes `ring` the process's rustls provider unless one is set already.
fn install_tls_provider() {
    #[cfg(feature = "rustls-ring")]
    {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
