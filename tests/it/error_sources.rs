//! The underlying causes stay reachable: `std::error::Error::source()` leads from an `Error` to the
//! `reqwest::Error` of a failed transport, the `io::Error` of a file store, and the Redis client's
//! error of a Redis store.

use std::{error::Error as _, sync::Arc, time::SystemTime};

use fluxer_oauth2::{
    Error, FluxerClient,
    oauth::{ClientCredentials, FileStore, TokenManager, TokenSet},
    types,
};

/// Whether a `T` is somewhere down the `source()` chain of `err`.
fn reaches<T: std::error::Error + 'static>(err: &Error) -> bool {
    let mut source = err.source();
    while let Some(inner) = source {
        if inner.downcast_ref::<T>().is_some() {
            return true;
        }
        source = inner.source();
    }
    false
}

fn pair() -> TokenSet {
    let answer: types::OAuth2TokenResponse = serde_json::from_value(serde_json::json!({
        "access_token": "a", "refresh_token": "r", "token_type": "Bearer",
        "expires_in": 3600, "scope": "identify",
    }))
    .unwrap();
    TokenSet::from_response(answer, SystemTime::now())
}

#[tokio::test]
async fn a_transport_failure_leads_to_the_reqwest_error() {
    // Nothing listens on this port of this machine.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client = FluxerClient::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(fluxer_oauth2::RetryPolicy::NONE)
        .build()
        .unwrap();
    let err = client.get_sso_status().send().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(reaches::<fluxer_oauth2::reqwest::Error>(&err), "{err:?}");
    // The message still says it all in one line, without the chain.
    assert!(err.to_string().contains("could not connect"), "{err}");
}

#[tokio::test]
async fn a_file_store_failure_leads_to_the_io_error() {
    let dir = std::env::temp_dir().join(format!("fluxer-sources-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A path below a regular file cannot be read or written.
    let file = dir.join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let store = Arc::new(FileStore::new(file.join("tokens.json")));
    let client = FluxerClient::builder().build().unwrap();
    let err = TokenManager::builder(
        client,
        ClientCredentials::new("1574449618593251330", "secret").unwrap(),
        store,
        Some(pair()),
    )
    .build()
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Store(_)), "{err:?}");
    assert!(reaches::<std::io::Error>(&err), "{err:?}");
    assert!(reaches::<fluxer_oauth2::oauth::StoreError>(&err));
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "redis")]
#[tokio::test]
async fn a_redis_store_failure_leads_to_the_redis_error() {
    use fluxer_oauth2::oauth::redis_store::RedisTokenStore;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let store = RedisTokenStore::new(&format!("redis://127.0.0.1:{port}"), "sources-test")
        .expect("a valid URL")
        .timeout(std::time::Duration::from_secs(2));
    let client = FluxerClient::builder().build().unwrap();
    let err = TokenManager::builder(
        client,
        ClientCredentials::new("1574449618593251330", "secret").unwrap(),
        Arc::new(store),
        Some(pair()),
    )
    .build()
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Store(_)), "{err:?}");
    assert!(
        reaches::<fluxer_oauth2::oauth::redis_store::RedisError>(&err),
        "{err:?}"
    );
}

/// The two tiers: every local error (building a URL, reading a callback, parsing one value) turns
/// into the one `Error` with `?`, as its own variant or as `InvalidInput` named after the type.
#[test]
fn every_local_error_converts_into_the_call_error() {
    use fluxer_oauth2::{
        ApplicationId,
        oauth::{AuthorizeUrl, Callback, CsrfState, Permissions, PkceVerifier, RedirectUri, Scope},
    };

    fn authorize() -> Result<(), Error> {
        AuthorizeUrl::new("https://api.fluxer.app/v1", "01", "https://app.example/cb")
            .scope(Scope::Identify)
            .build()?;
        Ok(())
    }
    fn callback() -> Result<(), Error> {
        Callback::parse("code=c&state=other")?.verify_state(&CsrfState::new("mine"))?;
        Ok(())
    }
    fn values(which: u8) -> Result<(), Error> {
        match which {
            0 => drop(ApplicationId::parse("01")?),
            1 => drop(RedirectUri::parse("http://app.example/cb")?),
            2 => drop(PkceVerifier::new("short")?),
            3 => drop("no spaces".parse::<Scope>()?),
            _ => drop("-1".parse::<Permissions>()?),
        }
        Ok(())
    }

    assert!(matches!(
        authorize(),
        Err(Error::Authorize(
            fluxer_oauth2::oauth::AuthorizeError::InvalidClientId
        ))
    ));
    assert!(matches!(
        callback(),
        Err(Error::Callback(
            fluxer_oauth2::oauth::CallbackError::StateMismatch
        ))
    ));
    for (which, named) in [
        (0, "Snowflake"),
        (1, "URL"),
        (2, "PkceVerifier"),
        (3, "Scope"),
        (4, "Permissions"),
    ] {
        match values(which) {
            Err(Error::InvalidInput { operation, message }) => {
                assert_eq!(operation, named);
                assert!(!message.is_empty());
            }
            other => panic!("value {which}: expected InvalidInput, got {other:?}"),
        }
    }
}
