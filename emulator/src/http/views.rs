//! Serialisable shapes of applications, bots and users, with the server's key order.

use serde::Serialize;

use crate::store::{App, Store, User};
use crate::time_fmt::iso_millis;

/// The `verify_key` placeholder the server sends: 64 zeros.
const VERIFY_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn owner_has_mfa(store: &Store, app: &App) -> bool {
    app.owner_id
        .as_ref()
        .and_then(|id| store.users.get(id))
        .is_some_and(User::has_mfa)
}

/// The bot object inside application responses.
#[derive(Serialize)]
pub(crate) struct BotView<'a> {
    id: &'a str,
    username: &'a str,
    discriminator: &'a str,
    avatar: Option<&'a str>,
    banner: Option<&'a str>,
    bio: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    mfa_enabled: bool,
    authenticator_types: Vec<u8>,
    flags: u32,
}

impl<'a> BotView<'a> {
    /// The bot of `app`, with `token` only when given.
    pub(crate) fn new(store: &Store, app: &'a App, token: Option<String>) -> Self {
        let mfa = owner_has_mfa(store, app);
        BotView {
            id: &app.id,
            username: &app.bot_username,
            discriminator: &app.bot_discriminator,
            avatar: app.bot_avatar.as_deref(),
            banner: app.bot_banner.as_deref(),
            bio: app.bot_bio.as_deref(),
            token,
            mfa_enabled: mfa,
            authenticator_types: if mfa { vec![0] } else { Vec::new() },
            flags: app.bot_flags,
        }
    }
}

/// `BotProfileResponse`.
#[derive(Serialize)]
pub(crate) struct BotProfile<'a> {
    id: &'a str,
    username: &'a str,
    discriminator: &'a str,
    avatar: Option<&'a str>,
    banner: Option<&'a str>,
    bio: Option<&'a str>,
    flags: u32,
}

impl<'a> BotProfile<'a> {
    pub(crate) fn new(app: &'a App) -> Self {
        BotProfile {
            id: &app.id,
            username: &app.bot_username,
            discriminator: &app.bot_discriminator,
            avatar: app.bot_avatar.as_deref(),
            banner: app.bot_banner.as_deref(),
            bio: app.bot_bio.as_deref(),
            flags: app.bot_flags,
        }
    }
}

/// What an owner sees of an application.
pub(crate) enum Secrets {
    /// Neither secret: GET, PATCH and lists.
    None,
    /// Creation: the client secret and the bot token.
    Created,
    /// Client-secret rotation: the new secret and no bot object.
    RotatedSecret,
}

/// `ApplicationResponse`.
#[derive(Serialize)]
pub(crate) struct AppView<'a> {
    id: &'a str,
    name: &'a str,
    redirect_uris: &'a [String],
    bot_public: bool,
    bot_require_code_grant: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bot: Option<BotView<'a>>,
}

impl<'a> AppView<'a> {
    pub(crate) fn new(store: &Store, app: &'a App, secrets: Secrets) -> Self {
        let (secret, bot) = match secrets {
            Secrets::None => (None, Some(BotView::new(store, app, None))),
            Secrets::Created => (
                Some(app.client_secret.as_str()),
                Some(BotView::new(store, app, Some(app.bot_token()))),
            ),
            Secrets::RotatedSecret => (Some(app.client_secret.as_str()), None),
        };
        AppView {
            id: &app.id,
            name: &app.name,
            redirect_uris: &app.redirect_uris,
            bot_public: app.bot_public,
            bot_require_code_grant: app.bot_require_code_grant,
            client_secret: secret,
            bot,
        }
    }
}

/// `ApplicationPublicResponse`; `bot` is `null` and `scopes` empty for an application
/// without a bot.
#[derive(Serialize)]
pub(crate) struct PublicApp<'a> {
    id: &'a str,
    name: &'a str,
    icon: Option<&'a str>,
    description: Option<&'a str>,
    redirect_uris: &'a [String],
    scopes: &'static [&'static str],
    bot_public: bool,
    bot: Option<BotView<'a>>,
    current_user: Option<()>,
}

impl<'a> PublicApp<'a> {
    pub(crate) fn new(store: &Store, app: &'a App) -> Self {
        PublicApp {
            id: &app.id,
            name: &app.name,
            icon: None,
            description: None,
            redirect_uris: &app.redirect_uris,
            scopes: if app.has_bot { &["bot"] } else { &[] },
            bot_public: app.bot_public,
            bot: app.has_bot.then(|| BotView::new(store, app, None)),
            current_user: None,
        }
    }
}

/// The short application of an authorization entry.
#[derive(Serialize)]
pub(crate) struct AppSummary<'a> {
    id: &'a str,
    name: &'a str,
    icon: Option<&'a str>,
    description: Option<&'a str>,
    bot_public: bool,
}

impl<'a> AppSummary<'a> {
    pub(crate) fn new(app: &'a App) -> Self {
        AppSummary {
            id: &app.id,
            name: &app.name,
            icon: None,
            description: None,
            bot_public: app.bot_public,
        }
    }
}

/// The application of `GET /oauth2/@me`.
#[derive(Serialize)]
pub(crate) struct TokenApp<'a> {
    id: &'a str,
    name: &'a str,
    icon: Option<&'a str>,
    description: Option<&'a str>,
    bot_public: bool,
    bot_require_code_grant: bool,
    flags: u32,
}

impl<'a> TokenApp<'a> {
    pub(crate) fn new(app: &'a App) -> Self {
        TokenApp {
            id: &app.id,
            name: &app.name,
            icon: None,
            description: None,
            bot_public: app.bot_public,
            bot_require_code_grant: app.bot_require_code_grant,
            flags: 0,
        }
    }
}

/// A partial user (`UserPartialResponse`): application owners, login answers, members.
#[derive(Serialize)]
pub(crate) struct PartialUser<'a> {
    id: &'a str,
    username: &'a str,
    discriminator: &'a str,
    global_name: Option<&'a str>,
    avatar: Option<&'a str>,
    avatar_color: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bot: Option<bool>,
    flags: u32,
}

impl<'a> PartialUser<'a> {
    /// A human user.
    pub(crate) fn of(u: &'a User) -> Self {
        PartialUser {
            id: &u.id,
            username: &u.username,
            discriminator: &u.discriminator,
            global_name: u.global_name.as_deref(),
            avatar: None,
            avatar_color: None,
            bot: None,
            flags: 0,
        }
    }

    /// The bot user of `app`.
    pub(crate) fn bot(app: &'a App) -> Self {
        PartialUser {
            id: &app.id,
            username: &app.bot_username,
            discriminator: &app.bot_discriminator,
            global_name: None,
            avatar: app.bot_avatar.as_deref(),
            avatar_color: None,
            bot: Some(true),
            flags: 0,
        }
    }

    /// The owner of an application without one (the built-in application).
    fn system() -> Self {
        PartialUser {
            id: "0",
            username: "Fluxer",
            discriminator: "0000",
            global_name: None,
            avatar: None,
            avatar_color: None,
            bot: None,
            flags: 0,
        }
    }
}

/// `ApplicationsMeResponse`, what a bot sees of its own application.
#[derive(Serialize)]
pub(crate) struct AppForBot<'a> {
    id: &'a str,
    name: &'a str,
    icon: Option<&'a str>,
    description: Option<&'a str>,
    bot_public: bool,
    bot_require_code_grant: bool,
    verify_key: &'static str,
    owner: PartialUser<'a>,
    bot: BotView<'a>,
    redirect_uris: &'a [String],
}

impl<'a> AppForBot<'a> {
    pub(crate) fn new(store: &'a Store, app: &'a App) -> Self {
        let owner = app.owner_id.as_ref().and_then(|id| store.users.get(id));
        AppForBot {
            id: &app.id,
            name: &app.name,
            icon: None,
            description: None,
            bot_public: app.bot_public,
            bot_require_code_grant: app.bot_require_code_grant,
            verify_key: VERIFY_KEY,
            owner: owner.map_or_else(PartialUser::system, PartialUser::of),
            bot: BotView::new(store, app, None),
            redirect_uris: &app.redirect_uris,
        }
    }
}

/// How `/users/@me` was reached.
pub(crate) enum Viewer {
    /// A session: everything.
    Session,
    /// An OAuth2 token; `email` says whether it has the `email` scope.
    OAuth { email: bool },
}

/// The private user object of `GET /users/@me` (users and bots).
#[derive(Serialize)]
pub(crate) struct PrivateUser<'a> {
    id: &'a str,
    username: &'a str,
    discriminator: &'a str,
    global_name: Option<&'a str>,
    avatar: Option<&'a str>,
    avatar_color: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bot: Option<bool>,
    flags: u32,
    is_staff: bool,
    acls: [(); 0],
    traits: &'static [&'static str],
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_bounced: Option<bool>,
    phone: Option<()>,
    has_verified_phone: bool,
    bio: Option<&'a str>,
    pronouns: Option<()>,
    accent_color: Option<()>,
    banner: Option<&'a str>,
    banner_color: Option<()>,
    mfa_enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    authenticator_types: Option<[u8; 1]>,
    verified: bool,
    premium_type: u8,
    premium_since: Option<()>,
    premium_until: Option<()>,
    premium_will_cancel: bool,
    premium_billing_cycle: Option<()>,
    premium_lifetime_sequence: Option<()>,
    premium_grace_ends_at: Option<()>,
    premium_discriminator: bool,
    premium_badge_hidden: bool,
    premium_badge_masked: bool,
    premium_badge_timestamp_hidden: bool,
    premium_badge_sequence_hidden: bool,
    premium_purchase_disabled: bool,
    premium_enabled_override: bool,
    premium_perks_disabled: bool,
    password_last_changed_at: Option<String>,
    last_voice_activity_sharing_change_at: Option<()>,
    required_actions: [(); 0],
    nsfw_allowed: bool,
    has_dismissed_premium_onboarding: bool,
    has_ever_purchased: bool,
    has_unread_gift_inventory: bool,
    unread_gift_inventory_count: u32,
    pending_bulk_message_deletion: Option<()>,
    terms_agreed_at: Option<String>,
    privacy_agreed_at: Option<String>,
}

impl<'a> PrivateUser<'a> {
    /// A user as a session or an OAuth2 token sees them. OAuth2 views keep the keys but blank
    /// what the scopes do not cover (`mfa_enabled` is always `false`).
    pub(crate) fn of(u: &'a User, viewer: Viewer) -> Self {
        let created = iso_millis(u.created_ms);
        let (session, email_scope) = match viewer {
            Viewer::Session => (true, true),
            Viewer::OAuth { email } => (false, email),
        };
        let mfa = session && u.has_mfa();
        PrivateUser {
            id: &u.id,
            username: &u.username,
            discriminator: &u.discriminator,
            global_name: u.global_name.as_deref(),
            avatar: None,
            avatar_color: None,
            bot: None,
            flags: 0,
            is_staff: false,
            acls: [],
            traits: &[],
            email: email_scope.then_some(u.email.as_str()),
            email_bounced: session.then_some(false),
            phone: None,
            has_verified_phone: false,
            bio: None,
            pronouns: None,
            accent_color: None,
            banner: None,
            banner_color: None,
            mfa_enabled: mfa,
            authenticator_types: mfa.then_some([0]),
            verified: true,
            password_last_changed_at: session.then(|| created.clone()),
            nsfw_allowed: session,
            terms_agreed_at: Some(created.clone()),
            privacy_agreed_at: Some(created),
            ..PrivateUser::blank()
        }
    }

    /// The bot user of `app`.
    pub(crate) fn bot(app: &'a App) -> Self {
        PrivateUser {
            id: &app.id,
            username: &app.bot_username,
            discriminator: &app.bot_discriminator,
            avatar: app.bot_avatar.as_deref(),
            bot: Some(true),
            traits: &["premium"],
            email_bounced: Some(false),
            bio: app.bot_bio.as_deref(),
            banner: app.bot_banner.as_deref(),
            verified: false,
            nsfw_allowed: true,
            ..PrivateUser::blank()
        }
    }

    fn blank() -> Self {
        PrivateUser {
            id: "",
            username: "",
            discriminator: "",
            global_name: None,
            avatar: None,
            avatar_color: None,
            bot: None,
            flags: 0,
            is_staff: false,
            acls: [],
            traits: &[],
            email: None,
            email_bounced: None,
            phone: None,
            has_verified_phone: false,
            bio: None,
            pronouns: None,
            accent_color: None,
            banner: None,
            banner_color: None,
            mfa_enabled: false,
            authenticator_types: None,
            verified: false,
            premium_type: 0,
            premium_since: None,
            premium_until: None,
            premium_will_cancel: false,
            premium_billing_cycle: None,
            premium_lifetime_sequence: None,
            premium_grace_ends_at: None,
            premium_discriminator: false,
            premium_badge_hidden: false,
            premium_badge_masked: false,
            premium_badge_timestamp_hidden: false,
            premium_badge_sequence_hidden: false,
            premium_purchase_disabled: false,
            premium_enabled_override: false,
            premium_perks_disabled: false,
            password_last_changed_at: None,
            last_voice_activity_sharing_change_at: None,
            required_actions: [],
            nsfw_allowed: false,
            has_dismissed_premium_onboarding: false,
            has_ever_purchased: false,
            has_unread_gift_inventory: false,
            unread_gift_inventory_count: 0,
            pending_bulk_message_deletion: None,
            terms_agreed_at: None,
            privacy_agreed_at: None,
        }
    }
}
