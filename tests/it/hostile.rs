//! Hostile input files: truncated (a partial copy, a full disk), with a
//! flipped bit, or random bytes, as text and as bytecode. Whatever the
//! file, `mcprune-opt` exits 0 with output that parses again, or exits 1
//! with a diagnostic and writes nothing: never a panic, a crash or a
//! partial output file.

use crate::common::fixture;
use std::path::{Path, PathBuf};
use std::process::Command;

const OPT: &str = env!("CARGO_BIN_EXE_mcprune-opt");

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("mcprune-hostile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Deterministic bytes and positions (xorshift).
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Truncations (inside the ops, inside the resource blobs, one byte
/// short), single bit flips, and a file of random bytes.
fn variants(original: &[u8], noise: &mut Noise) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for per_mille in [100, 500, 900, 970, 999] {
        let cut = original.len() * per_mille / 1000;
        out.push((format!("truncated at {cut} bytes"), original[..cut].to_vec()));
    }
    out.push(("one byte short".into(), original[..original.len() - 1].to_vec()));
    for _ in 0..8 {
        let (at, bit) = (noise.below(original.len()), noise.below(8));
        let mut flipped = original.to_vec();
        flipped[at] ^= 1 << bit;
        out.push((format!("bit {bit} of byte {at} flipped"), flipped));
    }
    out.push(("random bytes".into(), (0..4096).map(|_| noise.next() as u8).collect()));
    out
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(OPT).args(args).output().expect("mcprune-opt runs")
}

/// The outcome rule for one input file.
fn check(what: &str, input: &Path, output: &Path) -> Result<(), String> {
    let _ = std::fs::remove_file(output);
    let result = run(&["--component-prune=ratio=0.4", &input.display().to_string(), "-o", &output.display().to_string()]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    match result.status.code() {
        _ if stderr.contains("panicked") => Err(format!("{what}: a panic: {stderr}")),
        Some(0) => {
            let again = run(&[&output.display().to_string(), "-o", "/dev/null"]);
            again.status.success().then_some(()).ok_or_else(|| format!("{what}: exit 0, but the output does not parse again"))
        }
        Some(1) if output.exists() => Err(format!("{what}: exit 1 with an output file left")),
        Some(1) if !stderr.contains("error") => Err(format!("{what}: exit 1 without a diagnostic")),
        Some(1) => Ok(()),
        code => Err(format!("{what}: exit {code:?} (a crash?): {}", stderr.lines().last().unwrap_or(""))),
    }
}

#[test]
fn hostile_files_are_pruned_or_refused_never_crash() {
    let scratch = Scratch::new();
    let bytecode = scratch.path("tdmpc_small.mlirbc");
    let made = run(&[&fixture("tdmpc_small.linalg.mlir"), "--emit-bytecode", "-o", &bytecode.display().to_string()]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let sources = [PathBuf::from(fixture("tdmpc_small.linalg.mlir")), PathBuf::from(fixture("res_cnn.tosa.mlir")), bytecode];
    let mut noise = Noise(0x9E37_79B9_7F4A_7C15);
    let mut failures = Vec::new();
    let mut refused = 0;
    let mut runs = 0;
    for source in &sources {
        let original = std::fs::read(source).unwrap();
        for (what, bytes) in variants(&original, &mut noise) {
            let input = scratch.path("hostile.in");
            std::fs::write(&input, &bytes).unwrap();
            let output = scratch.path("hostile.out.mlir");
            let what = format!("{} {what}", source.file_name().unwrap().to_string_lossy());
            match check(&what, &input, &output) {
                Ok(()) => refused += usize::from(!output.exists()),
                Err(m) => failures.push(m),
            }
            runs += 1;
        }
    }
    assert!(failures.is_empty(), "{} of {runs} hostile files:\n{}", failures.len(), failures.join("\n"));
    // Truncations and random bytes cannot all parse: the refusal path ran.
    assert!(refused >= 3 * 6, "only {refused} of {runs} hostile files were refused");
}
