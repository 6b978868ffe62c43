//! The request log and the counters tests read.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::shared::lock;

/// One request as the emulator received it (before any fault was applied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query, including the `/v1` prefix.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Header names (lower case) and values, in the order received.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
    /// Emulator-clock time of arrival, in milliseconds since the epoch.
    pub at_millis: u64,
}

impl RecordedRequest {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of form field `name` in an URL-encoded body.
    pub fn form_field(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// Collects requests and counts token requests per grant type.
#[derive(Debug, Default)]
pub(crate) struct Observer {
    log: Mutex<Vec<RecordedRequest>>,
    grants: Mutex<HashMap<String, usize>>,
}

/// Strips the `/v1` prefix so that paths can be compared either way.
pub(crate) fn api_path(path: &str) -> &str {
    path.strip_prefix("/v1")
        .filter(|p| p.starts_with('/'))
        .unwrap_or(path)
}

impl Observer {
    pub(crate) fn record(&self, req: RecordedRequest) {
        if req.method == "POST"
            && api_path(&req.path) == "/oauth2/token"
            && let Some(grant) = grant_type_of(&req)
        {
            *lock(&self.grants).entry(grant).or_default() += 1;
        }
        lock(&self.log).push(req);
    }

    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.log).clone()
    }

    pub(crate) fn clear(&self) {
        lock(&self.log).clear();
        lock(&self.grants).clear();
    }

    pub(crate) fn grant_count(&self, grant: &str) -> usize {
        lock(&self.grants).get(grant).copied().unwrap_or(0)
    }

    pub(crate) fn count(&self, method: &str, path: &str) -> usize {
        let want = api_path(path.split('?').next().unwrap_or(path));
        lock(&self.log)
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && api_path(&r.path) == want)
            .count()
    }
}

/// The `grant_type` of a token request, from an URL-encoded or multipart body.
fn grant_type_of(req: &RecordedRequest) -> Option<String> {
    let ct = req
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if ct.starts_with("multipart/form-data") {
        let text = req.body_text();
        let start = text.find("name=\"grant_type\"")?;
        let rest = &text[start..];
        let value_start = rest.find("\r\n\r\n")? + 4;
        let value = &rest[value_start..];
        let end = value.find("\r\n").unwrap_or(value.len());
        return Some(value[..end].to_owned());
    }
    req.form_field("grant_type")
}
