//! Sudo-mode tokens: HS256 JWTs `{type:"sudo",sub,iat,exp}` with the server's bare header
//! `{"alg":"HS256"}`, made and checked by `jsonwebtoken` (its `ring` backend, which the client's TLS
//! already builds).

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::Serialize;
use serde_json::Value;

/// The server's header: the algorithm only, no `typ`.
fn header() -> Header {
    Header {
        typ: None,
        ..Header::new(Algorithm::HS256)
    }
}

/// The claims of a sudo token, in the server's order.
#[derive(Serialize)]
struct SudoClaims<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    sub: &'a str,
    iat: u64,
    exp: u64,
}

/// Signs any claims with `key`; `None` only if they cannot be serialised.
fn sign_claims(key: &[u8], claims: &impl Serialize) -> Option<String> {
    jsonwebtoken::encode(&header(), claims, &EncodingKey::from_secret(key)).ok()
}

/// Signs an arbitrary JSON payload (given as text) with `key`. A payload that is not a JSON object
/// is signed as a JSON string, so that a test can still forge a malformed token.
pub(crate) fn sign(key: &[u8], payload_json: &str) -> String {
    let claims: Value = serde_json::from_str(payload_json)
        .ok()
        .filter(Value::is_object)
        .unwrap_or_else(|| Value::String(payload_json.to_owned()));
    sign_claims(key, &claims).unwrap_or_default()
}

/// Mints a sudo token for `sub`, valid from `iat` for `lifetime_secs`.
pub(crate) fn mint_sudo(key: &[u8], sub: &str, iat: u64, lifetime_secs: u64) -> String {
    let claims = SudoClaims {
        kind: "sudo",
        sub,
        iat,
        exp: iat.saturating_add(lifetime_secs),
    };
    sign_claims(key, &claims).unwrap_or_default()
}

/// The claims of a sudo token whose signature is right, or `None`.
///
/// Only the signature, the `alg` and `type:"sudo"` are checked here; the caller checks `sub` and
/// `exp` against the emulator's clock (not the wall clock `jsonwebtoken` would use).
pub(crate) fn verify(key: &[u8], token: &str) -> Option<Value> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data =
        jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(key), &validation).ok()?;
    let claims = data.claims;
    (claims.get("type")?.as_str()? == "sudo").then_some(claims)
}

/// Whether verified `claims` are still valid at `now` (a missing `exp` never expires).
pub(crate) fn unexpired(claims: &Value, now: u64) -> bool {
    match claims.get("exp") {
        None => true,
        Some(exp) => exp.as_f64().is_some_and(|e| e > now as f64),
    }
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
        let forged = sign(key, r#"{"type":"other","sub":"42"}"#);
        assert!(verify(key, &forged).is_none());
    }
}
