//! The normalization phase rewrites ops into equivalent ones: on the models
//! it changes, the normalized module computes what the input computes.

use crate::common::{fixture, load};
use crate::numeric::io;
use mcprune::ir::exec::{max_abs_diff, read_tensors, run};
use mcprune::normalize;

/// `path` normalized rewrites `gathers` gathers and computes the outputs
/// of the input, within float noise, on `inputs`.
fn normalizes_to_the_same_outputs(path: &str, inputs: &[mcprune::ir::exec::Tensor], gathers: usize) {
    let original = load(path);
    let before = run(original.module.op(), inputs).unwrap_or_else(|e| panic!("{path}: {e}"));
    let normalized = load(path);
    assert!(normalize::needed(normalized.module.op()), "{path}: nothing to normalize");
    let done = normalize::run(normalized.module.op()).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(done.gathers, gathers, "{path}: gathers rewritten");
    assert!(normalized.module.op().verify(), "{path}: the normalized module fails the verifier");
    assert!(!normalize::needed(normalized.module.op()), "{path}: a second run would change it again");
    let text = normalized.module.op().to_text();
    let after = run(normalized.module.op(), inputs).unwrap_or_else(|e| panic!("{path} (normalized): {e}"));
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.shape, a.shape, "{path}");
        let (diff, scale) = max_abs_diff(&a.data, &b.data);
        assert!(diff <= 1e-6 * scale.max(1.0), "{path}: normalized differs by {diff} at scale {scale}");
    }
    // What was rewritten is gone: no gather reads a flat [1, K, 1] tensor.
    assert!(
        !text.lines().any(|l| l.contains("tosa.gather") && l.contains("x1xf32>, tensor<1x")),
        "{path}: a flat gather is left"
    );
}

/// The reduced model of `lit/component-prune/tosa-flat-gather.mlir`: a
/// token gather of rows and a copy.
#[test]
fn a_token_gather_and_a_copy_normalize_to_the_same_outputs() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lit/component-prune/tosa-flat-gather.mlir");
    let input = mcprune::ir::exec::Tensor { shape: vec![1, 4, 6], data: (0..24).map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0).collect() };
    normalizes_to_the_same_outputs(&path.display().to_string(), &[input], 2);
}

/// I-JEPA's token gathers (context and target patches, the predictor's
/// positional embeddings: rows), ConvNeXt's adaptive pool of a 1x1 map
/// and GroupNorm's affine tables (copies), as torch-mlir's TOSA lowers
/// them.
#[test]
fn exported_tosa_gathers_normalize_to_the_same_outputs() {
    for (model, gathers) in [("corpus/ijepa_tiny", 4), ("corpus/convnext_tiny_narrow", 1), ("group_norm", 2)] {
        let inputs = read_tensors(&io(model), "inputs");
        normalizes_to_the_same_outputs(&fixture(&format!("{model}.tosa.mlir")), &inputs, gathers);
    }
}
