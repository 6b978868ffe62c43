//! Consent as a typed call: a signed-in user grants an authorize request, and the answer comes back as
//! a parsed callback.

use crate::{
    Error, FluxerClient,
    oauth::{AuthorizeRequest, Callback},
    types,
};

impl FluxerClient {
    /// Grants the authorization that `request` describes, as the signed-in user of this client (session
    /// credential), and parses the answer's redirect into a [`Callback`].
    ///
    /// This is what Fluxer's consent page does when the user clicks "Authorize"; it lets tests, tools
    /// and first-party apps finish the flow without a browser. Check the callback's state as usual:
    ///
    /// ```no_run
    /// # async fn demo(session: fluxer_oauth2::FluxerClient) -> Result<(), fluxer_oauth2::Error> {
    /// use fluxer_oauth2::oauth::{AuthorizeUrl, Scope};
    ///
    /// let request = AuthorizeUrl::new(session.base_url(), "1574449618593251330", "https://app.example/cb")
    ///     .scope(Scope::Identify)
    ///     .build()?;
    /// let code = session.grant_consent(&request).await?.verify_state(&request.state)?;
    /// # Ok(()) }
    /// ```
    pub async fn grant_consent(&self, request: &AuthorizeRequest) -> Result<Callback, Error> {
        let body = consent_request(&request.url)?;
        let answer = self.provide_oauth2_consent().body(body).send().await?;
        Ok(Callback::parse(answer.redirect_to.expose_secret())?)
    }
}

/// The consent body for an authorize URL: what Fluxer's consent page sends when the user agrees to
/// the request in that URL's query.
///
/// ```
/// use fluxer_oauth2::oauth::{AuthorizeUrl, Scope, consent_request};
///
/// let request = AuthorizeUrl::new("https://api.fluxer.app/v1", "1574449618593251330", "https://app.example/cb")
///     .scope(Scope::Identify)
///     .build()?;
/// let body = consent_request(&request.url)?;
/// assert_eq!(body.client_id.as_str(), "1574449618593251330");
/// # Ok::<(), fluxer_oauth2::Error>(())
/// ```
pub fn consent_request(authorize_url: &url::Url) -> Result<types::AuthorizeConsentRequest, Error> {
    const OP: &str = "provide_oauth2_consent";
    let mut body = serde_json::Map::new();
    for (name, value) in authorize_url.query_pairs() {
        let field = match name.as_ref() {
            "client_id"
            | "scope"
            | "state"
            | "redirect_uri"
            | "response_type"
            | "guild_id"
            | "channel_id"
            | "permissions"
            | "code_challenge"
            | "code_challenge_method" => name,
            _ => continue,
        };
        body.insert(
            field.into_owned(),
            serde_json::Value::String(value.into_owned()),
        );
    }
    serde_json::from_value(body.into()).map_err(|e| Error::InvalidInput {
        operation: OP,
        message: e.to_string(),
    })
}
