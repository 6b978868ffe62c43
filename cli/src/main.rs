//! `fluxer-oauth2`: a command line for the Fluxer OAuth2 API, built on the `fluxer-oauth2` crate's
//! public API. See `fluxer-oauth2 --help`.

mod apps;
mod args;
mod context;
mod exit;
mod oauth;
mod output;
mod prompt;
mod session;
mod store;

use std::process::ExitCode;

use clap::Parser as _;

use crate::{
    args::{Cli, Command},
    context::Ctx,
    exit::CliError,
    output::Output,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return report(&CliError::failure(format!("could not start: {e}")), json),
    };
    match runtime.block_on(run(&cli)) {
        Ok(output) => {
            output.print(json);
            ExitCode::SUCCESS
        }
        Err(e) => report(&e, json),
    }
}

/// Prints the error (as JSON on standard output with `--json`, as text on standard error otherwise)
/// and gives its exit code.
fn report(error: &CliError, json: bool) -> ExitCode {
    if json {
        output::print_stdout(
            &serde_json::json!({"error": {
                "kind": error.kind.name(),
                "exit_code": error.kind.code(),
                "message": error.message,
            }})
            .to_string(),
        );
    } else {
        eprintln!("error: {}", error.message);
    }
    ExitCode::from(error.kind.code())
}

async fn run(cli: &Cli) -> Result<Output, CliError> {
    let mut ctx = Ctx::new(cli).await?;
    match &cli.command {
        Command::Login(args) => session::login(&mut ctx, args).await,
        Command::Logout => session::logout(&mut ctx).await,
        Command::Sessions => session::sessions(&mut ctx).await,
        Command::Whoami(args) => session::whoami(&mut ctx, args).await,
        Command::Apps(command) => apps::run(&mut ctx, command).await,
        Command::InviteUrl(args) => oauth::invite_url(&ctx, args),
        Command::AuthorizeUrl(args) => oauth::authorize_url(&mut ctx, args),
        Command::Token(command) => oauth::token(&mut ctx, command).await,
        Command::BrowserLogin(args) => oauth::browser_login(&mut ctx, args).await,
        Command::Authorizations(command) => oauth::authorizations(&mut ctx, command).await,
    }
}
