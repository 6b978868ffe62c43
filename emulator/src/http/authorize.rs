//! `GET /oauth2/authorize`: a redirect to the web app's consent page, or with `prompt=none` a
//! silent answer to the client's redirect URI.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;

use crate::shared::Inner;
use crate::store::parse_scopes;

use super::auth::{self, Caller};
use super::consent::{self, AuthorizeRequest, with_params};
use super::reply;
use super::validate;

/// `GET /oauth2/authorize`.
pub(crate) async fn authorize_get(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let raw = uri.query().unwrap_or("");
    let mut params: HashMap<String, String> = HashMap::new();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        params
            .entry(k.into_owned())
            .or_insert_with(|| v.into_owned());
    }
    let settings = inner.settings();
    let web = &settings.web_app_base;
    if params.get("prompt").map(String::as_str) != Some("none") {
        let q = if raw.is_empty() {
            String::new()
        } else {
            format!("?{raw}")
        };
        return reply::redirect(&format!("{web}/oauth2/authorize{q}"));
    }

    let param = |k: &str| params.get(k).cloned();
    let client_id = param("client_id").and_then(|c| validate::snowflake(&c, "client_id").ok());
    let now = inner.now_ms();
    let mut store = inner.store();
    let app = client_id
        .as_ref()
        .and_then(|id| store.apps.get(id))
        .cloned();
    let registered = |r: &String| app.as_ref().is_some_and(|a| a.redirect_uris.contains(r));
    let target = param("redirect_uri")
        .filter(registered)
        .unwrap_or_else(|| format!("{web}/oauth2/authorize"));
    let state = param("state");
    let fail = |error: &str| {
        let mut pairs: Vec<(&str, &str)> = state.iter().map(|s| ("state", s.as_str())).collect();
        pairs.push(("error", error));
        reply::redirect(&with_params(&target, &pairs))
    };
    drop(store);
    let Caller::User { user_id, .. } = auth::caller(&inner, &headers) else {
        return fail("login_required");
    };
    store = inner.store();
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
        channel_id: None,
        code_challenge: param("code_challenge"),
        code_challenge_method: param("code_challenge_method")
            .filter(|m| m == "S256" || m == "plain"),
    };
    match consent::authorize(&mut store, &user_id, &req, now, settings.code_ms, web) {
        Ok(to) => reply::redirect(&to),
        Err(_) => fail("consent_required"),
    }
}
