//! Helpers shared by the integration tests.

use mcprune::driver::{load_file, new_context};
use mcprune::ir::OwnedOp;
use melior::Context;
use std::path::PathBuf;

/// The repository's test fixtures.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(name: &str) -> String {
    fixtures_dir().join(name).to_string_lossy().into_owned()
}

/// The five exporter fixtures, by model name.
pub const MODELS: &[&str] = &["tdmpc_small", "jepa", "res_cnn", "concat_heads", "shared_cell"];
/// Fixtures with LayerNorm'd hidden layers, each with its generator in
/// `tests/fixtures/NAME/`. Masking cannot reproduce pruning them (a zeroed
/// channel still counts in a mean), so they are checked otherwise.
pub const LAYERNORM_MODELS: &[&str] = &["normed_mlp", "tdmpc2_like"];
/// Fixtures whose channels pass through slices: a trunk chunked into two
/// heads, and a GRU-style cell chunked into gates
/// (`tests/fixtures/sliced/generate.py`).
pub const SLICED_MODELS: &[&str] = &["split_trunk", "gated_cell"];
pub const DIALECTS: &[&str] = &["linalg", "tosa"];

/// `reference.json`: components and Torch-Pruning's numbers per model.
pub fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("reference.json")).expect("reference.json");
    serde_json::from_str(&text).expect("reference.json parses")
}

/// Every model with Torch-Pruning reference numbers: those of
/// `reference.json` and `tdmpc2_like` (its `io.json` holds its own).
pub fn references() -> Vec<(&'static str, serde_json::Value)> {
    let all = reference();
    let mut out: Vec<(&'static str, serde_json::Value)> = MODELS.iter().map(|&m| (m, all[m].clone())).collect();
    let io: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("tdmpc2_like.io.json")).expect("io.json")).expect("parses");
    out.push(("tdmpc2_like", io["reference"].clone()));
    out
}

/// A parsed module with the context that owns it (dropped in the right order).
pub struct Loaded {
    pub module: OwnedOp,
    /// Owns the module's IR; never read, only kept alive.
    _context: Context,
}

pub fn load(path: &str) -> Loaded {
    let context = new_context(false);
    let module = load_file(&context, path).unwrap_or_else(|e| panic!("{e}"));
    // SAFETY of field order: `module` is declared first, so it is dropped
    // before `context`.
    Loaded { module, _context: context }
}

/// Parses MLIR text (for hand-written test models).
pub fn parse(text: &str) -> Loaded {
    let context = new_context(true);
    let module = mcprune::driver::parse_module(&context, text.as_bytes(), "test.mlir").unwrap_or_else(|diags| {
        panic!("{}", diags.iter().map(|d| d.message.clone()).collect::<Vec<_>>().join("\n"))
    });
    Loaded { module, _context: context }
}

/// Appends a `dialect_resources` section with f32 blobs (values 0.5, 1.0,
/// 1.5, ... so every element differs) named and sized as given.
pub fn with_blobs(text: &str, blobs: &[(&str, usize)]) -> String {
    let mut out = String::from(text);
    out.push_str("{-#\n  dialect_resources: {\n    builtin: {\n");
    for (i, (name, n)) in blobs.iter().enumerate() {
        let mut hex = String::from("0x04000000");
        for k in 0..*n {
            for b in (0.5 * (k + 1) as f32).to_le_bytes() {
                hex.push_str(&format!("{b:02X}"));
            }
        }
        let comma = if i + 1 < blobs.len() { "," } else { "" };
        out.push_str(&format!("      {name}: \"{hex}\"{comma}\n"));
    }
    out.push_str("    }\n  }\n#-}\n");
    out
}
