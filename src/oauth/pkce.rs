//! PKCE (RFC 7636): a one-time verifier that binds an authorization code to the app that asked for
//! it, so that a stolen code is useless without the verifier kept in the app's session.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::{Secret, random::random_token};

/// How the challenge is derived from the verifier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PkceMethod {
    /// `S256`: the challenge is `base64url(sha256(verifier))` without padding. Use this.
    #[default]
    S256,
    /// `plain`: the challenge is the verifier itself. The server accepts it, but it protects
    /// nothing if the authorize URL leaks; it exists for clients that cannot hash.
    Plain,
}

impl PkceMethod {
    /// The method's name on the wire (`code_challenge_method`).
    pub fn as_str(self) -> &'static str {
        match self {
            PkceMethod::S256 => "S256",
            PkceMethod::Plain => "plain",
        }
    }
}

impl fmt::Display for PkceMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a given string is not a valid PKCE verifier. Neither variant carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PkceError {
    /// RFC 7636 requires 43 to 128 characters.
    #[error(
        "the PKCE code verifier is {len} characters long; RFC 7636 requires 43 to 128 \
         (use PkceVerifier::generate to get a valid one)"
    )]
    InvalidLength {
        /// The length that was given.
        len: usize,
    },
    /// RFC 7636 allows only `A-Z a-z 0-9 - . _ ~`.
    #[error(
        "the PKCE code verifier contains a character outside A-Z a-z 0-9 - . _ ~ \
         (use PkceVerifier::generate to get a valid one)"
    )]
    InvalidCharacter,
}

/// A PKCE code verifier: the secret half of PKCE, sent only to the token endpoint.
///
/// It is not `Clone`, so that one verifier serves one authorization; `Debug` prints it redacted and
/// its memory is zeroed on drop.
///
/// ```
/// use fluxer_oauth2::oauth::{PkceMethod, PkceVerifier};
///
/// let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
/// let challenge = verifier.challenge(PkceMethod::S256);
/// assert_eq!(challenge.value, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// assert_eq!(format!("{verifier:?}"), "PkceVerifier([redacted])");
///
/// let fresh = PkceVerifier::generate();
/// assert_eq!(fresh.expose_secret().len(), 43);
/// ```
pub struct PkceVerifier(Secret);

impl PkceVerifier {
    /// A fresh verifier: 32 bytes from a CSPRNG seeded by the operating system, base64url without padding
    /// (43 characters, 256 bits of entropy).
    pub fn generate() -> Self {
        Self(Secret::new(random_token()))
    }

    /// Wraps a verifier the app already has (for example one restored from its session store).
    ///
    /// # Errors
    /// [`PkceError`] unless the value is 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`.
    pub fn new(value: impl Into<String>) -> Result<Self, PkceError> {
        // Wrapped first, so that a refused value is zeroed too.
        let secret = Secret::new(value);
        let raw = secret.expose_secret();
        if !(43..=128).contains(&raw.len()) {
            // Bytes and characters agree once every byte is ASCII; count characters for the
            // message in case it is not.
            return Err(PkceError::InvalidLength {
                len: raw.chars().count(),
            });
        }
        if !raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
        {
            return Err(PkceError::InvalidCharacter);
        }
        Ok(Self(secret))
    }

    /// The verifier, to send as `code_verifier` in the token exchange.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// Gives up the verifier as a [`Secret`], for a token-exchange request that takes one.
    pub fn into_secret(self) -> Secret {
        self.0
    }

    /// The challenge to send in the authorize URL.
    pub fn challenge(&self, method: PkceMethod) -> PkceChallenge {
        let value = match method {
            PkceMethod::S256 => {
                URL_SAFE_NO_PAD.encode(Sha256::digest(self.0.expose_secret().as_bytes()))
            }
            PkceMethod::Plain => self.0.expose_secret().to_owned(),
        };
        PkceChallenge { value, method }
    }
}

impl fmt::Debug for PkceVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceVerifier([redacted])")
    }
}

/// The public half of PKCE: `code_challenge` and `code_challenge_method` in the authorize URL.
///
/// With [`PkceMethod::Plain`] the value *is* the verifier, so `Debug` redacts it in that case.
#[derive(Clone, PartialEq, Eq)]
pub struct PkceChallenge {
    /// `code_challenge`.
    pub value: String,
    /// `code_challenge_method`.
    pub method: PkceMethod,
}

impl fmt::Debug for PkceChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("PkceChallenge");
        match self.method {
            PkceMethod::S256 => d.field("value", &self.value),
            PkceMethod::Plain => d.field("value", &format_args!("[redacted]")),
        };
        d.field("method", &self.method).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_verifiers_are_valid_and_distinct() {
        let a = PkceVerifier::generate();
        let b = PkceVerifier::generate();
        assert!(PkceVerifier::new(a.expose_secret()).is_ok());
        assert_ne!(a.expose_secret(), b.expose_secret());
    }

    #[test]
    fn length_and_alphabet_limits() {
        assert_eq!(
            PkceVerifier::new("a".repeat(42)).unwrap_err(),
            PkceError::InvalidLength { len: 42 }
        );
        assert!(PkceVerifier::new("a".repeat(43)).is_ok());
        assert!(PkceVerifier::new("a".repeat(128)).is_ok());
        assert!(PkceVerifier::new("a".repeat(129)).is_err());
        assert!(PkceVerifier::new("-._~".repeat(11)).is_ok());
        assert_eq!(
            PkceVerifier::new(format!("{}+", "a".repeat(43))).unwrap_err(),
            PkceError::InvalidCharacter
        );
        assert!(PkceVerifier::new("é".repeat(30)).is_err());
    }

    #[test]
    fn plain_challenge_is_the_verifier_and_is_redacted() {
        let raw = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = PkceVerifier::new(raw).unwrap().challenge(PkceMethod::Plain);
        assert_eq!(challenge.value, raw);
        assert!(!format!("{challenge:?}").contains(raw));
    }
}
