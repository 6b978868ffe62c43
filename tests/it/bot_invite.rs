//! Adding a bot to a guild: the invite URL and its typed permissions, the consent that adds the bot,
//! the member it becomes, every refusal of the recorded server (`q_bot_authorize`), the code-grant
//! variant (`bot_require_code_grant`) and `bot` with `identify`.
//!
//! Against the emulator, and against a raw server on 127.0.0.1 that serves the recorded bodies
//! (`fixtures/scopes_bots_discovery`) for the error shapes.

use std::{net::Ipv4Addr, sync::Arc};

use crate::common::{
    assert_api, assert_missing_scope, bounded,
    emulator::{App, REDIRECT_URI, create_app, session},
    lock,
    raw_server::{RawServer, Reply, Seen},
};
use fluxer_oauth2::{
    ApiErrorCode, Credential, Error, FluxerClient, RetryPolicy, Secret,
    oauth::{
        AuthorizeError, AuthorizeUrl, BotInvite, BotInviteRequest, Permissions, Scope, TokenSet,
        consent_request,
    },
    types,
};
use fluxer_oauth2_emulator::Emulator;

macro_rules! recorded {
    ($name:literal) => {
        include_str!(concat!("../fixtures/scopes_bots_discovery/", $name))
    };
}

fn query(invite: &BotInviteRequest) -> Vec<(String, String)> {
    invite
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn has(pairs: &[(String, String)], key: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}

// ---- The invite URL. -----------------------------------------------------------------------------

#[test]
fn a_plain_invite_has_no_code_grant() {
    let invite = BotInvite::new("https://api.fluxer.app/v1", "1574449618593251330")
        .guild_id("1574449618593251331")
        .permissions(
            Permissions::VIEW_CHANNEL
                | Permissions::SEND_MESSAGES
                | Permissions::from_bits_retain(1 << 60),
        )
        .disable_guild_select(true)
        .build()
        .unwrap();
    let q = query(&invite);
    assert_eq!(has(&q, "scope").as_deref(), Some("bot"));
    assert_eq!(has(&q, "guild_id").as_deref(), Some("1574449618593251331"));
    assert_eq!(
        has(&q, "permissions").as_deref(),
        Some(&*((3072u64 | 1 << 60).to_string()))
    );
    assert_eq!(has(&q, "disable_guild_select").as_deref(), Some("true"));
    for absent in [
        "response_type",
        "redirect_uri",
        "code_challenge",
        "code_challenge_method",
    ] {
        assert_eq!(has(&q, absent), None, "{absent}");
    }
    assert_eq!(
        has(&q, "state").as_deref(),
        Some(invite.state.expose_secret())
    );
    assert!(invite.redirect_uri.is_none() && invite.pkce_verifier.is_none());
    assert!(!format!("{invite:?}").contains(invite.state.expose_secret()));

    // The consent body carries the guild and the permissions, not the page-only flag.
    let body = consent_request(&invite.url).unwrap();
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(json["guild_id"], "1574449618593251331");
    assert_eq!(json["permissions"], (3072u64 | 1 << 60).to_string());
    assert_eq!(json["scope"], "bot");
    assert!(json.get("disable_guild_select").is_none());
    assert!(json.get("redirect_uri").is_none() && json.get("response_type").is_none());
}

#[test]
fn another_scope_needs_the_code_grant() {
    let err = BotInvite::new("https://api.fluxer.app/v1", "1574449618593251330")
        .scope(Scope::Identify)
        .build()
        .unwrap_err();
    assert_eq!(err, AuthorizeError::RedirectUriRequired);
    assert!(err.to_string().contains("redirect_uri"), "{err}");

    let invite = BotInvite::new("https://api.fluxer.app/v1", "1574449618593251330")
        .scope(Scope::Identify)
        .redirect_uri("https://app.example/callback")
        .guild_id("1574449618593251331")
        .permissions(Permissions::ADMINISTRATOR)
        .build()
        .unwrap();
    let q = query(&invite);
    assert_eq!(has(&q, "scope").as_deref(), Some("identify bot"));
    assert_eq!(has(&q, "response_type").as_deref(), Some("code"));
    assert_eq!(
        has(&q, "redirect_uri").as_deref(),
        Some("https://app.example/callback")
    );
    assert_eq!(has(&q, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(has(&q, "permissions").as_deref(), Some("8"));
    assert!(invite.pkce_verifier.is_some());
    assert_eq!(invite.permissions, Permissions::ADMINISTRATOR);
}

#[test]
fn invite_inputs_are_checked() {
    let base = || BotInvite::new("https://api.fluxer.app/v1", "1574449618593251330");
    assert_eq!(
        base().guild_id("01").build().unwrap_err(),
        AuthorizeError::InvalidGuildId
    );
    assert_eq!(
        BotInvite::new("https://api.fluxer.app/v1", "abc")
            .build()
            .unwrap_err(),
        AuthorizeError::InvalidClientId
    );
    assert!(matches!(
        base()
            .redirect_uri("http://app.example/cb")
            .build()
            .unwrap_err(),
        AuthorizeError::RedirectUri(_)
    ));
    // The combined AuthorizeUrl takes the typed permissions too.
    let request = AuthorizeUrl::new(
        "https://api.fluxer.app/v1",
        "1574449618593251330",
        "https://app.example/cb",
    )
    .scopes([Scope::Identify, Scope::Bot])
    .bot_permissions(Permissions::KICK_MEMBERS)
    .build()
    .unwrap();
    assert!(request.url.as_str().contains("&permissions=2&"));
}

// ---- Against the emulator. ---------------------------------------------------------------------

/// Exchanges the code of a code-grant invite with its redirect URI and PKCE verifier.
async fn exchange_invite(
    client: &FluxerClient,
    app: &App,
    code: &Secret,
    invite: &BotInviteRequest,
) -> Result<TokenSet, Error> {
    let redirect = invite.redirect_uri.as_ref().expect("a code-grant invite");
    client
        .with_credential(None)
        .exchange_code_with(
            &app.credentials(),
            code,
            redirect.normalized(),
            invite.pkce_verifier.as_ref(),
        )
        .await
}

struct Setup {
    emu: Emulator,
    alice: FluxerClient,
    bob: FluxerClient,
    app: App,
    guild: String,
}

async fn setup() -> Setup {
    let emu = Emulator::start().await;
    let alice = session(&emu, &emu.alice());
    let bob = session(&emu, &emu.bob());
    let app = create_app(&alice, "Helper Bot", &[REDIRECT_URI]).await;
    let guild = emu.create_guild(&emu.alice(), "Alice's guild");
    Setup {
        emu,
        alice,
        bob,
        app,
        guild,
    }
}

impl Setup {
    fn bot(&self) -> FluxerClient {
        self.alice
            .with_credential(Credential::Bot(self.app.bot_token.clone()))
    }

    fn invite(&self, guild: &str, permissions: Permissions) -> BotInviteRequest {
        self.alice
            .bot_invite(&self.app.id)
            .guild_id(guild)
            .permissions(permissions)
            .build()
            .unwrap()
    }

    async fn update(&self, body: types::builder::ApplicationUpdateRequest) {
        self.alice
            .update_oauth_application()
            .id(self.app.id.as_str())
            .body(body)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn consent_adds_the_bot_with_a_role_and_only_once() {
    bounded(async {
        let s = setup().await;
        let invite = s.invite(&s.guild, Permissions::SEND_MESSAGES);
        let callback = s.alice.grant_bot_consent(&invite).await.unwrap();
        callback
            .verify_state(&invite.state)
            .expect("the state comes back");

        let member = s
            .alice
            .get_guild_member()
            .guild_id(s.guild.as_str())
            .user_id(s.app.id.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(member.user.id.as_str(), s.app.id);
        assert_eq!(member.user.bot, Some(true));
        assert_eq!(
            member.roles.len(),
            1,
            "one role, named after the application"
        );
        // The bot sees the guild among its own, and reads its own membership.
        let guilds = s.bot().list_current_user_guilds().send().await.unwrap();
        assert_eq!(
            guilds.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(),
            [s.guild.as_str()]
        );
        let own = s
            .bot()
            .get_guild_member()
            .guild_id(s.guild.as_str())
            .user_id(s.app.id.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(own.roles, member.roles);

        let err = s.alice.grant_bot_consent(&invite).await.unwrap_err();
        assert_api(&err, 400, ApiErrorCode::BotAlreadyInGuild);
        assert!(err.to_string().contains("nothing to add"), "{err}");

        // Permissions 0: the bot joins without a role.
        let other = s.emu.create_guild(&s.emu.alice(), "Second guild");
        s.alice
            .grant_bot_consent(&s.invite(&other, Permissions::empty()))
            .await
            .unwrap();
        let member = s
            .alice
            .get_guild_member()
            .guild_id(other.as_str())
            .user_id(s.app.id.as_str())
            .send()
            .await
            .unwrap();
        assert!(member.roles.is_empty());
    })
    .await;
}

#[tokio::test]
async fn refusals_of_a_bot_consent() {
    bounded(async {
        let s = setup().await;
        // A guild the user is not in, and a guild that does not exist.
        let bobs = s.emu.create_guild(&s.emu.bob(), "Bob's guild");
        for guild in [bobs.as_str(), "1234567890123456789"] {
            let err = s
                .alice
                .grant_bot_consent(&s.invite(guild, Permissions::SEND_MESSAGES))
                .await
                .unwrap_err();
            assert_api(&err, 403, ApiErrorCode::MissingPermissions);
            assert!(err.to_string().contains("check guild_id"), "{err}");
        }
        assert!(!s.emu.guild_has_member(&bobs, &s.app.id));

        // Not a member: the member route says so.
        let err = s
            .bob
            .get_guild_member()
            .guild_id(bobs.as_str())
            .user_id(s.app.id.as_str())
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 404, ApiErrorCode::UnknownMember);

        // A private bot: only its owner may add it.
        s.update(types::ApplicationUpdateRequest::builder().bot_public(false))
            .await;
        let invite = s
            .bob
            .bot_invite(&s.app.id)
            .guild_id(bobs.as_str())
            .build()
            .unwrap();
        let err = s.bob.grant_bot_consent(&invite).await.unwrap_err();
        assert_api(&err, 403, ApiErrorCode::BotIsPrivate);
        assert!(err.to_string().contains("owner"), "{err}");
        s.alice
            .grant_bot_consent(&s.invite(&s.guild, Permissions::empty()))
            .await
            .unwrap();
        assert!(s.emu.guild_has_member(&s.guild, &s.app.id));

        // No guild: a code is issued and no bot is added.
        let other = s.emu.create_guild(&s.emu.alice(), "No bot here");
        let invite = s.alice.bot_invite(&s.app.id).build().unwrap();
        s.alice.grant_bot_consent(&invite).await.unwrap();
        assert!(!s.emu.guild_has_member(&other, &s.app.id));
    })
    .await;
}

#[tokio::test]
async fn the_code_grant_variant_needs_a_redirect_uri() {
    bounded(async {
        let s = setup().await;
        s.update(types::ApplicationUpdateRequest::builder().bot_require_code_grant(true))
            .await;

        let err = s
            .alice
            .grant_bot_consent(&s.invite(&s.guild, Permissions::empty()))
            .await
            .unwrap_err();
        match &err {
            Error::RedirectUriRequired {
                operation,
                description,
            } => {
                assert_eq!(*operation, "provide_oauth2_consent");
                assert_eq!(description, "Missing redirect_uri");
            }
            other => panic!("{other:?}"),
        }
        assert!(!s.emu.guild_has_member(&s.guild, &s.app.id));

        let invite = s
            .alice
            .bot_invite(&s.app.id)
            .guild_id(s.guild.as_str())
            .redirect_uri(REDIRECT_URI)
            .build()
            .unwrap();
        let code = s
            .alice
            .grant_bot_consent(&invite)
            .await
            .unwrap()
            .verify_state(&invite.state)
            .unwrap();
        assert!(s.emu.guild_has_member(&s.guild, &s.app.id));
        let tokens = exchange_invite(&s.alice, &s.app, &code, &invite)
            .await
            .unwrap();
        assert_eq!(tokens.scope, "bot");
        // A bot-only token opens none of the user routes.
        let err = s
            .alice
            .with_token_set(&tokens)
            .get_current_user()
            .send()
            .await
            .unwrap_err();
        assert_missing_scope(&err, "get_current_user", "identify");
    })
    .await;
}

#[tokio::test]
async fn bot_with_identify() {
    bounded(async {
        let s = setup().await;
        let invite = s
            .alice
            .bot_invite(&s.app.id)
            .scope(Scope::Identify)
            .redirect_uri(REDIRECT_URI)
            .guild_id(s.guild.as_str())
            .permissions(Permissions::ADMINISTRATOR)
            .build()
            .unwrap();
        let code = s
            .alice
            .grant_bot_consent(&invite)
            .await
            .unwrap()
            .verify_state(&invite.state)
            .unwrap();
        let tokens = exchange_invite(&s.alice, &s.app, &code, &invite)
            .await
            .unwrap();
        assert_eq!(tokens.scope, "identify bot");
        let user = s.alice.with_token_set(&tokens);
        let me = user.get_current_user().send().await.unwrap();
        assert_eq!(me.id.as_str(), s.emu.alice().id);
        let err = user.list_current_user_guilds().send().await.unwrap_err();
        assert_missing_scope(&err, "list_current_user_guilds", "guilds");
        assert!(s.emu.guild_has_member(&s.guild, &s.app.id));
    })
    .await;
}

// ---- Recorded error shapes from a raw server. --------------------------------------------------

/// A raw server answering every request with `status` and `body`, keeping the requests.
async fn answering(status: u16, body: &'static str) -> (RawServer, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let server = RawServer::answering(Ipv4Addr::LOCALHOST, move |_, request| {
        lock(&log).push(request);
        Reply::new(status, "application/json", body)
    })
    .await;
    (server, seen)
}

fn session_at(server: &RawServer) -> FluxerClient {
    FluxerClient::builder()
        .base_url(server.base_url())
        .retry_policy(RetryPolicy::NONE)
        .credential(Credential::session("flx_recorded"))
        .build()
        .unwrap()
}

#[tokio::test]
async fn recorded_refusals_become_typed_errors() {
    bounded(async {
        for (status, body, code) in [
            (
                400,
                recorded!("bot_already_in_guild_400.json"),
                ApiErrorCode::BotAlreadyInGuild,
            ),
            (
                403,
                recorded!("missing_permissions_403.json"),
                ApiErrorCode::MissingPermissions,
            ),
            (
                403,
                recorded!("bot_is_private_403.json"),
                ApiErrorCode::BotIsPrivate,
            ),
        ] {
            let (server, _) = answering(status, body).await;
            let client = session_at(&server);
            let invite = client
                .bot_invite("1579199149738295394")
                .guild_id("1579199149654409294")
                .build()
                .unwrap();
            let err = client.grant_bot_consent(&invite).await.unwrap_err();
            assert_api(&err, status, code);
        }
        for body in [
            recorded!("invalid_permissions_integer_400.json"),
            recorded!("invalid_permissions_negative_400.json"),
        ] {
            let (server, _) = answering(400, body).await;
            let client = session_at(&server);
            let invite = client.bot_invite("1579199149738295394").build().unwrap();
            match client.grant_bot_consent(&invite).await.unwrap_err() {
                err @ Error::InvalidPermissions { .. } => {
                    assert_eq!(err.status(), Some(400));
                    assert!(
                        err.to_string().contains("non-negative decimal integer"),
                        "{err}"
                    );
                    assert!(err.to_string().contains("INVALID_PERMISSIONS_"), "{err}");
                }
                other => panic!("{other:?}"),
            }
        }
        for (body, description) in [
            (
                recorded!("missing_redirect_uri_400.json"),
                "Missing redirect_uri",
            ),
            (
                recorded!("redirect_uri_required_non_bot_400.json"),
                "redirect_uri required for non-bot scopes",
            ),
        ] {
            let (server, _) = answering(400, body).await;
            let client = session_at(&server);
            let invite = client.bot_invite("1579199149738295394").build().unwrap();
            match client.grant_bot_consent(&invite).await.unwrap_err() {
                Error::RedirectUriRequired { description: d, .. } => assert_eq!(d, description),
                other => panic!("{other:?}"),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn recorded_consent_and_member_answers() {
    bounded(async {
        // A bot-only consent's answer points at the web app; the state still comes back.
        let body: &'static str = Box::leak(
            recorded!("consent_bot_no_redirect_200.json")
                .replace(
                    "<redacted-43>",
                    "Y29kZS1mcm9tLXRoZS1yZWNvcmRlZC1zZXJ2ZXIxMjM0",
                )
                .into_boxed_str(),
        );
        let (server, seen) = answering(200, body).await;
        let client = session_at(&server);
        let invite = client
            .bot_invite("1579199149738295394")
            .guild_id("1579199149654409294")
            .permissions(Permissions::SEND_MESSAGES)
            .state(fluxer_oauth2::oauth::CsrfState::new("state-fabff5e68702"))
            .build()
            .unwrap();
        let code = client
            .grant_bot_consent(&invite)
            .await
            .unwrap()
            .verify_state(&invite.state)
            .unwrap();
        assert_eq!(
            code.expose_secret(),
            "Y29kZS1mcm9tLXRoZS1yZWNvcmRlZC1zZXJ2ZXIxMjM0"
        );
        let sent: serde_json::Value = serde_json::from_slice(&lock(&seen)[0].body).unwrap();
        assert_eq!(
            sent,
            serde_json::json!({
                "client_id": "1579199149738295394",
                "scope": "bot",
                "state": "state-fabff5e68702",
                "guild_id": "1579199149654409294",
                "permissions": "2048"
            }),
            "the recorded request's body, field for field"
        );

        let (server, seen) = answering(200, recorded!("member_bot_200.json")).await;
        let member = session_at(&server)
            .get_guild_member()
            .guild_id("1579199149654409294")
            .user_id("1579199149738295394")
            .send()
            .await
            .unwrap();
        assert_eq!(member.user.username, "Quinn_Bot_A");
        assert_eq!(member.roles.len(), 1);
        assert_eq!(member.nick, None);
        assert_eq!(
            lock(&seen)[0].target(),
            "/v1/guilds/1579199149654409294/members/1579199149738295394"
        );

        let (server, _) = answering(404, recorded!("unknown_member_404.json")).await;
        let err = session_at(&server)
            .get_guild_member()
            .guild_id("1579199149717323869")
            .user_id("1579199149797015664")
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 404, ApiErrorCode::UnknownMember);

        // An access token is not sent to the member route (the server refuses it).
        let (server, _) = answering(200, recorded!("member_bot_200.json")).await;
        let bearer = session_at(&server).with_credential(Credential::bearer("t"));
        assert!(matches!(
            bearer
                .get_guild_member()
                .guild_id("1")
                .user_id("2")
                .send()
                .await,
            Err(Error::CredentialNotAccepted { .. })
        ));
        assert_eq!(server.accepted(), 0);
    })
    .await;
}
