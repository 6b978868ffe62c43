//! Form bodies of the token, introspect and revoke routes.
//!
//! These routes read `application/x-www-form-urlencoded` (any case, with parameters) and
//! `multipart/form-data`. Any other body type, or none, makes the server fail with HTTP 500.

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart};
use axum::http::{HeaderMap, Request, header};

use super::error::ApiError;
use super::reply::{self, FieldError};
use super::validate;

/// The fields of a form body, in order, duplicates kept.
#[derive(Clone, Debug, Default)]
pub(crate) struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// How many times `name` occurs.
    pub(crate) fn count(&self, name: &str) -> usize {
        self.pairs.iter().filter(|(k, _)| k == name).count()
    }

    /// The value of `name` when it occurs exactly once.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        if self.count(name) != 1 {
            return None;
        }
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Checks an optional or required string field of 1–256 characters.
    pub(crate) fn check_string(&self, name: &str, required: bool, errors: &mut Vec<FieldError>) {
        match self.count(name) {
            0 if required => errors.push(FieldError::format(name)),
            0 => {}
            1 => {
                let v = self.get(name).unwrap_or_default();
                if v.is_empty() || v.chars().count() > 256 {
                    errors.push(FieldError::length(name, 1, 256));
                }
            }
            _ => errors.push(FieldError::format(name)),
        }
    }

    /// Checks an optional snowflake field.
    pub(crate) fn check_snowflake(&self, name: &str, errors: &mut Vec<FieldError>) {
        match self.count(name) {
            0 => {}
            1 => {
                if let Err(e) = validate::snowflake(self.get(name).unwrap_or_default(), name) {
                    errors.push(e);
                }
            }
            _ => errors.push(FieldError::format(name)),
        }
    }
}

/// Reads a form body, or answers 500 when the body is not a form.
pub(crate) async fn read(headers: &HeaderMap, body: Bytes) -> Result<Form, ApiError> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ctype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/x-www-form-urlencoded" => Ok(Form {
            pairs: form_urlencoded::parse(&body).into_owned().collect(),
        }),
        "multipart/form-data" => read_multipart(ctype, body).await,
        _ => Err(reply::internal_error().into()),
    }
}

async fn read_multipart(ctype: &str, body: Bytes) -> Result<Form, ApiError> {
    let req = Request::builder()
        .header(header::CONTENT_TYPE, ctype)
        .body(Body::from(body))
        .map_err(|_| reply::internal_error())?;
    let mut mp = Multipart::from_request(req, &())
        .await
        .map_err(|_| reply::internal_error())?;
    let mut pairs = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(|_| reply::internal_error())? {
        let name = field.name().unwrap_or_default().to_owned();
        let text = field.text().await.map_err(|_| reply::internal_error())?;
        pairs.push((name, text));
    }
    Ok(Form { pairs })
}
