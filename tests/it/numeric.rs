//! Numeric checks on the CPU: the unpruned model reproduces PyTorch, and the
//! pruned model computes what the masked model computes.

use crate::common::{fixture, load, DIALECTS, LAYERNORM_MODELS, MODELS, SLICED_MODELS};
use mcprune::ir::exec::{max_abs_diff, read_tensors, run, run_sets, Tensor};

pub fn io(model: &str) -> serde_json::Value {
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

/// The selection these tests were written for, from before `rank=lamp`,
/// `max-ratio=0.9` and `round-to=auto` became the defaults: the tests are
/// about the analysis, the rewrite and the options' effects, and pin their
/// selection. What the defaults do is checked by the lit suite
/// (`component-prune/selection.test`, `docs/readme-worked-example.test`)
/// and by `calibrated_pruning_of_the_trained_model_keeps_its_task_loss`
/// below, which names the defaults.
const CLASSIC_SELECTION: &[(&str, &str)] = &[("rank", "cost"), ("max-ratio", "1"), ("round-to", "1")];

/// `options` with the classic selection for every key it does not set.
pub fn with_classic_selection(options: &str) -> String {
    let mut out = options.to_string();
    for (key, value) in CLASSIC_SELECTION {
        let set = options.split_whitespace().any(|o| o.split('=').next() == Some(*key));
        if !set {
            out.push_str(&format!(" {key}={value}"));
        }
    }
    out
}

/// Runs `component-prune` with `options` (completed by the classic
/// selection) on `module` in place; `what` names it in failures.
pub fn prune_module(module: mcprune::ir::Op, options: &str, what: &str) -> Outcome {
    let options = &with_classic_selection(options);
    let values = OptionValues::parse(SPEC.name, SPEC.options, options).expect("options");
    let pass = parse_options(&values).expect("options");
    let outcome = pass.prune(module).unwrap_or_else(|e| panic!("{what} {options}: {e}"));
    assert!(module.verify(), "{what} {options}: the pruned module fails the verifier");
    outcome
}

/// `n` input sets for a fixture: its own inputs, then `n - 1` sets drawn
/// from a fixed pseudo-random sequence at the scale of its own inputs. The
/// fixtures' batch is fixed by their signatures (1 to 4 rows, 1 for
/// res_cnn), so several sets make every comparison cover several rows.
fn input_sets(io: &serde_json::Value, n: usize) -> Vec<Vec<Tensor>> {
    let own = read_tensors(io, "inputs");
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = move || {
        // xorshift64*: deterministic, no dependency.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut sets = vec![own.clone()];
    for _ in 1..n {
        sets.push(
            own.iter()
                .map(|t| {
                    let scale = t.data.iter().map(|v| v.abs()).fold(0f32, f32::max).max(1e-3);
                    let data = t.data.iter().map(|_| (uniform() * 2.0 - 1.0) * scale).collect();
                    Tensor { shape: t.shape.clone(), data }
                })
                .collect(),
        );
    }
    sets
}

/// Pruned against masked outputs, set by set: as many outputs as the
/// model has (`outputs`), same shapes, equal within float noise. Returns
/// how far the pruned outputs moved from `unpruned`, relative to their
/// scale (largest over all outputs and sets).
fn compare(what: &str, pruned: &[Vec<Tensor>], masked: &[Vec<Tensor>], unpruned: &[Vec<Tensor>], outputs: usize) -> f32 {
    assert_eq!(pruned.len(), unpruned.len(), "{what}: input sets");
    assert_eq!(masked.len(), unpruned.len(), "{what}: input sets (mask)");
    let mut moved = 0f32;
    for ((a, b), u) in pruned.iter().zip(masked).zip(unpruned) {
        assert_eq!(a.len(), outputs, "{what}: outputs of the pruned model");
        assert_eq!(b.len(), outputs, "{what}: outputs of the masked model");
        for ((x, y), z) in a.iter().zip(b).zip(u) {
            assert_eq!(x.shape, y.shape, "{what}");
            assert_eq!(x.shape, z.shape, "{what}");
            let (diff, scale) = max_abs_diff(&x.data, &y.data);
            assert!(diff <= 1e-5 * scale.max(1e-3), "{what}: pruned and masked differ by {diff} (scale {scale})");
            let (m, s) = max_abs_diff(&x.data, &z.data);
            moved = moved.max(m / s.max(1e-3));
        }
    }
    moved
}

/// The plan removed channels, and fewer parameters remain.
fn assert_removed_something(what: &str, outcome: &Outcome) {
    let channels: usize = outcome.plan.removed.values().map(Vec::len).sum();
    assert!(channels > 0, "{what}: no channel removed");
    assert!(outcome.plan.params_after < outcome.plan.params_before, "{what}: no parameter removed");
}

/// Models and option sets that cannot prune anything: in `split_trunk` and
/// `gated_cell` every channel that could go crosses from one component to
/// another, so with interfaces kept there is nothing to cut (the report
/// says so in a note).
const NOTHING_TO_PRUNE: &[(&str, &str)] =
    &[("split_trunk", "grouping=component interfaces=keep"), ("gated_cell", "grouping=component interfaces=keep")];

/// For every ratio, grouping and interface policy: the pruned module
/// verifies, removes the ratio (within 1 point) or says why not, removes
/// something (except the cases of `NOTHING_TO_PRUNE`, which must change
/// nothing), and on four input sets computes what the masked module
/// computes, which is not what the unpruned module computes.
fn pruned_equals_masked(model: &str) {
    let io = io(model);
    let sets = input_sets(&io, 4);
    let outputs = read_tensors(&io, "outputs").len();
    assert!(outputs > 0, "{model}: io.json has no outputs");
    for dialect in DIALECTS {
        let path = fixture(&format!("{model}.{dialect}.mlir"));
        let unpruned = run_sets(load(&path).module.op(), &sets).unwrap_or_else(|e| panic!("{model}.{dialect}: {e}"));
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
                    let a = run_sets(pruned.module.op(), &sets).unwrap_or_else(|e| panic!("{what}: {e}"));
                    let b = run_sets(masked.module.op(), &sets).unwrap_or_else(|e| panic!("{what} (mask): {e}"));
                    let moved = compare(&what, &a, &b, &unpruned, outputs);
                    if NOTHING_TO_PRUNE.contains(&(model, &opts[opts.find(' ').unwrap_or(0) + 1..])) {
                        assert!(outcome.plan.removed.values().all(Vec::is_empty), "{what}: removed channels");
                        assert!(!outcome.report.summary.notes.is_empty(), "{what}: no note says why nothing went");
                        assert_eq!(moved, 0.0, "{what}: nothing removed, yet the outputs changed");
                    } else {
                        assert_removed_something(&what, &outcome);
                        // The smallest change measured is 0.06 of the output
                        // scale (concat_heads and res_cnn at ratio 0.1).
                        assert!(moved > 1e-3, "{what}: the pruned outputs equal the unpruned ones ({moved})");
                    }
                }
            }
        }
    }
}

/// A corpus model with factored channels, pruned with `opts`: the
/// pruned module computes what the masked one computes, and some group
/// through a layer named `factored` (an op label substring; linalg only)
/// lost channels. Corpus models take seconds each to compile for the CPU
/// in a debug build, so each test runs the dialects it names.
fn corpus_pruned_equals_masked(model: &str, dialects: &[&str], opts: &str, factored: &str) {
    let io = io(&format!("corpus/{model}"));
    let sets = input_sets(&io, 2);
    let outputs = read_tensors(&io, "outputs").len();
    for dialect in dialects {
        let path = fixture(&format!("corpus/{model}.{dialect}.mlir"));
        let unpruned = run_sets(load(&path).module.op(), &sets).unwrap_or_else(|e| panic!("{model}.{dialect}: {e}"));
        let (pruned, outcome) = prune(&path, opts);
        let (masked, _) = prune(&path, &format!("{opts} materialize=mask"));
        let what = format!("{model}.{dialect} {opts}");
        assert_removed_something(&what, &outcome);
        if *dialect == "linalg" {
            let through = |g: &&mcprune::report::GroupReport| g.ops.iter().any(|o| o.contains(factored));
            let cut = outcome.report.groups.iter().filter(through).filter(|g| !g.removed.is_empty()).count();
            assert!(cut > 0, "{what}: no group through {factored} lost channels");
        }
        let a = run_sets(pruned.module.op(), &sets).unwrap_or_else(|e| panic!("{what}: {e}"));
        let b = run_sets(masked.module.op(), &sets).unwrap_or_else(|e| panic!("{what} (mask): {e}"));
        let moved = compare(&what, &a, &b, &unpruned, outputs);
        assert!(moved > 1e-3, "{what}: the pruned outputs equal the unpruned ones ({moved})");
    }
}

/// The configuration that cuts the most: DepGraph's groups, interfaces
/// pruned.
const CUT_MOST: &str = "ratio=0.4 grouping=vanilla interfaces=prune";

/// ResNeXt's grouped convolutions keep their group count and lose the same
/// channels in every group.
#[test]
fn grouped_convolutions_prune_like_masking() {
    corpus_pruned_equals_masked("resnext_narrow", DIALECTS, CUT_MOST, "conv_2d_ngchw_gfchw");
}

/// RegNet-Y: grouped convolutions gated by squeeze-excitation.
#[test]
fn gated_grouped_convolutions_prune_like_masking() {
    corpus_pruned_equals_masked("regnet_y_narrow", &["linalg"], CUT_MOST, "conv_2d_ngchw_gfchw");
}

/// The corpus' convolutional families without LayerNorm (residual,
/// inverted residual with squeeze-excitation, inception, dense): the
/// pruned module computes what the masked one computes. linalg here (the
/// CPU compile of each takes seconds); TOSA by
/// `corpus_without_layernorm_prune_like_masking_in_tosa`, ignored by default.
#[test]
fn corpus_without_layernorm_prunes_like_masking() {
    for model in ["resnet18_narrow", "mobilenet_v3_small", "efficientnet_b0", "googlenet_narrow", "densenet121_tiny"] {
        corpus_pruned_equals_masked(model, &["linalg"], CUT_MOST, "conv");
    }
}

#[test]
#[ignore = "minutes in a debug build; run with --ignored"]
fn corpus_without_layernorm_prune_like_masking_in_tosa() {
    for model in ["resnet18_narrow", "mobilenet_v3_small", "efficientnet_b0", "googlenet_narrow", "densenet121_tiny", "regnet_y_narrow"] {
        corpus_pruned_equals_masked(model, &["tosa"], CUT_MOST, "conv");
    }
}

/// ShuffleNetV2: every block concatenates its passthrough half with its
/// branch and shuffles the channels (reshape, transpose, reshape), so a
/// branch's channels land interleaved with other layers' ones, and reach
/// the next blocks through their chunks. Each group follows its channels
/// through the shuffles; the rewrite puts the kept ones in the shuffle's
/// order. Local scope cuts every group, so blocks after a shuffle lose
/// channels too (`stage3.1`'s first convolution reads a shuffle's chunk).
#[test]
fn channel_shuffles_prune_like_masking() {
    let opts = "ratio=0.4 grouping=vanilla interfaces=prune scope=local";
    corpus_pruned_equals_masked("shufflenet_v2_narrow", DIALECTS, opts, "stage3.1.branch2.0");
}

/// A DreamerV3-shaped GRU world model: the cell's input and hidden
/// projections are cut into the same gates, so they are one group, which
/// used to freeze itself ("shares channels with group N"). Every layer
/// here is LayerNorm'd, where the masked model is not the pruned one, so
/// this checks that the gates lose channels and the pruned model runs.
#[test]
fn recurrent_cell_gates_prune() {
    let path = fixture("corpus/dreamer_gru.linalg.mlir");
    let sets = input_sets(&io("corpus/dreamer_gru"), 1);
    let (pruned, outcome) = prune(&path, CUT_MOST);
    let cell_rows = |g: &&mcprune::report::GroupReport| {
        g.weights.iter().any(|w| w.op.contains("rssm.cell") && w.dim == 0 && w.shape == [96, 32])
    };
    let cell: Vec<_> = outcome.report.groups.iter().filter(cell_rows).collect();
    assert_eq!(cell.len(), 1, "dreamer_gru: one group holds the cell's gate rows");
    assert!(!cell[0].removed.is_empty(), "dreamer_gru: the GRU cell's gates lost no channels");
    let outputs = run_sets(pruned.module.op(), &sets).unwrap_or_else(|e| panic!("dreamer_gru {CUT_MOST}: {e}"));
    assert_eq!(outputs[0].len(), read_tensors(&io("corpus/dreamer_gru"), "outputs").len());
}

/// A ViT's attention loses the same head dims in every head (q, k, v and
/// the output projection's inputs). The residual stream, normalised by
/// LayerNorm, crosses components and is kept (a zeroed channel still
/// counts in a LayerNorm mean, so there the masked model is not the pruned
/// one); MLP and attention groups are cut evenly.
#[test]
fn attention_head_dims_prune_like_masking() {
    let opts = "ratio=0.3 grouping=component interfaces=keep scope=local max-ratio=1 round-to=1";
    corpus_pruned_equals_masked("vit_tiny", DIALECTS, opts, "self_attention");
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

/// Calibration inputs for a fixture: its own example inputs, in a file of
/// its own (tests run in parallel and delete their files).
pub fn calibration_file(model: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let io = io(model);
    let path = std::env::temp_dir().join(format!("mcprune-calibration-{model}-{}-{n}.json", std::process::id()));
    std::fs::write(&path, serde_json::json!({"inputs": io["inputs"]}).to_string()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn calibrated_pruning_still_equals_masking() {
    // Compensation rewrites kept weights and biases before the plan is
    // applied, in both materializations alike.
    for model in ["tdmpc_small", "res_cnn", "concat_heads"] {
        let calib = calibration_file(model);
        let io = io(model);
        let sets = input_sets(&io, 4);
        let outputs = read_tensors(&io, "outputs").len();
        for dialect in DIALECTS {
            let path = fixture(&format!("{model}.{dialect}.mlir"));
            let unpruned = run_sets(load(&path).module.op(), &sets).unwrap_or_else(|e| panic!("{model}.{dialect}: {e}"));
            for compensate in ["mean", "lstsq"] {
                let opts = format!("ratio=0.4 interfaces=prune calibration={calib} compensate={compensate}");
                let what = format!("{model}.{dialect} compensate={compensate}");
                let (pruned, outcome) = prune(&path, &opts);
                let (masked, _) = prune(&path, &format!("{opts} materialize=mask"));
                let reached = outcome.plan.ratio_reached();
                assert!(
                    (reached - 0.4).abs() <= 0.01 || !outcome.report.summary.notes.is_empty(),
                    "{what}: removed {reached:.4} without a note"
                );
                assert_removed_something(&what, &outcome);
                let a = run_sets(pruned.module.op(), &sets).unwrap_or_else(|e| panic!("{what}: {e}"));
                let b = run_sets(masked.module.op(), &sets).unwrap_or_else(|e| panic!("{what} (mask): {e}"));
                let moved = compare(&what, &a, &b, &unpruned, outputs);
                assert!(moved > 1e-3, "{what}: the pruned outputs equal the unpruned ones ({moved})");
            }
        }
        let _ = std::fs::remove_file(calib);
    }
}

/// The trained TD-MPC-style model and its held-out data
/// (`tests/fixtures/trained/`), evaluated as `benches/fidelity.rs` does:
/// task loss = mean((reward_sum - reward)^2) + mean((action - pi)^2) on all
/// 256 rows and on the odd rows; calibration sees only the even rows'
/// inputs. The batch is fixed at 256, so each half is fed as its rows twice.
struct Trained {
    path: String,
    heldout: serde_json::Value,
    /// Input sets: all rows, odd rows.
    sets: Vec<Vec<Tensor>>,
    /// Targets (reward, pi) of the same sets.
    targets: Vec<(Tensor, Tensor)>,
    calibration: std::path::PathBuf,
}

impl Trained {
    fn new(tag: &str) -> Trained {
        let heldout: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixture("trained/tdmpc_trained.heldout.json")).unwrap()).unwrap();
        let inputs = read_tensors(&heldout, "inputs");
        let pick = |t: &Tensor, keep: &dyn Fn(usize) -> bool| {
            let rows = t.shape[0] as usize;
            let w = t.data.len() / rows;
            let picked: Vec<usize> = (0..rows).filter(|&i| keep(i)).collect();
            let data = (0..rows).flat_map(|k| t.data[picked[k % picked.len()] * w..][..w].to_vec()).collect();
            Tensor { shape: t.shape.clone(), data }
        };
        let target = |k: &str| Tensor {
            shape: vec![256, 1],
            data: heldout["targets"][k]["data"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap() as f32).collect(),
        };
        let (reward, pi) = (target("reward"), target("pi"));
        let all = |_: usize| true;
        let odd = |i: usize| i % 2 == 1;
        let even = |i: usize| i % 2 == 0;
        let sets: Vec<Vec<Tensor>> = [&all as &dyn Fn(usize) -> bool, &odd].iter().map(|k| inputs.iter().map(|t| pick(t, k)).collect()).collect();
        let targets = [&all as &dyn Fn(usize) -> bool, &odd].iter().map(|k| (pick(&reward, k), pick(&pi, k))).collect();
        let calibration = std::env::temp_dir().join(format!("mcprune-trained-calibration-{tag}-{}.json", std::process::id()));
        let json = serde_json::json!({"inputs": inputs.iter().map(|t| { let e = pick(t, &even); serde_json::json!({"shape": e.shape, "data": e.data}) }).collect::<Vec<_>>()});
        std::fs::write(&calibration, json.to_string()).unwrap();
        Trained { path: fixture("trained/tdmpc_trained.linalg.mlir"), heldout, sets, targets, calibration }
    }

    /// Task losses (all rows, odd rows) of the model pruned with `options`
    /// (`None`: unpruned), and the share of parameters removed.
    fn losses(&self, options: Option<&str>) -> ([f64; 2], f64) {
        let (model, reached) = match options {
            None => (load(&self.path), 0.0),
            Some(o) => {
                let o = o.replace("CALIBRATION", &self.calibration.display().to_string());
                let (m, outcome) = prune(&self.path, &o);
                (m, outcome.plan.ratio_reached())
            }
        };
        let outs = run_sets(model.module.op(), &self.sets).unwrap_or_else(|e| panic!("{options:?}: {e}"));
        let mse = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>() / a.len() as f64;
        let loss = |k: usize| {
            assert_eq!(outs[k].len(), 2, "{options:?}: the model returns reward_sum and action");
            mse(&outs[k][0].data, &self.targets[k].0.data) + mse(&outs[k][1].data, &self.targets[k].1.data)
        };
        ([loss(0), loss(1)], reached)
    }
}

impl Drop for Trained {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.calibration);
    }
}

#[test]
fn calibrated_pruning_of_the_trained_model_keeps_its_task_loss() {
    let t = Trained::new("keeps");
    // The executor reproduces the loss PyTorch recorded for the unpruned
    // model on all 256 rows, so the ratios below compare real runs.
    let ([base_all, base_odd], _) = t.losses(None);
    let recorded = t.heldout["unpruned_task_loss"].as_f64().expect("unpruned_task_loss");
    assert!((base_all - recorded).abs() <= 1e-5 * recorded, "unpruned task loss {base_all}, PyTorch recorded {recorded}");
    // Calibrated on the even rows with the defaults, 40% and 60% of the
    // parameters go and the task loss on the odd rows is what the README
    // claims (1.11x and 0.75x of the unpruned model's; BENCHMARKS.md's
    // tables; issue 10 asks at most 1.1x at 60%); the bounds sit just above
    // the measured ratios.
    // The default selection, named (the classic one is filled in otherwise).
    for (asked, bound) in [(0.4, 1.12), (0.6, 0.76)] {
        let defaults = "rank=lamp max-ratio=0.9 round-to=auto";
        let ([_, after], reached) = t.losses(Some(&format!("ratio={asked} calibration=CALIBRATION {defaults}")));
        assert!((reached - asked).abs() < 0.01, "removed {reached} for {asked}");
        let ratio = after / base_odd;
        assert!(ratio < bound, "{asked}: task loss {after} against {base_odd} unpruned: {ratio:.4}x");
    }
}

/// The orderings BENCHMARKS.md's fidelity tables rest on, at 40% of the
/// trained model's parameters (`cargo bench --bench fidelity` measures the
/// full tables): component grouping loses less than vanilla grouping in
/// the same scope (all 256 rows, weight magnitude), and calibration loses
/// less than weight magnitude alone (odd rows, component, global).
#[test]
fn component_and_calibration_orderings_on_the_trained_model() {
    let t = Trained::new("orderings");
    let ([base_all, base_odd], _) = t.losses(None);
    let mut ratios = std::collections::BTreeMap::new();
    for (name, options) in [
        ("vanilla local", "ratio=0.4 grouping=vanilla scope=local"),
        ("vanilla global", "ratio=0.4 grouping=vanilla scope=global"),
        ("component local", "ratio=0.4 grouping=component scope=local"),
        ("component global", "ratio=0.4 grouping=component scope=global"),
        ("component global calibrated", "ratio=0.4 grouping=component scope=global calibration=CALIBRATION"),
    ] {
        let ([all, odd], reached) = t.losses(Some(options));
        assert!((reached - 0.4).abs() < 0.01, "{name}: removed {reached}");
        ratios.insert(name, (all / base_all, odd / base_odd));
    }
    let r = |name: &str| ratios[name];
    assert!(r("component local").0 < r("vanilla local").0, "{ratios:?}");
    assert!(r("component global").0 < r("vanilla global").0, "{ratios:?}");
    assert!(r("component global calibrated").1 < r("component global").1, "{ratios:?}");
}

/// Checks a model against its sliced-PyTorch reference `io` (inputs, the
/// PyTorch outputs, and `pruned.outputs` of the model with the plan's
/// channels sliced out): the unpruned module computes PyTorch's outputs,
/// the pruned one the sliced model's, and the two differ, so the check
/// would notice constants left at the old counts.
fn assert_like_sliced_pytorch(io: &serde_json::Value, unpruned: mcprune::ir::Op, pruned: mcprune::ir::Op, what: &str) {
    let inputs = read_tensors(io, "inputs");
    let original = read_tensors(io, "outputs");
    let got = run(unpruned, &inputs).unwrap_or_else(|e| panic!("{what}: {e}"));
    let (diff, scale) = max_abs_diff(&got[0].data, &original[0].data);
    assert!(diff <= 1e-5 * scale.max(1.0), "{what}: unpruned differs from PyTorch by {diff}");
    let expected = read_tensors(&io["pruned"], "outputs");
    let got = run(pruned, &inputs).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(got[0].shape, expected[0].shape);
    let (diff, scale) = max_abs_diff(&got[0].data, &expected[0].data);
    assert!(diff <= 1e-5 * scale.max(1.0), "{what}: differs from sliced PyTorch by {diff} at scale {scale}");
    let (moved, _) = max_abs_diff(&got[0].data, &original[0].data);
    assert!(moved > 1e-3, "{what}: pruning changed nothing ({moved})");
}

/// LayerNorm'd hidden dims prune like Torch-Pruning prunes `nn.LayerNorm`:
/// the statistics run over the kept channels. Masking cannot show that (a
/// zeroed channel still counts in the mean), so the reference is PyTorch:
/// the fixture holds the outputs of the PyTorch model with exactly these
/// channels sliced out (`tests/fixtures/normed_mlp/generate.py`).
#[test]
fn layernormed_channels_prune_like_pytorch_slicing() {
    let io = io("normed_mlp");
    let reference = &io["pruned"];
    let options = reference["options"].as_str().expect("options");
    let want_removed: std::collections::BTreeMap<String, Vec<u32>> =
        serde_json::from_value(reference["removed"].clone()).expect("removed");
    assert_eq!(want_removed.len(), 2, "both LayerNorm'd hidden dims are pruned in the reference");
    for dialect in DIALECTS {
        let what = format!("normed_mlp.{dialect} {options}");
        let unpruned = load(&fixture(&format!("normed_mlp.{dialect}.mlir")));
        let (pruned, outcome) = prune(&fixture(&format!("normed_mlp.{dialect}.mlir")), options);
        let removed: std::collections::BTreeMap<String, Vec<u32>> = outcome
            .report
            .groups
            .iter()
            .filter(|g| !g.removed.is_empty())
            .map(|g| (g.components.join(","), g.removed.clone()))
            .collect();
        assert_eq!(removed, want_removed, "{what}: the reference was made for other channels");
        assert_like_sliced_pytorch(&io, unpruned.module.op(), pruned.module.op(), &what);
    }
}

/// GroupNorm between two convolutions. torch-mlir's linalg gathers its
/// per-channel scale through integer tables, which the rewrite slices; its
/// TOSA reads the affine through a flat gather of every element at its own
/// offset, which the normalization makes a reshape, and sums a group's
/// channels and its pixels in two `reduce_sum`s, one mean. In both, each
/// group loses the same channels and the statistics run over the kept
/// ones, so the reference is PyTorch's GroupNorm(4, 8) with those channels
/// (and its affine) sliced out (`tests/fixtures/group_norm/generate.py`).
#[test]
fn group_norm_prunes_like_pytorch_slicing() {
    let io = io("group_norm");
    let reference = &io["pruned"];
    let options = reference["options"].as_str().expect("options");
    let want_removed: Vec<u32> = serde_json::from_value(reference["removed"].clone()).expect("removed");
    for dialect in DIALECTS {
        let path = fixture(&format!("group_norm.{dialect}.mlir"));
        let unpruned = load(&path);
        let (pruned, outcome) = prune(&path, options);
        let stem_cut: Vec<u32> = outcome
            .report
            .groups
            .iter()
            .flat_map(|g| &g.weights)
            .filter(|w| w.location.as_deref() == Some("stem") && w.dim == 0)
            .find_map(|w| w.removed.clone())
            .unwrap_or_default();
        assert_eq!(stem_cut, want_removed, "{dialect}: the reference was made for other channels");
        let what = format!("group_norm.{dialect} {options}");
        assert_like_sliced_pytorch(&io, unpruned.module.op(), pruned.module.op(), &what);
    }
}

/// Prunes fixture `model` (a name without its dialect) with `options` in
/// both dialects: each reaches the ratio or says why not, both lose the
/// same channels and keep as many parameters, and they compute the same
/// function on the fixture's inputs, which is not the unpruned one.
fn assert_prunes_alike_in_both_dialects(model: &str, options: &str) {
    let io = io(model);
    let inputs = read_tensors(&io, "inputs");
    let unpruned = read_tensors(&io, "outputs");
    let target: f64 = options.split(' ').find_map(|o| o.strip_prefix("ratio=")).expect("ratio").parse().expect("ratio");
    let mut runs = Vec::new();
    for dialect in DIALECTS {
        let what = format!("{model}.{dialect} {options}");
        let (pruned, outcome) = prune(&fixture(&format!("{model}.{dialect}.mlir")), options);
        assert_removed_something(&what, &outcome);
        let reached = outcome.plan.ratio_reached();
        assert!(
            (reached - target).abs() <= 0.01 || !outcome.report.summary.notes.is_empty(),
            "{what}: removed {reached:.4} without a note"
        );
        let mut removed: Vec<(Vec<String>, usize, Vec<u32>)> = outcome
            .report
            .groups
            .iter()
            .filter(|g| !g.removed.is_empty())
            .map(|g| (g.components.clone(), g.channels, g.removed.clone()))
            .collect();
        removed.sort();
        let outputs = run(pruned.module.op(), &inputs).unwrap_or_else(|e| panic!("{what}: {e}"));
        runs.push((what, removed, outcome.plan.params_after, outputs));
    }
    let [(_, linalg_removed, linalg_params, linalg), (what, tosa_removed, tosa_params, tosa)] = runs.as_slice() else {
        unreachable!()
    };
    assert_eq!(linalg_removed, tosa_removed, "{what}: the dialects prune different channels");
    assert_eq!(linalg_params, tosa_params, "{what}: parameters left");
    for (l, t) in linalg.iter().zip(tosa) {
        assert_eq!(l.shape, t.shape);
        let (diff, scale) = max_abs_diff(&l.data, &t.data);
        assert!(diff <= 1e-5 * scale.max(1.0), "{what}: linalg and TOSA differ by {diff} at scale {scale}");
    }
    let moved = linalg.iter().zip(&unpruned).map(|(l, u)| max_abs_diff(&l.data, &u.data).0).fold(0.0f32, f32::max);
    assert!(moved > 1e-3, "{model} {options}: pruning changed nothing");
}

/// A TD-MPC2-shaped model (LayerNorm + Mish everywhere, SimNorm latent, Q
/// ensemble) prunes alike in both dialects.
#[test]
fn tdmpc2_like_prunes_alike_in_both_dialects() {
    for options in ["ratio=0.4", "ratio=0.3 scope=local grouping=vanilla interfaces=prune"] {
        assert_prunes_alike_in_both_dialects("tdmpc2_like", options);
    }
}

/// I-JEPA (LayerNorm, attention, token gathers) and ConvNeXt (channels-last
/// LayerNorm, layer scale, an adaptive pool of a 1x1 map): their TOSA
/// exports read patches, positional embeddings and the pooled map through
/// flat gathers, which the normalization turns into gathers of rows and a
/// reshape, so both dialects have the same groups, and they prune alike.
/// (Masking cannot stand in for pruning here: a zeroed channel still counts
/// in LayerNorm's mean; `test_apply_corpus.py` checks both dialects against
/// PyTorch with the same channels sliced out.)
#[test]
fn gathered_models_prune_alike_in_both_dialects() {
    for model in ["corpus/ijepa_tiny", "corpus/convnext_tiny_narrow"] {
        assert_prunes_alike_in_both_dialects(model, "ratio=0.4 grouping=vanilla interfaces=prune");
    }
}

/// Slices of a pruned tensor rebuilt at the offsets of their kept channels
/// (the first lit tests named here, found by the random-model soak), a
/// channel shuffle's kept channels reordered, a token gather and a copy
/// read through: the pruned module computes what the masked one computes,
/// on inputs drawn like `input_sets`' at scale 1.
#[test]
fn moved_slices_prune_like_masking() {
    let cases: &[(&str, &str, &[i64])] = &[
        ("chunk-and-whole.mlir", "ratio=0.3", &[2, 4]),
        ("sliced-function-argument.mlir", "ratio=0.3 interfaces=prune", &[2, 4]),
        ("sliced-function-argument-tosa.mlir", "ratio=0.5 grouping=vanilla", &[1, 2, 2, 4]),
        ("channel-shuffle.mlir", "ratio=0.5 grouping=vanilla scope=local", &[1, 4]),
        ("gathered-channels.mlir", "ratio=0.5 grouping=vanilla interfaces=prune", &[6, 4]),
        ("tosa-flat-gather.mlir", "ratio=0.5 grouping=vanilla interfaces=prune", &[1, 4, 6]),
    ];
    for &(file, opts, shape) in cases {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lit/component-prune").join(file).display().to_string();
        let n: i64 = shape.iter().product();
        let own = Tensor { shape: shape.to_vec(), data: (0..n).map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0).collect() };
        let io = serde_json::json!({ "inputs": [{ "shape": own.shape, "data": own.data }] });
        let sets = input_sets(&io, 3);
        let unpruned = run_sets(load(&path).module.op(), &sets).unwrap_or_else(|e| panic!("{file}: {e}"));
        let (pruned, outcome) = prune(&path, opts);
        let (masked, _) = prune(&path, &format!("{opts} materialize=mask"));
        let what = format!("{file} {opts}");
        assert_removed_something(&what, &outcome);
        let a = run_sets(pruned.module.op(), &sets).unwrap_or_else(|e| panic!("{what}: {e}"));
        let b = run_sets(masked.module.op(), &sets).unwrap_or_else(|e| panic!("{what} (mask): {e}"));
        let moved = compare(&what, &a, &b, &unpruned, unpruned[0].len());
        assert!(moved > 1e-3, "{what}: the pruned outputs equal the unpruned ones ({moved})");
    }
}

/// `heads=whole`: the ViT's attention loses whole heads (q, k, v and the
/// output projection's inputs of a head together), and still computes
/// what masking computes; the selection passes the softmax, whose max also
/// returns its argmax (an op with two results).
#[test]
fn whole_attention_heads_prune_like_masking() {
    let opts = "ratio=0.3 grouping=component interfaces=keep scope=local max-ratio=1 round-to=1 heads=whole";
    // linalg: its softmax is the two-result op (TOSA's is not).
    corpus_pruned_equals_masked("vit_tiny", &["linalg"], opts, "self_attention");
    let (_, outcome) = prune(&fixture("corpus/vit_tiny.linalg.mlir"), opts);
    // in_proj: 96 = 3 (q, k, v) x 2 heads x 16 head dims, cut along dim 0.
    let in_proj = outcome.report.groups.iter().flat_map(|g| &g.weights).find(|w| w.shape == [96, 32] && w.dim == 0);
    let removed = in_proj.and_then(|w| w.removed.clone()).expect("the attention's in_proj weight in the report");
    assert!(!removed.is_empty(), "no head removed");
    for block in removed.chunks(16) {
        assert!(block.len() == 16 && block[0] % 16 == 0 && block.windows(2).all(|p| p[1] == p[0] + 1), "not whole heads: {removed:?}");
    }
}
