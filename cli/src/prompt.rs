//! Reading what the user types: secrets without echo on a terminal, and one line of standard input per
//! question otherwise, so that scripts and tests can pipe the answers in.

use std::io::{BufRead as _, IsTerminal as _, Write as _};

use fluxer_oauth2::Secret;

use crate::exit::CliError;

/// Asks questions on the terminal, or reads the answers from standard input one line each.
#[derive(Debug)]
pub struct Prompter {
    terminal: bool,
}

impl Prompter {
    /// A prompter for this process's standard input.
    pub fn new() -> Self {
        Self {
            terminal: std::io::stdin().is_terminal(),
        }
    }

    /// Whether standard input is a terminal.
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// Asks for a secret: typed without echo on a terminal, else the next line of standard input.
    pub fn secret(&self, what: &str) -> Result<Secret, CliError> {
        if self.terminal {
            let answer = rpassword::prompt_password(format!("{what}: "))
                .map_err(|e| CliError::failure(format!("could not read the {what}: {e}")))?;
            return non_empty(Secret::new(answer.trim_end_matches(['\r', '\n'])), what);
        }
        non_empty(read_line(what)?, what)
    }

    /// Asks for a value that is not secret (shown as it is typed).
    pub fn text(&self, what: &str) -> Result<String, CliError> {
        if self.terminal {
            eprint!("{what}: ");
            let _ = std::io::stderr().flush();
        }
        let line = read_line(what)?;
        let value = line.expose_secret().trim().to_owned();
        if value.is_empty() {
            return Err(CliError::usage(format!("no {what} was given")));
        }
        Ok(value)
    }

    /// Asks a yes/no question on the terminal; without one, the answer is no.
    pub fn confirm(&self, question: &str) -> Result<bool, CliError> {
        if !self.terminal {
            return Ok(false);
        }
        let answer = self.text(&format!("{question} [y/N]"))?;
        Ok(matches!(answer.as_str(), "y" | "Y" | "yes" | "YES" | "Yes"))
    }
}

/// The next line of standard input, without its line end.
pub fn read_line(what: &str) -> Result<Secret, CliError> {
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CliError::failure(format!(
            "could not read the {what} from standard input: {e}"
        ))
    });
    let line = Secret::new(line);
    if read? == 0 {
        return Err(CliError::usage(format!(
            "the {what} is needed: type it in a terminal, or give it as a line on standard input"
        )));
    }
    Ok(Secret::new(
        line.expose_secret().trim_end_matches(['\r', '\n']),
    ))
}

fn non_empty(secret: Secret, what: &str) -> Result<Secret, CliError> {
    if secret.expose_secret().trim().is_empty() {
        return Err(CliError::usage(format!("the {what} is empty")));
    }
    Ok(secret)
}

/// A secret from an environment variable, if set and not empty.
pub fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| Secret::new(v.trim()))
}
