//! `Snowflake`: a Fluxer id, checked once when it is made or read, and cheap to decode.

use std::{fmt, ops::Deref, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Fluxer id: a decimal integer from 0 to 2^63-1 without leading zeros, sent as a string.
///
/// Every id in requests and answers has this type, so a malformed id is refused before a request is
/// sent, and an answer carrying one fails to decode with a clear message.
///
/// ```
/// use fluxer_oauth2::Snowflake;
///
/// let id = Snowflake::try_from("1574449618593251330").unwrap();
/// assert_eq!(id.as_str(), "1574449618593251330");
/// assert_eq!(id.as_u64(), 1574449618593251330);
/// assert!(Snowflake::try_from("01").is_err());
/// assert!(Snowflake::try_from("9223372036854775808").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Snowflake(String);

/// Why a string is not a [`Snowflake`]. It never quotes the value, which may be a misplaced secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a Fluxer id ({0}): ids are decimal integers from 0 to 2^63-1 without leading zeros, such as \"1574449618593251330\""
)]
pub struct SnowflakeError(&'static str);

/// Lets a function that takes `impl TryInto<Snowflake>` (or a typed id) report a bad string and
/// accept a checked id through one bound.
impl From<std::convert::Infallible> for SnowflakeError {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl Snowflake {
    /// Checks a string.
    pub fn parse(value: &str) -> Result<Self, SnowflakeError> {
        check(value)?;
        Ok(Self(value.to_owned()))
    }

    /// The id as sent on the wire.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a number.
    pub fn as_u64(&self) -> u64 {
        // Checked on construction: digits only, at most 2^63-1.
        self.0.parse().unwrap_or_default()
    }
}

/// The one snowflake check, without making a `Snowflake`.
pub(crate) fn check(value: &str) -> Result<(), SnowflakeError> {
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return Err(SnowflakeError("it is empty"));
    }
    if !bytes.iter().all(u8::is_ascii_digit) {
        return Err(SnowflakeError("it has a character that is not a digit"));
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return Err(SnowflakeError("it has a leading zero"));
    }
    if bytes.len() > 19 || value.parse::<u64>().map_or(true, |v| v > i64::MAX as u64) {
        return Err(SnowflakeError("it is larger than 2^63-1"));
    }
    Ok(())
}

impl Deref for Snowflake {
    type Target = String;

    fn deref(&self) -> &String {
        &self.0
    }
}

impl AsRef<str> for Snowflake {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Snowflake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Snowflake {
    type Err = SnowflakeError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Self::parse(value)
    }
}

impl TryFrom<&str> for Snowflake {
    type Error = SnowflakeError;

    fn try_from(value: &str) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl TryFrom<&String> for Snowflake {
    type Error = SnowflakeError;

    fn try_from(value: &String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl TryFrom<String> for Snowflake {
    type Error = SnowflakeError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        check(&value)?;
        Ok(Self(value))
    }
}

/// Lets a call take an id by reference: `.id(&app.id)`.
impl From<&Snowflake> for Snowflake {
    fn from(value: &Snowflake) -> Self {
        value.clone()
    }
}

impl From<Snowflake> for String {
    fn from(value: Snowflake) -> Self {
        value.0
    }
}

impl Serialize for Snowflake {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Snowflake {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)
            .and_then(|s| Self::try_from(s).map_err(serde::de::Error::custom))
    }
}

#[cfg(test)]
mod tests {
    use super::Snowflake;

    #[test]
    fn accepts_ids_and_refuses_everything_else() {
        for good in ["0", "1", "1574449618593251330", "9223372036854775807"] {
            assert!(Snowflake::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "01",
            "abc",
            "-1",
            "1.0",
            " 1",
            "9223372036854775808",
            "99999999999999999999",
        ] {
            assert!(Snowflake::parse(bad).is_err(), "{bad:?}");
        }
        let err = Snowflake::parse("s3cret-looking-value")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret"));
        let id: Snowflake = serde_json::from_str("\"42\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"42\"");
        assert!(serde_json::from_str::<Snowflake>("\"042\"").is_err());
    }
}
