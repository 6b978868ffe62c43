//! Failure handling against the emulator, through the crate's public API: rate limits (route and
//! global), and injected faults (dropped connections, proxy 5xx pages, non-JSON and oversized bodies,
//! slow and hanging answers, a closed port), each followed by a call that works again.

use std::time::{Duration, Instant};

use crate::common::{
    bounded,
    emulator::{
        App, REDIRECT_URI, anonymous, authorize_request, builder, code_for, create_app, session,
    },
};
use fluxer_oauth2::{
    Credential, Error, FluxerClient, OAuthErrorKind, RetryPolicy, Secret, TransportKind,
    oauth::{PkceVerifier, Scope},
};
use fluxer_oauth2_emulator::{Emulator, Fault, RateLimitConfig};

/// A refresh of `token` with the application's credentials is answered `invalid_grant`.
async fn assert_refresh_refused(client: &FluxerClient, app: &App, token: &Secret) {
    let err = client
        .refresh_token(&app.credentials(), token)
        .await
        .unwrap_err();
    assert_eq!(
        err.oauth_kind(),
        Some(&OAuthErrorKind::InvalidGrant),
        "{err:?}"
    );
}

/// A route limit of 3 token calls per second (one more fits every 333 ms).
fn token_limit() -> RateLimitConfig {
    RateLimitConfig::default().with_route("oauth:token", 3, Duration::from_secs(1))
}

#[tokio::test]
async fn a_burst_of_token_calls_waits_for_the_rate_limit_or_reports_it() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "Burst app", &[REDIRECT_URI]).await;
        // Eight codes, obtained before the limits are on.
        let mut codes = Vec::new();
        for _ in 0..8 {
            let request = authorize_request(&alice, &app.id, &[Scope::Identify]);
            let code = code_for(&alice, &request).await;
            let verifier = request.pkce_verifier.expect("PKCE is on");
            codes.push((code, verifier.expose_secret().to_owned()));
        }

        emu.set_rate_limits(Some(token_limit()));
        let budget = RetryPolicy {
            max_retries: 5,
            max_total_wait: Duration::from_millis(1500),
        };
        let client = builder(&emu).retry_policy(budget).build().unwrap();
        let creds = app.credentials();
        let mut tasks = Vec::new();
        for (code, verifier) in codes.clone() {
            let (client, creds) = (client.clone(), creds.clone());
            tasks.push(tokio::spawn(async move {
                let verifier = PkceVerifier::new(verifier).unwrap();
                let started = Instant::now();
                let result = client
                    .exchange_code_with(&creds, &code, REDIRECT_URI, Some(&verifier))
                    .await;
                (result, started.elapsed())
            }));
        }
        let mut succeeded = 0;
        let mut limited = Vec::new();
        for task in tasks {
            let (result, elapsed) = task.await.expect("no task panicked");
            assert!(
                elapsed < budget.max_total_wait + Duration::from_secs(2),
                "a call took {elapsed:?}, beyond its retry budget"
            );
            match result {
                Ok(tokens) => {
                    assert_eq!(tokens.scope, "identify");
                    succeeded += 1;
                }
                Err(Error::RateLimited {
                    retry_after,
                    global,
                    info,
                    ..
                }) => {
                    assert!(!global, "the route limit, not the global one");
                    assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(1));
                    assert_eq!(info.limit, Some(3));
                    assert_eq!(info.remaining, Some(0));
                    assert_eq!(info.bucket.as_deref().map(str::len), Some(16));
                    limited.push(retry_after);
                }
                Err(other) => panic!("expected success or RateLimited, got {other:?}"),
            }
        }
        assert_eq!(succeeded + limited.len(), 8);
        assert!(
            succeeded > 3,
            "besides the 3 that fit at once, calls that waited succeeded too ({succeeded})"
        );
        let sent = emu.count_token_requests("authorization_code");
        assert!(sent > 8, "the 429s were retried ({sent} requests)");
        assert!(sent <= 8 * (1 + budget.max_retries as usize));

        // A 429 does not spend a code: with the limits off, the codes that never got through redeem.
        emu.set_rate_limits(None);
        let mut redeemed = 0;
        for (code, verifier) in &codes {
            let verifier = PkceVerifier::new(verifier.as_str()).unwrap();
            if client
                .exchange_code_with(&creds, code, REDIRECT_URI, Some(&verifier))
                .await
                .is_ok()
            {
                redeemed += 1;
            }
        }
        assert_eq!(redeemed, limited.len());
    })
    .await;
}

#[tokio::test]
async fn without_retries_a_429_comes_back_at_once_with_the_wait() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "Limited app", &[]).await;
        // 3 per 2 s: one more fits every 667 ms, so the wait is not a whole number of seconds.
        emu.set_rate_limits(Some(RateLimitConfig::default().with_route(
            "oauth:token",
            3,
            Duration::from_secs(2),
        )));
        let client = anonymous(&emu);
        let garbage = Secret::new("not-a-refresh-token");

        for _ in 0..3 {
            assert_refresh_refused(&client, &app, &garbage).await;
        }
        let err = client
            .refresh_token(&app.credentials(), &garbage)
            .await
            .unwrap_err();
        assert_eq!(emu.count_token_requests("refresh_token"), 4, "no retry");
        assert_eq!(err.status(), Some(429));
        let Error::RateLimited {
            operation,
            retry_after,
            raw_retry_after: None,
            global,
            info,
        } = &err
        else {
            panic!("expected RateLimited, got {err:?}")
        };
        assert_eq!(*operation, "exchange_oauth2_token");
        assert!(!global);
        // The body's decimal wait, not the header's whole seconds.
        assert!(
            *retry_after > Duration::ZERO && *retry_after < Duration::from_millis(700),
            "the body's decimal retry_after is used: {retry_after:?}"
        );
        assert_eq!(info.retry_after, Some(Duration::from_secs(1)));
        assert!(info.reset_after.is_some_and(|r| r > *retry_after));
        assert!(err.to_string().contains("rate limited"), "{err}");
        assert_eq!(info.limit, Some(3));

        // Honouring the wait is enough for one more call.
        tokio::time::sleep(*retry_after).await;
        assert_refresh_refused(&client, &app, &garbage).await;
    })
    .await;
}

#[tokio::test]
async fn a_session_that_hits_the_global_limit_is_revoked() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice_user = emu.alice();
        let alice = session(&emu, &alice_user);
        emu.set_rate_limits(Some(
            RateLimitConfig::default().with_global(5, Duration::from_secs(1)),
        ));
        let mut limited = None;
        for _ in 0..10 {
            match alice.list_user_applications().send().await {
                Ok(_) => continue,
                Err(err) => {
                    limited = Some(err);
                    break;
                }
            }
        }
        let err = limited.expect("the global limit was reached");
        let Error::RateLimited {
            global,
            retry_after,
            ..
        } = &err
        else {
            panic!("expected RateLimited, got {err:?}")
        };
        assert!(*global);
        assert!(err.to_string().contains("revoked"), "{err}");
        assert!(!emu.session_is_valid(&alice_user.session_token));

        tokio::time::sleep(*retry_after).await;
        let err = alice.list_user_applications().send().await.unwrap_err();
        assert!(
            matches!(err, Error::SessionRevoked { .. }),
            "a 401 after a global 429 means the session was revoked: {err:?}"
        );
        assert_eq!(err.status(), Some(401));

        // A new session works.
        let fresh = alice.with_credential(Credential::session(emu.create_session(&alice_user)));
        tokio::time::sleep(Duration::from_secs(1)).await;
        fresh.list_user_applications().send().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_dropped_connection_is_a_transport_error() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        emu.set_fault(Fault::DropConnection.on_path("/users/@me/applications"));
        let err = alice.list_user_applications().send().await.unwrap_err();
        match &err {
            Error::Transport {
                operation, kind, ..
            } => {
                assert_eq!(*operation, "list_user_applications");
                assert_ne!(*kind, TransportKind::Timeout, "{err}");
            }
            other => panic!("expected Transport, got {other:?}"),
        }
        assert_eq!(err.status(), None);
        // Other paths are unaffected; after clearing, this one works again.
        alice.get_sudo_mfa_methods().send().await.unwrap();
        emu.clear_faults();
        assert!(
            alice
                .list_user_applications()
                .send()
                .await
                .unwrap()
                .is_empty()
        );

        // A token call that broke mid-way is not sent again: the code may have been spent.
        let app = create_app(&alice, "Dropped app", &[REDIRECT_URI]).await;
        let request = authorize_request(&alice, &app.id, &[Scope::Identify]);
        let code = code_for(&alice, &request).await;
        let retrying = builder(&emu)
            .retry_policy(RetryPolicy::default())
            .build()
            .unwrap();
        emu.set_fault(Fault::DropConnection.on_path("/oauth2/token"));
        let err = retrying
            .exchange_code_with(
                &app.credentials(),
                &code,
                REDIRECT_URI,
                request.pkce_verifier.as_ref(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{err:?}");
        assert_eq!(emu.count_token_requests("authorization_code"), 1);
        emu.clear_faults();
        retrying
            .exchange_code_with(
                &app.credentials(),
                &code,
                REDIRECT_URI,
                request.pkce_verifier.as_ref(),
            )
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_proxy_error_page_is_a_server_error() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "Behind a proxy", &[]).await;
        emu.set_fault(Fault::ServerError { status: 503 }.on_path("/oauth2/applications"));
        let err = alice
            .get_oauth_application()
            .id(&app.id)
            .send()
            .await
            .unwrap_err();
        match &err {
            Error::Server {
                status, snippet, ..
            } => {
                assert_eq!(*status, 503);
                assert!(snippet.contains("503"), "{snippet}");
            }
            other => panic!("expected Server, got {other:?}"),
        }
        assert_eq!(err.status(), Some(503));
        assert!(err.to_string().contains("try again later"), "{err}");
        emu.clear_faults();
        alice
            .get_oauth_application()
            .id(&app.id)
            .send()
            .await
            .unwrap();

        // A fault limited to one request.
        emu.set_fault(Fault::ServerError { status: 502 }.times(1));
        let err = alice.list_user_applications().send().await.unwrap_err();
        assert_eq!(err.status(), Some(502), "{err:?}");
        alice.list_user_applications().send().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_non_json_200_is_a_decode_error() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let anon = anonymous(&emu);
        let app = create_app(&alice, "Decode app", &[]).await;
        let token = Secret::new("some-token");

        emu.set_fault(Fault::NonJsonBody.on_path("/oauth2/introspect"));
        let err = anon
            .introspect(&app.credentials(), &token)
            .await
            .unwrap_err();
        match &err {
            Error::Decode {
                status, snippet, ..
            } => {
                assert_eq!(*status, 200);
                assert!(snippet.contains("<html>"), "{snippet}");
            }
            other => panic!("expected Decode, got {other:?}"),
        }
        assert_eq!(err.status(), Some(200));
        emu.clear_faults();
        assert!(
            !anon
                .introspect(&app.credentials(), &token)
                .await
                .unwrap()
                .active
        );

        // JSON cut in the middle: a Decode error too, and nothing of the body that looks like a token
        // is shown.
        emu.set_fault(Fault::TruncatedJson.on_path("/oauth2/token"));
        let err = anon
            .refresh_token(&app.credentials(), &token)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Decode { status: 200, .. }),
            "expected Decode, got {err:?}"
        );
        emu.clear_faults();
        assert_refresh_refused(&anon, &app, &token).await;
    })
    .await;
}

#[tokio::test]
async fn a_slow_or_hanging_answer_times_out() {
    bounded(async {
        let emu = Emulator::start().await;
        let user = emu.alice();
        let quick: FluxerClient = builder(&emu)
            .timeout(Duration::from_millis(300))
            .credential(Credential::session(user.session_token.as_str()))
            .build()
            .unwrap();

        for fault in [Fault::Delay(Duration::from_secs(3)), Fault::Hang] {
            emu.set_fault(fault.clone().on_path("/users/@me/sudo/mfa-methods"));
            let started = Instant::now();
            let err = quick.get_sudo_mfa_methods().send().await.unwrap_err();
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{fault:?}: gave up after {:?}",
                started.elapsed()
            );
            match &err {
                Error::Transport { kind, .. } => {
                    assert_eq!(*kind, TransportKind::Timeout, "{fault:?}: {err}")
                }
                other => panic!("{fault:?}: expected a Transport timeout, got {other:?}"),
            }
            emu.clear_faults();
        }
        quick.get_sudo_mfa_methods().send().await.unwrap();

        // A delay within the timeout is just slow.
        emu.set_fault(Fault::Delay(Duration::from_millis(50)));
        quick.get_sudo_mfa_methods().send().await.unwrap();
        emu.clear_faults();
    })
    .await;
}

#[tokio::test]
async fn an_oversized_answer_is_not_read_past_the_limit() {
    bounded(async {
        let emu = Emulator::start().await;
        let user = emu.alice();
        let capped = builder(&emu)
            .max_response_bytes(64 * 1024)
            .credential(Credential::session(user.session_token.as_str()))
            .build()
            .unwrap();

        emu.set_fault(
            Fault::OversizedBody { bytes: 1024 * 1024 }.on_path("/users/@me/applications"),
        );
        let err = capped.list_user_applications().send().await.unwrap_err();
        match &err {
            Error::ResponseTooLarge { operation, limit } => {
                assert_eq!(*operation, "list_user_applications");
                assert_eq!(*limit, 64 * 1024);
            }
            other => panic!("expected ResponseTooLarge, got {other:?}"),
        }
        assert!(err.to_string().contains("max_response_bytes"), "{err}");

        // Under the limit the body is read, and is then simply not JSON.
        emu.clear_faults();
        emu.set_fault(Fault::OversizedBody { bytes: 16 * 1024 }.on_path("/users/@me/applications"));
        let err = capped.list_user_applications().send().await.unwrap_err();
        assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");

        emu.clear_faults();
        assert!(
            capped
                .list_user_applications()
                .send()
                .await
                .unwrap()
                .is_empty()
        );
    })
    .await;
}

#[tokio::test]
async fn a_closed_port_is_a_connect_error() {
    bounded(async {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let client = FluxerClient::builder()
            .base_url(format!("http://127.0.0.1:{port}/v1"))
            .connect_timeout(Duration::from_secs(2))
            .retry_policy(RetryPolicy::NONE)
            .build()
            .unwrap();
        let err = client
            .get_public_application()
            .id("1234567890123456789")
            .send()
            .await
            .unwrap_err();
        match &err {
            Error::Transport { kind, .. } => assert_eq!(*kind, TransportKind::Connect, "{err}"),
            other => panic!("expected a Transport connect error, got {other:?}"),
        }
        assert!(err.to_string().contains("could not connect"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn a_burst_of_session_calls_stays_under_the_global_limit() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice_user = emu.alice();
        let alice = session(&emu, &alice_user);
        // The server's real limits: 50 requests per second per user.
        emu.set_rate_limits(Some(RateLimitConfig::default()));
        let mut tasks = Vec::new();
        for _ in 0..60 {
            let client = alice.clone();
            tasks.push(tokio::spawn(async move {
                client.get_sudo_mfa_methods().send().await
            }));
        }
        for task in tasks {
            let result = task.await.expect("no task panicked");
            assert!(result.is_ok(), "{result:?}");
        }
        assert!(
            emu.session_is_valid(&alice_user.session_token),
            "the session never met the global limit"
        );
        assert_eq!(emu.count_requests("GET", "/users/@me/sudo/mfa-methods"), 60);
    })
    .await;
}

#[tokio::test]
async fn rate_limit_headers_of_a_bot_call_are_kept() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice_user = emu.alice();
        let alice = session(&emu, &alice_user);
        let app = create_app(&alice, "Headers app", &[]).await;
        emu.set_rate_limits(Some(RateLimitConfig::default()));

        // A user session's successes carry no rate-limit headers.
        let apps = alice.list_user_applications().send().await.unwrap();
        assert_eq!(apps.rate_limit(), None);

        let bot =
            session(&emu, &alice_user).with_credential(Credential::Bot(app.bot_token.clone()));
        // `/applications/@me` has no route bucket on the server, so even a bot's answer there
        // carries no headers.
        let me = bot.get_current_user_applications().send().await.unwrap();
        assert_eq!(me.rate_limit(), None);
        // `/oauth2/applications/@me` has one (60 per window).
        let me = bot.get_oauth_applications_me().send().await.unwrap();
        let info = me
            .rate_limit()
            .expect("a bot's success carries the headers");
        assert_eq!(info.limit, Some(60));
        assert_eq!(info.remaining, Some(59));
        assert_eq!(info.bucket.as_deref().map(str::len), Some(16));
        assert!(info.reset.is_some() && info.reset_after.is_some());
        assert!(!info.global);
        assert_eq!(info.retry_after, None);
    })
    .await;
}
