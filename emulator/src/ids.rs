//! Identifiers and secrets: snowflakes, session tokens, client secrets, codes, discriminators.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use rand::distr::Alphanumeric;

/// The first snowflake handed out, close to the ids a real instance produces.
const SNOWFLAKE_START: u64 = 1_574_449_618_584_862_720;
/// The distance between two consecutive snowflakes.
const SNOWFLAKE_STEP: u64 = 4_194_305;

/// Hands out increasing snowflake ids.
#[derive(Debug)]
pub(crate) struct SnowflakeGen {
    next: u64,
}

impl SnowflakeGen {
    pub(crate) fn new() -> Self {
        SnowflakeGen {
            next: SNOWFLAKE_START,
        }
    }

    /// The next id, as the decimal string the API uses.
    pub(crate) fn next_id(&mut self) -> String {
        let id = self.next;
        self.next += SNOWFLAKE_STEP;
        id.to_string()
    }
}

/// 32 random bytes in unpadded base64url: 43 characters.
pub(crate) fn secret43() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A session token: `flx_` followed by 36 alphanumerics.
pub(crate) fn session_token() -> String {
    let tail: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(36)
        .map(char::from)
        .collect();
    format!("flx_{tail}")
}

/// A random four-digit discriminator, `0001` to `9999`.
pub(crate) fn discriminator() -> String {
    format!("{:04}", rand::rng().random_range(1..=9999))
}

/// A backup code in the `xxxx-xxxx` form.
pub(crate) fn backup_code() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let mut pick = || CHARS[rng.random_range(0..CHARS.len())] as char;
    let a: String = (0..4).map(|_| pick()).collect();
    let b: String = (0..4).map(|_| pick()).collect();
    format!("{a}-{b}")
}

/// Whether `t` has the shape of a session token (`^flx_[A-Za-z0-9]{36}$`).
pub(crate) fn looks_like_session_token(t: &str) -> bool {
    t.strip_prefix("flx_")
        .is_some_and(|rest| rest.len() == 36 && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// An MFA login ticket: 64 random alphanumerics.
pub(crate) fn ticket() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(64)
        .map(char::from)
        .collect()
}
