//! Helpers shared by the integration tests:
//!
//! - [`emulator`]: clients aimed at the in-process emulator, applications with their secrets, the
//!   authorization-code flow through the crate's public API, and the request log;
//! - [`wire`]: the tests against a wiremock server: the credentials the recorded bodies are filled
//!   with, the recorded bodies, clients aimed at the mock and the requests it received;
//! - [`echo`]: a server that echoes every request into its error answers, for the leak scans;
//! - [`raw_server`]: TCP servers on the loopback range scripted by hand, for faults no server
//!   produces and to see exactly which bytes the client sends;
//!
//! and here: time bounds, the heavy switch, and checks of error variants.
#![allow(dead_code)]

pub mod echo;
pub mod emulator;
pub mod raw_server;
pub mod wire;

use std::{
    fmt::Debug,
    future::Future,
    sync::{Mutex, MutexGuard},
    time::Duration,
};

use fluxer_oauth2::{ApiErrorCode, Error};

/// The longest a test run through [`bounded`] may take.
pub const TEST_LIMIT: Duration = Duration::from_secs(20);

/// Runs a test body, failing it when it takes longer than [`TEST_LIMIT`].
pub async fn bounded<F: Future>(body: F) -> F::Output {
    bounded_by(TEST_LIMIT, body).await
}

/// Runs a test body, failing it when it takes longer than `limit`.
pub async fn bounded_by<F: Future>(limit: Duration, body: F) -> F::Output {
    tokio::time::timeout(limit, body)
        .await
        .unwrap_or_else(|_| panic!("the test ran over its time limit of {limit:?}"))
}

/// Whether the heavier variants run (`FLUXER_HEAVY=1`).
pub fn heavy() -> bool {
    std::env::var("FLUXER_HEAVY").is_ok_and(|v| v == "1")
}

/// Locks a mutex, ignoring poisoning (a failed assertion elsewhere must not hide the real error).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `err` is `Error::Api` with this status and code.
pub fn assert_api(err: &Error, status: u16, code: ApiErrorCode) {
    match err {
        Error::Api {
            status: s, code: c, ..
        } => assert_eq!((*s, c), (status, &code), "unexpected API error: {err}"),
        other => panic!("expected Error::Api {status} {code}, got {other:?}"),
    }
}

/// `err` is `Error::InvalidInput`.
pub fn assert_invalid_input(err: &Error) {
    assert!(
        matches!(err, Error::InvalidInput { .. }),
        "expected Error::InvalidInput, got {err:?}"
    );
}

/// The call was refused because the client's credential is not one the operation takes.
pub fn assert_not_accepted<T: Debug>(result: Result<T, Error>) {
    let err = result.unwrap_err();
    assert!(
        matches!(err, Error::CredentialNotAccepted { .. }),
        "{err:?}"
    );
}

/// `err` is `Error::MissingScope` of `operation`, naming `scope`, with status 403.
pub fn assert_missing_scope(err: &Error, operation: &str, scope: &str) {
    match err {
        Error::MissingScope {
            operation: op,
            scope: s,
        } => {
            assert_eq!(*op, operation);
            assert_eq!(s, scope);
        }
        other => panic!("expected MissingScope, got {other:?}"),
    }
    assert_eq!(err.status(), Some(403));
}
