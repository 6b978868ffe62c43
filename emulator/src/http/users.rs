//! `GET /users/@me` and `GET /users/@me/guilds`, the non-OAuth2 routes that accept OAuth2 tokens.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use crate::shared::Inner;

use super::auth::{self, Caller};
use super::reply;
use super::views::{self, Viewer};

/// `GET /users/@me`: a session, a bot, or an access token with `identify`.
pub(crate) async fn me(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let caller = auth::caller(&inner, &headers);
    let store = inner.store();
    match caller {
        Caller::User { user_id, .. } => match store.users.get(&user_id) {
            Some(u) => reply::ok(views::private_user(u, Viewer::Session)),
            None => reply::unauthorized(),
        },
        Caller::OAuth { grant, .. } => {
            if !grant.has("identify") {
                return reply::missing_scope("identify");
            }
            match store.users.get(&grant.user_id) {
                Some(u) => reply::ok(views::private_user(
                    u,
                    Viewer::OAuth {
                        email: grant.has("email"),
                    },
                )),
                None => reply::unauthorized(),
            }
        }
        Caller::Bot { app_id } => match store.apps.get(&app_id) {
            Some(app) => reply::ok(views::bot_user(app)),
            None => reply::unauthorized(),
        },
        Caller::Anonymous | Caller::Invalid => reply::unauthorized(),
    }
}

/// `GET /users/@me/guilds`: the user's seeded guilds (`guilds` scope for access tokens).
pub(crate) async fn guilds(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let caller = auth::caller(&inner, &headers);
    let store = inner.store();
    let user_id = match caller {
        Caller::User { user_id, .. } => user_id,
        Caller::OAuth { grant, .. } => {
            if !grant.has("guilds") {
                return reply::missing_scope("guilds");
            }
            grant.user_id
        }
        Caller::Bot { .. } => return reply::ok("[]".to_owned()),
        Caller::Anonymous | Caller::Invalid => return reply::unauthorized(),
    };
    let list = store
        .users
        .get(&user_id)
        .map(|u| Value::Array(u.guilds.clone()))
        .unwrap_or_else(|| Value::Array(Vec::new()));
    reply::ok(list.to_string())
}
