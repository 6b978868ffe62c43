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
        OperationSpec::all()
            .iter()
            .map(|op| op.id)
            .filter(|id| !id.starts_with("get_sudo_"))
            .filter(|id| !self.done.contains(id))
            .collect()
    }

    /// How many of the spec's operations the tour exercised.
    pub fn summary(&self) -> String {
        let oauth2: Vec<_> = OperationSpec::all()
            .iter()
            .filter(|op| !op.id.starts_with("get_sudo_"))
            .collect();
        let covered = oauth2.iter().filter(|op| self.done.contains(op.id)).count();
        format!(
            "{covered}/{} OAuth2 operations exercised, {} skipped",
            oauth2.len(),
            self.skipped.len()
        )
    }
}

/// A secret's shape without its value: its length.
pub fn hidden(secret: &fluxer_oauth2::Secret) -> String {
    format!("{} chars, hidden", secret.len())
}
