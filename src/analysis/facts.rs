//! What op rules say about index spaces.
//!
//! A rule looks at one op and states facts about the dims of its operands and
//! results; it never changes the IR. The analysis turns facts into coupled
//! classes (union-find) and index maps between them; the rewrite reads the
//! same facts to push channel selections through the op, so op knowledge
//! lives in the rule tables only.

use crate::ir::{Op, Value};

/// One dim of a ranked tensor value: an index space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DimRef {
    pub value: Value,
    pub dim: usize,
}

impl DimRef {
    pub fn new(value: Value, dim: usize) -> DimRef {
        DimRef { value, dim }
    }
}

/// Why an index space must keep its size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FreezeReason {
    /// An argument or result of an entry function: the model's interface.
    ModelInterface,
    /// No rule knows the op.
    UnknownOp(String),
    /// The op reduces over this dim without a weight to remove (sum, mean,
    /// max, norm statistics): removing entries would change the result.
    Reduced(String),
    /// A sliding-window (convolution, pooling) or padded dim.
    Window(String),
    /// A reshape that is neither a flatten nor an unflatten of this dim.
    Reshape(String),
    /// A dynamic size.
    Dynamic,
    /// The op reads this dim by position (`linalg.index`, `tensor.extract`).
    Positional(String),
    /// The rule knows the op but not this use of it.
    Unsupported(String),
}

impl std::fmt::Display for FreezeReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FreezeReason::ModelInterface => write!(f, "model input or output"),
            FreezeReason::UnknownOp(op) => write!(f, "no rule for '{op}'"),
            FreezeReason::Reduced(op) => write!(f, "reduced by '{op}' (a size-derived result)"),
            FreezeReason::Window(op) => write!(f, "window or padded dim of '{op}'"),
            FreezeReason::Reshape(op) => write!(f, "reshaped by '{op}' beyond a flatten"),
            FreezeReason::Dynamic => write!(f, "dynamic size"),
            FreezeReason::Positional(op) => write!(f, "read by position in '{op}'"),
            FreezeReason::Unsupported(why) => write!(f, "{why}"),
        }
    }
}

/// Where the element count of a sum appears as a constant that turns the sum
/// into a mean (LayerNorm statistics, `mean` over channels): operand
/// `operand` of `holder` is a float constant equal to the count
/// (`reciprocal: false`, a divisor) or to its inverse (a multiplier).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SizeConstant {
    pub holder: Op,
    pub operand: usize,
    pub reciprocal: bool,
    /// The holder sits in a payload region (a scalar captured by a
    /// `linalg.generic` body), outside the e-graph; otherwise the constant
    /// is a tensor operand in it.
    pub captured: bool,
}

/// A fact about index spaces, stated by an op's rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// Both dims keep the same indices.
    Same(DimRef, DimRef),
    /// `whole` holds the parts side by side, each at its offset (concat).
    Concat { whole: DimRef, parts: Vec<(DimRef, i64)> },
    /// `whole`'s index is the sum of each part's index times its stride
    /// (flatten `C x H x W` into one dim, or the reverse).
    Merge { whole: DimRef, parts: Vec<(DimRef, i64)> },
    /// `part` is `whole[offset .. offset + size(part)]` (slice, pad).
    Window { whole: DimRef, part: DimRef, offset: i64 },
    /// The dim must keep its size.
    Freeze(DimRef, FreezeReason),
    /// The op sums over `summed` (operand dims), and every use of the sum
    /// divides it by its element count through `sizes`: removing entries
    /// is a mean over fewer entries once the rewrite updates those
    /// constants. A reduction without them freezes its dims instead.
    Normalized { summed: Vec<DimRef>, sizes: Vec<SizeConstant> },
    /// A contraction or convolution result dim indexed by one operand only:
    /// when that operand is a weight, this is an output channel (a group root).
    Produces { result: DimRef, operand: usize },
}

/// Facts of one op, and the op's kind for the analysis.
#[derive(Clone, Debug, Default)]
pub struct OpFacts {
    pub facts: Vec<Fact>,
    /// Results that are splats of any shape (`tensor.empty`, `linalg.fill`,
    /// splat constants): they are rebuilt at whatever shape a use needs, so
    /// they couple nothing.
    pub splat_results: bool,
    /// The op is a constant (its value is weight data when it is a float,
    /// non-splat elements attribute).
    pub constant: bool,
    /// The op contracts or convolves (a "layer" when an operand is a weight).
    pub contraction: bool,
    /// Extent of each loop of a loop-nest op (from the shapes; 0 unknown,
    /// [`crate::ir::DYNAMIC`] dynamic): a contraction costs `2 * product`
    /// FLOPs, a dynamic loop (a batch of any size) counting 1, so a model
    /// with a dynamic batch is counted per sample.
    pub loops: Vec<i64>,
}

impl OpFacts {
    /// Multiply-accumulate FLOPs of a contraction or convolution (0 otherwise).
    pub fn flops(&self) -> u64 {
        if !self.contraction || self.loops.is_empty() || self.loops.contains(&0) {
            return 0;
        }
        2 * self.loops.iter().map(|&l| l.max(1) as u64).product::<u64>()
    }
}

/// Where an op's dims come from in a loop nest: a linalg indexing map or
/// the equivalent a rule writes for a TOSA op.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Exactly loop `d`.
    Loop(usize),
    /// A size-1 or constant index: not coupled.
    Broadcast,
    /// A combination of loops (`oh * stride + kh`): a window dim.
    Compound,
}

/// Loop-nest semantics of an op (element-wise ops, contractions,
/// convolutions, transposes, broadcasts).
pub struct Indexing<'a> {
    pub op: Op,
    pub num_loops: usize,
    /// Per operand: its dims' accesses, or `None` for an operand that is not
    /// data (a scalar, a shape, a zero point).
    pub operands: Vec<Option<Vec<Access>>>,
    pub results: Vec<Vec<Access>>,
    /// The op multiplies and accumulates over its reduction loops (a
    /// contraction or convolution); otherwise reduction loops are frozen.
    pub contraction: bool,
    /// Trailing operands that are the results' initial values (linalg
    /// `outs`); they are indexed like the results.
    pub inits: usize,
    /// For convolutions: the filter operand, whose loops name output channels.
    pub filter: Option<usize>,
    /// For a plain sum whose uses turn it into a mean: the constants that
    /// hold its element count. Its reduction loops are then `Normalized`
    /// rather than frozen.
    pub normalized: Option<Vec<SizeConstant>>,
    pub name: &'a str,
}

impl Indexing<'_> {
    /// The extent of every loop: the largest static size of a dim it
    /// indexes, or dynamic when it indexes only dynamic dims.
    fn loop_extents(&self) -> Vec<i64> {
        let op = self.op;
        let mut extents = vec![0i64; self.num_loops];
        let accesses = self
            .operands
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.as_ref().map(|a| (op.operand(i), a)))
            .chain(self.results.iter().enumerate().map(|(i, a)| (op.result(i), a)));
        for (v, acc) in accesses {
            let Some(shape) = v.ty().shape() else { continue };
            for (d, a) in acc.iter().enumerate() {
                match (a, shape.get(d)) {
                    (Access::Loop(l), Some(Some(n))) => extents[*l] = extents[*l].max(*n),
                    (Access::Loop(l), Some(None)) if extents[*l] == 0 => extents[*l] = crate::ir::DYNAMIC,
                    _ => {}
                }
            }
        }
        extents
    }

    /// States the facts of the loop nest.
    pub fn facts(&self, out: &mut OpFacts) {
        let op = self.op;
        let mut by_loop: Vec<Vec<DimRef>> = vec![Vec::new(); self.num_loops];
        let mut in_result = vec![false; self.num_loops];
        let mut in_operand: Vec<Vec<usize>> = vec![Vec::new(); self.num_loops];
        for (i, acc) in self.operands.iter().enumerate() {
            let Some(acc) = acc else { continue };
            for (d, a) in acc.iter().enumerate() {
                let r = DimRef::new(op.operand(i), d);
                match a {
                    Access::Loop(l) => {
                        by_loop[*l].push(r);
                        in_operand[*l].push(i);
                    }
                    Access::Compound => out.facts.push(Fact::Freeze(r, FreezeReason::Window(self.name.into()))),
                    Access::Broadcast => {}
                }
            }
        }
        for (i, acc) in self.results.iter().enumerate() {
            for (d, a) in acc.iter().enumerate() {
                let r = DimRef::new(op.result(i), d);
                match a {
                    Access::Loop(l) => {
                        by_loop[*l].push(r);
                        in_result[*l] = true;
                    }
                    Access::Compound => out.facts.push(Fact::Freeze(r, FreezeReason::Window(self.name.into()))),
                    Access::Broadcast => {}
                }
            }
        }
        let num_inputs = self.operands.len() - self.inits;
        out.loops = self.loop_extents();
        let mut summed = Vec::new();
        for l in 0..self.num_loops {
            let dims = &by_loop[l];
            for w in dims.windows(2) {
                out.facts.push(Fact::Same(w[0], w[1]));
            }
            if !in_result[l] {
                // A reduction loop: a contraction removes matching entries of
                // all its operands; anything else (sum, mean, max) must keep it.
                let distinct_inputs = {
                    let mut v: Vec<usize> = in_operand[l].iter().copied().filter(|&k| k < num_inputs).collect();
                    v.sort_unstable();
                    v.dedup();
                    v.len()
                };
                if self.normalized.is_some() {
                    summed.extend(dims.iter().copied());
                } else if !(self.contraction && distinct_inputs >= 2) {
                    for r in dims {
                        out.facts.push(Fact::Freeze(*r, FreezeReason::Reduced(self.name.into())));
                    }
                }
            }
        }
        if let Some(sizes) = &self.normalized {
            out.facts.push(Fact::Normalized { summed, sizes: sizes.clone() });
        }
        if self.contraction {
            // Output channels: result dims whose loop is indexed by a single
            // input (the weight of a layer), or by the filter of a convolution.
            for (i, acc) in self.results.iter().enumerate() {
                for (d, a) in acc.iter().enumerate() {
                    let Access::Loop(l) = a else { continue };
                    let inputs: Vec<usize> = in_operand[*l].iter().copied().filter(|&k| k < num_inputs).collect();
                    let operand = match self.filter {
                        Some(f) if inputs.contains(&f) => Some(f),
                        Some(_) => None,
                        None if inputs.len() == 1 => Some(inputs[0]),
                        None => None,
                    };
                    if let Some(operand) = operand {
                        out.facts.push(Fact::Produces { result: DimRef::new(op.result(i), d), operand });
                    }
                }
            }
        }
    }
}
