//! `Session`: the token a login gives, the credential it makes, and a file that keeps it between runs.

use std::{io, path::PathBuf};

use crate::{Credential, Secret, UserId};

/// A user session from a login: its token and the user it belongs to. `Debug` hides the token.
///
/// ```
/// use fluxer_oauth2::{Credential, UserId, login::Session};
///
/// let session = Session::new("flx_abc", UserId::parse("1574449618593251330").unwrap());
/// assert!(!format!("{session:?}").contains("flx_abc"));
/// assert!(matches!(session.credential(), Credential::Session(_)));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    /// The session token (`flx_…`), sent raw in `Authorization`.
    pub token: Secret,
    /// The user who logged in.
    pub user_id: UserId,
}

impl Session {
    /// A session from a token and its user.
    pub fn new(token: impl Into<Secret>, user_id: UserId) -> Self {
        Self {
            token: token.into(),
            user_id,
        }
    }

    /// The credential to call the API as this user.
    pub fn credential(&self) -> Credential {
        Credential::Session(self.token.clone())
    }
}

/// A session kept in a file readable by its owner only (mode 0600 on Unix), so that a program logs
/// in once and not at every start. The file holds the user id and the token; treat it like a
/// password.
///
/// ```no_run
/// # async fn demo(client: fluxer_oauth2::FluxerClient) -> Result<(), Box<dyn std::error::Error>> {
/// use fluxer_oauth2::login::{Login, SessionFile};
///
/// let file = SessionFile::new("/home/me/.config/my-app/session");
/// let session = match file.load()? {
///     Some(session) => session,
///     None => match client.login("me@example.org", "my password").await? {
///         Login::Session(session) => session,
///         Login::Mfa(challenge) => challenge.complete_totp(&client, "123456").await?,
///     },
/// };
/// file.save(&session)?;
/// let me = client.with_credential(session.credential());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionFile {
    path: PathBuf,
}

impl SessionFile {
    /// A session file at `path` (not read or created yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Reads the session, `None` when the file does not exist.
    ///
    /// # Errors
    /// The file cannot be read, or does not hold a session (the error never quotes its content).
    pub fn load(&self) -> io::Result<Option<Session>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => Secret::new(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut lines = text.expose_secret().lines();
        let bad = || io::Error::new(io::ErrorKind::InvalidData, "not a session file");
        let user_id = lines
            .next()
            .and_then(|l| UserId::parse(l.trim()).ok())
            .ok_or_else(bad)?;
        let token = lines
            .next()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(bad)?;
        Ok(Some(Session::new(token, user_id)))
    }

    /// Writes the session, replacing the file whole, readable by its owner only.
    ///
    /// # Errors
    /// The file or its folder cannot be written.
    pub fn save(&self, session: &Session) -> io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        let text = Secret::new(format!(
            "{}\n{}\n",
            session.user_id,
            session.token.expose_secret()
        ));
        write_private(&tmp, text.expose_secret().as_bytes())?;
        std::fs::rename(&tmp, &self.path)
    }

    /// Deletes the file (after a logout); no error when it is already gone.
    ///
    /// # Errors
    /// The file exists and cannot be removed.
    pub fn remove(&self) -> io::Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
