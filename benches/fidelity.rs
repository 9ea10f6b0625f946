//! Fidelity: what pruning costs a trained TD-MPC-style world model.
//!
//! Prunes `tests/fixtures/trained/tdmpc_trained.linalg.mlir` (cart-pole
//! swing-up) at 20/40/60% of its parameters, component against vanilla
//! grouping, local against global scope, with and without calibration, runs
//! every pruned model on held-out data in process, and prints the task loss
//! relative to the unpruned model as Markdown tables:
//!
//!   task loss = mean((reward_sum[:, 0] - reward)^2) + mean((action - pi)^2)
//!
//! Calibrated settings see only the held-out inputs of even rows (no
//! targets) and are evaluated on the odd rows, which they never saw. The
//! model's batch is fixed at 256, so each half is fed as its rows twice.
//!
//! ```sh
//! cargo bench --bench fidelity
//! cargo bench --bench fidelity -- --opts "calibration=CALIB" "calibration=CALIB refit=sequential"
//! ```

mod common;

use mcprune::driver::{load_file, new_context};
use mcprune::ir::exec::{read_tensors, run, Tensor};
use mcprune::passes::component_prune::{parse_options, SPEC};
use mcprune::passes::OptionValues;

const MODEL: &str = "tests/fixtures/trained/tdmpc_trained.linalg.mlir";
const HELDOUT: &str = "tests/fixtures/trained/tdmpc_trained.heldout.json";

/// Inputs and targets of one evaluation set.
struct Set {
    inputs: Vec<Tensor>,
    reward: Vec<f32>,
    pi: Vec<f32>,
}

/// Rows `keep(i)` of every tensor (first dim), each repeated to fill 256.
fn half(t: &Tensor, keep: impl Fn(usize) -> bool) -> Tensor {
    let rows = t.shape[0] as usize;
    let width = t.data.len() / rows;
    let picked: Vec<usize> = (0..rows).filter(|&i| keep(i)).collect();
    let mut data = Vec::with_capacity(t.data.len());
    for k in 0..rows {
        let r = picked[k % picked.len()];
        data.extend_from_slice(&t.data[r * width..(r + 1) * width]);
    }
    Tensor { shape: t.shape.clone(), data }
}

fn task_loss(outputs: &[Tensor], set: &Set) -> f64 {
    let n = set.reward.len() as f64;
    let lr: f64 = outputs[0].data.iter().zip(&set.reward).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>() / n;
    let la: f64 = outputs[1].data.iter().zip(&set.pi).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>() / n;
    lr + la
}

fn main() {
    let root = env!("CARGO_MANIFEST_DIR");
    let heldout: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{root}/{HELDOUT}")).expect("held-out data")).expect("json");
    let inputs = read_tensors(&heldout, "inputs");
    let target = |k: &str| -> Tensor {
        let data: Vec<f32> = heldout["targets"][k]["data"].as_array().expect(k).iter().map(|v| v.as_f64().unwrap_or(0.0) as f32).collect();
        Tensor { shape: vec![data.len() as i64, 1], data }
    };
    let (reward, pi) = (target("reward"), target("pi"));
    let subset = |keep: &dyn Fn(usize) -> bool| Set {
        inputs: inputs.iter().map(|t| half(t, keep)).collect(),
        reward: half(&reward, keep).data,
        pi: half(&pi, keep).data,
    };
    let all = subset(&|_| true);
    let odd = subset(&|i| i % 2 == 1);
    let even = subset(&|i| i % 2 == 0);
    // The calibration file: even rows' inputs only.
    let calib_path = format!("{root}/target/fidelity-calibration.json");
    let calib = serde_json::json!({"inputs": even.inputs.iter().map(|t| serde_json::json!({"shape": t.shape, "data": t.data})).collect::<Vec<_>>()});
    std::fs::write(&calib_path, calib.to_string()).expect("calibration file");
    let model = format!("{root}/{MODEL}");

    let evaluate = |options: &str, sets: &[&Set]| -> (Vec<f64>, f64) {
        let ctx = new_context(false);
        let m = load_file(&ctx, &model).expect("model");
        let mut reached = 0.0;
        if !options.is_empty() {
            let values = OptionValues::parse(SPEC.name, SPEC.options, options).expect("options");
            let outcome = parse_options(&values).expect("options").prune(m.op()).expect("prune");
            reached = outcome.plan.ratio_reached();
        }
        let losses = sets.iter().map(|s| task_loss(&run(m.op(), &s.inputs).expect("run"), s)).collect();
        (losses, reached)
    };
    let (base, _) = evaluate("", &[&all, &odd]);
    println!(
        "unpruned task loss: {:.4} on all 256 rows (reference {}), {:.4} on the odd rows\n",
        base[0], heldout["unpruned_task_loss"], base[1]
    );

    let table = |title: &str, settings: &[(&str, String)], set: usize, sets: &[&Set]| {
        common::ratio_table(title, settings, &|options| {
            let (loss, reached) = evaluate(options, sets);
            format!("{:.2}x ({:.1}%)", loss[set] / base[set], reached * 100.0)
        })
    };
    // `-- --opts "OPTIONS" ...`: one row per option string (CALIB stands for
    // the calibration file), on the odd rows; cargo appends `--bench`.
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--opts") {
        let rows: Vec<(String, String)> =
            args[at + 1..].iter().filter(|a| !a.starts_with("--")).map(|o| (o.clone(), o.replace("CALIB", &calib_path))).collect();
        let named: Vec<(&str, String)> = rows.iter().map(|(n, o)| (n.as_str(), o.clone())).collect();
        table("Chosen settings, task loss on the odd rows against the unpruned model's:", &named, 1, &[&all, &odd]);
        return;
    }
    // `cargo bench --bench fidelity -- --selection`: only the selection tables.
    let selection_only = args.iter().any(|a| a == "--selection");
    if !selection_only {
        standard_tables(&table, &calib_path, &all, &odd);
    }
    selection_tables(&table, &calib_path, &all, &odd);
}

type Table<'a> = dyn Fn(&str, &[(&str, String)], usize, &[&Set]) + 'a;

/// The tables of issue 4, with the selection they were measured with
/// (before rank=lamp, max-ratio=0.9 and round-to=auto were the defaults).
fn standard_tables(table: &Table, calib_path: &str, all: &Set, odd: &Set) {
    const CLASSIC: &str = "rank=cost max-ratio=1 round-to=1";
    let plain: Vec<(&str, String)> = vec![
        ("vanilla, local", format!("grouping=vanilla scope=local {CLASSIC}")),
        ("vanilla, global", format!("grouping=vanilla scope=global {CLASSIC}")),
        ("component, local", format!("grouping=component scope=local {CLASSIC}")),
        ("component, global", format!("grouping=component scope=global {CLASSIC}")),
    ];
    table("Weight magnitude (no calibration), all 256 held-out rows:", &plain, 0, &[all, odd]);
    table("Weight magnitude (no calibration), odd rows:", &plain, 1, &[all, odd]);
    let cal = |g: &str, s: &str, c: &str| format!("grouping={g} scope={s} calibration={calib_path} compensate={c} {CLASSIC}");
    let calibrated: Vec<(&str, String)> = vec![
        ("vanilla, local, lstsq", cal("vanilla", "local", "lstsq")),
        ("vanilla, global, lstsq", cal("vanilla", "global", "lstsq")),
        ("component, local, lstsq", cal("component", "local", "lstsq")),
        ("component, global, mean", cal("component", "global", "mean")),
        ("component, global, lstsq", cal("component", "global", "lstsq")),
    ];
    table("Calibrated on the even rows' inputs, evaluated on the odd rows:", &calibrated, 1, &[all, odd]);
}

fn selection_tables(table: &Table, calib_path: &str, all: &Set, odd: &Set) {
    // How global scope ranks groups against each other, and the cap per
    // group: the measurement behind the defaults of `rank` and `max-ratio`.
    let mut selection: Vec<(&str, String)> = Vec::new();
    for (name, rank, cap) in [
        ("cost, cap 1.0", "cost", "1.0"),
        ("cost, cap 0.8", "cost", "0.8"),
        ("mean, cap 1.0", "mean", "1.0"),
        ("mean, cap 0.8", "mean", "0.8"),
        ("lamp, cap 1.0", "lamp", "1.0"),
        ("lamp, cap 0.8", "lamp", "0.8"),
    ] {
        selection.push((name, format!("grouping=component scope=global rank={rank} max-ratio={cap} round-to=1")));
    }
    selection.push(("defaults", String::new()));
    table("Selection (component, global, no calibration), all 256 held-out rows:", &selection, 0, &[all, odd]);
    let calibrated_selection: Vec<(&str, String)> =
        selection.iter().map(|(n, o)| (*n, format!("{o} calibration={calib_path}"))).collect();
    // (the last setting of each table is the defaults, round-to=auto included)
    table("Selection (component, global, calibrated, lstsq), odd rows:", &calibrated_selection, 1, &[all, odd]);
}
