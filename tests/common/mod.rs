//! Helpers shared by the end-to-end tests against the in-process emulator: clients for the seeded
//! users, applications, the authorization-code flow through the crate's public API, the request log,
//! and a time bound for every test.
#![allow(dead_code)]

use std::{future::Future, time::Duration};

use fluxer_oauth2::{
    Credential, FluxerClient, FluxerClientBuilder, RetryPolicy, Secret,
    oauth::{AuthorizeRequest, AuthorizeUrl, ClientCredentials, Scope, TokenSet},
    types,
};
use fluxer_oauth2_emulator::{Emulator, RecordedRequest, SeededUser};

/// A loopback redirect URI, which the server allows over plain http.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

/// The longest any single test may run.
pub const TEST_LIMIT: Duration = Duration::from_secs(20);

/// Runs a test body, failing it when it takes longer than [`TEST_LIMIT`].
pub async fn bounded<F: Future>(body: F) -> F::Output {
    tokio::time::timeout(TEST_LIMIT, body)
        .await
        .expect("the test ran over its time limit")
}

/// A builder aimed at the emulator: short timeout, no retries (tests that want retries set them).
pub fn builder(emu: &Emulator) -> FluxerClientBuilder {
    FluxerClient::builder()
        .base_url(emu.base_url())
        .timeout(Duration::from_secs(5))
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

/// Creates an application owned by the session's user.
pub async fn create_app(session: &FluxerClient, name: &str, redirect_uris: &[&str]) -> App {
    let created = session
        .create_oauth_application(
            types::ApplicationCreateRequest::builder()
                .name(name)
                .redirect_uris(Some(
                    redirect_uris.iter().map(|u| (*u).to_owned()).collect(),
                )),
            None,
        )
        .await
        .expect("the application is created");
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

/// Builds an authorize request for `app_id` with `scopes` (S256 PKCE, random state) on `REDIRECT_URI`.
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

/// Consent as the session's user, then the code exchange: a token set for `scopes`.
pub async fn tokens(session: &FluxerClient, app: &App, scopes: &[Scope]) -> TokenSet {
    let request = authorize_request(session, &app.id, scopes);
    let code = session
        .grant_consent(&request)
        .await
        .expect("consent is given")
        .verify_state(&request.state)
        .expect("the state matches");
    session
        .with_credential(None)
        .exchange_code(
            &app.credentials(),
            &code,
            request.redirect_uri.normalized(),
            request.pkce_verifier.as_ref(),
        )
        .await
        .expect("the code is exchanged")
}

/// A client holding an OAuth2 access token, on the same pool as `base`.
pub fn bearer(base: &FluxerClient, token: &Secret) -> FluxerClient {
    base.with_credential(Credential::Bearer(token.clone()))
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
