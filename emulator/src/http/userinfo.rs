//! `GET /oauth2/userinfo` and `GET /oauth2/@me`: what an OAuth2 access token says.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use serde::Serialize;

use crate::shared::Inner;
use crate::store::User;
use crate::time_fmt::iso_millis;

use super::auth;
use super::error::ApiResult;
use super::reply;
use super::views::TokenApp;

/// `OAuth2UserInfoResponse`.
#[derive(Serialize)]
struct UserInfo<'a> {
    sub: &'a str,
    id: &'a str,
    username: &'a str,
    discriminator: &'a str,
    global_name: Option<&'a str>,
    avatar: Option<&'a str>,
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<bool>,
    flags: u32,
}

/// `GET /oauth2/userinfo`: needs the `identify` scope.
pub(crate) async fn userinfo(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> ApiResult {
    let grant = auth::require_bearer(&inner, &headers)?;
    if !grant.has("identify") {
        return Err(reply::missing_scope("identify").into());
    }
    let store = inner.store();
    let u = store
        .users
        .get(&grant.user_id)
        .ok_or_else(reply::unauthorized)?;
    let email = grant.has("email");
    Ok(reply::ok(&UserInfo {
        sub: &u.id,
        id: &u.id,
        username: &u.username,
        discriminator: &u.discriminator,
        global_name: u.global_name.as_deref(),
        avatar: None,
        email: email.then_some(u.email.as_str()),
        verified: email.then_some(true),
        flags: 0,
    }))
}

/// The user of `GET /oauth2/@me`.
#[derive(Serialize)]
struct TokenUser<'a> {
    id: &'a str,
    username: &'a str,
    discriminator: &'a str,
    global_name: Option<&'a str>,
    avatar: Option<&'a str>,
    avatar_color: Option<u32>,
    bot: bool,
    system: bool,
    flags: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified: Option<bool>,
}

impl<'a> TokenUser<'a> {
    fn new(u: &'a User, email: bool) -> Self {
        TokenUser {
            id: &u.id,
            username: &u.username,
            discriminator: &u.discriminator,
            global_name: u.global_name.as_deref(),
            avatar: None,
            avatar_color: None,
            bot: false,
            system: false,
            flags: 0,
            email: Some(email.then_some(u.email.as_str())),
            verified: email.then_some(true),
        }
    }
}

/// `OAuth2MeResponse`.
#[derive(Serialize)]
struct TokenInfo<'a> {
    application: TokenApp<'a>,
    scopes: &'a [&'static str],
    expires: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<TokenUser<'a>>,
}

/// `GET /oauth2/@me`: the token's application, scopes and expiry, and the user with `identify`.
pub(crate) async fn oauth2_me(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> ApiResult {
    let grant = auth::require_bearer(&inner, &headers)?;
    let store = inner.store();
    let app = store
        .apps
        .get(&grant.app_id)
        .ok_or_else(reply::unauthorized)?;
    let user = if grant.has("identify") {
        store
            .users
            .get(&grant.user_id)
            .map(|u| TokenUser::new(u, grant.has("email")))
    } else {
        None
    };
    Ok(reply::ok(&TokenInfo {
        application: TokenApp::new(app),
        scopes: &grant.scopes,
        expires: iso_millis(grant.expires_ms),
        user,
    }))
}
