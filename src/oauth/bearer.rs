//! The escape hatch: any Fluxer endpoint called with a user's access token, through the same hooks as
//! the typed calls (429 retries, response cap, tracing), with the same errors.

use reqwest::{
    Method,
    header::{ACCEPT, AUTHORIZATION},
};
use serde::de::DeserializeOwned;

use crate::{Credential, Error, FluxerClient, Secret, call};

/// `{base}{path}` for a path relative to the base URL, refusing anything that could leave the API.
pub(crate) fn relative_url(
    operation: &'static str,
    base: &str,
    path: &str,
) -> Result<url::Url, Error> {
    let refuse = |why: &str| Error::InvalidInput {
        operation,
        message: format!(
            "{path:?} {why}; give a path relative to the API base, such as \"/users/@me\""
        ),
    };
    if !path.starts_with('/') {
        return Err(refuse("does not start with `/`"));
    }
    if path.starts_with("//") {
        return Err(refuse("starts with `//`, which names a host"));
    }
    if let Some(c) = path
        .chars()
        .find(|c| !c.is_ascii_graphic() || matches!(c, '\\' | '#'))
    {
        return Err(refuse(&format!("contains {c:?}")));
    }
    let base_url = url::Url::parse(base).map_err(|_| refuse("cannot be joined to the base URL"))?;
    let url = url::Url::parse(&format!("{base}{path}"))
        .map_err(|_| refuse("does not make a valid URL"))?;
    let raw_path = path.split_once('?').map_or(path, |(p, _)| p);
    let expected_path = format!("{}{raw_path}", base_url.path().trim_end_matches('/'));
    // `..`, `.` and their percent-encoded forms are rewritten by the URL parser: refuse them all.
    if url.origin() != base_url.origin() || url.path() != expected_path {
        return Err(refuse(
            "contains `.` or `..` segments or would leave the API base",
        ));
    }
    Ok(url)
}

/// Sends one bearer request and decodes the JSON answer.
pub(crate) async fn send_json<T: DeserializeOwned>(
    client: &FluxerClient,
    operation: &'static str,
    method: Method,
    url: url::Url,
    body: Option<&serde_json::Value>,
    token: Secret,
) -> Result<T, Error> {
    let authorization = Credential::bearer(token)
        .header_value()
        .expect("a bearer token always makes a header")
        .map_err(|message| Error::InvalidInput { operation, message })?;
    let mut request = client
        .api()
        .client
        .request(method, url)
        .header(AUTHORIZATION, authorization)
        .header(ACCEPT, "application/json");
    if let Some(body) = body {
        request = request.json(body);
    }
    let request = request.build().map_err(|e| Error::InvalidInput {
        operation,
        message: format!("the request could not be built: {e}"),
    })?;
    call::send_json(client.api(), operation, request).await
}

#[cfg(test)]
mod tests {
    use super::relative_url;

    const OP: &str = "test";

    #[test]
    fn relative_paths_stay_on_the_api() {
        let base = "https://api.fluxer.app/v1";
        let ok = relative_url(OP, base, "/users/@me/guilds?limit=10").unwrap();
        assert_eq!(
            ok.as_str(),
            "https://api.fluxer.app/v1/users/@me/guilds?limit=10"
        );
        assert_eq!(
            relative_url(OP, "http://127.0.0.1:8080", "/users/@me")
                .unwrap()
                .as_str(),
            "http://127.0.0.1:8080/users/@me"
        );
        for bad in [
            "users/@me",
            "https://evil.example/x",
            "//evil.example/x",
            "/../x",
            "/users/../../x",
            "/%2e%2e/x",
            "/users/./me",
            "/a b",
            "/a\\b",
            "/x#frag",
            "/\u{e9}",
            "",
        ] {
            assert!(relative_url(OP, base, bad).is_err(), "{bad:?} was accepted");
        }
    }
}
