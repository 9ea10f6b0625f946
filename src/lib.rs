//! mcprune: component-aware structured pruning of neural networks in MLIR.
//!
//! The library holds everything the `mcprune-opt` binary does: IR access
//! ([`ir`]), components ([`component`]), the passes ([`passes`], one file
//! each under `passes/`), and the mlir-opt-style driver ([`driver`]).

pub mod calibrate;
pub mod component;
pub mod deps;
pub mod driver;
pub mod error;
pub mod exec;
pub mod groups;
pub mod importance;
pub mod output;
pub mod plan;
pub mod report;
pub mod rewrite;
pub mod ir;

#[path = "../passes/mod.rs"]
pub mod passes;

pub use error::{Error, Result};
