//! `mcprune-opt`: read a module, run the pipeline, print the module.
//!
//! Mirrors `mlir-opt`: without passes the output is what `mlir-opt FILE`
//! prints; errors are `file:line:col: error: ...` on stderr with exit code 1
//! and nothing written to `-o`.

// C API calls outside `ir`: every unsafe block says why it holds.
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc, unsafe_op_in_unsafe_fn)]

pub mod cli;
pub mod diagnostics;
pub mod pipeline;
pub mod source;

use cli::{Invocation, Parsed};
use diagnostics::{Diagnostic, DiagnosticSink, SourceFiles};
use melior::dialect::DialectRegistry;
use melior::pass::PassManager;
use melior::utility::{register_all_dialects, register_all_passes};
use melior::Context;
use mlir_sys::*;
use std::io::{Read, Write};

use crate::ir::{self, Op, OwnedOp};
use crate::output::AtomicFile;

/// Exit codes.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILURE: i32 = 1;

/// Runs the tool on `args` (without the program name); returns the exit code.
pub fn main(args: &[String]) -> i32 {
    let inv = match cli::parse(args) {
        Ok(Parsed::Run(inv)) => inv,
        Ok(Parsed::Print(text)) => {
            print!("{text}");
            return EXIT_OK;
        }
        Err(message) => {
            eprintln!("mcprune-opt: error: {message}");
            return EXIT_FAILURE;
        }
    };
    match run(&inv) {
        Ok(()) => EXIT_OK,
        Err(rendered) => {
            eprint!("{rendered}");
            EXIT_FAILURE
        }
    }
}

/// A context with every upstream dialect and pass registered.
pub fn new_context(allow_unregistered: bool) -> Context {
    let registry = DialectRegistry::new();
    register_all_dialects(&registry);
    register_all_passes();
    let context = Context::new();
    context.append_dialect_registry(&registry);
    context.load_all_available_dialects();
    context.set_allow_unregistered_dialects(allow_unregistered);
    context
}

fn read_input(path: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    if path == "-" {
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| format!("<stdin>: error: {e}\n"))?;
    } else {
        bytes = std::fs::read(path).map_err(|e| format!("{path}: error: could not open input file: {e}\n"))?;
    }
    Ok(bytes)
}

/// What one chunk is parsed from.
enum Source<'a> {
    /// A file MLIR reads (and maps) itself: no copy of a large model here.
    File(&'a str),
    Bytes(&'a [u8]),
}

/// Processes the whole invocation; on failure returns rendered diagnostics.
fn run(inv: &Invocation) -> Result<(), String> {
    let name = if inv.input == "-" { "<stdin>".to_string() } else { inv.input.clone() };
    let mut sources = SourceFiles::new(&name);

    // One module from a file: parse it in place and stream the output.
    if !inv.split_input_file && inv.input != "-" {
        std::fs::metadata(&inv.input).map_err(|e| format!("{name}: error: could not open input file: {e}\n"))?;
        sources.allow_reading(&name);
        return process_chunk(inv, Source::File(&inv.input), &name, &mut |module| {
            let mut sink = OutputSink::open(inv.output.as_deref())?;
            print_module_to(inv, module, sink.writer()).map_err(|e| format!("{e}"))?;
            sink.commit()
        })
        .map_err(|diags| render_all(&sources, &name, &diags));
    }

    let bytes = read_input(&inv.input)?;
    let chunks: Vec<Vec<u8>> = if source::is_bytecode(&bytes) {
        if inv.split_input_file {
            return Err(format!("{name}: error: --split-input-file needs text input\n"));
        }
        vec![bytes]
    } else {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let chunks = if inv.split_input_file {
            source::split(&text).into_iter().map(|c| c.bytes).collect()
        } else {
            vec![bytes]
        };
        sources.add(&name, text);
        chunks
    };
    if inv.emit_bytecode && chunks.len() > 1 {
        return Err(format!("{name}: error: --emit-bytecode writes one module; it cannot join split outputs\n"));
    }

    let mut outputs: Vec<Vec<u8>> = Vec::new();
    let mut failed = String::new();
    for chunk in &chunks {
        let mut out = Vec::new();
        let result = process_chunk(inv, Source::Bytes(chunk), &name, &mut |module| {
            print_module_to(inv, module, &mut out).map_err(|e| e.to_string())
        });
        match result {
            Ok(()) => outputs.push(out),
            Err(diags) => failed.push_str(&render_all(&sources, &name, &diags)),
        }
    }
    if !failed.is_empty() {
        return Err(failed);
    }
    let mut sink = OutputSink::open(inv.output.as_deref()).map_err(|e| format!("mcprune-opt: error: {e}\n"))?;
    for (i, out) in outputs.iter().enumerate() {
        let w = sink.writer();
        let r = if i > 0 { w.write_all(source::SPLIT_MARKER.as_bytes()).and_then(|_| w.write_all(b"\n")) } else { Ok(()) };
        r.and_then(|_| w.write_all(out)).map_err(|e| format!("mcprune-opt: error: {e}\n"))?;
    }
    sink.commit().map_err(|e| format!("mcprune-opt: error: {e}\n"))
}

fn render_all(sources: &SourceFiles, name: &str, diags: &[Diagnostic]) -> String {
    if diags.is_empty() {
        return format!("{name}: error: failed without a diagnostic\n");
    }
    diags.iter().map(|d| sources.render(d)).collect()
}

/// Where the output goes: stdout, or an [`AtomicFile`] renamed into place
/// on success, so that a failure never leaves a partial file.
enum OutputSink {
    Stdout(std::io::BufWriter<std::io::Stdout>),
    File { path: String, file: AtomicFile },
}

impl OutputSink {
    fn open(path: Option<&str>) -> Result<OutputSink, String> {
        match path {
            None | Some("-") => Ok(OutputSink::Stdout(std::io::BufWriter::with_capacity(1 << 20, std::io::stdout()))),
            Some(path) => {
                let file = AtomicFile::create(path).map_err(|e| format!("{path}: could not write output: {e}"))?;
                Ok(OutputSink::File { path: path.to_string(), file })
            }
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match self {
            OutputSink::Stdout(w) => w,
            OutputSink::File { file, .. } => file.writer(),
        }
    }

    fn commit(self) -> Result<(), String> {
        match self {
            OutputSink::Stdout(mut w) => w.flush().map_err(|e| format!("<stdout>: {e}")),
            OutputSink::File { path, file } => file.commit().map_err(|e| format!("{path}: could not write output: {e}")),
        }
    }
}

/// Parses `bytes` (text or bytecode) into a module owned by `context`,
/// wrapping bare top-level ops in a module as `mlir-opt` does.
pub fn parse_module(context: &Context, bytes: &[u8], name: &str) -> Result<OwnedOp, Vec<Diagnostic>> {
    if let Some(cut) = source::cut_resources(bytes) {
        return Err(vec![cut_resources_diagnostic(name, &cut)]);
    }
    let ctx = ir::Context::of(context);
    let sink = DiagnosticSink::default();
    let _guard = sink.attach(context);
    let module = match source::parse_module(ctx, bytes, name) {
        Some(m) => m,
        None => {
            let diags = sink.take();
            if !diags.iter().any(|d| d.message.starts_with(source::MANY_TOP_LEVEL_OPS)) {
                return Err(diags);
            }
            source::parse_module_of_many(ctx, bytes).ok_or_else(|| sink.take())?
        }
    };
    Ok(module)
}

/// Parses a file that MLIR reads itself (text or bytecode, implicit module).
fn parse_file(context: &Context, path: &str) -> Result<OwnedOp, Vec<Diagnostic>> {
    // A file that cannot be read is MLIR's to report, as it always was.
    if let Ok(Some(cut)) = source::cut_resources_in_file(path) {
        return Err(vec![cut_resources_diagnostic(path, &cut)]);
    }
    let ctx = ir::Context::of(context);
    let sink = DiagnosticSink::default();
    let _guard = sink.attach(context);
    match source::parse_file(ctx, path) {
        Some(op) => Ok(op),
        None => {
            let mut diags = sink.take();
            if diags.is_empty() {
                diags.push(Diagnostic::error(None, format!("could not parse {path}")));
            }
            Err(diags)
        }
    }
}

/// Refuses a text model cut short in its resource section, at its end.
fn cut_resources_diagnostic(file: &str, cut: &source::CutResources) -> Diagnostic {
    let pos = diagnostics::SourcePos { file: file.to_string(), line: cut.end.0, col: cut.end.1 };
    Diagnostic::error(Some(pos), source::cut_resources_message(cut))
}

/// Reads and parses a file; for tests, tools and benchmarks.
/// MLIR reads the file, as for `mcprune-opt`'s own input (a bytecode
/// file's blobs then point into its mapping).
pub fn load_file(context: &Context, path: &str) -> Result<OwnedOp, String> {
    parse_file(context, path).map_err(|diags| {
        let bytes = std::fs::read(path).unwrap_or_default();
        let mut files = SourceFiles::new(path);
        files.add(path, String::from_utf8_lossy(&bytes).into_owned());
        diags.iter().map(|d| files.render(d)).collect()
    })
}

/// Parses, runs and emits one chunk in a context of its own (as mlir-opt
/// does), so nothing leaks between split inputs.
fn process_chunk(
    inv: &Invocation,
    source: Source,
    name: &str,
    emit: &mut dyn FnMut(Op) -> Result<(), String>,
) -> Result<(), Vec<Diagnostic>> {
    let context = new_context(inv.allow_unregistered_dialect);
    let module = match source {
        Source::File(path) => parse_file(&context, path)?,
        Source::Bytes(bytes) => parse_module(&context, bytes, name)?,
    };
    let sink = DiagnosticSink::default();
    let _guard = sink.attach(&context);

    if !inv.steps.is_empty() {
        let pm = PassManager::new(&context);
        if let Err(e) = pipeline::populate(&pm, &inv.steps) {
            return Err(vec![Diagnostic::error(None, e.to_string())]);
        }
        if inv.timing {
            // SAFETY: `pm` is a live pass manager.
            unsafe { mlirPassManagerEnableTiming(pm.to_raw()) };
        }
        // SAFETY: `pm` and the module belong to `context`, which outlives
        // both; no handle into the module is held across the run (the passes
        // may erase any op in it).
        let ok = unsafe { mlirPassManagerRunOnOp(pm.to_raw(), module.op().raw()) };
        drop(pm); // prints the timing report, if any
        if ok.value == 0 || sink.has_errors() {
            let mut diags = sink.take();
            if diags.is_empty() {
                diags.push(Diagnostic::error(None, "pass pipeline failed"));
            }
            return Err(diags);
        }
    }

    // Warnings and remarks from a successful run still reach the user.
    let leftovers = sink.take();
    if !leftovers.is_empty() {
        let mut files = SourceFiles::new(name);
        match source {
            Source::File(path) => files.allow_reading(path),
            Source::Bytes(bytes) => files.add(name, String::from_utf8_lossy(bytes).into_owned()),
        }
        for d in &leftovers {
            eprint!("{}", files.render(d));
        }
    }
    emit(module.op()).map_err(|e| vec![Diagnostic::error(None, e)])
}

/// `MlirStringCallback` writing into a `(&mut dyn Write, io::Result)`.
///
/// # Safety
///
/// `user` must point to such a pair that nothing else accesses during the
/// call, and `s.data` must be null or point to `s.length` readable bytes, as
/// MLIR's printers guarantee for the callbacks they call.
unsafe extern "C" fn write_callback(s: MlirStringRef, user: *mut std::ffi::c_void) {
    // SAFETY: the caller passes the pair built in `print_module_to`.
    let (w, result) = unsafe { &mut *(user as *mut (&mut dyn Write, std::io::Result<()>)) };
    if result.is_ok() && !s.data.is_null() {
        // SAFETY: MLIR hands `length` readable bytes for this call.
        *result = w.write_all(unsafe { std::slice::from_raw_parts(s.data as *const u8, s.length) });
    }
}

/// Prints `module` as requested (text with the printing flags, or bytecode)
/// straight into `w`.
pub fn print_module_to(inv: &Invocation, module: Op, w: &mut dyn Write) -> std::io::Result<()> {
    let mut state: (&mut dyn Write, std::io::Result<()>) = (w, Ok(()));
    let user = &mut state as *mut (&mut dyn Write, std::io::Result<()>) as *mut std::ffi::c_void;
    if inv.emit_bytecode {
        // SAFETY: live op (the caller's module); `user` is the pair
        // `write_callback` expects, alive and untouched during the call.
        unsafe { mlirOperationWriteBytecode(module.raw(), Some(write_callback), user) };
        return state.1;
    }
    // SAFETY: creating printing flags has no precondition.
    let flags = unsafe { mlirOpPrintingFlagsCreate() };
    if let Some(n) = inv.elide_elements_larger_than {
        // SAFETY: `flags` is live.
        unsafe { mlirOpPrintingFlagsElideLargeElementsAttrs(flags, n as isize) };
    }
    if inv.print_debuginfo {
        // SAFETY: `flags` is live.
        unsafe { mlirOpPrintingFlagsEnableDebugInfo(flags, true, false) };
    }
    if inv.print_op_generic {
        // SAFETY: `flags` is live.
        unsafe { mlirOpPrintingFlagsPrintGenericOpForm(flags) };
    }
    if inv.print_local_scope {
        // SAFETY: `flags` is live.
        unsafe { mlirOpPrintingFlagsUseLocalScope(flags) };
    }
    // SAFETY: live op and flags; `user` is the pair `write_callback`
    // expects, alive and untouched during the call.
    unsafe { mlirOperationPrintWithFlags(module.raw(), flags, Some(write_callback), user) };
    // SAFETY: created above, used by nothing after this.
    unsafe { mlirOpPrintingFlagsDestroy(flags) };
    state.1?;
    state.0.write_all(b"\n")
}
