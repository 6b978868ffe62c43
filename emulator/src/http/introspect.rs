//! `POST /oauth2/introspect` and `POST /oauth2/token/revoke`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::shared::Inner;

use super::client_auth::{self, Route};
use super::form::{self, Form};
use super::reply::{self, FieldError, JObj};

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
) -> Response {
    let form = match form::read(&headers, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let errors = check_token_field(&form);
    if !errors.is_empty() {
        return reply::form_errors(&errors);
    }
    let now = inner.now_ms();
    let store = inner.store();
    let app = match client_auth::for_introspection(&store, &headers, &form, Route::Introspect) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let token = form.get("token").unwrap_or_default();
    let inactive = || reply::ok(JObj::new().val("active", false).finish());
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
    let mut o = JObj::new()
        .val("active", true)
        .val("scope", grant.scopes.join(" "))
        .val("client_id", grant.app_id.as_str())
        .val(
            "token_type",
            if is_access { "Bearer" } else { "refresh_token" },
        );
    if is_access {
        o = o.val("exp", grant.expires_ms / 1000);
    }
    reply::ok(
        o.val("iat", grant.created_ms / 1000)
            .val("sub", grant.user_id.as_str())
            .finish(),
    )
}

/// `POST /oauth2/token/revoke`.
pub(crate) async fn revoke(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match form::read(&headers, body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
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
        return reply::form_errors(&errors);
    }
    let now = inner.now_ms();
    let mut store = inner.store();
    let app = match client_auth::for_introspection(&store, &headers, &form, Route::Revoke) {
        Ok(a) => a,
        Err(r) => return r,
    };
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
    reply::empty(StatusCode::OK)
}
