//! Size constants of means over pruned dims.
//!
//! A mean is a sum divided by its element count; the analysis records the
//! constants that hold the count ([`crate::analysis::Normalization`]). Pruning
//! `k` of the `n` entries of a summed dim makes the sum run over `n - k`
//! entries, so those constants must say `n - k` too: LayerNorm over the kept
//! channels, as Torch-Pruning's `LayerNorm` pruner gives.
//!
//! ```text
//! %s = linalg.generic ... ins(%h : tensor<4x16xf32>) ...   // sum over dim 1
//! %m = linalg.generic ... ins(%s : tensor<4x1xf32>) { arith.divf %in, %c16 }
//! // with 6 of the 16 channels pruned:
//! %c10 = arith.constant 1.000000e+01 : f32
//! %s = linalg.generic ... ins(%h : tensor<4x10xf32>) ...
//! %m = linalg.generic ... ins(%s : tensor<4x1xf32>) { arith.divf %in, %c10 }
//! ```
//!
//! The sum itself is a sink of the e-graph rewrite, which shrinks its input.
//! A constant is never changed in place: torch-mlir shares one `16.0` (or
//! one `tosa.const` of 1/16) among every LayerNorm of width 16, and they may
//! keep different widths. So each count gets a new constant:
//! - a scalar captured by a payload (linalg) is not in the e-graph:
//!   [`refold`] adds the constant before the rewrite and points the payload
//!   at it;
//! - a tensor operand (TOSA, arith on tensors) is: [`refold`] returns those
//!   for the e-graph builder, which makes each a `Fold::Count`.

use crate::analysis::Dependencies;
use crate::error::{Error, Result};
use crate::ir::{Op, Value};
use crate::select::PrunePlan;
use std::collections::HashMap;

/// The constants' new values: per size constant of a mean whose count the
/// plan changes, (the constant's holder, operand, new value).
fn changed(a: &Dependencies, plan: &PrunePlan) -> Vec<(crate::analysis::facts::SizeConstant, f64)> {
    let mut out = Vec::new();
    for n in a.normalizations() {
        let (mut count, mut kept) = (1i64, 1i64);
        for &s in &n.summed {
            let class = a.class_of(s);
            let size = a.class_size(class);
            count *= size;
            kept *= plan.kept(class, size.max(0) as usize).map_or(size, |k| k.len() as i64);
        }
        if kept != count {
            for size in &n.sizes {
                out.push((*size, if size.reciprocal { 1.0 / kept as f64 } else { kept as f64 }));
            }
        }
    }
    out
}

/// Applies the new counts: every payload that divides a mean by a captured
/// scalar gets a new scalar holding the kept count, one per (original
/// constant, count), right after the original so that it dominates the same
/// uses. Returns the tensor operands that become new size constants in the
/// e-graph instead: (holder, operand) -> the new value.
pub fn refold(a: &Dependencies, plan: &PrunePlan) -> Result<HashMap<(Op, usize), f64>> {
    let mut tensor_counts = HashMap::new();
    let mut fresh: HashMap<(Op, u64), Value> = HashMap::new();
    for (size, value) in changed(a, plan) {
        if !size.captured {
            tensor_counts.insert((size.holder, size.operand), value);
            continue;
        }
        let unexpected = || Error::ir(size.holder.location(), "internal error: a size constant is not a float constant");
        let def = size.holder.operand(size.operand).defining_op().ok_or_else(unexpected)?;
        let scalar = match fresh.get(&(def, value.to_bits())) {
            Some(&v) => v,
            None => {
                let copy = def.clone_op();
                set_count(copy, value)?;
                copy.insert_before(def.next().ok_or_else(unexpected)?);
                fresh.insert((def, value.to_bits()), copy.result(0));
                copy.result(0)
            }
        };
        size.holder.set_operand(size.operand, scalar);
    }
    Ok(tensor_counts)
}

/// Sets the value of a float constant op (`arith.constant` scalar or splat,
/// `tosa.const` splat).
pub fn set_count(constant: Op, value: f64) -> Result<()> {
    let name = if constant.name() == "tosa.const" { "values" } else { "value" };
    let attr = constant
        .attribute(name)
        .and_then(|x| x.with_float_value(value))
        .ok_or_else(|| Error::ir(constant.location(), "internal error: a size constant is not a float constant"))?;
    constant.set_attribute(name, attr);
    Ok(())
}
