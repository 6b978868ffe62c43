//! A minimal "Log in with Fluxer" web app (axum): `/login` sends the browser to Fluxer with a fresh
//! state and PKCE verifier kept in the visitor's session, `/callback` checks the state, exchanges the
//! code and greets the user: their name, their email (when they granted `email`) and how many guilds
//! they are in (`guilds`).
//!
//! `cargo run --example web_login` starts the built-in emulator, registers the app, serves it on
//! 127.0.0.1, and walks a scripted browser through the login (the emulator has no consent page, so
//! the script consents as the user, which is what Fluxer's page does when the user clicks
//! "Authorize"). The two handlers are the part to copy into an app.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    Router,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use fluxer_oauth2::{
    Credential, Error, FluxerClient,
    oauth::{
        AuthorizeUrl, Callback, ClientCredentials, CsrfState, PkceVerifier, RedirectUri, Scope,
        consent_request,
    },
    types,
};
use fluxer_oauth2_emulator::Emulator;

/// What the app keeps between `/login` and `/callback`, per visitor.
struct Pending {
    state: CsrfState,
    verifier: Option<PkceVerifier>,
    redirect_uri: RedirectUri,
}

/// The app's configuration and its visitors' pending logins.
struct App {
    fluxer: FluxerClient,
    credentials: ClientCredentials,
    client_id: String,
    redirect_uri: String,
    pending: Mutex<HashMap<String, Pending>>,
}

/// `/login`: a fresh state and PKCE verifier, kept under a session cookie, and off to Fluxer.
async fn login(State(app): State<Arc<App>>) -> Response {
    let request = match AuthorizeUrl::new(app.fluxer.base_url(), &app.client_id, &app.redirect_uri)
        .scopes([Scope::Identify, Scope::Email, Scope::Guilds])
        .build()
    {
        Ok(request) => request,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let session = CsrfState::generate(); // a random session id; any CSPRNG value will do
    let pending = Pending {
        state: request.state,
        verifier: request.pkce_verifier,
        redirect_uri: request.redirect_uri,
    };
    app.pending
        .lock()
        .unwrap()
        .insert(session.expose_secret().to_owned(), pending);
    let cookie = format!(
        "sid={}; HttpOnly; SameSite=Lax; Path=/",
        session.expose_secret()
    );
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(request.url.as_str()),
    )
        .into_response()
}

/// `/callback`: the state must match the visitor's; then the code is exchanged and the user read.
async fn callback(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let pending = session_id(&headers).and_then(|sid| app.pending.lock().unwrap().remove(&sid));
    let Some(pending) = pending else {
        return (
            StatusCode::BAD_REQUEST,
            "no login in progress: start at /login",
        )
            .into_response();
    };
    let code = match Callback::parse(query.as_deref().unwrap_or_default())
        .and_then(|c| c.verify_state(&pending.state))
    {
        Ok(code) => code,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let exchanged = app
        .fluxer
        .exchange_code_with(
            &app.credentials,
            &code,
            pending.redirect_uri.normalized(),
            pending.verifier.as_ref(),
        )
        .await;
    let tokens = match exchanged {
        Ok(tokens) => tokens,
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    // A real app would now keep the tokens (see `TokenManager` and its stores) in the user's session.
    // The client knows the granted scopes: a call the user did not grant is refused before sending.
    let user = app.fluxer.with_token_set(&tokens);
    let me = match user.get_current_user().send().await {
        Ok(me) => me.into_inner(),
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    let name = me.global_name.as_deref().unwrap_or(&me.username);
    // `email` is null unless the user granted the `email` scope.
    let email = match &me.email {
        Some(email) => format!("Your email address is {}.", escape(email)),
        None => "You did not share your email address.".to_owned(),
    };
    let guilds = match user.list_current_user_guilds().send().await {
        Ok(guilds) => format!("You are in {} guild(s).", guilds.len()),
        Err(Error::MissingScope { .. }) => "You did not share your guilds.".to_owned(),
        Err(e) => return (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    };
    Html(format!(
        "<p>Hello, {} (@{})! You are logged in with Fluxer.</p><p>{email}</p><p>{guilds}</p>",
        escape(name),
        escape(&me.username)
    ))
    .into_response()
}

/// Text from the server, made safe to put in HTML.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies
        .split(';')
        .find_map(|c| c.trim().strip_prefix("sid=").map(str::to_owned))
}

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

    let app = Arc::new(App {
        fluxer: developer.with_credential(None),
        credentials: ClientCredentials::new(&registered.id, secret)?,
        client_id: registered.id.to_string(),
        redirect_uri,
        pending: Mutex::default(),
    });
    let router = Router::new()
        .route("/login", get(login))
        .route("/callback", get(callback))
        .with_state(app);
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
        .ok_or("no session cookie")?
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
