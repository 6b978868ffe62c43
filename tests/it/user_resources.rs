//! What the scopes unlock, as typed calls: `GET /users/@me`, `/users/@me/guilds` and
//! `/users/@me/connections` with every credential and scope combination of the recorded server
//! (`o_user_resources`), the scope check made before sending when the token's scopes are known, the
//! server's `MISSING_OAUTH_SCOPE` when they are not, and the token manager's typed client.
//!
//! Against the emulator, and against a raw server on 127.0.0.1 that serves the recorded bodies
//! (`fixtures/scopes_bots_discovery`), to decode exactly what the server sent.

use std::{net::Ipv4Addr, sync::Arc};

use crate::common::{
    assert_api, assert_missing_scope, assert_not_accepted, bounded,
    emulator::{anonymous, bearer, create_app, requests_to, session, tokens},
    lock,
    raw_server::{RawServer, Reply, Seen},
};
use fluxer_oauth2::{
    ApiErrorCode, Credential, CredentialKind, Error, FluxerClient, RetryPolicy, Secret,
    oauth::{MemoryStore, Scope, Scopes, TokenManager, TokenSet},
};
use fluxer_oauth2_emulator::{Connection, Emulator};

const REDIRECT: &str = crate::common::emulator::REDIRECT_URI;

macro_rules! recorded {
    ($name:literal) => {
        include_str!(concat!("../fixtures/scopes_bots_discovery/", $name))
    };
}

/// The emulator, alice's session, an application of hers and token sets for every scope
/// combination of the recorded scenario.
struct Setup {
    emu: Emulator,
    alice: FluxerClient,
    app: crate::common::emulator::App,
    identify: TokenSet,
    email: TokenSet,
    identify_email: TokenSet,
    guilds: TokenSet,
    connections: TokenSet,
    all: TokenSet,
}

async fn setup() -> Setup {
    let emu = Emulator::start().await;
    let alice = session(&emu, &emu.alice());
    let app = create_app(&alice, "Resource App", &[REDIRECT]).await;
    let t = |scopes: &'static [Scope]| {
        let (alice, app) = (&alice, &app);
        async move { tokens(alice, app, scopes).await }
    };
    Setup {
        identify: t(&[Scope::Identify]).await,
        email: t(&[Scope::Email]).await,
        identify_email: t(&[Scope::Identify, Scope::Email]).await,
        guilds: t(&[Scope::Guilds]).await,
        connections: t(&[Scope::Connections]).await,
        all: t(&[
            Scope::Identify,
            Scope::Email,
            Scope::Guilds,
            Scope::Connections,
        ])
        .await,
        emu,
        alice,
        app,
    }
}

fn calls(emu: &Emulator, path: &str) -> usize {
    requests_to(emu, "GET", path).len()
}

#[tokio::test]
async fn current_user_with_every_credential_and_scope() {
    bounded(async {
        let s = setup().await;
        let alice_id = s.emu.alice().id;

        // A session gets the whole record.
        let me = s.alice.get_current_user().send().await.unwrap();
        assert_eq!(me.id.as_str(), alice_id);
        assert!(me.email.is_some(), "a session sees the e-mail address");

        // `identify`: the user, with the e-mail blanked and MFA hidden.
        let me = s
            .alice
            .with_token_set(&s.identify)
            .get_current_user()
            .send()
            .await
            .unwrap();
        assert_eq!(me.id.as_str(), alice_id);
        assert_eq!(me.email, None);
        assert_eq!(me.mfa_enabled, Some(false));
        assert!(me.acls.is_empty());
        assert_eq!(me.password_last_changed_at, None);

        // `identify email`: the e-mail address too.
        let me = s
            .alice
            .with_token_set(&s.identify_email)
            .get_current_user()
            .send()
            .await
            .unwrap();
        assert_eq!(
            me.email.as_deref(),
            Some(s.emu.email_of(&s.emu.alice()).as_str())
        );

        // Every user scope.
        let me = s
            .alice
            .with_token_set(&s.all)
            .get_current_user()
            .send()
            .await
            .unwrap();
        assert!(me.email.is_some());

        // Without `identify`, known scopes: refused before sending.
        let before = calls(&s.emu, "/users/@me");
        for set in [&s.email, &s.guilds, &s.connections] {
            let err = s
                .alice
                .with_token_set(set)
                .get_current_user()
                .send()
                .await
                .unwrap_err();
            assert_missing_scope(&err, "get_current_user", "identify");
        }
        assert_eq!(calls(&s.emu, "/users/@me"), before, "nothing was sent");

        // Unknown scopes: sent, and the server's 403 is the same error.
        let err = bearer(&s.alice, &s.email.access_token)
            .get_current_user()
            .send()
            .await
            .unwrap_err();
        assert_missing_scope(&err, "get_current_user", "identify");
        assert_eq!(calls(&s.emu, "/users/@me"), before + 1);

        // A bot token: the bot's own user, whose id is the application id.
        let bot = s
            .alice
            .with_credential(Credential::Bot(s.app.bot_token.clone()));
        let me = bot.get_current_user().send().await.unwrap();
        assert_eq!(me.bot, Some(true));
        assert_eq!(me.id.as_str(), s.app.id);
        assert_eq!(me.email, None);

        // A token the server does not know: 401.
        let err = bearer(&s.alice, &Secret::new("not-a-token"))
            .get_current_user()
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 401, ApiErrorCode::Unauthorized);

        // No credential: refused by the client.
        assert_not_accepted(anonymous(&s.emu).get_current_user().send().await);
    })
    .await;
}

#[tokio::test]
async fn guilds_with_every_credential_and_scope_and_paging() {
    bounded(async {
        let s = setup().await;
        let alice = s.emu.alice();
        let first = s.emu.create_guild(&alice, "Guild One");
        let second = s.emu.create_guild(&alice, "Guild Two");

        let all = s
            .alice
            .list_current_user_guilds()
            .send()
            .await
            .unwrap()
            .into_inner();
        let ids: Vec<&str> = all.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, [first.as_str(), second.as_str()]);
        assert_eq!(all[0].name, "Guild One");
        assert_eq!(
            all[0].approximate_member_count, None,
            "counts only on request"
        );
        assert_eq!(
            all[0].owner_id.as_ref().map(|id| id.as_str()),
            Some(alice.id.as_str())
        );

        let counted = s
            .alice
            .list_current_user_guilds()
            .with_counts(true)
            .send()
            .await
            .unwrap();
        assert_eq!(counted[0].approximate_member_count, Some(1));
        assert!(counted[0].approximate_presence_count.is_some());

        let page = s
            .alice
            .list_current_user_guilds()
            .limit(1u32)
            .send()
            .await
            .unwrap();
        assert_eq!(page.len(), 1);
        assert_eq!(page[0].id.as_str(), first);
        let next = s
            .alice
            .list_current_user_guilds()
            .after(first.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].id.as_str(), second);
        let earlier = s
            .alice
            .list_current_user_guilds()
            .before(second.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(earlier.len(), 1);
        assert_eq!(earlier[0].id.as_str(), first);

        // A bad paging value is refused before sending.
        let err = s
            .alice
            .list_current_user_guilds()
            .after("01")
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
        let err = s
            .alice
            .list_current_user_guilds()
            .limit(0u32)
            .send()
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");

        // Access tokens: `guilds` (and every scope) read them; `identify` is refused before sending.
        for set in [&s.guilds, &s.all] {
            let listed = s
                .alice
                .with_token_set(set)
                .list_current_user_guilds()
                .send()
                .await
                .unwrap();
            assert_eq!(listed.len(), 2);
        }
        let before = calls(&s.emu, "/users/@me/guilds");
        let err = s
            .alice
            .with_token_set(&s.identify)
            .list_current_user_guilds()
            .send()
            .await
            .unwrap_err();
        assert_missing_scope(&err, "list_current_user_guilds", "guilds");
        assert_eq!(calls(&s.emu, "/users/@me/guilds"), before);
        let err = bearer(&s.alice, &s.identify.access_token)
            .list_current_user_guilds()
            .send()
            .await
            .unwrap_err();
        assert_missing_scope(&err, "list_current_user_guilds", "guilds");

        // A bot lists its own guilds: none yet.
        let bot = s
            .alice
            .with_credential(Credential::Bot(s.app.bot_token.clone()));
        assert!(
            bot.list_current_user_guilds()
                .send()
                .await
                .unwrap()
                .is_empty()
        );

        assert_not_accepted(anonymous(&s.emu).list_current_user_guilds().send().await);
    })
    .await;
}

#[tokio::test]
async fn connections_with_every_credential_and_scope() {
    bounded(async {
        let s = setup().await;
        assert!(
            s.alice
                .list_current_user_connections()
                .send()
                .await
                .unwrap()
                .is_empty()
        );
        s.emu.add_connection(
            &s.emu.alice(),
            Connection {
                kind: "domain".to_owned(),
                name: "alice.example".to_owned(),
                verified: true,
            },
        );
        let listed = s
            .alice
            .list_current_user_connections()
            .send()
            .await
            .unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].type_, "domain");
        assert_eq!(listed[0].name, "alice.example");
        assert_eq!(listed[0].verified, Some(true));

        for set in [&s.connections, &s.all] {
            let listed = s
                .alice
                .with_token_set(set)
                .list_current_user_connections()
                .send()
                .await
                .unwrap();
            assert_eq!(listed.len(), 1);
        }
        for set in [&s.identify, &s.guilds] {
            let err = s
                .alice
                .with_token_set(set)
                .list_current_user_connections()
                .send()
                .await
                .unwrap_err();
            assert_missing_scope(&err, "list_current_user_connections", "connections");
        }
        let err = bearer(&s.alice, &s.guilds.access_token)
            .list_current_user_connections()
            .send()
            .await
            .unwrap_err();
        assert_missing_scope(&err, "list_current_user_connections", "connections");

        // The server refuses bots here (403 ACCESS_DENIED); the client does not send one.
        let bot = s
            .alice
            .with_credential(Credential::Bot(s.app.bot_token.clone()));
        let err = bot
            .list_current_user_connections()
            .send()
            .await
            .unwrap_err();
        match err {
            Error::CredentialNotAccepted {
                given, accepted, ..
            } => {
                assert_eq!(given, Some(CredentialKind::Bot));
                assert!(!accepted.contains(&CredentialKind::Bot));
            }
            other => panic!("{other:?}"),
        }
        assert_not_accepted(
            anonymous(&s.emu)
                .list_current_user_connections()
                .send()
                .await,
        );
    })
    .await;
}

#[tokio::test]
async fn token_manager_client_knows_the_scopes() {
    bounded(async {
        let s = setup().await;
        let manager = TokenManager::builder(
            s.alice.with_credential(None),
            s.app.credentials(),
            Arc::new(MemoryStore::new()),
            Some(s.identify.clone()),
        )
        .build()
        .await
        .unwrap();
        let user = manager.client().await.unwrap();
        assert_eq!(user.credential_kind(), Some(CredentialKind::Bearer));
        assert_eq!(
            user.granted_scopes(),
            Some(&"identify".parse::<Scopes>().unwrap())
        );
        let me = user.get_current_user().send().await.unwrap();
        assert_eq!(me.id.as_str(), s.emu.alice().id);

        let before = calls(&s.emu, "/users/@me/guilds");
        let err = user.list_current_user_guilds().send().await.unwrap_err();
        assert_missing_scope(&err, "list_current_user_guilds", "guilds");
        assert_eq!(calls(&s.emu, "/users/@me/guilds"), before);

        // Through `call`, with the refresh-on-401 retry.
        let me = manager
            .call(|c| async move { c.get_current_user().send().await })
            .await
            .unwrap();
        assert_eq!(me.username, s.emu.alice().username);
    })
    .await;
}

#[tokio::test]
async fn a_client_of_another_credential_forgets_the_scopes() {
    let client = FluxerClient::builder().build().unwrap();
    let scoped = client.with_scoped_bearer("token", "identify".parse().unwrap());
    assert!(scoped.granted_scopes().is_some());
    assert!(
        scoped
            .with_credential(Credential::bearer("other"))
            .granted_scopes()
            .is_none()
    );
}

// ---- Recorded bodies from a raw server. ---------------------------------------------------------

/// A raw server answering `GET path` with a recorded body, everything else 404; it keeps the
/// requests it read.
async fn serving(routes: Vec<(&'static str, u16, &'static str)>) -> (RawServer, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let server = RawServer::answering(Ipv4Addr::LOCALHOST, move |_, request| {
        let path = request
            .target()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        lock(&log).push(request);
        match routes.iter().find(|(p, _, _)| *p == path) {
            Some((_, status, body)) => Reply::new(*status, "application/json", *body),
            None => Reply::new(
                404,
                "application/json",
                r#"{"code":"NOT_FOUND","message":"Not found."}"#,
            ),
        }
    })
    .await;
    (server, seen)
}

fn client_for(server: &RawServer, credential: Credential) -> FluxerClient {
    FluxerClient::builder()
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::NONE)
        .credential(credential)
        .build()
        .unwrap()
}

#[tokio::test]
async fn recorded_user_bodies_decode_with_their_blanks() {
    bounded(async {
        let (server, _) = serving(vec![(
            "/v1/users/@me",
            200,
            recorded!("users_me_session_200.json"),
        )])
        .await;
        let me = client_for(&server, Credential::session("flx_x"))
            .get_current_user()
            .send()
            .await
            .unwrap();
        assert_eq!(me.username, "olga_53d066");
        assert_eq!(me.email.as_deref(), Some("olga.240b744d@example.com"));
        assert_eq!(me.email_bounced, Some(false));
        assert!(me.password_last_changed_at.is_some());

        for (body, email) in [
            (recorded!("users_me_bearer_identify_200.json"), None),
            (
                recorded!("users_me_bearer_identify_email_200.json"),
                Some("olga.240b744d@example.com"),
            ),
        ] {
            let (server, _) = serving(vec![("/v1/users/@me", 200, body)]).await;
            let me = client_for(&server, Credential::bearer("t"))
                .get_current_user()
                .send()
                .await
                .unwrap();
            assert_eq!(me.email.as_deref(), email);
            assert_eq!(me.mfa_enabled, Some(false));
            assert_eq!(me.email_bounced, None, "left out for access tokens");
            assert_eq!(me.password_last_changed_at, None);
            assert!(me.authenticator_types.is_empty());
        }

        let (server, _) = serving(vec![(
            "/v1/users/@me",
            200,
            recorded!("users_me_bot_200.json"),
        )])
        .await;
        let me = client_for(&server, Credential::bot("1.x"))
            .get_current_user()
            .send()
            .await
            .unwrap();
        assert_eq!(me.bot, Some(true));
        assert_eq!(me.global_name, None);
        assert_eq!(me.traits, ["premium"]);
    })
    .await;
}

#[tokio::test]
async fn recorded_guild_and_connection_bodies_decode() {
    bounded(async {
        let (server, seen) = serving(vec![(
            "/v1/users/@me/guilds",
            200,
            recorded!("guilds_with_counts_200.json"),
        )])
        .await;
        let guilds = client_for(&server, Credential::session("flx_x"))
            .list_current_user_guilds()
            .with_counts(true)
            .limit(2u32)
            .after("1579199149599883328")
            .send()
            .await
            .unwrap();
        assert_eq!(guilds.len(), 2);
        assert_eq!(guilds[1].name, "Olga Guild Two");
        assert_eq!(guilds[0].approximate_member_count, Some(1));
        assert_eq!(guilds[0].approximate_presence_count, Some(0));
        assert_eq!(guilds[0].features.len(), 4);
        let target = lock(&seen)[0].target().to_owned();
        for part in ["with_counts=true", "limit=2", "after=1579199149599883328"] {
            assert!(target.contains(part), "{target} lacks {part}");
        }

        let (server, _) = serving(vec![(
            "/v1/users/@me/guilds",
            200,
            recorded!("guilds_session_200.json"),
        )])
        .await;
        let guilds = client_for(&server, Credential::bearer("t"))
            .list_current_user_guilds()
            .send()
            .await
            .unwrap();
        assert_eq!(guilds[0].approximate_member_count, None);

        let (server, _) = serving(vec![(
            "/v1/users/@me/connections",
            200,
            recorded!("connections_empty_200.json"),
        )])
        .await;
        let listed = client_for(&server, Credential::bearer("t"))
            .list_current_user_connections()
            .send()
            .await
            .unwrap();
        assert!(listed.is_empty());
    })
    .await;
}

#[tokio::test]
async fn recorded_missing_scope_bodies_map_to_missing_scope() {
    bounded(async {
        let (server, _) = serving(vec![
            (
                "/v1/users/@me",
                403,
                recorded!("missing_oauth_scope_identify_403.json"),
            ),
            (
                "/v1/users/@me/guilds",
                403,
                recorded!("missing_oauth_scope_guilds_403.json"),
            ),
            (
                "/v1/users/@me/connections",
                403,
                recorded!("missing_oauth_scope_connections_403.json"),
            ),
        ])
        .await;
        // Scopes unknown to the client: the server's refusal.
        let client = client_for(&server, Credential::bearer("t"));
        let err = client.get_current_user().send().await.unwrap_err();
        assert_missing_scope(&err, "get_current_user", "identify");
        let err = client.list_current_user_guilds().send().await.unwrap_err();
        assert_missing_scope(&err, "list_current_user_guilds", "guilds");
        let err = client
            .list_current_user_connections()
            .send()
            .await
            .unwrap_err();
        assert_missing_scope(&err, "list_current_user_connections", "connections");
        assert!(
            err.to_string().contains("ask the user to authorize again"),
            "{err}"
        );
        assert_eq!(server.accepted(), 3);
    })
    .await;
}

#[tokio::test]
async fn known_scopes_refuse_before_any_connection() {
    bounded(async {
        let (server, _) = serving(vec![]).await;
        let client = client_for(&server, Credential::session("flx_x"))
            .with_scoped_bearer("t", "email".parse().unwrap());
        let err = client.get_current_user().send().await.unwrap_err();
        assert_missing_scope(&err, "get_current_user", "identify");
        let err = client.get_oauth2_userinfo().send().await.unwrap_err();
        assert_missing_scope(&err, "get_oauth2_userinfo", "identify");
        let err = client.list_current_user_guilds().send().await.unwrap_err();
        assert_missing_scope(&err, "list_current_user_guilds", "guilds");
        assert_eq!(server.accepted(), 0, "nothing was sent");

        // An operation that needs no scope still goes out.
        let _ = client.get_current_user_oauth2().send().await;
        assert_eq!(server.accepted(), 1);
    })
    .await;
}
