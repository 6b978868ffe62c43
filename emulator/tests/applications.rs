//! Application management rules.

mod common;

use common::Ctx;
use fluxer_oauth2_emulator::{Emulator, EmulatorConfig, NewUser};
use serde_json::json;

const CB: &str = "https://client.example.com/callback";

fn is_secret43(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[tokio::test]
async fn create_returns_secrets_once() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let a = ctx
        .post_app(
            &alice.session_token,
            json!({"name": "  My Cool App! ", "redirect_uris": [CB]}),
        )
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type(), "application/json");
    let j = a.json();
    let id = j["id"].as_str().unwrap();
    assert_eq!(j["name"], "My Cool App!");
    assert!(is_secret43(j["client_secret"].as_str().unwrap()));
    let token = j["bot"]["token"].as_str().unwrap();
    let (prefix, secret) = token.split_once('.').unwrap();
    assert_eq!(prefix, id);
    assert!(is_secret43(secret));
    assert_eq!(j["bot"]["id"], id);
    assert_eq!(j["bot"]["username"], "My_Cool_App");
    assert_eq!(j["bot_public"], true);
    assert_eq!(j["bot_require_code_grant"], false);

    let got = ctx
        .get(
            &format!("/oauth2/applications/{id}"),
            Some(&alice.session_token),
        )
        .await
        .json();
    assert!(got.get("client_secret").is_none());
    assert!(got["bot"].get("token").is_none());
    let patched = ctx
        .send_json(
            "PATCH",
            &format!("/oauth2/applications/{id}"),
            Some(&alice.session_token),
            Some(json!({"bot_public": false})),
        )
        .await
        .json();
    assert!(patched.get("client_secret").is_none());
    assert!(patched["bot"].get("token").is_none());
    assert_eq!(patched["bot_public"], false);
}

#[tokio::test]
async fn owner_only_unknown_and_bad_ids() {
    let ctx = Ctx::new().await;
    let (alice, bob) = (ctx.emu.alice(), ctx.emu.bob());
    let (id, _, _) = ctx.create_app(&alice, CB).await;
    let a = ctx
        .get(
            &format!("/oauth2/applications/{id}"),
            Some(&bob.session_token),
        )
        .await;
    assert_eq!(
        (a.status, a.json()["code"].as_str().unwrap()),
        (403, "ACCESS_DENIED")
    );
    let a = ctx
        .get(
            "/oauth2/applications/1574449618500000000",
            Some(&alice.session_token),
        )
        .await;
    assert_eq!(
        (a.status, a.json()["code"].as_str().unwrap()),
        (404, "UNKNOWN_APPLICATION")
    );
    for (bad, code) in [
        ("01", "INVALID_SNOWFLAKE_FORMAT"),
        ("abc", "INVALID_SNOWFLAKE_FORMAT"),
        ("12345678901234567890", "SNOWFLAKE_OUT_OF_RANGE"),
    ] {
        let a = ctx
            .get(
                &format!("/oauth2/applications/{bad}"),
                Some(&alice.session_token),
            )
            .await;
        assert_eq!(a.status, 400, "{bad}");
        let j = a.json();
        assert_eq!(j["code"], "INVALID_FORM_BODY");
        assert_eq!(j["errors"][0]["path"], "id");
        assert_eq!(j["errors"][0]["code"], code);
    }
    let a = ctx.get(&format!("/oauth2/applications/{id}"), None).await;
    assert_eq!(a.status, 401);
    // The public view needs no authentication.
    let p = ctx
        .get(&format!("/oauth2/applications/{id}/public"), None)
        .await
        .json();
    assert_eq!(p["scopes"], json!(["bot"]));
    assert_eq!(p["current_user"], serde_json::Value::Null);
}

#[tokio::test]
async fn name_and_redirect_uri_rules() {
    let ctx = Ctx::new().await;
    let s = ctx.emu.alice().session_token;
    let create = |body| ctx.send_json("POST", "/oauth2/applications", Some(&s), Some(body));
    let a = create(json!({"name": "   "})).await;
    assert_eq!(a.json()["errors"][0]["code"], "STRING_LENGTH_INVALID");
    let a = create(json!({"name": "x".repeat(101)})).await;
    assert_eq!(a.status, 400);
    assert!(create(json!({"name": "x".repeat(100)})).await.status == 200);
    let a = create(json!({"name": "n", "redirect_uris": ["http://client.example.com/cb"]})).await;
    assert_eq!(
        (a.status, a.json()["errors"][0]["path"].as_str().unwrap()),
        (400, "redirect_uris.0")
    );
    let ok = json!({"name": "n", "redirect_uris": [
        "http://localhost:1/cb", "http://dev.localhost/cb", "http://127.0.0.1:9/cb", "http://[::1]:9/cb", "https://bare.example.com"
    ]});
    let a = create(ok).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(
        a.json()["redirect_uris"][4],
        "https://bare.example.com",
        "stored verbatim"
    );
    let eleven: Vec<String> = (0..11).map(|i| format!("https://e.example/{i}")).collect();
    assert_eq!(
        create(json!({"name": "n", "redirect_uris": eleven}))
            .await
            .status,
        400
    );

    let id = a.json()["id"].as_str().unwrap().to_owned();
    let p = ctx
        .send_json(
            "PATCH",
            &format!("/oauth2/applications/{id}"),
            Some(&s),
            Some(json!({"redirect_uris": null})),
        )
        .await;
    assert_eq!(p.json()["redirect_uris"], json!([]));
}

#[tokio::test]
async fn at_most_25_applications() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    for _ in 0..25 {
        ctx.create_app(&alice, CB).await;
    }
    let a = ctx
        .post_app(&alice.session_token, json!({"name": "one too many"}))
        .await;
    assert_eq!(
        (a.status, a.json()["code"].as_str().unwrap()),
        (400, "MAX_APPLICATIONS")
    );
    let list = ctx
        .get("/users/@me/applications", Some(&alice.session_token))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 25);
}

#[tokio::test]
async fn captcha_switch() {
    let emu = Emulator::start_with(EmulatorConfig {
        captcha_required: true,
        ..Default::default()
    })
    .await;
    let ctx = Ctx {
        emu,
        http: common::client(),
    };
    let s = ctx.emu.alice().session_token;
    let a = ctx.post_app(&s, json!({"name": "c"})).await;
    assert_eq!(
        (a.status, a.json()["code"].as_str().unwrap()),
        (400, "CAPTCHA_REQUIRED")
    );
    let with = |token: &'static str| {
        ctx.http
            .post(ctx.url("/oauth2/applications"))
            .header("authorization", &s)
            .header("content-type", "application/json")
            .header("x-captcha-token", token)
            .body(r#"{"name":"c"}"#)
            .send()
    };
    assert_eq!(
        with("10000000-aaaa-bbbb-cccc-000000000001")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(with("invalid-token").await.unwrap().status(), 400);
    ctx.emu.set_captcha_required(false);
    let a = ctx.post_app(&s, json!({"name": "c"})).await;
    assert_eq!(a.status, 200);
}

#[tokio::test]
async fn secret_rotation_keeps_tokens_and_kills_old_secret() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (id, old, _) = ctx.create_app(&alice, CB).await;
    let t = ctx.tokens(&alice, &id, &old, CB, "identify").await;
    let access = t["access_token"].as_str().unwrap();
    let r = ctx
        .send_json(
            "POST",
            &format!("/oauth2/applications/{id}/client-secret/reset"),
            Some(&alice.session_token),
            Some(json!({"password": "a-strong-password"})),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.header("x-fluxer-sudo-mode-jwt").is_none(),
        "a password check mints no sudo token"
    );
    let j = r.json();
    assert!(j.get("bot").is_none());
    let new = j["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(new, old);
    let a = ctx
        .form(
            "/oauth2/introspect",
            &[
                ("token", access),
                ("client_id", &id),
                ("client_secret", &old),
            ],
            None,
        )
        .await;
    assert_eq!(a.json()["error"], "invalid_client");
    let a = ctx
        .form(
            "/oauth2/introspect",
            &[
                ("token", access),
                ("client_id", &id),
                ("client_secret", &new),
            ],
            None,
        )
        .await;
    assert_eq!(a.json()["active"], true);
}

#[tokio::test]
async fn bot_token_reset_and_bot_views() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (id, _, bot) = ctx.create_app(&alice, CB).await;
    let me = ctx
        .get("/oauth2/applications/@me", Some(&format!("Bot {bot}")))
        .await
        .json();
    assert_eq!(me["verify_key"], "0".repeat(64));
    assert_eq!(me["owner"]["id"], alice.id);
    let list = ctx
        .get("/oauth2/applications/@me", Some(&alice.session_token))
        .await
        .json();
    assert!(list.is_array());
    assert_eq!(
        ctx.get("/applications/@me", Some(&alice.session_token))
            .await
            .json()["code"],
        "INVALID_TOKEN"
    );
    let r = ctx
        .send_json(
            "POST",
            &format!("/oauth2/applications/{id}/bot/reset-token"),
            Some(&alice.session_token),
            Some(json!({"password": "a-strong-password"})),
        )
        .await
        .json();
    let new = r["token"].as_str().unwrap();
    assert!(new.starts_with(&format!("{id}.")));
    assert_eq!(
        ctx.get("/applications/@me", Some(&format!("Bot {bot}")))
            .await
            .status,
        401
    );
    assert_eq!(
        ctx.get("/users/@me", Some(&format!("Bot {bot}")))
            .await
            .status,
        401
    );
    assert_eq!(
        ctx.get("/applications/@me", Some(&format!("bot {new}")))
            .await
            .status,
        200
    );
    let p = ctx
        .send_json(
            "PATCH",
            &format!("/oauth2/applications/{id}/bot"),
            Some(&alice.session_token),
            Some(json!({"bot_flags": 16 | 32 | 1 | 64, "bio": "hi", "discriminator": 7})),
        )
        .await
        .json();
    assert_eq!(p["flags"], 48);
    assert_eq!(p["bio"], "hi");
    assert_eq!(p["discriminator"], "0007");
}

#[tokio::test]
async fn bot_of_mfa_owner_reports_mfa() {
    let ctx = Ctx::new().await;
    let carol = ctx.emu.add_user(NewUser {
        username: "carol".into(),
        password: None,
        totp: true,
    });
    let a = ctx
        .post_app(&carol.session_token, json!({"name": "m"}))
        .await
        .json();
    assert_eq!(a["bot"]["mfa_enabled"], true);
    assert_eq!(a["bot"]["authenticator_types"], json!([0]));
}

#[tokio::test]
async fn delete_needs_sudo_and_removes_everything() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (id, secret, bot) = ctx.create_app(&alice, CB).await;
    let path = format!("/oauth2/applications/{id}");
    let a = ctx
        .send_json("DELETE", &path, Some(&alice.session_token), None)
        .await;
    assert_eq!(a.json()["code"], "SUDO_MODE_REQUIRED");
    let a = ctx
        .send_json(
            "DELETE",
            &path,
            Some(&alice.session_token),
            Some(json!({"password": "a-strong-password"})),
        )
        .await;
    assert_eq!(
        (a.status, a.content_type()),
        (204, "text/plain; charset=UTF-8")
    );
    assert_eq!(ctx.get(&path, Some(&alice.session_token)).await.status, 404);
    assert_eq!(
        ctx.get("/applications/@me", Some(&format!("Bot {bot}")))
            .await
            .status,
        401
    );
    let t = ctx
        .form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
    assert_eq!(t.json()["error_description"], "Invalid client credentials");
}
