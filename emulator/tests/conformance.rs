//! Replays the recorded exchanges of the real server (tests/fixtures/*.json) against the
//! emulator, step by step, and compares the answers with the recordings.
//!
//! Inputs are the recorded ones with the emulator's users, ids and secrets put in place of the
//! masked values. Set-up calls the emulator has no route for (registration, the test harness,
//! turning TOTP on, creating guilds) are done through its Rust API instead and listed in
//! `SKIPPED` or `SKIPPED_PREFIXES` with a reason. Each scenario prints
//! `conformance <file stem>: R replayed, S skipped, D differing`.
//! For each step the test compares the status, the content type, the JSON shape (same keys,
//! same array lengths), error codes and messages, OAuth2 `error`/`error_description`, booleans,
//! nulls and numbers, and the presence of the redirect, sudo and rate-limit headers.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use fluxer_oauth2_emulator::{Emulator, EmulatorConfig, NewUser, RateLimitConfig, SeededUser};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Scenario files, in the order they were recorded (later ones use state of earlier ones).
const SCENARIOS: &[(&str, &str)] = &[
    ("a_register", include_str!("fixtures/a_register.json")),
    (
        "b_applications",
        include_str!("fixtures/b_applications.json"),
    ),
    ("c_consent", include_str!("fixtures/c_consent.json")),
    ("d_token", include_str!("fixtures/d_token.json")),
    ("e_userinfo", include_str!("fixtures/e_userinfo.json")),
    ("f_refresh", include_str!("fixtures/f_refresh.json")),
    ("g_introspect", include_str!("fixtures/g_introspect.json")),
    ("h_revoke", include_str!("fixtures/h_revoke.json")),
    (
        "i_authorizations",
        include_str!("fixtures/i_authorizations.json"),
    ),
    ("j_sudo", include_str!("fixtures/j_sudo.json")),
    ("k_bad_input", include_str!("fixtures/k_bad_input.json")),
    (
        "k2_unknown_ids_and_content_types",
        include_str!("fixtures/k2_unknown_ids_and_content_types.json"),
    ),
    (
        "l3_global_limit_session_revocation",
        include_str!("fixtures/l3_global_limit_session_revocation.json"),
    ),
    (
        "l4_global_limit_session_and_bot_headers",
        include_str!("fixtures/l4_global_limit_session_and_bot_headers.json"),
    ),
    (
        "c2_redirect_normalisation_and_prompt_none",
        include_str!("fixtures/c2_redirect_normalisation_and_prompt_none.json"),
    ),
    ("m_sudo_totp", include_str!("fixtures/m_sudo_totp.json")),
    (
        "n_login_sessions",
        include_str!("fixtures/n_login_sessions.json"),
    ),
    (
        "o_user_resources",
        include_str!("fixtures/o_user_resources.json"),
    ),
    ("p_discovery", include_str!("fixtures/p_discovery.json")),
    (
        "q_bot_authorize",
        include_str!("fixtures/q_bot_authorize.json"),
    ),
];

/// Steps not replayed, with the reason. Keys are `scenario/step` or `scenario#index`.
const SKIPPED: &[(&str, &str)] = &[
    (
        "a_register/register_alice",
        "registration: users are seeded",
    ),
    (
        "a_register/test_flags_alice",
        "test-harness route: users are seeded",
    ),
    (
        "a_register/test_security_flags_alice",
        "test-harness route: users are seeded",
    ),
    ("a_register/register_bob", "registration: users are seeded"),
    (
        "a_register/test_flags_bob",
        "test-harness route: users are seeded",
    ),
    (
        "a_register/test_security_flags_bob",
        "test-harness route: users are seeded",
    ),
    (
        "m_sudo_totp/register_carol",
        "registration: users are seeded",
    ),
    (
        "m_sudo_totp/test_flags_carol",
        "test-harness route: users are seeded",
    ),
    (
        "m_sudo_totp/test_security_flags_carol",
        "test-harness route: users are seeded",
    ),
    (
        "m_sudo_totp/register_dave",
        "registration: users are seeded",
    ),
    (
        "m_sudo_totp/test_flags_dave",
        "test-harness route: users are seeded",
    ),
    (
        "m_sudo_totp/test_security_flags_dave",
        "test-harness route: users are seeded",
    ),
    (
        "m_sudo_totp/enable_totp_no_sudo_carol",
        "TOTP is seeded, not turned on through /users/@me/mfa",
    ),
    (
        "m_sudo_totp/enable_totp_wrong_password_carol",
        "TOTP is seeded, not turned on through /users/@me/mfa",
    ),
    (
        "m_sudo_totp/enable_totp_wrong_code_carol",
        "TOTP is seeded, not turned on through /users/@me/mfa",
    ),
    (
        "m_sudo_totp/enable_totp_carol",
        "TOTP is seeded, not turned on through /users/@me/mfa",
    ),
    (
        "m_sudo_totp/enable_totp_again_with_totp",
        "TOTP is seeded, not turned on through /users/@me/mfa",
    ),
    (
        "m_sudo_totp/backup_codes_sudo_header_only",
        "backup codes come from Emulator::backup_codes, not /users/@me/mfa",
    ),
    (
        "m_sudo_totp/backup_codes_no_sudo",
        "backup codes come from Emulator::backup_codes, not /users/@me/mfa",
    ),
];

/// Skipped steps by prefix (`scenario/prefix*`), for the set-up of the later scenarios.
const SKIPPED_PREFIXES: &[(&str, &str)] = &[
    (
        "*/register_",
        "registration: the user is made with Emulator::add_user",
    ),
    (
        "*/test_",
        "test-harness route: the emulator is set up through its Rust API",
    ),
    (
        "*/create_guild_",
        "guild creation: guilds are made with Emulator::create_guild",
    ),
    (
        "n_login_sessions/enable_totp_",
        "TOTP is seeded, not turned on through /users/@me/mfa",
    ),
    (
        "q_bot_authorize/members_",
        "the member list of the recorded instance came from a no-op gateway (always [])",
    ),
    (
        "q_bot_authorize/bot_members_",
        "the member list of the recorded instance came from a no-op gateway (always [])",
    ),
];

/// The reason a step is skipped, if it is.
fn skip_reason(key: &str) -> Option<&'static str> {
    if let Some((_, r)) = SKIPPED.iter().find(|(k, _)| *k == key) {
        return Some(r);
    }
    let (scenario, step) = key.split_once('/')?;
    SKIPPED_PREFIXES.iter().find_map(|(pattern, reason)| {
        let (sc, prefix) = pattern.split_once('/')?;
        ((sc == "*" || sc == scenario) && step.starts_with(prefix)).then_some(*reason)
    })
}

/// Requests sent again before a step, standing for a recorded status sequence: `(step, times)`.
const PRELUDES: &[(&str, usize)] = &[
    // The recorded sequence was 40 × 200 then 429; steps 1 and 41 are recorded.
    ("l3_global_limit_session_revocation/users_me_41", 39),
];

/// Recorded TOTP and backup codes and whose they were.
const CODES: &[(&str, &str, bool)] = &[
    ("313879", "carol", false),
    ("721161", "carol", false),
    ("bnqy-fpdw", "carol", true),
    ("608208", "mona", false),
    ("p4li-ez5k", "mona", true),
];

/// Which recorded value each masked slot of a step stands for.
const SLOTS: &[(&str, &[(&str, &str)])] = &[
    (
        "d_token/form_body_credentials",
        &[("code", "c_consent/consent_pkce_0")],
    ),
    (
        "d_token/basic_auth_only",
        &[("code", "c_consent/consent_pkce_1")],
    ),
    (
        "d_token/json_body_rejected",
        &[("code", "c_consent/consent_pkce_2")],
    ),
    (
        "d_token/multipart_form_data",
        &[("code", "c_consent/consent_pkce_2")],
    ),
    (
        "d_token/wrong_secret",
        &[("code", "c_consent/consent_pkce_3")],
    ),
    (
        "d_token/missing_secret",
        &[("code", "c_consent/consent_pkce_3")],
    ),
    (
        "d_token/client_id_of_builtin_app_with_wrong_secret",
        &[("code", "c_consent/consent_pkce_3")],
    ),
    (
        "d_token/other_apps_client_with_this_code",
        &[("code", "c_consent/consent_pkce_3")],
    ),
    (
        "d_token/code_still_valid_after_wrong_secret",
        &[("code", "c_consent/consent_pkce_3")],
    ),
    (
        "d_token/reuse_used_code",
        &[("code", "c_consent/consent_pkce_3")],
    ),
    (
        "d_token/wrong_code_verifier",
        &[("code", "c_consent/consent_pkce_4")],
    ),
    (
        "d_token/right_verifier_after_wrong_verifier",
        &[("code", "c_consent/consent_pkce_4")],
    ),
    (
        "d_token/missing_code_verifier",
        &[("code", "c_consent/consent_pkce_5")],
    ),
    (
        "d_token/redirect_uri_mismatch",
        &[("code", "c_consent/consent_pkce_5")],
    ),
    (
        "d_token/missing_redirect_uri",
        &[("code", "c_consent/consent_pkce_5")],
    ),
    (
        "d_token/basic_plus_body_client_id",
        &[("code", "c_consent/consent_no_pkce")],
    ),
    (
        "e_userinfo/userinfo_bearer",
        &[("bearer", "access:d_token/form_body_credentials")],
    ),
    (
        "e_userinfo/oauth2_me_bearer",
        &[("bearer", "access:d_token/form_body_credentials")],
    ),
    (
        "e_userinfo/users_me_bearer_access_token",
        &[("bearer", "access:d_token/form_body_credentials")],
    ),
    (
        "e_userinfo/userinfo_lowercase_bearer",
        &[("bearer", "access:d_token/form_body_credentials")],
    ),
    (
        "e_userinfo/users_me_guilds_bearer_no_guilds_scope",
        &[("bearer", "access:d_token/form_body_credentials")],
    ),
    (
        "e_userinfo/token_identify_only",
        &[("code", "e_userinfo/consent_identify_only")],
    ),
    (
        "e_userinfo/userinfo_identify_only",
        &[("bearer", "access:e_userinfo/token_identify_only")],
    ),
    (
        "e_userinfo/oauth2_me_identify_only",
        &[("bearer", "access:e_userinfo/token_identify_only")],
    ),
    (
        "e_userinfo/token_email_only",
        &[("code", "e_userinfo/consent_email_only")],
    ),
    (
        "e_userinfo/userinfo_email_only_scope",
        &[("bearer", "access:e_userinfo/token_email_only")],
    ),
    (
        "e_userinfo/oauth2_me_email_only_scope",
        &[("bearer", "access:e_userinfo/token_email_only")],
    ),
    (
        "f_refresh/refresh",
        &[("refresh_token", "refresh:d_token/form_body_credentials")],
    ),
    (
        "f_refresh/reuse_old_refresh_token",
        &[("refresh_token", "refresh:d_token/form_body_credentials")],
    ),
    (
        "f_refresh/old_access_token_after_refresh",
        &[("bearer", "access:d_token/form_body_credentials")],
    ),
    (
        "f_refresh/new_access_token",
        &[("bearer", "access:f_refresh/refresh")],
    ),
    (
        "f_refresh/refresh_with_other_apps_credentials",
        &[("refresh_token", "refresh:f_refresh/refresh")],
    ),
    (
        "f_refresh/refresh_basic_auth",
        &[("refresh_token", "refresh:f_refresh/refresh")],
    ),
    (
        "f_refresh/refresh_with_scope_param",
        &[("refresh_token", "refresh:f_refresh/refresh_basic_auth")],
    ),
    (
        "g_introspect/introspect_access_body_creds",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "g_introspect/introspect_access_basic",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "g_introspect/introspect_refresh",
        &[("token", "refresh:d_token/basic_auth_only")],
    ),
    (
        "g_introspect/introspect_refresh_with_hint",
        &[("token", "refresh:d_token/basic_auth_only")],
    ),
    (
        "g_introspect/introspect_basic_and_body_creds",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "g_introspect/introspect_other_apps_token",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "g_introspect/introspect_wrong_secret",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "g_introspect/introspect_no_creds",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "g_introspect/introspect_json_body",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "h_revoke/before_introspect_tok2_access",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "h_revoke/before_introspect_tok3_access",
        &[("token", "access:d_token/multipart_form_data")],
    ),
    (
        "h_revoke/revoke_access_token",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "h_revoke/after_introspect_tok2_access",
        &[("token", "access:d_token/basic_auth_only")],
    ),
    (
        "h_revoke/after_introspect_tok2_refresh",
        &[("token", "refresh:d_token/basic_auth_only")],
    ),
    (
        "h_revoke/after_introspect_tok3_access_other_grant_same_user_app",
        &[("token", "access:d_token/multipart_form_data")],
    ),
    (
        "h_revoke/after_introspect_tok1r_access",
        &[("token", "access:f_refresh/refresh")],
    ),
    (
        "h_revoke/userinfo_revoked_access",
        &[("bearer", "access:d_token/basic_auth_only")],
    ),
    (
        "h_revoke/fresh1_token",
        &[("code", "h_revoke/fresh1_consent")],
    ),
    (
        "h_revoke/revoke_refresh_no_hint",
        &[("token", "refresh:h_revoke/fresh1_token")],
    ),
    (
        "h_revoke/after_no_hint_introspect_refresh",
        &[("token", "refresh:h_revoke/fresh1_token")],
    ),
    (
        "h_revoke/after_no_hint_introspect_access",
        &[("token", "access:h_revoke/fresh1_token")],
    ),
    (
        "h_revoke/revoke_refresh_with_hint",
        &[("token", "refresh:h_revoke/fresh1_token")],
    ),
    (
        "h_revoke/after_hint_introspect_refresh",
        &[("token", "refresh:h_revoke/fresh1_token")],
    ),
    (
        "h_revoke/after_hint_introspect_access",
        &[("token", "access:h_revoke/fresh1_token")],
    ),
    (
        "h_revoke/refresh_after_revoke",
        &[("refresh_token", "refresh:h_revoke/fresh1_token")],
    ),
    (
        "i_authorizations/app_token",
        &[("code", "i_authorizations/app_consent")],
    ),
    (
        "i_authorizations/app2_token",
        &[("code", "i_authorizations/app2_consent")],
    ),
    (
        "i_authorizations/list_authorizations_bearer_access_token",
        &[("bearer", "access:i_authorizations/app_token")],
    ),
    (
        "i_authorizations/userinfo_after_delete",
        &[("bearer", "access:i_authorizations/app_token")],
    ),
    (
        "i_authorizations/userinfo_after_bulk_revoke",
        &[("bearer", "access:i_authorizations/app2_token")],
    ),
    ("j_sudo/introspect_with_old_secret", &[("secret", "old")]),
    ("j_sudo/old_bot_token_applications_me", &[("bot", "old")]),
    ("j_sudo/old_bot_token_users_me", &[("bot", "old")]),
    (
        "m_sudo_totp/bot_reset_tampered_sudo_header",
        &[("jwt", "tamper")],
    ),
    // Carol is seeded with TOTP already on; the answer before MFA is asked of dave, who has none.
    (
        "m_sudo_totp/sudo_mfa_methods_before_mfa",
        &[("who", "dave")],
    ),
    (
        "o_user_resources/users_me_bearer_garbage",
        &[("bearer", "garbage")],
    ),
    (
        "o_user_resources/auth_sessions_bearer_all_scopes",
        &[("bearer", "access:o_user_resources/token_all_user_scopes")],
    ),
    (
        "o_user_resources/oauth2_me_bearer_all_scopes",
        &[("bearer", "access:o_user_resources/token_all_user_scopes")],
    ),
    (
        "q_bot_authorize/users_me_bearer_bot_only",
        &[("bearer", "access:q_bot_authorize/token_code_grant_bot")],
    ),
    (
        "q_bot_authorize/oauth2_me_bearer_bot_only",
        &[("bearer", "access:q_bot_authorize/token_code_grant_bot")],
    ),
    (
        "q_bot_authorize/consent_private_bot_non_owner",
        &[("who", "rita")],
    ),
    ("q_bot_authorize#55", &[("who", "rita")]),
    (
        "q_bot_authorize/consent_public_bot_non_owner_own_guild",
        &[("who", "rita")],
    ),
    ("q_bot_authorize/member_g2_public_bot", &[("who", "rita")]),
    (
        "q_bot_authorize/member_g2_private_bot_not_added",
        &[("who", "rita")],
    ),
    (
        "n_login_sessions/users_me_login_token_before_logout",
        &[("who", "session:n_login_sessions/login_nina")],
    ),
    (
        "n_login_sessions/logout_login_token",
        &[("who", "session:n_login_sessions/login_nina")],
    ),
    (
        "n_login_sessions/users_me_after_logout",
        &[("who", "session:n_login_sessions/login_nina")],
    ),
    (
        "n_login_sessions/sessions_after_logout",
        &[("who", "session:n_login_sessions/login_nina")],
    ),
    (
        "n_login_sessions/logout_again_same_token",
        &[("who", "session:n_login_sessions/login_nina")],
    ),
    (
        "n_login_sessions/logout_with_bearer_prefix",
        &[("who", "session:n_login_sessions/login_nina")],
    ),
    (
        "n_login_sessions/users_me_token_of_logged_out_session",
        &[("who", "session:n_login_sessions/login_nina_second")],
    ),
    (
        "n_login_sessions/sessions_logout_no_sudo",
        &[("hash", "session:n_login_sessions/login_nina_second")],
    ),
    (
        "n_login_sessions/sessions_logout_wrong_password",
        &[("hash", "session:n_login_sessions/login_nina_second")],
    ),
    (
        "n_login_sessions/sessions_logout_password",
        &[("hash", "session:n_login_sessions/login_nina_second")],
    ),
    (
        "n_login_sessions/sessions_logout_unknown_hash",
        &[("hash", "unknown")],
    ),
    (
        "n_login_sessions/sessions_logout_mona_password",
        &[("who", MONA_TOTP_SESSION), ("hash", "mona")],
    ),
    (
        "n_login_sessions/sessions_logout_mona_totp_wrong_code",
        &[("who", MONA_TOTP_SESSION), ("hash", "mona")],
    ),
    (
        "n_login_sessions/sessions_logout_mona_totp",
        &[("who", MONA_TOTP_SESSION), ("hash", "mona")],
    ),
    (
        "n_login_sessions/sessions_logout_mona_sudo_header_only",
        &[
            ("who", MONA_TOTP_SESSION),
            (
                "hash",
                "session:n_login_sessions/login_mfa_totp_with_backup_code",
            ),
        ],
    ),
    (
        "n_login_sessions/users_me_mona_backup_login_token_after",
        &[(
            "who",
            "session:n_login_sessions/login_mfa_totp_with_backup_code",
        )],
    ),
    (
        "n_login_sessions/sessions_mona_after",
        &[("who", MONA_TOTP_SESSION)],
    ),
    (
        "n_login_sessions/logout_mona",
        &[("who", MONA_TOTP_SESSION)],
    ),
    (
        "n_login_sessions/users_me_mona_after_logout",
        &[("who", MONA_TOTP_SESSION)],
    ),
];

/// The session of mona's first TOTP login, which ends her other sessions.
const MONA_TOTP_SESSION: &str =
    "session:n_login_sessions/login_mfa_totp_right_code_after_one_wrong";

/// Clock moves made before a step, standing for the real time that passed when it was recorded.
const CLOCK_MOVES: &[(&str, u64)] = &[
    ("m_sudo_totp/bot_reset_sudo_header_reuse_after_2s", 2),
    // The next TOTP check used a code of a later 30-second step.
    ("m_sudo_totp#44", 30),
];

/// What the test knows about an application it created.
#[derive(Default, Debug)]
struct AppKeys {
    secrets: Vec<String>,
    bot_tokens: Vec<String>,
}

struct Replay {
    emu: Emulator,
    http: reqwest::Client,
    /// Recorded snowflake -> emulator snowflake.
    ids: HashMap<String, String>,
    vars: HashMap<String, String>,
    apps: HashMap<String, AppKeys>,
    /// Emulator id of the first application (the one Basic credentials name).
    first_app: Option<String>,
    /// Session tokens by user name.
    sessions: HashMap<String, String>,
    /// Users by name.
    people: HashMap<String, SeededUser>,
    /// Names of the users registered by each scenario, in order.
    registered: HashMap<String, Vec<String>>,
    /// Recorded e-mail address (lower case) -> emulator address.
    emails: HashMap<String, String>,
    /// My iat minus the recorded iat of sudo tokens, per scenario.
    jwt_shift: i64,
    /// Key of the latest consent that issued a code, and of the latest MFA ticket.
    last_code: Option<String>,
    last_ticket: Option<String>,
    failures: Vec<String>,
    /// Steps replayed, and steps with at least one difference, in the current scenario.
    checked: usize,
    differing: std::collections::BTreeSet<String>,
}

fn snowflake_like(s: &str) -> bool {
    (17..=20).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

fn b64_json(part: &str) -> Option<Value> {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

impl Replay {
    fn key(scenario: &str, step: &str) -> String {
        format!("{scenario}/{step}")
    }

    fn slot(&self, key: &str, index_key: &str, slot: &str) -> Option<&'static str> {
        SLOTS
            .iter()
            .find(|(k, _)| *k == key || *k == index_key)
            .and_then(|(_, s)| s.iter().find(|(n, _)| *n == slot).map(|(_, v)| *v))
    }

    fn var(&self, name: &str) -> String {
        self.vars
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no value captured for {name}"))
    }

    fn map_id(&self, s: &str) -> String {
        self.ids.get(s).cloned().unwrap_or_else(|| s.to_owned())
    }

    fn map_ids_in(&self, text: &str) -> String {
        let mut out = String::new();
        let mut digits = String::new();
        for c in text.chars().chain(std::iter::once('\0')) {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if !digits.is_empty() {
                out.push_str(&if snowflake_like(&digits) {
                    self.map_id(&digits)
                } else {
                    digits.clone()
                });
                digits.clear();
            }
            if c != '\0' {
                out.push(c);
            }
        }
        out
    }

    /// Who makes a step: a user name, or `session:<step>` for a session a login opened.
    fn who_for(&self, scenario: &str, index: usize, step: &str) -> String {
        let key = Self::key(scenario, step);
        let index_key = format!("{scenario}#{index}");
        if let Some(who) = self.slot(&key, &index_key, "who") {
            return who.to_owned();
        }
        if let Some(names) = self.registered.get(scenario) {
            let short = |n: &String| n.split('@').next().unwrap_or_default().to_owned();
            if let Some(n) = names.iter().find(|n| step.contains(&short(n))) {
                return n.clone();
            }
            if let Some(first) = names.first() {
                return first.clone();
            }
        }
        let who = if step.contains("dave") {
            "dave"
        } else if step.contains("other_session") {
            "carol2"
        } else if scenario == "m_sudo_totp" {
            "carol"
        } else if step.contains("bob") {
            "bob"
        } else {
            "alice"
        };
        who.to_owned()
    }

    /// A user name as registered in `scenario` (names reused across scenarios get a suffix).
    fn qualify(&self, scenario: &str, who: &str) -> String {
        let scoped = format!("{who}@{scenario}");
        if self.sessions.contains_key(&scoped) {
            scoped
        } else {
            who.to_owned()
        }
    }

    fn token_of(&self, who: &str) -> String {
        if who.starts_with("session:") {
            return self.var(who);
        }
        self.sessions
            .get(who)
            .cloned()
            .unwrap_or_else(|| panic!("no session for {who}"))
    }

    fn session_for(&self, scenario: &str, index: usize, step: &str) -> String {
        self.token_of(&self.who_for(scenario, index, step))
    }

    /// The user a recorded name stands for in this scenario.
    fn person(&self, scenario: &str, name: &str) -> Option<&SeededUser> {
        self.people
            .get(&format!("{name}@{scenario}"))
            .or_else(|| self.people.get(name))
    }

    fn secret_of(&self, app_id: &str, which: Option<&str>) -> String {
        let keys = self
            .apps
            .get(app_id)
            .or_else(|| self.first_app.as_ref().and_then(|f| self.apps.get(f)))
            .expect("a known application");
        let n = keys.secrets.len();
        if which == Some("old") {
            keys.secrets[n - 2].clone()
        } else {
            keys.secrets[n - 1].clone()
        }
    }

    fn bot_token_of(&self, app_id: &str, which: Option<&str>) -> String {
        let keys = &self.apps[app_id];
        let n = keys.bot_tokens.len();
        if which == Some("old") {
            keys.bot_tokens[n - 2].clone()
        } else {
            keys.bot_tokens[n - 1].clone()
        }
    }

    /// Re-signs a recorded sudo token for the emulator: ids mapped, times shifted.
    fn resign_jwt(&self, recorded: &str, tamper: bool) -> String {
        let mut parts = recorded.split('.');
        let (Some(_), Some(payload), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
            return recorded.to_owned();
        };
        let Some(claims) = b64_json(payload) else {
            return recorded.to_owned();
        };
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        let mut keys: Vec<(usize, &str)> = ["type", "sub", "iat", "exp"]
            .iter()
            .filter_map(|k| raw.find(&format!("\"{k}\"")).map(|p| (p, *k)))
            .collect();
        keys.sort();
        let fields: Vec<String> = keys
            .iter()
            .map(|(_, k)| {
                let v = &claims[*k];
                let v = match *k {
                    "sub" => Value::from(self.map_id(v.as_str().unwrap_or_default())),
                    "iat" | "exp" => Value::from(v.as_i64().unwrap_or(0) + self.jwt_shift),
                    _ => v.clone(),
                };
                format!("\"{k}\":{v}")
            })
            .collect();
        let mut token = self.emu.sign_sudo_jwt(&format!("{{{}}}", fields.join(",")));
        if tamper {
            let last = token.pop().unwrap();
            token.push(if last == 'A' { 'B' } else { 'A' });
        }
        token
    }

    fn pkce_pair() -> (String, String) {
        use rand::Rng;
        let verifier: String = rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(64)
            .map(char::from)
            .collect();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        (verifier, challenge)
    }

    /// Substitutes a form field's masked or recorded value.
    fn form_value(
        &mut self,
        key: &str,
        index_key: &str,
        name: &str,
        value: &str,
        form: &[(String, String)],
    ) -> String {
        let masked = value.starts_with("<redacted") || value.contains("<redacted");
        match name {
            "client_id" => self.map_id(value),
            "client_secret" if masked || form.is_empty() => {
                let id = form
                    .iter()
                    .find(|(k, _)| k == "client_id")
                    .map(|(_, v)| self.map_id(v))
                    .unwrap_or_default();
                self.secret_of(&id, self.slot(key, index_key, "secret"))
            }
            "code" if masked => self.var(&format!("code:{}", self.code_source(key, index_key))),
            "code_verifier" if masked => {
                self.var(&format!("verifier:{}", self.code_source(key, index_key)))
            }
            "refresh_token" if masked => {
                self.var(self.slot(key, index_key, "refresh_token").unwrap())
            }
            "token" if value.starts_with("flx_<redacted") => self.sessions["alice"].clone(),
            "token" if masked => self.var(self.slot(key, index_key, "token").unwrap()),
            _ => value.to_owned(),
        }
    }

    /// The consent step whose code a token step redeems: named in `SLOTS`, else the latest.
    fn code_source(&self, key: &str, index_key: &str) -> String {
        self.slot(key, index_key, "code")
            .map(str::to_owned)
            .or_else(|| self.last_code.clone())
            .expect("a consent before the exchange")
    }

    /// A recorded TOTP or backup code, replaced by the right one of the emulated user.
    fn mfa_code(&self, scenario: &str, code: &str) -> Option<String> {
        let (_, name, backup) = CODES.iter().find(|(c, _, _)| *c == code)?;
        let user = self.person(scenario, name)?;
        Some(if *backup {
            self.emu.backup_codes(user)[0].clone()
        } else {
            self.emu.totp_now(user)
        })
    }

    fn rewrite_json_body(&mut self, key: &str, body: &str) -> String {
        let scenario = key.split('/').next().unwrap_or_default().to_owned();
        let Ok(Value::Object(mut obj)) = serde_json::from_str::<Value>(body) else {
            return body.to_owned();
        };
        if let Some(Value::String(id)) = obj.get("client_id") {
            let mapped = self.map_id(id);
            obj.insert("client_id".into(), mapped.into());
        }
        if let Some(Value::Array(ids)) = obj.get("application_ids") {
            let mapped: Vec<Value> = ids
                .iter()
                .map(|v| match v {
                    Value::Number(n) => {
                        let id = self.map_id(&n.to_string());
                        Value::from(id.parse::<u64>().unwrap())
                    }
                    _ => Value::from(self.map_id(v.as_str().unwrap_or_default())),
                })
                .collect();
            obj.insert("application_ids".into(), mapped.into());
        }
        for k in ["guild_id", "channel_id"] {
            if let Some(Value::String(id)) = obj.get(k) {
                let mapped = self.map_id(id);
                obj.insert(k.into(), mapped.into());
            }
        }
        if let Some(Value::String(email)) = obj.get("email")
            && let Some(mine) = self.emails.get(&email.to_lowercase())
        {
            let upper = email.chars().any(|c| c.is_ascii_uppercase());
            let mine = if upper {
                mine.to_uppercase()
            } else {
                mine.clone()
            };
            obj.insert("email".into(), mine.into());
        }
        if obj.get("ticket").and_then(Value::as_str) == Some("<redacted-64>") {
            let src = self
                .last_ticket
                .clone()
                .expect("a login before the MFA step");
            obj.insert("ticket".into(), self.var(&format!("ticket:{src}")).into());
        }
        if let Some(Value::Array(hashes)) = obj.get("session_id_hashes")
            && !hashes.is_empty()
        {
            let who = self.slot(key, key, "hash").expect("a hash slot");
            let hash = match who {
                "unknown" => "A".repeat(43),
                who => self
                    .emu
                    .session_id_hash(&self.token_of(&self.qualify(&scenario, who))),
            };
            obj.insert("session_id_hashes".into(), Value::from(vec![hash]));
        }
        for field in ["code", "mfa_code"] {
            if let Some(Value::String(code)) = obj.get(field).cloned()
                && let Some(mine) = self.mfa_code(&scenario, &code)
            {
                obj.insert(field.into(), mine.into());
            }
        }
        if obj.get("code_challenge").and_then(Value::as_str) == Some("<redacted-43>") {
            let (verifier, challenge) = Self::pkce_pair();
            self.vars.insert(format!("verifier:{key}"), verifier);
            obj.insert("code_challenge".into(), challenge.into());
        } else if let Some(Value::String(plain)) = obj.get("code_challenge") {
            self.vars.insert(format!("verifier:{key}"), plain.clone());
        }
        if obj.get("client_secret").and_then(Value::as_str) == Some("<redacted-43>") {
            let id = self.map_id(
                obj.get("client_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default(),
            );
            obj.insert("client_secret".into(), self.secret_of(&id, None).into());
        }
        for k in ["code", "code_verifier", "token"] {
            if obj
                .get(k)
                .and_then(Value::as_str)
                .is_some_and(|v| v.contains("<redacted"))
            {
                let v = match k {
                    "code" => self.var(&format!("code:{}", self.code_source(key, key))),
                    "code_verifier" => {
                        self.var(&format!("verifier:{}", self.code_source(key, key)))
                    }
                    _ => self.var(self.slot(key, key, "token").unwrap()),
                };
                obj.insert(k.into(), v.into());
            }
        }
        Value::Object(obj).to_string()
    }

    fn rewrite_multipart(&mut self, key: &str, boundary: &str, body: &str) -> String {
        let delimiter = format!("--{boundary}");
        let mut fields = Vec::new();
        for part in body.split(&delimiter) {
            let Some(start) = part.find("name=\"") else {
                continue;
            };
            let rest = &part[start + 6..];
            let name = &rest[..rest.find('"').unwrap()];
            let value = rest[rest.find("\r\n\r\n").unwrap() + 4..].trim_end_matches("\r\n");
            fields.push((name.to_owned(), value.to_owned()));
        }
        // Every value of the recorded multipart body is a real one of the recorded run.
        let snapshot = fields.clone();
        let mut out = String::new();
        for (name, value) in &fields {
            let masked = match name.as_str() {
                "code" | "code_verifier" | "client_secret" => "<redacted>",
                _ => value.as_str(),
            };
            let v = self.form_value(key, key, name, masked, &snapshot);
            out.push_str(&format!(
                "{delimiter}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{v}\r\n"
            ));
        }
        out.push_str(&format!("{delimiter}--\r\n"));
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn rewrite_auth(
        &self,
        key: &str,
        index_key: &str,
        scenario: &str,
        index: usize,
        step: &str,
        value: &str,
    ) -> String {
        if value.contains("flx_<redacted-session-token>") {
            return value.replace(
                "flx_<redacted-session-token>",
                &self.session_for(scenario, index, step),
            );
        }
        if value.ends_with("<redacted-bot-secret>") {
            let (prefix, rest) = value.split_once(' ').unwrap();
            let id = self.map_id(rest.split('.').next().unwrap());
            return format!(
                "{prefix} {}",
                self.bot_token_of(&id, self.slot(key, index_key, "bot"))
            );
        }
        if value == "Basic <redacted>" {
            let id = self.first_app.clone().unwrap();
            let creds = format!("{id}:{}", self.secret_of(&id, None));
            return format!("Basic {}", STANDARD.encode(creds));
        }
        if value.ends_with("<redacted-43>") {
            let (prefix, _) = value.split_once(' ').unwrap();
            let source = match self.slot(key, index_key, "bearer") {
                Some("garbage") => return format!("{prefix} not-a-real-access-token"),
                Some(s) => s.to_owned(),
                None => {
                    let scope = step.split("bearer_").nth(1).unwrap_or_default();
                    format!("access:{scenario}/token_{scope}")
                }
            };
            return format!("{prefix} {}", self.var(&source));
        }
        value.to_owned()
    }

    fn rewrite_cookie(&self, value: &str) -> String {
        value
            .split("; ")
            .map(|kv| match kv.split_once('=') {
                Some((k, v)) => format!("{}={}", self.map_ids_in(k), self.resign_jwt(v, false)),
                None => kv.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Does through the Rust API what a skipped set-up step did on the server.
    fn set_up(&mut self, scenario: &str, index: usize, step: &str, rec: &Value) {
        let body: Value = serde_json::from_str(rec["request"]["body"].as_str().unwrap_or_default())
            .unwrap_or(Value::Null);
        let answer = rec["response"].get("json").cloned().unwrap_or(Value::Null);
        if let Some(name) = step.strip_prefix("register_") {
            let recorded_id = answer["user_id"].as_str().unwrap_or_default().to_owned();
            let user = match self.ids.get(&recorded_id) {
                // Users of the first scenarios are made before the replay starts.
                Some(mine) => self.people.values().find(|u| u.id == *mine).cloned(),
                None => {
                    let totp = rec_has_step(scenario, &format!("enable_totp_{name}"));
                    let user = self.emu.add_user(NewUser {
                        username: format!("{name}_{}", &scenario[..1]),
                        password: Some("a-strong-password".to_owned()),
                        totp,
                    });
                    let slot = if self.sessions.contains_key(name) {
                        format!("{name}@{scenario}")
                    } else {
                        name.to_owned()
                    };
                    self.sessions
                        .insert(slot.clone(), user.session_token.clone());
                    self.people.insert(slot.clone(), user.clone());
                    self.registered
                        .entry(scenario.to_owned())
                        .or_default()
                        .push(slot);
                    self.ids.insert(recorded_id, user.id.clone());
                    Some(user)
                }
            };
            if let (Some(user), Some(email)) = (user, body["email"].as_str()) {
                self.emails
                    .insert(email.to_lowercase(), self.emu.email_of(&user));
            }
        } else if step.starts_with("create_guild_") {
            let who = self.who_for(scenario, index, step);
            let owner = self.people[&self.qualify(scenario, &who)].clone();
            let id = self
                .emu
                .create_guild(&owner, body["name"].as_str().unwrap_or_default());
            if let Some(recorded) = answer["id"].as_str() {
                self.ids.insert(recorded.to_owned(), id);
            }
        } else if step == "test_seed_mfa_ticket" {
            let user_id = self.map_id(body["user_id"].as_str().unwrap_or_default());
            let user = self.people.values().find(|u| u.id == user_id).cloned();
            let ttl = Duration::from_secs(body["ttl_seconds"].as_u64().unwrap_or(60));
            self.emu.seed_mfa_ticket(
                &user.expect("a known user"),
                body["ticket"].as_str().unwrap_or_default(),
                ttl,
            );
        }
    }

    /// Replays one step; `false` when it is skipped.
    async fn run_step(&mut self, scenario: &str, index: usize, rec: &Value) -> bool {
        let step = rec["step"].as_str().unwrap();
        let key = Self::key(scenario, step);
        if skip_reason(&key).is_some() {
            self.set_up(scenario, index, step, rec);
            return false;
        }
        let repeats = PRELUDES
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(0, |(_, n)| *n);
        for _ in 0..repeats {
            let status = self.send(scenario, index, rec).await.0;
            if status != 200 {
                self.fail(
                    &key,
                    format!("prelude request answered {status}, recorded 200"),
                );
            }
        }
        let (status, headers, text, sent_jwt) = self.send(scenario, index, rec).await;
        self.checked += 1;
        if let (Some(want), Ok(got)) = (
            rec["response"].get("json"),
            serde_json::from_str::<Value>(&text),
        ) {
            self.map_parallel(want, &got);
        }
        self.compare(&key, rec, status, &headers, &text, sent_jwt);
        self.capture(&key, rec, &headers, &text);
        true
    }

    /// Sends the request of a recorded step, rewritten for the emulator.
    async fn send(
        &mut self,
        scenario: &str,
        index: usize,
        rec: &Value,
    ) -> (u16, Vec<(String, String)>, String, Option<(String, String)>) {
        let step = rec["step"].as_str().unwrap();
        let key = Self::key(scenario, step);
        let index_key = format!("{scenario}#{index}");
        if let Some((_, secs)) = CLOCK_MOVES
            .iter()
            .find(|(k, _)| *k == key || *k == index_key)
        {
            self.emu.clock().advance(Duration::from_secs(*secs));
        }
        let req = &rec["request"];
        let method = req["method"].as_str().unwrap();
        let path = self.map_ids_in(req["path"].as_str().unwrap());
        let url = format!("http://{}{}", self.emu.addr(), path);
        let mut builder = self.http.request(method.parse().unwrap(), &url);
        let mut content_type = String::new();
        let mut sent_jwt = None;
        for h in req["headers"].as_array().unwrap() {
            let (name, value) = (h[0].as_str().unwrap(), h[1].as_str().unwrap());
            let lower = name.to_ascii_lowercase();
            let value = match lower.as_str() {
                "host" | "content-length" => continue,
                "content-type" => {
                    content_type = value.to_owned();
                    value.to_owned()
                }
                "authorization" => {
                    self.rewrite_auth(&key, &index_key, scenario, index, step, value)
                }
                "x-fluxer-sudo-mode-jwt" => {
                    let tamper = self.slot(&key, &index_key, "jwt") == Some("tamper");
                    let t = self.resign_jwt(value, tamper);
                    sent_jwt = Some((value.to_owned(), t.clone()));
                    t
                }
                "cookie" => self.rewrite_cookie(value),
                _ => value.to_owned(),
            };
            builder = builder.header(name, value);
        }
        let body = req["body"].as_str().unwrap_or_default();
        let body = if body.is_empty() {
            String::new()
        } else if content_type.starts_with("application/json") || body.starts_with('{') {
            self.rewrite_json_body(&key, body)
        } else if let Some(b) = content_type.strip_prefix("multipart/form-data; boundary=") {
            self.rewrite_multipart(&key, b, body)
        } else {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
                .into_owned()
                .collect();
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                let nv = self.form_value(&key, &index_key, k, v, &pairs);
                ser.append_pair(k, &nv);
            }
            ser.finish()
        };
        if !body.is_empty() {
            builder = builder.body(body);
        }
        let resp = builder
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e}"));
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    v.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let text = resp.text().await.unwrap();
        (status, headers, text, sent_jwt)
    }

    fn fail(&mut self, key: &str, msg: String) {
        self.differing.insert(key.to_owned());
        self.failures.push(format!("{key}: {msg}"));
    }

    fn compare(
        &mut self,
        key: &str,
        rec: &Value,
        status: u16,
        headers: &[(String, String)],
        text: &str,
        sent_jwt: Option<(String, String)>,
    ) {
        let want = &rec["response"];
        if want["status"].as_u64() != Some(status as u64) {
            self.fail(
                key,
                format!("status {status}, recorded {} (body {text})", want["status"]),
            );
            return;
        }
        let rec_headers: Vec<(String, String)> = want["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h[0].as_str().unwrap().to_ascii_lowercase(),
                    h[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let get = |list: &[(String, String)], name: &str| {
            list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        };
        if get(&rec_headers, "content-type") != get(headers, "content-type") {
            self.fail(
                key,
                format!(
                    "content-type {:?}, recorded {:?}",
                    get(headers, "content-type"),
                    get(&rec_headers, "content-type")
                ),
            );
        }
        for name in [
            "x-fluxer-sudo-mode-jwt",
            "set-cookie",
            "location",
            "retry-after",
            "x-ratelimit-limit",
            "x-ratelimit-global",
        ] {
            if get(&rec_headers, name).is_some() != get(headers, name).is_some() {
                self.fail(
                    key,
                    format!(
                        "header {name}: present {}, recorded {}",
                        get(headers, name).is_some(),
                        get(&rec_headers, name).is_some()
                    ),
                );
            }
        }
        if let (Some(want_loc), Some(got_loc)) =
            (get(&rec_headers, "location"), get(headers, "location"))
        {
            let mut problems = Vec::new();
            if want_loc.contains("<redacted") {
                self.masked_matches("location", &want_loc, &got_loc, &mut problems);
            } else if self.map_ids_in(&want_loc) != got_loc {
                problems.push(format!("location {got_loc}, recorded {want_loc}"));
            }
            for p in problems {
                self.fail(key, p);
            }
        }
        if let (Some(want_jwt), Some(got_jwt)) = (
            get(&rec_headers, "x-fluxer-sudo-mode-jwt"),
            get(headers, "x-fluxer-sudo-mode-jwt"),
        ) {
            if got_jwt.split('.').count() != 3 || !got_jwt.starts_with("eyJhbGciOiJIUzI1NiJ9.") {
                self.fail(
                    key,
                    format!("sudo token {got_jwt} is not a compact HS256 JWT"),
                );
            }
            // An echoed token must come back byte for byte; a fresh one must differ.
            if let Some((rec_sent, my_sent)) = sent_jwt {
                let echoed = rec_sent.split('.').nth(1) == want_jwt.split('.').nth(1);
                if echoed != (got_jwt == my_sent) {
                    self.fail(key, format!("sudo token echo: expected echoed={echoed}"));
                }
            }
        }
        let want_text = want["body"].as_str().unwrap_or_default();
        if want_text.is_empty() != text.is_empty() {
            self.fail(key, format!("body {text:?}, recorded {want_text:?}"));
            return;
        }
        if let Some(want_json) = want.get("json").filter(|j| !j.is_null()) {
            match serde_json::from_str::<Value>(text) {
                Ok(got) => {
                    let mut problems = Vec::new();
                    self.same_shape("$", want_json, &got, &mut problems);
                    for p in problems {
                        self.fail(key, p);
                    }
                }
                Err(e) => self.fail(key, format!("not JSON ({e}): {text}")),
            }
        }
    }

    /// Same keys, same array lengths, same booleans/nulls/numbers, and the same error texts.
    fn same_shape(&self, at: &str, want: &Value, got: &Value, problems: &mut Vec<String>) {
        const EXACT: &[&str] = &[
            "code",
            "message",
            "error",
            "error_description",
            "token_type",
            "scope",
            "path",
            "required_scope",
            "name",
            "state",
            "verify_key",
            "client_id",
            "sub",
            "id",
            "user_id",
        ];
        const VOLATILE_NUMBERS: &[&str] = &["exp", "iat", "retry_after"];
        match (want, got) {
            (Value::Object(w), Value::Object(g)) => {
                let wk: Vec<&String> = w.keys().collect();
                let gk: Vec<&String> = g.keys().collect();
                if wk != gk {
                    problems.push(format!("{at}: keys {gk:?}, recorded {wk:?}"));
                    return;
                }
                for (k, wv) in w {
                    let path = format!("{at}.{k}");
                    let gv = &g[k];
                    match (wv, gv) {
                        (Value::String(ws), Value::String(gs)) => {
                            if ws.contains("<redacted") {
                                self.masked_matches(&path, ws, gs, problems);
                            } else if EXACT.contains(&k.as_str()) && self.map_ids_in(ws) != *gs {
                                // Application names are the recorded ones; user names are not.
                                let user_name = k == "name" && at.ends_with("user");
                                if !user_name {
                                    problems.push(format!("{path}: {gs:?}, recorded {ws:?}"));
                                }
                            }
                        }
                        (Value::Number(wn), Value::Number(gn)) => {
                            if !VOLATILE_NUMBERS.contains(&k.as_str()) && wn != gn {
                                problems.push(format!("{path}: {gn}, recorded {wn}"));
                            }
                        }
                        _ => self.same_shape(&path, wv, gv, problems),
                    }
                }
            }
            (Value::Array(w), Value::Array(g)) => {
                if w.len() != g.len() {
                    problems.push(format!("{at}: {} items, recorded {}", g.len(), w.len()));
                    return;
                }
                for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                    let path = format!("{at}[{i}]");
                    match (wv, gv) {
                        (Value::String(ws), Value::String(gs))
                            if !snowflake_like(ws) && ws != gs =>
                        {
                            problems.push(format!("{path}: {gs:?}, recorded {ws:?}"));
                        }
                        _ => self.same_shape(&path, wv, gv, problems),
                    }
                }
            }
            (Value::Bool(w), Value::Bool(g)) if w != g => {
                problems.push(format!("{at}: {g}, recorded {w}"))
            }
            (Value::Null, Value::Null) | (Value::Bool(_), Value::Bool(_)) => {}
            (Value::String(_), Value::String(_)) | (Value::Number(_), Value::Number(_)) => {}
            _ => problems.push(format!("{at}: {got}, recorded {want}")),
        }
    }

    /// A recorded string with masked parts: the rest must match and each mask stand for the
    /// right kind of value.
    fn masked_matches(&self, at: &str, want: &str, got: &str, problems: &mut Vec<String>) {
        let want = self.map_ids_in(want);
        let pattern: Vec<&str> = want.split("<redacted").collect();
        let mut rest = got;
        for (i, piece) in pattern.iter().enumerate() {
            let literal = if i == 0 {
                *piece
            } else {
                piece.split_once('>').map_or("", |(_, l)| l)
            };
            let len = if i == 0 {
                0
            } else {
                match piece.split_once('>').map(|(m, _)| m) {
                    Some("-43") | Some("-bot-secret") => 43,
                    Some("-64") => 64,
                    Some("-session-token") => 36,
                    _ => 43,
                }
            };
            if i > 0 {
                let masked: String = rest.chars().take(len).collect();
                let fits = masked.len() == len
                    && masked
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !fits {
                    problems.push(format!("{at}: {got:?} does not fit {want:?}"));
                    return;
                }
                rest = &rest[len..];
            }
            if let Some(r) = rest.strip_prefix(literal) {
                rest = r;
            } else {
                problems.push(format!("{at}: {got:?} does not fit {want:?}"));
                return;
            }
        }
        if !rest.is_empty() {
            problems.push(format!("{at}: {got:?} does not fit {want:?}"));
        }
    }

    /// Remembers ids, codes, tokens, secrets and sudo tokens from an answer.
    fn capture(&mut self, key: &str, rec: &Value, headers: &[(String, String)], text: &str) {
        let Ok(got) = serde_json::from_str::<Value>(text) else {
            self.capture_jwt(rec, headers);
            return;
        };
        if let Some(want) = rec["response"].get("json") {
            self.map_parallel(want, &got);
        }
        if let Some(to) = got.get("redirect_to").and_then(Value::as_str)
            && let Ok(u) = url::Url::parse(to)
            && let Some((_, code)) = u.query_pairs().find(|(k, _)| k == "code")
        {
            self.vars.insert(format!("code:{key}"), code.into_owned());
            self.last_code = Some(key.to_owned());
        }
        if let Some(t) = got.get("ticket").and_then(Value::as_str) {
            self.vars.insert(format!("ticket:{key}"), t.to_owned());
            self.last_ticket = Some(key.to_owned());
        }
        if let (Some(t), Some(_)) = (got.get("token").and_then(Value::as_str), got.get("user_id")) {
            self.vars.insert(format!("session:{key}"), t.to_owned());
            // The second session of carol comes from this login.
            if key == "m_sudo_totp/login_mfa_totp_carol_second_session" {
                self.sessions.insert("carol2".to_owned(), t.to_owned());
            }
        }
        for (field, prefix) in [("access_token", "access"), ("refresh_token", "refresh")] {
            if let Some(t) = got.get(field).and_then(Value::as_str) {
                self.vars.insert(format!("{prefix}:{key}"), t.to_owned());
            }
        }
        if let Some(id) = got.get("id").and_then(Value::as_str) {
            let id = id.to_owned();
            if let Some(secret) = got.get("client_secret").and_then(Value::as_str) {
                self.first_app.get_or_insert_with(|| id.clone());
                self.apps
                    .entry(id.clone())
                    .or_default()
                    .secrets
                    .push(secret.to_owned());
            }
            if let Some(t) = got.pointer("/bot/token").and_then(Value::as_str) {
                self.apps
                    .entry(id)
                    .or_default()
                    .bot_tokens
                    .push(t.to_owned());
            }
        }
        if let (Some(t), Some(id)) = (
            got.get("token").and_then(Value::as_str),
            got.pointer("/bot/id").and_then(Value::as_str),
        ) {
            self.apps
                .entry(id.to_owned())
                .or_default()
                .bot_tokens
                .push(t.to_owned());
        }
        self.capture_jwt(rec, headers);
    }

    fn capture_jwt(&mut self, rec: &Value, headers: &[(String, String)]) {
        let mine = headers
            .iter()
            .find(|(k, _)| k == "x-fluxer-sudo-mode-jwt")
            .map(|(_, v)| v.clone());
        let recorded = rec["response"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "x-fluxer-sudo-mode-jwt")
            .and_then(|h| h[1].as_str().map(str::to_owned));
        if let (Some(mine), Some(recorded)) = (mine, recorded) {
            let iat = |t: &str| {
                t.split('.')
                    .nth(1)
                    .and_then(b64_json)
                    .and_then(|c| c["iat"].as_i64())
            };
            if let (Some(m), Some(r)) = (iat(&mine), iat(&recorded)) {
                // Only a freshly minted token tells the clock offset.
                if self.jwt_shift == 0 {
                    self.jwt_shift = m - r;
                }
            }
        }
    }

    /// Learns recorded-to-emulator id pairs from two answers of the same shape.
    fn map_parallel(&mut self, want: &Value, got: &Value) {
        match (want, got) {
            (Value::Object(w), Value::Object(g)) => {
                for (k, wv) in w {
                    if let Some(gv) = g.get(k) {
                        self.map_parallel(wv, gv);
                    }
                }
            }
            (Value::Array(w), Value::Array(g)) => {
                for (wv, gv) in w.iter().zip(g) {
                    self.map_parallel(wv, gv);
                }
            }
            (Value::String(w), Value::String(g)) if snowflake_like(w) && snowflake_like(g) => {
                self.ids.entry(w.clone()).or_insert_with(|| g.clone());
            }
            _ => {}
        }
    }
}

/// Whether the recording of `scenario` has a step named `step`.
fn rec_has_step(scenario: &str, step: &str) -> bool {
    SCENARIOS
        .iter()
        .find(|(name, _)| *name == scenario)
        .is_some_and(|(_, text)| text.contains(&format!("\"{step}\"")))
}

#[tokio::test]
async fn recorded_scenarios_replay_identically() {
    let emu = Emulator::start_with(EmulatorConfig {
        web_app_base: "http://localhost:8088".to_owned(),
        // The recorded instance accepted a TOTP code twice within its 30 s step.
        allow_totp_reuse: true,
        follow_real_time: false,
        // Its rate limits applied only to requests asking for them.
        rate_limits: Some(RateLimitConfig::default()),
        rate_limits_need_test_header: true,
        ..EmulatorConfig::default()
    })
    .await;
    let password = Some("a-strong-password".to_owned());
    let alice = emu.alice();
    // The recorded second user had a password and no MFA.
    let bob = emu.add_user(NewUser {
        username: "bob_nomfa".into(),
        password: password.clone(),
        totp: false,
    });
    let carol = emu.add_user(NewUser {
        username: "carol".into(),
        password: password.clone(),
        totp: true,
    });
    let dave = emu.add_user(NewUser {
        username: "dave".into(),
        password,
        totp: false,
    });
    let carol2 = emu.create_session(&carol);
    let mut ids = HashMap::new();
    for (recorded, mine) in [
        ("1574449618584862720", &alice.id),
        ("1574449618589057025", &bob.id),
        ("1574454797694664714", &carol.id),
        ("1574454797698859019", &dave.id),
    ] {
        ids.insert(recorded.to_owned(), mine.clone());
    }
    let sessions = HashMap::from([
        ("alice".to_owned(), alice.session_token.clone()),
        ("bob".to_owned(), bob.session_token.clone()),
        ("carol".to_owned(), carol.session_token.clone()),
        ("carol2".to_owned(), carol2),
        ("dave".to_owned(), dave.session_token.clone()),
    ]);
    let people = HashMap::from([
        ("alice".to_owned(), alice),
        ("bob".to_owned(), bob),
        ("carol".to_owned(), carol),
        ("dave".to_owned(), dave),
    ]);
    let mut replay = Replay {
        http: common::client(),
        emu,
        ids,
        vars: HashMap::new(),
        apps: HashMap::new(),
        first_app: None,
        sessions,
        people,
        registered: HashMap::new(),
        emails: HashMap::new(),
        jwt_shift: 0,
        last_code: None,
        last_ticket: None,
        failures: Vec::new(),
        checked: 0,
        differing: Default::default(),
    };
    let mut unexplained = Vec::new();
    for (scenario, text) in SCENARIOS {
        let steps: Vec<Value> = serde_json::from_str(text).unwrap();
        replay.checked = 0;
        replay.differing.clear();
        replay.jwt_shift = 0;
        replay.last_code = None;
        replay.last_ticket = None;
        let (mut total, mut skipped) = (0, 0);
        for (i, rec) in steps.iter().enumerate() {
            if rec.get("request").is_none() {
                continue; // a note, not an exchange
            }
            total += 1;
            if !replay.run_step(scenario, i, rec).await {
                skipped += 1;
                let key = Replay::key(scenario, rec["step"].as_str().unwrap());
                if skip_reason(&key).is_none() {
                    unexplained.push(key);
                }
            }
        }
        println!(
            "conformance {scenario}: {} replayed, {skipped} skipped, {} differing",
            replay.checked,
            replay.differing.len()
        );
        assert_eq!(
            replay.checked + skipped,
            total,
            "{scenario}: every exchange counted"
        );
    }
    assert!(
        unexplained.is_empty(),
        "skipped without a reason: {unexplained:?}"
    );
    assert!(
        replay.failures.is_empty(),
        "differences from the recordings:\n{}",
        replay.failures.join("\n")
    );
    replay.emu.shutdown().await;
}
