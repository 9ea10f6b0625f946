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
use crate::calibrate::{self, Compensate};
use crate::component::{assign, TagOptions};
use crate::deps::Analysis;
use crate::error::{Error, Result};
use crate::groups::Groups;
use crate::importance::Norm;
use crate::ir::Op;
use crate::output::write_file;
use crate::plan::{select, Budget, Interfaces, PlanOptions, PrunePlan, Rank, Rounding, Scope};
use crate::report::{flops, params_by_component, Report};
use crate::rewrite;

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
        values: "FILE.json",
        default: "",
        help: "sample inputs ({\"inputs\": [{\"shape\", \"data\"}]}): rank by activations, compensate consumers",
    },
    OptionSpec {
        name: "compensate",
        values: "none|mean|lstsq",
        default: "lstsq with calibration",
        help: "make consumers see the removed channels' mean or least-squares reconstruction",
    },
    OptionSpec { name: "ridge", values: "F", default: "0.001", help: "ridge of the least-squares fit, relative to the data" },
    OptionSpec { name: "report", values: "FILE.json", default: "", help: "write the JSON report here" },
    super::component_tag::STRATEGY,
    super::component_tag::DEPTH,
];

pub static SPEC: PassSpec = PassSpec {
    name: "component-prune",
    summary: "Remove channels component-aware so that a ratio of the parameters goes",
    options: OPTIONS,
    create,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Materialize {
    Remove,
    Mask,
}

/// The pass with its options checked.
pub struct ComponentPrune {
    pub plan: PlanOptions,
    pub materialize: Materialize,
    pub report: Option<String>,
    pub tags: TagOptions,
    pub calibration: Option<String>,
    pub compensate: Compensate,
    pub ridge: f64,
}

/// Reads and checks the options.
pub fn parse_options(values: &OptionValues) -> Result<ComponentPrune> {
    let ratio = values.f64_in("ratio", 0.0, 0.0, 1.0)?;
    let grouping = super::component_groups::parse_grouping(values, "component-prune")?;
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
        return Err(Error::option("component-prune", "compensate= needs calibration=FILE.json"));
    }
    let ridge = values.f64_in("ridge", 1e-3, 0.0, f64::INFINITY)?;
    Ok(ComponentPrune {
        calibration,
        compensate,
        ridge,
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
        report: values.path("report"),
        tags: parse_tag_options(values)?,
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

/// What a run did, for the report and for callers in Rust.
pub struct Outcome {
    pub plan: PrunePlan,
    pub report: Report,
}

impl ComponentPrune {
    /// Prunes `module` in place and returns the plan and the report.
    pub fn prune(&self, module: Op) -> Result<Outcome> {
        let start = std::time::Instant::now();
        crate::ir::dense::require_weight_data(module)?;
        let map = assign(module, &self.tags);
        let analysis = Analysis::run(module);
        let groups = Groups::build(&analysis, &map);
        let mut options = self.plan.clone();
        let mut notes = Vec::new();
        let calibration = match &self.calibration {
            Some(path) => {
                let inputs = calibrate::read_inputs(path)?;
                let sinks = calibrate::find_sinks(&analysis, &groups);
                let acts = calibrate::record(module, &analysis, &sinks, &inputs)?;
                options.calibrated = calibrate::importance(&analysis, &groups, &sinks, &acts)?;
                Some((sinks, acts))
            }
            None => None,
        };
        tracing::info!(elapsed = ?start.elapsed(), "analysis and grouping");
        let mut plan = select(&analysis, &groups, &map, &options)?;
        tracing::info!(elapsed = ?start.elapsed(), "selection");
        if let Some((sinks, acts)) = &calibration {
            notes = calibrate::compensate(&analysis, &plan, sinks, acts, self.compensate, self.ridge)?;
        }
        plan.notes.extend(notes);
        let mut report = Report::build(&analysis, &map, &groups, self.plan.grouping);
        let flops_before = flops(&analysis);

        // Per-component parameters after, from the plan's exact counts.
        let mut remaining: Vec<Vec<i64>> = analysis.weights.iter().map(|w| analysis.values[w.value].shape.clone()).collect();
        for (&g, chs) in &plan.removed {
            for cut in &groups.groups[g].weights {
                let n: usize = chs.iter().map(|&c| cut.indices[c as usize].len()).sum();
                remaining[cut.weight][cut.dim] -= n as i64;
            }
        }
        let mut after = vec![0u64; map.names.len()];
        for (w, shape) in analysis.weights.iter().zip(&remaining) {
            if let Some(c) = map.component_of(analysis.ops[w.op]) {
                after[c] += shape.iter().map(|&n| n.max(0) as u64).product::<u64>();
            }
        }

        match self.materialize {
            Materialize::Mask => {
                rewrite::mask::apply(&analysis, &groups, &plan)?;
            }
            Materialize::Remove => {
                let stats = rewrite::apply(module, &analysis, &plan)?;
                tracing::info!(elapsed = ?start.elapsed(), "rewrite");
                // The rewritten module must hold exactly what the plan says.
                // A weight cut down to one inline element is a splat, which
                // the analysis does not count as weight data.
                let check = Analysis::run(module);
                let params: u64 = check.weights.iter().map(|w| w.elements).sum();
                if params + stats.splat_weights != plan.params_after {
                    return Err(Error::ir(
                        module.location(),
                        format!(
                            "internal error: the pruned module holds {params} parameters, the plan {}",
                            plan.params_after
                        ),
                    ));
                }
                report.summary.flops_after = flops(&check);
                tracing::info!(elapsed = ?start.elapsed(), "check");
            }
        }
        report.summary.flops_before = flops_before;
        report.summary.params_after = plan.params_after;
        report.summary.notes = plan.notes.clone();
        report.summary.ratio_target = Some(self.plan.ratio);
        report.summary.ratio_reached = Some((plan.ratio_reached() * 10000.0).round() / 10000.0);
        report.summary.budget = Some(self.plan.budget.name());
        let names: Vec<String> = map.components().map(|(_, n)| n.to_string()).collect();
        for (c, comp) in report.components.iter_mut().enumerate() {
            let id = map.id(&names[c]).unwrap_or(c);
            comp.params_after = after[id];
        }
        let before = params_by_component(&analysis, &map);
        debug_assert_eq!(report.components.iter().map(|c| c.params).sum::<u64>(), before.iter().sum::<u64>());
        for g in &mut report.groups {
            let source = g.parent.unwrap_or(g.id);
            if let Some(r) = plan.removed.get(&source) {
                g.removed = r.clone();
            }
            if g.prunable && g.channels > 0 {
                let kept = (g.channels - g.removed.len()) as f64 / g.channels as f64;
                g.kept_fraction = Some((kept * 10000.0).round() / 10000.0);
            }
            if g.frozen_reason.is_none() {
                if let Some(why) = plan.skipped.get(&source) {
                    g.frozen_reason = Some(why.clone());
                }
            }
        }
        Ok(Outcome { plan, report })
    }
}

impl ModulePass for ComponentPrune {
    fn run(&self, module: Op) -> Result<()> {
        let Outcome { plan, report } = self.prune(module)?;
        if let Some(path) = &self.report {
            write_file(path, &report.to_json())?;
        }
        let pruned = plan.removed.len();
        let mut text = format!(
            "component-prune: {} -> {} parameters ({:.1}% removed, target {:.1}%), {} of {} groups pruned, FLOPs {} -> {}\n",
            plan.params_before,
            plan.params_after,
            plan.ratio_reached() * 100.0,
            self.plan.ratio * 100.0,
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
