//! Logging in: `POST /auth/login`, the TOTP and WebAuthn second steps, and the SSO routes
//! (SSO is off, as on the recorded instance).

use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::ids;
use crate::sessions::{MAX_TICKET_FAILURES, MfaTicket, platform_name};
use crate::shared::Inner;
use crate::store::{Store, User};

use super::error::{ApiError, ApiResult};
use super::limits::PeerIp;
use super::reply::{self, FieldError};
use super::sudo::verify_mfa_code;
use super::validate;
use super::views::PartialUser;

/// `{token, user_id, user}`: a new session.
#[derive(Serialize)]
struct LoginDone<'a> {
    token: String,
    user_id: &'a str,
    user: PartialUser<'a>,
}

/// `{mfa: true, ticket, …}`: the password was right, a second factor is needed.
#[derive(Serialize)]
struct MfaRequired {
    mfa: bool,
    ticket: String,
    allowed_methods: [&'static str; 1],
    totp: bool,
    webauthn: bool,
}

fn invalid_credentials() -> ApiError {
    let msg = "Invalid email or password.";
    vec![
        FieldError::new("email", "INVALID_EMAIL_OR_PASSWORD", msg),
        FieldError::new("password", "INVALID_EMAIL_OR_PASSWORD", msg),
    ]
    .into()
}

fn session_timeout() -> ApiError {
    FieldError::new(
        "code",
        "SESSION_TIMEOUT",
        "Session timed out. Refresh the page and log in again.",
    )
    .into()
}

/// A required JSON string field; `INVALID_FORMAT` when absent or not a string.
fn required_str(body: &Map<String, Value>, key: &str, errors: &mut Vec<FieldError>) -> String {
    match body.get(key) {
        Some(Value::String(s)) => s.clone(),
        _ => {
            errors.push(FieldError::format(key));
            String::new()
        }
    }
}

fn looks_like_email(s: &str) -> bool {
    s.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !s.contains(' ')
    })
}

/// Opens a session for `user_id` and answers `{token, user_id, user}`.
fn open_session(
    inner: &Inner,
    store: &mut Store,
    user_id: &str,
    headers: &HeaderMap,
    peer: Option<PeerIp>,
) -> ApiResult {
    let platform = platform_name(
        headers
            .get("x-fluxer-platform")
            .and_then(|v| v.to_str().ok()),
    );
    let ip = peer.map(|p| p.0.to_string()).unwrap_or_default();
    let token = store.open_session(user_id, inner.now_ms(), platform, ip);
    let user = store.users.get(user_id).ok_or_else(reply::unauthorized)?;
    Ok(reply::ok(&LoginDone {
        token,
        user_id: &user.id,
        user: PartialUser::of(user),
    }))
}

/// `POST /auth/login` with `{email, password}`.
pub(crate) async fn login(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    peer: Option<Extension<PeerIp>>,
    body: Bytes,
) -> ApiResult {
    let body = validate::json_object(&body);
    let mut errors = Vec::new();
    let email = required_str(&body, "email", &mut errors);
    let password = required_str(&body, "password", &mut errors);
    if errors.is_empty() && !looks_like_email(&email) {
        errors.push(FieldError::new(
            "email",
            "INVALID_EMAIL_FORMAT",
            "Invalid email format.",
        ));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut store = inner.store();
    let user: Option<&User> = store
        .users
        .values()
        .find(|u| u.email.eq_ignore_ascii_case(&email));
    let Some(user) = user.filter(|u| u.password.as_deref() == Some(password.as_str())) else {
        return Err(invalid_credentials());
    };
    let user_id = user.id.clone();
    if user.has_mfa() {
        let ticket = ids::ticket();
        let expires_ms = inner.now_ms() + inner.settings().mfa_ticket_ms;
        store.tickets.insert(
            ticket.clone(),
            MfaTicket {
                user_id,
                expires_ms,
                failures: 0,
            },
        );
        return Ok(reply::ok(&MfaRequired {
            mfa: true,
            ticket,
            allowed_methods: ["totp"],
            totp: true,
            webauthn: false,
        }));
    }
    open_session(&inner, &mut store, &user_id, &headers, peer.map(|e| e.0))
}

/// The user a live ticket stands for.
fn ticket_user(store: &mut Store, ticket: &str, now_ms: u64) -> Result<String, ApiError> {
    match store.tickets.get(ticket) {
        Some(t) if t.expires_ms > now_ms => Ok(t.user_id.clone()),
        Some(_) => {
            store.tickets.remove(ticket);
            Err(session_timeout())
        }
        None => Err(session_timeout()),
    }
}

/// `POST /auth/login/mfa/totp` with `{code, ticket}`; a backup code works too.
pub(crate) async fn mfa_totp(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    peer: Option<Extension<PeerIp>>,
    body: Bytes,
) -> ApiResult {
    let body = validate::json_object(&body);
    let mut errors = Vec::new();
    let code = required_str(&body, "code", &mut errors);
    let ticket = required_str(&body, "ticket", &mut errors);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let settings = inner.settings();
    let now_ms = inner.now_ms();
    let mut store = inner.store();
    let user_id = ticket_user(&mut store, &ticket, now_ms)?;
    let passed = store
        .users
        .get_mut(&user_id)
        .is_some_and(|u| verify_mfa_code(u, &code, now_ms / 1000, settings.allow_totp_reuse));
    if !passed {
        if let Some(t) = store.tickets.get_mut(&ticket) {
            t.failures += 1;
            if t.failures >= MAX_TICKET_FAILURES {
                store.tickets.remove(&ticket);
            }
        }
        return Err(FieldError::new("code", "INVALID_CODE", "Invalid code.").into());
    }
    store.tickets.remove(&ticket);
    open_session(&inner, &mut store, &user_id, &headers, peer.map(|e| e.0))
}

fn no_passkeys() -> ApiError {
    reply::fluxer(
        StatusCode::BAD_REQUEST,
        "NO_PASSKEYS_REGISTERED",
        "No passkeys are registered.",
    )
    .into()
}

/// `POST /auth/login/mfa/webauthn/authentication-options` with `{ticket}`. No emulated user has
/// a passkey, so a live ticket gets 400 `NO_PASSKEYS_REGISTERED`.
pub(crate) async fn webauthn_options(State(inner): State<Arc<Inner>>, body: Bytes) -> ApiResult {
    let body = validate::json_object(&body);
    let mut errors = Vec::new();
    let ticket = required_str(&body, "ticket", &mut errors);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    ticket_user(&mut inner.store(), &ticket, inner.now_ms())?;
    Err(no_passkeys())
}

/// `POST /auth/login/mfa/webauthn` with `{response, challenge, ticket}`: with no passkey on the
/// account there is nothing to verify against, the same 400 `NO_PASSKEYS_REGISTERED`.
pub(crate) async fn webauthn(State(inner): State<Arc<Inner>>, body: Bytes) -> ApiResult {
    let body = validate::json_object(&body);
    let mut errors = Vec::new();
    if !matches!(body.get("response"), Some(Value::Object(_))) {
        errors.push(FieldError::format("response"));
    }
    required_str(&body, "challenge", &mut errors);
    let ticket = required_str(&body, "ticket", &mut errors);
    if !errors.is_empty() {
        return Err(errors.into());
    }
    ticket_user(&mut inner.store(), &ticket, inner.now_ms())?;
    Err(no_passkeys())
}

/// `GET /auth/sso/status`.
#[derive(Serialize)]
pub(crate) struct SsoStatus {
    pub enabled: bool,
    pub enforced: bool,
    pub display_name: Option<String>,
    pub redirect_uri: String,
}

impl SsoStatus {
    /// SSO off, with the callback on the web app.
    pub(crate) fn off(web_app_base: &str) -> Self {
        SsoStatus {
            enabled: false,
            enforced: false,
            display_name: None,
            redirect_uri: format!("{web_app_base}/auth/sso/callback"),
        }
    }
}

/// `GET /auth/sso/status`.
pub(crate) async fn sso_status(State(inner): State<Arc<Inner>>) -> Response {
    reply::ok(&SsoStatus::off(&inner.settings().web_app_base))
}

/// `POST /auth/sso/start` and `POST /auth/sso/complete`: SSO is not configured.
pub(crate) async fn sso_disabled() -> Response {
    reply::fluxer(
        StatusCode::FORBIDDEN,
        "FEATURE_TEMPORARILY_DISABLED",
        "This feature is temporarily disabled.",
    )
}
