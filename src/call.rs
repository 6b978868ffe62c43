//! One call's context: what the hooks saw (status, size cap, revoked session) and the conversion of the
//! generated client's error into [`crate::Error`].

use std::sync::{Arc, Mutex};

use progenitor_client::ResponseValue;
use reqwest::header::HeaderValue;

use crate::{
    Error,
    error::{ApiErrorCode, FieldError, OAuthErrorKind, SudoMethods, TransportKind},
    ratelimit::{RateLimitInfo, duration_from_secs},
    types,
};

tokio::task_local! {
    static CALL: Arc<CallContext>;
}

/// What one call asks of the hooks and what they observed.
#[derive(Debug, Default)]
struct CallContext {
    basic_auth: Option<HeaderValue>,
    seen: Mutex<Seen>,
}

#[derive(Debug, Default, Clone)]
struct Seen {
    status: Option<u16>,
    rate_limit: Option<RateLimitInfo>,
    too_large: Option<usize>,
    session_revoked: bool,
}

/// What the hooks report about the answer.
pub(crate) enum CallOutcome {
    Answered {
        status: u16,
        rate_limit: Option<RateLimitInfo>,
    },
    TooLarge {
        status: u16,
        limit: usize,
    },
    SessionRevoked,
}

/// Called by the hooks; a no-op outside [`run`] (when the generated client is used directly).
pub(crate) fn record(outcome: CallOutcome) {
    let _ = CALL.try_with(|ctx| {
        let mut seen = ctx.seen.lock().unwrap_or_else(|e| e.into_inner());
        match outcome {
            CallOutcome::Answered { status, rate_limit } => {
                seen.status = Some(status);
                seen.rate_limit = rate_limit;
            }
            CallOutcome::TooLarge { status, limit } => {
                seen.status = Some(status);
                seen.too_large = Some(limit);
            }
            CallOutcome::SessionRevoked => seen.session_revoked = true,
        }
    });
}

/// The HTTP Basic header a token call asked for, if any.
pub(crate) fn basic_auth() -> Option<HeaderValue> {
    CALL.try_with(|ctx| ctx.basic_auth.clone()).ok().flatten()
}

/// Runs `fut` with a fresh call context, and returns its output with what the hooks saw.
async fn scoped<F: Future>(basic_auth: Option<HeaderValue>, fut: F) -> (F::Output, Seen) {
    let ctx = Arc::new(CallContext {
        basic_auth,
        seen: Mutex::default(),
    });
    let output = CALL.scope(ctx.clone(), fut).await;
    let seen = ctx.seen.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (output, seen)
}

/// Runs one generated call and turns its error into [`Error`].
pub(crate) async fn run<T, F>(
    operation: &'static str,
    basic_auth: Option<HeaderValue>,
    call: F,
) -> Result<ResponseValue<T>, Error>
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<types::ErrorBody>>>,
{
    let (result, seen) = scoped(basic_auth, call).await;
    match result {
        Ok(value) => Ok(value),
        Err(err) => Err(convert(operation, err, seen).await),
    }
}

/// Sends a request built outside the generated code through the same hooks, and decodes its JSON
/// answer (an empty success body reads as `null`) or builds the typed error.
pub(crate) async fn send_json<T: serde::de::DeserializeOwned>(
    api: &crate::generated::Client,
    operation: &'static str,
    request: reqwest::Request,
) -> Result<T, Error> {
    let (result, seen) = scoped(None, api.execute(request, operation)).await;
    if let Some(limit) = seen.too_large {
        return Err(Error::ResponseTooLarge { operation, limit });
    }
    let response = result.map_err(|e| transport(operation, &e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| transport(operation, &e))?;
    if (200..300).contains(&status) {
        let source: &[u8] = if body.is_empty() { b"null" } else { &body };
        return serde_json::from_slice(source).map_err(|e| {
            undecodable(
                operation,
                status,
                &body,
                &masked_snippet(e.to_string().as_bytes()),
            )
        });
    }
    Err(from_raw(operation, status, &headers, &body, &seen))
}

/// The typed error of a non-success answer read from its raw body: a Fluxer or OAuth2 error body, a
/// rate limit said only by headers, a redirect, or an undecodable answer.
fn from_raw(
    operation: &'static str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    seen: &Seen,
) -> Error {
    match serde_json::from_slice::<types::ErrorBody>(body) {
        Ok(parsed) if status >= 400 => {
            from_body(operation, status, headers, parsed, seen.session_revoked)
        }
        _ if status == 429 => rate_limited(operation, seen.rate_limit.clone().unwrap_or_default()),
        Ok(_) => undecodable(
            operation,
            status,
            body,
            "an answer the spec does not describe",
        ),
        Err(e) => undecodable(operation, status, body, &e.to_string()),
    }
}

/// A 429 whose body says nothing (a proxy's page): the headers still say how long to wait.
fn rate_limited(operation: &'static str, info: RateLimitInfo) -> Error {
    Error::RateLimited {
        operation,
        retry_after: info
            .retry_after
            .unwrap_or(std::time::Duration::from_secs(1)),
        global: info.global,
        info: Box::new(info),
    }
}

async fn convert(
    operation: &'static str,
    err: progenitor_client::Error<types::ErrorBody>,
    seen: Seen,
) -> Error {
    use progenitor_client::Error as P;
    let status = seen.status.unwrap_or(0);
    if let Some(limit) = seen.too_large {
        return Error::ResponseTooLarge { operation, limit };
    }
    match err {
        P::InvalidRequest(message) | P::Custom(message) => {
            Error::InvalidInput { operation, message }
        }
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
            transport(operation, &e)
        }
        P::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let headers = value.headers().clone();
            from_body(
                operation,
                status,
                &headers,
                value.into_inner(),
                seen.session_revoked,
            )
        }
        P::InvalidResponsePayload(..) if status == 429 => {
            // A 429 from something in front of the API (a proxy page): the headers still say how long.
            rate_limited(operation, seen.rate_limit.unwrap_or_default())
        }
        P::InvalidResponsePayload(body, e) => undecodable(operation, status, &body, &e.to_string()),
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            match response.bytes().await {
                Ok(body) => from_raw(operation, status, &headers, &body, &seen),
                Err(e) => transport(operation, &e),
            }
        }
    }
}

fn transport(operation: &'static str, e: &reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Interrupted
    };
    // reqwest's Display names the URL, which holds no secret (ids only; tokens travel in headers and bodies).
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    Error::Transport {
        operation,
        kind,
        message,
    }
}

fn undecodable(operation: &'static str, status: u16, body: &[u8], why: &str) -> Error {
    if (300..400).contains(&status) {
        return Error::Redirected { operation, status };
    }
    let snippet = masked_snippet(body);
    if status >= 500 {
        Error::Server {
            operation,
            status,
            snippet,
        }
    } else {
        Error::Decode {
            operation,
            status,
            message: why.to_owned(),
            snippet,
        }
    }
}

/// Builds the typed error from the one error schema the spec gives every error status.
pub(crate) fn from_body(
    operation: &'static str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: types::ErrorBody,
    session_revoked: bool,
) -> Error {
    let code = body.code.as_deref();
    if status == 429 || code == Some("RATE_LIMITED") {
        let info = RateLimitInfo::from_headers(headers).unwrap_or_default();
        let retry_after = body
            .retry_after
            .and_then(duration_from_secs)
            .or(info.retry_after)
            .unwrap_or(std::time::Duration::from_secs(1));
        let global = body.global.unwrap_or(info.global);
        return Error::RateLimited {
            operation,
            retry_after,
            global,
            info: Box::new(info),
        };
    }
    if status == 401 && session_revoked {
        return Error::SessionRevoked { operation };
    }
    if code == Some("SUDO_MODE_REQUIRED") {
        let methods = body.methods.unwrap_or_default();
        return Error::SudoRequired {
            operation,
            has_mfa: body.has_mfa.unwrap_or(false),
            methods: SudoMethods {
                totp: methods.totp.unwrap_or(false),
                webauthn: methods.webauthn.unwrap_or(false),
            },
        };
    }
    if code == Some("MISSING_OAUTH_SCOPE") {
        let scope = body.required_scope.unwrap_or_else(|| "unknown".to_owned());
        return Error::MissingScope { operation, scope };
    }
    if let Some(error) = body.error.as_deref() {
        return Error::OAuth {
            operation,
            status,
            kind: OAuthErrorKind::parse(error),
            description: body.error_description,
        };
    }
    match body.code {
        Some(code) => Error::Api {
            operation,
            status,
            code: ApiErrorCode::parse(&code),
            message: body.message.unwrap_or_default(),
            errors: body
                .errors
                .into_iter()
                .map(|e| FieldError {
                    path: e.path,
                    code: e.code,
                    message: e.message,
                })
                .collect(),
        },
        None => Error::Decode {
            operation,
            status,
            message: "an error body with neither `code` nor `error`".to_owned(),
            snippet: String::new(),
        },
    }
}

/// At most this many bytes of a body go into an error.
const SNIPPET_BYTES: usize = 200;

/// The start of a body, with every run that could be a token or secret masked.
pub(crate) fn masked_snippet(body: &[u8]) -> String {
    // Mask over a wider window than is kept, so that a token crossing the cut is still masked whole.
    let window = body.len().min(SNIPPET_BYTES + 512);
    let text = String::from_utf8_lossy(&body[..window]);
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let digits_only = run.chars().all(|c| c.is_ascii_digit());
        if run.len() >= 16 && !digits_only {
            out.push_str("[masked]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || "-_.~+/=".contains(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    if window < body.len() && !run.is_empty() {
        // The window ends inside a run: whatever its visible length, it may be a token's start.
        out.push_str("[masked]");
    } else {
        flush(&mut run, &mut out);
    }
    if out.len() > SNIPPET_BYTES {
        let mut cut = SNIPPET_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::masked_snippet;

    #[test]
    fn snippets_mask_token_like_runs_but_keep_ids_and_words() {
        let body = br#"{"access_token":"Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo","id":"1574449618593251330"}"#;
        let snippet = masked_snippet(body);
        assert!(!snippet.contains("Zm9vYmFy"));
        assert!(snippet.contains("[masked]"));
        assert!(snippet.contains("1574449618593251330"));
        assert!(snippet.contains("access_token"));
        assert!(masked_snippet(&[b'a'; 10_000]).len() < 300);
    }
}
