//! Time-based one-time passwords (RFC 6238 with SHA-1, 6 digits, 30 s steps, computed by
//! `totp-lite`) and the lenient base32 reading of secrets.

use sha2::{Digest, Sha256};
use totp_lite::{Sha1, totp_custom};

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The length of one TOTP time step, in seconds.
pub(crate) const STEP_SECS: u64 = 30;

/// The 6-digit TOTP code of `secret_base32` at `unix_secs` (RFC 6238: HMAC-SHA1, 30 s steps).
///
/// The secret is read as RFC 4648 base32, case-insensitively; spaces, `=` padding and any
/// other character outside the alphabet are skipped.
pub fn totp_code(secret_base32: &str, unix_secs: u64) -> String {
    totp_custom::<Sha1>(STEP_SECS, 6, &base32_decode(secret_base32), unix_secs)
}

/// Decodes base32, skipping characters outside the alphabet.
pub(crate) fn base32_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let Some(v) = BASE32.iter().position(|&b| b == c.to_ascii_uppercase()) else {
            continue;
        };
        buf = (buf << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}

/// Encodes bytes as unpadded base32.
pub(crate) fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | b as u32;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buf >> bits) & 31) as usize] as char);
        }
        buf &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(BASE32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// A deterministic 32-character TOTP secret derived from a username.
pub(crate) fn secret_for(username: &str) -> String {
    let digest = Sha256::digest(format!("fluxer-oauth2-emulator totp {username}").as_bytes());
    base32_encode(&digest[..20])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 key "12345678901234567890", last six digits.
        let secret = base32_encode(b"12345678901234567890");
        assert_eq!(totp_code(&secret, 59), "287082");
        assert_eq!(totp_code(&secret, 1_111_111_109), "081804");
        assert_eq!(totp_code(&secret, 2_000_000_000), "279037");
    }

    #[test]
    fn base32_round_trip() {
        let data = b"hello world, base32";
        assert_eq!(base32_decode(&base32_encode(data)), data);
        assert_eq!(secret_for("bob").len(), 32);
    }
}
