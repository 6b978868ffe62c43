//! `Callback::parse` and `Callback::finish` on any text: never a panic; a released code only for
//! the state the callback carried.
#![no_main]

use fluxer_oauth2::oauth::{Callback, CallbackError, CsrfState};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let _ = Callback::finish(&input, &CsrfState::new("expected-state"));
    let Ok(callback) = Callback::parse(&input) else {
        return;
    };
    // The state the input carries, read independently of the crate's parser.
    let query = input.trim().split('#').next().unwrap_or("");
    let query = query.split_once('?').map_or(query, |(_, q)| q);
    let state = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    match callback.verify_state(&CsrfState::new(state.clone())) {
        Ok(code) => assert!(!code.is_empty() && !state.is_empty()),
        Err(CallbackError::StateMissing | CallbackError::StateMismatch) => {}
        Err(other) => panic!("verify_state gave {other:?}"),
    }
});
