//! [`RedisTokenStore`]: a [`TokenStore`] on Redis, for an application that runs several replicas
//! (processes, containers, machines) acting for the same users.
//!
//! Fluxer refresh tokens are single-use with no grace window. When a user's access token expires,
//! every replica that notices would refresh it with the same refresh token: one would win and the
//! others would get `invalid_grant`, which ends the user's session. With this store the replicas
//! take turns through a lease in Redis, and only the first one spends the refresh token; the others
//! find the pair it saved and use it. See [`TokenStore`] for the protocol, which
//! [`crate::oauth::TokenManager`] follows.
//!
//! Available with the crate's `redis` feature.

use std::{
    fmt,
    sync::Arc,
    time::{Duration, Instant},
};

use redis::{
    Client, Cmd, Value,
    aio::{ConnectionManager, ConnectionManagerConfig},
};
use tokio::sync::OnceCell;
use zeroize::Zeroize as _;

use crate::oauth::{
    BoxFuture, RefreshLease, SaveOutcome, StoreError, StoredTokens, TokenSet, TokenStore,
};

/// How long a saved pair stays in Redis by default: 30 days, the lifetime of a Fluxer refresh
/// token. After that the refresh token is useless, so there is nothing worth keeping.
pub const DEFAULT_PAIR_TTL: Duration = Duration::from_secs(30 * 86_400);

/// How long one Redis call (including connecting) may take by default before the store gives up.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The first pause of a replica waiting for the lease; it doubles up to [`LEASE_POLL_MAX`].
const LEASE_POLL_FIRST: Duration = Duration::from_millis(5);

/// The longest pause between two attempts to take the lease.
const LEASE_POLL_MAX: Duration = Duration::from_millis(50);

/// How much longer than the lease's `ttl` a replica waits for it: a lease whose holder died expires
/// `ttl` after it was taken, so a replica that started waiting just after that gets it in time.
const LEASE_WAIT_SLACK: Duration = Duration::from_secs(1);

/// What the lease key is named after the pair key.
const LEASE_SUFFIX: &str = ":lease";

/// Compare-and-swap of the pair. KEYS[1]: the pair key. ARGV[1]: the expected version (empty for
/// none), ARGV[2]: the new value, ARGV[3]: the key's TTL in milliseconds (empty for none).
/// Returns `{1}` when saved, `{0, current}` on a conflict, `{-1}` when the key holds something
/// else.
const SAVE_SCRIPT: &str = r"
local current = redis.call('GET', KEYS[1])
if current then
  local ok, decoded = pcall(cjson.decode, current)
  if not ok or type(decoded) ~= 'table' or type(decoded['version']) ~= 'number' then
    return {-1}
  end
  if ARGV[1] == '' or tonumber(ARGV[1]) ~= decoded['version'] then
    return {0, current}
  end
end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return {1}
";

/// Compare-and-delete of the lease. KEYS[1]: the lease key. ARGV[1]: the owner. Returns 1 when the
/// lease was this owner's and is gone, 0 when it was not (it expired, and maybe another took it).
const RELEASE_SCRIPT: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// The Redis client's error, which `source()` of a store failure leads to: re-exported so that a
/// caller can downcast to it without naming the `redis` crate's version.
pub use redis::RedisError;

/// The two scripts, sent by hash (`EVALSHA`) and loaded once when the server does not know them.
static SAVE: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(SAVE_SCRIPT));
static RELEASE: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(RELEASE_SCRIPT));

/// A token store in Redis: one user's pair under one key, shared by every replica.
///
/// # What is stored, and for how long
///
/// Two keys per user, both named from the key given to [`RedisTokenStore::new`] (after the
/// [prefix](RedisTokenStore::key_prefix), if any):
///
/// - **`<key>`**: the pair, a string holding one JSON object:
///
///   ```json
///   {"version":3,"access_token":"…","refresh_token":"…","scope":"identify guilds",
///    "token_type":"Bearer","expires_in_secs":604800,"expires_at_unix_ms":1767225600000}
///   ```
///
///   `version` is the store's version of the pair (see [`StoredTokens`]); `expires_at_unix_ms` is
///   when the access token expires, in milliseconds since the Unix epoch (rounded down, so a loaded
///   pair never looks fresher than it is). The key expires [`DEFAULT_PAIR_TTL`] (30 days, the
///   refresh token's lifetime) after the last save, or after the [`ttl`](RedisTokenStore::ttl) set;
///   `ttl(None)` keeps it for ever (for instances whose refresh tokens never expire).
/// - **`<key>:lease`**: while a replica refreshes, a random owner id (32 hex digits, no token).
///   It expires after the lease `ttl` the manager asks for
///   ([`crate::oauth::TokenManagerBuilder::lease_ttl`], 60 s by default) and is deleted
///   when the refresh is done.
///
/// # The lease and the compare-and-swap
///
/// - [`lock_refresh`](TokenStore::lock_refresh) runs `SET <key>:lease <owner> NX PX <ttl>`, with a
///   fresh random owner. While another replica holds the lease it tries again after a short pause
///   (5 ms, doubling up to 50 ms, plus up to half as much again of jitter), for at most the `ttl`
///   plus one second, then fails with a [`StoreError`]. If the holder dies, its lease expires `ttl`
///   after it was taken and a waiting replica proceeds.
/// - Releasing runs a Lua script that deletes the lease only if it still holds this owner id, so a
///   replica whose lease expired never releases another replica's lease. Dropping a lease without
///   releasing it releases it the same way in a background task (inside a Tokio runtime).
/// - [`save`](TokenStore::save) runs a Lua script that reads the stored version and writes the new
///   pair only if it is the expected one (or nothing is stored), atomically: a replica whose lease
///   expired during a slow refresh can never overwrite a newer pair.
///
/// The lease `ttl` must be longer than a refresh takes (the client's timeout plus a save): a lease
/// that expires while its holder's refresh is in flight lets a second replica refresh with the same
/// refresh token. The stored pair stays consistent (the compare-and-swap sees to it), but the
/// replica that loses the race at the server gets `invalid_grant`.
///
/// # Secrets at rest
///
/// The value holds the user's access and refresh tokens in clear: whoever can read the key can act
/// as the user. Redis must be trusted, and protected accordingly:
///
/// - Give the application its own ACL user, limited to its keys and to the commands the store
///   sends (`GET` and `SET`, and `EVALSHA` (and `SCRIPT LOAD` once) of two scripts that run `GET`, `SET` and `DEL` on those
///   keys), with a long password in the URL:
///   `ACL SETUSER fluxer-tokens on >… ~fluxer:tokens:* resetchannels -@all +get +set +del +evalsha +script|load`.
/// - Keep Redis on a private network, and use TLS (`rediss://…`) when the traffic leaves the
///   machine; TLS needs one of the `redis` crate's TLS features (for instance
///   `redis = { version = "1", features = ["tokio-rustls-comp"] }` in the application's
///   `Cargo.toml`), which this crate does not turn on.
/// - Snapshots (`RDB`), the append-only file, replicas, backups and `MONITOR` all see the tokens:
///   protect or turn off what you do not need.
///
/// The store never logs a token, its `Debug` output shows the Redis address without credentials,
/// and its errors never quote a stored value. Tokens are not encrypted before they are stored.
///
/// # When Redis is unreachable
///
/// Every call fails with a [`StoreError`] ("could not reach Redis at …: is it running?") within
/// the [`timeout`](RedisTokenStore::timeout); a [`crate::oauth::TokenManager`] turns it
/// into [`crate::Error::Store`] and keeps the pair it holds in memory. Calls with a valid access token
/// (Fluxer's last 7 days) need no store and go on working; only a refresh waits for Redis, and a
/// pair refreshed just before Redis went away is kept and saved as soon as Redis answers again.
/// The connection is re-established on its own.
///
/// There is no fallback to a local lease while Redis is away: every replica would fall back at
/// once, and the replicas of an expiring pair would each refresh it with the same refresh token,
/// which is exactly the double spend this store exists to prevent.
///
/// # Example
///
/// ```no_run
/// # async fn demo(client: fluxer_oauth2::FluxerClient,
/// #     credentials: fluxer_oauth2::oauth::ClientCredentials) -> Result<(), Box<dyn std::error::Error>> {
/// use std::{sync::Arc, time::Duration};
/// use fluxer_oauth2::oauth::{redis_store::RedisTokenStore, TokenManager};
///
/// let users = RedisTokenStore::new("redis://127.0.0.1:6379/", "fluxer:tokens:1574449618593251330")?
///     .ttl(Duration::from_secs(30 * 86_400));
/// let manager = TokenManager::builder(client, credentials, Arc::new(users.clone()), None)
///     .build()
///     .await?;
/// let me = manager.call(|c| async move { c.get_oauth2_userinfo().await }).await?;
///
/// // Another user's pair, on the same connection.
/// let other = users.with_key("fluxer:tokens:1574449618593251331")?;
/// # let _ = (me, other);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisTokenStore {
    redis: Arc<Connection>,
    /// The key as given, without the prefix.
    name: String,
    prefix: String,
    pair_key: String,
    lease_key: String,
    pair_ttl: Option<Duration>,
}

/// The connection and what errors say about it; shared by the stores made with
/// [`RedisTokenStore::with_key`] and by their leases.
struct Connection {
    client: Client,
    /// The URL without credentials, query or fragment, for messages.
    endpoint: String,
    timeout: Duration,
    manager: OnceCell<ConnectionManager>,
}

impl RedisTokenStore {
    /// A store for the pair under `key` (for instance `fluxer:tokens:<user id>`) in the Redis at
    /// `redis_url` (`redis://[user:password@]host[:port][/db]`, `rediss://…` with a TLS feature of
    /// the `redis` crate, or `redis+unix:///path`).
    ///
    /// Nothing is sent until the first call; the connection is made then, and made again on its own
    /// if it breaks.
    ///
    /// # Errors
    ///
    /// When the URL is not one the `redis` crate accepts, or `key` is empty. The message never
    /// quotes the URL (it may hold a password).
    pub fn new(redis_url: &str, key: impl Into<String>) -> Result<Self, StoreError> {
        let client = Client::open(redis_url).map_err(|e| {
            StoreError::new(format!(
                "not a Redis URL the client accepts ({}): expected redis://[user:password@]host[:port][/db], \
                 rediss://… (with a TLS feature of the redis crate) or redis+unix:///path",
                e.category()
            ))
        })?;
        let redis = Arc::new(Connection {
            client,
            endpoint: endpoint(redis_url),
            timeout: DEFAULT_TIMEOUT,
            manager: OnceCell::new(),
        });
        Self::on(redis, String::new(), key.into(), Some(DEFAULT_PAIR_TTL))
    }

    fn on(
        redis: Arc<Connection>,
        prefix: String,
        key: String,
        pair_ttl: Option<Duration>,
    ) -> Result<Self, StoreError> {
        if key.is_empty() {
            return Err(StoreError::new(
                "the Redis key of a token pair must not be empty (use e.g. fluxer:tokens:<user id>)",
            ));
        }
        let mut store = Self {
            redis,
            name: key,
            prefix,
            pair_key: String::new(),
            lease_key: String::new(),
            pair_ttl,
        };
        store.name_keys();
        Ok(store)
    }

    fn name_keys(&mut self) {
        self.pair_key = format!("{}{}", self.prefix, self.name);
        self.lease_key = format!("{}{LEASE_SUFFIX}", self.pair_key);
    }

    /// How long the pair stays in Redis after each save: [`DEFAULT_PAIR_TTL`] (30 days) by default,
    /// `None` for ever. Takes a `Duration` or an `Option<Duration>`.
    pub fn ttl(mut self, ttl: impl Into<Option<Duration>>) -> Self {
        self.pair_ttl = ttl.into();
        self
    }

    /// A prefix put in front of the key (and of the lease key), for instance `"my-app:"` when
    /// several applications share one Redis. Empty by default.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self.name_keys();
        self
    }

    /// How long one Redis call, connecting included, may take before it fails with a
    /// [`StoreError`] ([`DEFAULT_TIMEOUT`], 5 s, by default). Setting it gives the store a
    /// connection of its own.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.redis = Arc::new(Connection {
            client: self.redis.client.clone(),
            endpoint: self.redis.endpoint.clone(),
            timeout,
            manager: OnceCell::new(),
        });
        self
    }

    /// A store for another user's pair (under `key`, after the same prefix) in the same Redis, on
    /// the same connection and with the same settings: one connection serves any number of users.
    ///
    /// # Errors
    ///
    /// When `key` is empty.
    pub fn with_key(&self, key: impl Into<String>) -> Result<Self, StoreError> {
        Self::on(
            self.redis.clone(),
            self.prefix.clone(),
            key.into(),
            self.pair_ttl,
        )
    }

    /// The key that holds the pair (prefix included).
    pub fn key(&self) -> &str {
        &self.pair_key
    }

    /// The key that holds the refresh lease: the pair's key followed by `:lease`.
    pub fn lease_key(&self) -> &str {
        &self.lease_key
    }

    /// How long the pair stays in Redis after each save (`None`: for ever).
    pub fn pair_ttl(&self) -> Option<Duration> {
        self.pair_ttl
    }
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("redis", &self.redis.endpoint)
            .field("key", &self.pair_key)
            .field("ttl", &self.pair_ttl)
            .field("timeout", &self.redis.timeout)
            .finish_non_exhaustive()
    }
}

impl TokenStore for RedisTokenStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredTokens>, StoreError>> {
        Box::pin(async move {
            let mut get = redis::cmd("GET");
            get.arg(&self.pair_key);
            match self.redis.call("read the token pair", &get).await? {
                Value::Nil => Ok(None),
                Value::BulkString(raw) => decode(&self.pair_key, raw).map(Some),
                other => Err(self.redis.unexpected("GET", &other)),
            }
        })
    }

    fn save<'a>(
        &'a self,
        tokens: &'a TokenSet,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<SaveOutcome, StoreError>> {
        Box::pin(async move {
            let version = expected_version
                .unwrap_or(0)
                .checked_add(1)
                .ok_or_else(|| StoreError::new("the token pair's version cannot grow any more"))?;
            let mut value = encode(tokens, version)?;
            let mut invocation = SAVE.prepare_invoke();
            invocation
                .key(&self.pair_key)
                .arg(expected_version.map(|v| v.to_string()).unwrap_or_default())
                .arg(value.as_slice())
                .arg(
                    self.pair_ttl
                        .map(|ttl| millis(ttl).to_string())
                        .unwrap_or_default(),
                );
            value.zeroize();
            let answer = self.redis.run("save the token pair", &invocation).await;
            drop(invocation);
            match answer? {
                Value::Array(mut items) => match items.as_mut_slice() {
                    [Value::Int(1)] => Ok(SaveOutcome::Saved { version }),
                    [Value::Int(0), Value::BulkString(current)] => Ok(SaveOutcome::Conflict {
                        current: decode(&self.pair_key, std::mem::take(current))?,
                    }),
                    [Value::Int(-1)] => Err(not_a_pair(&self.pair_key)),
                    _ => Err(self
                        .redis
                        .unexpected("the save script", &Value::Array(Vec::new()))),
                },
                other => Err(self.redis.unexpected("the save script", &other)),
            }
        })
    }

    fn lock_refresh(
        &self,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<Box<dyn RefreshLease>, StoreError>> {
        Box::pin(async move {
            let mut id = [0u8; 16];
            crate::random::fill_random(&mut id);
            let owner = format!("{:032x}", u128::from_le_bytes(id));
            let mut set = redis::cmd("SET");
            set.arg(&self.lease_key)
                .arg(&owner)
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl));
            let started = Instant::now();
            let wait = ttl.saturating_add(LEASE_WAIT_SLACK);
            let mut pause = LEASE_POLL_FIRST;
            // Bounded by `wait`: every round sleeps at least LEASE_POLL_FIRST (or until `wait` is
            // over) and every call is bounded by the timeout.
            loop {
                match self.redis.call("take the refresh lease", &set).await? {
                    Value::Okay => {
                        return Ok(Box::new(RedisLease {
                            redis: Some(self.redis.clone()),
                            key: self.lease_key.clone(),
                            owner,
                        }) as Box<dyn RefreshLease>);
                    }
                    Value::Nil => {}
                    other => return Err(self.redis.unexpected("SET NX", &other)),
                }
                let waited = started.elapsed();
                if waited >= wait {
                    return Err(StoreError::new(format!(
                        "the refresh lease {} in Redis at {} stayed taken for {waited:?}: another \
                         replica's refresh is taking too long (a lease expires {ttl:?} after it is taken)",
                        self.lease_key, self.redis.endpoint
                    )));
                }
                let mut draw = [0u8; 8];
                crate::random::fill_random(&mut draw);
                let jitter = u64::from_le_bytes(draw) % (pause.as_micros() as u64 / 2 + 1);
                let nap = (pause + Duration::from_micros(jitter)).min(wait - waited);
                tokio::time::sleep(nap).await;
                pause = (pause * 2).min(LEASE_POLL_MAX);
            }
        })
    }
}

/// The refresh lease of a [`RedisTokenStore`]: the lease key, holding this lease's random owner id.
struct RedisLease {
    /// `None` once released.
    redis: Option<Arc<Connection>>,
    key: String,
    owner: String,
}

impl fmt::Debug for RedisLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLease")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl RefreshLease for RedisLease {
    fn release(mut self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        let redis = self.redis.take();
        let key = std::mem::take(&mut self.key);
        let owner = std::mem::take(&mut self.owner);
        Box::pin(async move {
            match redis {
                Some(redis) => release(&redis, &key, &owner).await,
                None => Ok(()),
            }
        })
    }
}

impl Drop for RedisLease {
    fn drop(&mut self) {
        let Some(redis) = self.redis.take() else {
            return;
        };
        // Releasing needs I/O: do it in the background if there is a runtime; otherwise the lease
        // runs out at its expiry.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let key = std::mem::take(&mut self.key);
            let owner = std::mem::take(&mut self.owner);
            runtime.spawn(async move {
                if let Err(e) = release(&redis, &key, &owner).await {
                    tracing::debug!(error = %e, "could not release a dropped refresh lease; it expires on its own");
                }
            });
        }
    }
}

/// Deletes the lease if it still holds `owner`.
async fn release(redis: &Connection, key: &str, owner: &str) -> Result<(), StoreError> {
    let mut invocation = RELEASE.prepare_invoke();
    invocation.key(key).arg(owner);
    match redis.run("release the refresh lease", &invocation).await? {
        Value::Int(1) => Ok(()),
        Value::Int(_) => {
            tracing::warn!(
                key,
                "the refresh lease had expired before it was released: make the lease ttl longer \
                 than a refresh takes"
            );
            Ok(())
        }
        other => Err(redis.unexpected("the release script", &other)),
    }
}

impl Connection {
    /// The connection, made on first use.
    async fn manager(&self) -> Result<ConnectionManager, RedisError> {
        let manager = self
            .manager
            .get_or_try_init(|| {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    .set_number_of_retries(1)
                    .set_min_delay(Duration::from_millis(50))
                    .set_max_delay(Duration::from_millis(500));
                ConnectionManager::new_with_config(self.client.clone(), config)
            })
            .await?;
        Ok(manager.clone())
    }

    /// Sends one command, within the timeout.
    async fn call(&self, doing: &str, cmd: &Cmd) -> Result<Value, StoreError> {
        let work = async {
            let mut manager = self.manager().await?;
            cmd.query_async::<Value>(&mut manager).await
        };
        self.bounded(doing, work).await
    }

    /// Runs a script (`EVALSHA`, loading it first when the server does not have it).
    async fn run(
        &self,
        doing: &str,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<Value, StoreError> {
        let work = async {
            let mut manager = self.manager().await?;
            invocation.invoke_async::<Value>(&mut manager).await
        };
        self.bounded(doing, work).await
    }

    /// Waits for a command at most the store's timeout.
    async fn bounded(
        &self,
        doing: &str,
        work: impl Future<Output = Result<Value, RedisError>>,
    ) -> Result<Value, StoreError> {
        match tokio::time::timeout(self.timeout, work).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.failure(doing, e)),
            Err(_) => Err(StoreError::new(format!(
                "could not reach Redis at {} to {doing}: no answer within {:?}: is it running, \
                 and reachable from here?",
                self.endpoint, self.timeout
            ))),
        }
    }

    fn failure(&self, doing: &str, e: RedisError) -> StoreError {
        let endpoint = &self.endpoint;
        let (io, refused, dropped) = (
            e.is_io_error(),
            e.is_connection_refusal(),
            e.is_connection_dropped(),
        );
        let (kind, code) = (e.kind(), e.code().map(str::to_owned));
        let no_command = e
            .detail()
            .is_some_and(|d| d.contains("can't run this command"));
        let cause = e;
        if io || refused || dropped {
            StoreError::with_source(
                format!("could not reach Redis at {endpoint} to {doing}: is it running?"),
                cause,
            )
        } else if kind == redis::ErrorKind::AuthenticationFailed
            || code.as_deref() == Some("NOAUTH")
            || code.as_deref() == Some("WRONGPASS")
        {
            StoreError::with_source(
                format!(
                    "Redis at {endpoint} refused the credentials to {doing}: check the user and \
                     password in the URL"
                ),
                cause,
            )
        } else if code.as_deref() == Some("NOPERM") || no_command {
            StoreError::with_source(
                format!(
                    "Redis at {endpoint} did not allow the store to {doing}: its ACL user needs \
                     GET, SET, DEL, EVALSHA and SCRIPT LOAD on the token keys"
                ),
                cause,
            )
        } else {
            StoreError::with_source(format!("Redis at {endpoint} failed to {doing}"), cause)
        }
    }

    /// An answer of an unexpected shape; names its type only, never its content.
    fn unexpected(&self, what: &str, value: &Value) -> StoreError {
        let kind = match value {
            Value::Nil => "nil",
            Value::Int(_) => "an integer",
            Value::BulkString(_) => "a string",
            Value::Array(_) => "an array",
            Value::SimpleString(_) | Value::Okay => "a status",
            _ => "another type",
        };
        StoreError::new(format!(
            "Redis at {} answered {what} with {kind}, which the token store does not expect",
            self.endpoint
        ))
    }
}

fn encode(tokens: &TokenSet, version: u64) -> Result<Vec<u8>, StoreError> {
    crate::oauth::store::encode_record(tokens, version)
}

fn decode(key: &str, raw: Vec<u8>) -> Result<StoredTokens, StoreError> {
    crate::oauth::store::decode_record(raw, &format!("the Redis key {key}"))
}

fn not_a_pair(key: &str) -> StoreError {
    StoreError::new(format!(
        "the Redis key {key} holds something that is not a token pair: delete it or choose another key"
    ))
}

/// Whole milliseconds, at least 1 (Redis refuses `PX 0`).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The URL as messages show it: without user, password, query or fragment.
fn endpoint(redis_url: &str) -> String {
    match url::Url::parse(redis_url) {
        Ok(mut url) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => "(the configured URL)".to_owned(),
    }
}

const _: fn() = || {
    fn is<T: Send + Sync + 'static>() {}
    is::<RedisTokenStore>();
};
