//! A hostile server on 127.0.0.1: answers that echo the request's secrets, flood with megabytes of
//! text and line breaks, never come, come slowly, rate-limit forever or with absurd waits, and token
//! answers that would trap a token manager; and settings at their extremes. None of it may leak a
//! secret, break a log line, stall a call past its deadline, or panic.

use std::{
    net::Ipv4Addr,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use crate::common::{
    echo::echo_server,
    raw_server::{RawServer, Reply},
};
use fluxer_oauth2::{
    Credential, Error, FluxerClient, RetryPolicy, Secret, SudoVerification, TransportKind,
    oauth::{
        ClientAuth, ClientCredentials, MemoryStore, PkceVerifier, RedirectUri, TokenKind,
        TokenManager, TokenSet, UrlError,
    },
    types,
};

const CLIENT_ID: &str = "1574449618593251330";
const CLIENT_SECRET: &str = "client-secret-planted-7Hq2";
const CODE: &str = "code-planted-Xy81";
const REFRESH: &str = "refresh-planted-Lm30";
const ACCESS: &str = "access-planted-Qq55";
const SESSION: &str = "flx_session-planted-Zp09";
const PASSWORD: &str = "password-planted-Rt42";
const TOTP: &str = "864213";

/// Every secret the tour plants, in the forms they are sent in.
fn planted() -> Vec<String> {
    let mut all: Vec<String> = [
        CLIENT_SECRET,
        CODE,
        REFRESH,
        ACCESS,
        SESSION,
        PASSWORD,
        TOTP,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    all.push(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    all
}

fn client_for(base: &str) -> FluxerClient {
    FluxerClient::builder()
        .base_url(base)
        .retry_policy(RetryPolicy::NONE)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

fn assert_clean(err: &Error) {
    let shown = [err.to_string(), format!("{err:?}")];
    for text in &shown {
        for secret in planted() {
            assert!(!text.contains(&secret), "{secret} leaked into: {text}");
        }
        assert!(
            !text.contains('\n') && !text.contains('\r'),
            "a line break: {text}"
        );
        assert!(text.len() <= 4096, "{} bytes", text.len());
    }
}

#[tokio::test]
async fn echoed_secrets_never_reach_an_error() {
    let server = echo_server().await;
    let base = server.root_url();
    let client = client_for(&base);
    let verifier = PkceVerifier::generate();
    for auth in [ClientAuth::Body, ClientAuth::Basic] {
        let creds = ClientCredentials::new(CLIENT_ID, CLIENT_SECRET)
            .unwrap()
            .with_auth(auth);
        for _ in 0..4 {
            let errors = [
                client
                    .exchange_code_with(
                        &creds,
                        &Secret::new(CODE),
                        "https://app.example/cb",
                        Some(&verifier),
                    )
                    .await
                    .unwrap_err(),
                client
                    .refresh_token(&creds, &Secret::new(REFRESH))
                    .await
                    .unwrap_err(),
                client
                    .introspect(&creds, &Secret::new(ACCESS))
                    .await
                    .unwrap_err(),
                client
                    .revoke(&creds, &Secret::new(REFRESH), TokenKind::RefreshToken)
                    .await
                    .unwrap_err(),
            ];
            errors.iter().for_each(assert_clean);
        }
    }
    let session = client.with_credential(Credential::session(SESSION));
    let bearer = client.with_credential(Credential::bearer(ACCESS));
    for _ in 0..4 {
        let errors = [
            session.list_user_applications().send().await.unwrap_err(),
            session
                .reset_client_secret()
                .id(CLIENT_ID)
                .sudo(&SudoVerification::password(PASSWORD))
                .send()
                .await
                .unwrap_err(),
            session
                .reset_bot_token()
                .id(CLIENT_ID)
                .sudo(&SudoVerification::totp(TOTP))
                .send()
                .await
                .unwrap_err(),
            bearer.get_oauth2_userinfo().send().await.unwrap_err(),
            client.login("a@example.com", PASSWORD).await.unwrap_err(),
        ];
        errors.iter().for_each(assert_clean);
    }
}

#[tokio::test]
async fn a_flood_of_text_stays_one_short_line() {
    let huge = format!(
        "{}\r\nInjected: yes\r\n{}",
        "A".repeat(1_500_000),
        "b\n".repeat(700_000)
    );
    let body = serde_json::json!({
        "code": format!("CODE\r\nX-Injected: 1{}", "C".repeat(10_000)),
        "message": huge,
        "errors": (0..500).map(|i| serde_json::json!({"path": format!("f{i}\n"), "message": "m\r\n"})).collect::<Vec<_>>(),
    })
    .to_string();
    assert!(body.len() > 3_000_000);
    let server = RawServer::answering(Ipv4Addr::LOCALHOST, move |_, _| {
        Reply::new(400, "application/json", body.clone())
    })
    .await;
    let client = client_for(&server.root_url()).with_credential(Credential::session(SESSION));
    let err = client.list_user_applications().send().await.unwrap_err();
    assert_clean(&err);
    let shown = err.to_string();
    assert!(shown.contains("495 more field errors not shown"), "{shown}");
    assert!(shown.contains('…'));
}

/// A server that accepts connections, reads the request and never answers.
async fn silent_server() -> RawServer {
    RawServer::start(Ipv4Addr::LOCALHOST, |_, mut stream| async move {
        let _ = crate::common::raw_server::read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
        drop(stream);
    })
    .await
}

#[tokio::test]
async fn a_server_that_never_answers_is_cut_off_at_the_call_deadline() {
    let server = silent_server().await;
    let client = FluxerClient::builder()
        .base_url(server.root_url())
        .call_timeout(Duration::from_millis(800))
        .credential(Credential::bot("1.bot"))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .get_current_user_applications()
        .send()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[tokio::test]
async fn a_rate_limit_that_never_ends_is_cut_off_at_the_call_deadline() {
    let server = RawServer::answering(Ipv4Addr::LOCALHOST, |_, _| {
        Reply::new(
            429,
            "application/json",
            r#"{"code":"RATE_LIMITED","message":"slow down","retry_after":0.3,"global":false}"#,
        )
    })
    .await;
    let client = FluxerClient::builder()
        .base_url(server.root_url())
        .call_timeout(Duration::from_secs(1))
        .retry_policy(RetryPolicy {
            max_retries: u32::MAX,
            max_total_wait: Duration::MAX,
        })
        .credential(Credential::bot("1.bot"))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client
        .get_current_user_applications()
        .send()
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert!(took < Duration::from_millis(1300), "took {took:?}");
    assert!(server.accepted() <= 4, "{} attempts", server.accepted());
}

#[tokio::test]
async fn an_unusable_wait_ends_the_call_at_once_and_is_reported_as_sent() {
    for (value, raw) in [
        ("1e308", "1e+308"),
        ("-1", "-1"),
        ("\"soon\"", "soon"),
        ("2000000000", "2000000000"),
    ] {
        let body = format!(
            r#"{{"code":"RATE_LIMITED","message":"slow down","retry_after":{value},"global":false}}"#
        );
        let server = RawServer::answering(Ipv4Addr::LOCALHOST, move |_, _| {
            Reply::new(429, "application/json", body.clone())
        })
        .await;
        let client = FluxerClient::builder()
            .base_url(server.root_url())
            .credential(Credential::bot("1.bot"))
            .build()
            .unwrap();
        let err = client
            .get_current_user_applications()
            .send()
            .await
            .unwrap_err();
        let Error::RateLimited {
            raw_retry_after, ..
        } = &err
        else {
            panic!("{value}: {err:?}");
        };
        assert_eq!(raw_retry_after.as_deref(), Some(raw), "{value}");
        assert!(err.to_string().contains(raw), "{err}");
        assert_eq!(server.accepted(), 1, "{value}: retried");
    }
    // The same said only by a header, under an HTML page.
    let server = RawServer::answering(Ipv4Addr::LOCALHOST, |_, _| Reply {
        status: 429,
        content_type: Some("text/html\r\nretry-after: later".to_owned()),
        body: b"<html>busy</html>".to_vec(),
    })
    .await;
    let client = client_for(&server.root_url()).with_credential(Credential::bot("1.bot"));
    let err = client
        .get_current_user_applications()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::RateLimited { raw_retry_after: Some(r), .. } if r == "later"),
        "{err:?}"
    );
}

fn token_answer(access: &str, expires_in: i64) -> String {
    serde_json::json!({
        "access_token": access, "token_type": "Bearer", "expires_in": expires_in,
        "refresh_token": format!("r-{}", access.len()), "scope": "identify",
    })
    .to_string()
}

fn pair(expires_in: i64) -> TokenSet {
    let response: types::OAuth2TokenResponse =
        serde_json::from_str(&token_answer("access-0", expires_in)).unwrap();
    TokenSet::from_response(response, SystemTime::now())
}

#[tokio::test]
async fn tokens_that_expire_at_once_cause_no_refresh_storm() {
    for expires_in in [0, -5, i64::MAX] {
        let server = RawServer::answering(Ipv4Addr::LOCALHOST, move |i, _| {
            Reply::new(
                200,
                "application/json",
                token_answer(&format!("access-{}", i + 1), expires_in),
            )
        })
        .await;
        let manager = TokenManager::builder(
            client_for(&server.root_url()),
            ClientCredentials::new(CLIENT_ID, CLIENT_SECRET).unwrap(),
            Arc::new(MemoryStore::new()),
            Some(pair(expires_in)),
        )
        .build()
        .await
        .unwrap();
        let mut too_short = 0;
        for _ in 0..5 {
            match manager.access_token().await {
                Ok(_) => {}
                Err(Error::TokenLifetimeTooShort { .. }) => too_short += 1,
                Err(other) => panic!("{expires_in}: {other:?}"),
            }
        }
        assert_eq!(server.accepted(), 1, "{expires_in}: one refresh, not five");
        assert!(too_short >= 4, "{expires_in}: {too_short}");
    }
}

#[tokio::test]
async fn an_unsendable_access_token_is_refused_when_it_arrives() {
    let server = RawServer::answering(Ipv4Addr::LOCALHOST, |_, _| {
        Reply::new(200, "application/json", token_answer("bad\r\ntoken", 3600))
    })
    .await;
    let store = Arc::new(MemoryStore::new());
    let manager = TokenManager::builder(
        client_for(&server.root_url()),
        ClientCredentials::new(CLIENT_ID, CLIENT_SECRET).unwrap(),
        store.clone(),
        Some(pair(0)),
    )
    .build()
    .await
    .unwrap();
    let err = manager.access_token().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot be sent in a header"));
    assert_eq!(manager.tokens().access_token.expose_secret(), "access-0");
    use fluxer_oauth2::oauth::TokenStore as _;
    let stored = store.load().await.unwrap().unwrap();
    assert_eq!(stored.tokens.access_token.expose_secret(), "access-0");
}

#[test]
fn redirect_uris_refuse_control_characters_and_spaces() {
    for bad in [
        "https://app.example/cb\r\n",
        "https://app.example/c b",
        "https://app.example/\tcb",
        " https://app.example/cb",
    ] {
        assert_eq!(
            RedirectUri::parse(bad).unwrap_err(),
            UrlError::ControlOrSpace,
            "{bad:?}"
        );
    }
}

#[test]
fn an_overlong_base_url_is_refused() {
    let long = format!("https://api.example.org/{}", "a".repeat(9000));
    let err = FluxerClient::builder().base_url(long).build().unwrap_err();
    assert!(err.to_string().contains("8192-byte limit"), "{err}");
    assert!(!err.to_string().contains("aaaa"));
}

mod settings {
    use proptest::prelude::*;

    use super::*;

    fn durations() -> impl Strategy<Value = Duration> {
        prop_oneof![
            Just(Duration::ZERO),
            Just(Duration::from_nanos(1)),
            Just(Duration::from_millis(50)),
            Just(Duration::from_secs(u64::MAX)),
            Just(Duration::MAX),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Every builder setting at its extremes: building gives a client or `InvalidInput`, and a call
        /// and a token manager made from it never panic and end in bounded time.
        #[test]
        fn no_setting_panics(
            timeout in durations(),
            connect in durations(),
            call in durations(),
            retries in prop_oneof![Just(0u32), Just(1), Just(u32::MAX)],
            wait in durations(),
            cap in prop_oneof![Just(0usize), Just(1), Just(usize::MAX)],
            margin in durations(),
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let server = RawServer::answering(Ipv4Addr::LOCALHOST, |_, _| {
                    Reply::new(429, "application/json", r#"{"code":"RATE_LIMITED","message":"x","retry_after":0.01}"#)
                }).await;
                let built = FluxerClient::builder()
                    .base_url(server.root_url())
                    .timeout(timeout)
                    .connect_timeout(connect)
                    .call_timeout(call.min(Duration::from_secs(1)).max(if call.is_zero() { Duration::ZERO } else { Duration::from_nanos(1) }))
                    .retry_policy(RetryPolicy { max_retries: retries, max_total_wait: wait })
                    .max_response_bytes(cap)
                    .credential(Credential::bot("1.bot"))
                    .build();
                let client = match built {
                    Ok(client) => client,
                    Err(Error::InvalidInput { .. }) => return,
                    Err(other) => panic!("{other:?}"),
                };
                let _ = tokio::time::timeout(Duration::from_secs(5), client.get_current_user_applications().send())
                    .await
                    .expect("the call deadline holds");
                let manager = TokenManager::builder(
                    client.clone(),
                    ClientCredentials::new(CLIENT_ID, CLIENT_SECRET).unwrap(),
                    Arc::new(MemoryStore::new()),
                    Some(pair(3600)),
                )
                .refresh_margin(margin)
                .build()
                .await;
                if let Ok(manager) = manager {
                    let _ = tokio::time::timeout(Duration::from_secs(5), manager.access_token())
                        .await
                        .expect("bounded");
                }
            });
        }
    }
}

/// The figures of docs/RELIABILITY.md: with default settings, how long a call lasts against a
/// server that never answers, one that answers after 40 s, and one that answers 429 forever.
/// About a minute: run with `cargo test --test it -- hostile:: --ignored --nocapture`.
#[tokio::test]
#[ignore = "takes about a minute; run for the figures"]
async fn default_deadline_figures() {
    let silent = silent_server().await;
    let slow = RawServer::start(Ipv4Addr::LOCALHOST, |_, mut stream| async move {
        let _ = crate::common::raw_server::read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(40)).await;
        crate::common::raw_server::write_response(&mut stream, 200, "application/json", b"{}")
            .await;
    })
    .await;
    let limited = RawServer::answering(Ipv4Addr::LOCALHOST, |_, _| {
        Reply::new(
            429,
            "application/json",
            r#"{"code":"RATE_LIMITED","message":"slow down","retry_after":1,"global":false}"#,
        )
    })
    .await;
    for (name, server) in [
        ("never answers", &silent),
        ("answers after 40 s", &slow),
        ("429 forever", &limited),
    ] {
        let client = FluxerClient::builder()
            .base_url(server.root_url())
            .credential(Credential::bot("1.bot"))
            .build()
            .unwrap();
        let started = Instant::now();
        let err = client
            .get_current_user_applications()
            .send()
            .await
            .unwrap_err();
        let took = started.elapsed();
        println!(
            "deadline figure: {name}: {took:?}, {} connections, {err}",
            server.accepted()
        );
        assert!(took <= Duration::from_secs(31), "{name}: {took:?}");
    }
}
