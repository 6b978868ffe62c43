//! `GET /oauth2/authorize`: a redirect to the web app's consent page, or with `prompt=none` a
//! silent answer to the client's redirect URI.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;

use crate::shared::Inner;
use crate::store::parse_scopes;

use super::auth::Caller;
use super::consent::{self, AuthorizeRequest, with_params};
use super::error::ApiResult;
use super::extract::AnyCaller;
use super::reply::{self, FieldError};
use super::validate;

/// Checks the query the way the server's validator does: `client_id` a snowflake and `scope`
/// present; errors are 400 `INVALID_FORM_BODY`, not redirects.
fn check_query(params: &HashMap<String, String>) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    match params.get("client_id") {
        Some(c) => {
            if let Err(e) = validate::snowflake(c, "client_id") {
                errors.push(e);
            }
        }
        None => errors.push(FieldError::format("client_id")),
    }
    match params.get("scope") {
        Some(s) if !s.is_empty() && s.chars().count() <= 256 => {}
        Some(_) => errors.push(FieldError::length("scope", 1, 256)),
        None => errors.push(FieldError::format("scope")),
    }
    if let Some(p) = params.get("prompt")
        && p != "none"
        && p != "consent"
    {
        errors.push(FieldError::format("prompt"));
    }
    if let Some(m) = params.get("code_challenge_method")
        && m != "S256"
        && m != "plain"
    {
        errors.push(FieldError::format("code_challenge_method"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// `GET /oauth2/authorize`.
pub(crate) async fn authorize_get(
    State(inner): State<Arc<Inner>>,
    AnyCaller(caller): AnyCaller,
    uri: Uri,
) -> ApiResult<Response> {
    let raw = uri.query().unwrap_or("");
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        params
            .entry(k.into_owned())
            .or_insert_with(|| v.into_owned());
    }
    check_query(&params)?;
    let settings = inner.settings();
    let web = &settings.web_app_base;
    let param = |k: &str| params.get(k).cloned();
    if param("prompt").as_deref() != Some("none") {
        // The same parameters, re-encoded.
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            ser.append_pair(&k, &v);
        }
        let q = ser.finish();
        let sep = if q.is_empty() { "" } else { "?" };
        return Ok(reply::redirect(&format!("{web}/oauth2/authorize{sep}{q}")));
    }

    let now = inner.now_ms();
    let mut store = inner.store();
    let app = param("client_id").and_then(|id| store.apps.get(&id).cloned());
    let registered = |r: &String| app.as_ref().is_some_and(|a| a.redirect_uris.contains(r));
    let target = param("redirect_uri")
        .filter(registered)
        .unwrap_or_else(|| format!("{web}/"));
    let state = param("state");
    let fail = |error: &str| {
        let mut pairs: Vec<(&str, &str)> = state.iter().map(|s| ("state", s.as_str())).collect();
        pairs.push(("error", error));
        Ok(reply::redirect(&with_params(&target, &pairs)))
    };
    let Caller::User { user_id, .. } = caller else {
        return fail("login_required");
    };
    let (Some(app), Some(scopes)) = (app, param("scope").as_deref().and_then(parse_scopes)) else {
        return fail("consent_required");
    };
    let granted: Vec<&str> = store
        .refresh
        .values()
        .filter(|g| g.user_id == user_id && g.app_id == app.id && g.expires_ms > now)
        .flat_map(|g| g.scopes.iter().copied())
        .collect();
    if scopes.iter().any(|s| *s == "bot" || !granted.contains(s)) {
        return fail("consent_required");
    }
    let req = AuthorizeRequest {
        client_id: app.id.clone(),
        scope: param("scope").unwrap_or_default(),
        response_type: param("response_type"),
        redirect_uri: param("redirect_uri"),
        state: state.clone(),
        guild_id: None,
        permissions: None,
        code_challenge: param("code_challenge"),
        code_challenge_method: param("code_challenge_method"),
    };
    match consent::authorize(&mut store, &user_id, &req, now, settings.code_ms, web) {
        Ok(to) => Ok(reply::redirect(&to)),
        Err(_) => fail("consent_required"),
    }
}
