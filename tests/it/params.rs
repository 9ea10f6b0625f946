//! Parameter counts against PyTorch's. `ratio` counts the elements of the
//! float, non-splat weight constants in the IR (README, "Parameter
//! counts"); for the exporter fixtures that number differs from PyTorch's
//! `sum(p.numel() for p in model.parameters())` (reference.json `params`)
//! in exactly the ways documented there, checked here model by model.

use crate::common::{fixture, load, reference, DIALECTS, MODELS};
use mcprune::analysis::Dependencies;
use mcprune::ir::dense::FloatElements;
use std::collections::BTreeMap;

/// How the IR count of a fixture differs from PyTorch's.
struct Difference {
    /// Single-element parameters (biases of one-output layers): torch-mlir
    /// writes them as splat constants, which are not counted.
    single_elements: u64,
    /// Buffers the IR holds as weight constants (batch-norm running mean
    /// and variance), counted though PyTorch's parameters exclude them.
    buffers: u64,
    /// Per dialect: elements of extra copies of a constant that the export
    /// materialised more than once.
    copies: [u64; 2],
}

fn documented(model: &str) -> Difference {
    match model {
        // reward.2 is Linear(64, 1): a one-element bias. The TOSA export
        // holds reward.2's 64-element weight twice (once per rollout step).
        "tdmpc_small" => Difference { single_elements: 1, buffers: 0, copies: [0, 64] },
        // Three BatchNorm2d(16) (stem.1, body.0.bn1, body.0.bn2): running
        // mean and variance.
        "res_cnn" => Difference { single_elements: 0, buffers: 3 * 2 * 16, copies: [0, 0] },
        // head_b ends in Linear(.., 1).
        "concat_heads" => Difference { single_elements: 1, buffers: 0, copies: [0, 0] },
        "jepa" | "shared_cell" => Difference { single_elements: 0, buffers: 0, copies: [0, 0] },
        other => panic!("no documented difference for {other}"),
    }
}

/// (all counted elements, elements of repeated copies): a weight whose
/// module path (location name), shape and bytes equal an earlier weight's
/// is a copy. Equal bytes alone are not enough: res_cnn's three batch norms
/// hold equal weight (ones) and bias (zeros) vectors, three parameters each.
fn count(path: &str) -> (u64, u64) {
    let loaded = load(path);
    let a = Dependencies::run(loaded.module.op());
    let mut seen: BTreeMap<(String, Vec<i64>, Vec<u8>), usize> = BTreeMap::new();
    let (mut total, mut copies) = (0, 0);
    for w in a.weights() {
        let op = a.op(w.op);
        let attr = op.attribute("value").or_else(|| op.attribute("values")).expect("data");
        let data = FloatElements::read(attr).expect("readable").expect("float");
        total += w.elements;
        let path = op.location().first_name().unwrap_or("").to_string();
        let key = (path, a.value(w.value).shape.clone(), data.bytes().to_vec());
        let n = seen.entry(key).or_insert(0);
        if *n > 0 {
            copies += w.elements;
        }
        *n += 1;
    }
    (total, copies)
}

#[test]
fn parameter_counts_differ_from_pytorch_only_as_documented() {
    let reference = reference();
    for model in MODELS {
        let pytorch = reference[model]["params"].as_u64().expect("params");
        let d = documented(model);
        let mut without_copies = Vec::new();
        for (i, dialect) in DIALECTS.iter().enumerate() {
            let (ir, copies) = count(&fixture(&format!("{model}.{dialect}.mlir")));
            assert_eq!(copies, d.copies[i], "{model}.{dialect}: elements in repeated constants");
            assert_eq!(ir, pytorch - d.single_elements + d.buffers + d.copies[i], "{model}.{dialect}: {ir} counted, PyTorch {pytorch}");
            without_copies.push(ir - copies);
        }
        // Without the repeated copies, one model is one number in both dialects.
        assert_eq!(without_copies[0], without_copies[1], "{model}: linalg and TOSA");
    }
}

/// The trained example (`tests/fixtures/trained/`, the README's worked
/// example): PyTorch's count from the architecture of
/// `examples/tdmpc/model.py`, minus the one-element biases of `reward.4`
/// and `pi.4`.
#[test]
fn the_trained_model_counts_pytorch_parameters_but_its_two_single_element_biases() {
    let linear = |i: u64, o: u64| i * o + o;
    let mlp = |i: u64, h: u64, o: u64| linear(i, h) + linear(h, h) + linear(h, o);
    let (obs, act, latent, hidden) = (5, 1, 24, 192);
    let pytorch = mlp(obs, hidden, latent) + mlp(latent + act, hidden, latent) + mlp(latent + act, hidden, 1) + mlp(latent, hidden, act);
    assert_eq!(pytorch, 173_810);
    let (ir, copies) = count(&fixture("trained/tdmpc_trained.linalg.mlir"));
    assert_eq!((ir, copies), (pytorch - 2, 0));
}

/// The trained digits CNN (`tests/fixtures/trained/digits_cnn.*`): its
/// held-out file records PyTorch's count; four batch norms (16, 32, 32 and
/// 64 channels) add their running mean and variance.
#[test]
fn the_digits_cnn_counts_pytorch_parameters_and_its_batch_norm_statistics() {
    let heldout: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("trained/digits_cnn.heldout.json")).expect("digits_cnn.heldout.json"),
    )
    .expect("parses");
    let pytorch = heldout["params"].as_u64().expect("params");
    let (ir, copies) = count(&fixture("trained/digits_cnn.linalg.mlir"));
    assert_eq!((ir, copies), (pytorch + 2 * (16 + 32 + 32 + 64), 0), "PyTorch {pytorch}");
}
