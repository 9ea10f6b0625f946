//! Op rules: one table per dialect, mapping op names to the function that
//! states the op's facts. An op without a rule, or whose rule gives up,
//! freezes every dim it touches, and the report says which op did.
//!
//! Function calls, returns and `scf` loops couple values across regions and
//! are handled by the analysis itself ([`super::Dependencies`]), not here.

pub mod core;
pub mod gather;
pub mod linalg;
pub mod tosa;

use super::facts::{Access, DimRef, Fact, FreezeReason, OpFacts, SizeConstant};
use crate::ir::{Op, Value};

/// A rule: states `op`'s facts, or says why it cannot.
pub type RuleFn = fn(Op, &mut OpFacts) -> Result<(), FreezeReason>;

/// A dialect's rule table.
pub struct DialectRules {
    pub dialect: &'static str,
    pub rules: &'static [(&'static str, RuleFn)],
    /// Applies to ops of the dialect that are not in `rules` (linalg: every
    /// structured op, through its indexing maps).
    pub fallback: Option<RuleFn>,
    /// Ops whose role a phase needs beyond their facts, by name.
    pub roles: &'static [(&'static str, Role)],
    /// The role of ops of the dialect that are not in `roles` (a
    /// `linalg.generic` by its payload).
    pub role_of: Option<fn(Op) -> Option<Role>>,
}

/// What an op computes, where the facts do not say it: calibration looks
/// through reshapes for the bias added (or subtracted) after a layer;
/// groups follow a channel shuffle through reshape, transpose, reshape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Add,
    Sub,
    Reshape,
    /// Moves elements by a permutation of dims, nothing else.
    Transpose,
}

/// The role of `op` by its dialect's table.
pub fn role(op: Op) -> Option<Role> {
    let rules = DIALECTS.iter().find(|d| d.dialect == op.dialect())?;
    let name = op.name();
    match rules.roles.iter().find(|(n, _)| *n == name) {
        Some(&(_, role)) => Some(role),
        None => rules.role_of.and_then(|f| f(op)),
    }
}

/// Every dialect the analysis knows.
pub static DIALECTS: &[&DialectRules] =
    &[&linalg::RULES, &tosa::RULES, &core::TENSOR_RULES, &core::ARITH_RULES, &core::MATH_RULES];

/// Ops handled by the analysis itself (calls, returns, loops, containers).
pub fn is_structural(op: Op) -> bool {
    matches!(
        op.name(),
        "func.func" | "func.return" | "func.call" | "scf.for" | "scf.yield" | "scf.if" | "builtin.module"
    )
}

/// Ops whose regions are a scalar payload of the op itself (the body of a
/// `linalg` op, the pad value of `tensor.pad`), not tensor code: nothing in
/// them is analysed, tagged or rewritten on its own.
pub fn has_payload_regions(op: Op) -> bool {
    op.dialect() == "linalg" || matches!(op.name(), "tensor.pad" | "tensor.generate")
}

/// The facts of `op` by its dialect's table; unknown ops and rules that give
/// up freeze all the op's tensor dims.
pub fn facts_for(op: Op) -> OpFacts {
    let name = op.name();
    let rule = DIALECTS.iter().find(|d| d.dialect == op.dialect()).and_then(|d| {
        d.rules.iter().find(|(n, _)| *n == name).map(|(_, f)| *f).or(d.fallback)
    });
    let mut out = OpFacts::default();
    let result = match rule {
        Some(rule) => rule(op, &mut out),
        None => Err(FreezeReason::UnknownOp(name.to_string())),
    };
    if let Err(reason) = result {
        out = OpFacts::default();
        freeze_all(op, reason, &mut out);
    }
    out
}

/// Finds, in one use of a sum of `count` elements, the constant that makes
/// it a mean: `user`'s operand `operand` is the sum.
pub type SizeUseFn = fn(user: Op, operand: usize, count: i64) -> Option<SizeConstant>;

/// The forms a mean takes after a sum, by the op that divides: one row per
/// form the exporters emit.
static SIZE_USES: &[(&str, SizeUseFn)] = &[
    // torch-mlir linalg: an element-wise generic whose payload divides by a
    // captured scalar (`arith.divf %in, %cst : f32`).
    ("linalg.generic", linalg::size_in_payload),
    // torch-mlir TOSA: a multiply by a splat of 1/count.
    ("tosa.mul", tosa::size_operand),
    // Tensor arithmetic by a splat (hand-written or other exporters).
    ("arith.divf", core::size_operand),
    ("arith.mulf", core::size_operand),
];

/// The constants that turn `sum`, a sum of `count` elements, into a mean:
/// one per use. `None` unless every use is such a division, so a sum used
/// as a sum keeps its dims frozen.
pub fn size_constants(sum: Value, count: i64) -> Option<Vec<SizeConstant>> {
    let uses = sum.uses();
    if uses.is_empty() || count <= 1 {
        return None;
    }
    uses.iter()
        .map(|&(user, operand)| {
            let (_, find) = SIZE_USES.iter().find(|(name, _)| *name == user.name())?;
            find(user, operand, count)
        })
        .collect()
}

/// The value of a float scalar constant or splat constant tensor.
pub fn constant_float(v: Value) -> Option<f64> {
    let def = v.defining_op()?;
    let attr = match def.name() {
        "arith.constant" => def.attribute("value")?,
        "tosa.const" => def.attribute("values")?,
        _ => return None,
    };
    attr.float_value().or_else(|| attr.splat_float_value())
}

/// Whether `x` is `count` (or 1/`count`) to the precision of an f32.
pub fn is_count(x: f64, count: i64, reciprocal: bool) -> bool {
    let want = if reciprocal { 1.0 / count as f64 } else { count as f64 };
    (x - want).abs() <= want.abs() * 1e-6
}

/// Static shape of a ranked tensor value.
pub fn shape(v: Value) -> Option<Vec<i64>> {
    v.ty().static_shape()
}

/// Freezes every dim of every tensor operand and result of `op`.
pub fn freeze_all(op: Op, reason: FreezeReason, out: &mut OpFacts) {
    for v in op.operands().chain(op.results()) {
        if let Some(s) = v.ty().shape() {
            for d in 0..s.len() {
                out.facts.push(Fact::Freeze(DimRef::new(v, d), reason.clone()));
            }
        }
    }
}

/// Element-wise op over `data` operands with numpy-style broadcasting of
/// size-1 dims (all of equal rank, as TOSA and arith require).
pub fn elementwise(op: Op, data: &[usize], out: &mut OpFacts) -> Result<(), FreezeReason> {
    let name = op.name();
    let mut results = Vec::new();
    let mut rank = None;
    for r in op.results() {
        let Some(s) = r.ty().shape() else {
            if r.ty().is_shaped() {
                return Err(FreezeReason::Unsupported(format!("'{name}' on an unranked tensor")));
            }
            return Ok(()); // scalar arithmetic
        };
        rank = Some(s.len());
        results.push((0..s.len()).map(Access::Loop).collect::<Vec<_>>());
    }
    let Some(rank) = rank else { return Ok(()) };
    let result_shape = op.result(0).ty().shape().unwrap_or_default();
    let mut operands = vec![None; op.num_operands()];
    for &i in data {
        let v = op.operand(i);
        let Some(s) = v.ty().shape() else { continue }; // a scalar operand
        if s.len() != rank {
            return Err(FreezeReason::Unsupported(format!("'{name}' with operands of different rank")));
        }
        operands[i] = Some(
            (0..rank)
                .map(|d| if s[d] == Some(1) && result_shape[d] != Some(1) { Access::Broadcast } else { Access::Loop(d) })
                .collect(),
        );
    }
    super::facts::Indexing {
        op,
        num_loops: rank,
        operands,
        results,
        contraction: false,
        inits: 0,
        filter: None,
        normalized: None,
        name,
    }
    .facts(out);
    Ok(())
}

/// Every operand is data.
pub fn all_operands(op: Op) -> Vec<usize> {
    (0..op.num_operands()).collect()
}

/// A reshape between static shapes: dims are grouped where their products
/// agree; a group with one non-unit dim on each side keeps its indices, one
/// with a single dim on one side is a flatten or unflatten (a merge), and
/// anything else is frozen. Unit dims pair up where the count on both sides
/// of a group boundary agrees.
pub fn reshape(op: Op, input: Value, output: Value, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let name = op.name();
    let (Some(a), Some(b)) = (shape(input), shape(output)) else {
        return Err(FreezeReason::Dynamic);
    };
    if a.iter().product::<i64>() != b.iter().product::<i64>() {
        return Err(FreezeReason::Unsupported(format!("'{name}' changes the element count")));
    }
    // Non-unit dims with their positions.
    let big_a: Vec<usize> = (0..a.len()).filter(|&d| a[d] != 1).collect();
    let big_b: Vec<usize> = (0..b.len()).filter(|&d| b[d] != 1).collect();
    let (mut i, mut j) = (0, 0);
    // Boundaries (in positions of a and b) between groups, for unit pairing.
    let mut boundaries: Vec<(usize, usize)> = vec![(0, 0)];
    while i < big_a.len() && j < big_b.len() {
        let (gi, gj) = (i, j);
        let (mut pa, mut pb) = (a[big_a[i]], b[big_b[j]]);
        i += 1;
        j += 1;
        while pa != pb {
            if pa < pb {
                if i >= big_a.len() {
                    break;
                }
                pa *= a[big_a[i]];
                i += 1;
            } else {
                if j >= big_b.len() {
                    break;
                }
                pb *= b[big_b[j]];
                j += 1;
            }
        }
        if pa != pb {
            return Err(FreezeReason::Reshape(name.into()));
        }
        let ga = &big_a[gi..i];
        let gb = &big_b[gj..j];
        let da = |d: usize| DimRef::new(input, d);
        let db = |d: usize| DimRef::new(output, d);
        let strides = |dims: &[usize], s: &[i64]| -> Vec<i64> {
            let mut st = vec![1i64; dims.len()];
            for k in (0..dims.len().saturating_sub(1)).rev() {
                st[k] = st[k + 1] * s[dims[k + 1]];
            }
            st
        };
        match (ga.len(), gb.len()) {
            (1, 1) => out.facts.push(Fact::Same(da(ga[0]), db(gb[0]))),
            (1, _) => {
                let st = strides(gb, &b);
                out.facts.push(Fact::Merge { whole: da(ga[0]), parts: gb.iter().map(|&d| db(d)).zip(st).collect() });
            }
            (_, 1) => {
                let st = strides(ga, &a);
                out.facts.push(Fact::Merge { whole: db(gb[0]), parts: ga.iter().map(|&d| da(d)).zip(st).collect() });
            }
            _ => {
                for &d in ga {
                    out.facts.push(Fact::Freeze(da(d), FreezeReason::Reshape(name.into())));
                }
                for &d in gb {
                    out.facts.push(Fact::Freeze(db(d), FreezeReason::Reshape(name.into())));
                }
            }
        }
        boundaries.push((ga[ga.len() - 1] + 1, gb[gb.len() - 1] + 1));
    }
    // Unit dims between consecutive boundaries pair up when counts agree.
    boundaries.push((a.len(), b.len()));
    for w in boundaries.windows(2) {
        let ua: Vec<usize> = (w[0].0..w[1].0).filter(|&d| a[d] == 1).collect();
        let ub: Vec<usize> = (w[0].1..w[1].1).filter(|&d| b[d] == 1).collect();
        if ua.len() == ub.len() {
            for (x, y) in ua.into_iter().zip(ub) {
                out.facts.push(Fact::Same(DimRef::new(input, x), DimRef::new(output, y)));
            }
        }
    }
    Ok(())
}

/// Concatenation along `axis`; other dims keep their indices.
pub fn concat(op: Op, inputs: &[usize], axis: usize, out: &mut OpFacts) -> Result<(), FreezeReason> {
    let result = op.result(0);
    let rank = shape(result).ok_or(FreezeReason::Dynamic)?.len();
    if axis >= rank {
        return Err(FreezeReason::Unsupported(format!("'{}' axis out of range", op.name())));
    }
    let mut parts = Vec::new();
    let mut offset = 0i64;
    for &i in inputs {
        let v = op.operand(i);
        let s = shape(v).ok_or(FreezeReason::Dynamic)?;
        for d in 0..rank {
            if d != axis {
                out.facts.push(Fact::Same(DimRef::new(v, d), DimRef::new(result, d)));
            }
        }
        parts.push((DimRef::new(v, axis), offset));
        offset += s[axis];
    }
    out.facts.push(Fact::Concat { whole: DimRef::new(result, axis), parts });
    Ok(())
}

/// Per-dim windows: `part` dim `d` is `whole[offset[d] ..]`; full-size dims
/// keep their indices.
pub fn windows(whole: Value, part: Value, offsets: &[i64], out: &mut OpFacts) -> Result<(), FreezeReason> {
    let (Some(ws), Some(ps)) = (shape(whole), shape(part)) else { return Err(FreezeReason::Dynamic) };
    if ws.len() != ps.len() || offsets.len() != ws.len() {
        return Err(FreezeReason::Unsupported("window of a different rank".into()));
    }
    for d in 0..ws.len() {
        if ws[d] == ps[d] && offsets[d] == 0 {
            out.facts.push(Fact::Same(DimRef::new(whole, d), DimRef::new(part, d)));
        } else {
            out.facts.push(Fact::Window { whole: DimRef::new(whole, d), part: DimRef::new(part, d), offset: offsets[d] });
        }
    }
    Ok(())
}

/// A constant: weights when float and not a splat; splats are rebuilt at any
/// shape and couple nothing.
pub fn constant(op: Op, attr_name: &str, out: &mut OpFacts) -> Result<(), FreezeReason> {
    out.constant = true;
    out.splat_results = op.attribute(attr_name).map(|a| a.is_splat()).unwrap_or(false);
    Ok(())
}
