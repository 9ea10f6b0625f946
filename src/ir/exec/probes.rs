//! Probes: values of a running model handed to Rust as they are computed,
//! wherever they are (the top level of `@main`, a called function, the body
//! of an `scf.for`): a value computed once per iteration or per call is
//! handed over every time.
//!
//! Before lowering, the copy of the module gets, after each probed value, a
//! call to a probe function that passes the value's buffer to one external
//! callback:
//! ```text
//! %h = linalg.matmul ...                          %h = linalg.matmul ...
//!                                          =>     func.call @mcprune_probe_3(%h) : (tensor<16x64xf32>) -> ()
//!
//! func.func private @mcprune_probe_3(%t: tensor<16x64xf32>) {
//!   %m = bufferization.to_buffer %t read_only : ... to memref<16x64xf32, strided<[?, ?], offset: ?>>
//!   %u = memref.cast %m : ... to memref<*xf32>
//!   func.call @mcprune_record(%sink, %id, %u) : (i64, i64, memref<*xf32>) -> ()
//! }
//! ```
//! `@mcprune_record` resolves to [`record`], which copies the (possibly
//! strided) buffer into a [`Tensor`] and calls the Rust closure `%sink`
//! points to. Probes only read: the model computes what it computed.

use super::Tensor;
use crate::error::{Error, Result};
use crate::ir::{Attribute, Block, Op, OwnedOp, Value, ValueDef};
use std::collections::HashMap;

/// The symbol the lowered module calls, with MLIR's C-interface prefix.
pub(super) const RECORD_SYMBOL: &str = "_mlir_ciface_mcprune_record";

/// What a probe callback receives: probe index and the value's contents.
pub type ProbeSink<'a> = dyn FnMut(usize, Tensor) + 'a;

/// Where a value of the original module sits in its copy: ops are matched
/// by their position in a pre-order walk (a clone keeps the order).
pub(super) struct Counterparts {
    originals: HashMap<Op, usize>,
    copies: Vec<Op>,
}

fn preorder(root: Op) -> Vec<Op> {
    let mut ops = Vec::new();
    root.walk(&mut |o| {
        ops.push(o);
        true
    });
    ops
}

impl Counterparts {
    pub(super) fn new(original: Op, copy: Op) -> Counterparts {
        let originals = preorder(original).into_iter().enumerate().map(|(i, o)| (o, i)).collect();
        Counterparts { originals, copies: preorder(copy) }
    }

    fn op(&self, op: Op) -> Option<Op> {
        self.originals.get(&op).and_then(|&i| self.copies.get(i).copied())
    }

    /// The block of the copy at the place of `block`.
    fn block(&self, block: Block) -> Option<Block> {
        let parent = block.parent_op()?;
        let copy = self.op(parent)?;
        let (r, b) = parent
            .regions()
            .enumerate()
            .find_map(|(r, region)| region.blocks().position(|x| x == block).map(|b| (r, b)))?;
        copy.region(r).blocks().nth(b)
    }

    pub(super) fn value(&self, v: Value) -> Option<Value> {
        match v.def() {
            ValueDef::Result(op, r) => self.op(op).map(|o| o.result(r)),
            ValueDef::Argument(b, i) => self.block(b).map(|c| c.argument(i)),
        }
    }
}

/// Inserts a probe after each value of `probes` (values of the copy) and
/// adds the probe functions to the copy; `sink` is the address the
/// callback receives.
pub(super) fn insert(copy: &OwnedOp, probes: &[Value], sink: i64) -> Result<()> {
    let mut text = String::from("module {\n  func.func private @mcprune_record(i64, i64, memref<*xf32>) attributes {llvm.emit_c_interface}\n");
    for (k, &v) in probes.iter().enumerate() {
        let ty = v.ty();
        let shape = ty.static_shape().ok_or_else(|| Error::ir(v.location(), "a probed value has no static shape"))?;
        if ty.element_type().map(|e| e.to_string()) != Some("f32".into()) {
            return Err(Error::ir(v.location(), "a probed value is not an f32 tensor"));
        }
        let strided = super::any_layout_memref_type(&shape);
        text.push_str(&format!(
            "  func.func private @mcprune_probe_{k}(%t: {ty}) {{\n    \
             %m = bufferization.to_buffer %t read_only : {ty} to {strided}\n    \
             %u = memref.cast %m : {strided} to memref<*xf32>\n    \
             %sink = arith.constant {sink} : i64\n    \
             %id = arith.constant {k} : i64\n    \
             func.call @mcprune_record(%sink, %id, %u) : (i64, i64, memref<*xf32>) -> ()\n    \
             return\n  }}\n"
        ));
        call_after(v, &format!("mcprune_probe_{k}"))?;
    }
    text.push_str("}\n");
    super::add_functions(copy, &text, "probe")
}

/// Inserts `func.call @callee(v)` right after `v` is defined.
fn call_after(v: Value, callee: &str) -> Result<()> {
    let ctx = v.ty().context();
    let symbol = Attribute::parse(ctx, &format!("@{callee}"))
        .ok_or_else(|| Error::Ir { location: None, message: format!("internal error: bad symbol {callee}") })?;
    let call = Op::build("func.call", v.location(), &[v], &[], &[("callee", symbol)]);
    match v.def() {
        ValueDef::Result(op, _) => match op.next() {
            Some(next) => call.insert_before(next),
            None => op.block().ok_or_else(|| Error::ir(op.location(), "a probed op is in no block"))?.append(call),
        },
        ValueDef::Argument(block, _) => block.insert_at_start(call),
    }
    Ok(())
}

/// MLIR's unranked memref descriptor: the rank and a pointer to the ranked
/// descriptor (allocated and aligned pointers, offset, sizes, strides).
#[repr(C)]
pub(super) struct UnrankedMemRef {
    rank: i64,
    descriptor: *const i64,
}

impl UnrankedMemRef {
    /// The rank and the ranked descriptor's words: allocated and aligned
    /// pointers, offset, then `rank` sizes and `rank` strides.
    ///
    /// # Safety
    ///
    /// `self` must describe a live buffer; the words are valid as long as
    /// the descriptor is.
    pub(super) unsafe fn ranked(&self) -> (usize, &[i64]) {
        let rank = self.rank.max(0) as usize;
        // SAFETY: a ranked descriptor holds 3 + 2 * rank 8-byte words.
        (rank, unsafe { std::slice::from_raw_parts(self.descriptor, 3 + 2 * rank) })
    }
}

/// The callback behind `@mcprune_record`.
///
/// # Safety
///
/// `sink` must be the address of a live `&mut ProbeSink` that nothing else
/// uses during the call, and `value` must point to an unranked descriptor
/// of a live f32 buffer, as the lowered probe functions pass them.
pub(super) unsafe extern "C" fn record(sink: i64, id: i64, value: *const UnrankedMemRef) {
    // SAFETY: the caller passes a live descriptor.
    let (rank, words) = unsafe { (*value).ranked() };
    let (aligned, offset) = (words[1] as *const f32, words[2]);
    let (shape, strides) = (words[3..3 + rank].to_vec(), &words[3 + rank..]);
    let len: i64 = shape.iter().product();
    let mut dense_strides = vec![1i64; rank];
    for d in (0..rank.saturating_sub(1)).rev() {
        dense_strides[d] = dense_strides[d + 1] * shape[d + 1];
    }
    let mut data = Vec::with_capacity(len.max(0) as usize);
    if strides == dense_strides.as_slice() {
        // SAFETY: a row-major buffer of `len` elements from `offset`.
        data.extend_from_slice(unsafe { std::slice::from_raw_parts(aligned.offset(offset as isize), len.max(0) as usize) });
    }
    let mut index = vec![0i64; rank];
    let len = if data.is_empty() { len } else { 0 };
    for _ in 0..len {
        let at = offset + index.iter().zip(strides).map(|(i, s)| i * s).sum::<i64>();
        // SAFETY: `index` stays within `shape`, so `at` is an element of the
        // buffer the descriptor describes.
        data.push(unsafe { *aligned.offset(at as isize) });
        for d in (0..rank).rev() {
            index[d] += 1;
            if index[d] < shape[d] {
                break;
            }
            index[d] = 0;
        }
    }
    // SAFETY: the caller passes the address of a live, unshared sink.
    let sink = unsafe { &mut *(sink as *mut &mut ProbeSink) };
    // Unwinding out of an `extern "C"` function aborts; a panicking sink
    // loses this probe's value instead.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| sink(id as usize, Tensor { shape, data })));
}
