//! Phase 1: number the ops and the ranked tensor values in program order,
//! and find the functions and which of them are called.
//!
//! Payload regions (the scalar bodies of `linalg` ops, `tensor.pad`) are
//! not tensor code: their ops and values are not numbered.

use super::ids::{IdVec, OpId, SpaceId, ValueId};
use super::rules::has_payload_regions;
use super::ValueInfo;
use crate::ir::{Op, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What phase 1 found.
#[derive(Default)]
pub(super) struct Collected {
    pub ops: IdVec<OpId, Op>,
    pub op_index: HashMap<Op, OpId>,
    pub values: IdVec<ValueId, ValueInfo>,
    pub value_index: HashMap<Value, ValueId>,
    pub num_spaces: usize,
    /// Functions by symbol, and the symbols some call names.
    pub functions: BTreeMap<&'static str, Op>,
    pub called: BTreeSet<&'static str>,
}

impl Collected {
    pub fn value_id(&self, v: Value) -> Option<ValueId> {
        self.value_index.get(&v).copied()
    }

    /// The space of dim `d.dim` of `d.value`, and whether the value is a
    /// splat; none for a value not analysed or a dim past its rank.
    pub fn space(&self, d: super::facts::DimRef) -> Option<(SpaceId, bool)> {
        let info = &self.values[self.value_id(d.value)?];
        (d.dim < info.shape.len()).then(|| (info.space(d.dim), info.splat))
    }

    /// A function nobody calls: its arguments and results are the model's.
    pub fn is_entry(&self, func: Op) -> bool {
        func.symbol_name().map(|n| !self.called.contains(n)).unwrap_or(true)
    }
}

/// Records functions, ops and values of `module` in program order.
pub(super) fn collect(module: Op) -> Collected {
    let mut c = Collected::default();
    module.walk(&mut |op| {
        if op.name() == "func.func" {
            if let Some(name) = op.symbol_name() {
                c.functions.insert(name, op);
            }
        }
        if let Some(callee) = op.callee() {
            c.called.insert(callee);
        }
        true
    });
    visit(&mut c, module);
    c
}

fn visit(c: &mut Collected, op: Op) {
    if op.name() != "builtin.module" && op.name() != "func.func" {
        let id = c.ops.push(op);
        c.op_index.insert(op, id);
        for r in op.results() {
            add_value(c, r, Some(id));
        }
    }
    if has_payload_regions(op) {
        return;
    }
    for region in op.regions() {
        for block in region.blocks() {
            for a in block.arguments() {
                add_value(c, a, None);
            }
            for inner in block.ops() {
                visit(c, inner);
            }
        }
    }
}

fn add_value(c: &mut Collected, value: Value, def: Option<OpId>) {
    if c.value_index.contains_key(&value) || !value.ty().is_ranked_tensor() {
        return;
    }
    let Some(shape) = value.ty().shape() else { return };
    let shape: Vec<i64> = shape.into_iter().map(|d| d.unwrap_or(-1)).collect();
    let first_space = SpaceId::new(c.num_spaces);
    c.num_spaces += shape.len();
    let id = c.values.push(ValueInfo { value, shape, first_space, def, splat: false, constant: false, weight_view: false });
    c.value_index.insert(value, id);
}
