//! Application management: create, read, update, the lists and the public view.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::ids;
use crate::shared::Inner;
use crate::store::{App, Store};

use super::auth::{self, Caller};
use super::error::{ApiError, ApiResult};
use super::extract::{AnyCaller, OwnedApp, SessionUser};
use super::reply::{self, FieldError};
use super::validate;
use super::views::{AppForBot, AppView, PublicApp, Secrets};

/// How many applications one user may own.
const MAX_APPLICATIONS: usize = 25;

/// A bot username derived from an application name: each run of characters outside
/// `[A-Za-z0-9_]` becomes one `_`, none at either end, at most 32 characters.
pub(crate) fn bot_username(name: &str) -> String {
    let mut u = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            u.push(c);
        } else if !u.ends_with('_') {
            u.push('_');
        }
    }
    let u: String = u.trim_matches('_').chars().take(32).collect();
    if u.is_empty() {
        "application_bot".to_owned()
    } else {
        u
    }
}

fn check_captcha(inner: &Inner, headers: &HeaderMap) -> Result<(), ApiError> {
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
        )
        .into());
    }
    if token.starts_with("invalid") {
        return Err(reply::fluxer(
            StatusCode::BAD_REQUEST,
            "INVALID_CAPTCHA",
            "Invalid captcha.",
        )
        .into());
    }
    Ok(())
}

/// Reads `name` (required on create) after trimming: 1–100 characters.
fn app_name(body: &Map<String, Value>, required: bool) -> Result<Option<String>, FieldError> {
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

/// Runs `check`, keeping its value or recording its error.
fn collect<T>(errors: &mut Vec<FieldError>, check: Result<T, FieldError>) -> Option<T> {
    check.map_err(|e| errors.push(e)).ok()
}

/// `POST /oauth2/applications`.
pub(crate) async fn create(
    State(inner): State<Arc<Inner>>,
    user: SessionUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    check_captcha(&inner, &headers)?;
    let body = validate::json_object(&body);
    let mut errors = Vec::new();
    let name = collect(&mut errors, app_name(&body, true)).flatten();
    let uris = match body.get("redirect_uris") {
        None => Vec::new(),
        Some(v) => collect(&mut errors, validate::redirect_uris(v)).unwrap_or_default(),
    };
    let bot_public = collect(&mut errors, validate::opt_bool(&body, "bot_public")).flatten();
    let code_grant = collect(
        &mut errors,
        validate::opt_bool(&body, "bot_require_code_grant"),
    )
    .flatten();
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let name = name.unwrap_or_default();
    let mut store = inner.store();
    let owned = store
        .apps
        .values()
        .filter(|a| a.owner_id.as_deref() == Some(user.user_id.as_str()))
        .count();
    if owned >= MAX_APPLICATIONS {
        return Err(reply::fluxer(
            StatusCode::BAD_REQUEST,
            "MAX_APPLICATIONS",
            "Maximum number of applications reached (25).",
        )
        .into());
    }
    let id = store.ids.next_id();
    let app = App {
        id: id.clone(),
        owner_id: Some(user.user_id),
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
        has_bot: true,
    };
    store.apps.insert(id, app.clone());
    Ok(reply::ok(&AppView::new(&store, &app, Secrets::Created)))
}

/// `GET /oauth2/applications/{id}`.
pub(crate) async fn get(State(inner): State<Arc<Inner>>, owned: OwnedApp) -> Response {
    reply::ok(&AppView::new(&inner.store(), &owned.app, Secrets::None))
}

/// `PATCH /oauth2/applications/{id}`.
pub(crate) async fn update(
    State(inner): State<Arc<Inner>>,
    OwnedApp { mut app }: OwnedApp,
    body: Bytes,
) -> ApiResult {
    let body = validate::json_object(&body);
    let mut errors = Vec::new();
    if let Some(name) = collect(&mut errors, app_name(&body, false)).flatten() {
        app.name = name;
    }
    if let Some(v) = body.get("redirect_uris")
        && let Some(uris) = collect(&mut errors, validate::redirect_uris(v))
    {
        app.redirect_uris = uris;
    }
    if let Some(b) = collect(&mut errors, validate::opt_bool(&body, "bot_public")).flatten() {
        app.bot_public = b;
    }
    if let Some(b) = collect(
        &mut errors,
        validate::opt_bool(&body, "bot_require_code_grant"),
    )
    .flatten()
    {
        app.bot_require_code_grant = b;
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut store = inner.store();
    store.apps.insert(app.id.clone(), app.clone());
    Ok(reply::ok(&AppView::new(&store, &app, Secrets::None)))
}

/// `GET /oauth2/applications/{id}/public`: no authentication.
pub(crate) async fn public(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> ApiResult {
    let id = validate::snowflake(&id, "id")?;
    let store = inner.store();
    let app = store.apps.get(&id).ok_or_else(reply::unknown_application)?;
    Ok(reply::ok(&PublicApp::new(&store, app)))
}

fn owned_list(store: &Store, user_id: &str) -> Response {
    let views: Vec<AppView> = store
        .apps
        .values()
        .filter(|a| a.owner_id.as_deref() == Some(user_id))
        .map(|a| AppView::new(store, a, Secrets::None))
        .collect();
    reply::ok(&views)
}

/// `GET /users/@me/applications`.
pub(crate) async fn list_mine(State(inner): State<Arc<Inner>>, user: SessionUser) -> Response {
    owned_list(&inner.store(), &user.user_id)
}

/// `GET /oauth2/applications/@me`: a bot gets its application, a user the list of theirs.
pub(crate) async fn oauth2_me(
    State(inner): State<Arc<Inner>>,
    AnyCaller(caller): AnyCaller,
) -> ApiResult {
    let store = inner.store();
    match caller {
        Caller::Bot { app_id } => {
            let app = store.apps.get(&app_id).ok_or_else(reply::unauthorized)?;
            Ok(reply::ok(&AppForBot::new(&store, app)))
        }
        Caller::User { user_id, .. } => Ok(owned_list(&store, &user_id)),
        Caller::OAuth { .. } => Err(reply::access_denied().into()),
        Caller::Anonymous | Caller::Invalid => Err(reply::unauthorized().into()),
    }
}

/// `GET /applications/@me`: bot tokens only (the prefix is case-insensitive here).
pub(crate) async fn bot_me(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> ApiResult {
    let app_id = auth::bot_app_lenient(&inner, &headers).ok_or_else(reply::invalid_token)?;
    let store = inner.store();
    let app = store.apps.get(&app_id).ok_or_else(reply::invalid_token)?;
    Ok(reply::ok(&AppForBot::new(&store, app)))
}
