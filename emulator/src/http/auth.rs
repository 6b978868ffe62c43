//! The `Authorization` header: how it is parsed and whom it names.

use axum::http::{HeaderMap, header};

use crate::ids::looks_like_session_token;
use crate::shared::Inner;
use crate::store::Grant;

use super::error::ApiError;
use super::reply;

/// What an `Authorization` header claims to be, before any lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Credential {
    /// No header.
    None,
    /// A session token, raw or as `Bearer flx_…`.
    Session(String),
    /// `Bearer <t>` where `t` is not a session token: an OAuth2 access token.
    Access(String),
    /// `Bot <t>`.
    Bot(String),
    /// Anything else (lower-case prefixes, surrounding spaces, unknown schemes).
    Unrecognised,
}

/// The raw `Authorization` value, if it is valid text.
pub(crate) fn raw_authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()
}

/// Parses the header the way the server's user middleware does (prefixes are case-sensitive).
pub(crate) fn credential(headers: &HeaderMap) -> Credential {
    let Some(v) = raw_authorization(headers) else {
        return match headers.get(header::AUTHORIZATION) {
            Some(_) => Credential::Unrecognised,
            None => Credential::None,
        };
    };
    if v.is_empty() || v.trim() != v {
        return Credential::Unrecognised;
    }
    if let Some(t) = v.strip_prefix("Bearer ") {
        if looks_like_session_token(t) {
            return Credential::Session(t.to_owned());
        }
        return Credential::Access(t.to_owned());
    }
    if let Some(t) = v.strip_prefix("Bot ") {
        return Credential::Bot(t.to_owned());
    }
    if !v.contains(' ') {
        return Credential::Session(v.to_owned());
    }
    Credential::Unrecognised
}

/// Who is calling, after looking the credential up.
#[derive(Clone, Debug)]
pub(crate) enum Caller {
    Anonymous,
    /// A user session.
    User {
        user_id: String,
        session: String,
    },
    /// An OAuth2 access token.
    OAuth {
        grant: Grant,
    },
    /// An application's bot.
    Bot {
        app_id: String,
    },
    /// A credential that names nobody.
    Invalid,
}

impl Caller {
    /// The rate-limit key of this caller, when it is a known principal.
    pub(crate) fn principal(&self) -> Option<String> {
        match self {
            Caller::User { user_id, .. } => Some(user_id.clone()),
            Caller::OAuth { grant, .. } => Some(grant.user_id.clone()),
            Caller::Bot { app_id } => Some(app_id.clone()),
            Caller::Anonymous | Caller::Invalid => None,
        }
    }
}

/// Resolves the `Authorization` header of a request.
pub(crate) fn caller(inner: &Inner, headers: &HeaderMap) -> Caller {
    let now = inner.now_ms();
    let store = inner.store();
    match credential(headers) {
        Credential::None => Caller::Anonymous,
        Credential::Unrecognised => Caller::Invalid,
        Credential::Session(t) => match store.session_user(&t) {
            Some(u) => Caller::User {
                user_id: u.id.clone(),
                session: t,
            },
            None => Caller::Invalid,
        },
        Credential::Access(t) => match store.live_access(&t, now) {
            Some(g) => Caller::OAuth { grant: g.clone() },
            None => Caller::Invalid,
        },
        Credential::Bot(t) => match store.bot_app(&t) {
            Some(a) => Caller::Bot {
                app_id: a.id.clone(),
            },
            None => Caller::Invalid,
        },
    }
}

/// The OAuth2 grant behind `Authorization: Bearer <access token>`, as `/oauth2/userinfo` and
/// `/oauth2/@me` read it; 401 `UNAUTHORIZED` for anything else.
pub(crate) fn require_bearer(inner: &Inner, headers: &HeaderMap) -> Result<Grant, ApiError> {
    let token = raw_authorization(headers)
        .and_then(|v| v.strip_prefix("Bearer"))
        .filter(|rest| rest.starts_with(char::is_whitespace))
        .map(str::trim);
    let Some(token) = token else {
        return Err(reply::unauthorized().into());
    };
    inner
        .store()
        .live_access(token, inner.now_ms())
        .cloned()
        .ok_or_else(|| reply::unauthorized().into())
}

/// The application behind `Authorization: Bot <token>` with a case-insensitive prefix, as
/// `/applications/@me` reads it.
pub(crate) fn bot_app_lenient(inner: &Inner, headers: &HeaderMap) -> Option<String> {
    let v = raw_authorization(headers)?;
    if !v.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("bot")) {
        return None;
    }
    let rest = &v[3..];
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    inner.store().bot_app(rest.trim()).map(|a| a.id.clone())
}
