//! [`FileStore`]: a [`TokenStore`] in one JSON file, for one machine (several processes may share
//! it).
//!
//! The file holds the user's access and refresh tokens in clear: that is its purpose. It is written
//! with owner-only permissions (`0600` on Unix), atomically (a temporary file in the same directory,
//! flushed to disk, then renamed over the old one), so a reader never sees half a file and a crash
//! never leaves a truncated one.

use std::{
    fmt,
    fs::{self, File, OpenOptions, TryLockError},
    io::{self, Write as _},
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use zeroize::Zeroize as _;

use crate::oauth::{
    BoxFuture, RefreshLease, SaveOutcome, StoreError, StoredTokens, TokenSet, TokenStore,
};

/// How often a waiting process tries a lock again.
const LOCK_POLL: Duration = Duration::from_millis(10);

/// The longest a save waits for another process's save to finish (a save holds its lock for a read,
/// a write and a rename).
const SAVE_LOCK_WAIT: Duration = Duration::from_secs(10);

/// A token store in one JSON file.
///
/// ```json
/// {"version":3,"access_token":"…","refresh_token":"…","scope":"identify guilds",
///  "token_type":"Bearer","expires_in_secs":604800,"expires_at_unix":1767225600}
/// ```
///
/// - **Secrets**: the file holds both tokens in clear. It is created with mode `0600` (read and write
///   for its owner only) on Unix; keep it in a directory only the application can read.
/// - **Atomic writes**: each save writes a temporary file beside the target, flushes it to disk and
///   renames it over the target, then flushes the directory.
/// - **Several processes**: the refresh lease is an OS file lock on `<file>.lock`
///   ([`File::try_lock`], polled until the lease's `ttl` runs out); it dies with the process that
///   holds it, so a crashed process never blocks the others. Saves compare the version under a
///   second lock, `<file>.save.lock`, so a save is a true compare-and-swap even without the lease.
///   Both lock files stay in place (deleting a lock file would open a race); they hold no data.
///   OS file locks are unreliable on network file systems: share the file only between processes of
///   one machine.
/// - `expires_at` is stored in whole seconds, rounded down: a loaded pair never looks fresher than
///   it is.
///
/// The directory must exist.
///
/// ```no_run
/// use std::sync::Arc;
/// use fluxer_oauth2::oauth::{FileStore, TokenStore};
///
/// let store: Arc<dyn TokenStore> = Arc::new(FileStore::new("/var/lib/my-app/fluxer-tokens.json"));
/// # let _ = store;
/// ```
pub struct FileStore {
    path: PathBuf,
    lease_lock: PathBuf,
    save_lock: PathBuf,
}

impl FileStore {
    /// A store in the file at `path` (created by the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let lease_lock = sibling(&path, ".lock");
        let save_lock = sibling(&path, ".save.lock");
        Self {
            path,
            lease_lock,
            save_lock,
        }
    }

    /// The token file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file of the refresh lease (`<file>.lock`).
    pub fn lock_path(&self) -> &Path {
        &self.lease_lock
    }
}

impl fmt::Debug for FileStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileStore")
            .field("path", &self.path)
            .finish()
    }
}

impl TokenStore for FileStore {
    fn load(&self) -> BoxFuture<'_, Result<Option<StoredTokens>, StoreError>> {
        let path = self.path.clone();
        Box::pin(async move { blocking(move || read_tokens(&path)).await })
    }

    fn save<'a>(
        &'a self,
        tokens: &'a TokenSet,
        expected_version: Option<u64>,
    ) -> BoxFuture<'a, Result<SaveOutcome, StoreError>> {
        let path = self.path.clone();
        let save_lock = self.save_lock.clone();
        let tokens = tokens.clone();
        Box::pin(async move {
            blocking(move || {
                let lock = open_lock_file(&save_lock)?;
                lock_blocking(&lock, &save_lock, SAVE_LOCK_WAIT)?;
                let current = read_tokens(&path)?;
                let outcome = match current {
                    Some(current) if Some(current.version) != expected_version => {
                        SaveOutcome::Conflict { current }
                    }
                    _ => {
                        let version = expected_version.unwrap_or(0) + 1;
                        write_tokens(&path, &tokens, version)?;
                        SaveOutcome::Saved { version }
                    }
                };
                // Closing the file releases the lock; unlock first to say so explicitly.
                let _ = lock.unlock();
                Ok(outcome)
            })
            .await
        })
    }

    fn lock_refresh(
        &self,
        ttl: Duration,
    ) -> BoxFuture<'_, Result<Box<dyn RefreshLease>, StoreError>> {
        let lock_path = self.lease_lock.clone();
        Box::pin(async move {
            let path = lock_path.clone();
            let file = blocking(move || open_lock_file(&path)).await?;
            let started = Instant::now();
            loop {
                match file.try_lock() {
                    Ok(()) => {
                        return Ok(Box::new(FileLease {
                            file: Some(file),
                            path: lock_path,
                        }) as Box<dyn RefreshLease>);
                    }
                    Err(TryLockError::WouldBlock) if started.elapsed() < ttl => {
                        tokio::time::sleep(LOCK_POLL).await
                    }
                    Err(TryLockError::WouldBlock) => {
                        return Err(StoreError::new(format!(
                            "{} stayed locked by another process for {ttl:?}: another refresh is taking too long",
                            lock_path.display()
                        )));
                    }
                    Err(TryLockError::Error(e)) => {
                        return Err(StoreError::with_source(
                            format!("could not lock {}", lock_path.display()),
                            e,
                        ));
                    }
                }
            }
        })
    }
}

/// The refresh lease of a [`FileStore`]: an exclusive lock on `<file>.lock`, released by
/// [`RefreshLease::release`] or, at the latest, when the file is closed (on drop, or when the process
/// ends).
struct FileLease {
    file: Option<File>,
    path: PathBuf,
}

impl fmt::Debug for FileLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileLease")
            .field("path", &self.path)
            .finish()
    }
}

impl RefreshLease for FileLease {
    fn release(mut self: Box<Self>) -> BoxFuture<'static, Result<(), StoreError>> {
        let result = match self.file.take() {
            Some(file) => file.unlock().map_err(|e| {
                StoreError::with_source(format!("could not unlock {}", self.path.display()), e)
            }),
            None => Ok(()),
        };
        Box::pin(async move { result })
    }
}

/// Runs file I/O off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work).await.unwrap_or_else(|e| {
        Err(StoreError::with_source(
            "the file store's worker thread failed",
            e,
        ))
    })
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "tokens".into());
    name.push(suffix);
    path.with_file_name(name)
}

fn read_tokens(path: &Path) -> Result<Option<StoredTokens>, StoreError> {
    let raw = match fs::read(path) {
        Ok(raw) => raw,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::with_source(
                format!("could not read {}", path.display()),
                e,
            ));
        }
    };
    crate::oauth::store::decode_record(raw, &path.display().to_string()).map(Some)
}

/// Writes the pair to a temporary file beside `path`, flushes it, renames it over `path` and flushes
/// the directory.
fn write_tokens(path: &Path, tokens: &TokenSet, version: u64) -> Result<(), StoreError> {
    let mut json = crate::oauth::store::encode_record(tokens, version)?;
    json.push(b'\n');
    let temp = temp_path(path);
    let written = write_new_private_file(&temp, &json);
    json.zeroize();
    let renamed = written.and_then(|()| fs::rename(&temp, path));
    if let Err(e) = renamed {
        let _ = fs::remove_file(&temp);
        return Err(StoreError::with_source(
            format!("could not write {}", path.display()),
            e,
        ));
    }
    sync_dir(path);
    Ok(())
}

fn write_new_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    restrict_permissions(&file)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes the file owner-only whatever the umask did.
fn restrict_permissions(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// A fresh temporary name beside `path`: `.<file>.tmp-<pid>-<n>-<nanos>`.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "tokens".to_owned());
    path.with_file_name(format!(".{name}.tmp-{}-{n}-{nanos}", std::process::id()))
}

/// Flushes the directory entry of a rename (Unix; elsewhere the rename is left to the OS).
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn open_lock_file(path: &Path) -> Result<File, StoreError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| {
        StoreError::with_source(
            format!("could not open the lock file {}", path.display()),
            e,
        )
    })
}

/// Waits (blocking the thread, which is a blocking-pool thread) for an exclusive lock.
fn lock_blocking(file: &File, path: &Path, wait: Duration) -> Result<(), StoreError> {
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if started.elapsed() < wait => {
                std::thread::sleep(LOCK_POLL)
            }
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::new(format!(
                    "{} stayed locked for {wait:?}",
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::with_source(
                    format!("could not lock {}", path.display()),
                    e,
                ));
            }
        }
    }
}
