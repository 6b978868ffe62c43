//! `POST /oauth2/authorize/consent` and the code-issuing core shared with `GET /oauth2/authorize`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

use crate::ids;
use crate::shared::Inner;
use crate::store::{AuthCode, Store, parse_scopes};

use super::bot_join;
use super::error::{ApiError, ApiResult};
use super::extract::SessionUser;
use super::reply::{self, FieldError};
use super::validate;

/// The parameters of an authorization request, already checked for shape.
#[derive(Clone, Debug, Default)]
pub(crate) struct AuthorizeRequest {
    pub client_id: String,
    pub scope: String,
    pub response_type: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub guild_id: Option<String>,
    pub permissions: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Appends query parameters to a URL, keeping its own query.
pub(crate) fn with_params(base: &str, pairs: &[(&str, &str)]) -> String {
    match Url::parse(base) {
        Ok(mut u) => {
            {
                let mut q = u.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            u.to_string()
        }
        Err(_) => base.to_owned(),
    }
}

/// Reads `AuthorizeConsentRequest` from a JSON object.
fn parse_body(body: &Map<String, Value>) -> Result<AuthorizeRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut text = |key: &str| {
        validate::opt_string(body, key, 1, 256)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten()
    };
    let scope = text("scope");
    let response_type = text("response_type");
    let redirect_uri = text("redirect_uri");
    let state = text("state");
    let code_challenge = text("code_challenge");
    let permissions = match body.get("permissions") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => {
            errors.push(FieldError::format("permissions"));
            None
        }
    };
    let mut snow = |key: &str| match body.get(key) {
        None | Some(Value::Null) => None,
        Some(v) => validate::json_snowflake(v, key)
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let client_id = snow("client_id");
    let guild_id = snow("guild_id");
    let channel_id = snow("channel_id");
    if client_id.is_none() && !errors.iter().any(|e| e.path == "client_id") {
        errors.insert(0, FieldError::format("client_id"));
    }
    if scope.is_none() && !errors.iter().any(|e| e.path == "scope") {
        errors.push(FieldError::format("scope"));
    }
    if guild_id.is_some() && channel_id.is_some() {
        errors.push(FieldError::new(
            "channel_id",
            "",
            "channel_id cannot be used with guild_id",
        ));
    }
    let method = match body.get("code_challenge_method") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) if m == "S256" || m == "plain" => Some(m.clone()),
        Some(_) => {
            errors.push(FieldError::format("code_challenge_method"));
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(AuthorizeRequest {
        client_id: client_id.unwrap_or_default(),
        scope: scope.unwrap_or_default(),
        response_type,
        redirect_uri,
        state,
        guild_id,
        permissions,
        code_challenge,
        code_challenge_method: method,
    })
}

/// Parses `permissions`: a decimal integer, at least 0; OAuth2-shaped errors otherwise.
fn permissions(raw: Option<&str>) -> Result<u64, ApiError> {
    let Some(raw) = raw.map(str::trim) else {
        return Ok(0);
    };
    if let Some(digits) = raw.strip_prefix('-')
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(reply::oauth("invalid_request", "INVALID_PERMISSIONS_NEGATIVE").into());
    }
    raw.parse::<u64>()
        .map_err(|_| reply::oauth("invalid_request", "INVALID_PERMISSIONS_INTEGER").into())
}

/// Applies the consent rules for `user_id`, adds a bot to the named guild, and returns the URL
/// to send the user to (with a fresh code).
pub(crate) fn authorize(
    store: &mut Store,
    user_id: &str,
    req: &AuthorizeRequest,
    now_ms: u64,
    code_ms: u64,
    web_app_base: &str,
) -> Result<String, ApiError> {
    let Some(scopes) = parse_scopes(&req.scope) else {
        return Err(reply::oauth(
            "invalid_scope",
            "The requested scope is invalid or unsupported",
        )
        .into());
    };
    let Some(app) = store.apps.get(&req.client_id).cloned() else {
        return Err(reply::oauth("invalid_client", "Invalid client credentials").into());
    };
    let wants_bot = scopes.contains(&"bot");
    let user_scopes = scopes.iter().any(|s| *s != "bot");
    if user_scopes {
        if req.response_type.as_deref().unwrap_or("code") != "code" {
            return Err(reply::oauth(
                "invalid_request",
                "response_type must be code for non-bot scopes",
            )
            .into());
        }
        if req.redirect_uri.is_none() {
            return Err(reply::oauth(
                "invalid_request",
                "redirect_uri required for non-bot scopes",
            )
            .into());
        }
    } else if app.bot_require_code_grant && req.redirect_uri.is_none() {
        return Err(reply::oauth("invalid_request", "Missing redirect_uri").into());
    }
    if let Some(r) = &req.redirect_uri
        && !app.redirect_uris.iter().any(|u| u == r)
    {
        return Err(reply::oauth("invalid_request", "Invalid redirect_uri").into());
    }
    if wants_bot {
        if !app.bot_public && app.owner_id.as_deref() != Some(user_id) {
            return Err(reply::fluxer(
                StatusCode::FORBIDDEN,
                "BOT_IS_PRIVATE",
                "This bot is private.",
            )
            .into());
        }
        let perms = permissions(req.permissions.as_deref())?;
        if let Some(guild_id) = &req.guild_id {
            bot_join::add_bot(store, &app, user_id, guild_id, perms, now_ms)?;
        }
    }
    let redirect = req
        .redirect_uri
        .clone()
        .unwrap_or_else(|| format!("{web_app_base}/"));
    let normalised = Url::parse(&redirect)
        .map(|u| u.to_string())
        .unwrap_or(redirect);
    let pkce = req.code_challenge.clone().map(|c| {
        let method = req
            .code_challenge_method
            .clone()
            .unwrap_or_else(|| "plain".to_owned());
        (c, method)
    });
    let code = ids::secret43();
    store.codes.insert(
        code.clone(),
        AuthCode {
            app_id: req.client_id.clone(),
            user_id: user_id.to_owned(),
            scopes,
            redirect_uri: normalised.clone(),
            pkce,
            expires_ms: now_ms + code_ms,
        },
    );
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = &req.state {
        pairs.push(("state", s));
    }
    Ok(with_params(&normalised, &pairs))
}

/// `{redirect_to}`.
#[derive(Serialize)]
struct Consented {
    redirect_to: String,
}

/// `POST /oauth2/authorize/consent`.
pub(crate) async fn consent(
    State(inner): State<Arc<Inner>>,
    user: SessionUser,
    body: Bytes,
) -> ApiResult {
    let req = parse_body(&validate::json_object(&body))?;
    let settings = inner.settings();
    let now = inner.now_ms();
    let mut store = inner.store();
    let to = authorize(
        &mut store,
        &user.user_id,
        &req,
        now,
        settings.code_ms,
        &settings.web_app_base,
    )?;
    Ok(reply::ok(&Consented { redirect_to: to }))
}
