//! Files that appear whole or not at all.
//!
//! The driver's `-o` and the passes' `report=`/`dot=` files share one rule:
//! a failed run leaves no partial file. A regular file (or a new one) is
//! written under a temporary name beside it and renamed into place only when
//! complete. Anything else is written to directly: renaming over `/dev/null`
//! or a pipe would replace the device with a regular file (as root, it
//! does), and a symlink is followed so that the link stays a link.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use crate::error::{Error, Result};

/// An output file being written; [`AtomicFile::commit`] puts it in place,
/// dropping it uncommitted deletes what was written to a regular file.
pub struct AtomicFile {
    /// The temporary name, for a regular file; `None` for a device or pipe.
    tmp: Option<PathBuf>,
    target: PathBuf,
    w: BufWriter<std::fs::File>,
    committed: bool,
}

impl AtomicFile {
    /// Opens `path` for writing: a temporary file beside the (symlink-
    /// resolved) target when that is a regular file or does not exist yet,
    /// so the rename never crosses file systems; the target itself
    /// otherwise.
    pub fn create(path: &str) -> std::io::Result<AtomicFile> {
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| PathBuf::from(path));
        let special = std::fs::metadata(&target).map(|m| !m.file_type().is_file()).unwrap_or(false);
        let (tmp, file) = if special {
            (None, std::fs::OpenOptions::new().write(true).open(&target)?)
        } else {
            let file_name = target.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            let tmp = target.with_file_name(format!(".{file_name}.mcprune-{}.tmp", std::process::id()));
            let file = std::fs::File::create(&tmp)?;
            (Some(tmp), file)
        };
        Ok(AtomicFile { tmp, target, w: BufWriter::with_capacity(1 << 20, file), committed: false })
    }

    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.w
    }

    /// Flushes and renames the file into place.
    pub fn commit(mut self) -> std::io::Result<()> {
        self.w.flush()?;
        if let Some(tmp) = &self.tmp {
            std::fs::rename(tmp, &self.target)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let (false, Some(tmp)) = (self.committed, &self.tmp) {
            let _ = std::fs::remove_file(tmp);
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

    /// A FIFO of our own stands in for `/dev/null` (any non-regular file):
    /// written through, never renamed over. Checking `/dev/null` itself
    /// would depend on what earlier runs did to it.
    #[test]
    fn a_fifo_is_written_through_and_stays_a_fifo() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = scratch("fifo");
        let fifo = dir.join("out.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("runs mkfifo");
        assert!(made.success(), "mkfifo {}", fifo.display());
        // The reader blocks in open until the writer opens the FIFO; if the
        // write went to a temporary file renamed over it, the reader stays
        // blocked and is abandoned when the assertions below fail.
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                std::fs::File::open(&fifo).and_then(|mut f| f.read_to_string(&mut text)).map(|_| text)
            })
        };
        write_file(fifo.to_str().expect("utf-8 path"), "through the pipe").expect("writes");
        let kind = std::fs::symlink_metadata(&fifo).expect("still there").file_type();
        assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
        assert_eq!(reader.join().expect("reader").expect("reads"), "through the pipe");
        assert_eq!(std::fs::read_dir(&dir).expect("lists").count(), 1, "a temporary file stayed");
    }

    #[test]
    fn a_symlink_is_written_through_and_stays_a_link() {
        let dir = scratch("symlink");
        let (real, link) = (dir.join("real.mlir"), dir.join("link.mlir"));
        std::fs::write(&real, "old").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_file(link.to_str().unwrap(), "new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
    }

    #[test]
    fn a_missing_directory_is_an_io_error_naming_the_path() {
        let dir = scratch("missing");
        let path = dir.join("no-such-dir").join("report.json");
        let err = write_file(path.to_str().unwrap(), "x").unwrap_err();
        assert!(matches!(&err, Error::Io { path: p, .. } if p == path.to_str().unwrap()), "{err}");
    }
}
