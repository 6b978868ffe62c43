//! `PATCH /oauth2/applications/{id}/bot`: the bot's profile.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::ids;
use crate::shared::Inner;
use crate::store::App;

use super::error::ApiResult;
use super::extract::OwnedApp;
use super::reply::{self, FieldError};
use super::validate;
use super::views::BotProfile;

/// The bot flags that may be set: `FRIENDLY_BOT` and `FRIENDLY_BOT_MANUAL_APPROVAL`.
const ALLOWED_BOT_FLAGS: u64 = 16 | 32;

fn check_username(s: &str) -> Result<(), FieldError> {
    let n = s.chars().count();
    if !(1..=32).contains(&n) {
        return Err(FieldError::length("username", 1, 32));
    }
    let lower = s.to_ascii_lowercase();
    let charset_ok = s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let reserved = lower == "everyone" || lower == "here" || lower.contains("fluxer");
    if !charset_ok || reserved {
        return Err(FieldError::format("username"));
    }
    Ok(())
}

fn discriminator(v: &Value) -> Result<String, FieldError> {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return Err(FieldError::format("discriminator")),
    };
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::format("discriminator"));
    }
    Ok(format!("{:0>4}", s))
}

/// An image field: a base64 image (stored as a hash) or null.
fn image(body: &Map<String, Value>, key: &str) -> Result<Option<Option<String>>, FieldError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) if !s.is_empty() => {
            let hex: String = Sha256::digest(s.as_bytes())[..16]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            Ok(Some(Some(hex)))
        }
        Some(_) => Err(FieldError::format(key)),
    }
}

fn apply(app: &mut App, body: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut new_discriminator = None;
    if let Some(v) = body.get("discriminator").filter(|v| !v.is_null()) {
        match discriminator(v) {
            Ok(d) => new_discriminator = Some(d),
            Err(e) => errors.push(e),
        }
    }
    match body.get("username") {
        None | Some(Value::Null) => {}
        Some(Value::String(u)) => match check_username(u) {
            Ok(()) if *u != app.bot_username => {
                app.bot_username = u.clone();
                app.bot_discriminator = ids::discriminator();
            }
            Ok(()) => {}
            Err(e) => errors.push(e),
        },
        Some(_) => errors.push(FieldError::format("username")),
    }
    if let Some(d) = new_discriminator {
        app.bot_discriminator = d;
    }
    for key in ["avatar", "banner"] {
        match image(body, key) {
            Ok(Some(v)) if key == "avatar" => app.bot_avatar = v,
            Ok(Some(v)) => app.bot_banner = v,
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    match body.get("bio") {
        None => {}
        Some(Value::Null) => app.bot_bio = None,
        Some(Value::String(s)) if s.chars().count() <= 1024 => app.bot_bio = Some(s.clone()),
        Some(Value::String(_)) => errors.push(FieldError::length("bio", 0, 1024)),
        Some(_) => errors.push(FieldError::format("bio")),
    }
    match body.get("bot_flags") {
        None | Some(Value::Null) => {}
        Some(v) => match v.as_u64().filter(|f| *f <= i32::MAX as u64) {
            Some(f) => app.bot_flags = (f & ALLOWED_BOT_FLAGS) as u32,
            None => errors.push(FieldError::format("bot_flags")),
        },
    }
    errors
}

/// `PATCH /oauth2/applications/{id}/bot`.
pub(crate) async fn update_profile(
    State(inner): State<Arc<Inner>>,
    OwnedApp { mut app }: OwnedApp,
    body: Bytes,
) -> ApiResult {
    let errors = apply(&mut app, &validate::json_object(&body));
    if !errors.is_empty() {
        return Err(errors.into());
    }
    inner.store().apps.insert(app.id.clone(), app.clone());
    Ok(reply::ok(&BotProfile::new(&app)))
}
