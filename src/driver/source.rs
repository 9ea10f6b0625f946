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

/// A text model cut short inside its file-metadata section (`{-# ... #-}`,
/// which holds the weight blobs): where it ends and where the section
/// began, 1-based.
#[derive(Debug, PartialEq, Eq)]
pub struct CutResources {
    pub end: (usize, usize),
    pub open_line: usize,
}

/// Scans text for a `{-#` at the start of a line with no `#-}` after it.
/// MLIR 22's lexer, after an unterminated string in that section, reads
/// past the end of its buffer: garbage diagnostics on small files, a
/// SIGSEGV on others (`mlir-opt` itself only by luck of its buffer's
/// padding). So the driver refuses such input before MLIR sees it.
/// Streaming, in blocks: a model's blobs can be gigabytes.
#[derive(Default)]
struct ResourceScan {
    /// Bytes seen so far.
    offset: u64,
    /// The last bytes of the previous block, so that markers across a
    /// block boundary are found.
    carry: Vec<u8>,
    /// Offset of the last `{-#` that starts a line, while no `#-}` follows.
    open: Option<u64>,
}

impl ResourceScan {
    fn feed(&mut self, block: &[u8]) {
        let mut window = std::mem::take(&mut self.carry);
        let base = self.offset - window.len() as u64;
        window.extend_from_slice(block);
        for at in memchr::memmem::find_iter(&window, b"{-#") {
            if at == 0 && base == 0 || at > 0 && window[at - 1] == b'\n' {
                self.open = Some(base + at as u64);
            }
        }
        if let Some(open) = self.open {
            let from = open.saturating_sub(base) as usize;
            if memchr::memmem::find(&window[from.min(window.len())..], b"#-}").is_some() {
                self.open = None;
            }
        }
        self.offset += block.len() as u64;
        self.carry = window[window.len().saturating_sub(3)..].to_vec();
    }
}

/// 1-based line and column of byte `offset` (and of the end, past it).
fn line_col(mut reader: impl std::io::Read, offset: u64) -> std::io::Result<(usize, usize)> {
    let (mut line, mut col, mut seen) = (1usize, 1usize, 0u64);
    let mut block = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut block)?;
        for &b in &block[..n] {
            if seen == offset {
                return Ok((line, col));
            }
            seen += 1;
            if b == b'\n' {
                line += 1;
                col = 1;
            } else {
                col += 1;
            }
        }
        if n == 0 {
            return Ok((line, col));
        }
    }
}

/// Where text from `reader` is cut short in its resource section, if it is
/// (`reopen` reads it again, only then, for line numbers). Bytecode is not
/// text and passes.
fn scan_resources<R: std::io::Read>(mut reader: R, reopen: impl Fn() -> std::io::Result<R>) -> std::io::Result<Option<CutResources>> {
    let mut scan = ResourceScan::default();
    let mut block = vec![0u8; 1 << 20];
    let mut first = true;
    loop {
        let n = reader.read(&mut block)?;
        if n == 0 {
            break;
        }
        if first && is_bytecode(&block[..n]) {
            return Ok(None);
        }
        first = false;
        scan.feed(&block[..n]);
    }
    let Some(open) = scan.open else { return Ok(None) };
    let open_line = line_col(reopen()?, open)?.0;
    let end = line_col(reopen()?, scan.offset)?;
    Ok(Some(CutResources { end, open_line }))
}

/// [`scan_resources`] of the file at `path`.
pub fn cut_resources_in_file(path: &str) -> std::io::Result<Option<CutResources>> {
    scan_resources(std::fs::File::open(path)?, || std::fs::File::open(path))
}

/// [`scan_resources`] of a buffer.
pub fn cut_resources(bytes: &[u8]) -> Option<CutResources> {
    scan_resources(bytes, || Ok(bytes)).unwrap_or(None)
}

/// The diagnostic for a model cut short in its resource section.
pub fn cut_resources_message(cut: &CutResources) -> String {
    format!(
        "the file ends inside its resource section (the '{{-#' of line {} has no '#-}}'): it was cut short \
         (a partial copy or a full disk?)",
        cut.open_line
    )
}

#[cfg(test)]
mod resource_tests {
    use super::{cut_resources, CutResources, ResourceScan};

    const WHOLE: &str = "module {\n}\n{-#\n  dialect_resources: {\n    builtin: {\n      w: \"0x0400000000\"\n    }\n  }\n#-}\n";

    #[test]
    fn a_closed_section_passes() {
        assert_eq!(cut_resources(WHOLE.as_bytes()), None);
        assert_eq!(cut_resources(b"module {\n}\n"), None);
    }

    #[test]
    fn a_section_cut_anywhere_is_found() {
        for end in WHOLE.find("{-#").unwrap() + 3..WHOLE.len() - 2 {
            let cut = cut_resources(&WHOLE.as_bytes()[..end]);
            let last_line = WHOLE[..end].lines().count();
            let col = WHOLE[..end].rsplit('\n').next().unwrap().len() + 1;
            let line = if WHOLE[..end].ends_with('\n') { last_line + 1 } else { last_line };
            let col = if WHOLE[..end].ends_with('\n') { 1 } else { col };
            assert_eq!(cut, Some(CutResources { end: (line, col), open_line: 3 }), "cut at {end}");
        }
    }

    #[test]
    fn markers_across_block_boundaries_are_found() {
        let bytes = WHOLE.as_bytes();
        for split in 1..bytes.len() {
            let mut scan = ResourceScan::default();
            scan.feed(&bytes[..split]);
            scan.feed(&bytes[split..]);
            assert_eq!(scan.open, None, "split at {split}");
            let mut scan = ResourceScan::default();
            let cut = &bytes[..bytes.len() - 4];
            scan.feed(&cut[..split.min(cut.len())]);
            scan.feed(&cut[split.min(cut.len())..]);
            assert_eq!(scan.open, Some(WHOLE.find("{-#").unwrap() as u64), "split at {split}");
        }
    }
}
