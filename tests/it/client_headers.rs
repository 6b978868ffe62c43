//! What goes on the wire before the server says anything: the one `Authorization` header per
//! credential kind, no credential on the operations that take none, the `User-Agent`, and every refusal
//! that must happen before a single byte is sent (wrong credential, bad base URL, bad inputs).

use std::time::Duration;

use crate::common::{
    lock,
    raw_server::{RawServer, Seen},
    wire::{
        ACCESS_TOKEN, APP_ID, BOT_TOKEN, CLIENT_SECRET, CODE, OK_APPLICATIONS_ME_BOT,
        OK_INTROSPECT, OK_LIST_APPS, OK_TOKEN, REDIRECT, REFRESH_TOKEN, SESSION_TOKEN, client,
        empty_200, fixture, form_pairs, header_values, json, received,
    },
};
use base64::Engine as _;
use fluxer_oauth2::{
    ApplicationId, Credential, CredentialKind, Error, FluxerClient, Secret, SudoVerification,
    oauth::{ClientAuth, ClientCredentials, RedirectUri, TokenKind, UrlError},
    types,
};
use wiremock::{
    Mock, MockServer,
    matchers::{method, path},
};

const OK_USERINFO: &str = include_str!("../fixtures/error_bodies/ok_userinfo.json");
const OK_PUBLIC_APP: &str = include_str!("../fixtures/error_bodies/ok_public_application.json");

/// The headers every request carries, whatever the operation.
fn assert_common_headers(request: &wiremock::Request) {
    let agents = header_values(request, "user-agent");
    assert_eq!(agents.len(), 1, "one User-Agent: {agents:?}");
    assert!(
        agents[0].starts_with("fluxer-oauth2/") && agents[0].contains(env!("CARGO_PKG_VERSION")),
        "the User-Agent names the crate and its version: {:?}",
        agents[0]
    );
    assert!(
        request.headers.get("api-version").is_none(),
        "no api-version header: {:?}",
        request.headers
    );
}

fn has_field(request: &wiremock::Request, name: &str) -> bool {
    form_pairs(request).iter().any(|(k, _)| k == name)
}

// ---------------------------------------------------------------------------------------------------
// One Authorization header, in the form the server expects for each kind of credential.
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_bot_token_is_sent_as_bot_prefix_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/applications/@me"))
        .respond_with(json(200, OK_APPLICATIONS_ME_BOT))
        .expect(1)
        .mount(&server)
        .await;
    let app = client(&server, Some(Credential::bot(BOT_TOKEN)))
        .get_current_user_applications()
        .send()
        .await
        .expect("the mock answers 200");
    assert_eq!(app.id.as_str(), APP_ID);

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        header_values(&requests[0], "authorization"),
        [format!("Bot {BOT_TOKEN}")]
    );
    assert_common_headers(&requests[0]);
}

#[tokio::test]
async fn an_access_token_is_sent_as_bearer_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/oauth2/userinfo"))
        .respond_with(json(200, OK_USERINFO))
        .expect(1)
        .mount(&server)
        .await;
    let user = client(&server, Some(Credential::bearer(ACCESS_TOKEN)))
        .get_oauth2_userinfo()
        .send()
        .await
        .expect("the mock answers 200");
    assert_eq!(user.username, "alice_8d0d81");

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        header_values(&requests[0], "authorization"),
        [format!("Bearer {ACCESS_TOKEN}")]
    );
    assert_common_headers(&requests[0]);
}

#[tokio::test]
async fn a_session_token_is_sent_raw_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/@me/applications"))
        .respond_with(json(200, OK_LIST_APPS))
        .expect(1)
        .mount(&server)
        .await;
    let apps = client(&server, Some(Credential::session(SESSION_TOKEN)))
        .list_user_applications()
        .send()
        .await
        .expect("the mock answers 200");
    assert_eq!(apps.len(), 1);

    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        header_values(&requests[0], "authorization"),
        [SESSION_TOKEN.to_owned()]
    );
    assert_common_headers(&requests[0]);
}

/// Mounts the four operations that take no credential: the public view, token, introspect, revoke.
async fn mount_unsecured(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/oauth2/applications/{APP_ID}/public")))
        .respond_with(json(200, OK_PUBLIC_APP))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(json(200, OK_TOKEN))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/introspect"))
        .respond_with(json(200, OK_INTROSPECT))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth2/token/revoke"))
        .respond_with(empty_200())
        .mount(server)
        .await;
}

/// Runs the four unsecured operations once each.
async fn call_unsecured(client: &FluxerClient, credentials: &ClientCredentials) {
    client
        .get_public_application()
        .id(APP_ID)
        .send()
        .await
        .expect("public view");
    client
        .exchange_code_with(credentials, &Secret::new(CODE), REDIRECT, None)
        .await
        .expect("exchange");
    client
        .refresh_token(credentials, &Secret::new(REFRESH_TOKEN))
        .await
        .expect("refresh");
    client
        .introspect(credentials, &Secret::new(ACCESS_TOKEN))
        .await
        .expect("introspect");
    client
        .revoke(
            credentials,
            &Secret::new(ACCESS_TOKEN),
            TokenKind::AccessToken,
        )
        .await
        .expect("revoke");
}

#[tokio::test]
async fn operations_without_security_never_carry_the_clients_credential() {
    for credential in [
        Credential::bot(BOT_TOKEN),
        Credential::bearer(ACCESS_TOKEN),
        Credential::session(SESSION_TOKEN),
    ] {
        let kind = credential.kind();
        let server = MockServer::start().await;
        mount_unsecured(&server).await;
        let client = client(&server, Some(credential));
        let credentials = ClientCredentials::new(APP_ID, CLIENT_SECRET).unwrap();
        call_unsecured(&client, &credentials).await;

        let requests = received(&server).await;
        assert_eq!(requests.len(), 5, "{kind:?}: one request per call");
        for request in &requests {
            assert!(
                header_values(request, "authorization").is_empty(),
                "{kind:?}: {} {} must carry no Authorization header, got {:?}",
                request.method,
                request.url.path(),
                header_values(request, "authorization"),
            );
            assert_common_headers(request);
        }
    }
}

#[tokio::test]
async fn basic_client_auth_is_the_only_authorization_header_of_token_calls() {
    let server = MockServer::start().await;
    mount_unsecured(&server).await;
    // The client holds a bearer token: it must not go with the token calls, and it must not be sent
    // beside the Basic header either.
    let client = client(&server, Some(Credential::bearer(ACCESS_TOKEN)));
    let credentials = ClientCredentials::new(APP_ID, CLIENT_SECRET)
        .unwrap()
        .with_auth(ClientAuth::Basic);
    call_unsecured(&client, &credentials).await;

    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{APP_ID}:{CLIENT_SECRET}"))
    );
    let requests = received(&server).await;
    assert_eq!(requests.len(), 5);
    for request in &requests {
        let auth = header_values(request, "authorization");
        if request.url.path().ends_with("/public") {
            assert!(
                auth.is_empty(),
                "the public view carries no Authorization: {auth:?}"
            );
            continue;
        }
        assert_eq!(
            auth,
            [expected.as_str()],
            "{}: exactly the Basic header",
            request.url.path()
        );
        assert!(
            !has_field(request, "client_id") && !has_field(request, "client_secret"),
            "{}: with Basic auth the body carries no client credentials: {:?}",
            request.url.path(),
            form_pairs(request)
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// Refusals before any traffic.
// ---------------------------------------------------------------------------------------------------

/// Checks a refusal: the variant, its fields and its message.
fn assert_refused<T: std::fmt::Debug>(
    result: Result<T, Error>,
    op: &str,
    given: Option<CredentialKind>,
    accepted: &[CredentialKind],
) {
    let err = result.expect_err("the call must be refused");
    let text = err.to_string();
    match &err {
        Error::CredentialNotAccepted {
            operation,
            given: g,
            accepted: a,
        } => {
            assert_eq!(*operation, op);
            assert_eq!(*g, given, "{op}");
            assert_eq!(*a, accepted, "{op}");
        }
        other => panic!("{op}: expected CredentialNotAccepted, got {other:?}"),
    }
    assert!(text.contains(op), "the message names the operation: {text}");
    let given_text = given.map_or("calls without a credential".to_owned(), |k| k.to_string());
    assert!(
        text.contains(&given_text),
        "the message names the credential given: {text}"
    );
    for kind in accepted {
        assert!(
            text.contains(&kind.to_string()),
            "the message names {kind:?}: {text}"
        );
    }
    for secret in [BOT_TOKEN, ACCESS_TOKEN, SESSION_TOKEN] {
        assert!(!text.contains(secret) && !format!("{err:?}").contains(secret));
    }
}

fn create_request() -> types::builder::ApplicationCreateRequest {
    types::ApplicationCreateRequest::builder()
        .name("My app")
        .redirect_uris(Some(vec![
            RedirectUri::parse("https://app.example/callback").unwrap(),
        ]))
}

/// The body of a bulk revoke of these application ids (each a valid snowflake).
fn bulk(ids: &[String]) -> types::OAuth2AuthorizationsBulkRevokeRequest {
    types::OAuth2AuthorizationsBulkRevokeRequest {
        application_ids: ids
            .iter()
            .map(|id| ApplicationId::parse(id).expect("a valid snowflake"))
            .collect(),
    }
}

#[tokio::test]
async fn a_credential_the_operation_does_not_take_is_refused_before_sending() {
    use CredentialKind::{Bearer, Bot, Session};
    let server = MockServer::start().await;
    let session = client(&server, Some(Credential::session(SESSION_TOKEN)));
    let bearer = client(&server, Some(Credential::bearer(ACCESS_TOKEN)));
    let bot = client(&server, Some(Credential::bot(BOT_TOKEN)));

    assert_refused(
        session.get_oauth2_userinfo().send().await,
        "get_oauth2_userinfo",
        Some(Session),
        &[Bearer],
    );
    assert_refused(
        bot.get_oauth2_userinfo().send().await,
        "get_oauth2_userinfo",
        Some(Bot),
        &[Bearer],
    );
    assert_refused(
        session.get_current_user_oauth2().send().await,
        "get_current_user_oauth2",
        Some(Session),
        &[Bearer],
    );
    assert_refused(
        bearer.get_current_user_applications().send().await,
        "get_current_user_applications",
        Some(Bearer),
        &[Bot],
    );
    assert_refused(
        session.get_current_user_applications().send().await,
        "get_current_user_applications",
        Some(Session),
        &[Bot],
    );
    assert_refused(
        bot.create_oauth_application()
            .body(create_request())
            .send()
            .await,
        "create_oauth_application",
        Some(Bot),
        &[Session],
    );
    assert_refused(
        bearer
            .create_oauth_application()
            .body(create_request())
            .send()
            .await,
        "create_oauth_application",
        Some(Bearer),
        &[Session],
    );
    assert_refused(
        bearer.get_oauth_applications_me().send().await,
        "get_oauth_applications_me",
        Some(Bearer),
        &[Bot, Session],
    );
    assert_refused(
        bot.reset_client_secret()
            .id(APP_ID)
            .sudo(Some(&SudoVerification::password("a-long-password")))
            .send()
            .await,
        "reset_client_secret",
        Some(Bot),
        &[Session],
    );
    assert_refused(
        bearer.list_user_oauth2_authorizations().send().await,
        "list_user_oauth2_authorizations",
        Some(Bearer),
        &[Session],
    );

    assert!(
        received(&server).await.is_empty(),
        "nothing may reach the server"
    );
}

#[tokio::test]
async fn every_credentialed_operation_refuses_a_client_without_credential() {
    use CredentialKind::{Bearer, Bot, Session};
    let server = MockServer::start().await;
    let none = client(&server, None);
    let sudo = SudoVerification::password("a-long-password");
    let ids = vec![APP_ID.to_owned()];

    assert_refused(
        none.list_user_applications().send().await,
        "list_user_applications",
        None,
        &[Session],
    );
    assert_refused(
        none.list_user_oauth2_authorizations().send().await,
        "list_user_oauth2_authorizations",
        None,
        &[Session],
    );
    assert_refused(
        none.get_sudo_mfa_methods().send().await,
        "get_sudo_mfa_methods",
        None,
        &[Session],
    );
    assert_refused(
        none.get_sudo_webauthn_authentication_options().send().await,
        "get_sudo_webauthn_authentication_options",
        None,
        &[Session],
    );
    assert_refused(
        none.get_oauth_application().id(APP_ID).send().await,
        "get_oauth_application",
        None,
        &[Session],
    );
    assert_refused(
        none.update_oauth_application()
            .id(APP_ID)
            .body(types::ApplicationUpdateRequest::builder())
            .send()
            .await,
        "update_oauth_application",
        None,
        &[Session],
    );
    assert_refused(
        none.update_bot_profile()
            .id(APP_ID)
            .body(types::BotProfileUpdateRequest::builder())
            .send()
            .await,
        "update_bot_profile",
        None,
        &[Session],
    );
    assert_refused(
        none.create_oauth_application()
            .body(create_request())
            .send()
            .await,
        "create_oauth_application",
        None,
        &[Session],
    );
    assert_refused(
        none.delete_oauth_application()
            .id(APP_ID)
            .sudo(Some(&sudo))
            .send()
            .await,
        "delete_oauth_application",
        None,
        &[Session],
    );
    assert_refused(
        none.reset_client_secret()
            .id(APP_ID)
            .sudo(None)
            .send()
            .await,
        "reset_client_secret",
        None,
        &[Session],
    );
    assert_refused(
        none.reset_bot_token()
            .id(APP_ID)
            .sudo(Some(&sudo))
            .send()
            .await,
        "reset_bot_token",
        None,
        &[Session],
    );
    assert_refused(
        none.delete_user_oauth2_authorization()
            .application_id(APP_ID)
            .send()
            .await,
        "delete_user_oauth2_authorization",
        None,
        &[Session],
    );
    assert_refused(
        none.bulk_delete_user_oauth2_authorizations()
            .body(bulk(&ids))
            .send()
            .await,
        "bulk_delete_user_oauth2_authorizations",
        None,
        &[Session],
    );
    let consent = types::AuthorizeConsentRequest::builder()
        .client_id(APP_ID)
        .scope("identify")
        .redirect_uri(Some(
            "https://client.example.com/callback".try_into().unwrap(),
        ));
    assert_refused(
        none.provide_oauth2_consent().body(consent).send().await,
        "provide_oauth2_consent",
        None,
        &[Session],
    );
    assert_refused(
        none.get_oauth2_userinfo().send().await,
        "get_oauth2_userinfo",
        None,
        &[Bearer],
    );
    assert_refused(
        none.get_current_user_oauth2().send().await,
        "get_current_user_oauth2",
        None,
        &[Bearer],
    );
    assert_refused(
        none.get_current_user_applications().send().await,
        "get_current_user_applications",
        None,
        &[Bot],
    );
    assert_refused(
        none.get_oauth_applications_me().send().await,
        "get_oauth_applications_me",
        None,
        &[Bot, Session],
    );

    assert!(
        received(&server).await.is_empty(),
        "nothing may reach the server"
    );
}

#[tokio::test]
async fn a_credential_that_cannot_be_a_header_is_refused_without_echoing_it() {
    let server = MockServer::start().await;
    let injected = "Qm90U2VjcmV0\r\nX-Injected: yes";
    let bot = client(&server, Some(Credential::bot(injected)));
    let err = bot
        .get_current_user_applications()
        .send()
        .await
        .expect_err("refused");
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                operation: "get_current_user_applications",
                ..
            }
        ),
        "{err:?}"
    );
    let text = format!("{err} {err:?}");
    assert!(
        !text.contains("Qm90U2VjcmV0"),
        "the token is not echoed: {text}"
    );
    assert!(
        received(&server).await.is_empty(),
        "nothing may reach the server"
    );
}

// ---------------------------------------------------------------------------------------------------
// with_credential: the same pool, another header.
// ---------------------------------------------------------------------------------------------------

/// A keep-alive HTTP/1.1 server that answers each of `routes` (path, JSON body) with 200 and keeps
/// every request, to tell whether two clients share one connection pool (it counts the connections
/// it accepts).
async fn raw_server(routes: Vec<(String, String)>, seen: Seen) -> RawServer {
    RawServer::keep_alive(0, move |request| {
        let body = routes
            .iter()
            .find(|(p, _)| p == request.target())
            .map(|(_, b)| b.clone())
            .unwrap_or_default();
        lock(&seen).push(request.clone());
        format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    })
    .await
}

#[tokio::test]
async fn with_credential_shares_the_pool_and_switches_the_header() {
    let heads: Seen = Seen::default();
    let server = raw_server(
        vec![
            (
                "/applications/@me".to_owned(),
                fixture(OK_APPLICATIONS_ME_BOT),
            ),
            ("/users/@me/applications".to_owned(), fixture(OK_LIST_APPS)),
        ],
        heads.clone(),
    )
    .await;
    let base = server.root_url();
    let bot = FluxerClient::builder()
        .base_url(&base)
        .credential(Credential::bot(BOT_TOKEN))
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let user = bot.with_credential(Credential::session(SESSION_TOKEN));
    assert_eq!(user.credential_kind(), Some(CredentialKind::Session));
    assert_eq!(bot.credential_kind(), Some(CredentialKind::Bot));
    assert_eq!(user.base_url(), bot.base_url());

    bot.get_current_user_applications()
        .send()
        .await
        .expect("bot call");
    user.list_user_applications()
        .send()
        .await
        .expect("session call");
    bot.get_current_user_applications()
        .send()
        .await
        .expect("the original client still sends its own token");
    assert_eq!(
        server.accepted(),
        1,
        "with_credential must reuse the connection pool (one keep-alive connection for all calls)"
    );

    // Control: a separately built client has its own pool and opens a second connection.
    let other = FluxerClient::builder()
        .base_url(&base)
        .credential(Credential::bot(BOT_TOKEN))
        .build()
        .unwrap();
    other
        .get_current_user_applications()
        .send()
        .await
        .expect("separate client");
    assert_eq!(server.accepted(), 2);

    let sent = lock(&heads).clone();
    assert_eq!(sent.len(), 4);
    let authorization_of = |i: usize| sent[i].header_values("authorization");
    assert_eq!(authorization_of(0), [format!("Bot {BOT_TOKEN}")]);
    assert_eq!(authorization_of(1), [SESSION_TOKEN.to_owned()]);
    assert_eq!(authorization_of(2), [format!("Bot {BOT_TOKEN}")]);

    // And no credential at all: the public view still goes, a credentialed call is refused.
    let anonymous = bot.with_credential(None);
    assert_eq!(anonymous.credential_kind(), None);
    assert!(matches!(
        anonymous.get_current_user_applications().send().await,
        Err(Error::CredentialNotAccepted { given: None, .. })
    ));
    assert_eq!(lock(&heads).len(), 4, "the refused call sent nothing");
}

// ---------------------------------------------------------------------------------------------------
// Base URL rules.
// ---------------------------------------------------------------------------------------------------

fn build_with(base: &str) -> Result<FluxerClient, Error> {
    FluxerClient::builder()
        .base_url(base)
        .credential(Credential::bot(BOT_TOKEN))
        .build()
}

#[test]
fn base_url_rules() {
    for refused in [
        "http://example.com",
        "http://api.fluxer.app/v1",
        "ftp://127.0.0.1/",
        "ftp://example.com/v1",
        "not a url",
        "/v1",
        "https://api.fluxer.app/v1?x=1",
        "https://api.fluxer.app/v1#frag",
    ] {
        match build_with(refused) {
            Err(Error::InvalidInput { operation, message }) => {
                assert_eq!(operation, "FluxerClientBuilder::base_url", "{refused}");
                assert!(!message.contains(BOT_TOKEN));
            }
            other => panic!(
                "{refused:?} must be refused, got {:?}",
                other.map(|c| c.base_url().to_owned())
            ),
        }
    }
    for (accepted, normalised) in [
        ("http://127.0.0.1:1", "http://127.0.0.1:1"),
        ("http://localhost:1", "http://localhost:1"),
        ("http://[::1]:1/v1/", "http://[::1]:1/v1"),
        ("https://api.fluxer.app/v1", "https://api.fluxer.app/v1"),
        ("https://api.fluxer.app/v1/", "https://api.fluxer.app/v1"),
    ] {
        let client =
            build_with(accepted).unwrap_or_else(|e| panic!("{accepted:?} must be accepted: {e}"));
        assert_eq!(client.base_url(), normalised);
    }
}

#[test]
fn a_base_url_with_credentials_is_refused() {
    let with_password = "https://user:hunter2@api.fluxer.app/v1";
    match build_with(with_password) {
        Err(Error::InvalidInput { message, .. }) => {
            assert!(!message.contains("hunter2"), "{message}")
        }
        Ok(client) => panic!(
            "a base URL holding a password must be refused; accepted as {:?}, Debug: {client:?}",
            client.base_url()
        ),
        Err(other) => panic!("expected InvalidInput, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------------
// Inputs refused before sending.
// ---------------------------------------------------------------------------------------------------

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, Error>, op: &str) -> String {
    match result {
        Err(Error::InvalidInput { operation, message }) => {
            assert_eq!(operation, op, "{message}");
            let err = Error::InvalidInput {
                operation,
                message: message.clone(),
            };
            assert!(err.to_string().contains(op));
            message
        }
        other => panic!("{op}: expected InvalidInput, got {other:?}"),
    }
}

#[tokio::test]
async fn invalid_inputs_are_refused_before_sending() {
    let server = MockServer::start().await;
    let user = client(&server, Some(Credential::session(SESSION_TOKEN)));

    let message = assert_invalid(
        user.get_oauth_application().id("01").send().await,
        "get_oauth_application",
    );
    // The id is not quoted back (it may be a misplaced secret); the message names the input and why.
    assert!(
        message.contains("`id`") && message.contains("leading zero"),
        "{message}"
    );
    assert_invalid(
        user.get_oauth_application().id("").send().await,
        "get_oauth_application",
    );
    assert_invalid(
        user.get_oauth_application()
            .id("9223372036854775808")
            .send()
            .await,
        "get_oauth_application",
    );
    assert_invalid(
        user.reset_bot_token().id("abc").sudo(None).send().await,
        "reset_bot_token",
    );
    assert_invalid(
        user.get_public_application().id("01").send().await,
        "get_public_application",
    );

    let long_name = types::ApplicationCreateRequest::builder().name("x".repeat(101));
    assert_invalid(
        user.create_oauth_application().body(long_name).send().await,
        "create_oauth_application",
    );

    let eleven: Vec<RedirectUri> = (0..11)
        .map(|i| RedirectUri::parse(&format!("https://app.example/cb{i}")).unwrap())
        .collect();
    let too_many = types::ApplicationCreateRequest::builder()
        .name("ok")
        .redirect_uris(Some(eleven));
    let message = assert_invalid(
        user.create_oauth_application().body(too_many).send().await,
        "create_oauth_application",
    );
    assert!(message.contains("10"), "{message}");

    // A plain-http redirect URI to a remote host cannot even be built any more, so neither a create
    // nor an update body can carry one: the typed redirect URI refuses it.
    assert_eq!(
        RedirectUri::parse("http://evil.example/cb").expect_err("plain http to a remote host"),
        UrlError::InsecureHttp
    );

    assert_invalid(
        user.bulk_delete_user_oauth2_authorizations()
            .body(bulk(&[]))
            .send()
            .await,
        "bulk_delete_user_oauth2_authorizations",
    );
    let many: Vec<String> = (0..101)
        .map(|i| (1_574_449_618_593_251_330u64 + i).to_string())
        .collect();
    let message = assert_invalid(
        user.bulk_delete_user_oauth2_authorizations()
            .body(bulk(&many))
            .send()
            .await,
        "bulk_delete_user_oauth2_authorizations",
    );
    assert!(message.contains("101"), "{message}");

    let short = SudoVerification::password("12345");
    let message = assert_invalid(
        user.reset_client_secret()
            .id(APP_ID)
            .sudo(Some(&short))
            .send()
            .await,
        "reset_client_secret",
    );
    assert!(
        !message.contains("12345"),
        "the password is not echoed: {message}"
    );
    assert_invalid(
        user.delete_oauth_application()
            .id(APP_ID)
            .sudo(Some(&short))
            .send()
            .await,
        "delete_oauth_application",
    );
    let empty_code = SudoVerification::totp("");
    assert_invalid(
        user.reset_bot_token()
            .id(APP_ID)
            .sudo(Some(&empty_code))
            .send()
            .await,
        "reset_bot_token",
    );

    assert!(
        received(&server).await.is_empty(),
        "nothing may reach the server"
    );
}
