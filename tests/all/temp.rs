//! Temporary folders for tests that hand files to the `atlas` binary, removed with their
//! contents when dropped, so a test run leaves nothing behind in the temporary folder.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A new folder under the system's temporary folder, removed with its contents on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// An empty folder named after `prefix`, this process and a per-process count (tests
    /// run in parallel threads, each gets its own).
    pub fn new(prefix: &str) -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    /// The path of `name` in the folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A file in a [`TempDir`] of its own, removed with it on drop; reads as its path.
pub struct TempFile {
    path: PathBuf,
    _dir: TempDir,
}

impl TempFile {
    /// A file `name` holding `contents`, in a new folder named after `prefix`.
    pub fn new(prefix: &str, name: &str, contents: &str) -> TempFile {
        let dir = TempDir::new(prefix);
        let path = dir.join(name);
        std::fs::write(&path, contents).expect("write temp file");
        TempFile { path, _dir: dir }
    }
}

impl Deref for TempFile {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempFile {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<std::ffi::OsStr> for TempFile {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.path.as_os_str()
    }
}
