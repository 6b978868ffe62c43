//! The client and types that build.rs generates from `openapi/fluxer-oauth2.yaml`. Nothing hand-written
//! lives here: change the spec or the generator settings instead.
#![allow(
    missing_docs,
    clippy::all,
    clippy::pedantic,
    unused_imports,
    unused_mut,
    rustdoc::all,
    mismatched_lifetime_syntaxes
)]

use crate::operations::{CredentialKind, OperationSpec};

include!(concat!(env!("OUT_DIR"), "/codegen.rs"));
include!(concat!(env!("OUT_DIR"), "/operations.rs"));
include!(concat!(env!("OUT_DIR"), "/checks.rs"));
