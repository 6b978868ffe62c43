//! `RateLimitInfo::from_headers` on any header values: never a panic, every duration finite.
#![no_main]

use std::time::Duration;

use fluxer_oauth2::RateLimitInfo;
use http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 8] = [
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-reset-after",
    "x-ratelimit-bucket",
    "x-ratelimit-scope",
    "x-ratelimit-global",
    "retry-after",
];

fuzz_target!(|data: &[u8]| {
    // The input is split on 0xFF into the values of the eight headers, in order.
    let mut headers = HeaderMap::new();
    for (name, value) in NAMES.iter().zip(data.split(|b| *b == 0xff)) {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(HeaderName::from_static(name), value);
        }
    }
    if let Some(info) = RateLimitInfo::from_headers(&headers) {
        for d in [info.reset_after, info.retry_after].into_iter().flatten() {
            assert!(d < Duration::from_secs(1_000_000_000));
        }
    }
});
