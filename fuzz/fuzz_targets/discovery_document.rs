//! The instance document (`/.well-known/fluxer`) as discovery reads it, with any body: never a
//! panic; when it is accepted, every address it hands out keeps the transport rule (https, or plain
//! http to this machine, no user info), and the authorize URL built from it starts with its
//! consent page; when it is refused, the error is a discovery error.
//!
//! Raw bytes exercise the decoding; the structured half builds documents whose addresses are
//! arbitrary strings, to reach the checks behind the decoding.
#![no_main]

use arbitrary::Arbitrary;
use fluxer_oauth2::{
    discovery::Instance,
    oauth::{Scope, Scopes},
};
use libfuzzer_sys::fuzz_target;
use url::{Host, Url};

#[derive(Arbitrary, Debug)]
enum Body {
    Raw(Vec<u8>),
    Built {
        api: String,
        webapp: Option<String>,
        authorization_endpoint: Option<String>,
        scopes_supported: Vec<String>,
        captcha_provider: Option<String>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    /// Which instance address discovery started from.
    instance: u8,
    body: Body,
}

const INSTANCES: [&str; 4] = [
    "https://chat.example.org",
    "https://chat.example.org/",
    "http://127.0.0.1:8080/v1",
    "http://localhost",
];

/// The transport rule every address discovery hands out must keep.
fn allowed(url: &Url) {
    let local = match url.host() {
        Some(Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    assert!(
        url.scheme() == "https" || (url.scheme() == "http" && local),
        "{url} breaks the transport rule"
    );
    assert!(url.username().is_empty() && url.password().is_none(), "{url} has user info");
}

fuzz_target!(|input: Input| {
    let instance_url = INSTANCES[usize::from(input.instance) % INSTANCES.len()];
    let body = match input.body {
        Body::Raw(bytes) => bytes,
        Body::Built {
            api,
            webapp,
            authorization_endpoint,
            scopes_supported,
            captcha_provider,
        } => {
            let mut doc = serde_json::json!({ "endpoints": { "api": api } });
            if let Some(webapp) = webapp {
                doc["endpoints"]["webapp"] = webapp.into();
            }
            if authorization_endpoint.is_some() || !scopes_supported.is_empty() {
                doc["oauth2"] = serde_json::json!({
                    "authorization_endpoint": authorization_endpoint,
                    "scopes_supported": scopes_supported,
                });
            }
            if let Some(provider) = captcha_provider {
                doc["captcha"] = serde_json::json!({ "provider": provider });
            }
            serde_json::to_vec(&doc).expect("a JSON value serialises")
        }
    };
    match Instance::from_document(instance_url, &body) {
        Ok(instance) => {
            allowed(&Url::parse(instance.api_base()).expect("the API base is a URL"));
            allowed(instance.authorize_endpoint());
            if let Some(web) = instance.web_app_base() {
                allowed(web);
            }
            assert_ne!(instance.captcha_provider(), Some("none"));
            if let Some(scopes) = instance.scopes_supported() {
                let again: Scopes = scopes.to_string().parse().expect("listed scopes read back");
                assert_eq!(again, scopes);
            }
            if let Ok(request) = instance
                .authorize_url("1574449618593251330", "https://app.example/callback")
                .scope(Scope::Identify)
                .build()
            {
                let page = instance.authorize_endpoint().as_str();
                let page = page.split('?').next().unwrap_or(page);
                assert!(request.url.as_str().starts_with(page), "{}", request.url);
            }
            let _ = format!("{instance:?} {instance}");
        }
        Err(err) => {
            let shown = err.to_string();
            assert!(shown.starts_with("discovery"), "{shown}");
        }
    }
});
