//! Running a model on the CPU: lower a copy of the module to the LLVM
//! dialect (TOSA first to linalg) and call `@main` through MLIR's
//! ExecutionEngine, in process. Used by the numeric tests (pruned against
//! masked, ratio 0 against PyTorch) and the fidelity benchmark.
//!
//! The inputs become constants of a wrapper `@mcprune_entry` that calls
//! `@main` and writes each result into a caller-provided buffer. Large
//! weights are not compiled in (`weights`), and chosen values can be handed
//! to Rust while the model runs (`probes`).

mod kernels;
mod probes;
mod weights;

pub use probes::ProbeSink;

use crate::error::{Error, Result};
use crate::ir::{self, f32_tensor_type, Op, OwnedOp, Value};
use mlir_sys::*;
use std::ffi::c_void;

/// An f32 tensor: shape and row-major data.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
    pub shape: Vec<i64>,
    pub data: Vec<f32>,
}

/// Shared libraries the lowered code may call into.
const RUNNER_LIBS: &[&str] = &["/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so"];

/// TOSA to linalg, as MLIR's own TOSA pipeline does it.
pub const TOSA_TO_LINALG: &str = "func.func(tosa-to-linalg-named, tosa-to-linalg, tosa-to-arith, tosa-to-tensor)";

/// linalg-on-tensors to the LLVM dialect.
pub const LINALG_TO_LLVM: &str = "func.func(convert-elementwise-to-linalg, linalg-generalize-named-ops), one-shot-bufferize{bufferize-function-boundaries allow-return-allocs-from-loops \
function-boundary-type-conversion=identity-layout-map}, buffer-deallocation-pipeline, convert-bufferization-to-memref, \
func.func(convert-linalg-to-loops), convert-scf-to-cf, expand-strided-metadata, lower-affine, finalize-memref-to-llvm, \
convert-math-to-llvm, convert-math-to-libm, convert-arith-to-llvm, convert-func-to-llvm, convert-cf-to-llvm, reconcile-unrealized-casts";

/// Runs the textual pass pipeline `pipeline` on `module`.
///
/// # Safety
///
/// The passes erase and replace ops: no handle into `module` other than
/// `module` itself may be used afterwards.
unsafe fn run_pipeline(module: Op, pipeline: &str) -> Result<()> {
    // SAFETY: live op (module invariant), so its context is live too.
    let pm = unsafe { mlirPassManagerCreate(module.context().0) };
    let result = (|| {
        // SAFETY: `pm` was just created.
        let opm = unsafe { mlirPassManagerGetAsOpPassManager(pm) };
        let mut msg: Vec<u8> = Vec::new();
        // SAFETY: `opm` belongs to the live `pm`; `pipeline` outlives the
        // call, and the callback gets the `Vec<u8>` it expects.
        let ok = unsafe {
            mlirOpPassManagerAddPipeline(opm, ir::sref(pipeline), Some(ir::append_to_vec), &mut msg as *mut Vec<u8> as *mut c_void)
        };
        if ok.value == 0 {
            return Err(Error::Pipeline(String::from_utf8_lossy(&msg).into_owned()));
        }
        // SAFETY: live pass manager and op, of the same context; the caller
        // holds no other handle into `module` across the run.
        let ok = unsafe { mlirPassManagerRunOnOp(pm, module.0) };
        if ok.value == 0 {
            return Err(Error::ir(module.location(), format!("lowering failed: {pipeline}")));
        }
        Ok(())
    })();
    // SAFETY: created above, used by nothing after this.
    unsafe { mlirPassManagerDestroy(pm) };
    result
}

fn memref_type(shape: &[i64]) -> String {
    f32_tensor_type(shape).replacen("tensor", "memref", 1)
}

/// An f32 memref of `shape` with any strides and offset: a type every
/// buffer of that shape casts to (a probed value's, a kernel operand's).
fn any_layout_memref_type(shape: &[i64]) -> String {
    let dims: String = shape.iter().map(|d| format!("{d}x")).collect();
    format!("memref<{dims}f32, strided<[{}], offset: ?>>", vec!["?"; shape.len()].join(", "))
}

/// Parses `text`, a module of helper functions (probes, kernels) and the
/// external declarations they call, and moves all of them into `copy`.
fn add_functions(copy: &OwnedOp, text: &str, what: &str) -> Result<()> {
    let defs = OwnedOp::parse_module(copy.op().context(), text.as_bytes())
        .ok_or_else(|| Error::Ir { location: None, message: format!("internal error: the {what} functions do not parse") })?;
    let body = copy.op().region(0).first_block().ok_or_else(|| Error::Ir { location: None, message: "empty module".into() })?;
    for f in defs.op().nested_ops() {
        body.move_to_end(f);
    }
    Ok(())
}

fn hex(data: &[f32]) -> String {
    let mut s = String::with_capacity(data.len() * 8 + 3);
    s.push_str("0x");
    for v in data {
        for b in v.to_le_bytes() {
            s.push_str(&format!("{b:02X}"));
        }
    }
    s
}

/// The model's entry function: `@main`, or else its one public function
/// with a body (torch-mlir's ONNX importer names it `@main_graph`).
pub fn main_function(module: Op) -> Result<Op> {
    let functions: Vec<Op> = module.nested_ops().into_iter().filter(|o| o.name() == "func.func").collect();
    if let Some(main) = functions.iter().find(|o| o.symbol_name() == Some("main")) {
        return Ok(*main);
    }
    let public: Vec<Op> = functions
        .into_iter()
        .filter(|f| f.attribute("sym_visibility").and_then(|v| v.string_value()).is_none_or(|v| v == "public"))
        .filter(|f| f.region(0).first_block().is_some())
        .collect();
    match public.as_slice() {
        [entry] => Ok(*entry),
        _ => Err(Error::Ir { location: None, message: "the module has no @main, nor exactly one public function to run".into() }),
    }
}

/// Runs `@main` of (a copy of) `module` on `inputs`; returns its results.
/// The module must take and return static-shaped f32 tensors.
pub fn run(module: Op, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut all = run_sets(module, std::slice::from_ref(&inputs.to_vec()))?;
    Ok(all.pop().unwrap_or_default())
}

/// Runs `@main` once per input set, compiling the module once (lowering
/// and JIT compilation cost far more than a call); returns the results of
/// each set in order.
pub fn run_sets(module: Op, sets: &[Vec<Tensor>]) -> Result<Vec<Vec<Tensor>>> {
    run_probed(module, sets, &[], &mut |_, _| {})
}

/// [`run_sets`], handing `sink` the contents of each of `probes` (values of
/// `module`, anywhere in it) every time the model computes it, with the
/// probe's index.
pub fn run_probed(module: Op, sets: &[Vec<Tensor>], probes: &[Value], sink: &mut ProbeSink) -> Result<Vec<Vec<Tensor>>> {
    let (arg_shapes, out_shapes) = main_signature(module)?;
    check_inputs(module, &arg_shapes, sets)?;
    let owned = module.clone_owned();
    let counterparts = probes::Counterparts::new(module, owned.op());
    let copies: Vec<Value> = probes
        .iter()
        .map(|&v| counterparts.value(v).ok_or_else(|| Error::ir(v.location(), "internal error: a probed value is not in the copy")))
        .collect::<Result<_>>()?;
    drop(counterparts);
    // The callback gets the sink's address; it lives on this frame until
    // the engine is gone.
    let mut sink: &mut ProbeSink = sink;
    probes::insert(&owned, &copies, &mut sink as *mut &mut ProbeSink as i64)?;
    let entry = main_function(module)?.symbol_name().unwrap_or("main");
    add_entry(module, &owned, &wrapper_text(entry, &arg_shapes, &out_shapes, sets))?;
    let externals = lower_to_llvm(&owned)?;
    let all_shapes: Vec<&Vec<i64>> = sets.iter().flat_map(|_| out_shapes.iter()).collect();
    let results = invoke_entry(&owned, &externals, &all_shapes)?;
    drop(owned);
    let mut tensors = results.into_iter().zip(all_shapes).map(|(data, shape)| Tensor { shape: shape.clone(), data });
    Ok(sets.iter().map(|_| tensors.by_ref().take(out_shapes.len()).collect()).collect())
}

/// Splits `inputs` into input sets of `@main`'s argument shapes: an input
/// whose leading dim is `k` times its argument's becomes `k` batches, in
/// order. Every input must split into the same number of batches.
pub fn split_batches(module: Op, inputs: &[Tensor]) -> Result<Vec<Vec<Tensor>>> {
    let (arg_shapes, _) = main_signature(module)?;
    let main = main_function(module)?;
    if arg_shapes.len() != inputs.len() {
        return Err(Error::ir(main.location(), format!("@main takes {} inputs, the calibration data has {}", arg_shapes.len(), inputs.len())));
    }
    let mut batches = None;
    for (i, (arg, t)) in arg_shapes.iter().zip(inputs).enumerate() {
        let holds_shape = t.data.len() as i64 == t.shape.iter().product::<i64>();
        let k = if !holds_shape {
            None
        } else if t.shape == *arg {
            Some(1)
        } else if t.shape.len() == arg.len() && !arg.is_empty() && arg[0] > 0 && t.shape[0] > 0 && t.shape[0] % arg[0] == 0 && t.shape[1..] == arg[1..] {
            Some(t.shape[0] / arg[0])
        } else {
            None
        };
        if k.is_none() || (batches.is_some() && batches != k) {
            return Err(Error::ir(
                main.location(),
                format!("calibration input {i} has shape {:?}; @main takes {:?} (or a multiple of its leading dim, the same for every input)", t.shape, arg),
            ));
        }
        batches = k;
    }
    let k = batches.unwrap_or(1) as usize;
    Ok((0..k)
        .map(|b| {
            inputs
                .iter()
                .zip(&arg_shapes)
                .map(|(t, arg)| {
                    let n = arg.iter().product::<i64>() as usize;
                    Tensor { shape: arg.clone(), data: t.data[b * n..(b + 1) * n].to_vec() }
                })
                .collect()
        })
        .collect())
}

/// Static shapes, one per tensor.
type Shapes = Vec<Vec<i64>>;

/// The static shapes of `@main`'s arguments and results.
fn main_signature(module: Op) -> Result<(Shapes, Shapes)> {
    let main = main_function(module)?;
    let entry_block = main.region(0).first_block().ok_or_else(|| Error::ir(main.location(), "@main has no body"))?;
    let ret = entry_block.terminator().ok_or_else(|| Error::ir(main.location(), "@main has no return"))?;
    let arg_shapes: Vec<Vec<i64>> = entry_block
        .arguments()
        .map(|a| a.ty().static_shape().ok_or_else(|| Error::ir(main.location(), "non-static argument")))
        .collect::<Result<_>>()?;
    let out_shapes: Vec<Vec<i64>> = ret
        .operands()
        .map(|v| v.ty().static_shape().ok_or_else(|| Error::ir(main.location(), "non-static result")))
        .collect::<Result<_>>()?;
    Ok((arg_shapes, out_shapes))
}

/// Every input set must match `@main`'s arguments.
fn check_inputs(module: Op, arg_shapes: &[Vec<i64>], sets: &[Vec<Tensor>]) -> Result<()> {
    let main = main_function(module)?;
    for inputs in sets {
        if arg_shapes.len() != inputs.len() {
            return Err(Error::ir(main.location(), format!("@main takes {} inputs, got {}", arg_shapes.len(), inputs.len())));
        }
        for (s, t) in arg_shapes.iter().zip(inputs) {
            if *s != t.shape || t.data.len() as i64 != s.iter().product::<i64>() {
                return Err(Error::ir(main.location(), format!("input of shape {:?} for argument {:?}", t.shape, s)));
            }
        }
    }
    Ok(())
}

/// The wrapper module, with a declaration of `@main`: per input set, the
/// inputs as constants, a call, and its results written to that set's
/// output buffers.
fn wrapper_text(entry: &str, arg_shapes: &[Vec<i64>], out_shapes: &[Vec<i64>], sets: &[Vec<Tensor>]) -> String {
    let in_types: Vec<String> = arg_shapes.iter().map(|s| f32_tensor_type(s)).collect();
    let out_types: Vec<String> = out_shapes.iter().map(|s| f32_tensor_type(s)).collect();
    let mut outs: Vec<String> = Vec::new();
    let mut body = String::new();
    for (k, inputs) in sets.iter().enumerate() {
        outs.extend(out_shapes.iter().enumerate().map(|(i, s)| format!("%out{k}_{i}: {}", memref_type(s))));
        for (i, t) in inputs.iter().enumerate() {
            body.push_str(&format!("    %in{k}_{i} = arith.constant dense<\"{}\"> : {}\n", hex(&t.data), f32_tensor_type(&t.shape)));
        }
        let ins: Vec<String> = (0..inputs.len()).map(|i| format!("%in{k}_{i}")).collect();
        // One result is `%r0`, several are `%r0:2` and `%r0#1`.
        let single = out_shapes.len() == 1;
        let def = if single { format!("%r{k}") } else { format!("%r{k}:{}", out_shapes.len()) };
        let result = |i: usize| if single { format!("%r{k}") } else { format!("%r{k}#{i}") };
        body.push_str(&format!(
            "    {def} = func.call @{entry}({}) : ({}) -> ({})\n",
            ins.join(", "),
            in_types.join(", "),
            out_types.join(", ")
        ));
        for (i, s) in out_shapes.iter().enumerate() {
            body.push_str(&format!(
                "    bufferization.materialize_in_destination {} in restrict writable %out{k}_{i} : ({}, {}) -> ()\n",
                result(i),
                f32_tensor_type(s),
                memref_type(s)
            ));
        }
    }
    format!(
        "module {{\n  func.func private @{entry}({}) -> ({})\n  func.func @mcprune_entry({}) attributes {{llvm.emit_c_interface}} {{\n{body}    return\n  }}\n}}\n",
        in_types.join(", "),
        out_types.join(", "),
        outs.join(", ")
    )
}

/// Parses the wrapper beside `module`'s context and moves its entry into
/// the copy `owned`.
fn add_entry(module: Op, owned: &OwnedOp, text: &str) -> Result<()> {
    let wrapper = OwnedOp::parse_module(module.context(), text.as_bytes())
        .ok_or_else(|| Error::Ir { location: None, message: "internal error: the run wrapper does not parse".into() })?;
    let entry = wrapper
        .op()
        .nested_ops()
        .into_iter()
        .find(|o| o.symbol_name() == Some("mcprune_entry"))
        .ok_or_else(|| Error::Ir { location: None, message: "internal error: no wrapper".into() })?;
    let body = owned.op().region(0).first_block().ok_or_else(|| Error::ir(module.location(), "empty module"))?;
    body.move_to_end(entry);
    Ok(())
}

/// Lowers the copy to the LLVM dialect (TOSA first to linalg), its large
/// weights made external; returns them.
fn lower_to_llvm(owned: &OwnedOp) -> Result<Vec<weights::ExternalWeight>> {
    let mut is_tosa = false;
    owned.op().walk(&mut |o| {
        is_tosa |= o.dialect() == "tosa";
        !is_tosa
    });
    if is_tosa {
        // SAFETY: only `owned` itself is used after the lowering, not
        // handles taken into it before.
        unsafe { run_pipeline(owned.op(), TOSA_TO_LINALG)? };
    }
    let externals = weights::externalize(owned)?;
    kernels::replace(owned)?;
    // SAFETY: as above.
    unsafe { run_pipeline(owned.op(), LINALG_TO_LLVM)? };
    Ok(externals)
}

/// JIT-compiles the lowered module, resolves its external weights and the
/// probe callback, and calls `@mcprune_entry` with one buffer per output
/// shape; returns the buffers.
fn invoke_entry(owned: &OwnedOp, externals: &[weights::ExternalWeight], shapes: &[&Vec<i64>]) -> Result<Vec<Vec<f32>>> {
    // memrefCopy and friends live in MLIR's C runner utilities.
    let libs: Vec<String> = RUNNER_LIBS.iter().filter(|p| std::path::Path::new(p).exists()).map(|p| format!("{p}\0")).collect();
    let lib_refs: Vec<MlirStringRef> = libs.iter().map(|l| MlirStringRef { data: l.as_ptr() as *const _, length: l.len() - 1 }).collect();
    // LLVM opt level 0: the contractions run in `kernels`, so optimising
    // the remaining element-wise loops gains less than it costs (on a 24M
    // MLP, level 2 compiles for 0.9 s, level 0 for 0.3 s; each batch runs
    // as fast).
    // SAFETY: `owned` is a live builtin.module (it came from one), lowered to
    // the LLVM dialect; `lib_refs` holds that many NUL-terminated paths,
    // which outlive the call. The engine copies what it needs of the module.
    let engine = unsafe {
        mlirExecutionEngineCreate(mlirModuleFromOperation(owned.op().0), 0, lib_refs.len() as i32, lib_refs.as_ptr(), false, false)
    };
    if engine.ptr.is_null() {
        return Err(Error::Ir { location: None, message: "could not create the execution engine".into() });
    }
    for w in externals {
        // SAFETY: live engine; the weight's bytes live in the context, which
        // outlives the engine (destroyed below), and the code only reads them.
        unsafe { mlirExecutionEngineRegisterSymbol(engine, ir::sref(&w.symbol), w.address as *mut c_void) };
    }
    // SAFETY: live engine; each function has the C signature its callers
    // in the lowered module use.
    unsafe {
        mlirExecutionEngineRegisterSymbol(engine, ir::sref(probes::RECORD_SYMBOL), probes::record as *mut c_void);
        mlirExecutionEngineRegisterSymbol(engine, ir::sref(kernels::MATMUL_SYMBOL), kernels::matmul as *mut c_void);
        mlirExecutionEngineRegisterSymbol(engine, ir::sref(kernels::CONV2D_SYMBOL), kernels::conv2d as *mut c_void);
    }
    let mut results: Vec<Vec<f32>> = shapes.iter().map(|s| vec![0f32; s.iter().product::<i64>() as usize]).collect();
    // Memref descriptors: allocated, aligned, offset, sizes, strides.
    let mut descs: Vec<Vec<i64>> = results
        .iter_mut()
        .zip(shapes)
        .map(|(buf, &shape)| {
            let mut d = vec![buf.as_mut_ptr() as i64, buf.as_mut_ptr() as i64, 0];
            d.extend(shape.iter().copied());
            let mut strides = vec![1i64; shape.len()];
            for k in (0..shape.len().saturating_sub(1)).rev() {
                strides[k] = strides[k + 1] * shape[k + 1];
            }
            d.extend(strides);
            d
        })
        .collect();
    let mut desc_ptrs: Vec<*mut i64> = descs.iter_mut().map(|d| d.as_mut_ptr()).collect();
    let mut args: Vec<*mut c_void> = desc_ptrs.iter_mut().map(|p| p as *mut *mut i64 as *mut c_void).collect();
    // SAFETY: `@mcprune_entry` takes one memref descriptor per output, in
    // this order, and the packed interface one pointer to each; every
    // descriptor describes a live buffer of its output's static shape, and
    // buffers, descriptors and pointers all outlive the call.
    let ok = unsafe { mlirExecutionEngineInvokePacked(engine, ir::sref("mcprune_entry"), args.as_mut_ptr()) };
    // SAFETY: created above, used by nothing after this.
    unsafe { mlirExecutionEngineDestroy(engine) };
    if ok.value == 0 {
        return Err(Error::Ir { location: None, message: "running the model failed".into() });
    }
    Ok(results)
}

/// Largest absolute difference, and the largest magnitude of `b`.
pub fn max_abs_diff(a: &[f32], b: &[f32]) -> (f32, f32) {
    let diff = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
    let scale = b.iter().map(|y| y.abs()).fold(0f32, f32::max);
    (diff, scale)
}

/// Reads `{"inputs": [{"shape", "data"}], "outputs": [...]}` (the fixtures'
/// `NAME.io.json`) or the held-out data (`inputs` only).
pub fn read_tensors(json: &serde_json::Value, key: &str) -> Vec<Tensor> {
    json[key]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|t| Tensor {
                    shape: t["shape"].as_array().map(|s| s.iter().filter_map(|d| d.as_i64()).collect()).unwrap_or_default(),
                    data: t["data"].as_array().map(|d| d.iter().filter_map(|x| x.as_f64()).map(|x| x as f32).collect()).unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}
