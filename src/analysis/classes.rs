//! Phase 4: unite index spaces into classes of coupled dims and record the
//! index maps between classes.
//!
//! `Same` facts unite spaces (per op, through splat operands, never across
//! ops through a splat); index maps (`Concat`, `Merge`, `Window`) that put
//! two spaces in the same slot of one class unite them too, to a fixed
//! point. Classes are numbered by their first space, so in program order.

use super::classify::Kinds;
use super::collect::Collected;
use super::facts::{Fact, FreezeReason};
use super::ids::{ClassId, IdVec, OpId, SpaceId, ValueId};
use super::structural::ModuleFacts;
use super::union_find::UnionFind;
use super::{Class, Dependencies, Freeze, Frozen, Normalization, Relation};
use petgraph::graph::DiGraph;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// Facts lowered from dims to spaces.
#[derive(Default)]
struct Lowered {
    relations: Vec<Relation>,
    freezes: Vec<Freeze>,
    /// (op, result space, operand): the op produces the space's channels
    /// from that operand.
    produced: Vec<(OpId, SpaceId, usize)>,
    normalizations: Vec<Normalization>,
}

pub(super) fn unite(c: Collected, facts: ModuleFacts, kinds: Kinds) -> Dependencies {
    let space_owner = space_owners(&c);
    let mut lowered = lower(&c, &facts);
    let mut uf = UnionFind::new(c.num_spaces);
    unite_same_facts(&c, &facts, &space_owner, &mut uf, &mut lowered.freezes);
    freeze_dynamic_dims(&c, &mut lowered.freezes);
    unite_weight_tiles(&c, &space_owner, &lowered.relations, &mut uf);
    unite_by_index_maps(&c, &space_owner, &lowered.relations, &mut uf);
    let (class_of, classes) = number_classes(&c, &space_owner, &mut uf, &lowered);
    let class_graph = graph(&classes, &class_of, &lowered.relations);
    let mut classes = classes;
    for (class, node) in classes.iter_mut().zip(class_graph.node_indices()) {
        class.node = node;
    }
    Dependencies {
        ops: c.ops,
        op_facts: facts.per_op,
        op_index: c.op_index,
        values: c.values,
        value_index: c.value_index,
        space_owner,
        class_of,
        classes: classes.into_iter().collect(),
        relations: lowered.relations,
        class_graph,
        weights: kinds.weights,
        weight_by_op: kinds.weight_by_op,
        layer_ops: kinds.layer_ops,
        freezes: lowered.freezes,
        normalizations: lowered.normalizations,
        payload_captures: facts.payload_captures,
    }
}

fn space_owners(c: &Collected) -> IdVec<SpaceId, (ValueId, usize)> {
    let mut owner = IdVec::filled((ValueId::new(0), 0), c.num_spaces);
    for (vid, v) in c.values.iter_enumerated() {
        for d in 0..v.shape.len() {
            owner[v.space(d)] = (vid, d);
        }
    }
    owner
}

/// Every fact but `Same`, in space terms. Facts about splats relate
/// nothing: a splat is rebuilt at whatever shape its users get.
fn lower(c: &Collected, facts: &ModuleFacts) -> Lowered {
    let mut out = Lowered::default();
    for (op, fact) in facts.all() {
        match fact {
            Fact::Same(..) => {}
            Fact::Concat { whole, parts } | Fact::Merge { whole, parts } => {
                let Some((w, false)) = c.space(*whole) else { continue };
                let parts: Vec<(SpaceId, i64)> =
                    parts.iter().filter_map(|(p, k)| c.space(*p).filter(|(_, splat)| !splat).map(|(s, _)| (s, *k))).collect();
                out.relations.push(if matches!(fact, Fact::Concat { .. }) {
                    Relation::Concat { whole: w, parts }
                } else {
                    Relation::Merge { whole: w, parts }
                });
            }
            Fact::Window { whole, part, offset } => {
                if let (Some((w, false)), Some((p, false))) = (c.space(*whole), c.space(*part)) {
                    out.relations.push(Relation::Window { whole: w, part: p, offset: *offset });
                }
            }
            Fact::Freeze(d, reason) => {
                if let Some((space, _)) = c.space(*d) {
                    out.freezes.push(Freeze { op, space, reason: reason.clone() });
                }
            }
            Fact::Produces { result, operand } => {
                if let (Some(op), Some((s, _))) = (op, c.space(*result)) {
                    out.produced.push((op, s, *operand));
                }
            }
            Fact::Normalized { summed, sizes } => {
                if let Some(op) = op {
                    let summed = summed.iter().filter_map(|d| c.space(*d).map(|(s, _)| s)).collect();
                    out.normalizations.push(Normalization { op, summed, sizes: sizes.clone() });
                }
            }
        }
    }
    out
}

/// `Same` is transitive within an op, even through a splat operand (all
/// dims on one loop share its index), but a splat couples nothing across
/// ops: each op's non-splat dims are united per local class. Coupled dims
/// of different sizes are frozen.
fn unite_same_facts(
    c: &Collected,
    facts: &ModuleFacts,
    owner: &IdVec<SpaceId, (ValueId, usize)>,
    uf: &mut UnionFind,
    freezes: &mut Vec<Freeze>,
) {
    let per_op = facts.per_op.iter_enumerated().map(|(id, f)| (Some(id), f.facts.iter().collect::<Vec<_>>()));
    let boundary = std::iter::once((None, facts.extra.iter().map(|(_, f)| f).collect::<Vec<_>>()));
    for (op, op_facts) in per_op.chain(boundary) {
        let pairs: Vec<(SpaceId, SpaceId)> = op_facts
            .iter()
            .filter_map(|fact| match fact {
                Fact::Same(a, b) => Some((c.space(*a)?.0, c.space(*b)?.0)),
                _ => None,
            })
            .collect();
        for (first, s) in local_unions(c, owner, &pairs) {
            let size = |s: SpaceId| c.values[owner[s].0].shape[owner[s].1];
            if size(first) != size(s) {
                // A dynamic channel dim (-1) next to its static size: its
                // channels cannot be counted, let alone removed.
                let why = if size(first) < 0 || size(s) < 0 {
                    FreezeReason::Dynamic
                } else {
                    FreezeReason::Unsupported("coupled dims of different sizes".into())
                };
                freezes.push(Freeze { op, space: first, reason: why.clone() });
                freezes.push(Freeze { op, space: s, reason: why });
            }
            uf.union(first.index(), s.index());
        }
    }
}

/// The unions one op's `Same` pairs make between non-splat spaces: each
/// space with the first non-splat space of its local class.
fn local_unions(c: &Collected, owner: &IdVec<SpaceId, (ValueId, usize)>, pairs: &[(SpaceId, SpaceId)]) -> Vec<(SpaceId, SpaceId)> {
    let mut local: Vec<SpaceId> = pairs.iter().flat_map(|&(a, b)| [a, b]).collect();
    local.sort_unstable();
    local.dedup();
    let pos = |s: SpaceId| local.binary_search(&s).unwrap_or(0);
    let mut luf = UnionFind::new(local.len());
    for &(a, b) in pairs {
        luf.union(pos(a), pos(b));
    }
    let mut anchor: HashMap<usize, SpaceId> = HashMap::new();
    let mut out = Vec::new();
    for &s in &local {
        if c.values[owner[s].0].splat {
            continue;
        }
        match anchor.entry(luf.find(pos(s))) {
            Entry::Vacant(e) => {
                e.insert(s);
            }
            Entry::Occupied(e) => out.push((*e.get(), s)),
        }
    }
    out
}

fn freeze_dynamic_dims(c: &Collected, freezes: &mut Vec<Freeze>) {
    for v in &c.values {
        for (d, &n) in v.shape.iter().enumerate() {
            if n < 0 {
                freezes.push(Freeze { op: v.def, space: v.space(d), reason: FreezeReason::Dynamic });
            }
        }
    }
}

/// Where an index map puts a space; two spaces in one slot are one dim.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Slot {
    /// A part at `offset` of a whole (concat or window), with its size.
    Offset { whole: usize, offset: i64, size: i64 },
    /// A part at `stride` of a merged whole, with its size and the strides
    /// and sizes of all parts.
    Stride { whole: usize, stride: i64, size: i64, shape: Vec<(i64, i64)> },
    /// A whole merged from these part classes at these strides, with its
    /// size.
    MergeOf { parts: Vec<(usize, i64)>, size: i64 },
}

/// Equal slices that tile a weight's dim exactly are one layer cut into
/// groups: torch-mlir's TOSA form of a grouped convolution slices its
/// filter (and input) into one `tosa.conv2d` per group and concatenates
/// their outputs. Their channels are united, so that a group removes the
/// same channels in every conv group, as the linalg form's grouped
/// convolution (one op, a `groups x channels` dim) and Torch-Pruning do,
/// the group count stays, and the pruned model is still a grouped
/// convolution in PyTorch's terms. Slices of a weight that do not tile
/// it, or tile it unevenly, stay apart.
fn unite_weight_tiles(c: &Collected, owner: &IdVec<SpaceId, (ValueId, usize)>, relations: &[Relation], uf: &mut UnionFind) {
    let mut tiles: HashMap<SpaceId, Vec<(i64, SpaceId)>> = HashMap::new();
    for rel in relations {
        if let Relation::Window { whole, part, offset } = *rel {
            if c.values[owner[whole].0].weight_view {
                tiles.entry(whole).or_default().push((offset, part));
            }
        }
    }
    let size = |s: SpaceId| c.values[owner[s].0].shape[owner[s].1];
    for (whole, mut parts) in tiles {
        parts.sort();
        parts.dedup();
        let n = size(parts[0].1);
        let tiled = parts.len() >= 2
            && n > 0
            && parts.len() as i64 * n == size(whole)
            && parts.iter().enumerate().all(|(k, &(offset, p))| offset == k as i64 * n && size(p) == n);
        if tiled {
            for &(_, p) in &parts[1..] {
                uf.union(parts[0].1.index(), p.index());
            }
        }
    }
}

/// Index maps can identify classes too: two parts sitting at the same
/// offset (or stride) of the same whole class carry the same channels (the
/// latent of step 1 and of step 2 both fill columns 0..32 of the dynamics'
/// first weight), and two wholes merged from the same parts at the same
/// strides are one dim (SimNorm's unflatten, softmax, flatten back gives
/// the latent it started from). Unites them until stable.
fn unite_by_index_maps(c: &Collected, owner: &IdVec<SpaceId, (ValueId, usize)>, relations: &[Relation], uf: &mut UnionFind) {
    let size = |s: SpaceId| c.values[owner[s].0].shape[owner[s].1];
    loop {
        let mut slots: HashMap<Slot, SpaceId> = HashMap::new();
        let mut changed = false;
        for rel in relations {
            for (slot, space) in slots_of(rel, uf, &size) {
                match slots.entry(slot) {
                    Entry::Occupied(e) => changed |= uf.union(e.get().index(), space.index()),
                    Entry::Vacant(e) => {
                        e.insert(space);
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
}

/// The slots a relation puts its spaces in, under the current unions.
fn slots_of(rel: &Relation, uf: &mut UnionFind, size: &dyn Fn(SpaceId) -> i64) -> Vec<(Slot, SpaceId)> {
    match rel {
        Relation::Concat { whole, parts } => {
            let whole = uf.find(whole.index());
            parts.iter().map(|&(p, offset)| (Slot::Offset { whole, offset, size: size(p) }, p)).collect()
        }
        Relation::Window { whole, part, offset } => {
            vec![(Slot::Offset { whole: uf.find(whole.index()), offset: *offset, size: size(*part) }, *part)]
        }
        Relation::Merge { whole, parts } => {
            let w = uf.find(whole.index());
            let shape: Vec<(i64, i64)> = parts.iter().map(|&(p, stride)| (stride, size(p))).collect();
            let mut out: Vec<(Slot, SpaceId)> = parts
                .iter()
                .map(|&(p, stride)| (Slot::Stride { whole: w, stride, size: size(p), shape: shape.clone() }, p))
                .collect();
            let by_parts = parts.iter().map(|&(p, stride)| (uf.find(p.index()), stride)).collect();
            out.push((Slot::MergeOf { parts: by_parts, size: size(*whole) }, *whole));
            out
        }
    }
}

/// Classes numbered by their first space, with their sizes, first freeze
/// and roots.
fn number_classes(
    c: &Collected,
    owner: &IdVec<SpaceId, (ValueId, usize)>,
    uf: &mut UnionFind,
    lowered: &Lowered,
) -> (IdVec<SpaceId, ClassId>, Vec<Class>) {
    let mut class_of = IdVec::filled(ClassId::new(0), c.num_spaces);
    let mut classes: Vec<Class> = Vec::new();
    let mut by_representative: HashMap<usize, ClassId> = HashMap::new();
    for s in class_of.ids().collect::<Vec<SpaceId>>() {
        let class = *by_representative.entry(uf.find(s.index())).or_insert_with(|| {
            let (v, d) = owner[s];
            let size = c.values[v].shape[d];
            classes.push(Class { spaces: Vec::new(), size, frozen: None, roots: Vec::new(), node: Default::default() });
            ClassId::new(classes.len() - 1)
        });
        class_of[s] = class;
        classes[class.index()].spaces.push(s);
    }
    for f in &lowered.freezes {
        let class = &mut classes[class_of[f.space].index()];
        if class.frozen.is_none() {
            class.frozen = Some(Frozen { reason: f.reason.clone(), op: f.op });
        }
    }
    for &(op, s, operand) in &lowered.produced {
        let v = c.ops[op].operand(operand);
        if c.value_id(v).is_some_and(|i| c.values[i].weight_view) {
            classes[class_of[s].index()].roots.push((op, s));
        }
    }
    (class_of, classes)
}

/// Classes as nodes, an edge part -> whole per relation part, weighted by
/// the relation's index.
fn graph(classes: &[Class], class_of: &IdVec<SpaceId, ClassId>, relations: &[Relation]) -> DiGraph<ClassId, usize> {
    let mut g = DiGraph::new();
    let nodes: Vec<_> = (0..classes.len()).map(|i| g.add_node(ClassId::new(i))).collect();
    let node = |s: SpaceId| nodes[class_of[s].index()];
    for (i, rel) in relations.iter().enumerate() {
        match rel {
            Relation::Concat { whole, parts } | Relation::Merge { whole, parts } => {
                for &(p, _) in parts {
                    g.add_edge(node(p), node(*whole), i);
                }
            }
            Relation::Window { whole, part, .. } => {
                g.add_edge(node(*part), node(*whole), i);
            }
        }
    }
    g
}
