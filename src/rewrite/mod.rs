//! The rewrite that applies a [`PrunePlan`], by equality saturation (design
//! section 5).
//!
//! Per function: the IR becomes an e-graph ([`build`]) in which the plan's
//! selections are inserted where pruned dims are consumed; the rule table
//! ([`rules`]) pushes selections through ops until they meet constants,
//! splats or block arguments, where the e-class analysis ([`prune`]) folds
//! them into smaller values; extraction ([`extract`]) picks, for every
//! result the function returns or yields, the program without selections
//! (a selection costs infinity) and the smallest constants, and rebuilds it
//! at the original ops' positions. Ops left without uses are erased. Means
//! over pruned dims get their new element counts first ([`sizes`]).
//!
//! `materialize=mask` ([`mask`]) keeps every shape and zeroes the removed
//! channels' weights instead, for checking.

pub mod build;
pub mod compensate;
pub mod extract;
pub mod lang;
pub mod mask;
pub mod prune;
pub mod reorder;
pub mod rules;
pub mod sig;
pub mod sizes;

use crate::analysis::{Dependencies, IdVec, OpId};
use crate::error::{Error, Result};
use crate::ir::{describe, Op};
use crate::select::PrunePlan;
use egg::{EGraph, Runner, SimpleScheduler};
use prune::Prune;
use std::collections::HashMap;

/// How the rewrite went, for the log and the report.
#[derive(Clone, Debug, Default)]
pub struct RewriteStats {
    pub functions: usize,
    pub egraph_nodes: usize,
    pub egraph_classes: usize,
    pub iterations: usize,
    /// Parameters of the weights the rewrite left as splats (inline data
    /// whose kept elements are all equal).
    pub splat_weights: u64,
}

/// Applies `plan` to `module` (analysed as `a`), removing channels: one
/// e-graph per function, then the new function types, then the verifier.
pub fn apply(module: Op, a: &Dependencies, plan: &PrunePlan) -> Result<RewriteStats> {
    let mut stats = RewriteStats::default();
    if plan.class_removed.is_empty() {
        return Ok(stats);
    }
    let tensor_counts = sizes::refold(a, plan)?;
    let mut sigs = sig::signatures(a);
    let funcs: Vec<Op> = module.nested_ops().into_iter().filter(|o| o.name() == "func.func" && o.num_regions() > 0).collect();
    for func in funcs.into_iter().filter(|f| f.region(0).first_block().is_some()) {
        sigs = rewrite_function(func, a, plan, &tensor_counts, sigs, &mut stats)?;
    }
    // Functions whose arguments or results changed get their new types.
    for func in module.nested_ops().into_iter().filter(|o| o.name() == "func.func") {
        func.update_function_type();
    }
    let verify_start = std::time::Instant::now();
    let verified = module.verify();
    tracing::info!(elapsed = ?verify_start.elapsed(), "verify");
    if !verified {
        return Err(Error::ir(module.location(), "the pruned module fails the MLIR verifier"));
    }
    Ok(stats)
}

/// Saturates the e-graph of one function, extracts the pruned form and
/// rebuilds the function from it. The signatures are handed on to the next
/// function instead of being copied.
fn rewrite_function(
    func: Op,
    a: &Dependencies,
    plan: &PrunePlan,
    tensor_counts: &HashMap<(Op, usize), f64>,
    sigs: IdVec<OpId, sig::OpSig>,
    stats: &mut RewriteStats,
) -> Result<IdVec<OpId, sig::OpSig>> {
    let mut analysis = Prune { sigs, ..Default::default() };
    plan_block_arguments(a, plan, func, &mut analysis);
    let mut eg = EGraph::new(analysis);
    let built = build::build(&mut eg, a, plan, tensor_counts, func);
    let runner = Runner::default()
        .with_egraph(eg)
        .with_scheduler(SimpleScheduler)
        .with_iter_limit(10_000)
        .with_node_limit(usize::MAX)
        .with_time_limit(std::time::Duration::from_secs(3600))
        .run(&rules::rules());
    let mut eg = runner.egraph;
    stats.functions += 1;
    stats.iterations += runner.iterations.len();
    stats.egraph_nodes += eg.total_size();
    stats.egraph_classes += eg.number_of_classes();
    tracing::info!(
        iterations = runner.iterations.len(),
        nodes = eg.total_size(),
        classes = eg.number_of_classes(),
        stop = ?runner.stop_reason,
        "rewrite e-graph"
    );
    if eg.analysis.shape_conflicts > 0 {
        return Err(Error::ir(func.location(), "internal error: the rewrite equated tensors of different shapes"));
    }
    let extract_start = std::time::Instant::now();
    let mut rb = extract::Rebuild::new(a, &eg);
    check_sinks(a, &rb, &built)?;
    extract::connect_roots(&mut rb, &built)?;
    stats.splat_weights += rb.splat_weights;
    drop(rb);
    retype_loop_arguments(a, &built);
    tracing::info!(elapsed = ?extract_start.elapsed(), "extract and rebuild");
    erase_dead_ops(a, func);
    Ok(std::mem::take(&mut eg.analysis.sigs))
}

/// Records the function's block arguments and the plan's selections of
/// them.
fn plan_block_arguments(a: &Dependencies, plan: &PrunePlan, func: Op, analysis: &mut Prune) {
    func.walk(&mut |op| {
        for arg in op.regions().flat_map(|r| r.blocks()).flat_map(|b| b.arguments()) {
            let Some(vid) = a.value_id(arg) else { continue };
            analysis.args.insert(vid.index() as u32, a.value(vid).shape.clone());
            let keep = build::value_keep(a, plan, vid);
            if keep.iter().any(|k| k.is_some()) {
                let sels: Vec<Option<u32>> = keep.into_iter().map(|k| k.map(|k| analysis.sels.intern(k))).collect();
                analysis.arg_plan.insert(vid.index() as u32, sels);
            }
        }
        !crate::analysis::rules::has_payload_regions(op)
    });
}

/// Every sink must extract to its pruned form; otherwise the removed
/// channels could not be folded out, and the error says where it stuck.
fn check_sinks(a: &Dependencies, rb: &extract::Rebuild, built: &build::Built) -> Result<()> {
    for &(oid, ref pruned) in &built.sinks {
        let op = a.op(oid);
        if rb.sink_took_effect(built.value_class[&op.result(0)], pruned) {
            continue;
        }
        let why = match rb.stuck_at(pruned) {
            Some((at, dim)) => format!(": the selection of dim {dim} could not be pushed through {}", describe::op(at)),
            None => String::new(),
        };
        return Err(Error::ir(
            op.location(),
            format!("could not remove the pruned channels from the operands of {}{why}", describe::op(op)),
        ));
    }
    Ok(())
}

/// Loops updated in place: their block arguments follow their results.
fn retype_loop_arguments(a: &Dependencies, built: &build::Built) {
    for op in built.structural.iter().map(|&(oid, _)| a.op(oid)).filter(|op| op.name() == "scf.for") {
        if let Some(body) = op.region(0).first_block() {
            for i in 0..op.num_results() {
                body.argument(i + 1).set_type(op.result(i).ty());
            }
        }
    }
}

/// Erases the original ops that nothing uses any more (latest first, so a
/// chain of dead ops goes in one pass).
fn erase_dead_ops(a: &Dependencies, func: Op) {
    let ops = build::function_ops(a, func);
    for &oid in ops.iter().rev() {
        let op = a.op(oid);
        let is_terminator = op.block().and_then(|b| b.terminator()) == Some(op);
        if !is_terminator && op.num_results() > 0 && !op.has_uses() {
            // SAFETY: unused, and the ops nested in it came earlier in this
            // reverse pre-order. `a` still lists it, but is read afterwards
            // only for the ops of the functions still to rewrite (SSA values
            // never cross a function), and not at all after `apply`.
            unsafe { op.erase() };
        }
    }
}

#[cfg(test)]
mod tests;
