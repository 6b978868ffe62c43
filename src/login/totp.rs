//! `TotpSecret`: an authenticator app's shared secret, and the codes it makes (RFC 6238 through
//! `totp-lite`), for logging in and for sudo mode without a person typing the code.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Error, Secret};

/// A TOTP secret as authenticator apps show it (RFC 4648 base32; case, spaces and `=` padding are
/// ignored). Its `Debug` prints `[redacted]`.
///
/// ```
/// use fluxer_oauth2::login::TotpSecret;
///
/// // The RFC 6238 test key ("12345678901234567890"), as base32.
/// let secret = TotpSecret::new("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
/// assert_eq!(secret.code_at(59), "287082");
/// assert!(!format!("{secret:?}").contains("GEZD"));
/// assert!(TotpSecret::new("not base32!").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpSecret {
    key: Secret,
}

/// The length of a step, in seconds.
const STEP_SECS: u64 = 30;

impl TotpSecret {
    /// Reads a base32 secret.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when it is empty or not base32 (the message never quotes it).
    pub fn new(base32: impl Into<Secret>) -> Result<Self, Error> {
        let text: Secret = base32.into();
        let cleaned: String = text
            .expose_secret()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let refuse = |why: &str| Error::InvalidInput {
            operation: "TotpSecret::new",
            message: format!(
                "the TOTP secret {why}: give it as the authenticator app shows it (base32)"
            ),
        };
        if cleaned.is_empty() {
            return Err(refuse("is empty"));
        }
        let key = data_encoding::BASE32_NOPAD
            .decode(cleaned.as_bytes())
            .map_err(|_| refuse("is not base32"))?;
        // The raw key is kept as text of hex digits inside a `Secret`, so it is zeroed on drop.
        let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            key: Secret::new(hex),
        })
    }

    fn key_bytes(&self) -> Vec<u8> {
        let hex = self.key.expose_secret().as_bytes();
        hex.chunks(2)
            .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
            .collect()
    }

    /// The 6-digit code for a moment, in Unix seconds.
    pub fn code_at(&self, unix_secs: u64) -> String {
        totp_lite::totp_custom::<totp_lite::Sha1>(STEP_SECS, 6, &self.key_bytes(), unix_secs)
    }

    /// The code for now.
    pub fn code_now(&self) -> Secret {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Secret::new(self.code_at(now))
    }
}
