//! The `fluxer-oauth2` binary against the emulator, started in the test process and named with
//! `--api-base`: the steps of a developer's day (log in with a password and with TOTP, create an
//! application, rotate its secret under sudo, build an invite URL, log in through the browser with a
//! scripted browser, `whoami` with the resulting token, revoke, log out), the token commands, the
//! exit codes, `--help` everywhere, and a scan of every output for secrets.

use std::{
    cell::RefCell,
    collections::BTreeSet,
    io::{BufRead as _, BufReader, Read as _},
    process::{Command as StdCommand, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use assert_cmd::Command;
use fluxer_oauth2::{Credential, FluxerClient, oauth::consent_request};
use fluxer_oauth2_emulator::{Emulator, Fault, NewUser, RateLimitConfig, RouteLimit, SeededUser};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_fluxer-oauth2");

/// How long one command may run.
const COMMAND_LIMIT: Duration = Duration::from_secs(60);

/// One run of the binary, kept for the leak scan.
#[derive(Debug, Clone)]
struct Run {
    args: Vec<String>,
    stdout: String,
    stderr: String,
    code: i32,
    /// The one secret this run was asked to print, if any.
    allowed: Option<String>,
}

/// An emulator, a config folder, and every output and secret seen.
struct Harness {
    emu: Emulator,
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    runs: RefCell<Vec<Run>>,
    secrets: RefCell<BTreeSet<String>>,
}

impl Harness {
    fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let emu = rt.block_on(Emulator::start());
        let h = Self {
            emu,
            rt,
            dir: tempfile::tempdir().expect("a temporary folder"),
            runs: RefCell::default(),
            secrets: RefCell::default(),
        };
        h.secret("a-strong-password");
        h
    }

    fn base(&self) -> String {
        self.emu.base_url()
    }

    fn config_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("config")
    }

    /// Remembers a secret for the leak scan.
    fn secret(&self, value: impl Into<String>) {
        self.secrets.borrow_mut().insert(value.into());
    }

    fn user(&self, name: &str, password: &str, totp: bool) -> SeededUser {
        self.secret(password);
        let user = self.emu.add_user(NewUser {
            username: name.to_owned(),
            password: Some(password.to_owned()),
            totp,
        });
        self.secret(user.session_token.clone());
        user
    }

    /// A fresh TOTP code (the emulator's clock moves one step on, as a code is good once).
    fn totp(&self, user: &SeededUser) -> String {
        self.emu.clock().advance(Duration::from_secs(30));
        let code = self.emu.totp_now(user);
        self.secret(code.clone());
        code
    }

    /// The binary with the test's config folder and a clean environment, `--api-base` first
    /// unless the arguments name the instance themselves.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.env("FLUXER_OAUTH2_CONFIG_DIR", self.config_dir())
            .env_remove("FLUXER_API_BASE")
            .env_remove("FLUXER_CLIENT_SECRET")
            .env_remove("FLUXER_SESSION_TOKEN")
            .env_remove("FLUXER_PKCE_VERIFIER")
            .env("BROWSER", "false")
            .timeout(COMMAND_LIMIT);
        if !args.contains(&"--instance") {
            cmd.arg("--api-base").arg(self.base());
        }
        cmd.args(args);
        cmd
    }

    /// Runs the binary with `stdin`, records its output and the secrets now in the store.
    fn run_with(&self, args: &[&str], stdin: &str, allowed: Option<String>) -> Run {
        let output = self
            .command(args)
            .write_stdin(stdin)
            .output()
            .expect("the binary runs");
        let run = Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            code: output.status.code().unwrap_or(-1),
            allowed,
        };
        self.collect_store_secrets();
        self.runs.borrow_mut().push(run.clone());
        run
    }

    fn run(&self, args: &[&str], stdin: &str) -> Run {
        self.run_with(args, stdin, None)
    }

    /// Runs and expects exit code 0.
    fn ok(&self, args: &[&str], stdin: &str) -> Run {
        let run = self.run(args, stdin);
        assert_eq!(
            run.code, 0,
            "{args:?} failed:\n{}\n{}",
            run.stdout, run.stderr
        );
        run
    }

    /// Runs with `--json` and expects exit code 0.
    fn json(&self, args: &[&str], stdin: &str) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let run = self.ok(&all, stdin);
        serde_json::from_str(&run.stdout).expect("JSON on standard output")
    }

    /// Runs and expects this exit code.
    fn fails(&self, args: &[&str], stdin: &str, code: i32) -> Run {
        let run = self.run(args, stdin);
        assert_eq!(
            run.code, code,
            "{args:?} should exit {code}:\n{}\n{}",
            run.stdout, run.stderr
        );
        run
    }

    fn store(&self) -> Value {
        match std::fs::read_to_string(self.config_dir().join("credentials.json")) {
            Ok(text) => serde_json::from_str(&text).expect("the store is JSON"),
            Err(_) => Value::Null,
        }
    }

    fn instance(&self) -> Value {
        self.store()["instances"][self.base()].clone()
    }

    fn collect_store_secrets(&self) {
        fn walk(value: &Value, out: &mut BTreeSet<String>) {
            match value {
                Value::Object(map) => {
                    for (k, v) in map {
                        match (k.as_str(), v) {
                            (
                                "token" | "sudo_token" | "client_secret" | "bot_token"
                                | "access_token" | "refresh_token" | "pkce_verifier",
                                Value::String(s),
                            ) => {
                                out.insert(s.clone());
                            }
                            _ => walk(v, out),
                        }
                    }
                }
                Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
                _ => {}
            }
        }
        walk(&self.store(), &mut self.secrets.borrow_mut());
    }

    /// No output shows a secret, except the one a `--show-secret` run asked for.
    fn assert_no_leak(&self) {
        let secrets = self.secrets.borrow();
        assert!(secrets.len() >= 3, "the scan has secrets to look for");
        for run in self.runs.borrow().iter() {
            for secret in secrets.iter() {
                if run.allowed.as_deref() == Some(secret.as_str()) {
                    continue;
                }
                for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
                    assert!(
                        !contains_secret(text, secret),
                        "{:?} printed a secret on {stream}:\n{text}",
                        run.args
                    );
                }
            }
        }
    }

    /// Consents to an authorize URL as `user` (what the web app does on "Authorize") and returns
    /// the address the browser is sent back to.
    fn consent(&self, user: &SeededUser, authorize_url: &str) -> String {
        let session = FluxerClient::builder()
            .base_url(self.base())
            .build()
            .expect("client")
            .with_credential(Credential::session(user.session_token.clone()));
        let url: fluxer_oauth2::reqwest::Url = authorize_url.parse().expect("a URL");
        let redirect = self.rt.block_on(async {
            session
                .provide_oauth2_consent()
                .body(consent_request(&url).expect("a consent body"))
                .send()
                .await
                .expect("consent")
                .into_inner()
                .redirect_to
        });
        let redirect = redirect.expose_secret().to_owned();
        self.secret(code_of(&redirect));
        redirect
    }
}

/// Whether `text` shows `secret`; a short all-digit secret (a TOTP code) counts only as a whole
/// number, not inside a longer one such as an id.
fn contains_secret(text: &str, secret: &str) -> bool {
    if !secret.bytes().all(|b| b.is_ascii_digit()) {
        return text.contains(secret);
    }
    text.match_indices(secret).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + secret.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

fn code_of(redirect: &str) -> String {
    fluxer_oauth2::reqwest::Url::parse(redirect)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("a code")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `browser-login --no-browser` in the background; the test plays the browser: it reads the URL
/// the command prints, consents as `user`, and follows the redirect back to the command's listener.
/// Returns the run and the page the browser got.
fn browser_login(h: &Harness, user: &SeededUser, app: &str, port: u16) -> (Run, String) {
    let port_arg = port.to_string();
    let args = [
        "browser-login",
        "--app",
        app,
        "--port",
        port_arg.as_str(),
        "--scope",
        "identify,email",
        "--no-browser",
        "--timeout",
        "30",
    ];
    let mut child = StdCommand::new(BIN)
        .env("FLUXER_OAUTH2_CONFIG_DIR", h.config_dir())
        .env_remove("FLUXER_CLIENT_SECRET")
        .env("BROWSER", "false")
        .arg("--api-base")
        .arg(h.base())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + COMMAND_LIMIT;
    let mut seen = Vec::new();
    let authorize = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no authorize URL was printed: {seen:?}"));
        seen.push(line.clone());
        if let Some(start) = line.find("http")
            && line.contains("/oauth2/authorize?")
        {
            break line[start..].trim().to_owned();
        }
    };
    assert!(
        authorize.contains(&format!(
            "redirect_uri=http%3A%2F%2F127.0.0.1%3A{port}%2Fcallback"
        )),
        "{authorize}"
    );
    // The browser: the API's authorize address redirects to the consent page with the same query.
    let redirect = h.consent(user, &authorize);
    let page = h.rt.block_on(async {
        let http = fluxer_oauth2::http_client_builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("http");
        let answer = http
            .get(&redirect)
            .send()
            .await
            .expect("the listener answers");
        assert_eq!(answer.status().as_u16(), 200);
        answer.text().await.expect("a page")
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("browser-login did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read stdout");
    reader.join().expect("the reader ends with the process");
    seen.extend(rx.try_iter());
    let run = Run {
        args: args.iter().map(|a| a.to_string()).collect(),
        stdout,
        stderr: seen.join("\n"),
        code: status.code().unwrap_or(-1),
        allowed: None,
    };
    h.collect_store_secrets();
    h.runs.borrow_mut().push(run.clone());
    (run, page)
}

#[test]
fn a_developers_day_from_login_to_logout() {
    let h = Harness::new();

    // 1. Log in: a password user, then a TOTP user (who replaces the first in the store).
    let carol = h.user("carol", "carol-password-1", false);
    let run = h.ok(
        &["login", "--email", &h.emu.email_of(&carol)],
        "carol-password-1\n",
    );
    assert!(run.stdout.contains(&carol.id), "{}", run.stdout);
    assert!(h.instance()["session"]["token"].is_string());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("exists").permissions().mode() & 0o777
        };
        assert_eq!(mode(&h.config_dir().join("credentials.json")), 0o600);
        assert_eq!(mode(&h.config_dir()), 0o700);
    }
    let who = h.json(&["whoami"], "");
    assert_eq!(who["username"], "carol");

    let dave = h.user("dave", "dave-password-1", true);
    let code = h.totp(&dave);
    let login = h.json(
        &["login", "--email", &h.emu.email_of(&dave)],
        &format!("dave-password-1\n{code}\n"),
    );
    assert_eq!(login["user_id"], dave.id.as_str());
    let sessions = h.ok(&["sessions"], "");
    assert!(sessions.stdout.contains("LAST USED"), "{}", sessions.stdout);

    // 2. Create an application with a loopback redirect URI.
    let port = free_port();
    let redirect = format!("http://127.0.0.1:{port}/callback");
    let app = h.json(
        &[
            "apps",
            "create",
            "--name",
            "Day app",
            "--redirect-uri",
            &redirect,
        ],
        "",
    );
    let app_id = app["id"].as_str().expect("an id").to_owned();
    assert!(
        app.get("client_secret").is_none(),
        "hidden without --show-secret"
    );
    assert!(app["bot"].get("token").is_none());
    let first_secret = h.instance()["apps"][&app_id]["client_secret"]
        .as_str()
        .expect("kept")
        .to_owned();
    assert!(h.ok(&["apps", "list"], "").stdout.contains("Day app"));
    assert_eq!(h.json(&["apps", "show", &app_id], "")["name"], "Day app");

    // 3. Rotate its secret under sudo (a TOTP code); the server's sudo-mode token is kept and the
    // next sudo command needs no code (its standard input is empty).
    let code = h.totp(&dave);
    let rotated = h.ok(&["apps", "rotate-secret", &app_id], &format!("{code}\n"));
    assert!(rotated.stdout.contains("Rotated"), "{}", rotated.stdout);
    let second_secret = h.instance()["apps"][&app_id]["client_secret"]
        .as_str()
        .expect("kept")
        .to_owned();
    assert_ne!(first_secret, second_secret);
    assert!(
        h.instance()["sudo_token"].is_string(),
        "the sudo-mode token is kept"
    );
    h.ok(&["apps", "reset-bot-token", &app_id], "");
    let shown = h.run_with(
        &["apps", "rotate-secret", &app_id, "--show-secret"],
        "",
        None,
    );
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let third_secret = h.instance()["apps"][&app_id]["client_secret"]
        .as_str()
        .expect("kept")
        .to_owned();
    assert!(
        shown.stdout.contains(&third_secret),
        "the secret asked for is printed"
    );
    h.runs.borrow_mut().last_mut().expect("a run").allowed = Some(third_secret.clone());

    // 4. An invite URL for the bot.
    let invite = h.json(
        &[
            "invite-url",
            "--app",
            &app_id,
            "--permissions",
            "send_messages,view_channel",
        ],
        "",
    );
    let url = invite["url"].as_str().expect("a URL");
    assert!(
        url.starts_with(&format!("{}/oauth2/authorize?", h.base())),
        "{url}"
    );
    assert!(url.contains(&format!("client_id={app_id}")), "{url}");
    assert!(url.contains("scope=bot"), "{url}");
    assert!(url.contains(&format!(
        "permissions={}",
        invite["permissions"].as_str().expect("bits")
    )));
    assert_ne!(invite["permissions"], "0");

    // 5. The loopback browser login, with a scripted browser.
    let (run, page) = browser_login(&h, &dave, &app_id, port);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("Logged in through the browser"),
        "{}",
        run.stdout
    );
    assert!(page.contains("Logged in"), "{page}");
    let access = h.instance()["apps"][&app_id]["tokens"]["access_token"]
        .as_str()
        .expect("kept")
        .to_owned();

    // 6. whoami with the resulting token.
    let me = h.json(&["whoami", "--app", &app_id], "");
    assert_eq!(me["user"]["id"], dave.id.as_str());
    assert_eq!(me["application"]["id"], app_id.as_str());
    assert!(
        h.ok(&["whoami", "--app", &app_id], "")
            .stdout
            .contains("dave")
    );

    // 7. Revoke: the token stops working.
    h.ok(&["token", "revoke", "--app", &app_id], "");
    assert!(h.instance()["apps"][&app_id].get("tokens").is_none());
    h.fails(&["whoami", "--token-stdin"], &format!("{access}\n"), 3);

    // 8. Log out: the session ends on the server and leaves the store.
    let session = h.instance()["session"]["token"]
        .as_str()
        .expect("kept")
        .to_owned();
    h.ok(&["logout"], "");
    assert!(!h.emu.session_is_valid(&session));
    assert!(h.instance().get("session").is_none());
    h.fails(&["sessions"], "", 3);

    h.assert_no_leak();
}

#[test]
fn a_password_user_confirms_sudo_with_the_password_each_time() {
    let h = Harness::new();
    let erin = h.user("erin", "erin-password-1", false);
    h.ok(
        &["login", "--email", &h.emu.email_of(&erin)],
        "erin-password-1\n",
    );
    let app = h.json(&["apps", "create", "--name", "Erin app"], "");
    let id = app["id"].as_str().expect("id").to_owned();
    h.fails(&["apps", "rotate-secret", &id], "wrong-password\n", 3);
    h.ok(&["apps", "rotate-secret", &id], "erin-password-1\n");
    assert!(
        h.instance().get("sudo_token").is_none(),
        "a password gives no sudo-mode token"
    );
    h.fails(&["apps", "delete", &id], "", 2);
    h.ok(&["apps", "delete", &id, "--yes"], "erin-password-1\n");
    h.fails(&["apps", "show", &id], "", 4);
    h.assert_no_leak();
}

#[test]
fn tokens_by_hand_authorize_url_exchange_refresh_introspect_revoke() {
    let h = Harness::new();
    let alice = h.emu.alice();
    h.secret(alice.session_token.clone());
    let session = h.emu.create_session(&alice);
    h.secret(session.clone());
    // A session token from the environment.
    let run = h
        .command(&["login"])
        .env("FLUXER_SESSION_TOKEN", &session)
        .output()
        .expect("runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let app = h.json(
        &[
            "apps",
            "create",
            "--name",
            "Web app",
            "--redirect-uri",
            "https://app.example/cb",
        ],
        "",
    );
    let id = app["id"].as_str().expect("id").to_owned();

    let url = h.json(
        &[
            "authorize-url",
            "--app",
            &id,
            "--redirect-uri",
            "https://app.example/cb",
            "--scope",
            "identify,email",
        ],
        "",
    )["url"]
        .as_str()
        .expect("a URL")
        .to_owned();
    assert!(url.contains("code_challenge="), "{url}");
    let redirect = h.consent(&alice, &url);
    let exchanged = h.json(
        &["token", "exchange", "--app", &id],
        &format!("{redirect}\n"),
    );
    assert_eq!(exchanged["scope"], "identify email");
    assert!(exchanged.get("access_token").is_none());

    let info = h.json(&["token", "introspect", "--app", &id], "");
    assert_eq!(info["active"], true);
    assert_eq!(info["sub"], alice.id.as_str());

    let before = h.instance()["apps"][&id]["tokens"]["refresh_token"]
        .as_str()
        .expect("kept")
        .to_owned();
    let refreshed = h.run_with(
        &[
            "token",
            "refresh",
            "--app",
            &id,
            "--show-secret",
            "refresh-token",
        ],
        "",
        None,
    );
    assert_eq!(refreshed.code, 0, "{}", refreshed.stderr);
    let after = h.instance()["apps"][&id]["tokens"]["refresh_token"]
        .as_str()
        .expect("kept")
        .to_owned();
    assert_ne!(before, after);
    assert!(refreshed.stdout.contains(&after));
    h.runs.borrow_mut().last_mut().expect("a run").allowed = Some(after.clone());

    // A second exchange of the same redirect is refused: no pending authorization is left.
    h.fails(
        &["token", "exchange", "--app", &id],
        &format!("{redirect}\n"),
        2,
    );

    // The same instance found by discovery from its address: the kept session applies.
    let origin = h.base().trim_end_matches("/v1").to_owned();
    let me = h.json(&["--instance", &origin, "whoami"], "");
    assert_eq!(me["id"], alice.id.as_str());

    let listed = h.json(&["authorizations", "list"], "");
    assert!(
        listed
            .as_array()
            .expect("a list")
            .iter()
            .any(|a| a["application"]["id"] == id.as_str()),
        "{listed}"
    );
    h.ok(
        &[
            "token",
            "revoke",
            "--app",
            &id,
            "--token-stdin",
            "--refresh",
        ],
        &format!("{after}\n"),
    );
    h.ok(&["authorizations", "revoke", &id], "");
    h.assert_no_leak();
}

#[test]
fn exit_codes_say_what_went_wrong() {
    let h = Harness::new();
    // Usage.
    h.fails(&["apps", "create"], "", 2);
    h.fails(
        &[
            "invite-url",
            "--app",
            "1",
            "--permissions",
            "not_a_permission",
        ],
        "",
        2,
    );
    h.fails(
        &[
            "browser-login",
            "--app",
            "1234567890123456789",
            "--port",
            "0",
        ],
        "x\n",
        2,
    );
    // Authentication: not logged in, then a wrong password.
    let run = h.fails(&["sessions"], "", 3);
    assert!(run.stderr.contains("fluxer-oauth2 login"), "{}", run.stderr);
    let frank = h.user("frank", "frank-password-1", false);
    h.fails(
        &["login", "--email", &h.emu.email_of(&frank)],
        "not-his-password\n",
        3,
    );
    h.ok(
        &["login", "--email", &h.emu.email_of(&frank)],
        "frank-password-1\n",
    );
    // Not found.
    h.fails(&["apps", "show", "1234567890123456780"], "", 4);
    // Rate limited: one listing per hour.
    let mut limits = RateLimitConfig::default();
    limits.routes.insert(
        "oauth_dev:clients:list".to_owned(),
        RouteLimit::new(1, Duration::from_secs(3600)),
    );
    h.emu.set_rate_limits(Some(limits));
    h.ok(&["apps", "list"], "");
    let run = h.fails(&["--json", "apps", "list"], "", 5);
    let error: Value = serde_json::from_str(&run.stdout).expect("a JSON error");
    assert_eq!(error["error"]["kind"], "rate_limited");
    h.emu.set_rate_limits(None);
    // Server error.
    h.emu
        .set_fault(Fault::ServerError { status: 503 }.on_path("/users/@me/applications"));
    h.fails(&["apps", "list"], "", 6);
    h.emu.clear_faults();
    // Unreachable.
    let port = free_port();
    let run = Command::new(BIN)
        .env("FLUXER_OAUTH2_CONFIG_DIR", h.config_dir())
        .args([
            "--api-base",
            &format!("http://127.0.0.1:{port}/v1"),
            "login",
        ])
        .env("FLUXER_SESSION_TOKEN", "flx_not_sent_anywhere_real")
        .timeout(COMMAND_LIMIT)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(7), "{stderr}");
    assert!(!stderr.contains("flx_not_sent_anywhere_real"), "{stderr}");
    h.assert_no_leak();
}

/// The subcommands listed under "Commands:" in a help text.
fn subcommands(help: &str) -> Vec<String> {
    let mut in_commands = false;
    let mut names = Vec::new();
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if in_commands {
            if !line.starts_with("  ") {
                break;
            }
            if let Some(name) = line.split_whitespace().next()
                && name != "help"
            {
                names.push(name.to_owned());
            }
        }
    }
    names
}

#[test]
fn help_exits_zero_for_the_binary_and_every_subcommand() {
    let mut queue = vec![Vec::<String>::new()];
    let mut seen = 0;
    while let Some(path) = queue.pop() {
        seen += 1;
        assert!(seen < 100, "a bounded walk");
        let output = Command::new(BIN)
            .args(&path)
            .arg("--help")
            .timeout(COMMAND_LIMIT)
            .output()
            .expect("runs");
        assert!(output.status.success(), "{path:?} --help failed");
        let help = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(help.contains("Usage:"), "{path:?}: {help}");
        for name in subcommands(&help) {
            let mut next = path.clone();
            next.push(name);
            queue.push(next);
        }
    }
    assert!(seen >= 20, "every command was visited ({seen})");
}
