//! Adding an application's bot to a guild: the [`Permissions`] it asks for, the invite URL
//! ([`BotInvite`]), and the consent that adds it ([`FluxerClient::grant_bot_consent`]).
//!
//! How the server adds a bot, so that the errors make sense:
//!
//! - The user consents to `scope=bot` with a `guild_id` and `permissions`. The bot joins the guild
//!   at once, with a new role named after the application that carries the permissions (no role
//!   for `0`). Without a `guild_id` a code is still issued, and no bot is added.
//! - The user must be in the guild and hold `ADMINISTRATOR` or `MANAGE_GUILD`, and, unless an
//!   administrator, every permission asked for; otherwise, or for an unknown guild, the answer is
//!   403 `MISSING_PERMISSIONS`. Bits the server does not know are dropped.
//! - A bot already in the guild: 400 `BOT_ALREADY_IN_GUILD`. A private bot (`bot_public: false`)
//!   may be added by its owner only: 403 `BOT_IS_PRIVATE`.
//! - A `bot`-only consent needs no redirect URI: the code goes to the web app and is of no use.
//!   Adding a scope (`bot identify`), or an application with `bot_require_code_grant`, needs a
//!   registered redirect URI, and the code is exchanged as usual; the token answer carries no guild.
//! - A permissions value that is not a non-negative integer comes back in the OAuth2 error shape
//!   (`invalid_request`, `INVALID_PERMISSIONS_INTEGER`), as [`crate::Error::InvalidPermissions`].
//!
//! ```no_run
//! # async fn demo(user: fluxer_oauth2::FluxerClient, bot: fluxer_oauth2::FluxerClient) -> Result<(), fluxer_oauth2::Error> {
//! use fluxer_oauth2::oauth::{BotInvite, Permissions};
//!
//! let invite = BotInvite::new(user.base_url(), "1574449618593251330")
//!     .guild_id("1574449618593251331")
//!     .permissions(Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES)
//!     .disable_guild_select(true)
//!     .build()?;
//! // Send a browser to `invite.url`, or consent as a signed-in user (a session client):
//! user.grant_bot_consent(&invite).await?;
//! // The bot (whose user id is the application id) is now a member:
//! let member = bot
//!     .get_guild_member()
//!     .guild_id("1574449618593251331")
//!     .user_id("1574449618593251330")
//!     .send()
//!     .await?;
//! println!("joined at {} with roles {:?}", member.joined_at, member.roles);
//! # Ok(()) }
//! ```

use std::{
    fmt,
    ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not, Sub, SubAssign},
    str::FromStr,
};

use url::Url;

use crate::{
    ClientId, Error, FluxerClient, GuildId, SnowflakeError,
    oauth::{
        AuthorizeError, AuthorizeUrl, Callback, CsrfState, PkceVerifier, RedirectUri, Scope,
        UrlError,
    },
};

macro_rules! permissions {
    ($($(#[doc = $doc:literal])* $name:ident = $bit:literal;)*) => {
        impl Permissions {
            $(
                $(#[doc = $doc])*
                pub const $name: Permissions = Permissions(1 << $bit);
            )*

            /// Every permission this crate names, with its name, in bit order.
            pub const NAMED: &'static [(&'static str, Permissions)] = &[
                $((stringify!($name), Permissions::$name),)*
            ];
        }
    };
}

/// A set of guild permissions, as a bot invite asks for them: named flags, or raw bits for a
/// permission this crate does not name yet.
///
/// It is sent as a decimal integer (`Display` and `FromStr` use that form; serde uses the decimal
/// string). The server keeps only the bits it knows.
///
/// ```
/// use fluxer_oauth2::oauth::Permissions;
///
/// let p = Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES;
/// assert_eq!(p.to_string(), "3072");
/// assert_eq!(p.bits(), 3072);
/// assert!(p.contains(Permissions::SEND_MESSAGES));
/// assert_eq!(format!("{p:?}"), "Permissions(VIEW_CHANNEL | SEND_MESSAGES)");
/// assert_eq!("2048".parse::<Permissions>().unwrap(), Permissions::SEND_MESSAGES);
///
/// // A bit the crate does not name is kept, and shows in Debug:
/// let raw = Permissions::from_bits_retain(1 << 60);
/// assert_eq!(raw.unknown_bits(), 1 << 60);
/// assert_eq!(Permissions::from_bits(1 << 60), None);
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permissions(u64);

permissions! {
    /// Create invites to the guild.
    CREATE_INSTANT_INVITE = 0;
    /// Remove members from the guild.
    KICK_MEMBERS = 1;
    /// Ban members.
    BAN_MEMBERS = 2;
    /// Every permission, and every channel's overrides bypassed.
    ADMINISTRATOR = 3;
    /// Create, edit and delete channels.
    MANAGE_CHANNELS = 4;
    /// Change the guild's settings (and add bots to it).
    MANAGE_GUILD = 5;
    /// Add reactions to messages.
    ADD_REACTIONS = 6;
    /// Read the audit log.
    VIEW_AUDIT_LOG = 7;
    /// Be heard first in voice channels.
    PRIORITY_SPEAKER = 8;
    /// Share a screen or stream in voice channels.
    STREAM = 9;
    /// See channels and read their messages.
    VIEW_CHANNEL = 10;
    /// Send messages.
    SEND_MESSAGES = 11;
    /// Send text-to-speech messages.
    SEND_TTS_MESSAGES = 12;
    /// Delete and pin other members' messages.
    MANAGE_MESSAGES = 13;
    /// Show embeds for links.
    EMBED_LINKS = 14;
    /// Upload files.
    ATTACH_FILES = 15;
    /// Read earlier messages.
    READ_MESSAGE_HISTORY = 16;
    /// Mention `@everyone` and `@here`.
    MENTION_EVERYONE = 17;
    /// Use emojis of other guilds.
    USE_EXTERNAL_EMOJIS = 18;
    /// Join voice channels.
    CONNECT = 20;
    /// Speak in voice channels.
    SPEAK = 21;
    /// Mute members in voice channels.
    MUTE_MEMBERS = 22;
    /// Deafen members in voice channels.
    DEAFEN_MEMBERS = 23;
    /// Move members between voice channels.
    MOVE_MEMBERS = 24;
    /// Speak without push-to-talk.
    USE_VAD = 25;
    /// Change one's own nickname.
    CHANGE_NICKNAME = 26;
    /// Change other members' nicknames.
    MANAGE_NICKNAMES = 27;
    /// Create and assign roles below one's own.
    MANAGE_ROLES = 28;
    /// Manage webhooks.
    MANAGE_WEBHOOKS = 29;
    /// Edit and delete the guild's emojis and stickers.
    MANAGE_EXPRESSIONS = 30;
    /// Use stickers of other guilds.
    USE_EXTERNAL_STICKERS = 37;
    /// Time members out.
    MODERATE_MEMBERS = 40;
    /// Add emojis and stickers to the guild.
    CREATE_EXPRESSIONS = 43;
    /// Pin messages.
    PIN_MESSAGES = 51;
    /// Ignore channel slow mode.
    BYPASS_SLOWMODE = 52;
    /// Change a voice channel's region.
    UPDATE_RTC_REGION = 53;
    /// See a channel's member list.
    VIEW_CHANNEL_MEMBERS = 54;
}

impl Permissions {
    /// No permission: the bot joins without a role.
    pub const fn empty() -> Self {
        Self(0)
    }

    /// Every permission this crate names.
    pub const fn all() -> Self {
        let mut bits = 0;
        let mut i = 0;
        while i < Self::NAMED.len() {
            bits |= Self::NAMED[i].1.0;
            i += 1;
        }
        Self(bits)
    }

    /// Exactly these bits, named or not.
    pub const fn from_bits_retain(bits: u64) -> Self {
        Self(bits)
    }

    /// These bits, when every one is a permission this crate names.
    pub const fn from_bits(bits: u64) -> Option<Self> {
        if bits & !Self::all().0 == 0 {
            Some(Self(bits))
        } else {
            None
        }
    }

    /// The bits.
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The bits this crate does not name (the server drops bits it does not know).
    pub const fn unknown_bits(self) -> u64 {
        self.0 & !Self::all().0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Sets the bits of `other`.
    pub fn insert(&mut self, other: Self) {
        self.0 |= other.0;
    }

    /// Clears the bits of `other`.
    pub fn remove(&mut self, other: Self) {
        self.0 &= !other.0;
    }

    /// A named permission by its name, e.g. `SEND_MESSAGES`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMED
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
    }

    /// The names of the named permissions that are set, in bit order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMED
            .iter()
            .filter(move |(_, p)| self.contains(*p))
            .map(|(n, _)| *n)
    }
}

impl fmt::Display for Permissions {
    /// The decimal form the server takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Permissions(")?;
        let mut first = true;
        for name in self.names() {
            if !first {
                f.write_str(" | ")?;
            }
            f.write_str(name)?;
            first = false;
        }
        let unknown = self.unknown_bits();
        if unknown != 0 {
            if !first {
                f.write_str(" | ")?;
            }
            write!(f, "{unknown:#x}")?;
        } else if first {
            f.write_str("empty")?;
        }
        f.write_str(")")
    }
}

/// Why a permissions value could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a permissions value: give a decimal integer from 0 to 2^64-1, such as \"3072\""
)]
pub struct PermissionsError(String);

impl FromStr for Permissions {
    type Err = PermissionsError;

    /// Reads the decimal form (digits only, as the server takes it).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = || PermissionsError(s.chars().take(40).collect());
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse());
        }
        s.parse().map(Self).map_err(|_| refuse())
    }
}

impl From<u64> for Permissions {
    fn from(bits: u64) -> Self {
        Self(bits)
    }
}

impl From<Permissions> for u64 {
    fn from(p: Permissions) -> Self {
        p.0
    }
}

impl BitOr for Permissions {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl BitOrAssign for Permissions {
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Permissions {
    type Output = Self;
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl BitAndAssign for Permissions {
    fn bitand_assign(&mut self, rhs: Self) {
        self.0 &= rhs.0;
    }
}

impl Sub for Permissions {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        Self(self.0 & !rhs.0)
    }
}

impl SubAssign for Permissions {
    fn sub_assign(&mut self, rhs: Self) {
        self.0 &= !rhs.0;
    }
}

impl Not for Permissions {
    type Output = Self;
    /// The named permissions not in the set.
    fn not(self) -> Self {
        Self(!self.0 & Self::all().0)
    }
}

impl FromIterator<Permissions> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permissions>>(iter: I) -> Self {
        iter.into_iter().fold(Self::empty(), |a, b| a | b)
    }
}

/// Sent and read as the decimal string the server uses.
impl serde::Serialize for Permissions {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Read from the decimal string the server uses (a JSON number is accepted too).
impl<'de> serde::Deserialize<'de> for Permissions {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Number(u64),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Text(text) => text.parse().map_err(serde::de::Error::custom),
            Raw::Number(bits) => Ok(Self(bits)),
        }
    }
}

/// Builds the URL that asks a user to add an application's bot to a guild (`scope=bot`).
///
/// Without [`redirect_uri`](Self::redirect_uri) it is a plain invite: no code is meant to be
/// exchanged, so neither `response_type` nor PKCE is sent. With one (needed for
/// [`scope`](Self::scope)`(Scope::Identify)` and for applications with `bot_require_code_grant`),
/// it is the code grant: `response_type=code`, the redirect URI and an S256 PKCE challenge, and the
/// code is exchanged as for any authorization.
///
/// ```
/// use fluxer_oauth2::oauth::{BotInvite, Permissions, Scope};
///
/// let invite = BotInvite::new(fluxer_oauth2::DEFAULT_BASE_URL, "1574449618593251330")
///     .guild_id("1574449618593251331")
///     .permissions(Permissions::SEND_MESSAGES)
///     .disable_guild_select(true)
///     .build()?;
/// assert!(invite.url.as_str().starts_with(
///     "https://api.fluxer.app/v1/oauth2/authorize?client_id=1574449618593251330&scope=bot&state="
/// ));
/// assert!(invite.url.as_str().ends_with(
///     "&guild_id=1574449618593251331&permissions=2048&disable_guild_select=true"
/// ));
/// assert!(invite.redirect_uri.is_none());
///
/// // The bot and the user's identity, with the code grant:
/// let both = BotInvite::new(fluxer_oauth2::DEFAULT_BASE_URL, "1574449618593251330")
///     .scope(Scope::Identify)
///     .redirect_uri("https://app.example/callback")
///     .build()?;
/// assert!(both.url.as_str().contains("&scope=identify%20bot&"));
/// assert!(both.pkce_verifier.is_some());
/// # Ok::<(), fluxer_oauth2::oauth::AuthorizeError>(())
/// ```
#[derive(Debug)]
#[must_use = "call .build() to get the URL"]
pub struct BotInvite {
    /// The authorize URL being built; `bot` is added last, at `build`.
    url: AuthorizeUrl,
    permissions: Option<Permissions>,
}

impl BotInvite {
    /// Starts an invite for the bot of application `client_id`, on the instance whose API base is
    /// `api_base` (the consent page is reached through `{api_base}/oauth2/authorize` unless
    /// [`web_page`](Self::web_page) says otherwise). The id is text (checked here, the error
    /// reported by [`build`](Self::build)) or a checked [`crate::ClientId`] or
    /// [`crate::ApplicationId`].
    pub fn new(
        api_base: &str,
        client_id: impl TryInto<ClientId, Error: Into<SnowflakeError>>,
    ) -> Self {
        Self {
            url: AuthorizeUrl::without_redirect(api_base, client_id),
            permissions: None,
        }
    }

    /// The permissions the bot's role gets in the guild. Left out, none are asked for and the bot
    /// joins without a role.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// The guild to add the bot to, pre-selected on the consent page.
    pub fn guild_id(
        mut self,
        guild_id: impl TryInto<GuildId, Error: Into<SnowflakeError>>,
    ) -> Self {
        self.url = self.url.guild_id(guild_id);
        self
    }

    /// `true` locks the consent page's guild picker to [`guild_id`](Self::guild_id).
    pub fn disable_guild_select(mut self, disable: bool) -> Self {
        self.url = self.url.disable_guild_select(disable);
        self
    }

    /// Uses the code grant, with this registered redirect URI: needed with another scope than
    /// `bot`, and for applications that have `bot_require_code_grant`.
    pub fn redirect_uri(
        mut self,
        redirect_uri: impl TryInto<RedirectUri, Error: Into<UrlError>>,
    ) -> Self {
        self.url = self.url.with_redirect(redirect_uri);
        self
    }

    /// Asks for another scope with `bot`, e.g. [`Scope::Identify`] to learn who added the bot;
    /// needs [`redirect_uri`](Self::redirect_uri).
    pub fn scope(mut self, scope: Scope) -> Self {
        self.url = self.url.scope(scope);
        self
    }

    /// Uses this state instead of a fresh random one.
    pub fn state(mut self, state: CsrfState) -> Self {
        self.url = self.url.state(state);
        self
    }

    /// Leaves PKCE out of the code grant (it is on by default when there is a redirect URI).
    pub fn no_pkce(mut self) -> Self {
        self.url = self.url.no_pkce();
        self
    }

    /// Sends the user straight to this consent page (for example a discovered instance's
    /// [`authorize_endpoint`](crate::discovery::Instance::authorize_endpoint)).
    pub fn web_page(mut self, url: impl Into<String>) -> Self {
        self.url = self.url.web_page(url);
        self
    }

    /// Checks everything and builds the URL.
    ///
    /// # Errors
    /// [`AuthorizeError`]: the first parameter that is wrong;
    /// [`AuthorizeError::RedirectUriRequired`] for another scope without a redirect URI.
    pub fn build(self) -> Result<BotInviteRequest, AuthorizeError> {
        let mut url = self.url.scope(Scope::Bot);
        if let Some(permissions) = self.permissions {
            url = url.bot_permissions(permissions);
        }
        let parts = url.build_parts()?;
        Ok(BotInviteRequest {
            url: parts.url,
            state: parts.state,
            pkce_verifier: parts.pkce_verifier,
            redirect_uri: parts.redirect_uri,
            permissions: self.permissions.unwrap_or_default(),
        })
    }
}

/// A built bot invite, and what to keep to finish a code grant.
#[non_exhaustive]
pub struct BotInviteRequest {
    /// Where to send the user's browser.
    pub url: Url,
    /// The state in the URL; compare the callback's against it.
    pub state: CsrfState,
    /// The PKCE verifier of a code grant.
    pub pkce_verifier: Option<PkceVerifier>,
    /// The redirect URI of a code grant; send [`RedirectUri::normalized`] in the token exchange.
    pub redirect_uri: Option<RedirectUri>,
    /// The permissions asked for.
    pub permissions: Permissions,
}

impl fmt::Debug for BotInviteRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BotInviteRequest")
            .field(
                "url",
                &format!("{}?[redacted]", &self.url[..url::Position::AfterPath]),
            )
            .field("state", &self.state)
            .field("pkce_verifier", &self.pkce_verifier)
            .field("redirect_uri", &self.redirect_uri)
            .field("permissions", &self.permissions)
            .finish()
    }
}

impl FluxerClient {
    /// A bot invite for application `client_id` on this client's instance: its API base, and for
    /// a discovered client the instance's consent page.
    pub fn bot_invite(
        &self,
        client_id: impl TryInto<ClientId, Error: Into<SnowflakeError>>,
    ) -> BotInvite {
        let invite = BotInvite::new(self.base_url(), client_id);
        match self.instance() {
            Some(instance) => invite.web_page(instance.authorize_endpoint().as_str()),
            None => invite,
        }
    }

    /// Adds the bot as the signed-in user of this client (a session credential) consents to the
    /// invite, as Fluxer's consent page does, and parses the answer's redirect. The bot is a member
    /// of the guild when this returns `Ok`.
    ///
    /// For a code grant (an invite with a redirect URI), check the state and exchange the code as
    /// usual; otherwise the callback points at the web app and its code can be ignored.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with [`ApiErrorCode::BotAlreadyInGuild`](crate::ApiErrorCode::BotAlreadyInGuild),
    /// [`MissingPermissions`](crate::ApiErrorCode::MissingPermissions) or
    /// [`BotIsPrivate`](crate::ApiErrorCode::BotIsPrivate);
    /// [`Error::InvalidPermissions`]; [`Error::RedirectUriRequired`] when the application has
    /// `bot_require_code_grant` and the invite has no redirect URI.
    pub async fn grant_bot_consent(&self, invite: &BotInviteRequest) -> Result<Callback, Error> {
        let body = crate::oauth::consent_request(&invite.url)?;
        let answer = self.provide_oauth2_consent().body(body).send().await?;
        Ok(Callback::parse(answer.redirect_to.expose_secret())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_bits_match_the_server_list() {
        assert_eq!(Permissions::SEND_MESSAGES.bits(), 2048);
        assert_eq!(Permissions::ADMINISTRATOR.bits(), 8);
        assert_eq!(Permissions::VIEW_CHANNEL_MEMBERS.bits(), 1 << 54);
        assert_eq!(Permissions::NAMED.len(), 37);
        assert_eq!(Permissions::all().unknown_bits(), 0);
        assert_eq!((!Permissions::empty()), Permissions::all());
        assert_eq!(
            Permissions::from_name("MANAGE_GUILD"),
            Some(Permissions::MANAGE_GUILD)
        );
    }

    #[test]
    fn decimal_round_trip_and_refusals() {
        for bits in [0u64, 1, 3072, u64::MAX] {
            let p = Permissions::from_bits_retain(bits);
            assert_eq!(p.to_string().parse::<Permissions>().unwrap(), p);
        }
        for bad in ["", "-1", "abc", "1.5", " 1", "18446744073709551616", "0x10"] {
            assert!(bad.parse::<Permissions>().is_err(), "{bad:?}");
        }
        let json = serde_json::to_string(&Permissions::SEND_MESSAGES).unwrap();
        assert_eq!(json, "\"2048\"");
        assert_eq!(
            serde_json::from_str::<Permissions>("2048").unwrap(),
            Permissions::SEND_MESSAGES
        );
    }

    #[test]
    fn debug_names_flags_and_raw_bits() {
        assert_eq!(format!("{:?}", Permissions::empty()), "Permissions(empty)");
        assert_eq!(
            format!(
                "{:?}",
                Permissions::KICK_MEMBERS | Permissions::from_bits_retain(1 << 19)
            ),
            "Permissions(KICK_MEMBERS | 0x80000)"
        );
    }
}
