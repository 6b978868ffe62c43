//! The rate-limit headers of an answer, with any values, read through a call (`Response::rate_limit`
//! of a 200, the `info` and `retry_after` of the `Error::RateLimited` of a 429): never a panic,
//! every duration finite.
//!
//! The headers are parsed only inside a call, so each input is served by a small HTTP server on
//! 127.0.0.1 that this target starts once.
#![no_main]

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use fluxer_oauth2::{Error, FluxerClient, RateLimitInfo, RetryPolicy};
use http::HeaderValue;
use libfuzzer_sys::fuzz_target;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    runtime::Runtime,
};

const NAMES: [&str; 8] = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-reset-after",
    "x-ratelimit-bucket",
    "x-ratelimit-scope",
    "x-ratelimit-global",
    "retry-after",
];

/// A public application, as `get_public_application` answers it.
const PUBLIC_APPLICATION: &str = r#"{"id":"1574449618593251330","name":"Fuzz","bot_public":false,"redirect_uris":[],"scopes":[]}"#;

struct Harness {
    runtime: Runtime,
    client: FluxerClient,
}

/// What the server answers next: status, header lines (without the line ends), body.
static NEXT: Mutex<(u16, Vec<Vec<u8>>, &'static str)> = Mutex::new((200, Vec::new(), ""));

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let addr = listener.local_addr().expect("an address");
        runtime.spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(async move {
                    // Read the request head before answering.
                    let mut buf = vec![0u8; 16 * 1024];
                    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
                        .await;
                    let (status, lines, body) =
                        NEXT.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    let mut head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
                        body.len()
                    )
                    .into_bytes();
                    for line in lines {
                        head.extend_from_slice(&line);
                        head.extend_from_slice(b"\r\n");
                    }
                    head.extend_from_slice(b"\r\n");
                    let _ = stream.write_all(&head).await;
                    let _ = stream.write_all(body.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        let client = FluxerClient::builder()
            .base_url(format!("http://{addr}/v1"))
            .retry_policy(RetryPolicy::NONE)
            .timeout(Duration::from_secs(5))
            .build()
            .expect("a client");
        Harness { runtime, client }
    })
}

fn finite(info: &RateLimitInfo) {
    for d in [info.reset_after, info.retry_after].into_iter().flatten() {
        assert!(d < Duration::from_secs(1_000_000_000), "{info:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks the status (even: 200, odd: 429); the rest is split on 0xFF into the
    // values of the eight headers, in order.
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let limited = pick % 2 == 1;
    let mut lines = Vec::new();
    for (name, value) in NAMES.iter().zip(rest.split(|b| *b == 0xff)) {
        // Only values that can travel in a header line.
        if HeaderValue::from_bytes(value).is_ok() {
            let mut line = format!("{name}: ").into_bytes();
            line.extend_from_slice(value);
            lines.push(line);
        }
    }
    let (status, body) = if limited {
        (429, "")
    } else {
        (200, PUBLIC_APPLICATION)
    };
    *NEXT.lock().unwrap_or_else(|e| e.into_inner()) = (status, lines, body);
    let h = harness();
    let result = h.runtime.block_on(
        h.client
            .get_public_application()
            .id("1574449618593251330")
            .send(),
    );
    match result {
        Ok(app) => {
            assert!(!limited, "a 429 is an error");
            if let Some(info) = app.rate_limit() {
                finite(info);
            }
        }
        Err(Error::RateLimited {
            retry_after, info, ..
        }) => {
            assert!(limited, "only the 429 is rate limited");
            assert!(retry_after < Duration::from_secs(1_000_000_000));
            finite(&info);
        }
        // A header line the HTTP stack refuses is a transport error, not a parse of ours.
        Err(Error::Transport { .. }) => {}
        Err(other) => panic!("{status}: {other:?}"),
    }
});
