//! Runs the lit + FileCheck regression suite under `lit/` with the binary
//! cargo just built, so `cargo test` covers both layers.

use std::path::{Path, PathBuf};
use std::process::Command;

const LIT: &str = "/usr/lib/llvm-22/bin/lit";
/// The suite had this many tests when this was written; fewer means tests
/// were lost (deleted, renamed to a suffix lit skips, excluded).
const MIN_LIT_TESTS: usize = 66;

/// Test files under `dir` as lit.cfg.py finds them: `.mlir` and `.test`,
/// outside `Inputs/` and lit's `Output/` folders.
fn test_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("lit/ is readable").flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if name != "Inputs" && name != "Output" {
                test_files(&path, out);
            }
        } else if name.ends_with(".mlir") || name.ends_with(".test") {
            out.push(path);
        }
    }
}

/// The number after `label` on a line of lit's summary.
fn summary_count(stdout: &str, label: &str) -> Option<usize> {
    stdout.lines().find_map(|l| l.trim().strip_prefix(label)).and_then(|rest| rest.split_whitespace().next()).and_then(|n| n.parse().ok())
}

#[test]
fn lit_suite_passes() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let binary = env!("CARGO_BIN_EXE_mcprune-opt");
    let mut files = Vec::new();
    test_files(&root.join("lit"), &mut files);
    assert!(files.len() >= MIN_LIT_TESTS, "only {} lit test files (at least {MIN_LIT_TESTS}): {files:?}", files.len());
    let output = Command::new(LIT)
        .arg("-sv")
        .arg(format!("--param=mcprune_opt={binary}"))
        .arg(root.join("lit"))
        .output()
        .unwrap_or_else(|e| panic!("could not run {LIT} (run scripts/setup.sh first): {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "lit failed:\n{stdout}\n{stderr}");
    // lit exits 0 with no tests found, and with tests it did not discover
    // or did not run (unsupported, excluded): every file must have passed.
    let discovered = summary_count(&stdout, "Total Discovered Tests:");
    let passed = summary_count(&stdout, "Passed:");
    assert_eq!(discovered, Some(files.len()), "lit discovered other tests than the files under lit/:\n{stdout}\n{stderr}");
    assert_eq!(passed, Some(files.len()), "not every lit test passed:\n{stdout}\n{stderr}");
}
