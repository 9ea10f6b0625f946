//! Files that appear whole or not at all.
//!
//! The driver's `-o` and the passes' `report=`/`dot=` files share one rule:
//! a failed run leaves no partial file. Each is written under a temporary
//! name beside its target and renamed into place only when complete.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use crate::error::{Error, Result};

/// A file being written under a temporary name; [`AtomicFile::commit`]
/// renames it to its target, dropping it uncommitted deletes it.
pub struct AtomicFile {
    tmp: PathBuf,
    target: PathBuf,
    w: BufWriter<std::fs::File>,
    committed: bool,
}

impl AtomicFile {
    /// Creates the temporary file beside `path` (same directory, so the
    /// rename never crosses file systems).
    pub fn create(path: &str) -> std::io::Result<AtomicFile> {
        let target = PathBuf::from(path);
        let file_name = target.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        let tmp = target.with_file_name(format!(".{file_name}.mcprune-{}.tmp", std::process::id()));
        let f = std::fs::File::create(&tmp)?;
        Ok(AtomicFile { tmp, target, w: BufWriter::with_capacity(1 << 20, f), committed: false })
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.w
    }

    /// Flushes and renames the file into place.
    pub fn commit(mut self) -> std::io::Result<()> {
        self.w.flush()?;
        std::fs::rename(&self.tmp, &self.target)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `text` to `path` whole, or reports why not and leaves nothing.
pub fn write_file(path: &str, text: &str) -> Result<()> {
    let write = || -> std::io::Result<()> {
        let mut file = AtomicFile::create(path)?;
        file.writer().write_all(text.as_bytes())?;
        file.commit()
    };
    write().map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("mcprune-output-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn an_uncommitted_file_leaves_nothing() {
        let dir = scratch("uncommitted");
        let path = dir.join("out.mlir");
        let mut file = AtomicFile::create(path.to_str().unwrap()).unwrap();
        file.writer().write_all(b"half").unwrap();
        drop(file);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    }

    #[test]
    fn a_committed_file_replaces_its_target_and_nothing_else_stays() {
        let dir = scratch("committed");
        let path = dir.join("report.json");
        std::fs::write(&path, "old").unwrap();
        write_file(path.to_str().unwrap(), "new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    }

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_path() {
        let dir = scratch("missing");
        let path = dir.join("no-such-dir").join("report.json");
        let err = write_file(path.to_str().unwrap(), "x").unwrap_err();
        assert!(matches!(&err, Error::Io { path: p, .. } if p == path.to_str().unwrap()), "{err}");
    }
}
