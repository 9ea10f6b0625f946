//! `tensor`, `arith` and `math`: shape ops (empty, reshape, concat, slice,
//! pad, cast), constants, and element-wise arithmetic on tensors.

use super::{all_operands, concat, constant, elementwise, reshape, shape, windows, DialectRules, Role};
use crate::analysis::facts::{DimRef, Fact, FreezeReason, OpFacts, SizeConstant};
use crate::ir::Op;

pub static TENSOR_RULES: DialectRules = DialectRules {
    dialect: "tensor",
    rules: &[
        ("tensor.empty", splat),
        ("tensor.splat", splat),
        ("tensor.expand_shape", reshape_op),
        ("tensor.collapse_shape", reshape_op),
        ("tensor.reshape", reshape_op),
        ("tensor.cast", cast),
        ("tensor.concat", concat_op),
        ("tensor.extract_slice", extract_slice),
        ("tensor.insert_slice", insert_slice),
        ("tensor.pad", pad),
        ("tensor.yield", no_facts),
        ("tensor.dim", positional),
        ("tensor.extract", positional),
        ("tensor.insert", positional),
    ],
    fallback: None,
    roles: &[("tensor.expand_shape", Role::Reshape), ("tensor.collapse_shape", Role::Reshape)],
    role_of: None,
};

pub static ARITH_RULES: DialectRules = DialectRules {
    dialect: "arith",
    rules: &[("arith.constant", constant_op)],
    // Every other arith op is element-wise (on tensors) or scalar.
    fallback: Some(|op, out| elementwise(op, &all_operands(op), out)),
    roles: &[("arith.addf", Role::Add), ("arith.subf", Role::Sub)],
    role_of: None,
};

pub static MATH_RULES: DialectRules = DialectRules {
    dialect: "math",
    rules: &[],
    fallback: Some(|op, out| elementwise(op, &all_operands(op), out)),
    roles: &[],
    role_of: None,
};

fn no_facts(_: Op, _: &mut OpFacts) -> Result<(), FreezeReason> {
    Ok(())
}

/// A value of any shape built from nothing (or a scalar).
fn splat(_: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    out.splat_results = true;
    Ok(())
}

fn positional(op: Op, _: &mut OpFacts) -> Result<(), FreezeReason> {
    Err(FreezeReason::Positional(op.name().into()))
}

fn constant_op(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    constant(op, "value", out)
}

fn reshape_op(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    reshape(op, op.operand(0), op.result(0), out)
}

/// `tensor.cast` between static shapes of one rank keeps indices.
fn cast(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let (a, b) = (op.operand(0), op.result(0));
    let (Some(sa), Some(sb)) = (a.ty().shape(), b.ty().shape()) else {
        return Err(FreezeReason::Dynamic);
    };
    if sa.len() != sb.len() {
        return Err(FreezeReason::Unsupported("cast between ranks".into()));
    }
    for d in 0..sa.len() {
        out.facts.push(Fact::Same(DimRef::new(a, d), DimRef::new(b, d)));
    }
    Ok(())
}

fn concat_op(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let axis = op.attribute("dim").and_then(|a| a.integer_value()).ok_or(FreezeReason::Dynamic)? as usize;
    concat(op, &all_operands(op), axis, out)
}

/// Static offsets, sizes and strides of a slice op, when all are static and
/// the strides are 1.
fn static_slice(op: Op) -> Result<(Vec<i64>, Vec<i64>), FreezeReason> {
    let get = |n: &str| op.attribute(n).and_then(|a| a.dense_int_array()).ok_or(FreezeReason::Dynamic);
    let (offsets, sizes, strides) = (get("static_offsets")?, get("static_sizes")?, get("static_strides")?);
    if offsets.iter().chain(&sizes).chain(&strides).any(|&v| v < 0) {
        return Err(FreezeReason::Dynamic);
    }
    if strides.iter().any(|&s| s != 1) {
        return Err(FreezeReason::Unsupported(format!("'{}' with strides", op.name())));
    }
    Ok((offsets, sizes))
}

/// A slice whose result may drop unit dims (rank-reducing): the full-rank
/// dims of the slice that survive, in order.
pub fn kept_slice_dims(sizes: &[i64], result_rank: usize) -> Option<Vec<usize>> {
    if sizes.len() == result_rank {
        return Some((0..sizes.len()).collect());
    }
    let units = sizes.iter().filter(|&&s| s == 1).count();
    let dropped = sizes.len() - result_rank;
    // Drop leading unit dims first; ambiguous cases are rare and frozen.
    if units < dropped {
        return None;
    }
    let mut to_drop = dropped;
    let kept: Vec<usize> = (0..sizes.len())
        .filter(|&d| {
            if sizes[d] == 1 && to_drop > 0 {
                to_drop -= 1;
                false
            } else {
                true
            }
        })
        .collect();
    Some(kept)
}

/// `tensor.extract_slice`: the result is a window of the source.
fn extract_slice(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let (offsets, sizes) = static_slice(op)?;
    let (source, result) = (op.operand(0), op.result(0));
    let rank = shape(result).ok_or(FreezeReason::Dynamic)?.len();
    let kept = kept_slice_dims(&sizes, rank).ok_or(FreezeReason::Unsupported("ambiguous rank-reducing slice".into()))?;
    let src = shape(source).ok_or(FreezeReason::Dynamic)?;
    for (r, &d) in kept.iter().enumerate() {
        out.facts.push(slice_fact(DimRef::new(source, d), DimRef::new(result, r), offsets[d], sizes[d] == src[d]));
    }
    for d in (0..src.len()).filter(|d| !kept.contains(d)) {
        if src[d] != 1 {
            out.facts.push(Fact::Freeze(DimRef::new(source, d), FreezeReason::Positional(op.name().into())));
        }
    }
    Ok(())
}

/// `tensor.insert_slice(source, dest)`: the source is a window of the result;
/// the destination and the result keep indices.
fn insert_slice(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let (offsets, sizes) = static_slice(op)?;
    let (source, dest, result) = (op.operand(0), op.operand(1), op.result(0));
    let res = shape(result).ok_or(FreezeReason::Dynamic)?;
    let src_rank = shape(source).ok_or(FreezeReason::Dynamic)?.len();
    let kept = kept_slice_dims(&sizes, src_rank).ok_or(FreezeReason::Unsupported("ambiguous rank-reducing slice".into()))?;
    for d in 0..res.len() {
        out.facts.push(Fact::Same(DimRef::new(dest, d), DimRef::new(result, d)));
    }
    for (s, &d) in kept.iter().enumerate() {
        out.facts.push(slice_fact(DimRef::new(result, d), DimRef::new(source, s), offsets[d], sizes[d] == res[d]));
    }
    Ok(())
}

/// A slice's dim: the whole dim itself when the slice covers it
/// (`full`, at offset 0), else a window of it.
fn slice_fact(whole: DimRef, part: DimRef, offset: i64, full: bool) -> Fact {
    if offset == 0 && full {
        Fact::Same(whole, part)
    } else {
        Fact::Window { whole, part, offset }
    }
}

/// `tensor.pad` with static low/high padding: the source is a window of the
/// result at the low padding.
fn pad(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let low = op.attribute("static_low").and_then(|a| a.dense_int_array()).ok_or(FreezeReason::Dynamic)?;
    if low.iter().any(|&v| v < 0) {
        return Err(FreezeReason::Dynamic);
    }
    windows(op.result(0), op.operand(0), &low, out)
}

/// `arith.divf %sum, %count` or `arith.mulf` by `1/count` (either side), on
/// tensors, the constant a splat.
pub fn size_operand(user: Op, operand: usize, count: i64) -> Option<SizeConstant> {
    let other = match (user.name(), operand) {
        ("arith.divf", 0) => 1,
        ("arith.mulf", 0 | 1) => 1 - operand,
        _ => return None,
    };
    let reciprocal = user.name() == "arith.mulf";
    let x = super::constant_float(user.operand(other))?;
    super::is_count(x, count, reciprocal).then_some(SizeConstant { holder: user, operand: other, reciprocal, captured: false })
}
