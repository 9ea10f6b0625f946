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
pub mod extract;
pub mod lang;
pub mod mask;
pub mod prune;
pub mod rules;
pub mod sig;
pub mod sizes;

use crate::analysis::Analysis;
use crate::error::{Error, Result};
use crate::ir::Op;
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
    /// Weights the rewrite cut down to a single inline element (splats).
    pub splat_weights: u64,
}

/// Applies `plan` to `module` (analysed as `a`), removing channels.
pub fn apply(module: Op, a: &Analysis, plan: &PrunePlan) -> Result<RewriteStats> {
    let mut stats = RewriteStats::default();
    if plan.class_removed.is_empty() {
        return Ok(stats);
    }
    let tensor_counts = sizes::refold(a, plan)?;
    let mut sigs = sig::signatures(a);
    let funcs: Vec<Op> = module.nested_ops().into_iter().filter(|o| o.name() == "func.func" && o.num_regions() > 0).collect();
    for func in funcs {
        if func.region(0).first_block().is_none() {
            continue; // a declaration
        }
        let mut analysis = Prune { sigs: std::mem::take(&mut sigs), ..Default::default() };
        // Block arguments and the plan's selections of them.
        let mut arg_plan = HashMap::new();
        func.walk(&mut |op| {
            for r in op.regions() {
                for b in r.blocks() {
                    for arg in b.arguments() {
                        let Some(&vid) = a.value_index.get(&arg) else { continue };
                        analysis.args.insert(vid as u32, a.values[vid].shape.clone());
                        let keep = build::value_keep(a, plan, vid);
                        if keep.iter().any(|k| k.is_some()) {
                            let sels: Vec<Option<u32>> = keep.into_iter().map(|k| k.map(|k| analysis.sels.intern(k))).collect();
                            arg_plan.insert(vid as u32, sels);
                        }
                    }
                }
            }
            !crate::analysis::has_payload_regions(op)
        });
        analysis.arg_plan = arg_plan;
        let mut eg = EGraph::new(analysis);
        let built = build::build(&mut eg, a, plan, &tensor_counts, func);
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
        for (oid, pruned) in &built.sinks {
            let oid = *oid;
            let class = built.value_class[&a.ops[oid].result(0)];
            if !rb.sink_took_effect(class, pruned) {
                let op = a.ops[oid];
                let why = match rb.stuck_at(pruned) {
                    Some((at, dim)) => format!(
                        ": the selection of dim {dim} could not be pushed through {}",
                        crate::group::describe_op(at)
                    ),
                    None => String::new(),
                };
                return Err(Error::ir(
                    op.location(),
                    format!("could not remove the pruned channels from the operands of {}{why}", crate::group::describe_op(op)),
                ));
            }
        }
        extract::connect_roots(&mut rb, &built)?;
        stats.splat_weights += rb.splat_weights;
        drop(rb);
        // Loops and branches updated in place: their block arguments follow.
        for &(oid, _) in &built.structural {
            let op = a.ops[oid];
            if op.name() == "scf.for" {
                if let Some(body) = op.region(0).first_block() {
                    for i in 0..op.num_results() {
                        let arg = body.argument(i + 1);
                        arg.set_type(op.result(i).ty());
                    }
                }
            }
        }
        tracing::info!(elapsed = ?extract_start.elapsed(), "extract and rebuild");
        erase_dead_ops(a, func);
        // Hand the signatures on to the next function instead of copying them.
        sigs = std::mem::take(&mut eg.analysis.sigs);
    }
    // Functions whose arguments or results changed get their new types.
    for func in module.nested_ops().into_iter().filter(|o| o.name() == "func.func") {
        extract::update_function_type(func);
    }
    let verify_start = std::time::Instant::now();
    let verified = module.verify();
    tracing::info!(elapsed = ?verify_start.elapsed(), "verify");
    if !verified {
        return Err(Error::ir(module.location(), "the pruned module fails the MLIR verifier"));
    }
    Ok(stats)
}

/// Erases the original ops that nothing uses any more (latest first, so a
/// chain of dead ops goes in one pass).
fn erase_dead_ops(a: &Analysis, func: Op) {
    let ops = build::function_ops(a, func);
    for &oid in ops.iter().rev() {
        let op = a.ops[oid];
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
