//! Numeric checks on the CPU: the unpruned model reproduces PyTorch, and the
//! pruned model computes what the masked model computes.

use crate::common::{fixture, load, DIALECTS, LAYERNORM_MODELS, MODELS, SLICED_MODELS};
use mcprune::exec::{max_abs_diff, read_tensors, run};

fn io(model: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(&format!("{model}.io.json"))).unwrap()).unwrap()
}

#[test]
fn unpruned_fixtures_reproduce_pytorch() {
    for model in MODELS.iter().chain(LAYERNORM_MODELS).chain(SLICED_MODELS) {
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
    let outcome = prune_module(loaded.module.op(), options, path);
    (loaded, outcome)
}

/// Runs `component-prune` with `options` on `module` in place; `what`
/// names it in failures.
pub fn prune_module(module: mcprune::ir::Op, options: &str, what: &str) -> Outcome {
    let values = OptionValues::parse(SPEC.name, SPEC.options, options).expect("options");
    let pass = parse_options(&values).expect("options");
    let outcome = pass.prune(module).unwrap_or_else(|e| panic!("{what} {options}: {e}"));
    assert!(module.verify(), "{what} {options}: the pruned module fails the verifier");
    outcome
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
fn pruned_equals_masked_split_trunk() {
    pruned_equals_masked("split_trunk");
}

#[test]
fn pruned_equals_masked_gated_cell() {
    pruned_equals_masked("gated_cell");
}

#[test]
fn pruned_equals_masked_shared_cell() {
    pruned_equals_masked("shared_cell");
}

/// Calibration inputs for a fixture: its own example inputs.
fn calibration_file(model: &str) -> String {
    let io = io(model);
    let path = std::env::temp_dir().join(format!("mcprune-calibration-{model}-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::json!({"inputs": io["inputs"]}).to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn calibrated_pruning_still_equals_masking() {
    // Compensation rewrites kept weights and biases before the plan is
    // applied, in both materializations alike.
    for model in ["tdmpc_small", "res_cnn", "concat_heads"] {
        let calib = calibration_file(model);
        let inputs = read_tensors(&io(model), "inputs");
        for dialect in DIALECTS {
            let path = fixture(&format!("{model}.{dialect}.mlir"));
            for compensate in ["mean", "lstsq"] {
                let opts = format!("ratio=0.4 interfaces=prune calibration={calib} compensate={compensate}");
                let (pruned, _) = prune(&path, &opts);
                let (masked, _) = prune(&path, &format!("{opts} materialize=mask"));
                let a = run(pruned.module.op(), &inputs).unwrap();
                let b = run(masked.module.op(), &inputs).unwrap();
                for (x, y) in a.iter().zip(&b) {
                    let (diff, scale) = max_abs_diff(&x.data, &y.data);
                    assert!(diff <= 1e-5 * scale.max(1e-3), "{model}.{dialect} {compensate}: {diff} (scale {scale})");
                }
            }
        }
        let _ = std::fs::remove_file(calib);
    }
}

#[test]
fn calibrated_pruning_of_the_trained_model_keeps_its_task_loss() {
    // Calibrated on the held-out inputs' even rows, 40% of the parameters go
    // and the task loss on the odd rows stays within 1.5x of the unpruned
    // model's (the fidelity benchmark measures 0.75x; weight magnitude
    // alone loses ~13x here).
    let heldout: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("trained/tdmpc_trained.heldout.json")).unwrap()).unwrap();
    let inputs = read_tensors(&heldout, "inputs");
    let pick = |t: &mcprune::exec::Tensor, parity: usize| {
        let rows = t.shape[0] as usize;
        let w = t.data.len() / rows;
        let picked: Vec<usize> = (0..rows).filter(|i| i % 2 == parity).collect();
        let data = (0..rows).flat_map(|k| t.data[picked[k % picked.len()] * w..][..w].to_vec()).collect();
        mcprune::exec::Tensor { shape: t.shape.clone(), data }
    };
    let even: Vec<_> = inputs.iter().map(|t| pick(t, 0)).collect();
    let odd: Vec<_> = inputs.iter().map(|t| pick(t, 1)).collect();
    let target = |k: &str| mcprune::exec::Tensor {
        shape: vec![256, 1],
        data: heldout["targets"][k]["data"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect(),
    };
    let (reward, pi) = (pick(&target("reward"), 1), pick(&target("pi"), 1));
    let loss = |out: &[mcprune::exec::Tensor]| -> f64 {
        let mse = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>() / a.len() as f64;
        mse(&out[0].data, &reward.data) + mse(&out[1].data, &pi.data)
    };
    let calib = std::env::temp_dir().join(format!("mcprune-trained-calibration-{}.json", std::process::id()));
    let json = serde_json::json!({"inputs": even.iter().map(|t| serde_json::json!({"shape": t.shape, "data": t.data})).collect::<Vec<_>>()});
    std::fs::write(&calib, json.to_string()).unwrap();
    let path = fixture("trained/tdmpc_trained.linalg.mlir");
    let base = loss(&run(load(&path).module.op(), &odd).unwrap());
    let (pruned, outcome) = prune(&path, &format!("ratio=0.4 calibration={}", calib.display()));
    let _ = std::fs::remove_file(&calib);
    assert!((outcome.plan.ratio_reached() - 0.4).abs() < 0.01);
    let after = loss(&run(pruned.module.op(), &odd).unwrap());
    assert!(after / base < 1.5, "task loss {after} against {base} unpruned");
}

/// LayerNorm'd hidden dims prune like Torch-Pruning prunes `nn.LayerNorm`:
/// the statistics run over the kept channels. Masking cannot show that (a
/// zeroed channel still counts in the mean), so the reference is PyTorch:
/// the fixture holds the outputs of the PyTorch model with exactly these
/// channels sliced out (`tests/fixtures/normed_mlp/generate.py`).
#[test]
fn layernormed_channels_prune_like_pytorch_slicing() {
    let io = io("normed_mlp");
    let inputs = read_tensors(&io, "inputs");
    let reference = &io["pruned"];
    let options = reference["options"].as_str().expect("options");
    let expected = read_tensors(reference, "outputs");
    let want_removed: std::collections::BTreeMap<String, Vec<u32>> =
        serde_json::from_value(reference["removed"].clone()).expect("removed");
    assert_eq!(want_removed.len(), 2, "both LayerNorm'd hidden dims are pruned in the reference");
    for dialect in DIALECTS {
        let what = format!("normed_mlp.{dialect} {options}");
        let unpruned = load(&fixture(&format!("normed_mlp.{dialect}.mlir")));
        let got = run(unpruned.module.op(), &inputs).unwrap_or_else(|e| panic!("{what}: {e}"));
        let (diff, scale) = max_abs_diff(&got[0].data, &read_tensors(&io, "outputs")[0].data);
        assert!(diff <= 1e-5 * scale.max(1.0), "{what}: unpruned differs from PyTorch by {diff}");

        let (pruned, outcome) = prune(&fixture(&format!("normed_mlp.{dialect}.mlir")), options);
        let removed: std::collections::BTreeMap<String, Vec<u32>> = outcome
            .report
            .groups
            .iter()
            .filter(|g| !g.removed.is_empty())
            .map(|g| (g.components.join(","), g.removed.clone()))
            .collect();
        assert_eq!(removed, want_removed, "{what}: the reference was made for other channels");
        let got = run(pruned.module.op(), &inputs).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(got[0].shape, expected[0].shape);
        let (diff, scale) = max_abs_diff(&got[0].data, &expected[0].data);
        assert!(diff <= 1e-5 * scale.max(1.0), "{what}: differs from sliced PyTorch by {diff} at scale {scale}");
        // And it is a different function from the unpruned one: the test
        // would notice constants left at the old counts.
        let (moved, _) = max_abs_diff(&got[0].data, &read_tensors(&io, "outputs")[0].data);
        assert!(moved > 1e-3, "{what}: pruning changed nothing ({moved})");
    }
}

/// A TD-MPC2-shaped model (LayerNorm + Mish everywhere, SimNorm latent, Q
/// ensemble) prunes to the ratio in both dialects, the same channels go in
/// both, and the two pruned models compute the same function, which is not
/// the unpruned one.
#[test]
fn tdmpc2_like_prunes_alike_in_both_dialects() {
    let io = io("tdmpc2_like");
    let inputs = read_tensors(&io, "inputs");
    let unpruned = read_tensors(&io, "outputs");
    for options in ["ratio=0.4", "ratio=0.3 scope=local grouping=vanilla interfaces=prune"] {
        let mut runs = Vec::new();
        for dialect in DIALECTS {
            let what = format!("tdmpc2_like.{dialect} {options}");
            let (pruned, outcome) = prune(&fixture(&format!("tdmpc2_like.{dialect}.mlir")), options);
            let target: f64 = options.split(' ').next().and_then(|r| r.strip_prefix("ratio=")).unwrap().parse().unwrap();
            let reached = outcome.plan.ratio_reached();
            assert!(
                (reached - target).abs() <= 0.01 || !outcome.report.summary.notes.is_empty(),
                "{what}: removed {reached:.4} without a note"
            );
            let removed: Vec<(Vec<String>, usize, Vec<u32>)> = outcome
                .report
                .groups
                .iter()
                .filter(|g| !g.removed.is_empty())
                .map(|g| (g.components.clone(), g.channels, g.removed.clone()))
                .collect();
            let outputs = run(pruned.module.op(), &inputs).unwrap_or_else(|e| panic!("{what}: {e}"));
            runs.push((what, removed, outputs));
        }
        let [(_, linalg_removed, linalg), (what, tosa_removed, tosa)] = runs.as_slice() else { unreachable!() };
        let mut a = linalg_removed.clone();
        let mut b = tosa_removed.clone();
        a.sort();
        b.sort();
        assert_eq!(a, b, "{what}: the dialects prune different channels");
        for (l, t) in linalg.iter().zip(tosa) {
            assert_eq!(l.shape, t.shape);
            let (diff, scale) = max_abs_diff(&l.data, &t.data);
            assert!(diff <= 1e-5 * scale.max(1.0), "{what}: linalg and TOSA differ by {diff}");
        }
        let moved = linalg.iter().zip(&unpruned).map(|(l, u)| max_abs_diff(&l.data, &u.data).0).fold(0.0f32, f32::max);
        assert!(moved > 1e-3, "{options}: pruning changed nothing");
    }
}
