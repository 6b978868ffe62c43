//! The user's OAuth2 authorizations: list, delete one, delete several.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::shared::Inner;
use crate::store::SCOPES;
use crate::time_fmt::iso_millis;

use super::auth;
use super::reply::{self, FieldError, JObj, jarray};
use super::validate;
use super::views;

/// `GET /oauth2/@me/authorizations`: one entry per application the user holds refresh tokens
/// for, with the non-bot scopes granted.
pub(crate) async fn list(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let user_id = match auth::require_session(&inner, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let now = inner.now_ms();
    let store = inner.store();
    let mut items = Vec::new();
    for app in store.apps.values() {
        let grants: Vec<_> = store
            .refresh
            .values()
            .filter(|g| g.user_id == user_id && g.app_id == app.id && g.expires_ms > now)
            .collect();
        let scopes: Vec<&str> = SCOPES
            .iter()
            .copied()
            .filter(|s| *s != "bot" && grants.iter().any(|g| g.has(s)))
            .collect();
        if scopes.is_empty() {
            continue;
        }
        let since = grants.iter().map(|g| g.created_ms).min().unwrap_or(now);
        let application = views::app_identity(app)
            .val("bot_public", app.bot_public)
            .finish();
        items.push((
            since,
            JObj::new()
                .raw("application", &application)
                .val("scopes", scopes)
                .val("authorized_at", iso_millis(since))
                .finish(),
        ));
    }
    items.sort_by_key(|(since, _)| *since);
    reply::ok(jarray(items.into_iter().map(|(_, s)| s)))
}

/// `DELETE /oauth2/@me/authorizations/{applicationId}`.
pub(crate) async fn delete_one(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let user_id = match auth::require_session(&inner, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let id = match validate::snowflake(&raw, "applicationId") {
        Ok(id) => id,
        Err(e) => return reply::form_error(e),
    };
    let mut store = inner.store();
    if !store.apps.contains_key(&id) {
        return reply::unknown_application();
    }
    store.revoke_user_app(&user_id, &id);
    reply::empty(StatusCode::NO_CONTENT)
}

/// `POST /oauth2/@me/authorizations/revoke` with `{application_ids: [1..100]}`.
pub(crate) async fn delete_many(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user_id = match auth::require_session(&inner, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let body = validate::json_object(&body);
    let ids = match body.get("application_ids") {
        Some(Value::Array(items)) if (1..=100).contains(&items.len()) => items,
        _ => return reply::form_error(FieldError::format("application_ids")),
    };
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for (i, v) in ids.iter().enumerate() {
        match validate::json_snowflake(v, &format!("application_ids.{i}")) {
            Ok(id) => parsed.push(id),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return reply::form_errors(&errors);
    }
    let mut store = inner.store();
    if parsed.iter().any(|id| !store.apps.contains_key(id)) {
        return reply::unknown_application();
    }
    for id in &parsed {
        store.revoke_user_app(&user_id, id);
    }
    reply::empty(StatusCode::NO_CONTENT)
}
