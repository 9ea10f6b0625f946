//! From a function's IR to an e-graph with the plan's selections inserted.
//!
//! Every op becomes `(op oN operands...)`. The plan enters in two places:
//! - at *sinks*, ops that consume a pruned dim without passing it to a
//!   result (the contracted dim of a matmul, the input channels of a
//!   convolution): the op is made equal to itself applied to selections of
//!   those operands, which is what pruning means (the removed channels'
//!   contributions are dropped);
//! - at *structural* ops (calls, loops, branches) and function returns,
//!   whose pruned form follows the plan for their whole signature.
//!
//! The rule table then pushes the inserted selections towards constants.

use super::lang::{Leaf, Tensor};
use super::prune::Fold;
use super::rules::{take, PruneGraph};
use super::sig::{Link, SigKind};
use crate::analysis::facts::{DimRef, Fact};
use crate::analysis::{Dependencies, OpId, ValueId};
use crate::ir::{Op, Value};
use crate::select::PrunePlan;
use egg::Id;
use std::collections::HashMap;

/// What building a function's e-graph produced.
pub struct Built {
    /// The e-graph class of every value of the function.
    pub value_class: HashMap<Value, Id>,
    /// Terminators and the classes their operands must become.
    pub roots: Vec<(Op, Vec<Id>)>,
    /// Ops inside payloads that read a tensor from outside their payload
    /// op (`tensor.extract` of a captured value): operand, class. No
    /// operand shows these uses, so they are roots of their own.
    pub captures: Vec<(Op, usize, Id)>,
    /// Structural ops with their pruned node (class) when the plan touches them.
    pub structural: Vec<(OpId, Id)>,
    /// Sink ops and their pruned node, which must be the one extracted.
    pub sinks: Vec<(OpId, Tensor)>,
}

/// The plan's kept indices for every dim of a value (`None`: untouched).
pub fn value_keep(a: &Dependencies, plan: &PrunePlan, vid: ValueId) -> Vec<Option<Vec<u32>>> {
    let info = &a.value(vid);
    (0..info.shape.len())
        .map(|d| plan.kept(a.class_of(info.space(d)), info.shape[d].max(0) as usize))
        .collect()
}

/// Wraps `x` in the plan's selections for `value` (one per pruned dim).
fn planned(eg: &mut PruneGraph, a: &Dependencies, plan: &PrunePlan, value: Value, mut x: Id) -> Id {
    let Some(vid) = a.value_id(value) else { return x };
    for (d, keep) in value_keep(a, plan, vid).into_iter().enumerate() {
        if let Some(keep) = keep {
            x = take(eg, x, &keep, d, a.value(vid).shape[d]);
        }
    }
    x
}

/// Ops of a function in program order, nested regions included, payload
/// regions (scalar bodies) excluded.
pub fn function_ops(a: &Dependencies, func: Op) -> Vec<OpId> {
    let mut out = Vec::new();
    func.walk(&mut |op| {
        if let Some(id) = a.op_id(op) {
            out.push(id);
            // Do not descend into payload regions; the analysis skipped them.
            return !crate::analysis::rules::has_payload_regions(op);
        }
        true
    });
    out
}

/// Builds the e-graph of `func`. `counts` are the operands that hold the
/// element count of a mean over pruned dims, with the count to hold.
pub fn build(eg: &mut PruneGraph, a: &Dependencies, plan: &PrunePlan, counts: &HashMap<(Op, usize), f64>, func: Op) -> Built {
    let mut value_class = argument_leaves(eg, a, func);
    let mut built =
        Built { value_class: HashMap::new(), roots: Vec::new(), captures: Vec::new(), structural: Vec::new(), sinks: Vec::new() };
    let ops = function_ops(a, func);
    for &oid in &ops {
        let nodes = add_op(eg, a, oid, &mut value_class);
        match eg.analysis.sigs[oid].kind {
            SigKind::Structural if matches!(a.op(oid).name(), "func.call" | "scf.for" | "scf.if") => {
                if let Some(p) = retype_structural(eg, a, plan, oid, &nodes) {
                    built.structural.push((oid, p));
                }
            }
            SigKind::Plain => {
                weight_slice_is_selection(eg, a, plan, oid, &nodes);
                if let Some(pruned) = insert_sink(eg, a, plan, counts, oid, &nodes) {
                    built.sinks.push((oid, pruned));
                }
            }
            _ => {}
        }
    }
    read_copies_through(eg, a, &ops, &value_class);
    built.roots = terminator_roots(eg, a, plan, &ops, &value_class);
    built.captures = payload_captures(eg, a, plan, &ops, &value_class);
    built.value_class = value_class;
    built
}

/// Block arguments of the function and of nested regions are leaves.
fn argument_leaves(eg: &mut PruneGraph, a: &Dependencies, func: Op) -> HashMap<Value, Id> {
    let mut value_class = HashMap::new();
    func.walk(&mut |op| {
        for arg in op.regions().flat_map(|r| r.blocks()).flat_map(|b| b.arguments()) {
            let vid = a.value_id(arg).map_or(u32::MAX, |id| id.index() as u32);
            value_class.insert(arg, eg.add(Tensor::Leaf(Leaf::Arg(vid))));
        }
        !crate::analysis::rules::has_payload_regions(op)
    });
    value_class
}

/// The e-nodes of one op as it is.
struct OpNodes {
    /// The op leaf, then the operands' classes.
    children: Vec<Id>,
    node: Id,
    /// One class per result.
    results: Vec<Id>,
}

impl OpNodes {
    fn operand(&self, j: usize) -> Id {
        self.children[1 + j]
    }
}

/// Adds `(op oN operands...)` and its results.
fn add_op(eg: &mut PruneGraph, a: &Dependencies, oid: OpId, value_class: &mut HashMap<Value, Id>) -> OpNodes {
    let op = a.op(oid);
    let mut children = vec![eg.add(Tensor::Leaf(Leaf::Op(oid.index() as u32)))];
    // Program order defines every operand before its user.
    children.extend(op.operands().map(|v| *value_class.get(&v).unwrap_or_else(|| panic!("operand of {} defined later", op.name()))));
    let node = eg.add(Tensor::Op(children.clone().into_boxed_slice()));
    let results: Vec<Id> = if op.num_results() == 1 {
        vec![node]
    } else {
        (0..op.num_results())
            .map(|r| {
                let rl = eg.add(Tensor::Leaf(Leaf::Res(r as u32)));
                eg.add(Tensor::Res([rl, node]))
            })
            .collect()
    };
    for (v, &r) in op.results().zip(&results) {
        value_class.insert(v, r);
    }
    OpNodes { children, node, results }
}

/// A call, loop or branch the plan touches gets a retyped form: its
/// operands selected as the plan says, its results at the plan's shapes,
/// equal to its original results with the plan's selections.
fn retype_structural(eg: &mut PruneGraph, a: &Dependencies, plan: &PrunePlan, oid: OpId, nodes: &OpNodes) -> Option<Id> {
    let op = a.op(oid);
    let touched = op
        .operands()
        .chain(op.results())
        .filter_map(|v| a.value_id(v))
        .any(|vid| value_keep(a, plan, vid).iter().any(|k| k.is_some()));
    if !touched {
        return None;
    }
    let mut pruned = vec![eg.add(Tensor::Leaf(Leaf::Retyped(oid.index() as u32)))];
    for (j, v) in op.operands().enumerate() {
        pruned.push(planned(eg, a, plan, v, nodes.operand(j)));
    }
    let p = eg.add(Tensor::Op(pruned.into_boxed_slice()));
    let shapes: Vec<Option<Vec<i64>>> = op
        .results()
        .map(|v| {
            let vid = a.value_id(v)?;
            let keep = value_keep(a, plan, vid);
            Some(a.value(vid).shape.iter().zip(keep).map(|(&n, k)| k.map(|k| k.len() as i64).unwrap_or(n)).collect())
        })
        .collect();
    eg[p].data.shapes = shapes;
    for (r, v) in op.results().enumerate() {
        let rl = eg.add(Tensor::Leaf(Leaf::Res(r as u32)));
        let pr = eg.add(Tensor::Res([rl, p]));
        let chain = planned(eg, a, plan, v, nodes.results[r]);
        eg.union(chain, pr);
    }
    eg.analysis.retyped.insert(oid.index() as u32);
    Some(p)
}

/// At a sink (operand dims in pruned classes that reach no result dim),
/// the op equals itself applied to the selected operands; a mean's count
/// operand becomes the kept count. Returns the pruned node, if any.
fn insert_sink(
    eg: &mut PruneGraph,
    a: &Dependencies,
    plan: &PrunePlan,
    counts: &HashMap<(Op, usize), f64>,
    oid: OpId,
    nodes: &OpNodes,
) -> Option<Tensor> {
    let op = a.op(oid);
    let mut sink_children = nodes.children.clone();
    let taken = take_unlinked_dims(eg, a, plan, oid, nodes, &mut sink_children);
    let mut is_sink = !taken.is_empty();
    take_splat_partners(eg, a, oid, &taken, &mut sink_children);
    // The op is a sink for a new count too, so that this form is extracted.
    for (j, v) in op.operands().enumerate() {
        let Some(&value) = counts.get(&(op, j)) else { continue };
        let Some(cid) = v.defining_op().and_then(|d| a.op_id(d)) else { continue };
        let k = eg.analysis.folds.intern(Fold::Count { op: cid.index() as u32, bits: value.to_bits() });
        sink_children[1 + j] = eg.add(Tensor::Leaf(Leaf::Fold(k)));
        is_sink = true;
    }
    if !is_sink {
        return None;
    }
    let pruned_node = Tensor::Op(sink_children.clone().into_boxed_slice());
    let pruned = eg.add(pruned_node.clone());
    eg.union(nodes.node, pruned);
    for (j, (&before, &after)) in nodes.children[1..].iter().zip(&sink_children[1..]).enumerate() {
        if before != after {
            eg.analysis.sink_operands.push((oid.index() as u32, j, before));
        }
    }
    Some(pruned_node)
}

/// Selects the plan's kept indices in every operand dim that no link of
/// the op's signature carries to a result; returns the dims taken.
fn take_unlinked_dims(
    eg: &mut PruneGraph,
    a: &Dependencies,
    plan: &PrunePlan,
    oid: OpId,
    nodes: &OpNodes,
    sink_children: &mut [Id],
) -> Vec<(DimRef, Vec<u32>)> {
    let sig = eg.analysis.sigs[oid].clone();
    let rewindowed = rewindow_slice(eg, a, plan, oid, nodes);
    let mut taken = Vec::new();
    for (j, v) in a.op(oid).operands().enumerate() {
        let Some(vid) = a.value_id(v) else { continue };
        for (d, keep) in value_keep(a, plan, vid).into_iter().enumerate() {
            let Some(keep) = keep else { continue };
            let linked = sig.links.iter().any(|l| match l {
                Link::Same { operand, odim, .. } | Link::Expand { operand, odim, .. } => *operand == j && *odim == d,
                Link::Concat { parts, .. } | Link::Collapse { parts, .. } => parts.iter().any(|p| p.0 == j && p.1 == d),
                Link::Window { .. } => false,
            });
            if linked || rewindowed.contains(&(j, d)) || slice_is_selection(eg, &sig, nodes.node, nodes.operand(j), j, d) {
                continue;
            }
            sink_children[1 + j] = take(eg, sink_children[1 + j], &keep, d, a.value(vid).shape[d]);
            taken.push((DimRef::new(v, d), keep));
        }
    }
    taken
}

/// Terminators and the classes their operands must become: the plan's
/// selections where the enclosing function or loop passes pruned values on.
fn terminator_roots(
    eg: &mut PruneGraph,
    a: &Dependencies,
    plan: &PrunePlan,
    ops: &[OpId],
    value_class: &HashMap<Value, Id>,
) -> Vec<(Op, Vec<Id>)> {
    let mut out = Vec::new();
    for op in ops.iter().map(|&oid| a.op(oid)).filter(|op| matches!(op.name(), "func.return" | "scf.yield")) {
        let parent = op.parent();
        let roots: Vec<Id> = op
            .operands()
            .enumerate()
            .map(|(i, v)| {
                // A yield passes its operand on as the loop's iter arg i (or
                // result i of an if); a callee's return as the call's result.
                let target = match parent.map(|p| p.name()) {
                    Some("scf.for") => parent.and_then(|p| p.region(0).first_block()).map(|b| b.argument(i + 1)),
                    Some("scf.if") => parent.map(|p| p.result(i)),
                    _ => Some(v),
                };
                match target {
                    Some(t) => planned(eg, a, plan, t, value_class[&v]),
                    None => value_class[&v],
                }
            })
            .collect();
        out.push((op, roots));
    }
    out
}

/// A splat operand (a constant whose elements are all equal, `linalg.fill`)
/// couples nothing across ops, so the plan never selects from it; but
/// inside a sink it shares a loop with the dim the sink takes (the weight
/// of a contraction whose input channels go). It takes the same indices,
/// which the analysis folds into a smaller splat.
fn take_splat_partners(eg: &mut PruneGraph, a: &Dependencies, oid: OpId, taken: &[(DimRef, Vec<u32>)], children: &mut [Id]) {
    let op = a.op(oid);
    for fact in &a.facts(oid).facts {
        let Fact::Same(x, y) = fact else { continue };
        for (from, to) in [(x, y), (y, x)] {
            let Some((_, keep)) = taken.iter().find(|(d, _)| d == from) else { continue };
            let Some(&vid) = a.value_id(to.value).as_ref() else { continue };
            if !a.value(vid).splat || taken.iter().any(|(d, _)| d == to) {
                continue;
            }
            let size = a.value(vid).shape[to.dim];
            for (j, operand) in op.operands().enumerate() {
                if operand == to.value && eg[children[1 + j]].data.shape().map(|s| s[to.dim]) == Some(size) {
                    children[1 + j] = take(eg, children[1 + j], keep, to.dim, size);
                }
            }
        }
    }
}

/// A gather that copies a captured tensor (every element read at its own
/// position, [`crate::analysis::rules::gather`]) is that tensor: its result
/// joins the tensor's class, and its own form, which does not show the
/// tensor as an operand, is never extracted.
fn read_copies_through(eg: &mut PruneGraph, a: &Dependencies, ops: &[OpId], value_class: &HashMap<Value, Id>) {
    for cap in a.payload_captures().iter().filter(|c| c.copy && ops.contains(&c.op)) {
        let (result, source) = (a.op(cap.op).result(0), a.value(cap.value).value);
        if let (Some(&r), Some(&s)) = (value_class.get(&result), value_class.get(&source)) {
            eg.analysis.bypassed.insert(cap.op.index() as u32);
            eg.union(r, s);
        }
    }
}

/// Tensors that payloads of `ops` read from outside their op (recorded by
/// the analysis), with their classes as the plan prunes them. The analysis
/// freezes their dims, but those a gather reads at its own positions,
/// which lose the channels its result loses; what computes them may change
/// and must be rebuilt for them. Copies are read through instead.
fn payload_captures(
    eg: &mut PruneGraph,
    a: &Dependencies,
    plan: &PrunePlan,
    ops: &[OpId],
    value_class: &HashMap<Value, Id>,
) -> Vec<(Op, usize, Id)> {
    let in_function: std::collections::BTreeSet<OpId> = ops.iter().copied().collect();
    let mut out = Vec::new();
    for c in a.payload_captures().iter().filter(|c| in_function.contains(&c.op) && !c.copy) {
        let value = a.value(c.value).value;
        if let Some(&class) = value_class.get(&value) {
            out.push((c.inner, c.operand, planned(eg, a, plan, value, class)));
        }
    }
    out
}

/// A slice of a pruned tensor along a pruned dim keeps the plan's channels
/// of its window, which sit together in the pruned tensor: it is the same
/// slice of the pruned tensor, at the offset of the kept channels before
/// the window and the size of those in it (naga's `compact`: old indices
/// map to new ones). The planned result is made equal to that rebuilt
/// slice, so a tensor both chunked and used whole is computed once, and a
/// callee's slice of a pruned argument reads the pruned argument.
///
/// ```text
/// %h : 6 channels, kept {0, 2, 4, 5}       %h' : 4 channels
/// %s = slice %h [3 .. 6]             ->    %s' = slice %h' [2 .. 4]
/// ```
///
/// Not for slices of constants (their selections fold into a constant per
/// window) nor for a window that is exactly one part of a concat (the
/// slice reads that part directly, [`slice_is_selection`]). Returns the
/// (operand, dim) pairs it rebuilt; none when the plan's selections of the
/// slice and its operand disagree.
fn rewindow_slice(eg: &mut PruneGraph, a: &Dependencies, plan: &PrunePlan, oid: OpId, nodes: &OpNodes) -> Vec<(usize, usize)> {
    let sig = eg.analysis.sigs[oid].clone();
    let op = a.op(oid);
    let windows: Vec<(usize, usize, usize, i64, i64)> = sig
        .links
        .iter()
        .filter_map(|l| match *l {
            Link::Window { result: 0, rdim, operand, odim, offset, size } => Some((operand, rdim, odim, offset, size)),
            _ => None,
        })
        .collect();
    let Some(&(j, ..)) = windows.first() else { return vec![] };
    if sig.results.len() != 1 || windows.iter().any(|w| w.0 != j) {
        return vec![];
    }
    let x = nodes.operand(j);
    if matches!(eg[x].data.view, Some(super::prune::View::Weight { .. } | super::prune::View::Splat { .. })) {
        return vec![];
    }
    let (Some(source), Some(result)) = (a.value_id(op.operand(j)), a.value_id(op.result(0))) else { return vec![] };
    let (source_keep, result_keep) = (value_keep(a, plan, source), value_keep(a, plan, result));
    let mut dims = Vec::new();
    for &(_, rdim, odim, offset, size) in &windows {
        let Some(keep) = source_keep.get(odim).cloned().flatten() else { continue };
        if window_is_concat_part(eg, x, odim, offset, size) {
            return vec![];
        }
        let inside: Vec<u32> =
            keep.iter().filter(|&&k| (k as i64) >= offset && (k as i64) < offset + size).map(|&k| k - offset as u32).collect();
        let planned_inside = result_keep.get(rdim).cloned().flatten().unwrap_or_else(|| (0..size as u32).collect());
        if inside != planned_inside || inside.is_empty() {
            return vec![];
        }
        let before = keep.iter().filter(|&&k| (k as i64) < offset).count() as i64;
        dims.push((rdim, odim, before, inside.len() as i64));
    }
    if dims.is_empty() {
        return vec![];
    }
    let handled = dims.iter().map(|&(_, odim, ..)| (j, odim)).collect();
    let w = eg.analysis.windows.intern(super::prune::Rewindow { op: oid.index() as u32, dims });
    let mut children = nodes.children.clone();
    children[0] = eg.add(Tensor::Leaf(Leaf::Rewindowed(w)));
    children[1 + j] = planned(eg, a, plan, op.operand(j), x);
    let rebuilt = eg.add(Tensor::Op(children.into_boxed_slice()));
    let target = planned(eg, a, plan, op.result(0), nodes.node);
    eg.union(target, rebuilt);
    // The slice of the unpruned operand reads removed channels.
    eg.analysis.sink_operands.push((oid.index() as u32, j, x));
    handled
}

/// A slice of a weight the plan prunes, where every use of the weight is
/// a slice (torch-mlir's TOSA grouped convolution cuts its filter into one
/// slice per group): each slice is its window's selection of the weight,
/// so it folds into a constant of its own instead of slicing the pruned
/// weight. MLIR 22's `tosa.slice` folder aborts on a one-element slice of
/// a `dense_resource` (a grouped 1x1 convolution pruned to one channel per
/// group: random model seed 6066), and the constants hold the same
/// parameters as the weight. Not when the weight is also used whole: it
/// would be held twice.
fn weight_slice_is_selection(eg: &mut PruneGraph, a: &Dependencies, plan: &PrunePlan, oid: OpId, nodes: &OpNodes) {
    let sig = eg.analysis.sigs[oid].clone();
    let op = a.op(oid);
    for link in &sig.links {
        let Link::Window { result: 0, operand, odim, .. } = *link else { continue };
        let x = nodes.operand(operand);
        if !matches!(eg[x].data.view, Some(super::prune::View::Weight { .. })) {
            continue;
        }
        let weight = op.operand(operand);
        let pruned = a.value_id(weight).is_some_and(|w| value_keep(a, plan, w).iter().any(|k| k.is_some()));
        let only_sliced = weight.uses().iter().all(|&(user, k)| {
            a.op_id(user).is_some_and(|u| {
                eg.analysis.sigs[u].links.iter().any(|l| matches!(l, Link::Window { operand, .. } if *operand == k))
            })
        });
        if pruned && only_sliced {
            slice_is_selection(eg, &sig, nodes.node, x, operand, odim);
        }
    }
}

/// Whether `[offset .. offset + size]` of `x`'s dim `dim` is exactly one
/// operand of a concat that computes `x`.
fn window_is_concat_part(eg: &PruneGraph, x: Id, dim: usize, offset: i64, size: i64) -> bool {
    eg[x].nodes.iter().any(|n| {
        let Tensor::Op(ch) = n else { return false };
        let Some(op) = super::prune::Prune::op_leaf(eg, ch[0]) else { return false };
        eg.analysis.sigs[OpId::new(op as usize)].links.iter().any(|l| match l {
            Link::Concat { result: 0, rdim, parts } if *rdim == dim => parts.iter().any(|p| p.2 == offset && p.3 == size),
            _ => false,
        })
    })
}

/// A slice that reads only its window of a pruned dim: it equals the
/// selection of that window from its operand, `(take [off..off+size] odim x)`.
/// Stating that in the e-graph lets selections on the slice's result reach
/// the operand's producer (the chunks of a split layer each fold into a
/// slice of its weights), where the slice itself could not be rebuilt at
/// new offsets. Only for a slice along `odim` alone; true when stated.
fn slice_is_selection(eg: &mut PruneGraph, sig: &super::sig::OpSig, node: Id, x: Id, j: usize, odim: usize) -> bool {
    if sig.results.len() != 1 {
        return false;
    }
    let Some(Some(result)) = sig.results.first() else { return false };
    let window = sig.links.iter().find_map(|l| match l {
        Link::Window { result: 0, rdim, operand, odim: od, offset, size } if *operand == j && *od == odim => {
            Some((*rdim, *offset, *size))
        }
        _ => None,
    });
    let Some((rdim, offset, size)) = window else { return false };
    // Every other result dim is the same dim of the same operand.
    let full = (0..result.len()).filter(|&r| r != rdim).all(|r| {
        sig.links.iter().any(|l| matches!(l, Link::Same { result: 0, rdim, operand, .. } if *rdim == r && *operand == j))
    });
    let Some(shape) = eg[x].data.shape().cloned() else { return false };
    let whole = shape.get(odim).copied().unwrap_or(-1);
    if !full || shape.len() != result.len() || whole < 0 || offset < 0 || offset + size > whole {
        return false;
    }
    let indices: Vec<u32> = (offset..offset + size).map(|i| i as u32).collect();
    let selection = take(eg, x, &indices, odim, whole);
    eg.union(node, selection);
    true
}
