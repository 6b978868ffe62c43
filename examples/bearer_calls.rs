//! Calls on a user's behalf with a `TokenManager`: typed calls (`/users/@me` with the `identify`
//! scope, `/users/@me/guilds` with `guilds`; the manager's client knows the granted scopes, so a call
//! the pair was not granted is refused before sending), and the untyped escape hatch for paths the
//! crate has no operation for, with the pair kept in a `FileStore` and refreshed when needed.
//!
//! With no environment set, it runs end to end against the built-in emulator: the seeded user
//! creates an application, authorizes it (consent), the code is exchanged, and the manager takes
//! over; then the emulator's clock jumps past the access token's expiry, and the next call is
//! refused, refreshed and retried by the manager.
//!
//! Against a real instance, set `FLUXER_API_BASE`, `FLUXER_CLIENT_ID`, `FLUXER_CLIENT_SECRET` and
//! `FLUXER_TOKEN_FILE`, the path of a token file in `FileStore`'s format that holds the user's pair
//! (a refreshed pair is written back to it, so the spent refresh token is never needed again):
//!
//! ```text
//! cargo run --example bearer_calls
//! FLUXER_API_BASE=https://api.fluxer.app/v1 FLUXER_CLIENT_ID=… FLUXER_CLIENT_SECRET=… \
//!     FLUXER_TOKEN_FILE=./tokens.json cargo run --example bearer_calls
//! ```

use std::{path::PathBuf, sync::Arc, time::Duration};

use fluxer_oauth2::{
    Credential, Error, FluxerClient,
    oauth::{
        AuthorizeUrl, ClientCredentials, FileStore, RedirectUri, Scope, TokenManager, TokenStore,
    },
    types,
};
use fluxer_oauth2_emulator::Emulator;
use serde::Deserialize;

/// The part of `GET /users/@me` the escape-hatch call reads.
#[derive(Debug, Deserialize)]
struct Me {
    id: String,
    username: String,
}

const REDIRECT_URI: &str = "https://app.example/callback";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match std::env::var("FLUXER_API_BASE") {
        Ok(base) => against_remote(&base).await,
        Err(_) => against_emulator().await,
    }
}

async fn against_emulator() -> Result<(), Box<dyn std::error::Error>> {
    let emu = Emulator::start().await;
    let alice = emu.alice();
    emu.create_guild(&alice, "Rustaceans");
    println!("emulator at {}", emu.base_url());

    // The application and one authorization, as a "Log in with Fluxer" app would get them.
    let session = FluxerClient::builder()
        .base_url(emu.base_url())
        .credential(Credential::session(alice.session_token.as_str()))
        .build()?;
    let app = session
        .create_oauth_application()
        .body(
            types::ApplicationCreateRequest::builder()
                .name("Bearer calls example")
                .redirect_uris(Some(vec![RedirectUri::parse(REDIRECT_URI)?])),
        )
        .send()
        .await?;
    let client_secret = app
        .client_secret
        .clone()
        .ok_or("the new application has no client secret")?;
    let credentials = ClientCredentials::new(&app.id, client_secret)?;
    let request = AuthorizeUrl::new(session.base_url(), &app.id, REDIRECT_URI)
        .scopes([Scope::Identify, Scope::Guilds])
        .build()?;
    let code = session
        .grant_consent(&request)
        .await?
        .verify_state(&request.state)?;
    let anonymous = session.with_credential(None);
    let tokens = anonymous
        .exchange_code_with(
            &credentials,
            &code,
            request.redirect_uri.normalized(),
            request.pkce_verifier.as_ref(),
        )
        .await?;
    println!("authorized {:?} for scopes {:?}", app.name, tokens.scope);

    // The manager, with the pair in a file (owner-only permissions, atomic writes).
    let dir = std::env::temp_dir().join(format!("fluxer-bearer-calls-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(dir.join("tokens.json")));
    let manager = TokenManager::builder(anonymous, credentials, store, Some(tokens))
        .build()
        .await?;
    let result = tour(&manager).await;

    // A week later, the access token has expired at the server; the manager still thinks it is
    // valid (its clock did not move), so the call is refused, the pair refreshed, the call retried.
    emu.clock().advance(Duration::from_secs(604_800 + 60));
    let refreshes = emu.count_token_requests("refresh_token");
    let old_token = manager.tokens().access_token;
    let me = manager
        .call(|c| async move { c.get_current_user().send().await })
        .await?;
    println!(
        "a week later: still {}; {} refresh request, new access token: {}",
        me.username,
        emu.count_token_requests("refresh_token") - refreshes,
        manager.tokens().access_token != old_token,
    );

    std::fs::remove_dir_all(&dir)?;
    emu.shutdown().await;
    result
}

async fn against_remote(base: &str) -> Result<(), Box<dyn std::error::Error>> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let credentials =
        ClientCredentials::new(&var("FLUXER_CLIENT_ID")?, var("FLUXER_CLIENT_SECRET")?)?;
    let store: Arc<dyn TokenStore> =
        Arc::new(FileStore::new(PathBuf::from(var("FLUXER_TOKEN_FILE")?)));
    let client = FluxerClient::builder().base_url(base).build()?;
    let manager = TokenManager::builder(client, credentials, store, None)
        .build()
        .await?;
    tour(&manager).await
}

/// The calls: three typed (refreshed and retried on a 401 by `call`), one through the escape hatch.
async fn tour(manager: &TokenManager) -> Result<(), Box<dyn std::error::Error>> {
    let info = manager
        .call(|c| async move { c.get_oauth2_userinfo().send().await })
        .await?;
    println!("userinfo: {} (id {})", info.username, info.id.as_str());

    let me = manager
        .call(|c| async move { c.get_current_user().send().await })
        .await?;
    println!(
        "get_current_user: {} (id {}), email {}",
        me.username,
        me.id,
        me.email.as_deref().unwrap_or("not granted")
    );

    let guilds = manager
        .call(|c| async move { c.list_current_user_guilds().with_counts(true).send().await })
        .await;
    match guilds {
        Ok(guilds) => {
            println!("list_current_user_guilds: {} guild(s)", guilds.len());
            for guild in guilds.iter() {
                println!(
                    "  {} {} (~{} members)",
                    guild.id,
                    guild.name,
                    guild
                        .approximate_member_count
                        .map_or("?".to_owned(), |n| n.to_string())
                );
            }
        }
        Err(Error::MissingScope { scope, .. }) => {
            println!("list_current_user_guilds: the pair lacks the `{scope}` scope (nothing sent)")
        }
        Err(e) => return Err(e.into()),
    }

    // The escape hatch, for paths the crate has no operation for; here `/users/@me`, read untyped.
    let raw: Me = manager.get_json("/users/@me").await?;
    println!("get_json(\"/users/@me\"): {} (id {})", raw.username, raw.id);
    Ok(())
}
