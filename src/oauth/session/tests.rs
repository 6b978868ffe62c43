//! Unit tests of the refused refresh token through the refresh protocol: when a refusal becomes
//! final, when it does not, and what clears it.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, SystemTime},
};

use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::path};

use super::{
    refresh::{Inner, Settings},
    state::Health,
};
use crate::{
    Error, FluxerClient, Secret,
    oauth::{
        BoxFuture, ClientCredentials, MemoryStore, RefreshLease, SaveOutcome, StoreError,
        StoredTokens, SystemClock, TokenSet, TokenStore,
    },
};

/// The `error_description` the token endpoint refuses with.
pub(super) const REFUSAL: &str = "Invalid refresh token";

/// A pair with the access token `access`, expiring at `expires_at`.
pub(super) fn pair(access: &str, expires_at: SystemTime) -> TokenSet {
    TokenSet {
        access_token: Secret::new(access),
        refresh_token: Secret::new(format!("refresh-of-{access}")),
        scope: "identify".parse().expect("a scope"),
        token_type: "Bearer".to_owned(),
        expires_in: Duration::from_secs(604_800),
        expires_at,
    }
}

/// A memory store whose loads fail while `unreadable` is set (saves and the lease still work).
#[derive(Debug, Default)]
struct FlakyStore {
    inner: MemoryStore,
    unreadable: AtomicBool,
}

impl TokenStore for FlakyStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredTokens>, StoreError>> {
        if self.unreadable.load(Ordering::SeqCst) {
            return Box::pin(async { Err(StoreError::new("the store is unreachable")) });
        }
        self.inner.load()
    }

    fn save<'a>(
        &'a self,
        tokens: &'a TokenSet,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<SaveOutcome, StoreError>> {
        self.inner.save(tokens, expected_version)
    }

    fn lock_refresh(
        &self,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<Box<dyn RefreshLease>, StoreError>> {
        self.inner.lock_refresh(ttl)
    }
}

/// A token endpoint that refuses every refresh token, and may make the store unreadable as it does.
struct Refuse {
    cut: Option<Arc<FlakyStore>>,
}

impl Respond for Refuse {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if let Some(store) = &self.cut {
            store.unreadable.store(true, Ordering::SeqCst);
        }
        ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant",
            "error_description": REFUSAL,
        }))
    }
}

/// A token endpoint that refuses every refresh token (cutting the store off when `cut` is given),
/// and the shared part of a manager whose expired pair `access-1` is stored as version 1.
async fn refused_manager(
    store: Arc<FlakyStore>,
    cut: Option<Arc<FlakyStore>>,
) -> (MockServer, Arc<Inner>) {
    let server = MockServer::start().await;
    Mock::given(path("/oauth2/token"))
        .respond_with(Refuse { cut })
        .mount(&server)
        .await;
    let client = FluxerClient::builder()
        .base_url(server.uri())
        .build()
        .expect("the client builds");
    let settings = Settings {
        client,
        credentials: ClientCredentials::new("1574449618593251330", "client-secret").expect("an id"),
        store,
        clock: Arc::new(SystemClock),
        margin: Duration::from_secs(60),
        lease_ttl: Duration::from_secs(5),
    };
    let expired = pair("access-1", SystemTime::now() - Duration::from_secs(10));
    let inner = Inner::open(settings, Some(expired))
        .await
        .expect("the manager opens");
    assert_eq!(inner.read().version, Some(1));
    (server, inner)
}

async fn refresh_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .expect("requests are recorded")
        .len()
}

fn health(inner: &Inner) -> Health {
    inner.read().health.clone()
}

fn refused() -> Health {
    Health::Refused {
        description: REFUSAL.to_owned(),
    }
}

fn needs_reauthorization() -> Health {
    Health::NeedsReauthorization {
        description: REFUSAL.to_owned(),
    }
}

fn is_reauthorization<T>(result: &Result<T, Error>) -> bool {
    matches!(result, Err(Error::ReauthorizationRequired { description }) if description == REFUSAL)
}

#[tokio::test]
async fn a_refusal_is_final_only_once_the_store_shows_nothing_newer() {
    let store = Arc::new(FlakyStore::default());
    let (server, inner) = refused_manager(store.clone(), Some(store.clone())).await;

    // Refused, and the store could not be read: not final yet.
    let first = inner.current().await;
    assert!(matches!(first, Err(Error::Store(_))), "{first:?}");
    assert_eq!(health(&inner), refused());
    // Still unreadable: the next caller is told so, and the refused token is not sent again.
    let second = inner.current().await;
    assert!(matches!(second, Err(Error::Store(_))), "{second:?}");
    assert_eq!(health(&inner), refused());
    assert_eq!(refresh_requests(&server).await, 1);

    // The store answers and holds nothing newer: the user must authorize again.
    store.unreadable.store(false, Ordering::SeqCst);
    assert!(is_reauthorization(&inner.current().await));
    assert_eq!(health(&inner), needs_reauthorization());
    assert!(is_reauthorization(&inner.current().await));
    assert_eq!(refresh_requests(&server).await, 1);
}

#[tokio::test]
async fn a_refusal_adopts_the_pair_another_process_saved_meanwhile() {
    let store = Arc::new(FlakyStore::default());
    let (server, inner) = refused_manager(store.clone(), Some(store.clone())).await;
    assert!(matches!(inner.current().await, Err(Error::Store(_))));
    assert_eq!(health(&inner), refused());

    // Another replica refreshed (and spent the token) while this one could not read the store.
    let newer = pair(
        "access-other",
        SystemTime::now() + Duration::from_secs(3600),
    );
    let saved = store.inner.save(&newer, Some(1)).await.expect("saved");
    assert_eq!(saved, SaveOutcome::Saved { version: 2 });
    store.unreadable.store(false, Ordering::SeqCst);

    let (token, _) = inner.current().await.expect("the stored pair is adopted");
    assert_eq!(token.expose_secret(), "access-other");
    assert_eq!(health(&inner), Health::Usable);
    assert_eq!(refresh_requests(&server).await, 1);
}

#[tokio::test]
async fn replace_and_reload_clear_a_final_refusal() {
    let store = Arc::new(FlakyStore::default());
    let (server, first) = refused_manager(store.clone(), None).await;
    let (_other_server, other) = refused_manager(store.clone(), None).await;
    for inner in [&first, &other] {
        // The store was readable: the refusal is final at once.
        assert!(is_reauthorization(&inner.current().await));
        assert_eq!(health(inner), needs_reauthorization());
    }

    let new = pair("access-new", SystemTime::now() + Duration::from_secs(3600));
    first.replace(new).await.expect("replaced");
    assert_eq!(health(&first), Health::Usable);
    let (token, _) = first.current().await.expect("the new pair");
    assert_eq!(token.expose_secret(), "access-new");

    // The other replica stays refused until it looks at the store again.
    assert_eq!(health(&other), needs_reauthorization());
    other.reload().await.expect("reloaded");
    assert_eq!(health(&other), Health::Usable);
    let (token, _) = other.current().await.expect("the new pair");
    assert_eq!(token.expose_secret(), "access-new");
    assert_eq!(refresh_requests(&server).await, 1);
}
