//! The authorize-URL and callback helpers, through the public API only: what goes on the wire, what
//! comes back, and that no secret ever shows up in `Debug`.

use fluxer_oauth2::Secret;
use fluxer_oauth2::oauth::{
    AuthorizeError, AuthorizeUrl, CsrfState, Prompt, RedirectUri, UrlError,
};
use fluxer_oauth2::oauth::{Callback, CallbackError, OAuthCallbackError};
use fluxer_oauth2::oauth::{PkceChallenge, PkceError, PkceMethod, PkceVerifier};
use fluxer_oauth2::oauth::{Scope, Scopes};
use url::Url;

const API: &str = "https://api.fluxer.app/v1";
const CLIENT: &str = "1574449618593251330";
const REDIRECT: &str = "https://client.example.com/callback";
const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn pairs(url: &Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn builder() -> AuthorizeUrl {
    AuthorizeUrl::new(API, CLIENT, REDIRECT).scope(Scope::Identify)
}

// ---- authorize URL -------------------------------------------------------------------------

#[test]
fn all_parameters_in_order_and_decoded_back() {
    let request = AuthorizeUrl::new(API, CLIENT, REDIRECT)
        .scopes([Scope::Bot, Scope::Email, Scope::Identify])
        .state(CsrfState::new("st 1+&=/é"))
        .pkce_verifier(PkceVerifier::new(RFC_VERIFIER).unwrap())
        .prompt(Prompt::Consent)
        .guild_id("123456")
        .permissions(2048)
        .disable_guild_select(true)
        .build()
        .unwrap();

    let url = &request.url;
    assert_eq!(url.scheme(), "https");
    assert_eq!(url.host_str(), Some("api.fluxer.app"));
    assert_eq!(url.path(), "/v1/oauth2/authorize");
    assert_eq!(
        pairs(url),
        [
            ("client_id", CLIENT),
            ("response_type", "code"),
            ("scope", "identify email bot"),
            ("redirect_uri", REDIRECT),
            ("state", "st 1+&=/é"),
            ("prompt", "consent"),
            ("guild_id", "123456"),
            ("permissions", "2048"),
            ("disable_guild_select", "true"),
            ("code_challenge", RFC_CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    assert_eq!(request.redirect_uri.normalized(), REDIRECT);
    assert_eq!(request.state.expose_secret(), "st 1+&=/é");
    assert_eq!(
        request.pkce_verifier.as_ref().unwrap().expose_secret(),
        RFC_VERIFIER
    );
}

#[test]
fn percent_encoding_is_strict_and_unambiguous() {
    let request = builder()
        .scope(Scope::Email)
        .state(CsrfState::new("a b+c&d=e/é"))
        .build()
        .unwrap();
    let query = request.url.query().unwrap();
    // Spaces are %20 (never `+`, which some decoders keep as a plus); reserved characters escaped.
    assert!(query.contains("&scope=identify%20email&"), "{query}");
    assert!(
        query.contains("&redirect_uri=https%3A%2F%2Fclient.example.com%2Fcallback&"),
        "{query}"
    );
    assert!(
        query.contains("&state=a%20b%2Bc%26d%3De%2F%C3%A9&"),
        "{query}"
    );
    // Only unreserved characters, `%XX`, `=` and `&` appear.
    assert!(
        query
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%=&".contains(&b)),
        "{query}"
    );
}

#[test]
fn defaults_random_state_and_s256_pkce() {
    let a = builder().build().unwrap();
    let b = builder().build().unwrap();
    let state = a.state.expose_secret();
    assert_eq!(state.len(), 43);
    assert!(
        state
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    );
    assert_ne!(state, b.state.expose_secret());

    let verifier = a.pkce_verifier.as_ref().expect("PKCE is on by default");
    assert_eq!(verifier.expose_secret().len(), 43);
    let p = pairs(&a.url);
    let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert_eq!(get("state"), Some(state));
    assert_eq!(
        get("code_challenge"),
        Some(verifier.challenge(PkceMethod::S256).value.as_str())
    );
    assert_eq!(get("code_challenge_method"), Some("S256"));
    assert_eq!(get("prompt"), None);
    assert_eq!(get("guild_id"), None);
}

#[test]
fn pkce_plain_and_off() {
    let plain = builder().pkce(PkceMethod::Plain).build().unwrap();
    let p = pairs(&plain.url);
    let verifier = plain.pkce_verifier.as_ref().unwrap().expose_secret();
    assert!(p.contains(&("code_challenge".into(), verifier.into())));
    assert!(p.contains(&("code_challenge_method".into(), "plain".into())));

    let off = builder().no_pkce().build().unwrap();
    assert!(off.pkce_verifier.is_none());
    assert!(!pairs(&off.url).iter().any(|(k, _)| k.starts_with("code_")));
}

#[test]
fn channel_permissions_decimal_and_prompt_none() {
    let request = builder()
        .scope(Scope::Bot)
        .channel_id("987654321")
        .permissions_decimal("340282366920938463463374607431768211455")
        .disable_guild_select(false)
        .prompt(Prompt::None)
        .build()
        .unwrap();
    let p = pairs(&request.url);
    for (k, v) in [
        ("channel_id", "987654321"),
        ("permissions", "340282366920938463463374607431768211455"),
        ("disable_guild_select", "false"),
        ("prompt", "none"),
    ] {
        assert!(p.contains(&(k.into(), v.into())), "{k}");
    }
}

#[test]
fn web_page_instead_of_api_redirector() {
    let request = builder()
        .web_page("https://fluxer.app/oauth2/authorize")
        .build()
        .unwrap();
    assert!(
        request
            .url
            .as_str()
            .starts_with("https://fluxer.app/oauth2/authorize?client_id=")
    );

    // A page with its own query keeps it, ours follows.
    let request = builder()
        .web_page("https://web.example/auth?lang=en")
        .build()
        .unwrap();
    assert_eq!(pairs(&request.url)[0], ("lang".into(), "en".into()));
    assert_eq!(pairs(&request.url)[1].0, "client_id");
}

#[test]
fn self_hosted_api_base() {
    let request = AuthorizeUrl::new(
        "http://localhost:8088/api/",
        CLIENT,
        "http://127.0.0.1:3000/cb",
    )
    .scope(Scope::Identify)
    .build()
    .unwrap();
    assert!(
        request
            .url
            .as_str()
            .starts_with("http://localhost:8088/api/oauth2/authorize?")
    );
}

#[test]
fn validation_errors() {
    let err = |b: AuthorizeUrl| b.build().unwrap_err();

    for bad in ["", "01", "abc", "-1", "12 3", "9223372036854775808"] {
        assert_eq!(
            err(AuthorizeUrl::new(API, bad, REDIRECT).scope(Scope::Identify)),
            AuthorizeError::InvalidClientId,
            "{bad:?}"
        );
    }
    assert_eq!(
        err(AuthorizeUrl::new(API, CLIENT, REDIRECT)),
        AuthorizeError::NoScopes
    );
    assert_eq!(
        err(builder().scope(Scope::Other("two words".into()))),
        AuthorizeError::InvalidScope("two words".into())
    );
    assert!(matches!(
        err(builder().scopes((0..30).map(|i| Scope::Other(format!("scope{i:03}"))))),
        AuthorizeError::ScopeTooLong { .. }
    ));
    assert_eq!(
        err(AuthorizeUrl::new(API, CLIENT, "http://app.example/cb").scope(Scope::Identify)),
        AuthorizeError::RedirectUri(UrlError::InsecureHttp)
    );
    assert!(matches!(
        err(AuthorizeUrl::new(API, CLIENT, "/callback").scope(Scope::Identify)),
        AuthorizeError::RedirectUri(UrlError::Unparseable(_))
    ));
    assert_eq!(
        err(AuthorizeUrl::new("http://api.example", CLIENT, REDIRECT).scope(Scope::Identify)),
        AuthorizeError::ApiBase(UrlError::InsecureHttp)
    );
    assert_eq!(
        err(builder().web_page("javascript:alert(1)")),
        AuthorizeError::WebPage(UrlError::UnsupportedScheme)
    );
    assert_eq!(err(builder().guild_id("x")), AuthorizeError::InvalidGuildId);
    assert_eq!(
        err(builder().channel_id("007")),
        AuthorizeError::InvalidChannelId
    );
    assert_eq!(
        err(builder().guild_id("1").channel_id("2")),
        AuthorizeError::GuildAndChannel
    );
    for bad in ["", "-1", "1.5", "0x10", " 1"] {
        assert_eq!(
            err(builder().permissions_decimal(bad)),
            AuthorizeError::InvalidPermissions
        );
    }
    assert_eq!(
        err(builder().state(CsrfState::new(""))),
        AuthorizeError::EmptyState
    );
    assert_eq!(
        err(builder().state(CsrfState::new("s".repeat(257)))),
        AuthorizeError::StateTooLong { len: 257 }
    );
}

#[test]
fn error_messages_never_echo_secret_inputs() {
    let secret = "0123456789secretSECRETsecret0123456789abcd";
    // A client secret pasted where the client id goes.
    let e = AuthorizeUrl::new(API, secret, REDIRECT)
        .scope(Scope::Identify)
        .build()
        .unwrap_err();
    assert!(!e.to_string().contains(secret));
    assert!(!format!("{e:?}").contains(secret));
    // A redirect URI carrying credentials.
    let e = AuthorizeUrl::new(API, CLIENT, &format!("https://u:{secret}@x.example/"))
        .scope(Scope::Identify)
        .build()
        .unwrap_err();
    assert_eq!(e, AuthorizeError::RedirectUri(UrlError::Credentials));
    assert!(!e.to_string().contains(secret));
    // An over-long state.
    let long_state = format!("{secret}{}", "x".repeat(300));
    let e = builder()
        .state(CsrfState::new(long_state.clone()))
        .build()
        .unwrap_err();
    assert!(!e.to_string().contains(secret) && !format!("{e:?}").contains(secret));
}

// ---- redirect URI normalisation ------------------------------------------------------------

#[test]
fn trailing_slash_normalisation() {
    for (given, normalised) in [
        ("https://bare.example.com", "https://bare.example.com/"),
        ("https://Bare.Example.COM:443", "https://bare.example.com/"),
        ("https://x.example/p?x=1", "https://x.example/p?x=1"),
        ("https://x.example/a/../cb", "https://x.example/cb"),
        ("https://client.example.com/callback", REDIRECT),
        ("http://localhost:80/cb", "http://localhost/cb"),
    ] {
        let uri = RedirectUri::parse(given).unwrap();
        assert_eq!(uri.normalized(), normalised, "{given}");
        assert_eq!(uri.to_string(), normalised);
    }

    // The authorize URL names the URI as registered (the server compares it to the registered
    // strings exactly); the request keeps the normalised form, which the code is bound to, for the
    // token call.
    let request = AuthorizeUrl::new(API, CLIENT, "https://bare.example.com")
        .scope(Scope::Identify)
        .build()
        .unwrap();
    assert_eq!(
        request.redirect_uri.normalized(),
        "https://bare.example.com/"
    );
    assert!(
        pairs(&request.url).contains(&("redirect_uri".into(), "https://bare.example.com".into()))
    );
    assert_eq!(
        request.redirect_uri.as_registered(),
        "https://bare.example.com"
    );

    // The server then comes back to the slash form, which parses as a callback.
    let code = Callback::finish(
        &format!(
            "https://bare.example.com/?code=abc&state={}",
            request.state.expose_secret()
        ),
        &request.state,
    )
    .unwrap();
    assert_eq!(code.expose_secret(), "abc");
}

// ---- PKCE ----------------------------------------------------------------------------------

#[test]
fn pkce_rfc7636_appendix_b() {
    let verifier = PkceVerifier::new(RFC_VERIFIER).unwrap();
    let challenge = verifier.challenge(PkceMethod::S256);
    assert_eq!(
        challenge,
        PkceChallenge {
            value: RFC_CHALLENGE.into(),
            method: PkceMethod::S256
        }
    );
    assert_eq!(PkceMethod::default(), PkceMethod::S256);
    assert_eq!(verifier.into_secret().expose_secret(), RFC_VERIFIER);
}

#[test]
fn pkce_verifier_validation() {
    assert_eq!(
        PkceVerifier::new(&RFC_VERIFIER[..42]).unwrap_err(),
        PkceError::InvalidLength { len: 42 }
    );
    assert_eq!(
        PkceVerifier::new(format!("{RFC_VERIFIER}=")).unwrap_err(),
        PkceError::InvalidCharacter
    );
    let e = PkceVerifier::new(format!("{RFC_VERIFIER}!")).unwrap_err();
    assert!(!e.to_string().contains(RFC_VERIFIER));
}

// ---- scopes --------------------------------------------------------------------------------

#[test]
fn scopes_parse_and_render() {
    let scopes: Scopes = "bot+email identify".parse().unwrap();
    assert_eq!(scopes.to_string(), "identify email bot");
    assert!(scopes.contains(&Scope::Bot));
    assert!(!scopes.contains(&Scope::Connections));
    for scope in Scope::KNOWN {
        assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
    }
    assert_eq!(
        "new_scope".parse::<Scope>().unwrap(),
        Scope::Other("new_scope".into())
    );
    assert!("bad\"scope".parse::<Scope>().is_err());
}

// ---- callback ------------------------------------------------------------------------------

#[test]
fn callback_success_in_every_input_form() {
    let state = CsrfState::new("st-0-xyz");
    for input in [
        "https://client.example.com/callback?code=abc123&state=st-0-xyz",
        "https://client.example.com/callback?state=st-0-xyz&code=abc123#ignored",
        "/callback?code=abc123&state=st-0-xyz",
        "?code=abc123&state=st-0-xyz",
        "code=abc123&state=st-0-xyz",
        // A registered URI with its own query keeps it.
        "https://x.example/p?x=1&code=abc123&state=st-0-xyz",
    ] {
        let code = Callback::parse(input)
            .unwrap()
            .verify_state(&state)
            .unwrap();
        assert_eq!(code.expose_secret(), "abc123", "{input}");
    }
}

#[test]
fn callback_decodes_percent_and_plus() {
    let state = CsrfState::new("a b+c");
    let code = Callback::finish("?code=c%2Fd&state=a+b%2Bc", &state).unwrap();
    assert_eq!(code.expose_secret(), "c/d");
}

#[test]
fn callback_errors() {
    for (wire, expected) in [
        ("login_required", OAuthCallbackError::LoginRequired),
        ("consent_required", OAuthCallbackError::ConsentRequired),
        ("access_denied", OAuthCallbackError::AccessDenied),
        ("invalid_scope", OAuthCallbackError::InvalidScope),
        ("server_error", OAuthCallbackError::ServerError),
        (
            "something_new",
            OAuthCallbackError::Other("something_new".into()),
        ),
    ] {
        // As the server sends it for prompt=none: state first, no description.
        let err = Callback::parse(&format!(
            "https://client.example.com/callback?state=abc&error={wire}"
        ))
        .unwrap_err();
        assert_eq!(
            err,
            CallbackError::Denied {
                error: expected.clone(),
                description: None
            }
        );
        assert_eq!(expected.as_str(), wire);
        assert!(err.to_string().contains(wire));
    }

    let err = Callback::parse("?error=access_denied&error_description=The+user+said+no&state=s")
        .unwrap_err();
    assert_eq!(
        err,
        CallbackError::Denied {
            error: OAuthCallbackError::AccessDenied,
            description: Some("The user said no".into())
        }
    );
    assert!(err.to_string().contains("The user said no"));

    // An error wins over a code sent alongside it.
    assert!(matches!(
        Callback::parse("?code=abc&error=access_denied&state=s"),
        Err(CallbackError::Denied { .. })
    ));
}

#[test]
fn callback_malformed() {
    for input in [
        "",
        "?",
        "https://client.example.com/callback",
        "?state=s",
        "?code=&state=s",
    ] {
        assert_eq!(
            Callback::parse(input).unwrap_err(),
            CallbackError::MissingCode,
            "{input:?}"
        );
    }
    assert_eq!(
        Callback::parse("?code=a&code=b&state=s").unwrap_err(),
        CallbackError::DuplicateParameter { name: "code" }
    );
    assert_eq!(
        Callback::parse("?code=a&state=s&state=t").unwrap_err(),
        CallbackError::DuplicateParameter { name: "state" }
    );
}

#[test]
fn callback_state_missing_or_tampered() {
    let expected = CsrfState::new("right-state-value");
    for input in ["?code=abc", "?code=abc&state="] {
        assert_eq!(
            Callback::finish(input, &expected).unwrap_err(),
            CallbackError::StateMissing
        );
    }
    for tampered in [
        "right-state-valuE",
        "right-state-valu",
        "right-state-value+",
        "right-state-value-and-more",
        "x",
    ] {
        let err = Callback::finish(&format!("?code=abc&state={tampered}"), &expected).unwrap_err();
        assert_eq!(err, CallbackError::StateMismatch);
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("right-state") && !shown.contains("abc"),
            "{shown}"
        );
    }
    // An empty expected state never matches, even an empty received one.
    assert!(Callback::finish("?code=abc&state=", &CsrfState::new("")).is_err());
}

// ---- Debug never shows a secret ------------------------------------------------------------

#[test]
fn debug_prints_no_secret() {
    let state = "Zm9vYmFyc3RhdGV2YWx1ZXRoYXRpc3NlY3JldA";
    let request = builder()
        .state(CsrfState::new(state))
        .pkce_verifier(PkceVerifier::new(RFC_VERIFIER).unwrap())
        .pkce(PkceMethod::Plain)
        .build()
        .unwrap();
    let shown = format!("{request:?} {request:#?}");
    assert!(!shown.contains(state), "{shown}");
    assert!(!shown.contains(RFC_VERIFIER), "{shown}");
    assert!(shown.contains("/oauth2/authorize?[redacted]"), "{shown}");

    let pending = builder()
        .state(CsrfState::new(state))
        .pkce_verifier(PkceVerifier::new(RFC_VERIFIER).unwrap());
    let shown = format!("{pending:?}");
    assert!(
        !shown.contains(state) && !shown.contains(RFC_VERIFIER),
        "{shown}"
    );

    let verifier = PkceVerifier::new(RFC_VERIFIER).unwrap();
    assert!(!format!("{verifier:?}").contains(RFC_VERIFIER));
    let plain = verifier.challenge(PkceMethod::Plain);
    assert!(!format!("{plain:?}").contains(RFC_VERIFIER));
    assert!(!format!("{:?}", CsrfState::new(state)).contains(state));

    let code = "c0de-c0de-c0de-SECRET";
    let callback = Callback::parse(&format!("?code={code}&state={state}")).unwrap();
    let shown = format!("{callback:?}");
    assert!(!shown.contains(code) && !shown.contains(state), "{shown}");
    let secret: Secret = callback.verify_state(&CsrfState::new(state)).unwrap();
    assert!(!format!("{secret:?}").contains(code));
}

/// The authorize URL takes its API base by the client's policy: plain http only to this machine,
/// even to an IP literal (which a redirect URI may use).
#[test]
fn the_api_base_follows_the_clients_policy() {
    use fluxer_oauth2::{
        FluxerClient,
        oauth::{AuthorizeError, AuthorizeUrl, Scope},
    };
    for base in ["http://192.0.2.10/v1", "http://api.example.org/v1"] {
        let built = AuthorizeUrl::new(base, "1574449618593251330", "https://app.example/cb")
            .scope(Scope::Identify)
            .build();
        assert!(matches!(built, Err(AuthorizeError::ApiBase(_))), "{base}");
        assert!(
            FluxerClient::builder().base_url(base).build().is_err(),
            "{base}"
        );
    }
    for base in ["http://127.0.0.1:8080/v1", "https://api.fluxer.app/v1"] {
        assert!(
            AuthorizeUrl::new(base, "1574449618593251330", "https://app.example/cb")
                .scope(Scope::Identify)
                .build()
                .is_ok(),
            "{base}"
        );
        assert!(
            FluxerClient::builder().base_url(base).build().is_ok(),
            "{base}"
        );
    }
}
