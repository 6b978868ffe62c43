//! The refresh protocol behind a [`TokenManager`](super::TokenManager): one run at a time (single
//! flight), the store's lease and version check, saving a new pair before its access token is handed
//! out, adopting a pair another process saved, and what a refused refresh token leads to.

use std::{
    sync::{
        Arc, RwLock, RwLockReadGuard, RwLockWriteGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use crate::{
    Error, FluxerClient, OAuthErrorKind, Secret,
    oauth::{
        ClientCredentials, Clock, RefreshLease, SaveOutcome, StoredTokens, TokenSet, TokenStore,
    },
};

use super::state::{State, Unsaved};

/// How many times a save that must replace the stored pair is tried when the store keeps changing.
const MAX_SAVE_ROUNDS: usize = 4;

/// What a manager is made of besides its state (see `TokenManagerBuilder`).
pub(super) struct Settings {
    pub(super) client: FluxerClient,
    pub(super) credentials: ClientCredentials,
    pub(super) store: Arc<dyn TokenStore>,
    pub(super) clock: Arc<dyn Clock>,
    /// How long before its expiry the access token is refreshed.
    pub(super) margin: Duration,
    /// The `ttl` given to [`TokenStore::lock_refresh`].
    pub(super) lease_ttl: Duration,
}

/// Everything a manager and its clones share.
pub(super) struct Inner {
    pub(super) settings: Settings,
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
    /// Loads the store and builds the shared part of a manager; see `TokenManagerBuilder::build`
    /// (the stored pair wins over `initial`, which only seeds an empty store).
    pub(super) async fn open(
        settings: Settings,
        initial: Option<TokenSet>,
    ) -> Result<Arc<Self>, Error> {
        let stored = settings.store.load().await?;
        let state = match (stored, initial) {
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
            settings,
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
        Ok(inner)
    }

    pub(super) fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// A valid access token and the generation it belongs to.
    pub(super) async fn current(self: &Arc<Self>) -> Result<(Secret, u64), Error> {
        match self.look()? {
            Look::Fresh(token, generation) => Ok((token, generation)),
            Look::Stale(seen) => self.settle_detached(Need::Fresh { seen }).await,
        }
    }

    /// A token other than the one of generation `seen`, which the server refused (a 401): the pair
    /// is refreshed unless another one is current already.
    pub(super) async fn after_rejection(
        self: &Arc<Self>,
        seen: u64,
    ) -> Result<(Secret, u64), Error> {
        self.settle_detached(Need::Rejected { seen }).await
    }

    /// Installs a new pair and saves it over whatever the store holds (`TokenManager::replace`).
    pub(super) async fn replace(&self, tokens: TokenSet) -> Result<(), Error> {
        let mut flight = self.flight.lock().await;
        flight.failure = None;
        let base = match self.settings.store.load().await {
            Ok(stored) => stored.map(|s| s.version),
            Err(e) => {
                let version = self.read().version;
                self.install(tokens, version, Some(Unsaved { overwrite: true }));
                return Err(e.into());
            }
        };
        self.install(tokens, base, Some(Unsaved { overwrite: true }));
        self.save_unsaved(&mut flight).await
    }

    /// Saves a pending pair, then adopts the stored pair if it differs (`TokenManager::reload`).
    pub(super) async fn reload(&self) -> Result<(), Error> {
        let mut flight = self.flight.lock().await;
        self.save_unsaved(&mut flight).await?;
        if let Some(stored) = self.settings.store.load().await?
            && Some(stored.version) != self.read().version
        {
            flight.failure = None;
            let version = stored.version;
            self.adopt(stored);
            tracing::info!(version, "adopted the token pair in the store");
        }
        Ok(())
    }

    /// Runs the slow path in its own task: a refresh whose answer arrived must be installed and saved
    /// even if the caller stops waiting.
    async fn settle_detached(self: &Arc<Self>, need: Need) -> Result<(Secret, u64), Error> {
        let inner = self.clone();
        let arrived = inner.finished.load(Ordering::SeqCst);
        match tokio::spawn(async move { inner.settle(need, arrived).await }).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::Store(crate::error::StoreFailure::new(
                "the token refresh was cancelled: the runtime is shutting down",
            ))),
        }
    }

    /// The fast path: a shared read.
    fn look(&self) -> Result<Look, Error> {
        let state = self.read();
        let admitted = state.health.admits()?;
        let usable = admitted
            && state.unsaved.is_none()
            && !state
                .tokens
                .expires_within(self.settings.margin, self.settings.clock.now());
        Ok(if usable {
            Look::Fresh(state.tokens.access_token.clone(), state.generation)
        } else {
            Look::Stale(state.generation)
        })
    }

    /// Whether the state already meets the need (another caller did the work meanwhile).
    fn satisfied(&self, need: Need) -> Result<Option<(Secret, u64)>, Error> {
        let state = self.read();
        if !state.health.admits()? || state.unsaved.is_some() {
            return Ok(None);
        }
        let now = self.settings.clock.now();
        let met = match need {
            Need::Fresh { seen } => {
                !state.tokens.expires_within(self.settings.margin, now)
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
            None => {
                self.settings
                    .store
                    .lock_refresh(self.settings.lease_ttl)
                    .await?
            }
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
        let stored = match self.settings.store.load().await {
            Ok(stored) => stored,
            Err(e) => return (Err(e.into()), false),
        };
        let held_version = self.read().version;
        match stored {
            Some(stored) if Some(stored.version) != held_version => {
                let version = stored.version;
                let adopted = self.adopt(stored);
                tracing::info!(version, "adopted the token pair another process saved");
                let expiring = self
                    .read()
                    .tokens
                    .expires_within(self.settings.margin, self.settings.clock.now());
                if matches!(need, Need::Rejected { .. }) || !expiring {
                    return (Ok(adopted), false);
                }
                // The adopted pair is expiring too; this process holds the lease and the latest
                // version, so it refreshes that pair.
            }
            _ => {
                // Nothing newer in the store: a refusal that was waiting for this check is final.
                if let Err(e) = self.write().health.nothing_newer() {
                    return (Err(e), false);
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
        let sent_at = self.settings.clock.now();
        // A server that issues pairs already inside the margin (expires_in <= 0, or absurd) would
        // have every call refresh: hold refreshes to one per half margin and say why.
        let last = self.read().refreshed_at;
        if let Some(last) = last
            && last
                .checked_add(self.settings.margin / 2)
                .is_some_and(|next| sent_at < next)
        {
            return (
                Err(Error::TokenLifetimeTooShort {
                    lifetime: base.expires_in,
                    margin: self.settings.margin,
                }),
                false,
            );
        }
        self.write().refreshed_at = Some(sent_at);
        tracing::debug!(version = base_version, "refreshing the token pair");
        match self
            .settings
            .client
            .refresh_token(&self.settings.credentials, &base.refresh_token)
            .await
        {
            Ok(mut tokens) => {
                // Expiry by this manager's clock, from before the request: never later than the truth.
                if let Some(expires_at) = sent_at.checked_add(tokens.expires_in) {
                    tokens.expires_at = expires_at;
                }
                match self.settings.store.save(&tokens, base_version).await {
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
            }) => (self.refused(description, base_version).await, false),
            Err(e) => (Err(e), false),
        }
    }

    /// After `invalid_grant`: adopts the stored pair if another process refreshed (and spent the
    /// token) just now; otherwise the refusal is final, or, when the store cannot be read, waits for
    /// the next run to check it.
    async fn refused(
        &self,
        description: Option<String>,
        base_version: Option<u64>,
    ) -> Result<(Secret, u64), Error> {
        let description = description.unwrap_or_else(|| "invalid_grant".to_owned());
        match self.settings.store.load().await {
            Ok(Some(stored)) if Some(stored.version) != base_version => {
                tracing::info!(
                    version = stored.version,
                    "the refresh token was spent by another process: using the pair it saved"
                );
                Ok(self.adopt(stored))
            }
            Ok(_) => {
                tracing::warn!("the refresh token was refused: the user must authorize again");
                Err(self.write().health.refused_for_good(description))
            }
            Err(e) => {
                self.write().health.refused(description);
                Err(e.into())
            }
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
            match self.settings.store.save(&tokens, expected).await? {
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
        self.write().install(tokens, version, unsaved)
    }
}

async fn release(lease: Box<dyn RefreshLease>) {
    if let Err(e) = lease.release().await {
        tracing::warn!(error = %e, "could not release the refresh lease");
    }
}
