//! Bench 4: `TokenManager::access_token()` on a valid token, from 1 task and from 64 tasks on a
//! two-worker runtime (this machine has two cores). The per-call figure is the wall time of all calls
//! divided by their number. No traffic: the token is far from expiry, so every call is the fast path.
//!
//! For scale, the same shape of work done by hand: a read lock on shared state and a clone of the
//! token (`rwlock_read_clone`), and the same behind a mutex (`mutex_clone`), which is what a lock
//! convoy would cost.

mod common;

use std::{
    hint::black_box,
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant, SystemTime},
};

use common::*;
use fluxer_oauth2::{
    FluxerClient, Secret,
    oauth::{ClientCredentials, MemoryStore, TokenManager, TokenSet, TokenStore},
};

const TASKS: u64 = 64;

fn tokens() -> TokenSet {
    let now = SystemTime::now();
    TokenSet {
        access_token: Secret::new("YWNjZXNzdG9rZW5mb3JiZW5jaG1hcmtzb25seTEyMzQ"),
        refresh_token: Secret::new("cmVmcmVzaHRva2VuZm9yYmVuY2htYXJrc29ubHkxMjM"),
        scope: "identify email".parse().unwrap(),
        token_type: "Bearer".to_owned(),
        expires_in: Duration::from_secs(604_800),
        expires_at: now + Duration::from_secs(604_800),
    }
}

/// `iters` calls of `$call` (an async expression using `$s`), spread over `$tasks` tasks, each with
/// its own clone of `$state` (cloned once per task, so that the loop shares no reference count);
/// evaluates to the wall time of them all.
macro_rules! spread {
    ($rt:expr, $iters:expr, $tasks:expr, $state:expr, |$s:ident| $call:expr) => {{
        let (iters, tasks): (u64, u64) = ($iters, $tasks);
        $rt.block_on(async {
            let start = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for t in 0..tasks {
                // Task t makes its share of the calls (the first `iters % tasks` make one more).
                let n = iters / tasks + u64::from(t < iters % tasks);
                let $s = $state.clone();
                set.spawn(async move {
                    for _ in 0..n {
                        black_box($call);
                    }
                });
            }
            while let Some(done) = set.join_next().await {
                done.expect("a bench task");
            }
            start.elapsed()
        })
    }};
}

fn main() {
    common::started();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let manager = rt.block_on(async {
        // Never contacted: a valid token needs no refresh.
        let client = FluxerClient::builder()
            .base_url("http://127.0.0.1:9")
            .build()
            .expect("a client");
        let credentials = ClientCredentials::new(APP_ID, CLIENT_SECRET).expect("credentials");
        let store: Arc<dyn TokenStore> = Arc::new(MemoryStore::new());
        TokenManager::builder(client, credentials, store, Some(tokens()))
            .build()
            .await
            .expect("a token manager")
    });
    let expected = tokens().access_token;
    assert_eq!(
        rt.block_on(manager.access_token()).expect("a valid token"),
        expected
    );

    let shared = Arc::new(RwLock::new(Arc::new(tokens())));
    let locked = Arc::new(Mutex::new(Arc::new(tokens())));

    let mut c = common::criterion();
    {
        let mut g = c.benchmark_group("access_token");
        for tasks in [1, TASKS] {
            g.bench_function(format!("token_manager_{tasks}_tasks"), |b| {
                b.iter_custom(|iters| {
                    spread!(rt, iters, tasks, manager, |m| m
                        .access_token()
                        .await
                        .expect("a valid token"))
                })
            });
        }
        g.bench_function(format!("rwlock_read_clone_{TASKS}_tasks"), |b| {
            b.iter_custom(|iters| {
                spread!(rt, iters, TASKS, shared, |s| {
                    let state = s.read().unwrap_or_else(|e| e.into_inner());
                    let fresh = state.expires_at > SystemTime::now();
                    (fresh, state.access_token.clone())
                })
            })
        });
        g.bench_function(format!("mutex_clone_{TASKS}_tasks"), |b| {
            b.iter_custom(|iters| {
                spread!(rt, iters, TASKS, locked, |l| {
                    let state = l.lock().unwrap_or_else(|e| e.into_inner());
                    let fresh = state.expires_at > SystemTime::now();
                    (fresh, state.access_token.clone())
                })
            })
        });
        g.finish();
    }
    c.final_summary();
    print_ratios(&[
        (
            "access_token",
            "token_manager_64_tasks",
            "token_manager_1_tasks",
        ),
        (
            "access_token",
            "token_manager_64_tasks",
            "rwlock_read_clone_64_tasks",
        ),
    ]);
}
