//! Diagnostics: collected from MLIR's handler, rendered as
//! `file:line:col: error: message` with the source line and a caret, the way
//! `mlir-opt` prints them.

use crate::ir::location::LocKind;
use crate::ir::{self, Location};
use melior::Context;
use mlir_sys::*;
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
    Note,
    Remark,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
            Severity::Remark => "remark",
        }
    }
}

/// A source position: 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourcePos {
    pub file: String,
    pub line: usize,
    pub col: usize,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    pub pos: Option<SourcePos>,
    pub message: String,
    pub notes: Vec<Diagnostic>,
}

impl Diagnostic {
    pub fn error(pos: Option<SourcePos>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, pos, message: message.into(), notes: Vec::new() }
    }

    /// A diagnostic at an IR location: its first file:line:col, with a
    /// "called from" note for every caller of a call-site location, as
    /// MLIR's source-manager handler prints them.
    pub fn at(location: Option<Location>, message: impl Into<String>) -> Diagnostic {
        let mut positions = location.map(source_positions).unwrap_or_default().into_iter();
        let mut diag = Diagnostic::error(positions.next(), message);
        diag.notes = positions
            .map(|p| Diagnostic { severity: Severity::Note, pos: Some(p), message: "called from".into(), notes: vec![] })
            .collect();
        diag
    }
}

/// The file positions of a location: the innermost callee first, then each
/// caller outwards.
fn source_positions(loc: Location) -> Vec<SourcePos> {
    match loc.kind() {
        LocKind::FileLineCol { file, line, col } => vec![SourcePos { file: file.to_string(), line, col }],
        LocKind::Name { child, .. } => source_positions(child),
        LocKind::CallSite { callee, caller } => {
            let mut v = source_positions(callee);
            v.extend(source_positions(caller));
            v
        }
        LocKind::Fused(locs) => locs.into_iter().map(source_positions).find(|v| !v.is_empty()).unwrap_or_default(),
        LocKind::Other => Vec::new(),
    }
}

/// Longest diagnostic text kept, in lines.
const NOTE_LINES: usize = 12;

/// Copies a diagnostic out of MLIR.
///
/// # Safety
///
/// `d` must be a diagnostic MLIR is handing to a handler right now.
unsafe fn convert(d: MlirDiagnostic) -> Diagnostic {
    // SAFETY: the caller passes a live diagnostic.
    let raw = unsafe { mlirDiagnosticGetSeverity(d) };
    let severity = if raw == MlirDiagnosticSeverity_MlirDiagnosticError {
        Severity::Error
    } else if raw == MlirDiagnosticSeverity_MlirDiagnosticWarning {
        Severity::Warning
    } else if raw == MlirDiagnosticSeverity_MlirDiagnosticNote {
        Severity::Note
    } else {
        Severity::Remark
    };
    // SAFETY: live diagnostic; the callback and its buffer are the pair
    // `print_to_string` provides.
    let mut message = ir::print_to_string(|cb, ud| unsafe { mlirDiagnosticPrint(d, cb, ud) });
    // MLIR attaches the whole op to some errors ("see current
    // operation: ..."); for a module that is the entire model.
    if message.lines().count() > NOTE_LINES {
        let head: Vec<&str> = message.lines().take(NOTE_LINES).collect();
        message = format!("{}\n...", head.join("\n"));
    }
    // SAFETY: a live diagnostic's location lives in its context, which is
    // alive while the diagnostic is handled.
    let location = unsafe { Location::from_raw(mlirDiagnosticGetLocation(d)) };
    let mut diag = Diagnostic::at(Some(location), message);
    diag.severity = severity;
    // SAFETY: live diagnostic.
    let n = unsafe { mlirDiagnosticGetNumNotes(d) };
    // SAFETY: `i` is below the live diagnostic's note count; a note lives as
    // long as its diagnostic.
    diag.notes.extend((0..n).map(|i| unsafe { convert(mlirDiagnosticGetNote(d, i)) }));
    diag
}

/// Collects every diagnostic MLIR emits in a context.
#[derive(Clone, Default)]
pub struct DiagnosticSink {
    collected: Arc<Mutex<Vec<Diagnostic>>>,
}

/// The diagnostic handler `DiagnosticSink::attach` registers.
///
/// # Safety
///
/// `user` must point to the sink's `Mutex`, alive for the call, and `d`
/// must be a diagnostic MLIR is handing to its handlers right now.
unsafe extern "C" fn handle(d: MlirDiagnostic, user: *mut c_void) -> MlirLogicalResult {
    // SAFETY: `user` is the `Mutex` of the sink that registered this
    // handler; its `HandlerGuard` keeps it alive until the handler is gone.
    let sink = unsafe { &*(user as *const Mutex<Vec<Diagnostic>>) };
    if let Ok(mut v) = sink.lock() {
        // SAFETY: MLIR is handing `d` to this handler.
        v.push(unsafe { convert(d) });
    }
    MlirLogicalResult { value: 1 }
}

/// Keeps a sink registered with a context; detaches it when dropped, which
/// the borrow makes happen before the context is destroyed.
pub struct HandlerGuard<'c> {
    ctx: &'c Context,
    id: MlirDiagnosticHandlerID,
    _keep: Arc<Mutex<Vec<Diagnostic>>>,
}

impl Drop for HandlerGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: the borrowed context is alive, and `id` is the handler
        // `attach` registered in it, detached only here.
        unsafe { mlirContextDetachDiagnosticHandler(self.ctx.to_raw(), self.id) }
    }
}

impl DiagnosticSink {
    /// Registers the sink with `context` until the guard is dropped.
    #[must_use = "the handler is detached when the guard is dropped"]
    pub fn attach<'c>(&self, context: &'c Context) -> HandlerGuard<'c> {
        let ptr = Arc::as_ptr(&self.collected) as *mut c_void;
        // SAFETY: live context; `handle` reads `ptr` as the sink's `Mutex`,
        // which the guard's `Arc` keeps alive until it detaches the handler.
        let id = unsafe { mlirContextAttachDiagnosticHandler(context.to_raw(), Some(handle), ptr, None) };
        HandlerGuard { ctx: context, id, _keep: self.collected.clone() }
    }

    pub fn push(&self, d: Diagnostic) {
        if let Ok(mut v) = self.collected.lock() {
            v.push(d);
        }
    }

    pub fn take(&self) -> Vec<Diagnostic> {
        self.collected.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default()
    }

    pub fn has_errors(&self) -> bool {
        self.collected.lock().map(|v| v.iter().any(|d| d.severity == Severity::Error)).unwrap_or(true)
    }
}

/// Source texts by file name, for showing the line a diagnostic points at.
/// A file parsed in place is read only when a diagnostic points into it.
#[derive(Default)]
pub struct SourceFiles {
    texts: BTreeMap<String, String>,
    readable: std::cell::RefCell<BTreeMap<String, Option<String>>>,
    /// Name to use where a location has no file name.
    pub default_name: String,
}

impl SourceFiles {
    pub fn new(default_name: &str) -> SourceFiles {
        SourceFiles { default_name: default_name.to_string(), ..Default::default() }
    }

    /// `name` is a file to read if a diagnostic needs its lines.
    pub fn allow_reading(&mut self, name: &str) {
        self.readable.get_mut().insert(name.to_string(), None);
    }

    pub fn add(&mut self, name: &str, text: String) {
        self.texts.insert(name.to_string(), text);
    }

    fn line(&self, file: &str, line: usize) -> Option<String> {
        let n = line.checked_sub(1)?;
        if let Some(t) = self.texts.get(file) {
            return t.lines().nth(n).map(String::from);
        }
        let mut readable = self.readable.borrow_mut();
        let entry = readable.get_mut(file)?;
        if entry.is_none() {
            *entry = std::fs::read(file).ok().map(|b| String::from_utf8_lossy(&b).into_owned());
        }
        entry.as_ref()?.lines().nth(n).map(String::from)
    }

    /// Renders `d` (and its notes) the way MLIR's source manager does.
    pub fn render(&self, d: &Diagnostic) -> String {
        let mut out = String::new();
        self.render_into(d, &mut out);
        out
    }

    fn render_into(&self, d: &Diagnostic, out: &mut String) {
        match &d.pos {
            Some(p) => {
                let file = if p.file.is_empty() { self.default_name.as_str() } else { p.file.as_str() };
                out.push_str(&format!("{}:{}:{}: {}: {}\n", file, p.line, p.col, d.severity.label(), d.message));
                if let Some(src) = self.line(file, p.line) {
                    let (shown, caret_col) = excerpt(&src, p.col.max(1) - 1);
                    out.push_str(&shown);
                    out.push('\n');
                    let pad: String =
                        shown.chars().take(caret_col).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                    out.push_str(&pad);
                    out.push_str("^\n");
                }
            }
            None => {
                let prefix = if self.default_name.is_empty() { "mcprune-opt" } else { self.default_name.as_str() };
                out.push_str(&format!("{prefix}: {}: {}\n", d.severity.label(), d.message));
            }
        }
        for n in &d.notes {
            self.render_into(n, out);
        }
    }
}

/// Characters of a source line shown on each side of the caret. A weight
/// blob is one line of megabytes of hex; a diagnostic inside it (a file
/// truncated in its resource section) would print all of it.
const EXCERPT_SIDE: usize = 60;

/// The part of `line` around character `col` that a diagnostic shows, and
/// the caret's column in it: the whole line when short, else a window
/// with "..." where it was cut.
fn excerpt(line: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= 2 * EXCERPT_SIDE + 40 {
        return (line.to_string(), col);
    }
    let col = col.min(chars.len());
    let start = col.saturating_sub(EXCERPT_SIDE);
    let end = (col + EXCERPT_SIDE).min(chars.len());
    let mut shown = String::new();
    if start > 0 {
        shown.push_str("...");
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push_str("...");
    }
    (shown, col - start + if start > 0 { 3 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn short_lines_are_shown_whole() {
        assert_eq!(excerpt("%x = foo", 5), ("%x = foo".to_string(), 5));
    }

    #[test]
    fn long_lines_are_cut_around_the_caret() {
        let line = format!("w: \"0x{}", "AB".repeat(100_000));
        let (shown, caret) = excerpt(&line, 150_000);
        assert_eq!(shown.chars().count(), 3 + 120 + 3);
        assert!(shown.starts_with("...") && shown.ends_with("..."));
        assert_eq!(caret, 63);
        assert_eq!(shown.chars().nth(caret), line.chars().nth(150_000));
        let (head, caret) = excerpt(&line, 2);
        assert_eq!((caret, &head[..4]), (2, "w: \""));
        assert!(head.ends_with("..."));
        let (tail, caret) = excerpt(&line, line.len());
        assert!(tail.starts_with("...") && !tail.ends_with("..."));
        assert_eq!(caret, 63);
    }
}
