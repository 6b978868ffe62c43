//! The tests against a wiremock server: the credentials and secrets the recorded bodies of
//! `fixtures/error_bodies` are filled with, those bodies, clients aimed at the mock, and the requests
//! it received.

use std::time::Duration;

use fluxer_oauth2::{Credential, FluxerClient, FluxerClientBuilder, RetryPolicy};
use wiremock::{
    Mock, MockServer, Request, ResponseTemplate,
    matchers::{method, path},
};

pub const APP_ID: &str = "1574449618593251330";
/// The bot token's secret part, after `APP_ID.`.
pub const BOT_SECRET: &str = "Qm90U2VjcmV0Rm9yVGVzdHNPbmx5MDEyMzQ1Njc4OWF";
pub const BOT_TOKEN: &str = "1574449618593251330.Qm90U2VjcmV0Rm9yVGVzdHNPbmx5MDEyMzQ1Njc4OWF";
pub const ACCESS_TOKEN: &str = "QWNjZXNzVG9rZW5Gb3JUZXN0c09ubHkwMTIzNDU2Nzg";
pub const REFRESH_TOKEN: &str = "UmVmcmVzaFRva2VuRm9yVGVzdHNPbmx5MDEyMzQ1Njc";
pub const SESSION_TOKEN: &str = "flx_Se55ionT0kenF0rTest5Only0123456789ab";
pub const OTHER_SESSION_TOKEN: &str = "flx_An0therSe55ionT0kenF0rTest5Only01234";
pub const CLIENT_SECRET: &str = "Q2xpZW50U2VjcmV0Rm9yVGVzdHNPbmx5MDEyMzQ1Njc";
pub const CODE: &str = "QXV0aG9yaXphdGlvbkNvZGVGb3JUZXN0czAxMjM0NTY";
pub const VERIFIER: &str = "UGtjZVZlcmlmaWVyRm9yVGVzdHNPbmx5MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u";
pub const PASSWORD: &str = "correct horse battery staple";
pub const TOTP: &str = "493817";
/// The redirect URI the code exchanges name.
pub const REDIRECT: &str = "https://client.example.com/callback";

/// Recorded bodies used by several files (`fixtures/error_bodies/README.md` tells their origin).
pub const OK_APPLICATIONS_ME_BOT: &str =
    include_str!("../../fixtures/error_bodies/ok_applications_me_bot.json");
pub const OK_LIST_APPS: &str =
    include_str!("../../fixtures/error_bodies/ok_list_user_applications.json");
pub const OK_TOKEN: &str = include_str!("../../fixtures/error_bodies/ok_token.json");
pub const OK_INTROSPECT: &str =
    include_str!("../../fixtures/error_bodies/ok_introspect_active.json");
pub const OK_RESET_SECRET: &str =
    include_str!("../../fixtures/error_bodies/ok_reset_client_secret.json");
pub const OK_RESET_BOT: &str = include_str!("../../fixtures/error_bodies/ok_reset_bot_token.json");
pub const ROUTE_429: &str = include_str!("../../fixtures/error_bodies/rate_limited_route_429.json");

/// A recorded body with its masked secrets replaced by the values above: the bot token's secret
/// part, a zero verify key, and [`CLIENT_SECRET`] for every 43-character secret.
pub fn fixture(raw: &str) -> String {
    raw.replace("<redacted-bot-secret>", BOT_SECRET)
        .replace("<redacted-64>", &"0".repeat(64))
        .replace("<redacted-43>", CLIENT_SECRET)
}

/// A JSON answer with a recorded body, filled in by [`fixture`].
pub fn json(status: u16, raw: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(raw), "application/json")
}

/// The recorded token answer with these two tokens in place of the masked ones.
pub fn token_body(access: &str, refresh: &str) -> String {
    OK_TOKEN
        .replacen("<redacted-43>", access, 1)
        .replacen("<redacted-43>", refresh, 1)
}

/// Revoke's real answer: 200 with an empty `text/plain` body.
pub fn empty_200() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw("", "text/plain; charset=UTF-8")
}

/// A builder aimed at the mock: 5 s timeout, no retries.
pub fn builder(server: &MockServer) -> FluxerClientBuilder {
    FluxerClient::builder()
        .base_url(server.uri())
        .timeout(Duration::from_secs(5))
        .retry_policy(RetryPolicy::NONE)
}

/// A client aimed at the mock holding `credential` (or none): 5 s timeout, no retries.
pub fn client(server: &MockServer, credential: impl Into<Option<Credential>>) -> FluxerClient {
    let mut builder = builder(server);
    if let Some(credential) = credential.into() {
        builder = builder.credential(credential);
    }
    builder
        .build()
        .expect("a loopback http base URL is accepted")
}

/// A mock that answers every request with this method on `route` with `answer`.
pub async fn serving(http_method: &str, route: &str, answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(http_method))
        .and(path(route))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// Mounts `answers` on one route, in turn: each but the last once, the last for every request after.
pub async fn sequence(
    server: &MockServer,
    http_method: &str,
    route: &str,
    answers: Vec<ResponseTemplate>,
) {
    let last = answers.len() - 1;
    for (i, answer) in answers.into_iter().enumerate() {
        let mock = Mock::given(method(http_method))
            .and(path(route))
            .respond_with(answer);
        let mock = if i == last {
            mock
        } else {
            mock.up_to_n_times(1)
        };
        mock.mount(server).await;
    }
}

/// Mounts a route that fails once with `failure`, then succeeds with `success`.
pub async fn fail_then_succeed(
    server: &MockServer,
    http_method: &str,
    route: &str,
    failure: ResponseTemplate,
    success: ResponseTemplate,
) {
    sequence(server, http_method, route, vec![failure, success]).await;
}

/// The requests the mock received, oldest first.
pub async fn received(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
}

/// How many requests the mock received.
pub async fn request_count(server: &MockServer) -> usize {
    received(server).await.len()
}

/// Every value of header `name` of a received request.
pub fn header_values(request: &Request, name: &str) -> Vec<String> {
    request
        .headers
        .get_all(name)
        .iter()
        .map(|v| v.to_str().expect("ASCII header").to_owned())
        .collect()
}

/// The fields of a received form body, in order.
pub fn form_pairs(request: &Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}
