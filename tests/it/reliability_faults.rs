//! Faults between the client and the server: refused connections, connections cut mid-body,
//! truncated or non-JSON bodies, HTML error pages from a proxy, a server that never answers, and an
//! answer over the size cap. Each must give its typed error with a message that says what to do,
//! never a panic, send the request once (no hidden retry that could spend a single-use value), and
//! leave the client usable: the next call on the same client succeeds.

use std::{net::Ipv4Addr, time::Duration};

use crate::common::{
    bounded_by,
    emulator::{REDIRECT_URI, builder, builder_for, create_app, session, tokens},
    raw_server::{RawServer, read_request, relay},
};
use fluxer_oauth2::{Credential, Error, FluxerClient, Secret, TransportKind, oauth::Scope};
use fluxer_oauth2_emulator::{BUILTIN_APPLICATION_ID, Emulator, EmulatorConfig, Fault};
use tokio::io::AsyncWriteExt;

/// The longest any test here may run.
const LIMIT: Duration = Duration::from_secs(30);

/// The timeout of the client that meets a server that never answers.
const HANG_TIMEOUT: Duration = Duration::from_millis(500);

/// The response cap of the client that meets an oversized answer.
const SMALL_CAP: usize = 16 * 1024;

/// The operation a probe makes, one per kind of caller.
#[derive(Clone, Copy, Debug)]
enum Probe {
    /// `get_public_application`, no credential.
    Public,
    /// `get_oauth2_userinfo`, an OAuth2 access token.
    UserInfo,
    /// `introspect_oauth2_token`, the token endpoint family with client credentials.
    Introspect,
    /// `get_current_user_applications`, a bot token.
    Bot,
}

const PROBES: [Probe; 4] = [
    Probe::Public,
    Probe::UserInfo,
    Probe::Introspect,
    Probe::Bot,
];

impl Probe {
    fn operation(self) -> &'static str {
        match self {
            Probe::Public => "get_public_application",
            Probe::UserInfo => "get_oauth2_userinfo",
            Probe::Introspect => "introspect_oauth2_token",
            Probe::Bot => "get_current_user_applications",
        }
    }

    fn path(self, app_id: &str) -> String {
        match self {
            Probe::Public => format!("/oauth2/applications/{app_id}/public"),
            Probe::UserInfo => "/oauth2/userinfo".to_owned(),
            Probe::Introspect => "/oauth2/introspect".to_owned(),
            Probe::Bot => "/applications/@me".to_owned(),
        }
    }

    fn method(self) -> &'static str {
        match self {
            Probe::Introspect => "POST",
            _ => "GET",
        }
    }
}

/// What a probe needs: an application, a user's access token, and the secrets.
struct World {
    app_id: String,
    client_secret: Secret,
    bot_token: Secret,
    access_token: Secret,
}

impl World {
    async fn new(emu: &Emulator) -> World {
        let session = session(emu, &emu.alice());
        let app = create_app(&session, "Fault probe", &[REDIRECT_URI]).await;
        let tokens = tokens(&session, &app, &[Scope::Identify]).await;
        World {
            app_id: app.id.clone(),
            client_secret: app.secret.clone(),
            bot_token: app.bot_token.clone(),
            access_token: tokens.access_token.clone(),
        }
    }

    /// Runs the probe with `base` (no credential) as the starting client, in its own task so that
    /// a panic shows up as such rather than as a failed assertion elsewhere.
    async fn run(&self, probe: Probe, base: &FluxerClient) -> Result<(), Error> {
        let base = base.clone();
        let app_id = self.app_id.clone();
        let secret = self.client_secret.clone();
        let bot = self.bot_token.clone();
        let access = self.access_token.clone();
        let task = tokio::spawn(async move {
            match probe {
                Probe::Public => base
                    .get_public_application()
                    .id(&app_id)
                    .send()
                    .await
                    .map(drop),
                Probe::UserInfo => base
                    .with_credential(Credential::Bearer(access))
                    .get_oauth2_userinfo()
                    .send()
                    .await
                    .map(drop),
                Probe::Introspect => {
                    let credentials =
                        fluxer_oauth2::oauth::ClientCredentials::new(&app_id, secret)?;
                    let answer = base.introspect(&credentials, &access).await?;
                    assert!(answer.active, "the access token is live");
                    Ok(())
                }
                Probe::Bot => base
                    .with_credential(Credential::Bot(bot))
                    .get_current_user_applications()
                    .send()
                    .await
                    .map(drop),
            }
        });
        match task.await {
            Ok(result) => result,
            Err(e) => panic!("{probe:?} panicked: {e}"),
        }
    }
}

/// The typed error a fault must give, and words its message must contain.
fn expect_error(fault: &Fault, err: &Error, operation: &str) {
    let shown = err.to_string();
    assert!(
        shown.starts_with(operation),
        "the message names the operation {operation}: {shown}"
    );
    let advice = match (fault, err) {
        (Fault::TruncatedJson | Fault::NonJsonBody, Error::Decode { status: 200, .. }) => {
            "could not decode the 200 answer"
        }
        (Fault::ServerError { status }, Error::Server { status: got, .. }) if status == got => {
            "try again later"
        }
        (
            Fault::DropConnection,
            Error::Transport {
                kind: TransportKind::Interrupted,
                ..
            },
        ) => "try again",
        (
            Fault::Hang,
            Error::Transport {
                kind: TransportKind::Timeout,
                ..
            },
        ) => "raise the timeout",
        (Fault::OversizedBody { .. }, Error::ResponseTooLarge { limit, .. }) => {
            assert_eq!(*limit, SMALL_CAP);
            "raise FluxerClientBuilder::max_response_bytes"
        }
        _ => panic!("{operation} under {fault:?} gave {err:?}"),
    };
    assert!(
        shown.contains(advice),
        "the message says what to do ({advice}): {shown}"
    );
}

/// Every emulator fault on every kind of caller: the typed error, one request, then a success on
/// the same client.
#[tokio::test]
async fn every_fault_gives_its_typed_error_and_the_client_recovers() {
    bounded_by(LIMIT, async {
        let emu = Emulator::start().await;
        let world = World::new(&emu).await;
        let faults = [
            Fault::TruncatedJson,
            Fault::NonJsonBody,
            Fault::ServerError { status: 502 },
            Fault::ServerError { status: 503 },
            Fault::DropConnection,
            Fault::Hang,
            Fault::OversizedBody { bytes: 256 * 1024 },
        ];
        let mut cases = 0;
        for fault in &faults {
            // The client each fault meets: the configured timeout for a hang, a small cap for an
            // oversized answer, the defaults otherwise.
            let client = match fault {
                Fault::Hang => builder(&emu).timeout(HANG_TIMEOUT),
                Fault::OversizedBody { .. } => builder(&emu).max_response_bytes(SMALL_CAP),
                _ => builder(&emu),
            }
            .build()
            .expect("the client builds");
            for probe in PROBES {
                let path = probe.path(&world.app_id);
                let before = emu.count_requests(probe.method(), &path);
                emu.set_fault(fault.clone().on_path(path.clone()).times(1));
                let started = std::time::Instant::now();
                let err = world
                    .run(probe, &client)
                    .await
                    .expect_err("the fault gives an error");
                let took = started.elapsed();
                expect_error(fault, &err, probe.operation());
                assert_eq!(
                    emu.count_requests(probe.method(), &path) - before,
                    1,
                    "{probe:?} under {fault:?} was sent exactly once"
                );
                if matches!(fault, Fault::Hang) {
                    assert!(
                        took >= HANG_TIMEOUT && took < HANG_TIMEOUT + Duration::from_secs(2),
                        "the configured timeout fired: {took:?}"
                    );
                }
                world
                    .run(probe, &client)
                    .await
                    .unwrap_or_else(|e| panic!("{probe:?} after {fault:?} succeeds: {e}"));
                println!(
                    "fault {fault:?} on {}: {} -> then OK",
                    probe.operation(),
                    variant(&err)
                );
                cases += 1;
            }
            emu.clear_faults();
        }
        println!("emulator faults: {cases} fault cases, {cases} typed errors, {cases} recoveries");
        assert_eq!(cases, faults.len() * PROBES.len());
        emu.shutdown().await;
    })
    .await;
}

fn variant(err: &Error) -> String {
    let debug = format!("{err:?}");
    let end = debug.find([' ', '{', '(']).unwrap_or(debug.len());
    match err {
        Error::Transport { kind, .. } => format!("Transport({kind:?})"),
        Error::Decode { status, .. } | Error::Server { status, .. } => {
            format!("{}({status})", &debug[..end])
        }
        _ => debug[..end].to_owned(),
    }
}

/// A connection refused gives a connect error; once a server listens on that port, the same client
/// succeeds.
#[tokio::test]
async fn a_refused_connection_then_a_server_on_that_port() {
    bounded_by(LIMIT, async {
        // A port that nothing listens on: bind one, note it, free it.
        let probe = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let port = probe.local_addr().expect("an address").port();
        drop(probe);
        let base = format!("http://127.0.0.1:{port}/v1");
        let client = builder_for(&base).build().expect("the client builds");
        let err = client
            .get_public_application()
            .id(BUILTIN_APPLICATION_ID)
            .send()
            .await
            .expect_err("nothing listens");
        match &err {
            Error::Transport {
                kind: TransportKind::Connect,
                operation: "get_public_application",
                ..
            } => {}
            other => panic!("expected a connect error, got {other:?}"),
        }
        let shown = err.to_string();
        assert!(
            shown.contains("could not connect") && shown.contains("check the base URL"),
            "{shown}"
        );
        println!("refused: {shown}");

        // The same client, once the server is up on that port.
        let emu = Emulator::try_start_with(EmulatorConfig {
            port,
            ..EmulatorConfig::default()
        })
        .await
        .expect("the freed port can be bound again");
        let public = client
            .get_public_application()
            .id(BUILTIN_APPLICATION_ID)
            .send()
            .await
            .expect("the same client succeeds once the server listens");
        assert_eq!(public.id.as_str(), BUILTIN_APPLICATION_ID);
        emu.shutdown().await;
    })
    .await;
}

/// A raw server whose first connection sends the headers and part of a chunked body, then closes;
/// later connections are relayed to the emulator. The cut gives an interrupted-transport error; the
/// next call on the same client goes through.
#[tokio::test]
async fn a_connection_reset_mid_body_then_a_success() {
    bounded_by(LIMIT, async {
        let emu = Emulator::start().await;
        let world = World::new(&emu).await;
        let target = emu.addr();
        let server = RawServer::start(Ipv4Addr::LOCALHOST, move |index, mut stream| async move {
            if index == 0 {
                let _ = read_request(&mut stream).await;
                let part = br#"{"id":"1574449618593251330","name":"half an ans"#;
                let mut out = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
                out.extend_from_slice(format!("{:x}\r\n", part.len() + 40).as_bytes());
                out.extend_from_slice(part);
                let _ = stream.write_all(&out).await;
                let _ = stream.flush().await;
                // Closing here cuts the chunk (and the body) short.
                drop(stream);
            } else {
                relay(stream, target).await;
            }
        })
        .await;
        let client = builder_for(&server.base_url())
            .build()
            .expect("the client builds");
        let err = world
            .run(Probe::Public, &client)
            .await
            .expect_err("the body was cut");
        match &err {
            Error::Transport {
                kind: TransportKind::Interrupted,
                operation: "get_public_application",
                ..
            } => {}
            other => panic!("expected an interrupted transport, got {other:?}"),
        }
        let shown = err.to_string();
        assert!(
            shown.contains("connection broke") && shown.contains("try again"),
            "{shown}"
        );
        println!("reset mid-body: {shown}");
        world
            .run(Probe::Public, &client)
            .await
            .expect("the next call on the same client succeeds");
        world
            .run(Probe::Introspect, &client)
            .await
            .expect("so does a token-endpoint call");
        assert!(server.accepted() >= 2, "a new connection was opened");
        emu.shutdown().await;
    })
    .await;
}

/// A raw server that answers chunked, with no `Content-Length`, more than the cap: the client stops
/// reading at the cap and says so; the next (relayed) call succeeds.
#[tokio::test]
async fn a_chunked_answer_over_the_cap_without_content_length() {
    bounded_by(LIMIT, async {
        let emu = Emulator::start().await;
        let target = emu.addr();
        let server = RawServer::start(Ipv4Addr::LOCALHOST, move |index, mut stream| async move {
            if index == 0 {
                let _ = read_request(&mut stream).await;
                let _ = stream
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                    .await;
                // 64 chunks of 4 KiB: 256 KiB, far over the cap; stop early if the client hangs up.
                let chunk = vec![b'x'; 4096];
                for _ in 0..64 {
                    let mut out = format!("{:x}\r\n", chunk.len()).into_bytes();
                    out.extend_from_slice(&chunk);
                    out.extend_from_slice(b"\r\n");
                    if stream.write_all(&out).await.is_err() {
                        return;
                    }
                }
                let _ = stream.write_all(b"0\r\n\r\n").await;
            } else {
                relay(stream, target).await;
            }
        })
        .await;
        let client = builder_for(&server.base_url())
            .max_response_bytes(SMALL_CAP)
            .build()
            .expect("the client builds");
        let err = client
            .get_public_application().id(BUILTIN_APPLICATION_ID).send()
            .await
            .expect_err("the answer is over the cap");
        match &err {
            Error::ResponseTooLarge {
                operation: "get_public_application",
                limit,
            } => assert_eq!(*limit, SMALL_CAP),
            other => panic!("expected ResponseTooLarge, got {other:?}"),
        }
        assert!(
            err.to_string()
                .contains("raise FluxerClientBuilder::max_response_bytes"),
            "{err}"
        );
        println!("oversized (raw, chunked): {err}");
        client
            .get_public_application().id(BUILTIN_APPLICATION_ID).send()
            .await
            .expect("the next call on the same client succeeds");
        emu.shutdown().await;
    })
    .await;
}
