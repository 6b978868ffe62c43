//! Application and bot management against the emulator, through the crate's public API: create, read,
//! update, the public view, the lists, the bot's own view and the bot profile, with every refusal the
//! client makes before sending and every error the server answers.

use crate::common::{
    assert_api, assert_invalid_input, assert_not_accepted, bounded,
    emulator::{
        App, REDIRECT_URI, UNKNOWN_ID, anonymous, create_app, json_body, last_request, requests_to,
        session,
    },
};
use fluxer_oauth2::{
    ApiErrorCode, Clearable, Credential, CredentialKind, Error,
    oauth::{RedirectUri, UrlError},
    types,
};
use fluxer_oauth2_emulator::{BUILTIN_APPLICATION_ID, Emulator, NewUser};

/// These redirect URIs, typed (each one valid).
fn redirect_uris(uris: &[String]) -> Vec<RedirectUri> {
    uris.iter()
        .map(|u| RedirectUri::parse(u).expect("a valid redirect URI"))
        .collect()
}

#[tokio::test]
async fn create_returns_the_client_secret_and_a_bot_token() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "Secrets app", &[REDIRECT_URI]).await;

        assert_eq!(app.created.name, "Secrets app");
        assert_eq!(app.created.redirect_uris, vec![REDIRECT_URI.to_owned()]);
        assert!(app.created.bot_public, "bot_public defaults to true");
        assert!(!app.created.bot_require_code_grant);
        assert_eq!(app.secret.len(), 43, "a client secret is 43 characters");
        let token = app.bot_token.expose_secret();
        let (prefix, secret) = token
            .split_once('.')
            .expect("a bot token is <app_id>.<secret>");
        assert_eq!(prefix, app.id);
        assert_eq!(secret.len(), 43);
        assert!(
            secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "the bot secret is base64url"
        );
        let bot = app.created.bot.as_ref().expect("the bot user is returned");
        assert_eq!(
            bot.id.as_str(),
            app.id,
            "the bot user's id is the application's"
        );
        assert_eq!(bot.username, "Secrets_app");

        // The secrets are shown only at creation.
        let read = alice
            .get_oauth_application()
            .id(&app.id)
            .send()
            .await
            .unwrap();
        assert!(read.client_secret.is_none());
        assert!(read.bot.as_ref().is_some_and(|b| b.token.is_none()));
    })
    .await;
}

#[tokio::test]
async fn create_trims_the_name_and_the_server_refuses_a_blank_one() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());

        let padded = create_app(&alice, "   Padded name \t", &[]).await;
        assert_eq!(padded.created.name, "Padded name");
        let hundred = "n".repeat(100);
        let exact = create_app(&alice, &hundred, &[]).await;
        assert_eq!(exact.created.name, hundred);

        // Blank after trimming: the server would refuse it, so the client does, before sending.
        let before = emu.count_requests("POST", "/oauth2/applications");
        let err = alice
            .create_oauth_application()
            .body(types::ApplicationCreateRequest::builder().name("   "))
            .send()
            .await
            .unwrap_err();
        assert_invalid_input(&err);
        assert_eq!(emu.count_requests("POST", "/oauth2/applications"), before);
    })
    .await;
}

#[tokio::test]
async fn create_refuses_a_101_character_name_before_sending() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let err = alice
            .create_oauth_application()
            .body(types::ApplicationCreateRequest::builder().name("x".repeat(101)))
            .send()
            .await
            .unwrap_err();
        assert_invalid_input(&err);
        // An empty name too.
        let err = alice
            .create_oauth_application()
            .body(types::ApplicationCreateRequest::builder().name(""))
            .send()
            .await
            .unwrap_err();
        assert_invalid_input(&err);
        assert_eq!(emu.count_requests("POST", "/oauth2/applications"), 0);
    })
    .await;
}

/// The server trims before it counts (1 to 100 characters after trimming), so a 100-character name
/// with surrounding spaces is valid, and the client must not refuse it by counting the raw string.
#[tokio::test]
async fn create_accepts_a_100_character_name_with_surrounding_spaces() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let name = format!("  {}  ", "p".repeat(100));
        let created = alice
            .create_oauth_application()
            .body(types::ApplicationCreateRequest::builder().name(name.as_str()))
            .send()
            .await
            .expect("the server trims the name to 100 characters and accepts it");
        assert_eq!(created.name, "p".repeat(100));
    })
    .await;
}

#[tokio::test]
async fn create_checks_redirect_uris_before_sending() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let create = |uris: &[String]| {
            alice
                .create_oauth_application()
                .body(
                    types::ApplicationCreateRequest::builder()
                        .name("Redirects")
                        .redirect_uris(Some(redirect_uris(uris))),
                )
                .send()
        };

        let eleven: Vec<String> = (0..11)
            .map(|i| format!("https://app.example/cb{i}"))
            .collect();
        assert_invalid_input(&create(&eleven).await.unwrap_err());
        // A URI the server would refuse cannot be made into the body's typed redirect URI, so it
        // never reaches a call; the error says why (it never quotes the URL).
        for (refused, why) in [
            ("http://app.example/callback", "plain http"),
            ("myapp://callback", "scheme"),
            ("/relative/callback", "not an absolute URL"),
        ] {
            let err = RedirectUri::parse(refused).unwrap_err();
            assert!(
                matches!(
                    (refused, &err),
                    ("http://app.example/callback", UrlError::InsecureHttp)
                        | ("myapp://callback", UrlError::UnsupportedScheme)
                        | ("/relative/callback", UrlError::Unparseable(_))
                ),
                "{refused}: {err:?}"
            );
            assert!(err.to_string().contains(why), "{refused}: {err}");
        }
        assert_eq!(
            emu.count_requests("POST", "/oauth2/applications"),
            0,
            "nothing was sent"
        );

        // Ten is the maximum; http is fine for loopback, *.localhost and IP literals.
        let ten: Vec<String> = (0..10)
            .map(|i| format!("https://app.example/cb{i}"))
            .collect();
        assert_eq!(create(&ten).await.unwrap().redirect_uris.len(), 10);
        let local = vec![
            "http://localhost:8765/cb".to_owned(),
            "http://app.localhost/cb".to_owned(),
            "http://127.0.0.1:9000/cb".to_owned(),
            "http://[::1]:9000/cb".to_owned(),
            "http://192.168.1.20/cb".to_owned(),
        ];
        let created = create(&local).await.unwrap();
        assert_eq!(created.redirect_uris, local, "stored verbatim");
    })
    .await;
}

#[tokio::test]
async fn the_26th_application_is_refused_with_max_applications() {
    bounded(async {
        let emu = Emulator::start().await;
        let carol = emu.add_user(NewUser {
            username: "carol".to_owned(),
            password: Some("carol-password".to_owned()),
            totp: false,
        });
        let carol = session(&emu, &carol);
        for i in 0..25 {
            carol
                .create_oauth_application()
                .body(types::ApplicationCreateRequest::builder().name(format!("App {i}")))
                .send()
                .await
                .unwrap_or_else(|e| panic!("application {i} is created: {e}"));
        }
        let err = carol
            .create_oauth_application()
            .body(types::ApplicationCreateRequest::builder().name("One too many"))
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 400, ApiErrorCode::MaxApplications);
        assert_eq!(
            carol.list_user_applications().send().await.unwrap().len(),
            25
        );
    })
    .await;
}

#[tokio::test]
async fn captcha_required_then_given() {
    bounded(async {
        let emu = Emulator::start().await;
        emu.set_captcha_required(true);
        let alice = session(&emu, &emu.alice());
        let request = || types::ApplicationCreateRequest::builder().name("Captcha app");

        let err = alice
            .create_oauth_application()
            .body(request())
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 400, ApiErrorCode::CaptchaRequired);

        // The emulator accepts any non-empty token except those starting with `invalid`.
        let err = alice
            .create_oauth_application()
            .body(request())
            .x_captcha_token("invalid-token")
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 400, ApiErrorCode::InvalidCaptcha);

        let created = alice
            .create_oauth_application()
            .body(request())
            .x_captcha_token("solved-captcha-token")
            .x_captcha_type(types::CaptchaType::Hcaptcha)
            .send()
            .await
            .unwrap();
        assert_eq!(created.name, "Captcha app");
        let sent = last_request(&emu, "POST", "/oauth2/applications");
        assert_eq!(sent.header("x-captcha-token"), Some("solved-captcha-token"));
        assert_eq!(sent.header("x-captcha-type"), Some("hcaptcha"));

        // Without a kind, no X-Captcha-Type header.
        alice
            .create_oauth_application()
            .body(request())
            .x_captcha_token("another-token")
            .send()
            .await
            .unwrap();
        let sent = last_request(&emu, "POST", "/oauth2/applications");
        assert_eq!(sent.header("x-captcha-token"), Some("another-token"));
        assert_eq!(sent.header("x-captcha-type"), None);
    })
    .await;
}

#[tokio::test]
async fn get_by_owner_other_user_unknown_and_malformed_ids() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let bob = session(&emu, &emu.bob());
        let app = create_app(&alice, "Owned app", &[REDIRECT_URI]).await;

        let read = alice
            .get_oauth_application()
            .id(&app.id)
            .send()
            .await
            .unwrap();
        assert_eq!(read.id.as_str(), app.id);
        assert_eq!(read.name, "Owned app");
        assert_eq!(read.redirect_uris, vec![REDIRECT_URI.to_owned()]);

        assert_api(
            &bob.get_oauth_application()
                .id(&app.id)
                .send()
                .await
                .unwrap_err(),
            403,
            ApiErrorCode::AccessDenied,
        );
        // An application that exists but belongs to no user is someone else's too.
        assert_api(
            &alice
                .get_oauth_application()
                .id(BUILTIN_APPLICATION_ID)
                .send()
                .await
                .unwrap_err(),
            403,
            ApiErrorCode::AccessDenied,
        );
        assert_api(
            &alice
                .get_oauth_application()
                .id(UNKNOWN_ID)
                .send()
                .await
                .unwrap_err(),
            404,
            ApiErrorCode::UnknownApplication,
        );

        let before = emu.requests().len();
        for malformed in ["01", "abc", "", "-1", "99999999999999999999", "1 2"] {
            let err = alice
                .get_oauth_application()
                .id(malformed)
                .send()
                .await
                .unwrap_err();
            assert_invalid_input(&err);
        }
        assert_eq!(emu.requests().len(), before, "malformed ids are never sent");

        // A bot token is refused before sending.
        let bot = alice.with_credential(Credential::Bot(app.bot_token.clone()));
        let err = bot
            .get_oauth_application()
            .id(&app.id)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::CredentialNotAccepted {
                    given: Some(CredentialKind::Bot),
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(emu.requests().len(), before);
    })
    .await;
}

#[tokio::test]
async fn update_renames_and_clears_the_redirect_uris_with_null() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(
            &alice,
            "Before",
            &[REDIRECT_URI, "https://app.example/callback"],
        )
        .await;

        let renamed = alice
            .update_oauth_application()
            .id(&app.id)
            .body(
                types::ApplicationUpdateRequest::builder().name(Some("After".try_into().unwrap())),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(renamed.name, "After");
        assert_eq!(
            renamed.redirect_uris.len(),
            2,
            "fields left out stay as they were"
        );
        assert!(renamed.client_secret.is_none());
        assert!(renamed.bot.as_ref().is_some_and(|b| b.token.is_none()));
        let sent = json_body(&last_request(
            &emu,
            "PATCH",
            &format!("/oauth2/applications/{}", app.id),
        ));
        assert_eq!(sent, serde_json::json!({ "name": "After" }));

        let cleared = alice
            .update_oauth_application()
            .id(&app.id)
            .body(types::ApplicationUpdateRequest::builder().redirect_uris(Some(Clearable::Clear)))
            .send()
            .await
            .unwrap();
        assert!(cleared.redirect_uris.is_empty());
        let sent = json_body(&last_request(
            &emu,
            "PATCH",
            &format!("/oauth2/applications/{}", app.id),
        ));
        assert_eq!(sent, serde_json::json!({ "redirect_uris": null }));
        let read = alice
            .get_oauth_application()
            .id(&app.id)
            .send()
            .await
            .unwrap();
        assert!(read.redirect_uris.is_empty());
        assert_eq!(read.name, "After");

        let set = alice
            .update_oauth_application()
            .id(&app.id)
            .body(
                types::ApplicationUpdateRequest::builder()
                    .redirect_uris(Some(Clearable::Set(vec![
                        RedirectUri::parse(REDIRECT_URI).unwrap(),
                    ])))
                    .bot_public(Some(false)),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(set.redirect_uris, vec![REDIRECT_URI.to_owned()]);
        assert!(!set.bot_public);

        // `description` and `icon` are sent, and the server ignores them (the public view still
        // shows none).
        alice
            .update_oauth_application()
            .id(&app.id)
            .body(
                types::ApplicationUpdateRequest::builder()
                    .description(Some(Clearable::Set("An application".to_owned())))
                    .icon(Some(Clearable::Clear)),
            )
            .send()
            .await
            .unwrap();
        let sent = json_body(&last_request(
            &emu,
            "PATCH",
            &format!("/oauth2/applications/{}", app.id),
        ));
        assert_eq!(
            sent,
            serde_json::json!({ "description": "An application", "icon": null })
        );
        let public = alice
            .get_public_application()
            .id(&app.id)
            .send()
            .await
            .unwrap();
        assert_eq!(public.description, None);
        assert_eq!(public.name, "After");
    })
    .await;
}

#[tokio::test]
async fn update_errors() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let bob = session(&emu, &emu.bob());
        let app = create_app(&alice, "Guarded", &[]).await;
        let rename =
            || types::ApplicationUpdateRequest::builder().name(Some("Stolen".try_into().unwrap()));

        assert_api(
            &bob.update_oauth_application()
                .id(&app.id)
                .body(rename())
                .send()
                .await
                .unwrap_err(),
            403,
            ApiErrorCode::AccessDenied,
        );
        assert_api(
            &alice
                .update_oauth_application()
                .id(UNKNOWN_ID)
                .body(rename())
                .send()
                .await
                .unwrap_err(),
            404,
            ApiErrorCode::UnknownApplication,
        );

        let before = emu.requests().len();
        let eleven: Vec<String> = (0..11)
            .map(|i| format!("https://app.example/{i}"))
            .collect();
        let err = alice
            .update_oauth_application()
            .id(&app.id)
            .body(
                types::ApplicationUpdateRequest::builder()
                    .redirect_uris(Some(Clearable::Set(redirect_uris(&eleven)))),
            )
            .send()
            .await
            .unwrap_err();
        assert_invalid_input(&err);
        // Plain http to a remote host cannot be made into the body's typed redirect URI.
        assert_eq!(
            RedirectUri::parse("http://app.example/cb").unwrap_err(),
            UrlError::InsecureHttp
        );
        let err = alice
            .update_oauth_application()
            .id(&app.id)
            .body(
                types::ApplicationUpdateRequest::builder()
                    .description(Some(Clearable::Set("d".repeat(401)))),
            )
            .send()
            .await
            .unwrap_err();
        assert_invalid_input(&err);
        assert_invalid_input(
            &alice
                .update_oauth_application()
                .id("01")
                .body(rename())
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(emu.requests().len(), before, "nothing was sent");
        assert_eq!(
            alice
                .get_oauth_application()
                .id(&app.id)
                .send()
                .await
                .unwrap()
                .name,
            "Guarded"
        );
    })
    .await;
}

#[tokio::test]
async fn the_public_view_is_fetched_without_a_credential() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let app = create_app(&alice, "Public app", &[REDIRECT_URI]).await;

        // A session client does not send its credential on this operation.
        let public = alice
            .get_public_application()
            .id(&app.id)
            .send()
            .await
            .unwrap();
        assert_eq!(public.id.as_str(), app.id);
        assert_eq!(public.name, "Public app");
        assert_eq!(public.scopes, vec!["bot".to_owned()]);
        assert!(public.bot_public);
        assert!(public.current_user.is_none());
        let bot = public.bot.as_ref().expect("the public view shows the bot");
        assert!(bot.token.is_none(), "no bot token in the public view");
        let path = format!("/oauth2/applications/{}/public", app.id);
        let sent = last_request(&emu, "GET", &path);
        assert_eq!(sent.header("authorization"), None);

        // Neither does a client without one, nor a bot client.
        anonymous(&emu)
            .get_public_application()
            .id(&app.id)
            .send()
            .await
            .unwrap();
        alice
            .with_credential(Credential::Bot(app.bot_token.clone()))
            .get_public_application()
            .id(&app.id)
            .send()
            .await
            .unwrap();
        let sent = requests_to(&emu, "GET", &path);
        assert_eq!(sent.len(), 3);
        assert!(sent.iter().all(|r| r.header("authorization").is_none()));

        assert_api(
            &anonymous(&emu)
                .get_public_application()
                .id(UNKNOWN_ID)
                .send()
                .await
                .unwrap_err(),
            404,
            ApiErrorCode::UnknownApplication,
        );
        assert_invalid_input(
            &anonymous(&emu)
                .get_public_application()
                .id("01")
                .send()
                .await
                .unwrap_err(),
        );
    })
    .await;
}

#[tokio::test]
async fn list_user_applications_shows_only_the_users_own() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let bob = session(&emu, &emu.bob());
        assert!(
            alice
                .list_user_applications()
                .send()
                .await
                .unwrap()
                .is_empty()
        );

        let first = create_app(&alice, "Alice one", &[]).await;
        let second = create_app(&alice, "Alice two", &[]).await;
        let bobs = create_app(&bob, "Bob one", &[]).await;

        let mut ids: Vec<String> = alice
            .list_user_applications()
            .send()
            .await
            .unwrap()
            .iter()
            .map(|a| {
                assert!(a.client_secret.is_none(), "lists carry no secret");
                assert!(a.bot.as_ref().is_none_or(|b| b.token.is_none()));
                a.id.to_string()
            })
            .collect();
        ids.sort();
        let mut expected = vec![first.id.clone(), second.id.clone()];
        expected.sort();
        assert_eq!(ids, expected);
        let bob_ids: Vec<String> = bob
            .list_user_applications()
            .send()
            .await
            .unwrap()
            .iter()
            .map(|a| a.id.to_string())
            .collect();
        assert_eq!(bob_ids, vec![bobs.id.clone()]);

        // A bot token is refused before sending.
        let before = emu.count_requests("GET", "/users/@me/applications");
        assert_not_accepted(
            alice
                .with_credential(Credential::Bot(first.bot_token.clone()))
                .list_user_applications()
                .send()
                .await,
        );
        assert_eq!(emu.count_requests("GET", "/users/@me/applications"), before);
    })
    .await;
}

#[tokio::test]
async fn oauth_applications_me_is_a_list_for_a_session_and_an_object_for_a_bot() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice_user = emu.alice();
        let alice = session(&emu, &alice_user);
        match alice
            .get_oauth_applications_me()
            .send()
            .await
            .unwrap()
            .into_inner()
        {
            types::OAuth2ApplicationsMeResponse::ApplicationListResponse(list) => {
                assert!(list.0.is_empty())
            }
            other => panic!("a session gets the (empty) list, got {other:?}"),
        }
        let app: App = create_app(&alice, "Me app", &[REDIRECT_URI]).await;

        match alice
            .get_oauth_applications_me()
            .send()
            .await
            .unwrap()
            .into_inner()
        {
            types::OAuth2ApplicationsMeResponse::ApplicationListResponse(list) => {
                assert_eq!(list.0.len(), 1);
                assert_eq!(list.0[0].id.as_str(), app.id);
            }
            other => panic!("a session gets the list, got {other:?}"),
        }

        let bot = alice.with_credential(Credential::Bot(app.bot_token.clone()));
        match bot
            .get_oauth_applications_me()
            .send()
            .await
            .unwrap()
            .into_inner()
        {
            types::OAuth2ApplicationsMeResponse::ApplicationsMeResponse(me) => {
                assert_eq!(me.id.as_str(), app.id);
                assert_eq!(me.name, "Me app");
                assert_eq!(me.owner.id.as_str(), alice_user.id);
                assert_eq!(me.verify_key.as_deref(), Some("0".repeat(64).as_str()));
            }
            other => panic!("a bot gets its application, got {other:?}"),
        }
        let sent = last_request(&emu, "GET", "/oauth2/applications/@me");
        assert_eq!(
            sent.header("authorization"),
            Some(format!("Bot {}", app.bot_token.expose_secret()).as_str())
        );

        // Neither an access token nor no credential is accepted; nothing is sent.
        let before = emu.count_requests("GET", "/oauth2/applications/@me");
        for client in [
            alice.with_credential(Credential::bearer("not-an-access-token")),
            alice.with_credential(None),
        ] {
            assert_not_accepted(client.get_oauth_applications_me().send().await);
        }
        assert_eq!(
            emu.count_requests("GET", "/oauth2/applications/@me"),
            before
        );
    })
    .await;
}

#[tokio::test]
async fn current_user_applications_takes_a_bot_token_only() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice_user = emu.alice();
        let alice = session(&emu, &alice_user);
        let app = create_app(&alice, "Bot view", &[]).await;

        let bot = alice.with_credential(Credential::Bot(app.bot_token.clone()));
        let me = bot.get_current_user_applications().send().await.unwrap();
        assert_eq!(me.id.as_str(), app.id);
        assert_eq!(me.owner.id.as_str(), alice_user.id);
        assert_eq!(me.owner.username, "alice");
        assert_eq!(me.verify_key.as_deref(), Some("0".repeat(64).as_str()));
        assert!(me.bot.as_ref().is_some_and(|b| b.token.is_none()));

        // The session credential is refused before anything is sent.
        emu.clear_requests();
        let err = alice
            .get_current_user_applications()
            .send()
            .await
            .unwrap_err();
        match &err {
            Error::CredentialNotAccepted {
                operation,
                given,
                accepted,
            } => {
                assert_eq!(*operation, "get_current_user_applications");
                assert_eq!(*given, Some(CredentialKind::Session));
                assert_eq!(*accepted, &[CredentialKind::Bot][..]);
            }
            other => panic!("expected CredentialNotAccepted, got {other:?}"),
        }
        assert!(err.to_string().contains("with_credential"), "{err}");
        assert_eq!(emu.requests().len(), 0, "zero requests were recorded");

        // A token the server does not know: 401 INVALID_TOKEN.
        let forged =
            alice.with_credential(Credential::bot(format!("{}.{}", app.id, "A".repeat(43))));
        assert_api(
            &forged
                .get_current_user_applications()
                .send()
                .await
                .unwrap_err(),
            401,
            ApiErrorCode::InvalidToken,
        );
    })
    .await;
}

#[tokio::test]
async fn update_bot_profile_sets_and_clears_the_bio_and_drops_undefined_flags() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let bob = session(&emu, &emu.bob());
        let app = create_app(&alice, "Profile app", &[]).await;
        let path = format!("/oauth2/applications/{}/bot", app.id);

        let profile = alice
            .update_bot_profile()
            .id(&app.id)
            .body(
                types::BotProfileUpdateRequest::builder()
                    .bio(Some(Clearable::Set("Hello from the bot".to_owned())))
                    .bot_flags(Some(types::BotFlags(16 | 32 | 1 | 64 | (1 << 20))))
                    .username(Some("profile_bot".try_into().unwrap())),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(profile.id.as_str(), app.id);
        assert_eq!(profile.bio.as_deref(), Some("Hello from the bot"));
        assert_eq!(
            profile.flags.0,
            16 | 32,
            "undefined bits are dropped by the server"
        );
        assert_eq!(profile.username, "profile_bot");
        let sent = json_body(&last_request(&emu, "PATCH", &path));
        assert_eq!(sent["bio"], "Hello from the bot");
        assert_eq!(sent["bot_flags"], 16 | 32 | 1 | 64 | (1 << 20));

        let cleared = alice
            .update_bot_profile()
            .id(&app.id)
            .body(types::BotProfileUpdateRequest::builder().bio(Some(Clearable::Clear)))
            .send()
            .await
            .unwrap();
        assert_eq!(cleared.bio, None);
        assert_eq!(cleared.flags.0, 16 | 32, "flags left out stay");
        assert_eq!(cleared.username, "profile_bot");
        let sent = json_body(&last_request(&emu, "PATCH", &path));
        assert_eq!(sent, serde_json::json!({ "bio": null }));

        // The bot's own view agrees.
        let me = alice
            .with_credential(Credential::Bot(app.bot_token.clone()))
            .get_current_user_applications()
            .send()
            .await
            .unwrap()
            .into_inner();
        let bot = me.bot.expect("the bot is shown");
        assert_eq!(bot.bio, None);
        assert_eq!(bot.flags.0, 16 | 32);

        // Errors: another user's bot, an unknown application, inputs refused before sending.
        let bio =
            || types::BotProfileUpdateRequest::builder().bio(Some(Clearable::Set("x".into())));
        assert_api(
            &bob.update_bot_profile()
                .id(&app.id)
                .body(bio())
                .send()
                .await
                .unwrap_err(),
            403,
            ApiErrorCode::AccessDenied,
        );
        assert_api(
            &alice
                .update_bot_profile()
                .id(UNKNOWN_ID)
                .body(bio())
                .send()
                .await
                .unwrap_err(),
            404,
            ApiErrorCode::UnknownApplication,
        );
        // A name the type allows but the server reserves.
        let err = alice
            .update_bot_profile()
            .id(&app.id)
            .body(
                types::BotProfileUpdateRequest::builder()
                    .username(Some("my_fluxer_bot".try_into().unwrap())),
            )
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 400, ApiErrorCode::InvalidFormBody);
        let Error::Api { errors, .. } = &err else {
            unreachable!()
        };
        assert_eq!(errors[0].path, "username");
        // Values the generated types refuse never reach a call.
        assert!(types::BotProfileUpdateRequestUsername::try_from("has space").is_err());
        assert!(types::BotProfileUpdateRequestDiscriminator::try_from("12345").is_err());
        let before = emu.requests().len();
        assert_invalid_input(
            &alice
                .update_bot_profile()
                .id("01")
                .body(bio())
                .send()
                .await
                .unwrap_err(),
        );
        assert_eq!(emu.requests().len(), before, "nothing was sent");
    })
    .await;
}
