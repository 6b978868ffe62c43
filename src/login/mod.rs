//! Logging in from code: email and password, then the second factor when the account has one (TOTP
//! code or secret, or WebAuthn), the session that results, and the errors a person can act on.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fluxer_oauth2::Error> {
//! use fluxer_oauth2::{FluxerClient, login::{Login, TotpSecret}};
//!
//! let client = FluxerClient::builder().build()?;
//! let session = match client.login("me@example.org", "my password").await? {
//!     Login::Session(session) => session,
//!     Login::Mfa(challenge) if challenge.totp() => {
//!         let secret = TotpSecret::new("JBSWY3DPEHPK3PXP")?;
//!         challenge.complete_with_secret(&client, &secret).await?
//!     }
//!     Login::Mfa(_) => unimplemented!("WebAuthn: see MfaChallenge::webauthn_options"),
//! };
//! let me = client.with_credential(session.credential());
//! let sessions = me.list_auth_sessions().send().await?;
//! # Ok(()) }
//! ```
//!
//! The guide also documents SMS as a second factor (`/auth/login/mfa/sms/send`, `/auth/login/mfa/sms`,
//! `sms_phone_hint`). The server has none of it (those routes answer 404), so this crate does not
//! offer it.

mod session;
mod totp;

pub use session::{Session, SessionFile};
pub use totp::TotpSecret;

use crate::{Error, FluxerClient, Secret, error::ApiErrorCode, types};

/// What a login answered.
#[derive(Debug)]
#[must_use = "a login gives a session, or a challenge to complete"]
pub enum Login {
    /// The account has no second factor: here is the session.
    Session(Session),
    /// The account has a second factor: complete the challenge.
    Mfa(MfaChallenge),
}

/// A second-factor challenge: its ticket (single-use, short-lived, never printed) and the methods the
/// account allows.
#[derive(Clone, Debug, PartialEq)]
pub struct MfaChallenge {
    ticket: Secret,
    totp: bool,
    webauthn: bool,
    allowed: Vec<String>,
}

impl MfaChallenge {
    /// Whether a TOTP code (or a backup code) completes it.
    pub fn totp(&self) -> bool {
        self.totp
    }

    /// Whether WebAuthn completes it.
    pub fn webauthn(&self) -> bool {
        self.webauthn
    }

    /// Every method the server named, as it spells them (e.g. `totp`, `webauthn`).
    pub fn allowed_methods(&self) -> &[String] {
        &self.allowed
    }

    fn require(
        &self,
        operation: &'static str,
        method: &'static str,
        allowed: bool,
    ) -> Result<(), Error> {
        if allowed {
            Ok(())
        } else {
            Err(Error::MfaMethodUnavailable { operation, method })
        }
    }

    /// Completes the login with a code from the authenticator app, or a backup code.
    ///
    /// # Errors
    /// [`Error::InvalidMfaCode`] for a wrong code (the ticket stays usable for a few more tries),
    /// [`Error::MfaTicketExpired`] when the ticket is spent or too old (log in again),
    /// [`Error::MfaMethodUnavailable`] when the account has no TOTP.
    pub async fn complete_totp(
        &self,
        client: &FluxerClient,
        code: impl Into<Secret>,
    ) -> Result<Session, Error> {
        const OP: &str = "login_mfa_totp";
        self.require(OP, "totp", self.totp)?;
        let body = types::MfaTotpRequest {
            code: code.into(),
            ticket: self.ticket.clone(),
        };
        let answer = client.login_mfa_totp().body(body).send().await;
        Ok(answer.map_err(classify)?.into_inner().into())
    }

    /// Completes the login with the code a TOTP secret makes now.
    ///
    /// # Errors
    /// As [`MfaChallenge::complete_totp`].
    pub async fn complete_with_secret(
        &self,
        client: &FluxerClient,
        secret: &TotpSecret,
    ) -> Result<Session, Error> {
        self.complete_totp(client, secret.code_now()).await
    }

    /// The WebAuthn options to hand to the user's authenticator (in a desktop app, e.g. through the
    /// platform's WebAuthn API or a FIDO2 library; the crate needs no browser). Give the
    /// authenticator's answer and the options' `challenge` to [`MfaChallenge::complete_webauthn`].
    ///
    /// # Errors
    /// [`Error::MfaMethodUnavailable`] when the account has no passkey.
    pub async fn webauthn_options(
        &self,
        client: &FluxerClient,
    ) -> Result<types::WebAuthnAuthenticationOptions, Error> {
        const OP: &str = "login_mfa_webauthn_authentication_options";
        self.require(OP, "webauthn", self.webauthn)?;
        let body = types::MfaTicketRequest {
            ticket: self.ticket.clone(),
        };
        let answer = client
            .login_mfa_webauthn_authentication_options()
            .body(body)
            .send()
            .await
            .map_err(classify)?;
        Ok(answer.into_inner())
    }

    /// Completes the login with the authenticator's `PublicKeyCredential` (as JSON) for `challenge`.
    ///
    /// # Errors
    /// As [`MfaChallenge::complete_totp`].
    pub async fn complete_webauthn(
        &self,
        client: &FluxerClient,
        response: serde_json::Map<String, serde_json::Value>,
        challenge: impl Into<Secret>,
    ) -> Result<Session, Error> {
        const OP: &str = "login_mfa_webauthn";
        self.require(OP, "webauthn", self.webauthn)?;
        let body = types::MfaWebAuthnRequest {
            response,
            challenge: challenge.into(),
            ticket: self.ticket.clone(),
        };
        let answer = client.login_mfa_webauthn().body(body).send().await;
        Ok(answer.map_err(classify)?.into_inner().into())
    }
}

impl FluxerClient {
    /// Logs a user in with email and password: a [`Session`], or an [`MfaChallenge`] to complete.
    ///
    /// Nothing of the password is kept, logged or printed. The client's own credential (if any) is not
    /// sent.
    ///
    /// # Errors
    /// [`Error::InvalidLogin`] for a wrong email or password (the server does not say which),
    /// [`Error::CaptchaRequired`] when the instance wants a captcha (then use
    /// [`FluxerClient::login_with_captcha`]), [`Error::RateLimited`].
    pub async fn login(&self, email: &str, password: impl Into<Secret>) -> Result<Login, Error> {
        self.login_with_captcha(email, password, None).await
    }

    /// [`FluxerClient::login`] with a solved captcha: its token and, when the instance asks for it,
    /// its provider.
    ///
    /// # Errors
    /// As [`FluxerClient::login`].
    pub async fn login_with_captcha(
        &self,
        email: &str,
        password: impl Into<Secret>,
        captcha: Option<(&str, Option<types::CaptchaType>)>,
    ) -> Result<Login, Error> {
        let body = types::LoginRequest::builder()
            .email(email)
            .password(password.into());
        // The login operations take no credential: a client holding one sends none here.
        let mut call = self.login_password().body(body);
        if let Some((token, kind)) = captcha {
            call = call.x_captcha_token(token);
            if let Some(kind) = kind {
                call = call.x_captcha_type(kind);
            }
        }
        let answer = call
            .send()
            .await
            .map_err(|e| with_captcha_provider(classify(e), self))?
            .into_inner();
        Login::from_response(answer)
    }
}

impl From<types::LoginSessionResponse> for Session {
    fn from(answer: types::LoginSessionResponse) -> Self {
        Session::new(answer.token, answer.user_id)
    }
}

impl Login {
    /// Reads a login answer as one of its two shapes.
    ///
    /// ```
    /// use fluxer_oauth2::{login::Login, types};
    ///
    /// let answer: types::LoginResponse = serde_json::from_str(
    ///     r#"{"mfa":true,"ticket":"t","allowed_methods":["totp"],"totp":true,"webauthn":false}"#,
    /// ).unwrap();
    /// let Ok(Login::Mfa(challenge)) = Login::from_response(answer) else { panic!() };
    /// assert!(challenge.totp());
    /// ```
    ///
    /// # Errors
    /// [`Error::Decode`] when the answer is neither a session nor a challenge.
    pub fn from_response(answer: types::LoginResponse) -> Result<Login, Error> {
        const OP: &str = "login_password";
        let undecodable = |why: &str| Error::Decode {
            operation: OP,
            status: 200,
            message: why.to_owned(),
            snippet: String::new(),
        };
        if answer.mfa == Some(true) {
            let ticket = answer
                .ticket
                .ok_or_else(|| undecodable("an MFA answer without a ticket"))?;
            let allowed = answer.allowed_methods;
            let has = |m: &str| allowed.iter().any(|a| a == m);
            return Ok(Login::Mfa(MfaChallenge {
                ticket,
                totp: answer.totp.unwrap_or_else(|| has("totp")),
                webauthn: answer.webauthn.unwrap_or_else(|| has("webauthn")),
                allowed,
            }));
        }
        match (answer.token, answer.user_id) {
            (Some(token), Some(user_id)) => Ok(Login::Session(Session::new(token, user_id))),
            _ => Err(undecodable(
                "neither a session (token, user_id) nor an MFA challenge (mfa, ticket)",
            )),
        }
    }
}

/// Names the captcha provider in [`Error::CaptchaRequired`] when the client knows it from the
/// instance document (error bodies do not say it).
fn with_captcha_provider(err: Error, client: &FluxerClient) -> Error {
    match err {
        Error::CaptchaRequired {
            operation,
            provider: None,
        } => Error::CaptchaRequired {
            operation,
            provider: client
                .instance()
                .and_then(|i| i.captcha_provider())
                .map(str::to_owned),
        },
        other => other,
    }
}

/// The login errors a person can act on, read from the server's field errors.
fn classify(err: Error) -> Error {
    let Error::Api {
        operation,
        code,
        errors,
        ..
    } = &err
    else {
        return err;
    };
    let operation = *operation;
    let field_code = |wanted: &str| errors.iter().any(|e| e.code.as_deref() == Some(wanted));
    match code {
        ApiErrorCode::CaptchaRequired => Error::CaptchaRequired {
            operation,
            provider: None,
        },
        ApiErrorCode::Other(c) if c == "NO_PASSKEYS_REGISTERED" => Error::MfaMethodUnavailable {
            operation,
            method: "webauthn",
        },
        ApiErrorCode::InvalidFormBody if field_code("INVALID_EMAIL_OR_PASSWORD") => {
            Error::InvalidLogin { operation }
        }
        ApiErrorCode::InvalidFormBody if field_code("SESSION_TIMEOUT") => {
            Error::MfaTicketExpired { operation }
        }
        ApiErrorCode::InvalidFormBody if field_code("INVALID_CODE") => {
            Error::InvalidMfaCode { operation }
        }
        _ => err,
    }
}

/// The first characters of a session's `id_hash`, for showing it to a person.
///
/// ```
/// let hash = "a".repeat(43);
/// assert_eq!(fluxer_oauth2::login::short_id_hash(&hash), "aaaaaaaa…");
/// ```
pub fn short_id_hash(id_hash: &str) -> String {
    let short: String = id_hash.chars().take(8).collect();
    if id_hash.chars().count() > 8 {
        format!("{short}…")
    } else {
        short
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn answer(json: &serde_json::Value) -> Option<types::LoginResponse> {
        serde_json::from_value(json.clone()).ok()
    }

    proptest! {
        /// Whatever the fields, reading an answer never panics, a challenge always has its ticket,
        /// a session always has its token, and nothing secret shows in `Debug`.
        #[test]
        fn login_answers_read_into_one_shape(
            mfa in proptest::option::of(any::<bool>()),
            ticket in proptest::option::of("[a-zA-Z0-9]{12,64}"),
            token in proptest::option::of("flx_[a-zA-Z0-9]{8,40}"),
            user_id in proptest::option::of(0u64..=i64::MAX as u64),
            methods in proptest::collection::vec("[a-z]{1,10}", 0..4),
            totp in proptest::option::of(any::<bool>()),
        ) {
            let json = serde_json::json!({
                "mfa": mfa, "ticket": ticket, "token": token,
                "user_id": user_id.map(|u| u.to_string()),
                "allowed_methods": methods, "totp": totp,
            });
            let parsed = answer(&json).expect("every field is optional");
            match Login::from_response(parsed) {
                Ok(Login::Mfa(challenge)) => {
                    prop_assert_eq!(mfa, Some(true));
                    let ticket = ticket.unwrap();
                    let shown = format!("{:?}", challenge);
                    prop_assert!(!shown.contains(&ticket));
                    prop_assert_eq!(challenge.totp(), totp.unwrap_or(methods.iter().any(|m| m == "totp")));
                }
                Ok(Login::Session(session)) => {
                    prop_assert_ne!(mfa, Some(true));
                    let token = token.unwrap();
                    let shown = format!("{:?}", session);
                    prop_assert!(!shown.contains(&token));
                }
                Err(err) => {
                    let decode = matches!(err, Error::Decode { .. });
                    prop_assert!(decode);
                    prop_assert!(mfa == Some(true) && ticket.is_none() || token.is_none() || user_id.is_none());
                }
            }
        }

        /// The MFA step's answer decodes only with both its fields, and never shows the token.
        #[test]
        fn mfa_answers_need_token_and_user(
            token in proptest::option::of("flx_[a-zA-Z0-9]{8,40}"),
            user_id in proptest::option::of(0u64..=i64::MAX as u64),
        ) {
            let json = serde_json::json!({ "token": token, "user_id": user_id.map(|u| u.to_string()) });
            let parsed: Result<types::LoginSessionResponse, _> = serde_json::from_value(json);
            prop_assert_eq!(parsed.is_ok(), token.is_some() && user_id.is_some());
            if let (Ok(parsed), Some(token)) = (parsed, token) {
                let shown = format!("{:?}", parsed);
                prop_assert!(!shown.contains(&token));
            }
        }
    }
}
