//! Login sessions and MFA tickets: what `POST /auth/login` creates and `/auth/sessions` lists.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A session behind a `flx_…` token.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    pub user_id: String,
    pub created_ms: u64,
    /// The client platform named at login (`X-Fluxer-Platform`), e.g. `Fluxer Desktop`.
    pub platform: String,
    /// The peer address at login, masked in listings.
    pub ip: String,
}

/// A pending second login step after a password check of a user with MFA.
#[derive(Clone, Debug)]
pub(crate) struct MfaTicket {
    pub user_id: String,
    pub expires_ms: u64,
    /// Wrong codes so far; the ticket dies at the fifth.
    pub failures: u32,
}

/// How many wrong codes end a ticket.
pub(crate) const MAX_TICKET_FAILURES: u32 = 5;

/// The public id of a session: the SHA-256 of its token in unpadded base64url (43 chars).
pub fn session_id_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// The platform name a login's `X-Fluxer-Platform` header stands for.
pub(crate) fn platform_name(header: Option<&str>) -> String {
    match header.map(str::to_ascii_lowercase).as_deref() {
        Some("desktop") => "Fluxer Desktop",
        Some("web") => "Fluxer Web",
        Some("ios") => "Fluxer iOS",
        Some("android") => "Fluxer Android",
        _ => "Unknown",
    }
    .to_owned()
}

/// An address with its last part hidden: `127.0.0.x`, or for IPv6 the first four groups.
pub(crate) fn mask_ip(ip: &str) -> String {
    if let Some((head, _)) = ip.rsplit_once('.')
        && !ip.contains(':')
    {
        return format!("{head}.x");
    }
    let groups: Vec<&str> = ip.split(':').take(4).collect();
    format!("{}:x", groups.join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_masks() {
        assert_eq!(session_id_hash("flx_abc").len(), 43);
        assert_ne!(session_id_hash("flx_abc"), session_id_hash("flx_abd"));
        assert_eq!(mask_ip("127.0.0.1"), "127.0.0.x");
        assert_eq!(mask_ip("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2:x");
        assert_eq!(platform_name(Some("desktop")), "Fluxer Desktop");
        assert_eq!(platform_name(None), "Unknown");
    }
}
