//! Codes, PKCE, tokens, refresh rotation, introspection, revocation and consent rules.

mod common;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use common::{Ctx, answer};
use fluxer_oauth2_emulator::{BUILTIN_APPLICATION_ID, NewUser};
use serde_json::json;
use sha2::{Digest, Sha256};

const CB: &str = "https://client.example.com/callback";

fn exchange<'a>(code: &'a str, app: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CB),
        ("client_id", app),
        ("client_secret", secret),
    ]
}

#[tokio::test]
async fn code_is_single_use_and_failures_do_not_consume_it() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let code = ctx
        .code(&alice, &app, CB, "identify email", json!({}))
        .await;
    assert_eq!(code.len(), 43);
    let mut wrong = exchange(&code, &app, "nope");
    let a = ctx.form("/oauth2/token", &wrong, None).await;
    assert_eq!(a.json()["error_description"], "Invalid client_secret");
    wrong = exchange(&code, &app, &secret);
    wrong[2].1 = "https://client.example.com/other";
    assert_eq!(
        ctx.form("/oauth2/token", &wrong, None).await.json()["error"],
        "invalid_grant"
    );
    let ok = ctx
        .form("/oauth2/token", &exchange(&code, &app, &secret), None)
        .await;
    assert_eq!(ok.status, 200);
    let j = ok.json();
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["expires_in"], 604_800);
    assert_eq!(j["scope"], "identify email");
    let again = ctx
        .form("/oauth2/token", &exchange(&code, &app, &secret), None)
        .await;
    assert_eq!(again.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn pkce_s256_and_plain() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let verifier = "a".repeat(50);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let code = ctx
        .code(
            &alice,
            &app,
            CB,
            "identify",
            json!({"code_challenge": challenge, "code_challenge_method": "S256"}),
        )
        .await;
    let mut f = exchange(&code, &app, &secret);
    assert_eq!(
        ctx.form("/oauth2/token", &f, None).await.status,
        400,
        "verifier missing"
    );
    f.push((
        "code_verifier",
        "b-wrong-verifier-b-wrong-verifier-b-wrong-verifier",
    ));
    assert_eq!(ctx.form("/oauth2/token", &f, None).await.status, 400);
    f.pop();
    f.push(("code_verifier", &verifier));
    assert_eq!(ctx.form("/oauth2/token", &f, None).await.status, 200);

    let plain = "plain-challenge-value-1234567890";
    let code = ctx
        .code(
            &alice,
            &app,
            CB,
            "identify",
            json!({"code_challenge": plain, "code_challenge_method": "plain"}),
        )
        .await;
    let mut f = exchange(&code, &app, &secret);
    f.push(("code_verifier", plain));
    assert_eq!(ctx.form("/oauth2/token", &f, None).await.status, 200);
}

#[tokio::test]
async fn codes_expire_after_ten_minutes() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let code = ctx.code(&alice, &app, CB, "identify", json!({})).await;
    ctx.emu.clock().advance(Duration::from_secs(601));
    assert_eq!(
        ctx.form("/oauth2/token", &exchange(&code, &app, &secret), None)
            .await
            .json()["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn refresh_rotates_and_keeps_old_access_token() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let t = ctx
        .tokens(&alice, &app, &secret, CB, "email identify")
        .await;
    let (a1, r1) = (
        t["access_token"].as_str().unwrap(),
        t["refresh_token"].as_str().unwrap(),
    );
    let refresh = |rt: &str| {
        let rt = rt.to_owned();
        let (app, secret) = (app.clone(), secret.clone());
        let ctx = &ctx;
        async move {
            ctx.form(
                "/oauth2/token",
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &rt),
                    ("client_id", &app),
                    ("client_secret", &secret),
                    ("scope", "identify"),
                ],
                None,
            )
            .await
        }
    };
    let n = refresh(r1).await;
    assert_eq!(n.status, 200);
    assert_eq!(
        n.json()["scope"],
        "identify email",
        "a scope sent with a refresh is ignored"
    );
    assert_eq!(refresh(r1).await.json()["error"], "invalid_grant");
    let old = ctx
        .get("/oauth2/userinfo", Some(&format!("Bearer {a1}")))
        .await;
    assert_eq!(old.status, 200);
    let new_access = n.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        ctx.get("/oauth2/userinfo", Some(&format!("Bearer {new_access}")))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn access_token_lifetime_follows_setting_and_clock() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    ctx.emu.set_access_token_lifetime(Duration::from_secs(60));
    let t = ctx.tokens(&alice, &app, &secret, CB, "identify").await;
    assert_eq!(t["expires_in"], 60);
    let access = t["access_token"].as_str().unwrap();
    let i = ctx
        .form(
            "/oauth2/introspect",
            &[
                ("token", access),
                ("client_id", &app),
                ("client_secret", &secret),
            ],
            None,
        )
        .await
        .json();
    assert_eq!(i["exp"].as_u64().unwrap() - i["iat"].as_u64().unwrap(), 60);
    ctx.emu.clock().advance(Duration::from_secs(61));
    assert_eq!(
        ctx.get("/oauth2/userinfo", Some(&format!("Bearer {access}")))
            .await
            .status,
        401
    );
    let i = ctx
        .form(
            "/oauth2/introspect",
            &[
                ("token", access),
                ("client_id", &app),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
    assert_eq!(i.text, r#"{"active":false}"#);
}

#[tokio::test]
async fn scopes_are_canonical_and_unknown_ones_refused() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let t = ctx
        .tokens(&alice, &app, &secret, CB, "guilds+email identify")
        .await;
    assert_eq!(t["scope"], "identify email guilds");
    let access = t["access_token"].as_str().unwrap();
    let g = ctx
        .get("/users/@me/guilds", Some(&format!("Bearer {access}")))
        .await;
    assert_eq!(g.text, "[]");
    ctx.emu
        .set_user_guilds(&alice, vec![json!({"id": "1", "name": "Guild"})]);
    let g = ctx
        .get("/users/@me/guilds", Some(&format!("Bearer {access}")))
        .await
        .json();
    assert_eq!(g[0]["name"], "Guild");
    let a = ctx
        .send_json(
            "POST",
            "/oauth2/authorize/consent",
            Some(&alice.session_token),
            Some(json!({"client_id": app, "redirect_uri": CB, "scope": "identify openid"})),
        )
        .await;
    assert_eq!(a.json()["error"], "invalid_scope");
}

#[tokio::test]
async fn client_authentication_variants() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let basic = format!("Basic {}", STANDARD.encode(format!("{app}:{secret}")));
    // Basic alone, and a body secret winning over a wrong Basic one.
    let code = ctx.code(&alice, &app, CB, "identify", json!({})).await;
    let f = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
    ];
    assert_eq!(
        ctx.form("/oauth2/token", &f, Some(&basic)).await.status,
        200
    );
    let code = ctx.code(&alice, &app, CB, "identify", json!({})).await;
    let wrong_basic = format!("Basic {}", STANDARD.encode(format!("{app}:wrong")));
    let mut f = exchange(&code, &app, &secret).clone();
    f.remove(3);
    assert_eq!(
        ctx.form("/oauth2/token", &f, Some(&wrong_basic))
            .await
            .status,
        200
    );
    // A lower-case prefix is not seen.
    let lower = format!("basic {}", STANDARD.encode(format!("{app}:{secret}")));
    let a = ctx
        .form(
            "/oauth2/token",
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
            Some(&lower),
        )
        .await;
    assert_eq!(a.json()["error_description"], "Invalid client credentials");
    // Introspection refuses Basic and body together.
    let a = ctx
        .form(
            "/oauth2/introspect",
            &[
                ("token", "x"),
                ("client_id", &app),
                ("client_secret", &secret),
            ],
            Some(&basic),
        )
        .await;
    assert_eq!(
        (
            a.json()["error"].as_str().unwrap(),
            a.json()["error_description"].as_str().unwrap()
        ),
        ("invalid_request", "INVALID_REQUEST")
    );
    // The built-in application exists but its secret is unknown.
    let a = ctx
        .form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", BUILTIN_APPLICATION_ID),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
    assert_eq!(a.json()["error_description"], "Invalid client_secret");
    let a = ctx
        .form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
                ("client_id", "1574449618500000000"),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
    assert_eq!(a.json()["error_description"], "Invalid client credentials");
}

#[tokio::test]
async fn body_types_on_form_routes() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let body = format!("token=x&client_id={app}&client_secret={secret}");
    for (ct, status) in [
        (
            Some("application/x-www-form-urlencoded; charset=UTF-8"),
            200,
        ),
        (Some("APPLICATION/X-WWW-FORM-URLENCODED"), 200),
        (Some("text/plain"), 500),
        (Some("application/json"), 500),
        (None, 500),
    ] {
        for path in ["/oauth2/introspect", "/oauth2/token/revoke"] {
            let mut b = ctx.http.post(ctx.url(path)).body(body.clone());
            if let Some(ct) = ct {
                b = b.header("content-type", ct);
            }
            let a = answer(b.send().await.unwrap()).await;
            assert_eq!(a.status, status, "{path} {ct:?}");
            if status == 500 {
                assert_eq!(
                    a.text,
                    r#"{"code":"INTERNAL_SERVER_ERROR","message":"Internal server error."}"#
                );
            }
        }
    }
    let boundary = "XyZ";
    let mp = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"token\"\r\n\r\nx\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\n{app}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\n{secret}\r\n--{boundary}--\r\n"
    );
    let a = answer(
        ctx.http
            .post(ctx.url("/oauth2/introspect"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(mp)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(a.text, r#"{"active":false}"#);
    let long = "x".repeat(257);
    let a = ctx
        .form(
            "/oauth2/introspect",
            &[
                ("token", &long),
                ("client_id", &app),
                ("client_secret", &secret),
            ],
            None,
        )
        .await;
    assert_eq!(a.json()["errors"][0]["code"], "STRING_LENGTH_INVALID");
    for grant in ["client_credentials", "password", ""] {
        let a = ctx
            .form("/oauth2/token", &[("grant_type", grant)], None)
            .await;
        assert_eq!(a.json()["errors"][0]["path"], "grant_type");
    }
    let a = ctx
        .form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("grant_type", "refresh_token"),
                ("refresh_token", "x"),
            ],
            None,
        )
        .await;
    assert_eq!(
        a.json()["errors"][0]["path"],
        "grant_type",
        "a duplicated grant_type is refused"
    );
}

#[tokio::test]
async fn revocation_quirks() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let one = ctx.tokens(&alice, &app, &secret, CB, "identify").await;
    let two = ctx.tokens(&alice, &app, &secret, CB, "identify").await;
    let creds = [
        ("client_id", app.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let active = |token: String| {
        let ctx = &ctx;
        async move {
            let mut f = vec![("token", token.as_str())];
            f.extend(creds);
            ctx.form("/oauth2/introspect", &f, None).await.json()["active"]
                .as_bool()
                .unwrap()
        }
    };
    let r1 = one["refresh_token"].as_str().unwrap().to_owned();
    let mut f = vec![("token", r1.as_str())];
    f.extend(creds);
    let a = ctx.form("/oauth2/token/revoke", &f, None).await;
    assert_eq!(
        (a.status, a.content_type(), a.text.as_str()),
        (200, "text/plain; charset=UTF-8", "")
    );
    assert!(
        active(r1.clone()).await,
        "a refresh token without the hint is not revoked"
    );
    f.push(("token_type_hint", "refresh_token"));
    assert_eq!(ctx.form("/oauth2/token/revoke", &f, None).await.status, 200);
    assert!(!active(r1).await);
    assert!(
        !active(two["access_token"].as_str().unwrap().to_owned()).await,
        "all tokens of the user for the app go"
    );
    let mut g = vec![("token", "garbage"), ("token_type_hint", "id_token")];
    g.extend(creds);
    assert_eq!(
        ctx.form("/oauth2/token/revoke", &g, None).await.json()["errors"][0]["path"],
        "token_type_hint"
    );
    let a = ctx
        .form(
            "/oauth2/token/revoke",
            &[
                ("token", "garbage"),
                ("client_id", &app),
                ("client_secret", "bad"),
            ],
            None,
        )
        .await;
    assert_eq!(a.json()["error_description"], "Invalid client_secret");
}

#[tokio::test]
async fn redirect_uri_normalisation_and_queries() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let a = ctx
        .post_app(&alice.session_token, json!({"name": "n", "redirect_uris": ["https://bare.example.com", "https://x.example/p?x=1"]}))
        .await
        .json();
    let (app, secret) = (
        a["id"].as_str().unwrap(),
        a["client_secret"].as_str().unwrap(),
    );
    let consent = |uri: &'static str| {
        let ctx = &ctx;
        let s = alice.session_token.clone();
        let app = app.to_owned();
        async move {
            ctx.send_json("POST", "/oauth2/authorize/consent", Some(&s), Some(json!({"client_id": app, "redirect_uri": uri, "scope": "identify", "state": "a b"})))
                .await
                .json()["redirect_to"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let to = consent("https://bare.example.com").await;
    assert!(to.starts_with("https://bare.example.com/?code="), "{to}");
    assert!(to.ends_with("&state=a+b"), "{to}");
    let code = url::Url::parse(&to)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let f = |uri| {
        vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", uri),
            ("client_id", app),
            ("client_secret", secret),
        ]
    };
    assert_eq!(
        ctx.form("/oauth2/token", &f("https://bare.example.com"), None)
            .await
            .status,
        400
    );
    assert_eq!(
        ctx.form("/oauth2/token", &f("https://bare.example.com/"), None)
            .await
            .status,
        200
    );
    let to = consent("https://x.example/p?x=1").await;
    assert!(to.starts_with("https://x.example/p?x=1&code="), "{to}");
}

#[tokio::test]
async fn authorize_redirects_and_prompt_none() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let q = format!(
        "client_id={app}&scope=identify&response_type=code&redirect_uri=https%3A%2F%2Fclient.example.com%2Fcallback&state=abc"
    );
    let a = ctx.get(&format!("/oauth2/authorize?{q}"), None).await;
    assert_eq!(a.status, 302);
    assert_eq!(
        a.header("location").unwrap(),
        format!("https://web.fluxer.app/oauth2/authorize?{q}")
    );
    let none = format!("/oauth2/authorize?{q}&prompt=none");
    let a = ctx.get(&none, None).await;
    assert_eq!(
        a.header("location").unwrap(),
        format!("{CB}?state=abc&error=login_required")
    );
    let a = ctx.get(&none, Some(&alice.session_token)).await;
    assert_eq!(
        a.header("location").unwrap(),
        format!("{CB}?state=abc&error=consent_required")
    );
    ctx.tokens(&alice, &app, &secret, CB, "identify email")
        .await;
    let a = ctx.get(&none, Some(&alice.session_token)).await;
    let loc = a.header("location").unwrap();
    assert!(
        loc.starts_with(&format!("{CB}?code=")) && loc.ends_with("&state=abc"),
        "{loc}"
    );
}

#[tokio::test]
async fn consent_rules() {
    let ctx = Ctx::new().await;
    let (alice, bob) = (ctx.emu.alice(), ctx.emu.bob());
    let (app, _, bot) = ctx.create_app(&alice, CB).await;
    let consent = |auth: String, body: serde_json::Value| {
        let ctx = &ctx;
        async move {
            ctx.send_json("POST", "/oauth2/authorize/consent", Some(&auth), Some(body))
                .await
        }
    };
    let s = alice.session_token.clone();
    let a = consent(
        s.clone(),
        json!({"client_id": app, "redirect_uri": format!("{CB}/"), "scope": "identify"}),
    )
    .await;
    assert_eq!(a.json()["error_description"], "Invalid redirect_uri");
    let a = consent(s.clone(), json!({"client_id": app, "redirect_uri": CB, "scope": "identify", "response_type": "token"})).await;
    assert_eq!(a.json()["error"], "invalid_request");
    let a = consent(
        s.clone(),
        json!({"client_id": "1574449618500000000", "redirect_uri": CB, "scope": "identify"}),
    )
    .await;
    assert_eq!(a.json()["error"], "invalid_client");
    let a = consent(
        format!("Bot {bot}"),
        json!({"client_id": app, "redirect_uri": CB, "scope": "identify"}),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["code"].as_str().unwrap()),
        (403, "ACCESS_DENIED")
    );
    let a = consent(s.clone(), json!({"scope": "identify"})).await;
    assert_eq!(a.json()["errors"][0]["path"], "client_id");
    // A private bot can only be added by its owner.
    ctx.send_json(
        "PATCH",
        &format!("/oauth2/applications/{app}"),
        Some(&s),
        Some(json!({"bot_public": false})),
    )
    .await;
    let a = consent(
        bob.session_token.clone(),
        json!({"client_id": app, "scope": "bot"}),
    )
    .await;
    assert_eq!(
        (a.status, a.json()["code"].as_str().unwrap()),
        (403, "BOT_IS_PRIVATE")
    );
    assert_eq!(
        consent(s.clone(), json!({"client_id": app, "scope": "bot"}))
            .await
            .status,
        200
    );
    // With bot_require_code_grant a bot-only flow needs the code grant like any other.
    let patch = json!({"bot_public": true, "bot_require_code_grant": true});
    ctx.send_json(
        "PATCH",
        &format!("/oauth2/applications/{app}"),
        Some(&s),
        Some(patch),
    )
    .await;
    let a = consent(
        bob.session_token.clone(),
        json!({"client_id": app, "scope": "bot"}),
    )
    .await;
    assert_eq!(a.json()["error"], "invalid_request");
    let a = consent(
        bob.session_token.clone(),
        json!({"client_id": app, "scope": "bot", "redirect_uri": CB}),
    )
    .await;
    assert!(a.json()["redirect_to"].as_str().unwrap().contains("code="));
}

#[tokio::test]
async fn userinfo_and_me_by_scope() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let (app, secret, _) = ctx.create_app(&alice, CB).await;
    let bearer = |scope: &'static str| {
        let (ctx, alice, app, secret) = (&ctx, alice.clone(), app.clone(), secret.clone());
        async move {
            format!(
                "Bearer {}",
                ctx.tokens(&alice, &app, &secret, CB, scope).await["access_token"]
                    .as_str()
                    .unwrap()
            )
        }
    };
    let both = bearer("identify email").await;
    let u = ctx.get("/oauth2/userinfo", Some(&both)).await.json();
    assert_eq!(
        (
            u["email"].as_str().unwrap(),
            u["verified"].as_bool().unwrap()
        ),
        ("alice@example.com", true)
    );
    let id_only = bearer("identify").await;
    let u = ctx.get("/oauth2/userinfo", Some(&id_only)).await.json();
    assert!(u["email"].is_null() && u.get("verified").is_none());
    let email_only = bearer("email").await;
    let a = ctx.get("/oauth2/userinfo", Some(&email_only)).await;
    assert_eq!(
        (a.status, a.json()["required_scope"].as_str().unwrap()),
        (403, "identify")
    );
    let me = ctx.get("/oauth2/@me", Some(&email_only)).await.json();
    assert!(me.get("user").is_none());
    assert_eq!(me["scopes"], json!(["email"]));
    assert_eq!(ctx.get("/users/@me", Some(&email_only)).await.status, 403);
    assert_eq!(
        ctx.get("/users/@me", Some(&id_only)).await.json()["id"],
        alice.id
    );
    let a = ctx.get("/users/@me/guilds", Some(&id_only)).await;
    assert_eq!(
        (a.status, a.json()["required_scope"].as_str().unwrap()),
        (403, "guilds")
    );
    assert_eq!(
        ctx.get("/oauth2/userinfo", Some(&alice.session_token))
            .await
            .status,
        401
    );
    assert_eq!(
        ctx.get(
            "/oauth2/@me",
            Some(&format!("Bearer {}", alice.session_token))
        )
        .await
        .status,
        401
    );
    assert_eq!(
        ctx.get("/oauth2/@me/authorizations", Some(&id_only))
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn authorizations_list_and_delete() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let other = ctx.emu.add_user(NewUser {
        username: "olga".into(),
        password: None,
        totp: false,
    });
    let (app, secret, _) = ctx.create_app(&other, CB).await;
    let t = ctx
        .tokens(&alice, &app, &secret, CB, "identify email")
        .await;
    let s = Some(alice.session_token.as_str());
    let list = ctx.get("/oauth2/@me/authorizations", s).await.json();
    assert_eq!(list[0]["application"]["id"], app);
    assert_eq!(list[0]["scopes"], json!(["identify", "email"]));
    let a = ctx
        .send_json(
            "DELETE",
            "/oauth2/@me/authorizations/1574449618500000000",
            s,
            None,
        )
        .await;
    assert_eq!(
        (a.status, a.json()["code"].as_str().unwrap()),
        (404, "UNKNOWN_APPLICATION")
    );
    let a = ctx
        .send_json(
            "POST",
            "/oauth2/@me/authorizations/revoke",
            s,
            Some(json!({"application_ids": ["1574449618500000000"]})),
        )
        .await;
    assert_eq!(a.status, 404);
    let many: Vec<String> = (0..101).map(|_| app.clone()).collect();
    let a = ctx
        .send_json(
            "POST",
            "/oauth2/@me/authorizations/revoke",
            s,
            Some(json!({"application_ids": many})),
        )
        .await;
    assert_eq!(a.status, 400);
    let a = ctx
        .send_json(
            "DELETE",
            &format!("/oauth2/@me/authorizations/{app}"),
            s,
            None,
        )
        .await;
    assert_eq!(a.status, 204);
    let bearer = format!("Bearer {}", t["access_token"].as_str().unwrap());
    assert_eq!(ctx.get("/oauth2/userinfo", Some(&bearer)).await.status, 401);
    assert_eq!(ctx.get("/oauth2/@me/authorizations", s).await.text, "[]");
}
