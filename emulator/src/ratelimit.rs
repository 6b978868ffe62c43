//! Leaky-bucket rate limiting on the emulator clock, and the headers it produces.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::config::RouteLimit;

/// One bucket's fill level.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    level: f64,
    last_ms: u64,
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Verdict {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until one more request fits (only meaningful when refused).
    pub retry_after: f64,
    /// Seconds until the bucket is empty again.
    pub reset_after: f64,
}

/// All buckets, keyed by bucket name plus caller.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    buckets: HashMap<String, Bucket>,
}

impl Limiter {
    /// Counts one request against `key` if it fits.
    pub(crate) fn hit(&mut self, key: &str, limit: RouteLimit, now_ms: u64) -> Verdict {
        let window_ms = limit.window.as_millis().max(1) as f64;
        let cap = limit.limit.max(1) as f64;
        let rate = cap / window_ms; // requests drained per millisecond
        let b = self.buckets.entry(key.to_owned()).or_insert(Bucket {
            level: 0.0,
            last_ms: now_ms,
        });
        let elapsed = now_ms.saturating_sub(b.last_ms) as f64;
        b.level = (b.level - elapsed * rate).max(0.0);
        b.last_ms = now_ms.max(b.last_ms);
        let allowed = b.level + 1.0 <= cap + 1e-9;
        let retry_after = if allowed {
            0.0
        } else {
            (b.level + 1.0 - cap) / rate / 1000.0
        };
        if allowed {
            b.level += 1.0;
        }
        Verdict {
            allowed,
            limit: limit.limit,
            remaining: (cap - b.level).max(0.0).floor() as u32,
            retry_after,
            reset_after: b.level / rate / 1000.0,
        }
    }

    /// Forgets every bucket.
    pub(crate) fn clear(&mut self) {
        self.buckets.clear();
    }
}

/// The 16-hex-character bucket id sent in `x-ratelimit-bucket`.
pub(crate) fn bucket_hash(name: &str) -> String {
    let d = Sha256::digest(name.as_bytes());
    d[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Seconds rounded to three decimals, as sent in bodies and `reset-after`.
pub(crate) fn round3(secs: f64) -> f64 {
    (secs * 1000.0).ceil() / 1000.0
}

/// The `retry-after` header value: whole seconds, rounded up, at least 1.
pub(crate) fn retry_after_header(secs: f64) -> u64 {
    (secs.ceil() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_fills_and_leaks() {
        let mut l = Limiter::default();
        let lim = RouteLimit::new(2, Duration::from_secs(60));
        assert!(l.hit("k", lim, 0).allowed);
        let v = l.hit("k", lim, 0);
        assert!(v.allowed);
        assert_eq!(v.remaining, 0);
        let v = l.hit("k", lim, 0);
        assert!(!v.allowed);
        assert!((v.retry_after - 30.0).abs() < 1e-6);
        assert!((v.reset_after - 60.0).abs() < 1e-6);
        assert!(l.hit("k", lim, 30_000).allowed);
        assert_eq!(bucket_hash("oauth:token").len(), 16);
    }
}
