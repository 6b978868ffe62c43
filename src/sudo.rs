//! Sudo mode: the proof a user gives before a dangerous call, and reuse of the short-lived sudo-mode
//! token the server hands back so that a user is not asked twice within its lifetime.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use base64::Engine as _;

use crate::{Secret, types};

/// The response header (and request header) that carries the sudo-mode token.
pub(crate) const SUDO_HEADER: &str = "x-fluxer-sudo-mode-jwt";

/// How long before its expiry a cached sudo token is no longer sent.
const EXPIRY_MARGIN: Duration = Duration::from_secs(5);

/// Proof for sudo mode, required by `delete_oauth_application`, `reset_client_secret` and
/// `reset_bot_token`.
///
/// Users without MFA give their password; users with MFA give a TOTP code or a WebAuthn assertion
/// (the server refuses a password once MFA is on). After an MFA verification the server returns a
/// sudo-mode token valid for 5 minutes, which the client sends on the next sudo calls by itself.
///
/// ```
/// use fluxer_oauth2::SudoVerification;
///
/// let proof = SudoVerification::totp("123456");
/// assert!(!format!("{proof:?}").contains("123456"));
/// ```
#[derive(Clone, PartialEq)]
pub struct SudoVerification(types::SudoVerificationSchema);

impl std::fmt::Debug for SudoVerification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The WebAuthn assertion is not a type of ours, so it is left out here by hand.
        let webauthn = (!self.0.webauthn_response.is_empty()).then_some("[redacted]");
        f.debug_struct("SudoVerification")
            .field("password", &self.0.password)
            .field("mfa_method", &self.0.mfa_method)
            .field("mfa_code", &self.0.mfa_code)
            .field("webauthn_response", &webauthn)
            .field("webauthn_challenge", &self.0.webauthn_challenge)
            .finish()
    }
}

impl SudoVerification {
    /// The account password (for users without MFA). It must be 8 to 256 characters.
    pub fn password(password: impl Into<Secret>) -> Self {
        Self(types::SudoVerificationSchema {
            password: Some(password.into()),
            ..Default::default()
        })
    }

    /// A code from the user's authenticator app.
    pub fn totp(code: impl Into<Secret>) -> Self {
        Self(types::SudoVerificationSchema {
            mfa_method: Some(types::MfaMethod::Totp),
            mfa_code: Some(code.into()),
            ..Default::default()
        })
    }

    /// The code a TOTP secret makes now, for programs that hold the secret.
    pub fn totp_secret(secret: &crate::login::TotpSecret) -> Self {
        Self::totp(secret.code_now())
    }

    /// A WebAuthn assertion (the `PublicKeyCredential` as JSON) for the challenge from
    /// `get_sudo_webauthn_authentication_options`.
    pub fn webauthn(
        response: serde_json::Map<String, serde_json::Value>,
        challenge: impl Into<Secret>,
    ) -> Self {
        Self(types::SudoVerificationSchema {
            mfa_method: Some(types::MfaMethod::Webauthn),
            webauthn_response: response,
            webauthn_challenge: Some(challenge.into()),
            ..Default::default()
        })
    }

    /// Checks what the server would refuse anyway, so that a mistake costs no round trip.
    pub(crate) fn validate(&self) -> Result<(), String> {
        if let Some(password) = &self.0.password {
            let chars = password.expose_secret().chars().count();
            if !(8..=256).contains(&chars) {
                return Err(format!(
                    "a sudo password has 8 to 256 characters, this one has {chars}"
                ));
            }
        }
        if let Some(code) = &self.0.mfa_code
            && code.is_empty()
        {
            return Err("the TOTP code is empty".to_owned());
        }
        Ok(())
    }

    /// The proof's fields, as the request body carries them.
    pub(crate) fn fields(&self) -> &types::SudoVerificationSchema {
        &self.0
    }
}

/// A request body that carries a sudo proof: build.rs implements it for the body of every operation
/// marked `x-fluxer-sudo`.
pub(crate) trait CarriesProof {
    /// Puts the proof's fields into the body.
    fn carry(&mut self, proof: &SudoVerification);
}

impl CarriesProof for types::SudoVerificationSchema {
    fn carry(&mut self, proof: &SudoVerification) {
        self.clone_from(proof.fields());
    }
}

/// A cached sudo-mode token and when it expires.
#[derive(Clone, Debug)]
struct SudoToken {
    token: Secret,
    expires_at: SystemTime,
}

/// The sudo-mode token of one user credential, shared by the clones of a client.
#[derive(Clone, Debug, Default)]
pub(crate) struct SudoCache(Arc<Mutex<Option<SudoToken>>>);

impl SudoCache {
    /// The cached token, if it is still valid for a while.
    pub(crate) fn current(&self) -> Option<Secret> {
        let guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let cached = guard.as_ref()?;
        (SystemTime::now() + EXPIRY_MARGIN < cached.expires_at).then(|| cached.token.clone())
    }

    /// Keeps a token the server returned. Its expiry comes from the token's `exp` claim, or 5 minutes.
    pub(crate) fn store(&self, token: &str) {
        let expires_at =
            jwt_expiry(token).unwrap_or_else(|| SystemTime::now() + Duration::from_secs(300));
        let mut guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *guard = Some(SudoToken {
            token: Secret::new(token),
            expires_at,
        });
    }

    /// Forgets the token (the server refused it).
    pub(crate) fn clear(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

impl crate::FluxerClient {
    /// The sudo-mode token this client holds for its user, while it is valid for a few more seconds.
    ///
    /// The server hands one back after an MFA sudo verification (TOTP or WebAuthn, not a password); the
    /// client sends it on the next sudo calls by itself, for its 5 minutes. A program that runs one call
    /// per process (a command line, say) reads it here, keeps it somewhere as private as the session
    /// token, and gives it to the next process with [`FluxerClient::set_sudo_token`](crate::FluxerClient::set_sudo_token). It is a secret.
    ///
    /// ```
    /// # fn demo() -> Result<(), fluxer_oauth2::Error> {
    /// let client = fluxer_oauth2::FluxerClient::builder().build()?;
    /// assert!(client.sudo_token().is_none(), "none before a sudo verification");
    /// # Ok(()) }
    /// ```
    pub fn sudo_token(&self) -> Option<Secret> {
        self.api.inner.sudo.current()
    }

    /// Hands this client a sudo-mode token kept from an earlier run of the same user's session, so that
    /// its sudo calls go through without a new proof while the token is valid. Its expiry is read from
    /// the token's `exp` claim (5 minutes from now when it has none); an expired token is kept out, so
    /// [`FluxerClient::sudo_token`](crate::FluxerClient::sudo_token) then answers `None`. Clones of this client share it; a client made
    /// by [`FluxerClient::with_credential`](crate::FluxerClient::with_credential) does not. If the server refuses it, the client forgets it and
    /// the call answers [`crate::Error::SudoRequired`] as usual.
    pub fn set_sudo_token(&self, token: impl Into<Secret>) {
        let token = token.into();
        self.api.inner.sudo.store(token.expose_secret());
    }
}

/// The `exp` claim of a JWT, without checking its signature (only the server can).
fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_comes_from_the_exp_claim() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"type":"sudo","sub":"1","iat":1795449834,"exp":1795450134}"#);
        let token = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.sig");
        assert_eq!(
            jwt_expiry(&token),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_450_134))
        );
        assert_eq!(jwt_expiry("garbage"), None);
    }

    #[test]
    fn a_kept_token_is_handed_back_and_an_expired_one_is_not() {
        let client = crate::FluxerClient::builder()
            .build()
            .expect("default settings build");
        assert!(client.sudo_token().is_none());
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 300;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(format!(r#"{{"exp":{exp}}}"#).as_bytes());
        let fresh = format!("h.{payload}.s");
        client.set_sudo_token(fresh.as_str());
        assert_eq!(
            client
                .clone()
                .sudo_token()
                .as_ref()
                .map(Secret::expose_secret),
            Some(fresh.as_str()),
            "clones share the token"
        );
        assert!(client.with_credential(None).sudo_token().is_none());
        let stale = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1}"#);
        client.set_sudo_token(format!("h.{stale}.s"));
        assert!(client.sudo_token().is_none());
    }

    #[test]
    fn an_expired_token_is_not_offered() {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1}"#);
        let cache = SudoCache::default();
        cache.store(&format!("h.{payload}.s"));
        assert!(cache.current().is_none());
        let fresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
            format!(
                r#"{{"exp":{}}}"#,
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_secs()
                    + 300
            )
            .as_bytes(),
        );
        cache.store(&format!("h.{fresh}.s"));
        assert!(cache.current().is_some());
        cache.clear();
        assert!(cache.current().is_none());
    }
}
