//! Rate limits: off by default, route and global 429s, headers, session revocation.

mod common;

use std::time::Duration;

use common::Ctx;
use fluxer_oauth2_emulator::RateLimitConfig;

const CB: &str = "https://client.example.com/callback";

fn token_form(app: &str) -> [(&str, &str); 4] {
    [
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", app),
        ("client_secret", "s"),
    ]
}

#[tokio::test]
async fn off_by_default() {
    let ctx = Ctx::new().await;
    let s = ctx.emu.alice().session_token;
    for _ in 0..80 {
        assert_eq!(
            ctx.get("/users/@me/applications", Some(&s)).await.status,
            200
        );
    }
}

#[tokio::test]
async fn route_limit_answers_429_with_route_headers() {
    let ctx = Ctx::new().await;
    ctx.emu.clock().freeze();
    let alice = ctx.emu.alice();
    let (app, _, _) = ctx.create_app(&alice, CB).await;
    let limits = RateLimitConfig::default().with_route("oauth:token", 2, Duration::from_secs(60));
    ctx.emu.set_rate_limits(Some(limits));
    for _ in 0..2 {
        assert_eq!(
            ctx.form("/oauth2/token", &token_form(&app), None)
                .await
                .status,
            400
        );
    }
    let a = ctx.form("/oauth2/token", &token_form(&app), None).await;
    assert_eq!(a.status, 429);
    let j = a.json();
    assert_eq!(j["code"], "RATE_LIMITED");
    assert_eq!(j["message"], "You're being rate limited.");
    assert_eq!(j["global"], false);
    assert!((j["retry_after"].as_f64().unwrap() - 30.0).abs() < 0.01);
    assert_eq!(a.header("retry-after"), Some("30"));
    assert_eq!(a.header("x-ratelimit-limit"), Some("2"));
    assert_eq!(a.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(a.header("x-ratelimit-scope"), Some("user"));
    assert_eq!(a.header("x-ratelimit-bucket").unwrap().len(), 16);
    let reset_after: f64 = a
        .header("x-ratelimit-reset-after")
        .unwrap()
        .parse()
        .unwrap();
    assert!((reset_after - 60.0).abs() < 0.01);
    let reset: u64 = a.header("x-ratelimit-reset").unwrap().parse().unwrap();
    let now = ctx.emu.clock().now_unix();
    assert!((now + 60..=now + 61).contains(&reset), "{reset} vs {now}");
    assert!(a.header("x-ratelimit-global").is_none());
    ctx.emu.clock().advance(Duration::from_secs(30));
    assert_eq!(
        ctx.form("/oauth2/token", &token_form(&app), None)
            .await
            .status,
        400
    );
    ctx.emu.set_rate_limits(None);
    for _ in 0..5 {
        assert_eq!(
            ctx.form("/oauth2/token", &token_form(&app), None)
                .await
                .status,
            400
        );
    }
}

#[tokio::test]
async fn global_limit_revokes_the_session() {
    let ctx = Ctx::new().await;
    ctx.emu.clock().freeze();
    let alice = ctx.emu.alice();
    let limits = RateLimitConfig::default().with_global(3, Duration::from_secs(1));
    ctx.emu.set_rate_limits(Some(limits));
    for _ in 0..3 {
        assert_eq!(
            ctx.get("/users/@me", Some(&alice.session_token))
                .await
                .status,
            200
        );
    }
    let a = ctx.get("/users/@me", Some(&alice.session_token)).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.json()["global"], true);
    assert_eq!(a.header("retry-after"), Some("1"));
    assert_eq!(a.header("x-ratelimit-global"), Some("true"));
    assert_eq!(a.header("x-ratelimit-scope"), Some("global"));
    assert!(a.header("x-ratelimit-limit").is_none());
    assert!(!ctx.emu.session_is_valid(&alice.session_token));
    ctx.emu.clock().advance(Duration::from_secs(5));
    assert_eq!(
        ctx.get("/users/@me", Some(&alice.session_token))
            .await
            .status,
        401
    );
    // A route 429 does not log the user out.
    let bob = ctx.emu.bob();
    ctx.emu
        .set_rate_limits(Some(RateLimitConfig::default().with_route(
            "oauth_dev:clients:list",
            1,
            Duration::from_secs(60),
        )));
    ctx.get("/users/@me/applications", Some(&bob.session_token))
        .await;
    assert_eq!(
        ctx.get("/users/@me/applications", Some(&bob.session_token))
            .await
            .status,
        429
    );
    assert!(ctx.emu.session_is_valid(&bob.session_token));
}

#[tokio::test]
async fn bots_see_rate_limit_headers_on_success() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (_, _, bot) = ctx.create_app(&alice, CB).await;
    ctx.emu.set_rate_limits(Some(RateLimitConfig::default()));
    let a = ctx
        .get("/oauth2/applications/@me", Some(&format!("Bot {bot}")))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("x-ratelimit-limit"), Some("60"));
    assert_eq!(a.header("x-ratelimit-remaining"), Some("59"));
    assert!(
        a.header("x-ratelimit-reset").is_some() && a.header("x-ratelimit-reset-after").is_some()
    );
    let a = ctx
        .get("/users/@me/applications", Some(&alice.session_token))
        .await;
    assert!(a.header("x-ratelimit-limit").is_none());
    // `/applications/@me` has no route bucket, so even a bot gets no headers there.
    let a = ctx
        .get("/applications/@me", Some(&format!("Bot {bot}")))
        .await;
    assert_eq!(a.status, 200);
    assert!(a.header("x-ratelimit-limit").is_none());
    // `/users/@me` has one: 40 per 10 s.
    let a = ctx.get("/users/@me", Some(&format!("Bot {bot}"))).await;
    assert_eq!(a.header("x-ratelimit-limit"), Some("40"));
}

#[tokio::test]
async fn test_header_mode_limits_only_flagged_requests() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    ctx.emu.set_rate_limits(Some(RateLimitConfig::default()));
    ctx.emu.set_rate_limits_need_test_header(true);
    let send = |flag: bool| {
        let mut b = ctx
            .http
            .get(ctx.url("/users/@me"))
            .header("authorization", alice.session_token.clone());
        if flag {
            b = b
                .header("x-fluxer-test-enable-rate-limits", "true")
                .header("x-fluxer-test-global-rate-limit", "2");
        }
        b.send()
    };
    for _ in 0..5 {
        assert_eq!(send(false).await.unwrap().status(), 200);
    }
    assert_eq!(send(true).await.unwrap().status(), 200);
    assert_eq!(send(true).await.unwrap().status(), 200);
    let limited = send(true).await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers().get("x-ratelimit-global").unwrap(), "true");
    // A global 429 ends the session.
    assert!(!ctx.emu.session_is_valid(&alice.session_token));
}
