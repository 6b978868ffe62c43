//! `Secret`: the one type that holds tokens, client secrets, passwords and codes, so that none of them
//! can be printed by accident.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// A secret string: a token, a client secret, a password, an MFA code, an authorization code.
///
/// - `Debug` prints `[redacted]`; there is no `Display`, so `format!("{}", secret)` does not compile.
/// - The value is read only through [`Secret::expose_secret`], which makes every use visible in review.
/// - The memory is zeroed when the secret is dropped.
/// - Equality is checked in constant time.
///
/// ```
/// use fluxer_oauth2::Secret;
///
/// let token = Secret::new("flx_abc");
/// assert_eq!(format!("{token:?}"), "[redacted]");
/// assert_eq!(token.expose_secret(), "flx_abc");
/// ```
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Use it only to send it where it belongs.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// The length of the value in bytes, which is not secret.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}
