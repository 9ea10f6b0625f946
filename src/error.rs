//! The library's error type. Passes turn these into diagnostics at an op's
//! location; the driver turns diagnostics into exit codes.

use crate::ir::Location;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pass option that is unknown, malformed or out of range.
    #[error("{pass}: {message}")]
    PassOption { pass: String, message: String },

    /// A `--pass-pipeline` string that cannot be split into passes.
    #[error("malformed pass pipeline: {0}")]
    Pipeline(String),

    /// A pass name that neither mcprune nor MLIR knows.
    #[error("unknown pass '{0}'")]
    UnknownPass(String),

    /// The IR is not what the pass can work with (an op at `location`).
    #[error("{message}")]
    Ir { location: Option<Location>, message: String },

    /// Reading or writing a file.
    #[error("{path}: {message}")]
    Io { path: String, message: String },

    /// An option names a component the model does not have (`protect=`,
    /// `component-weights=`); `known` lists the model's, sorted.
    #[error("unknown component '{name}' (components: {})", known.join(", "))]
    UnknownComponent { name: String, known: Vec<String> },

    /// Weight constants whose data is not in the module (a model printed
    /// with `--mlir-elide-resource-strings-if-larger`, or a resource
    /// section cut short): pruning them would rank and count nothing.
    /// `location` is the first such constant's.
    #[error("{}", without_data_message(names))]
    WeightsWithoutData { location: Option<Location>, names: Vec<String> },

    /// Every weight-shaped constant is integer or quantized (`location`:
    /// the first one's): the passes rank and rebuild float weights only.
    #[error("{}", no_float_weights_message(names))]
    NoFloatWeights { location: Option<Location>, names: Vec<String> },
}

impl Error {
    pub fn ir(location: Location, message: impl Into<String>) -> Error {
        Error::Ir { location: Some(location), message: message.into() }
    }

    pub fn option(pass: &str, message: impl Into<String>) -> Error {
        Error::PassOption { pass: pass.to_string(), message: message.into() }
    }

    pub fn io(path: &str, err: impl std::fmt::Display) -> Error {
        Error::Io { path: path.to_string(), message: err.to_string() }
    }

    /// The error as a pass reports it: option errors found while running
    /// (a component name only the model can check) name the pass.
    pub fn in_pass(self, pass: &str) -> Error {
        match self {
            e @ Error::UnknownComponent { .. } => Error::option(pass, e.to_string()),
            e => e,
        }
    }

    /// The IR location the error is about, if any.
    pub fn location(&self) -> Option<Location> {
        match self {
            Error::Ir { location, .. }
            | Error::WeightsWithoutData { location, .. }
            | Error::NoFloatWeights { location, .. } => *location,
            _ => None,
        }
    }
}

/// The first few names, and how many more there are.
fn name_list(names: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut list = names.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    list
}

fn without_data_message(names: &[String]) -> String {
    format!(
        "{} weight constant(s) have no data in the module (elided or missing dense_resource blobs; \
         print the model without --mlir-elide-resource-strings-if-larger): {}",
        names.len(),
        name_list(names)
    )
}

fn no_float_weights_message(names: &[String]) -> String {
    format!(
        "the module has no float weights, only {} integer or quantized one(s), which are not pruned \
         (prune the float model, then quantize): {}",
        names.len(),
        name_list(names)
    )
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
