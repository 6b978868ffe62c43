//! The web login example's own app code (`examples/web_login/app.rs`) as two instances behind one
//! redirect URI: instance A's `/login` seals the pending authorization in a cookie, instance B's
//! `/callback` opens it and finishes the login; a missing, tampered, foreign, expired or
//! wrong-purpose cookie, or a callback with another state, is refused with 400 before any token
//! exchange; the browser never sees the state or the PKCE verifier in clear.

use axum::http::{StatusCode, header};
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload},
};
use fluxer_oauth2::{
    FluxerClient,
    oauth::{RedirectUri, consent_request},
};
use fluxer_oauth2_emulator::Emulator;
use url::Url;

use crate::{
    common::{
        bounded,
        emulator::{anonymous, create_app, requests_to, session},
    },
    web_login_app::{App, COOKIE_NAME, CookieError, LoginCookies, router, unix_now},
};

/// The page the example greets alice with (she shares her email and is in one guild).
const GREETING: &str = "<p>Hello, Alice (@alice)! You are logged in with Fluxer.</p>\
    <p>Your email address is alice@example.com.</p><p>You are in 1 guild(s).</p>";

/// Two instances of the example's app, each with its own `FluxerClient`, on their own 127.0.0.1
/// listeners. One application is registered, with instance B's `/callback` as its redirect URI, and
/// both instances are configured with that URI (as behind a load balancer that happened to send the
/// callback to B); they share nothing but the cookie key.
struct Site {
    emu: Emulator,
    /// alice's session: the application's developer, and the user who consents.
    alice: FluxerClient,
    a: String,
    b: String,
    key: [u8; 32],
    browser: reqwest::Client,
}

/// What a browser got back.
struct Answer {
    status: StatusCode,
    set_cookie: Option<String>,
    body: String,
}

impl Site {
    async fn start() -> Site {
        let emu = Emulator::start().await;
        let seeded = emu.alice();
        emu.create_guild(&seeded, "Rustaceans");
        let alice = session(&emu, &seeded);
        let listener_a = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let listener_b = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let a = format!("http://{}", listener_a.local_addr().unwrap());
        let b = format!("http://{}", listener_b.local_addr().unwrap());
        let redirect_uri = format!("{b}/callback");
        let registered = create_app(&alice, "Web login example", &[&redirect_uri]).await;
        let key: [u8; 32] = rand::random();
        for listener in [listener_a, listener_b] {
            let app = App {
                fluxer: anonymous(&emu),
                credentials: registered.credentials(),
                redirect_uri: RedirectUri::parse(&redirect_uri).unwrap(),
                cookies: LoginCookies::new(&key),
            };
            tokio::spawn(async move { axum::serve(listener, router(app)).await });
        }
        let browser = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap();
        Site {
            emu,
            alice,
            a,
            b,
            key,
            browser,
        }
    }

    /// The browser at A's `/login`: the login cookie's value and the authorize URL it is sent to.
    async fn login(&self) -> (String, Url) {
        let answer = self
            .browser
            .get(format!("{}/login", self.a))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        let set_cookie = answer
            .headers()
            .get(header::SET_COOKIE)
            .expect("/login sets the login cookie")
            .to_str()
            .unwrap()
            .to_owned();
        let mut attributes = set_cookie.split("; ");
        let value = attributes
            .next()
            .and_then(|pair| pair.strip_prefix(&format!("{COOKIE_NAME}=")))
            .unwrap_or_else(|| panic!("not the login cookie: {set_cookie}"))
            .to_owned();
        assert!(!value.is_empty());
        assert_eq!(
            attributes.collect::<Vec<_>>(),
            ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=600"],
            "{set_cookie}"
        );
        let location = answer.headers().get(header::LOCATION).unwrap();
        let authorize = Url::parse(location.to_str().unwrap()).unwrap();
        assert!(authorize.as_str().starts_with(&self.emu.base_url()));
        (value, authorize)
    }

    /// The browser follows the authorize URL and alice consents: the URL Fluxer sends the browser
    /// back to, B's `/callback`.
    async fn consent(&self, authorize: &Url) -> String {
        let page = self.browser.get(authorize.clone()).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::FOUND);
        let consented = self
            .alice
            .provide_oauth2_consent()
            .body(consent_request(authorize).unwrap())
            .send()
            .await
            .unwrap();
        let back = consented.redirect_to.expose_secret().to_owned();
        assert!(back.starts_with(&format!("{}/callback?", self.b)), "{back}");
        back
    }

    /// A login started at A and consented to: the cookie and the callback URL at B.
    async fn started(&self) -> (String, String) {
        let (cookie, authorize) = self.login().await;
        let back = self.consent(&authorize).await;
        (cookie, back)
    }

    /// The browser at `url` with the login cookie `cookie`, if any.
    async fn callback(&self, url: &str, cookie: Option<&str>) -> Answer {
        let mut request = self.browser.get(url);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, format!("{COOKIE_NAME}={cookie}"));
        }
        let answer = request.send().await.unwrap();
        Answer {
            status: answer.status(),
            set_cookie: answer
                .headers()
                .get(header::SET_COOKIE)
                .map(|v| v.to_str().unwrap().to_owned()),
            body: answer.text().await.unwrap(),
        }
    }

    /// How many code exchanges (`POST /oauth2/token`) the emulator received.
    fn exchanges(&self) -> usize {
        requests_to(&self.emu, "POST", "/oauth2/token").len()
    }

    /// The pending authorization sealed in `cookie`, as JSON (with the state and verifier).
    fn opened(&self, cookie: &str) -> serde_json::Value {
        let pending = LoginCookies::new(&self.key)
            .open(cookie, unix_now())
            .expect("the genuine cookie opens");
        serde_json::to_value(&pending).unwrap()
    }

    /// `bad_cookie` (or none) on `bad_url` is refused with 400 and `message`, clears the cookie and
    /// exchanges nothing; then the genuine cookie on the genuine URL still finishes the login (the
    /// code was not spent, and the refusal was not the setup's fault).
    async fn assert_refused(
        &self,
        bad_url: &str,
        bad_cookie: Option<&str>,
        message: &str,
        genuine: (&str, &str),
    ) {
        let refused = self.callback(bad_url, bad_cookie).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(
            refused.body.contains(message),
            "{:?} does not say {message:?}",
            refused.body
        );
        assert_clears_cookie(&refused);
        assert_eq!(self.exchanges(), 0, "a refused callback exchanged a code");

        let (cookie, url) = genuine;
        let greeted = self.callback(url, Some(cookie)).await;
        assert_greets_alice(&greeted);
        assert_eq!(self.exchanges(), 1);
    }
}

fn assert_greets_alice(answer: &Answer) {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body, GREETING);
    assert_clears_cookie(answer);
}

fn assert_clears_cookie(answer: &Answer) {
    assert_eq!(
        answer.set_cookie.as_deref(),
        Some(format!("{COOKIE_NAME}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0").as_str()),
        "the callback's answer clears the login cookie"
    );
}

/// Runs `test` once a login was started on instance A and the user consented: it gets the site,
/// the login cookie and the callback URL the browser was sent to. The emulator is shut down after.
async fn after_login_started(test: impl AsyncFnOnce(&Site, String, String)) {
    bounded(async {
        let site = Site::start().await;
        let (cookie, back) = site.started().await;
        test(&site, cookie, back).await;
        site.emu.shutdown().await;
    })
    .await;
}

#[tokio::test]
async fn a_login_started_on_one_instance_finishes_on_another() {
    after_login_started(async |site, cookie, back| {
        assert_eq!(site.exchanges(), 0);
        let greeted = site.callback(&back, Some(&cookie)).await;
        assert_greets_alice(&greeted);
        assert_eq!(site.exchanges(), 1);
        // The cookie is spent with the code: the same callback again is refused by the server.
        let again = site.callback(&back, Some(&cookie)).await;
        assert_eq!(again.status, StatusCode::BAD_GATEWAY, "{}", again.body);
    })
    .await;
}

#[tokio::test]
async fn a_callback_without_the_cookie_is_refused() {
    after_login_started(async |site, cookie, back| {
        site.assert_refused(
            &back,
            None,
            "no login in progress: start at /login",
            (&cookie, &back),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_malformed_cookie_is_refused() {
    after_login_started(async |site, cookie, back| {
        let too_short = URL_SAFE_NO_PAD.encode([7u8; 39]);
        for bad in ["not base64!", "", too_short.as_str()] {
            let refused = site.callback(&back, Some(bad)).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad:?}");
            assert!(
                refused.body.contains("the login cookie is malformed"),
                "{bad:?}: {}",
                refused.body
            );
        }
        site.assert_refused(
            &back,
            Some("%%%"),
            "the login cookie is malformed",
            (&cookie, &back),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_tampered_cookie_is_refused() {
    after_login_started(async |site, cookie, back| {
        let sealed = URL_SAFE_NO_PAD.decode(&cookie).unwrap();
        // A byte of the nonce, of the ciphertext, of the tag.
        for at in [0, 24 + 5, sealed.len() - 1] {
            let mut bytes = sealed.clone();
            bytes[at] ^= 0x01;
            let tampered = URL_SAFE_NO_PAD.encode(&bytes);
            let refused = site.callback(&back, Some(&tampered)).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "byte {at}");
            assert!(
                refused.body.contains("the login cookie is not authentic"),
                "byte {at}: {}",
                refused.body
            );
        }
        let mut bytes = sealed;
        bytes[24] ^= 0x80;
        site.assert_refused(
            &back,
            Some(&URL_SAFE_NO_PAD.encode(&bytes)),
            "the login cookie is not authentic",
            (&cookie, &back),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_cookie_sealed_with_another_key_is_refused() {
    after_login_started(async |site, cookie, back| {
        // The very pending authorization the genuine cookie holds, sealed under another key.
        let pending = LoginCookies::new(&site.key)
            .open(&cookie, unix_now())
            .unwrap();
        let other_key: [u8; 32] = rand::random();
        assert_ne!(other_key, site.key);
        let other = LoginCookies::new(&other_key);
        let foreign = other.seal(&pending, unix_now()).unwrap();
        assert!(other.open(&foreign, unix_now()).is_ok(), "a sound value");
        site.assert_refused(
            &back,
            Some(&foreign),
            "the login cookie is not authentic",
            (&cookie, &back),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_cookie_sealed_for_another_purpose_is_refused() {
    after_login_started(async |site, cookie, back| {
        // The same key and the same contents, sealed with another purpose as associated data (as
        // another cookie of the app would be).
        let contents =
            serde_json::json!({"issued_at": unix_now(), "pending": site.opened(&cookie)});
        let seal_for = |purpose: &[u8]| {
            let nonce: [u8; 24] = rand::random();
            let plaintext = serde_json::to_vec(&contents).unwrap();
            let ciphertext = XChaCha20Poly1305::new(&site.key.into())
                .encrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: &plaintext,
                        aad: purpose,
                    },
                )
                .unwrap();
            URL_SAFE_NO_PAD.encode([nonce.as_slice(), &ciphertext].concat())
        };
        let cookies = LoginCookies::new(&site.key);
        assert!(
            cookies
                .open(&seal_for(b"fluxer-login-v1"), unix_now())
                .is_ok(),
            "the login purpose opens"
        );
        let other_purpose = seal_for(b"fluxer-session-v1");
        assert_eq!(
            cookies.open(&other_purpose, unix_now()).unwrap_err(),
            CookieError::NotAuthentic
        );
        site.assert_refused(
            &back,
            Some(&other_purpose),
            "the login cookie is not authentic",
            (&cookie, &back),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn an_expired_cookie_is_refused() {
    after_login_started(async |site, cookie, back| {
        let cookies = LoginCookies::new(&site.key);
        let now = unix_now();
        // The genuine pending authorization, sealed under the right key 10 minutes and 1 second ago.
        let pending = cookies.open(&cookie, now).unwrap();
        let expired = cookies.seal(&pending, now - 601).unwrap();
        // Around the limit, and an issue time from the future.
        let pending = cookies.open(&cookie, now).unwrap();
        assert!(
            cookies
                .open(&cookies.seal(&pending, now - 590).unwrap(), now)
                .is_ok()
        );
        assert_eq!(
            cookies.open(&expired, now).unwrap_err(),
            CookieError::Expired
        );
        let from_the_future = cookies.seal(&pending, now + 3600).unwrap();
        assert_eq!(
            cookies.open(&from_the_future, now).unwrap_err(),
            CookieError::Expired
        );
        site.assert_refused(
            &back,
            Some(&expired),
            "the login cookie has expired (a login must finish within 10 minutes)",
            (&cookie, &back),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_callback_with_another_state_is_refused() {
    after_login_started(async |site, cookie, back| {
        let mut forged = Url::parse(&back).unwrap();
        let pairs: Vec<(String, String)> = forged
            .query_pairs()
            .map(|(k, v)| {
                let v = if k == "state" { "forged".into() } else { v };
                (k.into_owned(), v.into_owned())
            })
            .collect();
        assert!(pairs.iter().any(|(k, _)| k == "code"));
        assert!(pairs.contains(&("state".to_owned(), "forged".to_owned())));
        forged.query_pairs_mut().clear().extend_pairs(pairs);
        site.assert_refused(
            forged.as_str(),
            Some(&cookie),
            "the callback's state does not match this session's",
            (&cookie, &back),
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn the_cookie_shows_neither_the_state_nor_the_verifier() {
    bounded(async {
        let site = Site::start().await;
        let (cookie, authorize) = site.login().await;
        let state = authorize
            .query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .expect("the authorize URL has a state");
        // What the cookie holds, opened with the key: the same state, and the PKCE verifier.
        let opened = site.opened(&cookie);
        assert_eq!(opened["state"], state.as_str());
        let verifier = opened["pkce_verifier"]
            .as_str()
            .expect("the login uses PKCE")
            .to_owned();
        assert!(verifier.len() >= 43);

        // What the browser sees: the value, and the bytes under its base64url.
        let seen = URL_SAFE_NO_PAD.decode(&cookie).unwrap();
        let seen_text = String::from_utf8_lossy(&seen);
        for secret in [&state, &verifier] {
            assert!(!cookie.contains(secret.as_str()), "in the cookie's value");
            assert!(
                !seen_text.contains(secret.as_str()),
                "in the cookie's bytes"
            );
            assert!(
                !seen
                    .windows(8)
                    .any(|w| secret.as_bytes().windows(8).any(|s| s == w)),
                "a part of a secret in the cookie's bytes"
            );
        }
        for field in [
            "pkce_verifier",
            "state",
            "redirect_uri",
            "issued_at",
            "127.0.0.1",
        ] {
            assert!(!seen_text.contains(field), "{field} in clear");
        }
        // Nonce (24) + the sealed JSON + tag (16).
        let plaintext_len = serde_json::to_vec(&serde_json::json!({
            "issued_at": 0, "pending": opened
        }))
        .unwrap()
        .len();
        assert!(seen.len() >= 24 + 16 + plaintext_len - 10, "{}", seen.len());

        // A second login is sealed under a fresh nonce.
        let (second, _) = site.login().await;
        let second = URL_SAFE_NO_PAD.decode(&second).unwrap();
        assert_ne!(seen[..24], second[..24]);
        site.emu.shutdown().await;
    })
    .await;
}
