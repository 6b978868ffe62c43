//! `TokenManager`, the token stores and the refresh protocol, against a mock token endpoint.

use std::{
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    task::{Context, Poll, Waker},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::common::bounded;
use fluxer_oauth2::{
    Error, FluxerClient, Secret,
    oauth::{
        BoxFuture, ClientCredentials, FileStore, ManualClock, MemoryStore, RefreshLease,
        SaveOutcome, StoreError, StoredTokens, TokenManager, TokenSet, TokenStore,
    },
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{header, method, path},
};

const WEEK: Duration = Duration::from_secs(604_800);

fn pair(access: &str, refresh: &str, expires_at: SystemTime) -> TokenSet {
    TokenSet {
        access_token: Secret::new(access),
        refresh_token: Secret::new(refresh),
        scope: "guilds identify".parse().unwrap(),
        token_type: "Bearer".to_owned(),
        expires_in: WEEK,
        expires_at,
    }
}

fn expired(access: &str, refresh: &str) -> TokenSet {
    pair(access, refresh, SystemTime::now() - Duration::from_secs(10))
}

fn token_answer(access: &str, refresh: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "Bearer",
        "expires_in": 604800,
        "scope": "guilds identify",
    }))
}

fn invalid_grant() -> ResponseTemplate {
    ResponseTemplate::new(400).set_body_json(json!({
        "error": "invalid_grant",
        "error_description": "Invalid refresh token",
    }))
}

fn credentials() -> ClientCredentials {
    ClientCredentials::new("1574449618593251330", "client-secret").unwrap()
}

fn client(server: &MockServer) -> FluxerClient {
    FluxerClient::builder()
        .base_url(server.uri())
        .build()
        .unwrap()
}

async fn manager(
    server: &MockServer,
    store: Arc<dyn TokenStore>,
    initial: Option<TokenSet>,
) -> TokenManager {
    TokenManager::builder(client(server), credentials(), store, initial)
        .build()
        .await
        .unwrap()
}

/// A manager whose store starts with the expired pair `access-1`/`refresh-1`.
async fn expired_manager(server: &MockServer, store: Arc<dyn TokenStore>) -> TokenManager {
    manager(server, store, Some(expired("access-1", "refresh-1"))).await
}

/// Mounts the refresh grant of the token endpoint.
async fn mount_refresh(server: &MockServer, answer: impl Respond + 'static) {
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// A token endpoint whose refresh grant answers `access-2`/`refresh-2`.
async fn refresh_server() -> MockServer {
    let server = MockServer::start().await;
    mount_refresh(&server, token_answer("access-2", "refresh-2")).await;
    server
}

/// A token endpoint whose refresh grant answers `access-2`/`refresh-2` after `delay`.
async fn slow_refresh_server(delay: Duration) -> MockServer {
    let server = MockServer::start().await;
    mount_refresh(
        &server,
        token_answer("access-2", "refresh-2").set_delay(delay),
    )
    .await;
    server
}

fn is_refresh(request: &Request) -> bool {
    request.url.path() == "/oauth2/token" && contains(&request.body, "grant_type=refresh_token")
}

fn contains(body: &[u8], needle: &str) -> bool {
    body.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn refresh_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| is_refresh(r))
        .count()
}

/// How many refresh requests sent this refresh token.
async fn spent(server: &MockServer, refresh_token: &str) -> usize {
    let needle = format!("refresh_token={refresh_token}");
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| is_refresh(r) && contains(&r.body, &needle))
        .count()
}

/// Polls a future that is ready at once (the memory store's futures are).
fn now_or_never<T>(future: BoxFuture<'_, T>) -> T {
    let mut future = future;
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("the future was not ready"),
    }
}

/// The access token the manager hands out now (after a refresh, when one is due).
async fn current(manager: &TokenManager) -> String {
    manager
        .access_token()
        .await
        .unwrap()
        .expose_secret()
        .to_owned()
}

fn access(tokens: &TokenSet) -> &str {
    tokens.access_token.expose_secret()
}

/// A store that fails the next `n` saves, then behaves like the memory store inside.
#[derive(Debug, Default)]
struct FailingStore {
    inner: MemoryStore,
    failing_saves: AtomicUsize,
}

impl FailingStore {
    fn fail_next_saves(&self, n: usize) {
        self.failing_saves.store(n, Ordering::SeqCst);
    }
}

impl TokenStore for FailingStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredTokens>, StoreError>> {
        self.inner.load()
    }

    fn save<'a>(
        &'a self,
        tokens: &'a TokenSet,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<SaveOutcome, StoreError>> {
        let fail = self
            .failing_saves
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            return Box::pin(async { Err(StoreError::new("the disk is full")) });
        }
        self.inner.save(tokens, expected_version)
    }

    fn lock_refresh(
        &self,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<Box<dyn RefreshLease>, StoreError>> {
        self.inner.lock_refresh(ttl)
    }
}

/// A token endpoint that, while answering, lets "another replica" save a pair into the store first.
struct RacingReplica {
    store: Arc<MemoryStore>,
    winner: TokenSet,
    answer: ResponseTemplate,
}

impl Respond for RacingReplica {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let current = now_or_never(self.store.load()).unwrap().map(|s| s.version);
        let saved = now_or_never(self.store.save(&self.winner, current)).unwrap();
        assert!(matches!(saved, SaveOutcome::Saved { .. }));
        self.answer.clone()
    }
}

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fluxer-oauth2-{name}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_callers_share_one_refresh() {
    bounded(async {
        let server = slow_refresh_server(Duration::from_millis(100)).await;
        let store = Arc::new(MemoryStore::new());
        let manager = expired_manager(&server, store.clone()).await;

        let callers: Vec<_> = (0..100)
            .map(|_| {
                let manager = manager.clone();
                tokio::spawn(async move { manager.access_token().await })
            })
            .collect();
        for caller in callers {
            let token = caller.await.unwrap().unwrap();
            assert_eq!(token.expose_secret(), "access-2");
        }

        assert_eq!(refresh_requests(&server).await, 1);
        let stored = now_or_never(store.load()).unwrap().unwrap();
        assert_eq!(access(&stored.tokens), "access-2");
        assert_eq!(stored.version, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_ahead_of_expiry_by_the_clock() {
    bounded(async {
        let server = refresh_server().await;
        let start = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let clock = ManualClock::new(start);
        let initial = pair("access-1", "refresh-1", start + Duration::from_secs(3600));
        let manager = TokenManager::builder(
            client(&server),
            credentials(),
            Arc::new(MemoryStore::new()),
            Some(initial),
        )
        .clock(Arc::new(clock.clone()))
        .refresh_margin(Duration::from_secs(300))
        .build()
        .await
        .unwrap();

        assert_eq!(current(&manager).await, "access-1");
        clock.advance(Duration::from_secs(3600 - 301));
        assert_eq!(current(&manager).await, "access-1");
        assert_eq!(refresh_requests(&server).await, 0);

        // Inside the margin, still 5 minutes before expiry.
        clock.advance(Duration::from_secs(2));
        assert_eq!(current(&manager).await, "access-2");
        assert_eq!(refresh_requests(&server).await, 1);
        // The new expiry is computed with the manager's clock.
        assert_eq!(manager.tokens().expires_at, clock_now(&clock) + WEEK);
        assert_eq!(current(&manager).await, "access-2");
        assert_eq!(refresh_requests(&server).await, 1);
    })
    .await;
}

fn clock_now(clock: &ManualClock) -> SystemTime {
    use fluxer_oauth2::oauth::Clock as _;
    clock.now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_save_keeps_the_new_pair_and_saves_it_next_time_without_refreshing_again() {
    bounded(async {
        let server = refresh_server().await;
        let store = Arc::new(FailingStore::default());
        let manager = expired_manager(&server, store.clone()).await;
        store.fail_next_saves(1);

        let err = manager.access_token().await.unwrap_err();
        assert!(
            matches!(err, Error::Store(ref m) if m.contains("the disk is full")),
            "{err:?}"
        );
        // The new pair is held, the store still has the old one.
        assert_eq!(access(&manager.tokens()), "access-2");
        let stored = now_or_never(store.load()).unwrap().unwrap();
        assert_eq!((access(&stored.tokens), stored.version), ("access-1", 1));

        // The next call saves the held pair first, without a second refresh.
        assert_eq!(current(&manager).await, "access-2");
        let stored = now_or_never(store.load()).unwrap().unwrap();
        assert_eq!((access(&stored.tokens), stored.version), ("access-2", 2));
        assert_eq!(refresh_requests(&server).await, 1);
        assert_eq!(spent(&server, "refresh-1").await, 1);
        assert_eq!(current(&manager).await, "access-2");
        assert_eq!(refresh_requests(&server).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_save_keeps_the_lease_so_no_replica_spends_the_token_again() {
    bounded(async {
        let server = refresh_server().await;
        let store = Arc::new(FailingStore::default());
        let first = expired_manager(&server, store.clone()).await;
        let second = TokenManager::builder(client(&server), credentials(), store.clone(), None)
            .lease_ttl(Duration::from_millis(300))
            .build()
            .await
            .unwrap();
        store.fail_next_saves(1);

        assert!(matches!(first.access_token().await, Err(Error::Store(_))));
        // The other replica finds the stored pair expiring, but the lease is still held: it gives up
        // rather than spend `refresh-1` a second time.
        assert!(matches!(second.access_token().await, Err(Error::Store(_))));
        assert_eq!(spent(&server, "refresh-1").await, 1);

        // Once the first replica saved, the second adopts its pair.
        assert_eq!(current(&first).await, "access-2");
        assert_eq!(current(&second).await, "access-2");
        assert_eq!(refresh_requests(&server).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_requires_reauthorization_and_stops_all_traffic() {
    bounded(async {
        let server = MockServer::start().await;
        mount_refresh(&server, invalid_grant()).await;
        let manager = expired_manager(&server, Arc::new(MemoryStore::new())).await;

        let err = manager.access_token().await.unwrap_err();
        assert!(
            matches!(err, Error::ReauthorizationRequired { ref description } if description == "Invalid refresh token"),
            "{err:?}"
        );
        assert!(manager.needs_reauthorization());
        for _ in 0..5 {
            assert!(matches!(manager.access_token().await, Err(Error::ReauthorizationRequired { .. })));
        }
        assert!(matches!(manager.client().await, Err(Error::ReauthorizationRequired { .. })));
        let call = manager.call(|c| async move { c.get_oauth2_userinfo().send().await }).await;
        assert!(matches!(call, Err(Error::ReauthorizationRequired { .. })));
        let json = manager.get_json::<serde_json::Value>("/users/@me").await;
        assert!(matches!(json, Err(Error::ReauthorizationRequired { .. })));
        assert_eq!(server.received_requests().await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_after_another_replica_refreshed_uses_its_pair() {
    bounded(async {
        let server = MockServer::start().await;
        let store = Arc::new(MemoryStore::new());
        let winner = pair("access-other", "refresh-other", SystemTime::now() + WEEK);
        mount_refresh(
            &server,
            RacingReplica {
                store: store.clone(),
                winner,
                answer: invalid_grant(),
            },
        )
        .await;
        let manager = expired_manager(&server, store.clone()).await;

        assert_eq!(current(&manager).await, "access-other");
        assert!(!manager.needs_reauthorization());
        assert_eq!(refresh_requests(&server).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cas_conflict_adopts_the_pair_the_other_replica_saved() {
    bounded(async {
        let server = MockServer::start().await;
        let store = Arc::new(MemoryStore::new());
        let winner = pair("access-other", "refresh-other", SystemTime::now() + WEEK);
        let answer = token_answer("access-2", "refresh-2");
        mount_refresh(
            &server,
            RacingReplica {
                store: store.clone(),
                winner,
                answer,
            },
        )
        .await;
        let manager = expired_manager(&server, store.clone()).await;

        assert_eq!(current(&manager).await, "access-other");
        let stored = now_or_never(store.load()).unwrap().unwrap();
        assert_eq!(
            (access(&stored.tokens), stored.version),
            ("access-other", 2)
        );
        assert_eq!(manager.tokens(), stored.tokens);
        // The adopted pair is fresh: nothing more is spent.
        assert_eq!(current(&manager).await, "access-other");
        assert_eq!(refresh_requests(&server).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_sharing_a_memory_store_refresh_once() {
    bounded(async {
        let server = slow_refresh_server(Duration::from_millis(100)).await;
        let store = Arc::new(MemoryStore::new());
        let a = expired_manager(&server, store.clone()).await;
        let b = manager(&server, store.clone(), None).await;
        assert_eq!(access(&b.tokens()), "access-1");

        let callers: Vec<_> = (0..40)
            .map(|i| {
                let manager = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move { manager.access_token().await })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap().unwrap().expose_secret(), "access-2");
        }
        assert_eq!(refresh_requests(&server).await, 1);
        assert_eq!(a.tokens(), b.tokens());
        assert_eq!(now_or_never(store.load()).unwrap().unwrap().version, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_another_replica_saved_is_adopted_without_refreshing() {
    bounded(async {
        let server = refresh_server().await;
        let store = Arc::new(MemoryStore::new());
        let manager = expired_manager(&server, store.clone()).await;
        let newer = pair("access-other", "refresh-other", SystemTime::now() + WEEK);
        assert_eq!(
            now_or_never(store.save(&newer, Some(1))).unwrap(),
            SaveOutcome::Saved { version: 2 }
        );

        assert_eq!(current(&manager).await, "access-other");
        assert_eq!(refresh_requests(&server).await, 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_refreshes_once_and_retries_once() {
    bounded(async {
        let server = slow_refresh_server(Duration::from_millis(50)).await;
        let unauthorized = ResponseTemplate::new(401)
            .set_body_json(json!({"code": "UNAUTHORIZED", "message": "Unauthorized"}));
        for route in ["/oauth2/userinfo", "/users/@me"] {
            Mock::given(method("GET"))
                .and(path(route))
                .and(header("authorization", "Bearer access-1"))
                .respond_with(unauthorized.clone())
                .mount(&server)
                .await;
            Mock::given(method("GET"))
                .and(path(route))
                .and(header("authorization", "Bearer access-2"))
                .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                    "sub": "1574449618593251331", "id": "1574449618593251331",
                    "username": "alice", "discriminator": "0001",
                })))
                .mount(&server)
                .await;
        }
        // Not near expiry: only the 401 makes the manager refresh.
        let fresh = pair("access-1", "refresh-1", SystemTime::now() + WEEK);
        let manager = manager(&server, Arc::new(MemoryStore::new()), Some(fresh)).await;

        // Ten calls refused at once: one refresh, each retried once.
        let calls: Vec<_> = (0..10)
            .map(|_| {
                let manager = manager.clone();
                tokio::spawn(async move {
                    manager
                        .call(|c| async move { c.get_oauth2_userinfo().send().await })
                        .await
                })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap().username, "alice");
        }
        assert_eq!(refresh_requests(&server).await, 1);
        // Every call ended with exactly one request with the new token, after at most one refusal.
        let requests = server.received_requests().await.unwrap();
        let userinfo_with = |token: &str| {
            let value = format!("Bearer {token}");
            requests
                .iter()
                .filter(|r| {
                    r.url.path() == "/oauth2/userinfo"
                        && r.headers
                            .get("authorization")
                            .is_some_and(|v| v == value.as_str())
                })
                .count()
        };
        assert_eq!(userinfo_with("access-2"), 10);
        assert!((1..=10).contains(&userinfo_with("access-1")));

        // The escape hatch uses the current token.
        let me: serde_json::Value = manager.get_json("/users/@me").await.unwrap();
        assert_eq!(me["username"], "alice");
        assert_eq!(refresh_requests(&server).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_escape_hatch_retries_a_401_and_maps_errors_like_typed_calls() {
    bounded(async {
        let server = refresh_server().await;
        Mock::given(method("GET"))
            .and(path("/users/@me/guilds"))
            .and(header("authorization", "Bearer access-1"))
            .respond_with(ResponseTemplate::new(401).set_body_json(json!({"code": "UNAUTHORIZED", "message": "Unauthorized"})))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/users/@me/guilds"))
            .and(header("authorization", "Bearer access-2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"id": "1", "name": "Guild"}])))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/users/@me"))
            .respond_with(ResponseTemplate::new(403).set_body_json(json!({
                "code": "MISSING_OAUTH_SCOPE", "message": "Missing scope", "required_scope": "identify",
            })))
            .mount(&server)
            .await;
        Mock::given(method("PATCH"))
            .and(path("/users/@me"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&server)
            .await;
        let fresh = pair("access-1", "refresh-1", SystemTime::now() + WEEK);
        let manager = manager(&server, Arc::new(MemoryStore::new()), Some(fresh)).await;

        let guilds: Vec<serde_json::Value> = manager.get_json("/users/@me/guilds").await.unwrap();
        assert_eq!(guilds[0]["name"], "Guild");
        assert_eq!(refresh_requests(&server).await, 1);

        let err = manager.get_json::<serde_json::Value>("/users/@me").await.unwrap_err();
        assert!(matches!(err, Error::MissingScope { ref scope, .. } if scope == "identify"), "{err:?}");
        let body = json!({"global_name": "Alice"});
        let (): () = manager.request_json(reqwest::Method::PATCH, "/users/@me", Some(&body)).await.unwrap();

        let before = server.received_requests().await.unwrap().len();
        for bad in ["users/@me", "https://evil.example/users/@me", "//evil.example/x", "/../x", "/a#b"] {
            let err = manager.get_json::<serde_json::Value>(bad).await.unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad:?}: {err:?}");
        }
        assert_eq!(server.received_requests().await.unwrap().len(), before);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_gives_up_does_not_lose_the_refreshed_pair() {
    bounded(async {
        let server = slow_refresh_server(Duration::from_millis(300)).await;
        let store = Arc::new(MemoryStore::new());
        let manager = expired_manager(&server, store.clone()).await;

        let gave_up = tokio::time::timeout(Duration::from_millis(50), manager.access_token()).await;
        assert!(gave_up.is_err());
        // The refresh went on without the caller and was saved.
        assert_eq!(current(&manager).await, "access-2");
        assert_eq!(
            access(&now_or_never(store.load()).unwrap().unwrap().tokens),
            "access-2"
        );
        assert_eq!(refresh_requests(&server).await, 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_pair_wins_over_the_initial_one_and_an_empty_store_needs_authorization() {
    bounded(async {
        let server = MockServer::start().await;
        let store = Arc::new(MemoryStore::new());
        let stored = pair("access-stored", "refresh-stored", SystemTime::now() + WEEK);
        let _ = now_or_never(store.save(&stored, None)).unwrap();
        let manager = manager(
            &server,
            store.clone(),
            Some(expired("access-old", "refresh-old")),
        )
        .await;
        assert_eq!(manager.tokens(), stored);

        let empty = TokenManager::builder(
            client(&server),
            credentials(),
            Arc::new(MemoryStore::new()),
            None,
        )
        .build()
        .await;
        assert!(matches!(empty, Err(Error::ReauthorizationRequired { .. })));
        assert!(server.received_requests().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replace_saves_a_new_authorization_and_reload_revives_other_replicas() {
    bounded(async {
        let server = MockServer::start().await;
        mount_refresh(&server, invalid_grant()).await;
        let store = Arc::new(MemoryStore::new());
        let first = expired_manager(&server, store.clone()).await;
        let other = manager(&server, store.clone(), None).await;
        for replica in [&first, &other] {
            assert!(matches!(
                replica.access_token().await,
                Err(Error::ReauthorizationRequired { .. })
            ));
        }

        // The user authorizes again; one replica installs the new pair.
        let new = pair("access-new", "refresh-new", SystemTime::now() + WEEK);
        first.replace(new.clone()).await.unwrap();
        assert!(!first.needs_reauthorization());
        assert_eq!(current(&first).await, "access-new");
        let stored = now_or_never(store.load()).unwrap().unwrap();
        assert_eq!((stored.tokens, stored.version), (new, 2));

        // The other replica stays quiet until told to look at the store again.
        assert!(other.needs_reauthorization());
        other.reload().await.unwrap();
        assert_eq!(current(&other).await, "access-new");
        // Each replica sent the refused token once; nothing was sent after that.
        assert_eq!(refresh_requests(&server).await, 2);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_store_round_trip_permissions_and_atomic_replace() {
    bounded(async {
        let dir = TempDir::new("round-trip");
        let file = dir.0.join("tokens.json");
        let store = FileStore::new(&file);
        assert_eq!(store.load().await.unwrap(), None);

        let expires_at = UNIX_EPOCH + Duration::from_secs(1_800_000_000) + Duration::from_micros(750_250);
        let first = pair("access-1", "refresh-1", expires_at);
        assert_eq!(store.save(&first, None).await.unwrap(), SaveOutcome::Saved { version: 1 });
        let loaded = store.load().await.unwrap().unwrap();
        assert_eq!(loaded.version, 1);
        // Whole milliseconds, rounded down: the record every store writes.
        assert_eq!(loaded.tokens, TokenSet { expires_at: UNIX_EPOCH + Duration::from_millis(1_800_000_000_750), ..first.clone() });

        let raw: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(
            raw,
            json!({
                "version": 1, "access_token": "access-1", "refresh_token": "refresh-1",
                "scope": "identify guilds", "token_type": "Bearer",
                "expires_in_secs": 604800, "expires_at_unix_ms": 1_800_000_000_750u64,
            })
        );
        // A file written before the record was shared (whole seconds) still reads.
        let old = std::fs::read_to_string(&file)
            .unwrap()
            .replace("\"expires_at_unix_ms\":1800000000750", "\"expires_at_unix\":1800000000");
        std::fs::write(&file, old).unwrap();
        let loaded = store.load().await.unwrap().unwrap();
        assert_eq!(loaded.tokens.expires_at, UNIX_EPOCH + Duration::from_secs(1_800_000_000));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }

        // Compare-and-swap on the version.
        let second = pair("access-2", "refresh-2", expires_at);
        assert_eq!(store.save(&second, Some(1)).await.unwrap(), SaveOutcome::Saved { version: 2 });
        let stale = store.save(&pair("access-x", "refresh-x", expires_at), Some(1)).await.unwrap();
        assert!(matches!(stale, SaveOutcome::Conflict { ref current } if current.version == 2 && access(&current.tokens) == "access-2"));
        assert!(matches!(store.save(&first, None).await.unwrap(), SaveOutcome::Conflict { .. }));
        assert_eq!(access(&store.load().await.unwrap().unwrap().tokens), "access-2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }

        // Renamed into place: no temporary file is left beside it.
        let mut names: Vec<String> = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["tokens.json", "tokens.json.save.lock"]);

        // A malformed file is an error that quotes no token.
        std::fs::write(&file, br#"{"version":"secret-looking-value-1234567890"}"#).unwrap();
        let err = store.load().await.unwrap_err();
        assert!(!err.full_message().contains("secret-looking"), "{err}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_file_lease_is_exclusive_between_stores_on_one_path() {
    bounded(async {
        let dir = TempDir::new("lease");
        let file = dir.0.join("tokens.json");
        let a = FileStore::new(&file);
        let b = FileStore::new(&file);

        let lease = a.lock_refresh(Duration::from_secs(1)).await.unwrap();
        assert!(b.lock_refresh(Duration::from_millis(100)).await.is_err());
        // A save does not need the lease, even while another store holds it.
        assert!(matches!(
            b.save(&expired("a", "r"), None).await.unwrap(),
            SaveOutcome::Saved { version: 1 }
        ));
        lease.release().await.unwrap();
        let lease = b.lock_refresh(Duration::from_secs(1)).await.unwrap();
        drop(lease);
        a.lock_refresh(Duration::from_secs(1))
            .await
            .unwrap()
            .release()
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_managers_sharing_a_file_store_refresh_once() {
    bounded(async {
        let server = slow_refresh_server(Duration::from_millis(100)).await;
        let dir = TempDir::new("replicas");
        let file = dir.0.join("tokens.json");
        // Two stores on one path: as two processes would have.
        let a = expired_manager(&server, Arc::new(FileStore::new(&file))).await;
        let b = manager(&server, Arc::new(FileStore::new(&file)), None).await;

        let callers: Vec<_> = (0..20)
            .map(|i| {
                let manager = if i % 2 == 0 { a.clone() } else { b.clone() };
                tokio::spawn(async move { manager.access_token().await })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap().unwrap().expose_secret(), "access-2");
        }
        assert_eq!(refresh_requests(&server).await, 1);
        assert_eq!(access(&a.tokens()), access(&b.tokens()));
        let stored = FileStore::new(&file).load().await.unwrap().unwrap();
        assert_eq!((access(&stored.tokens), stored.version), ("access-2", 2));
    })
    .await;
}

/// The default refresh lease outlasts the longest refresh call the client can make, so that no other
/// replica can refresh while this one still waits for its answer.
#[tokio::test]
async fn the_default_lease_outlasts_the_longest_refresh_call() {
    bounded(async {
        let server = MockServer::start().await;
        let store = Arc::new(MemoryStore::new());
        let initial = Some(pair(
            "a",
            "r",
            SystemTime::now() + Duration::from_secs(3600),
        ));
        // A client whose calls may take 130 s in all (every attempt and wait): 130 s plus 10 s.
        let slow = FluxerClient::builder()
            .base_url(server.uri())
            .call_timeout(Duration::from_secs(130))
            .build()
            .unwrap();
        let manager = TokenManager::builder(slow, credentials(), store.clone(), initial.clone())
            .build()
            .await
            .unwrap();
        assert!(
            format!("{manager:?}").contains("lease_ttl: 140s"),
            "{manager:?}"
        );
        // Default client: a whole call ends within 30 s, plus 10 s is below the 60 s floor.
        let manager = TokenManager::builder(
            client(&server),
            credentials(),
            store.clone(),
            initial.clone(),
        )
        .build()
        .await
        .unwrap();
        assert!(
            format!("{manager:?}").contains("lease_ttl: 60s"),
            "{manager:?}"
        );
        // A quick client without retries: never below the 60 s floor.
        let quick = FluxerClient::builder()
            .base_url(server.uri())
            .timeout(Duration::from_secs(1))
            .retry_policy(fluxer_oauth2::RetryPolicy::NONE)
            .build()
            .unwrap();
        let manager = TokenManager::builder(quick, credentials(), store, initial)
            .build()
            .await
            .unwrap();
        assert!(
            format!("{manager:?}").contains("lease_ttl: 60s"),
            "{manager:?}"
        );
    })
    .await;
}
