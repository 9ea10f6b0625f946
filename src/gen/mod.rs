//! Test models written as MLIR text, without torch: the emitter of
//! `mcprune-gen`'s large families ([`emit`]), the layers of the random
//! models ([`layers`]), and the random models themselves ([`random`]),
//! which the property test and the soak script prune.

pub mod emit;
pub mod layers;
pub mod random;
