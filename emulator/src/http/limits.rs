//! The rate-limit middleware: global and per-route buckets, 429 bodies and headers.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

use crate::observe::api_path;
use crate::ratelimit::{Verdict, bucket_hash, retry_after_header, round3};
use crate::shared::{Inner, lock};

use super::auth::{self, Caller};
use serde::Serialize;

use super::reply;

/// The peer address of a connection, put into request extensions by the server.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PeerIp(pub IpAddr);

/// The route bucket of a request and, for per-application buckets, the application id.
pub(crate) fn bucket_for(method: &str, path: &str) -> Option<(&'static str, Option<String>)> {
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let id = |s: &str| Some(s.to_owned());
    let bucket = match (method, segs.as_slice()) {
        ("GET", ["oauth2", "authorize"]) | ("POST", ["oauth2", "authorize", "consent"]) => {
            ("oauth:authorize", None)
        }
        ("POST", ["oauth2", "token"]) => ("oauth:token", None),
        ("GET", ["users", "@me"]) => ("users:@me", None),
        ("POST", ["oauth2", "introspect"])
        | ("POST", ["oauth2", "token", "revoke"])
        | ("GET", ["oauth2", "userinfo"])
        | ("GET", ["oauth2", "@me"])
        | ("DELETE", ["oauth2", "@me", "authorizations", _])
        | ("POST", ["oauth2", "@me", "authorizations", "revoke"]) => ("oauth:introspect", None),
        ("GET", ["oauth2", "@me", "authorizations"])
        | ("GET", ["users", "@me", "applications"])
        | ("GET", ["oauth2", "applications", _])
        | ("GET", ["oauth2", "applications", _, "public"]) => ("oauth_dev:clients:list", None),
        ("POST", ["oauth2", "applications"]) => ("oauth_dev:clients:create", None),
        ("PATCH", ["oauth2", "applications", app])
        | ("PATCH", ["oauth2", "applications", app, "bot"]) => {
            ("oauth_dev:clients:update", id(app))
        }
        ("POST", ["oauth2", "applications", app, "client-secret", "reset"])
        | ("POST", ["oauth2", "applications", app, "bot", "reset-token"]) => {
            ("oauth_dev:clients:rotate_secret", id(app))
        }
        ("DELETE", ["oauth2", "applications", app]) => ("oauth_dev:clients:delete", id(app)),
        _ => return None,
    };
    Some(bucket)
}

fn set(headers: &mut HeaderMap, name: &'static str, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        headers.insert(HeaderName::from_static(name), v);
    }
}

#[derive(Serialize)]
struct Limited {
    code: &'static str,
    message: &'static str,
    global: bool,
    retry_after: f64,
}

fn limited_body(global: bool, retry_after: f64) -> Response {
    reply::json(
        StatusCode::TOO_MANY_REQUESTS,
        &Limited {
            code: "RATE_LIMITED",
            message: "You're being rate limited.",
            global,
            retry_after: round3(retry_after),
        },
    )
}

fn route_headers(h: &mut HeaderMap, v: &Verdict, bucket: &str, now_ms: u64) {
    let reset_ms = now_ms as f64 + v.reset_after * 1000.0;
    set(h, "x-ratelimit-limit", v.limit.to_string());
    set(h, "x-ratelimit-remaining", v.remaining.to_string());
    set(
        h,
        "x-ratelimit-reset",
        ((reset_ms / 1000.0).ceil() as u64).to_string(),
    );
    set(
        h,
        "x-ratelimit-reset-after",
        format!("{:.3}", round3(v.reset_after)),
    );
    set(h, "x-ratelimit-bucket", bucket_hash(bucket));
}

/// Applies the configured limits, when any, before the route runs.
pub(crate) async fn rate_limit(
    State(inner): State<Arc<Inner>>,
    req: Request,
    next: Next,
) -> Response {
    let settings = inner.settings();
    let Some(mut cfg) = settings.rate_limits else {
        return next.run(req).await;
    };
    if settings.rate_limits_need_test_header {
        let headers = req.headers();
        let enabled = headers
            .get("x-fluxer-test-enable-rate-limits")
            .is_some_and(|v| v.as_bytes() == b"true");
        let global: Option<u32> = headers
            .get("x-fluxer-test-global-rate-limit")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        if !enabled {
            return next.run(req).await;
        }
        if let Some(n) = global {
            cfg.global.limit = n;
        }
    }
    let caller = auth::caller(&inner, req.headers());
    let key = match caller.principal() {
        Some(p) => format!("user:{p}"),
        None => {
            let ip = req.extensions().get::<PeerIp>().map(|p| p.0.to_string());
            format!("ip:{}", ip.unwrap_or_default())
        }
    };
    let now = inner.now_ms();
    let global = lock(&inner.limiter).hit(&format!("global|{key}"), cfg.global, now);
    if !global.allowed {
        // A session that hits the global limit is logged out.
        if let Caller::User { session, .. } = &caller {
            inner.store().sessions.remove(session);
        }
        let mut resp = limited_body(true, global.retry_after);
        let h = resp.headers_mut();
        set(
            h,
            "retry-after",
            retry_after_header(global.retry_after).to_string(),
        );
        set(h, "x-ratelimit-global", "true".to_owned());
        set(h, "x-ratelimit-scope", "global".to_owned());
        return resp;
    }
    let path = api_path(req.uri().path()).to_owned();
    let Some((name, app)) = bucket_for(req.method().as_str(), &path) else {
        return next.run(req).await;
    };
    let Some(limit) = cfg.routes.get(name).copied() else {
        return next.run(req).await;
    };
    let bucket = match app {
        Some(id) => format!("{name}::{id}"),
        None => name.to_owned(),
    };
    let verdict = lock(&inner.limiter).hit(&format!("{bucket}|{key}"), limit, now);
    if !verdict.allowed {
        let mut resp = limited_body(false, verdict.retry_after);
        let h = resp.headers_mut();
        set(
            h,
            "retry-after",
            retry_after_header(verdict.retry_after).to_string(),
        );
        route_headers(h, &verdict, &bucket, now);
        set(h, "x-ratelimit-scope", "user".to_owned());
        return resp;
    }
    let mut resp = next.run(req).await;
    if matches!(caller, Caller::Bot { .. }) {
        route_headers(resp.headers_mut(), &verdict, &bucket, now);
    }
    resp
}
