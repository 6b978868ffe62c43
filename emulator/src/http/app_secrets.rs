//! The sudo-protected application operations: secret rotation, bot-token reset, deletion.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::ids;
use crate::shared::Inner;
use crate::store::{App, Store};

use super::applications::owned_app;
use super::auth;
use super::reply::{self, JObj};
use super::sudo;
use super::validate;
use super::views::{self, Secrets};

/// Authenticates, validates the path id, runs the sudo check, and hands the caller's own
/// application to `act`, which changes the store and says what to answer; the answer carries the
/// sudo-mode token when the check issued or reused one.
fn sudo_action(
    inner: &Inner,
    headers: &HeaderMap,
    raw_id: &str,
    body: &[u8],
    act: impl FnOnce(&mut Store, App) -> Response,
) -> Response {
    let run = || -> Result<Response, Response> {
        let user_id = auth::require_session(inner, headers)?;
        validate::snowflake(raw_id, "id").map_err(reply::form_error)?;
        let pass = sudo::check(inner, &user_id, headers, &validate::json_object(body))?;
        let mut store = inner.store();
        let app = owned_app(&store, &user_id, raw_id)?;
        let mut resp = act(&mut store, app);
        pass.decorate(&mut resp, inner.settings().sudo_secs);
        Ok(resp)
    };
    run().unwrap_or_else(|r| r)
}

/// `POST /oauth2/applications/{id}/client-secret/reset`.
pub(crate) async fn reset_secret(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    sudo_action(&inner, &headers, &id, &body, |store, mut app| {
        app.client_secret = ids::secret43();
        store.apps.insert(app.id.clone(), app.clone());
        reply::ok(views::app(
            store,
            &app,
            Secrets::RotatedSecret(&app.client_secret),
        ))
    })
}

/// `POST /oauth2/applications/{id}/bot/reset-token`.
pub(crate) async fn reset_bot_token(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    sudo_action(&inner, &headers, &id, &body, |store, mut app| {
        app.bot_secret = ids::secret43();
        store.apps.insert(app.id.clone(), app.clone());
        reply::ok(
            JObj::new()
                .val("token", app.bot_token())
                .raw("bot", &views::bot(store, &app, None))
                .finish(),
        )
    })
}

/// `DELETE /oauth2/applications/{id}`.
pub(crate) async fn delete(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    sudo_action(&inner, &headers, &id, &body, |store, app| {
        store.delete_app(&app.id);
        reply::empty(StatusCode::NO_CONTENT)
    })
}
