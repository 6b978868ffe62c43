//! Calls made with a user's OAuth2 access token, and the consent a signed-in user gives.

use crate::{Error, FluxerClient, types};

impl FluxerClient {
    /// `get_oauth2_userinfo`: the user who granted the access token (bearer credential, scope `identify`).
    pub async fn get_oauth2_userinfo(&self) -> Result<types::OAuth2UserInfoResponse, Error> {
        const OP: &str = "get_oauth2_userinfo";
        self.send(OP, self.api.get_oauth2_userinfo().send()).await
    }

    /// `get_current_user_oauth2`: the access token's application, scopes and expiry, and its user when
    /// the token has `identify` (bearer credential).
    pub async fn get_current_user_oauth2(&self) -> Result<types::OAuth2MeResponse, Error> {
        const OP: &str = "get_current_user_oauth2";
        self.send(OP, self.api.get_current_user_oauth2().send())
            .await
    }

    /// `provide_oauth2_consent`: the signed-in user authorizes an application (session credential).
    /// The answer's `redirect_to` carries the code; [`crate::oauth::callback::Callback::parse`] reads it.
    pub async fn provide_oauth2_consent<B>(
        &self,
        body: B,
    ) -> Result<types::OAuth2ConsentResponse, Error>
    where
        B: TryInto<types::AuthorizeConsentRequest>,
        B::Error: std::fmt::Display,
    {
        const OP: &str = "provide_oauth2_consent";
        let body: types::AuthorizeConsentRequest = crate::validate::body(OP, body)?;
        if body.guild_id.is_some() && body.channel_id.is_some() {
            return Err(Error::InvalidInput {
                operation: OP,
                message: "give `guild_id` or `channel_id`, not both".to_owned(),
            });
        }
        self.send(OP, self.api.provide_oauth2_consent().body(body).send())
            .await
    }
}
