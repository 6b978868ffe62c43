//! Value checks shared by the routes: snowflakes, strings, redirect URIs, JSON bodies.

use std::net::IpAddr;

use serde_json::{Map, Value};
use url::{Host, Url};

use super::reply::FieldError;

/// Checks a snowflake string (`^(0|[1-9][0-9]*)$`, at most 2^63 − 1), trimming it first.
pub(crate) fn snowflake(raw: &str, path: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let shaped =
        s == "0" || (!s.is_empty() && !s.starts_with('0') && s.bytes().all(|b| b.is_ascii_digit()));
    if !shaped {
        return Err(FieldError::new(
            path,
            "INVALID_SNOWFLAKE_FORMAT",
            "Invalid snowflake.",
        ));
    }
    match s.parse::<u64>() {
        Ok(n) if n <= i64::MAX as u64 => Ok(s.to_owned()),
        _ => Err(FieldError::new(
            path,
            "SNOWFLAKE_OUT_OF_RANGE",
            "Invalid snowflake.",
        )),
    }
}

/// A snowflake from JSON: a string, or an integer (read losslessly, as the server's parser
/// does, so ids above 2^53 work too).
pub(crate) fn json_snowflake(v: &Value, path: &str) -> Result<String, FieldError> {
    match v {
        Value::String(s) => snowflake(s, path),
        Value::Number(n) => match n.as_u64() {
            Some(x) => snowflake(&x.to_string(), path),
            None => Err(FieldError::format(path)),
        },
        _ => Err(FieldError::format(path)),
    }
}

/// The query parameters of `uri`; the first value wins for repeated names.
pub(crate) fn query_params(uri: &axum::http::Uri) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        out.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    out
}

/// Parses a JSON body leniently: anything that is not a JSON object reads as `{}`.
pub(crate) fn json_object(body: &[u8]) -> Map<String, Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// An optional JSON string of `min..=max` characters; `Ok(None)` when absent or null.
pub(crate) fn opt_string(
    obj: &Map<String, Value>,
    key: &str,
    min: usize,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let n = s.chars().count();
            if n < min || n > max {
                Err(FieldError::length(key, min, max))
            } else {
                Ok(Some(s.clone()))
            }
        }
        Some(_) => Err(FieldError::format(key)),
    }
}

/// An optional JSON boolean.
pub(crate) fn opt_bool(obj: &Map<String, Value>, key: &str) -> Result<Option<bool>, FieldError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(FieldError::format(key)),
    }
}

/// Trims and strips control characters, as the server does with application names.
pub(crate) fn clean_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Whether a redirect URI may be registered: absolute, `https`, or `http` on localhost,
/// `*.localhost` or an IP literal.
pub(crate) fn redirect_uri_allowed(s: &str) -> bool {
    let Ok(u) = Url::parse(s) else {
        return false;
    };
    match u.scheme() {
        "https" => u.host().is_some(),
        "http" => match u.host() {
            Some(Host::Domain(d)) => {
                let d = d.to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost") || d.parse::<IpAddr>().is_ok()
            }
            Some(Host::Ipv4(_)) | Some(Host::Ipv6(_)) => true,
            None => false,
        },
        _ => false,
    }
}

/// Checks a `redirect_uris` JSON value: an array of at most 10 allowed URIs (or null = empty).
pub(crate) fn redirect_uris(v: &Value) -> Result<Vec<String>, FieldError> {
    let items = match v {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => return Err(FieldError::format("redirect_uris")),
    };
    if items.len() > 10 {
        return Err(FieldError::format("redirect_uris"));
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("redirect_uris.{i}");
        let Some(s) = item.as_str() else {
            return Err(FieldError::format(path));
        };
        if s.is_empty() || s.len() > 2048 {
            return Err(FieldError::length(path, 1, 2048));
        }
        if !redirect_uri_allowed(s) {
            return Err(FieldError::format(path));
        }
        out.push(s.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes() {
        assert!(snowflake("0", "id").is_ok());
        assert_eq!(
            snowflake("01", "id").unwrap_err().code,
            "INVALID_SNOWFLAKE_FORMAT"
        );
        assert_eq!(
            snowflake("abc", "id").unwrap_err().code,
            "INVALID_SNOWFLAKE_FORMAT"
        );
        assert_eq!(
            snowflake("12345678901234567890", "id").unwrap_err().code,
            "SNOWFLAKE_OUT_OF_RANGE"
        );
        assert!(snowflake("9223372036854775807", "id").is_ok());
    }

    #[test]
    fn redirect_rules() {
        assert!(redirect_uri_allowed("https://client.example.com/cb"));
        assert!(redirect_uri_allowed("http://localhost:8765/cb"));
        assert!(redirect_uri_allowed("http://app.localhost/cb"));
        assert!(redirect_uri_allowed("http://127.0.0.1:9000/cb"));
        assert!(redirect_uri_allowed("http://[::1]:9000/cb"));
        assert!(!redirect_uri_allowed("http://client.example.com/cb"));
        assert!(!redirect_uri_allowed("myapp://cb"));
        assert!(!redirect_uri_allowed("/relative"));
    }
}
