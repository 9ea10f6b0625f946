//! How messages, notes and the report name ops and values: one wording
//! everywhere, so that a name in a diagnostic can be found in the report.

use super::{Op, Value, ValueDef};

/// `name "location"`: an op for messages.
pub fn op(op: Op) -> String {
    label(op, None)
}

/// `name#number "location"`: an op numbered in program order, unique
/// within a report.
pub fn numbered_op(op: Op, number: usize) -> String {
    label(op, Some(number))
}

fn label(op: Op, number: Option<usize>) -> String {
    let number = number.map(|n| format!("#{n}")).unwrap_or_default();
    match op.location().first_name() {
        Some(loc) => format!("{}{number} \"{loc}\"", op.name()),
        None => format!("{}{number}", op.name()),
    }
}

/// Where a value is defined: `result 0 of 'linalg.matmul'`.
pub fn value(v: Value) -> String {
    match v.def() {
        ValueDef::Result(op, i) => format!("result {i} of '{}'", op.name()),
        ValueDef::Argument(b, i) => {
            let owner = b.parent_op().map(|o| o.name()).unwrap_or("?");
            format!("argument {i} of '{owner}'")
        }
    }
}
