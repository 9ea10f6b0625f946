//! `materialize=mask`: every shape stays; every weight slice the plan
//! removes is set to zero. Running the masked and the pruned model on the
//! same inputs must give the same outputs, the project's core numeric check.

use crate::deps::Analysis;
use crate::error::{Error, Result};
use crate::groups::Groups;
use crate::ir::dense::{self, FloatElements};
use crate::plan::PrunePlan;
use std::collections::{BTreeMap, BTreeSet};

/// Zeroes the removed channels' weights in place (new constants, same types).
pub fn apply(a: &Analysis, groups: &Groups, plan: &PrunePlan) -> Result<usize> {
    // Per weight and dim: the indices to zero.
    let mut zero: BTreeMap<usize, BTreeMap<usize, BTreeSet<usize>>> = BTreeMap::new();
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
        let op = a.ops[a.weights[w].op];
        let name = if op.attribute("value").is_some() { "value" } else { "values" };
        let attr = op.attribute(name).ok_or_else(|| Error::ir(op.location(), "weight without data"))?;
        let data = FloatElements::read(attr)
            .map_err(|e| Error::ir(op.location(), e.to_string()))?
            .ok_or_else(|| Error::ir(op.location(), "weight without float data"))?;
        let shape = a.values[a.weights[w].value].shape.clone();
        let mut bytes = data.bytes().to_vec();
        let sel: Vec<Option<Vec<usize>>> =
            (0..shape.len()).map(|d| dims.get(&d).map(|s| s.iter().copied().collect())).collect();
        dense::zero_out(&mut bytes, &shape, data.kind.byte_width(), &sel);
        let ty = op.result(0).ty();
        let text = attr.to_string();
        let blob = text.strip_prefix("dense_resource<").and_then(|r| r.split('>').next()).unwrap_or("weights");
        op.set_attribute(name, dense::build(data.storage, ty, bytes, &format!("{blob}_masked")));
        changed += 1;
    }
    Ok(changed)
}
