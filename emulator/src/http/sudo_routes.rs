//! The sudo helper routes: the list of methods and WebAuthn options.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;

use crate::ids;
use crate::shared::Inner;

use super::extract::SessionUser;
use super::reply;

#[derive(Serialize)]
struct MfaMethods {
    totp: bool,
    webauthn: bool,
    has_mfa: bool,
}

/// `GET /users/@me/sudo/mfa-methods`.
pub(crate) async fn mfa_methods(State(inner): State<Arc<Inner>>, user: SessionUser) -> Response {
    let has_mfa = inner
        .store()
        .users
        .get(&user.user_id)
        .is_some_and(|u| u.has_mfa());
    reply::ok(&MfaMethods {
        totp: has_mfa,
        webauthn: false,
        has_mfa,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebAuthnOptions {
    challenge: String,
    timeout: u32,
    rp_id: &'static str,
    allow_credentials: [(); 0],
    user_verification: &'static str,
}

/// `POST /users/@me/sudo/webauthn/authentication-options`: a challenge. No emulated user has a
/// passkey, so the list of allowed credentials is always empty.
pub(crate) async fn webauthn_options(_user: SessionUser) -> Response {
    reply::ok(&WebAuthnOptions {
        challenge: ids::secret43(),
        timeout: 60_000,
        rp_id: "localhost",
        allow_credentials: [],
        user_verification: "preferred",
    })
}
