//! What the benches share: recorded answer bodies, a server on 127.0.0.1 that answers from memory,
//! the quick-mode settings, and the ratio summary read back from criterion's estimates.
#![allow(dead_code)]

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant, SystemTime},
};

use axum::{
    Router,
    body::Bytes,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use criterion::Criterion;

/// The application of the recordings.
pub const APP_ID: &str = "1574449618593251330";
/// A user session token (the recordings mask theirs; any `flx_` value does here).
pub const SESSION_TOKEN: &str = "flx_c2Vzc2lvbnRva2VuZm9yYmVuY2htYXJrc29ubHkx";
/// The application's bot token.
pub const BOT_TOKEN: &str = "1574449618593251330.Ym90c2VjcmV0Zm9yYmVuY2htYXJrc29ubHkxMjM0NQ";
/// The application's client secret (43 characters, as the server issues them).
pub const CLIENT_SECRET: &str = "Y2xpZW50c2VjcmV0Zm9yYmVuY2htYXJrc29ubHkxMjM";
/// An authorization code (43 characters).
pub const CODE: &str = "YXV0aG9yaXphdGlvbmNvZGVmb3JiZW5jaG1hcmtzMTI";
/// A PKCE verifier (64 characters, as in the recording).
pub const PKCE_VERIFIER: &str = "cGtjZXZlcmlmaWVyZm9yYmVuY2htYXJrc29ubHkxMjM0NTY3ODkwYWJjZGVmZ2hp";
/// The redirect URI of the recordings.
pub const REDIRECT_URI: &str = "https://client.example.com/callback";

/// `GET /oauth2/applications/{id}`, 200: recorded (`b_applications`, step `get_app`).
pub const APPLICATION_BODY: &str = r#"{"id":"1574449618593251330","name":"Transcript Test App","redirect_uris":["https://client.example.com/callback","http://localhost:8765/cb"],"bot_public":true,"bot_require_code_grant":false,"bot":{"id":"1574449618593251330","username":"Transcript_Test_App","discriminator":"4769","avatar":null,"banner":null,"bio":null,"mfa_enabled":false,"authenticator_types":[],"flags":0}}"#;

/// `GET /applications/@me` with a bot token, 200: recorded (`b_applications`, step
/// `applications_me_bot`), its masked `verify_key` filled with 64 hex digits.
pub const APPLICATIONS_ME_BODY: &str = r#"{"id":"1574449618593251330","name":"Transcript Test App (renamed)","icon":null,"description":null,"bot_public":false,"bot_require_code_grant":false,"verify_key":"9f2c4be1d0a7736e5b1c8d24f06a9e3b7c5d1e8f2a4b6c0d9e7f1a3b5c7d9e0f","owner":{"id":"1574449618584862720","username":"alice_8d0d81","discriminator":"3854","global_name":"Alice","avatar":null,"avatar_color":null,"flags":0},"bot":{"id":"1574449618593251330","username":"Transcript_Test_App","discriminator":"4769","avatar":null,"banner":null,"bio":null,"mfa_enabled":false,"authenticator_types":[],"flags":0},"redirect_uris":["https://client.example.com/callback","http://localhost:8765/cb","https://client.example.com"]}"#;

/// `POST /oauth2/token`, 200: recorded (`d_token`, step `form_body_credentials`), tokens filled in.
pub const TOKEN_BODY: &str = r#"{"access_token":"YWNjZXNzdG9rZW5mb3JiZW5jaG1hcmtzb25seTEyMzQ","token_type":"Bearer","expires_in":604800,"refresh_token":"cmVmcmVzaHRva2VuZm9yYmVuY2htYXJrc29ubHkxMjM","scope":"identify email"}"#;

/// Whether `FLUXER_BENCH_QUICK=1` asks for a short smoke run.
pub fn quick() -> bool {
    std::env::var("FLUXER_BENCH_QUICK").is_ok_and(|v| v == "1")
}

/// Where criterion keeps its results: `<target dir>/criterion`, as it does by default, but fixed here
/// so that the summary can read them back.
pub fn criterion_dir() -> PathBuf {
    std::env::var_os("CRITERION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .parent()
                .map(|p| p.join("criterion"))
                .unwrap_or_else(|| PathBuf::from("target/criterion"))
        })
}

/// The criterion settings every bench uses: the defaults, or the quick smoke run, then the command line.
pub fn criterion() -> Criterion {
    let c = Criterion::default().output_directory(&criterion_dir());
    let c = if quick() {
        c.sample_size(10)
            .measurement_time(Duration::from_secs(1))
            .warm_up_time(Duration::from_millis(200))
            .nresamples(10_000)
    } else {
        c
    };
    c.configure_from_args()
}

/// A runtime for the client side: one thread, driven by the bench's own thread.
pub fn client_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// How many requests the server answered.
pub static ANSWERED: AtomicU64 = AtomicU64::new(0);

/// An HTTP/1.1 server on 127.0.0.1 with its own thread and single-threaded runtime, answering the
/// recorded bodies from memory, chunked as the real server answers JSON. It stops when dropped (and
/// with the process).
pub struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Self {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bench-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind 127.0.0.1");
                    addr_tx
                        .send(listener.local_addr().expect("local address"))
                        .expect("the bench waits for the address");
                    let app = Router::new()
                        .route("/oauth2/applications/{id}", get(application))
                        .route("/applications/@me", get(applications_me))
                        .route("/oauth2/token", post(token));
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stop_rx.await;
                        })
                        .await
                        .expect("the bench server runs");
                });
            })
            .expect("a server thread");
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the server starts");
        Self {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The API base URL of this server.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Idle keep-alive connections of a client still alive would hold a graceful shutdown open:
        // do not wait for it; the thread ends with the process at the latest.
        drop(self.thread.take());
    }
}

/// A 200 JSON answer as the server sends it: chunked (no `Content-Length`), with a request id.
fn json(body: &'static str) -> axum::response::Response {
    let id = ANSWERED.load(Ordering::Relaxed);
    let chunk = futures_util::stream::once(async move {
        Ok::<_, std::convert::Infallible>(Bytes::from_static(body.as_bytes()))
    });
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::HeaderName::from_static("x-request-id"),
                format!("{id:016x}"),
            ),
        ],
        axum::body::Body::from_stream(chunk),
    )
        .into_response()
}

fn refused(status: StatusCode) -> axum::response::Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"code":"UNAUTHORIZED","message":"Unauthorized"}"#,
    )
        .into_response()
}

fn authorization(headers: &HeaderMap) -> &[u8] {
    headers
        .get(header::AUTHORIZATION)
        .map_or(&[][..], |v| v.as_bytes())
}

async fn application(headers: HeaderMap) -> axum::response::Response {
    ANSWERED.fetch_add(1, Ordering::Relaxed);
    if authorization(&headers) != SESSION_TOKEN.as_bytes() {
        return refused(StatusCode::UNAUTHORIZED);
    }
    json(APPLICATION_BODY)
}

async fn applications_me(headers: HeaderMap) -> axum::response::Response {
    ANSWERED.fetch_add(1, Ordering::Relaxed);
    let auth = authorization(&headers);
    if !(auth.starts_with(b"Bot ") && &auth[4..] == BOT_TOKEN.as_bytes()) {
        return refused(StatusCode::UNAUTHORIZED);
    }
    json(APPLICATIONS_ME_BODY)
}

/// Reads the whole form, as the real endpoint must, and checks that it is an authorization-code
/// exchange with the client credentials in the body.
async fn token(body: Bytes) -> axum::response::Response {
    ANSWERED.fetch_add(1, Ordering::Relaxed);
    let has = |needle: &[u8]| body.windows(needle.len()).any(|w| w == needle);
    if !(has(b"grant_type=authorization_code") && has(b"client_secret=") && has(b"code_verifier="))
    {
        return (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":"invalid_request","error_description":"not an authorization-code form"}"#,
        )
            .into_response();
    }
    json(TOKEN_BODY)
}

/// When this bench process started: results older than this are not from this run.
pub fn started() -> SystemTime {
    static STARTED: std::sync::OnceLock<SystemTime> = std::sync::OnceLock::new();
    *STARTED.get_or_init(SystemTime::now)
}

/// The median (ns per iteration) criterion measured for `group/function` in this run, if it ran.
pub fn median_ns(group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir()
        .join(group)
        .join(function)
        .join("new")
        .join("estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < started() {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("median")?.get("point_estimate")?.as_f64()
}

/// Prints `ours / reference` of the medians for each pair that ran, as `RATIO` lines.
pub fn print_ratios(pairs: &[(&str, &str, &str)]) {
    let mut printed = false;
    for (group, ours, reference) in pairs {
        if let (Some(a), Some(b)) = (median_ns(group, ours), median_ns(group, reference)) {
            if !printed {
                println!("\n== median ratios (time; lower is better for the first) ==");
                printed = true;
            }
            println!(
                "RATIO {group}: {ours} {} / {reference} {} = {:.3}",
                human(a),
                human(b),
                a / b
            );
        }
    }
}

/// A duration in nanoseconds, in the unit that reads best.
pub fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.3} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.3} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// Median and 90th percentile of a set of durations.
pub fn median_p90(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort_unstable();
    let n = samples.len();
    (samples[n / 2], samples[(n * 9 / 10).min(n - 1)])
}

/// Runs `f` and returns how long it took.
pub async fn timed<F: Future>(f: F) -> (Duration, F::Output) {
    let start = Instant::now();
    let out = f.await;
    (start.elapsed(), out)
}

/// Whether criterion's name filter (the first argument that is not an option) lets `name` run, for
/// the measurements timed outside criterion.
pub fn filter_allows(name: &str) -> bool {
    match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(filter) => name.contains(&filter),
        None => true,
    }
}

/// CPU time this thread has run, in nanoseconds (Linux `schedstat`); `None` elsewhere.
pub fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Rounds of the interleaved comparisons.
pub fn ab_rounds() -> usize {
    if quick() { 5 } else { 21 }
}

/// An interleaved comparison, robust to a machine whose load changes while the benches run: `rounds`
/// rounds, each timing one batch of ours and one of the reference (in alternating order), each batch
/// run on this thread and making `calls` calls. Prints the medians per call of the wall time and of
/// this thread's CPU time (the client's work, the server runs on its own thread), and the median of
/// the per-round wall-time ratios. Returns that median ratio (ours / reference).
pub fn ab_report(
    label: &str,
    rounds: usize,
    mut ours: impl FnMut() -> Duration,
    mut reference: impl FnMut() -> Duration,
    calls: u64,
) -> f64 {
    let batch = |f: &mut dyn FnMut() -> Duration| {
        let cpu0 = thread_cpu_ns();
        let wall = f();
        let cpu = cpu0.zip(thread_cpu_ns()).map(|(a, b)| b - a);
        (
            wall.as_nanos() as f64 / calls as f64,
            cpu.map(|c| c as f64 / calls as f64),
        )
    };
    // One batch each to warm up.
    batch(&mut ours);
    batch(&mut reference);
    let (mut ow, mut rw, mut oc, mut rc, mut ratios) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let (o, r) = if round % 2 == 0 {
            let o = batch(&mut ours);
            (o, batch(&mut reference))
        } else {
            let r = batch(&mut reference);
            (batch(&mut ours), r)
        };
        ow.push(o.0);
        rw.push(r.0);
        ratios.push(o.0 / r.0);
        oc.extend(o.1);
        rc.extend(r.1);
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied()
    };
    let (ow, rw, ratio) = (med(&mut ow), med(&mut rw), med(&mut ratios));
    let (oc, rc) = (med(&mut oc), med(&mut rc));
    let ratio = ratio.unwrap_or(f64::NAN);
    println!(
        "AB {label}: {rounds} interleaved rounds of {calls} calls: wall/call ours {} reference {}, \
         median round ratio {ratio:.3} (range {:.3}..{:.3}); client-thread CPU/call ours {} reference {}{}",
        ow.map_or("-".into(), human),
        rw.map_or("-".into(), human),
        ratios.first().copied().unwrap_or(f64::NAN),
        ratios.last().copied().unwrap_or(f64::NAN),
        oc.map_or("-".into(), human),
        rc.map_or("-".into(), human),
        oc.zip(rc)
            .map_or(String::new(), |(a, b)| format!(" (ratio {:.3})", a / b)),
    );
    ratio
}

/// Times `iters` sequential calls on the client runtime.
pub fn sequential<F, Fut, T>(rt: &tokio::runtime::Runtime, iters: u64, f: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            std::hint::black_box(f().await);
        }
        start.elapsed()
    })
}

/// Times `iters` rounds of 64 calls in flight at once (`FuturesUnordered` on one task).
pub fn inflight64<F, Fut, T>(rt: &tokio::runtime::Runtime, iters: u64, f: F) -> Duration
where
    F: Fn() -> Fut,
    Fut: Future<Output = T>,
{
    use futures_util::{StreamExt as _, stream::FuturesUnordered};
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            let mut set: FuturesUnordered<_> = (0..64).map(|_| f()).collect();
            while let Some(out) = set.next().await {
                std::hint::black_box(out);
            }
        }
        start.elapsed()
    })
}
