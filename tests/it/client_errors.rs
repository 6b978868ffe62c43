//! Every kind of failure, from the body shapes the real server sends (see
//! `fixtures/error_bodies/README.md`) and from the network: the `Error` variant and its fields, a
//! message that names the operation and holds no secret, and a client that still works afterwards.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use crate::common::{
    assert_missing_scope,
    raw_server::RawServer,
    wire::{
        ACCESS_TOKEN, APP_ID, BOT_TOKEN, CLIENT_SECRET, CODE, PASSWORD, REDIRECT, SESSION_TOKEN,
        TOTP, client, empty_200, fail_then_succeed, fixture, json, request_count,
    },
};
use fluxer_oauth2::{
    ApiErrorCode, Credential, Error, FieldError, FluxerClient, OAuthErrorKind, RetryPolicy, Secret,
    SudoMethods, SudoVerification, TransportKind,
    oauth::{ClientCredentials, TokenKind, TokenSet},
    types,
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

/// Every secret these tests hand to the client; none may appear in an error.
const SECRETS: &[&str] = &[
    BOT_TOKEN,
    ACCESS_TOKEN,
    SESSION_TOKEN,
    CLIENT_SECRET,
    CODE,
    PASSWORD,
    TOTP,
];

macro_rules! body {
    ($name:literal) => {
        include_str!(concat!("../fixtures/error_bodies/", $name))
    };
}

fn credentials() -> ClientCredentials {
    ClientCredentials::new(APP_ID, CLIENT_SECRET).unwrap()
}

/// A mock whose `route` fails once with `failure`, then answers `success`, and a client aimed at it
/// holding `credential`.
async fn failing_once(
    http_method: &str,
    route: &str,
    failure: ResponseTemplate,
    success: ResponseTemplate,
    credential: Credential,
) -> (MockServer, FluxerClient) {
    let server = MockServer::start().await;
    fail_then_succeed(&server, http_method, route, failure, success).await;
    let client = client(&server, credential);
    (server, client)
}

/// The introspection endpoint failing once with `failure`, then answering that the token is active;
/// a client holding a bot token (which introspection does not send).
async fn introspect_failing_once(failure: ResponseTemplate) -> (MockServer, FluxerClient) {
    failing_once(
        "POST",
        "/oauth2/introspect",
        failure,
        json(200, body!("ok_introspect_active.json")),
        Credential::bot(BOT_TOKEN),
    )
    .await
}

/// The exchange of [`CODE`] with the body credentials.
async fn exchange(client: &FluxerClient) -> Result<TokenSet, Error> {
    client
        .exchange_code_with(&credentials(), &Secret::new(CODE), REDIRECT, None)
        .await
}

/// The introspection of [`ACCESS_TOKEN`] with the body credentials.
async fn introspect(client: &FluxerClient) -> Result<types::OAuth2IntrospectResponse, Error> {
    client
        .introspect(&credentials(), &Secret::new(ACCESS_TOKEN))
        .await
}

/// The revocation of [`ACCESS_TOKEN`] with the body credentials.
async fn revoke(client: &FluxerClient) -> Result<(), Error> {
    client
        .revoke(
            &credentials(),
            &Secret::new(ACCESS_TOKEN),
            TokenKind::AccessToken,
        )
        .await
}

/// The message names the operation; neither it nor `Debug` holds a secret.
fn assert_presentable(err: &Error, op: &str) {
    let display = err.to_string();
    assert!(display.contains(op), "the message names {op}: {display}");
    let debug = format!("{err:?} {err:#?}");
    for secret in SECRETS {
        assert!(!display.contains(secret), "secret in message: {display}");
        assert!(!debug.contains(secret), "secret in Debug: {debug}");
    }
}

// ---------------------------------------------------------------------------------------------------
// Fluxer-shaped bodies `{code, message, errors}`.
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn invalid_form_body_carries_the_field_errors() {
    let route = format!("/oauth2/applications/{APP_ID}/client-secret/reset");
    let (_server, user) = failing_once(
        "POST",
        &route,
        json(400, body!("invalid_form_body_password_400.json")),
        json(200, body!("ok_reset_client_secret.json")),
        Credential::session(SESSION_TOKEN),
    )
    .await;
    let proof = SudoVerification::password(PASSWORD);

    let err = user
        .reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&proof))
        .send()
        .await
        .expect_err("400");
    match &err {
        Error::Api {
            operation,
            status,
            code,
            message,
            errors,
        } => {
            assert_eq!(*operation, "reset_client_secret");
            assert_eq!(*status, 400);
            assert_eq!(*code, ApiErrorCode::InvalidFormBody);
            assert_eq!(message, "Invalid form body.");
            assert_eq!(
                errors,
                &[FieldError {
                    path: "password".to_owned(),
                    code: Some("INVALID_PASSWORD".to_owned()),
                    message: "Invalid email or password.".to_owned(),
                }]
            );
        }
        other => panic!("expected Api, got {other:?}"),
    }
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.api_code(), Some(&ApiErrorCode::InvalidFormBody));
    let text = err.to_string();
    assert!(
        text.contains("INVALID_FORM_BODY")
            && text.contains("password")
            && text.contains("INVALID_PASSWORD")
    );
    assert_presentable(&err, "reset_client_secret");

    let app = user
        .reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&proof))
        .send()
        .await
        .expect("usable afterwards");
    assert_eq!(app.id.as_str(), APP_ID);
}

#[tokio::test]
async fn invalid_mfa_code_names_the_field() {
    let server = MockServer::start().await;
    let route = format!("/oauth2/applications/{APP_ID}/client-secret/reset");
    Mock::given(method("POST"))
        .and(path(&route))
        .respond_with(json(400, body!("invalid_form_body_mfa_code_400.json")))
        .mount(&server)
        .await;
    let user = client(&server, Credential::session(SESSION_TOKEN));
    let err = user
        .reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp(TOTP)))
        .send()
        .await
        .expect_err("400");
    match &err {
        Error::Api {
            code: ApiErrorCode::InvalidFormBody,
            errors,
            ..
        } => {
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].path, "mfa_code");
            assert_eq!(errors[0].code.as_deref(), Some("INVALID_MFA_CODE"));
        }
        other => panic!("expected Api INVALID_FORM_BODY, got {other:?}"),
    }
    assert_presentable(&err, "reset_client_secret");
}

#[tokio::test]
async fn unknown_application_access_denied_and_unauthorized() {
    let server = MockServer::start().await;
    let unknown = "1574449618597445635";
    let foreign = "1574449618601639940";
    Mock::given(method("GET"))
        .and(path(format!("/oauth2/applications/{unknown}")))
        .respond_with(json(404, body!("unknown_application_404.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/oauth2/applications/{foreign}")))
        .respond_with(json(403, body!("access_denied_403.json")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/@me/applications"))
        .respond_with(json(200, body!("ok_list_user_applications.json")))
        .mount(&server)
        .await;
    let user = client(&server, Credential::session(SESSION_TOKEN));

    let err = user
        .get_oauth_application()
        .id(unknown)
        .send()
        .await
        .expect_err("404");
    assert!(
        matches!(
            &err,
            Error::Api { operation: "get_oauth_application", status: 404, code: ApiErrorCode::UnknownApplication, message, errors }
                if message == "Unknown application." && errors.is_empty()
        ),
        "{err:?}"
    );
    assert_presentable(&err, "get_oauth_application");

    let err = user
        .get_oauth_application()
        .id(foreign)
        .send()
        .await
        .expect_err("403");
    assert!(
        matches!(
            &err,
            Error::Api {
                status: 403,
                code: ApiErrorCode::AccessDenied,
                ..
            }
        ),
        "{err:?}"
    );
    assert_presentable(&err, "get_oauth_application");
    assert_eq!(
        user.list_user_applications()
            .send()
            .await
            .expect("usable afterwards")
            .len(),
        1
    );

    // 401 UNAUTHORIZED (the real answer of /oauth2/userinfo to a token it does not accept).
    let (_server, bearer) = failing_once(
        "GET",
        "/oauth2/userinfo",
        json(401, body!("unauthorized_401.json")),
        json(200, body!("ok_userinfo.json")),
        Credential::bearer(ACCESS_TOKEN),
    )
    .await;
    let err = bearer.get_oauth2_userinfo().send().await.expect_err("401");
    assert!(
        matches!(
            &err,
            Error::Api {
                operation: "get_oauth2_userinfo",
                status: 401,
                code: ApiErrorCode::Unauthorized,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(401));
    assert_presentable(&err, "get_oauth2_userinfo");
    bearer
        .get_oauth2_userinfo()
        .send()
        .await
        .expect("usable afterwards");

    // 401 INVALID_TOKEN (the real answer of /applications/@me to a stale bot token).
    let (_server, bot) = failing_once(
        "GET",
        "/applications/@me",
        json(401, body!("invalid_token_401.json")),
        json(200, body!("ok_applications_me_bot.json")),
        Credential::bot(BOT_TOKEN),
    )
    .await;
    let err = bot
        .get_current_user_applications()
        .send()
        .await
        .expect_err("401");
    assert!(
        matches!(
            &err,
            Error::Api {
                status: 401,
                code: ApiErrorCode::InvalidToken,
                ..
            }
        ),
        "{err:?}"
    );
    assert_presentable(&err, "get_current_user_applications");
    bot.get_current_user_applications()
        .send()
        .await
        .expect("usable afterwards");
}

#[tokio::test]
async fn an_unknown_code_is_kept_as_other() {
    let (_server, user) = failing_once(
        "GET",
        "/users/@me/applications",
        ResponseTemplate::new(400).set_body_raw(
            r#"{"code":"SOME_CODE_FROM_THE_FUTURE","message":"Something new."}"#,
            "application/json",
        ),
        json(200, body!("ok_list_user_applications.json")),
        Credential::session(SESSION_TOKEN),
    )
    .await;
    let err = user.list_user_applications().send().await.expect_err("400");
    match &err {
        Error::Api {
            code: ApiErrorCode::Other(code),
            status: 400,
            message,
            ..
        } => {
            assert_eq!(code, "SOME_CODE_FROM_THE_FUTURE");
            assert_eq!(message, "Something new.");
        }
        other => panic!("expected Api Other, got {other:?}"),
    }
    assert!(err.to_string().contains("SOME_CODE_FROM_THE_FUTURE"));
    assert_presentable(&err, "list_user_applications");
    user.list_user_applications()
        .send()
        .await
        .expect("usable afterwards");
}

#[tokio::test]
async fn a_json_500_is_an_api_error() {
    let (_server, anyone) =
        introspect_failing_once(json(500, body!("internal_server_error_500.json"))).await;
    let err = introspect(&anyone).await.expect_err("500");
    assert!(
        matches!(
            &err,
            Error::Api {
                operation: "introspect_oauth2_token",
                status: 500,
                code: ApiErrorCode::InternalServerError,
                ..
            }
        ),
        "{err:?}"
    );
    assert_presentable(&err, "introspect_oauth2_token");
    assert!(introspect(&anyone).await.expect("usable afterwards").active);
}

// ---------------------------------------------------------------------------------------------------
// RFC 6749 bodies `{error, error_description}`, always 400.
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn oauth_errors_of_the_token_endpoint() {
    for (raw, kind, description) in [
        (
            body!("oauth_invalid_grant_400.json"),
            OAuthErrorKind::InvalidGrant,
            "The provided authorization grant is invalid, expired, or revoked",
        ),
        (
            body!("oauth_invalid_client_400.json"),
            OAuthErrorKind::InvalidClient,
            "Invalid client_secret",
        ),
    ] {
        let (_server, anyone) = failing_once(
            "POST",
            "/oauth2/token",
            json(400, raw),
            json(200, body!("ok_token.json")),
            Credential::session(SESSION_TOKEN),
        )
        .await;
        let err = exchange(&anyone).await.expect_err("400");
        match &err {
            Error::OAuth {
                operation,
                status,
                kind: k,
                description: d,
            } => {
                assert_eq!(*operation, "exchange_oauth2_token");
                assert_eq!(*status, 400);
                assert_eq!(*k, kind);
                assert_eq!(d.as_deref(), Some(description));
            }
            other => panic!("expected OAuth {kind:?}, got {other:?}"),
        }
        assert_eq!(err.oauth_kind(), Some(&kind));
        assert_eq!(err.status(), Some(400));
        let text = err.to_string();
        assert!(
            text.contains(kind.as_str()) && text.contains(description),
            "{text}"
        );
        assert_presentable(&err, "exchange_oauth2_token");
        exchange(&anyone).await.expect("usable afterwards");
    }
}

#[tokio::test]
async fn oauth_invalid_request_of_introspect() {
    let (_server, anyone) =
        introspect_failing_once(json(400, body!("oauth_invalid_request_400.json"))).await;
    let err = introspect(&anyone).await.expect_err("400");
    assert!(
        matches!(
            &err,
            Error::OAuth { operation: "introspect_oauth2_token", status: 400, kind: OAuthErrorKind::InvalidRequest, description: Some(d) }
                if d == "INVALID_REQUEST"
        ),
        "{err:?}"
    );
    assert_presentable(&err, "introspect_oauth2_token");
    introspect(&anyone).await.expect("usable afterwards");
}

fn consent() -> types::builder::AuthorizeConsentRequest {
    types::AuthorizeConsentRequest::builder()
        .client_id(APP_ID)
        .scope("identify email")
        .redirect_uri(Some(
            "https://client.example.com/callback".try_into().unwrap(),
        ))
}

#[tokio::test]
async fn oauth_errors_of_the_consent_endpoint() {
    for (raw, kind) in [
        (
            body!("oauth_invalid_scope_400.json"),
            OAuthErrorKind::InvalidScope,
        ),
        (
            body!("oauth_invalid_request_redirect_400.json"),
            OAuthErrorKind::InvalidRequest,
        ),
    ] {
        let (_server, user) = failing_once(
            "POST",
            "/oauth2/authorize/consent",
            json(400, raw),
            json(
                200,
                &body!("ok_consent.json").replace("<redacted-43>", CODE),
            ),
            Credential::session(SESSION_TOKEN),
        )
        .await;
        let err = user
            .provide_oauth2_consent()
            .body(consent())
            .send()
            .await
            .expect_err("400");
        assert!(
            matches!(&err, Error::OAuth { operation: "provide_oauth2_consent", status: 400, kind: k, .. } if *k == kind),
            "{err:?}"
        );
        assert_presentable(&err, "provide_oauth2_consent");
        let ok = user
            .provide_oauth2_consent()
            .body(consent())
            .send()
            .await
            .expect("usable afterwards");
        assert!(ok.redirect_to.expose_secret().contains(CODE));
    }
}

// ---------------------------------------------------------------------------------------------------
// Codes with a dedicated variant.
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn missing_oauth_scope_names_the_scope() {
    let (_server, bearer) = failing_once(
        "GET",
        "/oauth2/userinfo",
        json(403, body!("missing_oauth_scope_403.json")),
        json(200, body!("ok_userinfo.json")),
        Credential::bearer(ACCESS_TOKEN),
    )
    .await;
    let err = bearer.get_oauth2_userinfo().send().await.expect_err("403");
    assert_missing_scope(&err, "get_oauth2_userinfo", "identify");
    assert!(err.to_string().contains("identify"));
    assert_presentable(&err, "get_oauth2_userinfo");
    bearer
        .get_oauth2_userinfo()
        .send()
        .await
        .expect("usable afterwards");
}

#[tokio::test]
async fn sudo_mode_required_says_which_methods() {
    for (raw, has_mfa, methods, advice) in [
        (
            body!("sudo_mode_required_no_mfa_403.json"),
            false,
            SudoMethods {
                totp: false,
                webauthn: false,
            },
            "SudoVerification::password",
        ),
        (
            body!("sudo_mode_required_totp_403.json"),
            true,
            SudoMethods {
                totp: true,
                webauthn: false,
            },
            "SudoVerification::totp",
        ),
    ] {
        let route = format!("/oauth2/applications/{APP_ID}/bot/reset-token");
        let (_server, user) = failing_once(
            "POST",
            &route,
            json(403, raw),
            json(200, body!("ok_reset_bot_token.json")),
            Credential::session(SESSION_TOKEN),
        )
        .await;
        let err = user
            .reset_bot_token()
            .id(APP_ID)
            .sudo(None)
            .send()
            .await
            .expect_err("403");
        match &err {
            Error::SudoRequired {
                operation,
                has_mfa: h,
                methods: m,
            } => {
                assert_eq!(*operation, "reset_bot_token");
                assert_eq!(*h, has_mfa);
                assert_eq!(*m, methods);
            }
            other => panic!("expected SudoRequired, got {other:?}"),
        }
        assert_eq!(err.status(), Some(403));
        assert!(err.to_string().contains(advice), "{err}");
        assert_presentable(&err, "reset_bot_token");
        let proof = if has_mfa {
            SudoVerification::totp(TOTP)
        } else {
            SudoVerification::password(PASSWORD)
        };
        let reset = user
            .reset_bot_token()
            .id(APP_ID)
            .sudo(Some(&proof))
            .send()
            .await
            .expect("usable afterwards");
        assert_eq!(reset.token.expose_secret(), BOT_TOKEN);
    }
}

// ---------------------------------------------------------------------------------------------------
// Bodies that are not error JSON.
// ---------------------------------------------------------------------------------------------------

const BAD_GATEWAY_HTML: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

#[tokio::test]
async fn an_html_502_is_a_server_error_with_a_snippet() {
    let route = format!("/oauth2/applications/{APP_ID}/public");
    let (_server, anyone) = failing_once(
        "GET",
        &route,
        ResponseTemplate::new(502).set_body_raw(BAD_GATEWAY_HTML, "text/html"),
        json(200, body!("ok_public_application.json")),
        Credential::bot(BOT_TOKEN),
    )
    .await;
    let err = anyone
        .get_public_application()
        .id(APP_ID)
        .send()
        .await
        .expect_err("502");
    match &err {
        Error::Server {
            operation,
            status,
            snippet,
        } => {
            assert_eq!(*operation, "get_public_application");
            assert_eq!(*status, 502);
            assert!(snippet.contains("502 Bad Gateway"), "{snippet}");
            assert!(snippet.len() < 400, "a snippet, not the whole body");
        }
        other => panic!("expected Server, got {other:?}"),
    }
    assert_eq!(err.status(), Some(502));
    assert_presentable(&err, "get_public_application");
    anyone
        .get_public_application()
        .id(APP_ID)
        .send()
        .await
        .expect("usable afterwards");
}

#[tokio::test]
async fn a_200_that_is_not_json_is_a_decode_error() {
    let (_server, user) = failing_once(
        "GET",
        "/users/@me/applications",
        ResponseTemplate::new(200).set_body_raw("<html>maintenance</html>", "text/html"),
        json(200, body!("ok_list_user_applications.json")),
        Credential::session(SESSION_TOKEN),
    )
    .await;
    let err = user
        .list_user_applications()
        .send()
        .await
        .expect_err("not JSON");
    match &err {
        Error::Decode {
            operation,
            status,
            message,
            snippet,
        } => {
            assert_eq!(*operation, "list_user_applications");
            assert_eq!(*status, 200);
            assert!(!message.is_empty());
            assert_eq!(snippet, "<html>maintenance</html>");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    assert_eq!(err.status(), Some(200));
    assert_presentable(&err, "list_user_applications");
    user.list_user_applications()
        .send()
        .await
        .expect("usable afterwards");
}

#[tokio::test]
async fn a_token_in_an_undecodable_body_is_masked() {
    let server = MockServer::start().await;
    let leaked = "TGVha2VkVG9rZW5UaGF0TXVzdE5vdEFwcGVhcjAxMjM"; // 43 characters, like a real token
    assert_eq!(leaked.len(), 43);
    // Truncated JSON: it does not decode, and it holds a token.
    let broken = format!(r#"{{"access_token":"{leaked}","token_type":"Bearer","expires_in":6048"#);
    fail_then_succeed(
        &server,
        "POST",
        "/oauth2/token",
        ResponseTemplate::new(200).set_body_raw(broken, "application/json"),
        json(200, body!("ok_token.json")),
    )
    .await;
    let anyone = client(&server, Credential::session(SESSION_TOKEN));
    let err = exchange(&anyone).await.expect_err("broken JSON");
    match &err {
        Error::Decode {
            status: 200,
            snippet,
            ..
        } => {
            assert!(!snippet.contains(leaked), "{snippet}");
            assert!(
                snippet.contains("access_token"),
                "the rest is kept: {snippet}"
            );
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    let everything = format!("{err} {err:?} {err:#?}");
    assert!(
        !everything.contains(leaked) && !everything.contains(&leaked[..20]),
        "{everything}"
    );
    assert_presentable(&err, "exchange_oauth2_token");
    exchange(&anyone).await.expect("usable afterwards");
}

#[tokio::test]
async fn a_token_cut_by_the_snippet_limit_is_still_masked() {
    let server = MockServer::start().await;
    let leaked = "TGVha2VkVG9rZW5UaGF0TXVzdE5vdEFwcGVhcjAxMjM";
    // Pad so that the token starts at byte 188: the 200-byte cut keeps its first 12 characters.
    let prefix = format!(r#"{{"padding":"{}a","refresh_token":""#, "a ".repeat(78));
    let broken = format!("{prefix}{leaked}\",");
    assert_eq!(prefix.len(), 188);
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(broken, "application/json"))
        .mount(&server)
        .await;
    let anyone = client(&server, Credential::session(SESSION_TOKEN));
    let err = exchange(&anyone).await.expect_err("broken JSON");
    let everything = format!("{err} {err:?}");
    assert!(
        !everything.contains(&leaked[..12]),
        "a token prefix leaks: {everything}"
    );
}

// ---------------------------------------------------------------------------------------------------
// Size cap.
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_response_over_the_cap_is_not_read() {
    let server = MockServer::start().await;
    let huge = format!(r#"[{{"padding":"{}"}}]"#, "x".repeat(10 * 1024));
    let small = r#"[]"#;
    fail_then_succeed(
        &server,
        "GET",
        "/users/@me/applications",
        ResponseTemplate::new(200).set_body_raw(huge, "application/json"),
        ResponseTemplate::new(200).set_body_raw(small, "application/json"),
    )
    .await;
    assert_cap_holds(&server.uri()).await;
}

/// With a 1 KiB cap, the first `list_user_applications` answer (over the cap) is refused as
/// `ResponseTooLarge` with a presentable message, and the client still works for the next one.
async fn assert_cap_holds(base_url: &str) {
    let user = FluxerClient::builder()
        .base_url(base_url)
        .credential(Credential::session(SESSION_TOKEN))
        .max_response_bytes(1024)
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::NONE)
        .build()
        .unwrap();
    let err = user
        .list_user_applications()
        .send()
        .await
        .expect_err("too large");
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                operation: "list_user_applications",
                limit: 1024
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("1024"));
    assert_presentable(&err, "list_user_applications");
    assert!(
        user.list_user_applications()
            .send()
            .await
            .expect("usable afterwards")
            .is_empty()
    );
}

/// The real server answers chunked, without `Content-Length`: the cap must hold while reading.
#[tokio::test]
async fn a_chunked_response_over_the_cap_is_not_read() {
    let chunk = "x".repeat(2000);
    let mut chunked = String::from(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
    );
    chunked.push_str(&format!("{:x}\r\n[{{\"p\":\"\r\n", 7));
    for _ in 0..5 {
        chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    chunked.push_str("3\r\n\"}]\r\n0\r\n\r\n");
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    let server = RawServer::keep_alive(0, move |_| {
        let n = counter.fetch_add(1, Ordering::SeqCst);
        if n == 0 {
            chunked.clone().into_bytes()
        } else {
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n"
                .to_vec()
        }
    })
    .await;
    assert_cap_holds(&server.root_url()).await;
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------------------------------------------
// Transport failures.
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let anyone = FluxerClient::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .credential(Credential::bot(BOT_TOKEN))
        .retry_policy(RetryPolicy::NONE)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = anyone
        .get_public_application()
        .id(APP_ID)
        .send()
        .await
        .expect_err("nothing listens");
    assert!(started.elapsed() < Duration::from_secs(3));
    match &err {
        Error::Transport {
            operation, kind, ..
        } => {
            assert_eq!(*operation, "get_public_application");
            assert_eq!(*kind, TransportKind::Connect);
        }
        other => panic!("expected Transport Connect, got {other:?}"),
    }
    assert_eq!(err.status(), None);
    assert_presentable(&err, "get_public_application");

    // Something listens there now: the same client works.
    let body = fixture(body!("ok_public_application.json"));
    let _server = RawServer::keep_alive(port, move |_| {
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    })
    .await;
    let app = anyone
        .get_public_application()
        .id(APP_ID)
        .send()
        .await
        .expect("usable afterwards");
    assert_eq!(app.id.as_str(), APP_ID);
}

#[tokio::test]
async fn a_refused_connection_is_retried_within_the_policy() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let anyone = FluxerClient::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy {
            max_retries: 1,
            max_total_wait: Duration::from_secs(2),
        })
        .build()
        .unwrap();
    let started = Instant::now();
    let err = anyone
        .get_public_application()
        .id(APP_ID)
        .send()
        .await
        .expect_err("nothing listens");
    assert!(
        matches!(
            err,
            Error::Transport {
                kind: TransportKind::Connect,
                ..
            }
        ),
        "{err:?}"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(150) && elapsed < Duration::from_secs(2),
        "one retry after a short pause: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_slow_server_is_a_timeout() {
    let server = MockServer::start().await;
    let route = format!("/oauth2/applications/{APP_ID}/public");
    fail_then_succeed(
        &server,
        "GET",
        &route,
        json(200, body!("ok_public_application.json")).set_delay(Duration::from_secs(2)),
        json(200, body!("ok_public_application.json")),
    )
    .await;
    let anyone = FluxerClient::builder()
        .base_url(server.uri())
        .credential(Credential::bot(BOT_TOKEN))
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::NONE)
        .build()
        .unwrap();
    let started = Instant::now();
    let err = anyone
        .get_public_application()
        .id(APP_ID)
        .send()
        .await
        .expect_err("too slow");
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(1500),
        "the timeout fired: {elapsed:?}"
    );
    match &err {
        Error::Transport {
            operation, kind, ..
        } => {
            assert_eq!(*operation, "get_public_application");
            assert_eq!(*kind, TransportKind::Timeout);
        }
        other => panic!("expected Transport Timeout, got {other:?}"),
    }
    assert_presentable(&err, "get_public_application");
    anyone
        .get_public_application()
        .id(APP_ID)
        .send()
        .await
        .expect("usable afterwards");
    assert_eq!(
        request_count(&server).await,
        2,
        "a timed-out call is not retried"
    );
}

/// Revoke and introspect failures carry their own operation ids, and no token.
#[tokio::test]
async fn revoke_errors_name_revoke() {
    let (_server, anyone) = failing_once(
        "POST",
        "/oauth2/token/revoke",
        json(400, body!("oauth_invalid_client_400.json")),
        empty_200(),
        Credential::bot(BOT_TOKEN),
    )
    .await;
    let err = revoke(&anyone).await.expect_err("400");
    assert!(
        matches!(
            &err,
            Error::OAuth {
                operation: "revoke_oauth2_token",
                kind: OAuthErrorKind::InvalidClient,
                ..
            }
        ),
        "{err:?}"
    );
    assert_presentable(&err, "revoke_oauth2_token");
    revoke(&anyone).await.expect("usable afterwards");
}
