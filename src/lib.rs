//! mcprune: component-aware structured pruning of neural networks in MLIR.
//!
//! The library holds everything the `mcprune-opt` binary does: IR access
//! ([`ir`]), components ([`component`]), the passes ([`passes`], one file
//! each under `passes/`), and the mlir-opt-style driver ([`driver`]).

pub mod component;
pub mod deps;
pub mod driver;
pub mod error;
pub mod groups;
pub mod report;
pub mod ir;

#[path = "../passes/mod.rs"]
pub mod passes;

pub use error::{Error, Result};
