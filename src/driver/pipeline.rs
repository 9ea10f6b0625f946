//! The pass pipeline: mcprune passes interleaved with upstream MLIR passes,
//! in one MLIR pass manager.
//!
//! The C API cannot register a Rust pass by name, so a textual pipeline that
//! names ours cannot go to MLIR's parser whole. `--pass-pipeline` is split
//! here at the top level: each element naming an mcprune pass becomes an
//! external pass, every other element is handed to MLIR's parser on its own,
//! and all of them are added, in order, to the same pass manager.

use crate::error::{Error, Result};
use crate::ir::{self, emit_error, Op};
use crate::passes::{self, ModulePass, PassSpec};
use melior::pass::{create_external, ExternalPass, PassManager, RunExternalPass};
use melior::ir::{r#type::TypeId, OperationRef};
use melior::ContextRef;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// One entry of the pipeline.
#[derive(Clone)]
pub enum Step {
    /// An mcprune pass, options already checked.
    Ours { spec: &'static PassSpec, pass: Arc<dyn ModulePass> },
    /// Upstream pipeline text for one element, e.g. `canonicalize{max-iterations=3}`
    /// or `func.func(tosa-to-linalg)`.
    Upstream {
        text: String,
        /// Given as `--name` rather than inside `--pass-pipeline`: nested
        /// where it can run (see [`resolve_flags`]).
        from_flag: bool,
    },
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Step::Ours { spec, .. } => write!(f, "Ours({})", spec.name),
            Step::Upstream { text, .. } => write!(f, "Upstream({text})"),
        }
    }
}

/// A pass given as a flag: `--canonicalize`, `--cse`,
/// `--component-prune=ratio=0.4`, `--canonicalize="max-iterations=3"`.
pub fn step_from_flag(name: &str, options: Option<&str>) -> Result<Step> {
    if let Some(spec) = passes::lookup(name) {
        let pass = passes::instantiate(spec, options.unwrap_or(""))?;
        return Ok(Step::Ours { spec, pass: Arc::from(pass) });
    }
    let text = match options {
        Some(o) if !o.trim().is_empty() => format!("{name}{{{o}}}"),
        _ => name.to_string(),
    };
    Ok(Step::Upstream { text, from_flag: true })
}

/// One top-level element of a textual pipeline.
#[derive(Debug, PartialEq, Eq)]
struct Element<'a> {
    name: &'a str,
    options: Option<&'a str>,
    nested: Option<&'a str>,
    text: &'a str,
}

/// Splits `a{x=1}, b, func.func(c, d)` at top-level commas.
fn split_elements(body: &str) -> Result<Vec<Element<'_>>> {
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth: Vec<u8> = Vec::new();
    let mut quote = false;
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'"' => quote = !quote,
            _ if quote => {}
            b'(' | b'{' => depth.push(c),
            b')' | b'}' => {
                let open = if c == b')' { b'(' } else { b'{' };
                if depth.pop() != Some(open) {
                    return Err(Error::Pipeline(format!("unbalanced '{}' at offset {i}", c as char)));
                }
            }
            b',' if depth.is_empty() => {
                out.push(parse_element(&body[start..i])?);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quote || !depth.is_empty() {
        return Err(Error::Pipeline("unterminated '(', '{' or '\"'".into()));
    }
    if !body[start..].trim().is_empty() || !out.is_empty() {
        out.push(parse_element(&body[start..])?);
    }
    Ok(out)
}

fn parse_element(text: &str) -> Result<Element<'_>> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::Pipeline("empty pass name".into()));
    }
    let name_end = text.find(['{', '(']).unwrap_or(text.len());
    let name = text[..name_end].trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
        return Err(Error::Pipeline(format!("'{text}' is not a pass name")));
    }
    let mut rest = &text[name_end..];
    let mut options = None;
    if let Some(r) = rest.strip_prefix('{') {
        let close = matching(r, '{', '}').ok_or_else(|| Error::Pipeline(format!("unterminated '{{' in '{text}'")))?;
        options = Some(&r[..close]);
        rest = r[close + 1..].trim_start();
    }
    let mut nested = None;
    if let Some(r) = rest.strip_prefix('(') {
        let close = matching(r, '(', ')').ok_or_else(|| Error::Pipeline(format!("unterminated '(' in '{text}'")))?;
        nested = Some(&r[..close]);
        rest = r[close + 1..].trim_start();
    }
    if !rest.is_empty() {
        return Err(Error::Pipeline(format!("unexpected '{rest}' after '{name}'")));
    }
    Ok(Element { name, options, nested, text })
}

/// Index of the bracket closing an already-opened one in `s`.
fn matching(s: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 1;
    let mut quote = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quote = !quote,
            _ if quote => {}
            c if c == open => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Parses `builtin.module(...)` into steps.
pub fn parse_pipeline(text: &str) -> Result<Vec<Step>> {
    let elements = split_elements(text)?;
    let [anchor] = elements.as_slice() else {
        return Err(Error::Pipeline(format!("expected one 'builtin.module(...)', got '{text}'")));
    };
    if anchor.name != "builtin.module" || anchor.options.is_some() {
        return Err(Error::Pipeline(format!(
            "the pipeline must be anchored on 'builtin.module(...)', got '{}'",
            anchor.name
        )));
    }
    let body = anchor.nested.ok_or_else(|| Error::Pipeline("expected '(' after 'builtin.module'".into()))?;
    let mut steps = Vec::new();
    for e in split_elements(body)? {
        if let Some(spec) = passes::lookup(e.name) {
            if e.nested.is_some() {
                return Err(Error::Pipeline(format!("'{}' runs on the module and takes no nested pipeline", e.name)));
            }
            let pass = passes::instantiate(spec, e.options.unwrap_or(""))?;
            steps.push(Step::Ours { spec, pass: Arc::from(pass) });
        } else {
            if e.nested.map(nested_names_ours).unwrap_or(false) {
                return Err(Error::Pipeline(format!(
                    "mcprune passes run on 'builtin.module' and cannot be nested in '{}'",
                    e.name
                )));
            }
            steps.push(Step::Upstream { text: e.text.to_string(), from_flag: false });
        }
    }
    Ok(steps)
}

/// Whether a nested pipeline names one of our passes anywhere.
fn nested_names_ours(body: &str) -> bool {
    split_elements(body)
        .map(|els| {
            els.iter().any(|e| passes::lookup(e.name).is_some() || e.nested.map(nested_names_ours).unwrap_or(false))
        })
        .unwrap_or(false)
}

/// Runs a Rust module pass inside MLIR's pass manager.
#[derive(Clone)]
struct ExternalModulePass {
    name: &'static str,
    pass: Arc<dyn ModulePass>,
}

impl<'c> RunExternalPass<'c> for ExternalModulePass {
    fn initialize(&mut self, _context: ContextRef<'c>) {}

    fn run(&mut self, operation: OperationRef<'c, '_>, pass: ExternalPass<'_>) {
        // SAFETY: the pass manager hands this pass a live module, which stays
        // alive, and is changed by nothing else, for the whole run.
        let module = unsafe { Op::from_raw(operation.to_raw()) };
        // A panic must not unwind into C++; report it as an internal error.
        let result = catch_unwind(AssertUnwindSafe(|| self.pass.run(module)));
        let message = match result {
            Ok(Ok(())) => return,
            Ok(Err(e)) => {
                let loc = e.location().unwrap_or_else(|| module.location());
                emit_error(loc, &e.to_string());
                pass.signal_failure();
                return;
            }
            Err(panic) => panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into()),
        };
        emit_error(module.location(), &format!("internal error in {}: {message}", self.name));
        pass.signal_failure();
    }
}

/// Adds upstream pipeline text to `opm`; returns MLIR's error text on failure.
fn add_upstream(opm: mlir_sys::MlirOpPassManager, text: &str) -> std::result::Result<(), String> {
    let mut message: Vec<u8> = Vec::new();
    // SAFETY: `opm` belongs to a live pass manager (the caller's); `text`
    // outlives the call, and the callback gets the `Vec<u8>` it expects.
    let ok = unsafe {
        mlir_sys::mlirOpPassManagerAddPipeline(
            opm,
            ir::sref(text),
            Some(ir::append_to_vec),
            &mut message as *mut Vec<u8> as *mut std::ffi::c_void,
        )
    };
    if ok.value != 0 {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&message).trim().to_string())
    }
}

/// Whether upstream pipeline `text` can run on a `builtin.module`: some
/// passes (interface passes such as `tosa-to-linalg`) only say so when the
/// pass manager starts, so this runs them once on an empty module.
fn schedulable_on_module(text: &str) -> bool {
    let context = super::new_context(false);
    let ctx = ir::Context::of(&context);
    // Swallow the probe's diagnostics; the real run reports its own.
    let sink = super::diagnostics::DiagnosticSink::default();
    let _guard = sink.attach(&context);
    let pm = PassManager::new(&context);
    if add_upstream(pm.as_operation_pass_manager().to_raw(), text).is_err() {
        return false;
    }
    let module = ir::OwnedOp::empty_module(ir::Location::unknown(ctx));
    // SAFETY: `pm` and the module belong to `context`, which outlives both;
    // no handle into the module is held across the run.
    let ok = unsafe { mlir_sys::mlirPassManagerRunOnOp(pm.to_raw(), module.op().raw()) };
    ok.value != 0
}

/// Adds every step to `pm`, in order.
pub fn populate(pm: &PassManager, steps: &[Step]) -> Result<()> {
    let opm = pm.as_operation_pass_manager().to_raw();
    for step in steps {
        match step {
            Step::Ours { spec, pass } => {
                let external = ExternalModulePass { name: spec.name, pass: pass.clone() };
                pm.add_pass(create_external(
                    external,
                    TypeId::create(*spec),
                    spec.name,
                    spec.name,
                    spec.summary,
                    "builtin.module",
                    &[],
                ));
            }
            Step::Upstream { text, .. } => {
                let message = match add_upstream(opm, text) {
                    Ok(()) => continue,
                    Err(message) => message,
                };
                let name = text.split(['{', '(']).next().unwrap_or(text);
                if message.contains("does not refer to a registered pass") {
                    return Err(Error::UnknownPass(name.to_string()));
                }
                return Err(Error::Pipeline(format!("'{text}': {message}")));
            }
        }
    }
    Ok(())
}

/// Resolves pass flags the way `mlir-opt`'s implicit nesting would, and a
/// step further: a flag whose pass cannot run on the module itself (a
/// function pass or a function-interface pass such as `tosa-to-linalg`) is
/// nested under `func.func`. Unknown passes are reported here, before any
/// input is read.
pub fn resolve_flags(steps: Vec<Step>) -> Result<Vec<Step>> {
    steps
        .into_iter()
        .map(|step| match step {
            Step::Upstream { text, from_flag: true } => {
                if schedulable_on_module(&text) {
                    return Ok(Step::Upstream { text, from_flag: true });
                }
                let nested = format!("func.func({text})");
                if schedulable_on_module(&nested) {
                    return Ok(Step::Upstream { text: nested, from_flag: true });
                }
                // Unknown passes and bad options get MLIR's own message.
                validate(std::slice::from_ref(&Step::Upstream { text: text.clone(), from_flag: true }))?;
                Err(Error::Pipeline(format!("'{text}' cannot run on 'builtin.module' or 'func.func'")))
            }
            other => Ok(other),
        })
        .collect()
}

/// Checks that every step can be added to a pass manager (upstream names
/// and options exist), before any input is read.
pub fn validate(steps: &[Step]) -> Result<()> {
    let context = super::new_context(false);
    let pm = PassManager::new(&context);
    populate(&pm, steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_top_level_elements() {
        let els = split_elements("a{x=1 y={p,q}}, b, func.func(c, d{z=2})").unwrap();
        let names: Vec<&str> = els.iter().map(|e| e.name).collect();
        assert_eq!(names, vec!["a", "b", "func.func"]);
        assert_eq!(els[0].options, Some("x=1 y={p,q}"));
        assert_eq!(els[2].nested, Some("c, d{z=2}"));
    }

    #[test]
    fn rejects_malformed_pipelines() {
        for bad in ["builtin.module(cse", "builtin.module(cse))", "cse", "builtin.module(a,,b)", "func.func(cse)"] {
            assert!(parse_pipeline(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn mixes_ours_and_upstream() {
        let steps = parse_pipeline("builtin.module(component-tag{depth=2}, canonicalize, func.func(cse))").unwrap();
        let kinds: Vec<String> = steps.iter().map(|s| format!("{s:?}")).collect();
        assert_eq!(kinds, vec!["Ours(component-tag)", "Upstream(canonicalize)", "Upstream(func.func(cse))"]);
    }

    #[test]
    fn our_passes_cannot_nest() {
        assert!(parse_pipeline("builtin.module(func.func(component-tag))").is_err());
    }
}
