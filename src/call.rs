//! The end of the one call path: a generated call's answer becomes [`crate::Response`], and every
//! failure one [`crate::Error`], built from the status, headers and body the server sent.

use progenitor_client::ResponseValue;
use reqwest::header::HeaderMap;

use crate::{
    Error, FluxerClient, OperationSpec, Response,
    error::{ApiErrorCode, FieldError, OAuthErrorKind, SudoMethods, TransportKind},
    hooks::{ClientState, RetryAfter, TooLarge},
    mask::{self, RequestSecrets},
    operations::CredentialKind,
    ratelimit::RateLimitInfo,
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

/// The answer of one generated call, or the typed error.
///
/// It takes the generated call's outcome, not its future: an `async fn` that holds a future it was
/// given keeps room for it twice, and every call's future would carry that size wherever it is
/// moved. The error conversion, which may read a body, is boxed for the same reason: the success
/// path does not carry its state.
pub(crate) async fn finish<T>(
    client: &FluxerClient,
    op: &'static OperationSpec,
    outcome: Result<ResponseValue<T>, GeneratedError>,
) -> Result<Response<T>, Error> {
    match outcome {
        Ok(value) => {
            let status = value.status().as_u16();
            let rate_limit = RateLimitInfo::from_headers(value.headers());
            Ok(Response::new(value.into_inner(), status, rate_limit))
        }
        Err(err) => Err(Box::pin(convert(&client.api.inner, op, err)).await),
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
            transport(operation, e)
        }
        P::InvalidResponsePayload(body, e) => undecodable(
            operation,
            op.ok_status,
            &body,
            &e.to_string(),
            &RequestSecrets::default(),
        ),
        // progenitor decodes only the spec's 2xx answers; errors come here with the body unread.
        P::ErrorResponse(value) => undecodable(
            operation,
            value.status().as_u16(),
            b"",
            "an error answer with no body",
            &RequestSecrets::default(),
        ),
        P::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            if response.extensions().get::<TooLarge>().is_some() {
                return Error::ResponseTooLarge { operation, limit };
            }
            let headers = response.headers().clone();
            let secrets = response
                .extensions()
                .get::<RequestSecrets>()
                .cloned()
                .unwrap_or_default();
            match response.bytes().await {
                Ok(body) => {
                    let revoked = status == 401
                        && state.kind() == Some(CredentialKind::Session)
                        && state
                            .hit_global_limit
                            .load(std::sync::atomic::Ordering::Relaxed);
                    from_raw(operation, status, &headers, &body, revoked, &secrets)
                }
                Err(e) => transport(operation, e),
            }
        }
    }
}

/// Reads back the refusal the hooks wrote ([`Error::CredentialNotAccepted`]'s,
/// [`Error::SessionEnded`]'s or [`Error::MissingScope`]'s message).
fn from_refusal(message: &str) -> Option<Error> {
    if let Some((id, _)) = message.split_once(": this client's session was logged out") {
        return OperationSpec::find(id).map(|op| Error::SessionEnded { operation: op.id });
    }
    if let Some((id, rest)) = message.split_once(": the access token lacks the `") {
        let op = OperationSpec::find(id)?;
        let (scope, _) = rest.split_once("` scope")?;
        // Only a scope the operation names: the message cannot smuggle in another value.
        let scope = op.scopes.iter().find(|s| **s == scope)?;
        return Some(Error::MissingScope {
            operation: op.id,
            scope: (*scope).to_owned(),
        });
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
                transport(OPERATION, e)
            }
            P::InvalidResponsePayload(body, e) => undecodable(
                OPERATION,
                200,
                &body,
                &e.to_string(),
                &RequestSecrets::default(),
            ),
            P::ErrorResponse(value) => undecodable(
                OPERATION,
                value.status().as_u16(),
                b"",
                "an error answer",
                &RequestSecrets::default(),
            ),
            P::UnexpectedResponse(response) => undecodable(
                OPERATION,
                response.status().as_u16(),
                b"",
                "an error answer (use the typed call on FluxerClient to read it)",
                &RequestSecrets::default(),
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
        .map_err(|e| transport(operation, e))?;
    let status = response.status().as_u16();
    if response.extensions().get::<TooLarge>().is_some() {
        return Err(Error::ResponseTooLarge { operation, limit });
    }
    let secrets = response
        .extensions()
        .get::<RequestSecrets>()
        .cloned()
        .unwrap_or_default();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| transport(operation, e))?;
    if (200..300).contains(&status) {
        let source: &[u8] = if body.is_empty() { b"null" } else { &body };
        return serde_json::from_slice(source)
            .map_err(|e| undecodable(operation, status, &body, &e.to_string(), &secrets));
    }
    Err(from_raw(
        operation, status, &headers, &body, false, &secrets,
    ))
}

/// The typed error of a non-success answer read from its raw body: a Fluxer or OAuth2 error body, a
/// rate limit said only by headers, a redirect, or an undecodable answer.
fn from_raw(
    operation: &'static str,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
    session_revoked: bool,
    secrets: &RequestSecrets,
) -> Error {
    match serde_json::from_slice::<types::ErrorBody>(body) {
        Ok(parsed) if status >= 400 => {
            from_body(operation, status, headers, parsed, session_revoked, secrets)
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
            secrets,
        ),
        Err(e) => undecodable(operation, status, body, &e.to_string(), secrets),
    }
}

/// A 429 whose body says nothing (a proxy's page): the headers still say how long to wait.
fn rate_limited(operation: &'static str, info: RateLimitInfo) -> Error {
    let asked = RetryAfter::read(None, Some(&info));
    Error::RateLimited {
        operation,
        retry_after: asked.usable().unwrap_or_default(),
        raw_retry_after: asked.wait.is_none().then_some(asked.raw).flatten(),
        global: info.global,
        info: Box::new(info),
    }
}

/// A failure of the HTTP stack.
fn transport(operation: &'static str, e: reqwest::Error) -> Error {
    let mut source = std::error::Error::source(&e);
    let mut message = e.to_string();
    while let Some(inner) = source {
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
        cause: Some(crate::error::Cause::new(e)),
    }
}

fn undecodable(
    operation: &'static str,
    status: u16,
    body: &[u8],
    why: &str,
    secrets: &RequestSecrets,
) -> Error {
    if (300..400).contains(&status) {
        return Error::Redirected { operation, status };
    }
    let snippet = masked_snippet(body, secrets);
    let why = mask::server_text(why, secrets, 200);
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
            message: why,
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
    secrets: &RequestSecrets,
) -> Error {
    let text = |s: &str, max: usize| mask::server_text(s, secrets, max);
    let code = body.code.as_deref();
    if status == 429 || code == Some("RATE_LIMITED") {
        let info = RateLimitInfo::from_headers(headers).unwrap_or_default();
        let value = body.retry_after.filter(|v| !v.is_null());
        let asked = RetryAfter::read(value.as_ref(), Some(&info));
        let global = body.global.unwrap_or(info.global);
        return Error::RateLimited {
            operation,
            retry_after: asked.usable().unwrap_or_default(),
            raw_retry_after: asked.wait.is_none().then_some(asked.raw).flatten(),
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
        let scope = body
            .required_scope
            .map_or_else(|| "unknown".to_owned(), |s| text(&s, 64));
        return Error::MissingScope { operation, scope };
    }
    if let (Some("invalid_request"), Some(description)) =
        (body.error.as_deref(), body.error_description.as_deref())
    {
        // The consent's bot checks answer in the OAuth2 shape; these have a fix of their own. The
        // description is kept only when it is one of these fixed values.
        const PERMISSIONS: [&str; 2] = [
            "INVALID_PERMISSIONS_INTEGER",
            "INVALID_PERMISSIONS_NEGATIVE",
        ];
        const REDIRECT: [&str; 2] = [
            "Missing redirect_uri",
            "redirect_uri required for non-bot scopes",
        ];
        if let Some(known) = PERMISSIONS.iter().find(|d| **d == description) {
            return Error::InvalidPermissions {
                operation,
                description: (*known).to_owned(),
            };
        }
        if let Some(known) = REDIRECT.iter().find(|d| **d == description) {
            return Error::RedirectUriRequired {
                operation,
                description: (*known).to_owned(),
            };
        }
    }
    // Every piece of text below comes from the server: masked, escaped and cut from here on.
    let body = types::ErrorBody {
        // A code this crate names is a fixed value and stays as sent (a long one such as
        // `BOT_ALREADY_IN_GUILD` would otherwise look like a token); only unknown codes are masked.
        code: body.code.map(|c| match ApiErrorCode::parse(&c) {
            ApiErrorCode::Other(_) => text(&c, 64),
            known => known.as_str().to_owned(),
        }),
        message: body.message.map(|m| text(&m, mask::MAX_TEXT_BYTES)),
        error: body.error.map(|e| text(&e, 64)),
        error_description: body
            .error_description
            .map(|d| text(&d, mask::MAX_TEXT_BYTES)),
        errors: kept_field_errors(body.errors, &text),
        ..body
    };
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

/// The first field errors, made safe; past [`mask::MAX_FIELD_ERRORS`], one last entry counts the
/// rest, so that neither `Display` nor `Debug` of the error grows with the answer.
fn kept_field_errors(
    errors: Vec<types::ValidationErrorItem>,
    text: &impl Fn(&str, usize) -> String,
) -> Vec<types::ValidationErrorItem> {
    let total = errors.len();
    let mut kept: Vec<_> = errors
        .into_iter()
        .take(mask::MAX_FIELD_ERRORS)
        .map(|e| types::ValidationErrorItem {
            path: text(&e.path, 128),
            code: e.code.map(|c| text(&c, 64)),
            message: text(&e.message, 256),
        })
        .collect();
    if total > kept.len() {
        kept.push(types::ValidationErrorItem {
            path: "…".to_owned(),
            code: None,
            message: format!("{} more field errors not shown", total - kept.len()),
        });
    }
    kept
}

/// At most this many bytes of a body go into an error.
const SNIPPET_BYTES: usize = 200;

/// The start of a body, with the request's secrets and every run that could be a token masked.
pub(crate) fn masked_snippet(body: &[u8], secrets: &RequestSecrets) -> String {
    let window = 4 * mask::MAX_TEXT_BYTES;
    let text = String::from_utf8_lossy(&body[..body.len().min(window)]);
    let out = mask::server_text(&text, secrets, SNIPPET_BYTES);
    if body.len() > window && !out.ends_with('…') {
        format!("{out}…")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{RequestSecrets, masked_snippet};

    fn masked_snippet_plain(body: &[u8]) -> String {
        masked_snippet(body, &RequestSecrets::default())
    }

    #[test]
    fn snippets_mask_token_like_runs_but_keep_ids_and_words() {
        let body = br#"{"access_token":"Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdo","id":"1574449618593251330"}"#;
        let snippet = masked_snippet_plain(body);
        assert!(!snippet.contains("Zm9vYmFy"));
        assert!(snippet.contains("[masked]"));
        assert!(snippet.contains("1574449618593251330"));
        assert!(snippet.contains("access_token"));
        assert!(masked_snippet_plain(&[b'a'; 10_000]).len() < 300);
    }

    mod hostile_text {
        use proptest::prelude::*;

        use super::super::*;

        const PLANTED: [&str; 3] = ["s3cret-client-value", "pass word 42", "ticket+/=x9"];

        /// Text with control characters, long runs and the planted secrets (raw, percent-encoded or
        /// JSON-escaped) somewhere inside.
        fn hostile() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                "[ -~]{0,40}",
                "[\\x00-\\x1f\\x7f\\u{2028}]{1,5}",
                Just(PLANTED[0].to_owned()),
                Just("pass+word+42".to_owned()),
                Just("ticket%2B%2F%3Dx9".to_owned()),
                Just("x".repeat(3000)),
            ];
            proptest::collection::vec(piece, 0..8).prop_map(|p| p.concat())
        }

        fn secrets() -> RequestSecrets {
            let mut s = RequestSecrets::default();
            PLANTED.iter().for_each(|p| s.add(p));
            s
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

            #[test]
            fn no_error_shows_a_secret_a_control_character_or_too_much(
                status in prop_oneof![Just(400u16), Just(401), Just(403), Just(404), Just(429), Just(500)],
                code in hostile(),
                message in hostile(),
                error in proptest::option::of(hostile()),
                description in hostile(),
                fields in proptest::collection::vec((hostile(), hostile()), 0..12),
                raw in hostile(),
            ) {
                let body = types::ErrorBody {
                    code: Some(code),
                    message: Some(message),
                    error,
                    error_description: Some(description),
                    errors: fields
                        .into_iter()
                        .map(|(path, message)| types::ValidationErrorItem { path, code: None, message })
                        .collect(),
                    ..Default::default()
                };
                let headers = HeaderMap::new();
                let errors = [
                    from_body("op", status, &headers, body, false, &secrets()),
                    from_raw("op", status, &headers, raw.as_bytes(), false, &secrets()),
                    undecodable("op", status, raw.as_bytes(), &raw, &secrets()),
                ];
                for err in errors {
                    for shown in [err.to_string(), format!("{err:?}")] {
                        for secret in PLANTED {
                            prop_assert!(!shown.contains(secret), "{}", shown);
                        }
                        prop_assert!(!shown.contains("pass+word+42"));
                        prop_assert!(!shown.chars().any(|c| c.is_control()), "{}", shown);
                        prop_assert!(shown.len() <= 4096, "{} bytes", shown.len());
                    }
                }
            }
        }
    }
}
