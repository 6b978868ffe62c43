//! Any answer (status and body) to a call, through the client and a loopback server: never a
//! panic, always a typed error naming the operation for a non-2xx status.
//!
//! The conversion of an answer into `Error` is reached only through a call, so each input is
//! served by a small HTTP server on 127.0.0.1 that this target starts once.
#![no_main]

use std::sync::{Mutex, OnceLock};

use fluxer_oauth2::{FluxerClient, RetryPolicy};
use libfuzzer_sys::fuzz_target;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
    runtime::Runtime,
};

struct Harness {
    runtime: Runtime,
    client: FluxerClient,
}

/// What the server answers next: status, body.
static NEXT: Mutex<(u16, Vec<u8>)> = Mutex::new((200, Vec::new()));

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
                    // Read the request head (and any small body) before answering.
                    let mut buf = vec![0u8; 16 * 1024];
                    let _ = tokio::time::timeout(
                        std::time::Duration::from_secs(2),
                        stream.read(&mut buf),
                    )
                    .await;
                    let (status, body) = NEXT.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(&body).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        let client = FluxerClient::builder()
            .base_url(format!("http://{addr}/v1"))
            .retry_policy(RetryPolicy::NONE)
            .timeout(std::time::Duration::from_secs(5))
            .build()
            .expect("a client");
        Harness { runtime, client }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&[hi, lo], body)) = data.split_first_chunk::<2>() else {
        return;
    };
    // Statuses 200 to 599 (1xx would make the client wait for a final answer).
    let status = 200 + (u16::from_be_bytes([hi, lo]) % 400);
    *NEXT.lock().unwrap_or_else(|e| e.into_inner()) = (status, body.to_vec());
    let h = harness();
    let result = h.runtime.block_on(
        h.client
            .get_public_application()
            .id("1574449618593251330")
            .send(),
    );
    if let Err(err) = result {
        let shown = err.to_string();
        assert!(shown.starts_with("get_public_application"), "{shown}");
        let _ = format!("{err:?}");
    } else {
        assert!((200..300).contains(&status));
    }
});
