//! `PendingAuthorization`: what an app keeps between sending the user to the authorize URL and the
//! callback (state, PKCE verifier, redirect URI), serialisable so that a web app on several replicas
//! can keep it in a signed or encrypted cookie or in a session store.

use serde::{Deserialize, Serialize};

use crate::{
    Secret,
    oauth::{CsrfState, PkceVerifier, RedirectUri},
};

/// An authorization on its way: made by [`crate::oauth::AuthorizeRequest::into_parts`], consumed by
/// [`crate::FluxerClient::exchange_code`]. It is not `Clone`: its PKCE verifier is used once.
///
/// **Its serialised form holds the state and the PKCE verifier in clear**: keep it where only your
/// app can read it (a server-side session, or a cookie that is encrypted or at least signed and
/// `HttpOnly`, `Secure`, `SameSite=Lax`), and drop it after the callback. `Debug` prints neither.
///
/// ```
/// use fluxer_oauth2::oauth::{AuthorizeUrl, PendingAuthorization, Scope};
///
/// let request = AuthorizeUrl::new("https://api.fluxer.app/v1", "1574449618593251330", "https://app.example/cb")
///     .scope(Scope::Identify)
///     .build()
///     .unwrap();
/// let (url, pending) = request.into_parts();
/// let kept = serde_json::to_string(&pending).unwrap(); // into the session store
/// let back: PendingAuthorization = serde_json::from_str(&kept).unwrap();
/// assert_eq!(back.redirect_uri().as_registered(), "https://app.example/cb");
/// assert!(!format!("{back:?}").contains(back.state().expose_secret()));
/// # let _ = url;
/// ```
#[derive(Debug)]
pub struct PendingAuthorization {
    state: CsrfState,
    pkce_verifier: Option<PkceVerifier>,
    redirect_uri: RedirectUri,
}

impl PendingAuthorization {
    pub(crate) fn new(
        state: CsrfState,
        pkce_verifier: Option<PkceVerifier>,
        redirect_uri: RedirectUri,
    ) -> Self {
        Self {
            state,
            pkce_verifier,
            redirect_uri,
        }
    }

    /// The state the callback must carry.
    pub fn state(&self) -> &CsrfState {
        &self.state
    }

    /// The redirect URI the authorization used.
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.redirect_uri
    }

    /// Whether PKCE was used.
    pub fn uses_pkce(&self) -> bool {
        self.pkce_verifier.is_some()
    }

    pub(crate) fn into_inner(self) -> (CsrfState, Option<PkceVerifier>, RedirectUri) {
        (self.state, self.pkce_verifier, self.redirect_uri)
    }
}

#[derive(Serialize)]
struct Out<'a> {
    state: &'a str,
    pkce_verifier: Option<&'a str>,
    redirect_uri: &'a RedirectUri,
}

#[derive(Deserialize)]
struct In {
    state: Secret,
    pkce_verifier: Option<Secret>,
    redirect_uri: RedirectUri,
}

impl Serialize for PendingAuthorization {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Out {
            state: self.state.expose_secret(),
            pkce_verifier: self.pkce_verifier.as_ref().map(PkceVerifier::expose_secret),
            redirect_uri: &self.redirect_uri,
        }
        .serialize(serializer)
    }
}

/// Read with the same checks as when made: a verifier of 43 to 128 allowed characters, a redirect URI
/// the URL policy accepts, a non-empty state.
impl<'de> Deserialize<'de> for PendingAuthorization {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = In::deserialize(deserializer)?;
        if raw.state.is_empty() {
            return Err(serde::de::Error::custom("the state is empty"));
        }
        let pkce_verifier = raw
            .pkce_verifier
            .map(|v| PkceVerifier::new(v.expose_secret()))
            .transpose()
            .map_err(serde::de::Error::custom)?;
        Ok(Self {
            state: CsrfState::new(raw.state.expose_secret()),
            pkce_verifier,
            redirect_uri: raw.redirect_uri,
        })
    }
}
