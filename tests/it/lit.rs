//! Runs the lit + FileCheck regression suite under `lit/` with the binary
//! cargo just built, so `cargo test` covers both layers.

use std::path::PathBuf;
use std::process::Command;

const LIT: &str = "/usr/lib/llvm-22/bin/lit";

#[test]
fn lit_suite_passes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let binary = env!("CARGO_BIN_EXE_mcprune-opt");
    let output = Command::new(LIT)
        .arg("-sv")
        .arg(format!("--param=mcprune_opt={binary}"))
        .arg(root.join("lit"))
        .output()
        .unwrap_or_else(|e| panic!("could not run {LIT} (run scripts/setup.sh first): {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "lit failed:\n{stdout}\n{stderr}");
    // lit exits 0 with no tests found; insist the suite really ran.
    assert!(stdout.contains("Passed"), "lit ran no tests:\n{stdout}\n{stderr}");
}
