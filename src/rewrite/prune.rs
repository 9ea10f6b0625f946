//! The e-class analysis: every class knows its result shapes, and classes
//! that are a selection of a constant, a splat or a block argument fold into
//! a leaf standing for the smaller value (egg's constant-folding pattern).

use super::lang::{Leaf, Tensor};
use super::sig::{OpSig, SigKind};
use crate::analysis::{IdVec, OpId};
use egg::{Analysis, DidMerge, EGraph, Id};
use std::collections::HashMap;

/// Interns values, numbering them in first-seen order.
#[derive(Clone, Debug)]
pub struct Interner<T: std::hash::Hash + Eq + Clone> {
    pub items: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T: std::hash::Hash + Eq + Clone> Default for Interner<T> {
    fn default() -> Self {
        Interner { items: Vec::new(), index: HashMap::new() }
    }
}

impl<T: std::hash::Hash + Eq + Clone> Interner<T> {
    pub fn intern(&mut self, t: T) -> u32 {
        if let Some(&i) = self.index.get(&t) {
            return i;
        }
        let i = self.items.len() as u32;
        self.items.push(t.clone());
        self.index.insert(t, i);
        i
    }

    pub fn get(&self, i: u32) -> &T {
        &self.items[i as usize]
    }
}

/// What a folded leaf stands for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Fold {
    /// Weight op `op` with, per dim, the kept indices (a selection id) or all.
    Weight { op: u32, keep: Vec<Option<u32>> },
    /// Splat op `op` rebuilt at `shape`.
    Splat { op: u32, shape: Vec<i64> },
    /// Size constant `op` (the element count of a mean, or its inverse)
    /// rebuilt to hold `f64::from_bits(bits)`: the count after pruning.
    Count { op: u32, bits: u64 },
}

/// A slice rebuilt over its pruned operand: op `op`'s window dims
/// `(result dim, operand dim, offset, size)` at their new places.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rewindow {
    pub op: u32,
    pub dims: Vec<(usize, usize, i64, i64)>,
}

/// A channel shuffle's kept channels in their new order: output channel
/// `i` is channel `order[i]` of the (pruned) operand's dim `dim`. `op` is
/// the shuffle's last reshape, where the reordering is built. `shape` is
/// the result's shape when it is not the operand's (TOSA folds the move of
/// channels last into the shuffle's reshape when the other dims are 1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Shuffle {
    pub op: u32,
    pub dim: usize,
    pub order: Vec<u32>,
    pub shape: Option<Vec<i64>>,
}

/// A class that is a view of a foldable value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum View {
    Weight { op: u32, keep: Vec<Option<u32>> },
    Splat { op: u32 },
    Arg { arg: u32, keep: Vec<Option<u32>> },
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Data {
    /// Shape of each result (one entry for single-result classes).
    pub shapes: Vec<Option<Vec<i64>>>,
    pub view: Option<View>,
}

impl Data {
    pub fn shape(&self) -> Option<&Vec<i64>> {
        self.shapes.first().and_then(|s| s.as_ref())
    }
}

/// The rewrite's tables: op signatures, selections, folds, block arguments.
#[derive(Default)]
pub struct Prune {
    pub sigs: IdVec<OpId, OpSig>,
    pub sels: Interner<Vec<u32>>,
    pub folds: Interner<Fold>,
    /// Slices rebuilt at new offsets (`Leaf::Rewindowed`).
    pub windows: Interner<Rewindow>,
    /// Channel reorderings (`Leaf::Shuffle`).
    pub shuffles: Interner<Shuffle>,
    /// Block argument shapes, by value id.
    pub args: HashMap<u32, Vec<i64>>,
    /// The plan's kept indices of block arguments, per dim.
    pub arg_plan: HashMap<u32, Vec<Option<u32>>>,
    /// Classes merged with different shapes: a rule bug, reported as an error.
    pub shape_conflicts: usize,
    /// Calls, loops and branches the plan retypes: their original form is
    /// stale (its callee or body changed), so only the retyped node may be
    /// extracted.
    pub retyped: std::collections::HashSet<u32>,
    /// Gathers that copy a captured tensor, read through to it: their own
    /// form is stale too.
    pub bypassed: std::collections::HashSet<u32>,
    /// Operands of sinks (and of slices rebuilt over a pruned operand)
    /// that the plan changes: (op, operand position, the original
    /// operand's class). A node of that op that still reads the
    /// original operand there reads channels the plan removed (or a mean's
    /// old count), however selections were pushed through its other
    /// operands, so it must not be extracted.
    pub sink_operands: Vec<(u32, usize, Id)>,
}

impl Prune {
    fn leaf(eg: &EGraph<Tensor, Prune>, id: Id) -> Option<Leaf> {
        eg[id].nodes.iter().find_map(|n| match n {
            Tensor::Leaf(l) => Some(*l),
            _ => None,
        })
    }

    /// The number a `d*`, `s*`, `r*` or `o*` leaf class holds; for `t*`
    /// and `w*`, the op they rebuild.
    pub fn number(eg: &EGraph<Tensor, Prune>, id: Id) -> Option<u32> {
        match Self::leaf(eg, id)? {
            Leaf::Op(n) | Leaf::Retyped(n) | Leaf::Sel(n) | Leaf::Dim(n) | Leaf::Res(n) => Some(n),
            Leaf::Rewindowed(w) => Some(eg.analysis.windows.get(w).op),
            _ => None,
        }
    }

    /// The reordering of a `q*` leaf class.
    pub fn shuffle(eg: &EGraph<Tensor, Prune>, id: Id) -> Option<&Shuffle> {
        match Self::leaf(eg, id)? {
            Leaf::Shuffle(q) => Some(eg.analysis.shuffles.get(q)),
            _ => None,
        }
    }

    /// The new windows of a `w*` leaf class.
    pub fn rewindow(eg: &EGraph<Tensor, Prune>, id: Id) -> Option<&Rewindow> {
        match Self::leaf(eg, id)? {
            Leaf::Rewindowed(w) => Some(eg.analysis.windows.get(w)),
            _ => None,
        }
    }

    /// The op number of an original-op leaf (`o*`, not `t*`).
    pub fn op_leaf(eg: &EGraph<Tensor, Prune>, id: Id) -> Option<u32> {
        match Self::leaf(eg, id)? {
            Leaf::Op(n) => Some(n),
            _ => None,
        }
    }

    /// Whether `id` is the op leaf of a call, loop or branch the plan
    /// retypes, whose original form must not be extracted.
    pub fn is_stale_op(eg: &EGraph<Tensor, Prune>, id: Id) -> bool {
        Self::op_leaf(eg, id).is_some_and(|n| eg.analysis.retyped.contains(&n) || eg.analysis.bypassed.contains(&n))
    }

    /// `outer` applied after `inner` (both kept-index lists).
    fn compose(&mut self, inner: Option<u32>, outer: u32) -> u32 {
        match inner {
            None => outer,
            Some(i) => {
                let a = self.sels.get(i).clone();
                let b = self.sels.get(outer).clone();
                self.sels.intern(b.iter().map(|&k| a[k as usize]).collect())
            }
        }
    }

    /// Shape of a folded leaf.
    pub fn fold_shape(&self, k: u32) -> Vec<i64> {
        match self.folds.get(k) {
            Fold::Weight { op, keep } => {
                let base = self.sigs[OpId::new(*op as usize)].results[0].clone().unwrap_or_default();
                base.iter()
                    .zip(keep)
                    .map(|(&n, s)| s.map(|s| self.sels.get(s).len() as i64).unwrap_or(n))
                    .collect()
            }
            Fold::Splat { shape, .. } => shape.clone(),
            Fold::Count { op, .. } => self.sigs[OpId::new(*op as usize)].results[0].clone().unwrap_or_default(),
        }
    }
}

impl Analysis<Tensor> for Prune {
    type Data = Data;

    fn make(eg: &mut EGraph<Tensor, Self>, enode: &Tensor) -> Data {
        match enode {
            Tensor::Leaf(Leaf::Arg(a)) => Data {
                shapes: vec![eg.analysis.args.get(a).cloned()],
                view: eg.analysis.args.get(a).map(|s| View::Arg { arg: *a, keep: vec![None; s.len()] }),
            },
            Tensor::Leaf(Leaf::PrunedArg(a)) => {
                let base = eg.analysis.args.get(a).cloned().unwrap_or_default();
                let keep = eg.analysis.arg_plan.get(a).cloned().unwrap_or_default();
                let shape = base
                    .iter()
                    .enumerate()
                    .map(|(d, &n)| keep.get(d).copied().flatten().map(|s| eg.analysis.sels.get(s).len() as i64).unwrap_or(n))
                    .collect();
                Data { shapes: vec![Some(shape)], view: None }
            }
            Tensor::Leaf(Leaf::Fold(k)) => Data { shapes: vec![Some(eg.analysis.fold_shape(*k))], view: None },
            Tensor::Leaf(_) => Data::default(),
            Tensor::Op(children) => {
                let Some(op) = children.first().and_then(|&c| Self::number(eg, c)) else {
                    return Data::default();
                };
                let sig = &eg.analysis.sigs[OpId::new(op as usize)];
                let operands: Vec<Option<Vec<i64>>> =
                    children[1..].iter().map(|&c| eg[c].data.shape().cloned()).collect();
                let view = match sig.kind {
                    SigKind::Weight if children.len() == 1 => Some(View::Weight {
                        op,
                        keep: vec![None; sig.results[0].as_ref().map(|s| s.len()).unwrap_or(0)],
                    }),
                    SigKind::Splat => Some(View::Splat { op }),
                    _ => None,
                };
                let mut shapes = sig.infer(&operands);
                if let (Some(w), Some(Some(shape))) = (Self::rewindow(eg, children[0]), shapes.first_mut()) {
                    for &(rdim, _, _, size) in &w.dims {
                        shape[rdim] = size;
                    }
                }
                Data { shapes, view }
            }
            Tensor::Res([r, x]) => {
                let r = Self::number(eg, *r).unwrap_or(0) as usize;
                Data { shapes: vec![eg[*x].data.shapes.get(r).cloned().flatten()], view: None }
            }
            Tensor::Perm([q, x]) => {
                let shape = Self::shuffle(eg, *q).and_then(|s| s.shape.clone()).or_else(|| eg[*x].data.shape().cloned());
                Data { shapes: vec![shape], view: None }
            }
            Tensor::Take([s, d, x]) => {
                let (Some(s), Some(d)) = (Self::number(eg, *s), Self::number(eg, *d)) else {
                    return Data::default();
                };
                let d = d as usize;
                let n = eg.analysis.sels.get(s).len() as i64;
                let shape = eg[*x].data.shape().cloned().map(|mut sh| {
                    if d < sh.len() {
                        sh[d] = n;
                    }
                    sh
                });
                let view = match eg[*x].data.view.clone() {
                    Some(View::Weight { op, mut keep }) if d < keep.len() => {
                        keep[d] = Some(eg.analysis.compose(keep[d], s));
                        Some(View::Weight { op, keep })
                    }
                    Some(View::Arg { arg, mut keep }) if d < keep.len() => {
                        keep[d] = Some(eg.analysis.compose(keep[d], s));
                        Some(View::Arg { arg, keep })
                    }
                    Some(View::Splat { op }) => Some(View::Splat { op }),
                    _ => None,
                };
                Data { shapes: vec![shape], view }
            }
        }
    }

    fn merge(&mut self, a: &mut Data, b: Data) -> DidMerge {
        let mut changed_a = false;
        if a.shapes.len() < b.shapes.len() {
            a.shapes.resize(b.shapes.len(), None);
            changed_a = true;
        }
        for (x, y) in a.shapes.iter_mut().zip(&b.shapes) {
            match (x.as_ref(), y) {
                (None, Some(_)) => {
                    *x = y.clone();
                    changed_a = true;
                }
                (Some(p), Some(q)) if p != q => self.shape_conflicts += 1,
                _ => {}
            }
        }
        if a.view.is_none() && b.view.is_some() {
            a.view = b.view.clone();
            changed_a = true;
        }
        DidMerge(changed_a, a.shapes != b.shapes || a.view != b.view)
    }

    fn modify(eg: &mut EGraph<Tensor, Self>, id: Id) {
        let Some(view) = eg[id].data.view.clone() else { return };
        let leaf = match view {
            View::Weight { op, keep } if keep.iter().any(|k| k.is_some()) => {
                Leaf::Fold(eg.analysis.folds.intern(Fold::Weight { op, keep }))
            }
            View::Splat { op } => {
                let Some(shape) = eg[id].data.shape().cloned() else { return };
                if Some(&shape) == eg.analysis.sigs[OpId::new(op as usize)].results[0].as_ref() {
                    return;
                }
                Leaf::Fold(eg.analysis.folds.intern(Fold::Splat { op, shape }))
            }
            View::Arg { arg, keep } if keep.iter().any(|k| k.is_some()) => {
                if eg.analysis.arg_plan.get(&arg) != Some(&keep) {
                    return; // not the plan's selection: leave the take (an error later)
                }
                Leaf::PrunedArg(arg)
            }
            _ => return,
        };
        let leaf_id = eg.add(Tensor::Leaf(leaf));
        eg.union(id, leaf_id);
    }
}
