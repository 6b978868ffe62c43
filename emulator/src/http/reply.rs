//! Building responses: JSON from serde values, empty bodies, and the two error shapes.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;

/// A JSON response (`application/json`, no charset).
pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
    let text = serde_json::to_vec(body).unwrap_or_else(|_| b"null".to_vec());
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A 200 JSON response.
pub(crate) fn ok(body: &impl Serialize) -> Response {
    json(StatusCode::OK, body)
}

/// An empty response with `text/plain; charset=UTF-8`, as the server sends for 200/204/302.
pub(crate) fn empty(status: StatusCode) -> Response {
    text(status, "")
}

/// A plain-text response with `text/plain; charset=UTF-8`.
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    r
}

/// A 302 to `location`.
pub(crate) fn redirect(location: &str) -> Response {
    let mut r = empty(StatusCode::FOUND);
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The Fluxer error body `{code,message}`.
#[derive(Serialize)]
struct FluxerError<'a> {
    code: &'a str,
    message: &'a str,
}

/// A Fluxer error `{code,message}`.
pub(crate) fn fluxer(status: StatusCode, code: &str, message: &str) -> Response {
    json(status, &FluxerError { code, message })
}

/// 401 `UNAUTHORIZED`.
pub(crate) fn unauthorized() -> Response {
    fluxer(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Unauthorized.")
}

/// 401 `INVALID_TOKEN`, as `/applications/@me` answers.
pub(crate) fn invalid_token() -> Response {
    fluxer(
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
        "Invalid or expired authorization token.",
    )
}

/// 403 `ACCESS_DENIED`.
pub(crate) fn access_denied() -> Response {
    fluxer(
        StatusCode::FORBIDDEN,
        "ACCESS_DENIED",
        "You don't have access to this resource or feature.",
    )
}

/// 404 `UNKNOWN_APPLICATION`.
pub(crate) fn unknown_application() -> Response {
    fluxer(
        StatusCode::NOT_FOUND,
        "UNKNOWN_APPLICATION",
        "Unknown application.",
    )
}

/// 404 `NOT_FOUND`, the answer for routes and methods that do not exist.
pub(crate) fn not_found() -> Response {
    fluxer(StatusCode::NOT_FOUND, "NOT_FOUND", "Not found.")
}

/// 500 `INTERNAL_SERVER_ERROR`, what the form routes answer to a non-form body.
pub(crate) fn internal_error() -> Response {
    fluxer(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
        "Internal server error.",
    )
}

#[derive(Serialize)]
struct MissingScope<'a> {
    code: &'static str,
    message: &'static str,
    required_scope: &'a str,
}

/// 403 `MISSING_OAUTH_SCOPE` for `scope`.
pub(crate) fn missing_scope(scope: &str) -> Response {
    json(
        StatusCode::FORBIDDEN,
        &MissingScope {
            code: "MISSING_OAUTH_SCOPE",
            message: "The requested scope isn't supported or you don't have permission to request it.",
            required_scope: scope,
        },
    )
}

#[derive(Serialize)]
struct OAuthError<'a> {
    error: &'a str,
    error_description: &'a str,
}

/// An RFC 6749 error body; always HTTP 400 on this server.
pub(crate) fn oauth(error: &str, description: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        &OAuthError {
            error,
            error_description: description,
        },
    )
}

/// `invalid_grant` with the server's one description.
pub(crate) fn invalid_grant() -> Response {
    oauth(
        "invalid_grant",
        "The provided authorization grant is invalid, expired, or revoked",
    )
}

/// One entry of an `INVALID_FORM_BODY` error. `code` is left out when empty, as the server
/// does for a few cross-field checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct FieldError {
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub code: &'static str,
}

impl FieldError {
    pub(crate) fn new(
        path: impl Into<String>,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            path: path.into(),
            code,
            message: message.into(),
        }
    }

    /// `INVALID_FORMAT`, the server's code for missing, duplicated or malformed values.
    pub(crate) fn format(path: impl Into<String>) -> Self {
        FieldError::new(
            path,
            "INVALID_FORMAT",
            "The provided value is in an invalid format.",
        )
    }

    /// `STRING_LENGTH_INVALID` for a `min..=max` string.
    pub(crate) fn length(path: impl Into<String>, min: usize, max: usize) -> Self {
        FieldError::new(
            path,
            "STRING_LENGTH_INVALID",
            format!("String length must be between {min} and {max} characters."),
        )
    }
}

#[derive(Serialize)]
struct FormErrors<'a> {
    code: &'static str,
    message: &'static str,
    errors: &'a [FieldError],
}

/// 400 `INVALID_FORM_BODY` with `errors`.
pub(crate) fn form_errors(errors: &[FieldError]) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        &FormErrors {
            code: "INVALID_FORM_BODY",
            message: "Invalid form body.",
            errors,
        },
    )
}

/// 400 `INVALID_FORM_BODY` with one error.
pub(crate) fn form_error(e: FieldError) -> Response {
    form_errors(&[e])
}
