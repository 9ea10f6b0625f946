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
use crate::analysis::{Analysis, OpId, ValueId};
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
pub fn value_keep(a: &Analysis, plan: &PrunePlan, vid: ValueId) -> Vec<Option<Vec<u32>>> {
    let info = &a.values[vid];
    (0..info.shape.len())
        .map(|d| plan.kept(a.class_of[info.first_space + d], info.shape[d].max(0) as usize))
        .collect()
}

/// Wraps `x` in the plan's selections for `value` (one per pruned dim).
fn planned(eg: &mut PruneGraph, a: &Analysis, plan: &PrunePlan, value: Value, mut x: Id) -> Id {
    let Some(&vid) = a.value_index.get(&value) else { return x };
    for (d, keep) in value_keep(a, plan, vid).into_iter().enumerate() {
        if let Some(keep) = keep {
            x = take(eg, x, &keep, d, a.values[vid].shape[d]);
        }
    }
    x
}

/// Ops of a function in program order, nested regions included, payload
/// regions (scalar bodies) excluded.
pub fn function_ops(a: &Analysis, func: Op) -> Vec<OpId> {
    let mut out = Vec::new();
    func.walk(&mut |op| {
        if let Some(&id) = a.op_index.get(&op) {
            out.push(id);
            // Do not descend into payload regions; the analysis skipped them.
            return !crate::analysis::has_payload_regions(op);
        }
        true
    });
    out
}

/// Builds the e-graph of `func`. `counts` are the operands that hold the
/// element count of a mean over pruned dims, with the count to hold.
pub fn build(eg: &mut PruneGraph, a: &Analysis, plan: &PrunePlan, counts: &HashMap<(Op, usize), f64>, func: Op) -> Built {
    let mut value_class: HashMap<Value, Id> = HashMap::new();
    let mut built =
        Built { value_class: HashMap::new(), roots: Vec::new(), captures: Vec::new(), structural: Vec::new(), sinks: Vec::new() };

    // Block arguments of the function and of nested regions are leaves.
    let arg_leaf = |eg: &mut PruneGraph, v: Value| -> Id {
        let vid = a.value_index.get(&v).copied().unwrap_or(usize::MAX) as u32;
        eg.add(Tensor::Leaf(Leaf::Arg(vid)))
    };
    let ops = function_ops(a, func);
    func.walk(&mut |op| {
        for r in op.regions() {
            for b in r.blocks() {
                for arg in b.arguments() {
                    let id = arg_leaf(eg, arg);
                    value_class.insert(arg, id);
                }
            }
        }
        !crate::analysis::has_payload_regions(op)
    });

    for &oid in &ops {
        let op = a.ops[oid];
        let sig = eg.analysis.sigs[oid].clone();
        let leaf = eg.add(Tensor::Leaf(Leaf::Op(oid as u32)));
        let operands: Vec<Id> = op
            .operands()
            .map(|v| *value_class.get(&v).unwrap_or_else(|| panic!("operand of {} defined later", op.name())))
            .collect();
        let mut children = vec![leaf];
        children.extend(operands.iter().copied());
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
        for (r, v) in op.results().enumerate() {
            value_class.insert(v, results[r]);
        }

        match sig.kind {
            SigKind::Structural if matches!(op.name(), "func.call" | "scf.for" | "scf.if") => {
                let touched = op
                    .operands()
                    .chain(op.results())
                    .filter_map(|v| a.value_index.get(&v))
                    .any(|&vid| value_keep(a, plan, vid).iter().any(|k| k.is_some()));
                if !touched {
                    continue;
                }
                let mut pruned = vec![eg.add(Tensor::Leaf(Leaf::Retyped(oid as u32)))];
                for (i, v) in op.operands().enumerate() {
                    pruned.push(planned(eg, a, plan, v, operands[i]));
                }
                let p = eg.add(Tensor::Op(pruned.into_boxed_slice()));
                // Its results have the plan's shapes.
                let shapes: Vec<Option<Vec<i64>>> = op
                    .results()
                    .map(|v| {
                        let vid = *a.value_index.get(&v)?;
                        let keep = value_keep(a, plan, vid);
                        Some(
                            a.values[vid]
                                .shape
                                .iter()
                                .zip(keep)
                                .map(|(&n, k)| k.map(|k| k.len() as i64).unwrap_or(n))
                                .collect(),
                        )
                    })
                    .collect();
                eg[p].data.shapes = shapes;
                for (r, v) in op.results().enumerate() {
                    let rl = eg.add(Tensor::Leaf(Leaf::Res(r as u32)));
                    let pr = eg.add(Tensor::Res([rl, p]));
                    let chain = planned(eg, a, plan, v, results[r]);
                    eg.union(chain, pr);
                }
                eg.analysis.retyped.insert(oid as u32);
                built.structural.push((oid, p));
            }
            SigKind::Plain => {
                // Operand dims in pruned classes that reach no result dim.
                let mut sink_children = children.clone();
                let mut is_sink = false;
                let mut taken: Vec<(DimRef, Vec<u32>)> = Vec::new();
                for (j, v) in op.operands().enumerate() {
                    let Some(&vid) = a.value_index.get(&v) else { continue };
                    for (d, keep) in value_keep(a, plan, vid).into_iter().enumerate() {
                        let Some(keep) = keep else { continue };
                        let linked = sig.links.iter().any(|l| match l {
                            Link::Same { operand, odim, .. } => *operand == j && *odim == d,
                            Link::Concat { parts, .. } | Link::Collapse { parts, .. } => {
                                parts.iter().any(|p| p.0 == j && p.1 == d)
                            }
                            Link::Expand { operand, odim, .. } => *operand == j && *odim == d,
                            Link::Window { .. } => false,
                        });
                        if !linked && slice_is_selection(eg, &sig, node, operands[j], j, d) {
                            continue;
                        }
                        if !linked {
                            sink_children[1 + j] = take(eg, sink_children[1 + j], &keep, d, a.values[vid].shape[d]);
                            is_sink = true;
                            taken.push((DimRef::new(v, d), keep));
                        }
                    }
                }
                take_splat_partners(eg, a, oid, &taken, &mut sink_children);
                // A mean's count: the operand becomes a new constant. The
                // op is then a sink too, so that this form is extracted.
                for (j, v) in op.operands().enumerate() {
                    let Some(&value) = counts.get(&(op, j)) else { continue };
                    let Some(&cid) = v.defining_op().and_then(|d| a.op_index.get(&d)) else { continue };
                    let fold = Fold::Count { op: cid as u32, bits: value.to_bits() };
                    let k = eg.analysis.folds.intern(fold);
                    sink_children[1 + j] = eg.add(Tensor::Leaf(Leaf::Fold(k)));
                    is_sink = true;
                }
                if is_sink {
                    let pruned_node = Tensor::Op(sink_children.clone().into_boxed_slice());
                    let pruned = eg.add(pruned_node.clone());
                    eg.union(node, pruned);
                    for (j, (&before, &after)) in children[1..].iter().zip(&sink_children[1..]).enumerate() {
                        if before != after {
                            eg.analysis.sink_operands.push((oid as u32, j, before));
                        }
                    }
                    built.sinks.push((oid, pruned_node));
                }
            }
            _ => {}
        }
    }

    // Terminators: their operands, with the plan's selections where the
    // enclosing function or loop passes pruned values on.
    for &oid in &ops {
        let op = a.ops[oid];
        if !matches!(op.name(), "func.return" | "scf.yield") {
            continue;
        }
        let parent = op.parent();
        let roots: Vec<Id> = op
            .operands()
            .enumerate()
            .map(|(i, v)| {
                let c = value_class[&v];
                // A yield passes its operand on as the loop's iter arg i (or
                // result i of an if); a callee's return as the call's result.
                let target = match parent.map(|p| p.name()) {
                    Some("scf.for") => parent.and_then(|p| p.region(0).first_block()).map(|b| b.argument(i + 1)),
                    Some("scf.if") => parent.map(|p| p.result(i)),
                    _ => Some(v),
                };
                match target {
                    Some(t) => {
                        let Some(&tid) = a.value_index.get(&t) else { return c };
                        let mut x = c;
                        for (d, keep) in value_keep(a, plan, tid).into_iter().enumerate() {
                            if let Some(keep) = keep {
                                x = take(eg, x, &keep, d, a.values[tid].shape[d]);
                            }
                        }
                        x
                    }
                    None => c,
                }
            })
            .collect();
        built.roots.push((op, roots));
    }
    built.captures = payload_captures(a, &ops, &value_class);
    built.value_class = value_class;
    built
}

/// A splat operand (a constant whose elements are all equal, `linalg.fill`)
/// couples nothing across ops, so the plan never selects from it; but
/// inside a sink it shares a loop with the dim the sink takes (the weight
/// of a contraction whose input channels go). It takes the same indices,
/// which the analysis folds into a smaller splat.
fn take_splat_partners(eg: &mut PruneGraph, a: &Analysis, oid: OpId, taken: &[(DimRef, Vec<u32>)], children: &mut [Id]) {
    let op = a.ops[oid];
    for fact in &a.op_facts[oid].facts {
        let Fact::Same(x, y) = fact else { continue };
        for (from, to) in [(x, y), (y, x)] {
            let Some((_, keep)) = taken.iter().find(|(d, _)| d == from) else { continue };
            let Some(&vid) = a.value_index.get(&to.value) else { continue };
            if !a.values[vid].splat || taken.iter().any(|(d, _)| d == to) {
                continue;
            }
            let size = a.values[vid].shape[to.dim];
            for (j, operand) in op.operands().enumerate() {
                if operand == to.value && eg[children[1 + j]].data.shape().map(|s| s[to.dim]) == Some(size) {
                    children[1 + j] = take(eg, children[1 + j], keep, to.dim, size);
                }
            }
        }
    }
}

/// Tensors that payloads of `ops` read from outside their op (recorded by
/// the analysis), with their classes. The analysis freezes their dims, so
/// they keep their shapes; what computes them may still change and must be
/// rebuilt for them.
fn payload_captures(a: &Analysis, ops: &[OpId], value_class: &HashMap<Value, Id>) -> Vec<(Op, usize, Id)> {
    let in_function: std::collections::BTreeSet<OpId> = ops.iter().copied().collect();
    a.payload_captures
        .iter()
        .filter(|c| in_function.contains(&c.op))
        .filter_map(|c| value_class.get(&a.values[c.value].value).map(|&class| (c.inner, c.operand, class)))
        .collect()
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
