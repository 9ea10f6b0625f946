//! What the rewrite knows about an op, independent of MLIR: its result
//! shapes, its kind, and how its result dims follow its operand dims. Built
//! from the dependency analysis' facts (one source of op knowledge), or by
//! hand in tests.

use crate::analysis::facts::{DimRef, Fact};
use crate::analysis::union_find::UnionFind;
use crate::analysis::{rules, Dependencies, IdVec, OpId};
use crate::ir::Op;

/// How a result dim's indices follow operand dims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    /// `result.rdim` and `operand.odim` carry the same indices.
    Same { result: usize, rdim: usize, operand: usize, odim: usize },
    /// `result.rdim` is the operands' `odim`s side by side (offset, size).
    Concat { result: usize, rdim: usize, parts: Vec<(usize, usize, i64, i64)> },
    /// `result.rdim` flattens dims of one operand: (operand, odim, stride, size).
    Collapse { result: usize, rdim: usize, parts: Vec<(usize, usize, i64, i64)> },
    /// `operand.odim` is flattened from result dims: (result, rdim, stride, size).
    Expand { operand: usize, odim: usize, parts: Vec<(usize, usize, i64, i64)> },
    /// `result.rdim` is `operand.odim[offset .. offset + size]` (a slice).
    Window { result: usize, rdim: usize, operand: usize, odim: usize, offset: i64, size: i64 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SigKind {
    /// Any op whose selections are pushed through its links.
    Plain,
    /// A weight constant: selections fold into a smaller constant.
    Weight,
    /// A value of any shape (empty, splat constant): rebuilt at the new shape.
    Splat,
    /// Calls, loops, branches: rebuilt from the plan as a whole.
    Structural,
}

#[derive(Clone, Debug)]
pub struct OpSig {
    pub name: String,
    /// What the op computes where its links do not say (a reshape, a
    /// transpose), from the dialect's rule table.
    pub role: Option<rules::Role>,
    /// Shapes of the results (`None` for non-tensor results).
    pub results: Vec<Option<Vec<i64>>>,
    pub kind: SigKind,
    pub links: Vec<Link>,
}

impl OpSig {
    /// Result shapes for operands of the given shapes: linked dims follow
    /// their operands, other dims keep their size.
    pub fn infer(&self, operands: &[Option<Vec<i64>>]) -> Vec<Option<Vec<i64>>> {
        let mut out = self.results.clone();
        for l in &self.links {
            match l {
                Link::Same { result, rdim, operand, odim } => {
                    if let (Some(Some(r)), Some(Some(o))) = (out.get_mut(*result), operands.get(*operand)) {
                        r[*rdim] = o[*odim];
                    }
                }
                Link::Concat { result, rdim, parts } => {
                    let total: Option<i64> =
                        parts.iter().map(|(j, d, _, _)| operands.get(*j)?.as_ref().map(|o| o[*d])).sum();
                    if let (Some(Some(r)), Some(t)) = (out.get_mut(*result), total) {
                        r[*rdim] = t;
                    }
                }
                Link::Collapse { result, rdim, parts } => {
                    let total: Option<i64> =
                        parts.iter().map(|(j, d, _, _)| operands.get(*j)?.as_ref().map(|o| o[*d])).product();
                    if let (Some(Some(r)), Some(t)) = (out.get_mut(*result), total) {
                        r[*rdim] = t;
                    }
                }
                // A slice keeps its size; a pruned slice is rewritten into
                // a selection of its operand instead (see `build`).
                Link::Window { .. } => {}
                // An unflatten: a smaller operand dim shrinks the one result
                // part it can be, the one whose other parts divide it (the
                // channel dim of a C x H x W unflatten). When several can
                // (8 = 2 x 4 cut to 4: 1 x 4 or 2 x 2), the size alone does
                // not say which: the result's shape is left unknown, for the
                // selection pushed through the op to give it.
                Link::Expand { operand, odim, parts } => {
                    let Some(Some(o)) = operands.get(*operand) else { continue };
                    let full: i64 = parts.iter().map(|p| p.3).product();
                    if o[*odim] == full {
                        continue;
                    }
                    let fits: Vec<(usize, usize, i64)> = parts
                        .iter()
                        .enumerate()
                        .filter_map(|(k, &(r, d, _, size))| {
                            let others: i64 = parts.iter().enumerate().filter(|(i, _)| *i != k).map(|(_, p)| p.3).product();
                            (others > 0 && o[*odim] % others == 0 && o[*odim] / others <= size).then(|| (r, d, o[*odim] / others))
                        })
                        .collect();
                    match fits.as_slice() {
                        [(r, d, n)] => {
                            if let Some(Some(res)) = out.get_mut(*r) {
                                res[*d] = *n;
                            }
                        }
                        [(r, ..), ..] => {
                            if let Some(res) = out.get_mut(*r) {
                                *res = None;
                            }
                        }
                        [] => {}
                    }
                }
            }
        }
        out
    }
}

/// Signatures of every op of the analysis, indexed like `Dependencies::ops`.
pub fn signatures(a: &Dependencies) -> IdVec<OpId, OpSig> {
        a.ops()
        .iter_enumerated()
        .map(|(i, &op)| {
            let facts = &a.facts(i);
            let kind = if rules::is_structural(op) {
                SigKind::Structural
            } else if a.weight_of_op(i).is_some() || is_int_table(op, facts.splat_results) {
                SigKind::Weight
            } else if facts.splat_results && op.num_operands() == 0 || is_shape_splat(op, facts.splat_results) {
                SigKind::Splat
            } else {
                SigKind::Plain
            };
            OpSig {
                name: op.name().to_string(),
                role: rules::role(op),
                results: op.results().map(|v| v.ty().shape_or_dynamic()).collect(),
                kind,
                links: links(op, &facts.facts),
            }
        })
        .collect()
}

/// An integer constant with one value per element (a table of indices, as
/// torch-mlir lowers GroupNorm's per-channel gathers): sliced like a
/// weight when its dims are pruned, though it holds no parameters.
fn is_int_table(op: Op, splat: bool) -> bool {
    !splat
        && op.num_operands() == 0
        && op.num_results() == 1
        && crate::ir::dense::constant_value(op).is_some_and(|(_, attr)| {
            attr.ty().static_shape().is_some() && crate::ir::dense::int_values(attr).is_some()
        })
}

/// Splat-like ops without tensor operands (`tensor.empty`, `tensor.splat`
/// of a scalar) are rebuilt at any shape.
fn is_shape_splat(op: Op, splat: bool) -> bool {
    splat && op.operands().all(|v| !v.ty().is_shaped())
}

/// `Same` is transitive within an op (a linalg op chains an input to its
/// result through its `outs` operand): every result dim is linked to every
/// operand dim of its local class.
fn same_links(op: Op, facts: &[Fact]) -> Vec<Link> {
    let mut dims: Vec<DimRef> = Vec::new();
    let mut pairs = Vec::new();
    for f in facts {
        if let Fact::Same(a, b) = f {
            pairs.push((*a, *b));
            dims.extend([*a, *b]);
        }
    }
    dims.sort();
    dims.dedup();
    let pos = |d: &DimRef| dims.binary_search(d).unwrap_or(0);
    let mut classes = UnionFind::new(dims.len());
    for (a, b) in &pairs {
        classes.union(pos(a), pos(b));
    }
    let mut out = Vec::new();
    for (i, r) in dims.iter().enumerate() {
        let Some(result) = result_position(op, *r) else { continue };
        for (j, o) in dims.iter().enumerate() {
            if classes.find(i) != classes.find(j) {
                continue;
            }
            for operand in operand_positions(op, *o) {
                out.push(Link::Same { result, rdim: r.dim, operand, odim: o.dim });
            }
        }
    }
    out
}

/// Positions of `d` among the op's operands and results.
fn operand_positions(op: Op, d: DimRef) -> Vec<usize> {
    op.operands().enumerate().filter(|(_, v)| *v == d.value).map(|(i, _)| i).collect()
}

fn result_position(op: Op, d: DimRef) -> Option<usize> {
    op.results().position(|v| v == d.value)
}

fn links(op: Op, facts: &[Fact]) -> Vec<Link> {
    let mut out = same_links(op, facts);
    let size = |d: DimRef| d.value.ty().shape_or_dynamic().map(|s| s[d.dim]).unwrap_or(crate::ir::DYNAMIC);
    for f in facts {
        match f {
            Fact::Same(..) => {} // below, transitively
            Fact::Concat { whole, parts } => {
                if let Some(result) = result_position(op, *whole) {
                    let mut ps = Vec::new();
                    for (p, off) in parts {
                        for j in operand_positions(op, *p) {
                            ps.push((j, p.dim, *off, size(*p)));
                        }
                    }
                    out.push(Link::Concat { result, rdim: whole.dim, parts: ps });
                }
            }
            Fact::Merge { whole, parts } => {
                if let Some(result) = result_position(op, *whole) {
                    let ps: Vec<_> = parts
                        .iter()
                        .flat_map(|(p, st)| operand_positions(op, *p).into_iter().map(move |j| (j, p.dim, *st, size(*p))))
                        .collect();
                    out.push(Link::Collapse { result, rdim: whole.dim, parts: ps });
                } else {
                    for operand in operand_positions(op, *whole) {
                        let ps: Vec<_> = parts
                            .iter()
                            .filter_map(|(p, st)| result_position(op, *p).map(|r| (r, p.dim, *st, size(*p))))
                            .collect();
                        out.push(Link::Expand { operand, odim: whole.dim, parts: ps });
                    }
                }
            }
            Fact::Window { whole, part, offset } => {
                // A slice: the part is a result, the whole an operand.
                if let Some(result) = result_position(op, *part) {
                    for operand in operand_positions(op, *whole) {
                        out.push(Link::Window { result, rdim: part.dim, operand, odim: whole.dim, offset: *offset, size: size(*part) });
                    }
                }
            }
            Fact::Freeze(..) | Fact::Produces { .. } | Fact::Normalized { .. } => {}
        }
    }
    out
}
