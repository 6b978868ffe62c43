//! Random values from the operating system's generator: the states, PKCE verifiers and lease
//! owners the crate makes.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Fills `bytes` from the operating system's CSPRNG (`getrandom`). A system without one cannot make
/// a state or a verifier that an attacker could not guess, so that is the one failure that panics.
pub(crate) fn fill_random(bytes: &mut [u8]) {
    getrandom::fill(bytes).expect("the operating system's random number generator failed");
}

/// 32 random bytes, base64url without padding: 43 characters.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    bytes.fill(0);
    token
}
