//! The integration tests, one crate: each module is one capability (the modules used to be test
//! binaries of their own; one crate links the client, reqwest, axum and the emulator once).

mod common;

mod authorize;
mod bot_invite;
mod client_errors;
mod client_headers;
mod client_ratelimit;
mod client_sudo;
mod discovery;
mod e2e_applications;
mod e2e_authorizations;
mod e2e_errors;
mod e2e_oauth_flow;
mod e2e_sudo;
mod error_sources;
mod future_size;
mod hostile;
mod http_client;
mod leak_scan;
mod leak_scan_hostile;
mod login;
mod loopback;
mod pending;
mod properties;
mod redaction;
mod redis_store;
mod reliability_faults;
mod reliability_load;
mod security;
mod spec_conformance;
mod store_faults;
mod token_calls;
mod token_manager;
mod user_resources;
mod web_login_example;

/// The web login example's app code, exercised by `web_login_example`.
#[path = "../../examples/web_login/app.rs"]
mod web_login_app;
