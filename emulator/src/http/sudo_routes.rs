//! The sudo helper routes: the list of methods and WebAuthn options.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use crate::ids;
use crate::shared::Inner;

use super::auth;
use super::reply::{self, JObj};

/// `GET /users/@me/sudo/mfa-methods`.
pub(crate) async fn mfa_methods(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let user_id = match auth::require_session(&inner, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let has_mfa = inner
        .store()
        .users
        .get(&user_id)
        .is_some_and(|u| u.has_mfa());
    reply::ok(
        JObj::new()
            .val("totp", has_mfa)
            .val("webauthn", false)
            .val("has_mfa", has_mfa)
            .finish(),
    )
}

/// `POST /users/@me/sudo/webauthn/authentication-options`: a challenge. No emulated user has a
/// passkey, so the list of allowed credentials is always empty.
pub(crate) async fn webauthn_options(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = auth::require_session(&inner, &headers) {
        return r;
    }
    reply::ok(
        JObj::new()
            .val("challenge", ids::secret43())
            .val("timeout", 60_000)
            .val("rpId", "localhost")
            .val("allowCredentials", json!([]))
            .val("userVerification", "preferred")
            .finish(),
    )
}
