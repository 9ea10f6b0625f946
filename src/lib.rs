//! mcprune: component-aware structured pruning of neural networks in MLIR.
//!
//! The modules follow the data flow of `mcprune-opt --component-prune`:
//!
//! 1. [`driver`] parses the input (text or bytecode) and runs the pass
//!    pipeline, verifying after every pass and printing the result;
//! 2. [`normalize`] rewrites what an exporter's lowering hides from the
//!    analysis into equivalent ops it can follow (TOSA's flat gathers);
//! 3. [`tag`] assigns every op to a component (encoder, dynamics, ...);
//! 4. [`analysis`] finds which tensor dims must lose the same channels,
//!    from one rule table per dialect ([`analysis::rules`]);
//! 5. [`group`] turns those dims into DepGraph groups, split at component
//!    boundaries;
//! 6. [`select`] ranks channels (weight magnitude or calibration
//!    statistics) and chooses what each group loses: a [`select::PrunePlan`];
//! 7. [`rewrite`] applies the plan: compensation of consumers, then removal
//!    by equality saturation, or masking;
//! 8. [`report`] describes components, groups and what went, in the JSON
//!    format of the design (versioned).
//!
//! [`pipeline`] is that flow as a straight line of named phases, which the
//! passes ([`passes`], one file each under `passes/`) call. [`ir`] is the
//! thin, safe layer over MLIR's C API that every phase reads and writes
//! through; [`error`], [`output`] and [`parallel`] (threads for dense
//! products) are shared by all. [`gen`] writes test models (`mcprune-gen`,
//! the random models of the property test).

pub mod ir;
pub mod driver;
pub mod normalize;
pub mod tag;
pub mod analysis;
pub mod group;
pub mod select;
pub mod rewrite;
pub mod report;
pub mod pipeline;

#[path = "../passes/mod.rs"]
pub mod passes;

pub mod error;
pub mod output;
pub mod parallel;
pub mod gen;

pub use error::{Error, Result};
