//! 429 handling: the wait the body asks for, the retry budget, the rate-limit headers, the session that
//! the server revokes after a global 429, and which calls may be sent twice.

use std::time::{Duration, Instant};

use crate::common::wire::{
    APP_ID, BOT_TOKEN, CLIENT_SECRET, CODE, OK_APPLICATIONS_ME_BOT, OK_LIST_APPS, OK_TOKEN,
    OTHER_SESSION_TOKEN, REDIRECT, ROUTE_429, SESSION_TOKEN, builder, json, request_count,
    sequence,
};
use fluxer_oauth2::{
    ApiErrorCode, Credential, Error, FluxerClient, RateLimitInfo, RetryPolicy, Secret,
    oauth::{ClientCredentials, TokenSet},
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

const GLOBAL_429: &str = include_str!("../fixtures/error_bodies/rate_limited_global_429.json");
const UNAUTHORIZED_401: &str = include_str!("../fixtures/error_bodies/unauthorized_401.json");
const INTERNAL_500: &str = include_str!("../fixtures/error_bodies/internal_server_error_500.json");

const BUCKET: &str = "5e0b1e4c3a2d9f87";

/// A route 429 as the server sends it: the body's decimal `retry_after` (0.05 s here) is the real wait,
/// `retry-after` is that rounded up to whole seconds (1), `reset-after` is the bucket's full refill.
fn route_429() -> ResponseTemplate {
    json(429, ROUTE_429)
        .insert_header("retry-after", "1")
        .insert_header("x-ratelimit-limit", "60")
        .insert_header("x-ratelimit-remaining", "0")
        .insert_header("x-ratelimit-reset", "1795448512")
        .insert_header("x-ratelimit-reset-after", "59.66")
        .insert_header("x-ratelimit-bucket", BUCKET)
        .insert_header("x-ratelimit-scope", "user")
}

/// A global 429: only `retry-after`, `x-ratelimit-global` and `x-ratelimit-scope`.
fn global_429() -> ResponseTemplate {
    json(429, GLOBAL_429)
        .insert_header("retry-after", "1")
        .insert_header("x-ratelimit-global", "true")
        .insert_header("x-ratelimit-scope", "global")
}

fn client(server: &MockServer, credential: Credential, retry: RetryPolicy) -> FluxerClient {
    builder(server)
        .credential(credential)
        .retry_policy(retry)
        .build()
        .unwrap()
}

/// A mock that answers `answers` in turn on `route` (the last one from then on), and a client aimed
/// at it holding `credential` with the `retry` policy.
async fn scripted(
    http_method: &str,
    route: &str,
    answers: Vec<ResponseTemplate>,
    credential: Credential,
    retry: RetryPolicy,
) -> (MockServer, FluxerClient) {
    let server = MockServer::start().await;
    sequence(&server, http_method, route, answers).await;
    let client = client(&server, credential, retry);
    (server, client)
}

/// A session whose applications list answers a global 429, then the 401 of a revoked session.
async fn globally_limited_session(retry: RetryPolicy) -> (MockServer, FluxerClient) {
    scripted(
        "GET",
        "/users/@me/applications",
        vec![global_429(), json(401, UNAUTHORIZED_401)],
        Credential::session(SESSION_TOKEN),
        retry,
    )
    .await
}

/// The exchange of [`CODE`] with the body credentials.
async fn exchange(client: &FluxerClient) -> Result<TokenSet, Error> {
    client
        .exchange_code_with(&exchange_credentials(), &Secret::new(CODE), REDIRECT, None)
        .await
}

/// A few quick retries, and never more than 2 s of waiting in a test.
const QUICK: RetryPolicy = RetryPolicy {
    max_retries: 3,
    max_total_wait: Duration::from_secs(2),
};

#[tokio::test]
async fn a_route_429_is_retried_after_the_bodys_decimal_wait() {
    let (server, bot) = scripted(
        "GET",
        "/applications/@me",
        vec![route_429(), json(200, OK_APPLICATIONS_ME_BOT)],
        Credential::bot(BOT_TOKEN),
        QUICK,
    )
    .await;

    let started = Instant::now();
    let app = bot
        .get_current_user_applications()
        .send()
        .await
        .expect("the retry succeeds");
    let elapsed = started.elapsed();
    assert_eq!(app.id.as_str(), APP_ID);
    assert_eq!(request_count(&server).await, 2);
    assert!(
        elapsed >= Duration::from_millis(50),
        "the 0.05 s wait was honoured: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(1),
        "the body's 0.05 s is used, not Retry-After's rounded 1 s: {elapsed:?}"
    );
}

#[tokio::test]
async fn exhausted_retries_give_rate_limited_with_the_headers() {
    let policy = RetryPolicy {
        max_retries: 1,
        max_total_wait: Duration::from_secs(2),
    };
    let (server, bot) = scripted(
        "GET",
        "/applications/@me",
        vec![route_429(), route_429(), json(200, OK_APPLICATIONS_ME_BOT)],
        Credential::bot(BOT_TOKEN),
        policy,
    )
    .await;

    let err = bot
        .get_current_user_applications()
        .send()
        .await
        .expect_err("two 429s, one retry");
    assert_eq!(
        request_count(&server).await,
        2,
        "the first try and one retry"
    );
    match &err {
        Error::RateLimited {
            operation,
            retry_after,
            raw_retry_after,
            global,
            info,
        } => {
            assert_eq!(*operation, "get_current_user_applications");
            assert_eq!(*retry_after, Duration::from_millis(50));
            assert_eq!(
                *raw_retry_after, None,
                "the body's wait was a usable number"
            );
            assert!(!global);
            assert_eq!(info.bucket.as_deref(), Some(BUCKET));
            assert_eq!(info.limit, Some(60));
            assert_eq!(info.remaining, Some(0));
            assert_eq!(info.reset, Some(1_795_448_512.0));
            assert_eq!(info.reset_after, Some(Duration::from_secs_f64(59.66)));
            assert_eq!(info.scope.as_deref(), Some("user"));
            assert_eq!(info.retry_after, Some(Duration::from_secs(1)));
            assert_eq!(info.retry_after_raw.as_deref(), Some("1"));
            assert!(!info.global);
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert_eq!(err.status(), Some(429));
    let text = err.to_string();
    assert!(
        text.contains("get_current_user_applications") && !text.contains("global limit"),
        "{text}"
    );
    assert!(!text.contains(BOT_TOKEN) && !format!("{err:?}").contains(BOT_TOKEN));

    // The client still works: the next answer is a 200.
    bot.get_current_user_applications()
        .send()
        .await
        .expect("usable afterwards");
}

#[tokio::test]
async fn retry_policy_none_gives_rate_limited_at_once() {
    let two_seconds = json(
        429,
        r#"{"code":"RATE_LIMITED","message":"You're being rate limited.","global":false,"retry_after":2.0}"#,
    )
    .insert_header("retry-after", "2");
    let (server, bot) = scripted(
        "GET",
        "/applications/@me",
        vec![two_seconds, json(200, OK_APPLICATIONS_ME_BOT)],
        Credential::bot(BOT_TOKEN),
        RetryPolicy::NONE,
    )
    .await;

    let started = Instant::now();
    let err = bot
        .get_current_user_applications()
        .send()
        .await
        .expect_err("no retries");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "no wait: {:?}",
        started.elapsed()
    );
    assert!(
        matches!(&err, Error::RateLimited { retry_after, global: false, .. } if *retry_after == Duration::from_secs(2)),
        "{err:?}"
    );
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_wait_beyond_the_budget_is_not_waited() {
    let long = json(
        429,
        r#"{"code":"RATE_LIMITED","message":"You're being rate limited.","global":false,"retry_after":30.5}"#,
    )
    .insert_header("retry-after", "31")
    .insert_header("x-ratelimit-bucket", BUCKET);
    let policy = RetryPolicy {
        max_retries: 3,
        max_total_wait: Duration::from_secs(1),
    };
    let (server, bot) = scripted(
        "GET",
        "/applications/@me",
        vec![long, json(200, OK_APPLICATIONS_ME_BOT)],
        Credential::bot(BOT_TOKEN),
        policy,
    )
    .await;

    let started = Instant::now();
    let err = bot
        .get_current_user_applications()
        .send()
        .await
        .expect_err("30.5 s is over the 1 s budget");
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "no wait: {:?}",
        started.elapsed()
    );
    assert!(
        matches!(&err, Error::RateLimited { retry_after, .. } if *retry_after == Duration::from_secs_f64(30.5)),
        "{err:?}"
    );
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_response_exposes_the_rate_limit_headers_of_a_success() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/applications/@me"))
        .respond_with(
            json(200, OK_APPLICATIONS_ME_BOT)
                .insert_header("x-ratelimit-limit", "60")
                .insert_header("x-ratelimit-remaining", "59")
                .insert_header("x-ratelimit-reset", "1795448512")
                .insert_header("x-ratelimit-reset-after", "1.5")
                .insert_header("x-ratelimit-bucket", BUCKET),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/@me/applications"))
        .respond_with(json(200, OK_LIST_APPS))
        .mount(&server)
        .await;
    let bot = client(&server, Credential::bot(BOT_TOKEN), RetryPolicy::NONE);
    let app = bot
        .get_current_user_applications()
        .send()
        .await
        .expect("200");
    assert_eq!(app.status(), 200);
    let info = app
        .rate_limit()
        .expect("the 200 carried rate-limit headers");
    assert_eq!(
        info,
        &RateLimitInfo {
            limit: Some(60),
            remaining: Some(59),
            reset: Some(1_795_448_512.0),
            reset_after: Some(Duration::from_millis(1500)),
            bucket: Some(BUCKET.to_owned()),
            scope: None,
            global: false,
            retry_after: None,
            retry_after_raw: None,
        }
    );
    // The headers are those of this very answer: a later answer on the same pool that carries none
    // says none.
    let apps = bot
        .with_credential(Credential::session(SESSION_TOKEN))
        .list_user_applications()
        .send()
        .await
        .expect("200");
    assert_eq!(
        apps.rate_limit(),
        None,
        "this answer carried no rate-limit headers"
    );
}

#[tokio::test]
async fn a_global_429_then_401_for_a_session_is_session_revoked() {
    let (server, user) = globally_limited_session(QUICK).await;

    let err = user
        .list_user_applications()
        .send()
        .await
        .expect_err("revoked");
    assert!(
        matches!(
            err,
            Error::SessionRevoked {
                operation: "list_user_applications"
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(401));
    assert!(err.to_string().contains("list_user_applications"));
    assert!(!format!("{err} {err:?}").contains(SESSION_TOKEN));
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_global_429_without_retry_then_401_is_session_revoked() {
    let (_server, user) = globally_limited_session(RetryPolicy::NONE).await;

    let err = user.list_user_applications().send().await.expect_err("429");
    match &err {
        Error::RateLimited { global, info, .. } => {
            assert!(*global);
            assert!(info.global);
            assert_eq!(info.scope.as_deref(), Some("global"));
        }
        other => panic!("expected RateLimited, got {other:?}"),
    }
    assert!(
        err.to_string().contains("revoked"),
        "the message warns about revocation: {err}"
    );
    let err = user.list_user_applications().send().await.expect_err("401");
    assert!(matches!(err, Error::SessionRevoked { .. }), "{err:?}");
}

#[tokio::test]
async fn a_401_without_a_global_429_is_unauthorized() {
    let (server, user) = scripted(
        "GET",
        "/users/@me/applications",
        vec![route_429(), json(401, UNAUTHORIZED_401)],
        Credential::session(SESSION_TOKEN),
        QUICK,
    )
    .await;

    // A route 429 does not revoke a session: the 401 after it is a plain 401.
    let err = user.list_user_applications().send().await.expect_err("401");
    assert!(
        matches!(
            &err,
            Error::Api {
                status: 401,
                code: ApiErrorCode::Unauthorized,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(request_count(&server).await, 2);
}

#[tokio::test]
async fn a_global_limit_of_one_session_does_not_mark_another() {
    let (_server, first) = globally_limited_session(RetryPolicy::NONE).await;
    let err = first
        .list_user_applications()
        .send()
        .await
        .expect_err("429");
    assert!(
        matches!(err, Error::RateLimited { global: true, .. }),
        "{err:?}"
    );

    // The user signs in again and the app switches to the new session on the same pool.
    let second = first.with_credential(Credential::session(OTHER_SESSION_TOKEN));
    let err = second
        .list_user_applications()
        .send()
        .await
        .expect_err("401");
    assert!(
        matches!(
            &err,
            Error::Api {
                status: 401,
                code: ApiErrorCode::Unauthorized,
                ..
            }
        ),
        "the new session never hit the global limit, so its 401 is not a revocation: {err:?}"
    );
}

#[tokio::test]
async fn a_global_429_of_a_bot_does_not_mark_sessions() {
    let (server, bot) = scripted(
        "GET",
        "/applications/@me",
        vec![global_429(), json(200, OK_APPLICATIONS_ME_BOT)],
        Credential::bot(BOT_TOKEN),
        RetryPolicy::NONE,
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/users/@me/applications"))
        .respond_with(json(401, UNAUTHORIZED_401))
        .mount(&server)
        .await;
    assert!(matches!(
        bot.get_current_user_applications().send().await,
        Err(Error::RateLimited { global: true, .. })
    ));
    let user = bot.with_credential(Credential::session(SESSION_TOKEN));
    let err = user.list_user_applications().send().await.expect_err("401");
    assert!(matches!(&err, Error::Api { status: 401, .. }), "{err:?}");
}

fn exchange_credentials() -> ClientCredentials {
    ClientCredentials::new(APP_ID, CLIENT_SECRET).unwrap()
}

#[tokio::test]
async fn the_token_exchange_is_retried_after_a_429() {
    let (server, anyone) = scripted(
        "POST",
        "/oauth2/token",
        vec![
            json(
                429,
                r#"{"code":"RATE_LIMITED","message":"You're being rate limited.","global":false,"retry_after":0.05}"#,
            )
            .insert_header("retry-after", "1")
            .insert_header("x-ratelimit-scope", "shared"),
            json(200, OK_TOKEN),
        ],
        Credential::bot(BOT_TOKEN),
        QUICK,
    )
    .await;
    let started = Instant::now();
    let tokens = exchange(&anyone)
        .await
        .expect("a 429 spends nothing: the retry succeeds");
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(tokens.token_type, "Bearer");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].body, requests[1].body,
        "the same request was sent again"
    );
}

#[tokio::test]
async fn the_token_exchange_is_not_retried_after_a_500() {
    let (server, anyone) = scripted(
        "POST",
        "/oauth2/token",
        vec![json(500, INTERNAL_500), json(200, OK_TOKEN)],
        Credential::bot(BOT_TOKEN),
        QUICK,
    )
    .await;
    let err = exchange(&anyone).await.expect_err("500");
    assert!(
        matches!(
            &err,
            Error::Api {
                status: 500,
                code: ApiErrorCode::InternalServerError,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        request_count(&server).await,
        1,
        "a code may be spent: never sent twice after a 500"
    );
    // Nor after a 502 page.
    let (server, anyone) = scripted(
        "POST",
        "/oauth2/token",
        vec![
            ResponseTemplate::new(502).set_body_raw("<html>502</html>", "text/html"),
            json(200, OK_TOKEN),
        ],
        Credential::bot(BOT_TOKEN),
        QUICK,
    )
    .await;
    let err = anyone
        .refresh_token(&exchange_credentials(), &Secret::new(CODE))
        .await
        .expect_err("502");
    assert!(matches!(&err, Error::Server { status: 502, .. }), "{err:?}");
    assert_eq!(request_count(&server).await, 1);
}

#[tokio::test]
async fn a_session_list_retries_through_route_429s_until_success() {
    let (server, user) = scripted(
        "GET",
        "/users/@me/applications",
        vec![route_429(), route_429(), json(200, OK_LIST_APPS)],
        Credential::session(SESSION_TOKEN),
        QUICK,
    )
    .await;
    let started = Instant::now();
    assert_eq!(
        user.list_user_applications()
            .send()
            .await
            .expect("third try")
            .len(),
        1
    );
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "two waits of 0.05 s"
    );
    assert_eq!(request_count(&server).await, 3);
}

#[tokio::test]
async fn a_429_without_a_json_body_is_still_rate_limited() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/applications/@me"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_raw("<html><body>Too Many Requests</body></html>", "text/html"),
        )
        .mount(&server)
        .await;
    let bot = client(&server, Credential::bot(BOT_TOKEN), RetryPolicy::NONE);
    let err = bot
        .get_current_user_applications()
        .send()
        .await
        .expect_err("429");
    assert!(
        matches!(&err, Error::RateLimited { retry_after, .. } if *retry_after == Duration::from_secs(7)),
        "{err:?}"
    );
}
