//! Sudo mode: the extra verification that secret resets and deletions need.
//!
//! Decision order: a valid sudo token (header, or for MFA users the `__flx_sudo_<id>` cookie)
//! passes; a user with MFA must send `mfa_method` + `mfa_code` (a password is not enough); a user
//! without MFA sends `password`; a user with neither passes.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::jwt;
use crate::shared::Inner;
use crate::store::User;
use crate::totp;

use serde::Serialize;

use super::error::ApiError;
use super::reply::{self, FieldError};

/// The request header (and response header) carrying a sudo token.
pub(crate) const SUDO_HEADER: &str = "x-fluxer-sudo-mode-jwt";

/// A passed sudo check: the token to send back, if any.
#[derive(Debug)]
pub(crate) struct SudoPass {
    token: Option<String>,
    user_id: String,
}

impl SudoPass {
    /// Adds the sudo token header and cookie to a successful response.
    pub(crate) fn decorate(&self, resp: &mut Response, lifetime_secs: u64) {
        let Some(token) = &self.token else {
            return;
        };
        let cookie = format!(
            "__flx_sudo_{}={token}; Max-Age={lifetime_secs}; Path=/; HttpOnly; SameSite=Strict",
            self.user_id
        );
        if let (Ok(h), Ok(c)) = (HeaderValue::from_str(token), HeaderValue::from_str(&cookie)) {
            resp.headers_mut().insert(SUDO_HEADER, h);
            resp.headers_mut().append(header::SET_COOKIE, c);
        }
    }
}

/// The sudo methods a user has.
#[derive(Serialize)]
pub(crate) struct Methods {
    pub totp: bool,
    pub webauthn: bool,
}

#[derive(Serialize)]
struct SudoRequired {
    code: &'static str,
    message: &'static str,
    has_mfa: bool,
    methods: Methods,
}

/// 403 `SUDO_MODE_REQUIRED` describing the user's methods.
fn sudo_required(has_mfa: bool) -> Response {
    reply::json(
        StatusCode::FORBIDDEN,
        &SudoRequired {
            code: "SUDO_MODE_REQUIRED",
            message: "Sudo mode is required.",
            has_mfa,
            methods: Methods {
                totp: has_mfa,
                webauthn: false,
            },
        },
    )
}

/// Checks the body against `SudoVerificationSchema`.
fn check_schema(body: &Map<String, Value>) -> Result<(), ApiError> {
    match body.get("password") {
        None | Some(Value::Null) => {}
        Some(Value::String(p)) => {
            let n = p.chars().count();
            if !(8..=256).contains(&n) {
                return Err(reply::form_error(FieldError::new(
                    "password",
                    "PASSWORD_LENGTH_INVALID",
                    "String length must be between 8 and 256 characters.",
                ))
                .into());
            }
        }
        Some(_) => return Err(reply::form_error(FieldError::format("password")).into()),
    }
    match body.get("mfa_method") {
        None | Some(Value::Null) => {}
        Some(Value::String(m)) if m == "totp" || m == "webauthn" => {}
        Some(_) => return Err(reply::form_error(FieldError::format("mfa_method")).into()),
    }
    match body.get("mfa_code") {
        None | Some(Value::Null) | Some(Value::String(_)) => Ok(()),
        Some(_) => Err(reply::form_error(FieldError::format("mfa_code")).into()),
    }
}

fn str_field<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

/// The value of cookie `name`.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Runs the sudo check for `user_id` with the (lenient) JSON `body`.
pub(crate) fn check(
    inner: &Inner,
    user_id: &str,
    headers: &HeaderMap,
    body: &Map<String, Value>,
) -> Result<SudoPass, ApiError> {
    check_schema(body)?;
    let now = inner.clock.now_unix();
    let settings = inner.settings();
    let mut store = inner.store();
    let Some(user) = store.users.get_mut(user_id) else {
        return Err(reply::unauthorized().into());
    };
    let pass = |token: Option<String>| SudoPass {
        token,
        user_id: user_id.to_owned(),
    };

    // A sudo token: the header always, the cookie only for users with MFA.
    let mut offered = headers
        .get(SUDO_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if offered.is_none() && user.has_mfa() {
        offered = cookie(headers, &format!("__flx_sudo_{user_id}"));
    }
    let verified = offered
        .as_deref()
        .and_then(|t| jwt::verify(&inner.jwt_key, t).map(|c| (t.to_owned(), c)))
        .filter(|(_, c)| jwt::unexpired(c, now));
    // A valid token is echoed back even when it belongs to someone else and another method
    // passed the check.
    let echo = verified.as_ref().map(|(t, _)| t.clone());
    if verified
        .as_ref()
        .is_some_and(|(_, c)| c.get("sub").and_then(Value::as_str) == Some(user_id))
    {
        return Ok(pass(echo));
    }

    if user.has_mfa() {
        return match str_field(body, "mfa_method") {
            Some("totp") => {
                let code = str_field(body, "mfa_code").unwrap_or_default();
                if verify_mfa_code(user, code, now, settings.allow_totp_reuse) {
                    let token = echo.unwrap_or_else(|| {
                        jwt::mint_sudo(&inner.jwt_key, user_id, now, settings.sudo_secs)
                    });
                    Ok(pass(Some(token)))
                } else {
                    Err(invalid_mfa_code().into())
                }
            }
            // WebAuthn is never set up for emulated users.
            Some(_) => Err(invalid_mfa_code().into()),
            None => Err(sudo_required(true).into()),
        };
    }
    match (&user.password, str_field(body, "password")) {
        (None, _) => Ok(pass(echo)),
        (Some(_), None) => Err(sudo_required(false).into()),
        (Some(expected), Some(given)) if expected == given => Ok(pass(echo)),
        (Some(_), Some(_)) => Err(reply::form_error(FieldError::new(
            "password",
            "INVALID_PASSWORD",
            "Invalid email or password.",
        ))
        .into()),
    }
}

fn invalid_mfa_code() -> Response {
    reply::form_error(FieldError::new(
        "mfa_code",
        "INVALID_MFA_CODE",
        "Invalid MFA code.",
    ))
}

/// Checks a TOTP code (one step of drift either way) or an unused backup code.
pub(crate) fn verify_mfa_code(user: &mut User, code: &str, now: u64, allow_reuse: bool) -> bool {
    if let Some(entry) = user
        .backup_codes
        .iter_mut()
        .find(|(c, used)| !*used && c == code)
    {
        entry.1 = true;
        return true;
    }
    let Some(secret) = &user.totp_secret else {
        return false;
    };
    let step = now / totp::STEP_SECS;
    for s in [step, step.saturating_sub(1), step + 1] {
        if totp::totp_code(secret, s * totp::STEP_SECS) != code {
            continue;
        }
        if !allow_reuse && user.last_totp_step.is_some_and(|last| s <= last) {
            return false;
        }
        user.last_totp_step = Some(user.last_totp_step.map_or(s, |l| l.max(s)));
        return true;
    }
    false
}
