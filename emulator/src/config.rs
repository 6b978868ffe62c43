//! Start-up configuration and the rate-limit settings.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

/// How the emulator starts. Build it with struct-update syntax over [`Default`].
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// Address to listen on; `127.0.0.1` by default.
    pub host: IpAddr,
    /// Port to listen on; `0` picks a free one.
    pub port: u16,
    /// Base URL of the web app that `GET /oauth2/authorize` redirects to.
    pub web_app_base: String,
    /// Seed the users `alice` (password) and `bob` (password and TOTP).
    pub seed_users: bool,
    /// Lifetime of access tokens (7 days on the real server).
    pub access_token_lifetime: Duration,
    /// Lifetime of refresh tokens (30 days).
    pub refresh_token_lifetime: Duration,
    /// Lifetime of authorization codes (600 s).
    pub code_lifetime: Duration,
    /// Lifetime of sudo-mode tokens (300 s).
    pub sudo_token_lifetime: Duration,
    /// Rate limits; `None` (the default) turns them off.
    pub rate_limits: Option<RateLimitConfig>,
    /// Require an `X-Captcha-Token` header to create applications.
    pub captcha_required: bool,
    /// Accept the same TOTP code more than once in its time step. Production refuses a reused
    /// code; the server's test configuration accepted it.
    pub allow_totp_reuse: bool,
    /// Where the clock starts, in Unix seconds; real now when `None`.
    pub start_time_unix: Option<u64>,
    /// Whether the clock follows real time (`true`) or stays frozen until advanced.
    pub follow_real_time: bool,
    /// Apply the rate limits only to requests carrying `x-fluxer-test-enable-rate-limits: true`
    /// (and take `x-fluxer-test-global-rate-limit: N` as the global limit), as the server's test
    /// configuration does. Off by default: configured limits apply to every request.
    pub rate_limits_need_test_header: bool,
    /// How long the ticket of a password login waiting for its MFA step lives (5 minutes).
    /// After it, or after five wrong codes, the step answers `SESSION_TIMEOUT`.
    pub mfa_ticket_lifetime: Duration,
    /// The API base `GET /.well-known/fluxer` advertises in `endpoints.api`; the emulator's own
    /// `base_url()` when `None`. Set another one to test clients that must not trust it blindly.
    pub advertised_api_base: Option<String>,
    /// Add the `oauth2` block (authorization, token, userinfo, revocation and introspection
    /// endpoints, `scopes_supported`) that newer servers put in the discovery document. Off by
    /// default, as on the recorded server version.
    pub discovery_oauth2_block: bool,
    /// The application that exists on the instance from the start with the id
    /// [`crate::BUILTIN_APPLICATION_ID`] and no owner; `None` for none. The default mirrors the
    /// recorded instance: `Fluxer Admin`, without a bot, private, redirecting to the admin
    /// panel of the web app.
    pub builtin_application: Option<BuiltinApplication>,
}

/// The seed data of the built-in application (see [`EmulatorConfig::builtin_application`]).
///
/// ```
/// use fluxer_oauth2_emulator::{BuiltinApplication, EmulatorConfig};
///
/// let config = EmulatorConfig {
///     builtin_application: Some(BuiltinApplication {
///         name: "Instance Admin".to_owned(),
///         ..BuiltinApplication::default()
///     }),
///     ..EmulatorConfig::default()
/// };
/// assert!(config.builtin_application.is_some());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltinApplication {
    /// The application name (`Fluxer Admin` on the recorded instance).
    pub name: String,
    /// Registered redirect URIs; `None` means `<web_app_base>/admin/oauth2_callback`.
    pub redirect_uris: Option<Vec<String>>,
    /// Whether it has a bot user. Without one its public view has `bot: null` and no scopes.
    pub has_bot: bool,
    /// Whether anyone may add its bot (`false` on the recorded instance).
    pub bot_public: bool,
}

impl Default for BuiltinApplication {
    fn default() -> Self {
        BuiltinApplication {
            name: "Fluxer Admin".to_owned(),
            redirect_uris: None,
            has_bot: false,
            bot_public: false,
        }
    }
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            web_app_base: "https://web.fluxer.app".to_owned(),
            seed_users: true,
            access_token_lifetime: Duration::from_secs(7 * 24 * 3600),
            refresh_token_lifetime: Duration::from_secs(30 * 24 * 3600),
            code_lifetime: Duration::from_secs(600),
            sudo_token_lifetime: Duration::from_secs(300),
            rate_limits: None,
            captcha_required: false,
            allow_totp_reuse: false,
            start_time_unix: None,
            follow_real_time: true,
            rate_limits_need_test_header: false,
            mfa_ticket_lifetime: Duration::from_secs(300),
            advertised_api_base: None,
            discovery_oauth2_block: false,
            builtin_application: Some(BuiltinApplication::default()),
        }
    }
}

/// The limit of one rate-limit bucket: `limit` requests per `window`, leaking continuously.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteLimit {
    /// Requests allowed in one window.
    pub limit: u32,
    /// The window over which the bucket drains completely.
    pub window: Duration,
}

impl RouteLimit {
    /// `limit` requests per `window`.
    pub fn new(limit: u32, window: Duration) -> Self {
        RouteLimit { limit, window }
    }
}

/// Rate-limit settings. [`Default`] gives the real server's numbers.
///
/// Route buckets are named as on the server, without the `::client_id` suffix of the
/// per-application buckets: `oauth:authorize`, `oauth:token`, `oauth:introspect`,
/// `oauth_dev:clients:list`, `oauth_dev:clients:create`, `oauth_dev:clients:update`,
/// `oauth_dev:clients:rotate_secret`, `oauth_dev:clients:delete`, and `users:@me` (the bucket
/// of `GET /users/@me`, 40 per 10 s).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// The global limit per user or IP (50 per second on the server).
    pub global: RouteLimit,
    /// Per-route buckets by name.
    pub routes: BTreeMap<String, RouteLimit>,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3600);
        let routes = [
            ("oauth:authorize", 60, minute),
            ("oauth:token", 120, minute),
            ("oauth:introspect", 120, minute),
            ("oauth_dev:clients:list", 60, minute),
            ("oauth_dev:clients:create", 10, hour),
            ("oauth_dev:clients:update", 30, minute),
            ("oauth_dev:clients:rotate_secret", 10, hour),
            ("oauth_dev:clients:delete", 10, hour),
            ("users:@me", 40, Duration::from_secs(10)),
        ]
        .into_iter()
        .map(|(n, l, w)| (n.to_owned(), RouteLimit::new(l, w)))
        .collect();
        RateLimitConfig {
            global: RouteLimit::new(50, Duration::from_secs(1)),
            routes,
        }
    }
}

impl RateLimitConfig {
    /// Sets the limit of the route bucket `name` (a `::client_id` suffix is ignored).
    pub fn with_route(mut self, name: &str, limit: u32, window: Duration) -> Self {
        let name = name.trim_end_matches("::client_id");
        self.routes
            .insert(name.to_owned(), RouteLimit::new(limit, window));
        self
    }

    /// Sets the global limit per user or IP.
    pub fn with_global(mut self, limit: u32, window: Duration) -> Self {
        self.global = RouteLimit::new(limit, window);
        self
    }
}
