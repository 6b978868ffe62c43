//! A typed client for the Fluxer OAuth2 API, and the authentication around it.
//!
//! Every operation of the API is generated from one OpenAPI spec (`openapi/fluxer-oauth2.yaml`) as a
//! call on [`FluxerClient`]: `client.operation().input(x).send().await`, which answers a
//! [`Response<T>`] (it derefs to `T`) or one [`Error`]. Around the generated calls, hand-written
//! flows do what spans several calls or keeps state: logging in, the authorization-code flow, the
//! token manager, sudo mode and discovery. The examples below run against the crate's in-memory
//! emulator of the server (`fluxer-oauth2-emulator`), the way your tests can.
//!
//! # A bot reads its application
//!
//! A client holds one [`Credential`]; the operation's spec says which credentials it accepts, and a
//! wrong one is refused before anything is sent.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emu = fluxer_oauth2_emulator::Emulator::start().await;
//! # let base_url = emu.base_url();
//! use fluxer_oauth2::{Credential, FluxerClient, types::ApplicationCreateRequest};
//!
//! // A user (here through a session token) creates an application and gets its bot token.
//! let user = FluxerClient::builder()
//!     .base_url(&base_url)
//!     .credential(Credential::session(emu.alice().session_token.as_str()))
//!     .build()?;
//! let app = user
//!     .create_oauth_application()
//!     .body(ApplicationCreateRequest::builder().name("My bot"))
//!     .send()
//!     .await?
//!     .into_inner();
//! let bot_token = app.bot.and_then(|bot| bot.token).expect("shown on creation");
//!
//! // The bot reads its own application, on the same connection pool.
//! let bot = user.with_credential(Credential::bot(bot_token));
//! let mine = bot.get_current_user_applications().send().await?;
//! assert_eq!(mine.id, app.id);
//! # emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # "Log in with Fluxer": authorize, callback, exchange, then the token manager
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emu = fluxer_oauth2_emulator::Emulator::start().await;
//! # let base_url = emu.base_url();
//! use std::sync::Arc;
//!
//! use fluxer_oauth2::{
//!     Credential, FluxerClient,
//!     oauth::{AuthorizeUrl, ClientCredentials, RedirectUri, Scope, TokenManager, MemoryStore},
//!     types::ApplicationCreateRequest,
//! };
//!
//! let redirect = "http://127.0.0.1:8080/callback";
//! # let alice = FluxerClient::builder().base_url(&base_url)
//! #     .credential(Credential::session(emu.alice().session_token.as_str())).build()?;
//! # let app = alice.create_oauth_application()
//! #     .body(ApplicationCreateRequest::builder().name("Web app")
//! #         .redirect_uris(Some(vec![RedirectUri::parse(redirect)?])))
//! #     .send().await?.into_inner();
//! # let (client_id, client_secret) = (app.id.to_string(), app.client_secret.unwrap());
//! let app_client = FluxerClient::builder().base_url(&base_url).build()?;
//! let credentials = ClientCredentials::new(&client_id, client_secret)?;
//!
//! // 1. Send the browser to the authorize URL (state and PKCE are made for you).
//! let request = AuthorizeUrl::new(&base_url, &client_id, redirect)
//!     .scopes([Scope::Identify, Scope::Guilds])
//!     .build()?;
//! // ... the user consents; in this example the signed-in user does it through the API:
//! let callback = alice.grant_consent(&request).await?;
//!
//! // 2. On your callback, check the state and exchange the code.
//! let code = callback.verify_state(&request.state)?;
//! let tokens = app_client
//!     .exchange_code_with(&credentials, &code, request.redirect_uri.normalized(), request.pkce_verifier.as_ref())
//!     .await?;
//!
//! // 3. A token manager keeps the pair fresh, and gives typed calls that know the granted scopes.
//! let manager = TokenManager::builder(app_client.clone(), credentials, Arc::new(MemoryStore::new()), Some(tokens))
//!     .build()
//!     .await?;
//! let user = manager.client().await?;
//! let me = user.get_current_user().send().await?;
//! let guilds = user.list_current_user_guilds().with_counts(true).send().await?;
//! println!("{} is in {} guilds", me.username, guilds.len());
//! # emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Logging in
//!
//! A program gets a user session itself with [`FluxerClient::login`]: a [`login::Session`], or a
//! [`login::MfaChallenge`] to complete with a TOTP code (or secret) or WebAuthn. Wrong email and wrong
//! password are one error, as the server does not say which. Keep the session with
//! [`login::SessionFile`] rather than log in at every start. The guide's SMS second factor does not
//! exist on the server and is not offered.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emu = fluxer_oauth2_emulator::Emulator::start().await;
//! # let mona = emu.add_user(fluxer_oauth2_emulator::NewUser {
//! #     username: "mona".into(), password: Some("a-strong-password".into()), totp: true, ..Default::default() });
//! # let (email, totp_secret) = (emu.email_of(&mona), mona.totp_secret.clone().unwrap());
//! # emu.set_allow_totp_reuse(true);
//! use fluxer_oauth2::{Error, FluxerClient, login::{Login, TotpSecret}};
//!
//! let client = FluxerClient::builder().base_url(emu.base_url()).build()?;
//! assert!(matches!(client.login(&email, "not the password").await, Err(Error::InvalidLogin { .. })));
//!
//! let session = match client.login(&email, "a-strong-password").await? {
//!     Login::Session(session) => session,
//!     Login::Mfa(challenge) => {
//!         let secret = TotpSecret::new(totp_secret)?;
//! #       let code = secret.code_at(emu.clock().now_unix());
//! #       let _ = secret;
//!         challenge.complete_totp(&client, code).await?
//!     }
//! };
//! let me = client.with_credential(session.credential());
//! let sessions = me.list_auth_sessions().send().await?;
//! assert!(!sessions.is_empty());
//! me.logout().send().await?;
//! // The client knows the session has ended and refuses to send it again.
//! assert!(matches!(me.list_auth_sessions().send().await, Err(Error::SessionEnded { .. })));
//! # emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Sudo mode, and matching on errors
//!
//! Rotating a secret, resetting a bot token and deleting an application need a fresh proof of the
//! user's identity. Call without one first: the error says which methods the user can verify with.
//! Every failure is one [`Error`], whose `Display` says what happened and what to do.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let emu = fluxer_oauth2_emulator::Emulator::start().await;
//! # let nina = emu.add_user(fluxer_oauth2_emulator::NewUser {
//! #     username: "nina".into(), password: Some("a-strong-password".into()), ..Default::default() });
//! use fluxer_oauth2::{Credential, Error, FluxerClient, SudoVerification, types::ApplicationCreateRequest};
//!
//! let user = FluxerClient::builder()
//!     .base_url(emu.base_url())
//!     .credential(Credential::session(nina.session_token.as_str()))
//!     .build()?;
//! let app = user
//!     .create_oauth_application()
//!     .body(ApplicationCreateRequest::builder().name("Rotated"))
//!     .send()
//!     .await?;
//!
//! match user.reset_client_secret().id(&app.id).send().await {
//!     Err(Error::SudoRequired { has_mfa: false, .. }) => {}
//!     other => panic!("expected a sudo request, got {other:?}"),
//! }
//! let rotated = user
//!     .reset_client_secret()
//!     .id(&app.id)
//!     .sudo(&SudoVerification::password("a-strong-password"))
//!     .send()
//!     .await?;
//! assert!(rotated.client_secret.is_some());
//!
//! // Inputs are checked before sending, and a credential the operation does not take is refused.
//! let err = user.get_oauth_application().id("not-an-id").send().await.unwrap_err();
//! assert!(matches!(err, Error::InvalidInput { .. }));
//! let bot = user.with_credential(Credential::bot("1.bot-token"));
//! let err = bot.list_user_applications().send().await.unwrap_err();
//! assert!(matches!(err, Error::CredentialNotAccepted { .. }));
//! println!("{err}"); // says which credentials the operation takes
//! # emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Self-hosted instances
//!
//! [`FluxerClient::discover`] reads an instance's `/.well-known/fluxer` and configures the API base
//! and the web app's consent page from it (https only, except on this machine). Other modules:
//! [`oauth::loopback`] for desktop apps and command-line tools (RFC 8252), [`oauth::BotInvite`] and
//! [`oauth::Permissions`] to add a bot to a guild, [`FluxerClientBuilder::http_client`] to bring your
//! own `reqwest` client (a proxy, custom roots).
//!
//! # Secrets
//!
//! Every type that can hold a secret prints `[redacted]`; text the server sends is masked against
//! the request's secrets, escaped and cut before it reaches an [`Error`]; bodies are never logged.
//!
//! # Features
//!
//! - `rustls-ring` (default): TLS through rustls with `ring`. `native-tls`: the platform's TLS.
//! - `loopback` (default): [`oauth::loopback`], the browser login over a loopback redirect.
//! - `http2`: HTTP/2 when the server offers it (off by default; HTTP/1.1 serves these calls as fast).
//! - `redis`: `oauth::redis_store::RedisTokenStore`, a token store shared by replicas.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod auth;
mod call;
pub mod calls;
mod clearable;
mod client;
pub mod discovery;
mod error;
pub mod generated;
mod hooks;
mod ids;
pub mod login;
mod mask;
pub mod oauth;
mod operations;
mod random;
mod ratelimit;
mod response;
mod secret;
mod snowflake;
mod sudo;
mod validate;

pub use auth::Credential;
pub use clearable::Clearable;
pub use client::{DEFAULT_BASE_URL, FluxerClient, FluxerClientBuilder, http_client_builder};
pub use error::{
    ApiErrorCode, Cause, Error, FieldError, OAuthErrorKind, StoreFailure, SudoMethods,
    TransportKind,
};
pub use generated::types;
pub use ids::{ApplicationId, ClientId, GuildId, UserId};
pub use operations::{CredentialKind, OperationSpec};
pub use ratelimit::{RateLimitInfo, RetryPolicy};
pub use response::Response;
pub use secret::Secret;
pub use snowflake::{Snowflake, SnowflakeError};
pub use sudo::SudoVerification;

/// The HTTP method, for [`oauth::TokenManager::request_json`].
pub use http::Method;

/// The `reqwest` this crate is built on, for [`FluxerClientBuilder::http_client`]: a client made
/// from it is sure to be of the same version.
pub use reqwest;

/// The README's examples, compiled as doctests so that they stay true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
