//! Application management: create, read, update, the lists and the public view.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::ids;
use crate::shared::Inner;
use crate::store::{App, Store};

use super::auth::{self, Caller};
use super::reply::{self, FieldError, jarray};
use super::validate;
use super::views::{self, Secrets};

/// How many applications one user may own.
const MAX_APPLICATIONS: usize = 25;

/// Checks a path id, then that the application exists and that `user_id` owns it.
pub(crate) fn owned_app(store: &Store, user_id: &str, raw_id: &str) -> Result<App, Response> {
    let id = validate::snowflake(raw_id, "id").map_err(reply::form_error)?;
    let app = store.apps.get(&id).ok_or_else(reply::unknown_application)?;
    if app.owner_id.as_deref() != Some(user_id) {
        return Err(reply::access_denied());
    }
    Ok(app.clone())
}

/// A bot username derived from an application name.
pub(crate) fn bot_username(name: &str) -> String {
    let mut u: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(32)
        .collect();
    if u.trim_matches('_').is_empty() {
        u = "application_bot".to_owned();
    }
    u
}

fn check_captcha(inner: &Inner, headers: &HeaderMap) -> Result<(), Response> {
    if !inner.settings().captcha_required {
        return Ok(());
    }
    let token = headers
        .get("x-captcha-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if token.is_empty() {
        return Err(reply::fluxer(
            StatusCode::BAD_REQUEST,
            "CAPTCHA_REQUIRED",
            "Captcha is required.",
        ));
    }
    if token.starts_with("invalid") {
        return Err(reply::fluxer(
            StatusCode::BAD_REQUEST,
            "INVALID_CAPTCHA",
            "Invalid captcha.",
        ));
    }
    Ok(())
}

/// Reads `name` (required on create) after trimming: 1–100 characters.
fn app_name(
    body: &serde_json::Map<String, Value>,
    required: bool,
) -> Result<Option<String>, FieldError> {
    match body.get("name") {
        None | Some(Value::Null) if required => Err(FieldError::format("name")),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let clean = validate::clean_name(s);
            let n = clean.chars().count();
            if (1..=100).contains(&n) {
                Ok(Some(clean))
            } else {
                Err(FieldError::length("name", 1, 100))
            }
        }
        Some(_) => Err(FieldError::format("name")),
    }
}

/// `POST /oauth2/applications`.
pub(crate) async fn create(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user_id = match auth::require_session(&inner, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if let Err(r) = check_captcha(&inner, &headers) {
        return r;
    }
    let body = validate::json_object(&body);
    let mut errors = Vec::new();
    let name = app_name(&body, true)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let uris = match body.get("redirect_uris") {
        None => Vec::new(),
        Some(v) => validate::redirect_uris(v)
            .map_err(|e| errors.push(e))
            .unwrap_or_default(),
    };
    let bot_public = validate::opt_bool(&body, "bot_public")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let code_grant = validate::opt_bool(&body, "bot_require_code_grant")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return reply::form_errors(&errors);
    }
    let name = name.unwrap_or_default();
    let mut store = inner.store();
    let owned = store
        .apps
        .values()
        .filter(|a| a.owner_id.as_deref() == Some(user_id.as_str()))
        .count();
    if owned >= MAX_APPLICATIONS {
        return reply::fluxer(
            StatusCode::BAD_REQUEST,
            "MAX_APPLICATIONS",
            "Maximum number of applications reached (25).",
        );
    }
    let id = store.ids.next_id();
    let app = App {
        id: id.clone(),
        owner_id: Some(user_id),
        bot_username: bot_username(&name),
        name,
        redirect_uris: uris,
        bot_public: bot_public.unwrap_or(true),
        bot_require_code_grant: code_grant.unwrap_or(false),
        client_secret: ids::secret43(),
        bot_secret: ids::secret43(),
        bot_discriminator: ids::discriminator(),
        bot_avatar: None,
        bot_banner: None,
        bot_bio: None,
        bot_flags: 0,
    };
    store.apps.insert(id, app.clone());
    let token = app.bot_token();
    reply::ok(views::app(
        &store,
        &app,
        Secrets::Created {
            secret: &app.client_secret,
            bot_token: &token,
        },
    ))
}

/// `GET /oauth2/applications/{id}`.
pub(crate) async fn get(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user_id = match auth::require_session(&inner, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let store = inner.store();
    match owned_app(&store, &user_id, &id) {
        Ok(app) => reply::ok(views::app(&store, &app, Secrets::None)),
        Err(r) => r,
    }
}

/// `PATCH /oauth2/applications/{id}`.
pub(crate) async fn update(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let user_id = match auth::require_session(&inner, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut store = inner.store();
    let mut app = match owned_app(&store, &user_id, &id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let body = validate::json_object(&body);
    let mut errors = Vec::new();
    if let Some(name) = app_name(&body, false)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten()
    {
        app.name = name;
    }
    if let Some(v) = body.get("redirect_uris") {
        match validate::redirect_uris(v) {
            Ok(uris) => app.redirect_uris = uris,
            Err(e) => errors.push(e),
        }
    }
    match validate::opt_bool(&body, "bot_public") {
        Ok(Some(b)) => app.bot_public = b,
        Ok(None) => {}
        Err(e) => errors.push(e),
    }
    match validate::opt_bool(&body, "bot_require_code_grant") {
        Ok(Some(b)) => app.bot_require_code_grant = b,
        Ok(None) => {}
        Err(e) => errors.push(e),
    }
    if !errors.is_empty() {
        return reply::form_errors(&errors);
    }
    store.apps.insert(app.id.clone(), app.clone());
    reply::ok(views::app(&store, &app, Secrets::None))
}

/// `GET /oauth2/applications/{id}/public`: no authentication.
pub(crate) async fn public(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    let id = match validate::snowflake(&id, "id") {
        Ok(id) => id,
        Err(e) => return reply::form_error(e),
    };
    let store = inner.store();
    match store.apps.get(&id) {
        Some(app) => reply::ok(views::public_app(&store, app)),
        None => reply::unknown_application(),
    }
}

fn owned_list(store: &Store, user_id: &str) -> String {
    jarray(
        store
            .apps
            .values()
            .filter(|a| a.owner_id.as_deref() == Some(user_id))
            .map(|a| views::app(store, a, Secrets::None)),
    )
}

/// `GET /users/@me/applications`.
pub(crate) async fn list_mine(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    match auth::require_session(&inner, &headers) {
        Ok(user_id) => reply::ok(owned_list(&inner.store(), &user_id)),
        Err(r) => r,
    }
}

/// `GET /oauth2/applications/@me`: a bot gets its application, a user the list of theirs.
pub(crate) async fn oauth2_me(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    match auth::caller(&inner, &headers) {
        Caller::Bot { app_id } => {
            let store = inner.store();
            match store.apps.get(&app_id) {
                Some(app) => reply::ok(views::app_for_bot(&store, app)),
                None => reply::unauthorized(),
            }
        }
        Caller::User { user_id, .. } => reply::ok(owned_list(&inner.store(), &user_id)),
        Caller::OAuth { .. } => reply::access_denied(),
        Caller::Anonymous | Caller::Invalid => reply::unauthorized(),
    }
}

/// `GET /applications/@me`: bot tokens only (the prefix is case-insensitive here).
pub(crate) async fn bot_me(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let Some(app_id) = auth::bot_app_lenient(&inner, &headers) else {
        return reply::invalid_token();
    };
    let store = inner.store();
    match store.apps.get(&app_id) {
        Some(app) => reply::ok(views::app_for_bot(&store, app)),
        None => reply::invalid_token(),
    }
}
