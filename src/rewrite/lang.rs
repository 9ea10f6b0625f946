//! The term language of the rewrite: original ops applied to operands, and
//! channel selections.
//!
//! ```text
//! (op o12 x y)        op #12 of the function applied to operand classes x, y
//! (op t12 x y)        op #12 (a call, loop or branch) with the plan's result types
//! (res r1 x)          result 1 of a multi-result op
//! (take s3 d1 x)      x restricted to the kept indices s3 along dim 1
//! a7 / p7             block argument 7, as given / with its pruned type
//! k2                  folded constant 2: a weight or splat already sliced
//! (op w3 x)           a slice rebuilt at the new offsets and sizes of window 3
//! (perm q1 x)         x's channels in the order of shuffle 1 (a channel
//!                     shuffle's kept channels, rebuilt as slices and a concat)
//! ```

use egg::{define_language, Id};
use std::fmt;
use std::str::FromStr;

/// Leaves: references into the tables of [`super::Prune`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Leaf {
    /// An op of the function, by index in [`crate::analysis::Dependencies::ops`].
    Op(u32),
    /// A call, loop or branch, by op index, whose results take the plan's
    /// types. A leaf of its own so that the retyped op never shares an
    /// e-class with the original when its operands are unchanged: a callee
    /// can prune a result that its caller passes nothing pruned into.
    Retyped(u32),
    /// A kept-index list.
    Sel(u32),
    /// A dim number.
    Dim(u32),
    /// A result number.
    Res(u32),
    /// A block argument (value id).
    Arg(u32),
    /// A block argument with the plan's pruned type (value id).
    PrunedArg(u32),
    /// A folded constant.
    Fold(u32),
    /// A slice rebuilt at new offsets and sizes, by index in
    /// [`super::prune::Prune::windows`].
    Rewindowed(u32),
    /// A reordering of kept channels, by index in
    /// [`super::prune::Prune::shuffles`].
    Shuffle(u32),
}

impl fmt::Display for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (p, n) = match self {
            Leaf::Op(n) => ('o', n),
            Leaf::Retyped(n) => ('t', n),
            Leaf::Sel(n) => ('s', n),
            Leaf::Dim(n) => ('d', n),
            Leaf::Res(n) => ('r', n),
            Leaf::Arg(n) => ('a', n),
            Leaf::PrunedArg(n) => ('p', n),
            Leaf::Fold(n) => ('k', n),
            Leaf::Rewindowed(n) => ('w', n),
            Leaf::Shuffle(n) => ('q', n),
        };
        write!(f, "{p}{n}")
    }
}

impl FromStr for Leaf {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut chars = s.chars();
        let p = chars.next().ok_or("empty leaf")?;
        let n: u32 = chars.as_str().parse().map_err(|_| format!("'{s}' is not a leaf"))?;
        Ok(match p {
            'o' => Leaf::Op(n),
            't' => Leaf::Retyped(n),
            's' => Leaf::Sel(n),
            'd' => Leaf::Dim(n),
            'r' => Leaf::Res(n),
            'a' => Leaf::Arg(n),
            'p' => Leaf::PrunedArg(n),
            'k' => Leaf::Fold(n),
            'w' => Leaf::Rewindowed(n),
            'q' => Leaf::Shuffle(n),
            _ => return Err(format!("'{s}' is not a leaf")),
        })
    }
}

define_language! {
    /// Tensor programs with channel selections.
    pub enum Tensor {
        "op" = Op(Box<[Id]>),
        "res" = Res([Id; 2]),
        "take" = Take([Id; 3]),
        "perm" = Perm([Id; 2]),
        Leaf(Leaf),
    }
}
