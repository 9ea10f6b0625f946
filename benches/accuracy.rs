//! Accuracy on real data: what pruning costs a trained multi-component CNN
//! (`tests/fixtures/trained/digits_cnn.linalg.mlir`: scikit-learn's digits,
//! a stem, a residual trunk, and two heads reading it), with no fine-tuning.
//!
//! Prunes at 20/40/60/80% of the parameters under each selection setting
//! (scope, grouping, rank, max-ratio, calibration), runs every pruned model
//! in process on the 500 held-out test images, and prints the main head's
//! accuracy (and the second head's) as Markdown tables, beside
//! Torch-Pruning's figures on the same model (from the held-out file,
//! written by `tests/fixtures/trained/digits/generate.py`). Calibrated
//! settings see 500 training images, never the test images.
//!
//! ```sh
//! cargo bench --bench accuracy
//! cargo bench --bench accuracy -- --quick    # one table: the default against the alternatives
//! cargo bench --bench accuracy -- --opts "calibration=CALIB" "scope=local"   # chosen settings, at each ratio
//! ```

mod common;

use mcprune::driver::{load_file, new_context};
use mcprune::ir::exec::{read_tensors, run, Tensor};
use mcprune::passes::component_prune::{parse_options, SPEC};
use mcprune::passes::OptionValues;

const MODEL: &str = "tests/fixtures/trained/digits_cnn.linalg.mlir";
const HELDOUT: &str = "tests/fixtures/trained/digits_cnn.heldout.json";

fn accuracy(logits: &Tensor, labels: &[usize]) -> f64 {
    let classes = logits.data.len() / labels.len();
    let correct = labels
        .iter()
        .enumerate()
        .filter(|&(i, &label)| {
            let row = &logits.data[i * classes..(i + 1) * classes];
            let best = (0..classes).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0);
            best == label
        })
        .count();
    correct as f64 / labels.len() as f64
}

fn main() {
    let root = env!("CARGO_MANIFEST_DIR");
    let heldout: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/{HELDOUT}")).expect("held-out data")).expect("json");
    let inputs = read_tensors(&heldout, "inputs");
    let labels = |k: &str| -> Vec<usize> { heldout[k].as_array().expect(k).iter().map(|v| v.as_u64().unwrap_or(0) as usize).collect() };
    let (main_labels, aux_labels) = (labels("labels"), labels("aux_labels"));
    let calib_path = format!("{root}/target/accuracy-calibration.json");
    std::fs::write(&calib_path, heldout["calibration"].to_string()).expect("calibration file");
    let model = format!("{root}/{MODEL}");

    let evaluate = |options: &str| -> (f64, f64, f64) {
        let ctx = new_context(false);
        let m = load_file(&ctx, &model).expect("model");
        let mut reached = 0.0;
        if !options.is_empty() {
            let values = OptionValues::parse(SPEC.name, SPEC.options, options).expect("options");
            let outcome = parse_options(&values).expect("options").prune(m.op()).expect("prune");
            reached = outcome.plan.ratio_reached();
        }
        let out = run(m.op(), &inputs).expect("run");
        (accuracy(&out[0], &main_labels), accuracy(&out[1], &aux_labels), reached)
    };
    let (base, base_aux, _) = evaluate("");
    println!(
        "unpruned accuracy: {:.1}% (reference {}), second head {:.1}%\n",
        base * 100.0,
        heldout["unpruned_accuracy"],
        base_aux * 100.0
    );
    let table = |title: &str, settings: &[(&str, String)]| {
        common::ratio_table(title, settings, &|options| {
            let (acc, aux, reached) = evaluate(options);
            format!("{:.1} / {:.1} ({:.1}%)", acc * 100.0, aux * 100.0, reached * 100.0)
        })
    };
    fn named(v: &[(String, String)]) -> Vec<(&str, String)> {
        v.iter().map(|(n, o)| (n.as_str(), o.clone())).collect()
    }
    // `-- --opts "OPTIONS" ...`: one row per option string (CALIB stands for
    // the calibration file), for checking one setting without the tables;
    // cargo appends `--bench`, which is no setting.
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--opts") {
        let rows: Vec<(String, String)> = args[at + 1..].iter().filter(|a| !a.starts_with("--")).map(|o| (o.clone(), o.replace("CALIB", &calib_path))).collect();
        table("Chosen settings (main / second head accuracy, % removed):", &named(&rows));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let ranks = |extra: &str| -> Vec<(String, String)> {
        let mut out = Vec::new();
        for rank in ["cost", "mean", "lamp"] {
            for cap in ["1.0", "0.9", "0.8"] {
                out.push((format!("{rank}, cap {cap}"), format!("rank={rank} max-ratio={cap} {extra}")));
            }
        }
        out
    };
    let mut uncal = ranks("grouping=component scope=global round-to=1");
    uncal.push(("defaults".into(), String::new()));
    table("Global scope, component grouping, no calibration (main / second head accuracy, % removed):", &named(&uncal));
    let uncal_vanilla = ranks("grouping=vanilla scope=global round-to=1");
    table("Global scope, vanilla grouping, no calibration:", &named(&uncal_vanilla));
    if quick {
        return;
    }
    let mut cal = ranks(&format!("grouping=component scope=global round-to=1 calibration={calib_path}"));
    cal.push(("defaults".into(), format!("calibration={calib_path}")));
    table("Global scope, component grouping, calibrated:", &named(&cal));
    let scopes: Vec<(&str, String)> = vec![
        ("vanilla, local", "grouping=vanilla scope=local round-to=1".into()),
        ("component, local", "grouping=component scope=local round-to=1".into()),
        ("vanilla, local, calibrated", format!("grouping=vanilla scope=local round-to=1 calibration={calib_path}")),
        ("component, local, calibrated", format!("grouping=component scope=local round-to=1 calibration={calib_path}")),
        ("defaults", String::new()),
        ("defaults, calibrated", format!("calibration={calib_path}")),
    ];
    table("Local scope, and the defaults:", &scopes);
    println!("Torch-Pruning 1.6.1 on the PyTorch original (no fine-tuning), from the held-out file:\n");
    println!("{}", serde_json::to_string_pretty(&heldout["torch_pruning"]).unwrap_or_default());
}
