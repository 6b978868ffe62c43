//! A token store that fails every other save, under real rotation (the emulator spends each refresh
//! token once): every failure reaches the caller, no token pair is lost, no refresh token is spent twice.
//!
//! Figures: `cargo test --test it -- store_faults:: --nocapture`; recorded in docs/RELIABILITY.md.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::common::{
    bounded,
    emulator::{REDIRECT_URI, builder, create_app, session, tokens},
};
use fluxer_oauth2::{
    Error,
    oauth::{
        BoxFuture, ClientCredentials, Clock, MemoryStore, RefreshLease, SaveOutcome, Scope,
        StoreError, StoredTokens, TokenManager, TokenSet, TokenStore,
    },
};
use fluxer_oauth2_emulator::{Emulator, EmulatorConfig};

/// A memory store whose even-numbered saves (the 2nd, 4th, …) fail.
#[derive(Debug, Default)]
struct EveryOtherSaveFails {
    inner: MemoryStore,
    saves: AtomicUsize,
    failures: AtomicUsize,
}

impl TokenStore for EveryOtherSaveFails {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredTokens>, StoreError>> {
        self.inner.load()
    }

    fn save<'a>(
        &'a self,
        tokens: &'a TokenSet,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<SaveOutcome, StoreError>> {
        if self.saves.fetch_add(1, Ordering::SeqCst) % 2 == 1 {
            self.failures.fetch_add(1, Ordering::SeqCst);
            return Box::pin(async { Err(StoreError::new("the store is unavailable")) });
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

/// The manager reads the emulator's clock, so that "expired" means the same on both sides.
#[derive(Debug)]
struct EmulatorTime(fluxer_oauth2_emulator::Clock);

impl Clock for EmulatorTime {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0.now_millis())
    }
}

#[tokio::test]
async fn a_store_failing_every_other_save_loses_no_pair() {
    const EXPIRIES: usize = 20;
    bounded(async {
        let emu = Emulator::start_with(EmulatorConfig {
            access_token_lifetime: Duration::from_secs(1),
            follow_real_time: false,
            ..EmulatorConfig::default()
        })
        .await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "Flaky store", &[REDIRECT_URI]).await;
        let clock = Arc::new(EmulatorTime(emu.clock().clone()));
        let mut initial = tokens(&alice, &app, &[Scope::Identify]).await;
        initial.expires_at = clock.now() + initial.expires_in;
        let store = Arc::new(EveryOtherSaveFails::default());
        let manager = TokenManager::builder(
            builder(&emu).build().expect("the client builds"),
            ClientCredentials::new(&app.id, app.secret.clone()).expect("an id"),
            store.clone(),
            Some(initial),
        )
        .refresh_margin(Duration::ZERO)
        .clock(clock)
        .build()
        .await
        .expect("the manager builds (the first save succeeds)");

        let (mut store_errors, mut calls) = (0, 0);
        for _ in 0..EXPIRIES {
            emu.clock().advance(Duration::from_millis(1500));
            // A call either succeeds or reports the store failure; the next call then succeeds.
            loop {
                calls += 1;
                match manager.call(|c| async move { c.get_oauth2_userinfo().send().await }).await {
                    Ok(me) => {
                        assert_eq!(me.username, "alice");
                        break;
                    }
                    Err(Error::Store(message)) => {
                        assert!(message.contains("the store is unavailable"), "{message}");
                        store_errors += 1;
                        assert!(store_errors <= 2 * EXPIRIES, "the manager keeps failing");
                    }
                    Err(other) => panic!("unexpected error: {other}"),
                }
            }
            // Whatever happened, the store ends each round with the pair the manager holds.
            let stored = store.load().await.expect("load").expect("a pair");
            assert_eq!(stored.tokens, manager.tokens(), "the stored pair is the current one");
        }

        let refreshes = emu.count_token_requests("refresh_token");
        let failures = store.failures.load(Ordering::SeqCst);
        println!(
            "store failing every other save: {EXPIRIES} expiries, {calls} calls, {refreshes} refresh requests, \
             {failures} failed saves, {store_errors} Error::Store seen by callers"
        );
        assert_eq!(refreshes, EXPIRIES, "one refresh per expiry: no refresh token spent twice");
        assert_eq!(store_errors, failures, "every failed save reached a caller");
        assert!(failures >= EXPIRIES / 2, "the store did fail");
        // The last pair works: nothing was lost.
        let me = manager.call(|c| async move { c.get_oauth2_userinfo().send().await }).await.expect("works");
        assert_eq!(me.username, "alice");
        emu.shutdown().await;
    })
    .await;
}
