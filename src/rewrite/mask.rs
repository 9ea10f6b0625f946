//! `materialize=mask`: every shape stays; every weight slice the plan
//! removes is set to zero. Running the masked and the pruned model on the
//! same inputs must give the same outputs, the project's core numeric check.

use crate::analysis::{Dependencies, WeightId};
use crate::error::Result;
use crate::group::Groups;
use crate::ir::dense;
use crate::select::PrunePlan;
use std::collections::{BTreeMap, BTreeSet};

/// Zeroes the removed channels' weights in place (new constants, same types).
pub fn apply(a: &Dependencies, groups: &Groups, plan: &PrunePlan) -> Result<usize> {
    // Per weight and dim: the indices to zero.
    let mut zero: BTreeMap<WeightId, BTreeMap<usize, BTreeSet<usize>>> = BTreeMap::new();
    for (&g, channels) in &plan.removed {
        for cut in &groups.groups[g].weights {
            let set = zero.entry(cut.weight).or_default().entry(cut.dim).or_default();
            for &ch in channels {
                set.extend(cut.indices[ch as usize].iter().map(|&i| i as usize));
            }
        }
    }
    let mut changed = 0;
    for (w, dims) in zero {
        let op = a.op(a.weight(w).op);
        let (name, attr, data) = dense::weight_elements(op)?;
        let shape = a.value(a.weight(w).value).shape.clone();
        let mut bytes = data.bytes().to_vec();
        let sel: Vec<Option<Vec<usize>>> =
            (0..shape.len()).map(|d| dims.get(&d).map(|s| s.iter().copied().collect())).collect();
        dense::zero_out(&mut bytes, &shape, data.kind.byte_width(), &sel);
        dense::replace_value(op, name, &data, attr, op.result(0).ty(), bytes, "_masked");
        changed += 1;
    }
    Ok(changed)
}
