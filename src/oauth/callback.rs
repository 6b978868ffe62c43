//! The second leg of the authorization-code flow: read the redirect back from Fluxer, refuse a
//! callback whose state is not the one this session sent, and hand out the code only then.

use std::fmt;

use subtle::ConstantTimeEq;

use crate::Secret;
use crate::oauth::CsrfState;

/// The `error` value of a callback that carries no code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OAuthCallbackError {
    /// `login_required`: `prompt=none` and nobody is logged in. Retry without `prompt=none`.
    LoginRequired,
    /// `consent_required`: `prompt=none` and these scopes were not granted before. Retry without
    /// `prompt=none`.
    ConsentRequired,
    /// `access_denied`: the user refused.
    AccessDenied,
    /// `invalid_request` (RFC 6749).
    InvalidRequest,
    /// `invalid_scope` (RFC 6749).
    InvalidScope,
    /// `server_error` (RFC 6749).
    ServerError,
    /// `temporarily_unavailable` (RFC 6749).
    TemporarilyUnavailable,
    /// Any other code, as sent.
    Other(String),
}

impl OAuthCallbackError {
    /// Maps the wire value.
    pub fn from_code(code: &str) -> Self {
        match code {
            "login_required" => Self::LoginRequired,
            "consent_required" => Self::ConsentRequired,
            "access_denied" => Self::AccessDenied,
            "invalid_request" => Self::InvalidRequest,
            "invalid_scope" => Self::InvalidScope,
            "server_error" => Self::ServerError,
            "temporarily_unavailable" => Self::TemporarilyUnavailable,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::AccessDenied => "access_denied",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for OAuthCallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_untrusted(f, self.as_str())
    }
}

/// Why a callback gave no usable code. No variant carries the code or either state value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The server (or the user) answered with an `error` instead of a code.
    ///
    /// The browser carried this, so anyone could have forged it: treat it as information for the
    /// user, never as proof of anything.
    #[error("the authorization was not granted: `{error}`{}; {}", Description(.description), advice(.error))]
    Denied {
        /// The `error` code.
        error: OAuthCallbackError,
        /// `error_description`, if the server sent one.
        description: Option<String>,
    },
    /// Neither `code` nor `error` is present.
    #[error(
        "the callback has no `code` and no `error`: pass the full redirect URL (or its query) \
         that Fluxer sent the browser to"
    )]
    MissingCode,
    /// A parameter appears more than once (RFC 6749 forbids it; it smells of tampering).
    #[error("the callback has `{name}` more than once; refuse it and start the flow again")]
    DuplicateParameter {
        /// The repeated parameter.
        name: &'static str,
    },
    /// The callback has no `state`, or an empty one.
    #[error(
        "the callback has no state, so it cannot be tied to this session; refuse it and start the \
         flow again"
    )]
    StateMissing,
    /// The callback's `state` is not the one stored for this session: a forged, stale or
    /// cross-session callback.
    #[error(
        "the callback's state does not match this session's (forged, stale or from another \
         session); refuse it and start the flow again"
    )]
    StateMismatch,
}

/// A successful callback: a code and the state it came with. The code is released only by
/// [`Callback::verify_state`].
///
/// ```
/// use fluxer_oauth2::oauth::CsrfState;
/// use fluxer_oauth2::oauth::{Callback, CallbackError};
///
/// let expected = CsrfState::new("st-0-xyz"); // from the user's session
/// let callback = Callback::parse("https://app.example/callback?code=abc123&state=st-0-xyz")?;
/// let code = callback.verify_state(&expected)?;
/// assert_eq!(code.expose_secret(), "abc123");
///
/// // A tampered state never releases the code:
/// let err = Callback::finish("?code=abc123&state=other", &expected).unwrap_err();
/// assert_eq!(err, CallbackError::StateMismatch);
/// # Ok::<(), CallbackError>(())
/// ```
#[derive(Debug)]
pub struct Callback {
    code: Secret,
    state: Option<CsrfState>,
}

impl Callback {
    /// Reads a callback. Accepts the full redirect URL (`https://app.example/cb?code=…`), a path
    /// with a query (`/cb?code=…`, as web frameworks hand it over), or the bare query with or
    /// without a leading `?`. A fragment is ignored; parameters other than `code`, `state`,
    /// `error` and `error_description` (such as those of a registered URI with a query) are ignored.
    ///
    /// It never panics, whatever the input.
    ///
    /// # Errors
    /// [`CallbackError::Denied`] for an `error` callback, [`CallbackError::MissingCode`] when there
    /// is neither, [`CallbackError::DuplicateParameter`] when one of the four appears twice.
    pub fn parse(redirect_url_or_query: &str) -> Result<Self, CallbackError> {
        let mut params = Params::default();
        for (name, value) in url::form_urlencoded::parse(query_of(redirect_url_or_query).as_bytes())
        {
            let (slot, name) = match name.as_ref() {
                "code" => (&mut params.code, "code"),
                "state" => (&mut params.state, "state"),
                "error" => (&mut params.error, "error"),
                "error_description" => (&mut params.description, "error_description"),
                _ => continue,
            };
            if slot.is_some() {
                return Err(CallbackError::DuplicateParameter { name });
            }
            *slot = Some(Secret::new(value.into_owned()));
        }
        if let Some(error) = params.error {
            return Err(CallbackError::Denied {
                error: OAuthCallbackError::from_code(error.expose_secret()),
                description: params.description.map(|d| d.expose_secret().to_owned()),
            });
        }
        let code = params
            .code
            .filter(|c| !c.is_empty())
            .ok_or(CallbackError::MissingCode)?;
        let state = params
            .state
            .filter(|s| !s.is_empty())
            .map(|s| CsrfState::new(s.expose_secret()));
        Ok(Self { code, state })
    }

    /// Releases the code if the callback's state equals `expected` (the state stored in the
    /// user's session when the flow started). The comparison runs in constant time. It consumes
    /// the callback: a code is single-use.
    ///
    /// # Errors
    /// [`CallbackError::StateMissing`] or [`CallbackError::StateMismatch`]. An empty `expected`
    /// never matches.
    pub fn verify_state(self, expected: &CsrfState) -> Result<Secret, CallbackError> {
        let received = self.state.as_ref().ok_or(CallbackError::StateMissing)?;
        let expected = expected.expose_secret().as_bytes();
        let same: bool = received.expose_secret().as_bytes().ct_eq(expected).into();
        if same && !expected.is_empty() {
            Ok(self.code)
        } else {
            Err(CallbackError::StateMismatch)
        }
    }

    /// [`parse`](Self::parse) then [`verify_state`](Self::verify_state): the code, ready for the
    /// token exchange, or why there is none.
    ///
    /// # Errors
    /// Any [`CallbackError`].
    pub fn finish(
        redirect_url_or_query: &str,
        expected: &CsrfState,
    ) -> Result<Secret, CallbackError> {
        Self::parse(redirect_url_or_query)?.verify_state(expected)
    }
}

/// The four parameters that matter, held as secrets while parsing so that none is left behind in
/// clear memory.
#[derive(Default)]
struct Params {
    code: Option<Secret>,
    state: Option<Secret>,
    error: Option<Secret>,
    description: Option<Secret>,
}

/// The query part of whatever form the caller handed over, without a fragment. It slices the input
/// rather than copying it, so that no extra copy of the code is left in memory.
fn query_of(input: &str) -> &str {
    let input = input.trim();
    let input = input.split_once('#').map_or(input, |(before, _)| before);
    if let Some(query) = input.strip_prefix('?') {
        query
    } else if input.starts_with('/') || has_scheme(input) {
        // In a URL the first `?` always starts the query: it cannot occur earlier unescaped.
        input.split_once('?').map_or("", |(_, query)| query)
    } else {
        input
    }
}

/// Whether the input starts with a URL scheme (`[A-Za-z][A-Za-z0-9+.-]*:`), which a bare query
/// cannot: its first name would have to contain a `:` before any `=` or `&`.
fn has_scheme(input: &str) -> bool {
    let Some((scheme, _)) = input.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Shows `error_description` in an error message, escaped: it came through the browser.
struct Description<'a>(&'a Option<String>);

impl fmt::Display for Description<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(description) => {
                f.write_str(" (\"")?;
                write_untrusted(f, description)?;
                f.write_str("\")")
            }
            None => Ok(()),
        }
    }
}

fn advice(error: &OAuthCallbackError) -> &'static str {
    match error {
        OAuthCallbackError::LoginRequired | OAuthCallbackError::ConsentRequired => {
            "start the flow again without prompt=none so the user can log in and consent"
        }
        OAuthCallbackError::AccessDenied => "the user refused; ask again only if they choose to",
        _ => "check the authorize parameters and start the flow again",
    }
}

/// Writes text from the browser escaped (no newlines or control characters in logs) and cut at
/// 200 characters.
fn write_untrusted(f: &mut fmt::Formatter<'_>, text: &str) -> fmt::Result {
    const MAX: usize = 200;
    for c in text.chars().take(MAX) {
        write!(f, "{}", c.escape_debug())?;
    }
    if text.chars().nth(MAX).is_some() {
        f.write_str("…")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_forms() {
        let want = "code=a&state=b";
        for input in [
            "https://app.example/cb?code=a&state=b",
            "https://app.example/cb?code=a&state=b#frag",
            "/cb?code=a&state=b",
            "?code=a&state=b",
            "code=a&state=b",
            "  code=a&state=b#x ",
        ] {
            assert_eq!(query_of(input), want, "{input}");
        }
        assert_eq!(query_of("https://app.example/cb"), "");
        assert_eq!(query_of("/cb"), "");
    }

    #[test]
    fn never_panics_on_odd_input() {
        for input in [
            "",
            "?",
            "#",
            "&&&",
            "=",
            "code",
            "code=%",
            "code=%ZZ&state=%",
            "code=%FF%FE&state=%C3",
            "https://",
            "https://[::1",
            "mailto:x?code=a",
            "\u{0}\u{7f}?code=\u{1F600}",
            "/?",
            "??code=a",
        ] {
            let _ = Callback::parse(input);
            let _ = Callback::finish(input, &CsrfState::new("s"));
        }
    }

    #[test]
    fn escapes_untrusted_text() {
        let err = Callback::parse("?error=x%0Ay&error_description=line%0Abreak").unwrap_err();
        let shown = err.to_string();
        assert!(!shown.contains('\n'), "{shown}");
        assert!(shown.contains("x\\ny"), "{shown}");
    }
}
