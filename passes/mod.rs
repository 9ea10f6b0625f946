//! mcprune's passes: one file each, with its contract, options and `run`.
//!
//! The registry below is the single list of pass names the driver accepts
//! (`--component-tag`, `component-tag{...}` in `--pass-pipeline`). Every
//! pass runs on the top-level `builtin.module`; the driver wraps it in an
//! MLIR external pass so it runs inside the same pass manager as upstream
//! passes, shows in `--mlir-timing`, and is followed by the verifier.

pub mod component_groups;
pub mod component_prune;
pub mod component_tag;
pub mod options;

use crate::error::Result;
use crate::ir::Op;
pub use options::{OptionSpec, OptionValues};

/// A configured pass, ready to run on a module.
pub trait ModulePass: Send + Sync {
    fn run(&self, module: Op) -> Result<()>;
}

/// A registered pass: its name, options table and constructor.
pub struct PassSpec {
    pub name: &'static str,
    pub summary: &'static str,
    pub options: &'static [OptionSpec],
    /// Checks the options and builds the pass. Called before anything runs,
    /// so a bad option fails the whole invocation without output.
    pub create: fn(&OptionValues) -> Result<Box<dyn ModulePass>>,
}

/// Every mcprune pass, in the order `--help` lists them.
pub static REGISTRY: &[&PassSpec] = &[&component_tag::SPEC, &component_groups::SPEC, &component_prune::SPEC];

pub fn lookup(name: &str) -> Option<&'static PassSpec> {
    REGISTRY.iter().copied().find(|p| p.name == name)
}

/// Parses `options` for the pass `spec` and builds it.
pub fn instantiate(spec: &'static PassSpec, options: &str) -> Result<Box<dyn ModulePass>> {
    let values = OptionValues::parse(spec.name, spec.options, options)?;
    (spec.create)(&values)
}
