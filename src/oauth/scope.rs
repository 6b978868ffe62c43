//! OAuth2 scopes as types, so that a typo is caught before the server answers `invalid_scope` and
//! a scope string always goes out in the server's canonical order.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One OAuth2 scope.
///
/// The variants are in the server's canonical order (`identify email guilds connections bot`), which
/// is also the order of [`Ord`]; [`Scope::Other`] sorts after them.
///
/// ```
/// use fluxer_oauth2::oauth::Scope;
///
/// assert_eq!("email".parse::<Scope>().unwrap(), Scope::Email);
/// assert_eq!(Scope::Guilds.as_str(), "guilds");
/// // A scope this crate does not know yet still parses:
/// assert_eq!("voice".parse::<Scope>().unwrap(), Scope::Other("voice".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// `identify`: the user's id, name, avatar and flags.
    Identify,
    /// `email`: the user's email address and whether it is verified.
    Email,
    /// `guilds`: the guilds the user is a member of.
    Guilds,
    /// `connections`: the user's linked third-party accounts.
    Connections,
    /// `bot`: add the application's bot to a guild.
    Bot,
    /// A scope this crate does not name yet. The server refuses scopes it does not know
    /// (`invalid_scope`), so use this only for scopes a newer server has added.
    ///
    /// The name must be a valid scope token (printable ASCII, no space, `"`, `\` or `+`);
    /// [`AuthorizeUrl::build`](crate::oauth::AuthorizeUrl::build) refuses one that is not.
    Other(String),
}

impl Scope {
    /// Every scope this crate names, in canonical order.
    pub const KNOWN: [Scope; 5] = [
        Scope::Identify,
        Scope::Email,
        Scope::Guilds,
        Scope::Connections,
        Scope::Bot,
    ];

    /// The scope's name on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Scope::Identify => "identify",
            Scope::Email => "email",
            Scope::Guilds => "guilds",
            Scope::Connections => "connections",
            Scope::Bot => "bot",
            Scope::Other(name) => name,
        }
    }

    /// Whether the name is a valid scope token: non-empty printable ASCII without space, `"`, `\`
    /// (RFC 6749 section 3.3) or `+` (which the server reads as a separator).
    pub fn is_valid_token(name: &str) -> bool {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| (0x21..=0x7e).contains(&b) && !matches!(b, b'"' | b'\\' | b'+'))
    }

    /// Maps `Other("identify")` and the like to the named variant, so that a set never holds the
    /// same scope twice.
    fn canonical(self) -> Scope {
        match self {
            Scope::Other(name) => Scope::from_known(&name).unwrap_or(Scope::Other(name)),
            known => known,
        }
    }

    fn from_known(name: &str) -> Option<Scope> {
        Scope::KNOWN.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a scope or scope string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// The name is empty or has characters a scope cannot have.
    #[error(
        "`{0}` is not a valid scope name: use one of identify, email, guilds, connections, bot \
         (printable ASCII without space, quote, backslash or `+`)"
    )]
    InvalidToken(String),
}

impl FromStr for Scope {
    type Err = ScopeError;

    /// Parses one scope name. Known names give their variant; any other valid token gives
    /// [`Scope::Other`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(known) = Scope::from_known(s) {
            return Ok(known);
        }
        if Scope::is_valid_token(s) {
            Ok(Scope::Other(s.to_owned()))
        } else {
            Err(ScopeError::InvalidToken(s.to_owned()))
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// A set of scopes. It renders in canonical order, space-separated, and parses from a string
/// separated by spaces or `+` (as the server does).
///
/// ```
/// use fluxer_oauth2::oauth::{Scope, Scopes};
///
/// let scopes: Scopes = [Scope::Email, Scope::Identify].into_iter().collect();
/// assert_eq!(scopes.to_string(), "identify email");
///
/// let granted: Scopes = "email+identify".parse().unwrap();
/// assert_eq!(granted, scopes);
/// assert!(granted.contains(&Scope::Email));
/// assert!(!granted.contains(&Scope::Guilds));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Scopes(BTreeSet<Scope>);

impl Scopes {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a scope; returns whether it was not already there.
    pub fn insert(&mut self, scope: Scope) -> bool {
        self.0.insert(scope.canonical())
    }

    /// Whether the set holds the scope.
    pub fn contains(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Other(name) => match Scope::from_known(name) {
                Some(known) => self.0.contains(&known),
                None => self.0.contains(scope),
            },
            known => self.0.contains(known),
        }
    }

    /// The scopes in canonical order.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// How many scopes the set holds.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The same scopes as a space-separated list, in any order: `scopes == "identify email"`.
impl PartialEq<&str> for Scopes {
    fn eq(&self, other: &&str) -> bool {
        other.parse::<Scopes>().is_ok_and(|o| o == *self)
    }
}

impl PartialEq<String> for Scopes {
    fn eq(&self, other: &String) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<str> for Scopes {
    fn eq(&self, other: &str) -> bool {
        other.parse::<Scopes>().is_ok_and(|o| o == *self)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(scope.as_str())?;
        }
        Ok(())
    }
}

impl FromStr for Scopes {
    type Err = ScopeError;

    /// Parses a scope string split on whitespace and `+`; empty pieces are skipped, so `""` gives an
    /// empty set.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(|c: char| c.is_whitespace() || c == '+')
            .filter(|piece| !piece.is_empty())
            .map(Scope::from_str)
            .collect()
    }
}

impl From<Scope> for Scopes {
    fn from(scope: Scope) -> Self {
        std::iter::once(scope).collect()
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut scopes = Scopes::new();
        scopes.extend(iter);
        scopes
    }
}

impl Extend<Scope> for Scopes {
    fn extend<I: IntoIterator<Item = Scope>>(&mut self, iter: I) {
        for scope in iter {
            self.insert(scope);
        }
    }
}

impl<'a> IntoIterator for &'a Scopes {
    type Item = &'a Scope;
    type IntoIter = std::collections::btree_set::Iter<'a, Scope>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl Serialize for Scopes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl crate::oauth::TokenSet {
    /// The granted scopes ([`TokenSet::scope`](crate::oauth::TokenSet::scope) parsed); a name
    /// that is not a valid scope token is skipped.
    ///
    /// ```
    /// use fluxer_oauth2::oauth::{Scope, TokenSet};
    ///
    /// # let mut tokens = TokenSet::from_response(
    /// #     serde_json::from_str(r#"{"access_token":"a","refresh_token":"r","token_type":"Bearer","expires_in":60,"scope":""}"#).unwrap(),
    /// #     std::time::SystemTime::now(),
    /// # );
    /// tokens.scope = "identify guilds".parse().unwrap();
    /// assert!(tokens.scopes().contains(&Scope::Guilds));
    /// assert!(!tokens.scopes().contains(&Scope::Email));
    /// ```
    pub fn scopes(&self) -> Scopes {
        self.scope.clone()
    }
}

impl crate::FluxerClient {
    /// A client on the same pool that sends the token set's access token and knows the scopes it
    /// was granted: a call needing another scope fails with [`crate::Error::MissingScope`] before
    /// anything is sent.
    ///
    /// ```
    /// # async fn demo(client: fluxer_oauth2::FluxerClient, tokens: fluxer_oauth2::oauth::TokenSet) {
    /// // Granted `identify` only:
    /// let user = client.with_token_set(&tokens);
    /// let err = user.list_current_user_guilds().send().await.unwrap_err();
    /// assert!(matches!(err, fluxer_oauth2::Error::MissingScope { .. }));
    /// # }
    /// ```
    pub fn with_token_set(&self, tokens: &crate::oauth::TokenSet) -> crate::FluxerClient {
        self.with_scoped_bearer(tokens.access_token.clone(), tokens.scopes())
    }

    /// A client on the same pool that sends `access_token` and knows the scopes it was granted
    /// (see [`FluxerClient::with_token_set`](crate::FluxerClient::with_token_set)).
    pub fn with_scoped_bearer(
        &self,
        access_token: impl Into<crate::Secret>,
        scopes: Scopes,
    ) -> crate::FluxerClient {
        let mut client = self.with_credential(crate::Credential::Bearer(access_token.into()));
        client.api.inner.granted_scopes = Some(scopes);
        client
    }

    /// The scopes the client's access token was granted, when the client knows them.
    pub fn granted_scopes(&self) -> Option<&Scopes> {
        self.api.inner.granted_scopes.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_canonical_order_whatever_the_insert_order() {
        let scopes: Scopes = [
            Scope::Bot,
            Scope::Other("zeta".into()),
            Scope::Connections,
            Scope::Guilds,
            Scope::Email,
            Scope::Identify,
        ]
        .into_iter()
        .collect();
        assert_eq!(
            scopes.to_string(),
            "identify email guilds connections bot zeta"
        );
    }

    #[test]
    fn other_with_a_known_name_is_the_known_scope() {
        let mut scopes = Scopes::new();
        assert!(scopes.insert(Scope::Other("email".into())));
        assert!(!scopes.insert(Scope::Email));
        assert_eq!(scopes.len(), 1);
        assert!(scopes.contains(&Scope::Email));
        assert!(scopes.contains(&Scope::Other("email".into())));
    }

    #[test]
    fn parses_spaces_plus_and_runs_of_separators() {
        let scopes: Scopes = "  guilds++identify \t email+ ".parse().unwrap();
        assert_eq!(scopes.to_string(), "identify email guilds");
        assert!("".parse::<Scopes>().unwrap().is_empty());
    }

    #[test]
    fn refuses_invalid_tokens() {
        assert!("ident\"ify".parse::<Scope>().is_err());
        assert!("".parse::<Scope>().is_err());
        assert!("é".parse::<Scope>().is_err());
        assert!("a+b".parse::<Scope>().is_err());
        assert!("identify e\\mail".parse::<Scopes>().is_err());
    }

    #[test]
    fn serde_round_trip_as_a_string() {
        let scopes: Scopes = "email identify".parse().unwrap();
        let json = serde_json::to_string(&scopes).unwrap();
        assert_eq!(json, "\"identify email\"");
        let back: Scopes = serde_json::from_str(&json).unwrap();
        assert_eq!(back, scopes);
    }
}
