//! A typed client for the Fluxer OAuth2 API.
#![doc = include_str!("../README.md")]
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
mod mask;
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
pub use client::{DEFAULT_BASE_URL, FluxerClient, FluxerClientBuilder, http_client_builder};
pub use error::{ApiErrorCode, Error, FieldError, OAuthErrorKind, SudoMethods, TransportKind};
pub use generated::types;
pub use hooks::ClientState;
pub use operations::{CredentialKind, OperationSpec};
pub use ratelimit::{RateLimitInfo, RetryPolicy};
pub use response::Response;
pub use secret::Secret;
pub use snowflake::{Snowflake, SnowflakeError};
pub use sudo::SudoVerification;

/// The `reqwest` this crate is built on, for [`FluxerClientBuilder::http_client`]: a client made
/// from it is sure to be of the same version.
pub use reqwest;
