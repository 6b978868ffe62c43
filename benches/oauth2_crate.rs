//! Bench 3: the authorization-code exchange through this crate against the `oauth2` crate (v5) doing
//! the same form POST (client credentials in the body, PKCE verifier) against the same server on
//! 127.0.0.1, through its pluggable async HTTP client implemented here over the same reqwest 0.13
//! client and connection pool (`client.api().client()`), so that both measure the same HTTP stack.

mod common;

use std::{future::Future, pin::Pin};

use common::*;
use criterion::{Criterion, Throughput};
use fluxer_oauth2::{
    Credential, FluxerClient, Secret,
    oauth::{ClientCredentials, PkceVerifier, RedirectUri},
};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet,
    EndpointSet, HttpClientError, HttpRequest, HttpResponse, PkceCodeVerifier, RedirectUrl,
    TokenResponse as _, TokenUrl, basic::BasicClient,
};
use progenitor_client::ClientInfo as _;

/// `oauth2`'s HTTP client over our reqwest 0.13 client: what its own `reqwest` feature does for
/// reqwest 0.12 (convert the request, execute it, copy status, version, headers and body back).
struct SharedReqwest(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for SharedReqwest {
    type Error = HttpClientError<reqwest::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(Box::new)?;
            let response = self.0.execute(request).await.map_err(Box::new)?;
            let mut builder = http::Response::builder()
                .status(response.status())
                .version(response.version());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(Box::new)?;
            builder.body(body.to_vec()).map_err(HttpClientError::Http)
        })
    }
}

type Oauth2Client =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

struct Subjects {
    ours: FluxerClient,
    credentials: ClientCredentials,
    code: Secret,
    verifier: PkceVerifier,
    redirect_uri: RedirectUri,
    theirs: Oauth2Client,
    http: SharedReqwest,
}

impl Subjects {
    fn new(base: &str) -> Self {
        let ours = FluxerClient::builder()
            .base_url(base)
            .credential(Credential::session(SESSION_TOKEN))
            .build()
            .expect("a client");
        let http = SharedReqwest(ours.api().client().clone());
        let theirs = BasicClient::new(ClientId::new(APP_ID.to_owned()))
            .set_client_secret(ClientSecret::new(CLIENT_SECRET.to_owned()))
            .set_auth_uri(
                AuthUrl::new("https://web.fluxer.app/oauth2/authorize".to_owned()).expect("a URL"),
            )
            .set_token_uri(TokenUrl::new(format!("{base}/oauth2/token")).expect("a URL"))
            .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).expect("a URL"))
            .set_auth_type(AuthType::RequestBody);
        Self {
            ours,
            credentials: ClientCredentials::new(APP_ID, CLIENT_SECRET).expect("credentials"),
            code: Secret::new(CODE),
            verifier: PkceVerifier::new(PKCE_VERIFIER).expect("a verifier"),
            // Parsed once, as an app does with its configuration (and as the `oauth2` crate's
            // client holds its `RedirectUrl`).
            redirect_uri: RedirectUri::parse(REDIRECT_URI).expect("a redirect URI"),
            theirs,
            http,
        }
    }

    async fn ours(&self) -> fluxer_oauth2::oauth::TokenSet {
        self.ours
            .exchange_code_with(
                &self.credentials,
                &self.code,
                &self.redirect_uri,
                Some(&self.verifier),
            )
            .await
            .expect("exchange_code")
    }

    async fn theirs(&self) -> oauth2::basic::BasicTokenResponse {
        self.theirs
            .exchange_code(AuthorizationCode::new(CODE.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(PKCE_VERIFIER.to_owned()))
            .request_async(&self.http)
            .await
            .expect("oauth2 exchange_code")
    }
}

fn benches(c: &mut Criterion, rt: &tokio::runtime::Runtime, s: &Subjects) {
    let mut g = c.benchmark_group("token_exchange");
    g.bench_function("fluxer", |b| {
        b.iter_custom(|iters| sequential(rt, iters, || s.ours()))
    });
    g.bench_function("oauth2_crate", |b| {
        b.iter_custom(|iters| sequential(rt, iters, || s.theirs()))
    });
    g.finish();

    let mut g = c.benchmark_group("token_exchange_inflight64");
    g.throughput(Throughput::Elements(64));
    g.bench_function("fluxer", |b| {
        b.iter_custom(|iters| inflight64(rt, iters, || s.ours()))
    });
    g.bench_function("oauth2_crate", |b| {
        b.iter_custom(|iters| inflight64(rt, iters, || s.theirs()))
    });
    g.finish();
}

fn main() {
    common::started();
    let server = Server::start();
    let rt = client_runtime();
    let subjects = rt.block_on(async { Subjects::new(&server.base_url()) });
    rt.block_on(async {
        let ours = subjects.ours().await;
        let theirs = subjects.theirs().await;
        assert_eq!(
            ours.access_token.expose_secret(),
            theirs.access_token().secret()
        );
        assert_eq!(
            ours.refresh_token.expose_secret(),
            theirs.refresh_token().expect("a refresh token").secret()
        );
        assert_eq!(Some(ours.expires_in), theirs.expires_in());
    });

    let mut c = common::criterion();
    benches(&mut c, &rt, &subjects);
    c.final_summary();
    if filter_allows("ab_token_exchange") {
        ab_report(
            "token_exchange (sequential)",
            ab_rounds(),
            || sequential(&rt, 300, || subjects.ours()),
            || sequential(&rt, 300, || subjects.theirs()),
            300,
        );
        ab_report(
            "token_exchange (64 in flight)",
            ab_rounds(),
            || inflight64(&rt, 8, || subjects.ours()),
            || inflight64(&rt, 8, || subjects.theirs()),
            8 * 64,
        );
    }
    print_ratios(&[
        ("token_exchange", "fluxer", "oauth2_crate"),
        ("token_exchange_inflight64", "fluxer", "oauth2_crate"),
    ]);
    drop(subjects);
    drop(server);
}
