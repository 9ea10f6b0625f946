//! Exact parameter and FLOP counts of the weights as channels leave: the
//! budget selection spends, and the per-component counts of the report.

use super::Budget;
use crate::analysis::{Dependencies, IdVec, WeightId};
use crate::group::{Group, Groups};
use std::collections::BTreeMap;

/// FLOPs per element of every weight: a contraction or convolution uses
/// each element of the weight it reads (through transposes and other
/// views) once per output position, so its FLOPs divide evenly among them.
/// A weight used by several ops (a shared cell) adds up their uses.
fn flops_per_element(a: &Dependencies) -> IdVec<WeightId, u64> {
    let mut out = IdVec::filled(0u64, a.weights().len());
    for (oid, facts) in a.all_facts().iter_enumerated() {
        let f = facts.flops();
        if f == 0 {
            continue;
        }
        for v in a.op(oid).operands() {
            if let Some(w) = a.weight_behind(v) {
                out[w] += f / a.weight(w).elements.max(1);
            }
        }
    }
    out
}

/// Remaining sizes of every weight's dims, for exact parameter and FLOP
/// counts.
#[derive(Clone)]
pub struct WeightCounts {
    shapes: IdVec<WeightId, Vec<i64>>,
    removed: IdVec<WeightId, Vec<i64>>,
    flops_per_element: IdVec<WeightId, u64>,
    params: u64,
    flops: u64,
}

impl WeightCounts {
    pub fn new(a: &Dependencies) -> WeightCounts {
        let shapes: IdVec<WeightId, Vec<i64>> = a.weights().iter().map(|w| a.value(w.value).shape.clone()).collect();
        let removed = shapes.iter().map(|s| vec![0; s.len()]).collect();
        let params = a.weights().iter().map(|w| w.elements).sum();
        let flops_per_element = flops_per_element(a);
        let flops = a.weights().iter().zip(&flops_per_element).map(|(w, f)| w.elements * f).sum();
        WeightCounts { shapes, removed, flops_per_element, params, flops }
    }

    /// Elements left in weight `w`.
    pub fn size(&self, w: WeightId) -> u64 {
        self.shapes[w].iter().zip(&self.removed[w]).map(|(s, r)| (s - r).max(0) as u64).product()
    }

    /// FLOPs each element of weight `w` takes part in, per weight.
    pub fn flops_per_element(&self) -> &IdVec<WeightId, u64> {
        &self.flops_per_element
    }

    /// Weight parameters left.
    pub fn params(&self) -> u64 {
        self.params
    }

    /// FLOPs of the weight-bearing ops left.
    pub fn flops(&self) -> u64 {
        self.flops
    }

    /// The count the budget is about.
    pub fn total(&self, budget: Budget) -> u64 {
        match budget {
            Budget::Params => self.params,
            Budget::Flops => self.flops,
        }
    }

    /// Removes (`sign` 1) or restores (`sign` -1) channel `ch` of `group`.
    fn change(&mut self, group: &Group, ch: usize, sign: i64) {
        for cut in &group.weights {
            let before = self.size(cut.weight);
            self.removed[cut.weight][cut.dim] += sign * cut.indices[ch].len() as i64;
            let after = self.size(cut.weight);
            self.params = self.params - before + after;
            let f = self.flops_per_element[cut.weight];
            self.flops = self.flops - before * f + after * f;
        }
    }

    pub fn remove(&mut self, group: &Group, ch: usize) {
        self.change(group, ch, 1);
    }

    pub fn undo(&mut self, group: &Group, ch: usize) {
        self.change(group, ch, -1);
    }

    /// The counts after removing `removed` from these (those of the
    /// unpruned model: copied, so the FLOPs per element are found once).
    pub fn after(&self, groups: &Groups, removed: &BTreeMap<usize, Vec<u32>>) -> WeightCounts {
        let mut c = self.clone();
        for (&g, chs) in removed {
            for &ch in chs {
                c.remove(&groups.groups[g], ch as usize);
            }
        }
        c
    }
}
