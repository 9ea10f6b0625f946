//! Running a model on the CPU: lower a copy of the module to the LLVM
//! dialect (TOSA first to linalg) and call `@main` through MLIR's
//! ExecutionEngine, in process. Used by the numeric tests (pruned against
//! masked, ratio 0 against PyTorch) and the fidelity benchmark.
//!
//! The inputs become constants of a wrapper `@mcprune_entry` that calls
//! `@main` and writes each result into a caller-provided buffer.

use crate::error::{Error, Result};
use crate::ir::{self, f32_tensor_type, Op, OwnedOp, Value, ValueDef};
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
pub const LINALG_TO_LLVM: &str = "func.func(linalg-generalize-named-ops), one-shot-bufferize{bufferize-function-boundaries \
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

/// The model's entry function, `@main`.
pub fn main_function(module: Op) -> Result<Op> {
    module
        .nested_ops()
        .into_iter()
        .find(|o| o.name() == "func.func" && o.symbol_name() == Some("main"))
        .ok_or_else(|| Error::Ir { location: None, message: "the module has no @main".into() })
}

/// Runs `@main` of (a copy of) `module` on `inputs`; returns its results.
/// The module must take and return static-shaped f32 tensors.
pub fn run(module: Op, inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut all = run_sets(module, std::slice::from_ref(&inputs.to_vec()))?;
    Ok(all.pop().unwrap_or_default())
}

/// Runs `@main` of a copy of `module` on `inputs`, with `values` (computed
/// at the top level of `@main`) appended to its results; returns what they
/// held. The module itself is not changed.
pub fn run_returning(module: Op, values: &[Value], inputs: &[Tensor]) -> Result<Vec<Tensor>> {
    let main = main_function(module)?;
    let body = main.region(0).first_block().ok_or_else(|| Error::ir(main.location(), "@main has no body"))?;
    let ret = body.terminator().ok_or_else(|| Error::ir(main.location(), "@main has no return"))?;
    let copy = module.clone_owned();
    let copy_main = main_function(copy.op())?;
    let copy_body = copy_main.region(0).first_block().ok_or_else(|| Error::ir(main.location(), "copy lost @main"))?;
    // Ops of the copy in the same order as the original's top level.
    let originals: Vec<Op> = body.ops().collect();
    let copies: Vec<Op> = copy_body.ops().collect();
    let copy_ret = copy_body.terminator().ok_or_else(|| Error::ir(main.location(), "copy lost return"))?;
    let mut new_operands: Vec<Value> = copy_ret.operands().collect();
    for &v in values {
        let mapped = match v.def() {
            ValueDef::Result(op, r) => originals.iter().position(|o| *o == op).map(|i| copies[i].result(r)),
            ValueDef::Argument(b, i) if b == body => Some(copy_body.argument(i)),
            ValueDef::Argument(..) => None,
        };
        new_operands.push(mapped.ok_or_else(|| Error::ir(ret.location(), "a value to return is not at the top level of @main"))?);
    }
    let first_extra = copy_ret.num_operands();
    let new_ret = Op::new_detached("func.return", copy_ret.location(), &new_operands);
    new_ret.insert_before(copy_ret);
    // SAFETY: the old return has no results, and no handle to it is used
    // after this (`copies` still lists it but is not read again).
    unsafe { copy_ret.erase() };
    copy_main.update_function_type();
    let mut outputs = run(copy.op(), inputs)?;
    Ok(outputs.split_off(first_extra))
}

/// Runs `@main` once per input set, compiling the module once (lowering
/// and JIT compilation cost far more than a call); returns the results of
/// each set in order.
pub fn run_sets(module: Op, sets: &[Vec<Tensor>]) -> Result<Vec<Vec<Tensor>>> {
    let (arg_shapes, out_shapes) = main_signature(module)?;
    check_inputs(module, &arg_shapes, sets)?;
    let owned = module.clone_owned();
    add_entry(module, &owned, &wrapper_text(&arg_shapes, &out_shapes, sets))?;
    lower_to_llvm(&owned)?;
    let all_shapes: Vec<&Vec<i64>> = sets.iter().flat_map(|_| out_shapes.iter()).collect();
    let results = invoke_entry(&owned, &all_shapes)?;
    drop(owned);
    let mut tensors = results.into_iter().zip(all_shapes).map(|(data, shape)| Tensor { shape: shape.clone(), data });
    Ok(sets.iter().map(|_| tensors.by_ref().take(out_shapes.len()).collect()).collect())
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
fn wrapper_text(arg_shapes: &[Vec<i64>], out_shapes: &[Vec<i64>], sets: &[Vec<Tensor>]) -> String {
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
            "    {def} = func.call @main({}) : ({}) -> ({})\n",
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
        "module {{\n  func.func private @main({}) -> ({})\n  func.func @mcprune_entry({}) attributes {{llvm.emit_c_interface}} {{\n{body}    return\n  }}\n}}\n",
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

/// Lowers the copy to the LLVM dialect (TOSA first to linalg).
fn lower_to_llvm(owned: &OwnedOp) -> Result<()> {
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
    // SAFETY: as above.
    unsafe { run_pipeline(owned.op(), LINALG_TO_LLVM) }
}

/// JIT-compiles the lowered module and calls `@mcprune_entry` with one
/// buffer per output shape; returns the buffers.
fn invoke_entry(owned: &OwnedOp, shapes: &[&Vec<i64>]) -> Result<Vec<Vec<f32>>> {
    // memrefCopy and friends live in MLIR's C runner utilities.
    let libs: Vec<String> = RUNNER_LIBS.iter().filter(|p| std::path::Path::new(p).exists()).map(|p| format!("{p}\0")).collect();
    let lib_refs: Vec<MlirStringRef> = libs.iter().map(|l| MlirStringRef { data: l.as_ptr() as *const _, length: l.len() - 1 }).collect();
    // SAFETY: `owned` is a live builtin.module (it came from one), lowered to
    // the LLVM dialect; `lib_refs` holds that many NUL-terminated paths,
    // which outlive the call. The engine copies what it needs of the module.
    let engine = unsafe {
        mlirExecutionEngineCreate(mlirModuleFromOperation(owned.op().0), 2, lib_refs.len() as i32, lib_refs.as_ptr(), false, false)
    };
    if engine.ptr.is_null() {
        return Err(Error::Ir { location: None, message: "could not create the execution engine".into() });
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
