//! A channel shuffle rebuilt for the kept channels.
//!
//! A shuffle (reshape, transpose, reshape) reorders channels by a fixed
//! permutation; once channels are removed, the kept ones seldom fill whole
//! blocks of its factors, so no reshape can reorder them. They are put in
//! order by slices of runs of consecutive channels and a concat, in the
//! shuffle's dialect, before its last reshape (which then has no use and is
//! erased with the rest of the original shuffle).
//!
//! ```text
//! // x: 4 kept channels in x's order; the shuffle's order for them [0, 2, 1, 3]
//! %e = tensor.expand_shape %x ...            %0 = tensor.extract_slice %x[0, 0] [1, 1] [1, 1]
//! %t = linalg.transpose ins(%e) ...    ->    %1 = tensor.extract_slice %x[0, 2] [1, 1] [1, 1]
//! %c = tensor.collapse_shape %t ...          %2 = tensor.extract_slice %x[0, 1] [1, 1] [1, 1]
//!                                            %3 = tensor.extract_slice %x[0, 3] [1, 1] [1, 1]
//!                                            %c = tensor.concat dim(1) %0, %1, %2, %3
//! ```

use crate::error::{Error, Result};
use crate::ir::build::{reshape, tosa_shape};
use crate::ir::{Attribute, Op, Value};

/// `order`'s runs of consecutive indices: (first index, length).
pub fn runs(order: &[u32]) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &i in order {
        match out.last_mut() {
            Some((start, len)) if *start + *len == i as i64 => *len += 1,
            _ => out.push((i as i64, 1)),
        }
    }
    out
}

/// `source` with channel `order[i]` of dim `dim` at position `i`, reshaped
/// to `shape` when given, built before `anchor` (the shuffle's last
/// reshape) at its location.
pub fn reorder_channels(anchor: Op, source: Value, dim: usize, order: &[u32], shape: Option<&[i64]>) -> Result<Value> {
    let reordered = reorder(anchor, source, dim, order)?;
    match shape {
        Some(shape) => reshape(anchor, reordered, shape)
            .ok_or_else(|| Error::ir(anchor.location(), "internal error: cannot reshape reordered channels")),
        None => Ok(reordered),
    }
}

fn reorder(anchor: Op, source: Value, dim: usize, order: &[u32]) -> Result<Value> {
    let bad = |what: &str| Error::ir(anchor.location(), format!("internal error: cannot reorder channels: {what}"));
    let shape = source.ty().static_shape().ok_or_else(|| bad("the operand's shape is not static"))?;
    if dim >= shape.len() || order.len() as i64 != shape[dim] {
        return Err(bad("the order does not fit the operand"));
    }
    let runs = runs(order);
    if runs.len() == 1 {
        return Ok(source);
    }
    let tosa = anchor.dialect() == "tosa";
    let mut pieces = Vec::with_capacity(runs.len());
    for (start, len) in runs {
        let mut offsets = vec![0; shape.len()];
        offsets[dim] = start;
        let mut sizes = shape.clone();
        sizes[dim] = len;
        let piece = if tosa { tosa_slice(anchor, source, &offsets, &sizes) } else { tensor_slice(anchor, source, &offsets, &sizes) };
        pieces.push(piece.ok_or_else(|| bad("a slice could not be built"))?);
    }
    let ctx = anchor.context();
    let (name, attr) = if tosa { ("tosa.concat", format!("{dim} : i32")) } else { ("tensor.concat", format!("{dim} : i64")) };
    let attr = Attribute::parse(ctx, &attr).ok_or_else(|| bad("the concat's dim"))?;
    let concat = Op::build(name, anchor.location(), &pieces, &[source.ty()], &[(if tosa { "axis" } else { "dim" }, attr)]);
    concat.insert_before(anchor);
    Ok(concat.result(0))
}

/// `tensor.extract_slice` of `source` at `offsets` with `sizes`, unit strides.
fn tensor_slice(anchor: Op, source: Value, offsets: &[i64], sizes: &[i64]) -> Option<Value> {
    let ctx = anchor.context();
    let strides = vec![1; offsets.len()];
    let attributes = [
        ("static_offsets", Attribute::dense_i64_array(ctx, offsets)),
        ("static_sizes", Attribute::dense_i64_array(ctx, sizes)),
        ("static_strides", Attribute::dense_i64_array(ctx, &strides)),
        ("operandSegmentSizes", Attribute::parse(ctx, "array<i32: 1, 0, 0, 0>")?),
    ];
    let slice = Op::build("tensor.extract_slice", anchor.location(), &[source], &[source.ty().ranked_tensor_like(sizes)], &attributes);
    slice.insert_before(anchor);
    Some(slice.result(0))
}

/// `tosa.slice` of `source` at `start` with `size`, its shapes as
/// `tosa.const_shape` ops.
fn tosa_slice(anchor: Op, source: Value, start: &[i64], size: &[i64]) -> Option<Value> {
    let start = tosa_shape(anchor, start)?;
    let size_value = tosa_shape(anchor, size)?;
    let slice = Op::build("tosa.slice", anchor.location(), &[source, start, size_value], &[source.ty().ranked_tensor_like(size)], &[]);
    slice.insert_before(anchor);
    Some(slice.result(0))
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn runs_join_consecutive_indices() {
        assert_eq!(runs(&[0, 2, 1, 3]), vec![(0, 1), (2, 1), (1, 1), (3, 1)]);
        assert_eq!(runs(&[2, 3, 0, 1]), vec![(2, 2), (0, 2)]);
        assert_eq!(runs(&[0, 1, 2]), vec![(0, 3)]);
    }
}
