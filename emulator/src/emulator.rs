//! The [`Emulator`] handle: starting, seeding, and the knobs tests turn.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::clock::Clock;
use crate::config::{BuiltinApplication, EmulatorConfig, RateLimitConfig};
use crate::faults::FaultRule;
use crate::guilds::{Guild, Member};
use crate::http;
use crate::ids;
use crate::jwt;
use crate::observe::{Observer, RecordedRequest};
use crate::ratelimit::Limiter;
use crate::server::{self, ServerHandle};
use crate::sessions::{MfaTicket, session_id_hash};
use crate::shared::{Inner, Settings, lock};
use crate::store::{App, Store, User};
use crate::totp;
use crate::users::{Connection, NewUser, SeededUser};

/// The id of the built-in application that exists on every instance and belongs to no user
/// (see [`EmulatorConfig::builtin_application`]).
pub const BUILTIN_APPLICATION_ID: &str = "1234567890123456789";

/// The password of the seeded users.
const SEED_PASSWORD: &str = "a-strong-password";

/// A running emulator. It stops on [`Emulator::shutdown`] or when dropped.
#[derive(Debug)]
pub struct Emulator {
    inner: Arc<Inner>,
    server: Option<ServerHandle>,
    alice: Option<SeededUser>,
    bob: Option<SeededUser>,
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1` with a free port and the seeded users.
    ///
    /// # Panics
    /// If no port can be bound.
    pub async fn start() -> Emulator {
        Emulator::start_with(EmulatorConfig::default()).await
    }

    /// Starts an emulator with `config`.
    ///
    /// # Panics
    /// If the address cannot be bound; see [`Emulator::try_start_with`].
    pub async fn start_with(config: EmulatorConfig) -> Emulator {
        Emulator::try_start_with(config)
            .await
            .expect("the emulator could not bind its address")
    }

    /// Starts an emulator with `config`, reporting bind errors.
    pub async fn try_start_with(config: EmulatorConfig) -> std::io::Result<Emulator> {
        let inner = Arc::new(Inner {
            clock: Clock::new(config.start_time_unix, config.follow_real_time),
            store: Mutex::new(Store::new()),
            settings: Mutex::new(Settings::from_config(&config)),
            limiter: Mutex::new(Limiter::default()),
            faults: Mutex::new(Vec::new()),
            observer: Observer::default(),
            jwt_key: rand::random(),
        });
        if let Some(builtin) = &config.builtin_application {
            seed_builtin_app(&mut inner.store(), builtin, &config.web_app_base);
        }
        let mut emu = Emulator {
            inner: inner.clone(),
            server: None,
            alice: None,
            bob: None,
        };
        if config.seed_users {
            emu.alice = Some(emu.create_user("alice", Some(SEED_PASSWORD), false));
            emu.bob = Some(emu.create_user("bob", Some(SEED_PASSWORD), true));
        }
        let router = http::router(inner.clone());
        let addr = SocketAddr::new(config.host, config.port);
        let server = server::spawn(inner.clone(), router, addr).await?;
        {
            let mut settings = lock(&inner.settings);
            settings.origin = format!("http://{}", server.addr);
            if settings.advertised_api.is_empty() {
                settings.advertised_api = format!("http://{}/v1", server.addr);
            }
        }
        emu.server = Some(server);
        Ok(emu)
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server
            .as_ref()
            .map(|s| s.addr)
            .expect("the emulator is running")
    }

    /// The API base URL, `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr())
    }

    /// The seeded user `alice`: a password (`a-strong-password`), no MFA.
    ///
    /// # Panics
    /// When the emulator was started with `seed_users: false`.
    pub fn alice(&self) -> SeededUser {
        self.alice
            .clone()
            .expect("alice is only seeded with seed_users: true")
    }

    /// The seeded user `bob`: a password (`a-strong-password`) and TOTP MFA, so sudo mode needs
    /// a TOTP code.
    ///
    /// # Panics
    /// When the emulator was started with `seed_users: false`.
    pub fn bob(&self) -> SeededUser {
        self.bob
            .clone()
            .expect("bob is only seeded with seed_users: true")
    }

    /// Creates a user with a fresh session.
    pub fn add_user(&self, user: NewUser) -> SeededUser {
        self.create_user(&user.username, user.password.as_deref(), user.totp)
    }

    fn create_user(&self, username: &str, password: Option<&str>, totp: bool) -> SeededUser {
        let now = self.inner.now_ms();
        let mut store = self.inner.store();
        let id = store.ids.next_id();
        let totp_secret = totp.then(|| totp::secret_for(username));
        let mut chars = username.chars();
        let global_name = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect::<String>());
        store.users.insert(
            id.clone(),
            User {
                id: id.clone(),
                username: username.to_owned(),
                discriminator: ids::discriminator(),
                global_name,
                email: format!("{}@example.com", username.to_ascii_lowercase()),
                password: password.map(str::to_owned),
                totp_secret: totp_secret.clone(),
                backup_codes: if totp {
                    (0..10).map(|_| (ids::backup_code(), false)).collect()
                } else {
                    Vec::new()
                },
                last_totp_step: None,
                created_ms: now,
                guilds_override: None,
                connections: Vec::new(),
            },
        );
        let session_token =
            store.open_session(&id, now, "Unknown".to_owned(), LOCALHOST.to_owned());
        SeededUser {
            id,
            username: username.to_owned(),
            session_token,
            password: password.map(str::to_owned),
            totp_secret,
        }
    }

    /// Opens another session for `user` and returns its token.
    pub fn create_session(&self, user: &SeededUser) -> String {
        let now = self.inner.now_ms();
        self.inner
            .store()
            .open_session(&user.id, now, "Unknown".to_owned(), LOCALHOST.to_owned())
    }

    /// Whether a session token is still accepted (a global rate limit revokes sessions).
    pub fn session_is_valid(&self, token: &str) -> bool {
        self.inner.store().sessions.contains_key(token)
    }

    /// The backup codes of a TOTP user, each usable once as an `mfa_code` with
    /// `mfa_method: "totp"`. Used codes are still listed.
    pub fn backup_codes(&self, user: &SeededUser) -> Vec<String> {
        self.inner
            .store()
            .users
            .get(&user.id)
            .map(|u| u.backup_codes.iter().map(|(c, _)| c.clone()).collect())
            .unwrap_or_default()
    }

    /// The TOTP code of `user` at the emulator clock's now.
    ///
    /// # Panics
    /// When the user has no TOTP secret.
    pub fn totp_now(&self, user: &SeededUser) -> String {
        let secret = user
            .totp_secret
            .as_deref()
            .expect("the user has no TOTP secret");
        totp::totp_code(secret, self.inner.clock.now_unix())
    }

    /// Replaces the guilds `GET /users/@me/guilds` lists for `user` with these JSON objects
    /// (instead of the guilds the user is a member of).
    pub fn set_user_guilds(&self, user: &SeededUser, guilds: Vec<Value>) {
        if let Some(u) = self.inner.store().users.get_mut(&user.id) {
            u.guilds_override = Some(guilds);
        }
    }

    /// Creates a guild owned by `owner` (its first member) and returns its id. Bots join it
    /// through consent with `scope=bot` and this `guild_id`.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// let emu = fluxer_oauth2_emulator::Emulator::start().await;
    /// let guild_id = emu.create_guild(&emu.alice(), "Alice's guild");
    /// assert_eq!(guild_id.len(), 19);
    /// # }
    /// ```
    pub fn create_guild(&self, owner: &SeededUser, name: &str) -> String {
        let now = self.inner.now_ms();
        let mut store = self.inner.store();
        let id = store.ids.next_id();
        let (channels, system_channel_id) = Guild::default_channels(|| store.ids.next_id());
        store.guilds.insert(
            id.clone(),
            Guild {
                id: id.clone(),
                name: name.to_owned(),
                owner_id: owner.id.clone(),
                system_channel_id,
                channels,
                roles: Vec::new(),
                members: vec![Member {
                    user_id: owner.id.clone(),
                    roles: Vec::new(),
                    joined_ms: now,
                }],
            },
        );
        id
    }

    /// Adds `user` to the guild `guild_id` without roles; `false` when there is no such guild.
    pub fn add_guild_member(&self, guild_id: &str, user: &SeededUser) -> bool {
        let now = self.inner.now_ms();
        let mut store = self.inner.store();
        let Some(g) = store.guilds.get_mut(guild_id) else {
            return false;
        };
        if g.member(&user.id).is_none() {
            g.members.push(Member {
                user_id: user.id.clone(),
                roles: Vec::new(),
                joined_ms: now,
            });
        }
        true
    }

    /// Whether `user_id` (a user, or a bot by its application id) is a member of `guild_id`.
    pub fn guild_has_member(&self, guild_id: &str, user_id: &str) -> bool {
        self.inner
            .store()
            .guilds
            .get(guild_id)
            .is_some_and(|g| g.member(user_id).is_some())
    }

    /// Links an account to `user` (listed by `GET /users/@me/connections`); returns its id.
    pub fn add_connection(&self, user: &SeededUser, connection: Connection) -> String {
        let mut store = self.inner.store();
        let id = store.ids.next_id();
        if let Some(u) = store.users.get_mut(&user.id) {
            u.connections.push((id.clone(), connection));
        }
        id
    }

    /// The e-mail address of `user`, for `POST /auth/login`: the lower-cased username at
    /// `example.com`.
    pub fn email_of(&self, user: &SeededUser) -> String {
        self.inner
            .store()
            .users
            .get(&user.id)
            .map(|u| u.email.clone())
            .unwrap_or_default()
    }

    /// The `id_hash` under which `GET /auth/sessions` lists the session `token` (what
    /// `POST /auth/sessions/logout` takes).
    pub fn session_id_hash(&self, token: &str) -> String {
        session_id_hash(token)
    }

    /// Creates an MFA login ticket for `user`, as a password login of a user with TOTP would,
    /// living `ttl` on the emulator clock; `POST /auth/login/mfa/totp` then takes it.
    pub fn seed_mfa_ticket(&self, user: &SeededUser, ticket: &str, ttl: Duration) {
        let expires_ms = self.inner.now_ms() + ttl.as_millis() as u64;
        self.inner.store().tickets.insert(
            ticket.to_owned(),
            MfaTicket {
                user_id: user.id.clone(),
                expires_ms,
                failures: 0,
            },
        );
    }

    /// Changes the API base the discovery document advertises; `None` restores the emulator's
    /// own [`Emulator::base_url`].
    pub fn set_advertised_api_base(&self, base: Option<String>) {
        let own = self.base_url();
        lock(&self.inner.settings).advertised_api = base.unwrap_or(own);
    }

    /// Mints a valid sudo token for `user` at the clock's now, as a TOTP check would.
    pub fn sudo_token_for(&self, user: &SeededUser) -> String {
        let secs = self.inner.settings().sudo_secs;
        jwt::mint_sudo(
            &self.inner.jwt_key,
            &user.id,
            self.inner.clock.now_unix(),
            secs,
        )
    }

    /// Signs an arbitrary JSON payload with the emulator's sudo key, to forge tokens in tests
    /// (expired ones, wrong `type`, no `exp`…).
    pub fn sign_sudo_jwt(&self, payload_json: &str) -> String {
        jwt::sign(&self.inner.jwt_key, payload_json)
    }

    /// The emulator clock.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// Sets the lifetime of access tokens issued from now on.
    pub fn set_access_token_lifetime(&self, lifetime: Duration) {
        lock(&self.inner.settings).access_ms = lifetime.as_millis() as u64;
    }

    /// Turns rate limits on (`Some`) or off (`None`); buckets start empty either way.
    pub fn set_rate_limits(&self, limits: Option<RateLimitConfig>) {
        lock(&self.inner.settings).rate_limits = limits;
        lock(&self.inner.limiter).clear();
    }

    /// Applies the rate limits only to requests with `x-fluxer-test-enable-rate-limits: true`
    /// (or to all requests again); see [`EmulatorConfig::rate_limits_need_test_header`].
    pub fn set_rate_limits_need_test_header(&self, need: bool) {
        lock(&self.inner.settings).rate_limits_need_test_header = need;
    }

    /// Requires (or not) an `X-Captcha-Token` header to create applications. Any non-empty
    /// token passes, except one starting with `invalid`, which gives `INVALID_CAPTCHA`.
    pub fn set_captcha_required(&self, required: bool) {
        lock(&self.inner.settings).captcha_required = required;
    }

    /// Accepts (or not) a TOTP code more than once in its time step.
    pub fn set_allow_totp_reuse(&self, allow: bool) {
        lock(&self.inner.settings).allow_totp_reuse = allow;
    }

    /// Adds a fault rule; the first matching rule applies to each request.
    pub fn set_fault(&self, rule: impl Into<FaultRule>) {
        lock(&self.inner.faults).push(rule.into());
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.inner.faults).clear();
    }

    /// How many `POST /oauth2/token` requests carried this `grant_type`.
    pub fn count_token_requests(&self, grant_type: &str) -> usize {
        self.inner.observer.grant_count(grant_type)
    }

    /// How many requests with `method` reached `path` (query ignored, `/v1` optional).
    pub fn count_requests(&self, method: &str, path: &str) -> usize {
        self.inner.observer.count(method, path)
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.observer.requests()
    }

    /// Forgets the request log and the counters.
    pub fn clear_requests(&self) {
        self.inner.observer.clear();
    }

    /// Stops the server and waits until every connection is closed.
    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }
}

/// The peer address of sessions the Rust API opens.
const LOCALHOST: &str = "127.0.0.1";

fn seed_builtin_app(store: &mut Store, seed: &BuiltinApplication, web_app_base: &str) {
    let redirect_uris = seed.redirect_uris.clone().unwrap_or_else(|| {
        vec![format!(
            "{}/admin/oauth2_callback",
            web_app_base.trim_end_matches('/')
        )]
    });
    store.apps.insert(
        BUILTIN_APPLICATION_ID.to_owned(),
        App {
            id: BUILTIN_APPLICATION_ID.to_owned(),
            owner_id: None,
            name: seed.name.clone(),
            redirect_uris,
            bot_public: seed.bot_public,
            bot_require_code_grant: false,
            client_secret: ids::secret43(),
            bot_secret: ids::secret43(),
            bot_username: "Fluxer".to_owned(),
            bot_discriminator: "0000".to_owned(),
            bot_avatar: None,
            bot_banner: None,
            bot_bio: None,
            bot_flags: 0,
            has_bot: seed.has_bot,
        },
    );
}
