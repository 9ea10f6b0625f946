//! The component-prune pipeline: one straight line of named phases.
//!
//! ```text
//! check input -> normalize -> tag -> analyse -> group -> calibrate -> select
//!             -> compensate -> report (before) -> rewrite -> check -> report (after)
//! ```
//!
//! Every phase reads what the previous ones produced and nothing else: the
//! analysis never mutates IR, selection sees only the analysis, the groups
//! and the statistics, and the rewrite consumes the plan. The passes under
//! `passes/` parse options into [`PruneOptions`] and call [`prune`].

use crate::analysis::{ClassId, Dependencies};
use crate::error::{Error, Result};
use crate::group::{Group, Groups, HeadUnits};
use crate::ir::exec::Tensor;
use crate::ir::{dense, Op};
use crate::normalize;
use crate::report::{flops, Report};
use crate::rewrite;
use crate::rewrite::compensate::{self, Compensate, Compensation, Refit, Source};
use crate::select::calibration::{self, Activations, Sink, WeightSnapshot};
use crate::select::counts::WeightCounts;
use crate::select::{select, PlanOptions, PrunePlan};
use crate::tag::{assign, ComponentMap, TagOptions};
use std::collections::BTreeSet;
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
    /// Which activations the compensation fits see.
    pub refit: Refit,
    pub ridge: f64,
    /// How calibration ranks channels.
    pub calibrated_importance: CalibratedImportance,
}

/// How calibration ranks channels (`calibrated-importance=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalibratedImportance {
    /// `var(x) |W|²` per channel: the error a removal leaves once its mean
    /// is compensated (`compensate=mean`'s measure).
    Variance,
    /// The error left after the kept channels are refitted, by greedy
    /// elimination (`compensate=lstsq`'s measure;
    /// [`calibration::reconstruction`]).
    Elimination,
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
    normalize::run(module)?;
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
        let done = match opts.refit {
            Refit::Once => compensate::apply(&deps, &plan, &stats.sinks, Source::Unpruned(&stats.activations, opts.compensate), opts.ridge)?,
            Refit::Sequential => compensate_sequentially(module, &deps, &groups, &plan, stats, opts)?,
        };
        plan.notes.extend(done.notes);
        plan.compensated = done.weights;
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
    inputs: Vec<Tensor>,
    sinks: Vec<Sink>,
    activations: Activations,
    importance: std::collections::BTreeMap<usize, Vec<f64>>,
}

/// `refit=sequential`: compensates group by group, in the program order of
/// the layers that consume each group, every fit on activations recorded
/// from the model as the earlier groups left it (compensated, and their
/// channels masked), so that a layer's fit sees the inputs it will get
/// rather than the unpruned ones. Masking in place changes no shape; the
/// rewrite then removes what is masked.
fn compensate_sequentially(
    module: Op,
    deps: &Dependencies,
    groups: &Groups,
    plan: &PrunePlan,
    stats: &Statistics,
    opts: &PruneOptions,
) -> Result<Compensation> {
    let mut done = Compensation::default();
    let unpruned = WeightSnapshot::take(deps);
    for g in groups_in_sink_order(deps, groups, plan, &stats.sinks) {
        let (classes, sinks) = consumers_of(deps, &groups.groups[g], &stats.sinks);
        let mut stage = plan.clone();
        stage.removed.retain(|&id, _| id == g);
        stage.class_removed.retain(|c, _| classes.contains(c));
        if !sinks.is_empty() {
            done.extend(refit_stage(module, deps, &stage, &sinks, &stats.inputs, &unpruned, opts)?);
        }
        rewrite::mask::apply(deps, groups, &stage)?;
    }
    done.notes.sort();
    done.notes.dedup();
    Ok(done)
}

/// Unpruned activations kept at once to pair them with the current ones;
/// beyond this, a stage fits the current activations alone.
const PAIRED_BUDGET_BYTES: usize = 1 << 30;

/// One group's consumers fitted on the model as the earlier stages left
/// it: with `lstsq`, to give back what they computed in the unpruned model
/// (paired runs); with `mean`, or past the memory budget, to rebuild their
/// removed inputs from the current kept ones.
fn refit_stage(module: Op, deps: &Dependencies, stage: &PrunePlan, sinks: &[Sink], inputs: &[Tensor], unpruned: &WeightSnapshot, opts: &PruneOptions) -> Result<Compensation> {
    if opts.compensate == Compensate::Lstsq {
        if let Some(paired) = calibration::record_paired(module, deps, sinks, inputs, unpruned, PAIRED_BUDGET_BYTES)? {
            return compensate::apply(deps, stage, sinks, Source::Paired(&paired), opts.ridge);
        }
    }
    let activations = calibration::record(module, deps, sinks, inputs)?;
    let mut done = compensate::apply(deps, stage, sinks, Source::Unpruned(&activations, opts.compensate), opts.ridge)?;
    if opts.compensate == Compensate::Lstsq {
        done.notes.push(format!(
            "refit=sequential: the unpruned activations of some consumers exceed {} MiB, so they were fitted on the current activations alone",
            PAIRED_BUDGET_BYTES >> 20
        ));
    }
    Ok(done)
}

/// The plan's pruned groups, ordered by the first layer that consumes
/// their channels (groups no layer consumes first).
fn groups_in_sink_order(deps: &Dependencies, groups: &Groups, plan: &PrunePlan, sinks: &[Sink]) -> Vec<usize> {
    let mut order: Vec<(usize, usize)> = plan
        .removed
        .keys()
        .map(|&g| {
            let first = consumers_of(deps, &groups.groups[g], sinks).1.iter().map(|s| s.op.index()).min();
            (first.unwrap_or(0), g)
        })
        .collect();
    order.sort();
    order.into_iter().map(|(_, g)| g).collect()
}

/// A group's channel classes, and the sinks that consume them.
fn consumers_of(deps: &Dependencies, group: &Group, sinks: &[Sink]) -> (BTreeSet<ClassId>, Vec<Sink>) {
    let classes: BTreeSet<ClassId> = group.members.iter().map(|m| m.class).collect();
    let consumers = sinks.iter().filter(|s| classes.contains(&deps.class_of_dim(s.act, s.act_dim))).cloned().collect();
    (classes, consumers)
}

/// Runs the model on the calibration inputs, if any were given.
fn calibrate(module: Op, deps: &Dependencies, groups: &Groups, opts: &PruneOptions) -> Result<Option<Statistics>> {
    let Some(path) = &opts.calibration else { return Ok(None) };
    let inputs = calibration::read_inputs(path)?;
    let sinks = calibration::find_sinks(deps, groups);
    let started = Instant::now();
    let activations = calibration::record(module, deps, &sinks, &inputs)?;
    tracing::debug!(elapsed = ?started.elapsed(), "calibration run");
    let mut importance = calibration::importance(deps, groups, &sinks, &activations)?;
    if opts.calibrated_importance == CalibratedImportance::Elimination {
        let started = Instant::now();
        let eliminated = calibration::reconstruction::importance(deps, groups, &sinks, &activations, opts.ridge)?;
        tracing::debug!(elapsed = ?started.elapsed(), groups = eliminated.len(), "elimination");
        importance.extend(eliminated);
    }
    Ok(Some(Statistics { inputs, sinks, activations, importance }))
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
