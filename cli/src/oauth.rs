//! `invite-url`, `authorize-url`, `token …`, `browser-login` and `authorizations …`.

use std::time::{Duration, SystemTime};

use fluxer_oauth2::{
    Secret,
    oauth::{
        AuthorizeUrl, BotInvite, Callback, CsrfState, Permissions, PkceVerifier, Prompt, Scope,
        TokenKind, TokenSet,
        loopback::{LoopbackLogin, PrintUrl, SystemBrowser},
    },
};
use serde_json::json;

use crate::{
    args::{
        AuthorizationsCommand, AuthorizeUrlArgs, BrowserLoginArgs, ExchangeArgs, InviteUrlArgs,
        PromptArg, TokenArgs, TokenCommand, TokenSecret,
    },
    context::Ctx,
    exit::CliError,
    output::{Output, columns, table, unix_time},
    prompt::{env_secret, read_line},
    store::{PendingEntry, TokensEntry, unix_secs},
};

/// The environment variable that gives the PKCE verifier to `token exchange` with a bare code.
pub const PKCE_VERIFIER_ENV: &str = "FLUXER_PKCE_VERIFIER";

/// Reads `--permissions`: a decimal bitfield, or names separated by commas (any case, `-` or `_`).
pub fn parse_permissions(raw: &str) -> Result<Permissions, CliError> {
    let raw = raw.trim();
    if raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw
            .parse()
            .map_err(|e| CliError::usage(format!("--permissions: {e}")));
    }
    let mut permissions = Permissions::empty();
    for name in raw.split([',', ' ', '|']).filter(|n| !n.is_empty()) {
        let canonical = name.trim().to_ascii_uppercase().replace('-', "_");
        let one = Permissions::from_name(&canonical).ok_or_else(|| {
            CliError::usage(format!(
                "--permissions: `{name}` is not a permission name; known names: {}",
                Permissions::all().names().collect::<Vec<_>>().join(", ")
            ))
        })?;
        permissions |= one;
    }
    Ok(permissions)
}

/// Reads `--scope`: names separated by commas or spaces.
pub fn parse_scopes(raw: &str) -> Result<Vec<Scope>, CliError> {
    let scopes: Vec<Scope> = raw
        .split([',', ' ', '+'])
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Scope>()
                .map_err(|e| CliError::usage(format!("--scope: {e}")))
        })
        .collect::<Result<_, _>>()?;
    if scopes.is_empty() {
        return Err(CliError::usage("--scope: name at least one scope"));
    }
    Ok(scopes)
}

/// `invite-url`.
pub fn invite_url(ctx: &Ctx, args: &InviteUrlArgs) -> Result<Output, CliError> {
    let mut invite = match ctx.client.instance() {
        Some(_) => ctx.client.bot_invite(&args.app),
        None => BotInvite::new(&ctx.api_base, &args.app),
    };
    let permissions = match &args.permissions {
        Some(raw) => Some(parse_permissions(raw)?),
        None => None,
    };
    if let Some(p) = permissions {
        invite = invite.permissions(p);
    }
    if let Some(guild) = &args.guild {
        invite = invite.guild_id(guild.clone());
    }
    if args.disable_guild_select {
        invite = invite.disable_guild_select(true);
    }
    let invite = invite.build().map_err(|e| CliError::usage(e.to_string()))?;
    let names: Vec<&str> = invite.permissions.names().collect();
    Ok(Output::new(json!({
        "url": invite.url.as_str(),
        "permissions": invite.permissions.to_string(),
        "permission_names": names,
    }))
    .line(invite.url.to_string()))
}

/// `authorize-url`: prints the URL and keeps its state and PKCE verifier for `token exchange`.
pub fn authorize_url(ctx: &mut Ctx, args: &AuthorizeUrlArgs) -> Result<Output, CliError> {
    let scopes = parse_scopes(&args.scope)?;
    let mut builder = match ctx.client.instance() {
        Some(_) => ctx.client.authorize_url(&args.app, &args.redirect_uri),
        None => AuthorizeUrl::new(&ctx.api_base, &args.app, &args.redirect_uri),
    }
    .scopes(scopes);
    if let Some(prompt) = args.prompt {
        builder = builder.prompt(match prompt {
            PromptArg::Consent => Prompt::Consent,
            PromptArg::None => Prompt::None,
        });
    }
    let request = builder
        .build()
        .map_err(|e| CliError::usage(e.to_string()))?;
    let api_base = ctx.api_base.clone();
    ctx.store.app_mut(&api_base, &args.app).pending = Some(PendingEntry {
        state: Secret::new(request.state.expose_secret()),
        pkce_verifier: request
            .pkce_verifier
            .as_ref()
            .map(|v| Secret::new(v.expose_secret())),
        redirect_uri: request.redirect_uri.as_registered().to_owned(),
    });
    ctx.store.save()?;
    Ok(Output::new(json!({
        "url": request.url.as_str(),
        "redirect_uri": request.redirect_uri.as_registered(),
    }))
    .line(request.url.to_string())
    .line(format!(
        "Once the browser lands on {}?code=…, pipe that address into `fluxer-oauth2 token exchange --app {}`.",
        request.redirect_uri.as_registered(),
        args.app
    )))
}

/// Keeps a token set and describes it, revealing the one token asked for.
fn keep_tokens(
    ctx: &mut Ctx,
    app: &str,
    tokens: &TokenSet,
    show: Option<TokenSecret>,
    headline: String,
) -> Result<Output, CliError> {
    let api_base = ctx.api_base.clone();
    ctx.store.app_mut(&api_base, app).tokens = Some(TokensEntry::from_set(tokens));
    ctx.store.save()?;
    let expires_at = unix_secs(tokens.expires_at);
    let mut out = Output::new(json!({
        "application_id": app,
        "scope": tokens.scope,
        "token_type": tokens.token_type,
        "expires_in": tokens.expires_in.as_secs(),
        "expires_at": expires_at,
    }))
    .line(headline)
    .lines(table(&[
        ("scopes", tokens.scope.to_string()),
        ("expires", unix_time(expires_at)),
    ]))
    .line(format!(
        "The tokens are kept in {}; `--show-secret [access-token|refresh-token]` prints one.",
        ctx.store.path().display()
    ));
    if let Some(which) = show {
        let (field, label, secret) = match which {
            TokenSecret::AccessToken => ("access_token", "access token", &tokens.access_token),
            TokenSecret::RefreshToken => ("refresh_token", "refresh token", &tokens.refresh_token),
        };
        out = out
            .line(format!("{label}: {}", secret.expose_secret()))
            .reveal(field, secret.expose_secret());
    }
    Ok(out)
}

/// Runs a `token` command.
pub async fn token(ctx: &mut Ctx, command: &TokenCommand) -> Result<Output, CliError> {
    match command {
        TokenCommand::Exchange(args) => exchange(ctx, args).await,
        TokenCommand::Refresh(args) => refresh(ctx, args).await,
        TokenCommand::Introspect(args) => introspect(ctx, args).await,
        TokenCommand::Revoke(args) => revoke(ctx, args).await,
    }
}

async fn exchange(ctx: &mut Ctx, args: &ExchangeArgs) -> Result<Output, CliError> {
    let input = read_line("redirect URL (or code)")?;
    let input = Secret::new(input.expose_secret().trim());
    let looks_like_callback =
        input.expose_secret().contains("code=") || input.expose_secret().contains("error=");
    let api_base = ctx.api_base.clone();
    let pending = ctx.store.app_mut(&api_base, &args.app).pending.take();
    let (code, redirect_uri, verifier) = if looks_like_callback {
        let pending = pending.ok_or_else(|| {
            CliError::usage(format!(
                "no authorization was started here for application {}: run `fluxer-oauth2 authorize-url` \
                 first, or pipe the bare code with --redirect-uri",
                args.app
            ))
        })?;
        let code = Callback::finish(
            input.expose_secret(),
            &CsrfState::new(pending.state.expose_secret()),
        )
        .map_err(|e| CliError::auth(e.to_string()))?;
        let verifier = pending
            .pkce_verifier
            .map(|v| PkceVerifier::new(v.expose_secret()))
            .transpose()
            .map_err(|e| CliError::failure(format!("the kept PKCE verifier is invalid: {e}")))?;
        let redirect = args.redirect_uri.clone().unwrap_or(pending.redirect_uri);
        (code, redirect, verifier)
    } else {
        let redirect = match (&args.redirect_uri, &pending) {
            (Some(uri), _) => uri.clone(),
            (None, Some(p)) => p.redirect_uri.clone(),
            (None, None) => {
                return Err(CliError::usage(
                    "with a bare code, give the authorization's --redirect-uri",
                ));
            }
        };
        let verifier = match env_secret(PKCE_VERIFIER_ENV) {
            Some(v) => Some(v),
            None => pending.and_then(|p| p.pkce_verifier),
        }
        .map(|v| PkceVerifier::new(v.expose_secret()))
        .transpose()
        .map_err(|e| CliError::usage(format!("{PKCE_VERIFIER_ENV}: {e}")))?;
        (input, redirect, verifier)
    };
    // The pending authorization is spent whatever happens next.
    ctx.store.save()?;
    let credentials = ctx.client_credentials(&args.app)?;
    let tokens = ctx
        .client
        .exchange_code_with(&credentials, &code, &redirect_uri, verifier.as_ref())
        .await?;
    keep_tokens(
        ctx,
        &args.app,
        &tokens,
        args.show_secret,
        format!("Exchanged the code for tokens of application {}.", args.app),
    )
}

/// The token a `token` command acts on: standard input, or the kept access (or refresh) token.
fn chosen_token(ctx: &Ctx, args: &TokenArgs, refresh: bool) -> Result<Secret, CliError> {
    if args.token_stdin {
        return read_line("token").map(|t| Secret::new(t.expose_secret().trim()));
    }
    let tokens = ctx
        .store
        .app(&ctx.api_base, &args.app)
        .and_then(|a| a.tokens.as_ref())
        .ok_or_else(|| {
            CliError::usage(format!(
                "no tokens are kept for application {}: pass one with --token-stdin, or run \
                 `browser-login` or `token exchange` first",
                args.app
            ))
        })?;
    Ok(if refresh {
        tokens.refresh_token.clone()
    } else {
        tokens.access_token.clone()
    })
}

async fn refresh(ctx: &mut Ctx, args: &TokenArgs) -> Result<Output, CliError> {
    let token = chosen_token(ctx, args, true)?;
    let credentials = ctx.client_credentials(&args.app)?;
    let tokens = ctx.client.refresh_token(&credentials, &token).await?;
    keep_tokens(
        ctx,
        &args.app,
        &tokens,
        args.show_secret,
        format!(
            "Refreshed the tokens of application {}; the old refresh token no longer works.",
            args.app
        ),
    )
}

async fn introspect(ctx: &mut Ctx, args: &TokenArgs) -> Result<Output, CliError> {
    refuse_show(args)?;
    let token = chosen_token(ctx, args, args.refresh)?;
    let credentials = ctx.client_credentials(&args.app)?;
    let info = ctx.client.introspect(&credentials, &token).await?;
    let mut rows = vec![("active", info.active.to_string())];
    if let Some(user) = &info.sub {
        let name = info.username.clone().unwrap_or_default();
        rows.push(("user", format!("{name} ({user})").trim().to_owned()));
    }
    if let Some(scope) = &info.scope {
        rows.push(("scopes", scope.clone()));
    }
    if let Some(kind) = &info.token_type {
        rows.push(("type", kind.clone()));
    }
    if let Some(exp) = info.exp {
        rows.push(("expires", unix_time(u64::try_from(exp).unwrap_or(0))));
    }
    Ok(Output::from_serialize(&info)?.lines(table(&rows)))
}

async fn revoke(ctx: &mut Ctx, args: &TokenArgs) -> Result<Output, CliError> {
    refuse_show(args)?;
    let token = chosen_token(ctx, args, args.refresh)?;
    let credentials = ctx.client_credentials(&args.app)?;
    let kind = if args.refresh {
        TokenKind::RefreshToken
    } else {
        TokenKind::AccessToken
    };
    ctx.client.revoke(&credentials, &token, kind).await?;
    let api_base = ctx.api_base.clone();
    let forgot = ctx
        .store
        .app_mut(&api_base, &args.app)
        .tokens
        .take()
        .is_some();
    ctx.store.save()?;
    Ok(
        Output::new(json!({"revoked": true, "application_id": args.app})).line(format!(
            "Revoked; every token of this user for application {} stops working{}.",
            args.app,
            if forgot {
                " (the kept ones are forgotten)"
            } else {
                ""
            }
        )),
    )
}

fn refuse_show(args: &TokenArgs) -> Result<(), CliError> {
    if args.show_secret.is_some() {
        return Err(CliError::usage(
            "--show-secret goes with commands that issue tokens (refresh, exchange, browser-login)",
        ));
    }
    Ok(())
}

/// `browser-login`.
pub async fn browser_login(ctx: &mut Ctx, args: &BrowserLoginArgs) -> Result<Output, CliError> {
    let scopes = parse_scopes(&args.scope)?;
    let credentials = ctx.client_credentials(&args.app)?;
    let mut login = LoopbackLogin::new(&ctx.api_base, credentials, args.port)
        .scopes(scopes)
        .timeout(Duration::from_secs(args.timeout));
    if let Some(instance) = ctx.client.instance() {
        login = login.web_page(instance.authorize_endpoint().as_str());
    }
    let pending = login.bind().await?;
    eprintln!(
        "Listening on {} for the browser to come back.",
        pending.redirect_uri()
    );
    if args.no_browser {
        pending.open_browser(&PrintUrl);
    } else if pending.open_browser(&SystemBrowser) {
        eprintln!(
            "Opened the browser; finish the login there. If nothing opened, visit:\n\n  {}\n",
            pending.authorize_url()
        );
    }
    let started = SystemTime::now();
    let tokens = pending.finish(&ctx.client).await?;
    let took = started.elapsed().unwrap_or_default().as_secs();
    keep_tokens(
        ctx,
        &args.app,
        &tokens,
        args.show_secret,
        format!(
            "Logged in through the browser to application {} ({took}s).",
            args.app
        ),
    )
}

/// Runs an `authorizations` command.
pub async fn authorizations(
    ctx: &mut Ctx,
    command: &AuthorizationsCommand,
) -> Result<Output, CliError> {
    let client = ctx.session_client()?;
    match command {
        AuthorizationsCommand::List => {
            let list = client
                .list_user_oauth2_authorizations()
                .send()
                .await?
                .into_inner();
            let rows: Vec<Vec<String>> = list
                .iter()
                .map(|a| {
                    vec![
                        a.application.id.to_string(),
                        a.application.name.clone(),
                        a.scopes.join(" "),
                        a.authorized_at.to_rfc3339(),
                    ]
                })
                .collect();
            let out = Output::from_serialize(&list)?;
            if rows.is_empty() {
                return Ok(out.line("No authorized applications."));
            }
            Ok(out.lines(columns(&["ID", "NAME", "SCOPES", "AUTHORIZED"], &rows)))
        }
        AuthorizationsCommand::Revoke { app } => {
            client
                .delete_user_oauth2_authorization()
                .application_id(app.as_str())
                .send()
                .await?;
            Ok(Output::new(json!({"revoked": true, "application_id": app}))
                .line(format!("Revoked your authorization of application {app}.")))
        }
    }
}
