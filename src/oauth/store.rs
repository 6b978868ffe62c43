//! Where a [`crate::oauth::TokenManager`] keeps a user's token pair, shared by every
//! process (replica) that acts for that user: the [`TokenStore`] trait, its refresh lease, and
//! [`MemoryStore`], the in-process implementation.
//!
//! Fluxer refresh tokens are strictly single-use: once a refresh succeeds, the old refresh token
//! answers `invalid_grant`. Two replicas that refresh the same pair at once therefore lose the user's
//! session: one of them spends the token, the other is refused. A store shared by several replicas
//! prevents that with two mechanisms, described on [`TokenStore`]: a lease around "load, refresh,
//! save", and a compare-and-swap on a version number.

use std::{
    fmt::{self, Debug},
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::oauth::TokenSet;

/// A boxed, `Send` future: what the [`TokenStore`] methods return, so that the trait stays
/// object-safe (`Arc<dyn TokenStore>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A token pair as a store holds it, with the version the store gave it.
///
/// The version is the store's, not the server's: it starts at 1 with the first save and grows by one
/// with every save, whoever makes it. Two holders of the same version hold the same pair.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredTokens {
    /// The pair.
    pub tokens: TokenSet,
    /// The store's version of the pair.
    pub version: u64,
}

/// What [`TokenStore::save`] did.
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub enum SaveOutcome {
    /// The pair was saved and now has this version.
    Saved {
        /// The new version.
        version: u64,
    },
    /// The stored version was not the expected one: another process saved first. Nothing was
    /// written. The caller must use `current` and must not spend anything more.
    Conflict {
        /// What the store holds.
        current: StoredTokens,
    },
}

/// A failure of a token store (I/O, a database, a malformed file). It never holds a token.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// An error with a message. The message must not contain a token.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// An error with a message and the error that caused it.
    pub fn with_source(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// The message, without the source.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The message followed by every source, joined with `: `.
    pub fn full_message(&self) -> String {
        let mut out = self.message.clone();
        let mut source = std::error::Error::source(self);
        while let Some(inner) = source {
            // A cause that repeats what was said already (a client error naming its own source)
            // is left out.
            let text = inner.to_string();
            if !out.contains(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            source = inner.source();
        }
        out
    }
}

impl From<StoreError> for crate::Error {
    fn from(err: StoreError) -> Self {
        crate::Error::Store(crate::error::StoreFailure::from(err))
    }
}

/// The right to refresh a store's token pair, held by one process at a time: see [`TokenStore`].
///
/// Call [`RefreshLease::release`] when done. Dropping a lease without releasing it must release it
/// too, as far as that is possible without waiting (a store whose release needs I/O may instead let
/// the lease run out at its expiry).
pub trait RefreshLease: Send + Debug {
    /// Gives the lease up.
    fn release(self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>>;
}

/// Storage for one user's token pair, shared by every process that acts for the user.
///
/// # The refresh protocol
///
/// A refresh spends the stored refresh token, so at most one process may refresh a given pair. A
/// [`crate::oauth::TokenManager`] that finds its access token expiring does this:
///
/// 1. **Acquire the lease**: [`lock_refresh`](TokenStore::lock_refresh). It waits while another
///    process holds it.
/// 2. **Re-load**: [`load`](TokenStore::load). If the stored version differs from the one the
///    manager holds, another process refreshed (or a new authorization replaced the pair) while this
///    one waited: the manager adopts the stored pair and, unless it is itself expiring, stops here,
///    having spent nothing.
/// 3. **Refresh** with the stored refresh token.
/// 4. **Save** the new pair with [`save`](TokenStore::save), a compare-and-swap on the version that
///    was re-loaded. The new access token is handed out only after the save succeeded. If the save
///    reports [`SaveOutcome::Conflict`] (the lease was lost, or a new authorization was saved
///    meanwhile), the stored pair wins and is adopted.
/// 5. **Release the lease**. (If the save failed, the manager keeps the unsaved pair and the lease
///    until a later save succeeds, so that no other process spends the refresh token this one
///    already spent.)
///
/// The lease makes replicas take turns; the version check makes a lost lease (expired, or a store
/// without a real lock) harmless to the stored data: a stale writer can never overwrite a newer pair.
///
/// # Implementing a store
///
/// - `save(new, expected)` writes `new` only if the stored version equals `expected`, or if the
///   store is empty (nothing newer can be lost then), atomically with respect to other processes, and
///   returns [`SaveOutcome::Saved`] with the new version, `expected + 1` (1 when `expected` is
///   `None`). Otherwise it writes nothing and returns [`SaveOutcome::Conflict`] with the stored pair.
/// - `lock_refresh(ttl)` waits until no other holder has the lease. A lease that does not die with
///   its holder's process (a database row, a Redis key) must expire `ttl` after it was granted; a
///   lease that does (an OS file lock) may use `ttl` as the longest wait instead, and fail with a
///   [`StoreError`] after it.
/// - The store holds secrets: keep it where only the application can read it.
///
/// # Example
///
/// One round of the protocol by hand (a [`crate::oauth::TokenManager`] does this for you):
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use std::time::{Duration, SystemTime};
/// use fluxer_oauth2::{Secret, oauth::{TokenSet, MemoryStore, SaveOutcome, TokenStore}};
///
/// let pair = |access: &str, refresh: &str| TokenSet {
///     access_token: Secret::new(access),
///     refresh_token: Secret::new(refresh),
///     scope: "identify".parse().unwrap(),
///     token_type: "Bearer".to_owned(),
///     expires_in: Duration::from_secs(604_800),
///     expires_at: SystemTime::now() + Duration::from_secs(604_800),
/// };
/// let store = MemoryStore::new();
/// assert_eq!(store.save(&pair("a1", "r1"), None).await?, SaveOutcome::Saved { version: 1 });
///
/// let lease = store.lock_refresh(Duration::from_secs(30)).await?;
/// let held = store.load().await?.expect("saved above");
/// // ... refresh with held.tokens.refresh_token, then:
/// let outcome = store.save(&pair("a2", "r2"), Some(held.version)).await?;
/// assert_eq!(outcome, SaveOutcome::Saved { version: 2 });
/// lease.release().await?;
///
/// // A writer that still holds version 1 cannot overwrite version 2.
/// let stale = store.save(&pair("a3", "r3"), Some(1)).await?;
/// assert!(matches!(stale, SaveOutcome::Conflict { current } if current.version == 2));
/// # Ok::<(), fluxer_oauth2::oauth::StoreError>(()) }).unwrap();
/// ```
pub trait TokenStore: Send + Sync + Debug {
    /// The stored pair and its version, or `None` when nothing was saved yet.
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredTokens>, StoreError>>;

    /// Saves `tokens` if the stored version is `expected_version` or nothing is stored.
    fn save<'a>(
        &'a self,
        tokens: &'a TokenSet,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<SaveOutcome, StoreError>>;

    /// Acquires the refresh lease, waiting while another holder has it; see the trait docs for `ttl`.
    fn lock_refresh(
        &self,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<Box<dyn RefreshLease>, StoreError>>;
}

/// A store in this process's memory, for an application with one process (or for tests).
///
/// Several managers (in one process) may share one `Arc<MemoryStore>`; its lease is an async mutex,
/// so they refresh one at a time exactly as separate processes would with a shared store.
///
/// ```
/// use std::sync::Arc;
/// use fluxer_oauth2::oauth::{MemoryStore, TokenStore};
///
/// let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
/// # let _ = store;
/// ```
#[derive(Default)]
pub struct MemoryStore {
    slot: Mutex<Option<StoredTokens>>,
    lease: Arc<tokio::sync::Mutex<()>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<StoredTokens>> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("version", &self.slot().as_ref().map(|s| s.version))
            .finish_non_exhaustive()
    }
}

impl TokenStore for MemoryStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredTokens>, StoreError>> {
        let stored = self.slot().clone();
        Box::pin(async move { Ok(stored) })
    }

    fn save<'a>(
        &'a self,
        tokens: &'a TokenSet,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<SaveOutcome, StoreError>> {
        let outcome = {
            let mut slot = self.slot();
            let current = slot.as_ref().map(|s| s.version);
            if current.is_none() || current == expected_version {
                let version = expected_version.unwrap_or(0) + 1;
                *slot = Some(StoredTokens {
                    tokens: tokens.clone(),
                    version,
                });
                SaveOutcome::Saved { version }
            } else {
                let current = slot
                    .clone()
                    .expect("a version differs from None only when a pair is stored");
                SaveOutcome::Conflict { current }
            }
        };
        Box::pin(async move { Ok(outcome) })
    }

    fn lock_refresh(
        &self,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<Box<dyn RefreshLease>, StoreError>> {
        let lease = self.lease.clone();
        Box::pin(async move {
            match tokio::time::timeout(ttl, lease.lock_owned()).await {
                Ok(guard) => Ok(Box::new(MemoryLease { _guard: guard }) as Box<dyn RefreshLease>),
                Err(_) => Err(StoreError::new(format!(
                    "the refresh lease was not free within {ttl:?}: another refresh is taking too long"
                ))),
            }
        })
    }
}

/// The lease of a [`MemoryStore`]: an async mutex guard, released on drop.
struct MemoryLease {
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Debug for MemoryLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MemoryLease")
    }
}

impl RefreshLease for MemoryLease {
    fn release(self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        drop(self);
        Box::pin(async { Ok(()) })
    }
}

/// The one record every store writes for a pair: JSON with the version, the tokens, the scope, the
/// lifetime in seconds and the expiry in milliseconds since the Unix epoch (rounded down, so a loaded
/// pair never looks fresher than it is).
///
/// ```json
/// {"version":3,"access_token":"…","refresh_token":"…","scope":"identify email",
///  "token_type":"Bearer","expires_in_secs":604800,"expires_at_unix_ms":1767225600000}
/// ```
#[derive(serde::Serialize)]
struct RecordOut<'a> {
    version: u64,
    access_token: &'a str,
    refresh_token: &'a str,
    scope: &'a str,
    token_type: &'a str,
    expires_in_secs: u64,
    expires_at_unix_ms: u64,
}

#[derive(serde::Deserialize)]
struct RecordIn {
    version: u64,
    access_token: crate::Secret,
    refresh_token: crate::Secret,
    scope: String,
    token_type: String,
    expires_in_secs: u64,
    expires_at_unix_ms: Option<u64>,
    /// Files written before the record was shared kept whole seconds.
    expires_at_unix: Option<u64>,
}

/// The record of `tokens` at `version`.
pub(crate) fn encode_record(tokens: &TokenSet, version: u64) -> Result<Vec<u8>, StoreError> {
    let scope = tokens.scope.to_string();
    let record = RecordOut {
        version,
        access_token: tokens.access_token.expose_secret(),
        refresh_token: tokens.refresh_token.expose_secret(),
        scope: &scope,
        token_type: &tokens.token_type,
        expires_in_secs: tokens.expires_in.as_secs(),
        expires_at_unix_ms: tokens
            .expires_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
    };
    serde_json::to_vec(&record)
        .map_err(|e| StoreError::with_source("could not encode the token pair", e))
}

/// Reads a record; `place` names where it came from in the error. The raw bytes are wiped.
pub(crate) fn decode_record(mut raw: Vec<u8>, place: &str) -> Result<StoredTokens, StoreError> {
    use zeroize::Zeroize as _;
    let parsed = serde_json::from_slice::<RecordIn>(&raw);
    raw.zeroize();
    // serde_json's messages may quote the offending value, which could be a token: report the place.
    let record = parsed.map_err(|e| {
        StoreError::new(format!(
            "{place} does not hold a token pair ({:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let since_epoch = match (record.expires_at_unix_ms, record.expires_at_unix) {
        (Some(ms), _) => Some(Duration::from_millis(ms)),
        (None, Some(secs)) => Some(Duration::from_secs(secs)),
        (None, None) => None,
    };
    let expires_at = since_epoch
        .and_then(|d| std::time::UNIX_EPOCH.checked_add(d))
        .ok_or_else(|| {
            StoreError::new(format!("{place}: the expiry is missing or out of range"))
        })?;
    Ok(StoredTokens {
        tokens: TokenSet {
            access_token: record.access_token,
            refresh_token: record.refresh_token,
            scope: record.scope.parse().unwrap_or_default(),
            token_type: record.token_type,
            expires_in: Duration::from_secs(record.expires_in_secs),
            expires_at,
        },
        version: record.version,
    })
}
