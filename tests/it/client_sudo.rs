//! Sudo mode on the wire: the verification body, and the reuse of the sudo-mode token the server hands
//! back after an MFA verification (sent on the next sudo calls of the same user only, while valid, and
//! forgotten when the server refuses it).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::wire::{
    self, BOT_SECRET, CLIENT_SECRET, OK_LIST_APPS, OK_RESET_BOT, OK_RESET_SECRET,
    OTHER_SESSION_TOKEN, PASSWORD, SESSION_TOKEN, TOTP, client, header_values, received, serving,
};
use base64::Engine as _;
use fluxer_oauth2::{Credential, Error, FluxerClient, SudoVerification};
use serde_json::{Value, json};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

/// The ids of the user and the application of these tests (not those of the recorded bodies).
const APP_ID: &str = "1574454797703053324";
const USER_ID: &str = "1574454797694664714";
const SUDO_HEADER: &str = "x-fluxer-sudo-mode-jwt";

const SUDO_REQUIRED_TOTP: &str =
    include_str!("../fixtures/error_bodies/sudo_mode_required_totp_403.json");

/// A recorded body filled in by [`wire::fixture`], with this file's application id.
fn fixture(raw: &str) -> String {
    wire::fixture(raw).replace(wire::APP_ID, APP_ID)
}

fn ok(raw: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(raw), "application/json")
}

/// A sudo-mode JWT shaped like the server's (`{"alg":"HS256"}` / `{type, sub, iat, exp}`), expiring
/// `exp_offset` seconds from now (negative: already expired).
fn sudo_jwt(exp_offset: i64) -> String {
    let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let payload = format!(
        r#"{{"type":"sudo","sub":"{USER_ID}","iat":{},"exp":{}}}"#,
        now + exp_offset - 300,
        now + exp_offset
    );
    format!(
        "{}.{}.{}",
        b64(r#"{"alg":"HS256"}"#),
        b64(&payload),
        b64("not-a-real-signature-0123456789")
    )
}

fn user(server: &MockServer) -> FluxerClient {
    client(server, Credential::session(SESSION_TOKEN))
}

fn secret_route() -> String {
    format!("/oauth2/applications/{APP_ID}/client-secret/reset")
}

fn bot_route() -> String {
    format!("/oauth2/applications/{APP_ID}/bot/reset-token")
}

fn body_json(request: &wiremock::Request) -> Value {
    serde_json::from_slice(&request.body).unwrap_or_else(|e| {
        panic!(
            "the body is JSON ({e}): {:?}",
            String::from_utf8_lossy(&request.body)
        )
    })
}

fn sudo_header(request: &wiremock::Request) -> Vec<String> {
    header_values(request, SUDO_HEADER)
}

fn content_type(request: &wiremock::Request) -> String {
    request
        .headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_password_verification_is_sent_as_json() {
    let server = serving("POST", &secret_route(), ok(OK_RESET_SECRET)).await;
    let app = user(&server)
        .reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::password(PASSWORD)))
        .send()
        .await
        .expect("200");
    assert_eq!(
        app.client_secret.as_ref().map(|s| s.expose_secret()),
        Some(CLIENT_SECRET)
    );

    let sent = received(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(body_json(&sent[0]), json!({ "password": PASSWORD }));
    assert!(
        content_type(&sent[0]).starts_with("application/json"),
        "{}",
        content_type(&sent[0])
    );
    assert!(sudo_header(&sent[0]).is_empty(), "no sudo token held yet");
}

#[tokio::test]
async fn a_totp_verification_is_sent_as_json() {
    let server = serving("POST", &secret_route(), ok(OK_RESET_SECRET)).await;
    user(&server)
        .reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp(TOTP)))
        .send()
        .await
        .expect("200");

    let sent = received(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        body_json(&sent[0]),
        json!({ "mfa_method": "totp", "mfa_code": TOTP })
    );
}

#[tokio::test]
async fn a_webauthn_verification_is_sent_as_json() {
    let server = serving("POST", &bot_route(), ok(OK_RESET_BOT)).await;
    let assertion = json!({
        "id": "Y3JlZGVudGlhbC1pZA",
        "type": "public-key",
        "response": { "clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "c2ln" }
    });
    let Value::Object(map) = assertion.clone() else {
        unreachable!()
    };
    let challenge = "Y2hhbGxlbmdlLWZyb20tdGhlLXNlcnZlcg";
    let reset = user(&server)
        .reset_bot_token()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::webauthn(map, challenge)))
        .send()
        .await
        .expect("200");
    assert_eq!(
        reset.token.expose_secret(),
        format!("{APP_ID}.{BOT_SECRET}")
    );

    let sent = received(&server).await;
    assert_eq!(
        body_json(&sent[0]),
        json!({ "mfa_method": "webauthn", "webauthn_response": assertion, "webauthn_challenge": challenge })
    );
}

#[tokio::test]
async fn a_delete_with_a_password_sends_the_body() {
    let server = serving(
        "DELETE",
        &format!("/oauth2/applications/{APP_ID}"),
        ResponseTemplate::new(204),
    )
    .await;
    user(&server)
        .delete_oauth_application()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::password(PASSWORD)))
        .send()
        .await
        .expect("204");
    let sent = received(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(body_json(&sent[0]), json!({ "password": PASSWORD }));
}

/// Mounts a secret reset that answers with the given sudo token, and a bot-token reset.
async fn mount_sudo_token_then_bot_reset(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path(secret_route()))
        .respond_with(ok(OK_RESET_SECRET).insert_header(SUDO_HEADER, token))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(bot_route()))
        .respond_with(ok(OK_RESET_BOT))
        .mount(server)
        .await;
}

#[tokio::test]
async fn the_sudo_token_is_reused_and_the_code_is_not_sent_again() {
    let server = MockServer::start().await;
    let jwt = sudo_jwt(300);
    mount_sudo_token_then_bot_reset(&server, &jwt).await;
    Mock::given(method("GET"))
        .and(path("/users/@me/applications"))
        .respond_with(ok(OK_LIST_APPS))
        .mount(&server)
        .await;
    let user = user(&server);

    user.reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp(TOTP)))
        .send()
        .await
        .expect("TOTP verification");
    user.reset_bot_token()
        .id(APP_ID)
        .sudo(None)
        .send()
        .await
        .expect("passes with the sudo token");
    // A proof given again while the token is held: the token still goes.
    user.reset_bot_token()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp("111111")))
        .send()
        .await
        .expect("token again");
    // Clones share the token (same user).
    user.clone()
        .reset_bot_token()
        .id(APP_ID)
        .sudo(None)
        .send()
        .await
        .expect("a clone uses it too");
    // A call that is not guarded by sudo mode never carries it.
    user.list_user_applications().send().await.expect("list");

    let sent = received(&server).await;
    assert_eq!(sent.len(), 5);
    assert!(sudo_header(&sent[0]).is_empty());
    assert_eq!(
        body_json(&sent[0]),
        json!({ "mfa_method": "totp", "mfa_code": TOTP })
    );
    for (i, request) in sent[1..4].iter().enumerate() {
        assert_eq!(request.url.path(), bot_route());
        assert_eq!(
            sudo_header(request),
            [jwt.as_str()],
            "request {} sends the token once",
            i + 1
        );
        assert!(content_type(request).starts_with("application/json"));
    }
    // Without a proof, the body is empty: nothing is asked of the user again.
    assert_eq!(body_json(&sent[1]), json!({}), "an empty JSON body");
    assert_eq!(body_json(&sent[3]), json!({}), "an empty JSON body");
    // With a proof while the token is valid, the server checks the token first and never looks at
    // the code; whether the client sends the proof along is its choice, but never a different method.
    assert!(
        [
            json!({}),
            json!({ "mfa_method": "totp", "mfa_code": "111111" })
        ]
        .contains(&body_json(&sent[2])),
        "{}",
        body_json(&sent[2])
    );
    assert_eq!(sent[4].url.path(), "/users/@me/applications");
    assert!(
        sudo_header(&sent[4]).is_empty(),
        "not on a call outside sudo mode"
    );
}

#[tokio::test]
async fn an_expired_sudo_token_is_not_sent() {
    let server = MockServer::start().await;
    mount_sudo_token_then_bot_reset(&server, &sudo_jwt(-10)).await;
    let user = user(&server);

    user.reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp(TOTP)))
        .send()
        .await
        .expect("200");
    user.reset_bot_token()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::password(PASSWORD)))
        .send()
        .await
        .expect("200");

    let sent = received(&server).await;
    assert_eq!(sent.len(), 2);
    assert!(
        sudo_header(&sent[1]).is_empty(),
        "an expired token is not sent: {:?}",
        sudo_header(&sent[1])
    );
    assert_eq!(
        body_json(&sent[1]),
        json!({ "password": PASSWORD }),
        "the proof goes instead"
    );
}

#[tokio::test]
async fn a_token_about_to_expire_is_not_sent() {
    let server = MockServer::start().await;
    mount_sudo_token_then_bot_reset(&server, &sudo_jwt(2)).await;
    let user = user(&server);
    user.reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp(TOTP)))
        .send()
        .await
        .expect("200");
    user.reset_bot_token()
        .id(APP_ID)
        .sudo(None)
        .send()
        .await
        .expect("200");
    let sent = received(&server).await;
    assert!(
        sudo_header(&sent[1]).is_empty(),
        "2 s left is too little to rely on"
    );
}

#[tokio::test]
async fn another_users_client_does_not_send_the_token() {
    let server = MockServer::start().await;
    mount_sudo_token_then_bot_reset(&server, &sudo_jwt(300)).await;
    let carol = user(&server);
    carol
        .reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp(TOTP)))
        .send()
        .await
        .expect("200");

    let dave = carol.with_credential(Credential::session(OTHER_SESSION_TOKEN));
    dave.reset_bot_token()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::password(PASSWORD)))
        .send()
        .await
        .expect("200");

    let sent = received(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[1]
            .headers
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap(),
        OTHER_SESSION_TOKEN,
        "the request is Dave's"
    );
    assert!(
        sudo_header(&sent[1]).is_empty(),
        "Carol's sudo token must not go with Dave's credential"
    );
    assert_eq!(body_json(&sent[1]), json!({ "password": PASSWORD }));
}

#[tokio::test]
async fn a_refused_sudo_token_is_forgotten() {
    let server = MockServer::start().await;
    let jwt = sudo_jwt(300);
    Mock::given(method("POST"))
        .and(path(secret_route()))
        .respond_with(ok(OK_RESET_SECRET).insert_header(SUDO_HEADER, jwt.as_str()))
        .mount(&server)
        .await;
    // The server refuses the token once (e.g. revoked), then would accept a fresh proof.
    Mock::given(method("POST"))
        .and(path(bot_route()))
        .respond_with(
            ResponseTemplate::new(403).set_body_raw(SUDO_REQUIRED_TOTP, "application/json"),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(bot_route()))
        .respond_with(ok(OK_RESET_BOT))
        .mount(&server)
        .await;
    let user = user(&server);

    user.reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp(TOTP)))
        .send()
        .await
        .expect("200");
    let err = user
        .reset_bot_token()
        .id(APP_ID)
        .sudo(None)
        .send()
        .await
        .expect_err("403");
    assert!(
        matches!(err, Error::SudoRequired { has_mfa: true, methods, .. } if methods.totp && !methods.webauthn),
        "{err:?}"
    );
    assert!(
        !format!("{err} {err:?}").contains(&jwt),
        "the sudo token is not in the error"
    );
    user.reset_bot_token()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp("222222")))
        .send()
        .await
        .expect("fresh proof");

    let sent = received(&server).await;
    assert_eq!(sent.len(), 3);
    assert_eq!(
        sudo_header(&sent[1]),
        [jwt.as_str()],
        "the held token was tried"
    );
    assert!(
        sudo_header(&sent[2]).is_empty(),
        "after the 403 it is forgotten"
    );
    assert_eq!(
        body_json(&sent[2]),
        json!({ "mfa_method": "totp", "mfa_code": "222222" })
    );
}

#[tokio::test]
async fn no_proof_and_no_token_sends_an_empty_object() {
    let server = serving(
        "POST",
        &bot_route(),
        ResponseTemplate::new(403).set_body_raw(SUDO_REQUIRED_TOTP, "application/json"),
    )
    .await;
    let err = user(&server)
        .reset_bot_token()
        .id(APP_ID)
        .sudo(None)
        .send()
        .await
        .expect_err("403");
    assert!(matches!(err, Error::SudoRequired { .. }), "{err:?}");
    let sent = received(&server).await;
    assert_eq!(body_json(&sent[0]), json!({}));
    assert!(sudo_header(&sent[0]).is_empty());
}
