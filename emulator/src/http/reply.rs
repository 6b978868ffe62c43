//! Building responses: JSON in a fixed key order, empty bodies, and the two error shapes.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

/// A JSON object written in insertion order (the order the real server uses).
#[derive(Debug, Default)]
pub(crate) struct JObj {
    buf: String,
}

impl JObj {
    pub(crate) fn new() -> Self {
        JObj::default()
    }

    fn key(&mut self, k: &str) {
        self.buf.push(if self.buf.is_empty() { '{' } else { ',' });
        self.buf.push_str(&Value::from(k).to_string());
        self.buf.push(':');
    }

    /// Adds any JSON value.
    pub(crate) fn val(mut self, k: &str, v: impl Into<Value>) -> Self {
        self.key(k);
        self.buf.push_str(&v.into().to_string());
        self
    }

    /// Adds an already serialised JSON text (a nested [`JObj`], for instance).
    pub(crate) fn raw(mut self, k: &str, json: &str) -> Self {
        self.key(k);
        self.buf.push_str(json);
        self
    }

    /// Adds `null` or a string.
    pub(crate) fn opt(self, k: &str, v: Option<&str>) -> Self {
        match v {
            Some(s) => self.val(k, s),
            None => self.val(k, Value::Null),
        }
    }

    pub(crate) fn finish(self) -> String {
        if self.buf.is_empty() {
            "{}".to_owned()
        } else {
            self.buf + "}"
        }
    }
}

/// A JSON array of already serialised elements.
pub(crate) fn jarray(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(","))
}

/// A JSON response (`application/json`, no charset).
pub(crate) fn json(status: StatusCode, body: String) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A 200 JSON response.
pub(crate) fn ok(body: String) -> Response {
    json(StatusCode::OK, body)
}

/// An empty response with `text/plain; charset=UTF-8`, as the server sends for 200/204/302.
pub(crate) fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
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

/// A Fluxer error `{code,message}`.
pub(crate) fn fluxer(status: StatusCode, code: &str, message: &str) -> Response {
    json(
        status,
        JObj::new()
            .val("code", code)
            .val("message", message)
            .finish(),
    )
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

/// 500 `INTERNAL_SERVER_ERROR`, what the form routes answer to a non-form body.
pub(crate) fn internal_error() -> Response {
    fluxer(
        StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
        "Internal server error.",
    )
}

/// 403 `MISSING_OAUTH_SCOPE` for `scope`.
pub(crate) fn missing_scope(scope: &str) -> Response {
    json(
        StatusCode::FORBIDDEN,
        JObj::new()
            .val("code", "MISSING_OAUTH_SCOPE")
            .val(
                "message",
                "The requested scope isn't supported or you don't have permission to request it.",
            )
            .val("required_scope", scope)
            .finish(),
    )
}

/// An RFC 6749 error body; always HTTP 400 on this server.
pub(crate) fn oauth(error: &str, description: &str) -> Response {
    json(
        StatusCode::BAD_REQUEST,
        JObj::new()
            .val("error", error)
            .val("error_description", description)
            .finish(),
    )
}

/// `invalid_grant` with the server's one description.
pub(crate) fn invalid_grant() -> Response {
    oauth(
        "invalid_grant",
        "The provided authorization grant is invalid, expired, or revoked",
    )
}

/// One entry of an `INVALID_FORM_BODY` error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub path: String,
    pub code: &'static str,
    pub message: String,
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

/// 400 `INVALID_FORM_BODY` with `errors`.
pub(crate) fn form_errors(errors: &[FieldError]) -> Response {
    let items = errors.iter().map(|e| {
        JObj::new()
            .val("path", e.path.as_str())
            .val("message", e.message.as_str())
            .val("code", e.code)
            .finish()
    });
    json(
        StatusCode::BAD_REQUEST,
        JObj::new()
            .val("code", "INVALID_FORM_BODY")
            .val("message", "Invalid form body.")
            .raw("errors", &jarray(items))
            .finish(),
    )
}

/// 400 `INVALID_FORM_BODY` with one error.
pub(crate) fn form_error(e: FieldError) -> Response {
    form_errors(&[e])
}
