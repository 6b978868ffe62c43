//! The OAuth2 authorization-code flow: the authorize URL, the callback, and the token endpoint calls.

pub mod authorize;
mod bearer;
pub mod bot;
pub mod callback;
pub mod clock;
pub mod consent;
pub mod file_store;
#[cfg(feature = "loopback")]
#[cfg_attr(docsrs, doc(cfg(feature = "loopback")))]
pub mod loopback;
pub mod pkce;
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub mod redis_store;
pub mod scope;
pub mod session;
pub mod store;
pub mod token;

pub use authorize::{
    AuthorizeError, AuthorizeRequest, AuthorizeUrl, CsrfState, Prompt, RedirectUri, UrlError,
};
pub use bot::{BotInvite, BotInviteRequest, Permissions, PermissionsError};
pub use callback::{Callback, CallbackError, OAuthCallbackError};
pub use pkce::{PkceChallenge, PkceError, PkceMethod, PkceVerifier};
pub use scope::{Scope, ScopeError, Scopes};
pub use token::{ClientAuth, ClientCredentials, TokenKind, TokenSet};
