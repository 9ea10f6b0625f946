//! Channel dependency analysis: which dims must lose the same channels.
//!
//! Every dim of every ranked tensor value is an index space. Op rules
//! ([`rules`]) state facts about the spaces of one op; here they become
//! coupled classes (union-find over `Same` facts) and a graph of index maps
//! between classes (`Concat`, `Merge`, `Window` facts), held in petgraph.
//! Calls, returns and `scf` loops couple values across regions; the entry
//! functions' arguments and results are the model's interface and frozen.
//!
//! The analysis only reads the IR. Grouping ([`crate::group`]) and the
//! rewrite consume what it records.

pub mod facts;
pub mod rules;

use crate::ir::{Op, Value, ValueDef};
use facts::{DimRef, Fact, FreezeReason, OpFacts, SizeConstant};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Index of a value in [`Analysis::values`].
pub type ValueId = usize;
/// Index of an op in [`Analysis::ops`].
pub type OpId = usize;
/// Index of an index space.
pub type SpaceId = usize;
/// Index of a coupled class.
pub type ClassId = usize;

/// A ranked tensor value and its index spaces.
#[derive(Clone, Debug)]
pub struct ValueInfo {
    pub value: Value,
    /// Dim sizes (`-1` for dynamic).
    pub shape: Vec<i64>,
    pub first_space: SpaceId,
    /// The op defining it, if an op result.
    pub def: Option<OpId>,
    /// Rebuilt at any shape (empties, fills, splats): couples nothing.
    pub splat: bool,
    /// Computed from constants only.
    pub constant: bool,
    /// Computed from constants including weight data: a view of weights.
    pub weight_view: bool,
}

/// An index map between classes.
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

/// A weight constant: a float, non-splat elements attribute.
#[derive(Clone, Debug)]
pub struct Weight {
    pub op: OpId,
    pub value: ValueId,
    pub elements: u64,
}

/// Union-find with path halving.
#[derive(Clone, Debug, Default)]
struct UnionFind {
    parent: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> UnionFind {
        UnionFind { parent: (0..n).collect() }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Unites the sets; the smaller representative wins, so the result does
    /// not depend on the order of unions.
    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent[hi] = lo;
        }
    }
}

/// The dependency analysis of one module.
pub struct Analysis {
    /// Ops in program order (payload regions excluded).
    pub ops: Vec<Op>,
    pub op_facts: Vec<OpFacts>,
    pub op_index: HashMap<Op, OpId>,
    pub values: Vec<ValueInfo>,
    pub value_index: HashMap<Value, ValueId>,
    /// Space -> (value, dim).
    pub space_owner: Vec<(ValueId, usize)>,
    /// Space -> class.
    pub class_of: Vec<ClassId>,
    /// Class -> its spaces, ascending.
    pub class_spaces: Vec<Vec<SpaceId>>,
    /// Class -> size (all its spaces have it).
    pub class_size: Vec<i64>,
    /// Class -> first freeze found.
    pub frozen: Vec<Option<Frozen>>,
    /// Class -> (op, space) pairs that make it a group root: output
    /// channels of weight-bearing contractions and convolutions.
    pub roots: Vec<Vec<(OpId, SpaceId)>>,
    pub relations: Vec<Relation>,
    /// Classes as nodes; an edge part -> whole per relation part, weighted
    /// by the relation's index.
    pub class_graph: DiGraph<ClassId, usize>,
    pub class_node: Vec<NodeIndex>,
    pub weights: Vec<Weight>,
    /// Ops that combine activations with weights (contractions,
    /// convolutions, bias adds, normalisation affines): DepGraph's layers.
    pub layer_ops: BTreeSet<OpId>,
    /// Every freeze, for the report: (op, space, reason).
    pub freezes: Vec<(Option<OpId>, SpaceId, FreezeReason)>,
    /// Sums turned into means over dims that may be pruned, with the
    /// constants the rewrite updates when it prunes them.
    pub normalizations: Vec<Normalization>,
    /// Tensors read inside a payload from outside its op (`tensor.extract`
    /// of a captured value): no operand of the payload op shows the use.
    pub payload_captures: Vec<PayloadCapture>,
}

/// One use of an analysed tensor inside a payload: operand `operand` of
/// `inner`, an op nested in the payload of op `op`.
#[derive(Clone, Copy, Debug)]
pub struct PayloadCapture {
    pub op: OpId,
    pub inner: Op,
    pub operand: usize,
    pub value: ValueId,
}

/// A mean over `summed` (a sum divided by its element count), computed by
/// `op`; `sizes` hold the count.
#[derive(Clone, Debug)]
pub struct Normalization {
    pub op: OpId,
    pub summed: Vec<SpaceId>,
    pub sizes: Vec<SizeConstant>,
}

/// Ops whose regions are scalar payloads, not tensor code.
pub fn has_payload_regions(op: Op) -> bool {
    op.dialect() == "linalg" || matches!(op.name(), "tensor.pad" | "tensor.generate")
}

impl Analysis {
    pub fn space(&self, d: DimRef) -> Option<SpaceId> {
        let v = self.value_index.get(&d.value)?;
        let info = &self.values[*v];
        (d.dim < info.shape.len()).then(|| info.first_space + d.dim)
    }

    pub fn class(&self, d: DimRef) -> Option<ClassId> {
        self.space(d).map(|s| self.class_of[s])
    }

    pub fn num_classes(&self) -> usize {
        self.class_spaces.len()
    }

    /// The value and dim of a space.
    pub fn dim_ref(&self, s: SpaceId) -> DimRef {
        let (v, d) = self.space_owner[s];
        DimRef::new(self.values[v].value, d)
    }

    /// Runs the analysis on a module. Never changes the IR.
    pub fn run(module: Op) -> Analysis {
        let mut b = Builder::default();
        b.collect(module);
        b.finish()
    }
}

#[derive(Default)]
struct Builder {
    ops: Vec<Op>,
    op_index: HashMap<Op, OpId>,
    values: Vec<ValueInfo>,
    value_index: HashMap<Value, ValueId>,
    num_spaces: usize,
    /// Functions by symbol, and whether another function calls them.
    functions: BTreeMap<&'static str, Op>,
    called: BTreeSet<&'static str>,
    facts: Vec<OpFacts>,
    /// Facts the builder adds for structural ops and entry functions, with
    /// the op they belong to (None: a function boundary).
    extra: Vec<(Option<OpId>, Fact)>,
    payload_captures: Vec<PayloadCapture>,
}

impl Builder {
    fn add_value(&mut self, value: Value, def: Option<OpId>) {
        if self.value_index.contains_key(&value) {
            return;
        }
        let Some(shape) = value.ty().shape() else { return };
        if !value.ty().is_ranked_tensor() {
            return;
        }
        let shape: Vec<i64> = shape.into_iter().map(|d| d.unwrap_or(-1)).collect();
        let id = self.values.len();
        self.values.push(ValueInfo {
            value,
            first_space: self.num_spaces,
            shape: shape.clone(),
            def,
            splat: false,
            constant: false,
            weight_view: false,
        });
        self.num_spaces += shape.len();
        self.value_index.insert(value, id);
    }

    /// Records functions, ops and values in program order.
    fn collect(&mut self, module: Op) {
        module.walk(&mut |op| {
            if op.name() == "func.func" {
                if let Some(name) = op.symbol_name() {
                    self.functions.insert(name, op);
                }
            }
            if let Some(callee) = op.callee() {
                self.called.insert(callee);
            }
            true
        });
        fn visit(b: &mut Builder, op: Op) {
            if op.name() != "builtin.module" && op.name() != "func.func" {
                let id = b.ops.len();
                b.ops.push(op);
                b.op_index.insert(op, id);
                for r in op.results() {
                    b.add_value(r, Some(id));
                }
            }
            if has_payload_regions(op) {
                return;
            }
            for region in op.regions() {
                for block in region.blocks() {
                    for a in block.arguments() {
                        b.add_value(a, None);
                    }
                    for inner in block.ops() {
                        visit(b, inner);
                    }
                }
            }
        }
        visit(self, module);
    }

    fn is_entry(&self, func: Op) -> bool {
        func.symbol_name().map(|n| !self.called.contains(n)).unwrap_or(true)
    }

    /// The function an op sits in.
    fn enclosing_function(op: Op) -> Option<Op> {
        let mut cur = op.parent();
        while let Some(p) = cur {
            if p.name() == "func.func" {
                return Some(p);
            }
            cur = p.parent();
        }
        None
    }

    fn dims(v: Value) -> usize {
        v.ty().shape().map(|s| s.len()).unwrap_or(0)
    }

    fn same_all(a: Value, b: Value, out: &mut OpFacts) {
        let n = Self::dims(a).min(Self::dims(b));
        if Self::dims(a) != Self::dims(b) {
            return;
        }
        for d in 0..n {
            out.facts.push(Fact::Same(DimRef::new(a, d), DimRef::new(b, d)));
        }
    }

    fn freeze_value(v: Value, reason: FreezeReason, out: &mut OpFacts) {
        for d in 0..Self::dims(v) {
            out.facts.push(Fact::Freeze(DimRef::new(v, d), reason.clone()));
        }
    }

    /// Facts of calls, returns, loops and branches.
    fn structural_facts(&self, op: Op) -> OpFacts {
        let mut out = OpFacts::default();
        match op.name() {
            "func.call" => {
                let callee = op.callee().and_then(|c| self.functions.get(c)).copied();
                let body = callee.and_then(|f| f.region(0).first_block());
                match body {
                    Some(entry) if entry.num_arguments() == op.num_operands() => {
                        for i in 0..op.num_operands() {
                            Self::same_all(op.operand(i), entry.argument(i), &mut out);
                        }
                        // Every return of the callee yields the results.
                        if let Some(f) = callee {
                            for region in f.regions() {
                                for block in region.blocks() {
                                    if let Some(t) = block.terminator().filter(|t| t.name() == "func.return") {
                                        for i in 0..op.num_results().min(t.num_operands()) {
                                            Self::same_all(op.result(i), t.operand(i), &mut out);
                                        }
                                    }
                                }
                            }
                        }
                    }
                    _ => {
                        let reason = FreezeReason::Unsupported(format!(
                            "call to '{}', which has no body here",
                            op.callee().unwrap_or("?")
                        ));
                        for v in op.operands().chain(op.results()) {
                            Self::freeze_value(v, reason.clone(), &mut out);
                        }
                    }
                }
            }
            "func.return" => {
                if Self::enclosing_function(op).map(|f| self.is_entry(f)).unwrap_or(true) {
                    for v in op.operands() {
                        Self::freeze_value(v, FreezeReason::ModelInterface, &mut out);
                    }
                }
            }
            "scf.for" => {
                let body = op.region(0).first_block();
                let num_iters = op.num_results();
                let first_init = op.num_operands() - num_iters;
                if let Some(body) = body {
                    let yield_op = body.terminator();
                    for i in 0..num_iters {
                        let iter_arg = body.argument(i + 1);
                        Self::same_all(op.operand(first_init + i), iter_arg, &mut out);
                        Self::same_all(op.result(i), iter_arg, &mut out);
                        if let Some(y) = yield_op {
                            Self::same_all(y.operand(i), iter_arg, &mut out);
                        }
                    }
                }
            }
            "scf.if" => {
                for region in op.regions() {
                    for block in region.blocks() {
                        if let Some(y) = block.terminator() {
                            for i in 0..op.num_results().min(y.num_operands()) {
                                Self::same_all(op.result(i), y.operand(i), &mut out);
                            }
                        }
                    }
                }
            }
            _ => {}
        }
        out
    }

    /// A tensor that a payload reads from outside its op (`tensor.extract`
    /// of a captured value, as torch-mlir lowers some adaptive pooling) is
    /// used where no operand shows it: the op's facts cannot link its
    /// dims, so the rewrite would leave the capture at its old shape while
    /// its producer shrinks. Its dims are frozen at that op, and the use is
    /// recorded for the rewrite, which rebuilds what computes it.
    fn freeze_payload_captures(&mut self) {
        for (id, &op) in self.ops.iter().enumerate() {
            if !has_payload_regions(op) {
                continue;
            }
            op.walk(&mut |inner| {
                if inner != op {
                    for (operand, v) in inner.operands().enumerate() {
                        if let Some(&value) = self.value_index.get(&v) {
                            self.payload_captures.push(PayloadCapture { op: id, inner, operand, value });
                        }
                    }
                }
                true
            });
        }
        for c in &self.payload_captures {
            let (v, reason) = (self.values[c.value].value, FreezeReason::Positional(format!("the payload of {}", self.ops[c.op].name())));
            for d in 0..Self::dims(v) {
                self.extra.push((Some(c.op), Fact::Freeze(DimRef::new(v, d), reason.clone())));
            }
        }
    }

    fn finish(mut self) -> Analysis {
        // Facts of every op.
        let mut facts = Vec::with_capacity(self.ops.len());
        for &op in &self.ops {
            facts.push(if rules::is_structural(op) { self.structural_facts(op) } else { rules::facts_for(op) });
        }
        // Entry functions' arguments are the model's inputs.
        for (_, &f) in &self.functions {
            if self.is_entry(f) {
                if let Some(entry) = f.region(0).first_block() {
                    for a in entry.arguments() {
                        for d in 0..Self::dims(a) {
                            self.extra.push((None, Fact::Freeze(DimRef::new(a, d), FreezeReason::ModelInterface)));
                        }
                    }
                }
            }
        }
        self.facts = facts;
        self.freeze_payload_captures();

        // Splats, constants and weight views, in program order.
        let mut weights = Vec::new();
        for (id, &op) in self.ops.iter().enumerate() {
            let f = &self.facts[id];
            let operand_ids: Vec<Option<ValueId>> = op.operands().map(|v| self.value_index.get(&v).copied()).collect();
            let scalar_or_const = |v: Value, vid: Option<ValueId>, values: &Vec<ValueInfo>| match vid {
                Some(i) => values[i].constant,
                None => v.defining_op().map(|d| d.name().ends_with(".constant") || d.name() == "tosa.const_shape").unwrap_or(false),
            };
            let all_const = op.operands().zip(&operand_ids).all(|(v, &vid)| scalar_or_const(v, vid, &self.values));
            let any_weight = operand_ids.iter().flatten().any(|&i| self.values[i].weight_view);
            let is_weight_constant = f.constant && !f.splat_results && {
                let attr = crate::ir::dense::constant_value(op).map(|(_, a)| a);
                matches!(attr.map(crate::ir::dense::FloatElements::read), Some(Ok(Some(e))) if !e.is_splat())
            };
            let pure = !rules::is_structural(op) && op.num_regions() == 0 || has_payload_regions(op);
            for r in op.results() {
                if let Some(&vid) = self.value_index.get(&r) {
                    let info = &mut self.values[vid];
                    info.splat = f.splat_results;
                    info.constant = f.constant || (pure && all_const);
                    info.weight_view = is_weight_constant || (info.constant && any_weight);
                    if is_weight_constant {
                        weights.push(Weight { op: id, value: vid, elements: info.shape.iter().product::<i64>().max(0) as u64 });
                    }
                }
            }
        }
        let mut layer_ops = BTreeSet::new();
        for (id, &op) in self.ops.iter().enumerate() {
            let ids: Vec<ValueId> = op.operands().filter_map(|v| self.value_index.get(&v).copied()).collect();
            let has_weight = ids.iter().any(|&i| self.values[i].weight_view);
            let has_activation = ids.iter().any(|&i| !self.values[i].constant);
            if has_weight && has_activation && !rules::is_structural(op) {
                layer_ops.insert(id);
            }
        }

        // Spaces and unions.
        let mut space_owner = vec![(0usize, 0usize); self.num_spaces];
        for (vid, v) in self.values.iter().enumerate() {
            for d in 0..v.shape.len() {
                space_owner[v.first_space + d] = (vid, d);
            }
        }
        let mut uf = UnionFind::new(self.num_spaces);
        let mut freezes: Vec<(Option<OpId>, SpaceId, FreezeReason)> = Vec::new();
        let mut relations = Vec::new();
        let mut produced: Vec<(OpId, SpaceId, usize)> = Vec::new();
        let mut normalizations: Vec<Normalization> = Vec::new();
        let space = |b: &Builder, d: DimRef| -> Option<(SpaceId, bool)> {
            let vid = *b.value_index.get(&d.value)?;
            let info = &b.values[vid];
            (d.dim < info.shape.len()).then(|| (info.first_space + d.dim, info.splat))
        };
        let all_facts = self
            .facts
            .iter()
            .enumerate()
            .flat_map(|(i, f)| f.facts.iter().map(move |fact| (Some(i), fact)))
            .chain(self.extra.iter().map(|(o, f)| (*o, f)));
        for (op, fact) in all_facts {
            match fact {
                Fact::Same(..) => {} // below, per op
                Fact::Concat { whole, parts } | Fact::Merge { whole, parts } => {
                    let Some((w, wsplat)) = space(&self, *whole) else { continue };
                    if wsplat {
                        continue;
                    }
                    let parts: Vec<(SpaceId, i64)> = parts
                        .iter()
                        .filter_map(|(p, k)| space(&self, *p).filter(|(_, s)| !s).map(|(s, _)| (s, *k)))
                        .collect();
                    relations.push(if matches!(fact, Fact::Concat { .. }) {
                        Relation::Concat { whole: w, parts }
                    } else {
                        Relation::Merge { whole: w, parts }
                    });
                }
                Fact::Window { whole, part, offset } => {
                    let (Some((w, ws)), Some((p, ps))) = (space(&self, *whole), space(&self, *part)) else { continue };
                    if !ws && !ps {
                        relations.push(Relation::Window { whole: w, part: p, offset: *offset });
                    }
                }
                Fact::Freeze(d, reason) => {
                    if let Some((s, _)) = space(&self, *d) {
                        freezes.push((op, s, reason.clone()));
                    }
                }
                Fact::Produces { result, operand } => {
                    if let (Some(op), Some((s, _))) = (op, space(&self, *result)) {
                        produced.push((op, s, *operand));
                    }
                }
                Fact::Normalized { summed, sizes } => {
                    if let Some(op) = op {
                        let summed = summed.iter().filter_map(|d| space(&self, *d).map(|(s, _)| s)).collect();
                        normalizations.push(Normalization { op, summed, sizes: sizes.clone() });
                    }
                }
            }
        }
        // `Same` is transitive within an op, even through a splat operand
        // (all dims on one loop share its index), but a splat couples
        // nothing across ops: unite each op's non-splat dims per local class.
        let per_op_same = self
            .facts
            .iter()
            .enumerate()
            .map(|(i, f)| (Some(i), f.facts.iter().collect::<Vec<_>>()))
            .chain(std::iter::once((None, self.extra.iter().map(|(_, f)| f).collect::<Vec<_>>())));
        for (op, facts) in per_op_same {
            let mut local: Vec<SpaceId> = Vec::new();
            let mut pairs = Vec::new();
            for fact in facts {
                let Fact::Same(a, b) = fact else { continue };
                let (Some((sa, _)), Some((sb, _))) = (space(&self, *a), space(&self, *b)) else { continue };
                pairs.push((sa, sb));
                local.extend([sa, sb]);
            }
            if pairs.is_empty() {
                continue;
            }
            local.sort_unstable();
            local.dedup();
            let pos = |s: SpaceId| local.binary_search(&s).unwrap_or(0);
            let mut luf = UnionFind::new(local.len());
            for &(a, b) in &pairs {
                luf.union(pos(a), pos(b));
            }
            let mut anchor: HashMap<usize, SpaceId> = HashMap::new();
            for &s in &local {
                let (v, d) = space_owner[s];
                if self.values[v].splat {
                    continue;
                }
                match anchor.entry(luf.find(pos(s))) {
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(s);
                    }
                    std::collections::hash_map::Entry::Occupied(e) => {
                        let first = *e.get();
                        let (fv, fd) = space_owner[first];
                        if self.values[fv].shape[fd] != self.values[v].shape[d] {
                            let why = FreezeReason::Unsupported("coupled dims of different sizes".into());
                            freezes.push((op, first, why.clone()));
                            freezes.push((op, s, why));
                        }
                        uf.union(first, s);
                    }
                }
            }
        }
        for v in &self.values {
            for d in 0..v.shape.len() {
                if v.shape[d] < 0 {
                    freezes.push((v.def, v.first_space + d, FreezeReason::Dynamic));
                }
            }
        }

        // Index maps can identify classes too: two parts sitting at the
        // same offset (or stride) of the same whole class carry the same
        // channels (the latent of step 1 and of step 2 both fill columns
        // 0..32 of the dynamics' first weight), and two wholes merged from
        // the same parts at the same strides are one dim. Unite them until
        // stable.
        let size_of = |s: SpaceId| {
            let (v, d) = space_owner[s];
            self.values[v].shape[d]
        };
        loop {
            let mut slots: HashMap<(usize, u8, i64, i64, Vec<(i64, i64)>), SpaceId> = HashMap::new();
            let mut changed = false;
            for rel in &relations {
                let entries: Vec<((usize, u8, i64, i64, Vec<(i64, i64)>), SpaceId)> = match rel {
                    Relation::Concat { whole, parts } => {
                        let w = uf.find(*whole);
                        parts.iter().map(|(p, off)| ((w, 0, *off, size_of(*p), Vec::new()), *p)).collect()
                    }
                    Relation::Window { whole, part, offset } => {
                        vec![((uf.find(*whole), 0, *offset, size_of(*part), Vec::new()), *part)]
                    }
                    Relation::Merge { whole, parts } => {
                        let w = uf.find(*whole);
                        let shape: Vec<(i64, i64)> = parts.iter().map(|(p, st)| (*st, size_of(*p))).collect();
                        let mut entries: Vec<_> =
                            parts.iter().map(|(p, st)| ((w, 1, *st, size_of(*p), shape.clone()), *p)).collect();
                        // And the reverse: two flattens of the same parts at
                        // the same strides are the same dim (SimNorm's
                        // unflatten, softmax, flatten back gives the latent
                        // it started from).
                        let by_parts: Vec<(i64, i64)> = parts.iter().map(|(p, st)| (uf.find(*p) as i64, *st)).collect();
                        entries.push(((usize::MAX, 2, 0, size_of(*whole), by_parts), *whole));
                        entries
                    }
                };
                for (key, part) in entries {
                    match slots.get(&key) {
                        Some(&other) if uf.find(other) != uf.find(part) => {
                            uf.union(other, part);
                            changed = true;
                        }
                        Some(_) => {}
                        None => {
                            slots.insert(key, part);
                        }
                    }
                }
            }
            if !changed {
                break;
            }
        }

        // Classes, numbered by their first space (program order).
        let mut class_of = vec![usize::MAX; self.num_spaces];
        let mut class_spaces: Vec<Vec<SpaceId>> = Vec::new();
        let mut class_size = Vec::new();
        let mut rep_class: HashMap<usize, ClassId> = HashMap::new();
        for s in 0..self.num_spaces {
            let r = uf.find(s);
            let c = *rep_class.entry(r).or_insert_with(|| {
                class_spaces.push(Vec::new());
                let (v, d) = space_owner[s];
                class_size.push(self.values[v].shape[d]);
                class_spaces.len() - 1
            });
            class_of[s] = c;
            class_spaces[c].push(s);
        }
        let n = class_spaces.len();
        let mut frozen: Vec<Option<Frozen>> = vec![None; n];
        for (op, s, reason) in &freezes {
            let c = class_of[*s];
            if frozen[c].is_none() {
                frozen[c] = Some(Frozen { reason: reason.clone(), op: *op });
            }
        }
        let mut roots: Vec<Vec<(OpId, SpaceId)>> = vec![Vec::new(); n];
        for (op, s, operand) in produced {
            let v = self.ops[op].operand(operand);
            if self.value_index.get(&v).map(|&i| self.values[i].weight_view).unwrap_or(false) {
                roots[class_of[s]].push((op, s));
            }
        }
        let mut class_graph = DiGraph::new();
        let class_node: Vec<NodeIndex> = (0..n).map(|c| class_graph.add_node(c)).collect();
        for (i, rel) in relations.iter().enumerate() {
            match rel {
                Relation::Concat { whole, parts } | Relation::Merge { whole, parts } => {
                    for (p, _) in parts {
                        class_graph.add_edge(class_node[class_of[*p]], class_node[class_of[*whole]], i);
                    }
                }
                Relation::Window { whole, part, .. } => {
                    class_graph.add_edge(class_node[class_of[*part]], class_node[class_of[*whole]], i);
                }
            }
        }
        Analysis {
            ops: self.ops,
            op_facts: self.facts,
            op_index: self.op_index,
            values: self.values,
            value_index: self.value_index,
            space_owner,
            class_of,
            class_spaces,
            class_size,
            frozen,
            roots,
            relations,
            class_graph,
            class_node,
            weights,
            layer_ops,
            freezes,
            normalizations,
            payload_captures: self.payload_captures,
        }
    }
}

/// Where a value is defined, for messages.
pub fn describe_value(v: Value) -> String {
    match v.def() {
        ValueDef::Result(op, i) => format!("result {i} of '{}'", op.name()),
        ValueDef::Argument(b, i) => {
            let owner = b.parent_op().map(|o| o.name()).unwrap_or("?");
            format!("argument {i} of '{owner}'")
        }
    }
}
