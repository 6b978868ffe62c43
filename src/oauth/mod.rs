//! The OAuth2 authorization-code flow: the authorize URL, the callback and consent, the token
//! endpoint calls, the token manager and its stores, and bot invites. Every type has one path,
//! `fluxer_oauth2::oauth::Type`; only the feature-gated [`loopback`] and `redis_store` are modules of
//! their own.

mod authorize;
mod bearer;
mod bot;
mod callback;
mod clock;
mod consent;
mod file_store;
#[cfg(feature = "loopback")]
#[cfg_attr(docsrs, doc(cfg(feature = "loopback")))]
pub mod loopback;
mod pending;
mod pkce;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis_store;
mod scope;
mod session;
pub(crate) mod store;
mod token;

pub use authorize::{
    AuthorizeError, AuthorizeRequest, AuthorizeUrl, CsrfState, Prompt, RedirectUri, UrlError,
};
pub use bot::{BotInvite, BotInviteRequest, Permissions, PermissionsError};
pub use callback::{Callback, CallbackError, OAuthCallbackError};
pub use clock::{Clock, ManualClock, SystemClock};
pub use consent::consent_request;
pub use file_store::FileStore;
pub use pending::PendingAuthorization;
pub use pkce::{PkceChallenge, PkceError, PkceMethod, PkceVerifier};
pub use scope::{Scope, ScopeError, Scopes};
pub use session::{DEFAULT_LEASE_TTL, DEFAULT_REFRESH_MARGIN, TokenManager, TokenManagerBuilder};
pub use store::{
    BoxFuture, MemoryStore, RefreshLease, SaveOutcome, StoreError, StoredTokens, TokenStore,
};
pub use token::{ClientAuth, ClientCredentials, MAX_TOKEN_LIFETIME, TokenKind, TokenSet};
