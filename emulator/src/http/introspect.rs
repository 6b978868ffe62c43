//! `POST /oauth2/introspect` and `POST /oauth2/token/revoke`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Serialize;

use crate::shared::Inner;

use super::client_auth::{self, Route};
use super::error::ApiResult;
use super::form::{self, Form};
use super::reply::{self, FieldError};

/// `OAuth2IntrospectResponse`; only `active` for an unknown token.
#[derive(Serialize)]
struct Introspection<'a> {
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    iat: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
}

fn check_token_field(form: &Form) -> Vec<FieldError> {
    let mut errors = Vec::new();
    form.check_string("token", true, &mut errors);
    form.check_snowflake("client_id", &mut errors);
    form.check_string("client_secret", false, &mut errors);
    errors
}

/// `POST /oauth2/introspect`.
pub(crate) async fn introspect(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let form = form::read(&headers, body).await?;
    let errors = check_token_field(&form);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let now = inner.now_ms();
    let store = inner.store();
    let app = client_auth::for_introspection(&store, &headers, &form, Route::Introspect)?;
    let token = form.get("token").unwrap_or_default();
    let inactive = || {
        Ok(reply::ok(&Introspection {
            active: false,
            scope: None,
            client_id: None,
            token_type: None,
            exp: None,
            iat: None,
            sub: None,
        }))
    };
    let (grant, is_access) = match store.live_access(token, now) {
        Some(g) => (g, true),
        None => match store.live_refresh(token, now) {
            Some(g) => (g, false),
            None => return inactive(),
        },
    };
    if grant.app_id != app.id {
        return inactive();
    }
    Ok(reply::ok(&Introspection {
        active: true,
        scope: Some(grant.scopes.join(" ")),
        client_id: Some(&grant.app_id),
        token_type: Some(if is_access { "Bearer" } else { "refresh_token" }),
        exp: is_access.then_some(grant.expires_ms / 1000),
        iat: Some(grant.created_ms / 1000),
        sub: Some(&grant.user_id),
    }))
}

/// `POST /oauth2/token/revoke`.
pub(crate) async fn revoke(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let form = form::read(&headers, body).await?;
    let mut errors = check_token_field(&form);
    let hint = match form.count("token_type_hint") {
        0 => None,
        _ => match form.get("token_type_hint") {
            Some(h @ ("access_token" | "refresh_token")) => Some(h),
            _ => {
                errors.push(FieldError::format("token_type_hint"));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let now = inner.now_ms();
    let mut store = inner.store();
    let app = client_auth::for_introspection(&store, &headers, &form, Route::Revoke)?;
    let token = form.get("token").unwrap_or_default();
    // Refresh tokens are only looked up when the hint says so.
    let found = if hint == Some("refresh_token") {
        store
            .live_refresh(token, now)
            .or_else(|| store.live_access(token, now))
    } else {
        store.live_access(token, now)
    };
    if let Some(g) = found.filter(|g| g.app_id == app.id).cloned() {
        store.revoke_user_app(&g.user_id, &g.app_id);
    }
    Ok(reply::empty(StatusCode::OK))
}
