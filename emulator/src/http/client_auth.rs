//! Client authentication on the form routes: HTTP Basic and/or body credentials.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::store::{App, Store};

use super::auth::raw_authorization;
use super::error::ApiError;
use super::form::Form;
use super::reply;

/// `client_id:client_secret` from `Authorization: Basic …` (case-sensitive prefix, no
/// URL-decoding of the parts).
fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = raw_authorization(headers)?.strip_prefix("Basic ")?;
    let decoded = STANDARD
        .decode(encoded.trim())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded.trim()))
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// The token endpoint's rules: body values win over Basic, and the two may be mixed.
pub(crate) fn for_token(store: &Store, headers: &HeaderMap, form: &Form) -> Result<App, ApiError> {
    let basic = basic(headers);
    let id = form
        .get("client_id")
        .map(str::to_owned)
        .or_else(|| basic.as_ref().map(|b| b.0.clone()));
    let secret = form
        .get("client_secret")
        .map(str::to_owned)
        .or_else(|| basic.as_ref().map(|b| b.1.clone()));
    let invalid = || reply::oauth("invalid_client", "Invalid client credentials");
    let app = id.and_then(|id| store.apps.get(&id)).ok_or_else(invalid)?;
    let Some(secret) = secret else {
        return Err(reply::oauth("invalid_client", "Missing client_secret").into());
    };
    if secret != app.client_secret {
        return Err(reply::oauth("invalid_client", "Invalid client_secret").into());
    }
    Ok(app.clone())
}

/// Which route is authenticating: the two word a wrong secret differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Introspect,
    Revoke,
}

/// The introspect and revoke rules: Basic or body, never both.
pub(crate) fn for_introspection(
    store: &Store,
    headers: &HeaderMap,
    form: &Form,
    route: Route,
) -> Result<App, ApiError> {
    let basic = basic(headers);
    let body_id = form.get("client_id");
    let body_secret = form.get("client_secret");
    if basic.is_some() && (body_id.is_some() || body_secret.is_some()) {
        return Err(reply::oauth("invalid_request", "INVALID_REQUEST").into());
    }
    let (id, secret) = match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (body_id.map(str::to_owned), body_secret.map(str::to_owned)),
    };
    let (Some(id), Some(secret)) = (id, secret) else {
        return Err(reply::oauth("invalid_client", "Missing client_secret").into());
    };
    let invalid = || reply::oauth("invalid_client", "Invalid client credentials");
    let app = store.apps.get(&id).ok_or_else(invalid)?;
    if secret != app.client_secret {
        return Err(match route {
            Route::Introspect => invalid(),
            Route::Revoke => reply::oauth("invalid_client", "Invalid client_secret"),
        }
        .into());
    }
    Ok(app.clone())
}
