//! `component-prune`: remove channels, component-aware, so that `ratio` of
//! the model's parameters go.
//!
//! Contract: tags components where ops carry no `mcprune.component` yet
//! (the `component-tag` rules and options), analyses channel dependencies,
//! groups them (`grouping`), ranks channels by weight magnitude
//! (`importance`, `component-weights`), selects what to remove (`ratio`,
//! `scope`, `interfaces`, `protect`, `min-keep`, `round-to`), and applies
//! the plan: by equality saturation that folds the removed channels out of
//! the weights (`materialize=remove`, default), or by zeroing them in place
//! (`materialize=mask`). Means over pruned channels (LayerNorm statistics)
//! get the kept element count, so they run over the kept channels; the mask
//! leaves them counting the zeroed ones. The output passes the verifier;
//! any inconsistency fails the pass with a diagnostic at the op and nothing
//! is written.
//! Writes the report (design section 6) to `report=FILE` and a summary to
//! stderr.
//!
//! Before (`ratio=0.5`, 4 inputs, 8 hidden channels, 3 outputs):
//! ```mlir
//! %w1 = arith.constant dense<...> : tensor<4x8xf32>
//! %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x8xf32>) ...
//! %y = linalg.matmul ins(%h, %w2 : tensor<2x8xf32>, tensor<8x3xf32>) ...
//! ```
//! After: the hidden layer keeps its 4 most important channels.
//! ```mlir
//! %w1 = arith.constant dense<...> : tensor<4x4xf32>
//! %h = linalg.matmul ins(%x, %w1 : tensor<2x4xf32>, tensor<4x4xf32>) ...
//! %y = linalg.matmul ins(%h, %w2 : tensor<2x4xf32>, tensor<4x3xf32>) ...
//! ```

use super::component_tag::parse_tag_options;
use super::{ModulePass, OptionSpec, OptionValues, PassSpec};
use crate::error::{Error, Result};
use crate::ir::Op;
use crate::output::write_file;
pub use crate::pipeline::Outcome;
use crate::pipeline::{self, CalibratedImportance, Materialize, PruneOptions};
use crate::rewrite::compensate::{Compensate, Refit};
use crate::select::importance::Norm;
use crate::select::{Budget, Interfaces, PlanOptions, Rank, Rounding, Scope};

/// Defaults of the selection, chosen by measurement (BENCHMARKS.md,
/// "Selection defaults").
const DEFAULT_RANK: &str = "lamp";
const DEFAULT_MAX_RATIO: f64 = 0.9;
const DEFAULT_MAX_RATIO_TEXT: &str = "0.9";
const DEFAULT_ROUND_TO: Rounding = Rounding::Auto;
const DEFAULT_ROUND_TO_TEXT: &str = "auto";

pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec { name: "ratio", values: "F in [0,1)", default: "0", help: "fraction of all weight parameters to remove" },
    OptionSpec {
        name: "grouping",
        values: "component|vanilla",
        default: "component",
        help: "component-aware groups, or DepGraph's groups across components",
    },
    super::component_groups::HEADS,
    OptionSpec {
        name: "interfaces",
        values: "keep|prune",
        default: "keep",
        help: "keep groups that span components, or prune them as a whole",
    },
    OptionSpec { name: "importance", values: "l1|l2", default: "l2", help: "weight magnitude that ranks channels" },
    OptionSpec {
        name: "scope",
        values: "global|local",
        default: "global",
        help: "rank channels across groups, or remove the same fraction of each group",
    },
    OptionSpec {
        name: "rank",
        values: "cost|mean|lamp",
        default: DEFAULT_RANK,
        help: "global scope: importance per parameter saved, importance, or LAMP score",
    },
    OptionSpec { name: "budget", values: "params|flops", default: "params", help: "what ratio is a fraction of" },
    OptionSpec {
        name: "max-ratio",
        values: "F in [0,1]",
        default: DEFAULT_MAX_RATIO_TEXT,
        help: "the largest fraction of any group's channels that may go",
    },
    OptionSpec { name: "protect", values: "a,b", default: "", help: "components whose groups are never pruned" },
    OptionSpec {
        name: "component-weights",
        values: "a:2.0,b:0.5",
        default: "",
        help: "multiply the importance of groups touching a component",
    },
    OptionSpec {
        name: "round-to",
        values: "N|auto",
        default: DEFAULT_ROUND_TO_TEXT,
        help: "kept channel counts are multiples of N, or widths the backend is fast at",
    },
    OptionSpec { name: "min-keep", values: "N", default: "1", help: "channels every group keeps" },
    OptionSpec {
        name: "materialize",
        values: "remove|mask",
        default: "remove",
        help: "remove channels, or zero their weights and keep shapes",
    },
    OptionSpec {
        name: "calibration",
        values: "FILE.npz|FILE.npy|FILE.json",
        default: "",
        help: "sample inputs, one array per @main argument (rows may be several batches): rank by activations, compensate consumers",
    },
    OptionSpec {
        name: "compensate",
        values: "none|mean|lstsq",
        default: "lstsq with calibration",
        help: "make consumers see the removed channels' mean or least-squares reconstruction",
    },
    OptionSpec {
        name: "refit",
        values: "once|sequential",
        default: "once",
        help: "fit every consumer on the unpruned activations, or group by group on the activations earlier cuts leave (one more run per group)",
    },
    OptionSpec { name: "ridge", values: "F", default: "0.001", help: "ridge of the least-squares fit, relative to the data" },
    OptionSpec {
        name: "calibrated-importance",
        values: "elimination|variance",
        default: "elimination with compensate=lstsq",
        help: "rank by the error left once the kept channels are refitted (greedy elimination), or by activation variance",
    },
    super::component_groups::REPORT,
    super::component_tag::STRATEGY,
    super::component_tag::DEPTH,
];

pub static SPEC: PassSpec = PassSpec {
    name: "component-prune",
    summary: "Remove channels component-aware so that a ratio of the parameters goes",
    options: OPTIONS,
    create,
};

/// The pass with its options checked.
pub struct ComponentPrune {
    pub options: PruneOptions,
    pub report: Option<String>,
}

/// Reads and checks the options.
pub fn parse_options(values: &OptionValues) -> Result<ComponentPrune> {
    let ratio = values.f64_in("ratio", 0.0, 0.0, 1.0)?;
    let grouping = super::component_groups::parse_grouping(values, "component-prune")?;
    let heads = super::component_groups::parse_heads(values, "component-prune")?;
    let interfaces = match values.choice("interfaces", "keep", &["keep", "prune"])? {
        "prune" => Interfaces::Prune,
        _ => Interfaces::Keep,
    };
    let importance = Norm::parse(values.choice("importance", "l2", Norm::NAMES)?)
        .ok_or_else(|| Error::option("component-prune", "bad importance"))?;
    let scope = match values.choice("scope", "global", &["global", "local"])? {
        "local" => Scope::Local,
        _ => Scope::Global,
    };
    let rank = Rank::parse(values.choice("rank", DEFAULT_RANK, Rank::NAMES)?)
        .ok_or_else(|| Error::option("component-prune", "bad rank"))?;
    let budget = Budget::parse(values.choice("budget", "params", Budget::NAMES)?)
        .ok_or_else(|| Error::option("component-prune", "bad budget"))?;
    let max_ratio = values.f64_between("max-ratio", DEFAULT_MAX_RATIO, 0.0, 1.0)?;
    let materialize = match values.choice("materialize", "remove", &["remove", "mask"])? {
        "mask" => Materialize::Mask,
        _ => Materialize::Remove,
    };
    let calibration = values.path("calibration");
    let compensate = match values.choice("compensate", if calibration.is_some() { "lstsq" } else { "none" }, &["none", "mean", "lstsq"])? {
        "mean" => Compensate::Mean,
        "lstsq" => Compensate::Lstsq,
        _ => Compensate::None,
    };
    if compensate != Compensate::None && calibration.is_none() {
        return Err(Error::option("component-prune", "compensate= needs calibration=FILE"));
    }
    let refit = match values.choice("refit", "once", &["once", "sequential"])? {
        "sequential" => Refit::Sequential,
        _ => Refit::Once,
    };
    if refit == Refit::Sequential && compensate == Compensate::None {
        return Err(Error::option("component-prune", "refit=sequential needs calibration=FILE and a compensate= other than none"));
    }
    let ridge = values.f64_in("ridge", 1e-3, 0.0, f64::INFINITY)?;
    let default_importance = if compensate == Compensate::Lstsq { "elimination" } else { "variance" };
    let calibrated_importance = match values.choice("calibrated-importance", default_importance, &["elimination", "variance"])? {
        "elimination" => CalibratedImportance::Elimination,
        _ => CalibratedImportance::Variance,
    };
    if calibrated_importance == CalibratedImportance::Elimination && compensate != Compensate::Lstsq {
        return Err(Error::option(
            "component-prune",
            "calibrated-importance=elimination needs calibration=FILE and compensate=lstsq (it measures what the least-squares refit leaves)",
        ));
    }
    Ok(ComponentPrune {
        options: PruneOptions {
            calibration,
            compensate,
            refit,
            ridge,
            calibrated_importance,
            plan: PlanOptions {
            ratio,
            grouping,
            interfaces,
            importance,
            scope,
            rank,
            budget,
            max_ratio,
            protect: values.list("protect")?,
            component_weights: values.weights("component-weights")?,
            round_to: parse_rounding(values)?,
            min_keep: values.usize_at_least("min-keep", 1, 1)?,
                calibrated: Default::default(),
            },
            materialize,
            tags: parse_tag_options(values)?,
            heads,
        },
        report: values.path("report"),
    })
}

/// `round-to=N` or `round-to=auto`.
fn parse_rounding(values: &OptionValues) -> Result<Rounding> {
    match values.raw("round-to").map(str::trim) {
        None => Ok(DEFAULT_ROUND_TO),
        Some("auto") => Ok(Rounding::Auto),
        Some(_) => Ok(Rounding::Multiple(values.usize_at_least("round-to", 1, 1)?)),
    }
}

fn create(values: &OptionValues) -> Result<Box<dyn ModulePass>> {
    Ok(Box::new(parse_options(values)?))
}

impl ComponentPrune {
    /// Prunes `module` in place and returns the plan and the report.
    pub fn prune(&self, module: Op) -> Result<Outcome> {
        pipeline::prune(module, &self.options)
    }
}

impl ModulePass for ComponentPrune {
    fn run(&self, module: Op) -> Result<()> {
        let Outcome { plan, report } = self.prune(module).map_err(|e| e.in_pass(SPEC.name))?;
        if let Some(path) = &self.report {
            write_file(path, &report.to_json())?;
        }
        let pruned = plan.removed.len();
        let mut text = format!(
            "component-prune: {} -> {} parameters ({:.1}% removed, target {:.1}%), {} of {} groups pruned, FLOPs {} -> {}\n",
            plan.params_before,
            plan.params_after,
            plan.ratio_reached() * 100.0,
            self.options.plan.ratio * 100.0,
            pruned,
            report.groups.iter().filter(|g| g.kind != "piece").count(),
            report.summary.flops_before,
            report.summary.flops_after,
        );
        for c in &report.components {
            text.push_str(&format!("  {:<24} {:>10} -> {:>10}\n", c.name, c.params, c.params_after));
        }
        for n in &plan.notes {
            text.push_str(&format!("  note: {n}\n"));
        }
        eprint!("{text}");
        Ok(())
    }
}
