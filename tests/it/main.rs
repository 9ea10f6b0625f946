//! Integration tests, in one binary (each test binary links all of MLIR).

mod calibration;
mod common;
mod components;
mod lit;
mod options;
mod params;
mod readme;
mod groups;
mod hostile;
mod normalize;
pub mod numeric;
mod prune;
mod random;
