//! The emulator clock, shared by codes, tokens, sudo tokens, TOTP and rate limits.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A controllable clock.
///
/// By default it follows real time; [`Clock::advance`] moves it forward at once (for example past
/// the end of an access token's life), and [`Clock::freeze`] stops it so that only `advance`
/// moves it. Clones share the same time.
#[derive(Clone, Debug)]
pub struct Clock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Debug)]
struct ClockState {
    /// Added to the base instant, in milliseconds.
    offset_ms: i64,
    /// When frozen: the real instant (ms) the clock stopped at.
    frozen_at_ms: Option<i64>,
}

fn real_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Clock {
    /// Creates a clock that starts at `start_unix` (seconds; real now when `None`).
    pub(crate) fn new(start_unix: Option<u64>, follow_real_time: bool) -> Self {
        let real = real_ms();
        let offset_ms = start_unix.map_or(0, |s| s as i64 * 1000 - real);
        let frozen_at_ms = (!follow_real_time).then_some(real);
        Clock {
            inner: Arc::new(Mutex::new(ClockState {
                offset_ms,
                frozen_at_ms,
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current emulated time in milliseconds since the Unix epoch.
    pub fn now_millis(&self) -> u64 {
        let s = self.state();
        let base = s.frozen_at_ms.unwrap_or_else(real_ms);
        (base + s.offset_ms).max(0) as u64
    }

    /// The current emulated time in whole seconds since the Unix epoch.
    pub fn now_unix(&self) -> u64 {
        self.now_millis() / 1000
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut s = self.state();
        s.offset_ms = s.offset_ms.saturating_add(by.as_millis() as i64);
    }

    /// Stops the clock at its current instant: from now on only [`Clock::advance`] moves it.
    pub fn freeze(&self) {
        let mut s = self.state();
        if s.frozen_at_ms.is_none() {
            s.frozen_at_ms = Some(real_ms());
        }
    }

    /// Lets the clock follow real time again, continuing from its current instant.
    pub fn follow_real_time(&self) {
        let mut s = self.state();
        if let Some(frozen) = s.frozen_at_ms.take() {
            let now = frozen + s.offset_ms;
            s.offset_ms = now - real_ms();
        }
    }

    /// Whether the clock currently follows real time.
    pub fn is_following_real_time(&self) -> bool {
        self.state().frozen_at_ms.is_none()
    }
}
