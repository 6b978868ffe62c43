//! Fault injection: delays, dropped connections, broken bodies, hangs.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::observe::api_path;

/// A misbehaviour the emulator can show instead of (or before) its normal answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Close the connection without sending any response.
    DropConnection,
    /// Answer with this status (meant for 5xx) and an HTML body, as a proxy in front of the API
    /// would.
    ServerError {
        /// The HTTP status to send; values outside 100–999 become 500.
        status: u16,
    },
    /// Answer 200 with an HTML body instead of JSON.
    NonJsonBody,
    /// Answer 200 with `application/json` and a JSON text cut in the middle.
    TruncatedJson,
    /// Answer 200 with a chunked `application/json` body of this many bytes (never valid JSON).
    OversizedBody {
        /// Size of the body in bytes.
        bytes: usize,
    },
    /// Never answer; the connection stays open until the client gives up or the emulator stops.
    Hang,
}

impl Fault {
    /// Limits this fault to requests whose path starts with `prefix` (with or without `/v1`).
    pub fn on_path(self, prefix: impl Into<String>) -> FaultRule {
        FaultRule::from(self).on_path(prefix)
    }

    /// Limits this fault to the next `n` matching requests.
    pub fn times(self, n: usize) -> FaultRule {
        FaultRule::from(self).times(n)
    }
}

/// A [`Fault`] with its scope: which paths and how many requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// The fault to apply.
    pub fault: Fault,
    /// Apply only to paths starting with this (with or without the `/v1` prefix).
    pub path_prefix: Option<String>,
    /// Apply only to this many more requests; unlimited when `None`.
    pub remaining: Option<usize>,
}

impl From<Fault> for FaultRule {
    fn from(fault: Fault) -> Self {
        FaultRule {
            fault,
            path_prefix: None,
            remaining: None,
        }
    }
}

impl FaultRule {
    /// Limits the rule to paths starting with `prefix`.
    pub fn on_path(mut self, prefix: impl Into<String>) -> Self {
        self.path_prefix = Some(prefix.into());
        self
    }

    /// Limits the rule to the next `n` matching requests.
    pub fn times(mut self, n: usize) -> Self {
        self.remaining = Some(n);
        self
    }

    fn matches(&self, path: &str) -> bool {
        match &self.path_prefix {
            None => true,
            Some(p) => path.starts_with(p.as_str()) || api_path(path).starts_with(p.as_str()),
        }
    }
}

/// Picks the first rule that applies to `path`, using up one of its requests.
pub(crate) fn take_match(rules: &mut Vec<FaultRule>, path: &str) -> Option<Fault> {
    let idx = rules
        .iter()
        .position(|r| r.matches(path) && r.remaining != Some(0))?;
    let rule = &mut rules[idx];
    let fault = rule.fault.clone();
    if let Some(n) = rule.remaining.as_mut() {
        *n -= 1;
        if *n == 0 {
            rules.remove(idx);
        }
    }
    Some(fault)
}

/// The response a body-level fault produces.
pub(crate) fn fault_response(fault: &Fault) -> Response {
    let (status, ctype, body) = match fault {
        Fault::ServerError { status } => {
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reason = status.canonical_reason().unwrap_or("Error");
            let html = format!(
                "<!DOCTYPE html>\n<html><head><title>{0} {reason}</title></head>\
                 <body><center><h1>{0} {reason}</h1></center><hr><center>nginx</center></body></html>\n",
                status.as_u16()
            );
            (status, "text/html; charset=utf-8", Body::from(html))
        }
        Fault::NonJsonBody => (
            StatusCode::OK,
            "text/html; charset=utf-8",
            Body::from("<html><body>This is not the API you are looking for.</body></html>"),
        ),
        Fault::TruncatedJson => (
            StatusCode::OK,
            "application/json",
            Body::from(r#"{"access_token":"AbCdEf","token_type":"Bea"#),
        ),
        Fault::OversizedBody { bytes } => (StatusCode::OK, "application/json", oversized(*bytes)),
        Fault::Delay(_) | Fault::DropConnection | Fault::Hang => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            Body::empty(),
        ),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    resp
}

/// A chunked body of exactly `total` bytes: `{"padding":"xxxx…` that never closes.
fn oversized(total: usize) -> Body {
    const CHUNK: usize = 64 * 1024;
    let head: &[u8] = b"{\"padding\":\"";
    let mut sent = 0usize;
    let stream = futures_util::stream::iter(std::iter::from_fn(move || {
        if sent >= total {
            return None;
        }
        let n = CHUNK.min(total - sent);
        let mut chunk = vec![b'x'; n];
        if sent == 0 {
            let k = head.len().min(n);
            chunk[..k].copy_from_slice(&head[..k]);
        }
        sent += n;
        Some(Ok::<_, std::io::Error>(Bytes::from(chunk)))
    }));
    Body::from_stream(stream)
}
