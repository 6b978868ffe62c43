//! The leak scan's hostile mode: a server on 127.0.0.1 that echoes every request (request line,
//! headers, body) into its error answers, in each of the server's error shapes, while the client
//! tours every operation of the spec and every flow with planted secrets. Not one planted secret may
//! show in any error's `Display` or `Debug`, nor in the TRACE output of the whole tour.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use crate::common::echo::echo_server;
use fluxer_oauth2::{
    Credential, Error, FluxerClient, OperationSpec, RetryPolicy, Secret, SudoVerification,
    login::{Login, TotpSecret},
    oauth::{
        ClientAuth, ClientCredentials, MemoryStore, PkceVerifier, RedirectUri, TokenKind,
        TokenManager, TokenSet,
    },
    types,
};
use tracing_subscriber::util::SubscriberInitExt as _;

const ID: &str = "1574449618593251330";
const CLIENT_SECRET: &str = "planted-client-secret-A1";
const CODE: &str = "planted-code-B2";
const VERIFIER: &str = "planted-verifier-C3-planted-verifier-C3-planted-verifier-C3";
const REFRESH: &str = "planted-refresh-D4";
const ACCESS: &str = "planted-access-E5";
const SESSION: &str = "flx_planted-session-F6";
const BOT: &str = "1574449618593251330.planted-bot-G7";
const PASSWORD: &str = "planted-password-H8";
const TOTP_CODE: &str = "735190";
const TICKET: &str = "planted-ticket-I9";
const WEBAUTHN_CHALLENGE: &str = "planted-challenge-J10";
const SSO_CODE: &str = "planted-sso-code-K11";
const TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn planted() -> Vec<String> {
    let mut all: Vec<String> = [
        CLIENT_SECRET,
        CODE,
        VERIFIER,
        REFRESH,
        ACCESS,
        SESSION,
        "planted-bot-G7",
        PASSWORD,
        TOTP_CODE,
        TICKET,
        WEBAUTHN_CHALLENGE,
        SSO_CODE,
        TOTP_SECRET,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    all.push(format!("{ID}:{CLIENT_SECRET}"));
    all
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Default)]
struct Shown {
    text: String,
    errors: usize,
}

impl Shown {
    fn add<T: std::fmt::Debug>(&mut self, result: Result<T, Error>) {
        match result {
            Ok(value) => self.text.push_str(&format!("{value:?}\n")),
            Err(err) => {
                self.errors += 1;
                self.text.push_str(&format!("{err}\n{err:?}\n"));
            }
        }
    }
}

#[test]
fn no_planted_secret_survives_an_echoing_server() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let mut shown = Shown::default();
    {
        let _guard = subscriber.set_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(60), tour(&mut shown))
                .await
                .expect("the tour ends in time");
        });
    }
    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    for op in OperationSpec::all() {
        assert!(
            logs.contains(&format!("operation=\"{}\"", op.id)),
            "the tour calls {}",
            op.id
        );
    }
    assert!(shown.errors > 60, "{} errors", shown.errors);
    let everything = format!("{logs}\n{}", shown.text);
    let leaks: Vec<String> = planted()
        .into_iter()
        .filter(|secret| everything.contains(secret.as_str()))
        .collect();
    println!(
        "hostile leak scan: {} operations, {} errors shown, {} bytes of TRACE output, {} planted secrets, {} leaked",
        OperationSpec::all().len(),
        shown.errors,
        logs.len(),
        planted().len(),
        leaks.len()
    );
    assert!(leaks.is_empty(), "leaked: {leaks:?}");
}

async fn tour(shown: &mut Shown) {
    let server = echo_server().await;
    let client = FluxerClient::builder()
        .base_url(server.root_url())
        .retry_policy(RetryPolicy::NONE)
        .build()
        .unwrap();
    let session = client.with_credential(Credential::session(SESSION));
    let bot = client.with_credential(Credential::bot(BOT));
    let bearer = client.with_credential(Credential::bearer(ACCESS));
    let password = SudoVerification::password(PASSWORD);
    let totp = SudoVerification::totp(TOTP_CODE);
    let redirect = RedirectUri::parse("https://app.example/cb").unwrap();
    for round in 0..2 {
        let proof = if round == 0 { &password } else { &totp };
        // Bot and bearer reads.
        shown.add(bot.get_current_user_applications().send().await);
        shown.add(bot.get_oauth_applications_me().send().await);
        shown.add(bot.get_current_user().send().await);
        shown.add(bot.list_current_user_guilds().send().await);
        shown.add(bot.get_guild_member().guild_id(ID).user_id(ID).send().await);
        shown.add(bearer.get_oauth2_userinfo().send().await);
        shown.add(bearer.get_current_user_oauth2().send().await);
        shown.add(bearer.list_current_user_connections().send().await);
        // Session operations.
        shown.add(session.list_user_applications().send().await);
        shown.add(
            session
                .create_oauth_application()
                .body(
                    types::ApplicationCreateRequest::builder()
                        .name("Echo")
                        .redirect_uris(Some(vec![redirect.clone()])),
                )
                .x_captcha_token(PASSWORD)
                .send()
                .await,
        );
        shown.add(session.get_oauth_application().id(ID).send().await);
        shown.add(
            session
                .update_oauth_application()
                .id(ID)
                .body(types::ApplicationUpdateRequest::builder().bot_public(Some(true)))
                .send()
                .await,
        );
        shown.add(
            session
                .update_bot_profile()
                .id(ID)
                .body(types::BotProfileUpdateRequest::builder())
                .send()
                .await,
        );
        shown.add(
            session
                .reset_client_secret()
                .id(ID)
                .sudo(proof)
                .send()
                .await,
        );
        shown.add(session.reset_bot_token().id(ID).sudo(proof).send().await);
        shown.add(
            session
                .delete_oauth_application()
                .id(ID)
                .sudo(proof)
                .send()
                .await,
        );
        shown.add(session.get_public_application().id(ID).send().await);
        shown.add(
            session
                .provide_oauth2_consent()
                .body(
                    types::AuthorizeConsentRequest::builder()
                        .client_id(ID)
                        .scope("identify")
                        .redirect_uri(Some(redirect.clone()))
                        .state(Some(
                            PASSWORD
                                .parse::<types::AuthorizeConsentRequestState>()
                                .unwrap(),
                        )),
                )
                .send()
                .await,
        );
        shown.add(session.list_user_oauth2_authorizations().send().await);
        shown.add(
            session
                .delete_user_oauth2_authorization()
                .application_id(ID)
                .send()
                .await,
        );
        shown.add(
            session
                .bulk_delete_user_oauth2_authorizations()
                .body(types::OAuth2AuthorizationsBulkRevokeRequest {
                    application_ids: vec![ID.parse().unwrap()],
                })
                .send()
                .await,
        );
        shown.add(session.get_sudo_mfa_methods().send().await);
        shown.add(
            session
                .get_sudo_webauthn_authentication_options()
                .send()
                .await,
        );
        shown.add(session.list_auth_sessions().send().await);
        shown.add(
            session
                .logout_auth_sessions()
                .body(types::SessionsLogoutRequest {
                    session_id_hashes: vec!["x".repeat(43)],
                    ..serde_json::from_str(r#"{"session_id_hashes":[]}"#).unwrap()
                })
                .sudo(proof)
                .send()
                .await,
        );
        // Anonymous operations.
        shown.add(client.get_instance_document().send().await);
        shown.add(client.get_sso_status().send().await);
        shown.add(
            client
                .start_sso()
                .body(types::SsoStartRequest::builder())
                .send()
                .await,
        );
        shown.add(
            client
                .complete_sso()
                .body(types::SsoCompleteRequest {
                    code: Secret::new(SSO_CODE),
                    state: Secret::new(PASSWORD),
                })
                .send()
                .await,
        );
        shown.add(
            client
                .login_mfa_totp()
                .body(types::MfaTotpRequest {
                    code: Secret::new(TOTP_CODE),
                    ticket: Secret::new(TICKET),
                })
                .send()
                .await,
        );
        shown.add(
            client
                .login_mfa_webauthn_authentication_options()
                .body(types::MfaTicketRequest {
                    ticket: Secret::new(TICKET),
                })
                .send()
                .await,
        );
        shown.add(
            client
                .login_mfa_webauthn()
                .body(types::MfaWebAuthnRequest {
                    response: serde_json::Map::new(),
                    challenge: Secret::new(WEBAUTHN_CHALLENGE),
                    ticket: Secret::new(TICKET),
                })
                .send()
                .await,
        );
        // Flows.
        shown.add(
            client
                .login("a@example.com", PASSWORD)
                .await
                .map(|l| matches!(l, Login::Session(_))),
        );
        shown.add(
            client
                .login_with_captcha("a@example.com", PASSWORD, Some((TICKET, None)))
                .await
                .map(|l| matches!(l, Login::Session(_))),
        );
        let _ = TotpSecret::new(TOTP_SECRET).unwrap();
        shown.add(session.logout().send().await);
        for auth in [ClientAuth::Body, ClientAuth::Basic] {
            let creds = ClientCredentials::new(ID, CLIENT_SECRET)
                .unwrap()
                .with_auth(auth);
            let verifier = PkceVerifier::new(VERIFIER).unwrap();
            shown.add(
                client
                    .exchange_code_with(
                        &creds,
                        &Secret::new(CODE),
                        "https://app.example/cb",
                        Some(&verifier),
                    )
                    .await,
            );
            shown.add(client.refresh_token(&creds, &Secret::new(REFRESH)).await);
            shown.add(client.client_credentials(&creds, Some("identify")).await);
            shown.add(client.introspect(&creds, &Secret::new(ACCESS)).await);
            shown.add(
                client
                    .revoke(&creds, &Secret::new(REFRESH), TokenKind::RefreshToken)
                    .await,
            );
            // The token manager's refresh path.
            let answer: types::OAuth2TokenResponse = serde_json::from_value(serde_json::json!({
                "access_token": ACCESS, "refresh_token": REFRESH, "token_type": "Bearer",
                "expires_in": 0, "scope": "identify",
            }))
            .unwrap();
            let manager = TokenManager::builder(
                client.clone(),
                creds.clone(),
                Arc::new(MemoryStore::new()),
                Some(TokenSet::from_response(answer, SystemTime::now())),
            )
            .build()
            .await
            .unwrap();
            shown.add(manager.access_token().await);
            shown.add(manager.get_json::<serde_json::Value>("/users/@me").await);
        }
    }
}
