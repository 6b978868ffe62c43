//! Instance discovery: `FluxerClient::discover` reads `/.well-known/fluxer` and configures the API
//! base and the consent page. Good documents (recorded, emulated, with and without the `oauth2`
//! block), and every way it must fail: no document, an oversized or malformed one, plain http, an
//! advertised API on another host that does not answer (and the override for it), a redirect and a
//! server that never answers.
//!
//! Raw servers on the loopback range serve the recorded document (`p_discovery`), rewritten where a
//! test needs its addresses to point back at them.

use std::{
    net::{Ipv4Addr, TcpListener},
    sync::Arc,
    time::{Duration, Instant},
};

use crate::common::{
    bounded, lock,
    raw_server::{RawRequest, RawServer, Reply, Seen},
};
use fluxer_oauth2::{
    Credential, CredentialKind, Error, FluxerClient, RetryPolicy, TransportKind,
    discovery::{Discovery, DiscoveryError, Instance},
    oauth::Scope,
};
use fluxer_oauth2_emulator::{Emulator, EmulatorConfig};

const RECORDED: &str = include_str!("../fixtures/scopes_bots_discovery/well_known_200.json");
const NOT_FOUND: &str =
    include_str!("../fixtures/scopes_bots_discovery/well_known_trailing_slash_404.json");

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// The recorded document with its `http://localhost:8088` addresses replaced by `origin`.
fn recorded_at(origin: &str) -> String {
    RECORDED.replace("http://localhost:8088", origin)
}

/// A server on `ip` that answers `GET /.well-known/fluxer` (at the root and under `/v1`) with what
/// `document` makes of its own origin (`http://ip:port`), everything else 404; it keeps the requests.
async fn instance_on(
    ip: Ipv4Addr,
    document: impl Fn(&str) -> (u16, String) + Send + Sync + 'static,
) -> (RawServer, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let server = RawServer::answering(ip, move |_, request: RawRequest| {
        let host = String::from_utf8_lossy(request.header("host").unwrap_or_default()).into_owned();
        let path = request.target().to_owned();
        lock(&log).push(request);
        if path == "/.well-known/fluxer" || path == "/v1/.well-known/fluxer" {
            let (status, body) = document(&format!("http://{host}"));
            Reply::new(status, "application/json", body)
        } else {
            Reply::new(404, "application/json", NOT_FOUND)
        }
    })
    .await;
    (server, seen)
}

fn quick(instance: &str) -> Discovery {
    Discovery::new(instance).timeout(Duration::from_secs(3))
}

fn discovery_error(result: Result<FluxerClient, Error>) -> DiscoveryError {
    match result {
        Err(Error::Discovery(e)) => e,
        Err(other) => panic!("expected a discovery error, got {other:?}"),
        Ok(client) => panic!("discovery succeeded with {}", client.base_url()),
    }
}

#[tokio::test]
async fn a_good_document_configures_the_api_and_the_consent_page() {
    bounded(async {
        let (server, seen) = instance_on(Ipv4Addr::LOCALHOST, |origin| {
            (
                200,
                recorded_at(origin).replace(&format!("{origin}/api"), &format!("{origin}/v1")),
            )
        })
        .await;
        let client = FluxerClient::builder()
            .credential(Credential::bot("1579199149641826379.secret"))
            .retry_policy(RetryPolicy::NONE)
            .discover(quick(&server.root_url()))
            .await
            .unwrap();
        assert_eq!(client.base_url(), server.base_url());
        assert_eq!(
            client.credential_kind(),
            Some(CredentialKind::Bot),
            "the builder's credential"
        );

        let instance = client
            .instance()
            .expect("a discovered client knows its instance");
        assert_eq!(instance.api_base(), server.base_url());
        assert!(!instance.is_api_base_overridden());
        assert_eq!(
            instance.authorize_endpoint().as_str(),
            format!("{}/oauth2/authorize", server.root_url())
        );
        assert_eq!(
            instance.captcha_provider(),
            None,
            "the recorded instance has none"
        );
        assert_eq!(instance.document().api_code_version, Some(1));
        assert_eq!(
            instance.document().sso.as_ref().map(|s| s.enabled),
            Some(false)
        );
        assert!(instance.document().limits.contains_key("rules"));
        assert_eq!(
            instance.scopes_supported(),
            None,
            "no oauth2 block on this version"
        );

        // The document, then the check of the API base; neither carries the credential.
        let requests = lock(&seen).clone();
        let targets: Vec<&str> = requests.iter().map(|r| r.target()).collect();
        assert_eq!(targets, ["/.well-known/fluxer", "/v1/.well-known/fluxer"]);
        assert!(requests.iter().all(|r| r.header("authorization").is_none()));

        // Derived clients keep the instance; authorize URLs and invites go to its consent page.
        let user = client.with_credential(None);
        assert!(user.instance().is_some());
        let request = user
            .authorize_url("1579199149641826379", "https://app.example/callback")
            .scope(Scope::Identify)
            .build()
            .unwrap();
        assert!(
            request
                .url
                .as_str()
                .starts_with(&format!("{}/oauth2/authorize?", server.root_url()))
        );
        let invite = user.bot_invite("1579199149641826379").build().unwrap();
        assert!(
            invite
                .url
                .as_str()
                .starts_with(&format!("{}/oauth2/authorize?", server.root_url()))
        );
    })
    .await;
}

#[tokio::test]
async fn the_recorded_document_advertises_an_api_that_does_not_answer() {
    bounded(async {
        // As recorded: `http://localhost:8088/api`, here on a port nothing listens on.
        let port = closed_port();
        let (server, _) = instance_on(Ipv4Addr::LOCALHOST, move |_| {
            (200, RECORDED.replace(":8088", &format!(":{port}")))
        })
        .await;
        let err = discovery_error(FluxerClient::discover(quick(&server.root_url())).await);
        match &err {
            DiscoveryError::ApiUnreachable {
                api_base,
                overridden,
                ..
            } => {
                assert_eq!(api_base, &format!("http://localhost:{port}/api"));
                assert!(!overridden);
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("api_base_override"), "{err}");

        // The override: the API is where the document was served.
        let client =
            FluxerClient::discover(quick(&server.root_url()).api_base_override(server.base_url()))
                .await
                .unwrap();
        assert_eq!(client.base_url(), server.base_url());
        let instance = client.instance().unwrap();
        assert!(instance.is_api_base_overridden());
        assert_eq!(
            instance.advertised_api_base(),
            format!("http://localhost:{port}/api")
        );
        // The web app is still the advertised one.
        assert_eq!(
            instance.authorize_endpoint().as_str(),
            format!("http://localhost:{port}/oauth2/authorize")
        );

        // Without the check, the advertised address is taken as it is.
        let client = FluxerClient::discover(quick(&server.root_url()).verify_api(false))
            .await
            .unwrap();
        assert_eq!(client.base_url(), format!("http://localhost:{port}/api"));

        // An override that does not answer either.
        let err = discovery_error(
            FluxerClient::discover(
                quick(&server.root_url())
                    .api_base_override(format!("http://127.0.0.1:{}", closed_port())),
            )
            .await,
        );
        assert!(
            matches!(
                err,
                DiscoveryError::ApiUnreachable {
                    overridden: true,
                    ..
                }
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_api_on_another_host_that_answers_is_used() {
    bounded(async {
        let (api, api_seen) = instance_on(Ipv4Addr::new(127, 0, 0, 2), |origin| {
            (200, recorded_at(origin))
        })
        .await;
        let api_base = format!("http://{}/v1", api.addr);
        let advertised = api_base.clone();
        let (web, _) = instance_on(Ipv4Addr::LOCALHOST, move |origin| {
            (
                200,
                recorded_at(origin).replace(&format!("{origin}/api"), &advertised),
            )
        })
        .await;
        let client = FluxerClient::discover(quick(&web.root_url()))
            .await
            .unwrap();
        assert_eq!(client.base_url(), api_base);
        assert_eq!(lock(&api_seen).len(), 1, "the API base was checked");
        assert_eq!(
            client.instance().unwrap().authorize_endpoint().as_str(),
            format!("{}/oauth2/authorize", web.root_url()),
            "consent stays on the web app"
        );
    })
    .await;
}

#[tokio::test]
async fn plain_http_is_refused_for_the_instance_and_what_it_advertises() {
    bounded(async {
        let err = discovery_error(FluxerClient::discover("http://chat.example.org").await);
        assert!(matches!(err, DiscoveryError::InstanceUrl { .. }), "{err:?}");
        assert!(err.to_string().contains("https"), "{err}");
        for bad in [
            "ftp://chat.example.org",
            "chat.example.org",
            "https://u:p@chat.example.org",
        ] {
            let err = discovery_error(FluxerClient::discover(bad).await);
            assert!(
                matches!(err, DiscoveryError::InstanceUrl { .. }),
                "{bad}: {err:?}"
            );
            assert!(!err.to_string().contains("u:p"), "{err}");
        }

        for (field, from, to) in [
            (
                "endpoints.api",
                "http://localhost:8088/api",
                "http://api.chat.example.org/v1",
            ),
            (
                "endpoints.webapp",
                "\"webapp\":\"http://localhost:8088\"",
                "\"webapp\":\"http://chat.example.org\"",
            ),
        ] {
            let (server, seen) = instance_on(Ipv4Addr::LOCALHOST, move |origin| {
                (
                    200,
                    recorded_at(origin).replace(&from.replace("http://localhost:8088", origin), to),
                )
            })
            .await;
            let err = discovery_error(FluxerClient::discover(quick(&server.root_url())).await);
            match &err {
                DiscoveryError::UnusableEndpoint {
                    field: f, reason, ..
                } => {
                    assert_eq!(*f, field);
                    assert!(reason.contains("https"), "{reason}");
                }
                other => panic!("{field}: {other:?}"),
            }
            assert_eq!(
                lock(&seen).len(),
                1,
                "no request went to the advertised address"
            );
        }
        // An insecure override is refused before any traffic.
        let (server, _) =
            instance_on(Ipv4Addr::LOCALHOST, |origin| (200, recorded_at(origin))).await;
        for discovery in [
            quick(&server.root_url()).api_base_override("http://api.example.org"),
            quick(&server.root_url()).web_app_override("http://chat.example.org"),
        ] {
            let err = discovery_error(FluxerClient::discover(discovery).await);
            assert!(matches!(err, DiscoveryError::InstanceUrl { .. }), "{err:?}");
            assert!(err.to_string().contains("override"), "{err}");
        }
        assert_eq!(server.accepted(), 0);
    })
    .await;
}

#[tokio::test]
async fn a_missing_document_is_no_document() {
    bounded(async {
        let (server, _) = instance_on(Ipv4Addr::LOCALHOST, |_| (404, NOT_FOUND.to_owned())).await;
        let err = discovery_error(FluxerClient::discover(quick(&server.root_url())).await);
        assert_eq!(
            err,
            DiscoveryError::NoDocument {
                instance: server.root_url(),
                status: 404
            }
        );
        assert!(
            err.to_string().contains("/.well-known/fluxer answered 404"),
            "{err}"
        );

        // A web server that is not a Fluxer instance: its HTML page for every path.
        let html = RawServer::answering(Ipv4Addr::LOCALHOST, |_, _| {
            Reply::new(404, "text/html", "<!doctype html><title>Not here</title>")
        })
        .await;
        let err = discovery_error(FluxerClient::discover(quick(&html.root_url())).await);
        assert!(
            matches!(err, DiscoveryError::NoDocument { status: 404, .. }),
            "{err:?}"
        );

        // A redirect is not followed.
        let moved = RawServer::answering(Ipv4Addr::LOCALHOST, |_, _| Reply {
            status: 301,
            content_type: None,
            body: Vec::new(),
        })
        .await;
        let err = discovery_error(FluxerClient::discover(quick(&moved.root_url())).await);
        assert!(
            matches!(err, DiscoveryError::Redirected { status: 301, .. }),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn malformed_documents_are_refused() {
    bounded(async {
        for body in [
            "<!doctype html><html>the web app's index page</html>",
            "{}",
            r#"{"endpoints":{}}"#,
            r#"{"endpoints":{"api":42}}"#,
            "[1,2,3]",
            r#"{"endpoints":{"api":"https://a.example/v1""#,
            "",
        ] {
            let (server, _) =
                instance_on(Ipv4Addr::LOCALHOST, move |_| (200, body.to_owned())).await;
            let err = discovery_error(FluxerClient::discover(quick(&server.root_url())).await);
            assert!(
                matches!(err, DiscoveryError::Malformed { .. }),
                "{body:?}: {err:?}"
            );
            assert!(
                err.to_string().contains("not an instance document"),
                "{err}"
            );
        }
        let (server, _) = instance_on(Ipv4Addr::LOCALHOST, |_| {
            (200, r#"{"endpoints":{"api":"not a url"}}"#.to_owned())
        })
        .await;
        let err = discovery_error(FluxerClient::discover(quick(&server.root_url())).await);
        assert!(
            matches!(
                err,
                DiscoveryError::UnusableEndpoint {
                    field: "endpoints.api",
                    ..
                }
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn an_oversized_document_is_not_read() {
    bounded(async {
        let (server, _) = instance_on(Ipv4Addr::LOCALHOST, |origin| {
            let padding = "x".repeat(300 * 1024);
            (200, recorded_at(origin).replacen('{', &format!("{{\"padding\":\"{padding}\","), 1))
        })
        .await;
        let err = discovery_error(FluxerClient::discover(quick(&server.root_url())).await);
        assert!(
            matches!(err, DiscoveryError::TooLarge { limit, .. } if limit == fluxer_oauth2::discovery::DEFAULT_MAX_DOCUMENT_BYTES),
            "{err:?}"
        );
        // A lower limit refuses even the recorded document (2.6 kB).
        let (server, _) = instance_on(Ipv4Addr::LOCALHOST, |origin| (200, recorded_at(origin))).await;
        let err = discovery_error(
            FluxerClient::discover(quick(&server.root_url()).max_document_bytes(1024)).await,
        );
        assert!(matches!(err, DiscoveryError::TooLarge { limit: 1024, .. }), "{err:?}");
        assert!(err.to_string().contains("max_document_bytes"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_silent_server_is_given_up_on_in_bounded_time() {
    bounded(async {
        let silent = RawServer::start(Ipv4Addr::LOCALHOST, |_, stream| async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            drop(stream);
        })
        .await;
        let started = Instant::now();
        let err = discovery_error(
            FluxerClient::discover(
                Discovery::new(silent.root_url()).timeout(Duration::from_millis(300)),
            )
            .await,
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert!(
            matches!(
                err,
                DiscoveryError::TimedOut { .. }
                    | DiscoveryError::Unreachable {
                        kind: TransportKind::Timeout,
                        ..
                    }
            ),
            "{err:?}"
        );

        let err = discovery_error(
            FluxerClient::discover(quick(&format!("http://127.0.0.1:{}", closed_port()))).await,
        );
        assert!(
            matches!(
                err,
                DiscoveryError::Unreachable {
                    kind: TransportKind::Connect,
                    ..
                }
            ),
            "{err:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn the_oauth2_block_of_newer_servers_is_used() {
    bounded(async {
        let (server, _) = instance_on(Ipv4Addr::LOCALHOST, |origin| {
            let block = format!(
                r#""oauth2":{{"authorization_endpoint":"{origin}/consent/authorize","token_endpoint":"{origin}/v1/oauth2/token","scopes_supported":["identify","email","guilds","connections","bot","voice"]}},"#
            );
            (200, recorded_at(origin).replace(&format!("{origin}/api"), &format!("{origin}/v1")).replacen('{', &format!("{{{block}"), 1))
        })
        .await;
        let client = FluxerClient::discover(quick(&server.root_url())).await.unwrap();
        let instance = client.instance().unwrap();
        assert_eq!(
            instance.authorize_endpoint().as_str(),
            format!("{}/consent/authorize", server.root_url())
        );
        let scopes = instance.scopes_supported().unwrap();
        assert!(scopes.contains(&Scope::Bot) && scopes.contains(&Scope::Other("voice".into())));
        // The web-app override wins over the block.
        let client = FluxerClient::discover(quick(&server.root_url()).web_app_override("https://web.chat.example.org/"))
            .await
            .unwrap();
        assert_eq!(
            client.instance().unwrap().authorize_endpoint().as_str(),
            "https://web.chat.example.org/oauth2/authorize"
        );
    })
    .await;
}

#[test]
fn documents_read_without_traffic() {
    let instance = Instance::from_document(
        "https://chat.example.org/",
        recorded_at("https://chat.example.org").as_bytes(),
    )
    .unwrap();
    assert_eq!(instance.instance_url(), "https://chat.example.org");
    assert_eq!(instance.api_base(), "https://chat.example.org/api");
    assert_eq!(
        instance.web_app_base().map(|u| u.as_str()),
        Some("https://chat.example.org/")
    );
    let recorded =
        Instance::from_document("https://chat.example.org", RECORDED.as_bytes()).unwrap();
    assert_eq!(
        recorded.api_base(),
        "http://localhost:8088/api",
        "loopback http is allowed"
    );
}

// ---- Against the emulator. -----------------------------------------------------------------------

#[tokio::test]
async fn the_emulator_is_discovered_from_its_api_base_or_its_root() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = emu.alice();
        for start in [emu.base_url(), format!("http://{}", emu.addr())] {
            let client = FluxerClient::builder()
                .credential(Credential::session(alice.session_token.as_str()))
                .discover(quick(&start))
                .await
                .unwrap();
            assert_eq!(client.base_url(), emu.base_url());
            // From the API base itself the document is all it takes; from the root, the API base
            // is checked too.
            let documents =
                crate::common::emulator::requests_to(&emu, "GET", "/.well-known/fluxer").len();
            assert_eq!(documents, if start == emu.base_url() { 1 } else { 2 });
            emu.clear_requests();
            let me = client.get_current_user().send().await.unwrap();
            assert_eq!(me.id.as_str(), alice.id);
            assert_eq!(
                client.instance().unwrap().authorize_endpoint().as_str(),
                "https://web.fluxer.app/oauth2/authorize"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn an_emulator_advertising_another_address_needs_the_override() {
    bounded(async {
        let emu = Emulator::start_with(EmulatorConfig {
            advertised_api_base: Some(format!("http://localhost:{}/api", closed_port())),
            discovery_oauth2_block: true,
            ..EmulatorConfig::default()
        })
        .await;
        let err = discovery_error(FluxerClient::discover(quick(&emu.base_url())).await);
        assert!(
            matches!(
                err,
                DiscoveryError::ApiUnreachable {
                    overridden: false,
                    ..
                }
            ),
            "{err:?}"
        );

        let client =
            FluxerClient::discover(quick(&emu.base_url()).api_base_override(emu.base_url()))
                .await
                .unwrap();
        assert_eq!(client.base_url(), emu.base_url());
        let instance = client.instance().unwrap();
        assert_eq!(
            instance.authorize_endpoint().as_str(),
            "https://web.fluxer.app/oauth2/authorize"
        );
        assert!(
            instance
                .scopes_supported()
                .unwrap()
                .contains(&Scope::Connections)
        );
        let public = client
            .get_public_application()
            .id(fluxer_oauth2_emulator::BUILTIN_APPLICATION_ID)
            .send()
            .await
            .unwrap();
        assert_eq!(
            public.id.as_str(),
            fluxer_oauth2_emulator::BUILTIN_APPLICATION_ID
        );
    })
    .await;
}
