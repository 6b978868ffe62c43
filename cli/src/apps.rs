//! `apps list|show|create|update|delete|rotate-secret|reset-bot-token`.

use fluxer_oauth2::{Clearable, Secret, types};
use serde_json::json;

use crate::{
    args::{AppSecret, AppsCommand, CreateArgs, UpdateArgs},
    context::Ctx,
    exit::CliError,
    output::{Output, columns, table},
};

/// Runs an `apps` command.
pub async fn run(ctx: &mut Ctx, command: &AppsCommand) -> Result<Output, CliError> {
    match command {
        AppsCommand::List => list(ctx).await,
        AppsCommand::Show { id } => show(ctx, id).await,
        AppsCommand::Create(args) => create(ctx, args).await,
        AppsCommand::Update(args) => update(ctx, args).await,
        AppsCommand::Delete { id, yes } => delete(ctx, id, *yes).await,
        AppsCommand::RotateSecret { id, show_secret } => rotate_secret(ctx, id, *show_secret).await,
        AppsCommand::ResetBotToken { id, show_secret } => {
            reset_bot_token(ctx, id, *show_secret).await
        }
    }
}

async fn list(ctx: &mut Ctx) -> Result<Output, CliError> {
    let client = ctx.session_client()?;
    let apps = client.list_user_applications().send().await?.into_inner();
    let rows: Vec<Vec<String>> = apps
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                a.name.clone(),
                if a.bot_public { "public" } else { "private" }.to_owned(),
                a.redirect_uris.join(" "),
            ]
        })
        .collect();
    let out = Output::from_serialize(&apps)?;
    if rows.is_empty() {
        return Ok(out.line("No applications."));
    }
    Ok(out.lines(columns(&["ID", "NAME", "BOT", "REDIRECT URIS"], &rows)))
}

fn describe(app: &types::ApplicationResponse) -> Vec<String> {
    let redirects = if app.redirect_uris.is_empty() {
        "(none)".to_owned()
    } else {
        app.redirect_uris.join(" ")
    };
    table(&[
        ("id", app.id.to_string()),
        ("name", app.name.clone()),
        ("redirect URIs", redirects),
        ("bot public", app.bot_public.to_string()),
        (
            "bot requires code grant",
            app.bot_require_code_grant.to_string(),
        ),
    ])
}

async fn show(ctx: &mut Ctx, id: &str) -> Result<Output, CliError> {
    let client = ctx.session_client()?;
    let app = client
        .get_oauth_application()
        .id(id)
        .send()
        .await?
        .into_inner();
    Ok(Output::from_serialize(&app)?.lines(describe(&app)))
}

async fn create(ctx: &mut Ctx, args: &CreateArgs) -> Result<Output, CliError> {
    let client = ctx.session_client()?;
    let mut body = types::ApplicationCreateRequest::builder()
        .name(args.name.as_str())
        .redirect_uris(
            args.redirect_uris
                .iter()
                .map(|u| {
                    u.parse()
                        .map_err(|e| CliError::usage(format!("--redirect-uri {u}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?,
        );
    if let Some(public) = args.bot_public {
        body = body.bot_public(public);
    }
    if let Some(grant) = args.bot_require_code_grant {
        body = body.bot_require_code_grant(grant);
    }
    let app = client
        .create_oauth_application()
        .body(body)
        .send()
        .await?
        .into_inner();
    let client_secret = app.client_secret.clone();
    let bot_token = app.bot.as_ref().and_then(|b| b.token.clone());
    let api_base = ctx.api_base.clone();
    let entry = ctx.store.app_mut(&api_base, &app.id);
    entry.client_secret = client_secret.clone();
    entry.bot_token = bot_token.clone();
    ctx.store.save()?;
    let store = ctx.store.path().display().to_string();
    let mut out = Output::from_serialize(&app)?
        .line(format!("Created application {} ({}).", app.name, app.id))
        .lines(describe(&app))
        .line(format!(
            "Its client secret and bot token are kept in {store}; `--show-secret [client-secret|bot-token]` prints one."
        ));
    match args.show_secret {
        Some(AppSecret::ClientSecret) => {
            out = reveal(
                out,
                "client_secret",
                "client secret",
                client_secret.as_ref(),
            )?;
        }
        Some(AppSecret::BotToken) => {
            out = reveal(out, "bot_token", "bot token", bot_token.as_ref())?;
        }
        None => {}
    }
    Ok(out)
}

/// Adds the one secret asked for to both outputs.
fn reveal(out: Output, key: &str, what: &str, secret: Option<&Secret>) -> Result<Output, CliError> {
    let secret = secret.ok_or_else(|| {
        CliError::failure(format!("the server's answer carried no {what} to show"))
    })?;
    Ok(out
        .line(format!("{what}: {}", secret.expose_secret()))
        .reveal(key, secret.expose_secret()))
}

async fn update(ctx: &mut Ctx, args: &UpdateArgs) -> Result<Output, CliError> {
    let client = ctx.session_client()?;
    let mut body = types::ApplicationUpdateRequest::builder();
    let mut changed = false;
    if let Some(name) = &args.name {
        body = body.name(Some(
            name.parse::<types::ApplicationName>()
                .map_err(|e| CliError::usage(format!("--name: {e}")))?,
        ));
        changed = true;
    }
    if args.clear_redirect_uris {
        body = body.redirect_uris(Some(Clearable::Clear));
        changed = true;
    } else if !args.redirect_uris.is_empty() {
        let uris = args
            .redirect_uris
            .iter()
            .map(|u| {
                u.parse()
                    .map_err(|e| CliError::usage(format!("--redirect-uri {u}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        body = body.redirect_uris(Some(Clearable::Set(uris)));
        changed = true;
    }
    if let Some(public) = args.bot_public {
        body = body.bot_public(Some(public));
        changed = true;
    }
    if let Some(grant) = args.bot_require_code_grant {
        body = body.bot_require_code_grant(Some(grant));
        changed = true;
    }
    if args.clear_description {
        body = body.description(Some(Clearable::Clear));
        changed = true;
    } else if let Some(description) = &args.description {
        body = body.description(Some(Clearable::Set(description.clone())));
        changed = true;
    }
    if !changed {
        return Err(CliError::usage(
            "nothing to change: give --name, --redirect-uri, --clear-redirect-uris, --bot-public, \
             --bot-require-code-grant, --description or --clear-description",
        ));
    }
    let app = client
        .update_oauth_application()
        .id(args.id.as_str())
        .body(body)
        .send()
        .await?
        .into_inner();
    Ok(Output::from_serialize(&app)?
        .line(format!("Updated application {} ({}).", app.name, app.id))
        .lines(describe(&app)))
}

async fn delete(ctx: &mut Ctx, id: &str, yes: bool) -> Result<Output, CliError> {
    if !yes {
        if !ctx.prompter.is_terminal() {
            return Err(CliError::usage(
                "deleting an application cannot be undone: pass --yes to confirm",
            ));
        }
        if !ctx
            .prompter
            .confirm(&format!("Delete application {id} and its bot for good?"))?
        {
            return Err(CliError::failure("not deleted"));
        }
    }
    let client = ctx.session_client()?;
    let (c, id_owned) = (&client, id.to_owned());
    ctx.with_sudo(c, move |proof| {
        let id = id_owned.clone();
        Box::pin(async move {
            c.delete_oauth_application()
                .id(id.as_str())
                .sudo(proof.as_ref())
                .send()
                .await
        })
    })
    .await?;
    let api_base = ctx.api_base.clone();
    ctx.store.instance_mut(&api_base).apps.remove(id);
    ctx.store.save()?;
    Ok(Output::new(json!({"deleted": true, "id": id})).line(format!("Deleted application {id}.")))
}

async fn rotate_secret(ctx: &mut Ctx, id: &str, show: bool) -> Result<Output, CliError> {
    let client = ctx.session_client()?;
    let (c, id_owned) = (&client, id.to_owned());
    let app = ctx
        .with_sudo(c, move |proof| {
            let id = id_owned.clone();
            Box::pin(async move {
                c.reset_client_secret()
                    .id(id.as_str())
                    .sudo(proof.as_ref())
                    .send()
                    .await
            })
        })
        .await?
        .into_inner();
    let secret = app.client_secret.clone();
    let api_base = ctx.api_base.clone();
    ctx.store.app_mut(&api_base, id).client_secret = secret.clone();
    ctx.store.save()?;
    let mut out = Output::from_serialize(&app)?
        .line(format!(
            "Rotated the client secret of {} ({}); the old one no longer works.",
            app.name, app.id
        ))
        .line(format!(
            "The new one is kept in {}; `--show-secret` prints it.",
            ctx.store.path().display()
        ));
    if show {
        out = reveal(out, "client_secret", "client secret", secret.as_ref())?;
    }
    Ok(out)
}

async fn reset_bot_token(ctx: &mut Ctx, id: &str, show: bool) -> Result<Output, CliError> {
    let client = ctx.session_client()?;
    let (c, id_owned) = (&client, id.to_owned());
    let reset = ctx
        .with_sudo(c, move |proof| {
            let id = id_owned.clone();
            Box::pin(async move {
                c.reset_bot_token()
                    .id(id.as_str())
                    .sudo(proof.as_ref())
                    .send()
                    .await
            })
        })
        .await?
        .into_inner();
    let api_base = ctx.api_base.clone();
    ctx.store.app_mut(&api_base, id).bot_token = Some(reset.token.clone());
    ctx.store.save()?;
    let mut out = Output::from_serialize(&reset)?
        .line(format!(
            "Reset the bot token of {} ({}); the old one no longer works.",
            reset.bot.username, id
        ))
        .line(format!(
            "The new one is kept in {}; `--show-secret` prints it.",
            ctx.store.path().display()
        ));
    if show {
        out = reveal(out, "bot_token", "bot token", Some(&reset.token))?;
    }
    Ok(out)
}
