//! Sudo mode against the emulator, through the crate's public API: client-secret rotation, bot-token
//! reset and deletion for a password user and for a TOTP user, reuse of the server's sudo-mode token,
//! its expiry, and the two helper calls (MFA methods, WebAuthn options).

use std::time::Duration;

use crate::common::{
    assert_api, assert_not_accepted, bounded,
    emulator::{
        REDIRECT_URI, UNKNOWN_ID, anonymous, create_app, json_body, last_request, requests_to,
        session, tokens,
    },
};
use fluxer_oauth2::{
    ApiErrorCode, Credential, Error, FluxerClient, OAuthErrorKind, SudoMethods, SudoVerification,
    oauth::{ClientCredentials, Scope},
};
use fluxer_oauth2_emulator::{Emulator, NewUser, SeededUser, totp_code};

const SUDO_HEADER: &str = "x-fluxer-sudo-mode-jwt";
const PASSWORD: &str = "a-strong-password";

fn assert_field_error(err: &Error, path: &str, code: &str) {
    assert_api(err, 400, ApiErrorCode::InvalidFormBody);
    let Error::Api { errors, .. } = err else {
        unreachable!()
    };
    assert!(
        errors
            .iter()
            .any(|e| e.path == path && e.code.as_deref() == Some(code)),
        "expected a field error {path} {code}: {errors:?}"
    );
}

fn assert_sudo_required(err: &Error, has_mfa: bool, methods: SudoMethods) {
    match err {
        Error::SudoRequired {
            has_mfa: h,
            methods: m,
            ..
        } => {
            assert_eq!(*h, has_mfa, "{err}");
            assert_eq!(*m, methods, "{err}");
        }
        other => panic!("expected Error::SudoRequired, got {other:?}"),
    }
    assert_eq!(err.status(), Some(403));
}

const NO_METHODS: SudoMethods = SudoMethods {
    totp: false,
    webauthn: false,
};
const TOTP_ONLY: SudoMethods = SudoMethods {
    totp: true,
    webauthn: false,
};

/// A six-digit code the emulator refuses now: none of the codes of the steps around its clock.
fn wrong_code(emu: &Emulator, user: &SeededUser) -> String {
    let secret = user.totp_secret.as_deref().expect("a TOTP user");
    let now = emu.clock().now_unix();
    let valid: Vec<String> = [now - 30, now, now + 30]
        .iter()
        .map(|t| totp_code(secret, *t))
        .collect();
    ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|c| !valid.iter().any(|v| v == c))
        .expect("one of four codes is wrong")
        .to_owned()
}

/// Whether the client's requests to `path` carried the sudo-mode token header.
fn sudo_headers(emu: &Emulator, method: &str, path: &str) -> Vec<Option<String>> {
    requests_to(emu, method, path)
        .iter()
        .map(|r| r.header(SUDO_HEADER).map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_password_user_rotates_the_client_secret_with_the_password() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let anon = anonymous(&emu);
        let app = create_app(&alice, "Password app", &[REDIRECT_URI]).await;
        let issued = tokens(&alice, &app, &[Scope::Identify]).await;
        let path = format!("/oauth2/applications/{}/client-secret/reset", app.id);

        let err = alice
            .reset_client_secret()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap_err();
        assert_sudo_required(&err, false, NO_METHODS);
        assert!(
            err.to_string().contains("SudoVerification::password"),
            "{err}"
        );

        // A password the server could never accept is refused before sending.
        let err = alice
            .reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::password("short")))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert_eq!(emu.count_requests("POST", &path), 1);

        let err = alice
            .reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::password("not-the-password")))
            .send()
            .await
            .unwrap_err();
        assert_field_error(&err, "password", "INVALID_PASSWORD");

        let rotated = alice
            .reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::password(PASSWORD)))
            .send()
            .await
            .unwrap()
            .into_inner();
        let new_secret = rotated.client_secret.expect("the new secret is returned");
        assert_eq!(new_secret.len(), 43);
        assert_ne!(new_secret, app.secret);
        assert_eq!(rotated.id.as_str(), app.id);
        let sent = json_body(&last_request(&emu, "POST", &path));
        assert_eq!(sent, serde_json::json!({ "password": PASSWORD }));

        // The old secret stops working at once; tokens issued before stay valid.
        let err = anon
            .introspect(&app.credentials(), &issued.access_token)
            .await
            .unwrap_err();
        assert_eq!(
            err.oauth_kind(),
            Some(&OAuthErrorKind::InvalidClient),
            "{err:?}"
        );
        let new_creds = ClientCredentials::new(&app.id, new_secret.clone()).unwrap();
        assert!(
            anon.introspect(&new_creds, &issued.access_token)
                .await
                .unwrap()
                .active
        );
        anon.refresh_token(&new_creds, &issued.refresh_token)
            .await
            .unwrap();

        // A password verification returns no sudo-mode token: the next sudo call needs proof again.
        let err = alice
            .reset_bot_token()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap_err();
        assert_sudo_required(&err, false, NO_METHODS);
        assert!(
            sudo_headers(&emu, "POST", &path)
                .iter()
                .all(Option::is_none),
            "no sudo token was ever sent"
        );
    })
    .await;
}

#[tokio::test]
async fn a_password_user_resets_the_bot_token_and_deletes_the_application() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let anon = anonymous(&emu);
        let carol = emu.add_user(NewUser {
            username: "carol".to_owned(),
            password: Some("carol-password".to_owned()),
            totp: false,
        });
        let carol = session(&emu, &carol);
        let proof = SudoVerification::password(PASSWORD);
        let app = create_app(&alice, "Doomed app", &[REDIRECT_URI]).await;
        let old_bot = alice.with_credential(Credential::Bot(app.bot_token.clone()));
        old_bot
            .get_current_user_applications()
            .send()
            .await
            .unwrap();

        let reset = alice
            .reset_bot_token()
            .id(&app.id)
            .sudo(Some(&proof))
            .send()
            .await
            .unwrap();
        assert_ne!(reset.token, app.bot_token);
        assert!(
            reset
                .token
                .expose_secret()
                .starts_with(&format!("{}.", app.id))
        );
        assert_eq!(reset.bot.id.as_str(), app.id);
        let err = old_bot
            .get_current_user_applications()
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 401, ApiErrorCode::InvalidToken);
        let new_bot = alice.with_credential(Credential::Bot(reset.token.clone()));
        assert_eq!(
            new_bot
                .get_current_user_applications()
                .send()
                .await
                .unwrap()
                .id
                .as_str(),
            app.id
        );

        // Another user, with their own valid password, may not touch the application.
        let carols = SudoVerification::password("carol-password");
        for err in [
            carol
                .reset_bot_token()
                .id(&app.id)
                .sudo(Some(&carols))
                .send()
                .await
                .unwrap_err(),
            carol
                .delete_oauth_application()
                .id(&app.id)
                .sudo(Some(&carols))
                .send()
                .await
                .unwrap_err(),
        ] {
            assert_api(&err, 403, ApiErrorCode::AccessDenied);
        }
        let err = alice
            .delete_oauth_application()
            .id(UNKNOWN_ID)
            .sudo(Some(&proof))
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 404, ApiErrorCode::UnknownApplication);
        let err = alice
            .delete_oauth_application()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap_err();
        assert_sudo_required(&err, false, NO_METHODS);

        alice
            .delete_oauth_application()
            .id(&app.id)
            .sudo(Some(&proof))
            .send()
            .await
            .unwrap();
        assert_api(
            &alice
                .get_oauth_application()
                .id(&app.id)
                .send()
                .await
                .unwrap_err(),
            404,
            ApiErrorCode::UnknownApplication,
        );
        assert_api(
            &new_bot
                .get_current_user_applications()
                .send()
                .await
                .unwrap_err(),
            401,
            ApiErrorCode::InvalidToken,
        );
        let err = anon
            .introspect(&app.credentials(), &reset.token)
            .await
            .unwrap_err();
        assert_eq!(
            err.oauth_kind(),
            Some(&OAuthErrorKind::InvalidClient),
            "{err:?}"
        );
        assert!(
            alice
                .list_user_applications()
                .send()
                .await
                .unwrap()
                .is_empty()
        );

        // Malformed ids are refused before sending.
        let before = emu.requests().len();
        assert!(matches!(
            alice
                .delete_oauth_application()
                .id("01")
                .sudo(Some(&proof))
                .send()
                .await,
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            alice
                .reset_bot_token()
                .id("abc")
                .sudo(Some(&proof))
                .send()
                .await,
            Err(Error::InvalidInput { .. })
        ));
        assert!(matches!(
            alice
                .reset_client_secret()
                .id("")
                .sudo(Some(&proof))
                .send()
                .await,
            Err(Error::InvalidInput { .. })
        ));
        assert_eq!(emu.requests().len(), before);
    })
    .await;
}

#[tokio::test]
async fn a_totp_user_verifies_once_and_the_sudo_token_carries_the_next_calls() {
    bounded(async {
        let emu = Emulator::start().await;
        let bob_user = emu.bob();
        let bob = session(&emu, &bob_user);
        let anon = anonymous(&emu);
        let app = create_app(&bob, "MFA app", &[REDIRECT_URI]).await;
        let secret_path = format!("/oauth2/applications/{}/client-secret/reset", app.id);
        let bot_path = format!("/oauth2/applications/{}/bot/reset-token", app.id);
        let app_path = format!("/oauth2/applications/{}", app.id);

        let err = bob
            .reset_client_secret()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap_err();
        assert_sudo_required(&err, true, TOTP_ONLY);
        assert!(err.to_string().contains("SudoVerification::totp"), "{err}");
        // A password is not enough once MFA is on.
        let err = bob
            .reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::password(PASSWORD)))
            .send()
            .await
            .unwrap_err();
        assert_sudo_required(&err, true, TOTP_ONLY);
        let err = bob
            .reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp(wrong_code(&emu, &bob_user))))
            .send()
            .await
            .unwrap_err();
        assert_field_error(&err, "mfa_code", "INVALID_MFA_CODE");
        let before = emu.count_requests("POST", &secret_path);
        let err = bob
            .reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp("")))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert_eq!(emu.count_requests("POST", &secret_path), before);

        let code = emu.totp_now(&bob_user);
        let rotated = bob
            .reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp(code.as_str())))
            .send()
            .await
            .unwrap()
            .into_inner();
        assert!(rotated.bot.is_none(), "a rotation answers without the bot");
        let new_secret = rotated.client_secret.expect("the new secret is returned");
        assert_ne!(new_secret, app.secret);
        let sent = last_request(&emu, "POST", &secret_path);
        assert_eq!(sent.header(SUDO_HEADER), None);
        assert_eq!(
            json_body(&sent),
            serde_json::json!({ "mfa_method": "totp", "mfa_code": code })
        );

        // No new code: the client sends the server's sudo-mode token instead.
        let old_bot = bob.with_credential(Credential::Bot(app.bot_token.clone()));
        let reset = bob
            .reset_bot_token()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap();
        let err = old_bot
            .get_current_user_applications()
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 401, ApiErrorCode::InvalidToken);
        bob.with_credential(Credential::Bot(reset.token.clone()))
            .get_current_user_applications()
            .send()
            .await
            .unwrap();
        // With the token held, a wrong proof does no harm: the token is checked first.
        let again = bob
            .reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp("999999")))
            .send()
            .await
            .unwrap()
            .into_inner();
        let new_secret = again.client_secret.expect("the new secret is returned");
        bob.delete_oauth_application()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap();
        assert_api(
            &bob.get_oauth_application()
                .id(&app.id)
                .send()
                .await
                .unwrap_err(),
            404,
            ApiErrorCode::UnknownApplication,
        );

        let later = [
            last_request(&emu, "POST", &bot_path),
            last_request(&emu, "POST", &secret_path),
            last_request(&emu, "DELETE", &app_path),
        ];
        let tokens: Vec<&str> = later
            .iter()
            .map(|r| r.header(SUDO_HEADER).expect("the sudo-mode token was sent"))
            .collect();
        assert!(
            tokens.iter().all(|t| *t == tokens[0]),
            "the server echoes the same token"
        );
        assert_eq!(tokens[0].split('.').count(), 3, "a JWT");
        for r in [&later[0], &later[2]] {
            let body = r.body_text();
            assert!(
                !body.contains("mfa_code") && !body.contains("password"),
                "{body}"
            );
        }
        let with_header = emu
            .requests()
            .iter()
            .filter(|r| r.header(SUDO_HEADER).is_some())
            .count();
        assert_eq!(
            with_header, 3,
            "only the three sudo calls after the TOTP check carried the token"
        );
        let err = anon
            .introspect(
                &ClientCredentials::new(&app.id, new_secret).unwrap(),
                &reset.token,
            )
            .await
            .unwrap_err();
        assert_eq!(
            err.oauth_kind(),
            Some(&OAuthErrorKind::InvalidClient),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_sudo_token_is_shared_by_clones_but_not_by_other_credentials() {
    bounded(async {
        let emu = Emulator::start().await;
        let bob_user = emu.bob();
        let bob = session(&emu, &bob_user);
        let app = create_app(&bob, "Shared app", &[]).await;
        let code = emu.totp_now(&bob_user);
        bob.reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp(code.as_str())))
            .send()
            .await
            .unwrap();

        // A client for another credential starts without the token, even for the same user.
        let other_session = bob.with_credential(Credential::session(emu.create_session(&bob_user)));
        let err = other_session
            .reset_bot_token()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap_err();
        assert_sudo_required(&err, true, TOTP_ONLY);
        // And a TOTP code is good once: the code already used is refused there.
        let err = other_session
            .reset_bot_token()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp(code.as_str())))
            .send()
            .await
            .unwrap_err();
        assert_field_error(&err, "mfa_code", "INVALID_MFA_CODE");
        // A clone shares it.
        let clone: FluxerClient = bob.clone();
        clone
            .reset_bot_token()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn after_the_server_expires_the_sudo_token_the_answer_is_sudo_required() {
    bounded(async {
        let emu = Emulator::start().await;
        let bob_user = emu.bob();
        let bob = session(&emu, &bob_user);
        let app = create_app(&bob, "Expiring app", &[]).await;
        let bot_path = format!("/oauth2/applications/{}/bot/reset-token", app.id);
        bob.reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp(emu.totp_now(&bob_user))))
            .send()
            .await
            .unwrap();
        bob.reset_bot_token()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap();

        // Six minutes pass on the server's clock. The client judges the token by the wall clock, so it
        // may still send it; either way the server refuses the call with SUDO_MODE_REQUIRED.
        emu.clock().advance(Duration::from_secs(6 * 60));
        let err = bob
            .reset_bot_token()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap_err();
        assert_sudo_required(&err, true, TOTP_ONLY);
        let err = bob
            .delete_oauth_application()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap_err();
        assert_sudo_required(&err, true, TOTP_ONLY);
        let sent = sudo_headers(&emu, "POST", &bot_path);
        assert_eq!(sent.len(), 2);
        assert!(sent[0].is_some(), "the first reset rode on the token");
        assert!(
            sent[1].is_none() || sent[1] == sent[0],
            "at most the stale token was sent once more"
        );
        let deletes = sudo_headers(&emu, "DELETE", &format!("/oauth2/applications/{}", app.id));
        assert_eq!(deletes, vec![None], "the refused token is forgotten");

        // A fresh code works again.
        bob.reset_bot_token()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp(emu.totp_now(&bob_user))))
            .send()
            .await
            .unwrap();
        bob.delete_oauth_application()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap();
    })
    .await;
}

/// When the client still holds a sudo-mode token that the server considers expired (the client
/// checks the token's `exp` against its own clock), a fresh proof given with the call must still be
/// sent, or the caller gets `SudoRequired` although they supplied valid proof. (The server checks a
/// valid token before the body, so sending both costs nothing.)
#[tokio::test]
async fn a_fresh_proof_is_used_when_the_held_sudo_token_is_stale() {
    bounded(async {
        let emu = Emulator::start().await;
        let bob_user = emu.bob();
        let bob = session(&emu, &bob_user);
        let app = create_app(&bob, "Skewed app", &[]).await;
        bob.reset_client_secret()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp(emu.totp_now(&bob_user))))
            .send()
            .await
            .unwrap();
        emu.clock().advance(Duration::from_secs(6 * 60));
        let code = emu.totp_now(&bob_user);
        let reset = bob
            .reset_bot_token()
            .id(&app.id)
            .sudo(Some(&SudoVerification::totp(code.as_str())))
            .send()
            .await
            .expect("a valid TOTP code passes sudo mode");
        assert_ne!(reset.token, app.bot_token, "the bot token was rotated");
        let bot_path = format!("/oauth2/applications/{}/bot/reset-token", app.id);
        let sent = requests_to(&emu, "POST", &bot_path);
        assert_eq!(sent.len(), 1, "one request, with the proof");
        assert_eq!(
            json_body(&sent[0]),
            serde_json::json!({ "mfa_method": "totp", "mfa_code": code })
        );
    })
    .await;
}

#[tokio::test]
async fn a_user_with_neither_password_nor_mfa_passes_sudo_mode() {
    bounded(async {
        let emu = Emulator::start().await;
        let dave = emu.add_user(NewUser {
            username: "dave".to_owned(),
            password: None,
            totp: false,
        });
        let dave = session(&emu, &dave);
        let methods = dave.get_sudo_mfa_methods().send().await.unwrap();
        assert!(!methods.has_mfa);
        let app = create_app(&dave, "SSO app", &[]).await;
        let rotated = dave
            .reset_client_secret()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap();
        assert!(rotated.client_secret.is_some());
        dave.delete_oauth_application()
            .id(&app.id)
            .sudo(None)
            .send()
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn sudo_mfa_methods_and_webauthn_options() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let bob = session(&emu, &emu.bob());

        let a = alice.get_sudo_mfa_methods().send().await.unwrap();
        assert!(!a.has_mfa && !a.totp && !a.webauthn, "{a:?}");
        let b = bob.get_sudo_mfa_methods().send().await.unwrap();
        assert!(b.has_mfa && b.totp && !b.webauthn, "{b:?}");

        let options = bob
            .get_sudo_webauthn_authentication_options()
            .send()
            .await
            .unwrap();
        assert_eq!(options.challenge.len(), 43);
        assert!(options.allow_credentials.is_empty(), "bob has no passkey");
        assert_eq!(
            emu.count_requests("POST", "/users/@me/sudo/webauthn/authentication-options"),
            1
        );

        // No passkey is registered, so an assertion cannot pass.
        let app = create_app(&bob, "WebAuthn app", &[]).await;
        let assertion =
            SudoVerification::webauthn(serde_json::Map::new(), options.challenge.clone());
        let err = bob
            .reset_client_secret()
            .id(&app.id)
            .sudo(Some(&assertion))
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 400, ApiErrorCode::InvalidFormBody);
        let sent = json_body(&last_request(
            &emu,
            "POST",
            &format!("/oauth2/applications/{}/client-secret/reset", app.id),
        ));
        assert_eq!(sent["mfa_method"], "webauthn");
        assert_eq!(
            sent["webauthn_challenge"],
            options.challenge.expose_secret()
        );

        // Both helpers take a session only; nothing is sent otherwise.
        let before = emu.requests().len();
        let anon = anonymous(&emu);
        let bot = alice.with_credential(Credential::Bot(app.bot_token.clone()));
        for client in [&anon, &bot] {
            assert_not_accepted(client.get_sudo_mfa_methods().send().await);
            assert_not_accepted(
                client
                    .get_sudo_webauthn_authentication_options()
                    .send()
                    .await,
            );
            assert_not_accepted(
                client
                    .reset_client_secret()
                    .id(&app.id)
                    .sudo(None)
                    .send()
                    .await,
            );
        }
        assert_eq!(emu.requests().len(), before);
    })
    .await;
}
