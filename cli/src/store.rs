//! The credential store: one JSON file, readable by its owner only (0600, in a 0700 folder), that
//! keeps per instance the session, the sudo-mode token, and per application the client secret, the bot
//! token, the OAuth2 tokens and a pending authorization.

use std::{
    collections::BTreeMap,
    io,
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use fluxer_oauth2::{Secret, oauth::TokenSet};
use serde::{Deserialize, Serialize};

use crate::exit::CliError;

/// The environment variable that names the config folder.
pub const CONFIG_DIR_ENV: &str = "FLUXER_OAUTH2_CONFIG_DIR";

/// The file in the config folder.
const FILE_NAME: &str = "credentials.json";

/// What the file holds.
#[derive(Debug, Serialize, Deserialize)]
pub struct StoreData {
    /// The layout's version.
    #[serde(default = "one")]
    pub version: u32,
    /// The API base of the last login, used when no instance is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_api_base: Option<String>,
    /// Everything kept for each instance, by API base. Nothing of one instance is ever sent to another.
    #[serde(default)]
    pub instances: BTreeMap<String, InstanceEntry>,
}

fn one() -> u32 {
    1
}

impl Default for StoreData {
    fn default() -> Self {
        Self {
            version: one(),
            default_api_base: None,
            instances: BTreeMap::new(),
        }
    }
}

/// What is kept for one instance.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct InstanceEntry {
    /// The logged-in session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<SessionEntry>,
    /// The sudo-mode token the server handed back after an MFA verification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sudo_token: Option<Secret>,
    /// Per application id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub apps: BTreeMap<String, AppEntry>,
}

/// A session.
#[derive(Debug, Serialize, Deserialize)]
pub struct SessionEntry {
    /// The session token (`flx_…`).
    pub token: Secret,
    /// The user, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// What is kept for one application.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct AppEntry {
    /// The client secret from its creation or last rotation here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<Secret>,
    /// The bot token from its creation or last reset here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_token: Option<Secret>,
    /// The user tokens from the last exchange, refresh or browser login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<TokensEntry>,
    /// The state, PKCE verifier and redirect URI of the last `authorize-url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingEntry>,
}

/// A token pair.
#[derive(Debug, Serialize, Deserialize)]
pub struct TokensEntry {
    /// The access token.
    pub access_token: Secret,
    /// The refresh token.
    pub refresh_token: Secret,
    /// The granted scopes.
    pub scope: String,
    /// When the access token expires, in Unix seconds.
    pub expires_at: u64,
}

impl TokensEntry {
    /// The entry for a token set.
    pub fn from_set(tokens: &TokenSet) -> Self {
        Self {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            scope: tokens.scope.to_string(),
            expires_at: unix_secs(tokens.expires_at),
        }
    }
}

/// An authorization started with `authorize-url`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PendingEntry {
    /// The state sent.
    pub state: Secret,
    /// The PKCE verifier.
    pub pkce_verifier: Option<Secret>,
    /// The redirect URI sent.
    pub redirect_uri: String,
}

/// Seconds since the Unix epoch.
pub fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// The store file and what it held when loaded.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    /// The content.
    pub data: StoreData,
}

impl Store {
    /// Loads the store from the config folder (empty when there is no file yet).
    pub fn load() -> Result<Self, CliError> {
        let dir = config_dir()?;
        let path = dir.join(FILE_NAME);
        let data = match std::fs::read_to_string(&path) {
            Ok(text) => {
                // A Secret wipes the text when it is dropped.
                let text = Secret::new(text);
                serde_json::from_str(text.expose_secret()).map_err(|e| {
                    CliError::failure(format!(
                        "the credential store {} is not readable ({e}); move it away and log in again",
                        path.display()
                    ))
                })?
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => StoreData::default(),
            Err(e) => {
                return Err(CliError::failure(format!(
                    "could not read the credential store {}: {e}",
                    path.display()
                )));
            }
        };
        Ok(Self { path, data })
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entry of an instance, made if missing.
    pub fn instance_mut(&mut self, api_base: &str) -> &mut InstanceEntry {
        self.data.instances.entry(api_base.to_owned()).or_default()
    }

    /// The entry of an instance, if any.
    pub fn instance(&self, api_base: &str) -> Option<&InstanceEntry> {
        self.data.instances.get(api_base)
    }

    /// The entry of an application on an instance, if any.
    pub fn app(&self, api_base: &str, app_id: &str) -> Option<&AppEntry> {
        self.instance(api_base)?.apps.get(app_id)
    }

    /// The entry of an application on an instance, made if missing.
    pub fn app_mut(&mut self, api_base: &str, app_id: &str) -> &mut AppEntry {
        self.instance_mut(api_base)
            .apps
            .entry(app_id.to_owned())
            .or_default()
    }

    /// Writes the file whole (through a temporary file and a rename), readable by its owner only.
    pub fn save(&self) -> Result<(), CliError> {
        let fail = |e: io::Error| {
            CliError::failure(format!(
                "could not write the credential store {}: {e}",
                self.path.display()
            ))
        };
        if let Some(dir) = self.path.parent() {
            create_private_dir(dir).map_err(fail)?;
        }
        let text = Secret::new(
            serde_json::to_string_pretty(&self.data)
                .map_err(|e| CliError::failure(format!("could not encode the store: {e}")))?,
        );
        let tmp = self.path.with_extension("json.tmp");
        write_private(&tmp, text.expose_secret().as_bytes()).map_err(fail)?;
        std::fs::rename(&tmp, &self.path).map_err(fail)
    }
}

/// The config folder: `FLUXER_OAUTH2_CONFIG_DIR`, else the platform's config folder + `fluxer-oauth2`.
pub fn config_dir() -> Result<PathBuf, CliError> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let env_dir = |name: &str| {
        std::env::var_os(name)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    };
    let base = if cfg!(windows) {
        env_dir("APPDATA")
    } else if cfg!(target_os = "macos") {
        env_dir("HOME").map(|h| h.join("Library").join("Application Support"))
    } else {
        env_dir("XDG_CONFIG_HOME").or_else(|| env_dir("HOME").map(|h| h.join(".config")))
    };
    base.map(|b| b.join("fluxer-oauth2")).ok_or_else(|| {
        CliError::failure(format!(
            "no config folder: set {CONFIG_DIR_ENV} (or HOME) to where the credentials may be kept"
        ))
    })
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
