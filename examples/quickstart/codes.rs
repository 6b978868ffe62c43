//! TOTP codes from a secret, each used once.
//!
//! A server takes each code once (production Fluxer refuses a code a second time; the emulator does
//! too), so a login and a sudo check in the same 30-second step cannot share one. `fresh` waits for
//! the next step when the current one was used: against the emulator by moving its clock, against a
//! server by sleeping.

use std::{
    sync::Mutex,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use fluxer_oauth2::{Secret, login::TotpSecret};

use crate::report::Report;

const STEP_MS: u64 = 30_000;

/// Whose time the codes follow.
pub enum TotpClock {
    /// The machine's clock (a real server).
    System,
    /// The emulator's clock, which can be moved forward instead of waited for.
    Emulator(fluxer_oauth2_emulator::Clock),
}

/// A TOTP secret and the last step a code was made for.
pub struct TotpCodes {
    secret: TotpSecret,
    clock: TotpClock,
    last_step: Mutex<Option<u64>>,
}

impl TotpCodes {
    pub fn new(secret: TotpSecret, clock: TotpClock) -> Self {
        Self {
            secret,
            clock,
            last_step: Mutex::new(None),
        }
    }

    fn now_ms(&self) -> u64 {
        match &self.clock {
            TotpClock::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64),
            TotpClock::Emulator(clock) => clock.now_millis(),
        }
    }

    /// A code of a step no earlier code came from.
    pub async fn fresh(&self, r: &Report) -> Secret {
        let last = *self.last_step.lock().unwrap();
        let mut now = self.now_ms();
        if last.is_some_and(|last| now / STEP_MS <= last) {
            let next = (now / STEP_MS + 1) * STEP_MS;
            let wait = Duration::from_millis(next - now + 250);
            match &self.clock {
                TotpClock::System => {
                    r.note(format!(
                        "waiting {}s for the next TOTP code (each code is taken once)",
                        wait.as_secs_f32().ceil()
                    ));
                    tokio::time::sleep(wait).await;
                }
                TotpClock::Emulator(clock) => {
                    r.note(format!(
                        "moving the emulator's clock {}s on, to the next TOTP code (each code is taken once)",
                        wait.as_secs_f32().ceil()
                    ));
                    clock.advance(wait);
                }
            }
            now = self.now_ms();
        }
        *self.last_step.lock().unwrap() = Some(now / STEP_MS);
        Secret::new(self.secret.code_at(now / 1000))
    }
}
