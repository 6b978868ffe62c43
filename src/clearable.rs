//! `Clearable<T>`: a PATCH field that can be set or explicitly cleared with JSON `null`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The value of a PATCH field where JSON `null` means "remove it".
///
/// In a generated request type the field is an `Option<Clearable<T>>`:
/// `None` leaves the field out (unchanged), `Some(Clearable::Clear)` sends `null` (cleared),
/// `Some(Clearable::Set(v))` sends `v`.
///
/// It is made for sending. Reading a body back into a generated request type (which a client never
/// needs) sees a JSON `null` as `None`, since serde reads `null` into an absent `Option` before this
/// type is asked; a bare `Clearable<T>` reads `null` as `Clear`.
///
/// ```
/// use fluxer_oauth2::Clearable;
///
/// assert_eq!(serde_json::to_string(&Clearable::<String>::Clear).unwrap(), "null");
/// assert_eq!(serde_json::to_string(&Clearable::Set("x".to_string())).unwrap(), "\"x\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clearable<T> {
    /// Send JSON `null`: remove the value on the server.
    Clear,
    /// Send this value.
    Set(T),
}

impl<T> From<T> for Clearable<T> {
    fn from(value: T) -> Self {
        Self::Set(value)
    }
}

impl<T> From<Option<T>> for Clearable<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Clear, Self::Set)
    }
}

impl<T: Serialize> Serialize for Clearable<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Clear => serializer.serialize_none(),
            Self::Set(value) => value.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Clearable<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Self::from)
    }
}
