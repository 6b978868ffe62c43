//! The sudo-protected application operations: secret rotation, bot-token reset, deletion.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::ids;
use crate::shared::Inner;

use super::applications::owned_app;
use super::auth;
use super::reply::{self, JObj};
use super::sudo::{self, SudoPass};
use super::validate;
use super::views::{self, Secrets};

/// Authenticates, validates the path id and runs the sudo check.
fn guard(
    inner: &Inner,
    headers: &HeaderMap,
    raw_id: &str,
    body: &[u8],
) -> Result<(String, SudoPass), Response> {
    let user_id = auth::require_session(inner, headers)?;
    validate::snowflake(raw_id, "id").map_err(reply::form_error)?;
    let pass = sudo::check(inner, &user_id, headers, &validate::json_object(body))?;
    Ok((user_id, pass))
}

/// `POST /oauth2/applications/{id}/client-secret/reset`.
pub(crate) async fn reset_secret(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (user_id, pass) = match guard(&inner, &headers, &id, &body) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let mut store = inner.store();
    let mut app = match owned_app(&store, &user_id, &id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    app.client_secret = ids::secret43();
    store.apps.insert(app.id.clone(), app.clone());
    let mut resp = reply::ok(views::app(
        &store,
        &app,
        Secrets::RotatedSecret(&app.client_secret),
    ));
    pass.decorate(&mut resp, inner.settings().sudo_secs);
    resp
}

/// `POST /oauth2/applications/{id}/bot/reset-token`.
pub(crate) async fn reset_bot_token(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (user_id, pass) = match guard(&inner, &headers, &id, &body) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let mut store = inner.store();
    let mut app = match owned_app(&store, &user_id, &id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    app.bot_secret = ids::secret43();
    store.apps.insert(app.id.clone(), app.clone());
    let body = JObj::new()
        .val("token", app.bot_token())
        .raw("bot", &views::bot(&store, &app, None))
        .finish();
    let mut resp = reply::ok(body);
    pass.decorate(&mut resp, inner.settings().sudo_secs);
    resp
}

/// `DELETE /oauth2/applications/{id}`.
pub(crate) async fn delete(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (user_id, pass) = match guard(&inner, &headers, &id, &body) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let mut store = inner.store();
    let app = match owned_app(&store, &user_id, &id) {
        Ok(a) => a,
        Err(r) => return r,
    };
    store.delete_app(&app.id);
    let mut resp = reply::empty(StatusCode::NO_CONTENT);
    pass.decorate(&mut resp, inner.settings().sudo_secs);
    resp
}
