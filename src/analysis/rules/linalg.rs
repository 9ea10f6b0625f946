//! linalg-on-tensors: every structured op (named or generic) through its
//! indexing maps, which the C API provides for all of them. Reduction loops
//! are contractions when the op multiplies and accumulates (matmul,
//! convolutions, contraction-shaped generics). A plain sum whose every use
//! divides it by its element count (a mean: LayerNorm statistics) is
//! `Normalized`: pruning it means a mean over the kept entries. Other
//! reductions (maxima, sums used as sums) are frozen. A generic whose body
//! reads `linalg.index` depends on positions and is frozen.

use super::{DialectRules, Role, RuleFn};
use crate::analysis::facts::{Access, DimRef, Fact, FreezeReason, Indexing, OpFacts, SizeConstant};
use crate::ir::{self, MapExpr, Op};
use std::collections::BTreeSet;

pub static RULES: DialectRules = DialectRules {
    dialect: "linalg",
    rules: &[("linalg.fill", fill), ("linalg.softmax", softmax), ("linalg.yield", no_facts)],
    fallback: Some(structured as RuleFn),
    roles: &[("linalg.add", Role::Add), ("linalg.sub", Role::Sub), ("linalg.transpose", Role::Transpose)],
    role_of: Some(generic_role),
};

/// A `linalg.generic` whose payload only adds (subtracts) its inputs.
fn generic_role(op: Op) -> Option<Role> {
    if op.name() != "linalg.generic" {
        return None;
    }
    let mut body = Vec::new();
    op.walk(&mut |o| {
        if o != op {
            body.push(o.name());
        }
        true
    });
    match body.as_slice() {
        ["arith.addf", "linalg.yield"] => Some(Role::Add),
        ["arith.subf", "linalg.yield"] => Some(Role::Sub),
        _ => None,
    }
}

fn no_facts(_: Op, _: &mut OpFacts) -> Result<(), FreezeReason> {
    Ok(())
}

/// `linalg.fill`: its result is a splat of any shape (its facts only tell
/// the rewrite how to rebuild it smaller).
fn fill(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    structured(op, out)?;
    out.splat_results = true;
    Ok(())
}

/// `linalg.softmax`: normalises over `dimension`; other dims keep indices.
fn softmax(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let dim = op.attribute("dimension").and_then(|a| a.integer_value()).ok_or(FreezeReason::Dynamic)? as usize;
    let (input, result) = (op.operand(0), op.result(0));
    let rank = super::shape(result).ok_or(FreezeReason::Dynamic)?.len();
    for d in 0..rank {
        if d == dim {
            out.facts.push(Fact::Freeze(DimRef::new(input, d), FreezeReason::Reduced(op.name().into())));
            out.facts.push(Fact::Freeze(DimRef::new(result, d), FreezeReason::Reduced(op.name().into())));
        } else {
            out.facts.push(Fact::Same(DimRef::new(input, d), DimRef::new(result, d)));
            out.facts.push(Fact::Same(DimRef::new(op.operand(1), d), DimRef::new(result, d)));
        }
    }
    Ok(())
}

/// The loops whose positions a generic's payload reads (`linalg.index`),
/// or `None` when one cannot be told. In a gather-like op, positions that
/// only locate a read of a captured tensor are left to the read's own
/// facts ([`super::gather`]).
fn indexed_loops(op: Op) -> Option<BTreeSet<usize>> {
    let mut loops = BTreeSet::new();
    let mut known = true;
    let gather_like = super::gather::is_gather_like(op);
    for inner in op.regions().flat_map(|r| r.blocks()).flat_map(|b| b.ops()) {
        inner.walk(&mut |o| {
            if o.name() == "linalg.index" && !(gather_like && super::gather::only_positions_reads(o.result(0))) {
                match o.attribute("dim").and_then(|a| a.integer_value()) {
                    Some(d) if d >= 0 => {
                        loops.insert(d as usize);
                    }
                    _ => known = false,
                }
            }
            known
        });
    }
    known.then_some(loops)
}

/// A payload that reads the position along a loop computes something else
/// at another position: every dim on that loop keeps its size (an argmax
/// over a reduction freezes only the reduced dim).
fn freeze_indexed(op: Op, loops: &BTreeSet<usize>, operands: &[Option<Vec<Access>>], results: &[Vec<Access>], out: &mut OpFacts) {
    let why = || FreezeReason::Positional(op.name().into());
    let values = operands.iter().enumerate().filter_map(|(i, a)| a.as_ref().map(|a| (op.operand(i), a)));
    for (v, accesses) in values.chain(results.iter().enumerate().map(|(i, a)| (op.result(i), a))) {
        for (d, a) in accesses.iter().enumerate() {
            if matches!(a, Access::Loop(l) if loops.contains(l)) {
                out.facts.push(Fact::Freeze(DimRef::new(v, d), why()));
            }
        }
    }
}

/// Any structured op: loops from the indexing maps.
fn structured(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let name = op.name();
    let maps = ir::linalg_indexing_maps(op).ok_or_else(|| FreezeReason::UnknownOp(name.to_string()))?;
    if maps.len() != op.num_operands() {
        return Err(FreezeReason::Unsupported(format!("'{name}' has operands without indexing maps")));
    }
    let indexed = indexed_loops(op).ok_or_else(|| FreezeReason::Positional(name.into()))?;
    let num_loops = maps.first().map(|m| m.num_dims()).unwrap_or(0);
    let access = |m: &ir::AffineMap| -> Vec<Access> {
        m.results()
            .into_iter()
            .map(|e| match e {
                MapExpr::Dim(d) => Access::Loop(d),
                MapExpr::Constant(_) => Access::Broadcast,
                MapExpr::Compound(_) => Access::Compound,
            })
            .collect()
    };
    let inits = op.num_results();
    let mut operands: Vec<Option<Vec<Access>>> = Vec::new();
    for (i, m) in maps.iter().enumerate() {
        // Scalars (the fill value, a scalar input) have no dims.
        operands.push(op.operand(i).ty().shape().map(|_| access(m)));
    }
    let first_init = op.num_operands() - inits;
    let results: Vec<Vec<Access>> = (0..inits).map(|r| access(&maps[first_init + r])).collect();
    let convolution = ir::linalg_is_convolution(op);
    let contraction = convolution || ir::linalg_is_contraction(op);
    out.contraction = contraction;
    let normalized = if contraction { None } else { sum_sizes(op, &operands, &results, num_loops) };
    freeze_indexed(op, &indexed, &operands, &results, out);
    Indexing {
        op,
        num_loops,
        operands,
        results,
        contraction,
        inits,
        filter: convolution.then_some(1),
        normalized,
        name,
    }
    .facts(out);
    Ok(())
}

/// For a plain sum (one input, one init, payload `addf(in, acc)`) whose
/// uses all divide it by its element count: the constants holding that
/// count.
fn sum_sizes(op: Op, operands: &[Option<Vec<Access>>], results: &[Vec<Access>], num_loops: usize) -> Option<Vec<SizeConstant>> {
    if op.num_operands() != 2 || results.len() != 1 || !adds_into_accumulator(op) {
        return None;
    }
    let input = operands[0].as_ref()?;
    let shape = super::shape(op.operand(0))?;
    let mut in_result = vec![false; num_loops];
    for a in &results[0] {
        if let Access::Loop(l) = a {
            in_result[*l] = true;
        }
    }
    let mut count = 1i64;
    let mut reduces = false;
    for (d, a) in input.iter().enumerate() {
        match a {
            Access::Loop(l) if !in_result[*l] => {
                count *= shape[d];
                reduces = true;
            }
            Access::Loop(_) => {}
            _ => return None,
        }
    }
    if !reduces {
        return None;
    }
    super::size_constants(op.result(0), count)
}

/// The payload is `linalg.yield (arith.addf %in, %acc)` (either order).
fn adds_into_accumulator(op: Op) -> bool {
    let Some(body) = op.region(0).first_block() else { return false };
    let ops: Vec<Op> = body.ops().collect();
    let [add, yield_op] = ops.as_slice() else { return false };
    if add.name() != "arith.addf" || yield_op.name() != "linalg.yield" || yield_op.operand(0) != add.result(0) {
        return false;
    }
    let (x, acc) = (body.argument(0), body.argument(1));
    (add.operand(0) == x && add.operand(1) == acc) || (add.operand(0) == acc && add.operand(1) == x)
}

/// In a `linalg.generic` that reads the sum as input `operand`: the payload
/// divides that input by the count (`arith.divf %in, %c`) or multiplies it
/// by the reciprocal, with `%c` a scalar constant, and uses it nowhere else.
pub fn size_in_payload(user: Op, operand: usize, count: i64) -> Option<SizeConstant> {
    let body = user.region(0).first_block()?;
    if operand >= body.num_arguments() {
        return None;
    }
    let arg = body.argument(operand);
    let uses = arg.uses();
    let [(holder, position)] = uses.as_slice() else { return None };
    let (holder, position) = (*holder, *position);
    let (other, reciprocal) = match (holder.name(), position) {
        ("arith.divf", 0) => (1, false),
        ("arith.mulf", 0 | 1) => (1 - position, true),
        _ => return None,
    };
    let x = super::constant_float(holder.operand(other))?;
    super::is_count(x, count, reciprocal).then_some(SizeConstant { holder, operand: other, reciprocal, captured: true })
}
