//! The generated client's hooks, the one call path: the credential check and the one
//! `Authorization` header, the sudo-mode token, pacing of session calls, 429 retries, the response
//! size cap and tracing. Every generated operation passes through here.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{StatusCode, header::HeaderValue};
use tracing::Instrument as _;

use crate::{
    Credential,
    discovery::Instance,
    mask::RequestSecrets,
    oauth::{Scope, Scopes},
    operations::{CredentialKind, OperationSpec},
    ratelimit::{RateLimitInfo, RetryPolicy, duration_from_secs},
    sudo::{SUDO_HEADER, SudoCache},
};

/// State the generated client carries for the hooks: the credential, and what its clones share.
#[derive(Clone, Debug, Default)]
pub struct ClientState {
    pub(crate) credential: Option<Credential>,
    /// The credential's `Authorization` value, made once (`None` when it sends none; the error says
    /// why it cannot be sent).
    header: Option<Result<HeaderValue, String>>,
    pub(crate) sudo: SudoCache,
    /// Set when this session credential met the global rate limit: a 401 after that means the server
    /// revoked the session.
    pub(crate) hit_global_limit: Arc<AtomicBool>,
    /// Set when this session credential logged out: nothing more is sent with it.
    pub(crate) session_ended: Arc<AtomicBool>,
    /// The scopes a Bearer credential was granted, when known: a call needing another one is
    /// refused before it is sent.
    pub(crate) granted_scopes: Option<Scopes>,
    /// What discovery learnt about the instance, when the client was made by discovery.
    pub(crate) instance: Option<Arc<Instance>>,
    pub(crate) shared: Arc<Shared>,
}

/// Settings shared by every clone of a client, whatever its credential.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    /// The total timeout of one attempt.
    pub(crate) timeout: Duration,
    /// The deadline of a whole call: every attempt and every wait.
    pub(crate) call_timeout: Duration,
    pub(crate) session_pacer: Pacer,
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            timeout: Duration::from_secs(30),
            call_timeout: DEFAULT_CALL_TIMEOUT,
            session_pacer: Pacer::new(SESSION_MIN_INTERVAL),
        }
    }
}

/// The default deadline of a whole call (every attempt, every wait).
pub(crate) const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The default cap on a response body: far above any Fluxer OAuth2 answer.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Session calls are spaced by at least this much: 40 per second, below the server's global limit of
/// 50 per second, whose 429 would revoke the session.
pub(crate) const SESSION_MIN_INTERVAL: Duration = Duration::from_millis(25);

/// The pause before retrying a connection that could not be opened.
const CONNECT_RETRY_DELAY: Duration = Duration::from_millis(200);

/// Spaces requests out so that no more than one starts per interval.
#[derive(Debug)]
pub(crate) struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<Option<Instant>>,
}

impl Shared {
    /// The longest one call can take: its deadline.
    pub(crate) fn longest_call(&self) -> Duration {
        self.call_timeout
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
            header: credential.as_ref().and_then(Credential::header_value),
            credential,
            sudo: SudoCache::default(),
            hit_global_limit: Arc::default(),
            session_ended: Arc::default(),
            granted_scopes: None,
            instance: None,
            shared,
        }
    }

    /// The first scope `op` needs that the Bearer credential was not granted, when the granted
    /// scopes are known.
    fn missing_scope(&self, op: &OperationSpec) -> Option<&'static str> {
        if self.kind() != Some(CredentialKind::Bearer) {
            return None;
        }
        let granted = self.granted_scopes.as_ref()?;
        op.scopes
            .iter()
            .copied()
            .find(|scope| !granted.contains(&Scope::Other((*scope).to_owned())))
    }

    /// The kind of credential held, if any.
    pub(crate) fn kind(&self) -> Option<CredentialKind> {
        self.credential.as_ref().map(Credential::kind)
    }

    /// The one place a header is chosen: the credential's, when the operation takes it; none when the
    /// operation may go without; otherwise the refusal, said as [`crate::Error::CredentialNotAccepted`]
    /// says it (the error conversion reads it back). A Bearer credential whose granted scopes are
    /// known is refused, as [`crate::Error::MissingScope`] says it, when it lacks one the operation
    /// needs.
    fn authorization(&self, op: &OperationSpec) -> Result<Option<HeaderValue>, String> {
        let kind = self.kind();
        if kind.is_some_and(|k| op.accepts.contains(&k)) {
            if kind == Some(CredentialKind::Session) && self.session_ended.load(Ordering::Relaxed) {
                return Err(crate::Error::SessionEnded { operation: op.id }.to_string());
            }
            if let Some(scope) = self.missing_scope(op) {
                return Err(crate::Error::MissingScope {
                    operation: op.id,
                    scope: scope.to_owned(),
                }
                .to_string());
            }
            return match &self.header {
                Some(Ok(value)) => Ok(Some(value.clone())),
                Some(Err(why)) => Err(format!("{}: invalid input: {why}", op.id)),
                None => Ok(None),
            };
        }
        if op.anonymous {
            return Ok(None);
        }
        Err(crate::Error::CredentialNotAccepted {
            operation: op.id,
            given: kind,
            accepted: op.accepts,
        }
        .to_string())
    }

    /// Whether a call of `op` is paced and watched as a session call.
    fn is_session_call(&self, op: &OperationSpec) -> bool {
        matches!(self.credential, Some(Credential::Session(_)))
            && op.accepts.contains(&CredentialKind::Session)
    }
}

impl ClientHooks<ClientState> for crate::generated::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let Some(op) = crate::generated::operation(info.operation_id) else {
            return Ok(());
        };
        let state = self.inner();
        let header = state
            .authorization(op)
            .map_err(progenitor_client::Error::Custom)?;
        let headers = request.headers_mut();
        // Insert, never append: exactly one Authorization header, or none.
        if let Some(value) = header {
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        if op.sudo
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
        let op = crate::generated::operation(operation);
        let span = tracing::debug_span!(
            "fluxer_oauth2.call",
            operation,
            method = %request.method(),
            path = request.url().path(),
            // A call that may spend a code or refresh token says so: it is never retried blindly.
            single_use = op.is_some_and(|op| op.single_use),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        // Boxed: the attempts, waits and body reads take a few kilobytes of future state, which
        // every caller's future would otherwise carry (and copy each time it is moved). A span no
        // subscriber wants is not entered at every poll.
        let attempts = self.exec_with_retries(request, op);
        if span.is_disabled() {
            Box::pin(attempts).await
        } else {
            Box::pin(attempts.instrument(span)).await
        }
    }

    async fn exec_with_retries(
        &self,
        request: reqwest::Request,
        op: Option<&'static OperationSpec>,
    ) -> reqwest::Result<reqwest::Response> {
        let state = self.inner();
        let shared = &state.shared;
        let is_session = op.is_some_and(|op| state.is_session_call(op));
        let is_sudo = op.is_some_and(|op| op.sudo);
        let ends_session = is_session && op.is_some_and(|op| op.ends_session);
        let started = Instant::now();
        let deadline = started.checked_add(shared.call_timeout);
        let remaining = || deadline.map(|d| d.saturating_duration_since(Instant::now()));
        // What the answer may echo: the secret values of this request, kept only as cheap references
        // (the header values are shared bytes; the body is copied only when it has secret fields).
        let echo = Echo::of(&request, op);
        let mut waited = Duration::ZERO;
        let mut attempt: u32 = 0;
        // A copy is made only while a retry is still possible; the body is `Bytes`, so the copy shares
        // it. The last attempt (or one whose body cannot be copied) sends the request itself.
        let mut request = Some(request);
        loop {
            attempt = attempt.saturating_add(1);
            let original = request.as_ref().expect("kept until the last attempt");
            let copy = (attempt <= shared.retry.max_retries)
                .then(|| original.try_clone())
                .flatten();
            let (mut to_send, can_retry) = match copy {
                Some(copy) => (copy, true),
                None => (request.take().expect("kept until the last attempt"), false),
            };
            if is_session {
                shared.session_pacer.wait().await;
            }
            // Each attempt gets what is left of the call's deadline, at most the attempt timeout.
            if let Some(left) = remaining() {
                *to_send.timeout_mut() =
                    Some(left.min(shared.timeout).max(Duration::from_millis(1)));
            }
            let response = match self.client().execute(to_send).await {
                Ok(response) => response,
                Err(err) => {
                    // Nothing reached the server when the connection could not be opened: safe to retry.
                    let fits = remaining().is_none_or(|left| CONNECT_RETRY_DELAY < left);
                    let retry = can_retry
                        && err.is_connect()
                        && fits
                        && waited.saturating_add(CONNECT_RETRY_DELAY)
                            <= shared.retry.max_total_wait;
                    tracing::debug!(attempt, error = %err, retry, "request failed");
                    if retry {
                        tokio::time::sleep(CONNECT_RETRY_DELAY).await;
                        waited = waited.saturating_add(CONNECT_RETRY_DELAY);
                        continue;
                    }
                    return Err(err);
                }
            };
            let status = response.status();
            if is_sudo
                && let Some(token) = response
                    .headers()
                    .get(SUDO_HEADER)
                    .and_then(|v| v.to_str().ok())
            {
                state.sudo.store(token);
            }
            tracing::debug!(attempt, status = status.as_u16(), "answer");
            if ends_session && status.is_success() {
                state.session_ended.store(true, Ordering::Relaxed);
            }
            // Only an error answer is turned into text for a person: it gets the secrets to mask.
            let secrets = (!status.is_success()).then(|| echo.secrets(state));
            let mut response = match status {
                StatusCode::TOO_MANY_REQUESTS => {
                    let (response, json) = read_json(response, shared.max_response_bytes).await?;
                    let rate_limit = RateLimitInfo::from_headers(response.headers());
                    let field = |name: &str| json.as_ref().and_then(|v| v.get(name));
                    let asked = RetryAfter::read(field("retry_after"), rate_limit.as_ref());
                    let global = rate_limit.as_ref().is_some_and(|r| r.global)
                        || field("global").and_then(serde_json::Value::as_bool) == Some(true);
                    if global && is_session {
                        state.hit_global_limit.store(true, Ordering::Relaxed);
                    }
                    // Retry only a sane wait that fits in both the retry budget and the deadline.
                    let wait = asked.usable();
                    let retry = can_retry
                        && wait.is_some_and(|wait| {
                            waited.saturating_add(wait) <= shared.retry.max_total_wait
                                && remaining().is_none_or(|left| wait < left)
                        });
                    tracing::debug!(
                        attempt,
                        wait_ms = wait.map(|w| w.as_millis() as u64),
                        global,
                        retry,
                        "rate limited"
                    );
                    if let (true, Some(wait)) = (retry, wait) {
                        tokio::time::sleep(wait).await;
                        waited = waited.saturating_add(wait);
                        continue;
                    }
                    response
                }
                StatusCode::FORBIDDEN if is_sudo => {
                    let (response, json) = read_json(response, shared.max_response_bytes).await?;
                    let code = json.as_ref().and_then(|v| v.get("code"));
                    if code.and_then(serde_json::Value::as_str) == Some("SUDO_MODE_REQUIRED") {
                        state.sudo.clear();
                    }
                    response
                }
                _ => limit_body(response, shared.max_response_bytes).await?,
            };
            if let Some(secrets) = secrets {
                response.extensions_mut().insert(secrets);
            }
            let span = tracing::Span::current();
            span.record("status", status.as_u16());
            span.record("attempts", attempt);
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            return Ok(response);
        }
    }
}

/// What a request carried that its answer may echo back, kept cheaply until an error answer needs
/// it. The credential's header and the sudo token are the state's own (the hook put them there), so
/// only what the state does not hold is kept: the body's secret fields, and the header of a request
/// built outside the generated calls (the bearer escape hatch, an operation the table does not know).
struct Echo {
    foreign_authorization: Option<HeaderValue>,
    body: Option<bytes::Bytes>,
    fields: &'static [&'static str],
}

impl Echo {
    fn of(request: &reqwest::Request, op: Option<&'static OperationSpec>) -> Self {
        let fields = op.map_or(&[][..], |op| op.secret_fields);
        Self {
            foreign_authorization: op
                .is_none()
                .then(|| {
                    request
                        .headers()
                        .get(reqwest::header::AUTHORIZATION)
                        .cloned()
                })
                .flatten(),
            body: (!fields.is_empty())
                .then(|| request.body().and_then(reqwest::Body::as_bytes))
                .flatten()
                .map(bytes::Bytes::copy_from_slice),
            fields,
        }
    }

    /// The secret values, in every form an answer could echo them. Called before the answer is
    /// looked at, so that a sudo token the answer makes the client forget is still masked.
    fn secrets(&self, state: &ClientState) -> RequestSecrets {
        let mut secrets = RequestSecrets::default();
        let headers = [
            self.foreign_authorization.as_ref(),
            state.header.as_ref().and_then(|h| h.as_ref().ok()),
        ];
        for value in headers
            .into_iter()
            .flatten()
            .filter_map(|v| v.to_str().ok())
        {
            secrets.add_authorization(value);
        }
        if let Some(token) = state.sudo.current() {
            secrets.add(token.expose_secret());
        }
        if let Some(credential) = &state.credential {
            credential.add_secrets(&mut secrets);
        }
        if let Some(body) = &self.body {
            secrets.add_body_fields(body, self.fields);
        }
        secrets
    }
}

/// A 429's wait as the server said it: in the body (`retry_after`, seconds) or the `Retry-After`
/// header.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RetryAfter {
    /// The value as sent, when one was sent (cut short).
    pub(crate) raw: Option<String>,
    /// The wait, when the value is a finite, non-negative number of seconds below a billion.
    pub(crate) wait: Option<Duration>,
}

impl RetryAfter {
    pub(crate) fn read(body: Option<&serde_json::Value>, headers: Option<&RateLimitInfo>) -> Self {
        if let Some(value) = body {
            let raw: String = match value {
                serde_json::Value::String(s) => s.chars().take(32).collect(),
                other => other.to_string().chars().take(32).collect(),
            };
            return Self {
                wait: value.as_f64().and_then(duration_from_secs),
                raw: Some(raw),
            };
        }
        match headers {
            Some(info) if info.retry_after_raw.is_some() => Self {
                raw: info.retry_after_raw.clone(),
                wait: info.retry_after,
            },
            _ => Self {
                raw: None,
                wait: None,
            },
        }
    }

    /// The wait to honour: the server's, or one second when it said nothing (a proxy's page);
    /// `None` when what it said is unusable (negative, not a number, absurdly large).
    pub(crate) fn usable(&self) -> Option<Duration> {
        match (&self.raw, self.wait) {
            (_, Some(wait)) => Some(wait),
            (None, None) => Some(Duration::from_secs(1)),
            (Some(_), None) => None,
        }
    }
}

/// The mark a response carries when its body was over the cap and was not read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TooLarge;

/// The answer with its body capped at `limit` bytes. A body that says its length within the limit
/// goes as it is (the HTTP stack stops at that length); any other is read here, chunk by chunk,
/// never past the limit, and handed on whole (Fluxer's answers are small: one or two chunks, kept
/// without a copy when there is one). This is cheaper than wrapping the body in a length-limited
/// reader, whose three layers of boxed bodies every chunk would then cross.
async fn limit_body(
    response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<reqwest::Response> {
    if response
        .content_length()
        .is_some_and(|len| len <= limit as u64)
    {
        return Ok(response);
    }
    Ok(read_capped(response, limit).await?.0)
}

/// Reads the body within the cap and gives the answer back, whole, with its body. An answer over
/// the cap comes back empty and marked [`TooLarge`]; a success is then given a 502 status, so that
/// it reaches the error conversion (which reports [`crate::Error::ResponseTooLarge`]) instead of
/// decoding an empty body.
async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<(reqwest::Response, bytes::Bytes)> {
    use reqwest::ResponseBuilderExt as _;
    let mut too_large = response
        .content_length()
        .is_some_and(|len| len > limit as u64);
    let mut first: Option<bytes::Bytes> = None;
    let mut rest = bytes::BytesMut::new();
    while !too_large && let Some(chunk) = response.chunk().await? {
        let read = first.as_ref().map_or(0, bytes::Bytes::len) + rest.len();
        if read + chunk.len() > limit {
            too_large = true;
        } else if first.is_none() {
            first = Some(chunk);
        } else {
            if rest.is_empty() {
                rest.extend_from_slice(first.as_deref().unwrap_or_default());
            }
            rest.extend_from_slice(&chunk);
        }
    }
    let body = match (too_large, first) {
        (true, _) | (false, None) => bytes::Bytes::new(),
        (false, Some(only)) if rest.is_empty() => only,
        (false, Some(_)) => rest.freeze(),
    };
    let status = if too_large && response.status().is_success() {
        StatusCode::BAD_GATEWAY
    } else {
        response.status()
    };
    // Carrying the URL over spares reqwest parsing a placeholder for the rebuilt answer.
    let url = response.url().clone();
    let mut rebuilt = http::Response::builder()
        .url(url)
        .body(body.clone())
        .expect("a response builder given only a URL cannot fail");
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = response.version();
    *rebuilt.headers_mut() = std::mem::take(response.headers_mut());
    if too_large {
        rebuilt.extensions_mut().insert(TooLarge);
    }
    Ok((reqwest::Response::from(rebuilt), body))
}

/// Reads a (429 or 403) body within the cap, and gives the answer back for the generated code with
/// the JSON it holds, if any.
async fn read_json(
    response: reqwest::Response,
    limit: usize,
) -> reqwest::Result<(reqwest::Response, Option<serde_json::Value>)> {
    let (response, body) = read_capped(response, limit).await?;
    Ok((response, serde_json::from_slice(&body).ok()))
}
