//! Typed methods on [`crate::FluxerClient`], one per operation of the spec: they check the credential
//! and the inputs before anything is sent, and return [`crate::Error`].

pub(crate) mod applications;
mod authorizations;
mod oauth2;
mod sudo;

use progenitor_client::ResponseValue;

use crate::{Error, FluxerClient, call, types};

impl FluxerClient {
    /// Runs a generated call after the credential check, and returns its value.
    pub(crate) async fn send<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<ResponseValue<T>, progenitor_client::Error<types::ErrorBody>>>,
    ) -> Result<T, Error> {
        self.send_with_basic(operation, None, call).await
    }

    /// [`Self::send`], with the HTTP Basic client authentication a token call asks for.
    pub(crate) async fn send_with_basic<T>(
        &self,
        operation: &'static str,
        basic_auth: Option<reqwest::header::HeaderValue>,
        call: impl Future<Output = Result<ResponseValue<T>, progenitor_client::Error<types::ErrorBody>>>,
    ) -> Result<T, Error> {
        self.check(operation)?;
        Ok(call::run(operation, basic_auth, call).await?.into_inner())
    }
}
