//! A minimal "Log in with Fluxer" web app (axum): `/login` sends the browser to Fluxer with a fresh
//! state and PKCE verifier sealed in an encrypted, authenticated cookie, `/callback` opens it, checks
//! the state, exchanges the code and greets the user: their name, their email (when they granted
//! `email`) and how many guilds they are in (`guilds`). No login is kept in the app's memory, so
//! any instance of the app can finish a login another one started.
//!
//! `cargo run --example web_login` starts the built-in emulator, registers the app, serves it on
//! 127.0.0.1, and walks a scripted browser through the login (the emulator has no consent page, so
//! the script consents as the user, which is what Fluxer's page does when the user clicks
//! "Authorize"). `app.rs` beside this file (the handlers and the cookie) is the part to copy into
//! an app.

mod app;

use axum::http::header;
use fluxer_oauth2::{
    Credential, FluxerClient,
    oauth::{ClientCredentials, RedirectUri, consent_request},
    types,
};
use fluxer_oauth2_emulator::Emulator;

use app::{App, LoginCookies};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emu = Emulator::start().await;
    let alice = emu.alice();
    emu.create_guild(&alice, "Rustaceans");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let site = format!("http://{}", listener.local_addr()?);
    let redirect_uri = format!("{site}/callback");

    // Register the app once, as its developer (alice's session).
    let developer = FluxerClient::builder()
        .base_url(emu.base_url())
        .credential(Credential::session(alice.session_token.as_str()))
        .build()?;
    let registered = developer
        .create_oauth_application()
        .body(
            types::ApplicationCreateRequest::builder()
                .name("Web login example")
                .redirect_uris(Some(vec![RedirectUri::parse(&redirect_uri)?])),
        )
        .send()
        .await?;
    let registered = registered.into_inner();
    let secret = registered.client_secret.ok_or("no client secret")?;
    println!(
        "registered application {} with redirect URI {redirect_uri}",
        registered.id
    );

    // The key that seals the login cookie, shared by every instance of the app. A real deployment
    // loads it from its configuration (32 random bytes, kept secret like the client secret), so
    // that it survives restarts and is the same on every instance; the example makes one per run.
    let cookie_key: [u8; 32] = rand::random();
    let app = App {
        fluxer: developer.with_credential(None),
        credentials: ClientCredentials::new(&registered.id, secret)?,
        redirect_uri: RedirectUri::parse(&redirect_uri)?,
        cookies: LoginCookies::new(&cookie_key),
    };
    let router = app::router(app);
    tokio::spawn(async move { axum::serve(listener, router).await });
    println!("the app listens on {site}");

    // A scripted browser: follow /login, let the user consent, come back to /callback.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let to_login = browser.get(format!("{site}/login")).send().await?;
    let cookie = to_login
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .ok_or("no login cookie")?
        .to_owned();
    let authorize = url::Url::parse(
        to_login
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or("no redirect to Fluxer")?,
    )?;
    println!(
        "GET /login -> {} to {}",
        to_login.status(),
        authorize.path()
    );
    let consent_page = browser.get(authorize.clone()).send().await?;
    println!(
        "GET {} -> {} to the consent page",
        authorize.path(),
        consent_page.status()
    );
    // The user clicks "Authorize": the consent page posts the request as the signed-in user.
    let consented = developer
        .provide_oauth2_consent()
        .body(consent_request(&authorize)?)
        .send()
        .await?;
    let back = consented.redirect_to.expose_secret().to_owned();
    let greeting = browser
        .get(&back)
        .header(header::COOKIE, cookie)
        .send()
        .await?;
    let status = greeting.status();
    let body = greeting.text().await?;
    println!("GET /callback -> {status}: {body}");
    emu.shutdown().await;
    if status.is_success()
        && body.contains("Hello, Alice (@alice)")
        && body.contains("alice@example.com")
        && body.contains("in 1 guild(s)")
    {
        Ok(())
    } else {
        Err(format!("the login did not finish: {status} {body}").into())
    }
}
