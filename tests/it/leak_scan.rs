//! Leak scan: a full tour of the crate against the emulator (applications, consent, exchange, user
//! info, refresh, introspection, revocation, the token manager, sudo mode with a password and with
//! TOTP, credential resets, deletion) and a dozen error paths, with tracing captured at TRACE (the
//! crate's spans and events, and the `log` records of the HTTP stack) and the `Debug`, pretty
//! `Debug` and `Display` of every public value and error collected. None of the secrets the
//! emulator issued or the tour used may appear anywhere in that text.

use std::{
    fmt::{Debug, Display, Write as _},
    net::Ipv4Addr,
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::common::{
    emulator::{
        self, REDIRECT_URI, authorize_request, builder_for, code_for, consent_body, create_app,
        exchange,
    },
    lock,
    raw_server::{RawServer, Reply},
};
use fluxer_oauth2::{
    ApplicationId, Credential, Error, Secret, SudoVerification,
    oauth::{
        Callback, ClientAuth, ClientCredentials, CsrfState, MemoryStore, Scope, TokenKind,
        TokenManager,
    },
    types,
};
use fluxer_oauth2_emulator::{Emulator, Fault};
use tracing_subscriber::{fmt::format::FmtSpan, util::SubscriberInitExt as _};

/// A writer into a shared buffer, for the tracing subscriber.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything shown, and every secret that must not be.
#[derive(Default)]
struct Scan {
    shown: String,
    values: usize,
    secrets: Vec<(String, String)>,
}

impl Scan {
    fn debug<T: Debug>(&mut self, value: &T) {
        let _ = writeln!(self.shown, "{value:?}");
        let _ = writeln!(self.shown, "{value:#?}");
        self.values += 1;
    }

    fn display<T: Debug + Display>(&mut self, value: &T) {
        self.debug(value);
        let _ = writeln!(self.shown, "{value}");
    }

    fn error(&mut self, err: &Error) {
        self.display(err);
        let mut source = std::error::Error::source(err);
        while let Some(inner) = source {
            let _ = writeln!(self.shown, "{inner} / {inner:?}");
            source = inner.source();
        }
    }

    /// Records an error the tour expects, and checks its kind.
    fn expect_err<T: Debug>(
        &mut self,
        result: Result<T, Error>,
        what: &str,
        ok: fn(&Error) -> bool,
    ) {
        match result {
            Err(e) => {
                assert!(ok(&e), "{what}: unexpected error {e:?}");
                self.error(&e);
            }
            Ok(v) => panic!("{what}: expected an error, got {v:?}"),
        }
    }

    fn secret(&mut self, label: &str, value: &str) {
        assert!(value.len() >= 6, "{label} is a real secret");
        self.secrets.push((label.to_owned(), value.to_owned()));
    }

    fn secret_of(&mut self, label: &str, value: &Secret) {
        self.secret(label, value.expose_secret());
    }

    /// A bot token and its secret part (after the application id).
    fn bot_token(&mut self, label: &str, token: &Secret) {
        self.secret_of(label, token);
        if let Some((_, part)) = token.expose_secret().split_once('.') {
            self.secret(&format!("{label} (secret part)"), part);
        }
    }
}

/// Whether `needle` occurs in `hay`; an all-digit needle (a TOTP code) only as a whole number, so
/// that ids and timestamps that happen to contain its digits do not count.
fn occurs(hay: &str, needle: &str) -> Option<usize> {
    if !needle.bytes().all(|b| b.is_ascii_digit()) {
        return hay.find(needle);
    }
    let bytes = hay.as_bytes();
    hay.match_indices(needle).map(|(i, _)| i).find(|&i| {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        let after = bytes.get(i + needle.len()).copied();
        !before.is_some_and(|b| b.is_ascii_digit()) && !after.is_some_and(|b| b.is_ascii_digit())
    })
}

#[test]
fn no_secret_shows_in_logs_debug_or_display() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let mut scan = Scan::default();
    {
        let _guard = subscriber.set_default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(30), tour(&mut scan))
                .await
                .expect("the tour ran over its time limit");
        });
    }
    let logs = String::from_utf8_lossy(&lock(&capture.0)).into_owned();
    if let Ok(path) = std::env::var("FLUXER_LEAK_SCAN_DUMP") {
        std::fs::write(path, format!("{logs}\n{}", scan.shown)).expect("the dump is written");
    }

    // The scan can fail: the capture holds the tour.
    assert!(
        logs.len() > 10_000,
        "the trace capture is too small: {}",
        logs.len()
    );
    for op in [
        "fluxer_oauth2.call",
        "create_oauth_application",
        "provide_oauth2_consent",
        "exchange_oauth2_token",
        "get_oauth2_userinfo",
        "introspect_oauth2_token",
        "revoke_oauth2_token",
        "reset_client_secret",
        "reset_bot_token",
        "delete_oauth_application",
    ] {
        assert!(logs.contains(op), "the trace capture names {op}");
    }
    for word in [
        "[redacted]",
        "invalid_grant",
        "invalid_client",
        "SudoRequired",
        "[masked]",
    ] {
        assert!(scan.shown.contains(word), "the values shown include {word}");
    }

    let everything = format!("{logs}\n{}", scan.shown);
    let mut leaks = Vec::new();
    for (label, secret) in &scan.secrets {
        if let Some(at) = occurs(&everything, secret) {
            let mut start = at.saturating_sub(60);
            while !everything.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (at + secret.len() + 20).min(everything.len());
            while !everything.is_char_boundary(end) {
                end += 1;
            }
            leaks.push(format!("{label}: …{}…", &everything[start..end]));
        }
    }
    println!(
        "leak scan: {} bytes of TRACE output, {} values shown ({} bytes of Debug/Display), {} secrets checked, {} leaks",
        logs.len(),
        scan.values,
        scan.shown.len(),
        scan.secrets.len(),
        leaks.len()
    );
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
}

async fn tour(scan: &mut Scan) {
    let emu = Emulator::start().await;
    let alice = emu.alice();
    let bob = emu.bob();
    scan.secret("alice's session token", &alice.session_token);
    scan.secret("bob's session token", &bob.session_token);
    let password = alice.password.clone().expect("alice has a password");
    scan.secret("alice's password", &password);

    // Applications, as alice.
    let session = emulator::session(&emu, &alice);
    scan.debug(&session);
    scan.debug(&Credential::session(alice.session_token.as_str()));
    let anonymous = session.with_credential(None);
    let app = create_app(&session, "Leak scan", &[REDIRECT_URI]).await;
    scan.debug(&app.created);
    let (app_id, client_secret, bot_token) = (app.id, app.secret, app.bot_token);
    scan.secret_of("client secret", &client_secret);
    scan.bot_token("bot token", &bot_token);
    scan.debug(
        &session
            .get_oauth_application()
            .id(&app_id)
            .send()
            .await
            .expect("read"),
    );
    scan.debug(
        &session
            .update_oauth_application()
            .id(&app_id)
            .body(
                types::ApplicationUpdateRequest::builder()
                    .name(Some("Leak scan (renamed)".try_into().expect("a name"))),
            )
            .send()
            .await
            .expect("updated"),
    );
    scan.debug(
        &anonymous
            .get_public_application()
            .id(&app_id)
            .send()
            .await
            .expect("public"),
    );
    scan.debug(
        &session
            .list_user_applications()
            .send()
            .await
            .expect("listed"),
    );
    scan.debug(
        &session
            .get_oauth_applications_me()
            .send()
            .await
            .expect("mine"),
    );
    let bot = session.with_credential(Credential::Bot(bot_token.clone()));
    scan.debug(&bot);
    scan.debug(
        &bot.get_current_user_applications()
            .send()
            .await
            .expect("bot's app"),
    );
    scan.debug(
        &bot.get_oauth_applications_me()
            .send()
            .await
            .expect("bot's app"),
    );
    scan.debug(
        &session
            .update_bot_profile()
            .id(&app_id)
            .body(
                types::BotProfileUpdateRequest::builder()
                    .bio(Some(fluxer_oauth2::Clearable::Set("bio".to_owned()))),
            )
            .send()
            .await
            .expect("profile"),
    );

    // The authorization-code flow.
    let credentials = ClientCredentials::new(&app_id, client_secret.clone()).expect("an id");
    scan.debug(&credentials);
    let request = authorize_request(&session, &app_id, &[Scope::Identify, Scope::Email]);
    scan.secret("state", request.state.expose_secret());
    scan.secret(
        "PKCE verifier",
        request
            .pkce_verifier
            .as_ref()
            .expect("PKCE")
            .expose_secret(),
    );
    scan.debug(&request);
    let answer = session
        .provide_oauth2_consent()
        .body(consent_body(&request))
        .send()
        .await
        .expect("consent");
    scan.debug(&answer);
    let redirect = answer.redirect_to.expose_secret().to_owned();
    let callback = Callback::parse(&redirect).expect("a callback");
    scan.debug(&callback);
    scan.expect_err(
        Callback::finish(&redirect, &CsrfState::generate()).map_err(Error::from),
        "a forged state",
        |e| matches!(e, Error::Callback(_)),
    );
    let code = callback
        .verify_state(&request.state)
        .expect("the state matches");
    scan.secret_of("authorization code", &code);
    let pair = exchange(&anonymous, &credentials, &code, &request)
        .await
        .expect("exchanged");
    scan.debug(&pair);
    scan.secret_of("access token", &pair.access_token);
    scan.secret_of("refresh token", &pair.refresh_token);
    scan.expect_err(
        exchange(&anonymous, &credentials, &code, &request).await,
        "a code used twice",
        |e| e.oauth_kind().is_some(),
    );
    let user = session.with_credential(Credential::Bearer(pair.access_token.clone()));
    scan.debug(&user);
    scan.debug(&user.get_oauth2_userinfo().send().await.expect("userinfo"));
    scan.debug(&user.get_current_user_oauth2().send().await.expect("@me"));
    let refreshed = anonymous
        .refresh_token(&credentials, &pair.refresh_token)
        .await
        .expect("refreshed");
    scan.debug(&refreshed);
    scan.secret_of("refreshed access token", &refreshed.access_token);
    scan.secret_of("refreshed refresh token", &refreshed.refresh_token);
    scan.expect_err(
        anonymous
            .refresh_token(&credentials, &pair.refresh_token)
            .await,
        "a spent refresh token",
        |e| e.oauth_kind().is_some(),
    );
    scan.debug(
        &anonymous
            .introspect(&credentials, &refreshed.access_token)
            .await
            .expect("introspected"),
    );
    let basic = credentials.clone().with_auth(ClientAuth::Basic);
    scan.debug(&basic);
    scan.debug(
        &anonymous
            .introspect(&basic, &refreshed.refresh_token)
            .await
            .expect("introspected"),
    );
    let wrong_secret = "wrong-client-secret-0123456789";
    scan.secret("a wrong client secret", wrong_secret);
    scan.expect_err(
        anonymous
            .introspect(
                &ClientCredentials::new(&app_id, wrong_secret).expect("an id"),
                &refreshed.access_token,
            )
            .await,
        "a wrong client secret",
        |e| e.oauth_kind().is_some(),
    );
    scan.expect_err(
        ClientCredentials::new(client_secret.expose_secret(), app_id.as_str()).map(drop),
        "the secret passed as the id",
        |e| matches!(e, Error::InvalidInput { .. }),
    );
    anonymous
        .revoke(
            &credentials,
            &refreshed.refresh_token,
            TokenKind::RefreshToken,
        )
        .await
        .expect("revoked");
    scan.expect_err(
        session
            .with_credential(Credential::Bearer(refreshed.access_token.clone()))
            .get_oauth2_userinfo()
            .send()
            .await,
        "a revoked access token",
        |e| e.status() == Some(401),
    );
    scan.expect_err(
        bot.list_user_applications().send().await,
        "the wrong credential",
        |e| matches!(e, Error::CredentialNotAccepted { .. }),
    );

    // A token manager over a new authorization.
    let request = authorize_request(&session, &app_id, &[Scope::Identify]);
    scan.secret("state (2)", request.state.expose_secret());
    scan.secret(
        "PKCE verifier (2)",
        request
            .pkce_verifier
            .as_ref()
            .expect("PKCE")
            .expose_secret(),
    );
    let code = code_for(&session, &request).await;
    scan.secret_of("authorization code (2)", &code);
    let second = exchange(&anonymous, &credentials, &code, &request)
        .await
        .expect("exchanged");
    scan.secret_of("access token (2)", &second.access_token);
    scan.secret_of("refresh token (2)", &second.refresh_token);
    let store = Arc::new(MemoryStore::new());
    let manager = TokenManager::builder(
        anonymous.clone(),
        credentials.clone(),
        store.clone(),
        Some(second),
    )
    .build()
    .await
    .expect("a manager");
    scan.debug(&manager);
    scan.debug(&store);
    scan.debug(
        &manager
            .call(|c| async move { c.get_oauth2_userinfo().send().await })
            .await
            .expect("userinfo"),
    );
    scan.debug(
        &manager
            .get_json::<serde_json::Value>("/oauth2/@me")
            .await
            .expect("@me"),
    );
    scan.debug(&manager.tokens());
    scan.debug(&manager.client().await.expect("a client"));

    // The answer of a proxy that echoes the tokens in an error page, and a broken token answer.
    let leaky = leaky_proxy(&second_tokens(&manager)).await;
    let via_proxy = builder_for(&leaky.base_url()).build().expect("a client");
    let holder =
        via_proxy.with_credential(Credential::Bearer(manager.tokens().access_token.clone()));
    for _ in 0..3 {
        scan.expect_err(
            holder.get_oauth2_userinfo().send().await,
            "a proxy page",
            |e| matches!(e, Error::Server { .. } | Error::Decode { .. }),
        );
    }
    scan.expect_err(
        via_proxy
            .refresh_token(&credentials, &manager.tokens().refresh_token)
            .await,
        "a token answer cut short",
        |e| matches!(e, Error::Decode { .. } | Error::Server { .. }),
    );
    emu.set_fault(Fault::TruncatedJson.on_path("/oauth2/token").times(1));
    scan.expect_err(
        anonymous
            .refresh_token(&credentials, &manager.tokens().refresh_token)
            .await,
        "a truncated answer",
        |e| matches!(e, Error::Decode { .. }),
    );
    let refused = builder_for("http://127.0.0.1:1/v1")
        .credential(Credential::Bearer(manager.tokens().access_token.clone()))
        .build()
        .expect("a client");
    scan.expect_err(
        refused.get_oauth2_userinfo().send().await,
        "nothing listens",
        |e| matches!(e, Error::Transport { .. }),
    );

    // Authorizations.
    scan.debug(
        &session
            .list_user_oauth2_authorizations()
            .send()
            .await
            .expect("listed"),
    );
    session
        .delete_user_oauth2_authorization()
        .application_id(&app_id)
        .send()
        .await
        .expect("deleted");
    session
        .bulk_delete_user_oauth2_authorizations()
        .body(types::OAuth2AuthorizationsBulkRevokeRequest {
            application_ids: vec![ApplicationId::parse(&app_id).expect("an id")],
        })
        .send()
        .await
        .expect("bulk deleted");

    // Sudo mode with a password.
    scan.debug(
        &session
            .get_sudo_mfa_methods()
            .send()
            .await
            .expect("methods"),
    );
    scan.expect_err(
        session
            .reset_client_secret()
            .id(&app_id)
            .sudo(None)
            .send()
            .await,
        "no proof",
        |e| matches!(e, Error::SudoRequired { .. }),
    );
    let wrong_password = "not-the-password-42";
    scan.secret("a wrong password", wrong_password);
    scan.expect_err(
        session
            .reset_client_secret()
            .id(&app_id)
            .sudo(Some(&SudoVerification::password(wrong_password)))
            .send()
            .await,
        "a wrong password",
        |e| e.status().is_some(),
    );
    let proof = SudoVerification::password(password.as_str());
    scan.debug(&proof);
    let rotated = session
        .reset_client_secret()
        .id(&app_id)
        .sudo(Some(&proof))
        .send()
        .await
        .expect("rotated");
    scan.debug(&rotated);
    scan.secret_of(
        "rotated client secret",
        rotated.client_secret.as_ref().expect("a secret"),
    );
    let reset = session
        .reset_bot_token()
        .id(&app_id)
        .sudo(Some(&proof))
        .send()
        .await
        .expect("reset");
    scan.debug(&reset);
    scan.bot_token("reset bot token", &reset.token);
    scan.expect_err(
        bot.get_current_user_applications().send().await,
        "an old bot token",
        |e| e.status() == Some(401),
    );
    session
        .delete_oauth_application()
        .id(&app_id)
        .sudo(Some(&proof))
        .send()
        .await
        .expect("deleted");

    // Sudo mode with TOTP, as bob.
    let bob_session = emulator::session(&emu, &bob);
    scan.debug(
        &bob_session
            .get_sudo_mfa_methods()
            .send()
            .await
            .expect("methods"),
    );
    let bob_app = bob_session
        .create_oauth_application()
        .body(types::ApplicationCreateRequest::builder().name("Bob's"))
        .send()
        .await
        .expect("created");
    let bob_id = bob_app.id.to_string();
    scan.secret_of(
        "bob's client secret",
        bob_app.client_secret.as_ref().expect("a secret"),
    );
    scan.bot_token(
        "bob's bot token",
        bob_app
            .bot
            .as_ref()
            .and_then(|b| b.token.as_ref())
            .expect("a token"),
    );
    scan.expect_err(
        bob_session
            .reset_client_secret()
            .id(&bob_id)
            .sudo(None)
            .send()
            .await,
        "no proof",
        |e| matches!(e, Error::SudoRequired { has_mfa: true, .. }),
    );
    let code = emu.totp_now(&bob);
    let wrong = format!(
        "{:06}",
        (code.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    scan.secret("a wrong TOTP code", &wrong);
    scan.expect_err(
        bob_session
            .reset_client_secret()
            .id(&bob_id)
            .sudo(Some(&SudoVerification::totp(wrong.as_str())))
            .send()
            .await,
        "a wrong TOTP code",
        |e| e.status().is_some(),
    );
    scan.secret("TOTP code", &code);
    let totp = SudoVerification::totp(code.as_str());
    scan.debug(&totp);
    let rotated = bob_session
        .reset_client_secret()
        .id(&bob_id)
        .sudo(Some(&totp))
        .send()
        .await
        .expect("rotated");
    scan.secret_of(
        "bob's rotated client secret",
        rotated.client_secret.as_ref().expect("a secret"),
    );
    let reset = bob_session
        .reset_bot_token()
        .id(&bob_id)
        .sudo(None)
        .send()
        .await
        .expect("rides on the sudo token");
    scan.bot_token("bob's reset bot token", &reset.token);
    bob_session
        .delete_oauth_application()
        .id(&bob_id)
        .sudo(None)
        .send()
        .await
        .expect("deleted");
    scan.debug(&bob_session);

    // The sudo-mode tokens the server issued, as the client sent them back.
    let sudo_tokens: Vec<String> = emu
        .requests()
        .iter()
        .filter_map(|r| r.header("x-fluxer-sudo-mode-jwt").map(str::to_owned))
        .collect();
    assert!(!sudo_tokens.is_empty(), "the client used a sudo-mode token");
    for token in sudo_tokens {
        scan.secret("sudo-mode token", &token);
    }
    scan.secret("a sudo-mode token minted now", &emu.sudo_token_for(&bob));

    // The secrets are the real ones: the matcher finds each in what went over the wire.
    let wire: String = emu
        .requests()
        .iter()
        .map(|r| {
            let headers: Vec<String> = r.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
            format!(
                "{} {}\n{}\n{}\n",
                r.method,
                r.path,
                headers.join("\n"),
                r.body_text()
            )
        })
        .collect();
    let mut on_wire = 0;
    for (label, secret) in &scan.secrets {
        let expected = !label.contains("rotated")
            && !label.contains("reset bot token")
            && !label.contains("minted")
            && !label.contains("(secret part)")
            && label != "bob's client secret"
            && label != "bob's bot token";
        if expected {
            assert!(
                occurs(&wire, secret).is_some(),
                "{label} went over the wire"
            );
            on_wire += 1;
        }
    }
    assert!(on_wire >= 20, "{on_wire} secrets seen on the wire");
    println!(
        "leak scan: {on_wire} of the {} secrets went over the wire and were found there by the matcher",
        scan.secrets.len()
    );
    emu.shutdown().await;
}

/// The access and refresh tokens the manager holds now.
fn second_tokens(manager: &TokenManager) -> (String, String) {
    let tokens = manager.tokens();
    (
        tokens.access_token.expose_secret().to_owned(),
        tokens.refresh_token.expose_secret().to_owned(),
    )
}

/// A raw server that answers, in turn, a 502 page, a 200 HTML page and a 200 JSON answer cut in
/// the middle, each with the real tokens in it.
async fn leaky_proxy(tokens: &(String, String)) -> RawServer {
    let (access, refresh) = tokens.clone();
    RawServer::answering(Ipv4Addr::LOCALHOST, move |index, _| {
        let (status, ctype, body) = match index % 4 {
            0 => (
                502,
                "text/html",
                format!("<html>upstream said: Bearer {access} / {refresh}</html>"),
            ),
            1 => (
                200,
                "text/html",
                format!("<p>token={access}&refresh={refresh}</p>"),
            ),
            2 => (503, "text/plain", format!("{access}\n{refresh}")),
            _ => (
                200,
                "application/json",
                format!(r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_in":"#),
            ),
        };
        Reply::new(status, ctype, body)
    })
    .await
}
