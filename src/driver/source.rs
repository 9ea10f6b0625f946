//! Reading the input: a file or stdin, text or bytecode, optionally split
//! into chunks on `// -----` with every chunk keeping its original line
//! numbers.

use crate::ir::{self, Location, OwnedOp};

/// The marker `--split-input-file` splits on and joins outputs with.
pub const SPLIT_MARKER: &str = "// -----";

/// MLIR bytecode files start with this magic.
const BYTECODE_MAGIC: &[u8] = b"ML\xefR";

pub fn is_bytecode(bytes: &[u8]) -> bool {
    bytes.starts_with(BYTECODE_MAGIC)
}

/// Alignment of every buffer bytecode is parsed from. A bytecode file asks
/// for its resource section's alignment (the largest blob alignment; 64 is
/// common) and the reader rejects a buffer that lacks it. A page covers
/// every alignment writers use.
const BYTECODE_BUFFER_ALIGN: usize = 4096;

/// Parses the file at `path` (text or bytecode) into a module; MLIR reads
/// the file itself, mapped when it is large, page-aligned either way.
/// Diagnostics go to the context's handler; `None` on failure.
pub fn parse_file(ctx: ir::Context, path: &str) -> Option<OwnedOp> {
    OwnedOp::parse_file(ctx, path)
}

/// A copy of some bytes at `BYTECODE_BUFFER_ALIGN`, for bytecode that came
/// from stdin (a `Vec` is only aligned to its element).
struct AlignedCopy {
    ptr: *mut u8,
    len: usize,
    layout: std::alloc::Layout,
}

impl AlignedCopy {
    fn new(bytes: &[u8]) -> AlignedCopy {
        let layout = std::alloc::Layout::from_size_align(bytes.len().max(1), BYTECODE_BUFFER_ALIGN).expect("buffer layout");
        // SAFETY: the layout has a non-zero size.
        let ptr = unsafe { std::alloc::alloc(layout) };
        if ptr.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        // SAFETY: `ptr` holds at least `bytes.len()` fresh bytes, apart from
        // `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr, bytes.len()) };
        AlignedCopy { ptr, len: bytes.len(), layout }
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `new` allocated and filled `len` bytes at `ptr`, which live
        // until `self` is dropped.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl Drop for AlignedCopy {
    fn drop(&mut self) {
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr, self.layout) }
    }
}

/// One piece of the input to parse on its own.
pub struct Chunk {
    /// The text, preceded by as many newlines as lines came before it, so
    /// that locations and diagnostics carry the original line numbers.
    pub bytes: Vec<u8>,
}

/// Splits text input at every `// -----` (as `mlir-opt` does: anywhere in a
/// line, and not when more dashes follow).
pub fn split(text: &str) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut chunk_start = 0usize; // byte offset where the current chunk begins
    let mut search = 0usize;
    while let Some(found) = text[search..].find(SPLIT_MARKER) {
        let at = search + found;
        let after = at + SPLIT_MARKER.len();
        search = after;
        if text[after..].starts_with('-') {
            continue; // a near miss such as `// ------`, not a split
        }
        chunks.push(Chunk { bytes: pad(&text[..chunk_start], &text[chunk_start..at]) });
        chunk_start = after;
    }
    chunks.push(Chunk { bytes: pad(&text[..chunk_start], &text[chunk_start..]) });
    chunks
}

/// Prefixes `chunk` with whitespace standing for `before`: a newline per
/// line and a space per column of the last line, so positions in the chunk
/// are positions in the whole file.
fn pad(before: &str, chunk: &str) -> Vec<u8> {
    let lines = before.matches('\n').count();
    let cols = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let mut v = vec![b'\n'; lines];
    v.extend(std::iter::repeat_n(b' ', cols));
    v.extend_from_slice(chunk.as_bytes());
    v
}

/// Parses one buffer into a module named `name` in locations, wrapping a
/// single non-module top-level op (or several ops) in a module as `mlir-opt`
/// does. Diagnostics go to the context's handler; `None` on failure.
pub fn parse_module(ctx: ir::Context, bytes: &[u8], name: &str) -> Option<OwnedOp> {
    // Parsing from memory the caller owns copies every blob out of it, so
    // the aligned copy need not outlive the parse.
    let aligned = is_bytecode(bytes).then(|| AlignedCopy::new(bytes));
    let op = OwnedOp::parse(ctx, aligned.as_ref().map_or(bytes, |a| a.bytes()), name);
    drop(aligned);
    let op = op?;
    if op.op().name() == "builtin.module" {
        return Some(op);
    }
    // A single top-level op that is not a module: wrap it, with the location
    // mlir-opt gives the implicit module (file:0:0).
    let loc = Location::file_line_col_new(ctx, name, 0, 0);
    let module = OwnedOp::empty_module(loc);
    let body = module.op().region(0).first_block().expect("a module has a body");
    body.append(op.into_op());
    Some(module)
}

/// The C API parser only names the buffer for single-op sources. Several
/// top-level ops are parsed again through the module parser, which builds
/// the implicit module itself but leaves the file name empty in locations
/// (diagnostics fill in the input's name when they are rendered).
pub fn parse_module_of_many(ctx: ir::Context, bytes: &[u8]) -> Option<OwnedOp> {
    OwnedOp::parse_module(ctx, bytes)
}

/// The parser's complaint that a buffer holds more than one top-level op.
pub const MANY_TOP_LEVEL_OPS: &str = "source must contain a single top-level operation";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_line_and_column_numbers() {
        let text = "a\nb\n// -----\nc\n  // -----  \nd // ------ e\n";
        let chunks: Vec<String> = split(text).iter().map(|c| String::from_utf8_lossy(&c.bytes).into_owned()).collect();
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0], "a\nb\n");
        assert_eq!(chunks[1], "\n\n        \nc\n  ");
        // The chunk begins after the marker: its trailing spaces are content.
        assert_eq!(chunks[2], "\n\n\n\n          ".to_string() + "  \nd // ------ e\n");
    }

    #[test]
    fn no_marker_is_one_chunk() {
        assert_eq!(split("x\n").len(), 1);
    }
}
