//! An in-memory emulator of the Fluxer OAuth2 API, for tests that must run offline.
//!
//! The emulator is an HTTP server on `127.0.0.1` that answers the OAuth2 part of the Fluxer API
//! (application management, consent, token exchange, refresh, introspection, revocation,
//! user info, authorizations and sudo mode), login and sessions, the user resources OAuth2
//! scopes open (`/users/@me`, guilds, connections), adding bots to guilds and instance discovery,
//! the way the real server does: same status codes, same
//! error bodies, same content types and the same quirks. Everything lives in memory and vanishes
//! when the emulator stops.
//!
//! ```no_run
//! # async fn demo() {
//! use fluxer_oauth2_emulator::Emulator;
//!
//! let emu = Emulator::start().await;
//! let alice = emu.alice();
//! println!("{} as {}", emu.base_url(), alice.session_token);
//! emu.shutdown().await;
//! # }
//! ```
//!
//! Tests drive it through the Rust API: a controllable [`Clock`], switchable rate limits
//! ([`RateLimitConfig`]), fault injection ([`Fault`]) and a log of the requests it received
//! ([`RecordedRequest`]).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod config;
mod emulator;
mod faults;
mod guilds;
mod http;
mod ids;
mod jwt;
mod observe;
mod ratelimit;
mod server;
mod sessions;
mod shared;
mod store;
mod time_fmt;
mod totp;
mod users;

pub use clock::Clock;
pub use config::{BuiltinApplication, EmulatorConfig, RateLimitConfig, RouteLimit};
pub use emulator::{BUILTIN_APPLICATION_ID, Emulator};
pub use faults::{Fault, FaultRule};
pub use observe::RecordedRequest;
pub use sessions::session_id_hash;
pub use totp::totp_code;
pub use users::{Connection, NewUser, SeededUser};
