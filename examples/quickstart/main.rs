//! The main job: the whole Fluxer OAuth2 life cycle through this crate, one line per step.
//!
//! With no environment set it starts the built-in emulator in-process and covers all 20 OAuth2
//! operations. With `FLUXER_API_BASE` and `FLUXER_SESSION_TOKEN` (and optionally
//! `FLUXER_SUDO_PASSWORD` or `FLUXER_TOTP_SECRET`) it runs the same tour against that server, doing
//! the steps those credentials allow and saying which it skipped and why. It exits non-zero when a
//! step fails (or, against the emulator, when an operation was not exercised).

mod report;
mod tour;

use std::process::ExitCode;

use fluxer_oauth2_emulator::Emulator;
use report::Report;
use tour::{SudoSource, Tour};

#[tokio::main]
async fn main() -> ExitCode {
    let mut report = Report::default();
    let remote = std::env::var("FLUXER_API_BASE")
        .ok()
        .zip(std::env::var("FLUXER_SESSION_TOKEN").ok());
    let outcome = match remote {
        Some((base, session)) => run_remote(&base, &session, &mut report).await,
        None => run_emulator(&mut report).await,
    };
    println!("\n{}", report.summary());
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nFAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_emulator(report: &mut Report) -> Result<(), String> {
    let emu = Emulator::start().await;
    println!(
        "Fluxer OAuth2 tour against the built-in emulator at {}\n",
        emu.base_url()
    );
    let alice = emu.alice();
    let bob = emu.bob();
    let password = alice
        .password
        .clone()
        .ok_or("the seeded user has no password")?;
    let tour = Tour::new(&emu.base_url(), &alice.session_token).map_err(|e| e.to_string())?;
    tour.full(report, &SudoSource::Password(password))
        .await
        .map_err(|e| e.to_string())?;

    println!("\nSudo mode for a user with TOTP MFA:");
    let mfa_tour = Tour::new(&emu.base_url(), &bob.session_token).map_err(|e| e.to_string())?;
    let secret = bob
        .totp_secret
        .clone()
        .ok_or("the seeded MFA user has no TOTP secret")?;
    let emu_clock = emu.clock().clone();
    let code = move || fluxer_oauth2_emulator::totp_code(&secret, emu_clock.now_unix());
    mfa_tour
        .sudo_with_mfa(report, &SudoSource::Totp(Box::new(code)))
        .await
        .map_err(|e| e.to_string())?;

    emu.shutdown().await;
    let missing = report.missing_oauth2_operations();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("operations not exercised: {missing:?}"))
    }
}

async fn run_remote(base: &str, session: &str, report: &mut Report) -> Result<(), String> {
    println!("Fluxer OAuth2 tour against {base}\n");
    let sudo = match (
        std::env::var("FLUXER_SUDO_PASSWORD"),
        std::env::var("FLUXER_TOTP_SECRET"),
    ) {
        (_, Ok(secret)) => SudoSource::Totp(Box::new(move || {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            fluxer_oauth2_emulator::totp_code(&secret, now.as_secs())
        })),
        (Ok(password), _) => SudoSource::Password(password),
        _ => SudoSource::None,
    };
    let tour = Tour::new(base, session).map_err(|e| e.to_string())?;
    tour.full(report, &sudo).await.map_err(|e| e.to_string())
}
