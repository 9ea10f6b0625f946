//! Extraction and rebuild: the cheapest program of each root (a selection
//! costs infinity, a constant its elements), rebuilt as MLIR ops at the
//! original ops' positions and locations. An op whose operands did not
//! change is kept as it is; a changed op is cloned with its new operands and
//! result types; calls, loops and branches are updated in place.

use super::build::Built;
use super::lang::{Leaf, Tensor};
use super::prune::{Fold, Prune};
use super::rules::PruneGraph;
use super::sig::SigKind;
use crate::analysis::{Dependencies, OpId, ValueId};
use crate::error::{Error, Result};
use crate::ir::dense;
use crate::ir::{Attribute, Op, Value};
use egg::{CostFunction, Extractor, Id, Language};
use std::collections::HashMap;

/// Selections cost infinity, constants their elements, everything else one.
/// Stale forms cost infinity too: the original form of a retyped call,
/// loop or branch, and any form of a sink that still reads an operand the
/// plan changes ([`Prune::sink_operands`]). Without that, the choice
/// between a sink's forms rests on tree costs, which count a shared
/// subterm once per use and grow exponentially in a DAG (DenseNet's
/// concatenations): near 1e19 the pruned form lost to rounding.
pub struct PruneCost<'a> {
    pub eg: &'a PruneGraph,
    /// Per sink op: operand positions and the classes they must not be.
    stale_operands: HashMap<u32, Vec<(usize, Id)>>,
}

impl<'a> PruneCost<'a> {
    pub fn new(eg: &'a PruneGraph) -> PruneCost<'a> {
        let mut stale_operands: HashMap<u32, Vec<(usize, Id)>> = HashMap::new();
        for &(op, j, class) in &eg.analysis.sink_operands {
            stale_operands.entry(op).or_default().push((j, eg.find(class)));
        }
        PruneCost { eg, stale_operands }
    }

    fn is_stale(&self, children: &[Id]) -> bool {
        if Prune::is_stale_op(self.eg, children[0]) {
            return true;
        }
        let Some(op) = Prune::op_leaf(self.eg, children[0]) else { return false };
        self.stale_operands
            .get(&op)
            .is_some_and(|ops| ops.iter().any(|&(j, c)| children.get(1 + j).is_some_and(|&x| self.eg.find(x) == c)))
    }
}

impl CostFunction<Tensor> for PruneCost<'_> {
    type Cost = f64;

    fn cost<C: FnMut(Id) -> f64>(&mut self, enode: &Tensor, mut costs: C) -> f64 {
        match enode {
            Tensor::Take(_) => f64::INFINITY,
            Tensor::Leaf(Leaf::Fold(k)) => match self.eg.analysis.folds.get(*k) {
                Fold::Weight { .. } => self.eg.analysis.fold_shape(*k).iter().product::<i64>() as f64,
                Fold::Splat { .. } => 1.0,
                // Cheaper than the constant it replaces, which must go.
                Fold::Count { .. } => 0.0,
            },
            Tensor::Leaf(_) => 0.0,
            Tensor::Res([_, x]) => costs(*x),
            // Its slices and concat: more than the original shuffle, so a
            // selection that whole blocks satisfy keeps the reshapes.
            Tensor::Perm([_, x]) => 2.0 + costs(*x),
            Tensor::Op(ch) if self.is_stale(ch) => f64::INFINITY,
            Tensor::Op(ch) => {
                let op = OpId::new(Prune::number(self.eg, ch[0]).unwrap_or(0) as usize);
                let sig = &self.eg.analysis.sigs[op];
                let own = if sig.kind == SigKind::Weight {
                    sig.results[0].as_ref().map(|s| s.iter().product::<i64>() as f64).unwrap_or(1.0)
                } else {
                    1.0
                };
                own + ch[1..].iter().map(|&c| costs(c)).sum::<f64>()
            }
        }
    }
}

/// Rebuilds the extracted program of one function into the IR.
pub struct Rebuild<'a> {
    pub a: &'a Dependencies,
    pub eg: &'a PruneGraph,
    pub ex: Extractor<'a, PruneCost<'a>, Tensor, Prune>,
    /// Built results of each class.
    built: HashMap<Id, Vec<Value>>,
    folds: HashMap<u32, Value>,
    /// Parameters of weights whose pruned inline data MLIR keeps as a
    /// splat (all elements equal), which the analysis does not count as
    /// weight data.
    pub splat_weights: u64,
    /// Ops in the payloads of cloned ops, by their originals: a payload
    /// capture must be pointed at the clone's copy of its reader too.
    cloned_inner: HashMap<Op, Vec<Op>>,
}

fn shape_of(eg: &PruneGraph, id: Id, r: usize) -> Option<Vec<i64>> {
    eg[id].data.shapes.get(r).cloned().flatten()
}

impl<'a> Rebuild<'a> {
    pub fn new(a: &'a Dependencies, eg: &'a PruneGraph) -> Rebuild<'a> {
        let ex = Extractor::new(eg, PruneCost::new(eg));
        Rebuild { a, eg, ex, built: HashMap::new(), folds: HashMap::new(), splat_weights: 0, cloned_inner: HashMap::new() }
    }

    fn op_of(&self, id: Id) -> Option<OpId> {
        Prune::number(self.eg, id).map(|n| OpId::new(n as usize))
    }

    /// The op a class is about, for error locations.
    fn location_op(&self, id: Id) -> Option<Op> {
        self.eg[id].nodes.iter().find_map(|n| match n {
            Tensor::Op(ch) => self.op_of(ch[0]).map(|o| self.a.op(o)),
            Tensor::Take([_, _, x]) | Tensor::Res([_, x]) | Tensor::Perm([_, x]) => self.location_op(*x),
            _ => None,
        })
    }

    fn error_at(&self, id: Id, message: String) -> Error {
        match self.location_op(id) {
            Some(op) => Error::ir(op.location(), message),
            None => Error::Ir { location: None, message },
        }
    }

    /// Whether the best node of a sink's class is its pruned form.
    pub fn sink_took_effect(&self, class: Id, pruned: &Tensor) -> bool {
        match (self.ex.find_best_node(class), pruned) {
            (Tensor::Op(b), Tensor::Op(w)) => {
                b.iter().map(|&c| self.eg.find(c)).collect::<Vec<_>>() == w.iter().map(|&c| self.eg.find(c)).collect::<Vec<_>>()
            }
            _ => false,
        }
    }

    /// Where selections under `class` got stuck: the op (and dim) a
    /// selection could not be pushed through, following infinite costs.
    pub fn stuck_at(&self, node: &Tensor) -> Option<(Op, usize)> {
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<Id> = node.children().iter().map(|&c| self.eg.find(c)).collect();
        while let Some(c) = stack.pop() {
            if !seen.insert(c) {
                continue;
            }
            for node in &self.eg[c].nodes {
                match node {
                    Tensor::Take([_, d, x]) => {
                        let x = self.eg.find(*x);
                        let finite_inner = self.ex.find_best_cost(x).is_finite();
                        if finite_inner && !self.ex.find_best_cost(c).is_finite() {
                            if let Some(op) = self.location_op(x) {
                                return Some((op, Prune::number(self.eg, *d).unwrap_or(0) as usize));
                            }
                        }
                        stack.push(x);
                    }
                    Tensor::Op(ch) => {
                        stack.extend(ch[1..].iter().map(|&x| self.eg.find(x)).filter(|&x| !self.ex.find_best_cost(x).is_finite()))
                    }
                    Tensor::Res([_, x]) | Tensor::Perm([_, x]) => stack.push(self.eg.find(*x)),
                    Tensor::Leaf(_) => {}
                }
            }
        }
        None
    }

    /// Values of `class`, building what they need first (iteratively).
    pub fn value(&mut self, class: Id) -> Result<Vec<Value>> {
        let class = self.eg.find(class);
        let mut stack: Vec<(Id, bool)> = vec![(class, false)];
        while let Some((c, expanded)) = stack.pop() {
            if self.built.contains_key(&c) {
                continue;
            }
            let node = self.ex.find_best_node(c).clone();
            let deps: Vec<Id> = match &node {
                Tensor::Op(ch) => ch[1..].iter().map(|&x| self.eg.find(x)).collect(),
                Tensor::Res([_, x]) | Tensor::Perm([_, x]) => vec![self.eg.find(*x)],
                Tensor::Take(_) => {
                    let name = self.location_op(c).map(crate::ir::describe::op).unwrap_or_default();
                    return Err(self.error_at(c, format!("could not push a channel selection through {name}")));
                }
                Tensor::Leaf(_) => vec![],
            };
            if !expanded {
                stack.push((c, true));
                for d in deps {
                    if !self.built.contains_key(&d) {
                        stack.push((d, false));
                    }
                }
                continue;
            }
            let values = self.materialize(c, &node)?;
            self.built.insert(c, values);
        }
        Ok(self.built[&class].clone())
    }

    fn materialize(&mut self, c: Id, node: &Tensor) -> Result<Vec<Value>> {
        match node {
            Tensor::Leaf(Leaf::Arg(v)) => Ok(vec![self.a.value(ValueId::new(*v as usize)).value]),
            Tensor::Leaf(Leaf::PrunedArg(v)) => {
                let arg = self.a.value(ValueId::new(*v as usize)).value;
                if let Some(shape) = shape_of(self.eg, c, 0) {
                    arg.set_type(arg.ty().ranked_tensor_like(&shape));
                }
                Ok(vec![arg])
            }
            Tensor::Leaf(Leaf::Fold(k)) => Ok(vec![self.fold(*k)?]),
            Tensor::Leaf(_) => Err(self.error_at(c, "internal error: a leaf that is not a value".into())),
            Tensor::Take(_) => unreachable!("rejected when expanding"),
            Tensor::Res([r, x]) => {
                let r = Prune::number(self.eg, *r).unwrap_or(0) as usize;
                let vals = &self.built[&self.eg.find(*x)];
                Ok(vec![vals[r]])
            }
            Tensor::Perm([q, x]) => {
                let shuffle = Prune::shuffle(self.eg, *q)
                    .ok_or_else(|| self.error_at(c, "internal error: a reordering without its order".into()))?;
                let source = self.built[&self.eg.find(*x)][0];
                let anchor = self.a.op(OpId::new(shuffle.op as usize));
                let shape = shuffle.shape.as_deref();
                Ok(vec![super::reorder::reorder_channels(anchor, source, shuffle.dim, &shuffle.order, shape)?])
            }
            Tensor::Op(ch) => {
                let oid = self.op_of(ch[0]).ok_or_else(|| self.error_at(c, "internal error: op node without op".into()))?;
                let op = self.a.op(oid);
                let operands: Vec<Value> = ch[1..].iter().map(|&x| self.built[&self.eg.find(x)][0]).collect();
                let shapes: Vec<Option<Vec<i64>>> = (0..op.num_results()).map(|r| shape_of(self.eg, c, r)).collect();
                let values = self.rebuild_op(op, &operands, &shapes)?;
                if let Some(window) = Prune::rewindow(self.eg, ch[0]) {
                    // The original op itself when its operand is a block
                    // argument retyped in place and its size did not change.
                    let rebuilt = values[0].defining_op();
                    let rebuilt = rebuilt.ok_or_else(|| self.error_at(c, "internal error: a moved slice without an op".into()))?;
                    move_window(rebuilt, window)?;
                }
                Ok(values)
            }
        }
    }

    /// The op with new operands and result shapes: the original when
    /// nothing changed, updated in place for structural ops, a clone otherwise.
    fn rebuild_op(&mut self, op: Op, operands: &[Value], shapes: &[Option<Vec<i64>>]) -> Result<Vec<Value>> {
        let same_operands = op.operands().zip(operands).all(|(a, b)| a == *b);
        let same_types = op.results().zip(shapes).all(|(v, s)| match s {
            Some(s) => v.ty().shape_or_dynamic().as_ref() == Some(s),
            None => true,
        });
        if same_operands && same_types {
            return Ok(op.results().collect());
        }
        let target = if crate::analysis::rules::is_structural(op) {
            op
        } else {
            let clone = op.clone_op();
            clone.insert_before(op);
            if crate::analysis::rules::has_payload_regions(op) {
                self.map_payload_ops(op, clone);
            }
            clone
        };
        for (i, v) in operands.iter().enumerate() {
            target.set_operand(i, *v);
        }
        for (r, s) in shapes.iter().enumerate() {
            if let Some(s) = s {
                let v = target.result(r);
                if v.ty().is_ranked_tensor() {
                    v.set_type(v.ty().ranked_tensor_like(s));
                }
            }
        }
        fix_shape_attributes(target)?;
        Ok(target.results().collect())
    }

    /// Records, for each op in `original`'s payload, its copy in `clone`
    /// (the same walk order: a clone has the same structure).
    fn map_payload_ops(&mut self, original: Op, clone: Op) {
        let walk = |root: Op| {
            let mut ops = Vec::new();
            root.walk(&mut |o| {
                if o != root {
                    ops.push(o);
                }
                true
            });
            ops
        };
        for (o, c) in walk(original).into_iter().zip(walk(clone)) {
            self.cloned_inner.entry(o).or_default().push(c);
        }
    }

    /// The kept indices of each dim of a folded constant (`None`: all).
    fn selections(&self, keep: &[Option<u32>]) -> Vec<Option<Vec<usize>>> {
        keep.iter().map(|s| s.map(|s| self.eg.analysis.sels.get(s).iter().map(|&i| i as usize).collect())).collect()
    }

    /// A new constant for fold `k`, inserted before the op it slices.
    fn fold(&mut self, k: u32) -> Result<Value> {
        if let Some(v) = self.folds.get(&k) {
            return Ok(*v);
        }
        let fold = self.eg.analysis.folds.get(k).clone();
        let shape = self.eg.analysis.fold_shape(k);
        // Each fold is a copy of its original op with a new value, placed
        // just before it.
        let (original, clone) = match fold {
            Fold::Weight { op, keep } if self.a.weight_of_op(OpId::new(op as usize)).is_none() => {
                let op = self.a.op(OpId::new(op as usize));
                let sels = self.selections(&keep);
                (op, slice_int_table(op, &sels, &shape)?)
            }
            Fold::Weight { op, keep } => {
                let op = self.a.op(OpId::new(op as usize));
                let (name, attr, data) = dense::weight_elements(op)?;
                let old_shape = op.result(0).ty().static_shape().unwrap_or_default();
                let sels = self.selections(&keep);
                let bytes = dense::gather(data.bytes(), &old_shape, data.kind.byte_width(), &sels);
                let new_ty = op.result(0).ty().ranked_tensor_like(&shape);
                let clone = op.clone_op();
                dense::replace_value(clone, name, &data, attr, new_ty, bytes, "_pruned");
                // MLIR keeps inline data whose elements are all equal as a
                // splat: one element, or the kept part of a weight that
                // happens to repeat one value.
                if clone.attribute(name).is_some_and(|a| a.is_splat()) {
                    self.splat_weights += shape.iter().product::<i64>() as u64;
                }
                clone.result(0).set_type(new_ty);
                // The copy exists: the original need not stay resident.
                let _released = dense::release_mapped_weight(op);
                (op, clone)
            }
            Fold::Splat { op, shape } => {
                let op = self.a.op(OpId::new(op as usize));
                let clone = op.clone_op();
                let new_ty = op.result(0).ty().ranked_tensor_like(&shape);
                for name in ["value", "values"] {
                    if let Some(splat) = op.attribute(name).and_then(|a| a.splat_of(new_ty)) {
                        clone.set_attribute(name, splat);
                    }
                }
                clone.result(0).set_type(new_ty);
                (op, clone)
            }
            Fold::Count { op, bits } => {
                let op = self.a.op(OpId::new(op as usize));
                let clone = op.clone_op();
                super::sizes::set_count(clone, f64::from_bits(bits))?;
                (op, clone)
            }
        };
        clone.insert_before(original);
        let value = clone.result(0);
        self.folds.insert(k, value);
        Ok(value)
    }
}

/// Attributes that restate a result shape.
fn fix_shape_attributes(op: Op) -> Result<()> {
    let ctx = op.context();
    match op.name() {
        "tensor.expand_shape" => {
            if let Some(shape) = op.result(0).ty().shape_or_dynamic() {
                let shape: Vec<i64> = shape.iter().map(|&d| if d < 0 { crate::ir::MLIR_DYNAMIC } else { d }).collect();
                op.set_attribute("static_output_shape", Attribute::dense_i64_array(ctx, &shape));
            }
        }
        // A slice carries the dims it does not cut whole, pruned or not:
        // their static sizes are the sizes of the slice (or, inserted, of
        // the source) as retyped.
        "tensor.extract_slice" => slice_sizes_follow(op, op.result(0))?,
        "tensor.insert_slice" => slice_sizes_follow(op, op.operand(0))?,
        // A reshape's new shape and a slice's size (operand 2) restate the
        // result's shape; the verifier does not check the slice's, but
        // lowering does.
        "tosa.reshape" => own_shape_operand(op, 1)?,
        "tosa.slice" => own_shape_operand(op, 2)?,
        _ => {}
    }
    Ok(())
}

/// Points operand `operand` of `op`, a shared `tosa.const_shape`, at a new
/// one of its own holding the result's shape.
fn own_shape_operand(op: Op, operand: usize) -> Result<()> {
    let shape = op.result(0).ty().static_shape().unwrap_or_default();
    own_shape_operand_holding(op, operand, &shape)
}

/// The offsets of a slice rebuilt over its pruned operand
/// ([`super::build`]'s `rewindow_slice`); its sizes follow its result type.
fn move_window(op: Op, window: &super::prune::Rewindow) -> Result<()> {
    let bad = || Error::ir(op.location(), format!("internal error: cannot move the window of {}", op.name()));
    match op.name() {
        "tensor.extract_slice" => {
            let mut offsets = op.attribute("static_offsets").and_then(|a| a.dense_int_array()).ok_or_else(bad)?;
            for &(_, odim, offset, _) in &window.dims {
                *offsets.get_mut(odim).ok_or_else(bad)? = offset;
            }
            op.set_attribute("static_offsets", Attribute::dense_i64_array(op.context(), &offsets));
            Ok(())
        }
        "tosa.slice" => {
            let def = op.operand(1).defining_op().filter(|d| d.name() == "tosa.const_shape").ok_or_else(bad)?;
            let mut start = def.attribute("values").and_then(|a| a.dense_int_values()).ok_or_else(bad)?;
            for &(_, odim, offset, _) in &window.dims {
                *start.get_mut(odim).ok_or_else(bad)? = offset;
            }
            own_shape_operand_holding(op, 1, &start)
        }
        _ => Err(bad()),
    }
}

/// Points operand `operand` of `op`, a shared `tosa.const_shape`, at a new
/// one of its own holding `shape`.
fn own_shape_operand_holding(op: Op, operand: usize, shape: &[i64]) -> Result<()> {
    let def = op.operand(operand).defining_op().filter(|d| d.name() == "tosa.const_shape");
    let def = def.ok_or_else(|| Error::ir(op.location(), format!("{} without a constant shape", op.name())))?;
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let text = format!("dense<[{}]> : tensor<{}xindex>", dims.join(", "), shape.len());
    let attr = Attribute::parse(op.context(), &text).ok_or_else(|| Error::ir(op.location(), "bad shape"))?;
    let new = def.clone_op();
    new.set_attribute("values", attr);
    new.insert_before(op);
    op.set_operand(operand, new.result(0));
    Ok(())
}

/// Sets a slice's `static_sizes` from the shape of `part` (the slice's
/// result, or the inserted source): each dim the slice keeps takes the
/// part's size; dims it drops (unit dims of a rank-reducing slice) stay 1.
fn slice_sizes_follow(op: Op, part: Value) -> Result<()> {
    let bad = || Error::ir(op.location(), format!("{} without static sizes", op.name()));
    let mut sizes = op.attribute("static_sizes").and_then(|a| a.dense_int_array()).ok_or_else(bad)?;
    let shape = part.ty().static_shape().ok_or_else(bad)?;
    let kept = crate::analysis::rules::core::kept_slice_dims(&sizes, shape.len()).ok_or_else(bad)?;
    for (r, &d) in kept.iter().enumerate() {
        sizes[d] = shape[r];
    }
    op.set_attribute("static_sizes", Attribute::dense_i64_array(op.context(), &sizes));
    Ok(())
}

/// Points every root's terminator and every payload capture at its
/// rebuilt operands, and retypes every call, loop and branch the plan
/// touches, used or not: a callee whose results shrank must not keep a
/// caller with the old result types.
pub fn connect_roots(rb: &mut Rebuild, built: &Built) -> Result<()> {
    for (term, roots) in &built.roots {
        for (i, &r) in roots.iter().enumerate() {
            let v = rb.value(r)?[0];
            term.set_operand(i, v);
        }
    }
    // Every capture's value first: building one may clone another
    // capture's reader.
    let mut captured = Vec::with_capacity(built.captures.len());
    for &(inner, k, c) in &built.captures {
        captured.push((inner, k, rb.value(c)?[0]));
    }
    for (inner, k, v) in captured {
        inner.set_operand(k, v);
        for copy in rb.cloned_inner.get(&inner).into_iter().flatten() {
            copy.set_operand(k, v);
        }
    }
    for &(_, retyped) in &built.structural {
        rb.value(retyped)?;
    }
    Ok(())
}

/// A copy of integer constant `op` (an index table) keeping `sels` of its
/// dims, as an inline `dense` attribute of `shape`. Its values stay as
/// they were: they point into tensors whose dims they read, which the
/// analysis keeps whole.
fn slice_int_table(op: Op, sels: &[Option<Vec<usize>>], shape: &[i64]) -> Result<Op> {
    let failed = || crate::error::Error::ir(op.location(), "could not slice the integer table of this constant");
    let (name, attr) = dense::constant_value(op).ok_or_else(failed)?;
    let values = dense::int_values(attr).ok_or_else(failed)?;
    let old_shape = op.result(0).ty().static_shape().ok_or_else(failed)?;
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let kept = dense::gather(&bytes, &old_shape, 8, sels);
    let kept: Vec<i64> = kept.chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
    let new_ty = op.result(0).ty().ranked_tensor_like(shape);
    let table = dense::int_table(new_ty, &kept).ok_or_else(failed)?;
    let clone = op.clone_op();
    clone.set_attribute(name, table);
    clone.result(0).set_type(new_ty);
    Ok(clone)
}
