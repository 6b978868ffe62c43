//! The user's OAuth2 authorizations: list, delete one, delete several.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use crate::shared::Inner;
use crate::store::SCOPES;
use crate::time_fmt::iso_millis;

use super::error::ApiResult;
use super::extract::SessionUser;
use super::reply::{self, FieldError};
use super::validate;
use super::views::AppSummary;

/// One authorization.
#[derive(Serialize)]
struct Authorization<'a> {
    application: AppSummary<'a>,
    scopes: Vec<&'static str>,
    authorized_at: String,
}

/// `GET /oauth2/@me/authorizations`: one entry per application the user holds refresh tokens
/// for, with the non-bot scopes granted.
pub(crate) async fn list(State(inner): State<Arc<Inner>>, user: SessionUser) -> Response {
    let now = inner.now_ms();
    let store = inner.store();
    let mut items = Vec::new();
    for app in store.apps.values() {
        let grants: Vec<_> = store
            .refresh
            .values()
            .filter(|g| g.user_id == user.user_id && g.app_id == app.id && g.expires_ms > now)
            .collect();
        let scopes: Vec<&'static str> = SCOPES
            .iter()
            .copied()
            .filter(|s| *s != "bot" && grants.iter().any(|g| g.has(s)))
            .collect();
        if scopes.is_empty() {
            continue;
        }
        let since = grants.iter().map(|g| g.created_ms).min().unwrap_or(now);
        items.push((
            since,
            Authorization {
                application: AppSummary::new(app),
                scopes,
                authorized_at: iso_millis(since),
            },
        ));
    }
    items.sort_by_key(|(since, _)| *since);
    let items: Vec<Authorization> = items.into_iter().map(|(_, a)| a).collect();
    reply::ok(&items)
}

/// `DELETE /oauth2/@me/authorizations/{applicationId}`.
pub(crate) async fn delete_one(
    State(inner): State<Arc<Inner>>,
    user: SessionUser,
    Path(raw): Path<String>,
) -> ApiResult {
    let id = validate::snowflake(&raw, "applicationId")?;
    let mut store = inner.store();
    if !store.apps.contains_key(&id) {
        return Err(reply::unknown_application().into());
    }
    store.revoke_user_app(&user.user_id, &id);
    Ok(reply::empty(StatusCode::NO_CONTENT))
}

/// `POST /oauth2/@me/authorizations/revoke` with `{application_ids: [1..100]}`.
pub(crate) async fn delete_many(
    State(inner): State<Arc<Inner>>,
    user: SessionUser,
    body: Bytes,
) -> ApiResult {
    let body = validate::json_object(&body);
    let ids = match body.get("application_ids") {
        Some(Value::Array(items)) if (1..=100).contains(&items.len()) => items,
        _ => return Err(FieldError::format("application_ids").into()),
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
        return Err(errors.into());
    }
    let mut store = inner.store();
    if parsed.iter().any(|id| !store.apps.contains_key(id)) {
        return Err(reply::unknown_application().into());
    }
    for id in &parsed {
        store.revoke_user_app(&user.user_id, id);
    }
    Ok(reply::empty(StatusCode::NO_CONTENT))
}
