//! Reading locations: the module path an exporter recorded (name locations)
//! and the source position a diagnostic points at (file:line:col).

use super::{context_str, print_to_string, Location};
use mlir_sys::*;

/// The structure of a location, one level deep.
#[derive(Clone, Debug)]
pub enum LocKind {
    Name { name: &'static str, child: Location },
    CallSite { callee: Location, caller: Location },
    Fused(Vec<Location>),
    FileLineCol { file: &'static str, line: usize, col: usize },
    Other,
}

impl Location {
    pub fn context(self) -> super::Context {
        // SAFETY: live location (module invariant).
        super::Context(unsafe { mlirLocationGetContext(self.0) })
    }

    pub fn kind(self) -> LocKind {
        let is = |test: unsafe extern "C" fn(MlirLocation) -> bool| {
            // SAFETY: live location (module invariant); `test` is one of the
            // C API's kind tests below, which accept any location.
            unsafe { test(self.0) }
        };
        if is(mlirLocationIsAName) {
            // SAFETY: live location, checked to be a name location; its name
            // lives in the context during the call.
            let (name, child) = unsafe {
                (context_str(mlirIdentifierStr(mlirLocationNameGetName(self.0))), mlirLocationNameGetChildLoc(self.0))
            };
            LocKind::Name { name, child: Location(child) }
        } else if is(mlirLocationIsACallSite) {
            // SAFETY: live location, checked to be a call-site location.
            let (callee, caller) = unsafe { (mlirLocationCallSiteGetCallee(self.0), mlirLocationCallSiteGetCaller(self.0)) };
            LocKind::CallSite { callee: Location(callee), caller: Location(caller) }
        } else if is(mlirLocationIsAFused) {
            // SAFETY: live location, checked to be a fused location.
            let n = unsafe { mlirLocationFusedGetNumLocations(self.0) } as usize;
            let mut locs = vec![MlirLocation { ptr: std::ptr::null_mut() }; n];
            // SAFETY: a fused location of `n` members, written into `n` slots.
            unsafe { mlirLocationFusedGetLocations(self.0, locs.as_mut_ptr()) };
            LocKind::Fused(locs.into_iter().map(Location).collect())
        } else if is(mlirLocationIsAFileLineColRange) {
            // SAFETY: live location, checked to be a file:line:col range; its
            // file name lives in the context during the call.
            let (file, line, col) = unsafe {
                (
                    context_str(mlirIdentifierStr(mlirLocationFileLineColRangeGetFilename(self.0))),
                    mlirLocationFileLineColRangeGetStartLine(self.0),
                    mlirLocationFileLineColRangeGetStartColumn(self.0),
                )
            };
            LocKind::FileLineCol { file, line: line.max(0) as usize, col: col.max(0) as usize }
        } else {
            LocKind::Other
        }
    }

    /// The first name location found depth-first, looking through call-site
    /// (callee before caller) and fused locations. A name location's own name
    /// wins over names nested in its child.
    pub fn first_name(self) -> Option<&'static str> {
        match self.kind() {
            LocKind::Name { name, .. } => Some(name),
            LocKind::CallSite { callee, caller } => callee.first_name().or_else(|| caller.first_name()),
            LocKind::Fused(locs) => locs.into_iter().find_map(|l| l.first_name()),
            LocKind::FileLineCol { .. } | LocKind::Other => None,
        }
    }

    /// The source position to show for a diagnostic: the first file:line:col
    /// found depth-first (name child, call-site callee, then caller, fused
    /// members in order), as MLIR's own source-manager handler chooses it.
    pub fn file_line_col(self) -> Option<(&'static str, usize, usize)> {
        match self.kind() {
            LocKind::FileLineCol { file, line, col } => Some((file, line, col)),
            LocKind::Name { child, .. } => child.file_line_col(),
            LocKind::CallSite { callee, caller } => callee.file_line_col().or_else(|| caller.file_line_col()),
            LocKind::Fused(locs) => locs.into_iter().find_map(|l| l.file_line_col()),
            LocKind::Other => None,
        }
    }

    pub fn unknown(ctx: super::Context) -> Location {
        // SAFETY: live context (module invariant).
        Location(unsafe { mlirLocationUnknownGet(ctx.0) })
    }

    pub fn file_line_col_new(ctx: super::Context, file: &str, line: usize, col: usize) -> Location {
        // SAFETY: live context (module invariant); `file` outlives the call.
        Location(unsafe { mlirLocationFileLineColGet(ctx.0, super::sref(file), line as u32, col as u32) })
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let l = *self;
        // SAFETY: live location (module invariant); the callback and its
        // buffer are the pair `print_to_string` provides.
        f.write_str(&print_to_string(|cb, ud| unsafe { mlirLocationPrint(l.0, cb, ud) }))
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A module path as an exporter wrote it, split into segments.
///
/// - PyTorch (`nn_module_stack`): `encoder.net.0` → `encoder`, `net`, `0`.
/// - ONNX node names: `/encoder/fc1/Gemm` → `encoder`, `fc1` (the last
///   segment names the node itself, not a module, and is dropped).
/// - ONNX value names (`onnx::Conv_194`) are no path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModulePath {
    pub segments: Vec<String>,
    pub separator: char,
}

impl ModulePath {
    pub fn parse(name: &str) -> Option<ModulePath> {
        let name = name.trim();
        // `onnx::Conv_194`: an ONNX value (an initializer torch-mlir's TOSA
        // import puts on a folded bias), not a module; such an op is
        // tagged by its users instead.
        if name.is_empty() || name.contains("::") {
            return None;
        }
        if let Some(rest) = name.strip_prefix('/') {
            let mut segments: Vec<String> = rest.split('/').filter(|s| !s.is_empty()).map(String::from).collect();
            segments.pop();
            return (!segments.is_empty()).then_some(ModulePath { segments, separator: '/' });
        }
        let segments: Vec<String> = name.split('.').filter(|s| !s.is_empty()).map(String::from).collect();
        (!segments.is_empty()).then_some(ModulePath { segments, separator: '.' })
    }

    /// The first `depth` segments joined by the path's separator.
    pub fn prefix(&self, depth: usize) -> String {
        let n = depth.max(1).min(self.segments.len());
        self.segments[..n].join(&self.separator.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::ModulePath;

    #[test]
    fn pytorch_paths() {
        let p = ModulePath::parse("encoder.net.0").unwrap();
        assert_eq!(p.prefix(1), "encoder");
        assert_eq!(p.prefix(2), "encoder.net");
        assert_eq!(p.prefix(9), "encoder.net.0");
    }

    #[test]
    fn onnx_paths_drop_the_node_name() {
        let p = ModulePath::parse("/encoder/fc1/Gemm").unwrap();
        assert_eq!(p.prefix(1), "encoder");
        assert_eq!(p.prefix(2), "encoder/fc1");
        assert_eq!(ModulePath::parse("/Gemm"), None);
    }

    #[test]
    fn onnx_value_names_are_not_paths() {
        assert_eq!(ModulePath::parse("onnx::Conv_194"), None);
    }

    #[test]
    fn empty_names_are_not_paths() {
        assert_eq!(ModulePath::parse(""), None);
        assert_eq!(ModulePath::parse("..."), None);
    }
}
