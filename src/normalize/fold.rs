//! Integer constant folding of index computations.
//!
//! torch-mlir's TOSA computes a gather's indices with tensor ops on
//! constants (`tile`, `cast`, `reshape`, `concat`, a `mul` by the strides
//! and a `reduce_sum`, `add`/`greater`/`select` for negative indices). The
//! normalization needs their values to see what a gather reads; this folds
//! such a chain, one rule per op in [`FOLDERS`], and gives up (`None`) on
//! anything else: a float, a block argument, an op without a rule, a
//! tensor larger than [`MAX_ELEMENTS`].

use crate::ir::{dense, Op, Value, ValueDef};
use std::collections::HashMap;

/// A static integer tensor: shape and row-major values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntTensor {
    pub shape: Vec<i64>,
    pub data: Vec<i64>,
}

/// Elements of one folded tensor at most.
pub const MAX_ELEMENTS: i64 = 1 << 20;

type FoldFn = fn(&mut Folder, Op) -> Option<IntTensor>;

/// The ops folded, by name.
static FOLDERS: &[(&str, FoldFn)] = &[
    ("tosa.const", constant),
    ("arith.constant", constant),
    ("tosa.cast", cast),
    ("tosa.identity", identity),
    ("tosa.reshape", reshape),
    ("tosa.tile", tile),
    ("tosa.concat", concat),
    ("tosa.transpose", transpose),
    ("tosa.reduce_sum", reduce_sum),
    ("tosa.add", |f, op| binary(f, op, |a, b| a.checked_add(b))),
    ("tosa.sub", |f, op| binary(f, op, |a, b| a.checked_sub(b))),
    ("tosa.mul", mul),
    ("tosa.maximum", |f, op| binary(f, op, |a, b| Some(a.max(b)))),
    ("tosa.minimum", |f, op| binary(f, op, |a, b| Some(a.min(b)))),
    ("tosa.greater", |f, op| binary(f, op, |a, b| Some(i64::from(a > b)))),
    ("tosa.greater_equal", |f, op| binary(f, op, |a, b| Some(i64::from(a >= b)))),
    ("tosa.equal", |f, op| binary(f, op, |a, b| Some(i64::from(a == b)))),
    ("tosa.select", select),
];

/// Folds values, remembering what it folded.
#[derive(Default)]
pub struct Folder {
    memo: HashMap<Value, Option<IntTensor>>,
}

impl Folder {
    /// The value of `v`, when it folds.
    pub fn value(&mut self, v: Value) -> Option<IntTensor> {
        if let Some(known) = self.memo.get(&v) {
            return known.clone();
        }
        let folded = self.fold(v);
        self.memo.insert(v, folded.clone());
        folded
    }

    fn fold(&mut self, v: Value) -> Option<IntTensor> {
        let ValueDef::Result(op, 0) = v.def() else { return None };
        let shape = v.ty().static_shape()?;
        v.ty().element_type()?.integer_width()?;
        if shape.iter().product::<i64>() > MAX_ELEMENTS {
            return None;
        }
        let (_, rule) = FOLDERS.iter().find(|(name, _)| *name == op.name())?;
        let t = rule(self, op)?;
        (t.shape == shape && t.data.len() as i64 == shape.iter().product::<i64>()).then_some(t)
    }

    fn operand(&mut self, op: Op, i: usize) -> Option<IntTensor> {
        (i < op.num_operands()).then(|| self.value(op.operand(i))).flatten()
    }
}

fn result_shape(op: Op) -> Option<Vec<i64>> {
    op.result(0).ty().static_shape()
}

/// Row-major strides of `shape`.
fn strides(shape: &[i64]) -> Vec<i64> {
    let mut s = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// The multi-index of flat position `i` in `shape`.
fn unflatten(mut i: i64, shape: &[i64]) -> Vec<i64> {
    let mut at = vec![0i64; shape.len()];
    for d in (0..shape.len()).rev() {
        if shape[d] > 0 {
            at[d] = i % shape[d];
            i /= shape[d];
        }
    }
    at
}

/// The flat position in `shape` that `at` (an index of a larger shape)
/// reads when `shape`'s unit dims broadcast (and, with `wrap`, when every
/// dim repeats, as a tile does).
fn read_at(at: &[i64], shape: &[i64], wrap: bool) -> Option<usize> {
    let st = strides(shape);
    let mut flat = 0i64;
    for d in 0..shape.len() {
        let i = if shape[d] == 1 {
            0
        } else if wrap {
            at[d] % shape[d]
        } else if at[d] < shape[d] {
            at[d]
        } else {
            return None;
        };
        flat += i * st[d];
    }
    Some(flat as usize)
}

/// The tensor of `shape` whose element at each multi-index `at` is
/// `element(at)`, or `None` when an element is.
fn tabulate(shape: Vec<i64>, mut element: impl FnMut(&[i64]) -> Option<i64>) -> Option<IntTensor> {
    let n: i64 = shape.iter().product();
    let data = (0..n).map(|i| element(&unflatten(i, &shape))).collect::<Option<_>>()?;
    Some(IntTensor { shape, data })
}

/// Sign-extends the low `width` bits of `x`.
fn wrap(x: i64, width: u32) -> i64 {
    if width >= 64 || width == 0 {
        return x;
    }
    if width == 1 {
        return x & 1;
    }
    let shift = 64 - width;
    (x << shift) >> shift
}

fn constant(_: &mut Folder, op: Op) -> Option<IntTensor> {
    let attr = op.attribute("values").or_else(|| op.attribute("value"))?;
    let data = dense::int_values(attr)?;
    let shape = result_shape(op)?;
    let n: i64 = shape.iter().product();
    let data = if data.len() == 1 && n != 1 { vec![data[0]; n as usize] } else { data };
    Some(IntTensor { shape, data })
}

fn cast(f: &mut Folder, op: Op) -> Option<IntTensor> {
    let width = op.result(0).ty().element_type()?.integer_width()?;
    let t = f.operand(op, 0)?;
    Some(IntTensor { data: t.data.iter().map(|&x| wrap(x, width)).collect(), ..t })
}

fn identity(f: &mut Folder, op: Op) -> Option<IntTensor> {
    f.operand(op, 0)
}

fn reshape(f: &mut Folder, op: Op) -> Option<IntTensor> {
    let t = f.operand(op, 0)?;
    Some(IntTensor { shape: result_shape(op)?, data: t.data })
}

fn tile(f: &mut Folder, op: Op) -> Option<IntTensor> {
    let t = f.operand(op, 0)?;
    let shape = result_shape(op)?;
    if shape.len() != t.shape.len() || shape.iter().zip(&t.shape).any(|(&n, &m)| m == 0 || n % m != 0) {
        return None;
    }
    tabulate(shape, |at| read_at(at, &t.shape, true).map(|k| t.data[k]))
}

fn axis(op: Op) -> Option<usize> {
    usize::try_from(op.attribute("axis")?.integer_value()?).ok()
}

fn concat(f: &mut Folder, op: Op) -> Option<IntTensor> {
    let axis = axis(op)?;
    let shape = result_shape(op)?;
    let parts: Vec<IntTensor> = (0..op.num_operands()).map(|i| f.operand(op, i)).collect::<Option<_>>()?;
    if axis >= shape.len() || parts.iter().any(|p| p.shape.len() != shape.len()) {
        return None;
    }
    tabulate(shape, |at| {
        let mut at = at.to_vec();
        let mut k = at[axis];
        let part = parts.iter().find(|p| {
            if k < p.shape[axis] {
                true
            } else {
                k -= p.shape[axis];
                false
            }
        })?;
        at[axis] = k;
        Some(part.data[read_at(&at, &part.shape, false)?])
    })
}

fn transpose(f: &mut Folder, op: Op) -> Option<IntTensor> {
    let perms = op.attribute("perms")?.dense_int_array()?;
    let t = f.operand(op, 0)?;
    let shape = result_shape(op)?;
    let rank = shape.len();
    if perms.len() != rank || t.shape.len() != rank || perms.iter().any(|&p| p < 0 || p as usize >= rank) {
        return None;
    }
    let st = strides(&t.shape);
    tabulate(shape, |at| {
        let flat: i64 = perms.iter().enumerate().map(|(d, &p)| at[d] * st[p as usize]).sum();
        Some(t.data[flat as usize])
    })
}

fn reduce_sum(f: &mut Folder, op: Op) -> Option<IntTensor> {
    let axis = axis(op)?;
    let t = f.operand(op, 0)?;
    let shape = result_shape(op)?;
    let width = op.result(0).ty().element_type()?.integer_width()?;
    if axis >= t.shape.len() || shape.len() != t.shape.len() {
        return None;
    }
    let st = strides(&t.shape);
    tabulate(shape, |at| {
        let base: i64 = at.iter().zip(&st).map(|(a, s)| a * s).sum();
        let sum = (0..t.shape[axis]).try_fold(0i64, |acc, k| acc.checked_add(t.data[(base + k * st[axis]) as usize]))?;
        Some(wrap(sum, width))
    })
}

/// An element-wise op of `arity` operands with size-1 broadcasting.
fn elementwise(f: &mut Folder, op: Op, arity: usize, compute: impl Fn(&[i64]) -> Option<i64>) -> Option<IntTensor> {
    let shape = result_shape(op)?;
    let width = op.result(0).ty().element_type()?.integer_width()?;
    let args: Vec<IntTensor> = (0..arity).map(|i| f.operand(op, i)).collect::<Option<_>>()?;
    if args.iter().any(|a| a.shape.len() != shape.len()) {
        return None;
    }
    let mut xs = vec![0i64; arity];
    tabulate(shape, |at| {
        for (x, a) in xs.iter_mut().zip(&args) {
            *x = a.data[read_at(at, &a.shape, false)?];
        }
        Some(wrap(compute(&xs)?, width))
    })
}

fn binary(f: &mut Folder, op: Op, compute: fn(i64, i64) -> Option<i64>) -> Option<IntTensor> {
    elementwise(f, op, 2, |x| compute(x[0], x[1]))
}

/// `tosa.mul(a, b, shift)`: integers shift the product right; only a
/// shift of zero is folded.
fn mul(f: &mut Folder, op: Op) -> Option<IntTensor> {
    if op.num_operands() > 2 && f.operand(op, 2)?.data.iter().any(|&s| s != 0) {
        return None;
    }
    binary(f, op, |a, b| a.checked_mul(b))
}

fn select(f: &mut Folder, op: Op) -> Option<IntTensor> {
    elementwise(f, op, 3, |x| Some(if x[0] != 0 { x[1] } else { x[2] }))
}

#[cfg(test)]
mod tests {
    use super::{read_at, unflatten, wrap};

    #[test]
    fn wraps_to_the_result_width() {
        assert_eq!(wrap(0x1_0000_0005, 32), 5);
        assert_eq!(wrap(-1, 32), -1);
        assert_eq!(wrap(0xFFFF_FFFF, 32), -1);
        assert_eq!(wrap(3, 1), 1);
    }

    #[test]
    fn broadcast_and_tile_read_the_right_element() {
        assert_eq!(unflatten(5, &[2, 3]), vec![1, 2]);
        assert_eq!(read_at(&[1, 2], &[1, 3], false), Some(2));
        assert_eq!(read_at(&[1, 2], &[2, 1], false), Some(1));
        assert_eq!(read_at(&[1, 5], &[2, 3], true), Some(5));
        assert_eq!(read_at(&[1, 5], &[2, 3], false), None);
    }
}
