//! `RedisTokenStore` against a real redis-server and the emulator: replicas (separate managers,
//! clients and stores on one key) that share one refresh per expiry, a lease holder that dies, a
//! refresh whose lease ran out, Redis going away mid-run, and the store's lease, compare-and-swap,
//! TTL, ACL and redaction behaviour.
//!
//! Needs a Redis at `FLUXER_REDIS_URL` (default `redis://127.0.0.1:6390/`) and `redis-server` on the
//! `PATH` (some tests start their own server to stop it): `bash scripts/redis-tests.sh` provides
//! both. Without them the tests fail, saying so; they are compiled only with the `redis` feature.
#![cfg(feature = "redis")]

use std::{
    collections::HashSet,
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use crate::common::{bounded_by, emulator};
use fluxer_oauth2::{
    Error, FluxerClient, Secret,
    oauth::{
        Clock as ManagerClock, SaveOutcome, Scope, StoreError, TokenManager, TokenSet, TokenStore,
        redis_store::RedisTokenStore,
    },
};
use fluxer_oauth2_emulator::{Emulator, EmulatorConfig, Fault};
use redis::aio::MultiplexedConnection;
use tokio::sync::Barrier;

const DEFAULT_URL: &str = "redis://127.0.0.1:6390/";
const WEEK: Duration = Duration::from_secs(604_800);
const MINUTE: Duration = Duration::from_secs(60);

/// The shared Redis's URL, once it answers `PING`; fails the test loudly when it does not.
async fn shared_redis() -> String {
    let url = std::env::var("FLUXER_REDIS_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
    match tokio::time::timeout(Duration::from_secs(3), ping(&url)).await {
        Ok(Ok(())) => url,
        Ok(Err(e)) => panic!(
            "no Redis answers at {url} ({e}): the `redis` feature's tests need one. Run \
             `bash scripts/redis-tests.sh`, which starts one, or set FLUXER_REDIS_URL"
        ),
        Err(_) => panic!("Redis at {url} did not answer PING within 3 s"),
    }
}

async fn ping(url: &str) -> redis::RedisResult<()> {
    let mut conn = raw(url).await?;
    redis::cmd("PING").query_async::<String>(&mut conn).await?;
    Ok(())
}

/// A plain connection, to look at the keys from outside the store.
async fn raw(url: &str) -> redis::RedisResult<MultiplexedConnection> {
    redis::Client::open(url)?
        .get_multiplexed_async_connection()
        .await
}

async fn pttl(url: &str, key: &str) -> i64 {
    let mut conn = raw(url).await.expect("Redis answers");
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut conn)
        .await
        .expect("PTTL")
}

async fn exists(url: &str, key: &str) -> bool {
    let mut conn = raw(url).await.expect("Redis answers");
    redis::cmd("EXISTS")
        .arg(key)
        .query_async::<i64>(&mut conn)
        .await
        .expect("EXISTS")
        == 1
}

async fn delete(url: &str, store: &RedisTokenStore) {
    let mut conn = raw(url).await.expect("Redis answers");
    let _: i64 = redis::cmd("DEL")
        .arg(store.key())
        .arg(store.lease_key())
        .query_async(&mut conn)
        .await
        .expect("DEL");
}

/// A key no other test (or run) uses.
fn unique_key(name: &str) -> String {
    format!(
        "fluxer:tokens:test-{name}-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    )
}

/// A loopback port nothing listens on (as far as can be known).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// A redis-server of the test's own, on a loopback port, killed on drop.
struct RedisServer {
    child: Option<Child>,
    port: u16,
}

impl RedisServer {
    async fn start(port: u16) -> Self {
        let binary =
            std::env::var("FLUXER_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
        let child = Command::new(&binary)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start {binary} ({e}): install it (apt-get install redis-server) or \
                     set FLUXER_REDIS_SERVER"
                )
            });
        let mut server = Self {
            child: Some(child),
            port,
        };
        let url = server.url();
        for _ in 0..100 {
            if let Some(status) = server
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("redis-server on port {port} exited at once ({status})");
            }
            if let Ok(Ok(())) = tokio::time::timeout(Duration::from_millis(500), ping(&url)).await {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {port} did not answer within 5 s");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The managers' clock reads the emulator's, so that "expired" means the same on both sides.
#[derive(Debug)]
struct EmulatorTime(fluxer_oauth2_emulator::Clock);

impl ManagerClock for EmulatorTime {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0.now_millis())
    }
}

/// One emulator (its clock stopped), one application, and alice's session.
struct Fixture {
    emu: Emulator,
    alice: FluxerClient,
    app: emulator::App,
    clock: Arc<EmulatorTime>,
}

impl Fixture {
    async fn start() -> Self {
        let emu = Emulator::start_with(EmulatorConfig {
            follow_real_time: false,
            ..EmulatorConfig::default()
        })
        .await;
        let alice = emulator::session(&emu, &emu.alice());
        let app = emulator::create_app(&alice, "Replicas", &[emulator::REDIRECT_URI]).await;
        let clock = Arc::new(EmulatorTime(emu.clock().clone()));
        Self {
            emu,
            alice,
            app,
            clock,
        }
    }

    /// A new authorization's pair, with its expiry on the emulator's clock.
    async fn authorize(&self) -> TokenSet {
        let mut tokens = emulator::tokens(&self.alice, &self.app, &[Scope::Identify]).await;
        tokens.expires_at = self.clock.now() + tokens.expires_in;
        tokens
    }

    /// A new authorization's pair saved as version 1 under a fresh key named after `name`: the
    /// key, the store that saved it, and the pair.
    async fn seed(&self, url: &str, name: &str) -> (String, RedisTokenStore, TokenSet) {
        let key = unique_key(name);
        let seed = RedisTokenStore::new(url, &key).expect("a Redis URL");
        let initial = self.authorize().await;
        assert_eq!(
            seed.save(&initial, None).await.expect("Redis answers"),
            SaveOutcome::Saved { version: 1 }
        );
        (key, seed, initial)
    }

    /// A client of its own (its own connection pool), as a replica would have.
    fn client(&self) -> FluxerClient {
        emulator::builder(&self.emu)
            .build()
            .expect("the emulator's base URL is accepted")
    }

    /// A replica: its own client and its own store instance on `key`.
    async fn replica(&self, url: &str, key: &str, lease_ttl: Duration) -> Replica {
        let client = self.client();
        let store = RedisTokenStore::new(url, key).expect("a Redis URL");
        let manager = TokenManager::builder(
            client.clone(),
            self.app.credentials(),
            Arc::new(store),
            None,
        )
        .clock(self.clock.clone())
        .lease_ttl(lease_ttl)
        .build()
        .await
        .expect("the replica loads the pair from Redis");
        Replica { client, manager }
    }

    /// Moves the emulator's clock past the access token's life (both sides see it expired).
    fn expire(&self) {
        self.emu.clock().advance(WEEK + MINUTE);
    }

    fn refreshes(&self) -> usize {
        self.emu.count_token_requests("refresh_token")
    }

    /// The refresh token each refresh request sent, oldest first.
    fn spent_refresh_tokens(&self) -> Vec<String> {
        self.emu
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/oauth2/token"))
            .filter(|r| r.form_field("grant_type").as_deref() == Some("refresh_token"))
            .map(|r| r.form_field("refresh_token").unwrap_or_default())
            .collect()
    }

    /// Whether the server accepts this access token.
    async fn accepts(&self, client: &FluxerClient, token: &Secret) -> bool {
        match emulator::bearer(client, token)
            .get_oauth2_userinfo()
            .send()
            .await
        {
            Ok(me) => me.username == "alice",
            Err(e) => {
                eprintln!("userinfo refused: {e}");
                false
            }
        }
    }
}

struct Replica {
    client: FluxerClient,
    manager: TokenManager,
}

fn is_store_error(result: &Result<Secret, Error>) -> bool {
    matches!(result, Err(Error::Store(_)))
}

/// Retries `access_token` while it fails with `Error::Store` (Redis coming back), at most 50 times.
async fn access_token_once_redis_is_back(manager: &TokenManager) -> Secret {
    let mut last = None;
    for _ in 0..50 {
        match manager.access_token().await {
            Ok(token) => return token,
            Err(e @ Error::Store(_)) => last = Some(e),
            Err(e) => panic!("expected success or a store error, got: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("Redis did not come back: {last:?}");
}

/// Test 1. Four replicas (separate managers, clients and store instances on one key) and 200
/// concurrent callers spread across them hit an expired access token: exactly one refresh request
/// per expiry reaches the server, no refresh token is sent twice, every caller gets the same valid
/// token. Six expiries in a row; in every second one the server holds the refresh for 150 ms, so
/// that every replica is sure to find the lease taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_replicas_and_200_callers_spend_one_refresh_per_expiry() {
    const REPLICAS: usize = 4;
    const CALLERS: usize = 200;
    const ROUNDS: usize = 6;
    const HELD: Duration = Duration::from_millis(150);
    bounded_by(Duration::from_secs(60), async {
        let url = shared_redis().await;
        let fx = Fixture::start().await;
        let (key, seed, initial) = fx.seed(&url, "replicas").await;
        let mut replicas = Vec::new();
        for _ in 0..REPLICAS {
            replicas.push(fx.replica(&url, &key, Duration::from_secs(10)).await);
        }
        let replicas = Arc::new(replicas);
        fx.emu.clear_requests();

        let mut walls = Vec::new();
        for round in 1..=ROUNDS {
            let held = round % 2 == 0;
            if held {
                fx.emu
                    .set_fault(Fault::Delay(HELD).on_path("/oauth2/token").times(1));
            }
            fx.expire();
            let barrier = Arc::new(Barrier::new(CALLERS));
            let started = Instant::now();
            let callers: Vec<_> = (0..CALLERS)
                .map(|i| {
                    let (replicas, barrier) = (replicas.clone(), barrier.clone());
                    tokio::spawn(async move {
                        barrier.wait().await;
                        replicas[i % REPLICAS].manager.access_token().await
                    })
                })
                .collect();
            let mut tokens = Vec::with_capacity(CALLERS);
            for caller in callers {
                match caller.await.expect("no caller panicked") {
                    Ok(token) => tokens.push(token),
                    Err(e) => panic!("round {round}: a caller failed: {e}"),
                }
            }
            let wall = started.elapsed();
            walls.push(format!(
                "{}{}",
                wall.as_millis(),
                if held { " (held)" } else { "" }
            ));
            if held {
                assert!(
                    wall >= HELD,
                    "round {round}: the refresh was held ({wall:?})"
                );
            }

            assert_eq!(
                fx.refreshes(),
                round,
                "round {round}: exactly one refresh request per expiry"
            );
            let distinct: HashSet<&str> = tokens.iter().map(|t| t.expose_secret()).collect();
            assert_eq!(
                distinct.len(),
                1,
                "round {round}: every caller got the same token"
            );
            for (i, token) in tokens.iter().enumerate() {
                assert!(
                    fx.accepts(&replicas[i % REPLICAS].client, token).await,
                    "round {round}: caller {i}'s token is valid at the server"
                );
            }
            let stored = seed.load().await.expect("Redis answers").expect("a pair");
            assert_eq!(stored.version, 1 + round as u64);
            for replica in replicas.iter() {
                assert_eq!(replica.manager.tokens(), stored.tokens);
                assert!(!replica.manager.needs_reauthorization());
            }
        }
        let spent = fx.spent_refresh_tokens();
        let distinct: HashSet<&String> = spent.iter().collect();
        assert_eq!(spent.len(), ROUNDS);
        assert_eq!(distinct.len(), ROUNDS, "no refresh token was sent twice");
        assert_eq!(spent[0], initial.refresh_token.expose_secret());
        println!(
            "redis store, replicas: replicas={REPLICAS} callers={CALLERS} rounds={ROUNDS} \
             refresh_requests={} refresh_tokens_sent_twice=0 invalid_grant=0 \
             wall_ms_per_round={walls:?} (held: the server held the refresh {HELD:?})",
            fx.refreshes(),
        );
        delete(&url, &seed).await;
        fx.emu.shutdown().await;
    })
    .await;
}

/// Test 2. The lease holder dies mid-refresh (it took the lease, with a 500 ms ttl, and never gave
/// it back): the replicas wait for the lease to expire, then one of them refreshes. Still exactly
/// one refresh request, every caller served, nothing spent twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dead_lease_holder_delays_the_refresh_but_nothing_is_spent_twice() {
    const LEASE_TTL: Duration = Duration::from_millis(500);
    const CALLERS: usize = 100;
    bounded_by(Duration::from_secs(30), async {
        let url = shared_redis().await;
        let fx = Fixture::start().await;
        let (key, seed, _) = fx.seed(&url, "dead-holder").await;
        let replicas = Arc::new(vec![
            fx.replica(&url, &key, LEASE_TTL).await,
            fx.replica(&url, &key, LEASE_TTL).await,
        ]);
        fx.emu.clear_requests();

        // The holder that dies: its lease is never released (no drop, no release).
        let dead = RedisTokenStore::new(&url, &key).expect("a Redis URL");
        let lease = dead
            .lock_refresh(LEASE_TTL)
            .await
            .expect("the lease is free");
        let taken = Instant::now();
        std::mem::forget(lease);
        let left = pttl(&url, dead.lease_key()).await;
        assert!(
            0 < left && left <= 500,
            "the lease expires on its own: PTTL {left}"
        );

        fx.expire();
        let callers: Vec<_> = (0..CALLERS)
            .map(|i| {
                let replicas = replicas.clone();
                tokio::spawn(async move { replicas[i % 2].manager.access_token().await })
            })
            .collect();
        let mut tokens = HashSet::new();
        for caller in callers {
            let token = caller
                .await
                .expect("no caller panicked")
                .expect("every caller gets a token once the dead lease expires");
            tokens.insert(token.expose_secret().to_owned());
        }
        let waited = taken.elapsed();
        assert!(
            waited >= Duration::from_millis(450),
            "the replicas waited for the lease to expire ({waited:?})"
        );
        assert_eq!(fx.refreshes(), 1, "exactly one refresh request");
        assert_eq!(tokens.len(), 1);
        let token = Secret::new(tokens.into_iter().next().expect("one token"));
        assert!(fx.accepts(&replicas[0].client, &token).await);
        let stored = seed.load().await.expect("Redis answers").expect("a pair");
        assert_eq!(stored.version, 2);
        assert_eq!(stored.tokens.access_token, token);
        assert!(
            !exists(&url, seed.lease_key()).await,
            "the lease was released"
        );
        println!(
            "redis store, dead lease holder: lease_ttl_ms=500 replicas=2 callers={CALLERS} \
             refresh_requests={} wait_ms={}",
            fx.refreshes(),
            waited.as_millis()
        );
        delete(&url, &seed).await;
        fx.emu.shutdown().await;
    })
    .await;
}

/// Test 2, continued. Replica A's refresh is slow (its request is held up before the server reads
/// it) and its lease expires meanwhile: replica B takes the lease, refreshes and saves. A's late
/// request is refused (its refresh token was spent), A finds B's pair in the store and uses it; the
/// user stays signed in on both. And a save from the version A started from can never overwrite
/// B's newer pair.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refresh_whose_lease_expired_cannot_overwrite_a_newer_pair() {
    const LEASE_TTL: Duration = Duration::from_millis(300);
    bounded_by(Duration::from_secs(30), async {
        let url = shared_redis().await;
        let fx = Fixture::start().await;
        let (key, seed, _) = fx.seed(&url, "expired-lease").await;
        let a = fx.replica(&url, &key, LEASE_TTL).await;
        let b = fx.replica(&url, &key, LEASE_TTL).await;
        fx.emu.clear_requests();
        fx.emu.set_fault(
            Fault::Delay(Duration::from_millis(900))
                .on_path("/oauth2/token")
                .times(1),
        );
        fx.expire();

        let slow = tokio::spawn({
            let manager = a.manager.clone();
            async move { manager.access_token().await }
        });
        // A's refresh request has arrived (and is held up); A holds the lease.
        for _ in 0..200 {
            if fx.refreshes() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(fx.refreshes(), 1, "A's refresh request is in flight");
        let b_token = b
            .manager
            .access_token()
            .await
            .expect("B refreshes once A's lease expired");
        let a_token = slow
            .await
            .expect("A did not panic")
            .expect("A adopts the pair B saved");

        assert_eq!(a_token, b_token);
        assert!(fx.accepts(&a.client, &a_token).await);
        let spent = fx.spent_refresh_tokens();
        assert_eq!(spent.len(), 2, "A and B each sent one refresh request");
        assert_eq!(
            spent[0], spent[1],
            "both sent the refresh token of version 1"
        );
        let stored = seed.load().await.expect("Redis answers").expect("a pair");
        assert_eq!(stored.version, 2, "one save, B's");
        assert_eq!(stored.tokens, b.manager.tokens());
        assert_eq!(a.manager.tokens(), b.manager.tokens());
        assert!(!a.manager.needs_reauthorization() && !b.manager.needs_reauthorization());

        // A save from version 1 (a writer whose lease expired) conflicts and writes nothing.
        let mut late = fx.authorize().await;
        late.scope = "late".parse().unwrap();
        match seed.save(&late, Some(1)).await.expect("Redis answers") {
            SaveOutcome::Conflict { current } => {
                assert_eq!(current.version, 2);
                assert_eq!(current.tokens, stored.tokens);
            }
            other => panic!("a stale save must conflict, got {other:?}"),
        }
        assert_eq!(seed.load().await.unwrap(), Some(stored));
        delete(&url, &seed).await;
        fx.emu.shutdown().await;
    })
    .await;
}

/// Test 3. Redis (a server of the test's own) is killed mid-run, twice: once while the pair is
/// only being used, once while a refresh is in flight. Calls fail with `Error::Store` saying where
/// Redis was expected, the manager keeps the latest pair in memory and never sends a spent refresh
/// token again, and once Redis is back (empty: it keeps nothing on disk) the pair is saved and
/// every replica agrees on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_stopped_mid_run_gives_store_errors_and_loses_nothing() {
    bounded_by(Duration::from_secs(60), async {
        let port = free_port();
        let mut server = RedisServer::start(port).await;
        let url = server.url();
        let fx = Fixture::start().await;
        let key = unique_key("outage");
        let store = RedisTokenStore::new(&url, &key)
            .expect("a Redis URL")
            .timeout(Duration::from_secs(2));
        let initial = fx.authorize().await;
        let client = fx.client();
        let manager = TokenManager::builder(
            client.clone(),
            fx.app.credentials(),
            Arc::new(store.clone()),
            Some(initial.clone()),
        )
        .clock(fx.clock.clone())
        .build()
        .await
        .expect("the manager builds and seeds Redis");
        assert_eq!(store.load().await.unwrap().map(|s| s.version), Some(1));
        let reach = format!("could not reach Redis at redis://127.0.0.1:{port}/");

        // Redis goes away while the access token is valid: calls go on without it.
        server.kill();
        let me = manager
            .call(|c| async move { c.get_oauth2_userinfo().send().await })
            .await
            .expect("a valid access token needs no store");
        assert_eq!(me.username, "alice");

        // The token expires while Redis is away: a typed error, nothing spent, the pair kept.
        fx.expire();
        let started = Instant::now();
        let failed = manager.access_token().await;
        let Err(Error::Store(message)) = &failed else {
            panic!("expected Error::Store, got {failed:?}");
        };
        assert!(message.contains(&reach), "{message}");
        assert!(message.contains("is it running?"), "{message}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the error came within the timeout"
        );
        println!("redis store, outage: {}", failed.as_ref().unwrap_err());
        assert_eq!(fx.refreshes(), 0, "no refresh without the lease");
        assert_eq!(manager.tokens(), initial);

        // Redis is back, empty: the next call refreshes and saves.
        server = RedisServer::start(port).await;
        let token = access_token_once_redis_is_back(&manager).await;
        assert_eq!(fx.refreshes(), 1);
        assert!(fx.accepts(&client, &token).await);
        let stored = store.load().await.unwrap().expect("the refreshed pair");
        assert_eq!(stored.version, 2);
        assert_eq!(stored.tokens, manager.tokens());

        // Redis dies while a refresh is in flight: the refresh succeeds, the save fails.
        fx.emu.set_fault(
            Fault::Delay(Duration::from_millis(700))
                .on_path("/oauth2/token")
                .times(1),
        );
        fx.expire();
        let before = manager.tokens();
        let pending = tokio::spawn({
            let manager = manager.clone();
            async move { manager.access_token().await }
        });
        for _ in 0..200 {
            if fx.refreshes() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(fx.refreshes(), 2, "the refresh request is in flight");
        server.kill();
        let failed = pending.await.expect("no panic");
        let Err(Error::Store(message)) = &failed else {
            panic!("expected Error::Store, got {failed:?}");
        };
        assert!(message.contains(&reach), "{message}");
        let kept = manager.tokens();
        assert_ne!(
            kept.refresh_token, before.refresh_token,
            "the new pair is in memory"
        );
        assert!(
            fx.accepts(&client, &kept.access_token).await,
            "the kept pair is the one the server issued"
        );
        for _ in 0..3 {
            assert!(is_store_error(&manager.access_token().await));
        }
        assert_eq!(
            fx.refreshes(),
            2,
            "the spent refresh token is not sent again"
        );
        assert_eq!(manager.tokens(), kept);

        // Redis is back, empty: the kept pair is saved first, then handed out.
        server = RedisServer::start(port).await;
        let token = access_token_once_redis_is_back(&manager).await;
        assert_eq!(token, kept.access_token);
        assert_eq!(fx.refreshes(), 2);
        let stored = store.load().await.unwrap().expect("the kept pair");
        assert_eq!(stored.version, 3);
        assert_eq!(stored.tokens, kept);

        // A replica that starts now gets that pair; a new authorization replaces it everywhere.
        let other = fx.replica(&url, &key, Duration::from_secs(10)).await;
        assert_eq!(other.manager.tokens(), kept);
        let fresh = fx.authorize().await;
        manager.replace(fresh.clone()).await.expect("Redis is back");
        let stored = store.load().await.unwrap().expect("the new pair");
        assert_eq!((stored.version, &stored.tokens), (4, &fresh));
        other.manager.reload().await.expect("Redis answers");
        assert_eq!(other.manager.tokens(), fresh);
        assert_eq!(fx.refreshes(), 2);
        drop(server);
        fx.emu.shutdown().await;
    })
    .await;
}

/// Test 4. The compare-and-swap: the first save needs an empty key, a stale version conflicts and
/// writes nothing, the pair comes back as saved.
#[tokio::test]
async fn a_stale_version_conflicts_and_the_pair_round_trips() {
    bounded_by(Duration::from_secs(10), async {
        let url = shared_redis().await;
        let store = RedisTokenStore::new(&url, unique_key("cas")).expect("a Redis URL");
        let other = RedisTokenStore::new(&url, store.key()).expect("a Redis URL");
        let v1 = pair("a1", "r1");
        let v2 = pair("a2", "r2");

        assert_eq!(store.load().await.unwrap(), None);
        assert_eq!(
            store.save(&v1, None).await.unwrap(),
            SaveOutcome::Saved { version: 1 }
        );
        let loaded = other.load().await.unwrap().expect("saved");
        assert_eq!((loaded.version, &loaded.tokens), (1, &v1));

        // A second "first save" and a wrong version both conflict.
        for expected in [None, Some(0), Some(2)] {
            match other.save(&v2, expected).await.unwrap() {
                SaveOutcome::Conflict { current } => assert_eq!(current, loaded),
                saved => panic!("expected {expected:?} to conflict, got {saved:?}"),
            }
        }
        assert_eq!(
            other.save(&v2, Some(1)).await.unwrap(),
            SaveOutcome::Saved { version: 2 }
        );
        // The first store still holds version 1: its save conflicts with version 2.
        match store.save(&pair("a3", "r3"), Some(1)).await.unwrap() {
            SaveOutcome::Conflict { current } => {
                assert_eq!((current.version, &current.tokens), (2, &v2))
            }
            saved => panic!("a stale save must conflict, got {saved:?}"),
        }
        assert_eq!(store.load().await.unwrap().map(|s| s.version), Some(2));
        delete(&url, &store).await;
    })
    .await;
}

/// Test 4. The pair's key has the TTL asked for (30 days by default, none with `ttl(None)`), and
/// every save sets it again; the prefix names both keys.
#[tokio::test]
async fn the_pair_key_has_the_ttl_asked_for() {
    bounded_by(Duration::from_secs(10), async {
        let url = shared_redis().await;
        let day = 86_400_000;

        let default = RedisTokenStore::new(&url, unique_key("ttl")).expect("a Redis URL");
        assert_eq!(default.pair_ttl(), Some(Duration::from_secs(30 * 86_400)));
        assert!(default.save(&pair("a1", "r1"), None).await.is_ok());
        let left = pttl(&url, default.key()).await;
        assert!(30 * day - 60_000 < left && left <= 30 * day, "PTTL {left}");

        let short = default
            .with_key(unique_key("ttl-short"))
            .unwrap()
            .ttl(Duration::from_secs(60));
        assert!(short.save(&pair("a1", "r1"), None).await.is_ok());
        let left = pttl(&url, short.key()).await;
        assert!(55_000 < left && left <= 60_000, "PTTL {left}");
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert!(short.save(&pair("a2", "r2"), Some(1)).await.is_ok());
        let again = pttl(&url, short.key()).await;
        assert!(
            again > left - 1000 && again <= 60_000,
            "a save sets the TTL again: PTTL {again}"
        );

        let forever = RedisTokenStore::new(&url, unique_key("ttl-none"))
            .unwrap()
            .ttl(None);
        assert_eq!(forever.pair_ttl(), None);
        assert!(forever.save(&pair("a1", "r1"), None).await.is_ok());
        assert_eq!(pttl(&url, forever.key()).await, -1, "no expiry");

        let prefixed = RedisTokenStore::new(&url, "fluxer:tokens:42")
            .unwrap()
            .key_prefix(format!("test-{:x}:", rand::random::<u64>()));
        assert!(prefixed.key().ends_with(":fluxer:tokens:42"));
        assert_eq!(prefixed.lease_key(), format!("{}:lease", prefixed.key()));
        let lease = prefixed.lock_refresh(Duration::from_secs(5)).await.unwrap();
        let left = pttl(&url, prefixed.lease_key()).await;
        assert!(
            4_000 < left && left <= 5_000,
            "the lease's PTTL is its ttl: {left}"
        );
        lease.release().await.unwrap();

        for store in [&default, &short, &forever, &prefixed] {
            delete(&url, store).await;
        }
    })
    .await;
}

/// Test 4. The lease is exclusive; releasing it deletes it only if it is still the releaser's (a
/// lease that expired and was taken by another replica stays); a dropped lease is released in the
/// background; a waiter gives up after the ttl (plus a second), saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lease_is_exclusive_and_only_its_owner_releases_it() {
    bounded_by(Duration::from_secs(20), async {
        let url = shared_redis().await;
        let a = RedisTokenStore::new(&url, unique_key("lease")).expect("a Redis URL");
        let b = RedisTokenStore::new(&url, a.key()).expect("a Redis URL");

        // Exclusive: B waits, then gives up with a clear error.
        let held = a.lock_refresh(Duration::from_secs(10)).await.unwrap();
        let started = Instant::now();
        let refused = b
            .lock_refresh(Duration::from_millis(100))
            .await
            .unwrap_err();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(1100) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
        assert!(refused.message().contains("stayed taken"), "{refused}");
        // Released, it is free at once.
        held.release().await.unwrap();
        assert!(!exists(&url, a.lease_key()).await);
        let started = Instant::now();
        let held = b.lock_refresh(Duration::from_millis(100)).await.unwrap();
        assert!(started.elapsed() < Duration::from_millis(500));
        held.release().await.unwrap();

        // A's lease expires and B takes it: A's release leaves B's lease alone.
        let expired = a.lock_refresh(Duration::from_millis(200)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let current = b.lock_refresh(Duration::from_secs(10)).await.unwrap();
        let owner_before = lease_owner(&url, a.lease_key()).await;
        expired.release().await.unwrap();
        assert_eq!(
            lease_owner(&url, a.lease_key()).await,
            owner_before,
            "compare-and-delete kept another owner's lease"
        );
        assert!(pttl(&url, a.lease_key()).await > 9_000);
        current.release().await.unwrap();
        assert!(!exists(&url, a.lease_key()).await);

        // Dropped without release: released in the background.
        let dropped = a.lock_refresh(Duration::from_secs(10)).await.unwrap();
        drop(dropped);
        let mut gone = false;
        for _ in 0..100 {
            if !exists(&url, a.lease_key()).await {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(gone, "a dropped lease is released");
        delete(&url, &a).await;
    })
    .await;
}

async fn lease_owner(url: &str, key: &str) -> Option<String> {
    let mut conn = raw(url).await.expect("Redis answers");
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut conn)
        .await
        .expect("GET")
}

/// Redis unreachable (nothing listens on the port): a `StoreError` that says where and what to
/// check, fast, and `TokenManager::build` turns it into `Error::Store`.
#[tokio::test]
async fn an_unreachable_redis_is_a_clear_store_error() {
    bounded_by(Duration::from_secs(20), async {
        let port = free_port();
        let store = RedisTokenStore::new(&format!("redis://127.0.0.1:{port}/"), "fluxer:tokens:1")
            .expect("a Redis URL")
            .timeout(Duration::from_secs(2));
        let started = Instant::now();
        let err: StoreError = store.load().await.unwrap_err();
        let full = err.full_message();
        assert!(
            full.starts_with(&format!(
                "could not reach Redis at redis://127.0.0.1:{port}/ to read the token pair: is it running?"
            )),
            "{full}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(store.lock_refresh(Duration::from_secs(1)).await.is_err());
        assert!(store.save(&pair("a", "r"), None).await.is_err());

        let built = TokenManager::builder(
            FluxerClient::builder().build().expect("a client"),
            fluxer_oauth2::oauth::ClientCredentials::new("1574449618593251330", "secret")
                .expect("an id"),
            Arc::new(store),
            Some(pair("a", "r")),
        )
        .build()
        .await;
        let Err(Error::Store(message)) = built else {
            panic!("expected Error::Store, got {built:?}");
        };
        assert!(message.contains("is it running?"), "{message}");
    })
    .await;
}

/// Secrets stay out of `Debug` and of errors: the URL's password, and a stored value that is not a
/// pair; a malformed URL is refused without being quoted.
#[tokio::test]
async fn secrets_stay_out_of_debug_and_errors() {
    bounded_by(Duration::from_secs(10), async {
        let url = shared_redis().await;
        let with_password = RedisTokenStore::new(
            "redis://user:hunter2-password@127.0.0.1:1/3?protocol=resp2",
            "k",
        )
        .expect("a Redis URL");
        let debug = format!("{with_password:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("redis://127.0.0.1:1/3"), "{debug}");

        for bad in [
            "http://hunter2@127.0.0.1/",
            "redis://:hunter2@[::1/",
            "hunter2",
        ] {
            let err = RedisTokenStore::new(bad, "k").unwrap_err();
            assert!(!err.full_message().contains("hunter2"), "{err}");
            assert!(err.message().contains("not a Redis URL"), "{err}");
        }
        assert!(RedisTokenStore::new(&url, "").is_err());

        let store = RedisTokenStore::new(&url, unique_key("corrupt")).expect("a Redis URL");
        let mut conn = raw(&url).await.expect("Redis answers");
        let canary = r#"{"version":1,"access_token":"canary-secret-value","refresh_token":5}"#;
        let _: () = redis::cmd("SET")
            .arg(store.key())
            .arg(canary)
            .query_async(&mut conn)
            .await
            .unwrap();
        let loaded = store.load().await.unwrap_err();
        assert!(!loaded.full_message().contains("canary"), "{loaded}");
        assert!(
            loaded.message().contains("does not hold a token pair"),
            "{loaded}"
        );
        // The save script reads the version (1) and conflicts; decoding the conflict fails cleanly.
        let saved = store.save(&pair("a", "r"), None).await.unwrap_err();
        assert!(!saved.full_message().contains("canary"), "{saved}");

        let _: () = redis::cmd("SET")
            .arg(store.key())
            .arg("canary-secret-value, not JSON")
            .query_async(&mut conn)
            .await
            .unwrap();
        let saved = store.save(&pair("a", "r"), Some(1)).await.unwrap_err();
        assert!(!saved.full_message().contains("canary"), "{saved}");
        assert!(saved.message().contains("not a token pair"), "{saved}");
        delete(&url, &store).await;
    })
    .await;
}

/// The ACL user the store's documentation suggests is enough for the whole protocol, and a key
/// outside its pattern, or a wrong password, gives an error that says what to fix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_acl_user_is_enough() {
    bounded_by(Duration::from_secs(30), async {
        let port = free_port();
        let server = RedisServer::start(port).await;
        let mut admin = raw(&server.url()).await.expect("Redis answers");
        let _: () = redis::cmd("ACL")
            .arg("SETUSER")
            .arg("fluxer-tokens")
            .arg("on")
            .arg(">acl-password-canary")
            .arg("~fluxer:tokens:*")
            .arg("resetchannels")
            .arg("-@all")
            .arg("+get")
            .arg("+set")
            .arg("+del")
            .arg("+evalsha")
            .arg("+script|load")
            .query_async(&mut admin)
            .await
            .expect("ACL SETUSER");
        let url = format!("redis://fluxer-tokens:acl-password-canary@127.0.0.1:{port}/");

        let store = RedisTokenStore::new(&url, "fluxer:tokens:1574449618593251330")
            .expect("a Redis URL")
            .timeout(Duration::from_secs(2));
        assert_eq!(
            store.save(&pair("a1", "r1"), None).await.expect("allowed"),
            SaveOutcome::Saved { version: 1 }
        );
        let lease = store
            .lock_refresh(Duration::from_secs(5))
            .await
            .expect("allowed");
        let held = store.load().await.expect("allowed").expect("saved");
        assert!(matches!(
            store.save(&pair("a2", "r2"), Some(held.version)).await,
            Ok(SaveOutcome::Saved { version: 2 })
        ));
        lease.release().await.expect("allowed");

        // Without DEL, the release script is refused, and the error says what the user needs.
        let _: () = redis::cmd("ACL")
            .arg("SETUSER")
            .arg("no-del")
            .arg("on")
            .arg(">acl-password-canary")
            .arg("~fluxer:tokens:*")
            .arg("resetchannels")
            .arg("-@all")
            .arg("+get")
            .arg("+set")
            .arg("+evalsha")
            .arg("+script|load")
            .query_async(&mut admin)
            .await
            .expect("ACL SETUSER");
        let no_del = RedisTokenStore::new(
            &format!("redis://no-del:acl-password-canary@127.0.0.1:{port}/"),
            "fluxer:tokens:1574449618593251330",
        )
        .expect("a Redis URL");
        let lease = no_del
            .lock_refresh(Duration::from_secs(5))
            .await
            .expect("SET is allowed");
        let err = lease.release().await.unwrap_err();
        assert!(
            err.message()
                .contains("GET, SET, DEL, EVALSHA and SCRIPT LOAD"),
            "{}",
            err.full_message()
        );

        let outside = store.with_key("elsewhere:1").expect("a key");
        let err = outside.load().await.unwrap_err();
        assert!(
            err.message().contains("did not allow"),
            "{}",
            err.full_message()
        );
        assert!(
            !err.full_message().contains("canary"),
            "{}",
            err.full_message()
        );

        let wrong = RedisTokenStore::new(
            &format!("redis://fluxer-tokens:wrong-canary@127.0.0.1:{port}/"),
            "fluxer:tokens:1",
        )
        .expect("a Redis URL")
        .timeout(Duration::from_secs(2));
        let err = wrong.load().await.unwrap_err();
        assert!(
            err.message().contains("refused the credentials"),
            "{}",
            err.full_message()
        );
        assert!(
            !err.full_message().contains("canary"),
            "{}",
            err.full_message()
        );
        drop(server);
    })
    .await;
}

fn pair(access: &str, refresh: &str) -> TokenSet {
    TokenSet {
        access_token: Secret::new(access),
        refresh_token: Secret::new(refresh),
        scope: "identify".parse().unwrap(),
        token_type: "Bearer".to_owned(),
        expires_in: WEEK,
        // Whole milliseconds, as the store keeps them.
        expires_at: UNIX_EPOCH + Duration::from_millis(1_900_000_000_123),
    }
}
