//! Channel dependency analysis: which dims must lose the same channels.
//!
//! Every dim of every ranked tensor value is an index space. Op rules
//! ([`rules`]) state facts about the spaces of one op; here they become
//! coupled classes (union-find over `Same` facts) and a graph of index maps
//! between classes (`Concat`, `Merge`, `Window` facts), held in petgraph.
//! Calls, returns and `scf` loops couple values across regions; the entry
//! functions' arguments and results are the model's interface and frozen.
//!
//! [`Dependencies::run`] is the analysis as a line of phases, one file each:
//! `collect.rs` numbers ops and values, `structural.rs` adds the facts of
//! calls, loops and function boundaries, `classify.rs` finds constants,
//! weights and layers, and `classes.rs` unites spaces into classes.
//!
//! The analysis only reads the IR. Grouping ([`crate::group`]) and the
//! rewrite consume what it records, through the accessors below.

pub mod facts;
pub mod ids;
pub mod rules;
pub(crate) mod union_find;

mod classes;
mod classify;
mod collect;
mod structural;

use crate::ir::{Op, Value};
use facts::{DimRef, FreezeReason, OpFacts, SizeConstant};
pub use ids::{ClassId, DenseId, IdVec, OpId, SpaceId, ValueId, WeightId};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeSet, HashMap};

/// A ranked tensor value and its index spaces.
#[derive(Clone, Debug)]
pub struct ValueInfo {
    pub value: Value,
    /// Dim sizes (`-1` for dynamic).
    pub shape: Vec<i64>,
    /// The space of dim 0; dim `d` is the `d`-th space after it.
    first_space: SpaceId,
    /// The op defining it, if an op result.
    pub def: Option<OpId>,
    /// Rebuilt at any shape (empties, fills, splats): couples nothing.
    pub splat: bool,
    /// Computed from constants only.
    pub constant: bool,
    /// Computed from constants including weight data: a view of weights.
    pub weight_view: bool,
}

impl ValueInfo {
    /// The index space of dim `dim` (which must be below the rank).
    pub fn space(&self, dim: usize) -> SpaceId {
        debug_assert!(dim < self.shape.len());
        SpaceId::new(self.first_space.index() + dim)
    }
}

/// An index map between spaces.
#[derive(Clone, Debug)]
pub enum Relation {
    /// `whole` holds each part at an offset.
    Concat { whole: SpaceId, parts: Vec<(SpaceId, i64)> },
    /// `whole`'s index is the sum of part index times stride.
    Merge { whole: SpaceId, parts: Vec<(SpaceId, i64)> },
    /// `part` is `whole[offset ..]`.
    Window { whole: SpaceId, part: SpaceId, offset: i64 },
}

/// Why a class is frozen, and which op said so.
#[derive(Clone, Debug)]
pub struct Frozen {
    pub reason: FreezeReason,
    pub op: Option<OpId>,
}

/// One freeze as found: the op that stated it (none for a function
/// boundary), the space and why.
#[derive(Clone, Debug)]
pub struct Freeze {
    pub op: Option<OpId>,
    pub space: SpaceId,
    pub reason: FreezeReason,
}

/// A weight constant: a float, non-splat elements attribute.
#[derive(Clone, Debug)]
pub struct Weight {
    pub op: OpId,
    pub value: ValueId,
    pub elements: u64,
}

/// One use of an analysed tensor inside a payload: operand `operand` of
/// `inner`, an op nested in the payload of op `op`.
#[derive(Clone, Copy, Debug)]
pub struct PayloadCapture {
    pub op: OpId,
    pub inner: Op,
    pub operand: usize,
    pub value: ValueId,
    /// `op` copies the captured tensor unchanged (a gather of every
    /// element at its own position): the rewrite reads the tensor itself.
    pub copy: bool,
}

/// A mean over `summed` (a sum divided by its element count), computed by
/// `op`; `sizes` hold the count.
#[derive(Clone, Debug)]
pub struct Normalization {
    pub op: OpId,
    pub summed: Vec<SpaceId>,
    pub sizes: Vec<SizeConstant>,
}

/// A class of coupled spaces.
#[derive(Clone, Debug)]
struct Class {
    /// Its spaces, ascending.
    spaces: Vec<SpaceId>,
    /// The size all its spaces have.
    size: i64,
    /// The first freeze found.
    frozen: Option<Frozen>,
    /// (op, space) pairs that make it a group root: output channels of
    /// weight-bearing contractions and convolutions.
    roots: Vec<(OpId, SpaceId)>,
    node: NodeIndex,
}

/// The channel dependencies of one module.
pub struct Dependencies {
    /// Ops in program order (payload regions excluded), and their facts.
    ops: IdVec<OpId, Op>,
    op_facts: IdVec<OpId, OpFacts>,
    op_index: HashMap<Op, OpId>,
    values: IdVec<ValueId, ValueInfo>,
    value_index: HashMap<Value, ValueId>,
    /// Space -> (value, dim).
    space_owner: IdVec<SpaceId, (ValueId, usize)>,
    class_of: IdVec<SpaceId, ClassId>,
    classes: IdVec<ClassId, Class>,
    relations: Vec<Relation>,
    /// Classes as nodes; an edge part -> whole per relation part, weighted
    /// by the relation's index.
    class_graph: DiGraph<ClassId, usize>,
    weights: IdVec<WeightId, Weight>,
    weight_by_op: HashMap<OpId, WeightId>,
    /// Ops that combine activations with weights (contractions,
    /// convolutions, bias adds, normalisation affines): DepGraph's layers.
    layer_ops: BTreeSet<OpId>,
    /// Every freeze, for the report.
    freezes: Vec<Freeze>,
    normalizations: Vec<Normalization>,
    payload_captures: Vec<PayloadCapture>,
}

impl Dependencies {
    /// Runs the analysis on a module. Never changes the IR.
    pub fn run(module: Op) -> Dependencies {
        let mut collected = collect::collect(module);
        let facts = structural::all_facts(&collected);
        let kinds = classify::classify(&mut collected, &facts);
        classes::unite(collected, facts, kinds)
    }

    // Ops.

    pub fn ops(&self) -> &IdVec<OpId, Op> {
        &self.ops
    }

    pub fn op(&self, id: OpId) -> Op {
        self.ops[id]
    }

    pub fn op_id(&self, op: Op) -> Option<OpId> {
        self.op_index.get(&op).copied()
    }

    pub fn facts(&self, id: OpId) -> &OpFacts {
        &self.op_facts[id]
    }

    pub fn all_facts(&self) -> &IdVec<OpId, OpFacts> {
        &self.op_facts
    }

    /// Whether the op combines activations with weights.
    pub fn is_layer_op(&self, id: OpId) -> bool {
        self.layer_ops.contains(&id)
    }

    // Values and spaces.

    pub fn values(&self) -> &IdVec<ValueId, ValueInfo> {
        &self.values
    }

    pub fn value(&self, id: ValueId) -> &ValueInfo {
        &self.values[id]
    }

    pub fn value_id(&self, v: Value) -> Option<ValueId> {
        self.value_index.get(&v).copied()
    }

    /// The analysed value `v`, if it is a ranked tensor.
    pub fn value_info(&self, v: Value) -> Option<&ValueInfo> {
        self.value_id(v).map(|id| &self.values[id])
    }

    /// Whether `v` is a view of weight data.
    pub fn is_weight_view(&self, v: Value) -> bool {
        self.value_info(v).is_some_and(|i| i.weight_view)
    }

    pub fn num_spaces(&self) -> usize {
        self.space_owner.len()
    }

    pub fn space(&self, d: DimRef) -> Option<SpaceId> {
        let info = self.value_info(d.value)?;
        (d.dim < info.shape.len()).then(|| info.space(d.dim))
    }

    /// The value and dim of a space.
    pub fn space_owner(&self, s: SpaceId) -> (ValueId, usize) {
        self.space_owner[s]
    }

    pub fn dim_ref(&self, s: SpaceId) -> DimRef {
        let (v, d) = self.space_owner[s];
        DimRef::new(self.values[v].value, d)
    }

    /// The size of a space.
    pub fn space_size(&self, s: SpaceId) -> i64 {
        let (v, d) = self.space_owner[s];
        self.values[v].shape[d]
    }

    // Classes.

    pub fn num_classes(&self) -> usize {
        self.classes.len()
    }

    pub fn class_ids(&self) -> impl DoubleEndedIterator<Item = ClassId> + ExactSizeIterator {
        self.classes.ids()
    }

    pub fn class(&self, d: DimRef) -> Option<ClassId> {
        self.space(d).map(|s| self.class_of[s])
    }

    pub fn class_of(&self, s: SpaceId) -> ClassId {
        self.class_of[s]
    }

    /// The class of dim `dim` of value `v`.
    pub fn class_of_dim(&self, v: ValueId, dim: usize) -> ClassId {
        self.class_of[self.values[v].space(dim)]
    }

    pub fn class_spaces(&self, c: ClassId) -> &[SpaceId] {
        &self.classes[c].spaces
    }

    pub fn class_size(&self, c: ClassId) -> i64 {
        self.classes[c].size
    }

    pub fn frozen(&self, c: ClassId) -> Option<&Frozen> {
        self.classes[c].frozen.as_ref()
    }

    /// The (op, space) pairs that produce the class's channels from a
    /// weight: where a group is rooted.
    pub fn roots(&self, c: ClassId) -> &[(OpId, SpaceId)] {
        &self.classes[c].roots
    }

    pub fn class_graph(&self) -> &DiGraph<ClassId, usize> {
        &self.class_graph
    }

    pub fn class_node(&self, c: ClassId) -> NodeIndex {
        self.classes[c].node
    }

    pub fn relations(&self) -> &[Relation] {
        &self.relations
    }

    // Weights and what the rewrite needs.

    pub fn weights(&self) -> &IdVec<WeightId, Weight> {
        &self.weights
    }

    pub fn weight(&self, w: WeightId) -> &Weight {
        &self.weights[w]
    }

    /// The weight an op (a constant) defines.
    pub fn weight_of_op(&self, op: OpId) -> Option<WeightId> {
        self.weight_by_op.get(&op).copied()
    }

    /// The weight constant a value views: itself, or through ops with a
    /// single weight-view operand (transposes, reshapes, broadcasts).
    pub fn weight_behind(&self, mut v: Value) -> Option<WeightId> {
        // Views are short chains; the bound keeps a malformed cycle finite.
        for _ in 0..16 {
            let info = self.value_info(v)?;
            if !info.weight_view {
                return None;
            }
            let def = info.def?;
            if let Some(w) = self.weight_of_op(def) {
                return Some(w);
            }
            let mut views = self.ops[def].operands().filter(|x| self.is_weight_view(*x));
            v = views.next()?;
            if views.next().is_some() {
                return None;
            }
        }
        None
    }

    pub fn freezes(&self) -> &[Freeze] {
        &self.freezes
    }

    pub fn normalizations(&self) -> &[Normalization] {
        &self.normalizations
    }

    pub fn payload_captures(&self) -> &[PayloadCapture] {
        &self.payload_captures
    }
}
