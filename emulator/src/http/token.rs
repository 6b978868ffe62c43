//! `POST /oauth2/token`: authorization-code exchange and refresh-token rotation.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::shared::{Inner, Settings};
use crate::store::{App, Store};

use super::client_auth;
use super::error::ApiResult;
use super::form::{self, Form};
use super::reply::{self, FieldError};

/// `OAuth2TokenResponse`.
#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    scope: String,
}

/// Checks the form against the `TokenRequest` union.
fn check_form(form: &Form) -> Result<&'static str, Vec<FieldError>> {
    let grant = match form.get("grant_type") {
        Some("authorization_code") => "authorization_code",
        Some("refresh_token") => "refresh_token",
        _ => return Err(vec![FieldError::format("grant_type")]),
    };
    let mut errors = Vec::new();
    if grant == "authorization_code" {
        form.check_string("code", true, &mut errors);
        form.check_string("redirect_uri", true, &mut errors);
        form.check_string("code_verifier", false, &mut errors);
    } else {
        form.check_string("refresh_token", true, &mut errors);
    }
    form.check_snowflake("client_id", &mut errors);
    form.check_string("client_secret", false, &mut errors);
    if errors.is_empty() {
        Ok(grant)
    } else {
        Err(errors)
    }
}

fn pkce_ok(pkce: &Option<(String, String)>, verifier: Option<&str>) -> bool {
    let Some((challenge, method)) = pkce else {
        return true;
    };
    let Some(verifier) = verifier else {
        return false;
    };
    if method == "S256" {
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == *challenge
    } else {
        verifier == challenge
    }
}

/// Issues a new access/refresh pair and answers with the token response.
fn issue(
    store: &mut Store,
    app: &App,
    user_id: &str,
    scopes: Vec<&'static str>,
    now: u64,
    s: &Settings,
) -> Response {
    let scope = scopes.join(" ");
    let (access, refresh) =
        store.issue_pair(&app.id, user_id, scopes, now, s.access_ms, s.refresh_ms);
    reply::ok(&TokenResponse {
        access_token: access,
        token_type: "Bearer",
        expires_in: s.access_ms / 1000,
        refresh_token: refresh,
        scope,
    })
}

fn exchange_code(store: &mut Store, app: &App, form: &Form, now: u64, s: &Settings) -> Response {
    let code = form.get("code").unwrap_or_default();
    let Some(found) = store.codes.get(code).cloned() else {
        return reply::invalid_grant();
    };
    if found.expires_ms <= now {
        store.codes.remove(code);
        return reply::invalid_grant();
    }
    let redirect_ok = form.get("redirect_uri") == Some(found.redirect_uri.as_str());
    if found.app_id != app.id || !redirect_ok || !pkce_ok(&found.pkce, form.get("code_verifier")) {
        return reply::invalid_grant();
    }
    store.codes.remove(code);
    issue(store, app, &found.user_id, found.scopes, now, s)
}

fn rotate_refresh(store: &mut Store, app: &App, form: &Form, now: u64, s: &Settings) -> Response {
    let token = form.get("refresh_token").unwrap_or_default();
    let Some(old) = store
        .live_refresh(token, now)
        .filter(|g| g.app_id == app.id)
        .cloned()
    else {
        return reply::invalid_grant();
    };
    store.refresh.remove(token);
    issue(store, app, &old.user_id, old.scopes, now, s)
}

/// `POST /oauth2/token`.
pub(crate) async fn token(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let form = form::read(&headers, body).await?;
    let grant = check_form(&form)?;
    let settings = inner.settings();
    let now = inner.now_ms();
    let mut store = inner.store();
    let app = client_auth::for_token(&store, &headers, &form)?;
    Ok(if grant == "authorization_code" {
        exchange_code(&mut store, &app, &form, now, &settings)
    } else {
        rotate_refresh(&mut store, &app, &form, now, &settings)
    })
}
