//! The in-memory data: users, sessions, applications, codes and tokens.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::guilds::Guild;
use crate::ids::{self, SnowflakeGen};
use crate::sessions::{MfaTicket, Session};
use crate::users::Connection;

/// The scopes the server knows, in their canonical order.
pub(crate) const SCOPES: [&str; 5] = ["identify", "email", "guilds", "connections", "bot"];

/// Splits a scope string on whitespace and `+`; `None` when a scope is unknown or none is given.
/// The result is deduplicated and in canonical order.
pub(crate) fn parse_scopes(raw: &str) -> Option<Vec<&'static str>> {
    let mut found = [false; SCOPES.len()];
    let mut any = false;
    for part in raw.split(|c: char| c.is_whitespace() || c == '+') {
        if part.is_empty() {
            continue;
        }
        let idx = SCOPES.iter().position(|s| *s == part)?;
        found[idx] = true;
        any = true;
    }
    any.then(|| {
        SCOPES
            .iter()
            .zip(found)
            .filter_map(|(s, f)| f.then_some(*s))
            .collect()
    })
}

/// A user account.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: String,
    pub username: String,
    pub discriminator: String,
    pub global_name: Option<String>,
    pub email: String,
    pub password: Option<String>,
    pub totp_secret: Option<String>,
    /// Backup codes and whether each was used.
    pub backup_codes: Vec<(String, bool)>,
    /// The last TOTP step accepted, to refuse replays.
    pub last_totp_step: Option<u64>,
    pub created_ms: u64,
    /// Guild objects set through `Emulator::set_user_guilds`; they replace the real list.
    pub guilds_override: Option<Vec<Value>>,
    /// Linked accounts listed by `GET /users/@me/connections`.
    pub connections: Vec<(String, Connection)>,
}

impl User {
    pub(crate) fn has_mfa(&self) -> bool {
        self.totp_secret.is_some()
    }
}

/// An OAuth2 application and its bot.
#[derive(Clone, Debug)]
pub(crate) struct App {
    pub id: String,
    /// `None` for the built-in application.
    pub owner_id: Option<String>,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub bot_public: bool,
    pub bot_require_code_grant: bool,
    pub client_secret: String,
    /// The part of the bot token after `<id>.`.
    pub bot_secret: String,
    pub bot_username: String,
    pub bot_discriminator: String,
    pub bot_avatar: Option<String>,
    pub bot_banner: Option<String>,
    pub bot_bio: Option<String>,
    pub bot_flags: u32,
    /// `false` for an application without a bot user (the built-in one).
    pub has_bot: bool,
}

impl App {
    pub(crate) fn bot_token(&self) -> String {
        format!("{}.{}", self.id, self.bot_secret)
    }
}

/// An authorization code waiting to be exchanged.
#[derive(Clone, Debug)]
pub(crate) struct AuthCode {
    pub app_id: String,
    pub user_id: String,
    pub scopes: Vec<&'static str>,
    /// The normalised redirect URI the exchange must repeat exactly.
    pub redirect_uri: String,
    /// `(challenge, method)` when PKCE was used.
    pub pkce: Option<(String, String)>,
    pub expires_ms: u64,
}

/// An access or refresh token.
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    pub app_id: String,
    pub user_id: String,
    pub scopes: Vec<&'static str>,
    pub created_ms: u64,
    pub expires_ms: u64,
}

impl Grant {
    pub(crate) fn has(&self, scope: &str) -> bool {
        self.scopes.contains(&scope)
    }
}

/// Everything the emulator remembers.
#[derive(Debug)]
pub(crate) struct Store {
    pub ids: SnowflakeGen,
    pub users: BTreeMap<String, User>,
    pub sessions: HashMap<String, Session>,
    pub tickets: HashMap<String, MfaTicket>,
    /// Guilds in creation order.
    pub guilds: BTreeMap<String, Guild>,
    /// Applications in creation order (snowflakes grow).
    pub apps: BTreeMap<String, App>,
    pub codes: HashMap<String, AuthCode>,
    pub access: HashMap<String, Grant>,
    pub refresh: HashMap<String, Grant>,
}

impl Store {
    pub(crate) fn new() -> Self {
        Store {
            ids: SnowflakeGen::new(),
            users: BTreeMap::new(),
            sessions: HashMap::new(),
            tickets: HashMap::new(),
            guilds: BTreeMap::new(),
            apps: BTreeMap::new(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
        }
    }

    /// The user behind a session token.
    pub(crate) fn session_user(&self, token: &str) -> Option<&User> {
        self.users.get(&self.sessions.get(token)?.user_id)
    }

    /// Opens a new session for `user_id`.
    pub(crate) fn open_session(
        &mut self,
        user_id: &str,
        now_ms: u64,
        platform: String,
        ip: String,
    ) -> String {
        let token = ids::session_token();
        self.sessions.insert(
            token.clone(),
            Session {
                user_id: user_id.to_owned(),
                created_ms: now_ms,
                platform,
                ip,
            },
        );
        token
    }

    /// The bot application whose bot user has id `user_id`.
    pub(crate) fn bot_user(&self, user_id: &str) -> Option<&App> {
        self.apps.get(user_id).filter(|a| a.has_bot)
    }

    /// The application a bot token belongs to, if the token is current.
    pub(crate) fn bot_app(&self, token: &str) -> Option<&App> {
        let (id, secret) = token.split_once('.')?;
        self.apps
            .get(id)
            .filter(|a| a.has_bot && a.bot_secret == secret)
    }

    /// A live access token.
    pub(crate) fn live_access(&self, token: &str, now_ms: u64) -> Option<&Grant> {
        self.access.get(token).filter(|g| g.expires_ms > now_ms)
    }

    /// A live refresh token.
    pub(crate) fn live_refresh(&self, token: &str, now_ms: u64) -> Option<&Grant> {
        self.refresh.get(token).filter(|g| g.expires_ms > now_ms)
    }

    /// Deletes every access and refresh token of `user_id` for `app_id`.
    pub(crate) fn revoke_user_app(&mut self, user_id: &str, app_id: &str) {
        let keep = |g: &Grant| !(g.user_id == user_id && g.app_id == app_id);
        self.access.retain(|_, g| keep(g));
        self.refresh.retain(|_, g| keep(g));
    }

    /// Deletes an application with its codes and tokens.
    pub(crate) fn delete_app(&mut self, app_id: &str) {
        self.apps.remove(app_id);
        self.codes.retain(|_, c| c.app_id != app_id);
        self.access.retain(|_, g| g.app_id != app_id);
        self.refresh.retain(|_, g| g.app_id != app_id);
    }

    /// Issues an access and refresh token pair; returns `(access, refresh)`.
    pub(crate) fn issue_pair(
        &mut self,
        app_id: &str,
        user_id: &str,
        scopes: Vec<&'static str>,
        now_ms: u64,
        access_ms: u64,
        refresh_ms: u64,
    ) -> (String, String) {
        let grant = |life: u64| Grant {
            app_id: app_id.to_owned(),
            user_id: user_id.to_owned(),
            scopes: scopes.clone(),
            created_ms: now_ms,
            expires_ms: now_ms + life,
        };
        let (access, refresh) = (ids::secret43(), ids::secret43());
        self.access.insert(access.clone(), grant(access_ms));
        self.refresh.insert(refresh.clone(), grant(refresh_ms));
        (access, refresh)
    }
}

#[cfg(test)]
mod tests {
    use super::parse_scopes;

    #[test]
    fn scopes_are_split_sorted_and_checked() {
        assert_eq!(
            parse_scopes("email+identify"),
            Some(vec!["identify", "email"])
        );
        assert_eq!(
            parse_scopes(" bot  guilds\tidentify "),
            Some(vec!["identify", "guilds", "bot"])
        );
        assert_eq!(parse_scopes("identify foo"), None);
        assert_eq!(parse_scopes("  "), None);
    }
}
