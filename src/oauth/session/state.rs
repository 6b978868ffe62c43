//! What the callers of a [`TokenManager`](super::TokenManager) read: the pair, its place in the
//! store, and the health of its refresh token ([`Health`]), with the transitions between healths.

use std::{sync::Arc, time::SystemTime};

use crate::{Error, Secret, oauth::TokenSet};

/// The pair a manager holds, as its callers read it. Written only by the holder of the single-flight
/// lock (see [`super::refresh`]).
pub(super) struct State {
    pub(super) tokens: Arc<TokenSet>,
    /// The store's version of `tokens`; for an unsaved pair, the version it is to replace.
    pub(super) version: Option<u64>,
    /// Grows by one whenever `tokens` change.
    pub(super) generation: u64,
    /// Set while `tokens` are not in the store yet: their access token is not handed out.
    pub(super) unsaved: Option<Unsaved>,
    /// Whether the refresh token of `tokens` can still be used.
    pub(super) health: Health,
    /// When this manager last refreshed (its clock): refreshes are held to one per half margin.
    pub(super) refreshed_at: Option<SystemTime>,
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Unsaved {
    /// Whether the pair replaces whatever the store holds (a new authorization) rather than the
    /// version it was refreshed from.
    pub(super) overwrite: bool,
}

impl State {
    pub(super) fn new(tokens: TokenSet, version: Option<u64>, unsaved: Option<Unsaved>) -> Self {
        Self {
            tokens: Arc::new(tokens),
            version,
            generation: 0,
            unsaved,
            health: Health::Usable,
            refreshed_at: None,
        }
    }

    /// Replaces the pair (a refreshed one, one adopted from the store, or a new authorization) and
    /// makes it [`Health::Usable`]: whatever was refused was the old pair's refresh token. Returns
    /// the new access token and its generation.
    pub(super) fn install(
        &mut self,
        tokens: TokenSet,
        version: Option<u64>,
        unsaved: Option<Unsaved>,
    ) -> (Secret, u64) {
        let token = tokens.access_token.clone();
        self.tokens = Arc::new(tokens);
        self.version = version;
        self.generation += 1;
        self.unsaved = unsaved;
        self.health = Health::Usable;
        (token, self.generation)
    }
}

/// Whether the refresh token of the pair a manager holds can still be used.
///
/// It only moves towards [`Health::NeedsReauthorization`] (`Usable` → `Refused` → `NeedsReauthorization`,
/// or `Usable` → `NeedsReauthorization` at once) until a new pair is installed
/// ([`State::install`]), which makes it `Usable` again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Health {
    /// Nothing was refused: the pair is handed out and refreshed as usual. Every manager starts
    /// here, and installing a new pair (a refresh saved or kept to be saved, a pair adopted from the
    /// store, [`TokenManager::replace`](super::TokenManager::replace),
    /// [`TokenManager::reload`](super::TokenManager::reload)) brings it back here.
    Usable,
    /// The server refused the refresh token (`invalid_grant`), but the store could not be read just
    /// after to see whether another process saved a newer pair. Not final: the access token is not
    /// handed out, and the next caller that gets the lease reads the store instead of refreshing; a
    /// newer pair is adopted (`Usable`), nothing newer makes it `NeedsReauthorization`
    /// ([`Health::nothing_newer`]). Entered through [`Health::refused`].
    Refused {
        /// The server's `error_description` (or `invalid_grant`).
        description: String,
    },
    /// The refresh token was refused and the store holds nothing newer: every call fails at once,
    /// without traffic, with [`Error::ReauthorizationRequired`] carrying `description`, until a new
    /// pair is installed. Entered through [`Health::refused_for_good`], or from `Refused` through
    /// [`Health::nothing_newer`].
    NeedsReauthorization {
        /// The server's `error_description` (or `invalid_grant`).
        description: String,
    },
}

impl Health {
    /// Whether the access token may be handed out, as far as the refresh token goes: `true` when
    /// usable, `false` when refused but not checked against the store yet (the caller must take the
    /// slow path, which reads the store), and the error when the user must authorize again.
    pub(super) fn admits(&self) -> Result<bool, Error> {
        match self {
            Health::Usable => Ok(true),
            Health::Refused { .. } => Ok(false),
            Health::NeedsReauthorization { description } => Err(reauthorization(description)),
        }
    }

    /// The refresh token was refused and the store could not be read to look for a newer pair:
    /// `Usable` (or `Refused`) becomes `Refused`. A final refusal stays final.
    pub(super) fn refused(&mut self, description: String) {
        if !self.needs_reauthorization() {
            *self = Health::Refused { description };
        }
    }

    /// The refresh token was refused and the store, read just after, holds nothing newer: the user
    /// must authorize again. Returns the error to give the caller.
    pub(super) fn refused_for_good(&mut self, description: String) -> Error {
        let error = reauthorization(&description);
        *self = Health::NeedsReauthorization { description };
        error
    }

    /// The store was read and holds nothing newer than the pair held: a pending refusal becomes
    /// final (`Refused` → `NeedsReauthorization`) and its error is returned; a usable pair stays
    /// usable (`Ok`), a final refusal stays final (its error).
    pub(super) fn nothing_newer(&mut self) -> Result<(), Error> {
        match self {
            Health::Usable => Ok(()),
            Health::Refused { description } => {
                let description = std::mem::take(description);
                Err(self.refused_for_good(description))
            }
            Health::NeedsReauthorization { description } => Err(reauthorization(description)),
        }
    }

    /// Whether the user must authorize the application again.
    pub(super) fn needs_reauthorization(&self) -> bool {
        matches!(self, Health::NeedsReauthorization { .. })
    }
}

fn reauthorization(description: &str) -> Error {
    Error::ReauthorizationRequired {
        description: description.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::oauth::session::tests::REFUSAL;

    fn pair(access: &str) -> TokenSet {
        crate::oauth::session::tests::pair(access, SystemTime::now() + Duration::from_secs(3600))
    }

    fn refused() -> Health {
        let mut health = Health::Usable;
        health.refused(REFUSAL.to_owned());
        health
    }

    fn is_reauthorization(result: Result<impl std::fmt::Debug, Error>) -> bool {
        matches!(result, Err(Error::ReauthorizationRequired { ref description }) if description == REFUSAL)
    }

    #[test]
    fn a_new_state_is_usable() {
        let state = State::new(pair("a1"), Some(1), None);
        assert_eq!(state.health, Health::Usable);
        assert!(matches!(state.health.admits(), Ok(true)));
        assert!(!state.health.needs_reauthorization());
    }

    #[test]
    fn a_refusal_is_not_final_until_the_store_was_checked() {
        let health = refused();
        assert_eq!(
            health,
            Health::Refused {
                description: REFUSAL.to_owned()
            }
        );
        // The token is held back, but the caller is sent to the store, not told to reauthorize.
        assert!(matches!(health.admits(), Ok(false)));
        assert!(!health.needs_reauthorization());
    }

    #[test]
    fn refused_then_nothing_newer_in_the_store_needs_reauthorization() {
        let mut health = refused();
        assert!(is_reauthorization(health.nothing_newer()));
        assert_eq!(
            health,
            Health::NeedsReauthorization {
                description: REFUSAL.to_owned()
            }
        );
        assert!(health.needs_reauthorization());
        assert!(is_reauthorization(health.admits()));
        // Checking again changes nothing.
        assert!(is_reauthorization(health.nothing_newer()));
        assert!(health.needs_reauthorization());
    }

    #[test]
    fn nothing_newer_leaves_a_usable_pair_usable() {
        let mut health = Health::Usable;
        assert!(health.nothing_newer().is_ok());
        assert_eq!(health, Health::Usable);
    }

    #[test]
    fn a_refusal_with_nothing_newer_is_final_at_once() {
        let mut health = Health::Usable;
        let error = health.refused_for_good(REFUSAL.to_owned());
        assert!(is_reauthorization(Err::<(), _>(error)));
        assert!(health.needs_reauthorization());
        assert!(is_reauthorization(health.admits()));
    }

    #[test]
    fn an_unreadable_store_does_not_undo_a_final_refusal() {
        let mut health = Health::Usable;
        let _ = health.refused_for_good(REFUSAL.to_owned());
        health.refused("another description".to_owned());
        assert!(health.needs_reauthorization());
        assert!(is_reauthorization(health.admits()));
    }

    #[test]
    fn installing_a_pair_clears_every_refusal() {
        let mut to_final = refused();
        let _ = to_final.nothing_newer();
        for health in [refused(), to_final] {
            let mut state = State::new(pair("a1"), Some(1), None);
            state.health = health;
            let (token, generation) = state.install(pair("a2"), Some(2), None);
            assert_eq!(token.expose_secret(), "a2");
            assert_eq!(generation, 1);
            assert_eq!(state.version, Some(2));
            assert_eq!(state.health, Health::Usable);
            assert!(matches!(state.health.admits(), Ok(true)));
            assert!(!state.health.needs_reauthorization());
        }
    }
}
