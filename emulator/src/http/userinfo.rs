//! `GET /oauth2/userinfo` and `GET /oauth2/@me`: what an OAuth2 access token says.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use crate::shared::Inner;
use crate::time_fmt::iso_millis;

use super::auth;
use super::reply::{self, JObj};
use super::views;

/// `GET /oauth2/userinfo`: needs the `identify` scope.
pub(crate) async fn userinfo(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let grant = match auth::require_bearer(&inner, &headers) {
        Ok(g) => g,
        Err(r) => return r,
    };
    if !grant.has("identify") {
        return reply::missing_scope("identify");
    }
    let store = inner.store();
    let Some(u) = store.users.get(&grant.user_id) else {
        return reply::unauthorized();
    };
    let email = grant.has("email");
    let mut o = JObj::new()
        .val("sub", u.id.as_str())
        .val("id", u.id.as_str())
        .val("username", u.username.as_str())
        .val("discriminator", u.discriminator.as_str())
        .opt("global_name", u.global_name.as_deref())
        .val("avatar", Value::Null)
        .opt("email", email.then_some(u.email.as_str()));
    if email {
        o = o.val("verified", true);
    }
    reply::ok(o.val("flags", 0).finish())
}

/// `GET /oauth2/@me`: the token's application, scopes and expiry, and the user with `identify`.
pub(crate) async fn oauth2_me(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let grant = match auth::require_bearer(&inner, &headers) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let store = inner.store();
    let Some(app) = store.apps.get(&grant.app_id) else {
        return reply::unauthorized();
    };
    let application = views::app_identity(app)
        .val("bot_public", app.bot_public)
        .val("bot_require_code_grant", app.bot_require_code_grant)
        .val("flags", 0)
        .finish();
    let mut o = JObj::new()
        .raw("application", &application)
        .val("scopes", grant.scopes.clone())
        .val("expires", iso_millis(grant.expires_ms));
    if grant.has("identify")
        && let Some(u) = store.users.get(&grant.user_id)
    {
        let email = grant.has("email");
        let mut user = views::user_identity(u)
            .val("bot", false)
            .val("system", false)
            .val("flags", 0)
            .opt("email", email.then_some(u.email.as_str()));
        if email {
            user = user.val("verified", true);
        }
        o = o.raw("user", &user.finish());
    }
    reply::ok(o.finish())
}
