//! One readable line per step, and the tally of which operations the tour exercised.

use std::collections::BTreeSet;

use fluxer_oauth2::OperationSpec;

/// The steps around the OAuth2 operations, in the order the tour runs them.
pub const STEPS: [&str; 6] = [
    "login",
    "sessions",
    "user resources",
    "bot",
    "discovery",
    "logout",
];

/// Prints steps and remembers which operation ids and which of [`STEPS`] succeeded.
#[derive(Default)]
pub struct Report {
    done: BTreeSet<&'static str>,
    skipped: Vec<String>,
    steps_done: BTreeSet<&'static str>,
    steps_skipped: BTreeSet<&'static str>,
    steps_failed: Vec<(&'static str, String)>,
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

    /// A part of one of [`STEPS`] that worked, under its own label (an operation id, mostly).
    pub fn step(&mut self, step: &'static str, label: &str, what: impl AsRef<str>) {
        debug_assert!(STEPS.contains(&step), "{step} is not a step");
        self.steps_done.insert(step);
        println!("[ok]   {label:<42} {}", what.as_ref());
    }

    /// A step (or a part of it) that was not run, and why. The step then does not count as done.
    pub fn step_skip(&mut self, step: &'static str, label: &str, why: impl AsRef<str>) {
        self.steps_skipped.insert(step);
        println!("[skip] {label:<42} {}", why.as_ref());
    }

    /// Records how a step ended: an error is printed and remembered, and the tour goes on.
    pub fn step_outcome(
        &mut self,
        step: &'static str,
        outcome: Result<(), impl std::fmt::Display>,
    ) {
        if let Err(e) = outcome {
            println!("[FAIL] {step:<42} {e}");
            self.steps_failed.push((step, e.to_string()));
        }
    }

    /// The steps that failed, with their errors.
    pub fn failed_steps(&self) -> &[(&'static str, String)] {
        &self.steps_failed
    }

    /// The steps that did not run to the end (skipped, failed, or never reached).
    pub fn incomplete_steps(&self) -> Vec<&'static str> {
        STEPS
            .into_iter()
            .filter(|s| !self.step_complete(s))
            .collect()
    }

    fn step_complete(&self, step: &str) -> bool {
        self.steps_done.contains(step)
            && !self.steps_skipped.contains(step)
            && !self.steps_failed.iter().any(|(s, _)| *s == step)
    }

    /// The tally of [`STEPS`].
    pub fn steps_summary(&self) -> String {
        let complete = STEPS.iter().filter(|s| self.step_complete(s)).count();
        let mut line = format!("{}: {complete}/{} steps", STEPS.join(", "), STEPS.len());
        let skipped: Vec<_> = STEPS
            .into_iter()
            .filter(|s| self.steps_skipped.contains(s))
            .collect();
        if !skipped.is_empty() {
            line.push_str(&format!(", skipped: {}", skipped.join(", ")));
        }
        if !self.steps_failed.is_empty() {
            let failed: Vec<_> = STEPS
                .into_iter()
                .filter(|s| self.steps_failed.iter().any(|(f, _)| f == s))
                .collect();
            line.push_str(&format!(", failed: {}", failed.join(", ")));
        }
        line
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
