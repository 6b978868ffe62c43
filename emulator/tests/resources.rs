//! The routes added for login, user resources, bot authorization and discovery, driven
//! through the Rust API that seeds guilds, connections and tickets.

mod common;

use common::Ctx;
use fluxer_oauth2_emulator::{Connection, Emulator, EmulatorConfig};
use serde_json::json;

const CB: &str = "https://client.example.com/callback";

#[tokio::test]
async fn login_with_totp_needs_the_second_step_and_logout_ends_the_session() {
    let ctx = Ctx::new().await;
    let bob = ctx.emu.bob();
    let email = ctx.emu.email_of(&bob);
    let a = ctx
        .send_json(
            "POST",
            "/auth/login",
            None,
            Some(json!({"email": email, "password": "a-strong-password"})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let ticket = a.json()["ticket"].as_str().unwrap().to_owned();
    assert_eq!(ticket.len(), 64);
    let code = ctx.emu.totp_now(&bob);
    let a = ctx
        .send_json(
            "POST",
            "/auth/login/mfa/totp",
            None,
            Some(json!({"ticket": ticket, "code": code})),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let token = a.json()["token"].as_str().unwrap().to_owned();
    assert!(ctx.emu.session_is_valid(&token));
    let list = ctx.get("/auth/sessions", Some(&token)).await.json();
    let hashes: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id_hash"].as_str().unwrap())
        .collect();
    assert!(hashes.contains(&ctx.emu.session_id_hash(&token).as_str()));
    assert_eq!(
        ctx.send_json("POST", "/auth/logout", Some(&token), None)
            .await
            .status,
        204
    );
    assert!(!ctx.emu.session_is_valid(&token));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_answer_alike() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let wrong = ctx
        .send_json(
            "POST",
            "/auth/login",
            None,
            Some(json!({"email": ctx.emu.email_of(&alice), "password": "not-her-password"})),
        )
        .await;
    let unknown = ctx
        .send_json(
            "POST",
            "/auth/login",
            None,
            Some(json!({"email": "nobody@example.com", "password": "a-strong-password"})),
        )
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.text, unknown.text);
    assert_eq!(
        wrong.json()["errors"][1]["code"],
        "INVALID_EMAIL_OR_PASSWORD"
    );
}

#[tokio::test]
async fn guilds_and_connections_follow_the_scopes_and_bots_join_guilds() {
    let ctx = Ctx::new().await;
    let alice = ctx.emu.alice();
    let guild = ctx.emu.create_guild(&alice, "Alice Guild");
    ctx.emu.add_connection(
        &alice,
        Connection {
            kind: "github".into(),
            name: "alice".into(),
            verified: true,
        },
    );
    let (app, secret, bot) = ctx.create_app(&alice, CB).await;
    let tokens = ctx.tokens(&alice, &app, &secret, CB, "guilds").await;
    let bearer = format!("Bearer {}", tokens["access_token"].as_str().unwrap());
    let guilds = ctx
        .get("/users/@me/guilds?with_counts=true", Some(&bearer))
        .await;
    assert_eq!(guilds.json()[0]["id"], guild.as_str());
    assert_eq!(guilds.json()[0]["approximate_member_count"], 1);
    let conns = ctx.get("/users/@me/connections", Some(&bearer)).await;
    assert_eq!(conns.json()["required_scope"], "connections");
    let conns = ctx
        .get("/users/@me/connections", Some(&alice.session_token))
        .await;
    assert_eq!(conns.json()[0]["type"], "github");

    let consent =
        json!({"client_id": app, "scope": "bot", "guild_id": guild, "permissions": "2048"});
    let a = ctx
        .send_json(
            "POST",
            "/oauth2/authorize/consent",
            Some(&alice.session_token),
            Some(consent.clone()),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(ctx.emu.guild_has_member(&guild, &app));
    let again = ctx
        .send_json(
            "POST",
            "/oauth2/authorize/consent",
            Some(&alice.session_token),
            Some(consent),
        )
        .await;
    assert_eq!(again.json()["code"], "BOT_ALREADY_IN_GUILD");
    let member = ctx
        .get(
            &format!("/guilds/{guild}/members/@me"),
            Some(&format!("Bot {bot}")),
        )
        .await
        .json();
    assert_eq!(member["user"]["bot"], true);
    assert_eq!(member["roles"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn discovery_advertises_the_emulator_or_the_configured_api() {
    let emu = Emulator::start().await;
    let http = common::client();
    let url = format!("http://{}/.well-known/fluxer", emu.addr());
    let doc: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["endpoints"]["api"], emu.base_url().as_str());
    assert!(doc.get("oauth2").is_none());
    emu.shutdown().await;

    let emu = Emulator::start_with(EmulatorConfig {
        advertised_api_base: Some("http://localhost:8088/api".into()),
        discovery_oauth2_block: true,
        ..EmulatorConfig::default()
    })
    .await;
    let url = format!("http://{}/v1/.well-known/fluxer", emu.addr());
    let doc: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["endpoints"]["api"], "http://localhost:8088/api");
    assert_eq!(
        doc["oauth2"]["token_endpoint"],
        "http://localhost:8088/api/oauth2/token"
    );
    emu.shutdown().await;
}
