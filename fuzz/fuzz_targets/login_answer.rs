//! A login answer, as JSON bytes, into a `Login`: never a panic; a challenge and a session never
//! print their ticket or token.
#![no_main]

use fluxer_oauth2::{login::Login, types};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(answer) = serde_json::from_slice::<types::LoginResponse>(data) else {
        return;
    };
    let ticket = answer.ticket.as_ref().map(|t| t.expose_secret().to_owned());
    let token = answer.token.as_ref().map(|t| t.expose_secret().to_owned());
    let shown = match Login::from_response(answer) {
        Ok(login) => format!("{login:?}"),
        Err(err) => err.to_string(),
    };
    for secret in [ticket, token].into_iter().flatten() {
        if secret.len() >= 8 {
            assert!(!shown.contains(&secret), "a secret was printed");
        }
    }
});
