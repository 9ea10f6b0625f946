//! Calibration: importance and compensation from the model's own
//! activations on sample inputs (`calibration=FILE`: `.npz`, `.npy`, `.json`).
//!
//! One instrumented run records, for every *sink* (a contraction or
//! convolution whose weight consumes a prunable group's channels), the
//! activation that enters it. From those:
//! - importance of a channel is the error its removal leaves in its
//!   consumers once the kept channels are refitted, by greedy elimination
//!   ([`reconstruction`], `calibrated-importance=elimination`, the default
//!   with `compensate=lstsq`), or the variance of its activation times the
//!   squared norm of the weight slice that consumes it: the expected squared
//!   error its removal puts into the consumer once its mean is compensated
//!   ([`importance`], `variance`);
//! - compensation rewrites each consumer so that it still sees what the
//!   removed channels carried: their mean (`compensate=mean`), or their
//!   least-squares reconstruction from the kept channels plus the mean
//!   (`compensate=lstsq`, ridge-regularised). Kept weights and the
//!   consumer's bias absorb it; shapes do not change, so the same plan then
//!   removes (or masks) the channels.
//!
//! Activations are recorded wherever they are computed (`@main`, called
//! functions, `scf.for` bodies: every call and iteration adds its rows), as
//! running [`Moments`], batch by batch, so memory does not grow with the
//! number of calibration rows. Only non-f32 activations go unrecorded; their
//! sinks keep weight-magnitude importance and are not compensated (the
//! report's notes say which).

mod inputs;
mod moments;
pub mod reconstruction;

pub use inputs::read_inputs;
pub use moments::{Moments, PairedMoments};

use crate::analysis::facts::{DimRef, Fact, OpFacts};
use crate::analysis::rules::{self, Role};
use crate::analysis::{ClassId, Dependencies, OpId, ValueId, WeightId};
use crate::error::Result;
use crate::ir::exec::{self, Tensor};
use crate::group::Groups;
use crate::ir::dense;
use crate::ir::{Op, Value};
use crate::select::importance::{Norm, SliceNorms};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A bias-like constant after a sink: `sign * B` is added to its output.
#[derive(Clone, Copy, Debug)]
pub enum Bias {
    /// A weight constant, along `dim`.
    Weight { weight: WeightId, dim: usize, sign: f32 },
    /// A splat constant (torch-mlir folds the bias of a one-output layer
    /// into one): compensable when the layer has a single output channel.
    Splat { op: OpId, sign: f32 },
}

/// A contraction that consumes channels through a weight.
#[derive(Clone, Debug)]
pub struct Sink {
    pub op: OpId,
    /// The activation operand, and its contracted dim.
    pub act: ValueId,
    pub act_dim: usize,
    /// The weight constant and its contracted dim.
    pub weight: WeightId,
    pub w_in: usize,
    /// The weight's output-channel dim (what a bias is added along).
    pub w_out: Option<usize>,
    pub bias: Option<Bias>,
}

/// The dims of weight `w` that lie in `class`.
fn weight_dims_in(a: &Dependencies, w: WeightId, class: ClassId) -> Vec<usize> {
    let info = &a.value(a.weight(w).value);
    (0..info.shape.len()).filter(|&d| a.class_of(info.space(d)) == class).collect()
}

/// The dim of weight `w` that a sink contracts with its activation's
/// `class`, seen as dim `view_dim` of the operand `view`. Usually the only
/// dim of the weight in that class; a residual layer (a convolution whose
/// output is added back to its own input) has its input and output dims in
/// one class, and then the operand, when it is the weight itself, says
/// which one the op contracts.
fn contracted_weight_dim(a: &Dependencies, w: WeightId, class: ClassId, view: Value, view_dim: usize) -> Option<usize> {
    let dims = weight_dims_in(a, w, class);
    match dims.len() {
        1 => Some(dims[0]),
        0 => None,
        _ => weight_dim_under_view(a, w, view, view_dim).filter(|d| dims.contains(d)),
    }
}

/// Dim `dim` of a view of weight `w` (the weight itself, or transposes of
/// it) as a dim of the weight, following the views' one-to-one dims back.
fn weight_dim_under_view(a: &Dependencies, w: WeightId, mut view: Value, mut dim: usize) -> Option<usize> {
    let weight = a.weight(w).value;
    // Views are short chains; the bound keeps a malformed cycle finite.
    for _ in 0..16 {
        if a.value_id(view)? == weight {
            return Some(dim);
        }
        let def = view.defining_op()?;
        let source = same_operand_dim(a, def, DimRef { value: view, dim }, |v| a.value_id(v).is_some_and(|v| a.value(v).weight_view))?;
        (view, dim) = (source.value, source.dim);
    }
    None
}

/// An operand dim of `op` that carries the same indices as `at` (one of its
/// result dims) and whose value `wanted` accepts: `Same` facts are chained
/// within an op (a linalg op links its input to its result through its
/// `outs` operand), so this follows them transitively.
fn same_operand_dim(a: &Dependencies, op: Op, at: DimRef, wanted: impl Fn(Value) -> bool) -> Option<DimRef> {
    let facts = &a.facts(a.op_id(op)?).facts;
    let mut reached = vec![at];
    let mut next = 0;
    while next < reached.len() {
        let here = reached[next];
        next += 1;
        for f in facts {
            let Fact::Same(x, y) = f else { continue };
            let other = if *x == here { *y } else if *y == here { *x } else { continue };
            if reached.contains(&other) {
                continue;
            }
            if op.operands().any(|v| v == other.value) && wanted(other.value) {
                return Some(other);
            }
            reached.push(other);
        }
    }
    None
}

/// Follows a sink's result through reshapes and transposes to the first
/// add or subtract of a per-channel weight: the bias that compensation
/// adjusts.
fn find_bias(a: &Dependencies, sink: OpId, out_class: ClassId) -> Option<Bias> {
    let mut cur = a.op(sink).result(0);
    for _ in 0..4 {
        let uses = cur.uses();
        if uses.len() != 1 {
            return None;
        }
        let (user, pos) = uses[0];
        let role = rules::role(user);
        if matches!(role, Some(Role::Add | Role::Sub)) {
            let other = (0..2).find(|&i| i != pos)?;
            if role == Some(Role::Sub) && pos != 0 {
                return None;
            }
            let sign = if role == Some(Role::Add) { 1.0 } else { -1.0 };
            if let Some(w) = a.weight_behind(user.operand(other)) {
                let dims = weight_dims_in(a, w, out_class);
                return (dims.len() == 1).then(|| Bias::Weight { weight: w, dim: dims[0], sign });
            }
            let def = user.operand(other).defining_op()?;
            let id = a.op_id(def)?;
            let splat = a.facts(id).constant && a.facts(id).splat_results;
            return splat.then_some(Bias::Splat { op: id, sign });
        }
        if role == Some(Role::Reshape) {
            cur = user.result(0);
            continue;
        }
        return None;
    }
    None
}

/// Every sink of a prunable group's channels.
pub fn find_sinks(a: &Dependencies, groups: &Groups) -> Vec<Sink> {
    let member_classes: BTreeSet<ClassId> = groups.groups.iter().flat_map(|g| g.members.iter().map(|m| m.class)).collect();
    let mut sinks = Vec::new();
    for (oid, &op) in a.ops().iter_enumerated() {
        let facts = &a.facts(oid);
        if !facts.contraction || !a.is_layer_op(oid) {
            continue;
        }
        // Operand pairs coupled on a contracted loop (Same between operands).
        for f in &facts.facts {
            let Fact::Same(x, y) = f else { continue };
            let is_operand = |d: &DimRef| op.operands().any(|v| v == d.value);
            if !is_operand(x) || !is_operand(y) {
                continue;
            }
            let (Some(xv), Some(yv)) = (a.value_id(x.value), a.value_id(y.value)) else { continue };
            let (act, act_dim, wv, wv_dim) = match (a.value(xv).weight_view, a.value(yv).weight_view) {
                (false, true) => (xv, x.dim, y.value, y.dim),
                (true, false) => (yv, y.dim, x.value, x.dim),
                _ => continue,
            };
            if passes_through(op, facts, DimRef::new(a.value(act).value, act_dim)) {
                continue;
            }
            let class = a.class_of_dim(act, act_dim);
            if !member_classes.contains(&class) {
                continue;
            }
            let Some(weight) = a.weight_behind(wv) else { continue };
            let Some(w_in) = contracted_weight_dim(a, weight, class, wv, wv_dim) else { continue };
            // The output-channel class: a result dim the op produces from
            // its weight operand.
            let weight_operand = op.operands().position(|v| v == wv);
            let out_class = facts.facts.iter().find_map(|f| match f {
                Fact::Produces { result, operand } if Some(*operand) == weight_operand => a.class(*result),
                _ => None,
            });
            let w_out = out_class.and_then(|c| {
                let d: Vec<usize> = weight_dims_in(a, weight, c).into_iter().filter(|&d| d != w_in).collect();
                (d.len() == 1).then(|| d[0])
            });
            let bias = out_class.and_then(|c| find_bias(a, oid, c));
            sinks.push(Sink { op: oid, act, act_dim, weight, w_in, w_out, bias });
        }
    }
    sinks
}

/// Whether the op carries dim `act` of an operand into the same dim of its
/// result, as a depthwise convolution does with its channels: nothing is
/// contracted across them, and a removed channel's output goes with it, so
/// there is nothing to compensate. Fitting the kept filters to the removed
/// ones there changed the kept outputs (the corpus ShuffleNet's, MobileNet's
/// and EfficientNet's depthwise convolutions were sinks).
fn passes_through(op: Op, facts: &OpFacts, act: DimRef) -> bool {
    // The dims on the activation's loop: Same facts pair operand dims with
    // each other and with result dims, so follow them to a fixed point.
    let mut on_loop = BTreeSet::from([act]);
    loop {
        let before = on_loop.len();
        for f in &facts.facts {
            if let Fact::Same(p, q) = f {
                if on_loop.contains(p) || on_loop.contains(q) {
                    on_loop.extend([*p, *q]);
                }
            }
        }
        if on_loop.len() == before {
            break;
        }
    }
    on_loop.iter().any(|d| op.results().any(|v| v == d.value))
}

/// The weight constants' values at one moment, to run the model as it was
/// (`refit=sequential` pairs the unpruned activations with the current
/// ones).
pub struct WeightSnapshot(Vec<(Op, &'static str, crate::ir::Attribute)>);

impl WeightSnapshot {
    pub fn take(a: &Dependencies) -> WeightSnapshot {
        WeightSnapshot(
            a.weights()
                .iter()
                .filter_map(|w| {
                    let op = a.op(w.op);
                    dense::constant_value(op).map(|(name, attr)| (op, name, attr))
                })
                .collect(),
        )
    }

    /// Puts these values back; returns the ones they replace.
    pub fn restore(&self) -> WeightSnapshot {
        let mut replaced = Vec::with_capacity(self.0.len());
        for &(op, name, attr) in &self.0 {
            if let Some(now) = op.attribute(name) {
                replaced.push((op, name, now));
            }
            op.set_attribute(name, attr);
        }
        WeightSnapshot(replaced)
    }
}

/// The sinks' activations the CPU run can record (static f32), once each
/// with their channel dim; and the sinks whose activation it cannot.
fn recordable(a: &Dependencies, sinks: &[Sink]) -> (Vec<(ValueId, usize)>, Vec<OpId>) {
    let mut wanted: Vec<(ValueId, usize)> = Vec::new();
    let mut missing = Vec::new();
    for s in sinks {
        let ty = a.value(s.act).value.ty();
        let f32_static = ty.static_shape().is_some() && ty.element_type().map(|e| e.to_string()).as_deref() == Some("f32");
        if !f32_static {
            missing.push(s.op);
        } else if !wanted.iter().any(|(v, _)| *v == s.act) {
            wanted.push((s.act, s.act_dim));
        }
    }
    (wanted, missing)
}

/// Paired activations by value: the channel dim and the statistics of the
/// unpruned (x) and current (y) model on the same rows.
pub struct PairedActivations {
    pub moments: HashMap<ValueId, (usize, PairedMoments)>,
}

/// Runs the module twice on `inputs`: with the `unpruned` weights, keeping
/// every sink activation (at most `budget` bytes of them), then with its
/// current weights, pairing each activation with the unpruned one of the
/// same call. `None` when the unpruned activations exceed the budget.
pub fn record_paired(module: Op, a: &Dependencies, sinks: &[Sink], inputs: &[Tensor], unpruned: &WeightSnapshot, budget: usize) -> Result<Option<PairedActivations>> {
    let sets = exec::split_batches(module, inputs)?;
    // Sinks it cannot record go uncompensated, with a note (`compensate`).
    let (wanted, _) = recordable(a, sinks);
    let values: Vec<Value> = wanted.iter().map(|(vid, _)| a.value(*vid).value).collect();
    let mut kept: Vec<Vec<Tensor>> = vec![Vec::new(); wanted.len()];
    let mut bytes = 0usize;
    let current = unpruned.restore();
    let ran = exec::run_probed(module, &sets, &values, &mut |k, t| {
        bytes += t.data.len() * 4;
        if bytes <= budget {
            kept[k].push(t);
        }
    });
    current.restore();
    ran?;
    if bytes > budget {
        return Ok(None);
    }
    let mut stats: Vec<PairedMoments> = wanted.iter().map(|&(v, d)| PairedMoments::new(a.value(v).shape[d] as usize)).collect();
    let mut calls = vec![0usize; wanted.len()];
    exec::run_probed(module, &sets, &values, &mut |k, t| {
        if let Some(x) = kept[k].get(calls[k]) {
            stats[k].add(x, &t, wanted[k].1);
        }
        calls[k] += 1;
    })?;
    let moments = wanted.iter().zip(stats).map(|(&(v, d), m)| (v, (d, m))).collect();
    Ok(Some(PairedActivations { moments }))
}

/// Recorded activations, by value: the channel dim and its statistics.
pub struct Activations {
    pub moments: HashMap<ValueId, (usize, Moments)>,
    /// Sinks whose activation could not be recorded.
    pub missing: Vec<OpId>,
}

/// Runs a copy of the module on `inputs` (split into batches of `@main`'s
/// argument shapes), recording every sink's activation.
pub fn record(module: Op, a: &Dependencies, sinks: &[Sink], inputs: &[Tensor]) -> Result<Activations> {
    let sets = exec::split_batches(module, inputs)?;
    let (wanted, missing) = recordable(a, sinks);
    let mut stats: Vec<Moments> = wanted.iter().map(|&(v, d)| Moments::new(a.value(v).shape[d] as usize)).collect();
    let values: Vec<Value> = wanted.iter().map(|(vid, _)| a.value(*vid).value).collect();
    exec::run_probed(module, &sets, &values, &mut |k, t| stats[k].add(&t, wanted[k].1))?;
    let moments = wanted.iter().zip(stats).map(|(&(v, d), m)| (v, (d, m))).collect();
    Ok(Activations { moments, missing })
}

/// Weight data as f32.
pub(crate) fn weight_data(a: &Dependencies, w: WeightId) -> Result<(Vec<f32>, Vec<i64>)> {
    let (_, _, data) = dense::weight_elements(a.op(a.weight(w).op))?;
    Ok((data.to_f32(), a.value(a.weight(w).value).shape.clone()))
}

/// Calibrated importance of every channel of every group that has recorded
/// sinks: `sum over sinks of var(activation) * |consumer weight slice|^2`,
/// normalised to mean 1 within the group. Groups without recorded sinks are
/// left out (they keep weight-magnitude importance).
pub fn importance(a: &Dependencies, groups: &Groups, sinks: &[Sink], acts: &Activations) -> Result<BTreeMap<usize, Vec<f64>>> {
    let mut out = BTreeMap::new();
    let mut norms = SliceNorms::default();
    // Every recorded consumer's weight read at once, on every core for a
    // large model, as the weight-magnitude ranking reads its weights.
    let recorded = sinks.iter().filter(|s| acts.moments.contains_key(&s.act));
    norms.prefetch(a, recorded.map(|s| (s.weight, s.w_in)), Norm::L2)?;
    for g in &groups.groups {
        let mut imp = vec![0f64; g.channels];
        let mut any = false;
        for s in sinks {
            let class = a.class_of_dim(s.act, s.act_dim);
            let Some(m) = g.members.iter().find(|m| m.class == class) else { continue };
            let Some((_, moments)) = acts.moments.get(&s.act) else { continue };
            any = true;
            let var = moments.variance();
            let wn = norms.per_index(a, s.weight, s.w_in, Norm::L2)?;
            for (i, idx) in m.indices.iter().enumerate() {
                imp[i] += idx.iter().map(|&j| var[j as usize] * wn[j as usize]).sum::<f64>();
            }
        }
        if any {
            let mean = imp.iter().sum::<f64>() / imp.len().max(1) as f64;
            if mean > 0.0 {
                imp.iter_mut().for_each(|x| *x /= mean);
            }
            out.insert(g.id, imp);
        }
    }
    Ok(out)
}
