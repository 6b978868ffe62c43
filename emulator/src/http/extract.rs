//! Axum extractors for who is calling: a user session, an OAuth2 grant, or the caller's own
//! application named by the `{id}` path segment. Each rejects with the server's answer.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;

use crate::shared::Inner;
use crate::store::App;

use super::auth::{self, Caller};
use super::error::ApiError;
use super::reply;
use super::validate;

/// A logged-in user session: 401 without valid credentials, 403 for bots and OAuth2 tokens.
#[derive(Clone, Debug)]
pub(crate) struct SessionUser {
    pub user_id: String,
}

impl FromRequestParts<Arc<Inner>> for SessionUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        inner: &Arc<Inner>,
    ) -> Result<Self, Self::Rejection> {
        match auth::caller(inner, &parts.headers) {
            Caller::User { user_id, .. } => Ok(SessionUser { user_id }),
            Caller::OAuth { .. } | Caller::Bot { .. } => Err(reply::access_denied().into()),
            Caller::Anonymous | Caller::Invalid => Err(reply::unauthorized().into()),
        }
    }
}

/// The resolved caller, whoever it is (never rejects).
pub(crate) struct AnyCaller(pub Caller);

impl FromRequestParts<Arc<Inner>> for AnyCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        inner: &Arc<Inner>,
    ) -> Result<Self, Self::Rejection> {
        Ok(AnyCaller(auth::caller(inner, &parts.headers)))
    }
}

/// The caller's own application from the `{id}` path segment: the session check, then a
/// snowflake check of the id, then 404 `UNKNOWN_APPLICATION` or 403 `ACCESS_DENIED`.
#[derive(Clone, Debug)]
pub(crate) struct OwnedApp {
    pub app: App,
}

impl FromRequestParts<Arc<Inner>> for OwnedApp {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        inner: &Arc<Inner>,
    ) -> Result<Self, Self::Rejection> {
        let user = SessionUser::from_request_parts(parts, inner).await?;
        let Path(raw) = Path::<String>::from_request_parts(parts, inner)
            .await
            .map_err(|_| ApiError::from(reply::not_found()))?;
        let app = owned_app(&inner.store(), &user.user_id, &raw)?;
        Ok(OwnedApp { app })
    }
}

/// Checks a path id, then that the application exists and that `user_id` owns it.
pub(crate) fn owned_app(
    store: &crate::store::Store,
    user_id: &str,
    raw_id: &str,
) -> Result<App, ApiError> {
    let id = validate::snowflake(raw_id, "id")?;
    let app = store.apps.get(&id).ok_or_else(reply::unknown_application)?;
    if app.owner_id.as_deref() != Some(user_id) {
        return Err(reply::access_denied().into());
    }
    Ok(app.clone())
}
