//! Pruning groups: DepGraph's groups on the dependency analysis, and their
//! component-aware split.
//!
//! A group is rooted at a coupled class holding the output channel of a
//! weight-bearing contraction or convolution. Removing channel `i` of the
//! root removes, in every class the group reaches through index maps
//! (concat offsets, flatten blocks, windows), the indices channel `i` maps
//! to. A group is prunable when no class it reaches is frozen.
//!
//! `grouping=vanilla` reports groups as they are (DepGraph).
//! `grouping=component` reports a group whose layers sit in one component as
//! an intra-component group; one spanning components is an interface group,
//! reported once and split into one piece per component (the paper's finer
//! groups). Pieces are never pruned on their own.

use crate::tag::{ComponentId, ComponentMap};
use crate::analysis::{Analysis, ClassId, OpId, Relation};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    Component,
    Vanilla,
}

impl Grouping {
    pub const NAMES: &'static [&'static str] = &["component", "vanilla"];

    pub fn parse(s: &str) -> Option<Grouping> {
        match s {
            "component" => Some(Grouping::Component),
            "vanilla" => Some(Grouping::Vanilla),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Grouping::Component => "component",
            Grouping::Vanilla => "vanilla",
        }
    }
}

/// Where a group's channels land in one class: for each channel of the
/// group, the indices it occupies in the class's spaces.
#[derive(Clone, Debug)]
pub struct Member {
    pub class: ClassId,
    pub indices: Vec<Vec<u32>>,
}

/// A weight constant's dim that the group cuts.
#[derive(Clone, Debug)]
pub struct WeightCut {
    /// Index into [`Analysis::weights`].
    pub weight: usize,
    pub dim: usize,
    /// For each channel, the indices of `dim` it removes.
    pub indices: Vec<Vec<u32>>,
    /// Elements of the weight per index of `dim` (product of the other dims).
    pub other_elements: u64,
}

/// A DepGraph group.
#[derive(Clone, Debug)]
pub struct Group {
    /// Stable id: groups are numbered in program order of their root.
    pub id: usize,
    pub root: ClassId,
    pub channels: usize,
    pub members: Vec<Member>,
    pub weights: Vec<WeightCut>,
    /// Layers (ops mixing activations with weights) the group touches, in
    /// program order.
    pub ops: Vec<OpId>,
    /// Components of those ops, in component order.
    pub components: Vec<ComponentId>,
    /// Why it cannot be pruned, naming the op that decided it.
    pub frozen: Option<String>,
}

impl Group {
    pub fn prunable(&self) -> bool {
        self.frozen.is_none()
    }

    pub fn is_interface(&self) -> bool {
        self.components.len() > 1
    }
}

/// One piece of an interface group: its layers in one component.
#[derive(Clone, Debug)]
pub struct Piece {
    pub group: usize,
    pub component: ComponentId,
    pub ops: Vec<OpId>,
    pub weights: Vec<usize>,
}

/// All groups of a module.
#[derive(Debug)]
pub struct Groups {
    pub groups: Vec<Group>,
    pub pieces: Vec<Piece>,
}

/// A description of an op for messages and reports: `name "loc-name"`.
pub fn describe_op(op: crate::ir::Op) -> String {
    match op.location().first_name() {
        Some(n) => format!("{} \"{}\"", op.name(), n),
        None => op.name().to_string(),
    }
}

/// A part of `n` indices sits at `off` in a whole (a concat operand, a
/// slice): indices move up by `off` from part to whole, and those in the
/// part's range move down from whole to part.
fn place(
    out: &mut Vec<(ClassId, Vec<BTreeSet<u32>>)>,
    from: ClassId,
    whole: ClassId,
    part: ClassId,
    off: u32,
    n: u32,
    sets: &[BTreeSet<u32>],
) {
    if part == from {
        out.push((whole, sets.iter().map(|s| s.iter().map(|i| i + off).collect()).collect()));
    }
    if whole == from {
        let mapped: Vec<BTreeSet<u32>> =
            sets.iter().map(|s| s.iter().filter(|&&i| i >= off && i < off + n).map(|i| i - off).collect()).collect();
        if mapped.iter().any(|s| !s.is_empty()) {
            out.push((part, mapped));
        }
    }
}

/// Spreads the indices the group occupies in `from` over a relation, into
/// the class on the other side. Returns (class, per-channel indices) pairs,
/// or an error when the map cannot be expressed (a merge reached from its
/// whole: channels that a reshape splits).
fn spread(
    a: &Analysis,
    rel: &Relation,
    from: ClassId,
    sets: &[BTreeSet<u32>],
    reached: &BTreeMap<ClassId, Vec<BTreeSet<u32>>>,
) -> Result<Vec<(ClassId, Vec<BTreeSet<u32>>)>, String> {
    let size = |s: usize| {
        let (v, d) = a.space_owner[s];
        a.values[v].shape[d].max(0) as u32
    };
    let mut out = Vec::new();
    match rel {
        Relation::Concat { whole, parts } => {
            for (p, off) in parts {
                place(&mut out, from, a.class_of[*whole], a.class_of[*p], *off as u32, size(*p), sets);
            }
        }
        Relation::Merge { whole, parts } => {
            let wc = a.class_of[*whole];
            for (k, (p, stride)) in parts.iter().enumerate() {
                if a.class_of[*p] != from {
                    continue;
                }
                // Every combination of the other parts' indices.
                let mut offsets: Vec<u32> = vec![0];
                for (j, (q, qs)) in parts.iter().enumerate() {
                    if j == k {
                        continue;
                    }
                    let n = size(*q);
                    offsets = offsets.iter().flat_map(|o| (0..n).map(move |r| o + r * *qs as u32)).collect();
                }
                let st = *stride as u32;
                let mapped = sets
                    .iter()
                    .map(|s| s.iter().flat_map(|i| offsets.iter().map(move |o| i * st + o)).collect())
                    .collect();
                out.push((wc, mapped));
            }
            // Reached from the whole: fine when the whole got its indices
            // through this merge's parts, inexpressible otherwise.
            if wc == from && !parts.iter().any(|(p, _)| reached.contains_key(&a.class_of[*p])) {
                let op = a.space_owner[*whole].0;
                let name = a.values[op].def.map(|o| describe_op(a.ops[o])).unwrap_or_else(|| "a reshape".into());
                return Err(format!("its channels are split by reshape {name}"));
            }
        }
        Relation::Window { whole, part, offset } => {
            // The rewrite selects from a slice's operand (the whole); it
            // cannot move a pad's or insert_slice's window (the whole is
            // their result), so channels that pass through one stay.
            let (whole_value, part_value) = (a.space_owner[*whole].0, a.space_owner[*part].0);
            if let Some(op) = a.values[whole_value].def {
                if a.ops[op].operands().any(|v| v == a.values[part_value].value) {
                    return Err(format!("its channels are padded or inserted by {}", describe_op(a.ops[op])));
                }
            }
            // Nor a slice that also cuts other dims (or drops some).
            let (d, (ws, ps)) = (a.space_owner[*whole].1, (&a.values[whole_value].shape, &a.values[part_value].shape));
            if ws.len() != ps.len() || (0..ws.len()).any(|e| e != d && ws[e] != ps[e]) {
                let by = a.values[part_value].def.map(|o| describe_op(a.ops[o])).unwrap_or_else(|| "a slice".into());
                return Err(format!("its channels pass through {by}, which cuts other dims too"));
            }
            place(&mut out, from, a.class_of[*whole], a.class_of[*part], *offset as u32, size(*part), sets);
        }
    }
    Ok(out)
}

/// The class that tiles `root` exactly, if there is one: every relation with
/// `root` as its whole is a slice or concat part of one class `P`, and the
/// parts sit side by side at 0, |P|, 2|P|, ... covering `root` (a GRU-style
/// layer chunked into gates). Channel `k` of the group is then `k` of `P`,
/// and removes `k`, `|P| + k`, ... of `root`; rooted at `root` itself, the
/// chunks' channels would collide in `P`.
fn tiling_class(a: &Analysis, root: ClassId) -> Option<ClassId> {
    let size = |s: usize| {
        let (v, d) = a.space_owner[s];
        a.values[v].shape[d]
    };
    let mut tiles: BTreeSet<(i64, ClassId, i64)> = BTreeSet::new();
    for rel in &a.relations {
        match rel {
            Relation::Window { whole, part, offset } if a.class_of[*whole] == root => {
                tiles.insert((*offset, a.class_of[*part], size(*part)));
            }
            Relation::Concat { whole, parts } if a.class_of[*whole] == root => {
                tiles.extend(parts.iter().map(|(p, off)| (*off, a.class_of[*p], size(*p))));
            }
            Relation::Merge { whole, .. } if a.class_of[*whole] == root => return None,
            _ => {}
        }
    }
    let &(_, part, n) = tiles.first()?;
    let tiled = tiles.len() >= 2
        && part != root
        && n > 0
        && tiles.iter().enumerate().all(|(i, &(off, c, m))| c == part && m == n && off == i as i64 * n)
        && tiles.len() as i64 * n == a.class_size[root];
    tiled.then_some(part)
}

impl Groups {
    /// Builds every group of the analysis.
    pub fn build(a: &Analysis, components: &ComponentMap) -> Groups {
        // Layer ops by the classes they touch.
        let mut layers_of_class: BTreeMap<ClassId, BTreeSet<OpId>> = BTreeMap::new();
        for &op in &a.layer_ops {
            for v in a.ops[op].operands().chain(a.ops[op].results()) {
                if let Some(&vid) = a.value_index.get(&v) {
                    let info = &a.values[vid];
                    for d in 0..info.shape.len() {
                        layers_of_class.entry(a.class_of[info.first_space + d]).or_default().insert(op);
                    }
                }
            }
        }
        // Weight constants by value.
        let weight_of_value: BTreeMap<usize, usize> = a.weights.iter().enumerate().map(|(i, w)| (w.value, i)).collect();

        let mut groups = Vec::new();
        for root in 0..a.num_classes() {
            if a.roots[root].is_empty() {
                continue;
            }
            // A layer whose output is cut into equal chunks of one class
            // (gates that meet element-wise) has that class's channels.
            let channel_class = tiling_class(a, root).unwrap_or(root);
            let channels = a.class_size[channel_class].max(0) as usize;
            let mut frozen: Option<String> = None;
            let mut reached: BTreeMap<ClassId, Vec<BTreeSet<u32>>> = BTreeMap::new();
            reached.insert(channel_class, (0..channels as u32).map(|i| BTreeSet::from([i])).collect());
            let mut queue = VecDeque::from([channel_class]);
            while let Some(c) = queue.pop_front() {
                let sets = reached[&c].clone();
                let node = a.class_node[c];
                let rels: BTreeSet<usize> = a
                    .class_graph
                    .edges_directed(node, petgraph::Direction::Outgoing)
                    .chain(a.class_graph.edges_directed(node, petgraph::Direction::Incoming))
                    .map(|e| *e.weight())
                    .collect();
                for r in rels {
                    match spread(a, &a.relations[r], c, &sets, &reached) {
                        Ok(targets) => {
                            for (tc, tsets) in targets {
                                let entry = reached.entry(tc).or_insert_with(|| vec![BTreeSet::new(); channels]);
                                let mut changed = false;
                                for (dst, src) in entry.iter_mut().zip(tsets) {
                                    let before = dst.len();
                                    dst.extend(src);
                                    changed |= dst.len() != before;
                                }
                                if changed {
                                    queue.push_back(tc);
                                }
                            }
                        }
                        Err(why) => {
                            frozen.get_or_insert(why);
                        }
                    }
                }
            }
            // Channels must land on disjoint indices in every class.
            for (c, sets) in &reached {
                let total: usize = sets.iter().map(|s| s.len()).sum();
                let distinct: BTreeSet<u32> = sets.iter().flatten().copied().collect();
                if total != distinct.len() && frozen.is_none() {
                    frozen = Some(format!("channels overlap in {}", class_label(a, *c)));
                }
            }
            for c in reached.keys() {
                if let (None, Some(f)) = (&frozen, &a.frozen[*c]) {
                    let by = f.op.map(|o| format!(" at {}", describe_op(a.ops[o]))).unwrap_or_default();
                    frozen = Some(format!("{}{by}", f.reason));
                }
            }
            let members: Vec<Member> = reached
                .iter()
                .map(|(c, sets)| Member { class: *c, indices: sets.iter().map(|s| s.iter().copied().collect()).collect() })
                .collect();
            let mut weights = Vec::new();
            let mut ops = BTreeSet::new();
            for m in &members {
                for &s in &a.class_spaces[m.class] {
                    let (v, d) = a.space_owner[s];
                    if let Some(&w) = weight_of_value.get(&v) {
                        let shape = &a.values[v].shape;
                        let other_elements =
                            shape.iter().enumerate().filter(|&(e, _)| e != d).map(|(_, &n)| n.max(0) as u64).product();
                        weights.push(WeightCut { weight: w, dim: d, indices: m.indices.clone(), other_elements });
                    }
                }
                if let Some(ls) = layers_of_class.get(&m.class) {
                    ops.extend(ls.iter().copied());
                }
            }
            weights.sort_by_key(|w| (a.weights[w.weight].op, w.dim));
            let ops: Vec<OpId> = ops.into_iter().collect();
            let comps: BTreeSet<ComponentId> = ops.iter().filter_map(|&o| components.component_of(a.ops[o])).collect();
            groups.push(Group {
                id: groups.len(),
                root,
                channels,
                members,
                weights,
                ops,
                components: comps.into_iter().collect(),
                frozen,
            });
        }

        // Two groups may not claim the same index of a class.
        let mut claims: BTreeMap<ClassId, Vec<(usize, BTreeSet<u32>)>> = BTreeMap::new();
        for g in &groups {
            for m in &g.members {
                claims.entry(m.class).or_default().push((g.id, m.indices.iter().flatten().copied().collect()));
            }
        }
        let mut overlaps: BTreeMap<usize, (usize, ClassId)> = BTreeMap::new();
        for (c, list) in &claims {
            for i in 0..list.len() {
                for j in i + 1..list.len() {
                    if !list[i].1.is_disjoint(&list[j].1) {
                        overlaps.entry(list[i].0).or_insert((list[j].0, *c));
                        overlaps.entry(list[j].0).or_insert((list[i].0, *c));
                    }
                }
            }
        }
        for (g, (other, c)) in overlaps {
            if groups[g].frozen.is_none() {
                groups[g].frozen = Some(format!("shares channels with group {other} in {}", class_label(a, c)));
            }
        }

        let mut pieces = Vec::new();
        for g in &groups {
            if !g.is_interface() {
                continue;
            }
            for &c in &g.components {
                let ops: Vec<OpId> = g.ops.iter().copied().filter(|&o| components.component_of(a.ops[o]) == Some(c)).collect();
                let weights: Vec<usize> = g
                    .weights
                    .iter()
                    .map(|w| w.weight)
                    .filter(|&w| components.component_of(a.ops[a.weights[w].op]) == Some(c))
                    .collect();
                pieces.push(Piece { group: g.id, component: c, ops, weights });
            }
        }
        Groups { groups, pieces }
    }

    /// `summary.groups`: all groups (vanilla) or intra groups plus pieces.
    pub fn count(&self, grouping: Grouping) -> usize {
        match grouping {
            Grouping::Vanilla => self.groups.len(),
            Grouping::Component => {
                self.groups.iter().filter(|g| !g.is_interface()).count() + self.pieces.len()
            }
        }
    }

    pub fn interface_count(&self) -> usize {
        self.groups.iter().filter(|g| g.is_interface()).count()
    }

    /// Mean number of layers per reported group.
    pub fn average_ops(&self, grouping: Grouping) -> f64 {
        let sizes: Vec<usize> = match grouping {
            Grouping::Vanilla => self.groups.iter().map(|g| g.ops.len()).collect(),
            Grouping::Component => self
                .groups
                .iter()
                .filter(|g| !g.is_interface())
                .map(|g| g.ops.len())
                .chain(self.pieces.iter().map(|p| p.ops.len()))
                .collect(),
        };
        if sizes.is_empty() {
            0.0
        } else {
            sizes.iter().sum::<usize>() as f64 / sizes.len() as f64
        }
    }
}

/// A readable name for a class: its first value and dim.
pub fn class_label(a: &Analysis, c: ClassId) -> String {
    let s = a.class_spaces[c][0];
    let (v, d) = a.space_owner[s];
    let what = match a.values[v].def {
        Some(op) => describe_op(a.ops[op]),
        None => crate::analysis::describe_value(a.values[v].value),
    };
    format!("dim {d} of {what}")
}
