//! The loopback browser login (`oauth::loopback`) against the emulator, with the browser replaced by
//! an HTTP client that follows the authorize redirect, consents as a signed-in user and comes back to
//! the listener: the tokens it ends with, the page the browser sees (which never echoes the code), a
//! forged state, a denied consent, a wrong client secret, a redirect URI on another port than the
//! registered one, and a port that another program holds.

#![cfg(feature = "loopback")]

use std::{future::Future, time::Duration};

use fluxer_oauth2::{
    Credential, Error, FluxerClient, OAuthErrorKind, Secret,
    oauth::{
        CallbackError, ClientCredentials, OAuthCallbackError, Scope, consent_request,
        loopback::{BrowserUnavailable, LoopbackError, LoopbackLogin, redirect_uri},
    },
    types,
};
use fluxer_oauth2_emulator::Emulator;
use tokio::sync::oneshot;
use url::Url;

/// Every test finishes within this time or fails.
const LIMIT: Duration = Duration::from_secs(60);

async fn bounded<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, test)
        .await
        .expect("the test did not finish in time")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

struct Setup {
    emu: Emulator,
    anon: FluxerClient,
    session: FluxerClient,
    app_id: String,
    secret: Secret,
    port: u16,
}

/// An emulator, alice's session, and an application with `http://127.0.0.1:PORT/callback` registered.
async fn setup() -> Setup {
    let emu = Emulator::start().await;
    let anon = FluxerClient::builder()
        .base_url(emu.base_url())
        .build()
        .expect("client");
    let session = anon.with_credential(Credential::session(emu.alice().session_token));
    let port = free_port();
    let app = session
        .create_oauth_application()
        .body(
            types::ApplicationCreateRequest::builder()
                .name("Desktop app")
                .redirect_uris(vec![redirect_uri(port).parse().expect("a loopback URI")]),
        )
        .send()
        .await
        .expect("created")
        .into_inner();
    Setup {
        emu,
        anon,
        session,
        app_id: app.id.to_string(),
        secret: app.client_secret.expect("a secret on creation"),
        port,
    }
}

impl Setup {
    fn credentials(&self) -> ClientCredentials {
        ClientCredentials::new(&self.app_id, self.secret.clone()).expect("credentials")
    }

    fn login(&self) -> LoopbackLogin {
        LoopbackLogin::new(&self.emu.base_url(), self.credentials(), self.port)
            .scope(Scope::Identify)
            .timeout(Duration::from_secs(20))
    }
}

/// What the scripted browser saw at the end.
#[derive(Debug)]
struct Visit {
    /// The listener's status line and page.
    status: u16,
    page: String,
    /// The address the browser was sent back to (it carries the code).
    callback: String,
}

/// How the scripted browser changes the callback before following it.
#[derive(Clone, Copy)]
enum Tamper {
    None,
    State,
    Deny,
}

/// A browser that follows the authorize redirect to the consent page, consents as `session` (what
/// the web app does when the user clicks "Authorize"), and follows the answer back to the listener.
fn scripted_browser(
    session: FluxerClient,
    tamper: Tamper,
) -> (
    impl Fn(&Url) -> Result<(), BrowserUnavailable>,
    oneshot::Receiver<Visit>,
) {
    let (tx, rx) = oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let browser = move |url: &Url| {
        let url = url.clone();
        let session = session.clone();
        let tx = tx.lock().expect("lock").take().expect("opened once");
        tokio::spawn(async move {
            let http = fluxer_oauth2::http_client_builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("http client");
            let authorize = http.get(url.as_str()).send().await.expect("authorize");
            assert_eq!(authorize.status().as_u16(), 302, "authorize redirects");
            let consent_page: Url = authorize
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .expect("a location")
                .parse()
                .expect("a URL");
            let body = consent_request(&consent_page).expect("consent body");
            let answer = session
                .provide_oauth2_consent()
                .body(body)
                .send()
                .await
                .expect("consent");
            let mut callback: Url = answer.redirect_to.expose_secret().parse().expect("a URL");
            let pairs: Vec<(String, String)> = callback
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            match tamper {
                Tamper::None => {}
                Tamper::State => {
                    let mut q = callback.query_pairs_mut();
                    q.clear();
                    for (k, v) in &pairs {
                        q.append_pair(k, if k == "state" { "forged" } else { v });
                    }
                }
                Tamper::Deny => {
                    let mut q = callback.query_pairs_mut();
                    q.clear();
                    q.append_pair("error", "access_denied");
                    for (k, v) in pairs.iter().filter(|(k, _)| k == "state") {
                        q.append_pair(k, v);
                    }
                }
            }
            let landing = http
                .get(callback.as_str())
                .send()
                .await
                .expect("the listener answers");
            let status = landing.status().as_u16();
            let page = landing.text().await.expect("a page");
            let _ = tx.send(Visit {
                status,
                page,
                callback: callback.to_string(),
            });
        });
        Ok(())
    };
    (browser, rx)
}

fn code_of(callback: &str) -> String {
    Url::parse(callback)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("the callback carries a code")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_login_ends_with_tokens_and_a_success_page() {
    bounded(async {
        let s = setup().await;
        assert_eq!(
            s.login().redirect_uri(),
            format!("http://127.0.0.1:{}/callback", s.port)
        );
        let (browser, visit) = scripted_browser(s.session.clone(), Tamper::None);
        let tokens = s.login().run(&s.anon, &browser).await.expect("logged in");
        assert_eq!(tokens.scope, "identify");
        let visit = visit.await.expect("the browser came back");
        assert_eq!(visit.status, 200, "{}", visit.page);
        assert!(visit.page.contains("Logged in"), "{}", visit.page);
        let code = code_of(&visit.callback);
        assert!(
            !visit.page.contains(&code),
            "the page never echoes the code"
        );
        assert!(!visit.page.contains(tokens.access_token.expose_secret()));

        let me = s
            .anon
            .with_credential(Credential::bearer(tokens.access_token.clone()))
            .get_current_user_oauth2()
            .send()
            .await
            .expect("the access token works");
        assert_eq!(
            me.user.as_ref().map(|u| u.id.to_string()),
            Some(s.emu.alice().id)
        );
        assert_eq!(me.application.id.to_string(), s.app_id);

        // The token request carried the PKCE verifier, and the code works only once.
        let token_requests: Vec<_> = s
            .emu
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/oauth2/token"))
            .collect();
        assert_eq!(token_requests.len(), 1);
        let form = String::from_utf8_lossy(&token_requests[0].body).into_owned();
        assert!(form.contains("code_verifier="), "{form}");
        assert!(
            form.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
            "{form}"
        );
        let again = s
            .anon
            .exchange_code_with(
                &s.credentials(),
                &Secret::new(code),
                &redirect_uri(s.port),
                None,
            )
            .await
            .expect_err("a code is single-use");
        assert_eq!(again.oauth_kind(), Some(&OAuthErrorKind::InvalidGrant));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_state_is_refused_and_nothing_is_exchanged() {
    bounded(async {
        let s = setup().await;
        let (browser, visit) = scripted_browser(s.session.clone(), Tamper::State);
        let err = s
            .login()
            .run(&s.anon, &browser)
            .await
            .expect_err("a forged state is refused");
        assert!(
            matches!(err, Error::Callback(CallbackError::StateMismatch)),
            "{err:?}"
        );
        let visit = visit.await.expect("the browser came back");
        assert_eq!(visit.status, 400);
        assert!(visit.page.contains("Login failed"), "{}", visit.page);
        assert!(!visit.page.contains(&code_of(&visit.callback)));
        assert_eq!(s.emu.count_token_requests("authorization_code"), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_consent_is_a_typed_error_and_a_failure_page() {
    bounded(async {
        let s = setup().await;
        let (browser, visit) = scripted_browser(s.session.clone(), Tamper::Deny);
        let err = s.login().run(&s.anon, &browser).await.expect_err("denied");
        assert!(
            matches!(
                &err,
                Error::Callback(CallbackError::Denied {
                    error: OAuthCallbackError::AccessDenied,
                    ..
                })
            ),
            "{err:?}"
        );
        let visit = visit.await.expect("the browser came back");
        assert_eq!(visit.status, 400);
        assert!(visit.page.contains("not granted"), "{}", visit.page);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_fails_the_exchange_and_the_page_says_so() {
    bounded(async {
        let s = setup().await;
        let wrong = ClientCredentials::new(&s.app_id, "not-the-secret").expect("credentials");
        let (browser, visit) = scripted_browser(s.session.clone(), Tamper::None);
        let err = LoopbackLogin::new(&s.emu.base_url(), wrong, s.port)
            .scope(Scope::Identify)
            .timeout(Duration::from_secs(20))
            .run(&s.anon, &browser)
            .await
            .expect_err("the exchange is refused");
        match &err {
            Error::OAuth { kind, .. } => {
                assert_eq!(kind, &OAuthErrorKind::InvalidClient)
            }
            other => panic!("expected an exchange error, got {other:?}"),
        }
        assert!(!err.to_string().contains("not-the-secret"));
        let visit = visit.await.expect("the browser came back");
        assert_eq!(visit.status, 502);
        assert!(visit.page.contains("could not finish"), "{}", visit.page);
        assert!(!visit.page.contains(&code_of(&visit.callback)));
    })
    .await;
}

/// Why the port is fixed: the server matches redirect URIs as exact strings, so a listener on
/// another port than the registered one never gets a code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_port_than_the_registered_one_gets_no_code() {
    bounded(async {
        let s = setup().await;
        let other_port = free_port();
        let pending = LoopbackLogin::new(&s.emu.base_url(), s.credentials(), other_port)
            .scope(Scope::Identify)
            .bind()
            .await
            .expect("bound");
        let body = consent_request(pending.authorize_url()).expect("consent body");
        let err = s
            .session
            .provide_oauth2_consent()
            .body(body)
            .send()
            .await
            .expect_err("an unregistered redirect URI is refused");
        assert_eq!(err.status(), Some(400), "{err}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_and_port_zero_are_typed_errors() {
    bounded(async {
        let s = setup().await;
        let holder = std::net::TcpListener::bind(("127.0.0.1", s.port)).expect("hold the port");
        let err = s.login().bind().await.expect_err("the port is taken");
        assert!(
            matches!(err, Error::Loopback(LoopbackError::PortInUse { port }) if port == s.port),
            "{err:?}"
        );
        drop(holder);
        let err = LoopbackLogin::new(&s.emu.base_url(), s.credentials(), 0)
            .scope(Scope::Identify)
            .bind()
            .await
            .expect_err("port 0 is refused");
        assert!(
            matches!(err, Error::Loopback(LoopbackError::RandomPort)),
            "{err:?}"
        );
        assert!(err.to_string().contains("exact strings"));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_callback_within_the_timeout_is_a_timeout() {
    bounded(async {
        let s = setup().await;
        let nobody = |_: &Url| -> Result<(), BrowserUnavailable> { Ok(()) };
        let err = s
            .login()
            .timeout(Duration::from_millis(300))
            .run(&s.anon, &nobody)
            .await
            .expect_err("nobody came back");
        assert!(
            matches!(err, Error::Loopback(LoopbackError::Timeout { .. })),
            "{err:?}"
        );
    })
    .await;
}
