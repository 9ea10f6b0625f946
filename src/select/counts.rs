//! Exact parameter and FLOP counts of the weights as channels leave: the
//! budget selection spends, and the per-component counts of the report.

use super::Budget;
use crate::analysis::Analysis;
use crate::group::{Group, Groups};
use std::collections::BTreeMap;

/// FLOPs per element of every weight: a contraction or convolution uses
/// each element of the weight it reads (through transposes and other
/// views) once per output position, so its FLOPs divide evenly among them.
/// A weight used by several ops (a shared cell) adds up their uses.
fn flops_per_element(a: &Analysis) -> Vec<u64> {
    let weight_of: BTreeMap<usize, usize> = a.weights.iter().enumerate().map(|(w, x)| (x.op, w)).collect();
    let mut out = vec![0u64; a.weights.len()];
    for (oid, facts) in a.op_facts.iter().enumerate() {
        let f = facts.flops();
        if f == 0 {
            continue;
        }
        for v in a.ops[oid].operands() {
            if let Some(w) = weight_behind(a, &weight_of, v) {
                let elements = a.weights[w].elements.max(1);
                out[w] += f / elements;
            }
        }
    }
    out
}

/// The weight constant a value views (itself, or through ops whose only
/// weight operand it is), if any.
fn weight_behind(a: &Analysis, weight_of: &BTreeMap<usize, usize>, mut v: crate::ir::Value) -> Option<usize> {
    for _ in 0..16 {
        let vid = *a.value_index.get(&v)?;
        if !a.values[vid].weight_view {
            return None;
        }
        let def = a.values[vid].def?;
        if let Some(&w) = weight_of.get(&def) {
            return Some(w);
        }
        let op = a.ops[def];
        let mut views = op.operands().filter(|x| a.value_index.get(x).map(|&i| a.values[i].weight_view).unwrap_or(false));
        v = views.next()?;
        if views.next().is_some() {
            return None;
        }
    }
    None
}

/// Remaining sizes of every weight's dims, for exact parameter and FLOP
/// counts.
#[derive(Clone)]
pub struct WeightCounts {
    shapes: Vec<Vec<i64>>,
    removed: Vec<Vec<i64>>,
    flops_per_element: Vec<u64>,
    params: u64,
    flops: u64,
}

impl WeightCounts {
    pub fn new(a: &Analysis) -> WeightCounts {
        let shapes: Vec<Vec<i64>> = a.weights.iter().map(|w| a.values[w.value].shape.clone()).collect();
        let removed = shapes.iter().map(|s| vec![0; s.len()]).collect();
        let params = a.weights.iter().map(|w| w.elements).sum();
        let flops_per_element = flops_per_element(a);
        let flops = a.weights.iter().zip(&flops_per_element).map(|(w, f)| w.elements * f).sum();
        WeightCounts { shapes, removed, flops_per_element, params, flops }
    }

    /// Elements left in weight `w`.
    pub fn size(&self, w: usize) -> u64 {
        self.shapes[w].iter().zip(&self.removed[w]).map(|(s, r)| (s - r).max(0) as u64).product()
    }

    /// FLOPs each element of weight `w` takes part in, per weight.
    pub fn flops_per_element(&self) -> &[u64] {
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
