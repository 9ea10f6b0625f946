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

use crate::analysis::facts::Fact;
use crate::analysis::{ClassId, Dependencies, OpId, WeightId};
use crate::error::Result;
use crate::ir::{dense, describe};
use crate::select::calibration::{weight_data, Activations, Bias, Moments, PairedActivations, PairedMoments, Sink};
use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use crate::parallel;
use faer::{Accum, Mat};
use crate::select::PrunePlan;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compensate {
    None,
    Mean,
    Lstsq,
}

/// Which activations the fits see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refit {
    /// The unpruned model's, from the one calibration run.
    Once,
    /// Group by group in program order, each fitted on the activations of
    /// the model whose earlier groups are already compensated and masked:
    /// one more run per pruned group.
    Sequential,
}

/// How the removed channels are rebuilt from the kept ones.
struct Fit {
    kept: Vec<usize>,
    /// The channels rebuilt: the removed ones, or every one when the fit
    /// maps the current activation back to the unpruned one.
    targets: Vec<usize>,
    /// `kept x targets`, added to the identity on the kept channels; zero
    /// for the mean only.
    coef: Mat<f64>,
    /// Per target channel, the constant part.
    shift: Vec<f64>,
}

/// What the fits are made from.
pub enum Source<'a> {
    /// The unpruned model's activations: the removed channels are rebuilt
    /// from the kept ones (`compensate=mean|lstsq`).
    Unpruned(&'a Activations, Compensate),
    /// The unpruned and the current model's activations on the same rows:
    /// every channel the consumer read in the unpruned model is rebuilt
    /// from the kept channels as the current model computes them
    /// (`refit=sequential` with `lstsq`).
    Paired(&'a PairedActivations),
}

/// What compensation did.
#[derive(Debug, Default)]
pub struct Compensation {
    /// Sinks it could not compensate, or only approximately.
    pub notes: Vec<String>,
    /// The weights and biases whose values it changed.
    pub weights: BTreeSet<WeightId>,
}

impl Compensation {
    pub fn extend(&mut self, other: Compensation) {
        self.notes.extend(other.notes);
        self.weights.extend(other.weights);
    }
}

/// Rewrites consumer weights and biases for the plan's removed channels.
pub fn apply(a: &Dependencies, plan: &PrunePlan, sinks: &[Sink], source: Source, ridge: f64) -> Result<Compensation> {
    let mut notes = Vec::new();
    if matches!(source, Source::Unpruned(_, Compensate::None)) {
        return Ok(Compensation::default());
    }
    let mut new_data: BTreeMap<WeightId, Vec<f32>> = BTreeMap::new();
    let normalizers = normalizers(a);
    let twins = twins(a, plan, sinks)?;
    for ((w, w_in), group) in sinks_by_weight(a, plan, sinks, &twins) {
        let s0 = group[0];
        if let Some(&norm) = normalizers.get(&a.class_of_dim(s0.act, s0.act_dim)) {
            notes.push(format!(
                "approximate compensation at {}: {} normalises its input over the removed channels, so the kept ones change when they go; the fit used the unpruned statistics",
                describe::op(a.op(s0.op)),
                describe::op(a.op(norm))
            ));
        }
        let removed: Vec<usize> = plan.class_removed[&a.class_of_dim(s0.act, s0.act_dim)].iter().map(|&i| i as usize).collect();
        let fitted = match source {
            Source::Unpruned(acts, mode) => {
                let recorded: Vec<&Moments> = group.iter().filter_map(|s| acts.moments.get(&s.act).map(|(_, m)| m)).collect();
                (recorded.len() == group.len()).then(|| fit(&recorded, removed, mode, ridge))
            }
            Source::Paired(paired) => {
                let recorded: Vec<&PairedMoments> = group.iter().filter_map(|s| paired.moments.get(&s.act).map(|(_, m)| m)).collect();
                (recorded.len() == group.len()).then(|| paired_fit(&recorded, &removed, ridge))
            }
        };
        let Some((fit, failed)) = fitted else {
            notes.push(format!("no compensation at {}: its activation is not recorded", describe::op(a.op(s0.op))));
            continue;
        };
        if failed {
            notes.push(format!("least squares failed at {}; compensated the mean only", describe::op(a.op(s0.op))));
        }
        let (orig, shape) = weight_data(a, w)?;
        let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
        // Written back even unchanged (mean only): the constant is renamed
        // `_compensated` either way.
        let data = new_data.entry(w).or_insert_with(|| orig.clone());
        if !matches!(source, Source::Unpruned(_, Compensate::Mean)) {
            fold_into_kept(data, &orig, &shape, w_in, &fit);
        }
        // The constant part goes to the bias, along the weight's output dim:
        // to every sink's own bias (the sinks of one weight may add
        // different ones), once each.
        let mut folded = BTreeSet::new();
        for s in &group {
            let (Some(w_out), Some(bias)) = (s.w_out, s.bias) else {
                let why = if s.w_out.is_none() { "no output dim" } else { "no bias after it" };
                notes.push(format!("no mean compensation at {}: {why}", describe::op(a.op(s.op))));
                continue;
            };
            if !folded.insert(bias_key(bias, &twins)) {
                continue;
            }
            let delta = bias_delta(&orig, &shape, w_in, w_out, &fit);
            if let Some(note) = fold_into_bias(a, bias, &delta, &mut new_data)? {
                notes.push(format!("no mean compensation at {}: {note}", describe::op(a.op(s.op))));
            }
        }
    }
    // A twin holds what its original now holds.
    for (&twin, &original) in &twins {
        if let Some(data) = new_data.get(&original).cloned() {
            new_data.insert(twin, data);
        }
    }
    let weights = new_data.keys().copied().collect();
    write_back(a, new_data)?;
    Ok(Compensation { notes, weights })
}

/// Channel classes that a mean runs over (LayerNorm statistics), with the
/// op that sums them: pruning such channels changes the kept ones' values,
/// which the recorded (unpruned) activations do not show.
fn normalizers(a: &Dependencies) -> BTreeMap<ClassId, OpId> {
    let mut out = BTreeMap::new();
    for (id, _) in a.ops().iter_enumerated() {
        for f in &a.facts(id).facts {
            if let Fact::Normalized { summed, .. } = f {
                for d in summed {
                    if let Some(c) = a.class(*d) {
                        out.entry(c).or_insert(id);
                    }
                }
            }
        }
    }
    out
}

/// Sinks of removed channels by (weight, input dim): sinks sharing a weight
/// share one compensation, fitted on all their activations together.
fn sinks_by_weight<'s>(
    a: &Dependencies,
    plan: &PrunePlan,
    sinks: &'s [Sink],
    twins: &BTreeMap<WeightId, WeightId>,
) -> BTreeMap<(WeightId, usize), Vec<&'s Sink>> {
    let mut by_weight: BTreeMap<(WeightId, usize), Vec<&Sink>> = BTreeMap::new();
    for s in sinks {
        if plan.class_removed.contains_key(&a.class_of_dim(s.act, s.act_dim)) {
            let weight = twins.get(&s.weight).copied().unwrap_or(s.weight);
            by_weight.entry((weight, s.w_in)).or_default().push(s);
        }
    }
    by_weight
}

/// The sinks' weights and biases that hold the same values as another one
/// (same shape, same bits) and lose the same indices of every dim, each
/// mapped to the first of them. torch-mlir's TOSA export holds a weight
/// the model reads twice (the example's reward head, run once per rollout
/// step) as two constants: fitted apart, the copies would differ, and no
/// framework parameter could hold both (apply_report). Fitted as one
/// weight read by both sinks, they stay equal.
fn twins(a: &Dependencies, plan: &PrunePlan, sinks: &[Sink]) -> Result<BTreeMap<WeightId, WeightId>> {
    let biases = sinks.iter().filter_map(|s| match s.bias {
        Some(Bias::Weight { weight, .. }) => Some(weight),
        _ => None,
    });
    let weights: BTreeSet<WeightId> = sinks.iter().map(|s| s.weight).chain(biases).collect();
    // Only constants of one shape and cut can be twins: read no other's values.
    let mut by_layout: BTreeMap<(Vec<i64>, Vec<&[u32]>), Vec<WeightId>> = BTreeMap::new();
    for &w in &weights {
        let info = a.value(a.weight(w).value);
        let removed = (0..info.shape.len())
            .map(|d| plan.class_removed.get(&a.class_of(info.space(d))).map_or(&[][..], |r| &r[..]))
            .collect();
        by_layout.entry((info.shape.clone(), removed)).or_default().push(w);
    }
    let mut twins = BTreeMap::new();
    for candidates in by_layout.into_values().filter(|c| c.len() > 1) {
        let mut first_with: BTreeMap<Vec<u32>, WeightId> = BTreeMap::new();
        for w in candidates {
            let bits = weight_data(a, w)?.0.iter().map(|v| v.to_bits()).collect();
            let original = *first_with.entry(bits).or_insert(w);
            if original != w {
                twins.insert(w, original);
            }
        }
    }
    Ok(twins)
}

/// A bias as the constant it adds: twins are one.
fn bias_key(bias: Bias, twins: &BTreeMap<WeightId, WeightId>) -> (bool, usize) {
    match bias {
        Bias::Weight { weight, .. } => (true, twins.get(&weight).copied().unwrap_or(weight).index()),
        Bias::Splat { op, .. } => (false, op.index()),
    }
}

/// Means and, for `lstsq`, the ridge fit of the removed channels on the
/// centred kept ones, pooled over every recorded activation. The flag says
/// the least-squares solve failed (the fit is then the mean only).
fn fit(recorded: &[&Moments], removed: Vec<usize>, mode: Compensate, ridge: f64) -> (Fit, bool) {
    let channels = recorded[0].channels();
    let removed_set: BTreeSet<usize> = removed.iter().copied().collect();
    let kept: Vec<usize> = (0..channels).filter(|c| !removed_set.contains(c)).collect();
    let rows: usize = recorded.iter().map(|m| m.rows()).sum();
    let mean: Vec<f64> = (0..channels).map(|c| recorded.iter().map(|m| m.sums()[c]).sum::<f64>() / rows.max(1) as f64).collect();
    let (nk, nr) = (kept.len(), removed.len());
    let mut fit = Fit { coef: Mat::zeros(nk, nr), shift: removed.iter().map(|&r| mean[r]).collect(), kept, targets: removed };
    if mode != Compensate::Lstsq || nk == 0 || nr == 0 {
        return (fit, false);
    }
    let pooled: Option<Vec<f32>> = recorded.iter().map(|m| m.kept_rows()).collect::<Option<Vec<&[f32]>>>().map(|r| r.concat());
    let coef = match pooled {
        Some(x) if rows < nk => few_rows_fit(&x, &mean, &fit.kept, &fit.targets, ridge),
        _ => gram_fit(recorded, &mean, &fit.kept, &fit.targets, ridge),
    };
    match coef {
        Some(x) => {
            for (j, s) in fit.shift.iter_mut().enumerate() {
                *s -= fit.kept.iter().enumerate().map(|(i, &k)| mean[k] * x[(i, j)]).sum::<f64>();
            }
            fit.coef = x;
            (fit, false)
        }
        None => (fit, true),
    }
}

/// The ridge fit from the centred Gram matrix of the kept channels:
/// `(G_kk + λI) A = G_kr`.
fn gram_fit(recorded: &[&Moments], mean: &[f64], kept: &[usize], removed: &[usize], ridge: f64) -> Option<Mat<f64>> {
    let (nk, channels) = (kept.len(), mean.len());
    let n = recorded.iter().map(|m| m.rows()).sum::<usize>() as f64;
    let mut cross = Mat::<f64>::zeros(nk, channels);
    for m in recorded {
        cross += m.cross(kept);
    }
    let centred = |i: usize, c: usize| cross[(i, c)] - n * mean[kept[i]] * mean[c];
    let gram = Mat::<f64>::from_fn(nk, nk, |i, j| centred(i, kept[j]));
    let rhs = Mat::<f64>::from_fn(nk, removed.len(), |i, j| centred(i, removed[j]));
    ridge_solve(gram, rhs, ridge)
}

/// The unpruned activation `x` (every channel) fitted on the kept channels
/// of the current one `y`, pooled over the recorded activations, ridge-
/// regularised: `x ~ Aᵀ y_k + c`. The consumer's kept columns become
/// `W A` (`coef` holds `A` minus the identity on the kept channels, as
/// [`fold_into_kept`] adds it) and its bias takes `W c`. The flag says the
/// solve failed; the fit then only moves the means.
fn paired_fit(recorded: &[&PairedMoments], removed: &[usize], ridge: f64) -> (Fit, bool) {
    let channels = recorded[0].channels();
    let removed_set: BTreeSet<usize> = removed.iter().copied().collect();
    let kept: Vec<usize> = (0..channels).filter(|c| !removed_set.contains(c)).collect();
    let rows = recorded.iter().map(|m| m.rows()).sum::<usize>().max(1) as f64;
    let mean = |pick: fn(&PairedMoments) -> &[f64]| -> Vec<f64> {
        (0..channels).map(|c| recorded.iter().map(|m| pick(m)[c]).sum::<f64>() / rows).collect()
    };
    let (mx, my) = (mean(|m| m.sums().0), mean(|m| m.sums().1));
    let targets: Vec<usize> = (0..channels).collect();
    // Failing a solve: kept channels keep their weights and shift by the
    // difference of the means; removed ones are their unpruned mean.
    let means_only = Fit {
        coef: Mat::zeros(kept.len(), channels),
        shift: (0..channels).map(|c| mx[c] - if removed_set.contains(&c) { 0.0 } else { my[c] }).collect(),
        kept: kept.clone(),
        targets: targets.clone(),
    };
    if kept.is_empty() {
        return (means_only, false);
    }
    let mut yy = Mat::<f64>::zeros(channels, channels);
    let mut yx = Mat::<f64>::zeros(channels, channels);
    for m in recorded {
        let (p, q) = m.products();
        yy += p;
        yx += q;
    }
    let gram = Mat::<f64>::from_fn(kept.len(), kept.len(), |i, j| yy[(kept[i], kept[j])] - rows * my[kept[i]] * my[kept[j]]);
    let rhs = Mat::<f64>::from_fn(kept.len(), channels, |i, c| yx[(kept[i], c)] - rows * my[kept[i]] * mx[c]);
    let Some(a) = ridge_solve(gram, rhs, ridge) else { return (means_only, true) };
    let shift = (0..channels).map(|c| mx[c] - kept.iter().enumerate().map(|(i, &k)| a[(i, c)] * my[k]).sum::<f64>()).collect();
    let coef = Mat::<f64>::from_fn(kept.len(), channels, |i, c| a[(i, c)] - if kept[i] == c { 1.0 } else { 0.0 });
    (Fit { kept, targets, coef, shift }, false)
}

/// The same fit from the centred rows when there are fewer rows `m` than
/// kept channels: `(X_kᵀX_k + λI)⁻¹ X_kᵀ = X_kᵀ (X_k X_kᵀ + λI)⁻¹`, so an
/// `m x m` system replaces the `kept x kept` one (a wide layer seeing a few
/// hundred calibration rows).
fn few_rows_fit(rows: &[f32], mean: &[f64], kept: &[usize], removed: &[usize], ridge: f64) -> Option<Mat<f64>> {
    let channels = mean.len();
    let m = rows.len() / channels.max(1);
    let centred = |cols: &[usize]| Mat::<f64>::from_fn(m, cols.len(), |r, j| rows[r * channels + cols[j]] as f64 - mean[cols[j]]);
    let (xk, xr) = (centred(kept), centred(removed));
    let mut k = Mat::<f64>::zeros(m, m);
    matmul(k.as_mut(), Accum::Replace, xk.as_ref(), xk.transpose(), 1.0, parallel::for_product(m, kept.len(), m));
    // λ from tr(G_kk) / kept, as the Gram form takes it: tr(X_k X_kᵀ) is the same trace.
    let trace: f64 = (0..m).map(|i| k[(i, i)]).sum();
    let lambda = ridge * (trace / kept.len().max(1) as f64).max(1e-12);
    let v = ridge_solve_with(k, xr, lambda)?;
    let mut coef = Mat::<f64>::zeros(kept.len(), removed.len());
    matmul(coef.as_mut(), Accum::Replace, xk.transpose(), v.as_ref(), 1.0, parallel::for_product(kept.len(), m, removed.len()));
    Some(coef)
}

/// Solves `(G + ridge * tr(G)/n * I) X = B` for symmetric positive
/// semi-definite `G` (n x n), by Cholesky; `None` when it is not definite.
fn ridge_solve(g: Mat<f64>, b: Mat<f64>, ridge: f64) -> Option<Mat<f64>> {
    let n = g.nrows();
    let trace: f64 = (0..n).map(|i| g[(i, i)]).sum();
    ridge_solve_with(g, b, ridge * (trace / n.max(1) as f64).max(1e-12))
}

/// Solves `(G + λI) X = B` by Cholesky; `None` when it is not definite.
fn ridge_solve_with(mut g: Mat<f64>, b: Mat<f64>, lambda: f64) -> Option<Mat<f64>> {
    for i in 0..g.nrows() {
        g[(i, i)] += lambda;
    }
    let llt = g.llt(faer::Side::Lower).ok()?;
    let x = llt.solve(&b);
    let finite = x.col_iter().all(|c| c.iter().all(|v| v.is_finite()));
    finite.then_some(x)
}

/// `W[.., k, ..] += sum_t W[.., t, ..] * A[k, t]` along input dim `w_in`
/// (`t` the fit's targets): with `W` seen as `(outer * inner) x n_in`,
/// `W_k += W_t Aᵀ`.
fn fold_into_kept(data: &mut [f32], orig: &[f32], shape: &[usize], w_in: usize, fit: &Fit) {
    let inner: usize = shape[w_in + 1..].iter().product();
    let outer: usize = shape[..w_in].iter().product();
    let n_in = shape[w_in];
    let at = |row: usize, c: usize| ((row / inner) * n_in + c) * inner + row % inner;
    // In f32, the weights' own precision: the fit is solved in f64.
    let targets = Mat::<f32>::from_fn(outer * inner, fit.targets.len(), |row, j| orig[at(row, fit.targets[j])]);
    let coef = Mat::<f32>::from_fn(fit.kept.len(), fit.targets.len(), |i, j| fit.coef[(i, j)] as f32);
    let mut add = Mat::<f32>::zeros(outer * inner, fit.kept.len());
    matmul(add.as_mut(), Accum::Replace, targets.as_ref(), coef.transpose(), 1.0, parallel::for_product(outer * inner, fit.targets.len(), fit.kept.len()));
    for (i, &k) in fit.kept.iter().enumerate() {
        for row in 0..outer * inner {
            data[at(row, k)] += add[(row, i)];
        }
    }
}

/// Per output channel `o`: `sum_t c_t * sum(W[o, t, ..])`.
fn bias_delta(orig: &[f32], shape: &[usize], w_in: usize, w_out: usize, fit: &Fit) -> Vec<f64> {
    let mut shift_of = vec![0f64; shape[w_in]];
    for (&r, &c) in fit.targets.iter().zip(&fit.shift) {
        shift_of[r] = c;
    }
    let stride = |d: usize| shape[d + 1..].iter().product::<usize>();
    let (in_stride, out_stride) = (stride(w_in), stride(w_out));
    let mut delta = vec![0f64; shape[w_out]];
    for (k, &x) in orig.iter().enumerate() {
        let c = shift_of[(k / in_stride) % shape[w_in]];
        if c != 0.0 {
            delta[(k / out_stride) % shape[w_out]] += x as f64 * c;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::exec::Tensor;

    /// With fewer rows than kept channels, the `rows x rows` form gives the
    /// coefficients the Gram form gives.
    #[test]
    fn few_rows_fit_equals_gram_fit() {
        let (rows, channels) = (5, 9);
        let data: Vec<f32> = (0..rows * channels).map(|i| ((i * 7919 % 23) as f32 - 11.0) * 0.3).collect();
        let mut moments = Moments::new(channels);
        moments.add(&Tensor { shape: vec![rows as i64, channels as i64], data: data.clone() }, 1);
        let mean = moments.mean();
        let (kept, removed) = (vec![0, 2, 3, 5, 6, 8], vec![1, 4, 7]);
        let dense = gram_fit(&[&moments], &mean, &kept, &removed, 1e-2).expect("gram fit");
        let low = few_rows_fit(moments.kept_rows().expect("rows kept"), &mean, &kept, &removed, 1e-2).expect("few-rows fit");
        for i in 0..kept.len() {
            for j in 0..removed.len() {
                assert!((dense[(i, j)] - low[(i, j)]).abs() < 1e-9 * (1.0 + dense[(i, j)].abs()), "{i},{j}: {} against {}", dense[(i, j)], low[(i, j)]);
            }
        }
    }
}
