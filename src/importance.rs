//! Channel importance: the L1 or L2 magnitude of every weight slice that
//! removing a channel deletes (output rows, input columns, biases, norm
//! scales), DepGraph-style.
//!
//! For a group, each member weight cut contributes, per channel, the sum of
//! `|w|^p` over the slice (p = 1 or 2). Members are averaged (so a group
//! with many members is not favoured for that alone), then the group's
//! scores are divided by their mean, which makes scores of different groups
//! comparable for global ranking (Torch-Pruning's `normalizer="mean"`).

use crate::deps::Analysis;
use crate::error::{Error, Result};
use crate::groups::Group;
use crate::ir::dense::FloatElements;
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

/// Per-index magnitude sums of weight dims, computed once per (weight, dim).
#[derive(Default)]
pub struct SliceNorms {
    cache: HashMap<(usize, usize), Vec<f64>>,
}

impl SliceNorms {
    /// `out[j]` = sum of `|w|^p` over all elements whose index on `dim` is `j`.
    fn per_index(&mut self, a: &Analysis, weight: usize, dim: usize, norm: Norm) -> Result<&Vec<f64>> {
        if !self.cache.contains_key(&(weight, dim)) {
            let w = &a.weights[weight];
            let op = a.ops[w.op];
            let attr = op.attribute("value").or_else(|| op.attribute("values"));
            let data = attr
                .map(FloatElements::read)
                .transpose()
                .map_err(|e| Error::ir(op.location(), e.to_string()))?
                .flatten()
                .ok_or_else(|| Error::ir(op.location(), "weight constant without float data"))?;
            let shape = &a.values[w.value].shape;
            let n = shape[dim].max(0) as usize;
            let inner: usize = shape[dim + 1..].iter().product::<i64>().max(1) as usize;
            let mut sums = vec![0f64; n];
            for (k, x) in (0..data.len).map(|k| (k, data.get(k) as f64)) {
                let j = (k / inner) % n.max(1);
                sums[j] += match norm {
                    Norm::L1 => x.abs(),
                    Norm::L2 => x * x,
                };
            }
            self.cache.insert((weight, dim), sums);
        }
        Ok(&self.cache[&(weight, dim)])
    }

    /// Normalised importance of every channel of `group`.
    pub fn group_importance(&mut self, a: &Analysis, group: &Group, norm: Norm) -> Result<Vec<f64>> {
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
