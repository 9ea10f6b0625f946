//! Kernels: the harness's contractions run as `faer` products instead of
//! the scalar loops `convert-linalg-to-loops` would make of them, which are
//! tens of times slower (calibration runs the whole model on every batch).
//!
//! Before lowering, each f32 `linalg.matmul`, `linalg.batch_matmul` and
//! `linalg.conv_2d_nchw_fchw` of static shape becomes a call:
//! ```text
//! %r = linalg.matmul ins(%a, %b : tensor<16x64xf32>, tensor<64x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
//!   =>
//! %r = func.call @mcprune_kernel_0(%a, %b, %c) : (...) -> tensor<16x32xf32>
//!
//! func.func private @mcprune_kernel_0(%a: ..., %b: ..., %c: ...) -> tensor<16x32xf32> {
//!   (each operand as a read-only buffer cast to memref<*xf32>, a new buffer %out)
//!   func.call @mcprune_matmul(%ua, %ub, %uc, %uout) : (...) -> ()
//!   %r = bufferization.to_tensor %out restrict : memref<16x32xf32> to tensor<16x32xf32>
//!   return %r : tensor<16x32xf32>
//! }
//! ```
//! `@mcprune_matmul` resolves to [`matmul`]: `out = c + a b` (per batch);
//! `@mcprune_conv2d` to [`conv2d`], an im2col product.

use super::probes::UnrankedMemRef;
use crate::error::{Error, Result};
use crate::ir::{Attribute, Op, OwnedOp, Type};
use faer::linalg::matmul::matmul as gemm;
use crate::parallel;
use faer::{Accum, Mat, MatMut, MatRef};

/// The symbols the lowered kernels call.
pub(super) const MATMUL_SYMBOL: &str = "_mlir_ciface_mcprune_matmul";
pub(super) const CONV2D_SYMBOL: &str = "_mlir_ciface_mcprune_conv2d";

/// The implicit `indexing_maps` of `linalg.matmul` and `linalg.batch_matmul`.
const DEFAULT_MAPS: [&str; 2] = [
    "[affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d2, d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>]",
    "[affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>]",
];

/// Which kernel an op runs as, with the conv's strides and dilations.
enum Kernel {
    /// `b_transposed`: the op's right operand is a `linalg.transpose` of
    /// its last two dims, which the kernel reads in place instead.
    Matmul { b_transposed: bool },
    Conv2d { strides: Vec<i64>, dilations: Vec<i64> },
}

fn kernel_of(op: Op) -> Option<Kernel> {
    let f32_static = op.operands().chain(op.results()).all(|v| {
        let ty = v.ty();
        ty.is_ranked_tensor() && ty.static_shape().is_some() && ty.element_type().map(|e| e.to_string()).as_deref() == Some("f32")
    });
    // Default maps only: other `indexing_maps` (transposed or broadcast
    // operands) or a `cast` change the semantics the kernels implement.
    let maps = op.attribute("indexing_maps").map(|a| a.to_string());
    let plain = op.attribute("cast").is_none() && maps.as_deref().is_none_or(|m| DEFAULT_MAPS.contains(&m));
    if !f32_static || !plain || op.num_operands() != 3 || op.num_results() != 1 {
        return None;
    }
    match op.name() {
        "linalg.matmul" | "linalg.batch_matmul" => Some(Kernel::Matmul { b_transposed: transposed_operand(op.operand(1)).is_some() }),
        "linalg.conv_2d_nchw_fchw" => {
            // Absent is the default, 1; `dense<1> : vector<2xi64>` is a
            // splat: one value for both dims.
            let pair = |name: &str| match op.attribute(name).map(|a| a.dense_int_values()) {
                None => Some(vec![1, 1]),
                Some(Some(v)) if v.len() == 1 => Some(vec![v[0], v[0]]),
                Some(Some(v)) if v.len() == 2 => Some(v),
                Some(_) => None,
            };
            Some(Kernel::Conv2d { strides: pair("strides")?, dilations: pair("dilations")? })
        }
        _ => None,
    }
}

/// The input of `v` when `v` is a `linalg.transpose` that swaps the last
/// two dims (and keeps any batch dim) of an f32 tensor.
fn transposed_operand(v: crate::ir::Value) -> Option<crate::ir::Value> {
    let op = v.defining_op().filter(|o| o.name() == "linalg.transpose")?;
    let perm = op.attribute("permutation")?.dense_int_array()?;
    let swap = match perm.len() {
        2 => perm == [1, 0],
        3 => perm == [0, 2, 1],
        _ => false,
    };
    swap.then(|| op.operand(0))
}

/// Replaces every op a kernel implements by a call to it.
pub(super) fn replace(copy: &OwnedOp) -> Result<()> {
    let mut ops = Vec::new();
    copy.op().walk(&mut |o| {
        if let Some(k) = kernel_of(o) {
            ops.push((o, k));
        }
        true
    });
    if ops.is_empty() {
        return Ok(());
    }
    let mut text = String::from(
        "module {\n  func.func private @mcprune_matmul(memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64) attributes {llvm.emit_c_interface}\n  \
         func.func private @mcprune_conv2d(memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, i64, i64) attributes {llvm.emit_c_interface}\n",
    );
    for (k, (op, kernel)) in ops.iter().enumerate() {
        let ctx = op.context();
        let callee = Attribute::parse(ctx, &format!("@mcprune_kernel_{k}"))
            .ok_or_else(|| Error::ir(op.location(), "internal error: bad kernel symbol"))?;
        let mut operands: Vec<_> = op.operands().collect();
        let transpose = operands[1].defining_op();
        if let (Kernel::Matmul { b_transposed: true }, Some(input)) = (kernel, transposed_operand(operands[1])) {
            operands[1] = input;
        }
        let result: Type = op.result(0).ty();
        text.push_str(&kernel_function(k, &operands, result, kernel));
        let call = Op::build("func.call", op.location(), &operands, &[result], &[("callee", callee)]);
        call.insert_before(*op);
        op.result(0).replace_all_uses_with(call.result(0));
        // SAFETY: its result has no uses left, it belongs to the copy, and
        // the walk that found it is over; nothing reads this handle again.
        unsafe { op.erase() };
        // A transpose the kernel reads through is dead now, unless shared.
        if let (Kernel::Matmul { b_transposed: true }, Some(t)) = (kernel, transpose) {
            if !t.has_uses() {
                // SAFETY: as above: unused, in the copy, found by no walk
                // still running, and not read again.
                unsafe { t.erase() };
            }
        }
    }
    text.push_str("}\n");
    super::add_functions(copy, &text, "kernel")
}

/// The function that hands `operands` to its kernel.
fn kernel_function(k: usize, operands: &[crate::ir::Value], result: Type, kernel: &Kernel) -> String {
    // `kernel_of` admits only static f32 tensors, so every shape is known.
    let shape = |t: Type| t.static_shape().unwrap_or_default();
    let types: Vec<String> = operands.iter().map(|v| v.ty().to_string()).collect();
    let out_memref = super::memref_type(&shape(result));
    let mut body = String::new();
    for (i, (ty, v)) in types.iter().zip(operands).enumerate() {
        let strided = super::any_layout_memref_type(&shape(v.ty()));
        body.push_str(&format!(
            "    %m{i} = bufferization.to_buffer %a{i} read_only : {ty} to {strided}\n    %u{i} = memref.cast %m{i} : {strided} to memref<*xf32>\n"
        ));
    }
    body.push_str(&format!("    %out = memref.alloc() : {out_memref}\n    %uout = memref.cast %out : {out_memref} to memref<*xf32>\n"));
    let unranked = "memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>";
    match kernel {
        Kernel::Matmul { b_transposed } => body.push_str(&format!(
            "    %bt = arith.constant {} : i64\n    func.call @mcprune_matmul(%u0, %u1, %u2, %uout, %bt) : ({unranked}, i64) -> ()\n",
            *b_transposed as i64
        )),
        Kernel::Conv2d { strides, dilations } => {
            for (name, v) in [("sh", strides[0]), ("sw", strides[1]), ("dh", dilations[0]), ("dw", dilations[1])] {
                body.push_str(&format!("    %{name} = arith.constant {v} : i64\n"));
            }
            body.push_str(&format!(
                "    func.call @mcprune_conv2d(%u0, %u1, %u2, %uout, %sh, %sw, %dh, %dw) : ({unranked}, i64, i64, i64, i64) -> ()\n"
            ));
        }
    }
    let args: Vec<String> = types.iter().enumerate().map(|(i, t)| format!("%a{i}: {t}")).collect();
    format!(
        "  func.func private @mcprune_kernel_{k}({}) -> {result} {{\n{body}    %r = bufferization.to_tensor %out restrict : {out_memref} to {result}\n    return %r : {result}\n  }}\n",
        args.join(", ")
    )
}

/// A strided f32 buffer, as its ranked descriptor describes it.
struct View {
    data: *mut f32,
    shape: Vec<usize>,
    strides: Vec<isize>,
}

impl View {
    /// # Safety
    ///
    /// `m` must point to an unranked descriptor of a live f32 buffer.
    unsafe fn of(m: *const UnrankedMemRef) -> View {
        // SAFETY: the caller passes a live descriptor.
        let (rank, words) = unsafe { (*m).ranked() };
        // SAFETY: offset within the buffer the descriptor describes.
        let data = unsafe { (words[1] as *mut f32).offset(words[2] as isize) };
        View {
            data,
            shape: words[3..3 + rank].iter().map(|&d| d as usize).collect(),
            strides: words[3 + rank..3 + 2 * rank].iter().map(|&s| s as isize).collect(),
        }
    }

    /// Whether the elements are contiguous in row-major order.
    fn is_row_major(&self) -> bool {
        let mut expected = 1isize;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d > 1 && s != expected {
                return false;
            }
            expected *= d as isize;
        }
        true
    }

    /// The 2-D matrix of the last two dims at `batch` (rank 3) or the whole
    /// view (rank 2).
    ///
    /// # Safety
    ///
    /// The view must describe a live buffer, and no one may write the
    /// elements while the matrix is in use.
    unsafe fn matrix(&self, batch: usize) -> MatRef<'_, f32> {
        let r = self.shape.len();
        let at = if r == 3 { batch as isize * self.strides[0] } else { 0 };
        // SAFETY: the caller guarantees a live buffer; the dims and strides
        // are the descriptor's own.
        unsafe { MatRef::from_raw_parts(self.data.offset(at), self.shape[r - 2], self.shape[r - 1], self.strides[r - 2], self.strides[r - 1]) }
    }

    /// # Safety
    ///
    /// As [`View::matrix`], and no one else may read or write the elements
    /// while the matrix is in use.
    unsafe fn matrix_mut(&self, batch: usize) -> MatMut<'_, f32> {
        let r = self.shape.len();
        let at = if r == 3 { batch as isize * self.strides[0] } else { 0 };
        // SAFETY: as above, with exclusive access from the caller.
        unsafe { MatMut::from_raw_parts_mut(self.data.offset(at), self.shape[r - 2], self.shape[r - 1], self.strides[r - 2], self.strides[r - 1]) }
    }
}

/// `out = c + a b`, per batch for rank 3.
///
/// # Safety
///
/// Each argument must point to an unranked descriptor of a live f32 buffer
/// of the shapes a `linalg.matmul` or `linalg.batch_matmul` takes, `out`
/// distinct from the others.
pub(super) unsafe extern "C" fn matmul(
    a: *const UnrankedMemRef,
    b: *const UnrankedMemRef,
    c: *const UnrankedMemRef,
    out: *const UnrankedMemRef,
    b_transposed: i64,
) {
    // SAFETY: the caller passes live descriptors.
    let (a, b, c, out) = unsafe { (View::of(a), View::of(b), View::of(c), View::of(out)) };
    let batches = if out.shape.len() == 3 { out.shape[0] } else { 1 };
    for n in 0..batches {
        // SAFETY: live buffers; `out` is written only through `o`.
        let (a, b, c, mut o) = unsafe { (a.matrix(n), b.matrix(n), c.matrix(n), out.matrix_mut(n)) };
        let b = if b_transposed != 0 { b.transpose() } else { b };
        o.copy_from(c);
        gemm(o.as_mut(), Accum::Add, a, b, 1.0, parallel::for_product(a.nrows(), a.ncols(), b.ncols()));
    }
}

/// `out = c + conv(x, w)` for NCHW input and FCHW filter, by im2col.
///
/// # Safety
///
/// Each memref argument must point to an unranked descriptor of a live f32
/// buffer of the shapes `linalg.conv_2d_nchw_fchw` takes with these strides
/// and dilations, `out` distinct from the others.
#[allow(clippy::too_many_arguments)] // the C signature the lowered call has
pub(super) unsafe extern "C" fn conv2d(
    x: *const UnrankedMemRef,
    w: *const UnrankedMemRef,
    c: *const UnrankedMemRef,
    out: *const UnrankedMemRef,
    sh: i64,
    sw: i64,
    dh: i64,
    dw: i64,
) {
    // SAFETY: the caller passes live descriptors.
    let (x, w, c, out) = unsafe { (View::of(x), View::of(w), View::of(c), View::of(out)) };
    let (n, ch) = (x.shape[0], x.shape[1]);
    let (f, kh, kw) = (w.shape[0], w.shape[2], w.shape[3]);
    let (oh, ow) = (out.shape[2], out.shape[3]);
    let (sh, sw, dh, dw) = (sh as usize, sw as usize, dh as usize, dw as usize);
    let depth = ch * kh * kw;
    let read = |v: &View, idx: [usize; 4]| {
        let at: isize = idx.iter().zip(&v.strides).map(|(&i, &s)| i as isize * s).sum();
        // SAFETY: `idx` lies within the view's shape.
        unsafe { *v.data.offset(at) }
    };
    // A row-major filter is already the `f x depth` matrix; others are
    // gathered once per call.
    let gathered;
    let filter = if w.is_row_major() {
        // SAFETY: a live row-major buffer of `f * depth` elements, only read.
        unsafe { MatRef::from_raw_parts(w.data as *const f32, f, depth, depth as isize, 1) }
    } else {
        gathered = Mat::<f32>::from_fn(f, depth, |o, k| read(&w, [o, k / (kh * kw), (k / kw) % kh, k % kw]));
        gathered.as_ref()
    };
    let mut cols = Mat::<f32>::zeros(depth, oh * ow);
    let mut result = Mat::<f32>::zeros(f, oh * ow);
    for b in 0..n {
        for cc in 0..ch {
            for i in 0..kh {
                for j in 0..kw {
                    let k = (cc * kh + i) * kw + j;
                    for y in 0..oh {
                        for z in 0..ow {
                            cols[(k, y * ow + z)] = read(&x, [b, cc, y * sh + i * dh, z * sw + j * dw]);
                        }
                    }
                }
            }
        }
        for o in 0..f {
            for p in 0..oh * ow {
                result[(o, p)] = read(&c, [b, o, p / ow, p % ow]);
            }
        }
        gemm(result.as_mut(), Accum::Add, filter, cols.as_ref(), 1.0, parallel::for_product(f, depth, oh * ow));
        for o in 0..f {
            for p in 0..oh * ow {
                let at: isize = [b, o, p / ow, p % ow].iter().zip(&out.strides).map(|(&i, &s)| i as isize * s).sum();
                // SAFETY: within `out`, which only this kernel writes.
                unsafe { *out.data.offset(at) = result[(o, p)] };
            }
        }
    }
}
