//! Browser login for desktop apps and command-line tools (RFC 8252): the system browser goes to the
//! authorize URL with state and PKCE, Fluxer sends it back to a listener on `127.0.0.1:PORT`, the state
//! is checked and the code is exchanged for a [`TokenSet`].
//!
//! ```no_run
//! # async fn demo(client_secret: String) -> Result<(), Box<dyn std::error::Error>> {
//! use fluxer_oauth2::{FluxerClient, oauth::{ClientCredentials, Scope, loopback::{LoopbackLogin, SystemBrowser}}};
//!
//! let client = FluxerClient::builder().build()?;
//! let credentials = ClientCredentials::new("1574449618593251330", client_secret)?;
//! // `http://127.0.0.1:8765/callback` is registered on the application.
//! let tokens = LoopbackLogin::new(client.base_url(), credentials, 8765)
//!     .scope(Scope::Identify)
//!     .run(&client, &SystemBrowser)
//!     .await?;
//! let me = client.with_credential(fluxer_oauth2::Credential::bearer(tokens.access_token.clone()));
//! # Ok(()) }
//! ```
//!
//! # Register the redirect URI, with a fixed port
//!
//! Register `http://127.0.0.1:PORT/callback` on the application (in the web UI, or with
//! `update_oauth_application`), with the port the app will listen on, and give that port to
//! [`LoopbackLogin::new`]; [`redirect_uri`] spells it. Fluxer accepts plain `http` redirect URIs only for
//! loopback hosts and IP literals, and it compares the authorize request's `redirect_uri` with the
//! registered ones as **exact strings**. RFC 8252 (section 7.3) lets a native app pick a random free port
//! and expects the server to ignore the port of a loopback redirect URI; Fluxer does not, so a random
//! port would be refused unless it happened to be registered. That is why the port is fixed, why port 0
//! is refused ([`LoopbackError::RandomPort`]), and why a port that another program holds is an error
//! ([`LoopbackError::PortInUse`]) rather than a reason to pick another one. An app can register a few
//! ports and try them in turn.
//!
//! The listener binds the IP literal `127.0.0.1`, not `localhost`, which could resolve to `::1` or be
//! redirected by a hosts file (RFC 8252 section 8.3).
//!
//! # The client secret in a shipped app
//!
//! Fluxer has no public clients: its token endpoint requires the `client_secret` even when PKCE is used.
//! So this flow takes [`ClientCredentials`]. An app shipped to users carries its secret inside, and
//! anyone with the binary can extract it and act as the application: exchange codes it gets hold of,
//! refresh tokens, introspect and revoke them. PKCE and the state still protect each user's login (a
//! stolen code is useless without the verifier held by this process), but the secret identifies nothing.
//!
//! - A **personal tool or a developer's own CLI**, whose secret is the developer's own, can use this flow
//!   as it is.
//! - An **app distributed to others** should not hold the secret. Run a small server-side exchange
//!   instead: the app does everything here except the exchange, and posts the code, the PKCE verifier
//!   and the redirect URI to an endpoint of yours that holds the secret, calls
//!   [`FluxerClient::exchange_code`] and hands back the tokens (or, better, keeps the refresh token and
//!   gives the app only access tokens). [`PendingLogin::wait_for_code`] stops before the exchange for
//!   that purpose. Rotating a leaked secret (`reset_client_secret`) then breaks no shipped app.
//!
//! # What the browser sees
//!
//! The listener waits for one request to `/callback`, with a timeout (5 minutes by default); requests
//! to other paths (a favicon) get a 404 and do not count. The answer is a short page that says the login
//! worked or failed, in fixed words: it never echoes the code, the state or anything else from the
//! request, loads nothing from elsewhere and sends no referrer.

use std::{
    fmt,
    net::{Ipv4Addr, SocketAddr},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
    sync::mpsc,
    task::JoinSet,
    time::Instant,
};
use url::Url;
use zeroize::Zeroizing;

use crate::{
    Error, FluxerClient, Secret,
    oauth::{
        AuthorizeRequest, AuthorizeUrl, Callback, CallbackError, ClientCredentials, PkceVerifier,
        Prompt, Scope, TokenSet,
    },
};

/// The path of the redirect URI the listener answers.
pub const CALLBACK_PATH: &str = "/callback";

/// How long [`PendingLogin::finish`] waits for the browser by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// How long one connection may take to send its request line and headers.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest request head the listener reads.
const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// How many connections the listener takes before it gives up (browsers open a few at most).
const MAX_CONNECTIONS: usize = 64;

/// How long [`SystemBrowser`] waits to learn whether the browser started.
const BROWSER_START_WAIT: Duration = Duration::from_secs(5);

/// The redirect URI to register on the application for a loopback login on `port`:
/// `http://127.0.0.1:PORT/callback`.
///
/// ```
/// assert_eq!(
///     fluxer_oauth2::oauth::loopback::redirect_uri(8765),
///     "http://127.0.0.1:8765/callback"
/// );
/// ```
pub fn redirect_uri(port: u16) -> String {
    format!("http://127.0.0.1:{port}{CALLBACK_PATH}")
}

/// Why a browser could not be opened. The flow goes on: the URL is printed for the user to open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no browser could be opened ({reason})")]
pub struct BrowserUnavailable {
    /// What went wrong, in words.
    pub reason: String,
}

impl BrowserUnavailable {
    /// An error with this reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

/// Something that shows the authorize URL to the user: the system browser ([`SystemBrowser`]), a
/// message ([`PrintUrl`]), or in tests a scripted HTTP client. Closures
/// `Fn(&Url) -> Result<(), BrowserUnavailable>` are browsers too.
///
/// `open` should return soon: the listener only starts taking the callback once it has.
pub trait Browser {
    /// Sends the user to `url`.
    ///
    /// # Errors
    /// [`BrowserUnavailable`] when it could not; the URL is then printed.
    fn open(&self, url: &Url) -> Result<(), BrowserUnavailable>;
}

impl<F> Browser for F
where
    F: Fn(&Url) -> Result<(), BrowserUnavailable>,
{
    fn open(&self, url: &Url) -> Result<(), BrowserUnavailable> {
        self(url)
    }
}

/// The user's default browser, through the `webbrowser` crate (which honours `$BROWSER`).
///
/// A text-mode browser runs in the foreground; after a few seconds without an answer the browser is
/// taken as started.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemBrowser;

impl Browser for SystemBrowser {
    fn open(&self, url: &Url) -> Result<(), BrowserUnavailable> {
        let (tx, rx) = std::sync::mpsc::channel();
        let target = url.as_str().to_owned();
        std::thread::Builder::new()
            .name("fluxer-oauth2-browser".to_owned())
            .spawn(move || {
                let _ = tx.send(webbrowser::open(&target));
            })
            .map_err(|e| BrowserUnavailable::new(format!("could not start a thread: {e}")))?;
        match rx.recv_timeout(BROWSER_START_WAIT) {
            Ok(Ok(())) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => Ok(()),
            Ok(Err(e)) => Err(BrowserUnavailable::new(e.to_string())),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                Err(BrowserUnavailable::new("the browser launcher stopped"))
            }
        }
    }
}

/// No browser: the URL is printed on standard error for the user to open (for machines without a
/// display, or when the user asks for it).
#[derive(Clone, Copy, Debug, Default)]
pub struct PrintUrl;

impl Browser for PrintUrl {
    fn open(&self, url: &Url) -> Result<(), BrowserUnavailable> {
        eprintln!("Open this address in a browser to log in with Fluxer:\n\n  {url}\n");
        Ok(())
    }
}

/// What can go wrong with the loopback listener itself: the port, the wait, the connections. A
/// loopback login returns [`Error`], which holds this as [`Error::Loopback`]; a refused callback is
/// [`Error::Callback`], a bad client id or scope [`Error::Authorize`], and a refused exchange the
/// token call's own error. No variant carries the code, the state or a token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoopbackError {
    /// Port 0 was given. It would make the system pick a random port, which cannot match the
    /// registered redirect URI.
    #[error(
        "port 0 would listen on a random port, but Fluxer compares redirect URIs as exact strings: \
         register http://127.0.0.1:PORT/callback on the application with a fixed port and use that port"
    )]
    RandomPort,
    /// Another program listens on the port.
    #[error(
        "127.0.0.1:{port} is already in use by another program: stop it, or register \
         http://127.0.0.1:OTHER/callback on the application and use that port"
    )]
    PortInUse {
        /// The port.
        port: u16,
    },
    /// The port could not be bound for another reason (e.g. a port below 1024 without privileges).
    #[error(
        "could not listen on 127.0.0.1:{port}: {message}; pick a port above 1024 that is registered on the application"
    )]
    Bind {
        /// The port.
        port: u16,
        /// The system's message.
        message: String,
    },
    /// No callback arrived in time.
    #[error(
        "no answer came back from the browser within {}s: finish the login in the browser sooner, \
         or start again",
        waited.as_secs()
    )]
    Timeout {
        /// How long the listener waited.
        waited: Duration,
    },
    /// The listener itself failed, or too many connections came without a callback.
    #[error("the loopback listener failed: {message}")]
    Listener {
        /// What happened.
        message: String,
    },
}

/// The settings of a loopback login; [`bind`](Self::bind) or [`run`](Self::run) start it.
///
/// ```
/// use fluxer_oauth2::oauth::{ClientCredentials, Scope, loopback::LoopbackLogin};
///
/// let credentials = ClientCredentials::new("1574449618593251330", "secret").unwrap();
/// let login = LoopbackLogin::new("https://api.fluxer.app/v1", credentials, 8765).scope(Scope::Identify);
/// assert_eq!(login.redirect_uri(), "http://127.0.0.1:8765/callback");
/// ```
#[derive(Debug)]
#[must_use = "call .run() or .bind() to start the login"]
pub struct LoopbackLogin {
    api_base: String,
    credentials: ClientCredentials,
    port: u16,
    scopes: Vec<Scope>,
    prompt: Option<Prompt>,
    web_page: Option<String>,
    timeout: Duration,
}

impl LoopbackLogin {
    /// A login for the application of `credentials` on the instance whose API is `api_base` (e.g.
    /// [`FluxerClient::base_url`]), listening on `127.0.0.1:port`.
    /// `http://127.0.0.1:PORT/callback` must be registered on the application.
    pub fn new(api_base: &str, credentials: ClientCredentials, port: u16) -> Self {
        Self {
            api_base: api_base.to_owned(),
            credentials,
            port,
            scopes: Vec::new(),
            prompt: None,
            web_page: None,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Asks for one more scope.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scopes.push(scope);
        self
    }

    /// Asks for several more scopes.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.scopes.extend(scopes);
        self
    }

    /// Sets `prompt` on the authorize URL.
    pub fn prompt(mut self, prompt: Prompt) -> Self {
        self.prompt = Some(prompt);
        self
    }

    /// Sends the browser straight to this consent page instead of `{api_base}/oauth2/authorize`
    /// (see [`AuthorizeUrl::web_page`]).
    pub fn web_page(mut self, url: impl Into<String>) -> Self {
        self.web_page = Some(url.into());
        self
    }

    /// How long to wait for the browser to come back (5 minutes by default).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The redirect URI this login uses, which must be registered on the application.
    pub fn redirect_uri(&self) -> String {
        redirect_uri(self.port)
    }

    /// Binds `127.0.0.1:PORT` and builds the authorize URL (a fresh state and an S256 PKCE challenge).
    /// Nothing is sent yet.
    ///
    /// # Errors
    /// [`Error::Loopback`] with [`LoopbackError::RandomPort`], [`LoopbackError::PortInUse`] or
    /// [`LoopbackError::Bind`]; [`Error::Authorize`] for a bad client id, scope or API base.
    pub async fn bind(self) -> Result<PendingLogin, Error> {
        if self.port == 0 {
            return Err(LoopbackError::RandomPort.into());
        }
        let mut authorize = AuthorizeUrl::new(
            &self.api_base,
            self.credentials.client_id(),
            &self.redirect_uri(),
        )
        .scopes(self.scopes);
        if let Some(prompt) = self.prompt {
            authorize = authorize.prompt(prompt);
        }
        if let Some(page) = self.web_page {
            authorize = authorize.web_page(page);
        }
        let request = authorize.build()?;
        let port = self.port;
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AddrInUse => LoopbackError::PortInUse { port },
                _ => LoopbackError::Bind {
                    port,
                    message: e.to_string(),
                },
            })?;
        Ok(PendingLogin {
            listener,
            request,
            credentials: self.credentials,
            timeout: self.timeout,
        })
    }

    /// The whole flow: binds the port, opens `browser` on the authorize URL (or prints the URL on
    /// standard error when it cannot), waits for the callback, checks the state, exchanges the code and
    /// returns the tokens. `client` makes the token call; its credential is not used.
    ///
    /// # Errors
    /// What [`bind`](Self::bind) and [`PendingLogin::finish`] return.
    pub async fn run(
        self,
        client: &FluxerClient,
        browser: &dyn Browser,
    ) -> Result<TokenSet, Error> {
        let pending = self.bind().await?;
        pending.open_browser(browser);
        pending.finish(client).await
    }
}

/// A bound listener and the authorize request it waits for the answer to.
pub struct PendingLogin {
    listener: TcpListener,
    request: AuthorizeRequest,
    credentials: ClientCredentials,
    timeout: Duration,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("listener", &self.listener.local_addr().ok())
            .field("request", &self.request)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A code released by a checked callback, with what its exchange needs; for apps that exchange it
/// on a server of their own ([`PendingLogin::wait_for_code`]).
pub struct LoopbackCode {
    /// The authorization code (single-use, valid for minutes).
    pub code: Secret,
    /// The PKCE verifier to send with it (always present: the login uses S256 PKCE).
    pub pkce_verifier: Option<PkceVerifier>,
    /// The redirect URI to send with it.
    pub redirect_uri: String,
    stream: TcpStream,
}

impl fmt::Debug for LoopbackCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoopbackCode")
            .field("code", &self.code)
            .field("pkce_verifier", &self.pkce_verifier)
            .field("redirect_uri", &self.redirect_uri)
            .finish_non_exhaustive()
    }
}

impl LoopbackCode {
    /// Answers the waiting browser with the success page (`true`) or the failure page (`false`),
    /// once the exchange is done.
    pub async fn answer_browser(mut self, success: bool) {
        let page = if success {
            Page::Success
        } else {
            Page::ExchangeFailed
        };
        page.send(&mut self.stream).await;
    }
}

impl PendingLogin {
    /// The URL to send the browser to.
    pub fn authorize_url(&self) -> &Url {
        &self.request.url
    }

    /// The redirect URI in the authorize URL.
    pub fn redirect_uri(&self) -> &str {
        self.request.redirect_uri.as_registered()
    }

    /// The address the listener is bound to.
    ///
    /// # Errors
    /// The system's, if the socket has none.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Shows the authorize URL with `browser`; when that fails, prints the URL on standard error with a
    /// line that says to open it. Returns whether the browser took it.
    pub fn open_browser(&self, browser: &dyn Browser) -> bool {
        match browser.open(self.authorize_url()) {
            Ok(()) => true,
            Err(e) => {
                eprintln!(
                    "{e}.\nOpen this address in a browser to log in with Fluxer:\n\n  {}\n",
                    self.authorize_url()
                );
                false
            }
        }
    }

    /// Waits for the callback, checks its state, exchanges the code with the client credentials and
    /// answers the browser with a success or failure page.
    ///
    /// # Errors
    /// What [`wait_for_code`](Self::wait_for_code) returns, and the token call's error when the
    /// exchange is refused ([`Error::OAuth`] with `invalid_grant`, say) or cannot be sent.
    pub async fn finish(self, client: &FluxerClient) -> Result<TokenSet, Error> {
        let credentials = self.credentials.clone();
        let code = self.wait_for_code().await?;
        let exchanged = client
            .exchange_code_with(
                &credentials,
                &code.code,
                &code.redirect_uri,
                code.pkce_verifier.as_ref(),
            )
            .await;
        code.answer_browser(exchanged.is_ok()).await;
        exchanged
    }

    /// Waits for the callback and checks its state, and stops there: the code, the verifier and the
    /// redirect URI come back for an exchange made elsewhere (a server that holds the client secret).
    /// Answer the browser with [`LoopbackCode::answer_browser`] once it is done. A refused callback is
    /// answered with the failure page at once.
    ///
    /// # Errors
    /// [`Error::Loopback`] with [`LoopbackError::Timeout`] or [`LoopbackError::Listener`];
    /// [`Error::Callback`] when the callback is denied, has no code or the wrong state.
    pub async fn wait_for_code(self) -> Result<LoopbackCode, Error> {
        let deadline = Instant::now() + self.timeout;
        let (mut stream, target) =
            wait_for_callback(&self.listener, deadline, self.timeout).await?;
        let verified = Callback::parse(target.expose_secret())
            .and_then(|callback| callback.verify_state(&self.request.state));
        let code = match verified {
            Ok(code) => code,
            Err(e) => {
                let page = match e {
                    CallbackError::Denied { .. } => Page::Denied,
                    _ => Page::Refused,
                };
                page.send(&mut stream).await;
                return Err(Error::Callback(e));
            }
        };
        Ok(LoopbackCode {
            code,
            pkce_verifier: self.request.pkce_verifier,
            redirect_uri: self.request.redirect_uri.normalized().to_owned(),
            stream,
        })
    }
}

/// Accepts connections until one sends `GET /callback…`, reading each on its own task so that a
/// browser's idle pre-connection does not hold up the real request. Returns that connection and its
/// request target.
async fn wait_for_callback(
    listener: &TcpListener,
    deadline: Instant,
    timeout: Duration,
) -> Result<(TcpStream, Secret), LoopbackError> {
    let (tx, mut rx) = mpsc::channel::<(TcpStream, Secret)>(4);
    let mut readers = JoinSet::new();
    let mut accepted = 0usize;
    let found = loop {
        while readers.try_join_next().is_some() {}
        tokio::select! {
            connection = listener.accept(), if accepted < MAX_CONNECTIONS => {
                let (stream, _) = connection.map_err(|e| LoopbackError::Listener {
                    message: format!("accepting a connection failed: {e}"),
                })?;
                accepted += 1;
                readers.spawn(read_one(stream, tx.clone()));
            }
            Some(found) = rx.recv() => break found,
            () = tokio::time::sleep_until(deadline) => {
                readers.abort_all();
                return Err(if accepted >= MAX_CONNECTIONS {
                    LoopbackError::Listener {
                        message: format!("{MAX_CONNECTIONS} connections came and none was the callback"),
                    }
                } else {
                    LoopbackError::Timeout { waited: timeout }
                });
            }
        }
    };
    readers.abort_all();
    Ok(found)
}

/// Reads one request head. A `GET` to the callback path goes to `tx`; anything else is answered
/// here (404, 405) and dropped.
async fn read_one(mut stream: TcpStream, tx: mpsc::Sender<(TcpStream, Secret)>) {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Some(head)) => head,
        _ => return,
    };
    let Some(request_line) = head.expose_secret().lines().next() else {
        return;
    };
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split(['?', '#']).next().unwrap_or("");
    if path != CALLBACK_PATH {
        Page::NotFound.send(&mut stream).await;
        return;
    }
    if method != "GET" {
        Page::MethodNotAllowed.send(&mut stream).await;
        return;
    }
    let target = Secret::new(target);
    let _ = tx.send((stream, target)).await;
}

/// The request head (up to the blank line), or `None` when the peer sent none or too much.
async fn read_head(stream: &mut TcpStream) -> Option<Secret> {
    let mut buf = Zeroizing::new(Vec::with_capacity(1024));
    let mut chunk = Zeroizing::new([0u8; 1024]);
    loop {
        let n = stream.read(&mut chunk[..]).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            return std::str::from_utf8(&buf[..end]).ok().map(Secret::new);
        }
        if buf.len() > MAX_REQUEST_BYTES {
            return None;
        }
    }
}

/// The pages the listener answers with. Their words are fixed: nothing from the request is echoed.
#[derive(Clone, Copy, Debug)]
enum Page {
    Success,
    Denied,
    Refused,
    ExchangeFailed,
    NotFound,
    MethodNotAllowed,
}

impl Page {
    fn parts(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Success => (
                "200 OK",
                "Logged in",
                "You are logged in with Fluxer. You can close this tab and go back to the application.",
            ),
            Self::Denied => (
                "400 Bad Request",
                "Login not granted",
                "The authorization was not granted, so the application is not logged in. Go back to \
                 the application to try again.",
            ),
            Self::Refused => (
                "400 Bad Request",
                "Login failed",
                "This answer does not belong to the login the application started, so it was refused. \
                 Go back to the application and start again.",
            ),
            Self::ExchangeFailed => (
                "502 Bad Gateway",
                "Login failed",
                "The application could not finish the login with Fluxer. Go back to the application \
                 for the details.",
            ),
            Self::NotFound => ("404 Not Found", "Not found", "Nothing here."),
            Self::MethodNotAllowed => (
                "405 Method Not Allowed",
                "Not allowed",
                "The login answer comes as a GET request.",
            ),
        }
    }

    async fn send(self, stream: &mut TcpStream) {
        let (status, title, text) = self.parts();
        let body = format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body style=\"font-family:sans-serif;max-width:36em;margin:4em auto\"><h1>{title}</h1>\
             <p>{text}</p></body></html>\n"
        );
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
             Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n\
             Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
             Connection: close\r\n\r\n",
            body.len()
        );
        let _ = tokio::time::timeout(READ_TIMEOUT, async {
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(body.as_bytes()).await?;
            stream.shutdown().await
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> ClientCredentials {
        ClientCredentials::new("1574449618593251330", "secret").expect("a valid id")
    }

    #[tokio::test]
    async fn a_taken_port_is_a_typed_error() {
        let holder = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = holder.local_addr().expect("bound").port();
        let err = LoopbackLogin::new("http://127.0.0.1:1/v1", credentials(), port)
            .scope(Scope::Identify)
            .bind()
            .await
            .expect_err("the port is taken");
        assert!(
            matches!(err, Error::Loopback(LoopbackError::PortInUse { port: p }) if p == port),
            "{err:?}"
        );
        assert!(err.to_string().contains("already in use"));
    }

    #[tokio::test]
    async fn stray_requests_do_not_end_the_wait_and_the_timeout_fires() {
        let pending = LoopbackLogin::new("http://127.0.0.1:1/v1", credentials(), free_port())
            .scope(Scope::Identify)
            .timeout(Duration::from_millis(1500))
            .bind()
            .await
            .expect("bound");
        let addr = pending.local_addr().expect("bound");
        // The listener is served while `wait_for_code` runs.
        let waiting = tokio::spawn(pending.wait_for_code());
        let idle = TcpStream::connect(addr).await.expect("connects");
        let answer = tokio::time::timeout(Duration::from_secs(5), async {
            let mut favicon = TcpStream::connect(addr).await.expect("connects");
            favicon
                .write_all(b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n")
                .await
                .expect("sent");
            let mut answer = String::new();
            favicon.read_to_string(&mut answer).await.expect("read");
            answer
        })
        .await
        .expect("the favicon is answered while an idle connection is open");
        assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
        let err = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the wait ends")
            .expect("the task ran")
            .expect_err("no callback came");
        assert!(
            matches!(err, Error::Loopback(LoopbackError::Timeout { .. })),
            "{err:?}"
        );
        drop(idle);
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port()
    }
}
