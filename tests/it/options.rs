//! Options that change what is pruned, each checked for its effect (the
//! option errors are lit tests): the same model and ratio with and without
//! the option must differ the way the option says.

use crate::common::{fixture, load};
use crate::numeric::{calibration_file, io, prune};
use mcprune::analysis::Dependencies;
use mcprune::ir::exec::{max_abs_diff, read_tensors, run};
use mcprune::ir::dense::FloatElements;
use mcprune::passes::component_prune::{parse_options, Outcome, SPEC};
use mcprune::passes::OptionValues;

/// (channels, kept) of every prunable group the report lists (not pieces).
fn kept(outcome: &Outcome) -> Vec<(usize, usize)> {
    outcome
        .report
        .groups
        .iter()
        .filter(|g| g.kind != "piece" && g.prunable)
        .map(|g| (g.channels, g.channels - g.removed.len()))
        .collect()
}

#[test]
fn round_to_keeps_multiples_of_n() {
    let path = fixture("tdmpc_small.linalg.mlir");
    for n in [8usize, 16] {
        let (_, outcome) = prune(&path, &format!("ratio=0.4 round-to={n}"));
        let groups = kept(&outcome);
        let cut: Vec<_> = groups.iter().filter(|(c, k)| k < c).collect();
        assert!(!cut.is_empty(), "round-to={n}: nothing pruned");
        assert!(cut.iter().all(|(_, k)| k % n == 0), "round-to={n}: kept counts {groups:?}");
        let reached = outcome.plan.ratio_reached();
        assert!((reached - 0.4).abs() <= 0.01 || !outcome.report.summary.notes.is_empty(), "round-to={n}: {reached} without a note");
    }
    // Without it, the same ratio keeps counts that are not.
    let (_, outcome) = prune(&path, "ratio=0.4");
    assert!(kept(&outcome).iter().any(|(c, k)| k < c && k % 8 != 0), "{:?}", kept(&outcome));
}

#[test]
fn min_keep_is_the_floor_of_every_group() {
    let path = fixture("tdmpc_small.linalg.mlir");
    let options = "ratio=0.9 scope=local interfaces=prune";
    let (_, outcome) = prune(&path, options);
    let floor = kept(&outcome).iter().map(|&(_, k)| k).min().expect("groups");
    assert!(floor < 20, "{options}: the groups keep {:?} anyway", kept(&outcome));
    let (_, outcome) = prune(&path, &format!("{options} min-keep=20"));
    let groups = kept(&outcome);
    assert!(groups.iter().all(|&(c, k)| k >= 20.min(c)), "min-keep=20: {groups:?}");
    assert!(groups.iter().any(|&(c, k)| k == 20 && c > 20), "min-keep=20 bound nothing: {groups:?}");
}

/// Parameters left in `component`.
fn component_after(outcome: &Outcome, component: &str) -> u64 {
    outcome.report.components.iter().find(|c| c.name == component).map(|c| c.params_after).expect("component")
}

#[test]
fn component_weights_move_pruning_away_from_or_onto_a_component() {
    let path = fixture("tdmpc_small.linalg.mlir");
    let (_, plain) = prune(&path, "ratio=0.4");
    let (_, heavy) = prune(&path, "ratio=0.4 component-weights=encoder:10");
    let (_, light) = prune(&path, "ratio=0.4 component-weights=encoder:0.1");
    let (p, h, l) = (component_after(&plain, "encoder"), component_after(&heavy, "encoder"), component_after(&light, "encoder"));
    // Measured: 9032 unweighted, 14144 (all) at weight 10, 84 at 0.1.
    assert!(h > p && p > l, "encoder keeps {h} (weight 10), {p} (none), {l} (weight 0.1)");
    for o in [&plain, &heavy, &light] {
        assert!((o.plan.ratio_reached() - 0.4).abs() <= 0.01, "{}", o.plan.ratio_reached());
    }
}

#[test]
fn importance_l1_and_l2_rank_differently() {
    // Hidden channel 0 has weights [1, 1, 1, 1] (L1 4, L2 2), channel 1
    // [3, 0, 0, 0] (L1 3, L2 3), channel 2 is large; the head reads all
    // three alike (rows that are not all equal: an all-equal constant is a
    // splat, which the rewrite does not resize yet). One channel goes: L2
    // takes channel 0, L1 channel 1.
    let text = r#"
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x2xf32> {
  %w1 = arith.constant dense<[[1.0, 3.0, 5.0], [1.0, 0.0, 5.0], [1.0, 0.0, 5.0], [1.0, 0.0, 5.0]]> : tensor<4x3xf32> loc("enc.0"("m.py":1:1))
  %w2 = arith.constant dense<[[0.5, 0.25], [0.5, 0.25], [0.5, 0.25]]> : tensor<3x2xf32> loc("head.0"("m.py":2:1))
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<2x3xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x3xf32>) outs(%f1 : tensor<2x3xf32>) -> tensor<2x3xf32> loc("enc.0"("m.py":3:1))
  %e2 = tensor.empty() : tensor<2x2xf32>
  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<2x3xf32>, tensor<3x2xf32>) outs(%f2 : tensor<2x2xf32>) -> tensor<2x2xf32> loc("head.0"("m.py":4:1))
  return %y : tensor<2x2xf32>
}
"#;
    for (importance, gone) in [("l2", 0u32), ("l1", 1)] {
        let loaded = crate::common::parse(text);
        let outcome = crate::numeric::prune_module(loaded.module.op(), &format!("ratio=0.33 interfaces=prune importance={importance}"), importance);
        let removed: Vec<u32> = outcome.plan.removed.values().flatten().copied().collect();
        assert_eq!(removed, vec![gone], "importance={importance}");
    }
}

/// Every weight's values, in the module's order.
fn weight_values(module: mcprune::ir::Op) -> Vec<Vec<f32>> {
    let a = Dependencies::run(module);
    a.weights()
        .iter()
        .map(|w| {
            let op = a.op(w.op);
            let attr = op.attribute("value").or_else(|| op.attribute("values")).expect("data");
            FloatElements::read(attr).expect("readable").expect("float").to_f32()
        })
        .collect()
}

#[test]
fn compensate_none_leaves_kept_weights_alone_and_mean_does_not() {
    // Masked, the pruned model keeps every weight's shape: compensate=none
    // may only zero elements, compensate=mean must change kept ones.
    let model = "tdmpc_small";
    let calib = calibration_file(model);
    let path = fixture(&format!("{model}.linalg.mlir"));
    let original = weight_values(load(&path).module.op());
    let changed = |compensate: &str| -> (usize, usize) {
        let (masked, outcome) = prune(&path, &format!("ratio=0.4 calibration={calib} compensate={compensate} materialize=mask"));
        assert!(outcome.plan.removed.values().any(|r| !r.is_empty()), "{compensate}: nothing removed");
        let after = weight_values(masked.module.op());
        assert_eq!(after.len(), original.len(), "{compensate}: weights");
        let (mut zeroed, mut other) = (0, 0);
        for (a, o) in after.iter().zip(&original) {
            assert_eq!(a.len(), o.len(), "{compensate}: a weight changed size under mask");
            for (x, y) in a.iter().zip(o) {
                if x != y {
                    if *x == 0.0 { zeroed += 1 } else { other += 1 }
                }
            }
        }
        (zeroed, other)
    };
    let none = changed("none");
    let mean = changed("mean");
    let _ = std::fs::remove_file(&calib);
    assert!(none.0 > 0, "compensate=none: nothing zeroed");
    assert_eq!(none.1, 0, "compensate=none changed {} kept weight elements", none.1);
    assert!(mean.1 > 0, "compensate=mean changed no kept weight element");
}

#[test]
fn ridge_changes_the_least_squares_compensation() {
    let model = "tdmpc_small";
    let calib = calibration_file(model);
    let path = fixture(&format!("{model}.linalg.mlir"));
    let inputs = read_tensors(&io(model), "inputs");
    let mut runs = Vec::new();
    for ridge in ["0.001", "100"] {
        // Ranked by variance: elimination (the default) measures what the
        // fit leaves, so the ridge moves its ranking too.
        let (pruned, outcome) =
            prune(&path, &format!("ratio=0.4 calibration={calib} compensate=lstsq calibrated-importance=variance ridge={ridge}"));
        let outputs = run(pruned.module.op(), &inputs).unwrap_or_else(|e| panic!("ridge={ridge}: {e}"));
        runs.push((outcome.plan.removed.clone(), outputs));
    }
    let _ = std::fs::remove_file(&calib);
    // The same channels go (ridge only changes the fit), yet the outputs differ.
    assert_eq!(runs[0].0, runs[1].0, "ridge changed the selection");
    let moved = runs[0].1.iter().zip(&runs[1].1).map(|(a, b)| max_abs_diff(&a.data, &b.data).0).fold(0f32, f32::max);
    assert!(moved > 1e-4, "ridge=0.001 and ridge=100 give the same outputs ({moved})");
}

/// `calibrated-importance=elimination` (the default with least squares)
/// ranks by what the refit leaves, `variance` by the activation variance:
/// on the TD-MPC fixture they remove different channels, and elimination
/// without least squares is refused.
#[test]
fn calibrated_importance_changes_the_selection() {
    let model = "tdmpc_small";
    let calib = calibration_file(model);
    let path = fixture(&format!("{model}.linalg.mlir"));
    let removed = |how: &str| prune(&path, &format!("ratio=0.4 round-to=1 calibration={calib} {how}")).1.plan.removed;
    let (default, elimination, variance) = (removed(""), removed("calibrated-importance=elimination"), removed("calibrated-importance=variance"));
    let _ = std::fs::remove_file(&calib);
    let values = OptionValues::parse(SPEC.name, SPEC.options, "ratio=0.4 calibration=x.npz compensate=mean calibrated-importance=elimination")
        .expect("the options parse");
    let refused = parse_options(&values).map(|_| ()).map_err(|e| e.to_string());
    assert_eq!(default, elimination, "elimination is the default with calibration");
    assert_ne!(elimination, variance, "the two rankings removed the same channels");
    let err = refused.expect_err("elimination with compensate=mean is refused");
    assert!(err.contains("compensate=lstsq"), "{err}");
}
