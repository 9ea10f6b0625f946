//! Compensation: a weight transform that runs before the channels go.
//!
//! Each consumer of a pruned group's channels (a *sink*, found by
//! calibration) is rewritten so that it still sees what the removed channels
//! carried: their mean (`compensate=mean`), or their least-squares
//! reconstruction from the kept channels plus the mean (`compensate=lstsq`,
//! ridge-regularised), fitted on the recorded activations. Kept weights and
//! the consumer's bias absorb it; shapes do not change, so the same plan then
//! removes (or masks) the channels.
//!
//! For a consumer weight `W` with input dim `i` (kept `k`, removed `r`),
//! least squares gives `x_r ~ sum_k A[k, r] x_k + c_r`, and:
//! ```text
//! W[.., k, ..] += sum_r W[.., r, ..] * A[k, r]
//! bias[o]      += sum_r c_r * sum(W[o, r, ..])
//! ```

use crate::analysis::{Dependencies, WeightId};
use crate::error::Result;
use crate::ir::{dense, describe};
use crate::select::calibration::{weight_data, Activations, Bias, Samples, Sink};
use crate::select::PrunePlan;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compensate {
    None,
    Mean,
    Lstsq,
}

/// How the removed channels are rebuilt from the kept ones.
struct Fit {
    kept: Vec<usize>,
    removed: Vec<usize>,
    /// `kept x removed`, row-major; zero for the mean only.
    coef: Vec<f64>,
    /// Per removed channel, the constant part.
    shift: Vec<f64>,
}

/// Rewrites consumer weights and biases for the plan's removed channels.
/// Returns notes on sinks it could not compensate.
pub fn apply(a: &Dependencies, plan: &PrunePlan, sinks: &[Sink], acts: &Activations, mode: Compensate, ridge: f64) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    if mode == Compensate::None {
        return Ok(notes);
    }
    let mut new_data: BTreeMap<WeightId, Vec<f32>> = BTreeMap::new();
    for ((w, w_in), group) in sinks_by_weight(a, plan, sinks) {
        let s0 = group[0];
        let recorded: Vec<&Samples> = group.iter().filter_map(|s| acts.samples.get(&s.act).map(|(_, x)| x)).collect();
        if recorded.len() != group.len() {
            notes.push(format!("no compensation at {}: its activation is not recorded", describe::op(a.op(s0.op))));
            continue;
        }
        let removed: Vec<usize> = plan.class_removed[&a.class_of_dim(s0.act, s0.act_dim)].iter().map(|&i| i as usize).collect();
        let (fit, failed) = fit(&recorded, removed, mode, ridge);
        if failed {
            notes.push(format!("least squares failed at {}; compensated the mean only", describe::op(a.op(s0.op))));
        }
        let (orig, shape) = weight_data(a, w)?;
        let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
        // Written back even unchanged (mean only): the constant is renamed
        // `_compensated` either way.
        let data = new_data.entry(w).or_insert_with(|| orig.clone());
        if mode == Compensate::Lstsq {
            fold_into_kept(data, &orig, &shape, w_in, &fit);
        }
        // The constant part goes to the bias, along the weight's output dim.
        let (Some(w_out), Some(bias)) = (s0.w_out, s0.bias) else {
            let why = if s0.w_out.is_none() { "no output dim" } else { "no bias after it" };
            notes.push(format!("no mean compensation at {}: {why}", describe::op(a.op(s0.op))));
            continue;
        };
        let delta = bias_delta(&orig, &shape, w_in, w_out, &fit);
        if let Some(note) = fold_into_bias(a, bias, &delta, &mut new_data)? {
            notes.push(format!("no mean compensation at {}: {note}", describe::op(a.op(s0.op))));
        }
    }
    write_back(a, new_data)?;
    Ok(notes)
}

/// Sinks of removed channels by (weight, input dim): sinks sharing a weight
/// share one compensation, fitted on all their activations together.
fn sinks_by_weight<'s>(a: &Dependencies, plan: &PrunePlan, sinks: &'s [Sink]) -> BTreeMap<(WeightId, usize), Vec<&'s Sink>> {
    let mut by_weight: BTreeMap<(WeightId, usize), Vec<&Sink>> = BTreeMap::new();
    for s in sinks {
        if plan.class_removed.contains_key(&a.class_of_dim(s.act, s.act_dim)) {
            by_weight.entry((s.weight, s.w_in)).or_default().push(s);
        }
    }
    by_weight
}

/// Means and, for `lstsq`, the ridge fit of the removed channels on the
/// centred kept ones. The flag says the least-squares solve failed (the
/// fit is then the mean only).
fn fit(recorded: &[&Samples], removed: Vec<usize>, mode: Compensate, ridge: f64) -> (Fit, bool) {
    let channels = recorded[0].channels;
    let removed_set: BTreeSet<usize> = removed.iter().copied().collect();
    let kept: Vec<usize> = (0..channels).filter(|c| !removed_set.contains(c)).collect();
    let mean = channel_means(recorded, channels);
    let (nk, nr) = (kept.len(), removed.len());
    let mut fit = Fit { coef: vec![0f64; nk * nr], shift: removed.iter().map(|&r| mean[r]).collect(), kept, removed };
    if mode != Compensate::Lstsq || nk == 0 {
        return (fit, false);
    }
    let (gram, cross) = centred_gram(recorded, &mean, &fit.kept, &fit.removed);
    match ridge_solve(&gram, &cross, nk, nr, ridge) {
        Some(x) => {
            fit.coef = x;
            for (j, s) in fit.shift.iter_mut().enumerate() {
                *s -= fit.kept.iter().enumerate().map(|(i, &k)| mean[k] * fit.coef[i * nr + j]).sum::<f64>();
            }
            (fit, false)
        }
        None => (fit, true),
    }
}

fn channel_means(recorded: &[&Samples], channels: usize) -> Vec<f64> {
    let rows: usize = recorded.iter().map(|x| x.rows).sum();
    let mut mean = vec![0f64; channels];
    for x in recorded {
        for row in x.data.chunks_exact(channels).take(x.rows) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64;
            }
        }
    }
    mean.iter_mut().for_each(|m| *m /= rows.max(1) as f64);
    mean
}

/// `kept x kept` Gram matrix and `kept x removed` cross products of the
/// centred samples.
fn centred_gram(recorded: &[&Samples], mean: &[f64], kept: &[usize], removed: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let (nk, nr, channels) = (kept.len(), removed.len(), mean.len());
    let mut gram = vec![0f64; nk * nk];
    let mut cross = vec![0f64; nk * nr];
    for x in recorded {
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
    (gram, cross)
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

/// `W[.., k, ..] += sum_r W[.., r, ..] * A[k, r]` along input dim `w_in`.
fn fold_into_kept(data: &mut [f32], orig: &[f32], shape: &[usize], w_in: usize, fit: &Fit) {
    let inner: usize = shape[w_in + 1..].iter().product();
    let outer: usize = shape[..w_in].iter().product();
    let n_in = shape[w_in];
    let nr = fit.removed.len();
    let at = |o: usize, c: usize, i: usize| (o * n_in + c) * inner + i;
    for o in 0..outer {
        for i in 0..inner {
            for (ki, &k) in fit.kept.iter().enumerate() {
                let add: f64 = fit.removed.iter().enumerate().map(|(ri, &r)| orig[at(o, r, i)] as f64 * fit.coef[ki * nr + ri]).sum();
                data[at(o, k, i)] += add as f32;
            }
        }
    }
}

/// Per output channel `o`: `sum_r c_r * sum(W[o, r, ..])`.
fn bias_delta(orig: &[f32], shape: &[usize], w_in: usize, w_out: usize, fit: &Fit) -> Vec<f64> {
    let mut delta = vec![0f64; shape[w_out]];
    let mut idx = vec![0usize; shape.len()];
    for (k, &x) in orig.iter().enumerate() {
        let mut rem = k;
        for d in (0..shape.len()).rev() {
            idx[d] = rem % shape[d];
            rem /= shape[d];
        }
        if let Some(ri) = fit.removed.iter().position(|&r| r == idx[w_in]) {
            delta[idx[w_out]] += x as f64 * fit.shift[ri];
        }
    }
    delta
}

/// Adds `delta` to the bias; returns why it could not.
fn fold_into_bias(a: &Dependencies, bias: Bias, delta: &[f64], new_data: &mut BTreeMap<WeightId, Vec<f32>>) -> Result<Option<&'static str>> {
    match bias {
        Bias::Weight { weight, dim, sign } => {
            let (borig, bshape) = weight_data(a, weight)?;
            let bdata = new_data.entry(weight).or_insert(borig);
            let binner: usize = bshape[dim + 1..].iter().product::<i64>() as usize;
            let bn = bshape[dim] as usize;
            for (k, v) in bdata.iter_mut().enumerate() {
                *v += sign * delta[(k / binner) % bn] as f32;
            }
        }
        Bias::Splat { op, sign } if delta.len() == 1 => {
            let op = a.op(op);
            let Ok((name, attr, e)) = dense::weight_elements(op) else { return Ok(None) };
            let value = e.get(0) + sign * delta[0] as f32;
            // A one-value buffer builds a splat.
            dense::replace_value(op, name, &e, attr, op.result(0).ty(), dense::encode(e.kind, &[value]), "");
        }
        Bias::Splat { .. } => return Ok(Some("its bias is a splat over several channels")),
    }
    Ok(None)
}

/// Writes the new values back into their constants (same types).
fn write_back(a: &Dependencies, new_data: BTreeMap<WeightId, Vec<f32>>) -> Result<()> {
    for (w, values) in new_data {
        let op = a.op(a.weight(w).op);
        let (name, attr, orig) = dense::weight_elements(op)?;
        dense::replace_value(op, name, &orig, attr, op.result(0).ty(), dense::encode(orig.kind, &values), "_compensated");
    }
    Ok(())
}
