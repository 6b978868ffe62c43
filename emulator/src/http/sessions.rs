//! The session routes: `GET /auth/sessions`, `POST /auth/logout` and the sudo-guarded
//! `POST /auth/sessions/logout`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use crate::sessions::{mask_ip, session_id_hash};
use crate::shared::Inner;
use crate::time_fmt::iso_millis;

use super::auth::{Credential, credential};
use super::error::ApiResult;
use super::extract::SessionUser;
use super::reply::{self, FieldError};
use super::sudo;
use super::validate;

#[derive(Serialize)]
struct Location {
    city: &'static str,
    region: &'static str,
    country: &'static str,
}

#[derive(Serialize)]
struct ClientInfo {
    platform: String,
    os: &'static str,
    location: Location,
}

/// One entry of `GET /auth/sessions`.
#[derive(Serialize)]
struct SessionView {
    id_hash: String,
    client_info: ClientInfo,
    masked_ip: String,
    approx_last_used_at: String,
    /// Always `false`: the server does not mark the calling session.
    current: bool,
}

/// `GET /auth/sessions`: the caller's sessions, most recent first.
pub(crate) async fn list(State(inner): State<Arc<Inner>>, user: SessionUser) -> Response {
    let store = inner.store();
    let mut sessions: Vec<_> = store
        .sessions
        .iter()
        .filter(|(_, s)| s.user_id == user.user_id)
        .collect();
    sessions.sort_by(|a, b| b.1.created_ms.cmp(&a.1.created_ms).then(a.0.cmp(b.0)));
    let views: Vec<SessionView> = sessions
        .into_iter()
        .map(|(token, s)| SessionView {
            id_hash: session_id_hash(token),
            client_info: ClientInfo {
                platform: s.platform.clone(),
                os: "Unknown",
                location: Location {
                    city: "Unknown",
                    region: "Unknown",
                    country: "Unknown",
                },
            },
            masked_ip: mask_ip(&s.ip),
            approx_last_used_at: iso_millis(s.created_ms),
            current: false,
        })
        .collect();
    reply::ok(&views)
}

/// `POST /auth/logout`: ends the calling session; 204 whatever the header holds.
pub(crate) async fn logout(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    if let Credential::Session(token) = credential(&headers) {
        inner.store().sessions.remove(&token);
    }
    reply::empty(StatusCode::NO_CONTENT)
}

/// `POST /auth/sessions/logout` with `{session_id_hashes: […]}` and a sudo proof. Unknown
/// hashes are ignored; the caller's own session may be among them.
pub(crate) async fn logout_many(
    State(inner): State<Arc<Inner>>,
    user: SessionUser,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let body = validate::json_object(&body);
    let hashes: Vec<String> = match body.get("session_id_hashes") {
        Some(Value::Array(items)) if items.len() <= 100 => {
            let mut out = Vec::new();
            for (i, v) in items.iter().enumerate() {
                match v.as_str() {
                    Some(s) => out.push(s.to_owned()),
                    None => return Err(FieldError::format(format!("session_id_hashes.{i}")).into()),
                }
            }
            out
        }
        _ => return Err(FieldError::format("session_id_hashes").into()),
    };
    let pass = sudo::check(&inner, &user.user_id, &headers, &body)?;
    inner
        .store()
        .sessions
        .retain(|token, s| s.user_id != user.user_id || !hashes.contains(&session_id_hash(token)));
    let mut resp = reply::empty(StatusCode::NO_CONTENT);
    pass.decorate(&mut resp, inner.settings().sudo_secs);
    Ok(resp)
}
