//! The generated client's hooks: the credential header and its check, the sudo-mode token, 429 retries,
//! the response size cap, rate-limit headers and tracing. Every generated operation passes through here.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{StatusCode, header::HeaderValue};
use tracing::Instrument as _;

use crate::{
    Credential,
    call::{self, CallOutcome},
    operations::{CredentialKind, OperationSpec},
    ratelimit::{RateLimitInfo, RetryPolicy, duration_from_secs},
    sudo::{SUDO_HEADER, SudoCache},
};

/// State the generated client carries for the hooks: the credential, and what its clones share.
#[derive(Clone, Debug, Default)]
pub struct ClientState {
    pub(crate) credential: Option<Credential>,
    /// The credential's `Authorization` value, made once (or why it cannot be).
    header: Option<Result<HeaderValue, String>>,
    pub(crate) sudo: SudoCache,
    /// Set when this session credential met the global rate limit: a 401 after that means the server
    /// revoked the session.
    pub(crate) hit_global_limit: Arc<AtomicBool>,
    pub(crate) shared: Arc<Shared>,
}

/// Settings and observations shared by every clone of a client, whatever its credential.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    /// The total timeout of one attempt.
    pub(crate) timeout: Duration,
    pub(crate) last_rate_limit: Mutex<Option<RateLimitInfo>>,
    pub(crate) session_pacer: Pacer,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            timeout: Duration::from_secs(30),
            last_rate_limit: Mutex::new(None),
            session_pacer: Pacer::new(SESSION_MIN_INTERVAL),
        }
    }
}

/// The default cap on a response body: far above any Fluxer OAuth2 answer.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Session calls are spaced by at least this much: 40 per second, below the server's global limit of
/// 50 per second, whose 429 would revoke the session.
pub(crate) const SESSION_MIN_INTERVAL: Duration = Duration::from_millis(25);

/// Spaces requests out so that no more than one starts per interval.
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Option<Instant>>,
}

impl Shared {
    /// The longest one call can take: every attempt timing out, plus the most the retries wait.
    pub(crate) fn longest_call(&self) -> Duration {
        self.timeout * (self.retry.max_retries + 1) + self.retry.max_total_wait
    }
}

impl Pacer {
    pub(crate) fn new(interval: Duration) -> Self {
        Self {
            interval,
            next: tokio::sync::Mutex::new(None),
        }
    }

    /// Waits for this request's slot.
    async fn wait(&self) {
        let (slot, now) = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            (slot, now)
        };
        // A free slot goes at once: the timer would round even a zero wait up to its next tick.
        if slot > now {
            tokio::time::sleep_until(slot.into()).await;
        }
    }
}

impl ClientState {
    /// The state of a client holding `credential`, with its own sudo token and global-limit flag.
    pub(crate) fn new(credential: Option<Credential>, shared: Arc<Shared>) -> Self {
        Self {
            header: credential.as_ref().map(Credential::header_value),
            credential,
            sudo: SudoCache::default(),
            hit_global_limit: Arc::default(),
            shared,
        }
    }

    /// Refuses a call whose operation does not accept this credential. `None` when it may go.
    pub(crate) fn refusal(&self, op: &'static str) -> Option<crate::Error> {
        let spec = OperationSpec::find(op)?;
        let given = self.credential.as_ref().map(Credential::kind);
        let accepted = spec.accepts.is_empty() || given.is_some_and(|k| spec.accepts.contains(&k));
        (!accepted).then_some(crate::Error::CredentialNotAccepted {
            operation: spec.id,
            given,
            accepted: spec.accepts,
        })
    }
}

impl ClientHooks<ClientState> for crate::generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let state = self.inner();
        if let Some(refusal) = state.refusal(info.operation_id) {
            return Err(progenitor_client::Error::Custom(refusal.to_string()));
        }
        let spec = OperationSpec::find(info.operation_id);
        let headers = request.headers_mut();
        // The generator adds a header nobody reads; keep requests minimal.
        headers.remove("api-version");
        // Exactly one Authorization header: the credential on operations that take one; on the others
        // (public view, token, introspect, revoke) only the HTTP Basic client authentication that a
        // token call asked for, never the client's credential.
        headers.remove(reqwest::header::AUTHORIZATION);
        match (&state.header, spec.is_some_and(|s| !s.accepts.is_empty())) {
            (Some(header), true) => {
                let value = header.clone().map_err(progenitor_client::Error::Custom)?;
                headers.insert(reqwest::header::AUTHORIZATION, value);
            }
            _ => {
                if let Some(basic) = call::basic_auth() {
                    headers.insert(reqwest::header::AUTHORIZATION, basic);
                }
            }
        }
        if spec.is_some_and(|s| s.sudo)
            && let Some(token) = state.sudo.current()
            && let Ok(mut value) = HeaderValue::from_str(token.expose_secret())
        {
            value.set_sensitive(true);
            headers.insert(SUDO_HEADER, value);
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        self.execute(request, info.operation_id).await
    }
}

impl crate::generated::Client {
    /// Sends a request as every operation is sent: paced, retried on 429 within the budget, capped,
    /// observed and traced. Requests built outside the generated code (the bearer escape hatch) come
    /// through here too.
    pub(crate) async fn execute(
        &self,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::debug_span!(
            "fluxer_oauth2.call",
            operation,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        self.exec_with_retries(request, operation)
            .instrument(span)
            .await
    }

    async fn exec_with_retries(
        &self,
        request: reqwest::Request,
        operation: &'static str,
    ) -> reqwest::Result<reqwest::Response> {
        let state = self.inner();
        let shared = &state.shared;
        let is_session = matches!(state.credential, Some(Credential::Session(_)))
            && OperationSpec::find(operation)
                .is_some_and(|s| s.accepts.contains(&CredentialKind::Session));
        let started = Instant::now();
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        // Every attempt but the last sends a copy; the last (or the only one, for a body that cannot
        // be copied) sends the request itself.
        let mut request = Some(request);
        loop {
            attempt += 1;
            let original = request.as_ref().expect("kept until the last attempt");
            let (to_send, can_retry) = match original.try_clone() {
                Some(copy) if attempt <= shared.retry.max_retries => (copy, true),
                _ => (request.take().expect("kept until the last attempt"), false),
            };
            if is_session {
                shared.session_pacer.wait().await;
            }
            let sent_at = Instant::now();
            let response = match self.client().execute(to_send).await {
                Ok(response) => response,
                Err(err) => {
                    // Nothing reached the server when the connection could not be opened: safe to retry.
                    let retry = can_retry
                        && err.is_connect()
                        && waited + CONNECT_RETRY_DELAY <= shared.retry.max_total_wait;
                    tracing::debug!(attempt, error = %err, retry, "request failed");
                    if retry {
                        tokio::time::sleep(CONNECT_RETRY_DELAY).await;
                        waited += CONNECT_RETRY_DELAY;
                        continue;
                    }
                    return Err(err);
                }
            };
            let (parts, body) = match read_capped(response, shared.max_response_bytes).await? {
                Capped::Whole(parts, body) => (parts, body),
                Capped::TooLarge(parts) => {
                    call::record(CallOutcome::TooLarge {
                        status: parts.0.as_u16(),
                        limit: shared.max_response_bytes,
                    });
                    return Ok(rebuild(parts, bytes::Bytes::new()));
                }
            };
            let (status, _, headers) = &parts;
            let status = *status;
            let rate_limit = RateLimitInfo::from_headers(headers);
            if let Some(info) = &rate_limit {
                *shared
                    .last_rate_limit
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(info.clone());
            }
            if let Some(token) = headers.get(SUDO_HEADER).and_then(|v| v.to_str().ok()) {
                state.sudo.store(token);
            }
            tracing::debug!(
                attempt,
                status = status.as_u16(),
                elapsed_ms = sent_at.elapsed().as_millis() as u64,
                "answer"
            );
            // Only these two answers need their body read here; parse it once.
            let json = matches!(
                status,
                StatusCode::TOO_MANY_REQUESTS | StatusCode::FORBIDDEN
            )
            .then(|| serde_json::from_slice::<serde_json::Value>(&body).ok())
            .flatten();
            let field = |name: &str| json.as_ref().and_then(|v| v.get(name));
            if status == StatusCode::TOO_MANY_REQUESTS {
                let wait = field("retry_after")
                    .and_then(serde_json::Value::as_f64)
                    .and_then(duration_from_secs)
                    .or_else(|| rate_limit.as_ref().and_then(|h| h.retry_after))
                    .unwrap_or(Duration::from_secs(1));
                let global = rate_limit.as_ref().is_some_and(|r| r.global)
                    || field("global").and_then(serde_json::Value::as_bool) == Some(true);
                if global && is_session {
                    state.hit_global_limit.store(true, Ordering::Relaxed);
                }
                let retry = can_retry && waited + wait <= shared.retry.max_total_wait;
                tracing::debug!(
                    attempt,
                    wait_ms = wait.as_millis() as u64,
                    global,
                    retry,
                    "rate limited"
                );
                if retry {
                    tokio::time::sleep(wait).await;
                    waited += wait;
                    continue;
                }
            }
            if status == StatusCode::FORBIDDEN
                && field("code").and_then(serde_json::Value::as_str) == Some("SUDO_MODE_REQUIRED")
            {
                state.sudo.clear();
            }
            if status == StatusCode::UNAUTHORIZED
                && is_session
                && state.hit_global_limit.load(Ordering::Relaxed)
            {
                call::record(CallOutcome::SessionRevoked);
            }
            call::record(CallOutcome::Answered {
                status: status.as_u16(),
                rate_limit,
            });
            let span = tracing::Span::current();
            span.record("status", status.as_u16());
            span.record("attempts", attempt);
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            return Ok(rebuild(parts, body));
        }
    }
}

/// The pause before retrying a connection that could not be opened.
const CONNECT_RETRY_DELAY: Duration = Duration::from_millis(200);

type Parts = (StatusCode, reqwest::Version, reqwest::header::HeaderMap);

enum Capped {
    Whole(Parts, bytes::Bytes),
    TooLarge(Parts),
}

/// Reads the whole body, refusing to buffer more than `limit` bytes (the server answers chunked, with no
/// `Content-Length`, so the cap is enforced while reading).
async fn read_capped(mut response: reqwest::Response, limit: usize) -> reqwest::Result<Capped> {
    let parts = (
        response.status(),
        response.version(),
        response.headers().clone(),
    );
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Ok(Capped::TooLarge(parts));
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        if body.len() + chunk.len() > limit {
            return Ok(Capped::TooLarge(parts));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Capped::Whole(parts, body.freeze()))
}

/// A response with an already-read body, for the generated code to decode.
fn rebuild((status, version, headers): Parts, body: bytes::Bytes) -> reqwest::Response {
    let mut builder = http::Response::builder().status(status).version(version);
    if let Some(map) = builder.headers_mut() {
        *map = headers;
    }
    let response = builder
        .body(body)
        .unwrap_or_else(|_| http::Response::new(bytes::Bytes::new()));
    reqwest::Response::from(response)
}
