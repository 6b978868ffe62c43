//! Fault switches: delays, dropped connections, broken bodies, hangs; scoping by path and count.

mod common;

use std::time::{Duration, Instant};

use common::Ctx;
use fluxer_oauth2_emulator::Fault;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn delay_then_normal_answer() {
    let ctx = Ctx::new().await;
    ctx.emu
        .set_fault(Fault::Delay(Duration::from_millis(300)).times(1));
    let start = Instant::now();
    let a = ctx
        .get("/users/@me", Some(&ctx.emu.alice().session_token))
        .await;
    assert_eq!(a.status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300));
    let start = Instant::now();
    ctx.get("/users/@me", Some(&ctx.emu.alice().session_token))
        .await;
    assert!(start.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn drop_connection_sends_nothing() {
    let ctx = Ctx::new().await;
    ctx.emu
        .set_fault(Fault::DropConnection.on_path("/oauth2/token"));
    let mut sock = tokio::net::TcpStream::connect(ctx.emu.addr())
        .await
        .unwrap();
    sock.write_all(b"POST /v1/oauth2/token HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(Duration::from_secs(5), sock.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(
        n,
        0,
        "no bytes before the close: {:?}",
        String::from_utf8_lossy(&buf)
    );
    assert!(
        ctx.http
            .post(ctx.url("/oauth2/token"))
            .send()
            .await
            .is_err()
    );
    // Other paths are untouched.
    assert_eq!(ctx.get("/users/@me", None).await.status, 401);
}

#[tokio::test]
async fn html_5xx_non_json_and_truncated_json() {
    let ctx = Ctx::new().await;
    ctx.emu
        .set_fault(Fault::ServerError { status: 502 }.times(1));
    let a = ctx.get("/users/@me", None).await;
    assert_eq!(a.status, 502);
    assert!(a.content_type().starts_with("text/html"));
    assert!(a.text.contains("502 Bad Gateway"));
    ctx.emu.set_fault(Fault::NonJsonBody.times(1));
    let a = ctx.get("/users/@me", None).await;
    assert_eq!(a.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&a.text).is_err());
    ctx.emu.set_fault(Fault::TruncatedJson.times(1));
    let a = ctx.get("/users/@me", None).await;
    assert_eq!((a.status, a.content_type()), (200, "application/json"));
    assert!(serde_json::from_str::<serde_json::Value>(&a.text).is_err());
    assert_eq!(
        ctx.get("/users/@me", None).await.status,
        401,
        "faults used up"
    );
}

#[tokio::test]
async fn oversized_chunked_body() {
    let ctx = Ctx::new().await;
    ctx.emu.set_fault(
        Fault::OversizedBody {
            bytes: 3 * 1024 * 1024 + 7,
        }
        .on_path("/v1/oauth2/userinfo"),
    );
    let resp = ctx
        .http
        .get(ctx.url("/oauth2/userinfo"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers().get("transfer-encoding").unwrap(), "chunked");
    assert!(resp.headers().get("content-length").is_none());
    let body = resp.bytes().await.unwrap();
    assert_eq!(body.len(), 3 * 1024 * 1024 + 7);
    assert!(body.starts_with(b"{\"padding\":\"xxx"));
}

#[tokio::test]
async fn hang_until_the_client_gives_up_then_clear() {
    let ctx = Ctx::new().await;
    ctx.emu.set_fault(Fault::Hang.on_path("/oauth2/introspect"));
    let err = ctx
        .http
        .post(ctx.url("/oauth2/introspect"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err}");
    ctx.emu.clear_faults();
    let a = ctx
        .http
        .post(ctx.url("/oauth2/introspect"))
        .send()
        .await
        .unwrap();
    assert_eq!(a.status(), 500, "no form content type");
}

#[tokio::test]
async fn json_answers_are_chunked_like_the_server() {
    let ctx = Ctx::new().await;
    let resp = ctx.http.get(ctx.url("/users/@me")).send().await.unwrap();
    assert_eq!(
        resp.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert!(resp.headers().get("content-length").is_none());
}
