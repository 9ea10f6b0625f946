//! linalg-on-tensors: every structured op (named or generic) through its
//! indexing maps, which the C API provides for all of them. Reduction loops
//! are contractions when the op multiplies and accumulates (matmul,
//! convolutions, contraction-shaped generics) and frozen otherwise (sums,
//! means, maxima). A generic whose body reads `linalg.index` depends on
//! positions and is frozen.

use super::{DialectRules, RuleFn};
use crate::deps::facts::{Access, DimRef, Fact, FreezeReason, Indexing, OpFacts};
use crate::ir::{self, MapExpr, Op};

pub static RULES: DialectRules = DialectRules {
    dialect: "linalg",
    rules: &[("linalg.fill", fill), ("linalg.softmax", softmax), ("linalg.yield", no_facts)],
    fallback: Some(structured as RuleFn),
};

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

/// Whether a generic's payload reads loop positions.
fn reads_positions(op: Op) -> bool {
    let mut found = false;
    for r in op.regions() {
        for b in r.blocks() {
            for inner in b.ops() {
                inner.walk(&mut |o| {
                    if o.name() == "linalg.index" {
                        found = true;
                    }
                    !found
                });
            }
        }
    }
    found
}

/// Any structured op: loops from the indexing maps.
fn structured(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let name = op.name();
    let maps = ir::linalg_indexing_maps(op).ok_or_else(|| FreezeReason::UnknownOp(name.to_string()))?;
    if maps.len() != op.num_operands() {
        return Err(FreezeReason::Unsupported(format!("'{name}' has operands without indexing maps")));
    }
    if reads_positions(op) {
        return Err(FreezeReason::Positional(name.into()));
    }
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
    Indexing {
        op,
        num_loops,
        operands,
        results,
        contraction,
        inits,
        filter: convolution.then_some(1),
        name,
    }
    .facts(out);
    Ok(())
}
