//! `mcprune-opt`: read a module, run the pipeline, print the module.
//!
//! Mirrors `mlir-opt`: without passes the output is what `mlir-opt FILE`
//! prints; errors are `file:line:col: error: ...` on stderr with exit code 1
//! and nothing written to `-o`.

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

use crate::ir::{self, Op};

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

/// Processes the whole invocation; on failure returns rendered diagnostics.
fn run(inv: &Invocation) -> Result<(), String> {
    let bytes = read_input(&inv.input)?;
    let name = if inv.input == "-" { "<stdin>".to_string() } else { inv.input.clone() };
    let mut sources = SourceFiles::new(&name);
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
        match process_chunk(inv, chunk, &name) {
            Ok(out) => outputs.push(out),
            Err(diags) => {
                for d in &diags {
                    failed.push_str(&sources.render(d));
                }
                if diags.is_empty() {
                    failed.push_str(&format!("{name}: error: failed without a diagnostic\n"));
                }
            }
        }
    }
    if !failed.is_empty() {
        return Err(failed);
    }

    let mut joined: Vec<u8> = Vec::new();
    for (i, out) in outputs.iter().enumerate() {
        if i > 0 {
            joined.extend_from_slice(source::SPLIT_MARKER.as_bytes());
            joined.push(b'\n');
        }
        joined.extend_from_slice(out);
    }
    write_output(inv.output.as_deref(), &joined).map_err(|e| format!("mcprune-opt: error: {e}\n"))
}

/// Writes all of `bytes` or nothing: a temporary file renamed into place.
fn write_output(path: Option<&str>, bytes: &[u8]) -> Result<(), String> {
    match path {
        None | Some("-") => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|_| out.flush()).map_err(|e| format!("<stdout>: {e}"))
        }
        Some(path) => {
            let target = std::path::Path::new(path);
            let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let file_name = target.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            let tmp = dir.join(format!(".{file_name}.mcprune-{}.tmp", std::process::id()));
            std::fs::write(&tmp, bytes).map_err(|e| format!("{path}: could not write output: {e}"))?;
            std::fs::rename(&tmp, target).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                format!("{path}: could not write output: {e}")
            })
        }
    }
}

/// Owns a top-level module op and destroys it.
pub struct OwnedModule(pub Op);

impl OwnedModule {
    pub fn op(&self) -> Op {
        self.0
    }
}

impl Drop for OwnedModule {
    fn drop(&mut self) {
        unsafe { mlirOperationDestroy(self.0 .0) }
    }
}

/// Parses `bytes` (text or bytecode) into a module owned by `context`,
/// wrapping bare top-level ops in a module as `mlir-opt` does.
pub fn parse_module(context: &Context, bytes: &[u8], name: &str) -> Result<OwnedModule, Vec<Diagnostic>> {
    let ctx = ir::Context(context.to_raw());
    let sink = DiagnosticSink::default();
    let _guard = sink.attach(ctx);
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
    Ok(OwnedModule(module))
}

/// Reads and parses a file; for tests, tools and benchmarks.
pub fn load_file(context: &Context, path: &str) -> Result<OwnedModule, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    parse_module(context, &bytes, path).map_err(|diags| {
        let mut files = SourceFiles::new(path);
        files.add(path, String::from_utf8_lossy(&bytes).into_owned());
        diags.iter().map(|d| files.render(d)).collect()
    })
}

/// Parses, runs and prints one chunk in a context of its own (as mlir-opt
/// does), so nothing leaks between split inputs.
fn process_chunk(inv: &Invocation, bytes: &[u8], name: &str) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let context = new_context(inv.allow_unregistered_dialect);
    let module = parse_module(&context, bytes, name)?;
    let sink = DiagnosticSink::default();
    let _guard = sink.attach(ir::Context(context.to_raw()));

    if !inv.steps.is_empty() {
        let pm = PassManager::new(&context);
        if let Err(e) = pipeline::populate(&pm, &inv.steps) {
            return Err(vec![Diagnostic::error(None, e.to_string())]);
        }
        if inv.timing {
            unsafe { mlirPassManagerEnableTiming(pm.to_raw()) };
        }
        let ok = unsafe { mlirPassManagerRunOnOp(pm.to_raw(), module.0 .0) };
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
        if let Ok(text) = std::str::from_utf8(bytes) {
            files.add(name, text.to_string());
        }
        for d in &leftovers {
            eprint!("{}", files.render(d));
        }
    }

    Ok(print_module(inv, module.0))
}

/// Prints `module` as requested: text (with the printing flags) or bytecode.
pub fn print_module(inv: &Invocation, module: Op) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    unsafe {
        if inv.emit_bytecode {
            mlirOperationWriteBytecode(module.0, Some(ir::append_to_vec), &mut out as *mut Vec<u8> as *mut _);
            return out;
        }
        let flags = mlirOpPrintingFlagsCreate();
        if let Some(n) = inv.elide_elements_larger_than {
            mlirOpPrintingFlagsElideLargeElementsAttrs(flags, n as isize);
        }
        if inv.print_debuginfo {
            mlirOpPrintingFlagsEnableDebugInfo(flags, true, false);
        }
        if inv.print_op_generic {
            mlirOpPrintingFlagsPrintGenericOpForm(flags);
        }
        if inv.print_local_scope {
            mlirOpPrintingFlagsUseLocalScope(flags);
        }
        mlirOperationPrintWithFlags(module.0, flags, Some(ir::append_to_vec), &mut out as *mut Vec<u8> as *mut _);
        mlirOpPrintingFlagsDestroy(flags);
    }
    out.push(b'\n');
    out
}
