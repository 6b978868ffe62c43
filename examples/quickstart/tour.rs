//! The steps of the tour, in the order an application meets them.

use std::sync::Arc;

use fluxer_oauth2::{
    ApplicationId, Clearable, Credential, Error, FluxerClient, Secret, SudoVerification,
    oauth::{AuthorizeUrl, ClientCredentials, RedirectUri, Scope, TokenKind},
    types,
};

use crate::{
    codes::TotpCodes,
    report::{Report, hidden},
};

/// Where the tour sends users back after consent. http is allowed for loopback addresses.
pub const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

/// How the tour proves sudo mode.
pub enum SudoSource {
    /// The account password (users without MFA).
    Password(Secret),
    /// A fresh TOTP code each time it is asked.
    Totp(Arc<TotpCodes>),
    /// No way to verify: sudo steps are skipped.
    None,
}

impl SudoSource {
    async fn proof(&self, r: &Report) -> Option<SudoVerification> {
        match self {
            Self::Password(p) => Some(SudoVerification::password(p.clone())),
            Self::Totp(codes) => Some(SudoVerification::totp(codes.fresh(r).await)),
            Self::None => None,
        }
    }
}

/// A user's session client, and a client with no credential on the same pool.
pub struct Tour {
    pub session: FluxerClient,
    pub anonymous: FluxerClient,
}

/// The application the tour made, kept for the steps that follow the OAuth2 operations.
pub struct TourApp {
    pub id: String,
    pub credentials: ClientCredentials,
    pub bot_token: Secret,
}

impl Tour {
    pub fn new(base_url: &str, session: Credential) -> Result<Self, Error> {
        let session = FluxerClient::builder()
            .base_url(base_url)
            .credential(session)
            .build()?;
        let anonymous = session.with_credential(None);
        Ok(Self { session, anonymous })
    }

    /// Every operation but the sudo ones: the application, the bot's view, the code flow, the
    /// user's authorizations. [`Tour::finish`] rotates and deletes the application.
    pub async fn operations(&self, r: &mut Report) -> Result<TourApp, Error> {
        // Applications.
        let created = self
            .session
            .create_oauth_application()
            .body(
                types::ApplicationCreateRequest::builder()
                    .name("Quickstart app")
                    .redirect_uris(Some(vec![
                        RedirectUri::parse(REDIRECT_URI).map_err(invalid)?,
                    ])),
            )
            .send()
            .await?;
        let app_id = created.id.to_string();
        let client_secret = created
            .client_secret
            .clone()
            .ok_or_else(|| missing("client_secret"))?;
        let bot_token = created
            .bot
            .as_ref()
            .and_then(|b| b.token.clone())
            .ok_or_else(|| missing("bot.token"))?;
        r.ok(
            "create_oauth_application",
            format!(
                "created {:?} id={app_id} (client secret {}, bot token {})",
                created.name,
                hidden(&client_secret),
                hidden(&bot_token)
            ),
        );
        let read = self
            .session
            .get_oauth_application()
            .id(&app_id)
            .send()
            .await?;
        r.ok(
            "get_oauth_application",
            format!(
                "read {:?}, redirect URIs {:?}",
                read.name, read.redirect_uris
            ),
        );
        let updated = self
            .session
            .update_oauth_application()
            .id(&app_id)
            .body(
                types::ApplicationUpdateRequest::builder()
                    .name(Some(
                        "Quickstart app (renamed)".try_into().map_err(invalid)?,
                    ))
                    .redirect_uris(Some(Clearable::Set(vec![
                        RedirectUri::parse(REDIRECT_URI).map_err(invalid)?,
                        RedirectUri::parse("https://app.example/callback").map_err(invalid)?,
                    ]))),
            )
            .send()
            .await?;
        r.ok(
            "update_oauth_application",
            format!(
                "renamed to {:?}, {} redirect URIs",
                updated.name,
                updated.redirect_uris.len()
            ),
        );
        let public = self
            .anonymous
            .get_public_application()
            .id(&app_id)
            .send()
            .await?;
        r.ok(
            "get_public_application",
            format!(
                "public view without a credential: {:?}, scopes {:?}",
                public.name, public.scopes
            ),
        );
        let mine = self.session.list_user_applications().send().await?;
        r.ok(
            "list_user_applications",
            format!("the user owns {} application(s)", mine.len()),
        );
        match self
            .session
            .get_oauth_applications_me()
            .send()
            .await?
            .into_inner()
        {
            types::OAuth2ApplicationsMeResponse::ApplicationListResponse(list) => r.ok(
                "get_oauth_applications_me",
                format!("as the user: a list of {}", list.0.len()),
            ),
            types::OAuth2ApplicationsMeResponse::ApplicationsMeResponse(app) => r.ok(
                "get_oauth_applications_me",
                format!("as the user: {}", app.name),
            ),
        }

        // The bot's view.
        let bot = self
            .session
            .with_credential(Credential::Bot(bot_token.clone()));
        let bot_app = bot.get_current_user_applications().send().await?;
        r.ok(
            "get_current_user_applications",
            format!(
                "as the bot: {:?}, owner {}",
                bot_app.name, bot_app.owner.username
            ),
        );
        if let types::OAuth2ApplicationsMeResponse::ApplicationsMeResponse(app) =
            bot.get_oauth_applications_me().send().await?.into_inner()
        {
            r.ok(
                "get_oauth_applications_me",
                format!("as the bot: its application {}", app.id.as_str()),
            );
        }
        let profile = self
            .session
            .update_bot_profile()
            .id(&app_id)
            .body(
                types::BotProfileUpdateRequest::builder()
                    .bio(Some(Clearable::Set("Made by the quickstart".to_owned())))
                    .bot_flags(Some(types::BotFlags(16))),
            )
            .send()
            .await?;
        r.ok(
            "update_bot_profile",
            format!(
                "bot {} bio {:?} flags {}",
                profile.username, profile.bio, profile.flags.0
            ),
        );

        // The authorization-code flow with PKCE.
        let credentials = ClientCredentials::new(&app_id, client_secret.clone())?;
        let tokens = self.authorize(r, &app_id, &credentials).await?;
        let user_client = self
            .session
            .with_credential(Credential::Bearer(tokens.access_token.clone()));
        let me = user_client.get_oauth2_userinfo().send().await?;
        r.ok(
            "get_oauth2_userinfo",
            format!(
                "the user is {} (id {}), email {:?}",
                me.username,
                me.id.as_str(),
                me.email
            ),
        );
        let grant = user_client.get_current_user_oauth2().send().await?;
        r.ok(
            "get_current_user_oauth2",
            format!(
                "token for {:?}, scopes {:?}, expires {}",
                grant.application.name, grant.scopes, grant.expires
            ),
        );
        let refreshed = self
            .anonymous
            .refresh_token(&credentials, &tokens.refresh_token)
            .await?;
        r.ok(
            "exchange_oauth2_token",
            format!(
                "refreshed: new pair, scope {:?} (the old refresh token is now spent)",
                refreshed.scope
            ),
        );
        let state = self
            .anonymous
            .introspect(&credentials, &refreshed.access_token)
            .await?;
        r.ok(
            "introspect_oauth2_token",
            format!(
                "active={} sub={:?} scope={:?}",
                state.active,
                state.sub.map(|s| s.to_string()),
                state.scope
            ),
        );
        self.anonymous
            .revoke(
                &credentials,
                &refreshed.refresh_token,
                TokenKind::RefreshToken,
            )
            .await?;
        let after = self
            .anonymous
            .introspect(&credentials, &refreshed.access_token)
            .await?;
        r.ok(
            "revoke_oauth2_token",
            format!(
                "revoked the refresh token; the user's access token is now active={}",
                after.active
            ),
        );

        // The user's authorizations.
        self.authorize(r, &app_id, &credentials).await?;
        let grants = self
            .session
            .list_user_oauth2_authorizations()
            .send()
            .await?;
        r.ok(
            "list_user_oauth2_authorizations",
            format!(
                "{} authorization(s): {:?}",
                grants.len(),
                grants
                    .iter()
                    .map(|g| g.application.name.clone())
                    .collect::<Vec<_>>()
            ),
        );
        self.session
            .delete_user_oauth2_authorization()
            .application_id(&app_id)
            .send()
            .await?;
        r.ok(
            "delete_user_oauth2_authorization",
            format!("took back the grant to {app_id}"),
        );
        self.authorize(r, &app_id, &credentials).await?;
        self.session
            .bulk_delete_user_oauth2_authorizations()
            .body(types::OAuth2AuthorizationsBulkRevokeRequest {
                application_ids: vec![ApplicationId::parse(&app_id).map_err(invalid)?],
            })
            .send()
            .await?;
        let left = self
            .session
            .list_user_oauth2_authorizations()
            .send()
            .await?;
        r.ok(
            "bulk_delete_user_oauth2_authorizations",
            format!("took back grants in bulk; {} left", left.len()),
        );
        Ok(TourApp {
            id: app_id,
            credentials,
            bot_token,
        })
    }

    /// Credential rotation and deletion of the tour's application under sudo mode.
    pub async fn finish(
        &self,
        r: &mut Report,
        app: &TourApp,
        sudo: &SudoSource,
    ) -> Result<(), Error> {
        self.rotate_and_delete(r, &app.id, sudo).await
    }

    /// Sudo mode for a user with MFA: one TOTP code, then the server's sudo-mode token for the rest.
    pub async fn sudo_with_mfa(&self, r: &mut Report, sudo: &SudoSource) -> Result<(), Error> {
        let methods = self.session.get_sudo_mfa_methods().send().await?;
        r.note(format!(
            "get_sudo_mfa_methods: has_mfa={} totp={} webauthn={}",
            methods.has_mfa, methods.totp, methods.webauthn
        ));
        let created = self
            .session
            .create_oauth_application()
            .body(types::ApplicationCreateRequest::builder().name("Quickstart MFA app"))
            .send()
            .await?;
        let app_id = created.id.to_string();
        r.ok(
            "create_oauth_application",
            format!("created {:?} id={app_id}", created.name),
        );
        match self
            .session
            .reset_client_secret()
            .id(&app_id)
            .sudo(None)
            .send()
            .await
        {
            Err(Error::SudoRequired {
                has_mfa, methods, ..
            }) => {
                r.note(format!(
                    "without proof: sudo mode required (has_mfa={has_mfa}, totp={})",
                    methods.totp
                ));
            }
            other => return Err(unexpected("reset_client_secret without proof", other.err())),
        }
        self.rotate_and_delete(r, &app_id, sudo).await
    }

    /// Authorize URL with PKCE, consent, callback with state check, code exchange.
    async fn authorize(
        &self,
        r: &mut Report,
        app_id: &str,
        credentials: &ClientCredentials,
    ) -> Result<fluxer_oauth2::oauth::TokenSet, Error> {
        let request = AuthorizeUrl::new(self.session.base_url(), app_id, REDIRECT_URI)
            .scopes([Scope::Identify, Scope::Email])
            .build()?;
        r.note(format!(
            "authorize URL built: {} (state and PKCE S256 challenge in the query)",
            request.url.path()
        ));
        let callback = self.session.grant_consent(&request).await?;
        let code = callback.verify_state(&request.state)?;
        r.ok(
            "provide_oauth2_consent",
            format!(
                "consent given; callback parsed, state verified, code {}",
                hidden(&code)
            ),
        );
        let tokens = self
            .anonymous
            .exchange_code_with(
                credentials,
                &code,
                request.redirect_uri.normalized(),
                request.pkce_verifier.as_ref(),
            )
            .await?;
        r.ok(
            "exchange_oauth2_token",
            format!(
                "code exchanged: access token {}, scope {:?}, expires in {:?}",
                hidden(&tokens.access_token),
                tokens.scope,
                tokens.expires_in
            ),
        );
        Ok(tokens)
    }

    async fn rotate_and_delete(
        &self,
        r: &mut Report,
        app_id: &str,
        sudo: &SudoSource,
    ) -> Result<(), Error> {
        let Some(proof) = sudo.proof(r).await else {
            for op in [
                "reset_client_secret",
                "reset_bot_token",
                "delete_oauth_application",
            ] {
                r.skip(
                    op,
                    "needs sudo mode: set FLUXER_SUDO_PASSWORD or FLUXER_TOTP_SECRET",
                );
            }
            r.note(format!(
                "the application {app_id} was left in place; delete it in the Fluxer app"
            ));
            return Ok(());
        };
        let rotated = self
            .session
            .reset_client_secret()
            .id(app_id)
            .sudo(Some(&proof))
            .send()
            .await?;
        let secret = rotated
            .into_inner()
            .client_secret
            .ok_or_else(|| missing("client_secret"))?;
        r.ok(
            "reset_client_secret",
            format!("new client secret ({})", hidden(&secret)),
        );
        // A password user proves it again; an MFA user rides on the sudo-mode token the server returned.
        let again = if matches!(sudo, SudoSource::Password(_)) {
            sudo.proof(r).await
        } else {
            None
        };
        let reset = self
            .session
            .reset_bot_token()
            .id(app_id)
            .sudo(again.as_ref())
            .send()
            .await?;
        r.ok(
            "reset_bot_token",
            format!(
                "new bot token ({}) for bot {}",
                hidden(&reset.token),
                reset.bot.username
            ),
        );
        self.session
            .delete_oauth_application()
            .id(app_id)
            .sudo(again.as_ref())
            .send()
            .await?;
        r.ok("delete_oauth_application", format!("deleted {app_id}"));
        Ok(())
    }
}

fn missing(field: &str) -> Error {
    Error::InvalidInput {
        operation: "quickstart",
        message: format!("the server's answer had no {field}"),
    }
}

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::InvalidInput {
        operation: "quickstart",
        message: e.to_string(),
    }
}

fn unexpected(step: &str, got: Option<Error>) -> Error {
    Error::InvalidInput {
        operation: "quickstart",
        message: format!("{step}: expected sudo mode to be required, got {got:?}"),
    }
}
