//! A user's own `reqwest::Client` (here: one that goes through an HTTP proxy on 127.0.0.1) carries
//! every call, with the crate's header, checks and error mapping still in place.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use fluxer_oauth2::{Credential, Error, FluxerClient, http_client_builder, reqwest};
use fluxer_oauth2_emulator::Emulator;
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
};

/// A forwarding HTTP proxy for plain-http targets: it counts the requests it forwards, and rewrites
/// each absolute-form request line to origin form for the target. One request per connection.
async fn start_proxy() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        for _ in 0..1000 {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
                    if inbound.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).into_owned();
                let (line, rest) = text.split_once("\r\n").unwrap();
                let mut parts = line.splitn(3, ' ');
                let (method, target, version) = (
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                    parts.next().unwrap(),
                );
                let url = url::Url::parse(target).expect("an absolute-form request");
                let authority = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
                let path = match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                };
                seen.fetch_add(1, Ordering::SeqCst);
                let Ok(mut outbound) = TcpStream::connect(&authority).await else {
                    return;
                };
                let rewritten = format!("{method} {path} {version}\r\n{rest}");
                if outbound.write_all(rewritten.as_bytes()).await.is_err() {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    (format!("http://{addr}"), count)
}

fn proxied(proxy: &str) -> reqwest::Client {
    http_client_builder()
        .proxy(reqwest::Proxy::http(proxy).unwrap())
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_call_goes_through_the_users_client() {
    let emu = Emulator::start().await;
    let (proxy, count) = start_proxy().await;
    let alice = emu.alice();
    let client = FluxerClient::builder()
        .base_url(emu.base_url())
        .http_client(proxied(&proxy))
        .credential(Credential::session(alice.session_token.as_str()))
        .build()
        .unwrap();
    let apps = client.list_user_applications().send().await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let before = apps.len();

    let created = client
        .create_oauth_application()
        .body(fluxer_oauth2::types::ApplicationCreateRequest::builder().name("Through a proxy"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.name, "Through a proxy");
    assert_eq!(
        client.list_user_applications().send().await.unwrap().len(),
        before + 1
    );
    assert_eq!(count.load(Ordering::SeqCst), 3);
    // The emulator saw the crate's one Authorization header, sent through the proxy.
    let last = emu.requests().pop().unwrap();
    assert_eq!(
        last.header("authorization"),
        Some(alice.session_token.as_str())
    );

    // Errors still map, and a refused credential still sends nothing.
    let err = client
        .get_oauth_application()
        .id("999999999999999999")
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    let err = client
        .with_credential(Credential::bot("1.bot"))
        .list_user_applications()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::CredentialNotAccepted { .. }),
        "{err:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 4);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_base_url_the_policy_refuses_is_refused_with_a_users_client_too() {
    let client = FluxerClient::builder()
        .base_url("http://api.example.org/v1")
        .http_client(http_client_builder().build().unwrap())
        .build();
    assert!(matches!(client, Err(Error::InvalidInput { .. })));
}
