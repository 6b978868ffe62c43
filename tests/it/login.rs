//! Logging in from code against the emulator: password and TOTP logins, every typed login error,
//! session listing, logout (twice, and the client's refusal afterwards), ending another session with
//! and without a sudo proof, the session file, and what the login types print.

use std::time::Duration;

use fluxer_oauth2::{
    Credential, CredentialKind, Error, FluxerClient, RetryPolicy, SudoVerification, UserId,
    login::{Login, MfaChallenge, Session, SessionFile, TotpSecret, short_id_hash},
    types,
};
use fluxer_oauth2_emulator::{Emulator, NewUser, SeededUser};

const PASSWORD: &str = "a-strong-password";

fn client(emu: &Emulator) -> FluxerClient {
    FluxerClient::builder()
        .base_url(emu.base_url())
        .timeout(Duration::from_secs(10))
        .retry_policy(RetryPolicy::NONE)
        .build()
        .expect("the emulator's base URL is accepted")
}

fn password_user(emu: &Emulator, name: &str) -> SeededUser {
    emu.add_user(NewUser {
        username: name.to_owned(),
        password: Some(PASSWORD.to_owned()),
        totp: false,
    })
}

fn totp_user(emu: &Emulator, name: &str) -> SeededUser {
    emu.add_user(NewUser {
        username: name.to_owned(),
        password: Some(PASSWORD.to_owned()),
        totp: true,
    })
}

async fn challenge(client: &FluxerClient, emu: &Emulator, user: &SeededUser) -> MfaChallenge {
    match client.login(&emu.email_of(user), PASSWORD).await.unwrap() {
        Login::Mfa(challenge) => challenge,
        Login::Session(_) => panic!("a TOTP user gets a challenge"),
    }
}

#[tokio::test]
async fn a_password_user_gets_a_session_that_works() {
    let emu = Emulator::start().await;
    let nina = password_user(&emu, "nina");
    let client = client(&emu);
    let Login::Session(session) = client.login(&emu.email_of(&nina), PASSWORD).await.unwrap()
    else {
        panic!("a user without MFA gets a session");
    };
    assert_eq!(session.user_id.as_str(), nina.id);
    assert!(emu.session_is_valid(session.token.expose_secret()));
    let me = client.with_credential(session.credential());
    assert_eq!(me.credential_kind(), Some(CredentialKind::Session));
    let sessions = me.list_auth_sessions().send().await.unwrap();
    assert!(!sessions.is_empty());
    let hash = emu.session_id_hash(session.token.expose_secret());
    assert!(sessions.iter().any(|s| s.id_hash == hash));
    assert_eq!(hash.len(), 43);
    // The server marks no entry as the current one; the crate says so and does not infer it.
    assert!(sessions.iter().all(|s| s.current != Some(true)));
    // The email is compared without case.
    let upper = emu.email_of(&nina).to_uppercase();
    assert!(matches!(
        client.login(&upper, PASSWORD).await.unwrap(),
        Login::Session(_)
    ));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_totp_user_completes_the_challenge_with_a_code_or_the_secret() {
    let emu = Emulator::start().await;
    let mona = totp_user(&emu, "mona");
    let client = client(&emu);
    let challenge = challenge(&client, &emu, &mona).await;
    assert!(challenge.totp());
    assert!(!challenge.webauthn());
    assert_eq!(challenge.allowed_methods(), ["totp"]);
    let session = challenge
        .complete_totp(&client, emu.totp_now(&mona))
        .await
        .unwrap();
    assert_eq!(session.user_id.as_str(), mona.id);
    assert!(emu.session_is_valid(session.token.expose_secret()));

    // The same from the secret, on the emulator's clock.
    let secret = TotpSecret::new(mona.totp_secret.clone().unwrap()).unwrap();
    let now = emu.clock().now_unix();
    assert_eq!(secret.code_at(now), emu.totp_now(&mona));
    emu.set_allow_totp_reuse(true);
    let challenge = self::challenge(&client, &emu, &mona).await;
    let session = challenge
        .complete_totp(&client, secret.code_at(now))
        .await
        .unwrap();
    assert!(emu.session_is_valid(session.token.expose_secret()));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_are_one_error() {
    let emu = Emulator::start().await;
    let nina = password_user(&emu, "nina");
    let client = client(&emu);
    let wrong = client
        .login(&emu.email_of(&nina), "wrong-password")
        .await
        .unwrap_err();
    let unknown = client
        .login("nobody@example.com", PASSWORD)
        .await
        .unwrap_err();
    for err in [&wrong, &unknown] {
        assert!(matches!(err, Error::InvalidLogin { .. }), "{err:?}");
        assert!(err.to_string().contains("does not say which"));
        assert!(!err.to_string().contains("wrong-password"));
    }
    assert_eq!(wrong.to_string(), unknown.to_string());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_wrong_code_then_an_expired_ticket() {
    let emu = Emulator::start().await;
    let mona = totp_user(&emu, "mona");
    let client = client(&emu);
    let challenge = challenge(&client, &emu, &mona).await;
    let err = challenge
        .complete_totp(&client, "000000")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidMfaCode { .. }), "{err:?}");
    // A wrong code leaves the ticket usable.
    challenge
        .complete_totp(&client, emu.totp_now(&mona))
        .await
        .unwrap();
    // A spent ticket is expired.
    let err = challenge
        .complete_totp(&client, emu.totp_now(&mona))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MfaTicketExpired { .. }), "{err:?}");
    assert!(err.to_string().contains("log in again"));

    // So is one past its lifetime on the emulator's clock.
    let late = self::challenge(&client, &emu, &mona).await;
    emu.clock().advance(Duration::from_secs(3600));
    let err = late
        .complete_totp(&client, emu.totp_now(&mona))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MfaTicketExpired { .. }), "{err:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn webauthn_is_refused_before_sending_when_the_account_has_none() {
    let emu = Emulator::start().await;
    let mona = totp_user(&emu, "mona");
    let client = client(&emu);
    let challenge = challenge(&client, &emu, &mona).await;
    emu.clear_requests();
    let err = challenge.webauthn_options(&client).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::MfaMethodUnavailable {
                method: "webauthn",
                ..
            }
        ),
        "{err:?}"
    );
    let err = challenge
        .complete_webauthn(&client, serde_json::Map::new(), "challenge")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::MfaMethodUnavailable { .. }), "{err:?}");
    assert!(emu.requests().is_empty(), "nothing was sent");
    emu.shutdown().await;
}

#[tokio::test]
async fn logout_ends_the_session_and_the_client_refuses_it_afterwards() {
    let emu = Emulator::start().await;
    let nina = password_user(&emu, "nina");
    let client = client(&emu);
    let Login::Session(session) = client.login(&emu.email_of(&nina), PASSWORD).await.unwrap()
    else {
        panic!("a session");
    };
    let me = client.with_credential(session.credential());
    me.logout().send().await.unwrap();
    assert!(!emu.session_is_valid(session.token.expose_secret()));

    // This client (and its clones) refuses to send the ended session, and says why.
    emu.clear_requests();
    for err in [
        me.logout().send().await.unwrap_err(),
        me.clone().list_auth_sessions().send().await.unwrap_err(),
    ] {
        assert!(matches!(err, Error::SessionEnded { .. }), "{err:?}");
        assert!(err.to_string().contains("log in again"));
    }
    assert!(emu.requests().is_empty(), "nothing was sent");

    // A fresh client with the same token reaches the server, which answers 401, and 204 to a second
    // logout.
    let again = client.with_credential(session.credential());
    let err = again.list_auth_sessions().send().await.unwrap_err();
    assert_eq!(err.status(), Some(401), "{err:?}");
    again.logout().send().await.unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn ending_another_session_needs_sudo_mode() {
    let emu = Emulator::start().await;
    let nina = password_user(&emu, "nina");
    let client = client(&emu);
    let login = || async {
        match client.login(&emu.email_of(&nina), PASSWORD).await.unwrap() {
            Login::Session(s) => s,
            Login::Mfa(_) => panic!("a session"),
        }
    };
    let (mine, other) = (login().await, login().await);
    let me = client.with_credential(mine.credential());
    let other_hash = emu.session_id_hash(other.token.expose_secret());
    let body = || types::SessionsLogoutRequest {
        session_id_hashes: vec![other_hash.clone()],
        ..serde_json::from_str("{\"session_id_hashes\":[]}").unwrap()
    };

    let err = me
        .logout_auth_sessions()
        .body(body())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::SudoRequired { has_mfa: false, .. }),
        "{err:?}"
    );
    assert!(emu.session_is_valid(other.token.expose_secret()));

    me.logout_auth_sessions()
        .body(body())
        .sudo(&SudoVerification::password(PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(!emu.session_is_valid(other.token.expose_secret()));
    assert!(emu.session_is_valid(mine.token.expose_secret()));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_totp_user_ends_a_session_with_the_secret_and_reuses_the_sudo_token() {
    let emu = Emulator::start().await;
    let mona = totp_user(&emu, "mona");
    let client = client(&emu);
    let secret = TotpSecret::new(mona.totp_secret.clone().unwrap()).unwrap();
    let me = client.with_credential(Credential::session(mona.session_token.as_str()));
    let first = emu.create_session(&mona);
    let second = emu.create_session(&mona);
    let end = |token: &str| types::SessionsLogoutRequest {
        session_id_hashes: vec![emu.session_id_hash(token)],
        ..serde_json::from_str("{\"session_id_hashes\":[]}").unwrap()
    };
    let code = secret.code_at(emu.clock().now_unix());
    me.logout_auth_sessions()
        .body(end(&first))
        .sudo(&SudoVerification::totp(code))
        .send()
        .await
        .unwrap();
    assert!(!emu.session_is_valid(&first));
    // The sudo-mode token the server handed back covers the next call: no proof needed.
    me.logout_auth_sessions()
        .body(end(&second))
        .send()
        .await
        .unwrap();
    assert!(!emu.session_is_valid(&second));
    emu.shutdown().await;
}

#[tokio::test]
async fn an_oauth2_token_is_refused_on_session_routes_before_sending() {
    let emu = Emulator::start().await;
    let bearer = client(&emu).with_credential(Credential::bearer("an-access-token"));
    emu.clear_requests();
    for err in [
        bearer.list_auth_sessions().send().await.unwrap_err(),
        bearer.logout().send().await.unwrap_err(),
    ] {
        assert!(
            matches!(
                err,
                Error::CredentialNotAccepted {
                    given: Some(CredentialKind::Bearer),
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert!(emu.requests().is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn the_login_call_sends_no_credential_whatever_the_client_holds() {
    let emu = Emulator::start().await;
    let nina = password_user(&emu, "nina");
    let bot = client(&emu).with_credential(Credential::bot("1.secret-bot-token"));
    emu.clear_requests();
    assert!(matches!(
        bot.login(&emu.email_of(&nina), PASSWORD).await.unwrap(),
        Login::Session(_)
    ));
    let requests = emu.requests();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].header("authorization").is_none(),
        "{:?}",
        requests[0].path
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_captcha_requirement_says_how_to_pass_one() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers};
    let server = MockServer::start().await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/auth/login"))
        .and(matchers::header_exists("x-captcha-token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"token":"flx_abc","user_id":"1574454797686276104"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(matchers::method("POST"))
        .and(matchers::path("/auth/login"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            r#"{"code":"CAPTCHA_REQUIRED","message":"Captcha is required."}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = FluxerClient::builder()
        .base_url(server.uri())
        .retry_policy(RetryPolicy::NONE)
        .build()
        .unwrap();
    let err = client.login("a@example.com", PASSWORD).await.unwrap_err();
    assert!(
        matches!(err, Error::CaptchaRequired { provider: None, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("login_with_captcha"));
    let login = client
        .login_with_captcha(
            "a@example.com",
            PASSWORD,
            Some(("solved", Some(types::CaptchaType::Hcaptcha))),
        )
        .await
        .unwrap();
    assert!(matches!(login, Login::Session(_)));
}

#[tokio::test]
async fn a_login_answer_that_is_neither_shape_is_a_decode_error() {
    use wiremock::{Mock, MockServer, ResponseTemplate, matchers};
    let server = MockServer::start().await;
    for (body, why) in [
        (r#"{"mfa":true}"#, "without a ticket"),
        (r#"{"user_id":"1"}"#, "neither a session"),
    ] {
        server.reset().await;
        Mock::given(matchers::method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        let client = FluxerClient::builder()
            .base_url(server.uri())
            .build()
            .unwrap();
        let err = client.login("a@example.com", PASSWORD).await.unwrap_err();
        assert!(matches!(err, Error::Decode { .. }), "{err:?}");
        assert!(err.to_string().contains(why), "{err}");
    }
}

#[test]
fn login_types_never_print_their_secrets() {
    let id = UserId::parse("1574454797686276104").unwrap();
    let session = Session::new("flx_session-token-secret", id);
    assert!(!format!("{session:?}").contains("session-token-secret"));
    let secret = TotpSecret::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    assert!(!format!("{secret:?}").contains("GEZD"));
    assert!(
        !format!("{:?}", secret.code_now())
            .chars()
            .any(|c| c.is_ascii_digit())
    );
    assert_eq!(short_id_hash(&"x".repeat(43)), "xxxxxxxx…");
    assert_eq!(short_id_hash("short"), "short");
}

#[test]
fn the_session_file_keeps_a_session_for_its_owner_only() {
    let dir = std::env::temp_dir().join(format!("fluxer-session-{}", std::process::id()));
    let file = SessionFile::new(dir.join("nested").join("session"));
    assert_eq!(file.load().unwrap(), None);
    let session = Session::new(
        "flx_kept-token",
        UserId::parse("1574454797686276104").unwrap(),
    );
    file.save(&session).unwrap();
    assert_eq!(file.load().unwrap(), Some(session));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(dir.join("nested").join("session"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::write(dir.join("nested").join("session"), "garbage").unwrap();
    let err = file.load().unwrap_err();
    assert!(!err.to_string().contains("garbage"));
    file.remove().unwrap();
    file.remove().unwrap();
    assert_eq!(file.load().unwrap(), None);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_captcha_requirement_names_the_provider_the_instance_document_gives() {
    use std::net::Ipv4Addr;

    use fluxer_oauth2::discovery::Discovery;

    use crate::common::raw_server::{RawServer, Reply};

    let recorded: serde_json::Value = serde_json::from_str(include_str!(
        "../fixtures/scopes_bots_discovery/well_known_200.json"
    ))
    .unwrap();
    let server = RawServer::answering(Ipv4Addr::LOCALHOST, move |_, request| {
        let host = String::from_utf8_lossy(request.header("host").unwrap_or_default()).into_owned();
        let target = request.target().to_owned();
        if target.ends_with("/.well-known/fluxer") {
            let mut document = recorded.clone();
            let origin = format!("http://{host}");
            for endpoint in ["api", "api_client", "api_public"] {
                document["endpoints"][endpoint] = serde_json::json!(format!("{origin}/v1"));
            }
            document["endpoints"]["webapp"] = serde_json::json!(origin);
            document["captcha"]["provider"] = serde_json::json!("hcaptcha");
            Reply::new(200, "application/json", document.to_string())
        } else {
            Reply::new(
                400,
                "application/json",
                r#"{"code":"CAPTCHA_REQUIRED","message":"Captcha is required."}"#,
            )
        }
    })
    .await;
    let client = FluxerClient::discover(Discovery::new(server.root_url()))
        .await
        .unwrap();
    let err = client.login("a@example.com", PASSWORD).await.unwrap_err();
    assert!(
        matches!(&err, Error::CaptchaRequired { provider: Some(p), .. } if p == "hcaptcha"),
        "{err:?}"
    );
    assert!(err.to_string().contains("with hcaptcha"), "{err}");
}
