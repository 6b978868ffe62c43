//! The authorization-code flow against the emulator, through the crate's public API: the authorize
//! URL, consent, the callback's state check, the code exchange (PKCE S256, plain, none), refresh,
//! userinfo and `@me`, introspection, revocation, client authentication in the body and as HTTP Basic,
//! the refused `client_credentials` grant and access-token expiry.

use std::time::{Duration, SystemTime};

use crate::common::{
    assert_api, assert_missing_scope, assert_not_accepted, bounded,
    emulator::{
        App, REDIRECT_URI, anonymous, authorize_request, bearer, code_for, create_app, exchange,
        json_body, last_request, requests_to, session, tokens,
    },
};
use base64::Engine as _;
use fluxer_oauth2::{
    ApiErrorCode, Credential, CredentialKind, Error, FluxerClient, OAuthErrorKind, Secret,
    oauth::{
        AuthorizeUrl, CallbackError, ClientAuth, ClientCredentials, CsrfState, PkceMethod,
        PkceVerifier, Scope, TokenKind,
    },
    types,
};
use fluxer_oauth2_emulator::Emulator;

fn assert_oauth(err: &Error, kind: OAuthErrorKind) {
    match err {
        Error::OAuth {
            status, kind: k, ..
        } => {
            assert_eq!(
                *status, 400,
                "OAuth2 errors are 400, even invalid_client: {err}"
            );
            assert_eq!(k, &kind, "{err}");
        }
        other => panic!("expected Error::OAuth {kind:?}, got {other:?}"),
    }
}

/// The wording differs by route: a wrong secret is "Invalid client_secret" at the token and revoke
/// endpoints but "Invalid client credentials" at introspection, as is an unknown client everywhere.
fn assert_description(err: &Error, expected: &str) {
    match err {
        Error::OAuth { description, .. } => assert_eq!(description.as_deref(), Some(expected)),
        other => panic!("expected Error::OAuth, got {other:?}"),
    }
}

async fn setup() -> (Emulator, FluxerClient, FluxerClient, App) {
    let emu = Emulator::start().await;
    let alice = session(&emu, &emu.alice());
    let anon = anonymous(&emu);
    let app = create_app(&alice, "Flow app", &[REDIRECT_URI]).await;
    (emu, alice, anon, app)
}

#[tokio::test]
async fn code_flow_with_pkce_s256() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        let request = authorize_request(&alice, &app.id, &[Scope::Identify, Scope::Email]);
        let url = request.url.as_str();
        assert!(url.starts_with(&format!("{}/oauth2/authorize?", emu.base_url())));
        let query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("client_id"), Some(app.id.as_str()));
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("scope"), Some("identify email"));
        assert_eq!(get("redirect_uri"), Some(REDIRECT_URI));
        assert_eq!(get("state"), Some(request.state.expose_secret()));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        let verifier = request
            .pkce_verifier
            .as_ref()
            .expect("PKCE is on by default");
        assert_eq!(
            get("code_challenge"),
            Some(verifier.challenge(PkceMethod::S256).value.as_str())
        );

        let code = code_for(&alice, &request).await;
        let consent = last_request(&emu, "POST", "/oauth2/authorize/consent");
        let body = json_body(&consent);
        assert_eq!(body["code_challenge_method"], "S256");
        assert_eq!(body["redirect_uri"], REDIRECT_URI);

        let tokens = exchange(&anon, &app.credentials(), &code, &request)
            .await
            .unwrap();
        assert_eq!(tokens.token_type, "Bearer");
        assert_eq!(tokens.scope, "identify email");
        assert!(tokens.has_scope("identify") && tokens.has_scope("email"));
        assert!(!tokens.has_scope("guilds"));
        assert_eq!(tokens.expires_in, Duration::from_secs(604_800));
        assert!(!tokens.expires_within(Duration::from_secs(3600), SystemTime::now()));
        assert_eq!(tokens.access_token.len(), 43);
        assert_eq!(tokens.refresh_token.len(), 43);

        // The exchange went as a form, credentials in the body, no Authorization header.
        let sent = last_request(&emu, "POST", "/oauth2/token");
        assert!(
            sent.header("content-type")
                .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded")),
            "{:?}",
            sent.header("content-type")
        );
        assert_eq!(sent.header("authorization"), None);
        assert_eq!(
            sent.form_field("grant_type").as_deref(),
            Some("authorization_code")
        );
        assert_eq!(
            sent.form_field("client_id").as_deref(),
            Some(app.id.as_str())
        );
        assert_eq!(
            sent.form_field("client_secret").as_deref(),
            Some(app.secret.expose_secret())
        );
        assert_eq!(
            sent.form_field("redirect_uri").as_deref(),
            Some(REDIRECT_URI)
        );
        assert_eq!(
            sent.form_field("code_verifier").as_deref(),
            Some(verifier.expose_secret())
        );
        assert_eq!(emu.count_token_requests("authorization_code"), 1);

        // The token works.
        let me = bearer(&anon, &tokens.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap();
        assert_eq!(me.id.as_str(), emu.alice().id);
    })
    .await;
}

#[tokio::test]
async fn code_flow_with_pkce_plain_and_without_pkce() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;

        let plain = AuthorizeUrl::new(alice.base_url(), &app.id, REDIRECT_URI)
            .scope(Scope::Identify)
            .pkce(PkceMethod::Plain)
            .build()
            .unwrap();
        let verifier = plain.pkce_verifier.as_ref().unwrap();
        assert!(plain.url.as_str().contains("code_challenge_method=plain"));
        let code = code_for(&alice, &plain).await;
        // The wrong verifier fails for plain too.
        let err = anon
            .exchange_code_with(
                &app.credentials(),
                &code,
                plain.redirect_uri.normalized(),
                Some(&PkceVerifier::generate()),
            )
            .await
            .unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidGrant);
        let tokens = anon
            .exchange_code_with(
                &app.credentials(),
                &code,
                plain.redirect_uri.normalized(),
                Some(verifier),
            )
            .await
            .unwrap();
        assert_eq!(tokens.scope, "identify");

        let none = AuthorizeUrl::new(alice.base_url(), &app.id, REDIRECT_URI)
            .scope(Scope::Identify)
            .no_pkce()
            .build()
            .unwrap();
        assert!(none.pkce_verifier.is_none());
        assert!(!none.url.as_str().contains("code_challenge"));
        let code = code_for(&alice, &none).await;
        let tokens = anon
            .exchange_code_with(&app.credentials(), &code, REDIRECT_URI, None)
            .await
            .unwrap();
        assert_eq!(tokens.scope, "identify");
        let sent = last_request(&emu, "POST", "/oauth2/token");
        assert_eq!(
            sent.form_field("code_verifier"),
            None,
            "no verifier is sent"
        );
    })
    .await;
}

#[tokio::test]
async fn a_failed_exchange_does_not_spend_the_code_and_reuse_after_success_is_invalid_grant() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        let other = create_app(&alice, "Other app", &[REDIRECT_URI]).await;
        let request = authorize_request(&alice, &app.id, &[Scope::Identify]);
        let code = code_for(&alice, &request).await;
        let verifier = request.pkce_verifier.as_ref();
        let creds = app.credentials();

        let wrong_verifier = PkceVerifier::generate();
        let attempts: Vec<(&str, Error)> = vec![
            (
                "wrong verifier",
                anon.exchange_code_with(&creds, &code, REDIRECT_URI, Some(&wrong_verifier))
                    .await
                    .unwrap_err(),
            ),
            (
                "missing verifier",
                anon.exchange_code_with(&creds, &code, REDIRECT_URI, None)
                    .await
                    .unwrap_err(),
            ),
            (
                "other redirect URI",
                anon.exchange_code_with(&creds, &code, "https://app.example/other", verifier)
                    .await
                    .unwrap_err(),
            ),
            (
                "another application's credentials",
                anon.exchange_code_with(&other.credentials(), &code, REDIRECT_URI, verifier)
                    .await
                    .unwrap_err(),
            ),
        ];
        for (what, err) in &attempts {
            assert_oauth(err, OAuthErrorKind::InvalidGrant);
            assert!(
                err.to_string().contains("invalid_grant"),
                "{what}: the message names the error: {err}"
            );
        }
        let err = anon
            .exchange_code_with(
                &ClientCredentials::new(&app.id, "not-the-secret").unwrap(),
                &code,
                REDIRECT_URI,
                verifier,
            )
            .await
            .unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidClient);
        assert_description(&err, "Invalid client_secret");
        let err = anon
            .exchange_code_with(
                &ClientCredentials::new("999999999999999999", app.secret.clone()).unwrap(),
                &code,
                REDIRECT_URI,
                verifier,
            )
            .await
            .unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidClient);
        assert_description(&err, "Invalid client credentials");
        assert_eq!(emu.count_token_requests("authorization_code"), 6);

        // The code still redeems once after all of that.
        let tokens = anon
            .exchange_code_with(&creds, &code, REDIRECT_URI, verifier)
            .await
            .expect("the code survived the failed exchanges");
        assert_eq!(tokens.scope, "identify");
        let err = anon
            .exchange_code_with(&creds, &code, REDIRECT_URI, verifier)
            .await
            .unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidGrant);

        // A redirect URI the client cannot send is refused before anything goes out.
        let before = emu.count_requests("POST", "/oauth2/token");
        for bad in [
            "http://app.example/cb",
            "not a url",
            "https://app.example/cb#frag",
        ] {
            let err = anon
                .exchange_code_with(&creds, &code, bad, verifier)
                .await
                .unwrap_err();
            assert!(matches!(err, Error::InvalidInput { .. }), "{bad}: {err:?}");
        }
        assert_eq!(emu.count_requests("POST", "/oauth2/token"), before);
    })
    .await;
}

#[tokio::test]
async fn the_callback_state_check() {
    bounded(async {
        let (_emu, alice, _anon, app) = setup().await;
        let request = AuthorizeUrl::new(alice.base_url(), &app.id, REDIRECT_URI)
            .scope(Scope::Identify)
            .state(CsrfState::new("session-bound-state"))
            .build()
            .unwrap();
        let callback = alice.grant_consent(&request).await.unwrap();
        assert_eq!(
            callback
                .verify_state(&CsrfState::new("forged-state"))
                .unwrap_err(),
            CallbackError::StateMismatch
        );
        let code = alice
            .grant_consent(&request)
            .await
            .unwrap()
            .verify_state(&CsrfState::new("session-bound-state"))
            .unwrap();
        assert_eq!(code.len(), 43);
    })
    .await;
}

#[tokio::test]
async fn consent_errors() {
    bounded(async {
        let (emu, alice, _anon, app) = setup().await;
        let build = |client_id: &str, redirect: &str, scope: Scope| {
            AuthorizeUrl::new(alice.base_url(), client_id, redirect)
                .scope(scope)
                .build()
                .unwrap()
        };

        let unregistered = build(
            &app.id,
            "https://app.example/not-registered",
            Scope::Identify,
        );
        let err = alice.grant_consent(&unregistered).await.unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidRequest);
        let unknown_scope = build(&app.id, REDIRECT_URI, Scope::Other("voice".to_owned()));
        let err = alice.grant_consent(&unknown_scope).await.unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidScope);
        let unknown_client = build("999999999999999999", REDIRECT_URI, Scope::Identify);
        let err = alice.grant_consent(&unknown_client).await.unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidClient);

        // Consent needs a user session: a bot or no credential is refused before sending.
        let before = emu.count_requests("POST", "/oauth2/authorize/consent");
        let ok = build(&app.id, REDIRECT_URI, Scope::Identify);
        for client in [
            alice.with_credential(Credential::Bot(app.bot_token.clone())),
            alice.with_credential(None),
        ] {
            assert_not_accepted(client.grant_consent(&ok).await);
        }
        assert_eq!(
            emu.count_requests("POST", "/oauth2/authorize/consent"),
            before
        );
    })
    .await;
}

#[tokio::test]
async fn client_auth_basic_for_exchange_introspect_and_revoke() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        let basic = app.credentials().with_auth(ClientAuth::Basic);
        assert_eq!(basic.auth(), ClientAuth::Basic);
        let expected_header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                app.id,
                app.secret.expose_secret()
            ))
        );
        let check_sent = |path: &str| {
            let sent = last_request(&emu, "POST", path);
            assert_eq!(
                sent.header("authorization"),
                Some(expected_header.as_str()),
                "{path}"
            );
            assert_eq!(
                sent.form_field("client_id"),
                None,
                "{path}: not in the body too"
            );
            assert_eq!(sent.form_field("client_secret"), None, "{path}");
        };

        let request = authorize_request(&alice, &app.id, &[Scope::Identify]);
        let code = code_for(&alice, &request).await;
        let tokens = anon
            .exchange_code_with(&basic, &code, REDIRECT_URI, request.pkce_verifier.as_ref())
            .await
            .unwrap();
        check_sent("/oauth2/token");

        let refreshed = anon
            .refresh_token(&basic, &tokens.refresh_token)
            .await
            .unwrap();
        check_sent("/oauth2/token");

        let state = anon
            .introspect(&basic, &refreshed.access_token)
            .await
            .unwrap();
        assert!(state.active);
        check_sent("/oauth2/introspect");

        anon.revoke(&basic, &refreshed.access_token, TokenKind::AccessToken)
            .await
            .unwrap();
        check_sent("/oauth2/token/revoke");
        assert!(
            !anon
                .introspect(&basic, &refreshed.access_token)
                .await
                .unwrap()
                .active
        );

        // A session client sends Basic, never its session, on these operations.
        let state = alice
            .introspect(&basic, &tokens.access_token)
            .await
            .unwrap();
        assert!(!state.active);
        check_sent("/oauth2/introspect");

        // A wrong secret over Basic is invalid_client too.
        let wrong = ClientCredentials::new(&app.id, "wrong-secret")
            .unwrap()
            .with_auth(ClientAuth::Basic);
        let err = anon
            .introspect(&wrong, &tokens.access_token)
            .await
            .unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidClient);
        assert_description(&err, "Invalid client credentials");
    })
    .await;
}

#[tokio::test]
async fn a_bare_origin_redirect_uri_is_normalised_for_the_exchange() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let anon = anonymous(&emu);
        let app = create_app(&alice, "Bare app", &["https://bare.example"]).await;
        assert_eq!(
            app.created.redirect_uris,
            vec!["https://bare.example".to_owned()]
        );

        // Consent with the URI exactly as registered, as a consent page does.
        let consent = alice
            .provide_oauth2_consent()
            .body(
                types::AuthorizeConsentRequest::builder()
                    .client_id(app.id.as_str())
                    .scope("identify")
                    .response_type(Some("code".to_owned()))
                    .redirect_uri(Some("https://bare.example".try_into().unwrap()))
                    .state(Some("bare-state".try_into().unwrap())),
            )
            .send()
            .await
            .unwrap();
        assert!(
            consent
                .redirect_to
                .expose_secret()
                .starts_with("https://bare.example/?code="),
            "the server redirects to the normalised URI"
        );
        let code = fluxer_oauth2::oauth::Callback::finish(
            consent.redirect_to.expose_secret(),
            &CsrfState::new("bare-state"),
        )
        .unwrap();

        // The exchange is given the registered form; the client sends the normalised one.
        let tokens = anon
            .exchange_code_with(&app.credentials(), &code, "https://bare.example", None)
            .await
            .unwrap();
        assert_eq!(tokens.scope, "identify");
        let sent = last_request(&emu, "POST", "/oauth2/token");
        assert_eq!(
            sent.form_field("redirect_uri").as_deref(),
            Some("https://bare.example/")
        );
    })
    .await;
}

/// The server compares the consent's `redirect_uri` with the registered ones character for character
/// (a trailing-slash variant is `invalid_request`), and stores them verbatim. For an application
/// registered with a bare origin, the consent built from the authorize URL must therefore carry the
/// URI exactly as registered, and the code it yields must exchange.
#[tokio::test]
async fn the_authorize_url_works_for_a_bare_origin_registration() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let anon = anonymous(&emu);
        let app = create_app(&alice, "Bare app", &["https://bare.example"]).await;
        let request = AuthorizeUrl::new(alice.base_url(), &app.id, "https://bare.example")
            .scope(Scope::Identify)
            .build()
            .unwrap();
        // Consent for the registered URI succeeds: it names the URI as registered.
        let code = code_for(&alice, &request).await;
        let consent = json_body(&last_request(&emu, "POST", "/oauth2/authorize/consent"));
        assert_eq!(consent["redirect_uri"], "https://bare.example");
        let tokens = exchange(&anon, &app.credentials(), &code, &request)
            .await
            .unwrap();
        assert_eq!(tokens.scope, "identify");
    })
    .await;
}

#[tokio::test]
async fn userinfo_and_oauth2_me_follow_the_scopes() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        let alice_user = emu.alice();

        let full = tokens(&alice, &app, &[Scope::Identify, Scope::Email]).await;
        let me = bearer(&anon, &full.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap();
        assert_eq!(me.id.as_str(), alice_user.id);
        assert_eq!(me.sub.as_str(), alice_user.id);
        assert_eq!(me.username, "alice");
        assert_eq!(me.discriminator.len(), 4);
        assert_eq!(me.email.as_deref(), Some("alice@example.com"));
        assert_eq!(me.verified, Some(true));
        let grant = bearer(&anon, &full.access_token)
            .get_current_user_oauth2()
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(grant.application.id.as_str(), app.id);
        assert_eq!(
            grant.scopes,
            vec!["identify".to_owned(), "email".to_owned()]
        );
        let user = grant.user.expect("identify shows the user");
        assert_eq!(user.id.as_str(), alice_user.id);
        assert_eq!(user.email.as_deref(), Some("alice@example.com"));

        let identify = tokens(&alice, &app, &[Scope::Identify]).await;
        let me = bearer(&anon, &identify.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap();
        assert_eq!(me.id.as_str(), alice_user.id);
        assert_eq!(me.email, None);
        assert_eq!(me.verified, None);
        let grant = bearer(&anon, &identify.access_token)
            .get_current_user_oauth2()
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(grant.user.expect("identify shows the user").email, None);

        // Email only: @me answers without a user; userinfo needs identify.
        let email_only = tokens(&alice, &app, &[Scope::Email]).await;
        let grant = bearer(&anon, &email_only.access_token)
            .get_current_user_oauth2()
            .send()
            .await
            .unwrap();
        assert!(grant.user.is_none());
        assert_eq!(grant.scopes, vec!["email".to_owned()]);
        assert_eq!(grant.application.name, "Flow app");
        let err = bearer(&anon, &email_only.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap_err();
        assert_missing_scope(&err, "get_oauth2_userinfo", "identify");

        // Only an access token is accepted; the others are refused before sending.
        let before = emu.count_requests("GET", "/oauth2/userinfo");
        for client in [
            alice.clone(),
            alice.with_credential(Credential::Bot(app.bot_token.clone())),
            anon.clone(),
        ] {
            assert_not_accepted(client.get_oauth2_userinfo().send().await);
            let err = client.get_current_user_oauth2().send().await.unwrap_err();
            match err {
                Error::CredentialNotAccepted { accepted, .. } => {
                    assert_eq!(accepted, &[CredentialKind::Bearer][..])
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(emu.count_requests("GET", "/oauth2/userinfo"), before);
        // An access token the server does not know: 401.
        let err = bearer(&anon, &Secret::new("A".repeat(43)))
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 401, ApiErrorCode::Unauthorized);
    })
    .await;
}

#[tokio::test]
async fn refresh_rotates_the_pair_and_keeps_the_old_access_token() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        let first = tokens(&alice, &app, &[Scope::Identify, Scope::Email]).await;
        let second = anon
            .refresh_token(&app.credentials(), &first.refresh_token)
            .await
            .unwrap();
        assert_ne!(second.access_token, first.access_token);
        assert_ne!(second.refresh_token, first.refresh_token);
        assert_eq!(second.scope, "identify email");
        let sent = last_request(&emu, "POST", "/oauth2/token");
        assert_eq!(
            sent.form_field("grant_type").as_deref(),
            Some("refresh_token")
        );
        assert_eq!(emu.count_token_requests("refresh_token"), 1);

        let err = anon
            .refresh_token(&app.credentials(), &first.refresh_token)
            .await
            .unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidGrant);

        // The old access token stays valid; the new one works too.
        bearer(&anon, &first.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap();
        bearer(&anon, &second.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap();

        // Another application's credentials, a wrong secret, garbage.
        let other = create_app(&alice, "Other", &[]).await;
        assert_oauth(
            &anon
                .refresh_token(&other.credentials(), &second.refresh_token)
                .await
                .unwrap_err(),
            OAuthErrorKind::InvalidGrant,
        );
        assert_oauth(
            &anon
                .refresh_token(
                    &ClientCredentials::new(&app.id, "wrong").unwrap(),
                    &second.refresh_token,
                )
                .await
                .unwrap_err(),
            OAuthErrorKind::InvalidClient,
        );
        assert_oauth(
            &anon
                .refresh_token(&app.credentials(), &Secret::new("garbage"))
                .await
                .unwrap_err(),
            OAuthErrorKind::InvalidGrant,
        );
        // None of those spent the refresh token.
        anon.refresh_token(&app.credentials(), &second.refresh_token)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn introspect_access_refresh_and_garbage() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        let alice_user = emu.alice();
        let set = tokens(&alice, &app, &[Scope::Identify, Scope::Email]).await;
        let creds = app.credentials();

        let access = anon.introspect(&creds, &set.access_token).await.unwrap();
        assert!(access.active);
        assert_eq!(access.token_type.as_deref(), Some("Bearer"));
        assert_eq!(access.scope.as_deref(), Some("identify email"));
        assert_eq!(
            access.client_id.as_ref().map(|c| c.to_string()),
            Some(app.id.clone())
        );
        assert_eq!(
            access.sub.as_ref().map(|s| s.to_string()),
            Some(alice_user.id.clone())
        );
        let (iat, exp) = (access.iat.unwrap(), access.exp.unwrap());
        assert_eq!(exp - iat, 604_800);
        assert_eq!(access.username, None);

        let refresh = anon.introspect(&creds, &set.refresh_token).await.unwrap();
        assert!(refresh.active);
        assert_eq!(refresh.token_type.as_deref(), Some("refresh_token"));
        assert_eq!(refresh.exp, None, "refresh tokens have no exp");
        assert_eq!(
            refresh.sub.as_ref().map(|s| s.to_string()),
            Some(alice_user.id.clone())
        );

        let garbage = anon
            .introspect(&creds, &Secret::new("garbage-token"))
            .await
            .unwrap();
        assert!(!garbage.active);
        assert_eq!(garbage.sub, None);
        let session_token = Secret::new(alice_user.session_token.as_str());
        assert!(
            !anon
                .introspect(&creds, &session_token)
                .await
                .unwrap()
                .active
        );

        // Another application's view of the token: inactive.
        let other = create_app(&alice, "Other", &[]).await;
        assert!(
            !anon
                .introspect(&other.credentials(), &set.access_token)
                .await
                .unwrap()
                .active
        );
        let err = anon
            .introspect(
                &ClientCredentials::new(&app.id, "wrong").unwrap(),
                &set.access_token,
            )
            .await
            .unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidClient);
        assert_description(&err, "Invalid client credentials");
        let sent = last_request(&emu, "POST", "/oauth2/introspect");
        assert_eq!(sent.header("authorization"), None);
        assert_eq!(
            sent.form_field("token").as_deref(),
            Some(set.access_token.expose_secret())
        );
    })
    .await;
}

#[tokio::test]
async fn revoking_an_access_token_revokes_every_token_of_the_user_for_the_app() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        let bob = session(&emu, &emu.bob());
        let other = create_app(&alice, "Other", &[REDIRECT_URI]).await;
        let creds = app.credentials();
        let one = tokens(&alice, &app, &[Scope::Identify]).await;
        let two = tokens(&alice, &app, &[Scope::Identify, Scope::Email]).await;
        let bobs = tokens(&bob, &app, &[Scope::Identify]).await;
        let elsewhere = tokens(&alice, &other, &[Scope::Identify]).await;

        anon.revoke(&creds, &one.access_token, TokenKind::AccessToken)
            .await
            .unwrap();
        let sent = last_request(&emu, "POST", "/oauth2/token/revoke");
        assert_eq!(
            sent.form_field("token_type_hint").as_deref(),
            Some("access_token")
        );
        for token in [
            &one.access_token,
            &one.refresh_token,
            &two.access_token,
            &two.refresh_token,
        ] {
            assert!(!anon.introspect(&creds, token).await.unwrap().active);
        }
        let err = bearer(&anon, &two.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 401, ApiErrorCode::Unauthorized);
        assert_oauth(
            &anon
                .refresh_token(&creds, &two.refresh_token)
                .await
                .unwrap_err(),
            OAuthErrorKind::InvalidGrant,
        );
        // Another user's tokens and another application's stay.
        assert!(
            anon.introspect(&creds, &bobs.access_token)
                .await
                .unwrap()
                .active
        );
        assert!(
            anon.introspect(&other.credentials(), &elsewhere.access_token)
                .await
                .unwrap()
                .active
        );

        // Unknown and already revoked tokens: 200, nothing happens.
        anon.revoke(&creds, &Secret::new("unknown"), TokenKind::AccessToken)
            .await
            .unwrap();
        anon.revoke(&creds, &one.access_token, TokenKind::AccessToken)
            .await
            .unwrap();
        // Another application cannot revoke this application's tokens.
        anon.revoke(
            &other.credentials(),
            &bobs.access_token,
            TokenKind::AccessToken,
        )
        .await
        .unwrap();
        assert!(
            anon.introspect(&creds, &bobs.access_token)
                .await
                .unwrap()
                .active
        );
        // A wrong secret is refused.
        let err = anon
            .revoke(
                &ClientCredentials::new(&app.id, "wrong").unwrap(),
                &bobs.access_token,
                TokenKind::AccessToken,
            )
            .await
            .unwrap_err();
        assert_oauth(&err, OAuthErrorKind::InvalidClient);
        assert_description(&err, "Invalid client_secret");
        assert!(
            anon.introspect(&creds, &bobs.access_token)
                .await
                .unwrap()
                .active
        );
    })
    .await;
}

#[tokio::test]
async fn revoking_a_refresh_token_needs_the_refresh_hint() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        let creds = app.credentials();
        let set = tokens(&alice, &app, &[Scope::Identify]).await;

        // Called an access token, the server does not look it up among refresh tokens: 200, no effect.
        anon.revoke(&creds, &set.refresh_token, TokenKind::AccessToken)
            .await
            .unwrap();
        assert!(
            anon.introspect(&creds, &set.refresh_token)
                .await
                .unwrap()
                .active
        );

        anon.revoke(&creds, &set.refresh_token, TokenKind::RefreshToken)
            .await
            .unwrap();
        let sent = last_request(&emu, "POST", "/oauth2/token/revoke");
        assert_eq!(
            sent.form_field("token_type_hint").as_deref(),
            Some("refresh_token")
        );
        assert_eq!(
            sent.form_field("token").as_deref(),
            Some(set.refresh_token.expose_secret())
        );
        assert!(
            !anon
                .introspect(&creds, &set.refresh_token)
                .await
                .unwrap()
                .active
        );
        assert!(
            !anon
                .introspect(&creds, &set.access_token)
                .await
                .unwrap()
                .active
        );
        assert_oauth(
            &anon
                .refresh_token(&creds, &set.refresh_token)
                .await
                .unwrap_err(),
            OAuthErrorKind::InvalidGrant,
        );
        assert_eq!(requests_to(&emu, "POST", "/oauth2/token/revoke").len(), 2);
    })
    .await;
}

#[tokio::test]
async fn client_credentials_is_refused_as_an_invalid_form_body() {
    bounded(async {
        let (emu, _alice, anon, app) = setup().await;
        for creds in [
            app.credentials(),
            app.credentials().with_auth(ClientAuth::Basic),
        ] {
            let err = anon
                .client_credentials(&creds, Some("identify"))
                .await
                .unwrap_err();
            match &err {
                Error::Api {
                    status,
                    code,
                    errors,
                    ..
                } => {
                    assert_eq!(*status, 400);
                    assert_eq!(code, &ApiErrorCode::InvalidFormBody);
                    assert!(
                        errors.iter().any(|e| e.path == "grant_type"),
                        "a field error on grant_type: {errors:?}"
                    );
                }
                other => panic!("expected Error::Api INVALID_FORM_BODY, got {other:?}"),
            }
        }
        assert_eq!(emu.count_token_requests("client_credentials"), 2);
        let sent = last_request(&emu, "POST", "/oauth2/token");
        assert_eq!(sent.form_field("scope").as_deref(), Some("identify"));
    })
    .await;
}

#[tokio::test]
async fn an_expired_access_token_gets_401_and_the_refresh_token_still_works() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        emu.set_access_token_lifetime(Duration::from_secs(60));
        let set = tokens(&alice, &app, &[Scope::Identify]).await;
        assert_eq!(set.expires_in, Duration::from_secs(60));
        let user = bearer(&anon, &set.access_token);
        user.get_oauth2_userinfo().send().await.unwrap();
        let exp = anon
            .introspect(&app.credentials(), &set.access_token)
            .await
            .unwrap();
        assert_eq!(exp.exp.unwrap() - exp.iat.unwrap(), 60);

        emu.clock().advance(Duration::from_secs(61));
        let err = user.get_oauth2_userinfo().send().await.unwrap_err();
        assert_api(&err, 401, ApiErrorCode::Unauthorized);
        let err = user.get_current_user_oauth2().send().await.unwrap_err();
        assert_api(&err, 401, ApiErrorCode::Unauthorized);
        assert!(
            !anon
                .introspect(&app.credentials(), &set.access_token)
                .await
                .unwrap()
                .active
        );

        let renewed = anon
            .refresh_token(&app.credentials(), &set.refresh_token)
            .await
            .unwrap();
        bearer(&anon, &renewed.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn bot_scope_consent() {
    bounded(async {
        let (emu, alice, anon, app) = setup().await;
        let bob = session(&emu, &emu.bob());
        let bot_request = || {
            AuthorizeUrl::new(alice.base_url(), &app.id, REDIRECT_URI)
                .scope(Scope::Bot)
                .build()
                .unwrap()
        };

        // Bot-only consent without a required code grant: the server still answers with a code and
        // the state, so the code-flow helper gets a code.
        let consent = alice
            .provide_oauth2_consent()
            .body(
                types::AuthorizeConsentRequest::builder()
                    .client_id(app.id.as_str())
                    .scope("bot")
                    .redirect_uri(Some(REDIRECT_URI.try_into().unwrap()))
                    .state(Some("bot-state".try_into().unwrap())),
            )
            .send()
            .await
            .unwrap();
        let to = consent.redirect_to.expose_secret();
        assert!(
            to.starts_with(REDIRECT_URI) && to.contains("state=bot-state"),
            "{to}"
        );
        assert!(to.contains("code="), "{to}");
        let request = bot_request();
        let code = alice
            .grant_consent(&request)
            .await
            .expect("consent is given")
            .verify_state(&request.state)
            .expect("the callback carries a code and the state");
        assert_eq!(code.len(), 43);

        // With `bot_require_code_grant`, the bot scope goes through the code flow.
        alice
            .update_oauth_application()
            .id(&app.id)
            .body(types::ApplicationUpdateRequest::builder().bot_require_code_grant(Some(true)))
            .send()
            .await
            .unwrap();
        let request = bot_request();
        let code = code_for(&alice, &request).await;
        let set = anon
            .exchange_code_with(
                &app.credentials(),
                &code,
                REDIRECT_URI,
                request.pkce_verifier.as_ref(),
            )
            .await
            .unwrap();
        assert_eq!(set.scope, "bot");

        // A private bot may be authorized by its owner only.
        alice
            .update_oauth_application()
            .id(&app.id)
            .body(types::ApplicationUpdateRequest::builder().bot_public(Some(false)))
            .send()
            .await
            .unwrap();
        let err = bob.grant_consent(&bot_request()).await.unwrap_err();
        assert_api(&err, 403, ApiErrorCode::BotIsPrivate);
        code_for(&alice, &bot_request()).await;

        // A guild and a channel together are refused before anything is sent.
        let err = AuthorizeUrl::new(alice.base_url(), &app.id, REDIRECT_URI)
            .scope(Scope::Bot)
            .guild_id("1000000000000000001")
            .channel_id("1000000000000000002")
            .build()
            .unwrap_err();
        assert_eq!(err, fluxer_oauth2::oauth::AuthorizeError::GuildAndChannel);
        let before = emu.count_requests("POST", "/oauth2/authorize/consent");
        let err = alice
            .provide_oauth2_consent()
            .body(
                types::AuthorizeConsentRequest::builder()
                    .client_id(app.id.as_str())
                    .scope("bot")
                    .guild_id(Some("1000000000000000001".try_into().unwrap()))
                    .channel_id(Some("1000000000000000002".try_into().unwrap())),
            )
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        assert_eq!(
            emu.count_requests("POST", "/oauth2/authorize/consent"),
            before
        );
    })
    .await;
}
