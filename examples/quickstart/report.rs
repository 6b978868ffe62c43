//! One readable line per step, and the tally of which operations the tour exercised.

use std::collections::BTreeSet;

use fluxer_oauth2::OperationSpec;

/// Prints steps and remembers which operation ids succeeded.
#[derive(Default)]
pub struct Report {
    done: BTreeSet<&'static str>,
    skipped: Vec<String>,
}

impl Report {
    /// A step that worked.
    pub fn ok(&mut self, operation: &'static str, what: impl AsRef<str>) {
        self.done.insert(operation);
        println!("[ok]   {operation:<42} {}", what.as_ref());
    }

    /// A step that was not run, and why.
    pub fn skip(&mut self, operation: &'static str, why: impl AsRef<str>) {
        println!("[skip] {operation:<42} {}", why.as_ref());
        self.skipped.push(operation.to_owned());
    }

    /// A free-form note.
    pub fn note(&self, what: impl AsRef<str>) {
        println!("       {}", what.as_ref());
    }

    /// The operations of the spec's 20 OAuth2 operations that no step exercised.
    pub fn missing_oauth2_operations(&self) -> Vec<&'static str> {
        OAUTH2_OPERATIONS
            .into_iter()
            .filter(|id| OperationSpec::find(id).is_none() || !self.done.contains(id))
            .collect()
    }

    /// How many of the spec's operations the tour exercised.
    pub fn summary(&self) -> String {
        let oauth2: Vec<_> = oauth2_operations().collect();
        let covered = oauth2.iter().filter(|op| self.done.contains(op.id)).count();
        format!(
            "{covered}/{} OAuth2 operations exercised, {} skipped",
            OAUTH2_OPERATIONS.len(),
            self.skipped.len()
        )
    }
}

/// The spec's 20 OAuth2 operations: applications and bots, consent, the token endpoints, the
/// authorized user and the user's authorizations. The spec also describes other parts of the API
/// (sudo helpers, login and sessions, discovery, user data), which the tour does not cover.
const OAUTH2_OPERATIONS: [&str; 20] = [
    "create_oauth_application",
    "get_oauth_application",
    "update_oauth_application",
    "delete_oauth_application",
    "get_public_application",
    "list_user_applications",
    "get_oauth_applications_me",
    "get_current_user_applications",
    "update_bot_profile",
    "reset_bot_token",
    "reset_client_secret",
    "provide_oauth2_consent",
    "exchange_oauth2_token",
    "introspect_oauth2_token",
    "revoke_oauth2_token",
    "get_oauth2_userinfo",
    "get_current_user_oauth2",
    "list_user_oauth2_authorizations",
    "delete_user_oauth2_authorization",
    "bulk_delete_user_oauth2_authorizations",
];

/// The spec's entries of the OAuth2 operations.
fn oauth2_operations() -> impl Iterator<Item = &'static OperationSpec> {
    OperationSpec::all()
        .iter()
        .filter(|op| OAUTH2_OPERATIONS.contains(&op.id))
}

/// A secret's shape without its value: its length.
pub fn hidden(secret: &fluxer_oauth2::Secret) -> String {
    format!("{} chars, hidden", secret.len())
}
