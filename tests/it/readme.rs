//! The README's set-up commands are the ones CI and users run.

use std::path::PathBuf;

fn read(rel: &str) -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)).expect(rel)
}

#[test]
fn ci_runs_the_readme_test_command() {
    let ci = read(".ci/run");
    let command = ci.lines().last().expect(".ci/run has a command").trim();
    let readme = read("README.md");
    let first_block = readme.split("```sh").nth(1).and_then(|b| b.split("```").next()).expect("README opens with a sh block");
    let commands: Vec<&str> = first_block.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).collect();
    assert_eq!(commands.len(), 2, "README opens with two commands: {commands:?}");
    assert_eq!(commands[1], command, "README's test command and .ci/run differ");
}
