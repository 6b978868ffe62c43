//! Sudo mode: passwords, TOTP, sudo tokens and their expiry on the emulator clock.

mod common;

use std::time::Duration;

use common::Ctx;
use fluxer_oauth2_emulator::{NewUser, totp_code};
use serde_json::{Value, json};

const CB: &str = "https://client.example.com/callback";

async fn reset(
    ctx: &Ctx,
    token: &str,
    app: &str,
    jwt: Option<&str>,
    body: Option<Value>,
) -> common::Answer {
    let mut b = ctx
        .http
        .post(ctx.url(&format!("/oauth2/applications/{app}/client-secret/reset")))
        .header("authorization", token);
    if let Some(j) = jwt {
        b = b.header("X-Fluxer-Sudo-Mode-JWT", j);
    }
    if let Some(body) = body {
        b = b
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    common::answer(b.send().await.unwrap()).await
}

#[tokio::test]
async fn password_user() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, _, _) = ctx.create_app(&alice, CB).await;
    let s = &alice.session_token;
    let a = reset(&ctx, s, &app, None, None).await;
    assert_eq!(a.status, 403);
    assert_eq!(
        a.text,
        r#"{"code":"SUDO_MODE_REQUIRED","message":"Sudo mode is required.","has_mfa":false,"methods":{"totp":false,"webauthn":false}}"#
    );
    let a = reset(
        &ctx,
        s,
        &app,
        None,
        Some(json!({"password": "wrong-password"})),
    )
    .await;
    assert_eq!(a.json()["errors"][0]["code"], "INVALID_PASSWORD");
    let a = reset(&ctx, s, &app, None, Some(json!({"password": "short"}))).await;
    assert_eq!(a.json()["errors"][0]["code"], "PASSWORD_LENGTH_INVALID");
    let a = reset(
        &ctx,
        s,
        &app,
        None,
        Some(json!({"password": "a-strong-password"})),
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.header("x-fluxer-sudo-mode-jwt").is_none());
    let m = ctx.get("/users/@me/sudo/mfa-methods", Some(s)).await;
    assert_eq!(m.text, r#"{"totp":false,"webauthn":false,"has_mfa":false}"#);
}

#[tokio::test]
async fn totp_user_gets_a_reusable_token_that_expires() {
    let ctx = Ctx::new().await;
    let bob = ctx.emu.bob();
    let (app, _, _) = ctx.create_app(&bob, CB).await;
    let s = &bob.session_token;
    // Whole-second expiry checks need a clock that only moves when told to.
    ctx.emu.clock().freeze();
    let a = reset(
        &ctx,
        s,
        &app,
        None,
        Some(json!({"password": "a-strong-password"})),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["has_mfa"].as_bool().unwrap()),
        (403, true)
    );
    let a = reset(
        &ctx,
        s,
        &app,
        None,
        Some(json!({"mfa_method": "totp", "mfa_code": "000000x"})),
    )
    .await;
    assert_eq!(a.json()["errors"][0]["code"], "INVALID_MFA_CODE");
    let a = reset(&ctx, s, &app, None, Some(json!({"mfa_method": "webauthn"}))).await;
    assert_eq!(a.json()["errors"][0]["path"], "mfa_code");

    let code = ctx.emu.totp_now(&bob);
    let secret = bob.totp_secret.as_deref().unwrap();
    assert_eq!(code, totp_code(secret, ctx.emu.clock().now_unix()));
    let a = reset(
        &ctx,
        s,
        &app,
        None,
        Some(json!({"mfa_method": "totp", "mfa_code": code})),
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let jwt = a.header("x-fluxer-sudo-mode-jwt").unwrap().to_owned();
    assert!(
        a.header("set-cookie")
            .unwrap()
            .starts_with(&format!("__flx_sudo_{}=", bob.id))
    );
    // The same code is refused a second time (production behaviour).
    let again = reset(
        &ctx,
        s,
        &app,
        None,
        Some(json!({"mfa_method": "totp", "mfa_code": code})),
    )
    .await;
    assert_eq!(again.status, 400);

    // The token works alone, from another session too, and comes back unchanged.
    let other_session = ctx.emu.create_session(&bob);
    let a = reset(&ctx, &other_session, &app, Some(&jwt), None).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("x-fluxer-sudo-mode-jwt"), Some(jwt.as_str()));
    let del = ctx
        .http
        .delete(ctx.url(&format!("/oauth2/applications/{app}")))
        .header("authorization", s.as_str())
        .header("x-fluxer-sudo-mode-jwt", &jwt);
    let (app2, _, _) = ctx.create_app(&bob, CB).await;
    // Another user cannot use it.
    let alice = ctx.emu.alice();
    let (alice_app, _, _) = ctx.create_app(&alice, CB).await;
    let a = reset(&ctx, &alice.session_token, &alice_app, Some(&jwt), None).await;
    assert_eq!(a.status, 403);
    // 300 s after the TOTP check it is dead.
    ctx.emu.clock().advance(Duration::from_secs(299));
    assert_eq!(reset(&ctx, s, &app2, Some(&jwt), None).await.status, 200);
    ctx.emu.clock().advance(Duration::from_secs(2));
    assert_eq!(reset(&ctx, s, &app2, Some(&jwt), None).await.status, 403);
    assert_eq!(common::answer(del.send().await.unwrap()).await.status, 403);
    // A fresh code in a later step works again.
    let code = ctx.emu.totp_now(&bob);
    let a = reset(
        &ctx,
        s,
        &app2,
        None,
        Some(json!({"mfa_method": "totp", "mfa_code": code})),
    )
    .await;
    assert_eq!(a.status, 200);
    assert_ne!(a.header("x-fluxer-sudo-mode-jwt"), Some(jwt.as_str()));
}

#[tokio::test]
async fn forged_tokens_and_cookies() {
    let ctx = Ctx::new().await;
    let bob = ctx.emu.bob();
    let (app, _, _) = ctx.create_app(&bob, CB).await;
    let s = &bob.session_token;
    let now = ctx.emu.clock().now_unix();
    let sign = |payload: String| ctx.emu.sign_sudo_jwt(&payload);
    let id = &bob.id;
    let expired = sign(format!(
        r#"{{"type":"sudo","sub":"{id}","iat":{},"exp":{}}}"#,
        now - 400,
        now - 100
    ));
    let wrong_type = sign(format!(
        r#"{{"type":"access","sub":"{id}","iat":{now},"exp":{}}}"#,
        now + 300
    ));
    let no_exp = sign(format!(r#"{{"type":"sudo","sub":"{id}","iat":{now}}}"#));
    assert_eq!(reset(&ctx, s, &app, Some(&expired), None).await.status, 403);
    assert_eq!(
        reset(&ctx, s, &app, Some(&wrong_type), None).await.status,
        403
    );
    assert_eq!(
        reset(&ctx, s, &app, Some("garbage.not.ajwt"), None)
            .await
            .status,
        403
    );
    assert_eq!(reset(&ctx, s, &app, Some(&no_exp), None).await.status, 200);
    let good = ctx.emu.sudo_token_for(&bob);
    let cookie = |name: String| {
        ctx.http
            .post(ctx.url(&format!("/oauth2/applications/{app}/client-secret/reset")))
            .header("authorization", s.as_str())
            .header("cookie", format!("{name}={good}"))
            .send()
    };
    assert_eq!(
        cookie(format!("__flx_sudo_{id}")).await.unwrap().status(),
        200
    );
    assert_eq!(cookie("__flx_sudo".to_owned()).await.unwrap().status(), 403);
}

#[tokio::test]
async fn backup_codes_are_single_use() {
    let ctx = Ctx::new().await;
    let bob = ctx.emu.bob();
    let (app, _, _) = ctx.create_app(&bob, CB).await;
    let codes = ctx.emu.backup_codes(&bob);
    assert_eq!(codes.len(), 10);
    let body = json!({"mfa_method": "totp", "mfa_code": codes[0]});
    assert_eq!(
        reset(&ctx, &bob.session_token, &app, None, Some(body.clone()))
            .await
            .status,
        200
    );
    assert_eq!(
        reset(&ctx, &bob.session_token, &app, None, Some(body))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn users_without_password_or_mfa_pass_and_helpers_answer() {
    let ctx = Ctx::new().await;
    let sso = ctx.emu.add_user(NewUser {
        username: "sso".into(),
        password: None,
        totp: false,
    });
    let (app, _, _) = ctx.create_app(&sso, CB).await;
    assert_eq!(
        reset(&ctx, &sso.session_token, &app, None, None)
            .await
            .status,
        200
    );
    let bob = ctx.emu.bob();
    let m = ctx
        .get("/users/@me/sudo/mfa-methods", Some(&bob.session_token))
        .await;
    assert_eq!(m.text, r#"{"totp":true,"webauthn":false,"has_mfa":true}"#);
    let w = ctx
        .send_json(
            "POST",
            "/users/@me/sudo/webauthn/authentication-options",
            Some(&bob.session_token),
            None,
        )
        .await;
    assert_eq!(w.status, 200);
    assert_eq!(w.json()["challenge"].as_str().unwrap().len(), 43);
    assert_eq!(
        ctx.get("/users/@me/sudo/mfa-methods", None).await.status,
        401
    );
}
