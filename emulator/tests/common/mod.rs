//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::time::Duration;

use fluxer_oauth2_emulator::{Emulator, SeededUser};
use serde_json::{Value, json};

/// A client that never follows redirects and gives up after 10 s.
pub fn client() -> reqwest::Client {
    // Built together with the client crate, reqwest has rustls without a crypto provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// A response reduced to what the tests look at.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }
}

pub async fn answer(resp: reqwest::Response) -> Answer {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.expect("body");
    Answer {
        status,
        headers,
        text,
    }
}

/// Test context: an emulator and a client.
pub struct Ctx {
    pub emu: Emulator,
    pub http: reqwest::Client,
}

impl Ctx {
    pub async fn new() -> Ctx {
        Ctx {
            emu: Emulator::start().await,
            http: client(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.emu.base_url(), path)
    }

    pub async fn get(&self, path: &str, auth: Option<&str>) -> Answer {
        let mut b = self.http.get(self.url(path));
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        answer(b.send().await.expect("send")).await
    }

    pub async fn send_json(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut b = self.http.request(method.parse().unwrap(), self.url(path));
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        if let Some(body) = body {
            b = b
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        answer(b.send().await.expect("send")).await
    }

    pub async fn form(&self, path: &str, pairs: &[(&str, &str)], auth: Option<&str>) -> Answer {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            ser.append_pair(k, v);
        }
        let mut b = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(ser.finish());
        if let Some(a) = auth {
            b = b.header("authorization", a);
        }
        answer(b.send().await.expect("send")).await
    }

    /// `POST /oauth2/applications` with `body`, as the holder of `session`.
    pub async fn post_app(&self, session: &str, body: Value) -> Answer {
        self.send_json("POST", "/oauth2/applications", Some(session), Some(body))
            .await
    }

    /// Creates an application for `user` and returns `(id, client_secret, bot_token)`.
    pub async fn create_app(&self, user: &SeededUser, redirect: &str) -> (String, String, String) {
        let a = self
            .post_app(
                &user.session_token,
                json!({"name": "Test App", "redirect_uris": [redirect]}),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let j = a.json();
        (
            j["id"].as_str().unwrap().to_owned(),
            j["client_secret"].as_str().unwrap().to_owned(),
            j["bot"]["token"].as_str().unwrap().to_owned(),
        )
    }

    /// Runs consent for `user` and returns the code.
    pub async fn code(
        &self,
        user: &SeededUser,
        app: &str,
        redirect: &str,
        scope: &str,
        extra: Value,
    ) -> String {
        let mut body =
            json!({"client_id": app, "redirect_uri": redirect, "scope": scope, "state": "s"});
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        let a = self
            .send_json(
                "POST",
                "/oauth2/authorize/consent",
                Some(&user.session_token),
                Some(body),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        let to = a.json()["redirect_to"].as_str().unwrap().to_owned();
        let u = url::Url::parse(&to).unwrap();
        u.query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned()
    }

    /// Consent plus exchange: returns the token response.
    pub async fn tokens(
        &self,
        user: &SeededUser,
        app: &str,
        secret: &str,
        redirect: &str,
        scope: &str,
    ) -> Value {
        let code = self.code(user, app, redirect, scope, json!({})).await;
        let a = self
            .form(
                "/oauth2/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("client_id", app),
                    ("client_secret", secret),
                ],
                None,
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.json()
    }
}
