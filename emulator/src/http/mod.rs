//! The HTTP routes of the emulated API, all under `/v1`.

// Route helpers return the ready HTTP answer as their error; boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod app_secrets;
mod applications;
mod auth;
mod authorizations;
mod authorize;
mod bot;
mod client_auth;
mod consent;
mod form;
mod introspect;
pub(crate) mod limits;
mod reply;
mod sudo;
mod sudo_routes;
mod token;
mod userinfo;
mod users;
mod validate;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::Response;
use axum::routing::{delete, get, patch, post};

use crate::shared::Inner;

async fn not_found() -> Response {
    reply::fluxer(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found.")
}

async fn method_not_allowed() -> Response {
    reply::fluxer(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "Method not allowed.",
    )
}

/// Builds the router of every emulated route.
pub(crate) fn router(inner: Arc<Inner>) -> Router {
    use applications as apps;
    let api = Router::new()
        .route("/oauth2/applications", post(apps::create))
        .route("/oauth2/applications/@me", get(apps::oauth2_me))
        .route(
            "/oauth2/applications/{id}",
            get(apps::get)
                .patch(apps::update)
                .delete(app_secrets::delete),
        )
        .route("/oauth2/applications/{id}/public", get(apps::public))
        .route(
            "/oauth2/applications/{id}/client-secret/reset",
            post(app_secrets::reset_secret),
        )
        .route(
            "/oauth2/applications/{id}/bot/reset-token",
            post(app_secrets::reset_bot_token),
        )
        .route("/oauth2/applications/{id}/bot", patch(bot::update_profile))
        .route("/users/@me/applications", get(apps::list_mine))
        .route("/applications/@me", get(apps::bot_me))
        .route("/oauth2/authorize", get(authorize::authorize_get))
        .route("/oauth2/authorize/consent", post(consent::consent))
        .route("/oauth2/token", post(token::token))
        .route("/oauth2/introspect", post(introspect::introspect))
        .route("/oauth2/token/revoke", post(introspect::revoke))
        .route("/oauth2/userinfo", get(userinfo::userinfo))
        .route("/oauth2/@me", get(userinfo::oauth2_me))
        .route("/oauth2/@me/authorizations", get(authorizations::list))
        .route(
            "/oauth2/@me/authorizations/revoke",
            post(authorizations::delete_many),
        )
        .route(
            "/oauth2/@me/authorizations/{applicationId}",
            delete(authorizations::delete_one),
        )
        .route("/users/@me", get(users::me))
        .route("/users/@me/guilds", get(users::guilds))
        .route("/users/@me/sudo/mfa-methods", get(sudo_routes::mfa_methods))
        .route(
            "/users/@me/sudo/webauthn/authentication-options",
            post(sudo_routes::webauthn_options),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            inner.clone(),
            limits::rate_limit,
        ))
        .with_state(inner);
    Router::new().nest("/v1", api).fallback(not_found)
}
