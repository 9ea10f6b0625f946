//! Size constants of means over pruned dims.
//!
//! A mean is a sum divided by its element count; the analysis records the
//! constants that hold the count ([`crate::deps::Normalization`]). Pruning
//! `k` of the `n` entries of a summed dim makes the sum run over `n - k`
//! entries, so those constants must say `n - k` too: LayerNorm over the kept
//! channels, as Torch-Pruning's `LayerNorm` pruner gives. Runs before the
//! e-graph rewrite, which then sees the sum as a sink and shrinks its input:
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
//! A scalar captured by a payload gets a new constant per count, placed
//! right after the original (torch-mlir shares one `16.0` among every
//! LayerNorm of width 16, and they may keep different widths). A tensor operand is changed in place; the
//! analysis froze the means whose tensor constant anything else shares.

use crate::deps::Analysis;
use crate::error::{Error, Result};
use crate::ir::{Op, Value};
use crate::plan::PrunePlan;
use std::collections::HashMap;

/// Updates the count held by every size constant of a mean over pruned dims.
pub fn refold(a: &Analysis, plan: &PrunePlan) -> Result<()> {
    // New scalars by (original constant, new count bits): one per count.
    let mut fresh: HashMap<(Op, u64), Value> = HashMap::new();
    for n in &a.normalizations {
        let (mut count, mut kept) = (1i64, 1i64);
        for &s in &n.summed {
            let class = a.class_of[s];
            let size = a.class_size[class];
            count *= size;
            kept *= plan.kept(class, size.max(0) as usize).map_or(size, |k| k.len() as i64);
        }
        if kept == count {
            continue;
        }
        for size in &n.sizes {
            let value = if size.reciprocal { 1.0 / kept as f64 } else { kept as f64 };
            let constant = size.holder.operand(size.operand);
            let unexpected = || Error::ir(size.holder.location(), "internal error: a size constant is not a float constant");
            let def = constant.defining_op().ok_or_else(unexpected)?;
            let name = if def.name() == "tosa.const" { "values" } else { "value" };
            let attr = def.attribute(name).and_then(|x| x.with_float_value(value)).ok_or_else(unexpected)?;
            if size.captured {
                let scalar = match fresh.get(&(def, value.to_bits())) {
                    Some(&v) => v,
                    None => {
                        // Right after the original, so it dominates the
                        // same uses.
                        let copy = def.clone_op();
                        copy.set_attribute(name, attr);
                        copy.insert_before(def.next().ok_or_else(unexpected)?);
                        fresh.insert((def, value.to_bits()), copy.result(0));
                        copy.result(0)
                    }
                };
                size.holder.set_operand(size.operand, scalar);
            } else {
                def.set_attribute(name, attr);
            }
        }
    }
    Ok(())
}
