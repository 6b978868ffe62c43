//! `GET /users/@me`, `/users/@me/guilds` and `/users/@me/connections`: routes a session, a bot
//! or an OAuth2 token with the right scope may read.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use serde::Serialize;

use crate::guilds::GuildView;
use crate::shared::Inner;

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::AnyCaller;
use super::reply::{self, FieldError};
use super::validate;
use super::views::{PrivateUser, Viewer};

/// The user id behind a caller for a route needing `scope` from OAuth2 tokens; bots get their
/// bot user's id when `bots` allows them.
pub(crate) fn user_for(caller: Caller, scope: &str, bots: bool) -> Result<String, ApiError> {
    match caller {
        Caller::User { user_id, .. } => Ok(user_id),
        Caller::OAuth { grant } if grant.has(scope) => Ok(grant.user_id),
        Caller::OAuth { .. } => Err(reply::missing_scope(scope).into()),
        Caller::Bot { app_id } if bots => Ok(app_id),
        Caller::Bot { .. } => Err(reply::access_denied().into()),
        Caller::Anonymous | Caller::Invalid => Err(reply::unauthorized().into()),
    }
}

/// `GET /users/@me`: a session, a bot, or an access token with `identify`.
pub(crate) async fn me(State(inner): State<Arc<Inner>>, AnyCaller(caller): AnyCaller) -> ApiResult {
    let store = inner.store();
    match caller {
        Caller::Bot { app_id } => {
            let app = store.apps.get(&app_id).ok_or_else(reply::unauthorized)?;
            Ok(reply::ok(&PrivateUser::bot(app)))
        }
        Caller::OAuth { ref grant } if grant.has("identify") => {
            let u = store
                .users
                .get(&grant.user_id)
                .ok_or_else(reply::unauthorized)?;
            let email = grant.has("email");
            Ok(reply::ok(&PrivateUser::of(u, Viewer::OAuth { email })))
        }
        other => {
            let id = user_for(other, "identify", false)?;
            let u = store.users.get(&id).ok_or_else(reply::unauthorized)?;
            Ok(reply::ok(&PrivateUser::of(u, Viewer::Session)))
        }
    }
}

/// The query of `GET /users/@me/guilds`.
#[derive(Default)]
pub(crate) struct GuildsQuery {
    with_counts: Option<String>,
    limit: Option<String>,
    before: Option<String>,
    after: Option<String>,
}

impl GuildsQuery {
    fn from_uri(uri: &Uri) -> Self {
        let q = validate::query_params(uri);
        GuildsQuery {
            with_counts: q.get("with_counts").cloned(),
            limit: q.get("limit").cloned(),
            before: q.get("before").cloned(),
            after: q.get("after").cloned(),
        }
    }
}

/// `GET /users/@me/guilds`: the guilds the caller is in (`guilds` scope for access tokens),
/// ordered by id; `limit` (1–200), `before`, `after` and `with_counts` as on the server.
pub(crate) async fn guilds(
    State(inner): State<Arc<Inner>>,
    AnyCaller(caller): AnyCaller,
    uri: Uri,
) -> ApiResult {
    let q = GuildsQuery::from_uri(&uri);
    let user_id = user_for(caller, "guilds", true)?;
    let mut errors = Vec::new();
    let limit = match q.limit.as_deref().map(str::parse::<usize>) {
        None => 200,
        Some(Ok(n)) if (1..=200).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new(
                "limit",
                "INVALID_FORMAT",
                "The provided value is in an invalid format.",
            ));
            0
        }
    };
    let mut bound = |raw: &Option<String>, key: &str| {
        raw.as_deref()
            .and_then(|r| validate::snowflake(r, key).map_err(|e| errors.push(e)).ok())
            .and_then(|s| s.parse::<u64>().ok())
    };
    let before = bound(&q.before, "before");
    let after = bound(&q.after, "after");
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let with_counts = q.with_counts.as_deref() == Some("true");
    let store = inner.store();
    if let Some(list) = store
        .users
        .get(&user_id)
        .and_then(|u| u.guilds_override.clone())
    {
        return Ok(reply::ok(&list));
    }
    let id_of = |s: &str| s.parse::<u64>().unwrap_or(0);
    let views: Vec<GuildView> = store
        .guilds
        .values()
        .filter(|g| g.member(&user_id).is_some())
        .filter(|g| before.is_none_or(|b| id_of(&g.id) < b))
        .filter(|g| after.is_none_or(|a| id_of(&g.id) > a))
        .take(limit)
        .map(|g| GuildView::new(g, with_counts))
        .collect();
    Ok(reply::ok(&views))
}

/// One entry of `GET /users/@me/connections`.
#[derive(Serialize)]
struct ConnectionView<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    name: &'a str,
    verified: bool,
}

/// `GET /users/@me/connections`: seeded connections (`connections` scope for access tokens;
/// bots are refused).
pub(crate) async fn connections(
    State(inner): State<Arc<Inner>>,
    AnyCaller(caller): AnyCaller,
) -> ApiResult<Response> {
    let user_id = user_for(caller, "connections", false)?;
    let store = inner.store();
    let views: Vec<ConnectionView> = store
        .users
        .get(&user_id)
        .map(|u| {
            u.connections
                .iter()
                .map(|(id, c)| ConnectionView {
                    id,
                    kind: &c.kind,
                    name: &c.name,
                    verified: c.verified,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(reply::ok(&views))
}
