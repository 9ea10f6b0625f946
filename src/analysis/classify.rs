//! Phase 3: what each value is (a splat, a constant, a view of weight data)
//! and which constants are weights and which ops are layers, in program
//! order so that every operand is classified before its users.

use super::collect::Collected;
use super::ids::{OpId, ValueId, WeightId};
use super::rules::{self, has_payload_regions};
use super::structural::ModuleFacts;
use super::{IdVec, Weight};
use crate::ir::dense::{constant_value, FloatElements};
use crate::ir::{Op, Value};
use std::collections::{BTreeSet, HashMap};

/// Weights and layers of a module.
pub(super) struct Kinds {
    pub weights: IdVec<WeightId, Weight>,
    pub weight_by_op: HashMap<OpId, WeightId>,
    pub layer_ops: BTreeSet<OpId>,
}

pub(super) fn classify(c: &mut Collected, facts: &ModuleFacts) -> Kinds {
    let mut weights = IdVec::new();
    let mut weight_by_op = HashMap::new();
    // Tensors a payload reads from outside its op (`tensor.extract` of an
    // activation at computed indices): inputs as much as the operands.
    let mut captured: HashMap<OpId, Vec<ValueId>> = HashMap::new();
    for cap in &facts.payload_captures {
        captured.entry(cap.op).or_default().push(cap.value);
    }
    for id in c.ops.ids() {
        if let Some(weight) = classify_results(c, facts, id, captured.get(&id).map_or(&[], Vec::as_slice)) {
            weight_by_op.insert(id, weights.push(weight));
        }
    }
    let layer_ops = c.ops.ids().filter(|&id| is_layer(c, c.ops[id])).collect();
    Kinds { weights, weight_by_op, layer_ops }
}

/// Marks the results of op `id`; returns the weight it defines, if any.
/// `captured`: the tensors the op's payload reads from outside it. An op
/// whose operands are all constant but whose payload gathers from an
/// activation (I-JEPA's context tokens picked at constant indices) computes
/// an activation, not a constant.
fn classify_results(c: &mut Collected, facts: &ModuleFacts, id: OpId, captured: &[ValueId]) -> Option<Weight> {
    let op = c.ops[id];
    let f = &facts.per_op[id];
    let operand_ids: Vec<Option<ValueId>> = op.operands().map(|v| c.value_id(v)).collect();
    let all_const = op.operands().zip(&operand_ids).all(|(v, &vid)| match vid {
        Some(i) => c.values[i].constant,
        None => is_scalar_constant(v),
    }) && captured.iter().all(|&i| c.values[i].constant);
    let any_weight = operand_ids.iter().flatten().any(|&i| c.values[i].weight_view);
    let is_weight_constant = f.constant && !f.splat_results && holds_weight_data(op);
    let pure = !rules::is_structural(op) && op.num_regions() == 0 || has_payload_regions(op);
    let mut weight = None;
    for r in op.results() {
        let Some(vid) = c.value_id(r) else { continue };
        let info = &mut c.values[vid];
        info.splat = f.splat_results;
        info.constant = f.constant || (pure && all_const);
        info.weight_view = is_weight_constant || (info.constant && any_weight);
        if is_weight_constant {
            weight = Some(Weight { op: id, value: vid, elements: info.shape.iter().product::<i64>().max(0) as u64 });
        }
    }
    weight
}

/// A non-tensor operand defined by a constant (a scalar, a shape).
fn is_scalar_constant(v: Value) -> bool {
    v.defining_op().map(|d| d.name().ends_with(".constant") || d.name() == "tosa.const_shape").unwrap_or(false)
}

/// A constant of non-splat float data: weights, not a fill value.
fn holds_weight_data(op: Op) -> bool {
    let attr = constant_value(op).map(|(_, a)| a);
    matches!(attr.map(FloatElements::read), Some(Ok(Some(e))) if !e.is_splat())
}

/// An op that reads both weights and activations.
fn is_layer(c: &Collected, op: Op) -> bool {
    let ids: Vec<ValueId> = op.operands().filter_map(|v| c.value_id(v)).collect();
    let has_weight = ids.iter().any(|&i| c.values[i].weight_view);
    let has_activation = ids.iter().any(|&i| !c.values[i].constant);
    has_weight && has_activation && !rules::is_structural(op)
}
