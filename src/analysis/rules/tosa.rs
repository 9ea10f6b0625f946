//! TOSA (the current spec, as torch-mlir emits it for MLIR 22): element-wise
//! ops with size-1 broadcasting, `matmul` (batched, `[N,H,C] x [N,C,W]`),
//! `conv2d` (NHWC input, `[OC,KH,KW,IC]` filter), `depthwise_conv2d`
//! (`[KH,KW,C,M]` filter), pooling, transposes, reshapes (shape operands from
//! `tosa.const_shape`), concat, slice and pad. Zero points and shift operands
//! are not data; `gather` reads `K` by position. Everything else (resize,
//! rescale, control flow, ...) has no rule and freezes what it touches.

use super::{all_operands, concat, constant, elementwise, reshape, windows, DialectRules, Role};
use crate::analysis::facts::{Access, DimRef, Fact, FreezeReason, Indexing, OpFacts, SizeConstant};
use crate::ir::Op;

pub static RULES: DialectRules = DialectRules {
    dialect: "tosa",
    rules: &[
        // Element-wise, every operand data.
        ("tosa.add", all_data),
        ("tosa.sub", all_data),
        ("tosa.maximum", all_data),
        ("tosa.minimum", all_data),
        ("tosa.pow", all_data),
        ("tosa.intdiv", all_data),
        ("tosa.equal", all_data),
        ("tosa.greater", all_data),
        ("tosa.greater_equal", all_data),
        ("tosa.logical_and", all_data),
        ("tosa.logical_or", all_data),
        ("tosa.logical_xor", all_data),
        ("tosa.logical_not", all_data),
        ("tosa.bitwise_and", all_data),
        ("tosa.bitwise_or", all_data),
        ("tosa.bitwise_xor", all_data),
        ("tosa.bitwise_not", all_data),
        ("tosa.select", all_data),
        ("tosa.abs", all_data),
        ("tosa.ceil", all_data),
        ("tosa.floor", all_data),
        ("tosa.clamp", all_data),
        ("tosa.cos", all_data),
        ("tosa.sin", all_data),
        ("tosa.erf", all_data),
        ("tosa.exp", all_data),
        ("tosa.log", all_data),
        ("tosa.reciprocal", all_data),
        ("tosa.rsqrt", all_data),
        ("tosa.sigmoid", all_data),
        ("tosa.tanh", all_data),
        ("tosa.cast", all_data),
        ("tosa.identity", all_data),
        // Element-wise with non-data operands.
        ("tosa.mul", first_two_data),
        ("tosa.negate", first_data),
        // Layers.
        ("tosa.matmul", matmul),
        ("tosa.conv2d", conv2d),
        ("tosa.depthwise_conv2d", depthwise_conv2d),
        ("tosa.avg_pool2d", pool2d),
        ("tosa.max_pool2d", pool2d),
        ("tosa.reduce_sum", reduce),
        ("tosa.reduce_max", reduce),
        ("tosa.reduce_min", reduce),
        ("tosa.reduce_product", reduce),
        ("tosa.reduce_all", reduce),
        ("tosa.reduce_any", reduce),
        // Data movement.
        ("tosa.transpose", transpose),
        ("tosa.reshape", reshape_op),
        ("tosa.concat", concat_op),
        ("tosa.slice", slice),
        ("tosa.pad", pad),
        ("tosa.gather", gather),
        ("tosa.tile", tile),
        // Constants.
        ("tosa.const", const_op),
        ("tosa.const_shape", shape_constant),
    ],
    fallback: None,
    roles: &[("tosa.add", Role::Add), ("tosa.sub", Role::Sub), ("tosa.reshape", Role::Reshape), ("tosa.transpose", Role::Transpose)],
    role_of: None,
};

fn all_data(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    elementwise(op, &all_operands(op), out)
}

/// `tosa.mul(a, b, shift)`.
fn first_two_data(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    elementwise(op, &[0, 1], out)
}

/// `tosa.negate(x, input_zp, output_zp)`.
fn first_data(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    elementwise(op, &[0], out)
}

fn const_op(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    constant(op, "values", out)
}

/// Shape values are not tensors; reshapes read them through their types.
fn shape_constant(_: Op, _: &mut OpFacts) -> Result<(), FreezeReason> {
    Ok(())
}

/// Loop accesses from a list of loop numbers.
fn loops(ls: &[usize]) -> Vec<Access> {
    ls.iter().map(|&l| Access::Loop(l)).collect()
}

/// `tosa.matmul(a: [N,H,C], b: [N,C,W], a_zp, b_zp) -> [N,H,W]`.
/// Loops: n=0, h=1, w=2, c=3.
fn matmul(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    out.contraction = true;
    Indexing {
        op,
        num_loops: 4,
        operands: vec![Some(loops(&[0, 1, 3])), Some(loops(&[0, 3, 2])), None, None],
        results: vec![loops(&[0, 1, 2])],
        contraction: true,
        inits: 0,
        filter: None,
        normalized: None,
        name: op.name(),
    }
    .facts(out);
    Ok(())
}

/// The bias of a convolution: one value per output channel, or one value.
fn bias_access(op: Op, index: usize, channel_loop: usize) -> Option<Vec<Access>> {
    let s = super::shape(op.operand(index))?;
    Some(vec![if s == [1] { Access::Broadcast } else { Access::Loop(channel_loop) }])
}

/// `tosa.conv2d(input: [N,IH,IW,IC], weight: [OC,KH,KW,IC], bias: [OC], zps)
/// -> [N,OH,OW,OC]`. Loops: n=0, oh=1, ow=2, oc=3, kh=4, kw=5, ic=6.
fn conv2d(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    nhwc_convolution(op, 7, loops(&[3, 4, 5, 6]), 6, out)
}

/// `tosa.depthwise_conv2d(input: [N,IH,IW,C], weight: [KH,KW,C,M], bias)
/// -> [N,OH,OW,C*M]`. With a channel multiplier M of 1 the channel passes
/// through; otherwise the output channel is a merge and is frozen.
/// Loops: n=0, oh=1, ow=2, c=3, kh=4, kw=5.
fn depthwise_conv2d(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let w = super::shape(op.operand(1)).ok_or(FreezeReason::Dynamic)?;
    if w.len() != 4 || w[3] != 1 {
        return Err(FreezeReason::Unsupported("depthwise convolution with a channel multiplier".into()));
    }
    nhwc_convolution(op, 6, vec![Access::Loop(4), Access::Loop(5), Access::Loop(3), Access::Broadcast], 3, out)
}

/// A TOSA convolution over NHWC: `(input, weight, bias, zero points)` to
/// `[N,OH,OW,C]` on loops n=0, oh=1, ow=2, c=3; `in_channel` is the loop of
/// the input's channel dim, `weight` the weight's accesses.
fn nhwc_convolution(op: Op, num_loops: usize, weight: Vec<Access>, in_channel: usize, out: &mut OpFacts) -> Result<(), FreezeReason> {
    out.contraction = true;
    let c = Access::Compound;
    Indexing {
        op,
        num_loops,
        operands: vec![
            Some(vec![Access::Loop(0), c.clone(), c, Access::Loop(in_channel)]),
            Some(weight),
            bias_access(op, 2, 3),
            None,
            None,
        ],
        results: vec![loops(&[0, 1, 2, 3])],
        contraction: true,
        inits: 0,
        filter: Some(1),
        normalized: None,
        name: op.name(),
    }
    .facts(out);
    Ok(())
}

/// Pooling over NHWC: channels pass through, spatial dims are windows.
fn pool2d(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let mut operands = vec![None; op.num_operands()];
    operands[0] = Some(vec![Access::Loop(0), Access::Compound, Access::Compound, Access::Loop(3)]);
    Indexing {
        op,
        num_loops: 4,
        operands,
        results: vec![loops(&[0, 1, 2, 3])],
        contraction: false,
        inits: 0,
        filter: None,
        normalized: None,
        name: op.name(),
    }
    .facts(out);
    Ok(())
}

/// `tosa.reduce_*` over `axis` (kept as a size-1 dim): frozen there, unless
/// it is a `reduce_sum` that every use turns into a mean, directly or after
/// more `reduce_sum`s over other axes (GroupNorm's statistics sum a group's
/// channels, then its pixels, then multiply by 1/count): the first sum of
/// such a chain states the mean over every axis of the chain, the others
/// only pass their other dims through.
fn reduce(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let axis = reduce_axis(op).ok_or(FreezeReason::Dynamic)?;
    let (input, result) = (op.operand(0), op.result(0));
    let rank = super::shape(input).ok_or(FreezeReason::Dynamic)?.len();
    let mean = if op.name() == "tosa.reduce_sum" && axis < rank { mean_of(op) } else { None };
    for d in 0..rank {
        if d == axis {
            match &mean {
                Some((start, summed, sizes)) if *start == op => {
                    out.facts.push(Fact::Normalized { summed: summed.clone(), sizes: sizes.clone() });
                }
                // A later sum of the chain: the first one states the mean.
                Some(_) => {}
                None => out.facts.push(Fact::Freeze(DimRef::new(input, d), FreezeReason::Reduced(op.name().into()))),
            }
        } else {
            out.facts.push(Fact::Same(DimRef::new(input, d), DimRef::new(result, d)));
        }
    }
    Ok(())
}

fn reduce_axis(op: Op) -> Option<usize> {
    op.attribute("axis").and_then(|a| a.integer_value()).map(|a| a as usize)
}

/// Sums of a chain at most (a tensor has as many axes).
const MAX_CHAIN: usize = 8;

/// The first `reduce_sum` of the chain `sum` is in: going back while the
/// input is a `reduce_sum` whose only use is the sum after it.
fn chain_start(sum: Op) -> Op {
    let mut start = sum;
    for _ in 0..MAX_CHAIN {
        match start.operand(0).defining_op() {
            Some(prev) if prev.name() == "tosa.reduce_sum" && prev.result(0).uses().len() == 1 => start = prev,
            _ => break,
        }
    }
    start
}

/// The mean the `reduce_sum` `sum` is part of: the chain's first sum, every
/// summed dim and the size constants. The chain from the first sum of its
/// chain when that makes a mean; otherwise from `sum` itself (a sum over
/// tokens, then a mean of it over channels: only the second is a mean).
fn mean_of(sum: Op) -> Option<(Op, Vec<DimRef>, Vec<SizeConstant>)> {
    let own = DimRef::new(sum.operand(0), reduce_axis(sum)?);
    let start = chain_start(sum);
    [start, sum].into_iter().find_map(|first| {
        let (summed, sizes) = chained_mean(first)?;
        summed.contains(&own).then_some((first, summed, sizes))
    })
}

/// When the `reduce_sum` `first` and the sums its result goes through (each
/// the only use of the one before, over another axis) make a mean: every
/// summed dim, and the constants that divide by their count.
fn chained_mean(first: Op) -> Option<(Vec<DimRef>, Vec<SizeConstant>)> {
    let mut summed = Vec::new();
    let mut count = 1i64;
    let mut sum = first;
    for _ in 0..MAX_CHAIN {
        if sum.name() != "tosa.reduce_sum" {
            return None;
        }
        let axis = reduce_axis(sum)?;
        let shape = super::shape(sum.operand(0))?;
        count = count.checked_mul(*shape.get(axis)?)?;
        summed.push(DimRef::new(sum.operand(0), axis));
        if let Some(sizes) = super::size_constants(sum.result(0), count) {
            return Some((summed, sizes));
        }
        let [(next, 0)] = sum.result(0).uses()[..] else { return None };
        sum = next;
    }
    None
}

/// `tosa.gather`: `values [N, K, C]` read at `indices [N, W]` gives
/// `[N, W, C]`. Batch and channels `C` pass through; the indices' `W` are
/// the result's; `K` is read by position (the indices point into it).
/// torch-mlir flattens every dim but one into `K`, so a model's channels
/// often sit there; the normalization ([`crate::normalize::gather`])
/// rewrites the gathers whose offsets fold into forms that keep the
/// channels in `C`.
fn gather(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let (values, indices, result) = (op.operand(0), op.operand(1), op.result(0));
    for (a, b) in [(DimRef::new(values, 0), 0), (DimRef::new(indices, 0), 0), (DimRef::new(indices, 1), 1), (DimRef::new(values, 2), 2)] {
        out.facts.push(Fact::Same(a, DimRef::new(result, b)));
    }
    out.facts.push(Fact::Freeze(DimRef::new(values, 1), FreezeReason::Positional(op.name().into())));
    Ok(())
}

/// `tosa.tile`: a dim repeated once is the input's; a dim repeated more
/// often holds its channels several times over, which no group expresses.
fn tile(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let (input, result) = (op.operand(0), op.result(0));
    let (Some(from), Some(to)) = (super::shape(input), super::shape(result)) else { return Err(FreezeReason::Dynamic) };
    for (d, (&n, &m)) in from.iter().zip(&to).enumerate() {
        if n == m {
            out.facts.push(Fact::Same(DimRef::new(input, d), DimRef::new(result, d)));
        } else {
            let why = FreezeReason::Unsupported(format!("'{}' repeats it", op.name()));
            out.facts.push(Fact::Freeze(DimRef::new(input, d), why.clone()));
            out.facts.push(Fact::Freeze(DimRef::new(result, d), why));
        }
    }
    Ok(())
}

/// `tosa.transpose` by `perms`: result dim i is input dim perms[i].
fn transpose(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let perms = op.attribute("perms").and_then(|a| a.dense_int_array()).ok_or(FreezeReason::Dynamic)?;
    for (i, &p) in perms.iter().enumerate() {
        out.facts.push(Fact::Same(DimRef::new(op.operand(0), p as usize), DimRef::new(op.result(0), i)));
    }
    Ok(())
}

fn reshape_op(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    reshape(op, op.operand(0), op.result(0), out)
}

fn concat_op(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let axis = op.attribute("axis").and_then(|a| a.integer_value()).ok_or(FreezeReason::Dynamic)? as usize;
    concat(op, &all_operands(op), axis, out)
}

/// The values of a `tosa.const_shape` operand.
fn shape_operand(op: Op, index: usize) -> Option<Vec<i64>> {
    let def = op.operand(index).defining_op()?;
    if def.name() != "tosa.const_shape" {
        return None;
    }
    def.attribute("values")?.dense_int_values()
}

/// `tosa.slice(input, start, size)`.
fn slice(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let start = shape_operand(op, 1).ok_or(FreezeReason::Dynamic)?;
    windows(op.operand(0), op.result(0), &start, out)
}

/// `tosa.pad(input, padding, pad_const)`: the input is a window of the
/// result at the low padding.
fn pad(op: Op, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let padding = shape_operand(op, 1).ok_or(FreezeReason::Dynamic)?;
    let low: Vec<i64> = padding.chunks(2).map(|c| c[0]).collect();
    windows(op.result(0), op.operand(0), &low, out)
}

/// `tosa.mul %sum, %c` (either side) with `%c` a splat of 1/count.
pub fn size_operand(user: Op, operand: usize, count: i64) -> Option<SizeConstant> {
    if operand > 1 {
        return None; // the shift operand
    }
    let other = 1 - operand;
    let x = super::constant_float(user.operand(other))?;
    super::is_count(x, count, true).then_some(SizeConstant { holder: user, operand: other, reciprocal: true, captured: false })
}
