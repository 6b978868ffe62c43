//! A token endpoint answer, as JSON bytes, into a `TokenSet`: never a panic, whatever
//! `expires_in` says; the expiry is never before the time of receipt.
#![no_main]

use std::time::{Duration, SystemTime};

use fluxer_oauth2::{oauth::TokenSet, types};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(response) = serde_json::from_slice::<types::OAuth2TokenResponse>(data) else {
        return;
    };
    let now = SystemTime::now();
    let set = TokenSet::from_response(response, now);
    assert!(set.expires_at >= now);
    let _ = set.expires_within(Duration::from_secs(60), now);
    let _ = set.has_scope("identify");
    let shown = format!("{set:?}");
    assert!(shown.contains("[redacted]"));
});
