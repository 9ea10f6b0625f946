//! Phase 2: the facts of every op. Dialect ops get theirs from the rule
//! tables ([`super::rules`]); calls, returns, loops and branches couple
//! values across regions, which needs the whole module (the callee's body),
//! so they get theirs here. Function boundaries and payload captures add
//! freezes that belong to no op's rule.

use super::collect::Collected;
use super::facts::{DimRef, Fact, FreezeReason, OpFacts};
use super::ids::OpId;
use super::rules::{self, has_payload_regions};
use super::{IdVec, PayloadCapture};
use crate::ir::{Op, Value};

/// Facts of one module.
pub(super) struct ModuleFacts {
    pub per_op: IdVec<OpId, OpFacts>,
    /// Facts of no op's rule, with the op they belong to (none: a function
    /// boundary).
    pub extra: Vec<(Option<OpId>, Fact)>,
    pub payload_captures: Vec<PayloadCapture>,
}

impl ModuleFacts {
    /// Every fact with the op that stated it.
    pub fn all(&self) -> impl Iterator<Item = (Option<OpId>, &Fact)> {
        let per_op = self.per_op.iter_enumerated().flat_map(|(id, f)| f.facts.iter().map(move |fact| (Some(id), fact)));
        per_op.chain(self.extra.iter().map(|(op, f)| (*op, f)))
    }
}

pub(super) fn all_facts(c: &Collected) -> ModuleFacts {
    let per_op = c.ops.iter().map(|&op| if rules::is_structural(op) { structural_facts(c, op) } else { rules::facts_for(op) }).collect();
    let mut extra = entry_argument_freezes(c);
    let payload_captures = payload_captures(c);
    extra.extend(payload_capture_freezes(c, &payload_captures));
    ModuleFacts { per_op, extra, payload_captures }
}

/// Entry functions' arguments are the model's inputs.
fn entry_argument_freezes(c: &Collected) -> Vec<(Option<OpId>, Fact)> {
    let mut out = Vec::new();
    for &f in c.functions.values().filter(|&&f| c.is_entry(f)) {
        if let Some(entry) = f.region(0).first_block() {
            for a in entry.arguments() {
                out.extend((0..dims(a)).map(|d| (None, Fact::Freeze(DimRef::new(a, d), FreezeReason::ModelInterface))));
            }
        }
    }
    out
}

/// A tensor that a payload reads from outside its op (`tensor.extract`
/// of a captured value, as torch-mlir lowers some adaptive pooling) is
/// used where no operand shows it: the op's facts cannot link its
/// dims, so the rewrite would leave the capture at its old shape while
/// its producer shrinks. The uses are recorded for the rewrite, which
/// rebuilds what computes them.
fn payload_captures(c: &Collected) -> Vec<PayloadCapture> {
    let mut out = Vec::new();
    for (id, &op) in c.ops.iter_enumerated().filter(|(_, &op)| has_payload_regions(op)) {
        op.walk(&mut |inner| {
            if inner != op {
                for (operand, v) in inner.operands().enumerate() {
                    if let Some(value) = c.value_id(v) {
                        let copy = read_of(op, inner, operand).is_some_and(|r| r.copy);
                        out.push(PayloadCapture { op: id, inner, operand, value, copy });
                    }
                }
            }
            true
        });
    }
    out
}

/// How a payload's `tensor.extract` reads its captured tensor (operand 0),
/// when the op is one whose reads the gather rules evaluate.
fn read_of(op: Op, inner: Op, operand: usize) -> Option<rules::gather::CaptureRead> {
    (inner.name() == "tensor.extract" && operand == 0).then(|| rules::gather::capture_read(op, inner)).flatten()
}

/// A captured tensor's dims are frozen at the op that captures it, but for
/// those a gather reads at the result's own positions, which carry the
/// same indices as the result's dims ([`rules::gather`]).
fn payload_capture_freezes(c: &Collected, captures: &[PayloadCapture]) -> Vec<(Option<OpId>, Fact)> {
    let mut out = Vec::new();
    for cap in captures {
        let (op, v) = (c.ops[cap.op], c.values[cap.value].value);
        let reason = FreezeReason::Positional(format!("the payload of {}", op.name()));
        let read = read_of(op, cap.inner, cap.operand).unwrap_or_default();
        for d in 0..dims(v) {
            match read.same.iter().find(|&&(m, _)| m == d) {
                Some(&(_, r)) => out.push((Some(cap.op), Fact::Same(DimRef::new(v, d), DimRef::new(op.result(0), r)))),
                None => out.push((Some(cap.op), Fact::Freeze(DimRef::new(v, d), reason.clone()))),
            }
        }
        for &r in &read.frozen_results {
            out.push((Some(cap.op), Fact::Freeze(DimRef::new(op.result(0), r), reason.clone())));
        }
    }
    out
}

/// Facts of calls, returns, loops and branches.
fn structural_facts(c: &Collected, op: Op) -> OpFacts {
    let mut out = OpFacts::default();
    match op.name() {
        "func.call" => call_facts(c, op, &mut out),
        "func.return" if enclosing_function(op).map(|f| c.is_entry(f)).unwrap_or(true) => {
            for v in op.operands() {
                freeze_value(v, FreezeReason::ModelInterface, &mut out);
            }
        }
        "scf.for" => for_facts(op, &mut out),
        "scf.if" => {
            for block in op.regions().flat_map(|r| r.blocks()) {
                if let Some(y) = block.terminator() {
                    for i in 0..op.num_results().min(y.num_operands()) {
                        same_all(op.result(i), y.operand(i), &mut out);
                    }
                }
            }
        }
        _ => {}
    }
    out
}

/// A call's operands are the callee's arguments, and every return of the
/// callee yields its results; a call to a declaration freezes everything.
fn call_facts(c: &Collected, op: Op, out: &mut OpFacts) {
    let callee = op.callee().and_then(|name| c.functions.get(name)).copied();
    let body = callee.and_then(|f| f.region(0).first_block());
    match (callee, body) {
        (Some(f), Some(entry)) if entry.num_arguments() == op.num_operands() => {
            for i in 0..op.num_operands() {
                same_all(op.operand(i), entry.argument(i), out);
            }
            let returns = f.regions().flat_map(|r| r.blocks()).filter_map(|b| b.terminator().filter(|t| t.name() == "func.return"));
            for t in returns {
                for i in 0..op.num_results().min(t.num_operands()) {
                    same_all(op.result(i), t.operand(i), out);
                }
            }
        }
        _ => {
            let reason = FreezeReason::Unsupported(format!("call to '{}', which has no body here", op.callee().unwrap_or("?")));
            for v in op.operands().chain(op.results()) {
                freeze_value(v, reason.clone(), out);
            }
        }
    }
}

/// A loop's init, iteration argument, yield and result are one value.
fn for_facts(op: Op, out: &mut OpFacts) {
    let Some(body) = op.region(0).first_block() else { return };
    let num_iters = op.num_results();
    let first_init = op.num_operands() - num_iters;
    let yield_op = body.terminator();
    for i in 0..num_iters {
        let iter_arg = body.argument(i + 1);
        same_all(op.operand(first_init + i), iter_arg, out);
        same_all(op.result(i), iter_arg, out);
        if let Some(y) = yield_op {
            same_all(y.operand(i), iter_arg, out);
        }
    }
}

/// The function an op sits in.
fn enclosing_function(op: Op) -> Option<Op> {
    let mut cur = op.parent();
    while let Some(p) = cur {
        if p.name() == "func.func" {
            return Some(p);
        }
        cur = p.parent();
    }
    None
}

fn dims(v: Value) -> usize {
    v.ty().shape().map(|s| s.len()).unwrap_or(0)
}

/// Couples every dim of `a` with the same dim of `b`, when ranks agree.
fn same_all(a: Value, b: Value, out: &mut OpFacts) {
    if dims(a) != dims(b) {
        return;
    }
    for d in 0..dims(a) {
        out.facts.push(Fact::Same(DimRef::new(a, d), DimRef::new(b, d)));
    }
}

fn freeze_value(v: Value, reason: FreezeReason, out: &mut OpFacts) {
    for d in 0..dims(v) {
        out.facts.push(Fact::Freeze(DimRef::new(v, d), reason.clone()));
    }
}
