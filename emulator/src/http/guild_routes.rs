//! The guild routes a bot or an OAuth2 client reads: `GET /guilds/{id}`, its roles, and its
//! members (one, `@me`, or the list).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::Uri;
use serde::Serialize;

use crate::guilds::{FullGuildView, Guild, Member, RoleView};
use crate::shared::Inner;
use crate::store::Store;
use crate::time_fmt::iso_millis;

use super::error::{ApiError, ApiResult};
use super::extract::AnyCaller;
use super::reply::{self, FieldError};
use super::users::user_for;
use super::validate;
use super::views::PartialUser;

fn unknown_guild() -> ApiError {
    reply::fluxer(StatusCode::NOT_FOUND, "UNKNOWN_GUILD", "Unknown community.").into()
}

/// The guild `raw_id` names, when `user_id` is a member of it.
fn member_guild<'a>(store: &'a Store, raw_id: &str, user_id: &str) -> Result<&'a Guild, ApiError> {
    let id = validate::snowflake(raw_id, "guild_id")?;
    store
        .guilds
        .get(&id)
        .filter(|g| g.member(user_id).is_some())
        .ok_or_else(unknown_guild)
}

/// `GET /guilds/{guild_id}`.
pub(crate) async fn get(
    State(inner): State<Arc<Inner>>,
    AnyCaller(caller): AnyCaller,
    Path(raw): Path<String>,
) -> ApiResult {
    let user_id = user_for(caller, "guilds", true)?;
    let store = inner.store();
    let g = member_guild(&store, &raw, &user_id)?;
    Ok(reply::ok(&FullGuildView::new(g)))
}

/// `GET /guilds/{guild_id}/roles`: created roles from the highest position, then `@everyone`.
pub(crate) async fn roles(
    State(inner): State<Arc<Inner>>,
    AnyCaller(caller): AnyCaller,
    Path(raw): Path<String>,
) -> ApiResult {
    let user_id = user_for(caller, "guilds", true)?;
    let store = inner.store();
    let g = member_guild(&store, &raw, &user_id)?;
    let mut views: Vec<RoleView> = g.roles.iter().rev().map(RoleView::new).collect();
    views.push(RoleView::everyone(g));
    Ok(reply::ok(&views))
}

/// A guild member.
#[derive(Serialize)]
struct MemberView<'a> {
    user: PartialUser<'a>,
    nick: Option<()>,
    avatar: Option<()>,
    banner: Option<()>,
    accent_color: Option<()>,
    roles: &'a [String],
    joined_at: String,
    mute: bool,
    deaf: bool,
    communication_disabled_until: Option<()>,
}

fn member_view<'a>(store: &'a Store, m: &'a Member) -> Option<MemberView<'a>> {
    let user = match store.users.get(&m.user_id) {
        Some(u) => PartialUser::of(u),
        None => PartialUser::bot(store.bot_user(&m.user_id)?),
    };
    Some(MemberView {
        user,
        nick: None,
        avatar: None,
        banner: None,
        accent_color: None,
        roles: &m.roles,
        joined_at: iso_millis(m.joined_ms),
        mute: false,
        deaf: false,
        communication_disabled_until: None,
    })
}

/// `GET /guilds/{guild_id}/members/{user_id}` (`@me` for the caller).
pub(crate) async fn member(
    State(inner): State<Arc<Inner>>,
    AnyCaller(caller): AnyCaller,
    Path((raw_guild, raw_user)): Path<(String, String)>,
) -> ApiResult {
    let me = user_for(caller, "guilds", true)?;
    let store = inner.store();
    let g = member_guild(&store, &raw_guild, &me)?;
    let target = if raw_user == "@me" {
        me
    } else {
        validate::snowflake(&raw_user, "user_id")?
    };
    g.member(&target)
        .and_then(|m| member_view(&store, m))
        .map(|v| reply::ok(&v))
        .ok_or_else(|| {
            reply::fluxer(
                StatusCode::NOT_FOUND,
                "UNKNOWN_MEMBER",
                "Member wasn't found in this community.",
            )
            .into()
        })
}

/// The query of the member list.
#[derive(Default)]
pub(crate) struct MembersQuery {
    limit: Option<String>,
    after: Option<String>,
}

impl MembersQuery {
    fn from_uri(uri: &Uri) -> Self {
        let q = validate::query_params(uri);
        MembersQuery {
            limit: q.get("limit").cloned(),
            after: q.get("after").cloned(),
        }
    }
}

/// `GET /guilds/{guild_id}/members`: members by user id, `limit` 1–1000, `after` a user id.
pub(crate) async fn members(
    State(inner): State<Arc<Inner>>,
    AnyCaller(caller): AnyCaller,
    Path(raw): Path<String>,
    uri: Uri,
) -> ApiResult {
    let q = MembersQuery::from_uri(&uri);
    let me = user_for(caller, "guilds", true)?;
    let limit = match q.limit.as_deref().map(str::parse::<usize>) {
        None => 1,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return Err(FieldError::format("limit").into()),
    };
    let after = match q.after.as_deref() {
        None => 0,
        Some(a) => validate::snowflake(a, "after")?.parse::<u64>().unwrap_or(0),
    };
    let store = inner.store();
    let g = member_guild(&store, &raw, &me)?;
    let mut list: Vec<&Member> = g
        .members
        .iter()
        .filter(|m| m.user_id.parse::<u64>().unwrap_or(0) > after)
        .collect();
    list.sort_by_key(|m| m.user_id.parse::<u64>().unwrap_or(0));
    let views: Vec<MemberView> = list
        .into_iter()
        .take(limit)
        .filter_map(|m| member_view(&store, m))
        .collect();
    Ok(reply::ok(&views))
}
