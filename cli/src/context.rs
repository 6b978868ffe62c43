//! What every command needs: the instance's API base and a client for it, the credential store, the
//! prompter, and the session, sudo-mode token and client credentials taken from them.

use std::{future::Future, pin::Pin};

use fluxer_oauth2::{
    Credential, DEFAULT_BASE_URL, Error, FluxerClient, Secret, SudoVerification,
    oauth::ClientCredentials,
};

use crate::{
    args::Cli,
    exit::CliError,
    prompt::{Prompter, env_secret},
    store::Store,
};

/// The environment variable that names the API base when no option does.
pub const API_BASE_ENV: &str = "FLUXER_API_BASE";

/// The environment variable that gives a client secret.
pub const CLIENT_SECRET_ENV: &str = "FLUXER_CLIENT_SECRET";

/// Which proof a refused sudo verification had wrong, from the server's field errors.
fn wrong_proof(error: &Error) -> Option<&'static str> {
    let Error::Api { errors, .. } = error else {
        return None;
    };
    errors
        .iter()
        .find_map(|e| match (e.path.as_str(), e.code.as_deref()) {
            (_, Some("INVALID_PASSWORD")) | ("password", _) => Some("password"),
            (_, Some("INVALID_MFA_CODE")) | ("mfa_code", _) => Some("code"),
            _ => None,
        })
}

/// The user agent the tool sends.
const USER_AGENT: &str = concat!("fluxer-oauth2-cli/", env!("CARGO_PKG_VERSION"));

/// The state of one run.
#[derive(Debug)]
pub struct Ctx {
    /// The API base of the instance, without a trailing slash.
    pub api_base: String,
    /// A client for the instance without a credential.
    pub client: FluxerClient,
    /// The credential store.
    pub store: Store,
    /// Questions to the user.
    pub prompter: Prompter,
}

/// A boxed future, for calls retried with a sudo proof.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + 'a>>;

impl Ctx {
    /// Resolves the instance: `--api-base`, `--instance` (discovery), `FLUXER_API_BASE`, the instance
    /// of the last login, or the production API.
    pub async fn new(cli: &Cli) -> Result<Self, CliError> {
        let store = Store::load()?;
        let builder = || FluxerClient::builder().user_agent(USER_AGENT);
        let client = if let Some(instance) = &cli.instance {
            builder().discover(instance.as_str()).await?
        } else {
            let api_base = cli
                .api_base
                .clone()
                .or_else(|| std::env::var(API_BASE_ENV).ok().filter(|v| !v.is_empty()))
                .or_else(|| store.data.default_api_base.clone())
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_owned());
            builder().base_url(api_base).build()?
        };
        Ok(Self {
            api_base: client.base_url().to_owned(),
            client,
            store,
            prompter: Prompter::new(),
        })
    }

    /// A client with the stored session of this instance, and its stored sudo-mode token.
    pub fn session_client(&self) -> Result<FluxerClient, CliError> {
        let session = self
            .store
            .instance(&self.api_base)
            .and_then(|i| i.session.as_ref())
            .ok_or_else(|| {
                CliError::auth(format!(
                    "not logged in to {}: run `fluxer-oauth2 login` first (with --api-base or \
                     --instance for another instance)",
                    self.api_base
                ))
            })?;
        let client = self
            .client
            .with_credential(Credential::session(session.token.clone()));
        if let Some(token) = self
            .store
            .instance(&self.api_base)
            .and_then(|i| i.sudo_token.as_ref())
        {
            client.set_sudo_token(token.clone());
        }
        Ok(client)
    }

    /// Runs a sudo-guarded call: first without a proof (a kept sudo-mode token may do), then, if the
    /// server asks, with a password or TOTP code prompted for. The sudo-mode token the server hands
    /// back is kept for the next commands.
    pub async fn with_sudo<'a, T>(
        &mut self,
        client: &'a FluxerClient,
        call: impl Fn(Option<SudoVerification>) -> Call<'a, T>,
    ) -> Result<T, CliError> {
        let first = call(None).await;
        let result = match first {
            Err(Error::SudoRequired {
                has_mfa, methods, ..
            }) => {
                let proof = if !has_mfa {
                    SudoVerification::password(
                        self.prompter.secret("Password (to confirm it is you)")?,
                    )
                } else if methods.totp {
                    SudoVerification::totp(
                        self.prompter
                            .secret("Code from your authenticator app (or a backup code)")?,
                    )
                } else {
                    return Err(CliError::auth(
                        "this action needs sudo mode, and the account's only method is a security \
                         key, which this tool cannot use: add an authenticator app to the account",
                    ));
                };
                call(Some(proof)).await.map_err(|e| match wrong_proof(&e) {
                    Some(what) => {
                        CliError::auth(format!("sudo mode was refused: the {what} is wrong ({e})"))
                    }
                    None => e.into(),
                })
            }
            other => other.map_err(CliError::from),
        };
        self.keep_sudo_token(client)?;
        result
    }

    /// Saves the client's sudo-mode token in the store, or removes a stale one.
    fn keep_sudo_token(&mut self, client: &FluxerClient) -> Result<(), CliError> {
        let token = client.sudo_token();
        let api_base = self.api_base.clone();
        let entry = self.store.instance_mut(&api_base);
        if entry.sudo_token.as_ref() != token.as_ref() {
            entry.sudo_token = token;
            self.store.save()?;
        }
        Ok(())
    }

    /// The client credentials of an application: `FLUXER_CLIENT_SECRET`, else the secret kept when
    /// the application was created or its secret rotated here, else a prompt.
    pub fn client_credentials(&self, app_id: &str) -> Result<ClientCredentials, CliError> {
        let secret: Secret = match env_secret(CLIENT_SECRET_ENV) {
            Some(secret) => secret,
            None => match self
                .store
                .app(&self.api_base, app_id)
                .and_then(|a| a.client_secret.clone())
            {
                Some(secret) => secret,
                None => self
                    .prompter
                    .secret(&format!("Client secret of application {app_id}"))?,
            },
        };
        Ok(ClientCredentials::new(app_id, secret)?)
    }
}
