//! The state shared by the server tasks and the [`crate::Emulator`] handle.

use std::sync::{Mutex, MutexGuard};

use crate::clock::Clock;
use crate::config::{EmulatorConfig, RateLimitConfig};
use crate::faults::FaultRule;
use crate::observe::Observer;
use crate::ratelimit::Limiter;
use crate::store::Store;

/// Settings that tests may change while the emulator runs.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub web_app_base: String,
    pub access_ms: u64,
    pub refresh_ms: u64,
    pub code_ms: u64,
    pub sudo_secs: u64,
    pub rate_limits: Option<RateLimitConfig>,
    pub captcha_required: bool,
    pub allow_totp_reuse: bool,
    pub rate_limits_need_test_header: bool,
    pub mfa_ticket_ms: u64,
    /// `http://host:port`, known once the server is bound.
    pub origin: String,
    /// The API base the discovery document advertises.
    pub advertised_api: String,
    pub discovery_oauth2_block: bool,
}

impl Settings {
    pub(crate) fn from_config(c: &EmulatorConfig) -> Self {
        Settings {
            web_app_base: c.web_app_base.trim_end_matches('/').to_owned(),
            access_ms: c.access_token_lifetime.as_millis() as u64,
            refresh_ms: c.refresh_token_lifetime.as_millis() as u64,
            code_ms: c.code_lifetime.as_millis() as u64,
            sudo_secs: c.sudo_token_lifetime.as_secs(),
            rate_limits: c.rate_limits.clone(),
            captcha_required: c.captcha_required,
            allow_totp_reuse: c.allow_totp_reuse,
            rate_limits_need_test_header: c.rate_limits_need_test_header,
            mfa_ticket_ms: c.mfa_ticket_lifetime.as_millis() as u64,
            origin: String::new(),
            advertised_api: c.advertised_api_base.clone().unwrap_or_default(),
            discovery_oauth2_block: c.discovery_oauth2_block,
        }
    }
}

/// Everything behind the emulator, reference-counted.
#[derive(Debug)]
pub(crate) struct Inner {
    pub clock: Clock,
    pub store: Mutex<Store>,
    pub settings: Mutex<Settings>,
    pub limiter: Mutex<Limiter>,
    pub faults: Mutex<Vec<FaultRule>>,
    pub observer: Observer,
    /// HMAC key of sudo tokens.
    pub jwt_key: [u8; 32],
}

/// Locks a mutex, ignoring poisoning (a panicking test must not break the others).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Inner {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }

    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now_millis()
    }
}
