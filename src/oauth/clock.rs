//! The time a [`crate::oauth::TokenManager`] reads to decide whether an access token is
//! about to expire: the system clock in production, a [`ManualClock`] in tests.

use std::{
    fmt::Debug,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

/// A source of the current wall-clock time.
///
/// Token expiry is absolute (`TokenSet::expires_at`), so the clock is a [`SystemTime`], not an
/// `Instant`.
pub trait Clock: Send + Sync + Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock ([`SystemTime::now`]); the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that moves only when told to, for tests. Clones share the same time.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use fluxer_oauth2::oauth::{Clock, ManualClock};
///
/// let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
/// let clock = ManualClock::new(start);
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(shared.now(), start + Duration::from_secs(60));
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<Mutex<SystemTime>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: SystemTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// A clock stopped at the current system time.
    pub fn starting_now() -> Self {
        Self::new(SystemTime::now())
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock to a time (earlier or later).
    pub fn set(&self, to: SystemTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::starting_now()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}
