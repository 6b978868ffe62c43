//! Adding a bot to a guild when a user consents to the `bot` scope with a `guild_id`.

use axum::http::StatusCode;

use crate::guilds::{Member, Role};
use crate::store::{App, Store};

use super::error::ApiError;
use super::reply;

/// Adds the bot of `app` to `guild_id` on behalf of `user_id`, with a new role named after
/// the application carrying `permissions` (no role for 0). The user must be in the guild
/// (else 403 `MISSING_PERMISSIONS`) and the bot not yet (else 400 `BOT_ALREADY_IN_GUILD`).
pub(crate) fn add_bot(
    store: &mut Store,
    app: &App,
    user_id: &str,
    guild_id: &str,
    permissions: u64,
    now_ms: u64,
) -> Result<(), ApiError> {
    let in_guild = store
        .guilds
        .get(guild_id)
        .is_some_and(|g| g.member(user_id).is_some());
    if !in_guild {
        return Err(reply::fluxer(
            StatusCode::FORBIDDEN,
            "MISSING_PERMISSIONS",
            "You don't have the permissions required to perform this action.",
        )
        .into());
    }
    let role_id = (permissions != 0).then(|| store.ids.next_id());
    let Some(guild) = store.guilds.get_mut(guild_id) else {
        return Ok(());
    };
    if guild.member(&app.id).is_some() {
        return Err(reply::fluxer(
            StatusCode::BAD_REQUEST,
            "BOT_ALREADY_IN_GUILD",
            "This bot is already in the community.",
        )
        .into());
    }
    let mut roles = Vec::new();
    if let Some(id) = role_id {
        guild.roles.push(Role {
            id: id.clone(),
            name: app.name.clone(),
            permissions,
            position: guild.roles.len() as u32 + 1,
        });
        roles.push(id);
    }
    guild.members.push(Member {
        user_id: app.id.clone(),
        roles,
        joined_ms: now_ms,
    });
    Ok(())
}
