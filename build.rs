//! Builds `csrc/shim.cpp`, the few C entry points the MLIR 22 C API lacks.
//! MLIR itself is linked by `mlir-sys` (statically); the shim only adds code
//! compiled against the same headers.

fn main() {
    let prefix = std::env::var("MLIR_SYS_220_PREFIX").unwrap_or_else(|_| "/usr/lib/llvm-22".into());
    println!("cargo:rerun-if-changed=csrc/shim.cpp");
    println!("cargo:rerun-if-env-changed=MLIR_SYS_220_PREFIX");
    cc::Build::new()
        .cpp(true)
        .file("csrc/shim.cpp")
        .include(format!("{prefix}/include"))
        .flag("-std=c++17")
        // LLVM is built without RTTI or exceptions; match it so no typeinfo
        // symbols are referenced that the static MLIR libraries do not have.
        .flag("-fno-rtti")
        .flag("-fno-exceptions")
        .flag_if_supported("-Wno-unused-parameter")
        .warnings(false)
        .compile("mcprune_shim");
}
