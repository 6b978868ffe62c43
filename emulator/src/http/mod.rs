//! The HTTP routes of the emulated API, served both at the root and under `/v1`, as the server
//! does.

mod app_secrets;
mod applications;
mod auth;
mod authorizations;
mod authorize;
mod bot;
mod bot_join;
mod client_auth;
mod consent;
mod discovery;
mod error;
mod extract;
mod form;
mod guild_routes;
mod introspect;
pub(crate) mod limits;
mod login;
mod reply;
mod sessions;
mod sudo;
mod sudo_routes;
mod token;
mod userinfo;
mod users;
mod validate;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, patch, post};

use crate::shared::Inner;

async fn not_found() -> Response {
    reply::not_found()
}

/// Answers CORS preflights on every path before routing.
async fn cors_preflight(req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        return discovery::preflight();
    }
    next.run(req).await
}

/// The routes, without a prefix.
fn api() -> Router<Arc<Inner>> {
    use applications as apps;
    Router::new()
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
        .route("/users/@me/connections", get(users::connections))
        .route("/guilds/{guild_id}", get(guild_routes::get))
        .route("/guilds/{guild_id}/roles", get(guild_routes::roles))
        .route("/guilds/{guild_id}/members", get(guild_routes::members))
        .route(
            "/guilds/{guild_id}/members/{user_id}",
            get(guild_routes::member),
        )
        .route("/users/@me/sudo/mfa-methods", get(sudo_routes::mfa_methods))
        .route(
            "/users/@me/sudo/webauthn/authentication-options",
            post(sudo_routes::webauthn_options),
        )
        .route("/auth/login", post(login::login))
        .route("/auth/login/mfa/totp", post(login::mfa_totp))
        .route(
            "/auth/login/mfa/webauthn/authentication-options",
            post(login::webauthn_options),
        )
        .route("/auth/login/mfa/webauthn", post(login::webauthn))
        .route("/auth/sessions", get(sessions::list))
        .route("/auth/logout", post(sessions::logout))
        .route("/auth/sessions/logout", post(sessions::logout_many))
        .route("/auth/sso/status", get(login::sso_status))
        .route("/auth/sso/start", post(login::sso_disabled))
        .route("/auth/sso/complete", post(login::sso_disabled))
        .route("/.well-known/fluxer", get(discovery::well_known))
        .route("/_health", get(discovery::health))
        .route("/ip", get(discovery::ip))
        .route("/gateway/bot", get(discovery::gateway_bot))
        .method_not_allowed_fallback(not_found)
}

/// Builds the router of every emulated route.
pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .merge(api())
        .nest("/v1", api())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            inner.clone(),
            limits::rate_limit,
        ))
        .layer(middleware::from_fn(cors_preflight))
        .with_state(inner)
}
