//! The sudo-protected application operations: secret rotation, bot-token reset, deletion.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;

use crate::ids;
use crate::shared::Inner;
use crate::store::{App, Store};

use super::error::ApiResult;
use super::extract::{SessionUser, owned_app};
use super::reply;
use super::sudo;
use super::validate;
use super::views::{AppView, BotView, Secrets};

/// Validates the path id, runs the sudo check, and hands the caller's own application to
/// `act`, which changes the store and says what to answer; the answer carries the sudo-mode
/// token when the check issued or reused one.
fn sudo_action(
    inner: &Inner,
    user: &SessionUser,
    headers: &HeaderMap,
    raw_id: &str,
    body: &[u8],
    act: impl FnOnce(&mut Store, App) -> Response,
) -> ApiResult {
    validate::snowflake(raw_id, "id")?;
    let pass = sudo::check(inner, &user.user_id, headers, &validate::json_object(body))?;
    let mut store = inner.store();
    let app = owned_app(&store, &user.user_id, raw_id)?;
    let mut resp = act(&mut store, app);
    pass.decorate(&mut resp, inner.settings().sudo_secs);
    Ok(resp)
}

/// `POST /oauth2/applications/{id}/client-secret/reset`.
pub(crate) async fn reset_secret(
    State(inner): State<Arc<Inner>>,
    user: SessionUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    sudo_action(&inner, &user, &headers, &id, &body, |store, mut app| {
        app.client_secret = ids::secret43();
        store.apps.insert(app.id.clone(), app.clone());
        reply::ok(&AppView::new(store, &app, Secrets::RotatedSecret))
    })
}

/// `{token, bot}` after a bot-token reset.
#[derive(Serialize)]
struct BotTokenReset<'a> {
    token: String,
    bot: BotView<'a>,
}

/// `POST /oauth2/applications/{id}/bot/reset-token`.
pub(crate) async fn reset_bot_token(
    State(inner): State<Arc<Inner>>,
    user: SessionUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    sudo_action(&inner, &user, &headers, &id, &body, |store, mut app| {
        app.bot_secret = ids::secret43();
        store.apps.insert(app.id.clone(), app.clone());
        reply::ok(&BotTokenReset {
            token: app.bot_token(),
            bot: BotView::new(store, &app, None),
        })
    })
}

/// `DELETE /oauth2/applications/{id}`.
pub(crate) async fn delete(
    State(inner): State<Arc<Inner>>,
    user: SessionUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult {
    sudo_action(&inner, &user, &headers, &id, &body, |store, app| {
        store.delete_app(&app.id);
        reply::empty(StatusCode::NO_CONTENT)
    })
}
