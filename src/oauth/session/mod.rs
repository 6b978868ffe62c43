//! [`TokenManager`]: a user's OAuth2 token pair kept valid for calls made on the user's behalf,
//! refreshed ahead of expiry once (however many callers ask at once), saved to a shared
//! [`TokenStore`] before a new access token is handed out, and coordinated with the other processes
//! that share the store.
//!
//! Fluxer access tokens last 7 days; refresh tokens are strictly single-use (the old one answers
//! `invalid_grant` after a successful refresh, with no grace window), and `invalid_grant` on a
//! refresh means the user must authorize the application again. The manager is built around those
//! facts:
//!
//! - **One refresh per pair.** In one process, concurrent callers share one refresh (single flight);
//!   across processes, the store's lease and its version check (see [`TokenStore`]) let only one
//!   replica spend the refresh token, and the others adopt the pair it saved.
//! - **Nothing is lost.** The new pair is saved before its access token is handed out. If the save
//!   fails, the caller gets [`Error::Store`], the new pair stays in memory, and the next call saves
//!   it before doing anything else: the spent refresh token is never sent again. The refresh runs in
//!   its own task, so a caller that gives up (a timeout, a dropped request) cannot drop a pair the
//!   server already issued.
//! - **A refused refresh token is final.** After `invalid_grant` the manager checks the store once
//!   (another replica may have refreshed); if the store has nothing newer, every call returns
//!   [`Error::ReauthorizationRequired`] at once, without traffic, until [`TokenManager::replace`]
//!   or [`TokenManager::reload`] brings a new pair.
//!
//! The module is in three parts: [`manager`] is the public face (the builder and the calls),
//! [`refresh`] the protocol behind it, and [`state`] what callers read, with the health of the
//! refresh token.
//!
//! [`TokenStore`]: crate::oauth::TokenStore
//! [`Error::Store`]: crate::Error::Store
//! [`Error::ReauthorizationRequired`]: crate::Error::ReauthorizationRequired

mod manager;
mod refresh;
mod state;
#[cfg(test)]
mod tests;

pub use manager::{DEFAULT_LEASE_TTL, DEFAULT_REFRESH_MARGIN, TokenManager, TokenManagerBuilder};
