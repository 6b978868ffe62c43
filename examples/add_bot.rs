//! Adding an application's bot to a guild: the invite URL with the permissions the bot's role gets,
//! the consent of a user who may manage the guild, and the check that the bot joined.
//!
//! `cargo run --example add_bot` needs nothing else: it starts the built-in emulator, where a
//! developer registers an application (it comes with a bot) and alice owns a guild. The emulator has
//! no consent page, so alice's consent is given through the API call that Fluxer's page makes when
//! she picks the guild and clicks "Authorize" (`FluxerClient::grant_bot_consent`).
//!
//! On a real instance the invite URL is what you hand to people (a link, a button); Fluxer shows them
//! the consent page, and the bot joins when they accept. `add_bot_url` and `bot_joined` are the parts
//! to copy.

use fluxer_oauth2::{
    ApiErrorCode, Credential, Error, FluxerClient,
    oauth::{BotInviteRequest, Permissions},
    types,
};
use fluxer_oauth2_emulator::{Emulator, NewUser};

/// The invite for `client_id`'s bot into `guild_id`, asking for `permissions` for its role. Without
/// a redirect URI it is a plain invite: no code to exchange, so no PKCE.
fn add_bot_url(
    fluxer: &FluxerClient,
    client_id: &str,
    guild_id: &str,
    permissions: Permissions,
) -> Result<BotInviteRequest, Error> {
    Ok(fluxer
        .bot_invite(client_id)
        .guild_id(guild_id)
        .permissions(permissions)
        .disable_guild_select(true)
        .build()?)
}

/// The bot's membership in the guild, read by someone in it (a member's session, or the bot itself):
/// `None` when it is not a member. A bot's user id is its application id.
async fn bot_joined(
    member_of_guild: &FluxerClient,
    guild_id: &str,
    client_id: &str,
) -> Result<Option<types::GuildMemberResponse>, Error> {
    match member_of_guild
        .get_guild_member()
        .guild_id(guild_id)
        .user_id(client_id)
        .send()
        .await
    {
        Ok(member) => Ok(Some(member.into_inner())),
        Err(Error::Api {
            code: ApiErrorCode::UnknownMember,
            ..
        }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The URL with the state hidden (it is not needed for a plain invite, but a URL with one is
/// nothing to print in logs).
fn shown(url: &url::Url) -> String {
    let query: Vec<String> = url
        .query_pairs()
        .map(|(k, v)| match &*k {
            "state" | "code_challenge" => format!("{k}=(hidden)"),
            _ => format!("{k}={v}"),
        })
        .collect();
    format!("{}?{}", &url[..url::Position::AfterPath], query.join("&"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emu = Emulator::start().await;
    println!("emulator at {}", emu.base_url());

    // The bot's developer registers an application; every application comes with a bot.
    let developer = emu.add_user(NewUser {
        username: "botdev".to_owned(),
        password: Some("another-strong-password".to_owned()),
        ..Default::default()
    });
    let dev = FluxerClient::builder()
        .base_url(emu.base_url())
        .credential(Credential::session(developer.session_token.as_str()))
        .build()?;
    let app = dev
        .create_oauth_application()
        .body(types::ApplicationCreateRequest::builder().name("Add bot example"))
        .send()
        .await?
        .into_inner();
    let client_id = app.id.to_string();
    let bot_name = app.bot.as_ref().map_or("?", |b| b.username.as_str());
    println!(
        "{} registered {:?} (client id {client_id}) with bot {bot_name}, public: {}",
        developer.username, app.name, app.bot_public
    );

    // Alice owns a guild (the crate has no operation to create guilds; the emulator makes one).
    let alice = emu.alice();
    let guild_id = emu.create_guild(&alice, "Rustaceans");
    let alice_client = dev.with_credential(Credential::session(alice.session_token.as_str()));
    println!("alice owns guild {guild_id}");

    // 1. The invite URL: the bot's role gets these permissions in the guild.
    let permissions =
        Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES | Permissions::ADD_REACTIONS;
    let invite = add_bot_url(&dev, &client_id, &guild_id, permissions)?;
    println!(
        "invite URL: {}\n  permissions {} = {}",
        shown(&invite.url),
        permissions,
        permissions.names().collect::<Vec<_>>().join(" | ")
    );
    match bot_joined(&alice_client, &guild_id, &client_id).await? {
        None => println!("before consent: the bot is not a member of the guild"),
        Some(_) => return Err("the bot was a member before anyone consented".into()),
    }

    // 2. Alice opens the URL and accepts (what Fluxer's consent page sends for her).
    alice_client.grant_bot_consent(&invite).await?;
    println!("alice consented to add the bot to guild {guild_id}");

    // 3. The bot is a member, with a role that carries the permissions.
    let member = bot_joined(&alice_client, &guild_id, &client_id)
        .await?
        .ok_or("the bot did not join the guild")?;
    println!(
        "get_guild_member: {} (bot: {}) joined at {} with {} role(s)",
        member.user.username,
        member.user.bot.unwrap_or(false),
        member.joined_at,
        member.roles.len()
    );
    let bot_token = app
        .bot
        .and_then(|b| b.token)
        .ok_or("the new application has no bot token")?;
    let as_bot = dev.with_credential(Credential::Bot(bot_token));
    let its_guilds = as_bot.list_current_user_guilds().send().await?;
    println!(
        "the bot's own guild list: {:?}",
        its_guilds
            .iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
    );
    println!(
        "the emulator agrees: the bot is a member: {}",
        emu.guild_has_member(&guild_id, &client_id)
    );

    // Consenting again is refused with a typed error.
    match alice_client.grant_bot_consent(&invite).await {
        Err(Error::Api {
            code: ApiErrorCode::BotAlreadyInGuild,
            status,
            ..
        }) => println!("consenting again: {status} BOT_ALREADY_IN_GUILD"),
        Ok(_) => return Err("a second consent for the same guild was accepted".into()),
        Err(e) => {
            return Err(format!("a second consent: expected BOT_ALREADY_IN_GUILD, got {e}").into());
        }
    }

    let joined = emu.guild_has_member(&guild_id, &client_id) && its_guilds.len() == 1;
    emu.shutdown().await;
    if joined {
        Ok(())
    } else {
        Err("the bot is not in the guild".into())
    }
}
