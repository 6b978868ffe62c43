//! The end of the one call path: a generated call's answer becomes [`crate::Response`], and every
//! failure one [`crate::Error`], built from the status, headers and body the server sent.

use progenitor_client::ResponseValue;
use reqwest::header::HeaderMap;

use crate::{
    Error, FluxerClient, OperationSpec, Response,
    error::{ApiErrorCode, FieldError, OAuthErrorKind, SudoMethods, TransportKind},
    hooks::{ClientState, TooLarge},
    operations::CredentialKind,
    ratelimit::{RateLimitInfo, duration_from_secs},
    types,
};

/// The generated calls' error: every answer outside 2xx arrives whole as `UnexpectedResponse`.
pub(crate) type GeneratedError = progenitor_client::Error<()>;

/// An input refused before anything was sent.
pub(crate) fn invalid(op: &OperationSpec, message: String) -> Error {
    Error::InvalidInput {
        operation: op.id,
        message,
    }
}

/// Awaits one generated call and gives its answer, or the typed error.
pub(crate) async fn send<T>(
    client: &FluxerClient,
    op: &'static OperationSpec,
    call: impl Future<Output = Result<ResponseValue<T>, GeneratedError>>,
) -> Result<Response<T>, Error> {
    match call.await {
        Ok(value) => {
            let status = value.status().as_u16();
            let rate_limit = RateLimitInfo::from_headers(value.headers());
            Ok(Response::new(value.into_inner(), status, rate_limit))
        }
        Err(err) => Err(convert(&client.api.inner, op, err).await),
    }
}

async fn convert(state: &ClientState, op: &'static OperationSpec, err: GeneratedError) -> Error {
    use progenitor_client::Error as P;
    let operation = op.id;
    let limit = state.shared.max_response_bytes;
    match err {
        // The hooks refused the credential (or it cannot be sent); the message says which.
        P::Custom(message) => from_refusal(&message).unwrap_or(Error::InvalidInput {
            operation,
            message: message
                .strip_prefix(operation)
                .and_then(|m| m.strip_prefix(": invalid input: "))
                .unwrap_or(&message)
                .to_owned(),
        }),
        P::InvalidRequest(message) => Error::InvalidInput { operation, message },
        P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
            transport(operation, &e, limit)
        }
        P::InvalidResponsePayload(body, e) => {
            undecodable(operation, op.ok_status, &body, &e.to_string())
        }
        // progenitor decodes only the spec's 2xx answers; errors come here with the body unread.
        P::ErrorResponse(value) => undecodable(
            operation,
            value.status().as_u16(),
            b"",
            "an error answer with no body",
        ),
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            if response.extensions().get::<TooLarge>().is_some() {
                return Error::ResponseTooLarge { operation, limit };
            }
            let headers = response.headers().clone();
            match response.bytes().await {
                Ok(body) => {
                    let revoked = status == 401
                        && state.kind() == Some(CredentialKind::Session)
                        && state
                            .hit_global_limit
                            .load(std::sync::atomic::Ordering::Relaxed);
                    from_raw(operation, status, &headers, &body, revoked)
                }
                Err(e) => transport(operation, &e, limit),
            }
        }
    }
}

/// Reads back the refusal the hooks wrote ([`Error::CredentialNotAccepted`]'s or
/// [`Error::SessionEnded`]'s message).
fn from_refusal(message: &str) -> Option<Error> {
    if let Some((id, _)) = message.split_once(": this client's session was logged out") {
        return OperationSpec::find(id).map(|op| Error::SessionEnded { operation: op.id });
    }
    let (id, rest) = message.split_once(" does not accept ")?;
    let op = OperationSpec::find(id)?;
    let (given, _) = rest.split_once(": it takes ")?;
    let given = match given {
        "calls without a credential" => None,
        phrase => Some(CredentialKind::from_phrase(phrase)?),
    };
    Some(Error::CredentialNotAccepted {
        operation: op.id,
        given,
        accepted: op.accepts,
    })
}

/// For callers of the generated client ([`FluxerClient::api`]): its errors as [`Error`]. A refusal of
/// the credential by the hooks becomes [`Error::CredentialNotAccepted`]. An error answer's body was
/// not read here; the typed calls on [`FluxerClient`] read it and say more.
impl From<GeneratedError> for Error {
    fn from(err: GeneratedError) -> Self {
        use progenitor_client::Error as P;
        const OPERATION: &str = "generated call";
        match err {
            P::Custom(message) => from_refusal(&message).unwrap_or(Error::InvalidInput {
                operation: OPERATION,
                message,
            }),
            P::InvalidRequest(message) => Error::InvalidInput {
                operation: OPERATION,
                message,
            },
            P::CommunicationError(e) | P::ResponseBodyError(e) | P::InvalidUpgrade(e) => {
                transport(OPERATION, &e, 0)
            }
            P::InvalidResponsePayload(body, e) => undecodable(OPERATION, 200, &body, &e.to_string()),
            P::ErrorResponse(value) => {
                undecodable(OPERATION, value.status().as_u16(), b"", "an error answer")
            }
            P::UnexpectedResponse(response) => undecodable(
                OPERATION,
                response.status().as_u16(),
                b"",
                "an error answer (use the typed call on FluxerClient to read it)",
            ),
        }
    }
}

/// Sends a request built outside the generated code through the same hooks, and decodes its JSON
/// answer (an empty success body reads as `null`) or builds the typed error.
pub(crate) async fn send_json<T: serde::de::DeserializeOwned>(
    api: &crate::generated::Client,
    operation: &'static str,
    request: reqwest::Request,
) -> Result<T, Error> {
    let limit = api.inner.shared.max_response_bytes;
    let response = api
        .execute(request, operation)
        .await
        .map_err(|e| transport(operation, &e, limit))?;
    let status = response.status().as_u16();
    if response.extensions().get::<TooLarge>().is_some() {
        return Err(Error::ResponseTooLarge { operation, limit });
    }
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| transport(operation, &e, limit))?;
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
    Err(from_raw(operation, status, &headers, &body, false))
}

/// The typed error of a non-success answer read from its raw body: a Fluxer or OAuth2 error body, a
/// rate limit said only by headers, a redirect, or an undecodable answer.
fn from_raw(
    operation: &'static str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    session_revoked: bool,
) -> Error {
    match serde_json::from_slice::<types::ErrorBody>(body) {
        Ok(parsed) if status >= 400 => {
            from_body(operation, status, headers, parsed, session_revoked)
        }
        _ if status == 429 => rate_limited(
            operation,
            RateLimitInfo::from_headers(headers).unwrap_or_default(),
        ),
        _ if status == 401 && session_revoked => Error::SessionRevoked { operation },
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

/// A failure of the HTTP stack; a body cut at the size cap is [`Error::ResponseTooLarge`].
fn transport(operation: &'static str, e: &reqwest::Error, limit: usize) -> Error {
    let mut source = std::error::Error::source(e);
    let mut message = e.to_string();
    while let Some(inner) = source {
        if inner.is::<http_body_util::LengthLimitError>() {
            return Error::ResponseTooLarge { operation, limit };
        }
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else {
        TransportKind::Interrupted
    };
    // reqwest's Display names the URL, which holds no secret (ids only; tokens travel in headers and bodies).
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

/// Builds the typed error from the one error schema that covers every shape the server sends.
pub(crate) fn from_body(
    operation: &'static str,
    status: u16,
    headers: &HeaderMap,
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
