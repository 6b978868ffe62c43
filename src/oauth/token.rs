//! The token endpoint calls (exchange, refresh, client credentials, introspect, revoke) as form bodies,
//! with client authentication in the body or as HTTP Basic, and `TokenSet`, what they return.

use std::time::{Duration, SystemTime};

use base64::Engine as _;
use reqwest::header::HeaderValue;

use crate::{
    ClientId, Credential, Error, FluxerClient, Secret,
    oauth::{PkceVerifier, RedirectUri},
    types,
};

/// How the application proves who it is to the token, introspect and revoke endpoints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body (the default).
    #[default]
    Body,
    /// `Authorization: Basic base64(client_id:client_secret)`. The server does not URL-decode the
    /// pair, so the raw values are encoded.
    Basic,
}

/// An application's client id and secret, and how to send them.
///
/// ```
/// use fluxer_oauth2::oauth::ClientCredentials;
///
/// let creds = ClientCredentials::new("1574449618593251330", "s3cret").unwrap();
/// assert!(!format!("{creds:?}").contains("s3cret"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ClientCredentials {
    client_id: ClientId,
    client_secret: Secret,
    auth: ClientAuth,
}

impl ClientCredentials {
    /// Credentials sent in the form body. The id is text (which must be a Fluxer id) or a checked
    /// [`ClientId`] or [`crate::ApplicationId`], such as the `id` of a created application.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when the text is not a Fluxer id.
    pub fn new(
        client_id: impl TryInto<ClientId, Error: Into<crate::SnowflakeError>>,
        client_secret: impl Into<Secret>,
    ) -> Result<Self, Error> {
        let client_id = client_id.try_into().map_err(|e| Error::InvalidInput {
            operation: "ClientCredentials::new",
            message: format!("`client_id`: {}", e.into()),
        })?;
        Ok(Self {
            client_id,
            client_secret: client_secret.into(),
            auth: ClientAuth::Body,
        })
    }

    /// The same credentials, sent the given way.
    pub fn with_auth(mut self, auth: ClientAuth) -> Self {
        self.auth = auth;
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// The client secret.
    pub(crate) fn client_secret(&self) -> &Secret {
        &self.client_secret
    }

    /// How the credentials are sent.
    pub fn auth(&self) -> ClientAuth {
        self.auth
    }

    /// The form fields: the pair in [`ClientAuth::Body`] mode, nothing in [`ClientAuth::Basic`] mode
    /// (introspect and revoke refuse credentials sent both ways).
    fn body_fields(&self) -> (Option<ClientId>, Option<Secret>) {
        match self.auth {
            ClientAuth::Body => (
                Some(self.client_id.clone()),
                Some(self.client_secret.clone()),
            ),
            ClientAuth::Basic => (None, None),
        }
    }

    /// `Basic base64(id:secret)` in [`ClientAuth::Basic`] mode, marked sensitive.
    pub(crate) fn basic_header(&self) -> Option<HeaderValue> {
        if self.auth != ClientAuth::Basic {
            return None;
        }
        let pair = format!(
            "{}:{}",
            self.client_id.as_str(),
            self.client_secret.expose_secret()
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair.as_bytes());
        let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
            .expect("base64 is a valid header value");
        value.set_sensitive(true);
        Some(value)
    }
}

/// The longest access-token lifetime taken at its word (Fluxer issues 7 days); a longer one is read
/// as "expires now".
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(366 * 86_400);

/// A user's tokens, as the token endpoint issued them, with an absolute expiry.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenSet {
    /// The access token, for `Authorization: Bearer`.
    pub access_token: Secret,
    /// The refresh token. Single-use: each refresh returns a new one and the old one stops working.
    pub refresh_token: Secret,
    /// The granted scopes (`Display` gives them space-separated, in canonical order).
    pub scope: crate::oauth::Scopes,
    /// The token type (`Bearer`).
    pub token_type: String,
    /// How long the access token was valid when issued.
    pub expires_in: Duration,
    /// When the access token expires.
    pub expires_at: SystemTime,
}

impl TokenSet {
    /// Builds a set from the endpoint's answer, received at `now`.
    ///
    /// An `expires_in` that is zero, negative or absurd (over [`MAX_TOKEN_LIFETIME`]) is read as
    /// "expires now": a refresh follows, and [`crate::oauth::TokenManager`] holds those to
    /// one per half refresh margin.
    pub fn from_response(response: types::OAuth2TokenResponse, now: SystemTime) -> Self {
        let expires_in = u64::try_from(response.expires_in)
            .ok()
            .map(Duration::from_secs)
            .filter(|d| *d <= MAX_TOKEN_LIFETIME)
            .unwrap_or(Duration::ZERO);
        Self {
            access_token: response.access_token,
            refresh_token: response.refresh_token,
            // The server's list is space-separated (`+` in some answers); unknown names are kept.
            scope: response
                .scope
                .split(|c: char| c.is_whitespace() || c == '+')
                .filter_map(|piece| piece.parse().ok())
                .collect(),
            token_type: response.token_type,
            expires_in,
            // An absurd lifetime from the server must not panic: it saturates at "far in the future".
            expires_at: now
                .checked_add(expires_in)
                .unwrap_or(now + Duration::from_secs(100 * 365 * 86_400)),
        }
    }

    /// Whether the access token expires within `margin` of `now` (always, for a margin that reaches
    /// past the end of time).
    pub fn expires_within(&self, margin: Duration, now: SystemTime) -> bool {
        now.checked_add(margin)
            .is_none_or(|limit| self.expires_at <= limit)
    }

    /// Whether a scope was granted.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s.as_str() == scope)
    }
}

/// Which kind of token is being revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token.
    AccessToken,
    /// A refresh token. The server recognises one only when the request says so.
    RefreshToken,
}

impl FluxerClient {
    /// A client on the same pool that authenticates as the application.
    fn as_application(&self, credentials: &ClientCredentials) -> FluxerClient {
        self.with_credential(Credential::Client(credentials.clone()))
    }

    /// Finishes an authorization: reads the callback (the redirect URL or its query), checks its
    /// state against the pending authorization in constant time, and exchanges the code with the
    /// pending redirect URI and PKCE verifier. The pending authorization is consumed.
    ///
    /// # Errors
    /// [`Error::Callback`] when the callback is a denial, lacks the code or carries another state
    /// (nothing is sent then); otherwise as [`FluxerClient::exchange_code_with`].
    pub async fn exchange_code(
        &self,
        credentials: &ClientCredentials,
        callback: &str,
        pending: crate::oauth::PendingAuthorization,
    ) -> Result<TokenSet, Error> {
        let (state, verifier, redirect) = pending.into_inner();
        let code = crate::oauth::Callback::parse(callback)?.verify_state(&state)?;
        self.exchange_code_with(credentials, &code, &redirect, verifier.as_ref())
            .await
    }

    /// Exchanges an authorization code for tokens (`exchange_oauth2_token`, `authorization_code`),
    /// when the app checked the callback itself.
    ///
    /// `redirect_uri` is the one the authorization used; it is sent in the normalised form the server
    /// stored (`https://x.example` becomes `https://x.example/`), so the trailing-slash difference can
    /// not cause an `invalid_grant`. Give the PKCE verifier when the authorization used PKCE.
    /// A failed exchange does not spend the code; it is never retried except after a 429.
    pub async fn exchange_code_with<R>(
        &self,
        credentials: &ClientCredentials,
        code: &Secret,
        redirect_uri: R,
        pkce_verifier: Option<&PkceVerifier>,
    ) -> Result<TokenSet, Error>
    where
        R: TryInto<RedirectUri>,
        R::Error: std::fmt::Display,
    {
        let redirect = redirect_uri.try_into().map_err(|e| Error::InvalidInput {
            operation: "exchange_oauth2_token",
            message: format!("`redirect_uri`: {e}"),
        })?;
        let (client_id, client_secret) = credentials.body_fields();
        let request = types::AuthorizationCodeTokenRequest {
            grant_type: types::AuthorizationCodeTokenRequestGrantType::AuthorizationCode,
            code: code.clone(),
            redirect_uri: redirect.normalized_form(),
            client_id,
            client_secret,
            code_verifier: pkce_verifier.map(|v| Secret::new(v.expose_secret())),
        };
        self.token_call(credentials, request.into()).await
    }

    /// Trades a refresh token for a new pair (`exchange_oauth2_token`, `refresh_token`). The old refresh
    /// token stops working; the old access token stays valid until it expires.
    ///
    /// An `invalid_grant` answer means the user must authorize again.
    pub async fn refresh_token(
        &self,
        credentials: &ClientCredentials,
        refresh_token: &Secret,
    ) -> Result<TokenSet, Error> {
        let (client_id, client_secret) = credentials.body_fields();
        let request = types::RefreshTokenTokenRequest {
            grant_type: types::RefreshTokenTokenRequestGrantType::RefreshToken,
            refresh_token: refresh_token.clone(),
            client_id,
            client_secret,
        };
        self.token_call(credentials, request.into()).await
    }

    /// The `client_credentials` grant, as the Fluxer docs describe it for bot-only applications.
    ///
    /// The server refuses it today: expect [`Error::Api`] with status 400 and code `INVALID_FORM_BODY`
    /// on the field `grant_type`. Use the application's bot token instead.
    pub async fn client_credentials(
        &self,
        credentials: &ClientCredentials,
        scope: Option<&str>,
    ) -> Result<TokenSet, Error> {
        let (client_id, client_secret) = credentials.body_fields();
        let scope = scope.map(|s| s.try_into()).transpose().map_err(
            |e: types::error::ConversionError| Error::InvalidInput {
                operation: "exchange_oauth2_token",
                message: format!("`scope`: {e}"),
            },
        )?;
        let request = types::ClientCredentialsTokenRequest {
            grant_type: types::ClientCredentialsTokenRequestGrantType::ClientCredentials,
            scope,
            client_id,
            client_secret,
        };
        self.token_call(credentials, request.into()).await
    }

    /// Whether a token of this application is active, and for whom (`introspect_oauth2_token`).
    pub async fn introspect(
        &self,
        credentials: &ClientCredentials,
        token: &Secret,
    ) -> Result<types::OAuth2IntrospectResponse, Error> {
        let (client_id, client_secret) = credentials.body_fields();
        let body = types::IntrospectRequestForm {
            token: token.clone(),
            client_id,
            client_secret,
        };
        Ok(self
            .as_application(credentials)
            .introspect_oauth2_token()
            .body(body)
            .send()
            .await?
            .into_inner())
    }

    /// Revokes a token (`revoke_oauth2_token`).
    ///
    /// Revoking any token of a user revokes **all** of that user's tokens for this application.
    /// For a refresh token the request says `token_type_hint=refresh_token`, without which the server
    /// would answer 200 and revoke nothing. Unknown tokens also answer 200.
    pub async fn revoke(
        &self,
        credentials: &ClientCredentials,
        token: &Secret,
        kind: TokenKind,
    ) -> Result<(), Error> {
        let (client_id, client_secret) = credentials.body_fields();
        let body = types::RevokeRequestForm {
            token: token.clone(),
            token_type_hint: Some(match kind {
                TokenKind::AccessToken => types::TokenTypeHint::AccessToken,
                TokenKind::RefreshToken => types::TokenTypeHint::RefreshToken,
            }),
            client_id,
            client_secret,
        };
        self.as_application(credentials)
            .revoke_oauth2_token()
            .body(body)
            .send()
            .await?;
        Ok(())
    }

    async fn token_call(
        &self,
        credentials: &ClientCredentials,
        request: types::TokenRequest,
    ) -> Result<TokenSet, Error> {
        let response = self
            .as_application(credentials)
            .exchange_oauth2_token()
            .body(request)
            .send()
            .await?;
        let response = response.into_inner();
        // A token that cannot go in a header would make every later call fail before sending:
        // refuse it here, so that a token manager keeps the pair it has and saves nothing.
        for (name, token) in [
            ("access_token", &response.access_token),
            ("refresh_token", &response.refresh_token),
        ] {
            let sendable =
                !token.is_empty() && token.expose_secret().bytes().all(|b| b.is_ascii_graphic());
            if !sendable {
                return Err(Error::Decode {
                    operation: "exchange_oauth2_token",
                    status: 200,
                    message: format!(
                        "the {name} is empty or holds characters that cannot be sent in a header"
                    ),
                    snippet: String::new(),
                });
            }
        }
        Ok(TokenSet::from_response(response, SystemTime::now()))
    }
}
