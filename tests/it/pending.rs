//! A pending authorization kept outside the process: serialised by the app instance that sends the
//! user to the authorize URL, read back by another that receives the callback and exchanges the code.

use crate::common::emulator::{REDIRECT_URI, anonymous, create_app, session};
use fluxer_oauth2::{
    Error,
    oauth::{AuthorizeUrl, CallbackError, PendingAuthorization, Scope, consent_request},
};
use fluxer_oauth2_emulator::Emulator;

#[tokio::test]
async fn another_instance_finishes_the_login() {
    let emu = Emulator::start().await;
    let alice = session(&emu, &emu.alice());
    let app = create_app(&alice, "Two replicas", &[REDIRECT_URI]).await;

    // Instance one: builds the authorize URL and keeps the pending authorization as JSON.
    let request = AuthorizeUrl::new(&emu.base_url(), &app.id, REDIRECT_URI)
        .scopes([Scope::Identify])
        .build()
        .unwrap();
    // The user consents; the browser comes back to the redirect the consent answered.
    let consent = alice
        .provide_oauth2_consent()
        .body(consent_request(&request.url).unwrap())
        .send()
        .await
        .unwrap();
    let redirect_to = consent.redirect_to.expose_secret().to_owned();
    let (_url, pending) = request.into_parts();
    let kept = serde_json::to_string(&pending).unwrap();
    assert!(!format!("{pending:?}").contains(pending.state().expose_secret()));
    drop(pending);

    // Instance two: reads it back and finishes.
    let second = anonymous(&emu);
    let pending: PendingAuthorization = serde_json::from_str(&kept).unwrap();
    assert!(pending.uses_pkce());
    let tokens = second
        .exchange_code(&app.credentials(), &redirect_to, pending)
        .await
        .unwrap();
    assert!(tokens.has_scope("identify"));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_callback_with_another_state_is_refused_before_sending() {
    let emu = Emulator::start().await;
    let request = AuthorizeUrl::new(&emu.base_url(), "1574449618593251330", REDIRECT_URI)
        .scopes([Scope::Identify])
        .build()
        .unwrap();
    let (_url, pending) = request.into_parts();
    let creds = fluxer_oauth2::oauth::ClientCredentials::new("1574449618593251330", "s").unwrap();
    emu.clear_requests();
    let err = anonymous(&emu)
        .exchange_code(&creds, "?code=abc&state=forged", pending)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Callback(CallbackError::StateMismatch)),
        "{err:?}"
    );
    assert!(emu.requests().is_empty());
    emu.shutdown().await;
}

#[test]
fn a_tampered_record_is_refused() {
    let good = serde_json::json!({
        "state": "s".repeat(43),
        "pkce_verifier": "v".repeat(43),
        "redirect_uri": "https://app.example/cb",
    });
    assert!(serde_json::from_value::<PendingAuthorization>(good.clone()).is_ok());
    for (field, bad) in [
        ("pkce_verifier", serde_json::json!("short")),
        ("redirect_uri", serde_json::json!("http://evil.example/cb")),
        ("state", serde_json::json!("")),
    ] {
        let mut value = good.clone();
        value[field] = bad;
        assert!(
            serde_json::from_value::<PendingAuthorization>(value).is_err(),
            "{field}"
        );
    }
}
