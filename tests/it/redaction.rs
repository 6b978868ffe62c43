//! No secret is ever printed: `Debug` (plain and pretty) of every public type that can hold one shows
//! `[redacted]` instead, errors hold none, and a TRACE-level log of a full set of calls (session,
//! token exchange, sudo) names the operations but none of the secrets.
//!
//! `Secret` deliberately has no `Display`, so `format!("{}", secret)` does not compile. That is checked
//! here without a compile-fail harness: [`implements_display`] asks the compiler, through method
//! resolution, whether the type implements `Display`.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::common::wire::{
    ACCESS_TOKEN, APP_ID, BOT_SECRET, BOT_TOKEN, CLIENT_SECRET, CODE, OK_INTROSPECT, OK_LIST_APPS,
    OK_RESET_BOT, OK_RESET_SECRET, PASSWORD, REDIRECT, REFRESH_TOKEN, ROUTE_429, SESSION_TOKEN,
    TOTP, VERIFIER, builder, empty_200, token_body,
};
use base64::Engine as _;
use fluxer_oauth2::{
    Credential, Error, FluxerClient, RetryPolicy, Secret, SudoVerification,
    oauth::{ClientAuth, ClientCredentials, PkceVerifier, TokenKind, TokenSet},
    types,
};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

const NEW_CLIENT_SECRET: &str = "TmV3Q2xpZW50U2VjcmV0Rm9yVGVzdHNPbmx5MDEyMzQ";
const CHALLENGE: &str = "V2ViQXV0aG5DaGFsbGVuZ2VGb3JUZXN0czAxMjM0NTY";
const SIGNATURE: &str = "V2ViQXV0aG5TaWduYXR1cmVGb3JUZXN0czAxMjM0NTY";

const OK_CREATE: &str = include_str!("../fixtures/error_bodies/ok_create_application.json");
const OK_CONSENT: &str = include_str!("../fixtures/error_bodies/ok_consent.json");
const INVALID_GRANT: &str = include_str!("../fixtures/error_bodies/oauth_invalid_grant_400.json");

/// Asserts that neither `{:?}` nor `{:#?}` shows any of `secrets`, and (when `has_secret_field`)
/// that the place of the secret says `[redacted]`.
fn assert_redacted<T: std::fmt::Debug>(
    what: &str,
    value: &T,
    secrets: &[&str],
    has_secret_field: bool,
) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        for secret in secrets {
            assert!(
                !text.contains(secret),
                "{what}: Debug shows the secret {secret:?}:\n{text}"
            );
        }
        if has_secret_field {
            assert!(
                text.contains("[redacted]"),
                "{what}: Debug marks the secret as [redacted]:\n{text}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Secret has no Display: a check that needs no compile-fail harness.
// ---------------------------------------------------------------------------------------------------

/// Method resolution prefers an inherent method whose bounds hold over a trait method; when `T` is not
/// `Display` the inherent `display_probe` does not apply and the trait's fallback answers `false`.
struct Probe<T>(std::marker::PhantomData<T>);

impl<T: std::fmt::Display> Probe<T> {
    fn display_probe(&self) -> bool {
        true
    }
}

trait NoDisplay {
    fn display_probe(&self) -> bool {
        false
    }
}

impl<T> NoDisplay for Probe<T> {}

macro_rules! implements_display {
    ($t:ty) => {
        Probe::<$t>(std::marker::PhantomData).display_probe()
    };
}

#[test]
fn secret_has_no_display_and_a_redacted_debug() {
    // The probe works: String is Display.
    assert!(implements_display!(String));
    assert!(implements_display!(Error));
    // `format!("{}", secret)` would not compile: neither Secret nor Credential is Display.
    assert!(!implements_display!(Secret));
    assert!(!implements_display!(Credential));
    assert!(!implements_display!(TokenSet));

    let secret = Secret::new(ACCESS_TOKEN);
    assert_eq!(format!("{secret:?}"), "[redacted]");
    assert_eq!(format!("{secret:#?}"), "[redacted]");
    assert_eq!(
        secret.expose_secret(),
        ACCESS_TOKEN,
        "the value is still there to be sent"
    );
    assert_redacted("Secret", &secret, &[ACCESS_TOKEN], true);
    assert_redacted(
        "Option<Secret>",
        &Some(secret.clone()),
        &[ACCESS_TOKEN],
        true,
    );
    // Serialising is how the value reaches the wire; it is the one place it appears.
    assert_eq!(
        serde_json::to_string(&secret).unwrap(),
        format!("\"{ACCESS_TOKEN}\"")
    );
}

#[test]
fn credentials_are_redacted() {
    assert_redacted(
        "Credential::bot",
        &Credential::bot(BOT_TOKEN),
        &[BOT_TOKEN, BOT_SECRET],
        true,
    );
    assert_redacted(
        "Credential::bearer",
        &Credential::bearer(ACCESS_TOKEN),
        &[ACCESS_TOKEN],
        true,
    );
    assert_redacted(
        "Credential::session",
        &Credential::session(SESSION_TOKEN),
        &[SESSION_TOKEN],
        true,
    );

    let body = ClientCredentials::new(APP_ID, CLIENT_SECRET).unwrap();
    assert_redacted("ClientCredentials (body)", &body, &[CLIENT_SECRET], true);
    let basic = body.clone().with_auth(ClientAuth::Basic);
    assert_redacted("ClientCredentials (Basic)", &basic, &[CLIENT_SECRET], true);
    // The id is not secret and stays readable.
    assert!(format!("{body:?}").contains(APP_ID));

    assert_redacted(
        "PkceVerifier",
        &PkceVerifier::new(VERIFIER).unwrap(),
        &[VERIFIER],
        true,
    );
}

#[test]
fn sudo_verifications_are_redacted() {
    assert_redacted(
        "SudoVerification::password",
        &SudoVerification::password(PASSWORD),
        &[PASSWORD],
        true,
    );
    assert_redacted(
        "SudoVerification::totp",
        &SudoVerification::totp(TOTP),
        &[TOTP],
        true,
    );
    let schema = types::SudoVerificationSchema {
        password: Some(Secret::new(PASSWORD)),
        mfa_method: Some(types::MfaMethod::Totp),
        mfa_code: Some(Secret::new(TOTP)),
        ..Default::default()
    };
    assert_redacted(
        "types::SudoVerificationSchema",
        &schema,
        &[PASSWORD, TOTP],
        true,
    );
    let schema = types::SudoVerificationSchema {
        mfa_method: Some(types::MfaMethod::Webauthn),
        webauthn_challenge: Some(Secret::new(CHALLENGE)),
        ..Default::default()
    };
    assert_redacted(
        "types::SudoVerificationSchema (webauthn challenge)",
        &schema,
        &[CHALLENGE],
        true,
    );
}

fn webauthn_assertion() -> serde_json::Map<String, serde_json::Value> {
    let serde_json::Value::Object(map) = serde_json::json!({
        "id": "Y3JlZGVudGlhbC1pZA",
        "type": "public-key",
        "response": {
            "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
            "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
            "signature": SIGNATURE,
        }
    }) else {
        unreachable!()
    };
    map
}

#[test]
fn a_webauthn_verification_hides_its_challenge() {
    let proof = SudoVerification::webauthn(webauthn_assertion(), CHALLENGE);
    assert_redacted(
        "SudoVerification::webauthn (challenge)",
        &proof,
        &[CHALLENGE],
        true,
    );
}

#[test]
fn a_webauthn_verification_hides_its_assertion() {
    let proof = SudoVerification::webauthn(webauthn_assertion(), CHALLENGE);
    assert_redacted(
        "SudoVerification::webauthn (assertion)",
        &proof,
        &[SIGNATURE],
        true,
    );
}

/// The recorded creation answer, with the masked client secret and bot token filled in.
fn created_app() -> types::ApplicationResponse {
    let raw = OK_CREATE
        .replace("<redacted-bot-secret>", BOT_SECRET)
        .replace("<redacted-43>", CLIENT_SECRET);
    serde_json::from_str(&raw).unwrap()
}

fn token_response() -> types::OAuth2TokenResponse {
    serde_json::from_str(&token_body(ACCESS_TOKEN, REFRESH_TOKEN)).unwrap()
}

#[test]
fn response_types_are_redacted() {
    let app = created_app();
    assert_eq!(
        app.client_secret.as_ref().unwrap().expose_secret(),
        CLIENT_SECRET,
        "the fixture holds the secret"
    );
    assert_eq!(
        app.bot
            .as_ref()
            .unwrap()
            .token
            .as_ref()
            .unwrap()
            .expose_secret(),
        BOT_TOKEN
    );
    assert_redacted(
        "types::ApplicationResponse",
        &app,
        &[CLIENT_SECRET, BOT_TOKEN, BOT_SECRET],
        true,
    );
    assert_redacted(
        "types::ApplicationBot",
        app.bot.as_ref().unwrap(),
        &[BOT_TOKEN, BOT_SECRET],
        true,
    );
    assert_redacted(
        "Vec<types::ApplicationResponse>",
        &vec![app.clone()],
        &[CLIENT_SECRET, BOT_SECRET],
        true,
    );

    let reset: types::BotTokenResetResponse =
        serde_json::from_str(&OK_RESET_BOT.replace("<redacted-bot-secret>", BOT_SECRET)).unwrap();
    assert_eq!(reset.token.expose_secret(), BOT_TOKEN);
    assert_redacted(
        "types::BotTokenResetResponse",
        &reset,
        &[BOT_TOKEN, BOT_SECRET],
        true,
    );

    let tokens = token_response();
    assert_redacted(
        "types::OAuth2TokenResponse",
        &tokens,
        &[ACCESS_TOKEN, REFRESH_TOKEN],
        true,
    );
    let set = TokenSet::from_response(tokens, SystemTime::now());
    assert_redacted("TokenSet", &set, &[ACCESS_TOKEN, REFRESH_TOKEN], true);

    let consent: types::OAuth2ConsentResponse =
        serde_json::from_str(&OK_CONSENT.replace("<redacted-43>", CODE)).unwrap();
    assert!(consent.redirect_to.expose_secret().contains(CODE));
    assert_redacted("types::OAuth2ConsentResponse", &consent, &[CODE], true);

    let options: types::WebAuthnAuthenticationOptions = serde_json::from_value(serde_json::json!({
        "challenge": CHALLENGE,
        "rpId": "fluxer.app",
        "timeout": 60000,
        "allowCredentials": [{"id": "Y3JlZGVudGlhbC1pZA", "type": "public-key"}],
        "userVerification": "preferred"
    }))
    .unwrap();
    assert_redacted(
        "types::WebAuthnAuthenticationOptions",
        &options,
        &[CHALLENGE],
        true,
    );

    // Builders exist for request bodies (answers are only read): a body builder holding a secret.
    const PASSWORD: &str = "correct-horse-battery-staple";
    let built = types::LoginRequest::builder()
        .email("someone@example.com")
        .password(Secret::new(PASSWORD));
    assert_redacted("types::builder::LoginRequest", &built, &[PASSWORD], true);
}

#[test]
fn request_types_are_redacted() {
    let id = || Some(fluxer_oauth2::ClientId::try_from(APP_ID).unwrap());
    let code = types::AuthorizationCodeTokenRequest {
        grant_type: types::AuthorizationCodeTokenRequestGrantType::AuthorizationCode,
        code: Secret::new(CODE),
        redirect_uri: "https://client.example.com/callback".try_into().unwrap(),
        client_id: id(),
        client_secret: Some(Secret::new(CLIENT_SECRET)),
        code_verifier: Some(Secret::new(VERIFIER)),
    };
    assert_redacted(
        "types::AuthorizationCodeTokenRequest",
        &code,
        &[CODE, CLIENT_SECRET, VERIFIER],
        true,
    );
    let refresh = types::RefreshTokenTokenRequest {
        grant_type: types::RefreshTokenTokenRequestGrantType::RefreshToken,
        refresh_token: Secret::new(REFRESH_TOKEN),
        client_id: id(),
        client_secret: Some(Secret::new(CLIENT_SECRET)),
    };
    assert_redacted(
        "types::RefreshTokenTokenRequest",
        &refresh,
        &[REFRESH_TOKEN, CLIENT_SECRET],
        true,
    );
    let union: types::TokenRequest = refresh.into();
    assert_redacted(
        "types::TokenRequest",
        &union,
        &[REFRESH_TOKEN, CLIENT_SECRET],
        true,
    );
    let introspect = types::IntrospectRequestForm {
        token: Secret::new(ACCESS_TOKEN),
        client_id: id(),
        client_secret: Some(Secret::new(CLIENT_SECRET)),
    };
    assert_redacted(
        "types::IntrospectRequestForm",
        &introspect,
        &[ACCESS_TOKEN, CLIENT_SECRET],
        true,
    );
    let revoke = types::RevokeRequestForm {
        token: Secret::new(REFRESH_TOKEN),
        token_type_hint: Some(types::TokenTypeHint::RefreshToken),
        client_id: id(),
        client_secret: Some(Secret::new(CLIENT_SECRET)),
    };
    assert_redacted(
        "types::RevokeRequestForm",
        &revoke,
        &[REFRESH_TOKEN, CLIENT_SECRET],
        true,
    );
}

#[test]
fn clients_and_builders_are_redacted() {
    let builder = FluxerClient::builder()
        .base_url("http://127.0.0.1:1")
        .credential(Credential::session(SESSION_TOKEN));
    assert_redacted("FluxerClientBuilder", &builder, &[SESSION_TOKEN], true);
    let client = builder.build().unwrap();
    assert_redacted("FluxerClient", &client, &[SESSION_TOKEN], true);
    assert_redacted("generated::Client", client.api(), &[SESSION_TOKEN], true);
    let bot = client.with_credential(Credential::bot(BOT_TOKEN));
    assert_redacted(
        "FluxerClient::with_credential",
        &bot,
        &[BOT_TOKEN, BOT_SECRET, SESSION_TOKEN],
        true,
    );
}

#[test]
fn a_secret_given_where_an_id_belongs_is_not_echoed() {
    let err = ClientCredentials::new(CLIENT_SECRET, APP_ID).expect_err("not an id");
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");
}

// ---------------------------------------------------------------------------------------------------
// Errors a secret could reach, and logs.
// ---------------------------------------------------------------------------------------------------

/// A `Write` into a shared buffer, for the fmt layer.
#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sudo_jwt() -> String {
    let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v);
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 300;
    let payload = format!(
        r#"{{"type":"sudo","sub":"1574449618584862720","iat":{},"exp":{exp}}}"#,
        exp - 300
    );
    format!(
        "{}.{}.{}",
        b64(r#"{"alg":"HS256"}"#),
        b64(&payload),
        b64("signature-for-tests-only-0123456789")
    )
}

/// Every secret the full run below hands out or receives.
fn run_secrets(jwt: &str) -> Vec<String> {
    [
        BOT_TOKEN,
        BOT_SECRET,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        SESSION_TOKEN,
        CLIENT_SECRET,
        NEW_CLIENT_SECRET,
        CODE,
        VERIFIER,
        PASSWORD,
        TOTP,
        jwt,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

async fn mount_everything(server: &MockServer, jwt: &str) {
    let json = |status: u16, body: String| {
        ResponseTemplate::new(status).set_body_raw(body, "application/json")
    };
    Mock::given(method("GET"))
        .and(path("/users/@me/applications"))
        .respond_with(json(
            200,
            OK_LIST_APPS.replace("<redacted-43>", CLIENT_SECRET),
        ))
        .mount(server)
        .await;
    let token_ok = token_body(ACCESS_TOKEN, REFRESH_TOKEN);
    // The token endpoint: a 429 first (to log a retry), then success, then invalid_grant, then a body
    // that does not decode and holds the tokens.
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(json(429, ROUTE_429.to_owned()).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(json(200, token_ok.clone()))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(json(400, INVALID_GRANT.to_owned()))
        .up_to_n_times(1)
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(json(200, token_ok[..token_ok.len() - 10].to_owned()))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/introspect"))
        .respond_with(json(200, OK_INTROSPECT.to_owned()))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token/revoke"))
        .respond_with(empty_200())
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/oauth2/applications/{APP_ID}/client-secret/reset"
        )))
        .respond_with(
            json(
                200,
                OK_RESET_SECRET.replace("<redacted-43>", NEW_CLIENT_SECRET),
            )
            .insert_header("x-fluxer-sudo-mode-jwt", jwt),
        )
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "/oauth2/applications/{APP_ID}/bot/reset-token"
        )))
        .respond_with(
            json(
                200,
                OK_RESET_BOT.replace("<redacted-bot-secret>", BOT_SECRET),
            )
            .insert_header("x-fluxer-sudo-mode-jwt", jwt),
        )
        .mount(server)
        .await;
}

/// Runs a session call, token calls with body credentials (success, retry, OAuth error, undecodable
/// answer) and two sudo calls; returns every error met, for inspection.
async fn full_run(jwt: &str) -> (Vec<Error>, FluxerClient) {
    let server = MockServer::start().await;
    mount_everything(&server, jwt).await;
    let user = builder(&server)
        .credential(Credential::session(SESSION_TOKEN))
        .retry_policy(RetryPolicy {
            max_retries: 2,
            max_total_wait: Duration::from_secs(1),
        })
        .build()
        .unwrap();
    let credentials = ClientCredentials::new(APP_ID, CLIENT_SECRET).unwrap();
    let verifier = PkceVerifier::new(VERIFIER).unwrap();
    let mut errors = Vec::new();

    user.list_user_applications()
        .send()
        .await
        .expect("session call");
    let tokens = user
        .exchange_code_with(&credentials, &Secret::new(CODE), REDIRECT, Some(&verifier))
        .await
        .expect("exchange after a 429");
    assert_eq!(tokens.access_token.expose_secret(), ACCESS_TOKEN);
    errors.push(
        user.refresh_token(&credentials, &tokens.refresh_token)
            .await
            .expect_err("invalid_grant"),
    );
    errors.push(
        user.refresh_token(&credentials, &tokens.refresh_token)
            .await
            .expect_err("undecodable"),
    );
    user.introspect(&credentials, &tokens.access_token)
        .await
        .expect("introspect");
    user.revoke(&credentials, &tokens.refresh_token, TokenKind::RefreshToken)
        .await
        .expect("revoke");
    let app = user
        .reset_client_secret()
        .id(APP_ID)
        .sudo(Some(&SudoVerification::totp(TOTP)))
        .send()
        .await
        .expect("sudo with TOTP")
        .into_inner();
    assert_eq!(
        app.client_secret.unwrap().expose_secret(),
        NEW_CLIENT_SECRET
    );
    let reset = user
        .reset_bot_token()
        .id(APP_ID)
        .sudo(None)
        .send()
        .await
        .expect("sudo with the held token");
    assert_eq!(reset.token.expose_secret(), BOT_TOKEN);
    (errors, user)
}

#[test]
fn a_trace_log_of_a_full_run_names_operations_but_no_secret() {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let writer = Capture(buffer.clone());
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let jwt = sudo_jwt();
    let (errors, client) = {
        // The default subscriber is per thread: a current-thread runtime keeps every task on this one.
        let _guard = tracing::subscriber::set_default(subscriber);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(full_run(&jwt))
    };
    let log = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();

    for op in [
        "list_user_applications",
        "exchange_oauth2_token",
        "introspect_oauth2_token",
        "revoke_oauth2_token",
        "reset_client_secret",
        "reset_bot_token",
    ] {
        assert!(log.contains(op), "the log names {op}:\n{log}");
    }
    assert!(log.contains("rate limited"), "the retry was logged:\n{log}");
    for secret in run_secrets(&jwt) {
        assert!(
            !log.contains(&secret),
            "the log shows the secret {secret:?}:\n{log}"
        );
    }

    // The errors met on the way hold no secret either.
    assert!(errors.len() >= 2, "{errors:?}");
    for err in &errors {
        let text = format!("{err} {err:?} {err:#?}");
        for secret in run_secrets(&jwt) {
            assert!(
                !text.contains(&secret),
                "an error shows the secret {secret:?}: {text}"
            );
        }
    }
    assert!(matches!(errors[0], Error::OAuth { .. }), "{:?}", errors[0]);
    assert!(matches!(errors[1], Error::Decode { .. }), "{:?}", errors[1]);

    // The client now holds a sudo token: its Debug hides it, and the session token.
    assert_redacted(
        "FluxerClient holding a sudo token",
        &client,
        &[SESSION_TOKEN, &jwt],
        true,
    );
}

#[test]
fn errors_that_could_carry_a_secret_do_not() {
    // Error is a plain enum: build the variants whose text comes from outside and check the text that
    // the crate adds does not carry the inputs through (the server's own text is shown as sent).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = MockServer::start().await;
        // A credential that cannot be a header: refused without echoing it.
        let bad = FluxerClient::builder()
            .base_url(server.uri())
            .credential(Credential::bearer(format!("{ACCESS_TOKEN}\n")))
            .build()
            .unwrap();
        let err = bad.get_oauth2_userinfo().send().await.expect_err("refused");
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert_redacted("InvalidInput (header)", &err, &[ACCESS_TOKEN], false);
        // A sudo password of the wrong length: its length is named, not its value.
        let user = bad.with_credential(Credential::session(SESSION_TOKEN));
        let err = user
            .reset_client_secret()
            .id(APP_ID)
            .sudo(Some(&SudoVerification::password("hunter2")))
            .send()
            .await
            .expect_err("too short");
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert_redacted(
            "InvalidInput (password)",
            &err,
            &["hunter2", SESSION_TOKEN],
            false,
        );
        assert!(!err.to_string().contains("hunter2"));
        // A transport failure names the URL (ids only), not the credential or the form.
        let dead_port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let dead = FluxerClient::builder()
            .base_url(format!("http://127.0.0.1:{dead_port}"))
            .credential(Credential::session(SESSION_TOKEN))
            .retry_policy(RetryPolicy::NONE)
            .build()
            .unwrap();
        let credentials = ClientCredentials::new(APP_ID, CLIENT_SECRET).unwrap();
        let err = dead
            .exchange_code_with(&credentials, &Secret::new(CODE), REDIRECT, None)
            .await
            .expect_err("nothing listens");
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert_redacted(
            "Transport",
            &err,
            &[SESSION_TOKEN, CLIENT_SECRET, CODE],
            false,
        );
        assert!(server.received_requests().await.unwrap().is_empty());
    });
}
