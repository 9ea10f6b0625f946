//! Channel importance: the L1 or L2 magnitude of every weight slice that
//! removing a channel deletes (output rows, input columns, biases, norm
//! scales), DepGraph-style.
//!
//! For a group, each member weight cut contributes, per channel, the sum of
//! `|w|^p` over the slice (p = 1 or 2). Members are averaged (so a group
//! with many members is not favoured for that alone), then the group's
//! scores are divided by their mean, which makes scores of different groups
//! comparable for global ranking (Torch-Pruning's `normalizer="mean"`).

use crate::analysis::{Dependencies, WeightId};
use crate::error::Result;
use crate::group::Group;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    L1,
    L2,
}

impl Norm {
    pub const NAMES: &'static [&'static str] = &["l1", "l2"];

    pub fn parse(s: &str) -> Option<Norm> {
        match s {
            "l1" => Some(Norm::L1),
            "l2" => Some(Norm::L2),
            _ => None,
        }
    }
}

/// A little-endian f32 blob viewed in place, when aligned.
fn f32_slice(bytes: &[u8]) -> Option<&[f32]> {
    if cfg!(target_endian = "big") {
        return None;
    }
    // SAFETY: every bit pattern is a valid f32; alignment is checked.
    let (pre, values, post) = unsafe { bytes.align_to::<f32>() };
    (pre.is_empty() && post.is_empty()).then_some(values)
}

/// Half-precision elements converted per chunk (about 4 MB of f32).
const CHUNK_ELEMENTS: usize = 1 << 20;

/// A little-endian 2-byte blob viewed as u16s in place, when aligned.
fn half_slice(bytes: &[u8]) -> Option<&[u16]> {
    if cfg!(target_endian = "big") {
        return None;
    }
    // SAFETY: every bit pattern is a valid u16; alignment is checked.
    let (pre, values, post) = unsafe { bytes.align_to::<u16>() };
    (pre.is_empty() && post.is_empty()).then_some(values)
}

/// f16 or bf16 bits to f32.
fn widen(kind: crate::ir::FloatKind, bits: &[u16], out: &mut [f32]) {
    match kind {
        crate::ir::FloatKind::BF16 => {
            // bf16 is the high half of an f32.
            for (o, &b) in out.iter_mut().zip(bits) {
                *o = f32::from_bits((b as u32) << 16);
            }
        }
        _ => {
            for (o, &b) in out.iter_mut().zip(bits) {
                *o = half::f16::from_bits(b).to_f32();
            }
        }
    }
}

/// Row and column sums of a non-splat matrix in one read, for f32 viewed in
/// place and f16/bf16 widened a chunk of whole rows at a time; `None` for
/// other ranks and layouts (summed per dim instead).
fn row_and_column_sums(data: &crate::ir::dense::FloatElements, shape: &[i64], norm: Norm) -> Option<(Vec<f64>, Vec<f64>)> {
    use crate::ir::FloatKind;
    let [rows, columns] = *shape else { return None };
    let (rows, columns) = (rows.max(0) as usize, columns.max(0) as usize);
    if data.is_splat() || rows == 0 || columns == 0 {
        return None;
    }
    let mut row_sums = vec![0f64; rows];
    let mut column_sums = vec![0f64; columns];
    if let Some(values) = f32_slice(data.bytes()).filter(|_| data.kind == FloatKind::F32) {
        sum_rows_and_columns(values, columns, norm, &mut row_sums, &mut column_sums);
    } else if let Some(bits) = half_slice(data.bytes()).filter(|_| matches!(data.kind, FloatKind::F16 | FloatKind::BF16)) {
        let rows_per_chunk = (CHUNK_ELEMENTS / columns).max(1);
        let mut buffer = vec![0f32; (rows_per_chunk * columns).min(bits.len())];
        for (k, part) in bits.chunks(rows_per_chunk * columns).enumerate() {
            let values = &mut buffer[..part.len()];
            widen(data.kind, part, values);
            sum_rows_and_columns(values, columns, norm, &mut row_sums[k * rows_per_chunk..], &mut column_sums);
        }
    } else {
        return None;
    }
    Some((row_sums, column_sums))
}

/// Adds each row's norm to `row_sums` (from its first entry) and each
/// column's to `column_sums`, for whole rows of `columns` values.
fn sum_rows_and_columns(values: &[f32], columns: usize, norm: Norm, row_sums: &mut [f64], column_sums: &mut [f64]) {
    let f = |x: f32| match norm {
        Norm::L1 => x.abs(),
        Norm::L2 => x * x,
    };
    let mut acc = vec![0f32; columns];
    for (r, row) in values.chunks_exact(columns).enumerate() {
        let mut row_sum = 0f32;
        for (a, &x) in acc.iter_mut().zip(row) {
            let v = f(x);
            *a += v;
            row_sum += v;
        }
        row_sums[r] += row_sum as f64;
        if r % 1024 == 1023 {
            for (s, a) in column_sums.iter_mut().zip(acc.iter_mut()) {
                *s += *a as f64;
                *a = 0.0;
            }
        }
    }
    for (s, a) in column_sums.iter_mut().zip(&acc) {
        *s += *a as f64;
    }
}

/// [`sum_blocks`] of half-precision `bits`, widened `chunk` elements (whole
/// blocks) at a time.
fn sum_halves(kind: crate::ir::FloatKind, bits: &[u16], n: usize, inner: usize, norm: Norm, chunk: usize, sums: &mut [f64]) {
    let block = (n * inner).max(1);
    let per_chunk = block * (chunk / block).max(1);
    let mut buffer = vec![0f32; per_chunk.min(bits.len())];
    for part in bits.chunks(per_chunk) {
        let values = &mut buffer[..part.len()];
        widen(kind, part, values);
        sum_blocks(values, n, inner, norm, sums);
    }
}

/// Adds to `sums[j]` the norm of every element of `values` (whole blocks of
/// `n x inner` elements) whose index on the cut dim is `j`, summing in f32
/// per run so the loops vectorise.
fn sum_blocks(values: &[f32], n: usize, inner: usize, norm: Norm, sums: &mut [f64]) {
    let f = |x: f32| match norm {
        Norm::L1 => x.abs(),
        Norm::L2 => x * x,
    };
    if inner == 1 {
        // Per index of the last dim: add each row into a vector.
        let mut acc = vec![0f32; n];
        for (o, row) in values.chunks_exact(n.max(1)).enumerate() {
            for (a, &x) in acc.iter_mut().zip(row) {
                *a += f(x);
            }
            if o % 1024 == 1023 {
                for (s, a) in sums.iter_mut().zip(acc.iter_mut()) {
                    *s += *a as f64;
                    *a = 0.0;
                }
            }
        }
        for (s, a) in sums.iter_mut().zip(&acc) {
            *s += *a as f64;
        }
    } else {
        for (k, run) in values.chunks_exact(inner).enumerate() {
            sums[k % n.max(1)] += run.iter().map(|&x| f(x)).sum::<f32>() as f64;
        }
    }
}

/// The per-index sums of `dims` of one weight: a matrix's rows and columns
/// from one read (a layer is usually cut on both dims, its outputs in one
/// group and its inputs in another), any other dim on its own.
fn weight_sums(data: &crate::ir::dense::FloatElements, shape: &[i64], dims: &[usize], norm: Norm) -> Vec<(usize, Vec<f64>)> {
    if let Some((rows, columns)) = row_and_column_sums(data, shape, norm) {
        return vec![(0, rows), (1, columns)];
    }
    dims.iter().map(|&dim| (dim, dim_sums(data, shape, dim, norm))).collect()
}

/// `out[j]` = sum of `|w|^p` over the elements of `data` whose index on `dim`
/// is `j`.
fn dim_sums(data: &crate::ir::dense::FloatElements, shape: &[i64], dim: usize, norm: Norm) -> Vec<f64> {
    let n = shape[dim].max(0) as usize;
    let inner: usize = shape[dim + 1..].iter().product::<i64>().max(1) as usize;
    let outer: usize = shape[..dim].iter().product::<i64>().max(1) as usize;
    let mut sums = vec![0f64; n];
    let p = |x: f32| -> f64 {
        match norm {
            Norm::L1 => x.abs() as f64,
            Norm::L2 => (x as f64) * (x as f64),
        }
    };
    if data.is_splat() {
        let v = p(data.get(0)) * (outer * inner) as f64;
        sums.iter_mut().for_each(|s| *s = v);
    } else if let Some(values) = f32_slice(data.bytes()).filter(|_| data.kind == crate::ir::FloatKind::F32) {
        // The common case: the blob viewed as f32s in place.
        sum_blocks(values, n, inner, norm, &mut sums);
    } else if let Some(halves) =
        half_slice(data.bytes()).filter(|_| matches!(data.kind, crate::ir::FloatKind::F16 | crate::ir::FloatKind::BF16))
    {
        // f16 and bf16 (JEPA encoders ship in bf16): converted to f32 in
        // chunks of whole `n x inner` blocks (about a million elements), so
        // the f32 loops run on them without a copy of the tensor.
        sum_halves(data.kind, halves, n, inner, norm, CHUNK_ELEMENTS, &mut sums);
    } else {
        for k in 0..data.len {
            sums[(k / inner) % n.max(1)] += p(data.get(k));
        }
    }
    sums
}

/// Per-index magnitude sums of weight dims, computed once per (weight, dim).
#[derive(Default)]
pub struct SliceNorms {
    cache: HashMap<(WeightId, usize), Vec<f64>>,
}

/// Weights smaller than this in all are summed on the calling thread: a
/// thread costs more than it saves on them.
const PARALLEL_MIN_BYTES: usize = 16 << 20;

impl SliceNorms {
    /// `out[j]` = sum of `|w|^p` over all elements whose index on `dim` is `j`.
    pub(crate) fn per_index(&mut self, a: &Dependencies, weight: WeightId, dim: usize, norm: Norm) -> Result<&Vec<f64>> {
        self.prefetch(a, [(weight, dim)], norm)?;
        Ok(&self.cache[&(weight, dim)])
    }

    /// Computes the sums of every (weight, dim) in `keys` not cached yet,
    /// weights read on as many threads as the machine has cores once they
    /// are large enough to pay for it (the sums read every weight of the
    /// model, the largest share of selection's time on a big one).
    pub(crate) fn prefetch(&mut self, a: &Dependencies, keys: impl IntoIterator<Item = (WeightId, usize)>, norm: Norm) -> Result<()> {
        let mut wanted: std::collections::BTreeMap<WeightId, std::collections::BTreeSet<usize>> = std::collections::BTreeMap::new();
        for (weight, dim) in keys {
            if !self.cache.contains_key(&(weight, dim)) {
                wanted.entry(weight).or_default().insert(dim);
            }
        }
        let mut jobs = Vec::with_capacity(wanted.len());
        for (weight, dims) in wanted {
            let w = a.weight(weight);
            let (_, _, data) = crate::ir::dense::weight_elements(a.op(w.op))?;
            jobs.push((weight, data, a.value(w.value).shape.clone(), dims.into_iter().collect::<Vec<_>>()));
        }
        let total: usize = jobs.iter().map(|j| j.1.bytes().len()).sum();
        let threads = crate::parallel::threads_for(total, PARALLEL_MIN_BYTES);
        let reads = crate::parallel::map_balanced(&jobs, |j| j.1.bytes().len(), threads, |(_, data, shape, dims)| {
            weight_sums(data, shape, dims, norm)
        });
        for ((weight, ..), sums) in jobs.iter().zip(reads) {
            for (dim, s) in sums {
                self.cache.insert((*weight, dim), s);
            }
        }
        Ok(())
    }

    /// Normalised importance of every channel of `group`.
    pub fn group_importance(&mut self, a: &Dependencies, group: &Group, norm: Norm) -> Result<Vec<f64>> {
        let mut total = vec![0f64; group.channels];
        let members = group.weights.len().max(1) as f64;
        for cut in &group.weights {
            let sums = self.per_index(a, cut.weight, cut.dim, norm)?.clone();
            for (i, idx) in cut.indices.iter().enumerate() {
                total[i] += idx.iter().map(|&j| sums[j as usize]).sum::<f64>() / members;
            }
        }
        let mean = total.iter().sum::<f64>() / total.len().max(1) as f64;
        if mean > 0.0 {
            for t in &mut total {
                *t /= mean;
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::{sum_blocks, sum_halves, sum_rows_and_columns, Norm};
    use crate::ir::FloatKind;

    /// Values exact in f16 and bf16 (small multiples of 1/8).
    fn values(len: usize) -> Vec<f32> {
        (0..len).map(|i| ((i * 7 % 23) as f32 - 11.0) / 8.0).collect()
    }

    #[test]
    fn half_blobs_sum_like_their_f32_values_across_chunks() {
        // 5 outer x 6 cut x 3 inner, chunks of 2 blocks (the last one short).
        let (n, inner) = (6, 3);
        let v = values(5 * n * inner);
        for norm in [Norm::L1, Norm::L2] {
            let mut want = vec![0f64; n];
            sum_blocks(&v, n, inner, norm, &mut want);
            for (kind, bits) in [
                (FloatKind::BF16, v.iter().map(|&x| half::bf16::from_f32(x).to_bits()).collect::<Vec<u16>>()),
                (FloatKind::F16, v.iter().map(|&x| half::f16::from_f32(x).to_bits()).collect()),
            ] {
                let mut got = vec![0f64; n];
                sum_halves(kind, &bits, n, inner, norm, 2 * n * inner, &mut got);
                assert_eq!(got, want, "{kind:?} {norm:?}");
            }
        }
    }

    #[test]
    fn rows_and_columns_in_one_read_equal_the_per_dim_sums() {
        let (rows, columns) = (5, 7);
        let v = values(rows * columns);
        for norm in [Norm::L1, Norm::L2] {
            let (mut by_row, mut by_column) = (vec![0f64; rows], vec![0f64; columns]);
            sum_blocks(&v, rows, columns, norm, &mut by_row);
            sum_blocks(&v, columns, 1, norm, &mut by_column);
            let (mut row_sums, mut column_sums) = (vec![0f64; rows], vec![0f64; columns]);
            sum_rows_and_columns(&v[..3 * columns], columns, norm, &mut row_sums, &mut column_sums);
            sum_rows_and_columns(&v[3 * columns..], columns, norm, &mut row_sums[3..], &mut column_sums);
            assert_eq!((row_sums, column_sums), (by_row, by_column), "{norm:?}");
        }
    }
}
