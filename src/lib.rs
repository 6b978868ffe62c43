//! A typed client for the Fluxer OAuth2 API.
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod auth;
mod call;
pub mod calls;
mod clearable;
mod client;
mod error;
pub mod generated;
mod hooks;
pub mod login;
pub mod oauth;
mod operations;
mod ratelimit;
mod response;
mod secret;
mod snowflake;
mod sudo;
mod validate;

pub use auth::Credential;
pub use clearable::Clearable;
pub use client::{DEFAULT_BASE_URL, FluxerClient, FluxerClientBuilder};
pub use error::{ApiErrorCode, Error, FieldError, OAuthErrorKind, SudoMethods, TransportKind};
pub use generated::types;
pub use hooks::ClientState;
pub use operations::{CredentialKind, OperationSpec};
pub use ratelimit::{RateLimitInfo, RetryPolicy};
pub use response::Response;
pub use secret::Secret;
pub use snowflake::{Snowflake, SnowflakeError};
pub use sudo::SudoVerification;
