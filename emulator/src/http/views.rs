//! JSON shapes of applications, bots and users, in the server's key order.

use serde_json::{Value, json};

use crate::store::{App, Store, User};
use crate::time_fmt::iso_millis;

use super::reply::JObj;

/// The `verify_key` placeholder the server sends: 64 zeros.
const VERIFY_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn owner_has_mfa(store: &Store, app: &App) -> bool {
    app.owner_id
        .as_ref()
        .and_then(|id| store.users.get(id))
        .is_some_and(User::has_mfa)
}

/// The fields a bot object and a bot profile open with.
fn bot_identity(app: &App) -> JObj {
    JObj::new()
        .val("id", app.id.as_str())
        .val("username", app.bot_username.as_str())
        .val("discriminator", app.bot_discriminator.as_str())
        .opt("avatar", app.bot_avatar.as_deref())
        .opt("banner", app.bot_banner.as_deref())
        .opt("bio", app.bot_bio.as_deref())
}

/// The bot object inside application responses, with `token` only when given.
pub(crate) fn bot(store: &Store, app: &App, token: Option<&str>) -> String {
    let mfa = owner_has_mfa(store, app);
    let mut o = bot_identity(app);
    if let Some(t) = token {
        o = o.val("token", t);
    }
    o.val("mfa_enabled", mfa)
        .val(
            "authenticator_types",
            if mfa { json!([0]) } else { json!([]) },
        )
        .val("flags", app.bot_flags)
        .finish()
}

/// What an owner sees of an application.
pub(crate) enum Secrets<'a> {
    /// Neither secret: GET, PATCH and lists.
    None,
    /// Creation: the client secret and the bot token.
    Created { secret: &'a str, bot_token: &'a str },
    /// Client-secret rotation: the new secret and no bot object.
    RotatedSecret(&'a str),
}

/// `ApplicationResponse`.
pub(crate) fn app(store: &Store, app: &App, secrets: Secrets<'_>) -> String {
    let o = JObj::new()
        .val("id", app.id.as_str())
        .val("name", app.name.as_str())
        .val("redirect_uris", app.redirect_uris.clone())
        .val("bot_public", app.bot_public)
        .val("bot_require_code_grant", app.bot_require_code_grant);
    match secrets {
        Secrets::None => o.raw("bot", &bot(store, app, None)).finish(),
        Secrets::Created { secret, bot_token } => o
            .val("client_secret", secret)
            .raw("bot", &bot(store, app, Some(bot_token)))
            .finish(),
        Secrets::RotatedSecret(secret) => o.val("client_secret", secret).finish(),
    }
}

/// The fields the public views of an application open with, up to `description`.
pub(crate) fn app_identity(app: &App) -> JObj {
    JObj::new()
        .val("id", app.id.as_str())
        .val("name", app.name.as_str())
        .val("icon", Value::Null)
        .val("description", Value::Null)
}

/// `ApplicationPublicResponse`.
pub(crate) fn public_app(store: &Store, app: &App) -> String {
    app_identity(app)
        .val("redirect_uris", app.redirect_uris.clone())
        .val("scopes", json!(["bot"]))
        .val("bot_public", app.bot_public)
        .raw("bot", &bot(store, app, None))
        .val("current_user", Value::Null)
        .finish()
}

/// The fields a user object opens with, up to `avatar_color`.
pub(crate) fn user_identity(u: &User) -> JObj {
    JObj::new()
        .val("id", u.id.as_str())
        .val("username", u.username.as_str())
        .val("discriminator", u.discriminator.as_str())
        .opt("global_name", u.global_name.as_deref())
        .val("avatar", Value::Null)
        .val("avatar_color", Value::Null)
}

/// A partial user, as the `owner` of an application.
fn partial_user(user: Option<&User>) -> String {
    match user {
        Some(u) => user_identity(u).val("flags", 0).finish(),
        None => JObj::new()
            .val("id", "0")
            .val("username", "Fluxer")
            .val("discriminator", "0000")
            .val("global_name", Value::Null)
            .val("avatar", Value::Null)
            .val("avatar_color", Value::Null)
            .val("flags", 0)
            .finish(),
    }
}

/// `ApplicationsMeResponse`, what a bot sees of its own application.
pub(crate) fn app_for_bot(store: &Store, app: &App) -> String {
    let owner = app.owner_id.as_ref().and_then(|id| store.users.get(id));
    app_identity(app)
        .val("bot_public", app.bot_public)
        .val("bot_require_code_grant", app.bot_require_code_grant)
        .val("verify_key", VERIFY_KEY)
        .raw("owner", &partial_user(owner))
        .raw("bot", &bot(store, app, None))
        .val("redirect_uris", app.redirect_uris.clone())
        .finish()
}

/// `BotProfileResponse`.
pub(crate) fn bot_profile(app: &App) -> String {
    bot_identity(app).val("flags", app.bot_flags).finish()
}

/// How `/users/@me` was reached.
pub(crate) enum Viewer {
    /// A session: everything.
    Session,
    /// An OAuth2 token; `email` says whether it has the `email` scope.
    OAuth { email: bool },
}

/// The fields of a user object from `premium_type` on, for a user without premium; `None`
/// dates are `null`.
fn user_tail(
    o: JObj,
    password_last_changed_at: Option<&str>,
    nsfw_allowed: bool,
    agreed_at: Option<&str>,
) -> String {
    o.val("premium_type", 0)
        .val("premium_since", Value::Null)
        .val("premium_until", Value::Null)
        .val("premium_will_cancel", false)
        .val("premium_billing_cycle", Value::Null)
        .val("premium_lifetime_sequence", Value::Null)
        .val("premium_grace_ends_at", Value::Null)
        .val("premium_discriminator", false)
        .val("premium_badge_hidden", false)
        .val("premium_badge_masked", false)
        .val("premium_badge_timestamp_hidden", false)
        .val("premium_badge_sequence_hidden", false)
        .val("premium_purchase_disabled", false)
        .val("premium_enabled_override", false)
        .val("premium_perks_disabled", false)
        .opt("password_last_changed_at", password_last_changed_at)
        .val("last_voice_activity_sharing_change_at", Value::Null)
        .val("required_actions", json!([]))
        .val("nsfw_allowed", nsfw_allowed)
        .val("has_dismissed_premium_onboarding", false)
        .val("has_ever_purchased", false)
        .val("has_unread_gift_inventory", false)
        .val("unread_gift_inventory_count", 0)
        .val("pending_bulk_message_deletion", Value::Null)
        .opt("terms_agreed_at", agreed_at)
        .opt("privacy_agreed_at", agreed_at)
        .finish()
}

/// The private user object of `GET /users/@me`.
pub(crate) fn private_user(u: &User, viewer: Viewer) -> String {
    let created = iso_millis(u.created_ms);
    let (session, email_scope) = match viewer {
        Viewer::Session => (true, true),
        Viewer::OAuth { email } => (false, email),
    };
    let mut o = user_identity(u)
        .val("flags", 0)
        .val("is_staff", false)
        .val("acls", json!([]))
        .val("traits", json!([]))
        .opt("email", email_scope.then_some(u.email.as_str()));
    if session {
        o = o.val("email_bounced", false);
    }
    o = o
        .val("phone", Value::Null)
        .val("has_verified_phone", false)
        .val("bio", Value::Null)
        .val("pronouns", Value::Null)
        .val("accent_color", Value::Null)
        .val("banner", Value::Null)
        .val("banner_color", Value::Null)
        .val("mfa_enabled", u.has_mfa());
    if u.has_mfa() {
        o = o.val("authenticator_types", json!([0]));
    }
    user_tail(
        o.val("verified", true),
        session.then_some(created.as_str()),
        session,
        Some(&created),
    )
}

/// `GET /users/@me` for a bot.
pub(crate) fn bot_user(app: &App) -> String {
    let o = JObj::new()
        .val("id", app.id.as_str())
        .val("username", app.bot_username.as_str())
        .val("discriminator", app.bot_discriminator.as_str())
        .val("global_name", Value::Null)
        .opt("avatar", app.bot_avatar.as_deref())
        .val("avatar_color", Value::Null)
        .val("bot", true)
        .val("flags", 0)
        .val("is_staff", false)
        .val("acls", json!([]))
        .val("traits", json!(["premium"]))
        .val("email", Value::Null)
        .val("email_bounced", false)
        .val("phone", Value::Null)
        .val("has_verified_phone", false)
        .opt("bio", app.bot_bio.as_deref())
        .val("pronouns", Value::Null)
        .val("accent_color", Value::Null)
        .opt("banner", app.bot_banner.as_deref())
        .val("banner_color", Value::Null)
        .val("mfa_enabled", false)
        .val("verified", false);
    user_tail(o, None, true, None)
}
