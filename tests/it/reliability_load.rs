//! Load: a 429 storm on the token endpoint (no credential) and on a bot-token route, and a token
//! manager under churn (the access token expiring every second of the emulator's clock while many
//! tasks call through the manager).
//!
//! The figures are printed (`cargo test --test it -- reliability_load:: --nocapture`) and recorded in
//! docs/RELIABILITY.md. `FLUXER_HEAVY=1` runs the larger variants.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use crate::common::{
    bounded_by,
    emulator::{REDIRECT_URI, builder, create_app, session, tokens},
    heavy,
};
use fluxer_oauth2::{
    Credential, Error, FluxerClient, OAuthErrorKind, RetryPolicy, Secret,
    oauth::{ClientCredentials, Clock as ManagerClock, MemoryStore, Scope, TokenManager},
};
use fluxer_oauth2_emulator::{Emulator, EmulatorConfig, RateLimitConfig};
use tokio::sync::{Barrier, Semaphore};

/// The retry budget of the storm clients: 3 retries, at most 1 s of waiting per call.
const STORM_POLICY: RetryPolicy = RetryPolicy {
    max_retries: 3,
    max_total_wait: Duration::from_secs(1),
};

/// What one attempt (request and answer on loopback) may take at most, for the time bound. The
/// measured figure is a few milliseconds; this leaves room for a loaded two-core machine.
const ATTEMPT_ALLOWANCE: Duration = Duration::from_millis(500);

/// The route limit of the storm: `limit` requests per `window`, per caller.
const ROUTE_LIMIT: u32 = 20;
const ROUTE_WINDOW: Duration = Duration::from_secs(1);

/// How one storm call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// 2xx.
    Ok,
    /// The server processed it and gave its normal typed answer (here `invalid_grant`).
    Answered,
    /// `Error::RateLimited` once the retry budget was spent; whether the global limit was hit.
    RateLimited { global: bool },
}

/// The figures of one storm.
#[derive(Debug, Default)]
struct Figures {
    calls: usize,
    tasks: usize,
    ok: usize,
    answered: usize,
    rate_limited: usize,
    rate_limited_global: usize,
    failed: usize,
    panics: usize,
    requests: usize,
    slowest_call: Duration,
    wall: Duration,
    call_bound: Duration,
    wall_bound: Duration,
}

impl Figures {
    fn print(&self, label: &str) {
        println!(
            "{label}: calls={} tasks={} ok={} answered={} rate_limited={} (global={}) failed={} panics={} \
             requests_at_emulator={} retries={} slowest_call_ms={} call_bound_ms={} wall_ms={} wall_bound_ms={}",
            self.calls,
            self.tasks,
            self.ok,
            self.answered,
            self.rate_limited,
            self.rate_limited_global,
            self.failed,
            self.panics,
            self.requests,
            self.requests.saturating_sub(self.calls),
            self.slowest_call.as_millis(),
            self.call_bound.as_millis(),
            self.wall.as_millis(),
            self.wall_bound.as_millis(),
        );
    }
}

/// The longest one call may take under `policy`: its waits (at most `max_total_wait`) plus
/// `max_retries + 1` attempts.
fn call_bound(policy: RetryPolicy) -> Duration {
    policy.max_total_wait + ATTEMPT_ALLOWANCE * (policy.max_retries + 1)
}

/// Runs `calls` calls of `op` from `tasks` tasks and classifies every outcome.
async fn storm<F, Fut>(calls: usize, tasks: usize, op: F) -> Figures
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Outcome, Error>> + Send + 'static,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut handles = Vec::with_capacity(tasks);
    for _ in 0..tasks {
        let op = op.clone();
        let next = next.clone();
        handles.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= calls {
                    return seen;
                }
                let t = Instant::now();
                let result = op(i).await;
                seen.push((result, t.elapsed()));
            }
        }));
    }
    let mut figures = Figures {
        calls,
        tasks,
        ..Figures::default()
    };
    for handle in handles {
        match handle.await {
            Ok(seen) => {
                for (result, took) in seen {
                    figures.slowest_call = figures.slowest_call.max(took);
                    match result {
                        Ok(Outcome::Ok) => figures.ok += 1,
                        Ok(Outcome::Answered) => figures.answered += 1,
                        Ok(Outcome::RateLimited { global }) => {
                            figures.rate_limited += 1;
                            figures.rate_limited_global += usize::from(global);
                        }
                        Err(e) => {
                            figures.failed += 1;
                            eprintln!("unexpected: {e}");
                        }
                    }
                }
            }
            Err(e) if e.is_panic() => figures.panics += 1,
            Err(e) => panic!("a storm task was cancelled: {e}"),
        }
    }
    figures.wall = started.elapsed();
    figures.call_bound = call_bound(STORM_POLICY);
    figures.wall_bound = figures.call_bound * calls.div_ceil(tasks) as u32;
    figures
}

/// Sorts an error into the outcomes a storm accepts.
fn classify(result: Result<(), Error>) -> Result<Outcome, Error> {
    match result {
        Ok(()) => Ok(Outcome::Ok),
        Err(Error::OAuth {
            kind: OAuthErrorKind::InvalidGrant,
            ..
        }) => Ok(Outcome::Answered),
        Err(Error::RateLimited {
            retry_after,
            global,
            ..
        }) => {
            assert!(
                retry_after <= Duration::from_secs(60),
                "a plausible wait: {retry_after:?}"
            );
            Ok(Outcome::RateLimited { global })
        }
        Err(other) => Err(other),
    }
}

fn check(figures: &Figures) {
    assert_eq!(figures.panics, 0, "no task panicked");
    assert_eq!(figures.failed, 0, "every call ended in an accepted outcome");
    assert_eq!(
        figures.ok + figures.answered + figures.rate_limited,
        figures.calls,
        "every call is accounted for"
    );
    assert!(
        figures.ok + figures.answered > 0,
        "the server processed some calls"
    );
    assert!(
        figures.requests > figures.calls,
        "the storm met 429s and retried"
    );
    assert!(
        figures.requests <= figures.calls * (STORM_POLICY.max_retries as usize + 1),
        "no call sent more than 1 + max_retries requests ({} requests for {} calls)",
        figures.requests,
        figures.calls
    );
    assert!(
        figures.slowest_call <= figures.call_bound,
        "the slowest call ({:?}) stayed within the retry budget's bound ({:?})",
        figures.slowest_call,
        figures.call_bound
    );
    assert!(
        figures.wall <= figures.wall_bound,
        "the storm ({:?}) stayed within its bound ({:?})",
        figures.wall,
        figures.wall_bound
    );
}

/// 500 calls from 32 tasks on the token endpoint (refreshes of garbage refresh tokens: the server
/// answers `invalid_grant`) and, at the same time, 500 calls from 32 tasks on a bot-token route,
/// with 20 requests per second allowed on each route and the global limit at its real 50 per
/// second. The bot route is `GET /oauth2/applications/@me` (bucket `oauth_dev:clients:list`):
/// `GET /applications/@me` has no route bucket on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_on_the_token_endpoint_and_a_bot_route() {
    let (calls, tasks) = if heavy() { (5000, 64) } else { (500, 32) };
    bounded_by(
        Duration::from_secs(if heavy() { 600 } else { 60 }),
        async move {
            let emu = Emulator::start().await;
            // The application is created before the limits are on; no session call is made under them
            // (a session that hits the global limit is revoked by the server).
            let app = create_app(&session(&emu, &emu.alice()), "Storm", &[REDIRECT_URI]).await;
            emu.set_rate_limits(Some(
                RateLimitConfig::default()
                    .with_route("oauth:token", ROUTE_LIMIT, ROUTE_WINDOW)
                    .with_route("oauth_dev:clients:list", ROUTE_LIMIT, ROUTE_WINDOW),
            ));
            emu.clear_requests();
            let anonymous = builder(&emu)
                .retry_policy(STORM_POLICY)
                .build()
                .expect("the client builds");
            let bot = anonymous.with_credential(Credential::Bot(app.bot_token.clone()));
            let credentials = app.credentials();

            let token_storm = {
                let client = anonymous.clone();
                storm(calls, tasks, move |i| {
                    let client = client.clone();
                    let credentials = credentials.clone();
                    async move {
                        let garbage = Secret::new(format!("not-a-refresh-token-{i}"));
                        classify(client.refresh_token(&credentials, &garbage).await.map(drop))
                    }
                })
            };
            let bot_storm = {
                let client = bot.clone();
                storm(calls, tasks, move |_| {
                    let client = client.clone();
                    async move { classify(client.get_oauth_applications_me().send().await.map(drop)) }
                })
            };
            let (mut token, mut bot_figures) = tokio::join!(token_storm, bot_storm);
            token.requests = emu.count_requests("POST", "/oauth2/token");
            bot_figures.requests = emu.count_requests("GET", "/oauth2/applications/@me");
            token.print("429 storm, token endpoint (refresh_token, no credential)");
            bot_figures.print("429 storm, bot route (get_oauth_applications_me)");
            check(&token);
            check(&bot_figures);
            assert_eq!(token.ok, 0, "a garbage refresh token never succeeds");
            assert_eq!(bot_figures.answered, 0);
            // The client kept to the limits it was told: the route let through at most its limit per
            // window plus the initial burst.
            let window_s = ROUTE_WINDOW.as_secs_f64();
            let allowed = |wall: Duration| {
                (ROUTE_LIMIT as f64 * (1.0 + wall.as_secs_f64() / window_s)).ceil() as usize
            };
            assert!(token.answered <= allowed(token.wall));
            assert!(bot_figures.ok <= allowed(bot_figures.wall));
            emu.shutdown().await;
        },
    )
    .await;
}

/// One retry, timed: the client waits what the 429 asked before it sends again.
#[tokio::test]
async fn a_retry_waits_what_the_server_asked() {
    bounded_by(Duration::from_secs(20), async {
        let emu = Emulator::start().await;
        let app = create_app(&session(&emu, &emu.alice()), "Wait", &[REDIRECT_URI]).await;
        let window = Duration::from_millis(600);
        emu.set_rate_limits(Some(RateLimitConfig::default().with_route(
            "oauth_dev:clients:list",
            1,
            window,
        )));
        emu.clear_requests();
        let bot = builder(&emu)
            .retry_policy(RetryPolicy::default())
            .credential(Credential::Bot(app.bot_token.clone()))
            .build()
            .expect("the client builds");
        bot.get_oauth_applications_me().send()
            .await
            .expect("the first call fits the bucket");
        let started = Instant::now();
        bot.get_oauth_applications_me().send()
            .await
            .expect("the second call succeeds after waiting");
        let took = started.elapsed();
        let requests: Vec<_> = emu
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/oauth2/applications/@me"))
            .collect();
        assert_eq!(requests.len(), 3, "one 429, one retry");
        let gap = Duration::from_millis(requests[2].at_millis - requests[1].at_millis);
        println!("retry after a 429: the retry left {gap:?} after the 429 (bucket window {window:?}); the call took {took:?}");
        // The server asked for the time until one more request fits: the whole window here,
        // less the few milliseconds since the first call.
        assert!(
            gap >= window - Duration::from_millis(100),
            "the client waited before retrying: {gap:?}"
        );
        assert!(took < window + Duration::from_secs(1), "{took:?}");
        emu.shutdown().await;
    })
    .await;
}

/// The manager's clock reads the emulator's, so that "expired" means the same on both sides.
#[derive(Debug)]
struct EmulatorTime(fluxer_oauth2_emulator::Clock);

impl ManagerClock for EmulatorTime {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0.now_millis())
    }
}

/// Tasks call an OAuth2-bearer operation through one `TokenManager` while the access token
/// (lifetime 1 s) expires at every second of the emulator's clock, for 10 seconds: no call fails,
/// one refresh per expiry, no `invalid_grant`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_manager_under_churn() {
    const SECONDS: usize = 10;
    const IN_FLIGHT: usize = 128;
    let tasks = if heavy() { 5000 } else { 1000 };
    bounded_by(Duration::from_secs(if heavy() { 300 } else { 60 }), async move {
        let emu = Emulator::start_with(EmulatorConfig {
            access_token_lifetime: Duration::from_secs(1),
            follow_real_time: false,
            ..EmulatorConfig::default()
        })
        .await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "Churn", &[REDIRECT_URI]).await;
        let mut initial = tokens(&alice, &app, &[Scope::Identify]).await;
        let clock = Arc::new(EmulatorTime(emu.clock().clone()));
        initial.expires_at = clock.now() + initial.expires_in;
        assert_eq!(initial.expires_in, Duration::from_secs(1));

        let client: FluxerClient = builder(&emu).build().expect("the client builds");
        let credentials = ClientCredentials::new(&app.id, app.secret.clone()).expect("an id");
        let manager = TokenManager::builder(
            client,
            credentials,
            Arc::new(MemoryStore::new()),
            Some(initial),
        )
        .refresh_margin(Duration::ZERO)
        .clock(clock)
        .build()
        .await
        .expect("the manager builds");
        emu.clear_requests();

        // Every task makes one call per emulated second; the barrier holds them while the clock
        // moves, and the semaphore bounds the connections open at once.
        let barrier = Arc::new(Barrier::new(tasks + 1));
        let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
        let failures = Arc::new(AtomicUsize::new(0));
        let invalid_grants = Arc::new(AtomicUsize::new(0));
        let successes = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut handles = Vec::with_capacity(tasks);
        for _ in 0..tasks {
            let (manager, barrier, in_flight) =
                (manager.clone(), barrier.clone(), in_flight.clone());
            let (failures, invalid_grants, successes) =
                (failures.clone(), invalid_grants.clone(), successes.clone());
            handles.push(tokio::spawn(async move {
                for _ in 0..SECONDS {
                    barrier.wait().await;
                    let result = manager
                        .call(|c| {
                            let in_flight = in_flight.clone();
                            async move {
                                let _permit = in_flight.acquire_owned().await.expect("open");
                                c.get_oauth2_userinfo().send().await
                            }
                        })
                        .await;
                    match result {
                        Ok(me) => {
                            assert_eq!(me.username, "alice");
                            successes.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            eprintln!("call failed: {e}");
                            if matches!(
                                e,
                                Error::ReauthorizationRequired { .. }
                                    | Error::OAuth {
                                        kind: OAuthErrorKind::InvalidGrant,
                                        ..
                                    }
                            ) {
                                invalid_grants.fetch_add(1, Ordering::Relaxed);
                            }
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    barrier.wait().await;
                }
            }));
        }
        let mut expiries = 0;
        for _ in 0..SECONDS {
            // One emulated second: the current access token expires.
            emu.clock().advance(Duration::from_secs(1));
            expiries += 1;
            barrier.wait().await; // go
            barrier.wait().await; // all done
        }
        let mut panics = 0;
        for handle in handles {
            if handle.await.is_err() {
                panics += 1;
            }
        }
        let wall = started.elapsed();
        let refreshes = emu.count_token_requests("refresh_token");
        let userinfo = emu.count_requests("GET", "/oauth2/userinfo");
        let failed = failures.load(Ordering::Relaxed);
        let invalid_grant = invalid_grants.load(Ordering::Relaxed);
        println!(
            "token manager churn: tasks={tasks} seconds={SECONDS} calls={} ok={} failed={failed} \
             invalid_grant={invalid_grant} panics={panics} expiries={expiries} refreshes={refreshes} \
             userinfo_requests={userinfo} wall_ms={}",
            tasks * SECONDS,
            successes.load(Ordering::Relaxed),
            wall.as_millis()
        );
        assert_eq!(panics, 0);
        assert_eq!(failed, 0, "no call failed");
        assert_eq!(invalid_grant, 0, "no invalid_grant");
        assert_eq!(successes.load(Ordering::Relaxed), tasks * SECONDS);
        assert_eq!(refreshes, expiries, "one refresh per expiry");
        assert_eq!(
            userinfo,
            tasks * SECONDS,
            "no call needed a second try (the manager refreshed before the server refused)"
        );
        assert!(!manager.needs_reauthorization());
        emu.shutdown().await;
    })
    .await;
}
