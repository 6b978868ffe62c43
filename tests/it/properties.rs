//! Property tests for every parser a remote party controls: the authorization callback, the error
//! bodies of the server and the rate-limit headers (through a raw server, since both are reached
//! only through a call), the token response, and the authorize URL builder read back.
//!
//! Case counts are kept small enough for `cargo test`; `FLUXER_HEAVY=1` multiplies them by 16.

use std::{
    collections::{BTreeMap, BTreeSet},
    net::Ipv4Addr,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use crate::common::{
    emulator::builder_for,
    heavy, lock,
    raw_server::{RawServer, Reply},
};
use base64::Engine as _;
use fluxer_oauth2::{
    Error, FluxerClient, OAuthErrorKind, RateLimitInfo, RetryPolicy, Secret,
    oauth::{
        AuthorizeUrl, Callback, CallbackError, ClientCredentials, CsrfState, MAX_TOKEN_LIFETIME,
        OAuthCallbackError, PkceMethod, PkceVerifier, Prompt, Scope, TokenSet,
    },
    types,
};
use proptest::{
    prelude::*,
    test_runner::{Config, TestRunner},
};
use reqwest::header::HeaderValue;
use sha2::{Digest, Sha256};

/// Cases for the pure parsers (the raw-server property uses fewer).
fn cases(n: u32) -> u32 {
    if heavy() { n * 16 } else { n }
}

fn config(n: u32) -> Config {
    Config {
        cases: cases(n),
        // Failures are reported with the shrunk input; no regression files in the source tree.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The callback.
// ---------------------------------------------------------------------------------------------

/// A callback parameter name: one of the four that matter, or another.
#[derive(Clone, Debug)]
enum Name {
    Code,
    State,
    Error,
    Description,
    Other(String),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::Code => "code",
            Name::State => "state",
            Name::Error => "error",
            Name::Description => "error_description",
            Name::Other(other) => other,
        }
    }
}

fn name() -> impl Strategy<Value = Name> {
    prop_oneof![
        3 => Just(Name::Code),
        3 => Just(Name::State),
        1 => Just(Name::Error),
        1 => Just(Name::Description),
        2 => "[a-z_]{1,10}"
            .prop_filter("not one of the four", |n| {
                !matches!(n.as_str(), "code" | "state" | "error" | "error_description")
            })
            .prop_map(Name::Other),
    ]
}

/// Any text, including the characters that matter in a query (`&`, `=`, `#`, `+`, `%`, `?`).
/// Server text reaches an error as sent when it is plain (no control character, no run that looks
/// like a token); otherwise made safe: escaped, with such runs masked, still one line.
fn kept_as_sent(shown: Option<&str>, sent: Option<&str>) -> bool {
    let (Some(shown), Some(sent)) = (shown, sent) else {
        return shown.is_none() && sent.is_none();
    };
    let token_char = |c: char| c.is_ascii_alphanumeric() || "-_.~+/=".contains(c);
    let word_like = |run: &str| {
        run.bytes().all(|b| b.is_ascii_digit())
            || run.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
            || run.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    };
    let plain = !sent.chars().any(char::is_control)
        && sent
            .split(|c: char| !token_char(c))
            .all(|run| run.len() < 16 || word_like(run));
    if plain {
        shown == sent
    } else {
        !shown.chars().any(char::is_control)
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_.~-]{0,24}",
        "[&=#+%? a-z]{0,12}",
        any::<String>().prop_map(|s| s.chars().take(40).collect()),
    ]
}

/// The forms a caller may hand over: a full URL, a path with a query, `?query`, the bare query.
fn callback_input(query: &str, form: u8, fragment: &Option<String>) -> String {
    let mut input = match form {
        0 => format!("https://app.example/callback?{query}"),
        1 => format!("/callback?{query}"),
        2 => format!("?{query}"),
        _ => query.to_owned(),
    };
    if let Some(fragment) = fragment {
        input.push('#');
        input.push_str(fragment);
    }
    input
}

/// What `Callback::parse` must answer, from the parameters in order.
enum Expected {
    Ok { code: String, state: Option<String> },
    Err(CallbackError),
}

fn model(params: &[(Name, String)]) -> Expected {
    let mut seen: BTreeMap<&'static str, String> = BTreeMap::new();
    for (name, value) in params {
        let key: &'static str = match name {
            Name::Code => "code",
            Name::State => "state",
            Name::Error => "error",
            Name::Description => "error_description",
            Name::Other(_) => continue,
        };
        if seen.insert(key, value.clone()).is_some() {
            return Expected::Err(CallbackError::DuplicateParameter { name: key });
        }
    }
    if let Some(error) = seen.get("error") {
        return Expected::Err(CallbackError::Denied {
            error: OAuthCallbackError::from_code(error),
            description: seen.get("error_description").cloned(),
        });
    }
    match seen.get("code").filter(|c| !c.is_empty()) {
        None => Expected::Err(CallbackError::MissingCode),
        Some(code) => Expected::Ok {
            code: code.clone(),
            state: seen.get("state").filter(|s| !s.is_empty()).cloned(),
        },
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Whatever the string, parsing gives an answer: never a panic.
    #[test]
    fn callback_parse_never_panics(input in any::<String>(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Callback::parse(&input);
        let _ = Callback::finish(&input, &CsrfState::new("s"));
        let lossy = String::from_utf8_lossy(&bytes);
        let _ = Callback::parse(&lossy);
        if let Err(e) = Callback::parse(&input) {
            // Every refusal can be shown, in one line.
            let shown = e.to_string();
            prop_assert!(!shown.contains('\n'), "{}", shown);
        }
    }

    /// Success iff there is exactly one non-empty code, no `error` and no repeated parameter; the
    /// code and state come back exactly as sent, in every input form, with or without a fragment;
    /// the code is released only for the state that was sent.
    #[test]
    fn callback_parse_follows_the_model(
        params in prop::collection::vec((name(), text()), 0..7),
        form in 0u8..4,
        fragment in prop::option::of(text()),
    ) {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &params {
            query.append_pair(name.as_str(), value);
        }
        let query = query.finish();
        let input = callback_input(&query, form, &fragment);
        match model(&params) {
            Expected::Err(want) => {
                let got = Callback::parse(&input).map(|_| ()).unwrap_err();
                prop_assert_eq!(got, want, "input {:?}", input);
            }
            Expected::Ok { code, state } => {
                let parsed = Callback::parse(&input);
                prop_assert!(parsed.is_ok(), "input {:?}: {:?}", input, parsed.err());
                match &state {
                    Some(state) => {
                        let released = Callback::parse(&input)
                            .unwrap()
                            .verify_state(&CsrfState::new(state.clone()))
                            .expect("the state that was sent");
                        prop_assert_eq!(released.expose_secret(), code.as_str());
                        let other = format!("{state}x");
                        prop_assert_eq!(
                            Callback::finish(&input, &CsrfState::new(other)).unwrap_err(),
                            CallbackError::StateMismatch
                        );
                        prop_assert_eq!(
                            Callback::finish(&input, &CsrfState::new("")).unwrap_err(),
                            CallbackError::StateMismatch
                        );
                    }
                    None => {
                        prop_assert_eq!(
                            Callback::finish(&input, &CsrfState::new("anything")).unwrap_err(),
                            CallbackError::StateMissing
                        );
                    }
                }
                // The code never shows in the parsed callback's Debug.
                let shown = format!("{:?}", Callback::parse(&input).unwrap());
                if code.len() >= 4 {
                    prop_assert!(!shown.contains(&code), "{}", shown);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rate-limit headers.
// ---------------------------------------------------------------------------------------------

const RATE_HEADERS: [&str; 8] = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-reset-after",
    "x-ratelimit-bucket",
    "x-ratelimit-scope",
    "x-ratelimit-global",
    "retry-after",
];

/// Bytes a header value may hold: visible ASCII, space, tab and obs-text.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            0x20u8..=0x7e,
            Just(b'\t'),
            0x80u8..=0xff,
            // Numbers and the words the parser looks for, to reach its deeper branches.
            Just(b'1'),
            Just(b'.'),
            Just(b'-'),
            Just(b'e'),
        ],
        0..24,
    )
}

fn word_or_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        header_bytes(),
        prop_oneof![
            Just("NaN"),
            Just("inf"),
            Just("-inf"),
            Just("1e308"),
            Just("-0"),
            Just("1e9"),
            Just("999999999.999"),
            Just("18446744073709551616"),
            Just("true"),
            Just("TRUE"),
            Just(""),
            Just(" 2 "),
        ]
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

/// A public application, the 200 the rate-limit server answers with.
const OK_PUBLIC_APP: &str = include_str!("../fixtures/error_bodies/ok_public_application.json");

/// The header lines (name, raw value) the rate-limit server puts on its next answers.
type RateHeaders = Arc<Mutex<Vec<(&'static str, Vec<u8>)>>>;

/// A keep-alive server that answers every request with a 200 carrying a public application and the
/// current header lines, written byte for byte.
async fn rate_limit_server(headers: RateHeaders) -> RawServer {
    RawServer::keep_alive(0, move |_| {
        let mut answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n".to_vec();
        for (name, value) in lock(&headers).iter() {
            answer.extend_from_slice(name.as_bytes());
            answer.extend_from_slice(b": ");
            answer.extend_from_slice(value);
            answer.extend_from_slice(b"\r\n");
        }
        answer.extend_from_slice(
            format!("content-length: {}\r\n\r\n", OK_PUBLIC_APP.len()).as_bytes(),
        );
        answer.extend_from_slice(OK_PUBLIC_APP.as_bytes());
        answer
    })
    .await
}

/// The rate-limit headers of one successful call, as its `Response` reads them, in its own task so
/// that a panic is seen as one.
async fn rate_limit_of(client: &FluxerClient) -> Result<Option<RateLimitInfo>, Error> {
    let client = client.clone();
    let task = tokio::spawn(async move {
        client
            .get_public_application()
            .id("1574449618593251330")
            .send()
            .await
            .map(|answer| answer.rate_limit().cloned())
    });
    task.await
        .unwrap_or_else(|e| panic!("reading the rate-limit headers panicked: {e}"))
}

/// A client of the rate-limit server, and the runtime it runs on.
fn rate_limit_client(headers: &RateHeaders) -> (tokio::runtime::Runtime, RawServer, FluxerClient) {
    let rt = runtime();
    let server = rt.block_on(rate_limit_server(headers.clone()));
    let client = builder_for(&server.base_url())
        .retry_policy(RetryPolicy::NONE)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    (rt, server, client)
}

/// Any header values (as bytes an HTTP stack lets through), read through a response: never a
/// panic, and every duration read is finite and below 10^9 s.
#[test]
fn rate_limit_headers_never_panic() {
    let headers: RateHeaders = Arc::default();
    let (rt, _server, client) = rate_limit_client(&headers);
    let mut runner = TestRunner::new(config(512));
    runner
        .run(
            &prop::collection::vec(prop::option::of(word_or_bytes()), 8),
            |values| {
                *lock(&headers) = RATE_HEADERS
                    .iter()
                    .zip(&values)
                    .filter_map(|(name, value)| {
                        let value = value.as_ref()?;
                        HeaderValue::from_bytes(value).ok()?;
                        Some((*name, value.clone()))
                    })
                    .collect();
                let info = rt
                    .block_on(rate_limit_of(&client))
                    .map_err(|e| TestCaseError::fail(format!("the call failed: {e}")))?;
                if let Some(info) = info {
                    for d in [info.reset_after, info.retry_after].into_iter().flatten() {
                        prop_assert!(d < Duration::from_secs(1_000_000_000));
                    }
                }
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Well-formed values (with stray spaces around them) read back exactly through a response.
#[test]
fn rate_limit_headers_round_trip() {
    let headers: RateHeaders = Arc::default();
    let (rt, _server, client) = rate_limit_client(&headers);
    let strategy = (
        any::<u64>(),
        any::<u64>(),
        0u64..=4_102_444_800,
        0u64..=1_000_000_000,
        "[0-9a-f]{16}",
        prop_oneof![Just("global"), Just("shared"), Just("user")],
        any::<bool>(),
        0u64..=86_400,
        prop_oneof![Just(""), Just(" "), Just("  ")],
    );
    let mut runner = TestRunner::new(config(512));
    runner
        .run(
            &strategy,
            |(limit, remaining, reset, reset_after_ms, bucket, scope, global, retry_after, pad)| {
                let reset_after = format!("{}.{:03}", reset_after_ms / 1000, reset_after_ms % 1000);
                let values = [
                    limit.to_string(),
                    remaining.to_string(),
                    reset.to_string(),
                    reset_after.clone(),
                    bucket.clone(),
                    scope.to_owned(),
                    global.to_string(),
                    retry_after.to_string(),
                ];
                *lock(&headers) = RATE_HEADERS
                    .iter()
                    .zip(&values)
                    .map(|(name, value)| (*name, format!("{pad}{value}{pad}").into_bytes()))
                    .collect();
                let info = rt
                    .block_on(rate_limit_of(&client))
                    .map_err(|e| TestCaseError::fail(format!("the call failed: {e}")))?
                    .expect("headers are present");
                prop_assert_eq!(info.limit, Some(limit));
                prop_assert_eq!(info.remaining, Some(remaining));
                prop_assert_eq!(info.reset, Some(reset as f64));
                let secs: f64 = reset_after.parse().unwrap();
                prop_assert_eq!(info.reset_after, Some(Duration::from_secs_f64(secs)));
                prop_assert_eq!(info.bucket.as_deref(), Some(bucket.as_str()));
                prop_assert_eq!(info.scope.as_deref(), Some(scope));
                prop_assert_eq!(info.global, global);
                prop_assert_eq!(info.retry_after, Some(Duration::from_secs(retry_after)));
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
}

// ---------------------------------------------------------------------------------------------
// Token responses.
// ---------------------------------------------------------------------------------------------

fn token_response(expires_in: i64, scope: &str) -> types::OAuth2TokenResponse {
    serde_json::from_value(serde_json::json!({
        "access_token": "access",
        "refresh_token": "refresh",
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    }))
    .expect("a well-formed token response")
}

/// The lifetime a token answer's `expires_in` gives: that many seconds when positive and at most
/// [`MAX_TOKEN_LIFETIME`], otherwise zero ("expires now", so that a refresh follows).
fn lifetime_of(expires_in: i64) -> Duration {
    u64::try_from(expires_in)
        .ok()
        .map(Duration::from_secs)
        .filter(|d| *d <= MAX_TOKEN_LIFETIME)
        .unwrap_or(Duration::ZERO)
}

/// Checks one `expires_in` against `now`.
fn check_token_set(
    expires_in: i64,
    now: SystemTime,
    scopes: &[String],
) -> Result<(), TestCaseError> {
    let scope = scopes.join(" ");
    let set = TokenSet::from_response(token_response(expires_in, &scope), now);
    let lifetime = lifetime_of(expires_in);
    prop_assert_eq!(set.expires_in, lifetime);
    prop_assert_eq!(set.expires_at, now + lifetime);
    prop_assert_eq!(set.expires_within(Duration::ZERO, now), lifetime.is_zero());
    for s in scopes {
        prop_assert!(set.has_scope(s));
    }
    prop_assert!(!set.has_scope("never-granted"));
    let shown = format!("{set:?}");
    prop_assert!(
        !shown.contains("access\"") && !shown.contains("refresh\""),
        "{}",
        shown
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    /// Every `expires_in` a server could plausibly send (negative, zero, up to about 34,000 years):
    /// no panic, a lifetime of `expires_in` seconds up to `MAX_TOKEN_LIFETIME` and zero otherwise
    /// (expires now), an expiry that far from `now`.
    #[test]
    fn token_sets_from_plausible_expiries(
        expires_in in prop_oneof![
            Just(0i64),
            Just(-1i64),
            Just(i64::MIN),
            Just(MAX_TOKEN_LIFETIME.as_secs() as i64),
            Just(MAX_TOKEN_LIFETIME.as_secs() as i64 + 1),
            1i64..=(1i64 << 40),
            i64::MIN..=(1i64 << 40),
        ],
        now_secs in 0u64..=4_102_444_800,
        scopes in prop::collection::vec("[a-z]{1,12}", 0..5),
    ) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now_secs);
        check_token_set(expires_in, now, &scopes)?;
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// A hostile or broken server can send any `i64` as `expires_in`: no panic, an absurd lifetime
    /// (over `MAX_TOKEN_LIFETIME`) read as "expires now", never an expiry before `now`.
    #[test]
    fn token_sets_from_any_expiry_never_panic(
        expires_in in prop_oneof![Just(i64::MAX), Just(i64::MAX - 1), Just(1i64 << 62), any::<i64>()],
    ) {
        let now = SystemTime::now();
        let set = TokenSet::from_response(token_response(expires_in, "identify"), now);
        prop_assert_eq!(set.expires_in, lifetime_of(expires_in));
        prop_assert!(set.expires_at >= now);
        prop_assert_eq!(set.expires_within(Duration::ZERO, now), set.expires_in.is_zero());
    }
}

/// The same through the client: a token endpoint answering a huge `expires_in` must give a typed
/// answer, not kill the calling task.
#[test]
fn a_huge_expires_in_from_the_server_does_not_panic_the_caller() {
    let rt = runtime();
    rt.block_on(async {
        let server = RawServer::answering(Ipv4Addr::LOCALHOST, |_, _| {
            let body = format!(
                r#"{{"access_token":"a","refresh_token":"r","token_type":"Bearer","scope":"identify","expires_in":{}}}"#,
                i64::MAX
            );
            Reply::new(200, "application/json", body)
        })
        .await;
        let client = builder_for(&server.base_url()).build().unwrap();
        let credentials = ClientCredentials::new("1574449618593251330", "secret").unwrap();
        let task = tokio::spawn(async move {
            client
                .refresh_token(&credentials, &Secret::new("refresh"))
                .await
                .map(drop)
        });
        let outcome = task.await;
        assert!(outcome.is_ok(), "the caller's task panicked");
    });
}

// ---------------------------------------------------------------------------------------------
// The authorize URL, built and read back.
// ---------------------------------------------------------------------------------------------

const KNOWN_SCOPES: [Scope; 5] = [
    Scope::Identify,
    Scope::Email,
    Scope::Guilds,
    Scope::Connections,
    Scope::Bot,
];

/// Redirect URIs already in the normalised form (lower-case host, no default port, a path).
fn redirect_uri() -> impl Strategy<Value = String> {
    let segment = "[A-Za-z0-9._~-]{1,10}".prop_filter("no dot segments", |s| s != "." && s != "..");
    prop_oneof![
        (
            "[a-z][a-z0-9]{0,8}(\\.[a-z]{2,6}){1,2}",
            prop::collection::vec(segment.clone(), 0..3),
            prop::option::of(1024u16..=65535),
            prop::option::of("[a-z]{1,5}=[a-z0-9]{0,5}"),
        )
            .prop_map(|(host, path, port, query)| {
                let port = port.map(|p| format!(":{p}")).unwrap_or_default();
                let query = query.map(|q| format!("?{q}")).unwrap_or_default();
                format!("https://{host}{port}/{}{query}", path.join("/"))
            }),
        (
            prop_oneof![
                Just("127.0.0.1"),
                Just("localhost"),
                Just("[::1]"),
                Just("dev.localhost")
            ],
            1024u16..=65535,
            prop::collection::vec(segment, 0..3),
        )
            .prop_map(|(host, port, path)| format!("http://{host}:{port}/{}", path.join("/"))),
    ]
}

fn api_base() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        Just((
            "https://api.fluxer.app/v1".to_owned(),
            "https://api.fluxer.app/v1/oauth2/authorize".to_owned()
        )),
        Just((
            "https://api.fluxer.app/v1/".to_owned(),
            "https://api.fluxer.app/v1/oauth2/authorize".to_owned()
        )),
        (1024u16..=65535).prop_map(|p| (
            format!("http://127.0.0.1:{p}/v1"),
            format!("http://127.0.0.1:{p}/v1/oauth2/authorize")
        )),
        "[a-z]{1,8}\\.example".prop_map(|h| (
            format!("https://{h}/api/v1"),
            format!("https://{h}/api/v1/oauth2/authorize")
        )),
    ]
}

#[derive(Clone, Debug)]
enum Pkce {
    Off,
    Default,
    S256(String),
    Plain(String),
}

fn pkce() -> impl Strategy<Value = Pkce> {
    let verifier = "[A-Za-z0-9._~-]{43,128}";
    prop_oneof![
        Just(Pkce::Off),
        Just(Pkce::Default),
        verifier.prop_map(Pkce::S256),
        verifier.prop_map(Pkce::Plain),
    ]
}

fn snowflake() -> impl Strategy<Value = String> {
    (0u64..=i64::MAX as u64).prop_map(|n| n.to_string())
}

/// Any state of 1 to 256 characters, including controls, `&`, `=`, `#`, `%`, `+` and non-ASCII.
fn state() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 1..=256).prop_map(String::from_iter),
        "[&=#%+ ?/a-z]{1,40}",
    ]
}

#[derive(Clone, Debug)]
struct AuthorizeInput {
    base: (String, String),
    client_id: String,
    redirect_uri: String,
    scopes: Vec<usize>,
    state: String,
    prompt: Option<bool>,
    target: Option<(bool, String)>,
    permissions: Option<u64>,
    disable_guild_select: Option<bool>,
    pkce: Pkce,
}

fn authorize_input() -> impl Strategy<Value = AuthorizeInput> {
    (
        api_base(),
        snowflake(),
        redirect_uri(),
        prop::collection::vec(0usize..5, 1..6),
        state(),
        prop::option::of(any::<bool>()),
        prop::option::of((any::<bool>(), snowflake())),
        prop::option::of(any::<u64>()),
        prop::option::of(any::<bool>()),
        pkce(),
    )
        .prop_map(
            |(
                base,
                client_id,
                redirect_uri,
                scopes,
                state,
                prompt,
                target,
                permissions,
                disable_guild_select,
                pkce,
            )| AuthorizeInput {
                base,
                client_id,
                redirect_uri,
                scopes,
                state,
                prompt,
                target,
                permissions,
                disable_guild_select,
                pkce,
            },
        )
}

fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

proptest! {
    #![proptest_config(config(256))]

    /// Built with any valid inputs and parsed back, the URL carries every parameter exactly once,
    /// equal to the input; scopes come in one canonical order whatever the insertion order.
    #[test]
    fn authorize_url_round_trip(input in authorize_input()) {
        let scopes: Vec<Scope> = input.scopes.iter().map(|i| KNOWN_SCOPES[*i].clone()).collect();
        let mut builder = AuthorizeUrl::new(&input.base.0, &input.client_id, &input.redirect_uri)
            .scopes(scopes.clone())
            .state(CsrfState::new(input.state.clone()));
        if let Some(consent) = input.prompt {
            builder = builder.prompt(if consent { Prompt::Consent } else { Prompt::None });
        }
        match &input.target {
            Some((true, id)) => builder = builder.guild_id(id.clone()),
            Some((false, id)) => builder = builder.channel_id(id.clone()),
            None => {}
        }
        if let Some(p) = input.permissions {
            builder = builder.permissions(p);
        }
        if let Some(d) = input.disable_guild_select {
            builder = builder.disable_guild_select(d);
        }
        builder = match &input.pkce {
            Pkce::Off => builder.no_pkce(),
            Pkce::Default => builder,
            Pkce::S256(v) => builder.pkce_verifier(PkceVerifier::new(v.clone()).unwrap()),
            Pkce::Plain(v) => builder
                .pkce(PkceMethod::Plain)
                .pkce_verifier(PkceVerifier::new(v.clone()).unwrap()),
        };
        let request = builder.build().expect("valid inputs build");

        let url = &request.url;
        prop_assert_eq!(&url[..url::Position::AfterPath], input.base.1.as_str());
        prop_assert!(url.fragment().is_none());
        let mut params: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in url.query_pairs() {
            let again = params.insert(name.clone().into_owned(), value.into_owned());
            prop_assert!(again.is_none(), "{} appears twice", name);
        }
        let take = |params: &mut BTreeMap<String, String>, name: &str| params.remove(name);
        prop_assert_eq!(take(&mut params, "client_id"), Some(input.client_id.clone()));
        prop_assert_eq!(take(&mut params, "response_type"), Some("code".to_owned()));
        prop_assert_eq!(take(&mut params, "redirect_uri"), Some(input.redirect_uri.clone()));
        prop_assert_eq!(request.redirect_uri.normalized(), input.redirect_uri.as_str());
        prop_assert_eq!(take(&mut params, "state"), Some(input.state.clone()));
        prop_assert_eq!(request.state.expose_secret(), input.state.as_str());

        let scope = take(&mut params, "scope").expect("scope");
        let got: Vec<&str> = scope.split(' ').collect();
        let got_set: BTreeSet<&str> = got.iter().copied().collect();
        prop_assert_eq!(got.len(), got_set.len(), "no scope twice: {}", scope);
        let want: BTreeSet<&str> = scopes.iter().map(|s| s.as_str()).collect();
        prop_assert_eq!(&got_set, &want);
        let reversed = AuthorizeUrl::new(&input.base.0, &input.client_id, &input.redirect_uri)
            .scopes(scopes.iter().rev().cloned())
            .build()
            .unwrap();
        let reversed_scope = reversed
            .url
            .query_pairs()
            .find(|(n, _)| n == "scope")
            .map(|(_, v)| v.into_owned());
        prop_assert_eq!(reversed_scope, Some(scope.clone()));

        let want_prompt = input.prompt.map(|c| if c { "consent" } else { "none" }.to_owned());
        prop_assert_eq!(take(&mut params, "prompt"), want_prompt);
        let (guild, channel) = match &input.target {
            Some((true, id)) => (Some(id.clone()), None),
            Some((false, id)) => (None, Some(id.clone())),
            None => (None, None),
        };
        prop_assert_eq!(take(&mut params, "guild_id"), guild);
        prop_assert_eq!(take(&mut params, "channel_id"), channel);
        prop_assert_eq!(take(&mut params, "permissions"), input.permissions.map(|p| p.to_string()));
        prop_assert_eq!(
            take(&mut params, "disable_guild_select"),
            input.disable_guild_select.map(|d| d.to_string())
        );
        let challenge = take(&mut params, "code_challenge");
        let method = take(&mut params, "code_challenge_method");
        match &input.pkce {
            Pkce::Off => {
                prop_assert_eq!(challenge, None);
                prop_assert_eq!(method, None);
                prop_assert!(request.pkce_verifier.is_none());
            }
            Pkce::Default => {
                let verifier = request.pkce_verifier.as_ref().expect("a fresh verifier");
                prop_assert_eq!(challenge, Some(s256(verifier.expose_secret())));
                prop_assert_eq!(method.as_deref(), Some("S256"));
            }
            Pkce::S256(v) => {
                prop_assert_eq!(challenge, Some(s256(v)));
                prop_assert_eq!(method.as_deref(), Some("S256"));
                prop_assert_eq!(request.pkce_verifier.as_ref().unwrap().expose_secret(), v.as_str());
            }
            Pkce::Plain(v) => {
                prop_assert_eq!(challenge.as_deref(), Some(v.as_str()));
                prop_assert_eq!(method.as_deref(), Some("plain"));
            }
        }
        prop_assert!(params.is_empty(), "unexpected parameters: {:?}", params);
        // The Debug form keeps the query (state, challenge) out.
        let shown = format!("{request:?}");
        prop_assert!(shown.contains("?[redacted]"), "{}", shown);
    }
}

// ---------------------------------------------------------------------------------------------
// Error bodies, through the client, from a raw server.
// ---------------------------------------------------------------------------------------------

/// What the raw server answers next: status, content type, body.
type Script = Arc<Mutex<(u16, Option<String>, Vec<u8>)>>;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// A raw server that answers every request with the current script, then closes.
async fn scripted_server(script: Script) -> RawServer {
    RawServer::answering(Ipv4Addr::LOCALHOST, move |_, _| {
        let (status, content_type, body) = lock(&script).clone();
        Reply {
            status,
            content_type,
            body,
        }
    })
    .await
}

/// One call of a public operation (`get_public_application`) or a token-endpoint one
/// (`introspect_oauth2_token`), in its own task so that a panic is seen as one.
async fn call(client: &FluxerClient, introspect: bool) -> (&'static str, Result<(), Error>) {
    let client = client.clone();
    let op = if introspect {
        "introspect_oauth2_token"
    } else {
        "get_public_application"
    };
    let task = tokio::spawn(async move {
        if introspect {
            let credentials = ClientCredentials::new("1574449618593251330", "s3cret").unwrap();
            client
                .introspect(&credentials, &Secret::new("tok"))
                .await
                .map(drop)
        } else {
            client
                .get_public_application()
                .id("1574449618593251330")
                .send()
                .await
                .map(drop)
        }
    });
    match task.await {
        Ok(result) => (op, result),
        Err(e) => panic!("{op} panicked: {e}"),
    }
}

/// A token-like run that must never show in an error.
fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{24,48}"
}

#[test]
fn arbitrary_answers_give_typed_errors_and_never_leak_token_like_runs() {
    let rt = runtime();
    let script: Script = Arc::new(Mutex::new((200, None, Vec::new())));
    let server = rt.block_on(scripted_server(script.clone()));
    let client = builder_for(&server.base_url())
        .retry_policy(RetryPolicy::NONE)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let strategy = (
        200u16..=599,
        prop::option::of(prop_oneof![
            Just("application/json".to_owned()),
            Just("text/html; charset=utf-8".to_owned()),
            Just("text/plain".to_owned()),
        ]),
        prop::collection::vec(any::<u8>(), 0..200),
        token(),
        prop::collection::vec(any::<u8>(), 0..200),
        any::<bool>(),
    );
    let mut runner = TestRunner::new(config(64));
    runner
        .run(
            &strategy,
            |(status, ctype, before, token, after, introspect)| {
                // Garbage, a token (kept apart from the garbage by spaces), garbage: never a valid body.
                let mut body = b"<".to_vec();
                body.extend_from_slice(&before);
                body.push(b' ');
                body.extend_from_slice(token.as_bytes());
                body.push(b' ');
                body.extend_from_slice(&after);
                *lock(&script) = (status, ctype, body);
                let (op, result) = rt.block_on(call(&client, introspect));
                let Err(err) = result else {
                    return Err(TestCaseError::fail(format!(
                        "{status}: garbage was accepted"
                    )));
                };
                let shown = format!("{err} {err:?} {err:#?}");
                prop_assert!(err.to_string().starts_with(op), "{}", err);
                prop_assert!(!shown.contains(&token), "the token shows: {}", shown);
                prop_assert!(
                    !shown.contains(&token[..12]),
                    "a token prefix shows: {}",
                    shown
                );
                match &err {
                    Error::Decode { status: s, .. } => {
                        prop_assert!(
                            *s == status
                                && status < 500
                                && status != 429
                                && !(300..400).contains(&status)
                        )
                    }
                    Error::Server { status: s, .. } => prop_assert!(*s == status && status >= 500),
                    // Redirects are not followed, and say so.
                    Error::Redirected { status: s, .. } => {
                        prop_assert!(*s == status && (300..400).contains(&status))
                    }
                    // A 429 whose body is not JSON is still a rate limit.
                    Error::RateLimited { .. } => prop_assert_eq!(status, 429),
                    other => prop_assert!(false, "{}: {:?}", status, other),
                }
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
}

/// Well-formed error bodies of any shape and status: the typed error the precedence of the
/// conversion says (rate limit, sudo, scope, OAuth2, Fluxer code, neither), with the values sent.
#[test]
fn error_bodies_convert_by_their_shape() {
    let rt = runtime();
    let script: Script = Arc::new(Mutex::new((200, None, Vec::new())));
    let server = rt.block_on(scripted_server(script.clone()));
    let client = builder_for(&server.base_url())
        .retry_policy(RetryPolicy::NONE)
        .build()
        .unwrap();
    let code = prop::option::of(prop_oneof![
        Just("RATE_LIMITED".to_owned()),
        Just("SUDO_MODE_REQUIRED".to_owned()),
        Just("MISSING_OAUTH_SCOPE".to_owned()),
        Just("UNAUTHORIZED".to_owned()),
        Just("UNKNOWN_APPLICATION".to_owned()),
        Just("INVALID_FORM_BODY".to_owned()),
        "[A-Z_]{3,20}",
    ]);
    let error = prop::option::of(prop_oneof![
        Just("invalid_grant".to_owned()),
        Just("invalid_client".to_owned()),
        Just("invalid_scope".to_owned()),
        Just("invalid_request".to_owned()),
        "[a-z_]{3,20}",
    ]);
    let strategy = (
        prop_oneof![
            Just(400u16),
            Just(401),
            Just(403),
            Just(404),
            Just(409),
            Just(422),
            Just(429),
            Just(500),
            Just(502),
            Just(503),
            400u16..=599
        ],
        code,
        error,
        prop::option::of(text()),
        prop::option::of(text()),
        any::<bool>(),
    );
    let mut runner = TestRunner::new(config(64));
    runner
        .run(
            &strategy,
            |(status, code, error, message, description, introspect)| {
                let mut body = serde_json::Map::new();
                let mut put = |k: &str, v: &Option<String>| {
                    if let Some(v) = v {
                        body.insert(k.to_owned(), serde_json::Value::String(v.clone()));
                    }
                };
                put("code", &code);
                put("error", &error);
                put("message", &message);
                put("error_description", &description);
                let body = serde_json::Value::Object(body).to_string().into_bytes();
                *lock(&script) = (status, Some("application/json".to_owned()), body);
                let (op, result) = rt.block_on(call(&client, introspect));
                let err = result.expect_err("an error status");
                prop_assert!(err.to_string().starts_with(op), "{}", err);
                let code = code.as_deref();
                match &err {
                    Error::RateLimited { .. } => {
                        prop_assert!(status == 429 || code == Some("RATE_LIMITED"), "{:?}", err)
                    }
                    Error::SudoRequired { .. } => {
                        prop_assert!(status != 429 && code == Some("SUDO_MODE_REQUIRED"))
                    }
                    Error::MissingScope { scope, .. } => {
                        prop_assert!(status != 429 && code == Some("MISSING_OAUTH_SCOPE"));
                        prop_assert_eq!(scope.as_str(), "unknown");
                    }
                    Error::OAuth {
                        status: s,
                        kind,
                        description: d,
                        ..
                    } => {
                        prop_assert!(!matches!(
                            code,
                            Some("RATE_LIMITED" | "SUDO_MODE_REQUIRED" | "MISSING_OAUTH_SCOPE")
                        ));
                        prop_assert_eq!(*s, status);
                        prop_assert_eq!(Some(kind.as_str()), error.as_deref());
                        prop_assert_eq!(kind, &OAuthErrorKind::parse(error.as_deref().unwrap()));
                        prop_assert!(
                            kept_as_sent(d.as_deref(), description.as_deref()),
                            "{:?} from {:?}",
                            d,
                            description
                        );
                    }
                    Error::Api {
                        status: s,
                        code: c,
                        message: m,
                        ..
                    } => {
                        prop_assert!(error.is_none());
                        prop_assert_eq!(*s, status);
                        prop_assert_eq!(Some(c.as_str()), code);
                        let sent = message.clone().unwrap_or_default();
                        prop_assert!(
                            kept_as_sent(Some(m), Some(&sent)),
                            "{:?} from {:?}",
                            m,
                            sent
                        );
                    }
                    Error::Decode { status: s, .. } => {
                        prop_assert!(code.is_none() && error.is_none(), "{:?}", err);
                        prop_assert_eq!(*s, status);
                    }
                    other => prop_assert!(false, "{}: {:?}", status, other),
                }
                // Whatever the status, the status the error reports is the answer's, except for the
                // variants that name theirs (429 for a rate limit, 403 for sudo and scope).
                if !matches!(
                    err,
                    Error::RateLimited { .. }
                        | Error::SudoRequired { .. }
                        | Error::MissingScope { .. }
                ) {
                    prop_assert_eq!(err.status(), Some(status));
                }
                Ok(())
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
}

/// A 429 from a proxy or CDN often has an HTML body and no rate-limit headers at all: it must still
/// be `Error::RateLimited` (with the documented fallback wait of 1 s), not a decode error. The case
/// with a `Retry-After` header is `client_ratelimit::a_429_without_a_json_body_is_still_rate_limited`.
#[test]
fn a_429_with_an_html_body_is_rate_limited() {
    let rt = runtime();
    let script: Script = Arc::new(Mutex::new((
        429,
        Some("text/html".to_owned()),
        b"<html><body>Too Many Requests</body></html>".to_vec(),
    )));
    let server = rt.block_on(scripted_server(script));
    let client = builder_for(&server.base_url())
        .retry_policy(RetryPolicy::NONE)
        .build()
        .unwrap();
    let (_, result) = rt.block_on(call(&client, false));
    match result {
        Err(Error::RateLimited {
            retry_after,
            global,
            ..
        }) => {
            assert_eq!(retry_after, Duration::from_secs(1));
            assert!(!global);
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
}

/// A body of many token-like runs followed by one that crosses the edge of the window the snippet
/// is masked over: no part of any token may show.
#[test]
fn a_token_crossing_the_masking_window_is_masked() {
    let rt = runtime();
    // 17 runs of 40 characters and a space: 697 bytes; the 18th run starts there and the window
    // (200 + 512 bytes) keeps its first 15 characters.
    let mut body = String::new();
    for i in 0..17 {
        body.push_str(&format!("{i:02}{}", "Q".repeat(38)));
        body.push(' ');
    }
    let leaked = "LeakedTokenPartXYZabcdefghijklmnopqrstuv";
    body.push_str(leaked);
    let script: Script = Arc::new(Mutex::new((
        502,
        Some("text/html".to_owned()),
        body.into_bytes(),
    )));
    let server = rt.block_on(scripted_server(script));
    let client = builder_for(&server.base_url()).build().unwrap();
    let (_, result) = rt.block_on(call(&client, false));
    let err = result.expect_err("a 502");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains(&leaked[..10]),
        "a token prefix shows: {shown}"
    );
}
