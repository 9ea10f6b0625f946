//! Running statistics of one activation's channels, accumulated as the
//! calibration batches stream through the model: per-channel sums for means
//! and variances (importance), and what least squares needs (compensation).
//!
//! Memory is the smaller of the rows themselves and the Gram matrix: rows
//! are kept while there are fewer of them than channels (a wide MLP layer
//! seeing a few hundred rows), and folded into `XᵀX` once there are more (a
//! convolution, whose every pixel is a row). Dense products go through
//! `faer`.

use faer::linalg::matmul::matmul;
use crate::parallel;
use faer::{Accum, Mat, MatRef};

use crate::ir::exec::Tensor;

/// What is kept beside the sums.
#[derive(Clone, Debug)]
enum Store {
    /// Every row so far, `rows x channels` row-major.
    Rows(Vec<f32>),
    /// `XᵀX` over every row so far but the `pending` ones, which are added
    /// in blocks of about as many rows as channels: one large product
    /// instead of a memory-bound update per batch (a CNN batch of one image
    /// brings a few dozen rows to a layer hundreds of channels wide).
    Gram { gram: Mat<f64>, pending: Vec<f32> },
}

/// Statistics of one activation, channels along one dim.
#[derive(Clone, Debug)]
pub struct Moments {
    channels: usize,
    rows: usize,
    sum: Vec<f64>,
    sum_sq: Vec<f64>,
    store: Store,
}

/// `t` as rows x channels, the channel dim `dim` moved last.
fn channels_last(t: &Tensor, dim: usize) -> (usize, usize, Vec<f32>) {
    let shape: Vec<usize> = t.shape.iter().map(|&d| d as usize).collect();
    let channels = shape[dim];
    let inner: usize = shape[dim + 1..].iter().product();
    let outer: usize = shape[..dim].iter().product();
    if inner == 1 {
        return (outer, channels, t.data.clone());
    }
    let mut data = vec![0f32; outer * inner * channels];
    for o in 0..outer {
        for c in 0..channels {
            let from = &t.data[(o * channels + c) * inner..][..inner];
            for (i, &x) in from.iter().enumerate() {
                data[(o * inner + i) * channels + c] = x;
            }
        }
    }
    (outer * inner, channels, data)
}

/// `XᵀX` of a row-major `rows x channels` block, added into `gram`.
fn add_gram(gram: &mut Mat<f64>, block: &[f32], rows: usize, channels: usize) {
    let x = Mat::<f64>::from_fn(rows, channels, |r, c| block[r * channels + c] as f64);
    matmul(gram.as_mut(), Accum::Add, x.transpose(), x.as_ref(), 1.0, parallel::for_product(channels, rows, channels));
}

/// `Σ x_k x_c` over the row-major `rows x channels` block, for the
/// channels `rows_of` against every channel, added into `out`.
fn add_cross(out: &mut Mat<f64>, block: &[f32], channels: usize, rows_of: &[usize]) {
    let rows = block.len() / channels.max(1);
    if rows == 0 {
        return;
    }
    let x = MatRef::from_row_major_slice(block, rows, channels);
    let xk = Mat::<f64>::from_fn(rows, rows_of.len(), |r, i| x[(r, rows_of[i])] as f64);
    let xf = Mat::<f64>::from_fn(rows, channels, |r, c| x[(r, c)] as f64);
    matmul(out.as_mut(), Accum::Add, xk.transpose(), xf.as_ref(), 1.0, parallel::for_product(rows_of.len(), rows, channels));
}

impl Moments {
    pub fn new(channels: usize) -> Moments {
        Moments { channels, rows: 0, sum: vec![0.0; channels], sum_sq: vec![0.0; channels], store: Store::Rows(Vec::new()) }
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Adds one computed value of the activation, channels along `dim`.
    pub fn add(&mut self, t: &Tensor, dim: usize) {
        let (rows, channels, block) = channels_last(t, dim);
        if channels != self.channels || rows == 0 {
            return;
        }
        for row in block.chunks_exact(channels) {
            for ((s, q), &x) in self.sum.iter_mut().zip(&mut self.sum_sq).zip(row) {
                *s += x as f64;
                *q += (x as f64) * (x as f64);
            }
        }
        self.rows += rows;
        match &mut self.store {
            Store::Rows(kept) if self.rows <= channels => kept.extend_from_slice(&block),
            Store::Rows(kept) => {
                let mut gram = Mat::<f64>::zeros(channels, channels);
                kept.extend_from_slice(&block);
                add_gram(&mut gram, kept, kept.len() / channels, channels);
                self.store = Store::Gram { gram, pending: Vec::new() };
            }
            Store::Gram { gram, pending } => {
                pending.extend_from_slice(&block);
                if pending.len() / channels >= channels.max(64) {
                    add_gram(gram, pending, pending.len() / channels, channels);
                    pending.clear();
                }
            }
        }
    }

    pub fn mean(&self) -> Vec<f64> {
        let n = self.rows.max(1) as f64;
        self.sum.iter().map(|s| s / n).collect()
    }

    pub fn variance(&self) -> Vec<f64> {
        let n = self.rows.max(1) as f64;
        self.sum.iter().zip(&self.sum_sq).map(|(s, q)| (q / n - (s / n).powi(2)).max(0.0)).collect()
    }

    /// `Σ x_k x_c` over every row, for the channels `rows_of` (as rows) and
    /// every channel (as columns): `len(rows_of) x channels`, uncentred.
    pub fn cross(&self, rows_of: &[usize]) -> Mat<f64> {
        let n = self.channels;
        match &self.store {
            Store::Gram { gram, pending } => {
                let mut out = Mat::from_fn(rows_of.len(), n, |i, c| gram[(rows_of[i], c)]);
                add_cross(&mut out, pending, n, rows_of);
                out
            }
            Store::Rows(kept) => {
                let mut out = Mat::<f64>::zeros(rows_of.len(), n);
                add_cross(&mut out, kept, n, rows_of);
                out
            }
        }
    }

    /// The rows themselves (`rows x channels`, row-major) while they are
    /// kept, that is while there are fewer rows than channels.
    pub fn kept_rows(&self) -> Option<&[f32]> {
        match &self.store {
            Store::Rows(kept) => Some(kept),
            Store::Gram { .. } => None,
        }
    }

    /// Sum over rows of each channel (for pooling several activations).
    pub fn sums(&self) -> &[f64] {
        &self.sum
    }
}

/// One activation seen twice on the same rows: `x` as the unpruned model
/// computes it (what a consumer should keep seeing) and `y` as the model
/// being pruned computes it (what the consumer will get). Sums, and the
/// uncentred products `YᵀY` and `YᵀX` that a least-squares fit of `x` on `y`
/// needs (`refit=sequential`).
#[derive(Clone, Debug)]
pub struct PairedMoments {
    channels: usize,
    rows: usize,
    sum_x: Vec<f64>,
    sum_y: Vec<f64>,
    yy: Mat<f64>,
    yx: Mat<f64>,
}

impl PairedMoments {
    pub fn new(channels: usize) -> PairedMoments {
        PairedMoments {
            channels,
            rows: 0,
            sum_x: vec![0.0; channels],
            sum_y: vec![0.0; channels],
            yy: Mat::zeros(channels, channels),
            yx: Mat::zeros(channels, channels),
        }
    }

    /// Adds one computed value of the activation from each model (the same
    /// shape), channels along `dim`.
    pub fn add(&mut self, x: &Tensor, y: &Tensor, dim: usize) {
        if x.shape != y.shape {
            return;
        }
        let (rows, channels, xb) = channels_last(x, dim);
        let (_, _, yb) = channels_last(y, dim);
        if channels != self.channels || rows == 0 {
            return;
        }
        for (row_x, row_y) in xb.chunks_exact(channels).zip(yb.chunks_exact(channels)) {
            for c in 0..channels {
                self.sum_x[c] += row_x[c] as f64;
                self.sum_y[c] += row_y[c] as f64;
            }
        }
        self.rows += rows;
        let xm = Mat::<f64>::from_fn(rows, channels, |r, c| xb[r * channels + c] as f64);
        let ym = Mat::<f64>::from_fn(rows, channels, |r, c| yb[r * channels + c] as f64);
        let par = parallel::for_product(channels, rows, channels);
        matmul(self.yy.as_mut(), Accum::Add, ym.transpose(), ym.as_ref(), 1.0, par);
        matmul(self.yx.as_mut(), Accum::Add, ym.transpose(), xm.as_ref(), 1.0, par);
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Per-channel sums of `x` and of `y` (for pooling several activations).
    pub fn sums(&self) -> (&[f64], &[f64]) {
        (&self.sum_x, &self.sum_y)
    }

    /// `YᵀY` and `YᵀX`, uncentred, `channels x channels`.
    pub fn products(&self) -> (&Mat<f64>, &Mat<f64>) {
        (&self.yy, &self.yx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(shape: &[i64], f: impl Fn(usize) -> f32) -> Tensor {
        let n = shape.iter().product::<i64>() as usize;
        Tensor { shape: shape.to_vec(), data: (0..n).map(f).collect() }
    }

    /// Paired products are those of the rows, whichever dim holds the
    /// channels, and the two models' rows stay paired.
    #[test]
    fn paired_products_are_the_rows_products() {
        let x = tensor(&[2, 3, 4], |i| ((i * 37 % 11) as f32 - 5.0) * 0.5);
        let y = tensor(&[2, 3, 4], |i| ((i * 13 % 7) as f32 - 3.0) * 0.25);
        let mut paired = PairedMoments::new(3);
        paired.add(&x, &y, 1);
        assert_eq!(paired.rows(), 8);
        let ((_, _, xb), (_, _, yb)) = (channels_last(&x, 1), channels_last(&y, 1));
        let (yy, yx) = paired.products();
        for a in 0..3 {
            for b in 0..3 {
                let direct = |p: &[f32], q: &[f32]| (0..8).map(|r| p[r * 3 + a] as f64 * q[r * 3 + b] as f64).sum::<f64>();
                assert!((yy[(a, b)] - direct(&yb, &yb)).abs() < 1e-9);
                assert!((yx[(a, b)] - direct(&yb, &xb)).abs() < 1e-9);
            }
        }
        let (sx, sy) = paired.sums();
        assert!((sx[1] - (0..8).map(|r| xb[r * 3 + 1] as f64).sum::<f64>()).abs() < 1e-9);
        assert!((sy[2] - (0..8).map(|r| yb[r * 3 + 2] as f64).sum::<f64>()).abs() < 1e-9);
    }

    /// The cross products are those of the rows, whether the rows were kept
    /// or folded into the Gram matrix, and whichever dim holds the channels.
    #[test]
    fn rows_and_gram_agree_with_direct_sums() {
        let value = |i: usize| ((i * 37 % 11) as f32 - 5.0) * 0.5;
        // 2 x 3 x 4: channels along dim 1 (3 channels, 8 rows per value).
        let t = tensor(&[2, 3, 4], value);
        let mut few = Moments::new(3);
        few.add(&tensor(&[1, 3, 2], value), 1);
        assert!(matches!(few.store, Store::Rows(_)));
        let mut many = Moments::new(3);
        many.add(&t, 1);
        many.add(&t, 1);
        assert!(matches!(many.store, Store::Gram { .. }));
        assert_eq!(many.rows(), 16);
        let (rows, channels, block) = channels_last(&t, 1);
        assert_eq!((rows, channels), (8, 3));
        for (stats, copies, rows, block) in [(&many, 2.0, 8, block.clone()), (&few, 1.0, 2, channels_last(&tensor(&[1, 3, 2], value), 1).2)] {
            let cross = stats.cross(&[2, 0]);
            for (i, &k) in [2usize, 0].iter().enumerate() {
                for c in 0..3 {
                    let direct: f64 = (0..rows).map(|r| block[r * 3 + k] as f64 * block[r * 3 + c] as f64).sum::<f64>() * copies;
                    assert!((cross[(i, c)] - direct).abs() < 1e-9, "{k},{c}: {} against {direct}", cross[(i, c)]);
                }
            }
        }
        let mean = many.mean();
        let direct: f64 = (0..8).map(|r| block[r * 3 + 1] as f64).sum::<f64>() / 8.0;
        assert!((mean[1] - direct).abs() < 1e-12);
    }
}
