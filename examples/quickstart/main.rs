//! The main job: the whole Fluxer OAuth2 life cycle through this crate, one line per step.
//!
//! With no environment set it starts the built-in emulator in-process: it logs in a password user
//! and a TOTP user (email and password, then the MFA challenge), covers all 20 OAuth2 operations
//! with those sessions, then lists the sessions, reads the user's resources with an access token,
//! adds the bot to a guild, discovers the instance, and logs out.
//!
//! Against a server, set `FLUXER_API_BASE` and one of:
//!
//! - `FLUXER_EMAIL` + `FLUXER_PASSWORD` (and `FLUXER_TOTP_SECRET` for an account with TOTP MFA): the
//!   tour logs in, and proves sudo mode with the password or with TOTP codes from the secret;
//! - `FLUXER_SESSION_TOKEN` (and optionally `FLUXER_SUDO_PASSWORD` or `FLUXER_TOTP_SECRET`): the tour
//!   uses that session, and neither logs in nor logs it out.
//!
//! `FLUXER_GUILD_ID` names a guild where the user may add bots; without it the bot goes to the first
//! guild the user owns, or that step is skipped. Secrets are read from the environment only and
//! never printed (only their lengths). Steps a server's credentials do not allow are skipped with
//! the reason. It exits non-zero when a step fails (or, against the emulator, when an operation or
//! step was not exercised).

mod codes;
mod report;
mod steps;
mod tour;

use std::{process::ExitCode, sync::Arc};

use codes::{TotpClock, TotpCodes};
use fluxer_oauth2::{Credential, FluxerClient, Secret, login::TotpSecret};
use fluxer_oauth2_emulator::{Connection, Emulator};
use report::Report;
use tour::{SudoSource, Tour};

#[tokio::main]
async fn main() -> ExitCode {
    let mut report = Report::default();
    let outcome = match std::env::var("FLUXER_API_BASE") {
        Ok(base) => run_remote(&base, &mut report).await,
        Err(_) => run_emulator(&mut report).await,
    };
    println!("\n{}", report.summary());
    println!("{}", report.steps_summary());
    let outcome = outcome.and_then(|()| match report.failed_steps() {
        [] => Ok(()),
        failed => Err(format!(
            "steps failed: {}",
            failed
                .iter()
                .map(|(step, e)| format!("{step} ({e})"))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nFAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

async fn run_emulator(r: &mut Report) -> Result<(), String> {
    let emu = Emulator::start().await;
    let base = emu.base_url();
    println!("Fluxer OAuth2 tour against the built-in emulator at {base}\n");
    let alice = emu.alice();
    let bob = emu.bob();
    // What the user-resource and bot steps find: a guild alice owns, an account she linked.
    let guild = emu.create_guild(&alice, "Quickstart guild");
    emu.add_connection(
        &alice,
        Connection {
            kind: "github".to_owned(),
            name: "alice".to_owned(),
            verified: true,
        },
    );

    println!("Logging in (email and password, then the second factor):");
    let client = FluxerClient::builder()
        .base_url(&base)
        .build()
        .map_err(text)?;
    let alice_password = Secret::new(alice.password.clone().ok_or("alice has no password")?);
    let bob_password = Secret::new(bob.password.clone().ok_or("bob has no password")?);
    let bob_secret =
        TotpSecret::new(bob.totp_secret.clone().ok_or("bob has no TOTP secret")?).map_err(text)?;
    let bob_codes = Arc::new(TotpCodes::new(
        bob_secret,
        TotpClock::Emulator(emu.clock().clone()),
    ));
    let logins = async {
        let a = steps::log_in(
            &client,
            r,
            "alice",
            &emu.email_of(&alice),
            &alice_password,
            None,
        )
        .await?
        .0;
        let b = steps::log_in(
            &client,
            r,
            "bob",
            &emu.email_of(&bob),
            &bob_password,
            Some(&bob_codes),
        )
        .await?
        .0;
        Ok::<_, Box<dyn std::error::Error>>((a, b))
    }
    .await;
    let (alice_session, bob_session) = match logins {
        Ok(sessions) => sessions,
        Err(e) => {
            let message = e.to_string();
            r.step_outcome("login", Err(e));
            return Err(message);
        }
    };

    println!("\nThe OAuth2 operations, as alice (logged in above):");
    let tour = Tour::new(&base, alice_session.credential()).map_err(text)?;
    let app = tour.operations(r).await.map_err(text)?;

    println!("\nWhat the scopes unlock (an access token from the code flow):");
    let outcome = steps::user_resources(&tour, r, &app).await;
    r.step_outcome("user resources", outcome);

    println!("\nAdding the bot to alice's guild:");
    let outcome = steps::bot(&tour, r, &app, Ok(guild.clone())).await;
    r.step_outcome("bot", outcome);
    if emu.guild_has_member(&guild, &app.id) {
        r.step(
            "bot",
            "emulator check",
            "the emulator has the bot among the guild's members",
        );
    } else {
        r.step_outcome(
            "bot",
            Err("the emulator does not list the bot in the guild"),
        );
    }

    println!("\nRotating and deleting the application under sudo mode:");
    tour.finish(r, &app, &SudoSource::Password(alice_password))
        .await
        .map_err(text)?;

    println!("\nSudo mode for a user with TOTP MFA, as bob (logged in above):");
    let mfa_tour = Tour::new(&base, bob_session.credential()).map_err(text)?;
    mfa_tour
        .sudo_with_mfa(r, &SudoSource::Totp(bob_codes.clone()))
        .await
        .map_err(text)?;

    println!("\nSessions, discovery, logout:");
    let outcome = steps::sessions(&tour.session, r, "alice").await;
    r.step_outcome("sessions", outcome);
    let outcome = steps::discovery(r, &base, &tour.session).await;
    r.step_outcome("discovery", outcome);
    let outcome = steps::logout(r, "alice", &tour.session, &alice_session).await;
    r.step_outcome("logout", outcome);
    let outcome = mfa_tour.session.logout().send().await.map(|_| {
        r.step("logout", "logout", "bob: the session is logged out");
    });
    r.step_outcome("logout", outcome);

    emu.shutdown().await;
    let missing = r.missing_oauth2_operations();
    if !missing.is_empty() {
        return Err(format!("operations not exercised: {missing:?}"));
    }
    let incomplete = r.incomplete_steps();
    if !incomplete.is_empty() {
        return Err(format!("steps not completed: {incomplete:?}"));
    }
    Ok(())
}

/// A variable that is set and not empty.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

async fn run_remote(base: &str, r: &mut Report) -> Result<(), String> {
    println!("Fluxer OAuth2 tour against {base}\n");
    let totp = match env("FLUXER_TOTP_SECRET") {
        Some(secret) => Some(Arc::new(TotpCodes::new(
            TotpSecret::new(secret).map_err(text)?,
            TotpClock::System,
        ))),
        None => None,
    };
    let client = FluxerClient::builder()
        .base_url(base)
        .build()
        .map_err(text)?;

    println!("Logging in:");
    let (credential, session, sudo) = match (env("FLUXER_EMAIL"), env("FLUXER_PASSWORD")) {
        (Some(email), Some(password)) => {
            let password = Secret::new(password);
            let who = "the account of FLUXER_EMAIL";
            let (session, has_mfa) =
                match steps::log_in(&client, r, who, &email, &password, totp.as_deref()).await {
                    Ok(logged_in) => logged_in,
                    Err(e) => {
                        let message = e.to_string();
                        r.step_outcome("login", Err(e));
                        return Err(message);
                    }
                };
            // An account with a second factor proves sudo mode with it; the password no longer does.
            let sudo = match (&totp, has_mfa) {
                (Some(codes), true) => SudoSource::Totp(codes.clone()),
                _ => SudoSource::Password(password),
            };
            (session.credential(), Some(session), sudo)
        }
        _ => {
            let Some(token) = env("FLUXER_SESSION_TOKEN") else {
                return Err("FLUXER_API_BASE is set: also set FLUXER_EMAIL and FLUXER_PASSWORD (and FLUXER_TOTP_SECRET for an account with TOTP), or FLUXER_SESSION_TOKEN".to_owned());
            };
            r.step_skip(
                "login",
                "login_password",
                "FLUXER_SESSION_TOKEN is set and FLUXER_EMAIL/FLUXER_PASSWORD are not: the tour uses that session",
            );
            let sudo = match (&totp, env("FLUXER_SUDO_PASSWORD")) {
                (Some(codes), _) => SudoSource::Totp(codes.clone()),
                (None, Some(password)) => SudoSource::Password(Secret::new(password)),
                (None, None) => SudoSource::None,
            };
            (Credential::session(token), None, sudo)
        }
    };

    println!("\nThe OAuth2 operations:");
    let tour = Tour::new(base, credential).map_err(text)?;
    let app = tour.operations(r).await.map_err(text)?;

    println!("\nWhat the scopes unlock (an access token from the code flow):");
    let outcome = steps::user_resources(&tour, r, &app).await;
    r.step_outcome("user resources", outcome);

    println!("\nAdding the bot to a guild:");
    let outcome = async {
        let guild = steps::pick_guild(&tour.session, env("FLUXER_GUILD_ID")).await?;
        steps::bot(&tour, r, &app, guild).await
    }
    .await;
    r.step_outcome("bot", outcome);

    println!("\nRotating and deleting the application under sudo mode:");
    tour.finish(r, &app, &sudo).await.map_err(text)?;

    println!("\nSessions, discovery, logout:");
    let outcome = steps::sessions(&tour.session, r, "the user").await;
    r.step_outcome("sessions", outcome);
    let outcome = steps::discovery(r, base, &tour.session).await;
    r.step_outcome("discovery", outcome);
    match &session {
        Some(session) => {
            let outcome = steps::logout(r, "the user", &tour.session, session).await;
            r.step_outcome("logout", outcome);
        }
        None => r.step_skip(
            "logout",
            "logout",
            "the session came from FLUXER_SESSION_TOKEN: logging it out would sign out wherever it was copied from",
        ),
    }
    Ok(())
}
