//! `Response<T>`: a call's decoded answer together with what its headers said (status, rate limit).

use std::ops::{Deref, DerefMut};

use crate::RateLimitInfo;

/// The answer of a call: the decoded value, which it derefs to, and the status and rate-limit
/// headers of this very answer (not of some other call made on the same client).
///
/// ```no_run
/// # async fn demo(client: fluxer_oauth2::FluxerClient) -> Result<(), fluxer_oauth2::Error> {
/// let apps = client.list_user_applications().send().await?;
/// println!("{} applications", apps.len());
/// if let Some(limit) = apps.rate_limit() {
///     println!("{:?} calls left in this window", limit.remaining);
/// }
/// let apps: Vec<_> = apps.into_inner();
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Response<T> {
    value: T,
    status: u16,
    rate_limit: Option<RateLimitInfo>,
}

impl<T> Response<T> {
    pub(crate) fn new(value: T, status: u16, rate_limit: Option<RateLimitInfo>) -> Self {
        Self {
            value,
            status,
            rate_limit,
        }
    }

    /// The decoded value.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The rate-limit headers of the answer, when it carried any.
    pub fn rate_limit(&self) -> Option<&RateLimitInfo> {
        self.rate_limit.as_ref()
    }
}

impl<T> Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Response<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}
