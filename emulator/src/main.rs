//! `fluxer-oauth2-emulator`: runs the emulator until Ctrl-C and prints how to use it.

use fluxer_oauth2_emulator::{BUILTIN_APPLICATION_ID, Emulator, EmulatorConfig, SeededUser};

const USAGE: &str = "usage: fluxer-oauth2-emulator [--port N] [--host ADDR] [--web-app-base URL]";

fn parse_args() -> Result<EmulatorConfig, String> {
    let mut config = EmulatorConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--port" => config.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--host" => config.host = value()?.parse().map_err(|e| format!("--host: {e}"))?,
            "--web-app-base" => config.web_app_base = value()?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(config)
}

fn describe(label: &str, u: &SeededUser) {
    println!("{label}:");
    println!("  id:            {}", u.id);
    println!("  username:      {}", u.username);
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
    let config = match parse_args() {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(2);
        }
    };
    let emu = match Emulator::try_start_with(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot start the emulator: {e}");
            std::process::exit(1);
        }
    };
    println!("Fluxer OAuth2 emulator");
    println!("base_url: {}", emu.base_url());
    describe("alice (password)", &emu.alice());
    describe("bob (password + TOTP)", &emu.bob());
    println!("built-in application: {BUILTIN_APPLICATION_ID}");
    println!("Press Ctrl-C to stop.");
    let _ = tokio::signal::ctrl_c().await;
    emu.shutdown().await;
}
