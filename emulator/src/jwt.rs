//! Sudo-mode tokens: compact HS256 JWTs `{type:"sudo",sub,iat,exp}`.
//!
//! Signed with the `hmac`/`sha2` crates rather than `jsonwebtoken`: that crate needs a crypto
//! backend feature (`rust_crypto` pulls RSA, ECDSA and EdDSA crates; `aws_lc_rs` a C build) for
//! one HMAC, and the server's tokens carry the bare header `{"alg":"HS256"}` that clients and
//! the conformance replay compare byte for byte.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

const HEADER: &str = r#"{"alg":"HS256"}"#;

/// Signs an arbitrary JSON payload (given as text) with `key`.
pub(crate) fn sign(key: &[u8], payload_json: &str) -> String {
    let head = URL_SAFE_NO_PAD.encode(HEADER);
    let body = URL_SAFE_NO_PAD.encode(payload_json);
    let signing_input = format!("{head}.{body}");
    let sig = mac(key, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Mints a sudo token for `sub`, valid from `iat` for `lifetime_secs`.
pub(crate) fn mint_sudo(key: &[u8], sub: &str, iat: u64, lifetime_secs: u64) -> String {
    let exp = iat + lifetime_secs;
    sign(
        key,
        &format!(r#"{{"type":"sudo","sub":"{sub}","iat":{iat},"exp":{exp}}}"#),
    )
}

/// The claims of a sudo token whose signature is right, or `None`.
///
/// Only the signature, the `alg` and `type:"sudo"` are checked here; the caller checks `sub` and
/// `exp`.
pub(crate) fn verify(key: &[u8], token: &str) -> Option<Value> {
    let mut parts = token.split('.');
    let (head, body, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let expected = mac(key, format!("{head}.{body}").as_bytes());
    let given = URL_SAFE_NO_PAD.decode(sig).ok()?;
    if expected.as_slice() != given.as_slice() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(head).ok()?).ok()?;
    if header.get("alg")?.as_str()? != "HS256" {
        return None;
    }
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
    (claims.get("type")?.as_str()? == "sudo").then_some(claims)
}

/// Whether verified `claims` are still valid at `now` (a missing `exp` never expires).
pub(crate) fn unexpired(claims: &Value, now: u64) -> bool {
    match claims.get("exp") {
        None => true,
        Some(exp) => exp.as_f64().is_some_and(|e| e > now as f64),
    }
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mint_then_verify() {
        let key = b"k";
        let t = mint_sudo(key, "42", 100, 300);
        assert!(t.starts_with("eyJhbGciOiJIUzI1NiJ9."));
        let c = verify(key, &t).unwrap();
        assert_eq!(c["sub"], "42");
        assert!(unexpired(&c, 399));
        assert!(!unexpired(&c, 400));
        assert!(verify(b"other", &t).is_none());
        assert!(verify(key, "garbage.not.ajwt").is_none());
    }
}
