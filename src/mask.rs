//! Server text on its way into an `Error`: masked against the secrets of the request that produced
//! it and against anything shaped like a token, control characters escaped, and cut to a bounded
//! length, so that an answer can neither leak a secret nor flood or split a log line.

use std::fmt::Write as _;

/// The most bytes of one piece of server text an error keeps (a message, a description).
pub const MAX_TEXT_BYTES: usize = 512;

/// The most field errors an error shows; the rest are counted.
pub const MAX_FIELD_ERRORS: usize = 5;

/// How much of a text is looked at: enough to keep [`MAX_TEXT_BYTES`] after masking, bounded so that
/// a 3 MB message costs no more than a short one.
const WINDOW_BYTES: usize = 4 * MAX_TEXT_BYTES;

/// The shortest secret masked by value: shorter ones (a 4-digit PIN) would mask ordinary words.
const MIN_SECRET_LEN: usize = 4;

/// A run of these characters at least this long is masked as token-shaped, unless it is all digits
/// (ids, timestamps).
const TOKEN_RUN: usize = 16;

/// The secrets one request carried (credential, header values, secret form or JSON fields), for
/// masking the answer to it.
#[derive(Clone, Default)]
pub(crate) struct RequestSecrets(Vec<String>);

impl std::fmt::Debug for RequestSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RequestSecrets({} values)", self.0.len())
    }
}

impl Drop for RequestSecrets {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(zeroize::Zeroize::zeroize);
    }
}

impl RequestSecrets {
    /// Adds a secret, with the forms it can take when echoed: percent-encoded (a form body) and
    /// JSON-escaped.
    pub(crate) fn add(&mut self, value: &str) {
        if value.len() < MIN_SECRET_LEN || self.0.iter().any(|s| s == value) {
            return;
        }
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let json = serde_json::to_string(value).unwrap_or_default();
        let json = json.trim_matches('"').to_owned();
        self.0.push(value.to_owned());
        for form in [encoded, json] {
            if form != value && !self.0.contains(&form) {
                self.0.push(form);
            }
        }
    }

    /// Adds an `Authorization` value: the whole value, the token after its scheme, and for HTTP Basic
    /// the decoded pair and its secret half.
    pub(crate) fn add_authorization(&mut self, value: &str) {
        self.add(value);
        if let Some((scheme, token)) = value.split_once(' ') {
            self.add(token);
            if scheme.eq_ignore_ascii_case("basic") {
                use base64::Engine as _;
                if let Ok(pair) = base64::engine::general_purpose::STANDARD.decode(token)
                    && let Ok(pair) = String::from_utf8(pair)
                {
                    if let Some((_, secret)) = pair.split_once(':') {
                        self.add(secret);
                    }
                    self.add(&pair);
                }
            }
        }
    }

    /// Adds the values of `fields` found in a JSON object or a form body.
    pub(crate) fn add_body_fields(&mut self, body: &[u8], fields: &[&str]) {
        if fields.is_empty() || body.is_empty() {
            return;
        }
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) {
            for field in fields {
                match map.get(*field) {
                    Some(serde_json::Value::String(s)) => self.add(s),
                    Some(other @ serde_json::Value::Object(_)) => self.add(&other.to_string()),
                    _ => {}
                }
            }
            return;
        }
        for (name, value) in url::form_urlencoded::parse(body) {
            if fields.contains(&name.as_ref()) {
                self.add(&value);
            }
        }
    }

    fn values(&self) -> &[String] {
        &self.0
    }
}

/// Server text made safe for an error: see the module docs. `max` is the most bytes kept.
pub(crate) fn server_text(text: &str, secrets: &RequestSecrets, max: usize) -> String {
    let max = max.min(MAX_TEXT_BYTES);
    let (window, cut) = prefix(text, WINDOW_BYTES);
    let mut masked = window.to_owned();
    for secret in secrets.values() {
        if masked.contains(secret.as_str()) {
            masked = masked.replace(secret.as_str(), "[masked]");
        }
    }
    if cut {
        mask_secret_prefix_at_end(&mut masked, secrets);
    }
    let masked = mask_token_runs(&masked, cut);
    let escaped = escape_controls(&masked);
    let (kept, shortened) = prefix(&escaped, max);
    if shortened || cut {
        format!("{kept}…")
    } else {
        kept.to_owned()
    }
}

/// The start of `text` of at most `max` bytes (on a character boundary), and whether it was cut.
fn prefix(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// A window that ends inside a secret shows the secret's start: mask that tail.
fn mask_secret_prefix_at_end(text: &mut String, secrets: &RequestSecrets) {
    for secret in secrets.values() {
        let longest = (MIN_SECRET_LEN.min(secret.len())..secret.len())
            .rev()
            .find(|&n| secret.is_char_boundary(n) && text.ends_with(&secret[..n]));
        if let Some(n) = longest {
            text.truncate(text.len() - n);
            text.push_str("[masked]");
        }
    }
}

fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_.~+/=".contains(c)
}

/// Whether a run reads as a word or a code rather than a token: all digits (an id, a timestamp), or
/// letters of one case with underscores (`INVALID_FORM_BODY`, `unsupported_grant_type`). A random
/// token of 16 or more characters is that only by a one-in-a-million chance.
fn word_like(run: &str) -> bool {
    run.bytes().all(|b| b.is_ascii_digit())
        || run.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        || run.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// Masks every run of token characters at least [`TOKEN_RUN`] long that is not [`word_like`]; with
/// `cut`, also a run that touches the end (it may be the start of a longer token).
fn mask_token_runs(text: &str, cut: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String, at_end: bool| {
        if !run.is_empty() && (at_end || run.len() >= TOKEN_RUN) && !word_like(run) {
            out.push_str("[masked]");
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if is_token_char(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out, false);
            out.push(c);
        }
    }
    flush(&mut run, &mut out, cut);
    out
}

/// Control characters (CR, LF, TAB, ESC, …) written as escapes, so the text stays on one line.
fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(values: &[&str]) -> RequestSecrets {
        let mut s = RequestSecrets::default();
        values.iter().for_each(|v| s.add(v));
        s
    }

    #[test]
    fn echoed_secrets_are_masked_in_every_form() {
        let s = secrets(&["s3cret+value/x", "pass word"]);
        let text = "client_secret=s3cret%2Bvalue%2Fx&password=pass+word and s3cret+value/x";
        let out = server_text(text, &s, 512);
        assert!(!out.contains("s3cret"), "{out}");
        assert!(!out.contains("pass+word"), "{out}");
    }

    #[test]
    fn basic_authorization_is_masked_decoded_too() {
        let mut s = RequestSecrets::default();
        s.add_authorization("Basic MTIzNDU2Nzg5OnRvcC1zZWNyZXQ=");
        let out = server_text("got 123456789:top-secret and top-secret", &s, 512);
        assert!(!out.contains("top-secret"), "{out}");
    }

    #[test]
    fn text_is_one_line_and_bounded() {
        let long = format!(
            "line one\r\nline two\u{1b}[31m {}",
            "x y ".repeat(1_000_000)
        );
        let out = server_text(&long, &RequestSecrets::default(), 512);
        assert!(!out.contains('\n') && !out.contains('\r') && !out.contains('\u{1b}'));
        assert!(out.len() <= 512 + '…'.len_utf8(), "{}", out.len());
        assert!(out.ends_with('…'));
    }

    #[test]
    fn a_secret_cut_by_the_window_is_still_masked() {
        let secret = "abc defgh ijkl";
        let s = secrets(&[secret]);
        let text = format!("{}{secret}", "a ".repeat((WINDOW_BYTES - 6) / 2));
        let out = server_text(&text, &s, 512);
        assert!(!out.contains("abc d"), "{out}");
    }

    #[test]
    fn codes_stay() {
        let out = server_text(
            "INVALID_EMAIL_OR_PASSWORD unsupported_grant_type SOME_CODE_FROM_THE_FUTURE",
            &RequestSecrets::default(),
            512,
        );
        assert_eq!(
            out,
            "INVALID_EMAIL_OR_PASSWORD unsupported_grant_type SOME_CODE_FROM_THE_FUTURE"
        );
    }

    #[test]
    fn ids_and_words_stay() {
        let out = server_text(
            "Unknown application 1574449618593251330 (Zm9vYmFyYmF6cXV4MTIzNDU2)",
            &RequestSecrets::default(),
            512,
        );
        assert!(out.contains("1574449618593251330"));
        assert!(out.contains("Unknown application"));
        assert!(!out.contains("Zm9vYmFy"));
    }
}
