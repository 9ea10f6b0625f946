//! Importance under least-squares compensation: the error a channel's
//! removal leaves in its consumers once the kept channels have been refitted
//! (`compensate=lstsq`), found by greedy backward elimination.
//!
//! For a consumer `y = W x` whose input has covariance `Σ` (ridge added),
//! removing input `p` and refitting the kept inputs optimally costs
//! `|W'_p|² / [Σ⁻¹]_pp` (the optimal-brain-surgeon step on the layer's
//! output error; `W'` the weight as refitted so far). Removing `p` then
//! updates both `Σ⁻¹` and `W'ᵀW'` by a rank-one step, so the next channel is
//! judged on what the remaining ones can still give back. Channels that carry
//! the same signal are told apart this way: the variance score
//! (`var(x_p) |W_p|²`) ranks two copies of one signal alike, and removes both
//! or neither; elimination removes one cheaply and then finds the other
//! irreplaceable.
//!
//! A group's channels are eliminated together in all their consumers (the
//! cost of a channel is summed over them). The score of the `k`-th channel
//! eliminated is the error of the first `k` together, so ordering by score
//! is elimination order, and a score compares with other groups' as an error.
//!
//! Elimination costs `O(n³)` per consumer of `n` inputs, in at most
//! [`STEPS`] rank-`b` updates; groups with a consumer wider than
//! [`MAX_ELIMINATED`] keep the variance score.

use super::{weight_data, Activations, Sink};
use crate::analysis::Dependencies;
use crate::error::Result;
use crate::group::Groups;
use crate::parallel;
use faer::linalg::matmul::matmul;
use faer::linalg::solvers::Solve;
use faer::{Accum, Mat};
use std::collections::BTreeMap;

/// Widest consumer eliminated step by step; a group with a wider one keeps
/// the variance score ([`super::importance`]).
const MAX_ELIMINATED: usize = 1024;

/// Most elimination steps per group: wider groups remove blocks of
/// channels per step. One channel per step up to 256 channels: on the
/// trained TD-MPC (groups of 128 to 512), blocks of a 64th of a group
/// (2 to 8 channels) gave 1.11x the unpruned task loss at 60% and 1.85x at
/// 80%, where blocks of a 256th gave 0.75x and 1.53x.
const STEPS: usize = 256;

/// One consumer of a group, as elimination sees it.
struct Consumer {
    /// For each channel of the group, its indices in the consumer's input.
    indices: Vec<Vec<usize>>,
    /// `(Σ + λI)⁻¹` over the inputs still in.
    inverse: Mat<f64>,
    /// `W'ᵀW'`: the refitted weight's column products.
    products: Mat<f64>,
}

impl Consumer {
    /// From the input covariance `cov` (`n x n`, centred), the weight `w`
    /// (`rows x n`, a column per input) and the ridge, relative to the
    /// mean variance as the least-squares fit takes it. `None` when the
    /// covariance is not definite even with the ridge.
    fn new(mut cov: Mat<f64>, w: Mat<f64>, indices: Vec<Vec<usize>>, ridge: f64) -> Option<Consumer> {
        let n = cov.nrows();
        let trace: f64 = (0..n).map(|i| cov[(i, i)]).sum();
        let lambda = ridge * (trace / n.max(1) as f64).max(1e-12);
        for i in 0..n {
            cov[(i, i)] += lambda;
        }
        let llt = cov.llt(faer::Side::Lower).ok()?;
        let inverse = llt.solve(Mat::<f64>::identity(n, n));
        let mut products = Mat::<f64>::zeros(n, n);
        matmul(products.as_mut(), Accum::Replace, w.transpose(), w.as_ref(), 1.0, parallel::for_product(n, w.nrows(), n));
        Some(Consumer { indices, inverse, products })
    }

    /// The output error of removing input `p` now.
    fn cost(&self, p: usize) -> f64 {
        let h = self.inverse[(p, p)];
        if h > 0.0 {
            self.products[(p, p)] / h
        } else {
            0.0
        }
    }

    /// Removes inputs `block` together, the kept inputs taking over what
    /// they can of them; returns the output error that adds. With
    /// `X = H_BB⁻¹ H_B:` (`H` the inverse covariance): `H -= H_:B X` and,
    /// as the refit weight is `W - W_B X`, `M -= M_:B X + Xᵀ M_B: - Xᵀ M_BB X`.
    fn remove(&mut self, block: &[usize]) -> f64 {
        let n = self.inverse.nrows();
        let block: Vec<usize> = block.iter().copied().filter(|&p| self.inverse[(p, p)] > 0.0).collect();
        let b = block.len();
        if b == 0 {
            return 0.0;
        }
        let h_bb = Mat::<f64>::from_fn(b, b, |i, j| self.inverse[(block[i], block[j])]);
        let h_b = Mat::<f64>::from_fn(b, n, |i, j| self.inverse[(block[i], j)]);
        let m_b = Mat::<f64>::from_fn(b, n, |i, j| self.products[(block[i], j)]);
        let m_bb = Mat::<f64>::from_fn(b, b, |i, j| self.products[(block[i], block[j])]);
        let Ok(llt) = h_bb.llt(faer::Side::Lower) else {
            // Numerically singular: the block is already explained away.
            self.clear(&block);
            return 0.0;
        };
        let x = llt.solve(&h_b);
        let par = parallel::for_product(n, b, n);
        // Joint cost: tr(H_BB⁻¹ M_BB).
        let added: f64 = {
            let s = llt.solve(&m_bb);
            (0..b).map(|i| s[(i, i)]).sum()
        };
        let mut m_bb_x = Mat::<f64>::zeros(b, n);
        matmul(m_bb_x.as_mut(), Accum::Replace, m_bb.as_ref(), x.as_ref(), 1.0, parallel::for_product(b, b, n));
        matmul(self.inverse.as_mut(), Accum::Add, h_b.transpose(), x.as_ref(), -1.0, par);
        matmul(self.products.as_mut(), Accum::Add, m_b.transpose(), x.as_ref(), -1.0, par);
        matmul(self.products.as_mut(), Accum::Add, x.transpose(), m_b.as_ref(), -1.0, par);
        matmul(self.products.as_mut(), Accum::Add, x.transpose(), m_bb_x.as_ref(), 1.0, par);
        self.clear(&block);
        added.max(0.0)
    }

    /// Rows and columns of removed inputs are zero (up to rounding).
    fn clear(&mut self, block: &[usize]) {
        let n = self.inverse.nrows();
        for &p in block {
            for i in 0..n {
                self.inverse[(i, p)] = 0.0;
                self.inverse[(p, i)] = 0.0;
                self.products[(i, p)] = 0.0;
                self.products[(p, i)] = 0.0;
            }
        }
    }
}

/// Scores of every channel of every group whose recorded consumers are at
/// most [`MAX_ELIMINATED`] wide (see the module comment), normalised to mean
/// 1 within the group. A consumer whose covariance is not definite even
/// with the ridge is left out.
pub fn importance(a: &Dependencies, groups: &Groups, sinks: &[Sink], acts: &Activations, ridge: f64) -> Result<BTreeMap<usize, Vec<f64>>> {
    let mut out = BTreeMap::new();
    for g in &groups.groups {
        let mut consumers = Vec::new();
        let mut too_wide = false;
        for s in sinks {
            let class = a.class_of_dim(s.act, s.act_dim);
            let Some(member) = g.members.iter().find(|m| m.class == class) else { continue };
            let Some((_, moments)) = acts.moments.get(&s.act) else { continue };
            if moments.channels() > MAX_ELIMINATED {
                too_wide = true;
                break;
            }
            let indices = member.indices.iter().map(|ix| ix.iter().map(|&j| j as usize).collect()).collect();
            if let Some(c) = consumer(a, s, moments, indices, ridge)? {
                consumers.push(c);
            }
        }
        if consumers.is_empty() || too_wide {
            continue;
        }
        let mut scores = eliminate(g.channels, &mut consumers);
        let mean = scores.iter().sum::<f64>() / scores.len().max(1) as f64;
        if mean > 0.0 {
            scores.iter_mut().for_each(|x| *x /= mean);
        }
        out.insert(g.id, scores);
    }
    Ok(out)
}

/// Greedy elimination of the group's channels, in at most [`STEPS`] blocks;
/// returns each channel's score.
fn eliminate(channels: usize, consumers: &mut [Consumer]) -> Vec<f64> {
    debug_assert!(consumers.iter().all(|c| c.inverse.nrows() <= MAX_ELIMINATED));
    let cost = |consumers: &[Consumer], ch: usize| -> f64 {
        consumers.iter().map(|c| c.indices[ch].iter().map(|&p| c.cost(p)).sum::<f64>()).sum()
    };
    let mut scores = vec![0f64; channels];
    let block = channels.div_ceil(STEPS).max(1);
    let mut alive: Vec<bool> = vec![true; channels];
    let mut left = channels;
    let mut total = 0f64;
    while left > 0 {
        let mut costs: Vec<(f64, usize)> = (0..channels).filter(|&ch| alive[ch]).map(|ch| (cost(consumers, ch), ch)).collect();
        costs.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        costs.truncate(block);
        // Within a block, by each channel's own cost; the scores stay
        // strictly increasing, so ordering by score is elimination order.
        let mut within = total;
        for &(c, ch) in &costs {
            within += c.max(0.0) + f64::MIN_POSITIVE;
            scores[ch] = within;
            alive[ch] = false;
        }
        left -= costs.len();
        let mut added = 0.0;
        for consumer in consumers.iter_mut() {
            let inputs: Vec<usize> = costs.iter().flat_map(|&(_, ch)| consumer.indices[ch].iter().copied()).collect();
            added += consumer.remove(&inputs);
        }
        total = (total + added).max(within);
    }
    scores
}

/// The consumer `s` of a group, from its recorded input and its weight.
fn consumer(a: &Dependencies, s: &Sink, moments: &super::Moments, indices: Vec<Vec<usize>>, ridge: f64) -> Result<Option<Consumer>> {
    let n = moments.channels();
    let rows = moments.rows().max(1) as f64;
    let all: Vec<usize> = (0..n).collect();
    let mean = moments.mean();
    let cross = moments.cross(&all);
    let cov = Mat::<f64>::from_fn(n, n, |i, j| cross[(i, j)] / rows - mean[i] * mean[j]);
    let (data, shape) = weight_data(a, s.weight)?;
    let shape: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
    if shape.get(s.w_in) != Some(&n) {
        return Ok(None);
    }
    let inner: usize = shape[s.w_in + 1..].iter().product();
    let outer: usize = shape[..s.w_in].iter().product();
    let w = Mat::<f64>::from_fn(outer * inner, n, |row, c| data[((row / inner) * n + c) * inner + row % inner] as f64);
    Ok(Consumer::new(cov, w, indices, ridge))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs 0 and 1 carry one signal (variance 4 each), input 2 another
    /// (variance 1); every input feeds the output alike.
    fn copies_and_one_other() -> Consumer {
        let cov = Mat::<f64>::from_fn(3, 3, |i, j| match (i, j) {
            (2, 2) => 1.0,
            (2, _) | (_, 2) => 0.0,
            _ => 4.0,
        });
        let w = Mat::<f64>::from_fn(1, 3, |_, _| 1.0);
        Consumer::new(cov, w, vec![vec![0], vec![1], vec![2]], 1e-6).expect("definite with the ridge")
    }

    #[test]
    fn a_copy_goes_first_and_its_twin_last() {
        // The variance score ranks the copies alike (4 against 1) and would
        // remove the other signal first; elimination removes one copy almost
        // for free (its twin gives it back), then the other signal, and the
        // last copy last.
        let scores = eliminate(3, &mut [copies_and_one_other()]);
        let mut order: Vec<usize> = (0..3).collect();
        order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
        assert_eq!(order, [0, 2, 1], "scores {scores:?}");
        assert!(scores[0] < 1e-3, "the first copy costs nearly nothing: {scores:?}");
        // Removing the other signal costs its variance (1); then the last
        // copy costs the shared signal, doubled by the refitted weight (2x)
        // squared: 16.
        assert!((scores[2] - scores[0] - 1.0).abs() < 1e-3, "{scores:?}");
        assert!((scores[1] - scores[2] - 16.0).abs() < 1e-2, "{scores:?}");
    }

    #[test]
    fn a_block_removal_costs_what_removing_one_by_one_costs() {
        let (mut one, mut both) = (copies_and_one_other(), copies_and_one_other());
        let stepwise = one.remove(&[0]) + one.remove(&[2]);
        let joint = both.remove(&[0, 2]);
        assert!((stepwise - joint).abs() < 1e-6, "one by one {stepwise}, together {joint}");
        for i in 0..3 {
            for j in 0..3 {
                assert!((one.products[(i, j)] - both.products[(i, j)]).abs() < 1e-6);
                assert!((one.inverse[(i, j)] - both.inverse[(i, j)]).abs() < 1e-6);
            }
        }
    }
}
