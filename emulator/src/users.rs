//! The public description of emulated users.

/// A user known to the emulator, with everything a test needs to act as them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededUser {
    /// Snowflake id.
    pub id: String,
    /// Username.
    pub username: String,
    /// A live session token (`flx_…`), usable raw or as `Bearer flx_…`.
    pub session_token: String,
    /// The password, when the user has one.
    pub password: Option<String>,
    /// The base32 TOTP secret, when the user has TOTP MFA.
    pub totp_secret: Option<String>,
}

/// What [`crate::Emulator::add_user`] creates.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewUser {
    /// Username (also used to derive the e-mail address and the TOTP secret).
    pub username: String,
    /// Password for sudo mode; a user with neither password nor TOTP passes sudo checks.
    pub password: Option<String>,
    /// Turn TOTP MFA on, with a deterministic secret derived from the username.
    pub totp: bool,
}

/// A linked account (`GET /users/@me/connections`), seeded with
/// [`crate::Emulator::add_connection`]. The recorded instance had none, so the listed shape is
/// `{id, type, name, verified}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The service, e.g. `github`.
    pub kind: String,
    /// The account name on that service.
    pub name: String,
    /// Whether the link was verified.
    pub verified: bool,
}
