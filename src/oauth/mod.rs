//! The OAuth2 authorization-code flow: the authorize URL, the callback, and the token endpoint calls.

pub mod authorize;
pub mod callback;
pub mod pkce;
pub mod scope;
pub mod token;
