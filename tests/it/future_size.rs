//! The future of a call stays small: callers move it (into `tokio::spawn`, `join_all`, a
//! `FuturesUnordered`), and every move copies it whole. The attempts, waits and body reads live in
//! one boxed future inside the call path, and a generated call awaits progenitor's request in place
//! instead of handing its future to another `async fn` (which would keep room for it twice).

use fluxer_oauth2::{
    Credential, FluxerClient, Secret,
    oauth::{ClientCredentials, PkceVerifier, RedirectUri},
};

/// Room for the few hundred bytes a call holds itself and progenitor's request-building state, far
/// below the 8 KiB (call) and 10 KiB (code exchange) that copying made a measurable cost.
const MOST: usize = 4096;

#[test]
fn call_futures_are_small() {
    let client = FluxerClient::builder()
        .base_url("http://127.0.0.1:9")
        .credential(Credential::bot("1.bot-token"))
        .build()
        .unwrap();
    let call = client.get_current_user_applications().send();
    let call_size = std::mem::size_of_val(&call);
    drop(call);

    let credentials = ClientCredentials::new("1574449618593251330", "secret").unwrap();
    let code = Secret::new("code");
    let verifier = PkceVerifier::generate();
    let redirect = RedirectUri::parse("https://app.example/callback").unwrap();
    let exchange = client.exchange_code_with(&credentials, &code, &redirect, Some(&verifier));
    let exchange_size = std::mem::size_of_val(&exchange);
    drop(exchange);

    assert!(call_size <= MOST, "a call's future is {call_size} bytes");
    assert!(
        exchange_size <= MOST,
        "the exchange's future is {exchange_size} bytes"
    );
}
