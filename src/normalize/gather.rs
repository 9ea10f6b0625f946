//! TOSA gathers that flatten channels into `K`, unflattened.
//!
//! torch-mlir lowers every `gather`, `index_select` and adaptive pool to
//! TOSA the same way: the source reshaped to `[1, K, 1]` (all its dims in
//! `K`), indices computed by integer ops (one flat offset per element),
//! a `tosa.gather`, and a reshape back. A channel dim inside `K` is read by
//! position, so the analysis must freeze it, and with it everything that
//! shares its channels (I-JEPA's predictor, ConvNeXt's last stage). When the
//! indices fold to constants ([`super::fold`]), what the gather reads is
//! known, and two forms are exact rewrites:
//!
//! - **copy**: element `w` reads element `w` (a 1x1 adaptive pool of a 1x1
//!   input, GroupNorm's affine table): the source, reshaped;
//! - **rows**: with `D` the last dim of the reshape after the gather, the
//!   indices read whole rows of `D` consecutive elements (a token gather:
//!   `t * D + c` for channel `c`): a gather of rows from the source viewed
//!   as `[1, K / D, D]`, whose channels `C = D` pass through.
//!
//! ```mlir
//! // before: channels (32) flattened with tokens (16) into K = 512
//! %v = tosa.reshape %x, %s0 : (tensor<1x16x32xf32>, !tosa.shape<3>) -> tensor<1x512x1xf32>
//! %i = ... integer ops on constants ... -> tensor<1x128xi32>      // t(w / 32) * 32 + w % 32
//! %g = tosa.gather %v, %i : (tensor<1x512x1xf32>, tensor<1x128xi32>) -> tensor<1x128x1xf32>
//! %y = tosa.reshape %g, %s1 : (tensor<1x128x1xf32>, !tosa.shape<3>) -> tensor<1x4x32xf32>
//! // after: 4 token rows of 32 channels
//! %t = "tosa.const"() <{values = dense<[[3, 7, 9, 12]]> : tensor<1x4xi32>}> : () -> tensor<1x4xi32>
//! %y = tosa.gather %x, %t : (tensor<1x16x32xf32>, tensor<1x4xi32>) -> tensor<1x4x32xf32>
//! ```
//!
//! The old index chain, gather and reshapes are erased once unused.

use super::fold::Folder;
use crate::analysis::rules::{role, Role};
use crate::error::{Error, Result};
use crate::ir::{build, Op, Value};

/// What a gather reads, when its indices fold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Form {
    /// Every element at its own position.
    Copy,
    /// Whole rows of `row` elements: result row `j` is source row `rows[j]`.
    Rows { row: i64, rows: Vec<i64> },
}

/// A gather to rewrite.
#[derive(Clone, Debug)]
pub struct Match {
    pub gather: Op,
    /// The reshape of the gather's result (its only use).
    pub reshape: Op,
    /// The tensor the gather reads, before its flattening reshape.
    pub source: Value,
    pub form: Form,
}

/// `gather` as a match, when it is a flat TOSA gather whose indices fold to
/// one of the forms.
pub fn matches(gather: Op, folder: &mut Folder) -> Option<Match> {
    if gather.num_operands() != 2 || gather.num_results() != 1 {
        return None;
    }
    let (values, indices, result) = (gather.operand(0), gather.operand(1), gather.result(0));
    let shapes = (values.ty().static_shape()?, indices.ty().static_shape()?, result.ty().static_shape()?);
    let (&[1, k, 1], &[1, w], &[1, w2, 1]) = (&shapes.0[..], &shapes.1[..], &shapes.2[..]) else {
        return None;
    };
    if w != w2 {
        return None;
    }
    let [(reshape, 0)] = result.uses()[..] else { return None };
    if role(reshape) != Some(Role::Reshape) {
        return None;
    }
    let target = reshape.result(0).ty().static_shape()?;
    let source = match values.defining_op() {
        Some(def) if role(def) == Some(Role::Reshape) => def.operand(0),
        _ => values,
    };
    source.ty().static_shape()?;
    let idx = folder.value(indices)?.data;
    if idx.len() as i64 != w || idx.iter().any(|&i| i < 0 || i >= k) {
        return None;
    }
    let form = form_of(&idx, k, *target.last()?)?;
    Some(Match { gather, reshape, source, form })
}

/// The form of indices `idx` into `k` elements, with rows of `row`.
fn form_of(idx: &[i64], k: i64, row: i64) -> Option<Form> {
    let w = idx.len() as i64;
    if w == k && idx.iter().enumerate().all(|(p, &i)| i == p as i64) {
        return Some(Form::Copy);
    }
    if row <= 1 || w % row != 0 || k % row != 0 {
        return None;
    }
    let rows: Vec<i64> = idx.chunks(row as usize).map(|chunk| chunk[0] / row).collect();
    let whole = idx.chunks(row as usize).zip(&rows).all(|(chunk, &r)| {
        chunk.iter().enumerate().all(|(c, &i)| i == r * row + c as i64)
    });
    whole.then_some(Form::Rows { row, rows })
}

/// Rewrites `m`, leaving the old ops for [`super::erase_unused`].
pub fn apply(m: &Match) -> Result<()> {
    let bad = |what: &str| Error::ir(m.gather.location(), format!("internal error: cannot unflatten a gather: {what}"));
    let target = m.reshape.result(0).ty().static_shape().ok_or_else(|| bad("dynamic shape"))?;
    let source_shape = m.source.ty().static_shape().ok_or_else(|| bad("dynamic shape"))?;
    let reshaped = |anchor: Op, v: Value, from: &[i64], to: &[i64]| -> Result<Value> {
        if from == to {
            return Ok(v);
        }
        build::reshape(anchor, v, to).ok_or_else(|| bad("a reshape could not be built"))
    };
    let new = match &m.form {
        Form::Copy => reshaped(m.reshape, m.source, &source_shape, &target)?,
        Form::Rows { row, rows } => {
            let k: i64 = source_shape.iter().product();
            let table = [1, k / row, *row];
            let values = reshaped(m.gather, m.source, &source_shape, &table)?;
            let indices_ty = m.gather.operand(1).ty().ranked_tensor_like(&[1, rows.len() as i64]);
            let indices =
                build::tosa_int_constant(m.gather, indices_ty, rows).ok_or_else(|| bad("the row indices"))?;
            let picked = [1, rows.len() as i64, *row];
            let gathered = Op::build(
                "tosa.gather",
                m.gather.location(),
                &[values, indices],
                &[m.gather.result(0).ty().ranked_tensor_like(&picked)],
                &[],
            );
            gathered.insert_before(m.reshape);
            reshaped(m.reshape, gathered.result(0), &picked, &target)?
        }
    };
    m.reshape.result(0).replace_all_uses_with(new);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{form_of, Form};

    #[test]
    fn an_identity_gather_is_a_copy() {
        assert_eq!(form_of(&[0, 1, 2, 3], 4, 1), Some(Form::Copy));
        assert_eq!(form_of(&[0, 1, 2, 3], 4, 4), Some(Form::Copy));
    }

    #[test]
    fn token_rows_are_read_whole() {
        // Tokens 2 and 0 of 3, rows of 2 channels.
        assert_eq!(form_of(&[4, 5, 0, 1], 6, 2), Some(Form::Rows { row: 2, rows: vec![2, 0] }));
    }

    #[test]
    fn a_gather_that_mixes_rows_has_no_form() {
        // Channel 1 of token 2 with channel 0 of token 0.
        assert_eq!(form_of(&[5, 0], 6, 2), None);
        // Rows that do not start at a row boundary.
        assert_eq!(form_of(&[1, 2], 6, 2), None);
        // Row length that does not divide the source.
        assert_eq!(form_of(&[0, 1, 2, 3], 5, 2), None);
    }
}
