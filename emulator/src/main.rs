//! `fluxer-oauth2-emulator`: runs the emulator until Ctrl-C and prints how to use it at once.

use std::net::IpAddr;

use clap::Parser;
use fluxer_oauth2_emulator::{BUILTIN_APPLICATION_ID, Emulator, EmulatorConfig, SeededUser};

/// An in-memory emulator of the Fluxer OAuth2 API, for offline tests.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Base URL of the web app that `GET /oauth2/authorize` redirects to.
    #[arg(long, default_value = "https://web.fluxer.app")]
    web_app_base: String,
    /// Do not seed the users alice (password) and bob (password and TOTP).
    #[arg(long)]
    no_seed_users: bool,
    /// Start the clock at this Unix time (seconds) instead of now.
    #[arg(long)]
    start_time: Option<u64>,
    /// Keep the clock frozen (it then moves only through the Rust API).
    #[arg(long)]
    frozen_clock: bool,
}

fn describe(label: &str, u: &SeededUser, emu: &Emulator) {
    println!("{label}:");
    println!("  id:            {}", u.id);
    println!("  username:      {}", u.username);
    println!("  email:         {}", emu.email_of(u));
    println!("  session_token: {}", u.session_token);
    if let Some(p) = &u.password {
        println!("  password:      {p}");
    }
    if let Some(s) = &u.totp_secret {
        println!("  totp_secret:   {s}");
    }
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let config = EmulatorConfig {
        host: args.host,
        port: args.port,
        web_app_base: args.web_app_base,
        seed_users: !args.no_seed_users,
        start_time_unix: args.start_time,
        follow_real_time: !args.frozen_clock,
        ..EmulatorConfig::default()
    };
    let seeded = config.seed_users;
    let emu = match Emulator::try_start_with(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot start the emulator: {e}");
            std::process::exit(1);
        }
    };
    println!("Fluxer OAuth2 emulator");
    println!("base_url: {}", emu.base_url());
    if seeded {
        describe("alice (password)", &emu.alice(), &emu);
        describe("bob (password + TOTP)", &emu.bob(), &emu);
        let alice = emu.alice();
        println!(
            "try: curl -H 'Authorization: {}' {}/users/@me",
            alice.session_token,
            emu.base_url()
        );
    }
    println!("built-in application: {BUILTIN_APPLICATION_ID}");
    println!("Press Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    emu.shutdown().await;
}
