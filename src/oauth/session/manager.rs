//! The public face of the token manager: [`TokenManager`], its builder and its calls. The protocol
//! behind them is in [`super::refresh`].

use std::{fmt, future::Future, sync::Arc, time::Duration};

use http::Method;
use serde::de::DeserializeOwned;

use crate::{
    Credential, Error, FluxerClient, Secret,
    oauth::{ClientCredentials, Clock, SystemClock, TokenSet, TokenStore, bearer},
};

use super::refresh::{Inner, Settings};

/// How long before expiry the access token is refreshed, by default.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The least refresh lease `ttl` (see [`TokenStore::lock_refresh`]). The default is the longest a
/// refresh call can take with the client's timeout and retry policy, plus 10 s, and never less than
/// this: a lease that ran out while the refresh was still under way would let another replica spend
/// the same refresh token.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(60);

/// Keeps one user's OAuth2 token pair valid and makes calls with its access token.
///
/// Cheap to clone; clones share everything. Build one per user with [`TokenManager::builder`]. It
/// runs on a Tokio runtime (a refresh runs in a task of its own).
///
/// ```no_run
/// # async fn demo(tokens: fluxer_oauth2::oauth::TokenSet) -> Result<(), fluxer_oauth2::Error> {
/// use std::sync::Arc;
/// use fluxer_oauth2::{FluxerClient, oauth::{ClientCredentials, TokenManager, MemoryStore}};
///
/// let client = FluxerClient::builder().build()?;
/// let credentials = ClientCredentials::new("1574449618593251330", "client-secret")?;
/// let manager = TokenManager::builder(client, credentials, Arc::new(MemoryStore::new()), Some(tokens))
///     .build()
///     .await?;
///
/// // A typed call: refreshed ahead of expiry, and once more (with one retry) after a 401.
/// let me = manager.call(|c| async move { c.get_current_user().send().await }).await?;
/// println!("signed in as {}", me.username);
///
/// // A client for several calls; it knows the granted scopes.
/// let guilds = manager.client().await?.list_current_user_guilds().send().await?;
/// println!("in {} guilds", guilds.len());
///
/// // An endpoint the spec does not have, through the untyped escape hatch.
/// let roles: serde_json::Value = manager.get_json("/guilds/1574449618593251330/roles").await?;
/// # let _ = roles;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenManager {
    inner: Arc<Inner>,
}

/// Settings for a [`TokenManager`].
#[derive(Debug)]
pub struct TokenManagerBuilder {
    client: FluxerClient,
    credentials: ClientCredentials,
    store: Arc<dyn TokenStore>,
    initial: Option<TokenSet>,
    margin: Duration,
    clock: Arc<dyn Clock>,
    lease_ttl: Option<Duration>,
}

impl TokenManagerBuilder {
    /// How long before its expiry the access token is refreshed (60 s by default). Keep it far below
    /// the token lifetime (7 days).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// The clock that decides whether the access token is expiring ([`SystemClock`] by default).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The `ttl` given to [`TokenStore::lock_refresh`] (60 s by default): how long a refresh may hold
    /// the store's lease, or wait for it, depending on the store.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = Some(ttl);
        self
    }

    /// Loads the store and builds the manager.
    ///
    /// The stored pair wins over `initial`: it may be newer (another replica may have refreshed it),
    /// and a stale refresh token, once spent by mistake, would end the user's session. `initial` only
    /// seeds an empty store; install the pair of a new authorization with [`TokenManager::replace`].
    ///
    /// Fails with [`Error::Store`] when the store cannot be read, and with
    /// [`Error::ReauthorizationRequired`] when it is empty and no `initial` pair was given. If the
    /// seed cannot be saved, the manager is built anyway and saves it on the first call.
    pub async fn build(self) -> Result<TokenManager, Error> {
        let longest = self.client.api().inner.shared.longest_call();
        let lease_ttl = match self.lease_ttl {
            Some(ttl) => {
                if ttl <= longest {
                    tracing::warn!(
                        lease_ttl_ms = ttl.as_millis() as u64,
                        longest_call_ms = longest.as_millis() as u64,
                        "the refresh lease is shorter than the longest refresh call: another replica \
                         could refresh with the same token while this one still waits"
                    );
                }
                ttl
            }
            None => longest
                .saturating_add(Duration::from_secs(10))
                .max(DEFAULT_LEASE_TTL),
        };
        let inner = Inner::open(
            Settings {
                client: self.client,
                credentials: self.credentials,
                store: self.store,
                clock: self.clock,
                margin: self.margin,
                lease_ttl,
            },
            self.initial,
        )
        .await?;
        Ok(TokenManager { inner })
    }
}

impl TokenManager {
    /// A builder for a manager of one user's pair.
    ///
    /// - `client` makes the refresh calls (the token endpoint takes no credential) and lends its
    ///   connection pool and settings to the bearer calls.
    /// - `credentials` are the application's, for the refresh.
    /// - `store` holds the pair; share it between the replicas of the application.
    /// - `initial` seeds an empty store (see [`TokenManagerBuilder::build`]).
    pub fn builder(
        client: FluxerClient,
        credentials: ClientCredentials,
        store: Arc<dyn TokenStore>,
        initial: Option<TokenSet>,
    ) -> TokenManagerBuilder {
        TokenManagerBuilder {
            client,
            credentials,
            store,
            initial,
            margin: DEFAULT_REFRESH_MARGIN,
            clock: Arc::new(SystemClock),
            lease_ttl: None,
        }
    }

    /// A valid access token.
    ///
    /// While the token is more than the refresh margin from expiry this is a read of shared state
    /// (concurrent callers do not wait for each other). Otherwise the pair is refreshed (one refresh
    /// for all concurrent callers), saved to the store, and only then handed out.
    ///
    /// # Errors
    ///
    /// [`Error::ReauthorizationRequired`] when the refresh token was refused; [`Error::Store`] when
    /// the store failed (a refreshed pair is kept and saved on the next call); the refresh call's
    /// errors otherwise.
    pub async fn access_token(&self) -> Result<Secret, Error> {
        self.inner.current().await.map(|(token, _)| token)
    }

    /// A [`FluxerClient`] that sends a valid access token (refreshed first when it was expiring),
    /// on the same connection pool, and knows the scopes the token was granted: every typed call
    /// of the spec is available on it, and one that needs a scope the user did not grant fails
    /// with [`Error::MissingScope`] before anything is sent.
    ///
    /// The client does not refresh anything itself: take a new one for later calls, or use
    /// [`TokenManager::call`] for calls that should survive a refused token.
    ///
    /// ```no_run
    /// # async fn demo(manager: fluxer_oauth2::oauth::TokenManager) -> Result<(), fluxer_oauth2::Error> {
    /// let user = manager.client().await?;
    /// let me = user.get_current_user().send().await?;
    /// let guilds = user.list_current_user_guilds().with_counts(true).send().await?;
    /// println!("{} is in {} guilds", me.username, guilds.len());
    /// # Ok(()) }
    /// ```
    pub async fn client(&self) -> Result<FluxerClient, Error> {
        let token = self.access_token().await?;
        Ok(self.bearer_client(token))
    }

    /// Runs an operation that takes the access token, with a valid token.
    ///
    /// If the operation answers 401 ([`Error::Api`] with status 401), the pair is refreshed (forced,
    /// even if not near expiry, but only if the refused token is still the current one; otherwise the
    /// current one is used) and the operation runs once more. `f` may therefore run twice.
    ///
    /// ```no_run
    /// # async fn demo(manager: fluxer_oauth2::oauth::TokenManager) -> Result<(), fluxer_oauth2::Error> {
    /// let me = manager.call(|c| async move { c.get_oauth2_userinfo().send().await }).await?;
    /// let grant = manager.call(|c| async move { c.get_current_user_oauth2().send().await }).await?;
    /// # let _ = (me, grant);
    /// # Ok(()) }
    /// ```
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        F: Fn(FluxerClient) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        self.with_bearer(|token| f(self.bearer_client(token))).await
    }

    /// `GET {base_url}{path}` with the access token, decoded from JSON; see
    /// [`TokenManager::request_json`].
    ///
    /// ```no_run
    /// # async fn demo(manager: fluxer_oauth2::oauth::TokenManager) -> Result<(), fluxer_oauth2::Error> {
    /// #[derive(serde::Deserialize)]
    /// struct Me { id: String, username: String }
    ///
    /// let me: Me = manager.get_json("/users/@me").await?;
    /// let guilds: Vec<serde_json::Value> = manager.get_json("/users/@me/guilds").await?;
    /// println!("{} ({}) is in {} guilds", me.username, me.id, guilds.len());
    /// # Ok(()) }
    /// ```
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.request(OP_GET_JSON, Method::GET, path, None).await
    }

    /// Sends `method {base_url}{path}` with `Authorization: Bearer <access token>` and an optional
    /// JSON body, and decodes the JSON answer: the escape hatch for endpoints without a typed method.
    ///
    /// - `path` must be a path relative to the base URL, starting with `/` (a query is allowed):
    ///   anything that could lead elsewhere (`//host`, `..`, a scheme, a fragment, spaces or control
    ///   characters) is refused before any traffic, so the token only ever goes to the API.
    /// - Answers are handled as the typed calls handle them: the same connection pool, timeouts and
    ///   response size cap, 429 retries within the client's [`crate::RetryPolicy`], and the same
    ///   [`Error`] for error bodies. An empty success body decodes as JSON `null` (use `()` or
    ///   `Option<_>` for a 204).
    /// - A 401 refreshes the pair and retries once, as [`TokenManager::call`] does.
    pub async fn request_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, Error> {
        self.request(OP_REQUEST_JSON, method, path, body).await
    }

    /// A snapshot of the pair the manager holds (which may be a refreshed pair not yet saved).
    pub fn tokens(&self) -> TokenSet {
        self.inner.read().tokens.as_ref().clone()
    }

    /// Whether the refresh token was refused and the user must authorize again.
    pub fn needs_reauthorization(&self) -> bool {
        self.inner.read().health.needs_reauthorization()
    }

    /// Installs a new pair (from a new authorization) and saves it, replacing whatever the store
    /// holds. This also revives a manager that needed reauthorization.
    ///
    /// If the store fails, the pair is kept, [`Error::Store`] is returned, and the next call saves it.
    pub async fn replace(&self, tokens: TokenSet) -> Result<(), Error> {
        self.inner.replace(tokens).await
    }

    /// Saves a pending pair, then adopts the stored pair if another process saved a different one.
    /// Use it to revive a manager that needed reauthorization after another replica installed a new
    /// authorization.
    pub async fn reload(&self) -> Result<(), Error> {
        self.inner.reload().await
    }

    /// A client sending `token`, knowing its granted scopes when it is the current token.
    fn bearer_client(&self, token: Secret) -> FluxerClient {
        let scopes = {
            let state = self.inner.read();
            (state.tokens.access_token == token).then(|| state.tokens.scopes())
        };
        match scopes {
            Some(scopes) => self.inner.settings.client.with_scoped_bearer(token, scopes),
            None => self
                .inner
                .settings
                .client
                .with_credential(Credential::bearer(token)),
        }
    }

    /// Runs `f` with a valid token; after a 401, refreshes (unless another token is current already)
    /// and runs it once more.
    async fn with_bearer<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let (token, generation) = self.inner.current().await?;
        match f(token).await {
            Err(Error::Api {
                status: 401,
                operation,
                ..
            }) => {
                tracing::debug!(
                    operation,
                    "the access token was refused: refreshing, then trying once more"
                );
                let (token, _) = self.inner.after_rejection(generation).await?;
                f(token).await
            }
            other => other,
        }
    }

    async fn request<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<T, Error> {
        let url = bearer::relative_url(operation, self.inner.settings.client.base_url(), path)?;
        self.with_bearer(|token| {
            bearer::send_json(
                &self.inner.settings.client,
                operation,
                method.clone(),
                url.clone(),
                body,
                token,
            )
        })
        .await
    }
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let state = inner.read();
        f.debug_struct("TokenManager")
            .field("store", &inner.settings.store)
            .field("version", &state.version)
            .field("generation", &state.generation)
            .field("expires_at", &state.tokens.expires_at)
            .field("unsaved", &state.unsaved.is_some())
            .field(
                "needs_reauthorization",
                &state.health.needs_reauthorization(),
            )
            .field("refresh_margin", &inner.settings.margin)
            .field("lease_ttl", &inner.settings.lease_ttl)
            .field("clock", &inner.settings.clock)
            .finish_non_exhaustive()
    }
}

const OP_GET_JSON: &str = "TokenManager::get_json";
const OP_REQUEST_JSON: &str = "TokenManager::request_json";

const _: fn() = || {
    fn is<T: Send + Sync + 'static>() {}
    is::<TokenManager>();
};
