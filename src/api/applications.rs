//! Application and bot management: create, read, update, delete, rotate credentials, list.

use crate::{Error, FluxerClient, SudoVerification, types, validate};

/// A solved captcha, for instances that require one to create an application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captcha {
    /// The token the captcha widget returned.
    pub token: String,
    /// The provider, when the instance needs it said.
    pub kind: Option<types::CaptchaType>,
}

impl FluxerClient {
    /// `create_oauth_application`: registers an application (session credential).
    ///
    /// The answer holds the client secret and bot token; they are shown only here and on rotation.
    ///
    /// ```no_run
    /// # async fn demo(client: fluxer_oauth2::FluxerClient) -> Result<(), fluxer_oauth2::Error> {
    /// use fluxer_oauth2::types::ApplicationCreateRequest;
    ///
    /// let app = client
    ///     .create_oauth_application(
    ///         ApplicationCreateRequest::builder()
    ///             .name("My app")
    ///             .redirect_uris(Some(vec!["https://app.example/callback".to_owned()])),
    ///         None,
    ///     )
    ///     .await?;
    /// let secret = app.client_secret.expect("returned on creation");
    /// # Ok(()) }
    /// ```
    pub async fn create_oauth_application<B>(
        &self,
        body: B,
        captcha: Option<&Captcha>,
    ) -> Result<types::ApplicationResponse, Error>
    where
        B: TryInto<types::ApplicationCreateRequest>,
        B::Error: std::fmt::Display,
    {
        const OP: &str = "create_oauth_application";
        let body: types::ApplicationCreateRequest = validate::body(OP, body)?;
        validate::redirect_uris(OP, body.redirect_uris.as_deref().unwrap_or_default())?;
        let mut call = self.api.create_oauth_application().body(body);
        if let Some(captcha) = captcha {
            call = call.x_captcha_token(captcha.token.clone());
            if let Some(kind) = captcha.kind {
                call = call.x_captcha_type(kind);
            }
        }
        self.send(OP, call.send()).await
    }

    /// `get_oauth_application`: reads an application the user owns (session credential).
    pub async fn get_oauth_application(
        &self,
        id: &str,
    ) -> Result<types::ApplicationResponse, Error> {
        const OP: &str = "get_oauth_application";
        let id = validate::snowflake(OP, "id", id)?;
        self.send(OP, self.api.get_oauth_application().id(id).send())
            .await
    }

    /// `update_oauth_application`: changes an application (session credential). Fields left `None`
    /// stay as they are; `redirect_uris: Some(Clearable::Clear)` empties the list.
    pub async fn update_oauth_application<B>(
        &self,
        id: &str,
        body: B,
    ) -> Result<types::ApplicationResponse, Error>
    where
        B: TryInto<types::ApplicationUpdateRequest>,
        B::Error: std::fmt::Display,
    {
        const OP: &str = "update_oauth_application";
        let id = validate::snowflake(OP, "id", id)?;
        let body: types::ApplicationUpdateRequest = validate::body(OP, body)?;
        if let Some(crate::Clearable::Set(uris)) = &body.redirect_uris {
            validate::redirect_uris(OP, uris)?;
        }
        if let Some(crate::Clearable::Set(description)) = &body.description
            && description.chars().count() > 400
        {
            return Err(Error::InvalidInput {
                operation: OP,
                message: "a description has at most 400 characters".to_owned(),
            });
        }
        self.send(
            OP,
            self.api.update_oauth_application().id(id).body(body).send(),
        )
        .await
    }

    /// `delete_oauth_application`: deletes an application and its bot (session credential, sudo mode).
    ///
    /// Pass `None` first: within 5 minutes of an MFA verification the client still holds the server's
    /// sudo-mode token and the call goes through; otherwise [`Error::SudoRequired`] says what to ask for.
    pub async fn delete_oauth_application(
        &self,
        id: &str,
        sudo: Option<&SudoVerification>,
    ) -> Result<(), Error> {
        const OP: &str = "delete_oauth_application";
        let id = validate::snowflake(OP, "id", id)?;
        let body = self.sudo_body(OP, sudo)?;
        self.send(
            OP,
            self.api.delete_oauth_application().id(id).body(body).send(),
        )
        .await
    }

    /// `reset_client_secret`: issues a new client secret (session credential, sudo mode). The old secret
    /// stops working at once; issued tokens stay valid.
    pub async fn reset_client_secret(
        &self,
        id: &str,
        sudo: Option<&SudoVerification>,
    ) -> Result<types::ApplicationResponse, Error> {
        const OP: &str = "reset_client_secret";
        let id = validate::snowflake(OP, "id", id)?;
        let body = self.sudo_body(OP, sudo)?;
        self.send(OP, self.api.reset_client_secret().id(id).body(body).send())
            .await
    }

    /// `reset_bot_token`: issues a new bot token (session credential, sudo mode). The old one stops
    /// working at once.
    pub async fn reset_bot_token(
        &self,
        id: &str,
        sudo: Option<&SudoVerification>,
    ) -> Result<types::BotTokenResetResponse, Error> {
        const OP: &str = "reset_bot_token";
        let id = validate::snowflake(OP, "id", id)?;
        let body = self.sudo_body(OP, sudo)?;
        self.send(OP, self.api.reset_bot_token().id(id).body(body).send())
            .await
    }

    /// `update_bot_profile`: changes the bot user's profile (session credential).
    pub async fn update_bot_profile<B>(
        &self,
        id: &str,
        body: B,
    ) -> Result<types::BotProfileResponse, Error>
    where
        B: TryInto<types::BotProfileUpdateRequest>,
        B::Error: std::fmt::Display,
    {
        const OP: &str = "update_bot_profile";
        let id = validate::snowflake(OP, "id", id)?;
        let body: types::BotProfileUpdateRequest = validate::body(OP, body)?;
        self.send(OP, self.api.update_bot_profile().id(id).body(body).send())
            .await
    }

    /// `get_public_application`: what a consent screen shows (no credential is sent).
    pub async fn get_public_application(
        &self,
        id: &str,
    ) -> Result<types::ApplicationPublicResponse, Error> {
        const OP: &str = "get_public_application";
        let id = validate::snowflake(OP, "id", id)?;
        self.send(OP, self.api.get_public_application().id(id).send())
            .await
    }

    /// `list_user_applications`: the applications the user owns (session credential).
    pub async fn list_user_applications(&self) -> Result<Vec<types::ApplicationResponse>, Error> {
        const OP: &str = "list_user_applications";
        Ok(self
            .send(OP, self.api.list_user_applications().send())
            .await?
            .0)
    }

    /// `get_oauth_applications_me`: a bot's own application, or a user's applications.
    pub async fn get_oauth_applications_me(
        &self,
    ) -> Result<types::OAuth2ApplicationsMeResponse, Error> {
        const OP: &str = "get_oauth_applications_me";
        self.send(OP, self.api.get_oauth_applications_me().send())
            .await
    }

    /// `get_current_user_applications`: the application a bot token belongs to (bot credential).
    pub async fn get_current_user_applications(
        &self,
    ) -> Result<types::ApplicationsMeResponse, Error> {
        const OP: &str = "get_current_user_applications";
        self.send(OP, self.api.get_current_user_applications().send())
            .await
    }

    /// The body of a sudo call: the verification given, or an empty object. The server checks a held
    /// sudo-mode token first, so sending a proof beside it spends nothing, and the proof still counts
    /// if the token was refused.
    fn sudo_body(
        &self,
        operation: &'static str,
        sudo: Option<&SudoVerification>,
    ) -> Result<types::SudoVerificationSchema, Error> {
        match sudo {
            Some(proof) => {
                proof
                    .validate()
                    .map_err(|message| Error::InvalidInput { operation, message })?;
                Ok(proof.body())
            }
            None => Ok(types::SudoVerificationSchema::default()),
        }
    }
}
