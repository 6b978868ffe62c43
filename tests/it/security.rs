//! Security checks: the callback's state, insecure redirect URIs and base URLs, where the
//! `Authorization` header goes (never on operations that take no credential, never to another host
//! through a redirect, never with the wrong operation), and HTTP Basic client authentication with
//! secrets that hold `:`, `%` and non-ASCII characters.

use std::{
    collections::BTreeSet,
    net::Ipv4Addr,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use crate::common::{
    bounded_by,
    emulator::{
        REDIRECT_URI, authorize_request, builder, builder_for, consent_body, create_app, exchange,
        session, tokens,
    },
    lock,
    raw_server::{RawRequest, RawServer, Reply, Seen, read_request},
};
use base64::Engine as _;
use fluxer_oauth2::{
    Credential, Error, FluxerClient, OperationSpec, Secret,
    oauth::{
        AuthorizeError, AuthorizeUrl, Callback, CallbackError, ClientAuth, ClientCredentials,
        CsrfState, MemoryStore, RedirectUri, Scope, TokenKind, TokenManager, TokenSet, UrlError,
    },
    types,
};
use fluxer_oauth2_emulator::Emulator;
use tokio::io::AsyncWriteExt;

const LIMIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// State.
// ---------------------------------------------------------------------------------------------

/// A real consent: the code is released only for the state this session sent; a callback with
/// another state, none, an empty one or two of them is refused.
#[tokio::test]
async fn the_code_is_released_only_for_the_state_that_was_sent() {
    bounded_by(LIMIT, async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "State check", &[REDIRECT_URI]).await;
        let request = authorize_request(&alice, &app.id, &[Scope::Identify]);

        // The server's answer, as the browser would carry it back.
        let answer = alice
            .provide_oauth2_consent()
            .body(consent_body(&request))
            .send()
            .await
            .expect("consent is given");
        let redirect = answer.redirect_to.expose_secret().to_owned();
        assert!(
            redirect.contains("state="),
            "the redirect carries the state"
        );

        // Forged or stale: another state.
        for other in [
            CsrfState::generate(),
            CsrfState::new(format!("{}x", request.state.expose_secret())),
            CsrfState::new(request.state.expose_secret().to_uppercase()),
            CsrfState::new(""),
        ] {
            assert_eq!(
                Callback::finish(&redirect, &other).unwrap_err(),
                CallbackError::StateMismatch
            );
        }
        // Stripped of its state, or with an empty one.
        let code = Callback::parse(&redirect)
            .expect("a callback")
            .verify_state(&request.state)
            .expect("the right state releases the code");
        let bare = format!("{}?code={}", REDIRECT_URI, code.expose_secret());
        assert_eq!(
            Callback::finish(&bare, &request.state).unwrap_err(),
            CallbackError::StateMissing
        );
        assert_eq!(
            Callback::finish(&format!("{bare}&state="), &request.state).unwrap_err(),
            CallbackError::StateMissing
        );
        // Two states (one of them right) smell of tampering.
        let twice = format!("{redirect}&state={}", request.state.expose_secret());
        assert_eq!(
            Callback::finish(&twice, &request.state).unwrap_err(),
            CallbackError::DuplicateParameter { name: "state" }
        );
        // The refusals never show the code or the state.
        for err in [
            CallbackError::StateMismatch,
            CallbackError::StateMissing,
            CallbackError::DuplicateParameter { name: "state" },
        ] {
            let shown = format!("{err} {err:?}");
            assert!(!shown.contains(code.expose_secret()));
            assert!(!shown.contains(request.state.expose_secret()));
            assert!(shown.contains("state"), "{shown}");
        }
        // The code released for the right state is good for exactly one exchange.
        let anonymous = alice.with_credential(None);
        exchange(&anonymous, &app.credentials(), &code, &request)
            .await
            .expect("the code is exchanged");
        emu.shutdown().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Insecure URLs.
// ---------------------------------------------------------------------------------------------

/// Redirect URIs the client refuses itself: plain http to another machine, other schemes,
/// fragments, embedded credentials.
const INSECURE_REDIRECTS: [&str; 7] = [
    "http://app.example/callback",
    "http://localhost.evil.example/callback",
    "http://127.0.0.1.nip.io/callback",
    "javascript:alert(1)",
    "ftp://app.example/callback",
    "https://app.example/callback#fragment",
    "https://user:pass@app.example/callback",
];

/// Loopback redirect URIs are allowed over plain http.
const LOOPBACK_REDIRECTS: [&str; 4] = [
    "http://127.0.0.1:8765/callback",
    "http://localhost:3000/callback",
    "http://[::1]:8080/callback",
    "http://dev.localhost/callback",
];

#[tokio::test]
async fn insecure_redirect_uris_are_refused_before_anything_is_sent() {
    bounded_by(LIMIT, async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "Redirects", &[REDIRECT_URI]).await;
        let anonymous = alice.with_credential(None);
        emu.clear_requests();
        for uri in INSECURE_REDIRECTS {
            // Create and update bodies hold typed redirect URIs, so neither can carry this one:
            // the type refuses it.
            let parsed = RedirectUri::parse(uri);
            assert!(parsed.is_err(), "create or update with {uri}: {parsed:?}");
            let built = AuthorizeUrl::new(alice.base_url(), &app.id, uri)
                .scope(Scope::Identify)
                .build();
            assert!(
                matches!(built, Err(AuthorizeError::RedirectUri(_))),
                "authorize with {uri}: {built:?}"
            );
            let exchanged = anonymous
                .exchange_code_with(&app.credentials(), &Secret::new("code"), uri, None)
                .await;
            assert!(
                matches!(exchanged, Err(Error::InvalidInput { .. })),
                "exchange with {uri}: {exchanged:?}"
            );
        }
        assert_eq!(
            emu.requests().len(),
            0,
            "nothing was sent for an insecure redirect URI"
        );
        let err = AuthorizeUrl::new(alice.base_url(), &app.id, INSECURE_REDIRECTS[0])
            .scope(Scope::Identify)
            .build()
            .unwrap_err();
        assert_eq!(err, AuthorizeError::RedirectUri(UrlError::InsecureHttp));
        assert!(err.to_string().contains("use https"), "{err}");

        for uri in LOOPBACK_REDIRECTS {
            AuthorizeUrl::new(alice.base_url(), &app.id, uri)
                .scope(Scope::Identify)
                .build()
                .unwrap_or_else(|e| panic!("{uri} is allowed: {e}"));
        }
        emu.shutdown().await;
    })
    .await;
}

#[test]
fn plain_http_base_urls_are_refused_unless_loopback() {
    for refused in [
        "http://api.example/v1",
        "http://10.0.0.1/v1",
        "http://192.168.1.10/v1",
        "http://0.0.0.0:8080/v1",
        "http://localhost.evil.example/v1",
        "http://127.0.0.1.nip.io/v1",
        "ftp://api.example/v1",
        "api.fluxer.app/v1",
        "http://user:pass@127.0.0.1:1/v1",
        "https://user@api.example/v1",
    ] {
        let err = FluxerClient::builder()
            .base_url(refused)
            .build()
            .expect_err(refused);
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    operation: "FluxerClientBuilder::base_url",
                    ..
                }
            ),
            "{refused}: {err:?}"
        );
        if refused.starts_with("http://") && !refused.contains('@') {
            assert!(err.to_string().contains("use https"), "{err}");
        }
    }
    for allowed in [
        "https://api.example/v1",
        "http://127.0.0.1:1/v1",
        "http://127.0.0.2:1/v1",
        "http://localhost:1/v1",
        "http://dev.localhost/v1",
        "http://[::1]:1/v1",
    ] {
        FluxerClient::builder()
            .base_url(allowed)
            .build()
            .unwrap_or_else(|e| panic!("{allowed} is allowed: {e}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Where the Authorization header goes.
// ---------------------------------------------------------------------------------------------

/// The operations that take no credential, as the spec says: the client must send no
/// `Authorization` on them whatever credential it holds (Basic client authentication only when a
/// token call asks for it).
#[tokio::test]
async fn operations_without_security_carry_no_credential() {
    bounded_by(LIMIT, async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "No credential", &[REDIRECT_URI]).await;
        let pair = tokens(&alice, &app, &[Scope::Identify]).await;
        let credentials = app.credentials();

        // The operations any client may call: those that take no credential, and the token,
        // introspect and revoke endpoints, whose only credential is the client's own (in the form
        // body here, or as Basic below).
        let no_security: BTreeSet<&str> = OperationSpec::all()
            .iter()
            .filter(|op| op.anonymous)
            .map(|op| op.id)
            .collect();
        let exercised: BTreeSet<&str> = [
            "get_public_application",
            "exchange_oauth2_token",
            "introspect_oauth2_token",
            "revoke_oauth2_token",
            "login_password",
            "login_mfa_totp",
            "login_mfa_webauthn",
            "login_mfa_webauthn_authentication_options",
            "start_sso",
            "complete_sso",
            "get_sso_status",
            "get_instance_document",
        ]
        .into();
        assert_eq!(
            no_security, exercised,
            "every operation without security is exercised here"
        );

        let holders = [
            ("session", alice.clone()),
            (
                "bot",
                alice.with_credential(Credential::Bot(app.bot_token.clone())),
            ),
            (
                "bearer",
                alice.with_credential(Credential::Bearer(pair.access_token.clone())),
            ),
            ("none", alice.with_credential(None)),
        ];
        emu.clear_requests();
        for (kind, client) in &holders {
            client
                .get_public_application()
                .id(&app.id)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            client
                .introspect(&credentials, &pair.access_token)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let refused = client
                .refresh_token(&credentials, &Secret::new("garbage"))
                .await;
            assert!(
                matches!(refused, Err(Error::OAuth { .. })),
                "{kind}: {refused:?}"
            );
            let refused = client
                .exchange_code_with(&credentials, &Secret::new("garbage"), REDIRECT_URI, None)
                .await;
            assert!(
                matches!(refused, Err(Error::OAuth { .. })),
                "{kind}: {refused:?}"
            );
            client
                .revoke(
                    &credentials,
                    &Secret::new("not-a-token"),
                    TokenKind::AccessToken,
                )
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            // The login and SSO operations: refused by the server (unknown account, bad ticket,
            // SSO disabled), but sent, and without the client's credential.
            let answered = |what: &str, result: Result<(), Error>| match result {
                Err(e) if e.status().is_some() => {}
                other => panic!("{kind}: {what} is answered by the server: {other:?}"),
            };
            answered(
                "login_password",
                client
                    .login_password()
                    .body(
                        types::LoginRequest::builder()
                            .email("nobody@example.com")
                            .password(Secret::new("not-the-password")),
                    )
                    .send()
                    .await
                    .map(drop),
            );
            answered(
                "login_mfa_totp",
                client
                    .login_mfa_totp()
                    .body(
                        types::MfaTotpRequest::builder()
                            .ticket(Secret::new("not-a-ticket"))
                            .code(Secret::new("123456")),
                    )
                    .send()
                    .await
                    .map(drop),
            );
            answered(
                "login_mfa_webauthn",
                client
                    .login_mfa_webauthn()
                    .body(
                        types::MfaWebAuthnRequest::builder()
                            .ticket(Secret::new("not-a-ticket"))
                            .challenge(Secret::new("not-a-challenge"))
                            .response(serde_json::Map::new()),
                    )
                    .send()
                    .await
                    .map(drop),
            );
            answered(
                "login_mfa_webauthn_authentication_options",
                client
                    .login_mfa_webauthn_authentication_options()
                    .body(types::MfaTicketRequest::builder().ticket(Secret::new("not-a-ticket")))
                    .send()
                    .await
                    .map(drop),
            );
            answered(
                "start_sso",
                client
                    .start_sso()
                    .body(types::SsoStartRequest::builder())
                    .send()
                    .await
                    .map(drop),
            );
            answered(
                "complete_sso",
                client
                    .complete_sso()
                    .body(
                        types::SsoCompleteRequest::builder()
                            .code(Secret::new("not-a-code"))
                            .state(Secret::new("not-a-state")),
                    )
                    .send()
                    .await
                    .map(drop),
            );
            client
                .get_sso_status()
                .send()
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            client
                .get_instance_document()
                .send()
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
        let requests = emu.requests();
        assert_eq!(requests.len(), holders.len() * 13);
        for r in &requests {
            assert_eq!(
                r.header("authorization"),
                None,
                "{} {} carried a credential",
                r.method,
                r.path
            );
        }

        // With Basic client authentication the only Authorization is the Basic one.
        emu.clear_requests();
        let basic = credentials.clone().with_auth(ClientAuth::Basic);
        for (kind, client) in &holders {
            let answer = client
                .introspect(&basic, &pair.access_token)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert!(answer.active, "the emulator accepts the Basic header");
        }
        for r in emu.requests() {
            let values: Vec<_> = r
                .headers
                .iter()
                .filter(|(n, _)| n == "authorization")
                .collect();
            assert_eq!(values.len(), 1, "exactly one Authorization");
            assert!(values[0].1.starts_with("Basic "), "{:?}", values[0].1);
            assert_eq!(r.form_field("client_secret"), None);
        }
        emu.shutdown().await;
    })
    .await;
}

/// A credential is refused, with nothing sent, by an operation that does not take it.
#[tokio::test]
async fn a_credential_is_never_sent_to_an_operation_that_does_not_take_it() {
    bounded_by(LIMIT, async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "Wrong credential", &[REDIRECT_URI]).await;
        let bot = alice.with_credential(Credential::Bot(app.bot_token.clone()));
        let bearer = alice.with_credential(Credential::Bearer(Secret::new("access")));
        emu.clear_requests();
        let refusals = [
            alice.get_current_user_applications().send().await.map(drop),
            alice.get_oauth2_userinfo().send().await.map(drop),
            bot.list_user_applications().send().await.map(drop),
            bot.get_oauth2_userinfo().send().await.map(drop),
            bearer.list_user_applications().send().await.map(drop),
            bearer
                .get_current_user_applications()
                .send()
                .await
                .map(drop),
            bearer
                .delete_oauth_application()
                .id(&app.id)
                .sudo(None)
                .send()
                .await
                .map(drop),
        ];
        for refusal in refusals {
            match refusal {
                Err(Error::CredentialNotAccepted { operation, .. }) => {
                    assert!(!operation.is_empty())
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        assert!(emu.requests().is_empty(), "nothing was sent");
        emu.shutdown().await;
    })
    .await;
}

/// A server on 127.0.0.1 that answers every request with `status` and a `Location` on another
/// host (127.0.0.2, a second listener): the client follows no redirect, the second listener
/// receives nothing, and each call ends in a typed error after exactly one request.
#[tokio::test]
async fn no_credential_follows_a_redirect_to_another_host() {
    bounded_by(LIMIT, async {
        let elsewhere_seen: Seen = Arc::default();
        let seen = elsewhere_seen.clone();
        let elsewhere = RawServer::answering(Ipv4Addr::new(127, 0, 0, 2), move |_, request| {
            lock(&seen).push(request);
            Reply::new(200, "application/json", "{}")
        })
        .await;
        let target = elsewhere.addr;
        let status = Arc::new(Mutex::new(302u16));
        let first_seen: Seen = Arc::default();
        let (seen, which) = (first_seen.clone(), status.clone());
        let first = RawServer::start(Ipv4Addr::LOCALHOST, move |_, mut stream| {
            let (seen, which) = (seen.clone(), which.clone());
            async move {
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                let path = request.line.split(' ').nth(1).unwrap_or("/").to_owned();
                lock(&seen).push(request);
                let status = *lock(&which);
                let head = format!(
                    "HTTP/1.1 {status} Moved\r\nlocation: http://{target}{path}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        })
        .await;

        let base = builder_for(&first.base_url()).build().expect("a client");
        let bot = base.with_credential(Credential::bot("1574449618593251330.bot-secret-value"));
        let bearer = base.with_credential(Credential::bearer("access-token-value"));
        let user = base.with_credential(Credential::session("flx_session-token-value"));
        let credentials = ClientCredentials::new("1574449618593251330", "client-secret-value")
            .expect("an id");
        let basic = credentials.clone().with_auth(ClientAuth::Basic);
        let manager = TokenManager::builder(
            base.clone(),
            credentials.clone(),
            Arc::new(MemoryStore::new()),
            Some(token_set()),
        )
        .build()
        .await
        .expect("a manager");

        let mut calls = 0;
        for code in [301u16, 302, 303, 307, 308] {
            *lock(&status) = code;
            let results: Vec<(&str, Result<(), Error>)> = vec![
                (
                    "get_current_user_applications",
                    bot.get_current_user_applications().send().await.map(drop),
                ),
                (
                    "get_oauth2_userinfo",
                    bearer.get_oauth2_userinfo().send().await.map(drop),
                ),
                (
                    "list_user_applications",
                    user.list_user_applications().send().await.map(drop),
                ),
                (
                    "introspect_oauth2_token",
                    base.introspect(&basic, &Secret::new("token-value"))
                        .await
                        .map(drop),
                ),
                (
                    "exchange_oauth2_token",
                    base.refresh_token(&credentials, &Secret::new("refresh-token-value"))
                        .await
                        .map(drop),
                ),
                (
                    "TokenManager::get_json",
                    manager
                        .get_json::<serde_json::Value>("/users/@me")
                        .await
                        .map(drop),
                ),
            ];
            for (op, result) in results {
                calls += 1;
                let err = result.expect_err("a redirect is not followed");
                assert_eq!(err.status(), Some(code), "{op}: {err:?}");
                let shown = err.to_string();
                assert!(shown.starts_with(op), "{shown}");
                println!("{code} on {op}: {shown}");
            }
        }
        assert_eq!(
            lock(&first_seen).len(),
            calls,
            "each call sent exactly one request"
        );
        // Each credential did reach the configured host.
        let sent: Vec<String> = lock(&first_seen)
            .iter()
            .filter_map(|r| r.header("authorization"))
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect();
        assert!(sent.iter().any(|v| v.starts_with("Bot ")));
        assert!(sent.iter().any(|v| v.starts_with("Bearer ")));
        assert!(sent.iter().any(|v| v.starts_with("flx_")));
        assert!(sent.iter().any(|v| v.starts_with("Basic ")));
        assert_eq!(elsewhere.accepted(), 0, "the other host received nothing");
        assert!(lock(&elsewhere_seen).is_empty());
    })
    .await;
}

/// A redirect is refused for good reasons, but the message only says the answer could not be
/// decoded; it should say that the server redirected and that the base URL is probably wrong.
#[tokio::test]
async fn a_redirect_says_that_the_server_redirected() {
    bounded_by(LIMIT, async {
        let server = RawServer::start(Ipv4Addr::LOCALHOST, |_, mut stream| async move {
            let _ = read_request(&mut stream).await;
            let _ = stream
                .write_all(b"HTTP/1.1 302 Found\r\nlocation: https://elsewhere.example/v1/users/@me\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        })
        .await;
        let bearer = builder_for(&server.base_url())
            .credential(Credential::bearer("access-token-value"))
            .build()
            .expect("a client");
        let err = bearer.get_oauth2_userinfo().send().await.expect_err("a redirect");
        let shown = err.to_string();
        assert!(shown.contains("redirect"), "{shown}");
        assert!(shown.contains("base URL"), "{shown}");
    })
    .await;
}

fn token_set() -> TokenSet {
    let response: types::OAuth2TokenResponse = serde_json::from_value(serde_json::json!({
        "access_token": "access-token-value",
        "refresh_token": "refresh-token-value",
        "token_type": "Bearer",
        "expires_in": 604800,
        "scope": "identify",
    }))
    .expect("a token response");
    TokenSet::from_response(response, SystemTime::now())
}

/// The manager's escape hatch takes paths relative to the API only: anything that could lead the
/// access token to another host is refused before any traffic.
#[tokio::test]
async fn the_bearer_escape_hatch_stays_on_the_api() {
    bounded_by(LIMIT, async {
        let elsewhere = RawServer::answering(Ipv4Addr::new(127, 0, 0, 2), |_, _| {
            Reply::new(200, "application/json", "{}")
        })
        .await;
        let emu = Emulator::start().await;
        let base = builder(&emu).build().expect("a client");
        let credentials =
            ClientCredentials::new("1574449618593251330", "client-secret-value").expect("an id");
        let manager = TokenManager::builder(
            base,
            credentials,
            Arc::new(MemoryStore::new()),
            Some(token_set()),
        )
        .build()
        .await
        .expect("a manager");
        let other = elsewhere.addr;
        for path in [
            format!("//{other}/v1/users/@me"),
            format!("http://{other}/v1/users/@me"),
            format!("https://{other}/v1/users/@me"),
            format!("/\\{other}/users/@me"),
            "users/@me".to_owned(),
            "/../../users/@me".to_owned(),
            "/%2e%2e/users/@me".to_owned(),
            "/users/@me#x".to_owned(),
            "/users/@me \r\nHost: evil".to_owned(),
            format!("@{other}/users/@me"),
        ] {
            let result = manager.get_json::<serde_json::Value>(&path).await;
            match result {
                Err(Error::InvalidInput { .. }) => {}
                other => panic!("{path:?} must be refused before any traffic, got {other:?}"),
            }
        }
        assert_eq!(elsewhere.accepted(), 0, "the other host received nothing");
        assert!(emu.requests().is_empty(), "nothing was sent at all");
        emu.shutdown().await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------------
// Basic client authentication.
// ---------------------------------------------------------------------------------------------

/// Secrets with the characters that break naive encodings.
const AWKWARD_SECRETS: [&str; 6] = [
    "a:b:c",
    "100%25%",
    "pässwörd-秘密-🔑",
    "with space+plus&amp=eq",
    "trailing=",
    "x",
];

/// A raw server that records every request and answers the token, introspect and revoke calls.
async fn token_endpoint(seen: Seen) -> RawServer {
    RawServer::answering(Ipv4Addr::LOCALHOST, move |_, request| {
        let body: &[u8] = if request.line.contains("/oauth2/introspect") {
            br#"{"active":false}"#
        } else if request.line.contains("/oauth2/token/revoke") {
            b""
        } else {
            br#"{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":3600,"scope":"identify"}"#
        };
        lock(&seen).push(request);
        Reply::new(200, "application/json", body)
    })
    .await
}

fn basic_pair(request: &RawRequest) -> Vec<u8> {
    let values: Vec<_> = request
        .headers
        .iter()
        .filter(|(n, _)| n == "authorization")
        .collect();
    assert_eq!(values.len(), 1, "exactly one Authorization: {request:?}");
    let value = std::str::from_utf8(&values[0].1).expect("an ASCII header");
    let encoded = value.strip_prefix("Basic ").expect("a Basic header");
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("standard base64 with padding")
}

#[tokio::test]
async fn basic_client_auth_sends_the_raw_id_and_secret() {
    bounded_by(LIMIT, async {
        let seen: Seen = Arc::default();
        let server = token_endpoint(seen.clone()).await;
        let client = builder_for(&server.base_url()).build().expect("a client");
        let id = "1574449618593251330";
        for secret in AWKWARD_SECRETS {
            for auth in [ClientAuth::Basic, ClientAuth::Body] {
                lock(&seen).clear();
                let credentials = ClientCredentials::new(id, secret)
                    .expect("an id")
                    .with_auth(auth);
                client
                    .introspect(&credentials, &Secret::new("tok"))
                    .await
                    .expect("introspect");
                client
                    .refresh_token(&credentials, &Secret::new("refresh"))
                    .await
                    .expect("refresh");
                client
                    .revoke(&credentials, &Secret::new("tok"), TokenKind::RefreshToken)
                    .await
                    .expect("revoke");
                let requests = lock(&seen).clone();
                assert_eq!(requests.len(), 3);
                for request in &requests {
                    let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
                        .into_owned()
                        .collect();
                    let field =
                        |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
                    match auth {
                        ClientAuth::Basic => {
                            // The server does not URL-decode the pair: the raw bytes go in.
                            assert_eq!(
                                basic_pair(request),
                                format!("{id}:{secret}").into_bytes(),
                                "{secret:?} on {}",
                                request.line
                            );
                            assert_eq!(field("client_id"), None);
                            assert_eq!(field("client_secret"), None);
                        }
                        ClientAuth::Body => {
                            assert_eq!(request.header("authorization"), None);
                            assert_eq!(field("client_id").as_deref(), Some(id));
                            assert_eq!(
                                field("client_secret").as_deref(),
                                Some(secret),
                                "the form carries the secret intact: {:?}",
                                String::from_utf8_lossy(&request.body)
                            );
                        }
                    }
                }
            }
        }
        println!(
            "basic/body client auth: {} secrets x 2 ways x 3 calls checked byte for byte",
            AWKWARD_SECRETS.len()
        );
    })
    .await;
}
