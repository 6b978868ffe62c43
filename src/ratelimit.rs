//! Rate limits: reading the server's `X-RateLimit-*` headers and the retry budget for 429 answers.

use std::time::Duration;

use reqwest::header::HeaderMap;

/// The rate-limit headers of one answer. Success answers carry them only for bot callers on routes with
/// a route limit; 429 answers always carry `Retry-After`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RateLimitInfo {
    /// `X-RateLimit-Limit`: requests allowed per window.
    pub limit: Option<u64>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<u64>,
    /// `X-RateLimit-Reset`: when the bucket is full again, in Unix seconds.
    pub reset: Option<f64>,
    /// `X-RateLimit-Reset-After`: seconds until the bucket is full again (not the wait for one request).
    pub reset_after: Option<Duration>,
    /// `X-RateLimit-Bucket`.
    pub bucket: Option<String>,
    /// `X-RateLimit-Scope`: `global`, `shared` or `user`.
    pub scope: Option<String>,
    /// `X-RateLimit-Global: true`.
    pub global: bool,
    /// `Retry-After`, whole seconds rounded up.
    pub retry_after: Option<Duration>,
    /// `Retry-After` as sent (at most 32 characters), also when it is not a usable number.
    pub retry_after_raw: Option<String>,
}

impl RateLimitInfo {
    /// Reads the headers; `None` when the answer carries none of them.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Option<Self> {
        // Most answers carry none: skip the lookups.
        let any = headers
            .keys()
            .any(|k| k.as_str().starts_with("x-ratelimit-") || k == reqwest::header::RETRY_AFTER);
        if !any {
            return None;
        }
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let number = |name: &str| text(name).and_then(|v| v.parse::<f64>().ok());
        let seconds = |name: &str| number(name).and_then(duration_from_secs);
        let info = Self {
            limit: text("x-ratelimit-limit").and_then(|v| v.parse().ok()),
            remaining: text("x-ratelimit-remaining").and_then(|v| v.parse().ok()),
            reset: number("x-ratelimit-reset"),
            reset_after: seconds("x-ratelimit-reset-after"),
            bucket: text("x-ratelimit-bucket").map(str::to_owned),
            scope: text("x-ratelimit-scope").map(str::to_owned),
            global: text("x-ratelimit-global").is_some_and(|v| v.eq_ignore_ascii_case("true")),
            retry_after: seconds("retry-after"),
            retry_after_raw: text("retry-after").map(|v| v.chars().take(32).collect()),
        };
        (info != Self::default()).then_some(info)
    }
}

/// A duration from a decimal number of seconds; `None` for negative, NaN or absurd values.
pub(crate) fn duration_from_secs(secs: f64) -> Option<Duration> {
    (secs.is_finite() && (0.0..1e9).contains(&secs)).then(|| Duration::from_secs_f64(secs))
}

/// How the client retries a 429 answer (and a connection that could not be opened, since then nothing
/// was sent). Other failures are never retried: a request that reached the server may have spent a
/// single-use authorization code or refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The most the client waits in total across retries of one call; a longer wait returns
    /// [`crate::Error::RateLimited`] at once.
    pub max_total_wait: Duration,
}

impl RetryPolicy {
    /// Never retry.
    pub const NONE: Self = Self {
        max_retries: 0,
        max_total_wait: Duration::ZERO,
    };
}

impl Default for RetryPolicy {
    /// Up to 3 retries, waiting at most 10 s in total.
    fn default() -> Self {
        Self {
            max_retries: 3,
            max_total_wait: Duration::from_secs(10),
        }
    }
}
