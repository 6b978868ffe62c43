//! A typed client for the Fluxer OAuth2 API.

mod clearable;
pub mod generated;
mod hooks;
pub mod oauth;
mod operations;
mod secret;

pub use clearable::Clearable;
pub use generated::types;
pub use operations::{CredentialKind, OperationSpec};
pub use secret::Secret;
