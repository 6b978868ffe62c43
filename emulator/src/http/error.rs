//! `ApiError`: the error half of every handler's `Result`, already shaped like the server's
//! answer (a Fluxer `{code,message}` body, an OAuth2 `{error,error_description}` body, or a
//! redirect), so that `?` can end a handler early.

use axum::response::{IntoResponse, Response};

use super::reply::{self, FieldError};

/// A ready error answer (boxed: a response is large and errors are the rare path).
#[derive(Debug)]
pub(crate) struct ApiError(Box<Response>);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for ApiError {
    fn from(r: Response) -> Self {
        ApiError(Box::new(r))
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        reply::form_error(e).into()
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(e: Vec<FieldError>) -> Self {
        reply::form_errors(&e).into()
    }
}

/// What handlers return.
pub(crate) type ApiResult<T = Response> = Result<T, ApiError>;
