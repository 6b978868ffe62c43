//! A user's authorizations: which applications they granted access, and taking it back.

use crate::{Error, FluxerClient, types, validate};

impl FluxerClient {
    /// `list_user_oauth2_authorizations`: the applications the user authorized (session credential).
    pub async fn list_user_oauth2_authorizations(
        &self,
    ) -> Result<Vec<types::OAuth2AuthorizationResponse>, Error> {
        const OP: &str = "list_user_oauth2_authorizations";
        Ok(self
            .send(OP, self.api.list_user_oauth2_authorizations().send())
            .await?
            .0)
    }

    /// `delete_user_oauth2_authorization`: deletes every token the user granted one application
    /// (session credential). Repeating it is harmless; an id that names no application is 404.
    pub async fn delete_user_oauth2_authorization(
        &self,
        application_id: &str,
    ) -> Result<(), Error> {
        const OP: &str = "delete_user_oauth2_authorization";
        let id = validate::snowflake(OP, "application_id", application_id)?;
        self.send(
            OP,
            self.api
                .delete_user_oauth2_authorization()
                .application_id(id)
                .send(),
        )
        .await
    }

    /// `bulk_delete_user_oauth2_authorizations`: the same for 1 to 100 applications at once.
    pub async fn bulk_delete_user_oauth2_authorizations(
        &self,
        application_ids: &[String],
    ) -> Result<(), Error> {
        const OP: &str = "bulk_delete_user_oauth2_authorizations";
        let ids = validate::id_list(OP, application_ids)?;
        let body = types::OAuth2AuthorizationsBulkRevokeRequest {
            application_ids: ids,
        };
        self.send(
            OP,
            self.api
                .bulk_delete_user_oauth2_authorizations()
                .body(body)
                .send(),
        )
        .await
    }
}
