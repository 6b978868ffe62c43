//! The steps around the OAuth2 operations: logging in, the user's sessions, what the scopes unlock,
//! adding the bot to a guild, discovery, and logging out.

use fluxer_oauth2::{
    ApiErrorCode, Credential, Error, FluxerClient, Secret,
    discovery::{Discovery, DiscoveryError},
    login::{Login, Session, short_id_hash},
    oauth::{AuthorizeUrl, Permissions, Scope, TokenSet},
};

use crate::{
    codes::TotpCodes,
    report::{Report, hidden},
    tour::{REDIRECT_URI, Tour, TourApp},
};

/// What a step returns: any error, reported as the step's failure.
pub type StepResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Email and password, then the second factor when the account asks for one. Also says whether
/// the account has one (then sudo mode needs it too, not the password).
pub async fn log_in(
    client: &FluxerClient,
    r: &mut Report,
    who: &str,
    email: &str,
    password: &Secret,
    totp: Option<&TotpCodes>,
) -> StepResult<(Session, bool)> {
    let logged_in = match client.login(email, password.clone()).await? {
        Login::Session(session) => {
            r.step(
                "login",
                "login_password",
                format!(
                    "{who}: email and password -> session for user {} (token {})",
                    session.user_id,
                    hidden(&session.token)
                ),
            );
            (session, false)
        }
        Login::Mfa(challenge) => {
            r.step(
                "login",
                "login_password",
                format!(
                    "{who}: email and password accepted; second factor asked, methods {:?} (ticket hidden)",
                    challenge.allowed_methods()
                ),
            );
            let Some(codes) = totp.filter(|_| challenge.totp()) else {
                return Err(format!(
                    "{who}: the account asks for a second factor this tour cannot give: set FLUXER_TOTP_SECRET to the account's TOTP secret"
                )
                .into());
            };
            let session = challenge
                .complete_totp(client, codes.fresh(r).await)
                .await?;
            r.step(
                "login",
                "login_mfa_totp",
                format!(
                    "{who}: TOTP code accepted -> session for user {} (token {})",
                    session.user_id,
                    hidden(&session.token)
                ),
            );
            (session, true)
        }
    };
    Ok(logged_in)
}

/// The user's sessions, each shown by its shortened `id_hash`.
pub async fn sessions(session: &FluxerClient, r: &mut Report, who: &str) -> StepResult {
    const SHOWN: usize = 5;
    let list = session.list_auth_sessions().send().await?;
    r.step(
        "sessions",
        "list_auth_sessions",
        format!(
            "{who} has {} session(s); none is told apart by `current` (the server sends false on every entry)",
            list.len()
        ),
    );
    for s in list.iter().take(SHOWN) {
        let info = s.client_info.as_ref();
        let or_unknown = |v: Option<&String>| v.map_or("?".to_owned(), Clone::clone);
        r.note(format!(
            "{}  {} / {}  ip {}  last used {}  current={}",
            short_id_hash(&s.id_hash),
            or_unknown(info.and_then(|i| i.platform.as_ref())),
            or_unknown(info.and_then(|i| i.os.as_ref())),
            or_unknown(s.masked_ip.as_ref()),
            or_unknown(s.approx_last_used_at.as_ref()),
            s.current.unwrap_or(false),
        ));
    }
    if list.len() > SHOWN {
        r.note(format!("… and {} more", list.len() - SHOWN));
    }
    Ok(())
}

/// Consent and code exchange for `scopes`, printing nothing but the outcome.
async fn grant(tour: &Tour, app: &TourApp, scopes: &[Scope]) -> StepResult<TokenSet> {
    let request = AuthorizeUrl::new(tour.session.base_url(), &app.id, REDIRECT_URI)
        .scopes(scopes.iter().cloned())
        .build()?;
    let code = tour
        .session
        .grant_consent(&request)
        .await?
        .verify_state(&request.state)?;
    let tokens = tour
        .anonymous
        .exchange_code_with(
            &app.credentials,
            &code,
            request.redirect_uri.normalized(),
            request.pkce_verifier.as_ref(),
        )
        .await?;
    Ok(tokens)
}

/// The user, their guilds and their connections, read with an access token whose scopes the client
/// knows; then a token without `guilds`, refused before anything is sent.
pub async fn user_resources(tour: &Tour, r: &mut Report, app: &TourApp) -> StepResult {
    const STEP: &str = "user resources";
    let tokens = grant(
        tour,
        app,
        &[
            Scope::Identify,
            Scope::Email,
            Scope::Guilds,
            Scope::Connections,
        ],
    )
    .await?;
    r.note(format!(
        "authorized for {:?}: access token {}",
        tokens.scope,
        hidden(&tokens.access_token)
    ));
    let user = tour.session.with_token_set(&tokens);
    let me = user.get_current_user().send().await?;
    r.step(
        STEP,
        "get_current_user",
        format!(
            "Bearer: {} ({}), email {}, mfa_enabled={:?} (always false to an application)",
            me.username,
            me.global_name.as_deref().unwrap_or("no display name"),
            me.email.as_deref().unwrap_or("not granted"),
            me.mfa_enabled.unwrap_or(false),
        ),
    );
    let guilds = user
        .list_current_user_guilds()
        .with_counts(true)
        .send()
        .await?;
    let named: Vec<String> = guilds
        .iter()
        .take(3)
        .map(|g| {
            format!(
                "{:?} (~{} members)",
                g.name,
                g.approximate_member_count
                    .map_or("?".to_owned(), |n| n.to_string())
            )
        })
        .collect();
    r.step(
        STEP,
        "list_current_user_guilds",
        format!(
            "Bearer, with_counts: {} guild(s){}",
            guilds.len(),
            listed(&named)
        ),
    );
    let connections = user.list_current_user_connections().send().await?;
    let named: Vec<String> = connections
        .iter()
        .take(3)
        .map(|c| format!("{} {:?}", c.type_, c.name))
        .collect();
    r.step(
        STEP,
        "list_current_user_connections",
        format!(
            "Bearer: {} connection(s){}",
            connections.len(),
            listed(&named)
        ),
    );

    let narrow = grant(tour, app, &[Scope::Identify]).await?;
    let user = tour.session.with_token_set(&narrow);
    match user.list_current_user_guilds().send().await {
        Err(Error::MissingScope { scope, .. }) => r.step(
            STEP,
            "list_current_user_guilds",
            format!(
                "a token granted only {:?}: refused before sending, it lacks `{scope}`",
                narrow.scope
            ),
        ),
        Ok(_) => return Err("a token without `guilds` read the guilds".into()),
        Err(e) => return Err(format!("expected MissingScope before sending, got: {e}").into()),
    }
    Ok(())
}

/// `: a, b` for a non-empty list.
fn listed(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!(": {}", items.join(", "))
    }
}

/// Where the bot goes: the given guild, or the first guild the user owns. `None` (with the reason)
/// when there is none: the crate has no operation to create a guild.
pub async fn pick_guild(
    session: &FluxerClient,
    given: Option<String>,
) -> StepResult<Result<String, String>> {
    if let Some(guild) = given {
        return Ok(Ok(guild));
    }
    let me = session.get_current_user().send().await?;
    let guilds = session.list_current_user_guilds().send().await?;
    Ok(guilds
        .iter()
        .find(|g| g.owner_id.as_ref() == Some(&me.id))
        .map(|g| g.id.to_string())
        .ok_or_else(|| {
            format!(
                "the user owns none of their {} guild(s), and the crate has no operation to create one: set FLUXER_GUILD_ID to a guild where the user may add bots",
                guilds.len()
            )
        }))
}

/// The invite URL for the tour's bot, the user's consent, and the bot's membership.
pub async fn bot(
    tour: &Tour,
    r: &mut Report,
    app: &TourApp,
    guild: Result<String, String>,
) -> StepResult {
    const STEP: &str = "bot";
    let permissions = Permissions::VIEW_CHANNEL | Permissions::SEND_MESSAGES;
    let mut invite = tour.session.bot_invite(&app.id).permissions(permissions);
    let guild = match guild {
        Ok(guild) => {
            invite = invite.guild_id(&guild).disable_guild_select(true);
            guild
        }
        Err(why) => {
            let invite = invite.build()?;
            r.note(format!("invite URL: {}", shown_url(&invite.url)));
            r.step_skip(STEP, "grant_bot_consent", why);
            return Ok(());
        }
    };
    let invite = invite.build()?;
    r.step(
        STEP,
        "bot invite",
        format!("{} ({permissions:?})", shown_url(&invite.url)),
    );
    tour.session.grant_bot_consent(&invite).await?;
    r.step(
        STEP,
        "grant_bot_consent",
        format!("the user consented: the bot is added to guild {guild}"),
    );
    let member = tour
        .session
        .get_guild_member()
        .guild_id(&guild)
        .user_id(&app.id)
        .send()
        .await?;
    r.step(
        STEP,
        "get_guild_member",
        format!(
            "{} (bot={}) is a member since {}, with {} role(s)",
            member.user.username,
            member.user.bot.unwrap_or(false),
            member.joined_at,
            member.roles.len()
        ),
    );
    let as_bot = tour
        .session
        .with_credential(Credential::Bot(app.bot_token.clone()));
    let its_guilds = as_bot.list_current_user_guilds().send().await?;
    r.step(
        STEP,
        "list_current_user_guilds",
        format!(
            "as the bot: {} guild(s), this one among them: {}",
            its_guilds.len(),
            its_guilds.iter().any(|g| g.id.as_str() == guild)
        ),
    );
    match tour.session.grant_bot_consent(&invite).await {
        Err(Error::Api {
            code: ApiErrorCode::BotAlreadyInGuild,
            status,
            ..
        }) => r.note(format!(
            "consenting again: {status} BOT_ALREADY_IN_GUILD, as expected"
        )),
        Ok(_) => return Err("a second consent for the same guild was accepted".into()),
        Err(e) => {
            return Err(
                format!("a second consent: expected BOT_ALREADY_IN_GUILD, got: {e}").into(),
            );
        }
    }
    Ok(())
}

/// An authorize URL with its state and PKCE challenge hidden.
fn shown_url(url: &url::Url) -> String {
    let query: Vec<String> = url
        .query_pairs()
        .map(|(k, v)| match &*k {
            "state" | "code_challenge" => format!("{k}=(hidden)"),
            _ => format!("{k}={v}"),
        })
        .collect();
    format!("{}?{}", url.path(), query.join("&"))
}

/// The instance document: through `FluxerClient::discover` (with an override when the advertised API
/// does not answer from here), and through the plain operation.
pub async fn discovery(r: &mut Report, instance: &str, session: &FluxerClient) -> StepResult {
    const STEP: &str = "discovery";
    let client = match FluxerClient::discover(instance).await {
        Ok(client) => client,
        Err(Error::Discovery(DiscoveryError::ApiUnreachable {
            api_base,
            overridden: false,
            ..
        })) => {
            r.note(format!(
                "the instance advertises its API at {api_base}, which does not answer from here; discovering again with api_base_override"
            ));
            FluxerClient::discover(Discovery::new(instance).api_base_override(instance)).await?
        }
        Err(e) => return Err(e.into()),
    };
    let found = client
        .instance()
        .ok_or("a discovered client without its instance")?;
    r.step(
        STEP,
        "FluxerClient::discover",
        format!(
            "API {}{}, consent page {}, captcha {}",
            client.base_url(),
            if found.is_api_base_overridden() {
                format!(" (advertised: {})", found.advertised_api_base())
            } else {
                String::new()
            },
            found.authorize_endpoint(),
            found.captcha_provider().unwrap_or("none"),
        ),
    );
    let document = session.get_instance_document().send().await?;
    r.step(
        STEP,
        "get_instance_document",
        format!(
            "api_code_version {}, web app {}, SSO {}, oauth2 block: {}",
            document
                .api_code_version
                .map_or("?".to_owned(), |v| v.to_string()),
            document.endpoints.webapp.as_deref().unwrap_or("?"),
            document.sso.as_ref().is_some_and(|s| s.enabled),
            if document.oauth2.is_some() {
                "yes"
            } else {
                "no (derived from endpoints)"
            },
        ),
    );
    Ok(())
}

/// Logs the session out; then the same client refuses it before sending, and the server answers 401
/// to a new client holding the same token.
pub async fn logout(
    r: &mut Report,
    who: &str,
    session_client: &FluxerClient,
    session: &Session,
) -> StepResult {
    const STEP: &str = "logout";
    session_client.logout().send().await?;
    r.step(STEP, "logout", format!("{who}: the session is logged out"));
    match session_client.get_current_user().send().await {
        Err(e @ Error::SessionEnded { .. }) => r.step(
            STEP,
            "get_current_user (same client)",
            format!("refused before sending: {e}"),
        ),
        Ok(_) => return Err("the logged-out client still sent its session".into()),
        Err(e) => return Err(format!("expected SessionEnded, got: {e}").into()),
    }
    let fresh = FluxerClient::builder()
        .base_url(session_client.base_url())
        .credential(session.credential())
        .build()?;
    match fresh.get_current_user().send().await {
        Err(e) if e.status() == Some(401) => r.step(
            STEP,
            "get_current_user (new client)",
            format!("the server answers 401: {e}"),
        ),
        Ok(_) => return Err("the server still accepts the logged-out session".into()),
        Err(e) => return Err(format!("expected 401 from the server, got: {e}").into()),
    }
    Ok(())
}
