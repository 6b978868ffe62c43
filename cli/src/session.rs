//! `login`, `logout`, `sessions` and `whoami`.

use fluxer_oauth2::{
    Credential, Error, Secret,
    login::{Login, short_id_hash},
};
use serde_json::json;

use crate::{
    args::{LoginArgs, WhoamiArgs},
    context::Ctx,
    exit::CliError,
    output::{Output, columns, table},
    prompt::{env_secret, read_line},
    store::SessionEntry,
};

/// The environment variable that gives a session token to `login`.
pub const SESSION_TOKEN_ENV: &str = "FLUXER_SESSION_TOKEN";

/// `login`.
pub async fn login(ctx: &mut Ctx, args: &LoginArgs) -> Result<Output, CliError> {
    let token_from_env = if args.email.is_none() && !args.token_stdin {
        env_secret(SESSION_TOKEN_ENV)
    } else {
        None
    };
    let token = if args.token_stdin {
        Some(read_line("session token")?)
    } else {
        token_from_env
    };
    let (token, user_id, how) = match token {
        Some(token) => {
            let token = Secret::new(token.expose_secret().trim());
            let client = ctx
                .client
                .with_credential(Credential::session(token.clone()));
            let me = client.get_current_user().send().await.map_err(|e| {
                let mut err = CliError::from(e);
                err.message = format!("the session token was not accepted: {}", err.message);
                err
            })?;
            (token, me.id.to_string(), "session token")
        }
        None => {
            let email = match &args.email {
                Some(email) => email.clone(),
                None => ctx.prompter.text("Email")?,
            };
            let password = ctx.prompter.secret("Password")?;
            let session = match ctx
                .client
                .login(&email, password)
                .await
                .map_err(refused_login)?
            {
                Login::Session(session) => session,
                Login::Mfa(challenge) if challenge.totp() => {
                    let code = ctx
                        .prompter
                        .secret("Code from your authenticator app (or a backup code)")?;
                    challenge
                        .complete_totp(&ctx.client, code)
                        .await
                        .map_err(refused_login)?
                }
                Login::Mfa(_) => {
                    return Err(CliError::auth(
                        "the account's second factor is a security key, which this tool cannot use: \
                         log in in the web app and pass its session token with --token-stdin",
                    ));
                }
            };
            (session.token, session.user_id.to_string(), "password")
        }
    };
    let api_base = ctx.api_base.clone();
    let entry = ctx.store.instance_mut(&api_base);
    entry.session = Some(SessionEntry {
        token,
        user_id: Some(user_id.clone()),
    });
    entry.sudo_token = None;
    ctx.store.data.default_api_base = Some(api_base.clone());
    ctx.store.save()?;
    Ok(Output::new(json!({
        "logged_in": true,
        "user_id": user_id,
        "api_base": api_base,
        "method": how,
        "store": ctx.store.path().display().to_string(),
    }))
    .line(format!("Logged in to {api_base} as user {user_id}."))
    .line(format!(
        "The session is kept in {} (readable by you only).",
        ctx.store.path().display()
    )))
}

/// A login refusal as an authentication error: the typed ones are already, and a form error on the
/// email, password or code is one too.
fn refused_login(error: Error) -> CliError {
    if let Error::Api {
        status: 400,
        errors,
        ..
    } = &error
        && errors
            .iter()
            .any(|e| matches!(e.path.as_str(), "email" | "password" | "code" | "ticket"))
    {
        return CliError::auth(error.to_string());
    }
    error.into()
}

/// `logout`.
pub async fn logout(ctx: &mut Ctx) -> Result<Output, CliError> {
    let client = ctx.session_client()?;
    let ended_on_server = match client.logout().send().await {
        Ok(_) => true,
        // A session the server no longer knows is as good as ended.
        Err(Error::Api { status: 401, .. }) | Err(Error::SessionRevoked { .. }) => false,
        Err(e) => return Err(e.into()),
    };
    let api_base = ctx.api_base.clone();
    let entry = ctx.store.instance_mut(&api_base);
    entry.session = None;
    entry.sudo_token = None;
    ctx.store.save()?;
    let line = if ended_on_server {
        format!("Logged out of {api_base}; the session is ended and forgotten.")
    } else {
        format!("The server no longer knew the session; it is forgotten here ({api_base}).")
    };
    Ok(Output::new(json!({
        "logged_out": true,
        "ended_on_server": ended_on_server,
        "api_base": api_base,
    }))
    .line(line))
}

/// `sessions`.
pub async fn sessions(ctx: &mut Ctx) -> Result<Output, CliError> {
    let client = ctx.session_client()?;
    let sessions = client.list_auth_sessions().send().await?.into_inner();
    let rows: Vec<Vec<String>> = sessions
        .iter()
        .map(|s| {
            let info = s.client_info.as_ref();
            let device = info
                .map(|i| {
                    [i.platform.as_deref(), i.os.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            vec![
                short_id_hash(&s.id_hash),
                s.approx_last_used_at.clone().unwrap_or_default(),
                if device.is_empty() {
                    "-".to_owned()
                } else {
                    device
                },
                s.masked_ip.clone().unwrap_or_else(|| "-".to_owned()),
            ]
        })
        .collect();
    let out = Output::from_serialize(&sessions)?;
    if rows.is_empty() {
        return Ok(out.line("No sessions."));
    }
    Ok(out.lines(columns(&["ID", "LAST USED", "DEVICE", "ADDRESS"], &rows)))
}

/// `whoami`.
pub async fn whoami(ctx: &mut Ctx, args: &WhoamiArgs) -> Result<Output, CliError> {
    let bearer = if args.token_stdin {
        Some(read_line("access token")?)
    } else if let Some(app) = &args.app {
        let tokens = ctx
            .store
            .app(&ctx.api_base, app)
            .and_then(|a| a.tokens.as_ref())
            .ok_or_else(|| {
                CliError::auth(format!(
                    "no tokens are kept for application {app}: run `fluxer-oauth2 browser-login --app {app} --port N` \
                     or `token exchange` first"
                ))
            })?;
        Some(tokens.access_token.clone())
    } else {
        None
    };
    match bearer {
        Some(token) => {
            let client = ctx.client.with_credential(Credential::bearer(token));
            let me = client.get_current_user_oauth2().send().await?.into_inner();
            let mut rows = vec![
                (
                    "application",
                    format!("{} ({})", me.application.name, me.application.id),
                ),
                ("scopes", me.scopes.join(" ")),
                ("expires", me.expires.to_rfc3339()),
            ];
            match &me.user {
                Some(user) => {
                    rows.insert(0, ("user", format!("{} ({})", user.username, user.id)));
                    if let Some(email) = &user.email {
                        rows.insert(1, ("email", email.clone()));
                    }
                }
                None => rows.insert(0, ("user", "unknown (no identify scope)".to_owned())),
            }
            Ok(Output::from_serialize(&me)?.lines(table(&rows)))
        }
        None => {
            let client = ctx.session_client()?;
            let me = client.get_current_user().send().await?.into_inner();
            let mut rows = vec![
                ("user", format!("{} ({})", me.username, me.id)),
                ("credential", "session".to_owned()),
                ("instance", ctx.api_base.clone()),
            ];
            if let Some(name) = &me.global_name {
                rows.insert(1, ("display name", name.clone()));
            }
            Ok(Output::from_serialize(&me)?.lines(table(&rows)))
        }
    }
}
