//! Clients aimed at the in-process emulator, applications with the secrets shown at creation, the
//! authorization-code flow through the crate's public API, and the emulator's request log.

use std::time::Duration;

use fluxer_oauth2::{
    Credential, Error, FluxerClient, FluxerClientBuilder, RetryPolicy, Secret,
    oauth::{AuthorizeRequest, AuthorizeUrl, ClientCredentials, RedirectUri, Scope, TokenSet},
    types,
};
use fluxer_oauth2_emulator::{Emulator, RecordedRequest, SeededUser};

/// A loopback redirect URI, which the server allows over plain http.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

/// An id no application has.
pub const UNKNOWN_ID: &str = "999999999999999999";

/// A builder aimed at the emulator: 10 s timeout, 2 s to connect, no retries (tests that want
/// retries set them).
pub fn builder(emu: &Emulator) -> FluxerClientBuilder {
    builder_for(&emu.base_url())
}

/// A builder aimed at `base_url`: 10 s timeout, 2 s to connect, no retries.
pub fn builder_for(base_url: &str) -> FluxerClientBuilder {
    FluxerClient::builder()
        .base_url(base_url)
        .timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(2))
        .retry_policy(RetryPolicy::NONE)
}

/// A client holding `user`'s session token.
pub fn session(emu: &Emulator, user: &SeededUser) -> FluxerClient {
    builder(emu)
        .credential(Credential::session(user.session_token.as_str()))
        .build()
        .expect("the emulator's base URL is accepted")
}

/// A client holding no credential.
pub fn anonymous(emu: &Emulator) -> FluxerClient {
    builder(emu)
        .build()
        .expect("the emulator's base URL is accepted")
}

/// A client holding an OAuth2 access token, on the same pool as `base`.
pub fn bearer(base: &FluxerClient, token: &Secret) -> FluxerClient {
    base.with_credential(Credential::Bearer(token.clone()))
}

/// A freshly created application with the secrets shown at creation.
pub struct App {
    pub id: String,
    pub secret: Secret,
    pub bot_token: Secret,
    pub created: types::ApplicationResponse,
}

impl App {
    /// Client credentials sent in the form body.
    pub fn credentials(&self) -> ClientCredentials {
        ClientCredentials::new(&self.id, self.secret.clone()).expect("the id is a snowflake")
    }
}

/// Creates an application owned by the session's user, with these redirect URIs registered.
pub async fn create_app(session: &FluxerClient, name: &str, redirect_uris: &[&str]) -> App {
    let created = session
        .create_oauth_application()
        .body(
            types::ApplicationCreateRequest::builder()
                .name(name)
                .redirect_uris(Some(
                    redirect_uris
                        .iter()
                        .map(|u| RedirectUri::parse(u).expect("a valid redirect URI"))
                        .collect::<Vec<_>>(),
                )),
        )
        .send()
        .await
        .expect("the application is created")
        .into_inner();
    App {
        id: created.id.to_string(),
        secret: created
            .client_secret
            .clone()
            .expect("creation returns the client secret"),
        bot_token: created
            .bot
            .as_ref()
            .and_then(|b| b.token.clone())
            .expect("creation returns the bot token"),
        created,
    }
}

/// An authorize request for `app_id` with `scopes` (S256 PKCE, random state) on [`REDIRECT_URI`],
/// against the session's server.
pub fn authorize_request(
    session: &FluxerClient,
    app_id: &str,
    scopes: &[Scope],
) -> AuthorizeRequest {
    AuthorizeUrl::new(session.base_url(), app_id, REDIRECT_URI)
        .scopes(scopes.iter().cloned())
        .build()
        .expect("the authorize URL builds")
}

/// The consent body for `request`, for the tests that look at the server's raw answer (the
/// redirect) rather than go through `FluxerClient::grant_consent`.
pub fn consent_body(request: &AuthorizeRequest) -> types::AuthorizeConsentRequest {
    fluxer_oauth2::oauth::consent_request(&request.url).expect("a consent body")
}

/// Consent for `request` as the session's user, and the code it yields after the state check.
pub async fn code_for(session: &FluxerClient, request: &AuthorizeRequest) -> Secret {
    session
        .grant_consent(request)
        .await
        .expect("consent is given")
        .verify_state(&request.state)
        .expect("the state matches")
}

/// Exchanges `code` with the redirect URI and PKCE verifier of the `request` it was issued for.
pub async fn exchange(
    client: &FluxerClient,
    credentials: &ClientCredentials,
    code: &Secret,
    request: &AuthorizeRequest,
) -> Result<TokenSet, Error> {
    client
        .exchange_code_with(
            credentials,
            code,
            request.redirect_uri.normalized(),
            request.pkce_verifier.as_ref(),
        )
        .await
}

/// Consent as the session's user, then the code exchange: a token set for `scopes`.
pub async fn tokens(session: &FluxerClient, app: &App, scopes: &[Scope]) -> TokenSet {
    let request = authorize_request(session, &app.id, scopes);
    let code = code_for(session, &request).await;
    exchange(
        &session.with_credential(None),
        &app.credentials(),
        &code,
        &request,
    )
    .await
    .expect("the code is exchanged")
}

/// The requests the emulator received with this method on this path (`/v1` optional), oldest first.
pub fn requests_to(emu: &Emulator, method: &str, path: &str) -> Vec<RecordedRequest> {
    let want = path.strip_prefix("/v1").unwrap_or(path);
    emu.requests()
        .into_iter()
        .filter(|r| {
            r.method.eq_ignore_ascii_case(method)
                && r.path.strip_prefix("/v1").unwrap_or(&r.path) == want
        })
        .collect()
}

/// The last request with this method on this path.
pub fn last_request(emu: &Emulator, method: &str, path: &str) -> RecordedRequest {
    requests_to(emu, method, path)
        .pop()
        .unwrap_or_else(|| panic!("no {method} {path} was received"))
}

/// A recorded body read as JSON.
pub fn json_body(request: &RecordedRequest) -> serde_json::Value {
    serde_json::from_slice(&request.body).unwrap_or_else(|e| {
        panic!(
            "the body of {} {} is not JSON ({e}): {:?}",
            request.method,
            request.path,
            request.body_text()
        )
    })
}
