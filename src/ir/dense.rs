//! Reading and building float weight constants: `dense<...>` and
//! `dense_resource<...>`, f32 / f16 / bf16 (and f64).
//!
//! Weights are handled as raw little-endian bytes: selecting channels is a
//! byte gather that never converts values, so every float width is sliced the
//! same way and bit patterns survive exactly. Values are converted to `f32`
//! only where arithmetic needs them (importance norms).

use super::{sref, Attribute, FloatKind, Type};
use mlir_sys::*;
use std::ffi::c_void;

extern "C" {
    /// `csrc/`: the data of a `dense_resource` attribute's blob; false when
    /// the blob is missing.
    fn mcpruneDenseResourceGetBlob(attr: MlirAttribute, data: *mut *const c_void, size: *mut usize) -> bool;
    /// `csrc/`: drops the resident pages of a blob that points into a
    /// read-only mapping of the input file; false when it does not.
    fn mcpruneReleaseMappedBlob(attr: MlirAttribute) -> bool;
}

/// Blobs smaller than this are not worth a look at the process' mappings.
const RELEASE_MIN_BYTES: usize = 1 << 20;

/// Lets the OS drop the memory of `op`'s weight data when it is a blob of
/// the mapped input file (bytecode input): called once its pruned copy
/// exists, so that original and copy are not both resident. Reading the
/// weight again later stays correct (the pages come back from the file).
/// Returns whether pages were dropped.
pub fn release_mapped_weight(op: super::Op) -> bool {
    let Some((_, attr)) = constant_value(op) else { return false };
    if !attr.is_dense_resource() || FloatElements::read(attr).ok().flatten().is_none_or(|d| d.bytes().len() < RELEASE_MIN_BYTES) {
        return false;
    }
    // SAFETY: live attribute (module invariant); the shim only drops pages
    // of a read-only file mapping, which later reads fault in again.
    unsafe { mcpruneReleaseMappedBlob(attr.0) }
}

/// Where a weight constant's bytes live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// `dense<...>` with one value repeated.
    Splat,
    /// `dense<...>` with every value.
    Dense,
    /// `dense_resource<name>` backed by a blob.
    Resource,
}

/// The float contents of an elements attribute, borrowed from the context:
/// like a handle, valid only while the context lives (see the `ir` module
/// documentation), so the bytes are lent only as long as this value.
#[derive(Clone, Copy)]
pub struct FloatElements {
    pub kind: FloatKind,
    pub storage: Storage,
    /// Element count of the full tensor.
    pub len: usize,
    /// Raw little-endian bytes: one element for a splat, all of them
    /// otherwise. Not `'static` in truth: the context's lifetime (weights are
    /// too large to copy for every read).
    bytes: &'static [u8],
}

/// Why a weight constant cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// A `dense_resource` whose blob is not in the module (elided or missing).
    MissingBlob(String),
    /// Blob size does not match the tensor type.
    SizeMismatch { expected: usize, found: usize },
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::MissingBlob(a) => write!(f, "the data of {a} is not in the module (elided or missing blob)"),
            ReadError::SizeMismatch { expected, found } => {
                write!(f, "blob holds {found} bytes but its type needs {expected}")
            }
        }
    }
}

/// The values of an integer `dense` or `dense_resource` attribute of 8- to
/// 64-bit elements (index tensors), in row-major order; a splat gives one.
pub fn int_values(attr: Attribute) -> Option<Vec<i64>> {
    if attr.is_dense_elements() {
        return attr.dense_int_values();
    }
    if !attr.is_dense_resource() {
        return None;
    }
    let bits = attr.ty().element_type()?.integer_width()?;
    let width = match bits {
        8 | 16 | 32 | 64 => bits as usize / 8,
        _ => return None,
    };
    let mut data: *const c_void = std::ptr::null();
    let mut size = 0usize;
    // SAFETY: live attribute (module invariant), checked to be a dense
    // resource; both outputs are valid to write.
    if !unsafe { mcpruneDenseResourceGetBlob(attr.0, &mut data, &mut size) } || size % width != 0 {
        return None;
    }
    let bytes: &[u8] = if size == 0 {
        &[]
    } else {
        // SAFETY: the blob's `size` bytes, kept by the context's resource
        // manager while the context lives (module invariant).
        unsafe { std::slice::from_raw_parts(data as *const u8, size) }
    };
    Some(
        bytes
            .chunks_exact(width)
            .map(|c| {
                let mut b = [0u8; 8];
                b[..width].copy_from_slice(c);
                // Sign-extend from the element's width.
                let shift = 64 - 8 * width as u32;
                (i64::from_le_bytes(b) << shift) >> shift
            })
            .collect(),
    )
}

impl FloatElements {
    /// Reads a float elements attribute. `Ok(None)` when `attr` is not a
    /// float `dense` / `dense_resource` attribute of a static shape.
    pub fn read(attr: Attribute) -> Result<Option<FloatElements>, ReadError> {
        let ty = attr.ty();
        let Some(shape) = ty.static_shape() else { return Ok(None) };
        let Some(kind) = ty.element_type().and_then(|e| e.float_kind()) else { return Ok(None) };
        let len = shape.iter().product::<i64>() as usize;
        let width = kind.byte_width();
        if attr.is_dense_elements() {
            // SAFETY: live attribute (module invariant), checked to be dense
            // elements.
            let (splat, ptr) = unsafe { (mlirDenseElementsAttrIsSplat(attr.0), mlirDenseElementsAttrGetRawData(attr.0)) };
            let n = if splat { width } else { len * width };
            let bytes: &'static [u8] = if n == 0 {
                &[]
            } else {
                // SAFETY: the raw data of dense float elements of this static
                // shape and width, `n` bytes. It lives in the context
                // (uniqued), which outlives the value (module invariant).
                unsafe { std::slice::from_raw_parts(ptr as *const u8, n) }
            };
            return Ok(Some(FloatElements {
                kind,
                storage: if splat { Storage::Splat } else { Storage::Dense },
                len,
                bytes,
            }));
        }
        if attr.is_dense_resource() {
            let mut data: *const c_void = std::ptr::null();
            let mut size = 0usize;
            // SAFETY: live attribute (module invariant), checked to be a
            // dense resource; both outputs are valid to write.
            if !unsafe { mcpruneDenseResourceGetBlob(attr.0, &mut data, &mut size) } {
                return Err(ReadError::MissingBlob(attr.to_string()));
            }
            if size != len * width {
                return Err(ReadError::SizeMismatch { expected: len * width, found: size });
            }
            let bytes: &'static [u8] = if size == 0 {
                &[]
            } else {
                // SAFETY: the blob's `size` bytes, which the context's
                // resource manager keeps for as long as the context lives
                // (module invariant).
                unsafe { std::slice::from_raw_parts(data as *const u8, size) }
            };
            return Ok(Some(FloatElements { kind, storage: Storage::Resource, len, bytes }));
        }
        Ok(None)
    }

    pub fn is_splat(&self) -> bool {
        self.storage == Storage::Splat
    }

    /// The raw bytes (one element for a splat), lent as long as `self`.
    pub fn bytes(&self) -> &[u8] {
        self.bytes
    }

    /// Element `i` as f32.
    pub fn get(&self, i: usize) -> f32 {
        let i = if self.is_splat() { 0 } else { i };
        let w = self.kind.byte_width();
        decode(self.kind, &self.bytes[i * w..(i + 1) * w])
    }

    /// Every element as f32 (a splat is expanded).
    pub fn to_f32(&self) -> Vec<f32> {
        if self.is_splat() {
            return vec![self.get(0); self.len];
        }
        let w = self.kind.byte_width();
        self.bytes.chunks_exact(w).map(|c| decode(self.kind, c)).collect()
    }
}

/// One element's bytes as f32.
pub fn decode(kind: FloatKind, b: &[u8]) -> f32 {
    match kind {
        FloatKind::F32 => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        FloatKind::F16 => half::f16::from_le_bytes([b[0], b[1]]).to_f32(),
        FloatKind::BF16 => half::bf16::from_le_bytes([b[0], b[1]]).to_f32(),
        FloatKind::F64 => f64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) as f32,
    }
}

/// A constant op's elements attribute and the attribute's name (`value` on
/// `arith.constant`, `values` on `tosa.const`).
pub fn constant_value(op: super::Op) -> Option<(&'static str, Attribute)> {
    ["value", "values"].into_iter().find_map(|n| op.attribute(n).map(|a| (n, a)))
}

/// Refuses a module whose float constants cannot be read: a
/// `dense_resource` without its blob (elided or missing) or with a blob of
/// the wrong size. Without this check such weights are not recognised as
/// weights, and a pass would prune "0 -> 0 parameters" and succeed.
pub fn require_weight_data(module: super::Op) -> crate::error::Result<()> {
    let mut first = None;
    let mut names = Vec::new();
    module.walk(&mut |op| {
        if let Some((_, attr)) = constant_value(op) {
            if FloatElements::read(attr).is_err() {
                first.get_or_insert(op.location());
                names.push(resource_name(attr).unwrap_or_else(|| attr.to_string()));
            }
        }
        true
    });
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    names.dedup();
    Err(crate::error::Error::WeightsWithoutData { location: first, names })
}

/// Refuses a module whose weights are all integer or quantized: constants
/// of rank 2 or more, not splats, of an element type other than float,
/// index or i1 (masks), and no float weight at all. The analysis ranks and
/// rebuilds float weights only, so such a model would prune "0 -> 0
/// parameters" and succeed. A float model that also holds integer tables
/// prunes its float weights as usual.
pub fn require_float_weights(module: super::Op) -> crate::error::Result<()> {
    let mut first = None;
    let mut names = Vec::new();
    let mut floats = false;
    module.walk(&mut |op| {
        let Some((_, attr)) = constant_value(op) else { return true };
        let ty = attr.ty();
        let (Some(shape), Some(elem)) = (ty.static_shape(), ty.element_type()) else { return true };
        if shape.len() < 2 || attr.is_splat() {
            return true;
        }
        if elem.float_kind().is_some() {
            floats = true;
        } else if !elem.is_index() && elem.integer_width() != Some(1) {
            first.get_or_insert(op.location());
            names.push(resource_name(attr).unwrap_or_else(|| crate::ir::describe::op(op)));
        }
        true
    });
    if floats || names.is_empty() {
        return Ok(());
    }
    names.sort();
    names.dedup();
    Err(crate::error::Error::NoFloatWeights { location: first, names })
}

/// The float data of a weight constant op, with its attribute.
pub fn weight_elements(op: super::Op) -> crate::error::Result<(&'static str, Attribute, FloatElements)> {
    use crate::error::Error;
    let (name, attr) = constant_value(op).ok_or_else(|| Error::ir(op.location(), "weight constant without a value"))?;
    let data = FloatElements::read(attr)
        .map_err(|e| Error::ir(op.location(), e.to_string()))?
        .ok_or_else(|| Error::ir(op.location(), "weight constant without float data"))?;
    Ok((name, attr, data))
}

/// The blob name of a `dense_resource` attribute (printed without its data).
pub fn resource_name(attr: Attribute) -> Option<String> {
    if !attr.is_dense_resource() {
        return None;
    }
    let text = attr.to_string();
    Some(text.strip_prefix("dense_resource<")?.split('>').next()?.to_string())
}

/// Sets `op`'s value to `bytes` of type `ty`, stored like `like` (a new blob
/// named after the old one plus `suffix` for `dense_resource`).
pub fn replace_value(op: super::Op, name: &str, like: &FloatElements, old: Attribute, ty: Type, bytes: Vec<u8>, suffix: &str) {
    let blob = format!("{}{suffix}", resource_name(old).unwrap_or_else(|| "weights".into()));
    op.set_attribute(name, build(like, ty, bytes, &blob));
}

/// Values as little-endian bytes of `kind`.
pub fn encode(kind: FloatKind, values: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() * kind.byte_width());
    for &v in values {
        match kind {
            FloatKind::F32 => out.extend_from_slice(&v.to_le_bytes()),
            FloatKind::F16 => out.extend_from_slice(&half::f16::from_f32(v).to_le_bytes()),
            FloatKind::BF16 => out.extend_from_slice(&half::bf16::from_f32(v).to_le_bytes()),
            FloatKind::F64 => out.extend_from_slice(&(v as f64).to_le_bytes()),
        }
    }
    out
}

/// Keeps, on every dim that has a selection, only the listed indices
/// (ascending). `bytes` holds `shape` row-major with elements of `width`
/// bytes. Runs of whole inner rows are copied at once.
pub fn gather(bytes: &[u8], shape: &[i64], width: usize, keep: &[Option<Vec<usize>>]) -> Vec<u8> {
    debug_assert_eq!(shape.len(), keep.len());
    let rank = shape.len();
    if rank == 0 {
        return bytes.to_vec();
    }
    // Innermost dims without a selection form one contiguous run.
    let mut run_dims = rank;
    while run_dims > 0 && keep[run_dims - 1].is_none() {
        run_dims -= 1;
    }
    let run: usize = shape[run_dims..].iter().product::<i64>() as usize * width;
    let indices: Vec<Vec<usize>> = (0..run_dims)
        .map(|d| keep[d].clone().unwrap_or_else(|| (0..shape[d] as usize).collect()))
        .collect();
    let out_len: usize = indices.iter().map(|v| v.len()).product::<usize>() * run;
    if indices.iter().any(|v| v.is_empty()) || run == 0 {
        return Vec::new();
    }
    if indices.is_empty() {
        return bytes[..run].to_vec();
    }
    let mut out = vec![0u8; out_len];
    let strides = byte_strides(shape, width);
    // A large weight is gathered on every core, each thread taking a share
    // of the first dim's kept indices and the slab of the output they fill
    // (copying is most of a large model's rewrite); the bytes are the same
    // whatever the split.
    let threads = crate::parallel::threads_for(out_len, PARALLEL_GATHER_MIN_BYTES).min(indices[0].len());
    if threads < 2 {
        gather_part(&indices, &strides, run, bytes, &mut out);
        return out;
    }
    let slab = out_len / indices[0].len();
    let per_thread = indices[0].len().div_ceil(threads);
    std::thread::scope(|scope| {
        for (firsts, part) in indices[0].chunks(per_thread).zip(out.chunks_mut(per_thread * slab)) {
            let mut idx = indices.clone();
            idx[0] = firsts.to_vec();
            let strides = &strides;
            scope.spawn(move || gather_part(&idx, strides, run, bytes, part));
        }
    });
    out
}

/// Gathers below this many output bytes stay on the calling thread.
const PARALLEL_GATHER_MIN_BYTES: usize = 8 << 20;

/// [`gather`] of the kept `idx` of each dim into `out`, which holds exactly
/// their product times `run` bytes.
fn gather_part(idx: &[Vec<usize>], strides: &[usize], run: usize, bytes: &[u8], out: &mut [u8]) {
    let mut pos = 0;
    // A cut last dim copies one element per kept index: fixed-size copies,
    // not a call per element (bf16 weights are 2 bytes each).
    match run {
        2 => gather_into::<2>(0, 0, idx, strides, bytes, out, &mut pos),
        4 => gather_into::<4>(0, 0, idx, strides, bytes, out, &mut pos),
        8 => gather_into::<8>(0, 0, idx, strides, bytes, out, &mut pos),
        _ => gather_runs(0, 0, idx, strides, run, bytes, out, &mut pos),
    }
    debug_assert_eq!(pos, out.len());
}

/// Copies the runs of `run` bytes at the kept indices of every dim of
/// `idx`, from dim `d` on, starting at byte `base` of `src`.
#[allow(clippy::too_many_arguments)]
fn gather_runs(d: usize, base: usize, idx: &[Vec<usize>], strides: &[usize], run: usize, src: &[u8], out: &mut [u8], pos: &mut usize) {
    if d == idx.len() {
        out[*pos..*pos + run].copy_from_slice(&src[base..base + run]);
        *pos += run;
        return;
    }
    for &i in &idx[d] {
        gather_runs(d + 1, base + i * strides[d], idx, strides, run, src, out, pos);
    }
}

/// [`gather_runs`] for runs of exactly `W` bytes.
fn gather_into<const W: usize>(d: usize, base: usize, idx: &[Vec<usize>], strides: &[usize], src: &[u8], out: &mut [u8], pos: &mut usize) {
    if d == idx.len() {
        out[*pos..*pos + W].copy_from_slice(&src[base..base + W]);
        *pos += W;
        return;
    }
    if d + 1 == idx.len() {
        // The last dim is contiguous (stride W): copy from one row, one
        // fixed-size chunk per kept index.
        let row_len = idx[d].last().map_or(0, |&i| (i + 1) * W);
        let row = &src[base..base + row_len];
        let dst = &mut out[*pos..*pos + idx[d].len() * W];
        for (o, &i) in dst.chunks_exact_mut(W).zip(&idx[d]) {
            o.copy_from_slice(&row[i * W..i * W + W]);
        }
        *pos += idx[d].len() * W;
        return;
    }
    for &i in &idx[d] {
        gather_into::<W>(d + 1, base + i * strides[d], idx, strides, src, out, pos);
    }
}

/// Row-major byte stride of every dim.
fn byte_strides(shape: &[i64], width: usize) -> Vec<usize> {
    let mut strides = vec![width; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1] as usize;
    }
    strides
}

/// Sets to zero, in place, every element whose index on some dim is listed
/// in `zero` for that dim.
pub fn zero_out(bytes: &mut [u8], shape: &[i64], width: usize, zero: &[Option<Vec<usize>>]) {
    let strides = byte_strides(shape, width);
    for (d, z) in zero.iter().enumerate() {
        let Some(z) = z else { continue };
        let outer: usize = shape[..d].iter().product::<i64>() as usize;
        let slab = strides[d] * shape[d] as usize; // bytes of one step of dim d-1
        for o in 0..outer {
            for &i in z {
                let start = o * slab + i * strides[d];
                bytes[start..start + strides[d]].fill(0);
            }
        }
    }
}

/// Builds a new elements attribute of type `ty` holding `bytes`, in the same
/// storage and element kind as `like`: a new blob named `name` for
/// `dense_resource`, inline `dense` otherwise.
pub fn build(like: &FloatElements, ty: Type, bytes: Vec<u8>, name: &str) -> Attribute {
    match like.storage {
        Storage::Resource => {
            // A blob asks for its element's natural alignment, as the
            // blobs torch-mlir prints do (`0x04000000...` for f32) and as
            // MLIR's own typed blob constructors do. The bytecode writer
            // aligns the resource section to the largest blob alignment,
            // and readers that load a file into an ordinary heap buffer
            // (mlir-opt among them) reject a section whose alignment the
            // buffer does not have: a 64-byte request made our outputs
            // unreadable at random. MLIR frees the blob through
            // `drop_blob`.
            let align = like.kind.byte_width();
            let len = bytes.len();
            // The buffer goes to MLIR as it is (a 100M-parameter model's
            // kept weights are hundreds of MB: a copy here cost a tenth of
            // the prune); it moves only in the unlikely case that the
            // allocator gave it less than the element's alignment.
            let (owner, offset) = aligned(bytes, align);
            let owner = Box::new(owner);
            let ptr = if len == 0 { std::ptr::null() } else { owner[offset..].as_ptr() };
            let user = Box::into_raw(owner);
            // SAFETY: live type (module invariant); the blob is `len` bytes at
            // `align` (or null and empty) inside the buffer `user` owns,
            // handed over to MLIR, which frees it once through `drop_blob`.
            Attribute(unsafe {
                mlirUnmanagedDenseResourceElementsAttrGet(
                    ty.0,
                    sref(name),
                    ptr as *mut c_void,
                    len,
                    align,
                    false,
                    Some(drop_blob),
                    user as *mut c_void,
                )
            })
        }
        Storage::Dense | Storage::Splat => {
            // SAFETY: live type (module invariant); MLIR copies the buffer,
            // which outlives the call.
            Attribute(unsafe { mlirDenseElementsAttrRawBufferGet(ty.0, bytes.len(), bytes.as_ptr() as *const c_void) })
        }
    }
}

/// An inline `dense<...>` integer attribute of type `ty` (8- to 64-bit
/// elements) holding `values`, truncated to the element width.
pub fn int_table(ty: Type, values: &[i64]) -> Option<Attribute> {
    let width = match ty.element_type()?.integer_width()? {
        w @ (8 | 16 | 32 | 64) => w as usize / 8,
        _ => return None,
    };
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes().into_iter().take(width)).collect();
    // SAFETY: live type (module invariant); MLIR copies the buffer, which
    // outlives the call.
    Some(Attribute(unsafe { mlirDenseElementsAttrRawBufferGet(ty.0, bytes.len(), bytes.as_ptr() as *const c_void) }))
}

/// `bytes` and the offset in it where they start at a multiple of `align`:
/// the same buffer when it is aligned already, a copy shifted into
/// alignment otherwise.
fn aligned(bytes: Vec<u8>, align: usize) -> (Vec<u8>, usize) {
    if (bytes.as_ptr() as usize).is_multiple_of(align.max(1)) {
        return (bytes, 0);
    }
    let mut owner = vec![0u8; bytes.len() + align];
    let offset = owner.as_ptr().align_offset(align);
    owner[offset..offset + bytes.len()].copy_from_slice(&bytes);
    (owner, offset)
}

/// The deleter of the blobs `build` makes.
///
/// # Safety
///
/// `user` must be the `Box<Vec<u8>>` that `build` leaked for this blob,
/// passed once.
unsafe extern "C" fn drop_blob(user: *mut c_void, _data: *const c_void, _size: usize, _align: usize) {
    if !user.is_null() {
        // SAFETY: `user` came from `Box::into_raw` in `build`, and MLIR calls
        // the deleter once per blob.
        drop(unsafe { Box::from_raw(user as *mut Vec<u8>) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_keeps_rows_and_columns() {
        // 3x4 matrix of u8 values 0..12.
        let src: Vec<u8> = (0..12).collect();
        let out = gather(&src, &[3, 4], 1, &[Some(vec![0, 2]), Some(vec![1, 3])]);
        assert_eq!(out, vec![1, 3, 9, 11]);
        let rows = gather(&src, &[3, 4], 1, &[Some(vec![1]), None]);
        assert_eq!(rows, vec![4, 5, 6, 7]);
        let cols = gather(&src, &[3, 4], 1, &[None, Some(vec![0])]);
        assert_eq!(cols, vec![0, 4, 8]);
    }

    #[test]
    fn gather_copies_two_byte_elements_of_a_cut_last_dim() {
        // A [2, 3, 4] tensor of u16 values 0..24; keep rows 0 and 2 of dim 1
        // and columns 1 and 3 of dim 2.
        let bytes: Vec<u8> = (0u16..24).flat_map(|v| v.to_le_bytes()).collect();
        let out = gather(&bytes, &[2, 3, 4], 2, &[None, Some(vec![0, 2]), Some(vec![1, 3])]);
        let values: Vec<u16> = out.chunks_exact(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        assert_eq!(values, vec![1, 3, 9, 11, 13, 15, 21, 23]);
    }

    /// Element-by-element reference for [`gather`]: every kept index tuple
    /// in row-major order.
    fn gather_by_element(bytes: &[u8], shape: &[i64], width: usize, keep: &[Option<Vec<usize>>]) -> Vec<u8> {
        let kept: Vec<Vec<usize>> =
            keep.iter().zip(shape).map(|(k, &n)| k.clone().unwrap_or_else(|| (0..n as usize).collect())).collect();
        let strides = byte_strides(shape, width);
        let mut tuples: Vec<usize> = vec![0];
        for (d, k) in kept.iter().enumerate() {
            let stride = strides[d];
            tuples = tuples.iter().flat_map(|&base| k.iter().map(move |&i| base + i * stride)).collect();
        }
        let mut out = Vec::with_capacity(tuples.len() * width);
        for &at in &tuples {
            out.extend_from_slice(&bytes[at..at + width]);
        }
        out
    }

    #[test]
    fn a_large_gather_split_over_threads_matches_one_copy_per_element() {
        // Above PARALLEL_GATHER_MIN_BYTES of output: 2-byte elements with
        // a cut last dim, and runs of whole rows of a 3-D f32 tensor.
        let every_third_missing = |n: usize| (0..n).filter(|i| i % 3 != 1).collect::<Vec<_>>();
        let pattern = |len: usize| (0..len).map(|i| (i * 7 + i / 251) as u8).collect::<Vec<u8>>();
        let shape = [3600i64, 3300];
        let bytes = pattern(3600 * 3300 * 2);
        let keep = [Some(every_third_missing(3600)), Some(every_third_missing(3300))];
        let out = gather(&bytes, &shape, 2, &keep);
        assert!(out.len() >= PARALLEL_GATHER_MIN_BYTES);
        assert_eq!(out, gather_by_element(&bytes, &shape, 2, &keep));
        let shape = [96i64, 330, 160];
        let bytes = pattern(96 * 330 * 160 * 4);
        let keep = [Some(every_third_missing(96)), Some((0..330).filter(|i| i % 5 != 0).collect()), None];
        let out = gather(&bytes, &shape, 4, &keep);
        assert!(out.len() >= PARALLEL_GATHER_MIN_BYTES);
        assert_eq!(out, gather_by_element(&bytes, &shape, 4, &keep));
    }

    #[test]
    fn a_gather_without_selections_copies_the_tensor() {
        let bytes: Vec<u8> = (0..24).collect();
        assert_eq!(gather(&bytes, &[2, 3], 4, &[None, None]), bytes);
    }

    #[test]
    fn gather_respects_element_width() {
        let vals: Vec<f32> = (0..6).map(|v| v as f32).collect();
        let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
        let out = gather(&bytes, &[2, 3], 4, &[None, Some(vec![2])]);
        let back: Vec<f32> = out.chunks_exact(4).map(|c| decode(FloatKind::F32, c)).collect();
        assert_eq!(back, vec![2.0, 5.0]);
    }

    #[test]
    fn zero_out_clears_slices() {
        let mut b: Vec<u8> = vec![1; 6];
        zero_out(&mut b, &[2, 3], 1, &[None, Some(vec![1])]);
        assert_eq!(b, vec![1, 0, 1, 1, 0, 1]);
        let mut b: Vec<u8> = vec![1; 6];
        zero_out(&mut b, &[2, 3], 1, &[Some(vec![0]), None]);
        assert_eq!(b, vec![0, 0, 0, 1, 1, 1]);
    }

    #[test]
    fn half_floats_decode() {
        assert_eq!(decode(FloatKind::F16, &half::f16::from_f32(1.5).to_le_bytes()), 1.5);
        assert_eq!(decode(FloatKind::BF16, &half::bf16::from_f32(-2.0).to_le_bytes()), -2.0);
    }
}
