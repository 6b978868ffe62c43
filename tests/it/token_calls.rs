//! The token endpoint calls on the wire: the exact form body and client authentication of exchange,
//! refresh, client credentials, introspect and revoke, and what they return.

use std::{
    collections::BTreeMap,
    time::{Duration, SystemTime},
};

use crate::common::wire::{
    ACCESS_TOKEN, APP_ID, CLIENT_SECRET, CODE, OK_INTROSPECT, REDIRECT, REFRESH_TOKEN,
    SESSION_TOKEN, VERIFIER, empty_200, form_pairs, header_values, received, serving, token_body,
};
use base64::Engine as _;
use fluxer_oauth2::{
    ApiErrorCode, Credential, Error, FieldError, FluxerClient, Secret,
    oauth::{ClientAuth, ClientCredentials, PkceVerifier, TokenKind, TokenSet},
    types,
};
use wiremock::{MockServer, ResponseTemplate};

const NEW_ACCESS: &str = "TmV3QWNjZXNzVG9rZW5Gb3JUZXN0c09ubHkwMTIzNDU";
const NEW_REFRESH: &str = "TmV3UmVmcmVzaFRva2VuRm9yVGVzdHNPbmx5MDEyMzQ";

const GRANT_TYPE_400: &str =
    include_str!("../fixtures/error_bodies/invalid_form_body_grant_type_400.json");

fn client(server: &MockServer) -> FluxerClient {
    // The client holds a session: token calls must ignore it.
    crate::common::wire::client(server, Credential::session(SESSION_TOKEN))
}

/// A token endpoint answering the recorded token answer, with [`NEW_ACCESS`] and [`NEW_REFRESH`].
async fn token_server() -> MockServer {
    let answer = ResponseTemplate::new(200)
        .set_body_raw(token_body(NEW_ACCESS, NEW_REFRESH), "application/json");
    serving("POST", "/oauth2/token", answer).await
}

/// An introspection endpoint answering the recorded answer for an active token.
async fn introspect_server() -> MockServer {
    let answer = ResponseTemplate::new(200).set_body_raw(OK_INTROSPECT, "application/json");
    serving("POST", "/oauth2/introspect", answer).await
}

/// A revocation endpoint answering as the real one does.
async fn revoke_server() -> MockServer {
    serving("POST", "/oauth2/token/revoke", empty_200()).await
}

async fn only_request(server: &MockServer) -> wiremock::Request {
    let mut sent = received(server).await;
    assert_eq!(sent.len(), 1, "exactly one request");
    sent.remove(0)
}

/// The decoded form, as a map; each field must appear once.
fn form(request: &wiremock::Request) -> BTreeMap<String, String> {
    let pairs = form_pairs(request);
    let map: BTreeMap<String, String> = pairs.iter().cloned().collect();
    assert_eq!(map.len(), pairs.len(), "no field is sent twice: {pairs:?}");
    map
}

fn expected(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn assert_form_content_type(request: &wiremock::Request) {
    let types: Vec<_> = request.headers.get_all("content-type").iter().collect();
    assert_eq!(types.len(), 1);
    assert_eq!(
        types[0].to_str().unwrap(),
        "application/x-www-form-urlencoded"
    );
}

fn authorization(request: &wiremock::Request) -> Vec<String> {
    header_values(request, "authorization")
}

/// Decodes `Basic <base64>` into the raw `id:secret` bytes.
fn basic_pair(request: &wiremock::Request) -> String {
    let auth = authorization(request);
    assert_eq!(auth.len(), 1, "one Authorization header: {auth:?}");
    let encoded = auth[0]
        .strip_prefix("Basic ")
        .unwrap_or_else(|| panic!("a Basic header: {}", auth[0]));
    let raw = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .expect("standard base64");
    String::from_utf8(raw).expect("UTF-8")
}

fn body_credentials() -> ClientCredentials {
    ClientCredentials::new(APP_ID, CLIENT_SECRET).unwrap()
}

#[tokio::test]
async fn exchange_with_body_credentials_and_pkce() {
    let server = token_server().await;
    let verifier = PkceVerifier::new(VERIFIER).unwrap();
    let before = SystemTime::now();
    let tokens = client(&server)
        .exchange_code_with(
            &body_credentials(),
            &Secret::new(CODE),
            REDIRECT,
            Some(&verifier),
        )
        .await
        .expect("200");
    let after = SystemTime::now();

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/oauth2/token");
    assert_form_content_type(&request);
    assert!(
        authorization(&request).is_empty(),
        "credentials in the body, none in a header"
    );
    assert_eq!(
        form(&request),
        expected(&[
            ("grant_type", "authorization_code"),
            ("code", CODE),
            ("redirect_uri", REDIRECT),
            ("client_id", APP_ID),
            ("client_secret", CLIENT_SECRET),
            ("code_verifier", VERIFIER),
        ])
    );

    assert_eq!(tokens.access_token.expose_secret(), NEW_ACCESS);
    assert_eq!(tokens.refresh_token.expose_secret(), NEW_REFRESH);
    assert_eq!(tokens.token_type, "Bearer");
    assert_eq!(tokens.scope, "identify email");
    assert!(
        tokens.has_scope("identify") && tokens.has_scope("email") && !tokens.has_scope("guilds")
    );
    assert_eq!(tokens.expires_in, Duration::from_secs(604_800));
    assert!(
        tokens.expires_at >= before + tokens.expires_in
            && tokens.expires_at <= after + tokens.expires_in,
        "expires_at is the receipt time plus expires_in"
    );
    assert!(!tokens.expires_within(Duration::from_secs(3600), after));
    assert!(tokens.expires_within(Duration::from_secs(604_800), after));
}

#[tokio::test]
async fn exchange_without_pkce_sends_no_verifier() {
    let server = token_server().await;
    client(&server)
        .exchange_code_with(&body_credentials(), &Secret::new(CODE), REDIRECT, None)
        .await
        .expect("200");
    let fields = form(&only_request(&server).await);
    assert!(!fields.contains_key("code_verifier"), "{fields:?}");
    assert_eq!(fields.len(), 5);
}

#[tokio::test]
async fn exchange_with_basic_auth_encodes_the_raw_pair() {
    let server = token_server().await;
    // The server does not URL-decode the pair: a secret with `:`, `%` and non-ASCII must go raw.
    let secret = "pa:ss%20wörd-é";
    let credentials = ClientCredentials::new(APP_ID, secret)
        .unwrap()
        .with_auth(ClientAuth::Basic);
    assert_eq!(credentials.auth(), ClientAuth::Basic);
    client(&server)
        .exchange_code_with(&credentials, &Secret::new(CODE), REDIRECT, None)
        .await
        .expect("200");

    let request = only_request(&server).await;
    assert_form_content_type(&request);
    assert_eq!(basic_pair(&request), format!("{APP_ID}:{secret}"));
    assert_eq!(
        form(&request),
        expected(&[
            ("grant_type", "authorization_code"),
            ("code", CODE),
            ("redirect_uri", REDIRECT)
        ]),
        "with Basic auth the body carries no client_id or client_secret"
    );
}

#[tokio::test]
async fn exchange_sends_the_redirect_uri_in_normalised_form() {
    for (given, sent) in [
        ("https://x.example", "https://x.example/"),
        ("https://X.Example/cb", "https://x.example/cb"),
        ("https://x.example/p?x=1", "https://x.example/p?x=1"),
        ("http://localhost:8765/cb", "http://localhost:8765/cb"),
    ] {
        let server = token_server().await;
        client(&server)
            .exchange_code_with(&body_credentials(), &Secret::new(CODE), given, None)
            .await
            .expect("200");
        let fields = form(&only_request(&server).await);
        assert_eq!(fields["redirect_uri"], sent, "{given}");
    }
}

#[tokio::test]
async fn exchange_refuses_a_bad_redirect_uri_before_sending() {
    let server = token_server().await;
    for bad in [
        "http://evil.example/cb",
        "not a url",
        "https://x.example/cb#frag",
    ] {
        let err = client(&server)
            .exchange_code_with(&body_credentials(), &Secret::new(CODE), bad, None)
            .await
            .expect_err("refused");
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    operation: "exchange_oauth2_token",
                    ..
                }
            ),
            "{bad}: {err:?}"
        );
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains(CODE) && !text.contains(CLIENT_SECRET),
            "{text}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn refresh_with_body_and_with_basic_credentials() {
    let server = token_server().await;
    let tokens = client(&server)
        .refresh_token(&body_credentials(), &Secret::new(REFRESH_TOKEN))
        .await
        .expect("200");
    assert_eq!(tokens.refresh_token.expose_secret(), NEW_REFRESH);
    let request = only_request(&server).await;
    assert_form_content_type(&request);
    assert!(authorization(&request).is_empty());
    assert_eq!(
        form(&request),
        expected(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", REFRESH_TOKEN),
            ("client_id", APP_ID),
            ("client_secret", CLIENT_SECRET),
        ])
    );

    let server = token_server().await;
    let basic = body_credentials().with_auth(ClientAuth::Basic);
    client(&server)
        .refresh_token(&basic, &Secret::new(REFRESH_TOKEN))
        .await
        .expect("200");
    let request = only_request(&server).await;
    assert_eq!(basic_pair(&request), format!("{APP_ID}:{CLIENT_SECRET}"));
    assert_eq!(
        form(&request),
        expected(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", REFRESH_TOKEN)
        ])
    );
}

#[tokio::test]
async fn client_credentials_is_refused_by_the_server_with_a_grant_type_field_error() {
    let server = serving(
        "POST",
        "/oauth2/token",
        ResponseTemplate::new(400).set_body_raw(GRANT_TYPE_400, "application/json"),
    )
    .await;
    let err = client(&server)
        .client_credentials(&body_credentials(), Some("identify"))
        .await
        .expect_err("400");
    match &err {
        Error::Api {
            operation,
            status,
            code,
            errors,
            ..
        } => {
            assert_eq!(*operation, "exchange_oauth2_token");
            assert_eq!(*status, 400);
            assert_eq!(*code, ApiErrorCode::InvalidFormBody);
            assert_eq!(
                errors,
                &[FieldError {
                    path: "grant_type".to_owned(),
                    code: Some("INVALID_FORMAT".to_owned()),
                    message: "The provided value is in an invalid format.".to_owned(),
                }]
            );
        }
        other => panic!("expected Api INVALID_FORM_BODY, got {other:?}"),
    }
    assert!(!format!("{err} {err:?}").contains(CLIENT_SECRET));

    let request = only_request(&server).await;
    assert_form_content_type(&request);
    assert_eq!(
        form(&request),
        expected(&[
            ("grant_type", "client_credentials"),
            ("scope", "identify"),
            ("client_id", APP_ID),
            ("client_secret", CLIENT_SECRET),
        ])
    );
}

#[tokio::test]
async fn introspect_with_body_credentials() {
    let server = introspect_server().await;
    let info: types::OAuth2IntrospectResponse = client(&server)
        .introspect(&body_credentials(), &Secret::new(ACCESS_TOKEN))
        .await
        .expect("200");
    assert!(info.active);
    assert_eq!(info.client_id.as_ref().map(|id| id.as_str()), Some(APP_ID));
    assert_eq!(info.exp, Some(1_796_053_252));

    let request = only_request(&server).await;
    assert_eq!(request.url.path(), "/oauth2/introspect");
    assert_form_content_type(&request);
    assert!(
        authorization(&request).is_empty(),
        "never Basic and body together"
    );
    assert_eq!(
        form(&request),
        expected(&[
            ("token", ACCESS_TOKEN),
            ("client_id", APP_ID),
            ("client_secret", CLIENT_SECRET)
        ])
    );
}

#[tokio::test]
async fn introspect_with_basic_credentials() {
    let server = introspect_server().await;
    let basic = body_credentials().with_auth(ClientAuth::Basic);
    client(&server)
        .introspect(&basic, &Secret::new(ACCESS_TOKEN))
        .await
        .expect("200");

    let request = only_request(&server).await;
    assert_eq!(basic_pair(&request), format!("{APP_ID}:{CLIENT_SECRET}"));
    assert_eq!(
        form(&request),
        expected(&[("token", ACCESS_TOKEN)]),
        "never Basic and body together"
    );
}

#[tokio::test]
async fn revoke_says_which_kind_of_token() {
    for (kind, token, hint) in [
        (TokenKind::RefreshToken, REFRESH_TOKEN, "refresh_token"),
        (TokenKind::AccessToken, ACCESS_TOKEN, "access_token"),
    ] {
        let server = revoke_server().await;
        let result: Result<(), Error> = client(&server)
            .revoke(&body_credentials(), &Secret::new(token), kind)
            .await;
        result.expect("200 with an empty text/plain body is success");

        let request = only_request(&server).await;
        assert_eq!(request.url.path(), "/oauth2/token/revoke");
        assert_form_content_type(&request);
        assert!(authorization(&request).is_empty());
        assert_eq!(
            form(&request),
            expected(&[
                ("token", token),
                ("token_type_hint", hint),
                ("client_id", APP_ID),
                ("client_secret", CLIENT_SECRET),
            ])
        );
    }
}

#[tokio::test]
async fn revoke_with_basic_credentials() {
    let server = revoke_server().await;
    let basic = body_credentials().with_auth(ClientAuth::Basic);
    client(&server)
        .revoke(&basic, &Secret::new(REFRESH_TOKEN), TokenKind::RefreshToken)
        .await
        .expect("200");
    let request = only_request(&server).await;
    assert_eq!(basic_pair(&request), format!("{APP_ID}:{CLIENT_SECRET}"));
    assert_eq!(
        form(&request),
        expected(&[
            ("token", REFRESH_TOKEN),
            ("token_type_hint", "refresh_token")
        ])
    );
}

#[test]
fn token_set_from_a_response() {
    let response: types::OAuth2TokenResponse =
        serde_json::from_str(&token_body(NEW_ACCESS, NEW_REFRESH)).unwrap();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_448_452);
    let set = TokenSet::from_response(response, now);
    assert_eq!(set.expires_at, now + Duration::from_secs(604_800));
    assert_eq!(set.expires_in, Duration::from_secs(604_800));
    assert!(!set.expires_within(Duration::from_secs(60), now));
    assert!(set.expires_within(
        Duration::from_secs(60),
        now + Duration::from_secs(604_800 - 30)
    ));
}

#[test]
fn client_credentials_need_a_fluxer_id() {
    for bad in [
        "",
        "01",
        "abc",
        "1574449618593251330x",
        "99999999999999999999",
    ] {
        assert!(
            matches!(
                ClientCredentials::new(bad, CLIENT_SECRET),
                Err(Error::InvalidInput { .. })
            ),
            "{bad:?}"
        );
    }
    let ok = ClientCredentials::new(APP_ID, CLIENT_SECRET).unwrap();
    assert_eq!(ok.client_id(), APP_ID);
    assert_eq!(ok.auth(), ClientAuth::Body);
}
