//! The rule table: named rewrites that push channel selections (`take`)
//! through ops towards the constants they came from, where the analysis
//! folds them ([`super::prune`]). Every rule searches `(take ?s ?d ?x)` and
//! rewrites through the op nodes of `?x` using that op's links, so the op
//! knowledge is the dependency analysis' rule tables, read through
//! [`super::sig`].

use crate::analysis::rules::Role;
use crate::analysis::OpId;
use super::lang::{Leaf, Tensor};
use super::prune::Prune;
use super::sig::{Link, SigKind};
use egg::{Applier, EGraph, Id, Pattern, PatternAst, Rewrite, Subst, Symbol, Var};

pub type PruneGraph = EGraph<Tensor, Prune>;

/// Every rule of the rewrite, by name.
pub fn rules() -> Vec<Rewrite<Tensor, Prune>> {
    let take: Pattern<Tensor> = "(take ?s ?d ?x)".parse().expect("pattern");
    let take_take: Pattern<Tensor> = "(take ?t ?d (take ?s ?d ?x))".parse().expect("pattern");
    let push = |kind| Push { kind, s: var("?s"), d: var("?d"), x: var("?x") };
    vec![
        Rewrite::new("take-through-same-index", take.clone(), push(PushKind::Same)).expect("rule"),
        Rewrite::new("take-through-concat", take.clone(), push(PushKind::Concat)).expect("rule"),
        Rewrite::new("take-through-flatten", take.clone(), push(PushKind::Collapse)).expect("rule"),
        Rewrite::new("take-through-unflatten", take.clone(), push(PushKind::Expand)).expect("rule"),
        Rewrite::new("take-through-shuffle", take.clone(), PushShuffle { s: var("?s"), d: var("?d"), x: var("?x") })
            .expect("rule"),
        Rewrite::new("take-through-multi-result", take, PushResults { s: var("?s"), d: var("?d"), x: var("?x") })
            .expect("rule"),
        Rewrite::new("take-of-take", take_take, Compose { t: var("?t"), s: var("?s"), d: var("?d"), x: var("?x") })
            .expect("rule"),
    ]
}

fn var(s: &str) -> Var {
    s.parse().expect("variable")
}

/// Adds a selection leaf and a dim leaf.
pub fn sel_leaf(eg: &mut PruneGraph, keep: Vec<u32>) -> Id {
    let s = eg.analysis.sels.intern(keep);
    eg.add(Tensor::Leaf(Leaf::Sel(s)))
}

pub fn dim_leaf(eg: &mut PruneGraph, d: usize) -> Id {
    eg.add(Tensor::Leaf(Leaf::Dim(d as u32)))
}

/// `(take keep dim x)`, or `x` itself when `keep` is everything.
pub fn take(eg: &mut PruneGraph, x: Id, keep: &[u32], dim: usize, size: i64) -> Id {
    if keep.len() as i64 == size && keep.iter().enumerate().all(|(i, &k)| i as u32 == k) {
        return x;
    }
    let s = sel_leaf(eg, keep.to_vec());
    let d = dim_leaf(eg, dim);
    eg.add(Tensor::Take([s, d, x]))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PushKind {
    Same,
    Concat,
    Collapse,
    Expand,
}

/// Pushes `(take s d (op o ...))` into the op's operands along its links.
struct Push {
    kind: PushKind,
    s: Var,
    d: Var,
    x: Var,
}

/// The op nodes in class `x`: (op number, children).
fn op_nodes(eg: &PruneGraph, x: Id) -> Vec<(u32, Vec<Id>)> {
    eg[x]
        .nodes
        .iter()
        .filter_map(|n| match n {
            Tensor::Op(ch) => Prune::number(eg, ch[0]).map(|o| (o, ch.to_vec())),
            _ => None,
        })
        .collect()
}

impl Applier<Tensor, Prune> for Push {
    fn apply_one(&self, eg: &mut PruneGraph, eclass: Id, subst: &Subst, _: Option<&PatternAst<Tensor>>, _: Symbol) -> Vec<Id> {
        let (Some(s), Some(d)) = (Prune::number(eg, subst[self.s]), Prune::number(eg, subst[self.d])) else {
            return vec![];
        };
        let d = d as usize;
        let keep = eg.analysis.sels.get(s).clone();
        let mut changed = vec![];
        for (op, children) in op_nodes(eg, subst[self.x]) {
            let sig = eg.analysis.sigs[OpId::new(op as usize)].clone();
            if sig.kind != SigKind::Plain || sig.results.len() != 1 {
                continue;
            }
            let mut new = children.clone();
            let mut applied = false;
            for link in &sig.links {
                match (self.kind, link) {
                    (PushKind::Same, Link::Same { result: 0, rdim, operand, odim }) if *rdim == d => {
                        let size = eg[new[1 + operand]].data.shape().map(|s| s[*odim]).unwrap_or(-1);
                        new[1 + operand] = take(eg, new[1 + operand], &keep, *odim, size);
                        applied = true;
                    }
                    (PushKind::Concat, Link::Concat { result: 0, rdim, parts }) if *rdim == d => {
                        let mut ok = true;
                        let mut pieces = Vec::new();
                        for &(j, od, off, size) in parts {
                            let part: Vec<u32> =
                                keep.iter().filter(|&&i| (i as i64) >= off && (i as i64) < off + size).map(|&i| i - off as u32).collect();
                            ok &= !part.is_empty();
                            pieces.push((j, od, part, size));
                        }
                        if ok {
                            for (j, od, part, size) in pieces {
                                new[1 + j] = take(eg, new[1 + j], &part, od, size);
                            }
                            applied = true;
                        } else if let Some(id) = take_within_one_part(eg, &children, &keep, parts) {
                            if eg.union(eclass, id) {
                                changed.push(id);
                            }
                        }
                    }
                    (PushKind::Collapse, Link::Collapse { result: 0, rdim, parts }) if *rdim == d => {
                        // The kept flat indices must be a product of kept
                        // indices of each part (whole channel blocks).
                        let per_part: Vec<Vec<u32>> = parts
                            .iter()
                            .map(|&(_, _, st, size)| {
                                let mut v: Vec<u32> = keep.iter().map(|&i| ((i as i64 / st) % size) as u32).collect();
                                v.sort_unstable();
                                v.dedup();
                                v
                            })
                            .collect();
                        if per_part.iter().map(|v| v.len()).product::<usize>() == keep.len() {
                            for (&(j, od, _, size), k) in parts.iter().zip(per_part) {
                                new[1 + j] = take(eg, new[1 + j], &k, od, size);
                            }
                            applied = true;
                        }
                    }
                    (PushKind::Expand, Link::Expand { operand, odim, parts }) => {
                        if let Some(k) = parts.iter().position(|p| p.0 == 0 && p.1 == d) {
                            // Every flat index whose part-k coordinate is kept.
                            let mut flat: Vec<u32> = vec![0];
                            for (pi, &(_, _, st, size)) in parts.iter().enumerate() {
                                let coords: Vec<u32> = if pi == k { keep.clone() } else { (0..size as u32).collect() };
                                flat = flat.iter().flat_map(|&f| coords.iter().map(move |&c| f + c * st as u32)).collect();
                            }
                            flat.sort_unstable();
                            let size = eg[new[1 + operand]].data.shape().map(|s| s[*odim]).unwrap_or(-1);
                            new[1 + operand] = take(eg, new[1 + operand], &flat, *odim, size);
                            applied = true;
                        }
                    }
                    _ => {}
                }
            }
            if applied {
                let id = eg.add(Tensor::Op(new.into_boxed_slice()));
                if eg.union(eclass, id) {
                    changed.push(id);
                }
            }
        }
        changed
    }
}

/// Pushes `(take s d (res r (op o ...)))` through an op with several
/// results (a softmax's max that also returns its argmax), when the dim is
/// the same index in operands and every result: the op applied to the
/// selected operands gives each result selected along its own linked dim.
/// Whole attention heads reach the softmax this way.
struct PushResults {
    s: Var,
    d: Var,
    x: Var,
}

impl Applier<Tensor, Prune> for PushResults {
    fn apply_one(&self, eg: &mut PruneGraph, _: Id, subst: &Subst, _: Option<&PatternAst<Tensor>>, _: Symbol) -> Vec<Id> {
        let (Some(s), Some(d)) = (Prune::number(eg, subst[self.s]), Prune::number(eg, subst[self.d])) else {
            return vec![];
        };
        let keep = eg.analysis.sels.get(s).clone();
        let results: Vec<(u32, Id)> = eg[subst[self.x]]
            .nodes
            .iter()
            .filter_map(|n| match n {
                Tensor::Res([r, inner]) => Prune::number(eg, *r).map(|r| (r, *inner)),
                _ => None,
            })
            .collect();
        let mut changed = vec![];
        for (r, inner) in results {
            for (op, children) in op_nodes(eg, inner) {
                // Each result's selected form (result r's is this match's
                // class) is now the new op's result; reported only when
                // that is news, or the runner would never see the e-graph
                // saturate.
                changed.extend(push_into_results(eg, op, &children, r as usize, d as usize, &keep));
            }
        }
        changed
    }
}

/// For result `r`'s dim `d` of a multi-result op: the op applied to the
/// operands selected along every dim linked to it, with each result's
/// selected form made equal to the new op's result. Returns the new
/// results whose class that changed (none when some result does not carry
/// the dim, or when all were equal already).
fn push_into_results(eg: &mut PruneGraph, op: u32, children: &[Id], r: usize, d: usize, keep: &[u32]) -> Vec<Id> {
    let sig = eg.analysis.sigs[OpId::new(op as usize)].clone();
    if sig.kind != SigKind::Plain || sig.results.len() < 2 {
        return vec![];
    }
    let same = |l: &Link| match *l {
        Link::Same { result, rdim, operand, odim } => Some((result, rdim, operand, odim)),
        _ => None,
    };
    let operand_dims: Vec<(usize, usize)> =
        sig.links.iter().filter_map(same).filter(|&(q, qd, ..)| q == r && qd == d).map(|(_, _, j, od)| (j, od)).collect();
    if operand_dims.is_empty() {
        return vec![];
    }
    // Every result's dim on the same operand dims (one per result).
    let mut result_dims = Vec::new();
    for q in 0..sig.results.len() {
        let dims: Vec<usize> = sig
            .links
            .iter()
            .filter_map(same)
            .filter(|&(rq, _, j, od)| rq == q && operand_dims.contains(&(j, od)))
            .map(|(_, qd, ..)| qd)
            .collect();
        match dims.as_slice() {
            [qd, rest @ ..] if rest.iter().all(|x| x == qd) => result_dims.push(*qd),
            _ => return vec![],
        }
    }
    let mut new = children.to_vec();
    for &(j, od) in &operand_dims {
        let size = eg[new[1 + j]].data.shape().map(|s| s[od]).unwrap_or(-1);
        new[1 + j] = take(eg, new[1 + j], keep, od, size);
    }
    let pushed = eg.add(Tensor::Op(new.into_boxed_slice()));
    let original = eg.add(Tensor::Op(children.to_vec().into_boxed_slice()));
    let mut out = Vec::new();
    for (q, &qd) in result_dims.iter().enumerate() {
        let leaf = eg.add(Tensor::Leaf(Leaf::Res(q as u32)));
        let new_result = eg.add(Tensor::Res([leaf, pushed]));
        let old_result = eg.add(Tensor::Res([leaf, original]));
        let size = eg[old_result].data.shape().map(|s| s[qd]).unwrap_or(-1);
        let selected = take(eg, old_result, keep, qd, size);
        if eg.union(selected, new_result) {
            out.push(new_result);
        }
    }
    out
}

/// A selection along a concat's dim whose indices all lie in one part
/// (a chunk of a concat split where it was joined) is that selection of
/// the part's operand alone; the other parts are not read. `parts` are the
/// concat link's (operand, odim, offset, size).
fn take_within_one_part(eg: &mut PruneGraph, children: &[Id], keep: &[u32], parts: &[(usize, usize, i64, i64)]) -> Option<Id> {
    if keep.is_empty() {
        return None;
    }
    let &(j, od, off, size) =
        parts.iter().find(|&&(_, _, off, size)| keep.iter().all(|&i| (i as i64) >= off && (i as i64) < off + size))?;
    let part: Vec<u32> = keep.iter().map(|&i| i - off as u32).collect();
    Some(take(eg, children[1 + j], &part, od, size))
}

/// Pushes `(take s d shuffle(y))` through a channel shuffle (a reshape
/// that unflattens `y`'s dim `d`, a transpose, a reshape that flattens it
/// back in another order): the kept channels of `y` in `y`'s order, put in
/// the shuffle's order by a `perm` node. The flattening reshape alone
/// cannot take them when they are not whole blocks of its factors, and
/// they seldom are: a shuffle interleaves layers' channels one by one.
///
/// ```text
/// y: 4 channels, shuffled (2 x 2, transposed) to [y0, y2, y1, y3]
/// (take [1, 2] d (op reshape (op transpose (op reshape y))))   [y2, y1]
///   ==>  (perm [1, 0] (take [1, 2] d y))                       [y1, y2] reordered
/// ```
struct PushShuffle {
    s: Var,
    d: Var,
    x: Var,
}

impl Applier<Tensor, Prune> for PushShuffle {
    fn apply_one(&self, eg: &mut PruneGraph, eclass: Id, subst: &Subst, _: Option<&PatternAst<Tensor>>, _: Symbol) -> Vec<Id> {
        let (Some(s), Some(d)) = (Prune::number(eg, subst[self.s]), Prune::number(eg, subst[self.d])) else {
            return vec![];
        };
        let d = d as usize;
        let keep = eg.analysis.sels.get(s).clone();
        let mut changed = vec![];
        for (op, children) in op_nodes(eg, subst[self.x]) {
            let Some((y, dy, source_of)) = shuffle_source(eg, op, &children, d) else { continue };
            let sources: Vec<u32> = keep.iter().map(|&o| source_of[o as usize]).collect();
            let mut kept = sources.clone();
            kept.sort_unstable();
            let Some(source_shape) = eg[y].data.shape().cloned() else { continue };
            let mut id = take(eg, y, &kept, dy, source_shape[dy]);
            // The result's shape, when it is not the reordered operand's.
            let pruned = |mut shape: Vec<i64>, dim: usize| {
                shape[dim] = kept.len() as i64;
                shape
            };
            let result = eg.analysis.sigs[OpId::new(op as usize)].results[0].clone().map(|r| pruned(r, d));
            let shape = result.filter(|r| *r != pruned(source_shape.clone(), dy));
            if sources != kept || shape.is_some() {
                let order = sources.iter().map(|src| kept.partition_point(|k| k < src) as u32).collect();
                let q = eg.analysis.shuffles.intern(super::prune::Shuffle { op, dim: dy, order, shape });
                let leaf = eg.add(Tensor::Leaf(Leaf::Shuffle(q)));
                id = eg.add(Tensor::Perm([leaf, id]));
            }
            if eg.union(eclass, id) {
                changed.push(id);
            }
        }
        changed
    }
}

/// When op `op` (its node's `children`) is a channel shuffle's last reshape
/// flattening dim `d`: the shuffled class `y`, its channel dim `dy`, and
/// for each output index of `d`, the index of `y`'s dim `dy` it holds.
/// Apart from unit dims, `y` and the result have the same shape, the
/// channel dim at the same place.
fn shuffle_source(eg: &PruneGraph, op: u32, children: &[Id], d: usize) -> Option<(Id, usize, Vec<u32>)> {
    let sig = &eg.analysis.sigs[OpId::new(op as usize)];
    if sig.role != Some(Role::Reshape) {
        return None;
    }
    let flat = sig.links.iter().find_map(|l| match l {
        Link::Collapse { result: 0, rdim, parts } if *rdim == d && parts.iter().all(|p| p.0 == 0) => Some(parts.clone()),
        _ => None,
    })?;
    let result_shape = sig.results.first()?.clone()?;
    // The flattened operand: a transpose of the unflattened value (its
    // dims by the transpose's links), or that value itself.
    let flattened = children[1];
    let through_transpose = op_nodes(eg, flattened).into_iter().find_map(|(t, tch)| {
        let tsig = &eg.analysis.sigs[OpId::new(t as usize)];
        (tsig.role == Some(Role::Transpose)).then(|| {
            let dims: Vec<(usize, usize)> = tsig
                .links
                .iter()
                .filter_map(|l| match *l {
                    Link::Same { result: 0, rdim, operand: 0, odim } => Some((rdim, odim)),
                    _ => None,
                })
                .collect();
            (tch[1], dims)
        })
    });
    let (expanded, dim_map) = match through_transpose {
        Some((e, dims)) => (e, dims),
        None => (flattened, (0..eg[flattened].data.shape()?.len()).map(|i| (i, i)).collect()),
    };
    let (y, unflat) = op_nodes(eg, expanded).into_iter().find_map(|(e, ech)| {
        let esig = &eg.analysis.sigs[OpId::new(e as usize)];
        if esig.role != Some(Role::Reshape) {
            return None;
        }
        esig.links.iter().find_map(|l| match l {
            Link::Expand { operand: 0, odim, parts } => Some((ech[1], *odim, parts.clone())),
            _ => None,
        })
    })
    .map(|(y, dy, parts)| ((y, dy), parts))?;
    let (y, dy) = y;
    let source_shape = eg[y].data.shape()?;
    let without_units = |s: &[i64], c: usize| -> Vec<i64> {
        s.iter().enumerate().filter(|&(i, &n)| n != 1 || i == c).map(|(i, &n)| if i == c { -2 } else { n }).collect()
    };
    if without_units(source_shape, dy) != without_units(&result_shape, d) || source_shape[dy] != result_shape[d] {
        return None;
    }
    // Each factor of the flattening: its stride there, and its stride in
    // the unflattening (through the transpose).
    let mut strides = Vec::new();
    for &(_, tdim, out_stride, size) in flat.iter().filter(|p| p.3 > 1) {
        let edim = dim_map.iter().find(|&&(r, _)| r == tdim)?.1;
        let &(_, _, in_stride, in_size) = unflat.iter().find(|p| p.0 == 0 && p.1 == edim)?;
        if in_size != size {
            return None;
        }
        strides.push((out_stride, in_stride, size));
    }
    let covered = unflat.iter().filter(|p| p.3 > 1).count() == strides.len();
    let n = result_shape[d];
    if !covered || n <= 0 || strides.iter().map(|s| s.2).product::<i64>() != n {
        return None;
    }
    let source_of = (0..n).map(|o| strides.iter().map(|&(out, inn, size)| (o / out) % size * inn).sum::<i64>() as u32).collect();
    Some((y, dy, source_of))
}

/// `(take t d (take s d x))` is one selection along `d`.
struct Compose {
    t: Var,
    s: Var,
    d: Var,
    x: Var,
}

impl Applier<Tensor, Prune> for Compose {
    fn apply_one(&self, eg: &mut PruneGraph, eclass: Id, subst: &Subst, _: Option<&PatternAst<Tensor>>, _: Symbol) -> Vec<Id> {
        let (Some(t), Some(s)) = (Prune::number(eg, subst[self.t]), Prune::number(eg, subst[self.s])) else {
            return vec![];
        };
        let (inner, outer) = (eg.analysis.sels.get(s).clone(), eg.analysis.sels.get(t).clone());
        let keep: Vec<u32> = outer.iter().map(|&k| inner[k as usize]).collect();
        let sel = sel_leaf(eg, keep);
        let id = eg.add(Tensor::Take([sel, subst[self.d], subst[self.x]]));
        if eg.union(eclass, id) {
            vec![id]
        } else {
            vec![]
        }
    }
}
