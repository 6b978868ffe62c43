//! The part of the web login example to copy into an app: its configuration ([`App`]), the `/login`
//! and `/callback` handlers, and the cookie that carries the pending authorization from one to the
//! other, encrypted and authenticated, so that any instance of the app can finish a login that
//! another instance started (no memory shared between them, only the cookie key).
//!
//! `/login` sends the browser to Fluxer with a fresh state and PKCE verifier, sealed in the
//! `fluxer_login` cookie; `/callback` opens the cookie, lets `FluxerClient::exchange_code` check the
//! state and exchange the code, and greets the user: their name, their email (when they granted
//! `email`) and how many guilds they are in (`guilds`).

use std::{
    fmt,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Router,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use fluxer_oauth2::{
    Error, FluxerClient,
    oauth::{AuthorizeUrl, ClientCredentials, PendingAuthorization, RedirectUri, Scope},
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The name of the cookie that carries the pending authorization.
pub const COOKIE_NAME: &str = "fluxer_login";

/// How long a login may take from `/login` to `/callback`.
pub const LOGIN_MAX_AGE: Duration = Duration::from_secs(600);

/// What the cookie is for, bound to its ciphertext as associated data: a value the app seals with
/// the same key for another purpose (another cookie) does not open as a login cookie. Change the
/// version when the sealed format changes.
const PURPOSE: &[u8] = b"fluxer-login-v1";

/// How far ahead of this instance's clock another instance's may be (an issue time further in the
/// future is refused like an expired one).
const CLOCK_SKEW: u64 = 60;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The app's configuration. Every instance behind the load balancer has the same one: the same
/// registered application, the same redirect URI and the same cookie key.
pub struct App {
    /// The client for Fluxer, holding no credential.
    pub fluxer: FluxerClient,
    /// The application's client id and secret.
    pub credentials: ClientCredentials,
    /// The redirect URI registered for the application: the `/callback` the browser comes back to.
    pub redirect_uri: RedirectUri,
    /// Seals and opens the login cookie.
    pub cookies: LoginCookies,
}

/// The app's routes: `/login` and `/callback`.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/login", get(login))
        .route("/callback", get(callback))
        .with_state(Arc::new(app))
}

/// `/login`: a fresh state and PKCE verifier, sealed in the login cookie, and off to Fluxer.
async fn login(State(app): State<Arc<App>>) -> Response {
    let client_id = app.credentials.client_id();
    let request = match AuthorizeUrl::new(app.fluxer.base_url(), client_id, &app.redirect_uri)
        .scopes([Scope::Identify, Scope::Email, Scope::Guilds])
        .build()
    {
        Ok(request) => request,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let (url, pending) = request.into_parts();
    let sealed = match app.cookies.seal(&pending, unix_now()) {
        Ok(sealed) => sealed,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    // A real deployment serves https and adds `Secure`, so that the cookie never travels in clear;
    // the example leaves it out only because it serves plain http on 127.0.0.1. `SameSite=Lax`
    // still sends the cookie on the top-level redirect back from Fluxer.
    let cookie = format!(
        "{COOKIE_NAME}={sealed}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}",
        LOGIN_MAX_AGE.as_secs()
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response()
}

/// `/callback`: the login cookie must open and be fresh, the callback's state must match the one it
/// holds; then the code is exchanged and the user read. Every answer clears the cookie: a pending
/// authorization is used once, whatever the outcome.
async fn callback(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let clear = format!("{COOKIE_NAME}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    let answer = finish_login(&app, &headers, query.as_deref().unwrap_or_default()).await;
    ([(header::SET_COOKIE, clear)], answer).into_response()
}

async fn finish_login(app: &App, headers: &HeaderMap, query: &str) -> Response {
    let Some(sealed) = cookie_value(headers, COOKIE_NAME) else {
        return (
            StatusCode::BAD_REQUEST,
            "no login in progress: start at /login",
        )
            .into_response();
    };
    let pending = match app.cookies.open(sealed, unix_now()) {
        Ok(pending) => pending,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    // Parses the callback, checks its state against the cookie's, then exchanges the code with the
    // cookie's redirect URI and PKCE verifier. A bad callback is refused before anything is sent.
    let exchanged = app
        .fluxer
        .exchange_code(&app.credentials, query, pending)
        .await;
    let tokens = match exchanged {
        Ok(tokens) => tokens,
        Err(Error::Callback(e)) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    // A real app would now keep the tokens (see `TokenManager` and its stores) in the user's session.
    // The client knows the granted scopes: a call the user did not grant is refused before sending.
    let user = app.fluxer.with_token_set(&tokens);
    let me = match user.get_current_user().send().await {
        Ok(me) => me.into_inner(),
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let name = me.global_name.as_deref().unwrap_or(&me.username);
    // `email` is null unless the user granted the `email` scope.
    let email = match &me.email {
        Some(email) => format!("Your email address is {}.", escape(email)),
        None => "You did not share your email address.".to_owned(),
    };
    let guilds = match user.list_current_user_guilds().send().await {
        Ok(guilds) => format!("You are in {} guild(s).", guilds.len()),
        Err(Error::MissingScope { .. }) => "You did not share your guilds.".to_owned(),
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    Html(format!(
        "<p>Hello, {} (@{})! You are logged in with Fluxer.</p><p>{email}</p><p>{guilds}</p>",
        escape(name),
        escape(&me.username)
    ))
    .into_response()
}

/// Seals a pending authorization into a cookie value and opens it again: XChaCha20-Poly1305 under
/// the app's 32-byte key, a random 24-byte nonce per cookie, the purpose as associated data. The
/// value is `base64url(nonce || ciphertext || tag)`; the browser sees neither the state nor the
/// PKCE verifier, and cannot alter or forge a value without the key.
pub struct LoginCookies {
    cipher: XChaCha20Poly1305,
}

/// What was sealed: the pending authorization and when (unix seconds).
#[derive(Serialize)]
struct SealedRef<'a> {
    issued_at: u64,
    pending: &'a PendingAuthorization,
}

#[derive(Deserialize)]
struct Sealed {
    issued_at: u64,
    pending: PendingAuthorization,
}

impl LoginCookies {
    /// Cookies sealed under `key`. Every instance of the app must have the same key, kept secret
    /// like the client secret.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&(*key).into()),
        }
    }

    /// The cookie value for `pending`, issued at `issued_at` (unix seconds).
    pub fn seal(
        &self,
        pending: &PendingAuthorization,
        issued_at: u64,
    ) -> Result<String, CookieError> {
        let plaintext = Zeroizing::new(
            serde_json::to_vec(&SealedRef { issued_at, pending }).map_err(|_| CookieError::Seal)?,
        );
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ciphertext = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plaintext,
                    aad: PURPOSE,
                },
            )
            .map_err(|_| CookieError::Seal)?;
        let mut value = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        value.extend_from_slice(&nonce);
        value.extend_from_slice(&ciphertext);
        Ok(URL_SAFE_NO_PAD.encode(value))
    }

    /// The pending authorization in the cookie `value`, if it was sealed under this key for this
    /// purpose and is no older than [`LOGIN_MAX_AGE`] at `now` (unix seconds).
    pub fn open(&self, value: &str, now: u64) -> Result<PendingAuthorization, CookieError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(value)
            .map_err(|_| CookieError::Malformed)?;
        if bytes.len() < NONCE_LEN + TAG_LEN {
            return Err(CookieError::Malformed);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CookieError::Malformed)?;
        let plaintext = Zeroizing::new(
            self.cipher
                .decrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: PURPOSE,
                    },
                )
                .map_err(|_| CookieError::NotAuthentic)?,
        );
        let sealed: Sealed =
            serde_json::from_slice(&plaintext).map_err(|_| CookieError::Malformed)?;
        let too_old = now.saturating_sub(sealed.issued_at) > LOGIN_MAX_AGE.as_secs();
        let from_the_future = sealed.issued_at > now.saturating_add(CLOCK_SKEW);
        if too_old || from_the_future {
            return Err(CookieError::Expired);
        }
        Ok(sealed.pending)
    }
}

/// Why a login cookie was not accepted (or could not be made).
#[derive(Debug, PartialEq, Eq)]
pub enum CookieError {
    /// Not a value this app makes: not base64url, too short, or not a pending authorization.
    Malformed,
    /// Altered, sealed under another key, or sealed for another purpose.
    NotAuthentic,
    /// Older than [`LOGIN_MAX_AGE`].
    Expired,
    /// The pending authorization could not be sealed.
    Seal,
}

impl fmt::Display for CookieError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed => f.write_str("the login cookie is malformed: start again at /login"),
            Self::NotAuthentic => f.write_str(
                "the login cookie is not authentic (altered, or sealed with another key): start \
                 again at /login",
            ),
            Self::Expired => write!(
                f,
                "the login cookie has expired (a login must finish within {} minutes): start \
                 again at /login",
                LOGIN_MAX_AGE.as_secs() / 60
            ),
            Self::Seal => f.write_str("the login could not be started: the cookie was not sealed"),
        }
    }
}

impl std::error::Error for CookieError {}

/// Now, in unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The value of the cookie `name` in the request's `Cookie` headers.
fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

/// Text from the server, made safe to put in HTML.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}
