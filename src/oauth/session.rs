//! [`TokenManager`]: a user's OAuth2 token pair kept valid for calls made on the user's behalf,
//! refreshed ahead of expiry once (however many callers ask at once), saved to a shared
//! [`TokenStore`] before a new access token is handed out, and coordinated with the other processes
//! that share the store.
//!
//! Fluxer access tokens last 7 days; refresh tokens are strictly single-use (the old one answers
//! `invalid_grant` after a successful refresh, with no grace window), and `invalid_grant` on a
//! refresh means the user must authorize the application again. The manager is built around those
//! facts:
//!
//! - **One refresh per pair.** In one process, concurrent callers share one refresh (single flight);
//!   across processes, the store's lease and its version check (see [`TokenStore`]) let only one
//!   replica spend the refresh token, and the others adopt the pair it saved.
//! - **Nothing is lost.** The new pair is saved before its access token is handed out. If the save
//!   fails, the caller gets [`Error::Store`], the new pair stays in memory, and the next call saves
//!   it before doing anything else: the spent refresh token is never sent again. The refresh runs in
//!   its own task, so a caller that gives up (a timeout, a dropped request) cannot drop a pair the
//!   server already issued.
//! - **A refused refresh token is final.** After `invalid_grant` the manager checks the store once
//!   (another replica may have refreshed); if the store has nothing newer, every call returns
//!   [`Error::ReauthorizationRequired`] at once, without traffic, until [`TokenManager::replace`]
//!   or [`TokenManager::reload`] brings a new pair.

use std::{
    fmt,
    future::Future,
    sync::{
        Arc, RwLock, RwLockReadGuard, RwLockWriteGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use http::Method;
use serde::de::DeserializeOwned;

use crate::{
    Credential, Error, FluxerClient, OAuthErrorKind, Secret,
    oauth::{
        ClientCredentials, Clock, RefreshLease, SaveOutcome, StoredTokens, SystemClock, TokenSet,
        TokenStore,
    },
};

/// How long before expiry the access token is refreshed, by default.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The least refresh lease `ttl` (see [`TokenStore::lock_refresh`]). The default is the longest a
/// refresh call can take with the client's timeout and retry policy, plus 10 s, and never less than
/// this: a lease that ran out while the refresh was still under way would let another replica spend
/// the same refresh token.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(60);

/// How many times a save that must replace the stored pair is tried when the store keeps changing.
const MAX_SAVE_ROUNDS: usize = 4;

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
        let stored = self.store.load().await?;
        let state = match (stored, self.initial) {
            (Some(stored), initial) => {
                if initial.is_some_and(|t| t != stored.tokens) {
                    tracing::debug!(
                        version = stored.version,
                        "the store holds a token pair: using it, not the one given"
                    );
                }
                State::new(stored.tokens, Some(stored.version), None)
            }
            (None, Some(tokens)) => State::new(tokens, None, Some(Unsaved { overwrite: false })),
            (None, None) => {
                return Err(Error::ReauthorizationRequired {
                    description: "the token store is empty and no token pair was given".to_owned(),
                });
            }
        };
        let seed = state.unsaved.is_some();
        let inner = Arc::new(Inner {
            client: self.client,
            credentials: self.credentials,
            store: self.store,
            clock: self.clock,
            margin: self.margin,
            lease_ttl,
            state: RwLock::new(state),
            flight: tokio::sync::Mutex::new(Flight::default()),
            finished: AtomicU64::new(0),
        });
        if seed {
            let mut flight = inner.flight.lock().await;
            if let Err(e) = inner.save_unsaved(&mut flight).await {
                tracing::warn!(error = %e, "could not save the initial token pair; it is saved on the next call");
            }
        }
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
        self.current().await.map(|(token, _)| token)
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
        self.inner.read().dead.is_some()
    }

    /// Installs a new pair (from a new authorization) and saves it, replacing whatever the store
    /// holds. This also revives a manager that needed reauthorization.
    ///
    /// If the store fails, the pair is kept, [`Error::Store`] is returned, and the next call saves it.
    pub async fn replace(&self, tokens: TokenSet) -> Result<(), Error> {
        let inner = &self.inner;
        let mut flight = inner.flight.lock().await;
        flight.failure = None;
        let base = match inner.store.load().await {
            Ok(stored) => stored.map(|s| s.version),
            Err(e) => {
                let version = inner.read().version;
                inner.install(tokens, version, Some(Unsaved { overwrite: true }));
                return Err(e.into());
            }
        };
        inner.install(tokens, base, Some(Unsaved { overwrite: true }));
        inner.save_unsaved(&mut flight).await
    }

    /// Saves a pending pair, then adopts the stored pair if another process saved a different one.
    /// Use it to revive a manager that needed reauthorization after another replica installed a new
    /// authorization.
    pub async fn reload(&self) -> Result<(), Error> {
        let inner = &self.inner;
        let mut flight = inner.flight.lock().await;
        inner.save_unsaved(&mut flight).await?;
        if let Some(stored) = inner.store.load().await?
            && Some(stored.version) != inner.read().version
        {
            flight.failure = None;
            let version = stored.version;
            inner.adopt(stored);
            tracing::info!(version, "adopted the token pair in the store");
        }
        Ok(())
    }

    /// A client sending `token`, knowing its granted scopes when it is the current token.
    fn bearer_client(&self, token: Secret) -> FluxerClient {
        let scopes = {
            let state = self.inner.read();
            (state.tokens.access_token == token).then(|| state.tokens.scopes())
        };
        match scopes {
            Some(scopes) => self.inner.client.with_scoped_bearer(token, scopes),
            None => self.inner.client.with_credential(Credential::bearer(token)),
        }
    }

    /// A valid access token and the generation it belongs to.
    async fn current(&self) -> Result<(Secret, u64), Error> {
        match self.inner.look()? {
            Look::Fresh(token, generation) => Ok((token, generation)),
            Look::Stale(seen) => self.settle(Need::Fresh { seen }).await,
        }
    }

    /// Runs the slow path in its own task: a refresh whose answer arrived must be installed and saved
    /// even if the caller stops waiting.
    async fn settle(&self, need: Need) -> Result<(Secret, u64), Error> {
        let inner = self.inner.clone();
        let arrived = inner.finished.load(Ordering::SeqCst);
        match tokio::spawn(async move { inner.settle(need, arrived).await }).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::Store(crate::error::StoreFailure::new(
                "the token refresh was cancelled: the runtime is shutting down",
            ))),
        }
    }

    /// Runs `f` with a valid token; after a 401, refreshes (unless another token is current already)
    /// and runs it once more.
    async fn with_bearer<T, F, Fut>(&self, f: F) -> Result<T, Error>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let (token, generation) = self.current().await?;
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
                let (token, _) = self.settle(Need::Rejected { seen: generation }).await?;
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
        let url = super::bearer::relative_url(operation, self.inner.client.base_url(), path)?;
        self.with_bearer(|token| {
            super::bearer::send_json(
                &self.inner.client,
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
            .field("store", &inner.store)
            .field("version", &state.version)
            .field("generation", &state.generation)
            .field("expires_at", &state.tokens.expires_at)
            .field("unsaved", &state.unsaved.is_some())
            .field("needs_reauthorization", &state.dead.is_some())
            .field("refresh_margin", &inner.margin)
            .field("lease_ttl", &inner.lease_ttl)
            .field("clock", &inner.clock)
            .finish_non_exhaustive()
    }
}

const OP_GET_JSON: &str = "TokenManager::get_json";
const OP_REQUEST_JSON: &str = "TokenManager::request_json";

struct Inner {
    client: FluxerClient,
    credentials: ClientCredentials,
    store: Arc<dyn TokenStore>,
    clock: Arc<dyn Clock>,
    margin: Duration,
    lease_ttl: Duration,
    /// What callers read; written only by a holder of `flight`.
    state: RwLock<State>,
    /// Held by the one task that may change the pair (single flight).
    flight: tokio::sync::Mutex<Flight>,
    /// How many slow-path runs have finished, to share a failure with the callers that waited for it.
    finished: AtomicU64,
}

/// What the single-flight holder keeps between runs.
#[derive(Default)]
struct Flight {
    /// The store's lease, kept while a refreshed pair is not saved yet, so that no other process
    /// spends the refresh token this one already spent.
    lease: Option<Box<dyn RefreshLease>>,
    /// The latest run's failure and its number, for the callers that waited for that run.
    failure: Option<(u64, Error)>,
}

struct State {
    tokens: Arc<TokenSet>,
    /// The store's version of `tokens`; for an unsaved pair, the version it is to replace.
    version: Option<u64>,
    /// Grows by one whenever `tokens` change.
    generation: u64,
    /// Set while `tokens` are not in the store yet: their access token is not handed out.
    unsaved: Option<Unsaved>,
    /// The refresh token was refused, but the store could not be checked for a newer pair yet.
    refused: Option<String>,
    /// The refresh token was refused and the store has nothing newer: the user must authorize again.
    dead: Option<String>,
    /// When this manager last refreshed (its clock): refreshes are held to one per half margin.
    refreshed_at: Option<std::time::SystemTime>,
}

#[derive(Clone, Copy, Debug)]
struct Unsaved {
    /// Whether the pair replaces whatever the store holds (a new authorization) rather than the
    /// version it was refreshed from.
    overwrite: bool,
}

impl State {
    fn new(tokens: TokenSet, version: Option<u64>, unsaved: Option<Unsaved>) -> Self {
        Self {
            tokens: Arc::new(tokens),
            version,
            generation: 0,
            unsaved,
            refused: None,
            dead: None,
            refreshed_at: None,
        }
    }
}

/// What a caller needs from the slow path.
#[derive(Clone, Copy, Debug)]
enum Need {
    /// A token that is not expiring; `seen` is the generation the caller found expiring.
    Fresh { seen: u64 },
    /// A token other than the one of generation `seen`, which the server refused.
    Rejected { seen: u64 },
}

enum Look {
    Fresh(Secret, u64),
    Stale(u64),
}

impl Inner {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The fast path: a shared read.
    fn look(&self) -> Result<Look, Error> {
        let state = self.read();
        if let Some(description) = &state.dead {
            return Err(reauthorization(description));
        }
        let usable = state.unsaved.is_none()
            && state.refused.is_none()
            && !state.tokens.expires_within(self.margin, self.clock.now());
        Ok(if usable {
            Look::Fresh(state.tokens.access_token.clone(), state.generation)
        } else {
            Look::Stale(state.generation)
        })
    }

    /// Whether the state already meets the need (another caller did the work meanwhile).
    fn satisfied(&self, need: Need) -> Result<Option<(Secret, u64)>, Error> {
        let state = self.read();
        if let Some(description) = &state.dead {
            return Err(reauthorization(description));
        }
        if state.unsaved.is_some() || state.refused.is_some() {
            return Ok(None);
        }
        let now = self.clock.now();
        let met = match need {
            Need::Fresh { seen } => {
                !state.tokens.expires_within(self.margin, now)
                    // A pair refreshed meanwhile is used even inside the margin (a short-lived token
                    // must not cause one refresh per waiting caller).
                    || (state.generation != seen && state.tokens.expires_at > now)
            }
            Need::Rejected { seen } => state.generation != seen,
        };
        Ok(met.then(|| (state.tokens.access_token.clone(), state.generation)))
    }

    /// The slow path, under the single-flight lock.
    async fn settle(&self, need: Need, arrived: u64) -> Result<(Secret, u64), Error> {
        let mut flight = self.flight.lock().await;
        if let Some((run, error)) = &flight.failure
            && *run > arrived
        {
            // The run this caller waited for failed: share its outcome rather than start another.
            return Err(error.clone());
        }
        if let Some(hit) = self.satisfied(need)? {
            return Ok(hit);
        }
        let result = self.work(need, &mut flight).await;
        let run = self.finished.fetch_add(1, Ordering::SeqCst) + 1;
        flight.failure = result.as_ref().err().map(|e| (run, e.clone()));
        result
    }

    async fn work(&self, need: Need, flight: &mut Flight) -> Result<(Secret, u64), Error> {
        if self.read().unsaved.is_some() {
            self.save_unsaved(flight).await?;
            if let Some(hit) = self.satisfied(need)? {
                return Ok(hit);
            }
        }
        // A lease is kept only while a pair is unsaved, and saving it released the lease; should one
        // still be held, it is this process's: use it rather than wait for it.
        let lease = match flight.lease.take() {
            Some(lease) => lease,
            None => self.store.lock_refresh(self.lease_ttl).await?,
        };
        let (result, keep_lease) = self.under_lease(need).await;
        if keep_lease {
            flight.lease = Some(lease);
        } else {
            release(lease).await;
        }
        result
    }

    /// Steps 2 to 4 of the protocol (see [`TokenStore`]): re-load, refresh if still needed, save.
    /// The flag says whether the lease must be kept (the new pair is not saved).
    async fn under_lease(&self, need: Need) -> (Result<(Secret, u64), Error>, bool) {
        let stored = match self.store.load().await {
            Ok(stored) => stored,
            Err(e) => return (Err(e.into()), false),
        };
        let (held_version, refused) = {
            let state = self.read();
            (state.version, state.refused.clone())
        };
        match stored {
            Some(stored) if Some(stored.version) != held_version => {
                let version = stored.version;
                let adopted = self.adopt(stored);
                tracing::info!(version, "adopted the token pair another process saved");
                let expiring = self
                    .read()
                    .tokens
                    .expires_within(self.margin, self.clock.now());
                if matches!(need, Need::Rejected { .. }) || !expiring {
                    return (Ok(adopted), false);
                }
                // The adopted pair is expiring too; this process holds the lease and the latest
                // version, so it refreshes that pair.
            }
            _ => {
                if let Some(description) = refused {
                    self.kill(&description);
                    return (Err(reauthorization(&description)), false);
                }
            }
        }
        self.refresh().await
    }

    async fn refresh(&self) -> (Result<(Secret, u64), Error>, bool) {
        let (base, base_version) = {
            let state = self.read();
            (state.tokens.clone(), state.version)
        };
        let sent_at = self.clock.now();
        // A server that issues pairs already inside the margin (expires_in <= 0, or absurd) would
        // have every call refresh: hold refreshes to one per half margin and say why.
        let last = self.read().refreshed_at;
        if let Some(last) = last
            && last
                .checked_add(self.margin / 2)
                .is_some_and(|next| sent_at < next)
        {
            return (
                Err(Error::TokenLifetimeTooShort {
                    lifetime: base.expires_in,
                    margin: self.margin,
                }),
                false,
            );
        }
        self.write().refreshed_at = Some(sent_at);
        tracing::debug!(version = base_version, "refreshing the token pair");
        match self
            .client
            .refresh_token(&self.credentials, &base.refresh_token)
            .await
        {
            Ok(mut tokens) => {
                // Expiry by this manager's clock, from before the request: never later than the truth.
                if let Some(expires_at) = sent_at.checked_add(tokens.expires_in) {
                    tokens.expires_at = expires_at;
                }
                match self.store.save(&tokens, base_version).await {
                    Ok(SaveOutcome::Saved { version }) => {
                        tracing::info!(version, "refreshed and saved the token pair");
                        (Ok(self.install(tokens, Some(version), None)), false)
                    }
                    Ok(SaveOutcome::Conflict { current }) => {
                        tracing::warn!(
                            version = current.version,
                            "another process saved a token pair while this one refreshed: using the stored pair"
                        );
                        (Ok(self.adopt(current)), false)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not save the refreshed token pair; it is kept and saved on the next call");
                        self.install(tokens, base_version, Some(Unsaved { overwrite: false }));
                        (Err(e.into()), true)
                    }
                }
            }
            Err(Error::OAuth {
                kind: OAuthErrorKind::InvalidGrant,
                description,
                ..
            }) => {
                let description = description.unwrap_or_else(|| "invalid_grant".to_owned());
                // Another process may have refreshed (and spent the token) just now.
                match self.store.load().await {
                    Ok(Some(stored)) if Some(stored.version) != base_version => {
                        tracing::info!(
                            version = stored.version,
                            "the refresh token was spent by another process: using the pair it saved"
                        );
                        (Ok(self.adopt(stored)), false)
                    }
                    Ok(_) => {
                        tracing::warn!(
                            "the refresh token was refused: the user must authorize again"
                        );
                        self.kill(&description);
                        (Err(reauthorization(&description)), false)
                    }
                    Err(e) => {
                        self.write().refused = Some(description);
                        (Err(e.into()), false)
                    }
                }
            }
            Err(e) => (Err(e), false),
        }
    }

    /// Saves a pair that is not in the store yet, if there is one; releases the kept lease once the
    /// store holds a pair this process can use.
    async fn save_unsaved(&self, flight: &mut Flight) -> Result<(), Error> {
        for _ in 0..MAX_SAVE_ROUNDS {
            let (tokens, expected, unsaved) = {
                let state = self.read();
                match state.unsaved {
                    None => return Ok(()),
                    Some(unsaved) => (state.tokens.clone(), state.version, unsaved),
                }
            };
            match self.store.save(&tokens, expected).await? {
                SaveOutcome::Saved { version } => {
                    let mut state = self.write();
                    state.version = Some(version);
                    state.unsaved = None;
                    drop(state);
                    tracing::info!(version, "saved the token pair");
                }
                SaveOutcome::Conflict { current } if unsaved.overwrite => {
                    self.write().version = Some(current.version);
                    continue;
                }
                SaveOutcome::Conflict { current } => {
                    tracing::warn!(
                        version = current.version,
                        "another process saved a token pair first: using the stored pair"
                    );
                    self.adopt(current);
                }
            }
            if let Some(lease) = flight.lease.take() {
                release(lease).await;
            }
            return Ok(());
        }
        Err(Error::Store(crate::error::StoreFailure::new(
            "the stored token pair kept changing while the new pair was being saved",
        )))
    }

    /// Takes a pair from the store.
    fn adopt(&self, stored: StoredTokens) -> (Secret, u64) {
        self.install(stored.tokens, Some(stored.version), None)
    }

    /// Replaces the pair; clears every refusal.
    fn install(
        &self,
        tokens: TokenSet,
        version: Option<u64>,
        unsaved: Option<Unsaved>,
    ) -> (Secret, u64) {
        let mut state = self.write();
        let token = tokens.access_token.clone();
        state.tokens = Arc::new(tokens);
        state.version = version;
        state.generation += 1;
        state.unsaved = unsaved;
        state.refused = None;
        state.dead = None;
        (token, state.generation)
    }

    fn kill(&self, description: &str) {
        let mut state = self.write();
        state.dead = Some(description.to_owned());
        state.refused = None;
    }
}

fn reauthorization(description: &str) -> Error {
    Error::ReauthorizationRequired {
        description: description.to_owned(),
    }
}

async fn release(lease: Box<dyn RefreshLease>) {
    if let Err(e) = lease.release().await {
        tracing::warn!(error = %e, "could not release the refresh lease");
    }
}

const _: fn() = || {
    fn is<T: Send + Sync + 'static>() {}
    is::<TokenManager>();
};
