//! The two calls a caller needs to complete sudo mode: which methods to offer, and a WebAuthn challenge.

use crate::{Error, FluxerClient, types};

impl FluxerClient {
    /// `get_sudo_mfa_methods`: whether the user has MFA and which methods verify sudo mode (session
    /// credential).
    pub async fn get_sudo_mfa_methods(&self) -> Result<types::SudoMfaMethodsResponse, Error> {
        const OP: &str = "get_sudo_mfa_methods";
        self.send(OP, self.api.get_sudo_mfa_methods().send()).await
    }

    /// `get_sudo_webauthn_authentication_options`: a WebAuthn challenge for sudo mode (session
    /// credential). Pass the options to the authenticator, then give its answer and the challenge to
    /// [`crate::SudoVerification::webauthn`].
    pub async fn get_sudo_webauthn_authentication_options(
        &self,
    ) -> Result<types::WebAuthnAuthenticationOptions, Error> {
        const OP: &str = "get_sudo_webauthn_authentication_options";
        self.send(
            OP,
            self.api.get_sudo_webauthn_authentication_options().send(),
        )
        .await
    }
}
