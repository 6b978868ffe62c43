//! Benches 1 and 2: `FluxerClient` against the same HTTP request built by hand with raw reqwest on
//! the same connection pool (`client.api().client()`), on a server on 127.0.0.1 that answers recorded
//! bodies from memory. Both sides decode the answer into the same generated type.
//!
//! - `latency_*`: one call at a time (criterion's median per call).
//! - `inflight64_*`: 64 calls in flight per iteration (`FuturesUnordered`), time per 64 calls.
//! - Session calls (`get_oauth_application`) are paced by the client (at most one start per 25 ms,
//!   below the server's global limit of 50/s whose 429 revokes the session), so they are measured
//!   three ways: back to back (what the pacer allows), isolated (a 30 ms pause between calls, so the
//!   pacer never has to wait) and 64 in flight (custom timing, printed as `PACED` lines).
//! - `get_current_user_applications` (bot token, not paced) shows the cost of the client on an
//!   authenticated GET without the pacer.

mod common;

use std::time::Duration;

use common::*;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput, measurement::WallTime};
use fluxer_oauth2::{
    Credential, FluxerClient,
    oauth::{ClientCredentials, PkceVerifier, RedirectUri},
    types,
};
use progenitor_client::ClientInfo as _;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};

struct Subjects {
    session: FluxerClient,
    bot: FluxerClient,
    /// The reqwest client inside `session` (and `bot`: `with_credential` shares the pool).
    http: reqwest::Client,
    base: String,
    credentials: ClientCredentials,
    code: fluxer_oauth2::Secret,
    verifier: PkceVerifier,
    redirect_uri: RedirectUri,
}

impl Subjects {
    fn new(base: &str) -> Self {
        let session = FluxerClient::builder()
            .base_url(base)
            .credential(Credential::session(SESSION_TOKEN))
            .build()
            .expect("a client");
        let bot = session.with_credential(Credential::bot(BOT_TOKEN));
        let http = session.api().client().clone();
        Self {
            session,
            bot,
            http,
            base: base.to_owned(),
            credentials: ClientCredentials::new(APP_ID, CLIENT_SECRET).expect("credentials"),
            code: fluxer_oauth2::Secret::new(CODE),
            verifier: PkceVerifier::new(PKCE_VERIFIER).expect("a verifier"),
            // Parsed once, as an app does with its configuration (and as the `oauth2` crate's
            // client holds its `RedirectUrl`).
            redirect_uri: RedirectUri::parse(REDIRECT_URI).expect("a redirect URI"),
        }
    }

    // --- ours ---

    async fn ours_get_application(&self) -> types::ApplicationResponse {
        self.session
            .get_oauth_application()
            .id(APP_ID)
            .send()
            .await
            .expect("get_oauth_application")
            .into_inner()
    }

    async fn ours_bot_me(&self) -> types::ApplicationsMeResponse {
        self.bot
            .get_current_user_applications()
            .send()
            .await
            .expect("get_current_user_applications")
            .into_inner()
    }

    async fn ours_exchange(&self) -> fluxer_oauth2::oauth::TokenSet {
        self.session
            .exchange_code_with(
                &self.credentials,
                &self.code,
                &self.redirect_uri,
                Some(&self.verifier),
            )
            .await
            .expect("exchange_code")
    }

    // --- the same requests by hand ---

    async fn raw_get(&self, url: String, authorization: HeaderValue) -> bytes::Bytes {
        let response = self
            .http
            .get(url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(AUTHORIZATION, authorization)
            .send()
            .await
            .expect("raw GET");
        assert!(response.status().is_success(), "{}", response.status());
        response.bytes().await.expect("raw body")
    }

    async fn raw_get_application(&self) -> types::ApplicationResponse {
        let mut auth = HeaderValue::from_static(SESSION_TOKEN);
        auth.set_sensitive(true);
        let body = self
            .raw_get(format!("{}/oauth2/applications/{APP_ID}", self.base), auth)
            .await;
        serde_json::from_slice(&body).expect("an ApplicationResponse")
    }

    async fn raw_bot_me(&self) -> types::ApplicationsMeResponse {
        let mut auth = HeaderValue::from_str(&format!("Bot {BOT_TOKEN}")).expect("a header");
        auth.set_sensitive(true);
        let body = self
            .raw_get(format!("{}/applications/@me", self.base), auth)
            .await;
        serde_json::from_slice(&body).expect("an ApplicationsMeResponse")
    }

    async fn raw_exchange(&self) -> types::OAuth2TokenResponse {
        let form = serde_urlencoded::to_string([
            ("grant_type", "authorization_code"),
            ("code", self.code.expose_secret()),
            ("redirect_uri", REDIRECT_URI),
            ("client_id", APP_ID),
            ("client_secret", CLIENT_SECRET),
            ("code_verifier", self.verifier.expose_secret()),
        ])
        .expect("a form");
        let response = self
            .http
            .post(format!("{}/oauth2/token", self.base))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(form)
            .send()
            .await
            .expect("raw POST");
        assert!(response.status().is_success(), "{}", response.status());
        let body = response.bytes().await.expect("raw body");
        serde_json::from_slice(&body).expect("an OAuth2TokenResponse")
    }
}

/// One criterion group: `fluxer` (ours) and `raw_reqwest`, each a timed batch of `iters` calls.
fn compare(
    c: &mut Criterion,
    group: &str,
    setup: impl FnOnce(&mut BenchmarkGroup<'_, WallTime>),
    mut ours: impl FnMut(u64) -> Duration,
    mut raw: impl FnMut(u64) -> Duration,
) {
    let mut g = c.benchmark_group(group);
    setup(&mut g);
    g.bench_function("fluxer", |b| b.iter_custom(&mut ours));
    g.bench_function("raw_reqwest", |b| b.iter_custom(&mut raw));
    g.finish();
}

fn benches(c: &mut Criterion, rt: &tokio::runtime::Runtime, s: &Subjects) {
    // Bench 1: one call at a time.
    compare(
        c,
        "latency_exchange_code",
        |_| {},
        |n| sequential(rt, n, || s.ours_exchange()),
        |n| sequential(rt, n, || s.raw_exchange()),
    );
    compare(
        c,
        "latency_get_current_user_applications_bot",
        |_| {},
        |n| sequential(rt, n, || s.ours_bot_me()),
        |n| sequential(rt, n, || s.raw_bot_me()),
    );
    // A session call back to back: the pacer sets the pace (25 ms per call), so few iterations.
    compare(
        c,
        "latency_get_oauth_application_session",
        |g| {
            g.sampling_mode(SamplingMode::Flat);
            g.sample_size(if quick() { 10 } else { 30 });
        },
        |n| sequential(rt, n, || s.ours_get_application()),
        |n| sequential(rt, n, || s.raw_get_application()),
    );

    // Bench 2: 64 calls in flight; time per 64 calls.
    let per64 = |g: &mut BenchmarkGroup<'_, WallTime>| {
        g.throughput(Throughput::Elements(64));
    };
    compare(
        c,
        "inflight64_exchange_code",
        per64,
        |n| inflight64(rt, n, || s.ours_exchange()),
        |n| inflight64(rt, n, || s.raw_exchange()),
    );
    compare(
        c,
        "inflight64_get_current_user_applications_bot",
        per64,
        |n| inflight64(rt, n, || s.ours_bot_me()),
        |n| inflight64(rt, n, || s.raw_bot_me()),
    );
    // The raw side of the paced case; ours (1.6 s per round) is timed in `paced_session_calls`.
    let mut g = c.benchmark_group("inflight64_get_oauth_application_session");
    per64(&mut g);
    g.bench_function("raw_reqwest", |b| {
        b.iter_custom(|n| inflight64(rt, n, || s.raw_get_application()))
    });
    g.finish();
}

/// Session calls where the pacer is in the way of criterion's loop: isolated calls (a pause before
/// each, so the pacer's slot is free) and rounds of 64 in flight, timed here and printed.
fn paced_session_calls(rt: &tokio::runtime::Runtime, s: &Subjects) {
    if !filter_allows("paced_get_oauth_application_session") {
        return;
    }
    let n = if quick() { 20 } else { 100 };
    let gap = Duration::from_millis(30);
    let (mut ours, mut raw) = (Vec::with_capacity(n), Vec::with_capacity(n));
    rt.block_on(async {
        // Warm the pool and the pacer.
        s.ours_get_application().await;
        s.raw_get_application().await;
        for _ in 0..n {
            tokio::time::sleep(gap).await;
            ours.push(timed(s.ours_get_application()).await.0);
            tokio::time::sleep(gap).await;
            raw.push(timed(s.raw_get_application()).await.0);
        }
    });
    let (om, o90) = median_p90(&mut ours);
    let (rm, r90) = median_p90(&mut raw);
    println!(
        "\nPACED get_oauth_application isolated ({n} calls each, {gap:?} apart): \
         fluxer median {} p90 {} / raw_reqwest median {} p90 {} = ratio {:.3}",
        human(om.as_nanos() as f64),
        human(o90.as_nanos() as f64),
        human(rm.as_nanos() as f64),
        human(r90.as_nanos() as f64),
        om.as_secs_f64() / rm.as_secs_f64()
    );

    let rounds = if quick() { 1 } else { 3 };
    // Let the pacer's schedule run empty first.
    std::thread::sleep(gap);
    let mut per_round = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        per_round.push(inflight64(rt, 1, || s.ours_get_application()));
    }
    let (pm, _) = median_p90(&mut per_round);
    let raw64 = median_ns("inflight64_get_oauth_application_session", "raw_reqwest");
    println!(
        "PACED get_oauth_application 64 in flight ({rounds} rounds): fluxer {} per 64 calls ({:.1} calls/s){}",
        human(pm.as_nanos() as f64),
        64.0 / pm.as_secs_f64(),
        raw64.map_or(String::new(), |r| format!(
            " / raw_reqwest {} per 64 calls ({:.0} calls/s): throughput ratio {:.4}",
            human(r),
            64.0 / (r / 1e9),
            r / pm.as_nanos() as f64
        ))
    );
}

/// The same comparisons, interleaved (see `ab_report`): the figures to trust on a busy machine.
fn interleaved(rt: &tokio::runtime::Runtime, s: &Subjects) {
    if !filter_allows("ab_client_vs_raw") {
        return;
    }
    println!();
    let rounds = ab_rounds();
    ab_report(
        "exchange_code (sequential)",
        rounds,
        || sequential(rt, 300, || s.ours_exchange()),
        || sequential(rt, 300, || s.raw_exchange()),
        300,
    );
    ab_report(
        "get_current_user_applications bot (sequential)",
        rounds,
        || sequential(rt, 300, || s.ours_bot_me()),
        || sequential(rt, 300, || s.raw_bot_me()),
        300,
    );
    ab_report(
        "exchange_code (64 in flight)",
        rounds,
        || inflight64(rt, 8, || s.ours_exchange()),
        || inflight64(rt, 8, || s.raw_exchange()),
        8 * 64,
    );
    ab_report(
        "get_current_user_applications bot (64 in flight)",
        rounds,
        || inflight64(rt, 8, || s.ours_bot_me()),
        || inflight64(rt, 8, || s.raw_bot_me()),
        8 * 64,
    );
}

fn main() {
    common::started();
    let server = Server::start();
    let rt = client_runtime();
    let subjects = rt.block_on(async { Subjects::new(&server.base_url()) });
    // Every subject answers what the server sent before anything is timed.
    rt.block_on(async {
        assert_eq!(
            subjects.ours_get_application().await,
            subjects.raw_get_application().await
        );
        assert_eq!(subjects.ours_bot_me().await, subjects.raw_bot_me().await);
        let ours = subjects.ours_exchange().await;
        let raw = subjects.raw_exchange().await;
        assert_eq!(ours.access_token, raw.access_token);
        assert_eq!(ours.scope, raw.scope);
    });

    let mut c = common::criterion();
    benches(&mut c, &rt, &subjects);
    c.final_summary();
    interleaved(&rt, &subjects);
    paced_session_calls(&rt, &subjects);
    print_ratios(&[
        ("latency_exchange_code", "fluxer", "raw_reqwest"),
        (
            "latency_get_current_user_applications_bot",
            "fluxer",
            "raw_reqwest",
        ),
        (
            "latency_get_oauth_application_session",
            "fluxer",
            "raw_reqwest",
        ),
        ("inflight64_exchange_code", "fluxer", "raw_reqwest"),
        (
            "inflight64_get_current_user_applications_bot",
            "fluxer",
            "raw_reqwest",
        ),
    ]);
    println!(
        "(for in-flight groups the throughput ratio ours/raw is the inverse of the time ratio)"
    );
    drop(subjects);
    drop(server);
}
