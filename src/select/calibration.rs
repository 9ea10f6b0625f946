//! Calibration: importance and compensation from the model's own
//! activations on sample inputs (`calibration=FILE.json`).
//!
//! One instrumented run records, for every *sink* (a contraction or
//! convolution whose weight consumes a prunable group's channels), the
//! activation that enters it. From those:
//! - importance of a channel is the variance of its activation times the
//!   squared norm of the weight slice that consumes it: the expected squared
//!   error its removal puts into the consumer, once its mean is compensated;
//! - compensation rewrites each consumer so that it still sees what the
//!   removed channels carried: their mean (`compensate=mean`), or their
//!   least-squares reconstruction from the kept channels plus the mean
//!   (`compensate=lstsq`, ridge-regularised). Kept weights and the
//!   consumer's bias absorb it; shapes do not change, so the same plan then
//!   removes (or masks) the channels.
//!
//! Only activations computed at the top level of `@main` are recorded; other
//! sinks keep weight-magnitude importance and are not compensated (the
//! report's notes say which).

use crate::analysis::facts::{DimRef, Fact};
use crate::analysis::{Analysis, ClassId, OpId, ValueId};
use crate::error::{Error, Result};
use crate::ir::exec::{self, Tensor};
use crate::group::Groups;
use crate::ir::dense;
use crate::ir::{Op, Value, ValueDef};
use crate::select::PrunePlan;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compensate {
    None,
    Mean,
    Lstsq,
}

/// A bias-like constant after a sink: `sign * B` is added to its output.
#[derive(Clone, Copy, Debug)]
pub enum Bias {
    /// A weight constant, along `dim`.
    Weight { weight: usize, dim: usize, sign: f32 },
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
    pub weight: usize,
    pub w_in: usize,
    /// The weight's output-channel dim (what a bias is added along).
    pub w_out: Option<usize>,
    pub bias: Option<Bias>,
}

/// The weight constant a (weight-view) value comes from, through ops with a
/// single weight-view operand (transposes, reshapes, broadcasts).
fn weight_source(a: &Analysis, v: Value) -> Option<usize> {
    let mut cur = v;
    for _ in 0..16 {
        let vid = *a.value_index.get(&cur)?;
        if let Some(w) = a.weights.iter().position(|w| w.value == vid) {
            return Some(w);
        }
        let def = cur.defining_op()?;
        let views: Vec<Value> = def
            .operands()
            .filter(|o| a.value_index.get(o).map(|&i| a.values[i].weight_view).unwrap_or(false))
            .collect();
        if views.len() != 1 {
            return None;
        }
        cur = views[0];
    }
    None
}

/// The dims of weight `w` that lie in `class`.
fn weight_dims_in(a: &Analysis, w: usize, class: ClassId) -> Vec<usize> {
    let info = &a.values[a.weights[w].value];
    (0..info.shape.len()).filter(|&d| a.class_of[info.first_space + d] == class).collect()
}

/// Follows a sink's result through reshapes and transposes to the first
/// add or subtract of a per-channel weight: the bias that compensation
/// adjusts.
fn find_bias(a: &Analysis, sink: OpId, out_class: ClassId) -> Option<Bias> {
    let mut cur = a.ops[sink].result(0);
    for _ in 0..4 {
        let uses = cur.uses();
        if uses.len() != 1 {
            return None;
        }
        let (user, pos) = uses[0];
        let name = user.name();
        let body = if name == "linalg.generic" {
            let mut ops = Vec::new();
            user.walk(&mut |o| {
                if o != user {
                    ops.push(o.name());
                }
                true
            });
            ops
        } else {
            Vec::new()
        };
        let is_add = matches!(name, "tosa.add" | "linalg.add" | "arith.addf")
            || (name == "linalg.generic" && body == ["arith.addf", "linalg.yield"]);
        let is_sub = matches!(name, "tosa.sub" | "linalg.sub" | "arith.subf")
            || (name == "linalg.generic" && body == ["arith.subf", "linalg.yield"]);
        if is_add || is_sub {
            let other = (0..2).find(|&i| i != pos)?;
            if is_sub && pos != 0 {
                return None;
            }
            let sign = if is_add { 1.0 } else { -1.0 };
            if let Some(w) = weight_source(a, user.operand(other)) {
                let dims = weight_dims_in(a, w, out_class);
                return (dims.len() == 1).then(|| Bias::Weight { weight: w, dim: dims[0], sign });
            }
            let def = user.operand(other).defining_op()?;
            let id = *a.op_index.get(&def)?;
            let splat = a.op_facts[id].constant && a.op_facts[id].splat_results;
            return splat.then_some(Bias::Splat { op: id, sign });
        }
        if matches!(name, "tosa.reshape" | "tensor.expand_shape" | "tensor.collapse_shape") {
            cur = user.result(0);
            continue;
        }
        return None;
    }
    None
}

/// Every sink of a prunable group's channels.
pub fn find_sinks(a: &Analysis, groups: &Groups) -> Vec<Sink> {
    let member_classes: BTreeSet<ClassId> = groups.groups.iter().flat_map(|g| g.members.iter().map(|m| m.class)).collect();
    let mut sinks = Vec::new();
    for (oid, &op) in a.ops.iter().enumerate() {
        let facts = &a.op_facts[oid];
        if !facts.contraction || !a.layer_ops.contains(&oid) {
            continue;
        }
        // Operand pairs coupled on a contracted loop (Same between operands).
        for f in &facts.facts {
            let Fact::Same(x, y) = f else { continue };
            let is_operand = |d: &DimRef| op.operands().any(|v| v == d.value);
            if !is_operand(x) || !is_operand(y) {
                continue;
            }
            let (Some(&xv), Some(&yv)) = (a.value_index.get(&x.value), a.value_index.get(&y.value)) else { continue };
            let (act, act_dim, wv) = match (a.values[xv].weight_view, a.values[yv].weight_view) {
                (false, true) => (xv, x.dim, y.value),
                (true, false) => (yv, y.dim, x.value),
                _ => continue,
            };
            let class = a.class_of[a.values[act].first_space + act_dim];
            if !member_classes.contains(&class) {
                continue;
            }
            let Some(weight) = weight_source(a, wv) else { continue };
            let dims = weight_dims_in(a, weight, class);
            if dims.len() != 1 {
                continue;
            }
            // The output-channel class: a result dim the op produces from
            // its weight operand.
            let weight_operand = op.operands().position(|v| v == wv);
            let out_class = facts.facts.iter().find_map(|f| match f {
                Fact::Produces { result, operand } if Some(*operand) == weight_operand => a.class(*result),
                _ => None,
            });
            let w_out = out_class.and_then(|c| {
                let d = weight_dims_in(a, weight, c);
                (d.len() == 1).then(|| d[0])
            });
            let bias = out_class.and_then(|c| find_bias(a, oid, c));
            sinks.push(Sink { op: oid, act, act_dim, weight, w_in: dims[0], w_out, bias });
        }
    }
    sinks
}

/// Activations as samples x channels (the channel dim moved last).
#[derive(Clone, Debug)]
pub struct Samples {
    pub rows: usize,
    pub channels: usize,
    pub data: Vec<f32>,
}

impl Samples {
    fn from_tensor(t: &Tensor, dim: usize) -> Samples {
        let shape: Vec<usize> = t.shape.iter().map(|&d| d as usize).collect();
        let channels = shape[dim];
        let inner: usize = shape[dim + 1..].iter().product();
        let outer: usize = shape[..dim].iter().product();
        let rows = outer * inner;
        let mut data = vec![0f32; rows * channels];
        for o in 0..outer {
            for c in 0..channels {
                for i in 0..inner {
                    data[(o * inner + i) * channels + c] = t.data[(o * channels + c) * inner + i];
                }
            }
        }
        Samples { rows, channels, data }
    }

    fn mean_var(&self) -> (Vec<f64>, Vec<f64>) {
        let n = self.rows.max(1) as f64;
        let mut mean = vec![0f64; self.channels];
        let mut sq = vec![0f64; self.channels];
        for r in 0..self.rows {
            for c in 0..self.channels {
                let x = self.data[r * self.channels + c] as f64;
                mean[c] += x;
                sq[c] += x * x;
            }
        }
        let var = mean.iter().zip(&sq).map(|(m, s)| (s / n - (m / n).powi(2)).max(0.0)).collect();
        (mean.into_iter().map(|m| m / n).collect(), var)
    }
}

/// Recorded activations, by value.
pub struct Activations {
    pub samples: HashMap<ValueId, (usize, Samples)>,
    /// Sinks whose activation could not be recorded.
    pub missing: Vec<OpId>,
}

/// Reads `{"inputs": [{"shape": [...], "data": [...]}, ...]}`.
pub fn read_inputs(path: &str) -> Result<Vec<Tensor>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::io(path, e))?;
    let inputs = exec::read_tensors(&json, "inputs");
    if inputs.is_empty() {
        return Err(Error::io(path, "no \"inputs\" with \"shape\" and \"data\""));
    }
    Ok(inputs)
}

/// Runs a copy of the module on `inputs`, returning every sink activation
/// computed at the top level of `@main`.
pub fn record(module: Op, a: &Analysis, sinks: &[Sink], inputs: &[Tensor]) -> Result<Activations> {
    let main = exec::main_function(module)?;
    let body = main.region(0).first_block().ok_or_else(|| Error::ir(main.location(), "@main has no body"))?;
    let top_level = |v: Value| match v.def() {
        ValueDef::Result(op, _) => op.block() == Some(body),
        ValueDef::Argument(b, _) => b == body,
    };
    let mut wanted: Vec<(ValueId, usize)> = Vec::new();
    let mut missing = Vec::new();
    for s in sinks {
        if top_level(a.values[s.act].value) {
            if !wanted.iter().any(|(v, _)| *v == s.act) {
                wanted.push((s.act, s.act_dim));
            }
        } else {
            missing.push(s.op);
        }
    }
    // Return the recorded values from a copy of @main: append them to its
    // return, run, and drop the copy.
    let ret = body.terminator().ok_or_else(|| Error::ir(main.location(), "@main has no return"))?;
    let guard = module.clone_owned();
    let copy = guard.op();
    let copy_main = exec::main_function(copy)?;
    let copy_body = copy_main.region(0).first_block().ok_or_else(|| Error::ir(main.location(), "copy lost @main"))?;
    // Ops of the copy in the same order as the original's top level.
    let originals: Vec<Op> = body.ops().collect();
    let copies: Vec<Op> = copy_body.ops().collect();
    let copy_ret = copy_body.terminator().ok_or_else(|| Error::ir(main.location(), "copy lost return"))?;
    let mut new_operands: Vec<Value> = copy_ret.operands().collect();
    for (vid, _) in &wanted {
        let v = a.values[*vid].value;
        let mapped = match v.def() {
            ValueDef::Result(op, r) => originals.iter().position(|o| *o == op).map(|i| copies[i].result(r)),
            ValueDef::Argument(_, i) => Some(copy_body.argument(i)),
        };
        new_operands.push(mapped.ok_or_else(|| Error::ir(ret.location(), "calibration lost a value"))?);
    }
    let first_extra = copy_ret.num_operands();
    // Rebuild the return with the extra operands.
    let new_ret = Op::new_detached("func.return", copy_ret.location(), &new_operands);
    new_ret.insert_before(copy_ret);
    // SAFETY: the old return has no results, and no handle to it is used
    // after this (`copies` still lists it but is not read again).
    unsafe { copy_ret.erase() };
    crate::rewrite::extract::update_function_type(copy_main);
    let outputs = exec::run(copy, inputs)?;
    drop(guard);
    let mut samples = HashMap::new();
    for (k, (vid, dim)) in wanted.iter().enumerate() {
        samples.insert(*vid, (*dim, Samples::from_tensor(&outputs[first_extra + k], *dim)));
    }
    Ok(Activations { samples, missing })
}

/// Weight data as f32.
fn weight_data(a: &Analysis, w: usize) -> Result<(Vec<f32>, Vec<i64>)> {
    let (_, _, data) = dense::weight_elements(a.ops[a.weights[w].op])?;
    Ok((data.to_f32(), a.values[a.weights[w].value].shape.clone()))
}

/// Sum of squares of weight `w` per index of `dim`.
fn per_index_sq(data: &[f32], shape: &[i64], dim: usize) -> Vec<f64> {
    let n = shape[dim] as usize;
    let inner: usize = shape[dim + 1..].iter().product::<i64>() as usize;
    let mut out = vec![0f64; n];
    for (k, &x) in data.iter().enumerate() {
        out[(k / inner) % n] += (x as f64) * (x as f64);
    }
    out
}

/// Calibrated importance of every channel of every group that has recorded
/// sinks: `sum over sinks of var(activation) * |consumer weight slice|^2`,
/// normalised to mean 1 within the group. Groups without recorded sinks are
/// left out (they keep weight-magnitude importance).
pub fn importance(a: &Analysis, groups: &Groups, sinks: &[Sink], acts: &Activations) -> Result<BTreeMap<usize, Vec<f64>>> {
    let mut out = BTreeMap::new();
    let mut norms: HashMap<(usize, usize), Vec<f64>> = HashMap::new();
    for g in &groups.groups {
        let mut imp = vec![0f64; g.channels];
        let mut any = false;
        for s in sinks {
            let class = a.class_of[a.values[s.act].first_space + s.act_dim];
            let Some(m) = g.members.iter().find(|m| m.class == class) else { continue };
            let Some((_, samples)) = acts.samples.get(&s.act) else { continue };
            any = true;
            let (_, var) = samples.mean_var();
            if !norms.contains_key(&(s.weight, s.w_in)) {
                let (data, shape) = weight_data(a, s.weight)?;
                norms.insert((s.weight, s.w_in), per_index_sq(&data, &shape, s.w_in));
            }
            let wn = &norms[&(s.weight, s.w_in)];
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

/// Solves `(G + ridge * tr(G)/n * I) X = B` for symmetric positive
/// semi-definite `G` (n x n) and `B` (n x m), by Cholesky.
fn ridge_solve(g: &[f64], b: &[f64], n: usize, m: usize, ridge: f64) -> Option<Vec<f64>> {
    let trace: f64 = (0..n).map(|i| g[i * n + i]).sum();
    let lambda = ridge * (trace / n.max(1) as f64).max(1e-12);
    let mut l = vec![0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            let mut s = g[i * n + j] + if i == j { lambda } else { 0.0 };
            for k in 0..j {
                s -= l[i * n + k] * l[j * n + k];
            }
            if i == j {
                if s <= 0.0 {
                    return None;
                }
                l[i * n + i] = s.sqrt();
            } else {
                l[i * n + j] = s / l[j * n + j];
            }
        }
    }
    let mut x = b.to_vec();
    for c in 0..m {
        for i in 0..n {
            let mut s = x[i * m + c];
            for k in 0..i {
                s -= l[i * n + k] * x[k * m + c];
            }
            x[i * m + c] = s / l[i * n + i];
        }
        for i in (0..n).rev() {
            let mut s = x[i * m + c];
            for k in i + 1..n {
                s -= l[k * n + i] * x[k * m + c];
            }
            x[i * m + c] = s / l[i * n + i];
        }
    }
    Some(x)
}

/// Rewrites consumer weights and biases so that, for the plan's removed
/// channels, they see the channels' mean (and, with `lstsq`, their
/// reconstruction from the kept channels). Returns notes on sinks it could
/// not compensate.
pub fn compensate(
    a: &Analysis,
    plan: &PrunePlan,
    sinks: &[Sink],
    acts: &Activations,
    mode: Compensate,
    ridge: f64,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    if mode == Compensate::None {
        return Ok(notes);
    }
    // Sinks sharing a weight share one compensation, fitted on all their
    // activations together.
    let mut by_weight: BTreeMap<(usize, usize), Vec<&Sink>> = BTreeMap::new();
    for s in sinks {
        let class = a.class_of[a.values[s.act].first_space + s.act_dim];
        if plan.class_removed.contains_key(&class) {
            by_weight.entry((s.weight, s.w_in)).or_default().push(s);
        }
    }
    let mut new_data: BTreeMap<usize, Vec<f32>> = BTreeMap::new();
    for ((w, w_in), group) in by_weight {
        let s0 = group[0];
        let class = a.class_of[a.values[s0.act].first_space + s0.act_dim];
        let removed: Vec<usize> = plan.class_removed[&class].iter().map(|&i| i as usize).collect();
        let recorded: Vec<&Samples> = group.iter().filter_map(|s| acts.samples.get(&s.act).map(|(_, x)| x)).collect();
        if recorded.len() != group.len() {
            notes.push(format!("no compensation at {}: its activation is not recorded", crate::group::describe_op(a.ops[s0.op])));
            continue;
        }
        let channels = recorded[0].channels;
        let removed_set: BTreeSet<usize> = removed.iter().copied().collect();
        let kept: Vec<usize> = (0..channels).filter(|c| !removed_set.contains(c)).collect();
        // Means and (for lstsq) centred Gram matrices over all samples.
        let rows: usize = recorded.iter().map(|x| x.rows).sum();
        let mut mean = vec![0f64; channels];
        for x in &recorded {
            for r in 0..x.rows {
                for c in 0..channels {
                    mean[c] += x.data[r * channels + c] as f64;
                }
            }
        }
        mean.iter_mut().for_each(|m| *m /= rows.max(1) as f64);
        let (nk, nr) = (kept.len(), removed.len());
        // A: kept x removed, c: removed. Mean only: A = 0, c = mean.
        let mut coef = vec![0f64; nk * nr];
        let mut shift: Vec<f64> = removed.iter().map(|&r| mean[r]).collect();
        if mode == Compensate::Lstsq && nk > 0 {
            let mut gram = vec![0f64; nk * nk];
            let mut cross = vec![0f64; nk * nr];
            for x in &recorded {
                for r in 0..x.rows {
                    let row = &x.data[r * channels..(r + 1) * channels];
                    let kc: Vec<f64> = kept.iter().map(|&k| row[k] as f64 - mean[k]).collect();
                    let rc: Vec<f64> = removed.iter().map(|&k| row[k] as f64 - mean[k]).collect();
                    for i in 0..nk {
                        let xi = kc[i];
                        for j in 0..=i {
                            gram[i * nk + j] += xi * kc[j];
                        }
                        for j in 0..nr {
                            cross[i * nr + j] += xi * rc[j];
                        }
                    }
                }
            }
            for i in 0..nk {
                for j in 0..i {
                    gram[j * nk + i] = gram[i * nk + j];
                }
            }
            match ridge_solve(&gram, &cross, nk, nr, ridge) {
                Some(x) => {
                    coef = x;
                    for (j, s) in shift.iter_mut().enumerate() {
                        *s -= kept.iter().enumerate().map(|(i, &k)| mean[k] * coef[i * nr + j]).sum::<f64>();
                    }
                }
                None => notes.push(format!(
                    "least squares failed at {}; compensated the mean only",
                    crate::group::describe_op(a.ops[s0.op])
                )),
            }
        }
        // W[.., k, ..] += sum_r W[.., r, ..] * A[k, r]; bias[o] += sum_r c_r * sum(W[o, r, ..]).
        let (orig, shape) = weight_data(a, w)?;
        let data = new_data.entry(w).or_insert_with(|| orig.clone());
        let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
        let inner: usize = shape[w_in + 1..].iter().product();
        let outer: usize = shape[..w_in].iter().product();
        let n_in = shape[w_in];
        let at = |o: usize, c: usize, i: usize| (o * n_in + c) * inner + i;
        if mode == Compensate::Lstsq {
            for o in 0..outer {
                for i in 0..inner {
                    for (ki, &k) in kept.iter().enumerate() {
                        let add: f64 = removed.iter().enumerate().map(|(ri, &r)| orig[at(o, r, i)] as f64 * coef[ki * nr + ri]).sum();
                        data[at(o, k, i)] += add as f32;
                    }
                }
            }
        }
        // The constant part goes to the bias, along the weight's output dim.
        let Some(w_out) = s0.w_out else {
            notes.push(format!("no mean compensation at {}: no output dim", crate::group::describe_op(a.ops[s0.op])));
            continue;
        };
        let Some(bias) = s0.bias else {
            notes.push(format!("no mean compensation at {}: no bias after it", crate::group::describe_op(a.ops[s0.op])));
            continue;
        };
        let n_out = shape[w_out];
        let mut delta = vec![0f64; n_out];
        for (k, &x) in orig.iter().enumerate() {
            let mut idx = vec![0usize; shape.len()];
            let mut rem = k;
            for d in (0..shape.len()).rev() {
                idx[d] = rem % shape[d];
                rem /= shape[d];
            }
            if let Some(ri) = removed.iter().position(|&r| r == idx[w_in]) {
                delta[idx[w_out]] += x as f64 * shift[ri];
            }
        }
        match bias {
            Bias::Weight { weight, dim, sign } => {
                let (borig, bshape) = weight_data(a, weight)?;
                let bdata = new_data.entry(weight).or_insert(borig);
                let binner: usize = bshape[dim + 1..].iter().product::<i64>() as usize;
                let bn = bshape[dim] as usize;
                for (k, v) in bdata.iter_mut().enumerate() {
                    let o = (k / binner) % bn;
                    *v += sign * delta[o] as f32;
                }
            }
            Bias::Splat { op, sign } if n_out == 1 => {
                let op = a.ops[op];
                let Ok((name, attr, e)) = dense::weight_elements(op) else { continue };
                let value = e.get(0) + sign * delta[0] as f32;
                // A one-value buffer builds a splat.
                dense::replace_value(op, name, &e, attr, op.result(0).ty(), dense::encode(e.kind, &[value]), "");
            }
            Bias::Splat { .. } => notes.push(format!(
                "no mean compensation at {}: its bias is a splat over several channels",
                crate::group::describe_op(a.ops[s0.op])
            )),
        }
    }
    // Write the new values (same types) back.
    for (w, values) in new_data {
        let op = a.ops[a.weights[w].op];
        let (name, attr, orig) = dense::weight_elements(op)?;
        dense::replace_value(op, name, &orig, attr, op.result(0).ty(), dense::encode(orig.kind, &values), "_compensated");
    }
    Ok(notes)
}
