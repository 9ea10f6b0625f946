//! Numeric checks on the CPU: the unpruned model reproduces PyTorch, and the
//! pruned model computes what the masked model computes.

use crate::common::{fixture, load, DIALECTS, MODELS};
use mcprune::exec::{max_abs_diff, read_tensors, run};

fn io(model: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(&format!("{model}.io.json"))).unwrap()).unwrap()
}

#[test]
fn unpruned_fixtures_reproduce_pytorch() {
    for model in MODELS {
        let io = io(model);
        let inputs = read_tensors(&io, "inputs");
        let expected = read_tensors(&io, "outputs");
        for dialect in DIALECTS {
            let loaded = load(&fixture(&format!("{model}.{dialect}.mlir")));
            let got = run(loaded.module.op(), &inputs).unwrap_or_else(|e| panic!("{model}.{dialect}: {e}"));
            assert_eq!(got.len(), expected.len());
            for (g, e) in got.iter().zip(&expected) {
                assert_eq!(g.shape, e.shape);
                let (diff, scale) = max_abs_diff(&g.data, &e.data);
                assert!(diff <= 1e-5 * scale.max(1.0), "{model}.{dialect}: max diff {diff} at scale {scale}");
            }
        }
    }
}

use mcprune::passes::component_prune::{parse_options, Outcome, SPEC};
use mcprune::passes::OptionValues;

/// Prunes a fresh copy of a fixture with `options` (the pass's option text).
pub fn prune(path: &str, options: &str) -> (crate::common::Loaded, Outcome) {
    let loaded = load(path);
    let values = OptionValues::parse(SPEC.name, SPEC.options, options).expect("options");
    let pass = parse_options(&values).expect("options");
    let outcome = pass.prune(loaded.module.op()).unwrap_or_else(|e| panic!("{path} {options}: {e}"));
    assert!(loaded.module.op().verify(), "{path} {options}: the pruned module fails the verifier");
    (loaded, outcome)
}

/// For every ratio, grouping and interface policy: the pruned module
/// verifies, removes the ratio (within 1 point) or says why not, and
/// computes what the masked module computes.
fn pruned_equals_masked(model: &str) {
    let io = io(model);
    let inputs = read_tensors(&io, "inputs");
    for dialect in DIALECTS {
        let path = fixture(&format!("{model}.{dialect}.mlir"));
        for ratio in ["0.1", "0.3", "0.5", "0.7"] {
            for grouping in ["component", "vanilla"] {
                for interfaces in ["keep", "prune"] {
                    let opts = format!("ratio={ratio} grouping={grouping} interfaces={interfaces}");
                    let (pruned, outcome) = prune(&path, &opts);
                    let (masked, _) = prune(&path, &format!("{opts} materialize=mask"));
                    let what = format!("{model}.{dialect} {opts}");
                    let target: f64 = ratio.parse().unwrap();
                    let reached = outcome.plan.ratio_reached();
                    assert!(
                        (reached - target).abs() <= 0.01 || !outcome.report.summary.notes.is_empty(),
                        "{what}: removed {reached:.4} without a note"
                    );
                    let a = run(pruned.module.op(), &inputs).unwrap_or_else(|e| panic!("{what}: {e}"));
                    let b = run(masked.module.op(), &inputs).unwrap_or_else(|e| panic!("{what} (mask): {e}"));
                    for (x, y) in a.iter().zip(&b) {
                        assert_eq!(x.shape, y.shape, "{what}");
                        let (diff, scale) = max_abs_diff(&x.data, &y.data);
                        assert!(diff <= 1e-5 * scale.max(1e-3), "{what}: pruned and masked differ by {diff} (scale {scale})");
                    }
                }
            }
        }
    }
}

#[test]
fn pruned_equals_masked_tdmpc_small() {
    pruned_equals_masked("tdmpc_small");
}

#[test]
fn pruned_equals_masked_jepa() {
    pruned_equals_masked("jepa");
}

#[test]
fn pruned_equals_masked_res_cnn() {
    pruned_equals_masked("res_cnn");
}

#[test]
fn pruned_equals_masked_concat_heads() {
    pruned_equals_masked("concat_heads");
}

#[test]
fn pruned_equals_masked_shared_cell() {
    pruned_equals_masked("shared_cell");
}
