//! Weights stay where they are: large constants become external globals
//! that resolve to the bytes the context already holds, so lowering and JIT
//! compilation never copy, convert or emit them (which cost more time and
//! memory than running the model).
//!
//! ```text
//! %w = arith.constant dense_resource<w> : tensor<64x64xf32>
//!   =>
//! memref.global @mcprune_weight_0 : memref<64x64xf32>       // external
//! %g = memref.get_global @mcprune_weight_0 : memref<64x64xf32>
//! %w = bufferization.to_tensor %g restrict : memref<64x64xf32> to tensor<64x64xf32>
//! ```
//! A `to_tensor` without `writable` is read-only to bufferization: a write
//! into the weight's tensor copies it first, so the bytes are never changed.

use crate::error::{Error, Result};
use crate::ir::dense::{self, Storage};
use crate::ir::{Attribute, Op, OwnedOp, Type};

/// Constants below this many bytes stay inline (cheap to compile).
const MIN_BYTES: usize = 4096;

/// An external global and the address it resolves to.
pub(super) struct ExternalWeight {
    pub symbol: String,
    pub address: *const u8,
}

/// Rewrites the large float constants of `copy` (lowered to linalg, so
/// every constant is an `arith.constant`) into external globals.
pub(super) fn externalize(copy: &OwnedOp) -> Result<Vec<ExternalWeight>> {
    let mut constants = Vec::new();
    copy.op().walk(&mut |o| {
        if o.name() == "arith.constant" {
            constants.push(o);
        }
        true
    });
    let body = copy.op().region(0).first_block().ok_or_else(|| Error::Ir { location: None, message: "empty module".into() })?;
    let mut externals = Vec::new();
    for op in constants {
        let Some((_, attr)) = dense::constant_value(op) else { continue };
        let Ok(Some(elements)) = dense::FloatElements::read(attr) else { continue };
        if elements.storage == Storage::Splat || elements.bytes().len() < MIN_BYTES || !op.result(0).ty().is_ranked_tensor() {
            continue;
        }
        let symbol = format!("mcprune_weight_{}", externals.len());
        let tensor = op.result(0).ty();
        let memref = Type::parse(op.context(), &tensor.to_string().replacen("tensor", "memref", 1))
            .ok_or_else(|| Error::ir(op.location(), "internal error: no memref type for a weight"))?;
        let ctx = op.context();
        let parse = |text: &str| {
            Attribute::parse(ctx, text).ok_or_else(|| Error::ir(op.location(), format!("internal error: bad attribute {text}")))
        };
        let global = Op::build(
            "memref.global",
            op.location(),
            &[],
            &[],
            &[("sym_name", Attribute::string(ctx, &symbol)), ("type", Attribute::of_type(memref))],
        );
        match body.first_op() {
            Some(first) => global.insert_before(first),
            None => body.append(global),
        }
        let get = Op::build("memref.get_global", op.location(), &[], &[memref], &[("name", parse(&format!("@{symbol}"))?)]);
        get.insert_before(op);
        let to_tensor = Op::build("bufferization.to_tensor", op.location(), &[get.result(0)], &[tensor], &[("restrict", parse("unit")?)]);
        to_tensor.insert_before(op);
        op.result(0).replace_all_uses_with(to_tensor.result(0));
        externals.push(ExternalWeight { symbol, address: elements.bytes().as_ptr() });
        // SAFETY: its only result has no uses left, it belongs to the copy
        // (not to an `OwnedOp` of its own), and the walk that found it is
        // over; nothing reads this handle again.
        unsafe { op.erase() };
    }
    Ok(externals)
}
