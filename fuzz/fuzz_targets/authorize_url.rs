//! The authorize URL builder with any inputs: never a panic; when it builds, the URL reads back
//! with the given client id, redirect URI and state, each exactly once.
#![no_main]

use arbitrary::Arbitrary;
use fluxer_oauth2::oauth::{AuthorizeUrl, CsrfState, Prompt, Scope};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    api_base: String,
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    prompt: Option<bool>,
    guild_id: Option<String>,
    channel_id: Option<String>,
    permissions: Option<String>,
    web_page: Option<String>,
    no_pkce: bool,
}

fuzz_target!(|input: Input| {
    let mut builder = AuthorizeUrl::new(&input.api_base, &input.client_id, &input.redirect_uri);
    for scope in &input.scopes {
        if let Ok(scope) = scope.parse::<Scope>() {
            builder = builder.scope(scope);
        }
    }
    if let Some(state) = &input.state {
        builder = builder.state(CsrfState::new(state.clone()));
    }
    if let Some(consent) = input.prompt {
        builder = builder.prompt(if consent {
            Prompt::Consent
        } else {
            Prompt::None
        });
    }
    if let Some(id) = &input.guild_id {
        builder = builder.guild_id(id.clone());
    }
    if let Some(id) = &input.channel_id {
        builder = builder.channel_id(id.clone());
    }
    if let Some(p) = &input.permissions {
        builder = builder.permissions_decimal(p.clone());
    }
    if let Some(page) = &input.web_page {
        builder = builder.web_page(page.clone());
    }
    if input.no_pkce {
        builder = builder.no_pkce();
    }
    let Ok(request) = builder.build() else {
        return;
    };
    let pairs: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
    let one = |name: &str| {
        let mut values = pairs
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        assert!(values.next().is_none(), "{name} twice");
        first.map(str::to_owned)
    };
    assert_eq!(one("client_id").as_deref(), Some(input.client_id.as_str()));
    assert_eq!(
        one("redirect_uri").as_deref(),
        Some(request.redirect_uri.normalized())
    );
    assert_eq!(one("state").as_deref(), Some(request.state.expose_secret()));
    if let Some(state) = &input.state {
        assert_eq!(request.state.expose_secret(), state);
    }
    assert!(!format!("{request:?}").contains(&format!("state={}", request.state.expose_secret())));
});
