//! Typed ids: [`ApplicationId`], [`ClientId`], [`UserId`] and [`GuildId`], each a [`Snowflake`] that
//! says what it names, so that a user id cannot be passed where an application id is expected.

use std::{fmt, ops::Deref, str::FromStr};

use serde::{Deserialize, Serialize};

use crate::{Snowflake, SnowflakeError};

/// Defines a typed id over [`Snowflake`]: the same check (made once, when the id is made or read),
/// the same wire form, and conversions from text and from a checked id of the same kind.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident, $example:literal) => {
        $(#[$doc])*
        ///
        /// It derefs to [`Snowflake`] (`as_str`, `as_u64`). Made from text with `parse`,
        /// `TryFrom<&str>` or `FromStr`, which apply the one snowflake check; read from an answer,
        /// it is checked while decoding.
        ///
        /// ```
        #[doc = concat!("use fluxer_oauth2::", stringify!($name), ";")]
        ///
        #[doc = concat!("let id = ", stringify!($name), "::parse(\"", $example, "\").unwrap();")]
        #[doc = concat!("assert_eq!(id.as_str(), \"", $example, "\");")]
        #[doc = concat!("assert!(", stringify!($name), "::parse(\"0", $example, "\").is_err());")]
        /// ```
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Snowflake);

        impl $name {
            /// Checks a string: a decimal integer from 0 to 2^63-1 without leading zeros.
            pub fn parse(value: &str) -> Result<Self, SnowflakeError> {
                Snowflake::parse(value).map(Self)
            }

            /// The id as a plain [`Snowflake`].
            pub fn as_snowflake(&self) -> &Snowflake {
                &self.0
            }

            /// The id as a plain [`Snowflake`], by value.
            pub fn into_snowflake(self) -> Snowflake {
                self.0
            }
        }

        impl Deref for $name {
            type Target = Snowflake;

            fn deref(&self) -> &Snowflake {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0.as_str()).finish()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0.as_str())
            }
        }

        impl FromStr for $name {
            type Err = SnowflakeError;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Self::parse(value)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = SnowflakeError;

            fn try_from(value: &str) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl TryFrom<&String> for $name {
            type Error = SnowflakeError;

            fn try_from(value: &String) -> Result<Self, Self::Error> {
                Self::parse(value)
            }
        }

        impl TryFrom<String> for $name {
            type Error = SnowflakeError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Snowflake::try_from(value).map(Self)
            }
        }

        /// Lets a call take an id by reference: `.id(&app.id)`.
        impl From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }

        /// Names what a checked id refers to; no check is repeated.
        impl From<Snowflake> for $name {
            fn from(value: Snowflake) -> Self {
                Self(value)
            }
        }

        impl From<$name> for Snowflake {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0.into()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0.as_str() == *other
            }
        }
    };
}

typed_id!(
    /// An application's id. A bot's user id and the application's OAuth2 client id are the same
    /// number: see [`ClientId`] and [`ApplicationId::bot_user_id`].
    ///
    /// One kind of id does not stand in for another:
    ///
    /// ```compile_fail
    /// fn delete(_: fluxer_oauth2::ApplicationId) {}
    /// delete(fluxer_oauth2::UserId::parse("1574449618593251330").unwrap());
    /// ```
    ApplicationId,
    "1574449618593251330"
);

typed_id!(
    /// An application's OAuth2 client id (`client_id`): the application's id, in the role of the
    /// client that asks for tokens. Every [`ApplicationId`] converts into one without a check.
    ClientId,
    "1574449618593251330"
);

typed_id!(
    /// A user's id (people and bots alike).
    UserId,
    "1574449618593251331"
);

typed_id!(
    /// A guild's (community's) id.
    GuildId,
    "1574449618593251332"
);

impl ApplicationId {
    /// The id of the application's bot user, which is the application's id.
    pub fn bot_user_id(&self) -> UserId {
        UserId(self.0.clone())
    }
}

impl From<ApplicationId> for ClientId {
    fn from(value: ApplicationId) -> Self {
        Self(value.0)
    }
}

impl From<&ApplicationId> for ClientId {
    fn from(value: &ApplicationId) -> Self {
        Self(value.0.clone())
    }
}

impl From<ClientId> for ApplicationId {
    fn from(value: ClientId) -> Self {
        Self(value.0)
    }
}

impl From<&ClientId> for ApplicationId {
    fn from(value: &ClientId) -> Self {
        Self(value.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::{ApplicationId, ClientId, GuildId, UserId};

    #[test]
    fn checks_once_and_converts_between_the_roles_of_one_id() {
        let app = ApplicationId::parse("1574449618593251330").unwrap();
        let client: ClientId = (&app).into();
        assert_eq!(client.as_str(), app.as_str());
        assert_eq!(app.bot_user_id().as_u64(), 1574449618593251330);
        assert_eq!(ApplicationId::from(client), app);
        for bad in ["", "01", "x", "9223372036854775808"] {
            assert!(UserId::parse(bad).is_err(), "{bad:?}");
            assert!(GuildId::try_from(bad).is_err(), "{bad:?}");
        }
        let read: UserId = serde_json::from_str("\"42\"").unwrap();
        assert_eq!(serde_json::to_string(&read).unwrap(), "\"42\"");
        assert!(serde_json::from_str::<GuildId>("\"042\"").is_err());
        assert_eq!(format!("{read:?}"), "UserId(\"42\")");
        assert_eq!(read, "42");
    }
}
