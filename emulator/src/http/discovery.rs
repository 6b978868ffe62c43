//! Instance discovery (`GET /.well-known/fluxer`) and the small public routes next to it:
//! `/_health`, `/ip` and `/gateway/bot`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};

use crate::shared::{Inner, Settings};
use crate::store::SCOPES;

use super::auth::Caller;
use super::extract::AnyCaller;
use super::login::SsoStatus;
use super::reply;

#[derive(Serialize)]
struct Endpoints {
    api: String,
    api_client: String,
    api_public: String,
    gateway: String,
    media: String,
    static_cdn: String,
    marketing: String,
    admin: String,
    invite: String,
    gift: String,
    webapp: String,
}

#[derive(Serialize)]
struct Captcha {
    provider: &'static str,
    hcaptcha_site_key: Option<&'static str>,
    turnstile_site_key: Option<&'static str>,
}

#[derive(Serialize)]
struct Features {
    voice_enabled: bool,
    stripe_enabled: bool,
    self_hosted: bool,
    presigned_attachment_uploads: bool,
    emails_enabled: bool,
}

#[derive(Serialize)]
struct Gif {
    provider: &'static str,
    display_name: &'static str,
    attribution_required: bool,
}

#[derive(Serialize)]
struct Registration {
    mode: &'static str,
    admin_registration_urls_enabled: bool,
}

#[derive(Serialize)]
struct Community {
    single_community: bool,
    single_community_guild_id: Option<String>,
    direct_messages_disabled: bool,
}

#[derive(Serialize)]
struct Services {
    gif_enabled: bool,
    youtube_enabled: bool,
    bluesky_enabled: bool,
}

#[derive(Serialize)]
struct Push {
    public_vapid_key: &'static str,
}

#[derive(Serialize)]
struct Branding {
    product_name: &'static str,
    icon_url: Option<String>,
    symbol_url: Option<String>,
    logo_url: Option<String>,
    wordmark_url: Option<String>,
    favicon_url: Option<String>,
    theme_color: Option<String>,
}

#[derive(Serialize)]
struct Setup {
    configured: bool,
    admin_url: String,
}

#[derive(Serialize)]
struct Legal {
    terms_url: Option<String>,
    privacy_url: Option<String>,
}

#[derive(Serialize)]
struct AppRegistration {
    collect_date_of_birth: bool,
}

#[derive(Serialize)]
struct AppPublic {
    branding: Branding,
    setup: Setup,
    legal: Legal,
    registration: AppRegistration,
}

/// The `oauth2` block newer servers add (off by default: the recorded version has none).
#[derive(Serialize)]
struct OAuth2Block {
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    scopes_supported: [&'static str; 5],
}

/// The instance document.
#[derive(Serialize)]
struct Instance {
    api_code_version: u32,
    endpoints: Endpoints,
    captcha: Captcha,
    features: Features,
    gif: Gif,
    sso: SsoStatus,
    registration: Registration,
    community: Community,
    services: Services,
    limits: Value,
    push: Push,
    app_public: AppPublic,
    #[serde(skip_serializing_if = "Option::is_none")]
    oauth2: Option<OAuth2Block>,
}

/// The limit rules of a default instance: opaque data to clients of the OAuth2 API.
fn limits() -> Value {
    let guild_caps = json!({
        "max_guild_emojis": 500, "max_guild_emojis_animated_more": 500,
        "max_guild_emojis_animated": 500, "max_guild_emojis_static_more": 500,
        "max_guild_emojis_static": 500, "max_guild_stickers_more": 500, "max_guild_stickers": 500
    });
    let mut premium = json!({
        "feature_animated_avatar": 1, "feature_animated_banner": 1,
        "feature_custom_discriminator": 1, "feature_early_access": 1,
        "feature_global_expressions": 1, "feature_higher_video_quality": 1,
        "feature_per_guild_profiles": 1, "feature_voice_entrance_sounds": 1,
        "max_bookmarks": 300, "max_created_packs": 50, "max_custom_backgrounds": 15,
        "max_favorite_memes": 500, "max_guilds": 200, "max_installed_packs": 50,
        "max_attachment_file_size": 524_288_000u64, "max_message_length": 4000
    });
    if let (Some(p), Some(g)) = (premium.as_object_mut(), guild_caps.as_object()) {
        p.extend(g.clone());
    }
    json!({
        "version": 2,
        "traitDefinitions": ["premium"],
        "rules": [
            {"id": "premium", "filters": {"traits": ["premium"]}, "overrides": premium},
            {"id": "default", "overrides": guild_caps},
            {"id": "very_large_guild", "filters": {"guildFeatures": ["VERY_LARGE_GUILD"]},
             "overrides": {"max_guild_members": 10_000_000}}
        ],
        "defaultsHash": "7nbcm7"
    })
}

fn instance(s: &Settings) -> Instance {
    let web = s.web_app_base.clone();
    let api = s.advertised_api.clone();
    let origin = s.origin.clone();
    let gateway = format!("{}/gateway", origin.replacen("http", "ws", 1));
    let (provider, site_key) = if s.captcha_required {
        ("hcaptcha", Some("10000000-ffff-ffff-ffff-000000000001"))
    } else {
        ("none", None)
    };
    Instance {
        api_code_version: 1,
        endpoints: Endpoints {
            api_client: api.clone(),
            api_public: api.clone(),
            gateway,
            media: format!("{origin}/media"),
            static_cdn: origin,
            marketing: format!("{web}/marketing"),
            admin: format!("{web}/admin"),
            invite: format!("{web}/invite"),
            gift: format!("{web}/gift"),
            webapp: web.clone(),
            api: api.clone(),
        },
        captcha: Captcha {
            provider,
            hcaptcha_site_key: site_key,
            turnstile_site_key: None,
        },
        features: Features {
            voice_enabled: false,
            stripe_enabled: true,
            self_hosted: false,
            presigned_attachment_uploads: false,
            emails_enabled: true,
        },
        gif: Gif {
            provider: "klipy",
            display_name: "KLIPY",
            attribution_required: true,
        },
        sso: SsoStatus::off(&web),
        registration: Registration {
            mode: "open",
            admin_registration_urls_enabled: true,
        },
        community: Community {
            single_community: false,
            single_community_guild_id: None,
            direct_messages_disabled: false,
        },
        services: Services {
            gif_enabled: false,
            youtube_enabled: false,
            bluesky_enabled: false,
        },
        limits: limits(),
        push: Push {
            public_vapid_key: "emulator-vapid-public-key",
        },
        app_public: AppPublic {
            branding: Branding {
                product_name: "Fluxer",
                icon_url: None,
                symbol_url: None,
                logo_url: None,
                wordmark_url: None,
                favicon_url: None,
                theme_color: None,
            },
            setup: Setup {
                configured: true,
                admin_url: format!("{web}/admin"),
            },
            legal: Legal {
                terms_url: None,
                privacy_url: None,
            },
            registration: AppRegistration {
                collect_date_of_birth: true,
            },
        },
        oauth2: s.discovery_oauth2_block.then(|| OAuth2Block {
            authorization_endpoint: format!("{web}/oauth2/authorize"),
            token_endpoint: format!("{api}/oauth2/token"),
            userinfo_endpoint: format!("{api}/oauth2/userinfo"),
            revocation_endpoint: format!("{api}/oauth2/token/revoke"),
            introspection_endpoint: format!("{api}/oauth2/introspect"),
            scopes_supported: SCOPES,
        }),
    }
}

fn cors(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// `GET /.well-known/fluxer` (also under `/v1`): the instance document, open to any origin.
pub(crate) async fn well_known(State(inner): State<Arc<Inner>>) -> Response {
    cors(reply::ok(&instance(&inner.settings())))
}

/// `GET /_health`.
pub(crate) async fn health() -> Response {
    reply::text(StatusCode::OK, "OK")
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Geo {
    country_code: Option<&'static str>,
    region_code: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IpInfo {
    country_code: Option<&'static str>,
    region_code: Option<&'static str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    age_restricted_geos: [Geo; 2],
    age_blocked_geos: [Geo; 1],
}

/// `GET /ip`: the caller's (unknown) location and the age-gated regions.
pub(crate) async fn ip() -> Response {
    cors(reply::ok(&IpInfo {
        country_code: None,
        region_code: None,
        latitude: None,
        longitude: None,
        age_restricted_geos: [
            Geo {
                country_code: Some("GB"),
                region_code: None,
            },
            Geo {
                country_code: Some("BR"),
                region_code: None,
            },
        ],
        age_blocked_geos: [Geo {
            country_code: Some("US"),
            region_code: Some("MS"),
        }],
    }))
}

#[derive(Serialize)]
struct SessionStartLimit {
    total: u32,
    remaining: u32,
    reset_after: u64,
    max_concurrency: u32,
}

#[derive(Serialize)]
struct GatewayBot {
    url: String,
    shards: u32,
    session_start_limit: SessionStartLimit,
}

/// `GET /gateway/bot`: bot tokens only.
pub(crate) async fn gateway_bot(
    State(inner): State<Arc<Inner>>,
    AnyCaller(caller): AnyCaller,
) -> Response {
    match caller {
        Caller::Bot { .. } => {
            let origin = inner.settings().origin;
            reply::ok(&GatewayBot {
                url: format!("{}/gateway", origin.replacen("http", "ws", 1)),
                shards: 1,
                session_start_limit: SessionStartLimit {
                    total: 1000,
                    remaining: 999,
                    reset_after: 14_400_000,
                    max_concurrency: 1,
                },
            })
        }
        Caller::Anonymous => reply::fluxer(
            StatusCode::UNAUTHORIZED,
            "MISSING_AUTHORIZATION",
            "Missing or invalid authorization header.",
        ),
        _ => reply::fluxer(
            StatusCode::UNAUTHORIZED,
            "INVALID_AUTH_TOKEN",
            "Invalid or expired authorization token.",
        ),
    }
}

/// A CORS preflight (`OPTIONS` on any path): 204 with the allowed methods and headers.
pub(crate) fn preflight() -> Response {
    let mut r = reply::empty(StatusCode::NO_CONTENT);
    let h = r.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(
            "Content-Type, Authorization, X-Requested-With, Accept-Language, X-Request-ID",
        ),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    r
}
