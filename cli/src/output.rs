//! What a command prints: lines for people, or one JSON document for scripts, with every secret field
//! taken out unless the command was asked to show that one.

use serde::Serialize;
use serde_json::Value;

use crate::exit::CliError;

/// The keys that hold secrets in the API's answers and in this tool's JSON.
const SECRET_KEYS: &[&str] = &[
    "client_secret",
    "token",
    "bot_token",
    "access_token",
    "refresh_token",
    "redirect_to",
    "password",
    "code",
    "code_verifier",
    "sudo_token",
];

/// A command's result: text for people and JSON for scripts.
#[derive(Debug, Default)]
pub struct Output {
    human: Vec<String>,
    json: Value,
}

impl Output {
    /// A result whose JSON form is `json` (secret keys removed from it).
    pub fn new(json: Value) -> Self {
        let mut json = json;
        strip_secrets(&mut json);
        Self {
            human: Vec::new(),
            json,
        }
    }

    /// A result whose JSON form is `value` serialised (secret keys removed).
    pub fn from_serialize(value: &impl Serialize) -> Result<Self, CliError> {
        let json = serde_json::to_value(value)
            .map_err(|e| CliError::failure(format!("could not encode the answer: {e}")))?;
        Ok(Self::new(json))
    }

    /// Adds a line for people.
    pub fn line(mut self, line: impl Into<String>) -> Self {
        self.human.push(line.into());
        self
    }

    /// Adds lines for people.
    pub fn lines(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.human.extend(lines);
        self
    }

    /// Puts one secret the user asked for into the JSON form, at the top level under `key`.
    pub fn reveal(mut self, key: &str, value: &str) -> Self {
        if let Value::Object(map) = &mut self.json {
            map.insert(key.to_owned(), Value::String(value.to_owned()));
        }
        self
    }

    /// Prints it, as JSON or as text. A closed standard output (`| head`) ends the printing quietly.
    pub fn print(&self, json: bool) {
        let text = if json {
            serde_json::to_string_pretty(&self.json).unwrap_or_else(|_| "null".to_owned())
        } else {
            self.human.join("\n")
        };
        print_stdout(&text);
    }
}

/// Writes a line on standard output, ignoring a closed pipe.
pub fn print_stdout(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// Removes every secret key, at any depth.
pub fn strip_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|k, _| !SECRET_KEYS.contains(&k.as_str()));
            map.values_mut().for_each(strip_secrets);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_secrets),
        _ => {}
    }
}

/// Lines of `key: value` pairs, aligned.
pub fn table(rows: &[(&str, String)]) -> Vec<String> {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<width$}  {v}"))
        .collect()
}

/// Rows with a header, columns aligned.
pub fn columns(header: &[&str], rows: &[Vec<String>]) -> Vec<String> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let render = |cells: Vec<&str>| {
        let mut line = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                line.push_str(cell);
            } else {
                let pad = widths[i].saturating_sub(cell.chars().count());
                line.push_str(cell);
                line.push_str(&" ".repeat(pad + 2));
            }
        }
        line
    };
    let mut out = vec![render(header.to_vec())];
    out.extend(
        rows.iter()
            .map(|row| render(row.iter().map(String::as_str).collect())),
    );
    out
}

/// A time in Unix seconds as RFC 3339 (UTC).
pub fn unix_time(secs: u64) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX), 0)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_stripped_at_any_depth() {
        let mut v = serde_json::json!({
            "id": "1", "client_secret": "s",
            "bot": {"id": "1", "token": "t"},
            "list": [{"access_token": "a", "scope": "identify"}]
        });
        strip_secrets(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"id": "1", "bot": {"id": "1"}, "list": [{"scope": "identify"}]})
        );
    }

    #[test]
    fn columns_align() {
        let lines = columns(&["ID", "NAME"], &[vec!["12345".into(), "x".into()]]);
        assert_eq!(lines, vec!["ID     NAME", "12345  x"]);
    }
}
