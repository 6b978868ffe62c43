//! A user's OAuth2 authorizations against the emulator, through the crate's public API: the list,
//! taking one back, taking several back, and what happens to the tokens afterwards.

use crate::common::{
    assert_api, assert_invalid_input, assert_not_accepted, bounded,
    emulator::{
        REDIRECT_URI, UNKNOWN_ID, anonymous, bearer, create_app, json_body, last_request, session,
        tokens,
    },
};
use fluxer_oauth2::{
    ApiErrorCode, ApplicationId, Credential, OAuthErrorKind, Snowflake, oauth::Scope, types,
};
use fluxer_oauth2_emulator::{BUILTIN_APPLICATION_ID, Emulator};

/// The bulk-revoke body for these application ids (each a well-formed id).
fn bulk(ids: &[String]) -> types::OAuth2AuthorizationsBulkRevokeRequest {
    types::OAuth2AuthorizationsBulkRevokeRequest {
        application_ids: ids
            .iter()
            .map(|id| ApplicationId::parse(id).expect("a well-formed id"))
            .collect(),
    }
}

#[tokio::test]
async fn the_list_shows_each_authorized_application_with_its_scopes() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let bob = session(&emu, &emu.bob());
        assert!(
            alice
                .list_user_oauth2_authorizations()
                .send()
                .await
                .unwrap()
                .is_empty()
        );

        let first = create_app(&alice, "First app", &[REDIRECT_URI]).await;
        let second = create_app(&bob, "Second app", &[REDIRECT_URI]).await;
        tokens(&alice, &first, &[Scope::Identify, Scope::Email]).await;
        tokens(&alice, &second, &[Scope::Identify]).await;
        // A second grant of the first application adds no entry.
        tokens(&alice, &first, &[Scope::Identify]).await;

        let list = alice
            .list_user_oauth2_authorizations()
            .send()
            .await
            .unwrap();
        assert_eq!(list.len(), 2, "{list:?}");
        let entry = |id: &str| {
            list.iter()
                .find(|a| a.application.id.as_str() == id)
                .unwrap_or_else(|| panic!("{id} is listed"))
        };
        let one = entry(&first.id);
        assert_eq!(one.application.name, "First app");
        assert_eq!(one.scopes, vec!["identify".to_owned(), "email".to_owned()]);
        assert!(one.authorized_at <= chrono::Utc::now() + chrono::Duration::seconds(5));
        let two = entry(&second.id);
        assert_eq!(two.application.name, "Second app");
        assert_eq!(two.scopes, vec!["identify".to_owned()]);
        assert_eq!(two.application.bot_public, Some(true));

        // Bob authorized nothing.
        assert!(
            bob.list_user_oauth2_authorizations()
                .send()
                .await
                .unwrap()
                .is_empty()
        );

        // Only a session may ask; an access token or a bot token is refused before sending.
        let set = tokens(&alice, &first, &[Scope::Identify]).await;
        let before = emu.count_requests("GET", "/oauth2/@me/authorizations");
        for client in [
            bearer(&alice, &set.access_token),
            alice.with_credential(Credential::Bot(first.bot_token.clone())),
            anonymous(&emu),
        ] {
            assert_not_accepted(client.list_user_oauth2_authorizations().send().await);
        }
        assert_eq!(
            emu.count_requests("GET", "/oauth2/@me/authorizations"),
            before
        );
    })
    .await;
}

#[tokio::test]
async fn deleting_one_authorization_kills_its_tokens_and_repeating_it_is_harmless() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let anon = anonymous(&emu);
        let app = create_app(&alice, "Revoked app", &[REDIRECT_URI]).await;
        let kept = create_app(&alice, "Kept app", &[REDIRECT_URI]).await;
        let set = tokens(&alice, &app, &[Scope::Identify, Scope::Email]).await;
        let other = tokens(&alice, &kept, &[Scope::Identify]).await;
        bearer(&anon, &set.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap();

        alice
            .delete_user_oauth2_authorization()
            .application_id(&app.id)
            .send()
            .await
            .unwrap();
        let path = format!("/oauth2/@me/authorizations/{}", app.id);
        assert_eq!(emu.count_requests("DELETE", &path), 1);

        // The access token now gets 401 and the refresh token is gone.
        let err = bearer(&anon, &set.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 401, ApiErrorCode::Unauthorized);
        let err = anon
            .refresh_token(&app.credentials(), &set.refresh_token)
            .await
            .unwrap_err();
        assert_eq!(
            err.oauth_kind(),
            Some(&OAuthErrorKind::InvalidGrant),
            "{err:?}"
        );
        let ids: Vec<String> = alice
            .list_user_oauth2_authorizations()
            .send()
            .await
            .unwrap()
            .iter()
            .map(|a| a.application.id.to_string())
            .collect();
        assert_eq!(ids, vec![kept.id.clone()]);
        bearer(&anon, &other.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap();

        // Again: still 204. An existing application the user never authorized: 204 too.
        alice
            .delete_user_oauth2_authorization()
            .application_id(&app.id)
            .send()
            .await
            .unwrap();
        alice
            .delete_user_oauth2_authorization()
            .application_id(BUILTIN_APPLICATION_ID)
            .send()
            .await
            .unwrap();
        assert_eq!(emu.count_requests("DELETE", &path), 2);
    })
    .await;
}

#[tokio::test]
async fn deleting_an_authorization_for_no_application_is_404() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let err = alice
            .delete_user_oauth2_authorization()
            .application_id(UNKNOWN_ID)
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 404, ApiErrorCode::UnknownApplication);
        assert_eq!(err.api_code(), Some(&ApiErrorCode::UnknownApplication));

        let before = emu.requests().len();
        for malformed in ["01", "abc", ""] {
            assert_invalid_input(
                &alice
                    .delete_user_oauth2_authorization()
                    .application_id(malformed)
                    .send()
                    .await
                    .unwrap_err(),
            );
        }
        assert_eq!(emu.requests().len(), before, "malformed ids are never sent");
    })
    .await;
}

#[tokio::test]
async fn bulk_delete_takes_one_to_a_hundred_ids() {
    bounded(async {
        let emu = Emulator::start().await;
        let alice = session(&emu, &emu.alice());
        let anon = anonymous(&emu);
        let first = create_app(&alice, "Bulk one", &[REDIRECT_URI]).await;
        let second = create_app(&alice, "Bulk two", &[REDIRECT_URI]).await;
        let a = tokens(&alice, &first, &[Scope::Identify]).await;
        let b = tokens(&alice, &second, &[Scope::Identify]).await;

        alice
            .bulk_delete_user_oauth2_authorizations()
            .body(bulk(std::slice::from_ref(&first.id)))
            .send()
            .await
            .unwrap();
        let sent = json_body(&last_request(
            &emu,
            "POST",
            "/oauth2/@me/authorizations/revoke",
        ));
        assert_eq!(sent, serde_json::json!({ "application_ids": [first.id] }));
        let err = bearer(&anon, &a.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 401, ApiErrorCode::Unauthorized);
        bearer(&anon, &b.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap();

        // Several at once, including one never authorized and one already revoked.
        alice
            .bulk_delete_user_oauth2_authorizations()
            .body(bulk(&[
                first.id.clone(),
                second.id.clone(),
                BUILTIN_APPLICATION_ID.to_owned(),
            ]))
            .send()
            .await
            .unwrap();
        let err = bearer(&anon, &b.access_token)
            .get_oauth2_userinfo()
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 401, ApiErrorCode::Unauthorized);
        assert!(
            alice
                .list_user_oauth2_authorizations()
                .send()
                .await
                .unwrap()
                .is_empty()
        );

        // An id naming no application: 404.
        let err = alice
            .bulk_delete_user_oauth2_authorizations()
            .body(bulk(&[UNKNOWN_ID.to_owned()]))
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 404, ApiErrorCode::UnknownApplication);

        // 0 ids, 101 ids, a malformed id: refused before sending.
        let before = emu.count_requests("POST", "/oauth2/@me/authorizations/revoke");
        assert_invalid_input(
            &alice
                .bulk_delete_user_oauth2_authorizations()
                .body(bulk(&[]))
                .send()
                .await
                .unwrap_err(),
        );
        let many: Vec<String> = (0..101)
            .map(|i| (1_000_000_000_000u64 + i).to_string())
            .collect();
        let err = alice
            .bulk_delete_user_oauth2_authorizations()
            .body(bulk(&many))
            .send()
            .await
            .unwrap_err();
        assert_invalid_input(&err);
        assert!(err.to_string().contains("101"), "{err}");
        // A malformed id cannot even be made into the body's typed id.
        assert!(Snowflake::parse("01").is_err());
        assert_eq!(
            emu.count_requests("POST", "/oauth2/@me/authorizations/revoke"),
            before
        );
        // A hundred is allowed by the client (the server then finds unknown ids).
        let err = alice
            .bulk_delete_user_oauth2_authorizations()
            .body(bulk(&many[..100]))
            .send()
            .await
            .unwrap_err();
        assert_api(&err, 404, ApiErrorCode::UnknownApplication);
    })
    .await;
}
