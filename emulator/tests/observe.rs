//! Request log, counters, clock control and shutdown.

mod common;

use std::time::Duration;

use common::Ctx;
use fluxer_oauth2_emulator::{Emulator, EmulatorConfig};

#[tokio::test]
async fn counts_and_logs_requests() {
    let ctx = Ctx::new().await;
    assert!(
        ctx.emu.base_url().starts_with("http://127.0.0.1:") && ctx.emu.base_url().ends_with("/v1")
    );
    ctx.form(
        "/oauth2/token",
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
        None,
    )
    .await;
    ctx.form(
        "/oauth2/token",
        &[("grant_type", "refresh_token"), ("refresh_token", "y")],
        None,
    )
    .await;
    ctx.form(
        "/oauth2/token",
        &[("grant_type", "authorization_code")],
        None,
    )
    .await;
    let mp = "--b\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--b--\r\n";
    ctx.http
        .post(ctx.url("/oauth2/token"))
        .header("content-type", "multipart/form-data; boundary=b")
        .body(mp)
        .send()
        .await
        .unwrap();
    assert_eq!(ctx.emu.count_token_requests("refresh_token"), 2);
    assert_eq!(ctx.emu.count_token_requests("authorization_code"), 1);
    assert_eq!(ctx.emu.count_token_requests("client_credentials"), 1);
    assert_eq!(ctx.emu.count_requests("POST", "/oauth2/token"), 4);
    assert_eq!(ctx.emu.count_requests("POST", "/v1/oauth2/token"), 4);
    ctx.get("/users/@me?x=1", Some("flx_abc")).await;
    let log = ctx.emu.requests();
    let last = log.last().unwrap();
    assert_eq!(
        (
            last.method.as_str(),
            last.path.as_str(),
            last.query.as_deref()
        ),
        ("GET", "/v1/users/@me", Some("x=1"))
    );
    assert_eq!(last.header("Authorization"), Some("flx_abc"));
    assert_eq!(log[0].form_field("refresh_token").as_deref(), Some("x"));
    ctx.emu.clear_requests();
    assert!(ctx.emu.requests().is_empty());
    assert_eq!(ctx.emu.count_token_requests("refresh_token"), 0);
}

#[tokio::test]
async fn clock_controls() {
    let emu = Emulator::start_with(EmulatorConfig {
        start_time_unix: Some(1_800_000_000),
        follow_real_time: false,
        ..Default::default()
    })
    .await;
    let clock = emu.clock();
    assert_eq!(clock.now_unix(), 1_800_000_000);
    assert!(!clock.is_following_real_time());
    clock.advance(Duration::from_secs(90));
    assert_eq!(clock.now_unix(), 1_800_000_090);
    clock.follow_real_time();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(clock.now_millis() >= 1_800_000_090_020);
    clock.freeze();
    let t = clock.now_millis();
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(clock.now_millis(), t);
    let bob = emu.bob();
    let code = emu.totp_now(&bob);
    assert_eq!(code.len(), 6);
    emu.shutdown().await;
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let emu = Emulator::start().await;
    let addr = emu.addr();
    emu.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    let emu = Emulator::start().await;
    let addr = emu.addr();
    drop(emu);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn unknown_routes_answer_json_404() {
    let ctx = Ctx::new().await;
    let a = ctx.get("/nope", None).await;
    assert_eq!(
        (a.status, a.json()["code"].as_str().unwrap()),
        (404, "NOT_FOUND")
    );
}

#[test]
fn handle_types_can_be_shared_across_tasks() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Emulator>();
    shareable::<fluxer_oauth2_emulator::Clock>();
    shareable::<fluxer_oauth2_emulator::RecordedRequest>();
}
