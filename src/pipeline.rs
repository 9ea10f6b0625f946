//! The component-prune pipeline: one straight line of named phases.
//!
//! ```text
//! check input -> tag -> analyse -> group -> calibrate -> select
//!             -> compensate -> report (before) -> rewrite -> check -> report (after)
//! ```
//!
//! Every phase reads what the previous ones produced and nothing else: the
//! analysis never mutates IR, selection sees only the analysis, the groups
//! and the statistics, and the rewrite consumes the plan. The passes under
//! `passes/` parse options into [`PruneOptions`] and call [`prune`].

use crate::analysis::Dependencies;
use crate::error::{Error, Result};
use crate::group::{Groups, HeadUnits};
use crate::ir::{dense, Op};
use crate::report::{flops, Report};
use crate::rewrite;
use crate::rewrite::compensate::{self, Compensate};
use crate::select::calibration::{self, Activations, Sink};
use crate::select::counts::WeightCounts;
use crate::select::{select, PlanOptions, PrunePlan};
use crate::tag::{assign, ComponentMap, TagOptions};
use std::time::Instant;

/// How the plan reaches the IR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Materialize {
    /// Fold the removed channels out of the weights and shapes.
    Remove,
    /// Zero their weights and keep every shape.
    Mask,
}

/// Everything `component-prune` was asked to do.
#[derive(Clone, Debug)]
pub struct PruneOptions {
    pub tags: TagOptions,
    /// Whether factored dims lose head dims or whole heads first.
    pub heads: HeadUnits,
    pub plan: PlanOptions,
    pub materialize: Materialize,
    /// Sample inputs (`calibration=FILE`: `.npz`, `.npy` or `.json`).
    pub calibration: Option<String>,
    pub compensate: Compensate,
    pub ridge: f64,
}

/// What a run did, for the report and for callers in Rust.
pub struct Outcome {
    pub plan: PrunePlan,
    pub report: Report,
}

/// Prunes `module` in place.
pub fn prune(module: Op, opts: &PruneOptions) -> Result<Outcome> {
    let timer = PhaseTimer::start();
    dense::require_weight_data(module)?;
    dense::require_float_weights(module)?;
    let components = assign(module, &opts.tags);
    let deps = Dependencies::run(module);
    let groups = Groups::build(&deps, &components, opts.heads);
    timer.done("analysis and grouping");
    let statistics = calibrate(module, &deps, &groups, opts)?;
    if statistics.is_some() {
        timer.done("calibration");
    }
    let mut plan = select(&deps, &groups, &components, &with_statistics(&opts.plan, statistics.as_ref()))?;
    timer.done("selection");
    if let Some(stats) = &statistics {
        let notes = compensate::apply(&deps, &plan, &stats.sinks, &stats.activations, opts.compensate, opts.ridge)?;
        plan.notes.extend(notes);
        timer.done("compensation");
    }
    let mut report = Report::build(&deps, &components, &groups, opts.plan.grouping);
    let flops_before = flops(&deps);
    let params_after = params_after_by_component(&deps, &components, &groups, &plan);
    let flops_after = materialize(module, &deps, &groups, &plan, opts.materialize)?;
    timer.done("rewrite and check");
    report.record_plan(&plan, &opts.plan, &components, &params_after, (flops_before, flops_after));
    Ok(Outcome { plan, report })
}

/// What one instrumented run recorded, for ranking and compensation.
struct Statistics {
    sinks: Vec<Sink>,
    activations: Activations,
    importance: std::collections::BTreeMap<usize, Vec<f64>>,
}

/// Runs the model on the calibration inputs, if any were given.
fn calibrate(module: Op, deps: &Dependencies, groups: &Groups, opts: &PruneOptions) -> Result<Option<Statistics>> {
    let Some(path) = &opts.calibration else { return Ok(None) };
    let inputs = calibration::read_inputs(path)?;
    let sinks = calibration::find_sinks(deps, groups);
    let started = Instant::now();
    let activations = calibration::record(module, deps, &sinks, &inputs)?;
    tracing::debug!(elapsed = ?started.elapsed(), "calibration run");
    let importance = calibration::importance(deps, groups, &sinks, &activations)?;
    Ok(Some(Statistics { sinks, activations, importance }))
}

/// The selection options, ranking by activations where they were recorded.
fn with_statistics(plan: &PlanOptions, statistics: Option<&Statistics>) -> PlanOptions {
    let mut plan = plan.clone();
    if let Some(stats) = statistics {
        plan.calibrated = stats.importance.clone();
    }
    plan
}

/// Parameters each component keeps under the plan, from exact counts.
fn params_after_by_component(deps: &Dependencies, components: &ComponentMap, groups: &Groups, plan: &PrunePlan) -> Vec<u64> {
    let counts = WeightCounts::new(deps).after(groups, &plan.removed);
    let mut after = vec![0u64; components.names.len()];
    for (w, weight) in deps.weights().iter_enumerated() {
        if let Some(c) = components.component_of(deps.op(weight.op)) {
            after[c] += counts.size(w);
        }
    }
    after
}

/// Applies the plan; returns the FLOPs of the result.
fn materialize(module: Op, deps: &Dependencies, groups: &Groups, plan: &PrunePlan, how: Materialize) -> Result<u64> {
    match how {
        Materialize::Mask => {
            rewrite::mask::apply(deps, groups, plan)?;
            Ok(flops(deps))
        }
        Materialize::Remove => {
            let stats = rewrite::apply(module, deps, plan)?;
            check_parameters(module, plan, stats.splat_weights)
        }
    }
}

/// The rewritten module must hold exactly the parameters the plan counted.
/// A weight whose kept inline elements are all equal (one element, say) is
/// a splat, which the analysis does not count as weight data. Returns the
/// module's FLOPs.
fn check_parameters(module: Op, plan: &PrunePlan, splat_weights: u64) -> Result<u64> {
    let check = Dependencies::run(module);
    let params: u64 = check.weights().iter().map(|w| w.elements).sum();
    if params + splat_weights != plan.params_after {
        return Err(Error::ir(
            module.location(),
            format!("internal error: the pruned module holds {params} parameters, the plan {}", plan.params_after),
        ));
    }
    Ok(flops(&check))
}

/// Logs how long each phase took (`MCPRUNE_LOG=info`).
struct PhaseTimer(Instant);

impl PhaseTimer {
    fn start() -> PhaseTimer {
        PhaseTimer(Instant::now())
    }

    fn done(&self, phase: &str) {
        tracing::info!(elapsed = ?self.0.elapsed(), "{phase}");
    }
}
