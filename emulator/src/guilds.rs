//! Guild data: the communities users own or belong to, their roles and members, enough for the
//! OAuth2 `guilds` scope and for adding a bot to a guild.

use serde::Serialize;

/// The `@everyone` permissions the server gives a new guild.
pub(crate) const EVERYONE_PERMISSIONS: &str = "18014536052624961";

/// One role of a guild.
#[derive(Clone, Debug)]
pub(crate) struct Role {
    pub id: String,
    pub name: String,
    pub permissions: u64,
    pub position: u32,
}

/// One channel of a guild.
#[derive(Clone, Debug)]
pub(crate) struct Channel {
    pub id: String,
    pub name: &'static str,
    /// 0 text, 2 voice, 4 category.
    pub kind: u8,
    pub position: u32,
    pub parent_id: Option<String>,
}

/// One member of a guild.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub user_id: String,
    pub roles: Vec<String>,
    pub joined_ms: u64,
}

/// A guild ("community").
#[derive(Clone, Debug)]
pub(crate) struct Guild {
    pub id: String,
    pub name: String,
    pub owner_id: String,
    pub system_channel_id: String,
    /// The default channels: two categories, `general` (text) and `General` (voice).
    pub channels: Vec<Channel>,
    /// Created roles, newest last; `@everyone` (id = guild id) is implicit.
    pub roles: Vec<Role>,
    /// Members in joining order; the owner first.
    pub members: Vec<Member>,
}

impl Guild {
    /// The channels a new guild gets, with ids from `next_id`; returns them and the id of the
    /// system (`general`) channel.
    pub(crate) fn default_channels(mut next_id: impl FnMut() -> String) -> (Vec<Channel>, String) {
        let (text, voice) = (next_id(), next_id());
        let (general, general_voice) = (next_id(), next_id());
        let channel = |id: &String, name, kind, position, parent: Option<&String>| Channel {
            id: id.clone(),
            name,
            kind,
            position,
            parent_id: parent.cloned(),
        };
        let channels = vec![
            channel(&text, "Text Channels", 4, 0, None),
            channel(&voice, "Voice Channels", 4, 1, None),
            channel(&general, "general", 0, 0, Some(&text)),
            channel(&general_voice, "General", 2, 0, Some(&voice)),
        ];
        (channels, general)
    }

    /// The member entry of `user_id`.
    pub(crate) fn member(&self, user_id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.user_id == user_id)
    }
}

/// The guild object of `/users/@me/guilds` and `GET /guilds/{id}`, for a guild without any
/// customisation.
#[derive(Serialize)]
pub(crate) struct GuildView<'a> {
    id: &'a str,
    name: &'a str,
    icon: Option<()>,
    banner: Option<()>,
    banner_width: Option<()>,
    banner_height: Option<()>,
    splash: Option<()>,
    splash_width: Option<()>,
    splash_height: Option<()>,
    splash_card_alignment: u8,
    embed_splash: Option<()>,
    embed_splash_width: Option<()>,
    embed_splash_height: Option<()>,
    vanity_url_code: Option<()>,
    owner_id: &'a str,
    system_channel_id: &'a str,
    system_channel_flags: u8,
    rules_channel_id: Option<()>,
    afk_channel_id: Option<()>,
    afk_timeout: u32,
    features: [&'static str; 4],
    verification_level: u8,
    mfa_level: u8,
    nsfw_level: u8,
    nsfw: bool,
    content_warning_level: u8,
    content_warning_text: Option<()>,
    explicit_content_filter: u8,
    default_message_notifications: u8,
    disabled_operations: u8,
    message_history_cutoff: Option<()>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approximate_member_count: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approximate_presence_count: Option<usize>,
}

impl<'a> GuildView<'a> {
    /// The view of `g`, with the approximate counts when `with_counts`.
    pub(crate) fn new(g: &'a Guild, with_counts: bool) -> Self {
        GuildView {
            id: &g.id,
            name: &g.name,
            icon: None,
            banner: None,
            banner_width: None,
            banner_height: None,
            splash: None,
            splash_width: None,
            splash_height: None,
            splash_card_alignment: 0,
            embed_splash: None,
            embed_splash_width: None,
            embed_splash_height: None,
            vanity_url_code: None,
            owner_id: &g.owner_id,
            system_channel_id: &g.system_channel_id,
            system_channel_flags: 0,
            rules_channel_id: None,
            afk_channel_id: None,
            afk_timeout: 300,
            features: [
                "ANIMATED_BANNER",
                "ANIMATED_ICON",
                "BANNER",
                "INVITE_SPLASH",
            ],
            verification_level: 0,
            mfa_level: 0,
            nsfw_level: 0,
            nsfw: false,
            content_warning_level: 0,
            content_warning_text: None,
            explicit_content_filter: 0,
            default_message_notifications: 0,
            disabled_operations: 0,
            message_history_cutoff: None,
            approximate_member_count: with_counts.then_some(g.members.len()),
            approximate_presence_count: with_counts.then_some(0),
        }
    }
}

/// One entry of `GET /guilds/{id}/roles`.
#[derive(Serialize)]
pub(crate) struct RoleView<'a> {
    id: &'a str,
    name: &'a str,
    color: u32,
    position: u32,
    hoist_position: Option<()>,
    permissions: String,
    hoist: bool,
    mentionable: bool,
}

impl<'a> RoleView<'a> {
    /// The view of a created role.
    pub(crate) fn new(r: &'a Role) -> Self {
        RoleView {
            id: &r.id,
            name: &r.name,
            color: 0,
            position: r.position,
            hoist_position: None,
            permissions: r.permissions.to_string(),
            hoist: false,
            mentionable: false,
        }
    }

    /// The implicit `@everyone` role of `g`.
    pub(crate) fn everyone(g: &'a Guild) -> Self {
        RoleView {
            id: &g.id,
            name: "@everyone",
            color: 0,
            position: 0,
            hoist_position: None,
            permissions: EVERYONE_PERMISSIONS.to_owned(),
            hoist: false,
            mentionable: false,
        }
    }
}

/// A channel in the full guild object.
#[derive(Serialize)]
struct ChannelView<'a> {
    id: &'a str,
    guild_id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: u8,
    position: u32,
    parent_id: Option<&'a str>,
    nsfw: bool,
}

/// The full guild object of `GET /guilds/{id}`: the list view plus roles, channels and counts.
#[derive(Serialize)]
pub(crate) struct FullGuildView<'a> {
    #[serde(flatten)]
    guild: GuildView<'a>,
    roles: Vec<RoleView<'a>>,
    emojis: [(); 0],
    stickers: [(); 0],
    channels: Vec<ChannelView<'a>>,
    member_count: usize,
    online_count: usize,
}

impl<'a> FullGuildView<'a> {
    pub(crate) fn new(g: &'a Guild) -> Self {
        let mut roles = vec![RoleView::everyone(g)];
        roles.extend(g.roles.iter().map(RoleView::new));
        FullGuildView {
            guild: GuildView::new(g, false),
            roles,
            emojis: [],
            stickers: [],
            channels: g
                .channels
                .iter()
                .map(|c| ChannelView {
                    id: &c.id,
                    guild_id: &g.id,
                    name: c.name,
                    kind: c.kind,
                    position: c.position,
                    parent_id: c.parent_id.as_deref(),
                    nsfw: false,
                })
                .collect(),
            member_count: g.members.len(),
            online_count: 0,
        }
    }
}
