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

use crate::analysis::{ClassId, Dependencies, OpId, Relation, SpaceId, ValueId, WeightId};
use crate::ir::describe;
use crate::tag::{ComponentId, ComponentMap};
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

/// Which unit a factored channel dim (a reshape that splits it into outer
/// x inner: heads x head dims, conv groups x channels per group, SimNorm's
/// simplices x their width) is pruned in first; the other is the fallback
/// when the first cannot go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HeadUnits {
    /// The same inner indices in every outer slice (head dims; channels
    /// per conv group): Torch-Pruning's default, and ours.
    #[default]
    Dims,
    /// Whole outer slices (heads, simplices); conv groups keep their
    /// count and lose channels per group as with `Dims`.
    Whole,
}

impl HeadUnits {
    pub const NAMES: &'static [&'static str] = &["dims", "whole"];

    pub fn parse(s: &str) -> Option<HeadUnits> {
        match s {
            "dims" => Some(HeadUnits::Dims),
            "whole" => Some(HeadUnits::Whole),
            _ => None,
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
    pub weight: WeightId,
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
    pub weights: Vec<WeightId>,
}

/// All groups of a module.
#[derive(Debug)]
pub struct Groups {
    pub groups: Vec<Group>,
    pub pieces: Vec<Piece>,
}

/// A class and, per channel of a group, the indices it occupies there.
type Placed = (ClassId, Vec<BTreeSet<u32>>);

/// A part of `n` indices sits at `off` in a whole (a concat operand, a
/// slice): indices move up by `off` from part to whole, and those in the
/// part's range move down from whole to part.
fn place(
    out: &mut Vec<Placed>,
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
    a: &Dependencies,
    rel: &Relation,
    from: ClassId,
    sets: &[BTreeSet<u32>],
    reached: &BTreeMap<ClassId, Vec<BTreeSet<u32>>>,
) -> Result<Vec<Placed>, String> {
    let size = |s: SpaceId| a.space_size(s).max(0) as u32;
    let mut out = Vec::new();
    match rel {
        Relation::Concat { whole, parts } => {
            for (p, off) in parts {
                place(&mut out, from, a.class_of(*whole), a.class_of(*p), *off as u32, size(*p), sets);
            }
        }
        Relation::Merge { whole, parts } => {
            let wc = a.class_of(*whole);
            for (k, (p, stride)) in parts.iter().enumerate() {
                if a.class_of(*p) != from {
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
            if wc == from && !parts.iter().any(|(p, _)| reached.contains_key(&a.class_of(*p))) {
                if let Some((twin, map)) = shuffled_twin(a, *whole, parts) {
                    out.push((twin, sets.iter().map(|s| s.iter().map(|&i| map[i as usize]).collect()).collect()));
                    return Ok(out);
                }
                let op = a.space_owner(*whole).0;
                let name = a.value(op).def.map(|o| describe::op(a.op(o))).unwrap_or_else(|| "a reshape".into());
                return Err(format!("its channels are split by reshape {name}"));
            }
        }
        Relation::Window { whole, part, offset } => {
            // The rewrite selects from a slice's operand (the whole); it
            // cannot move a pad's or insert_slice's window (the whole is
            // their result), so channels that pass through one stay.
            let (whole_value, part_value) = (a.space_owner(*whole).0, a.space_owner(*part).0);
            if let Some(op) = a.value(whole_value).def {
                if a.op(op).operands().any(|v| v == a.value(part_value).value) {
                    return Err(format!("its channels are padded or inserted by {}", describe::op(a.op(op))));
                }
            }
            // Nor a slice that also cuts other dims (or drops some).
            let (d, (ws, ps)) = (a.space_owner(*whole).1, (&a.value(whole_value).shape, &a.value(part_value).shape));
            if ws.len() != ps.len() || (0..ws.len()).any(|e| e != d && ws[e] != ps[e]) {
                let by = a.value(part_value).def.map(|o| describe::op(a.op(o))).unwrap_or_else(|| "a slice".into());
                return Err(format!("its channels pass through {by}, which cuts other dims too"));
            }
            place(&mut out, from, a.class_of(*whole), a.class_of(*part), *offset as u32, size(*part), sets);
        }
    }
    Ok(out)
}

/// A channel shuffle: `whole`, unflattened into `parts` by a reshape, is
/// flattened again in another order by a reshape of a transpose of those
/// parts (ShuffleNet's `C` viewed as `g x C/g`, transposed, flattened), or
/// the same seen from the other end. Returns the other end's class and
/// where each index of `whole` lands there: a fixed permutation, which the
/// rewrite rebuilds for the kept channels (`take-through-shuffle`). Channels
/// reach the other end one by one, without the factors' classes.
fn shuffled_twin(a: &Dependencies, whole: SpaceId, parts: &[(SpaceId, i64)]) -> Option<(ClassId, Vec<u32>)> {
    let factors = |ps: &[(SpaceId, i64)]| -> Option<(ValueId, Vec<(ClassId, i64, i64)>)> {
        let value = a.space_owner(ps.first()?.0).0;
        let mut fs: Vec<(ClassId, i64, i64)> =
            ps.iter().filter(|(p, _)| a.space_size(*p) > 1).map(|&(p, st)| (a.class_of(p), st, a.space_size(p))).collect();
        fs.sort();
        let distinct = fs.windows(2).all(|w| w[0].0 != w[1].0);
        (ps.iter().all(|(p, _)| a.space_owner(*p).0 == value) && distinct && fs.len() >= 2).then_some((value, fs))
    };
    let (value, mine) = factors(parts)?;
    let n = a.space_size(whole);
    a.relations().iter().find_map(|rel| {
        let Relation::Merge { whole: other, parts: other_parts } = rel else { return None };
        if *other == whole || a.space_size(*other) != n {
            return None;
        }
        let (other_value, theirs) = factors(other_parts)?;
        let same_factors = mine.len() == theirs.len() && mine.iter().zip(&theirs).all(|(x, y)| x.0 == y.0 && x.2 == y.2);
        let ends = (a.space_owner(whole).0, a.space_owner(*other).0);
        let chained = reshape_transpose_reshape(a, (ends.0, value), (ends.1, other_value))
            || reshape_transpose_reshape(a, (ends.1, other_value), (ends.0, value));
        if !same_factors || !chained {
            return None;
        }
        let map = (0..n)
            .map(|i| mine.iter().zip(&theirs).map(|(&(_, s1, size), &(_, s2, _))| (i / s1) % size * s2).sum::<i64>() as u32)
            .collect();
        Some((a.class_of(*other), map))
    })
}

/// Whether `input` is unflattened into `expanded` by a reshape, `flattened`
/// is flattened into `output` by a reshape, and `flattened` is `expanded`
/// itself or its transpose, each intermediate read only by the next op.
fn reshape_transpose_reshape(a: &Dependencies, (input, expanded): (ValueId, ValueId), (output, flattened): (ValueId, ValueId)) -> bool {
    use crate::analysis::rules::{role, Role};
    let reads = |v: ValueId, def: Option<OpId>, r: Role| {
        def.is_some_and(|d| role(a.op(d)) == Some(r) && a.op(d).operand(0) == a.value(v).value)
    };
    let single_use = |v: ValueId| a.value(v).value.uses().len() == 1;
    let transposed = flattened == expanded
        || (reads(expanded, a.value(flattened).def, Role::Transpose) && single_use(flattened));
    reads(input, a.value(expanded).def, Role::Reshape)
        && reads(flattened, a.value(output).def, Role::Reshape)
        && single_use(expanded)
        && transposed
}

/// The classes whose channels a group rooted at `root` may remove, best
/// first; each channel of such a class removes the indices of `root` it
/// maps to.
///
/// - A layer whose output is cut into equal chunks of one class (gates
///   that meet element-wise) has that class's channels, and only those.
/// - A layer whose output a reshape factors (`qkv` into q/k/v x heads x
///   head dim, a grouped convolution's input into groups x channels per
///   group, SimNorm's latent into simplices) first removes the innermost
///   factor: the same indices in every outer slice (head dims, channels per
///   group), as Torch-Pruning does by default. Failing that, the next outer
///   factor: whole slices (heads, simplices). `heads=whole`
///   ([`HeadUnits::Whole`]) tries whole slices first.
/// - Otherwise, or when neither can go, the root's own channels.
fn channel_layouts(a: &Dependencies, root: ClassId, units: HeadUnits) -> Vec<ClassId> {
    if let Some(tile) = tiling_class(a, root) {
        return vec![tile];
    }
    let mut layouts = Vec::new();
    let mut seen = BTreeSet::from([root]);
    let mut innermost = None;
    let mut current = root;
    while let Some((inner, outer)) = innermost_factor(a, current) {
        if !seen.insert(inner) {
            break;
        }
        innermost = Some((inner, outer));
        current = inner;
    }
    if let Some((inner, outer)) = innermost {
        // Whole slices first, unless the outer factor is a layer's own
        // output dim (a grouped convolution's groups): removing a conv
        // group ties its input and output groups into one, which two
        // groups here cannot express; conv groups keep their count.
        match (units, outer) {
            (HeadUnits::Whole, Some(outer)) if a.roots(outer).is_empty() => layouts.extend([outer, inner]),
            _ => {
                layouts.push(inner);
                layouts.extend(outer);
            }
        }
    }
    layouts.push(root);
    layouts
}

/// The innermost (stride 1) and next-outer factors of a reshape that splits
/// class `whole` into two or more non-unit parts.
fn innermost_factor(a: &Dependencies, whole: ClassId) -> Option<(ClassId, Option<ClassId>)> {
    relations_at(a, whole, petgraph::Direction::Incoming).into_iter().find_map(|r| {
        let Relation::Merge { whole: w, parts } = &a.relations()[r] else { return None };
        // A shuffle's reshape is no factoring: its channels go one by one.
        if a.class_of(*w) != whole || shuffled_twin(a, *w, parts).is_some() {
            return None;
        }
        let mut factors: Vec<(i64, ClassId)> =
            parts.iter().filter(|(p, _)| a.space_size(*p) > 1).map(|&(p, stride)| (stride, a.class_of(p))).collect();
        factors.sort();
        match factors.as_slice() {
            [(_, inner), (_, outer), ..] if *inner != whole && *outer != whole && inner != outer => Some((*inner, Some(*outer))),
            _ => None,
        }
    })
}

/// A root class that is an outer factor of channels that another root of
/// the same op produces: the groups `G` of a grouped convolution's
/// `G x F` output. It is no unit of its own (Torch-Pruning keeps the group
/// count); the inner factor's group removes the same channels per group.
fn is_outer_factor(a: &Dependencies, root: ClassId) -> bool {
    let ops: BTreeSet<OpId> = a.roots(root).iter().map(|&(op, _)| op).collect();
    relations_at(a, root, petgraph::Direction::Outgoing).into_iter().any(|r| {
        let Relation::Merge { parts, .. } = &a.relations()[r] else { return false };
        let Some(&(_, stride)) = parts.iter().find(|(p, _)| a.class_of(*p) == root) else { return false };
        parts.iter().any(|&(p, s)| {
            s < stride && a.space_size(p) > 1 && a.roots(a.class_of(p)).iter().any(|(op, _)| ops.contains(op))
        })
    })
}

/// A root whose channels a reshape factors into another root's channels
/// (a squeeze-excitation's gate, produced whole, multiplies a grouped
/// convolution's groups x channels output): the inner root's group already
/// removes them, with the same indices.
fn factors_into_root(a: &Dependencies, layouts: &[ClassId]) -> bool {
    // Factored layouts end with the root itself; a tiling is the only layout.
    layouts.len() > 1 && !a.roots(layouts[0]).is_empty()
}

/// The relations (indices into [`Dependencies::relations`]) in which class
/// `c` is a part (`Outgoing`: edges run part -> whole) or a whole
/// (`Incoming`), ascending.
fn relations_at(a: &Dependencies, c: ClassId, direction: petgraph::Direction) -> BTreeSet<usize> {
    a.class_graph().edges_directed(a.class_node(c), direction).map(|e| *e.weight()).collect()
}

/// The class that tiles `root` exactly, if there is one: every relation with
/// `root` as its whole is a slice or concat part of one class `P`, and the
/// parts sit side by side at 0, |P|, 2|P|, ... covering `root` (a GRU-style
/// layer chunked into gates). Channel `k` of the group is then `k` of `P`,
/// and removes `k`, `|P| + k`, ... of `root`; rooted at `root` itself, the
/// chunks' channels would collide in `P`.
fn tiling_class(a: &Dependencies, root: ClassId) -> Option<ClassId> {
    let size = |s: SpaceId| a.space_size(s);
    let mut tiles: BTreeSet<(i64, ClassId, i64)> = BTreeSet::new();
    for rel in a.relations() {
        match rel {
            Relation::Window { whole, part, offset } if a.class_of(*whole) == root => {
                tiles.insert((*offset, a.class_of(*part), size(*part)));
            }
            Relation::Concat { whole, parts } if a.class_of(*whole) == root => {
                tiles.extend(parts.iter().map(|(p, off)| (*off, a.class_of(*p), size(*p))));
            }
            Relation::Merge { whole, .. } if a.class_of(*whole) == root => return None,
            _ => {}
        }
    }
    let &(_, part, n) = tiles.first()?;
    let tiled = tiles.len() >= 2
        && part != root
        && n > 0
        && tiles.iter().enumerate().all(|(i, &(off, c, m))| c == part && m == n && off == i as i64 * n)
        && tiles.len() as i64 * n == a.class_size(root);
    tiled.then_some(part)
}

impl Groups {
    /// Builds every group of the analysis: one per class that a weight
    /// produces, then freezes groups that claim the same channels, then
    /// splits interface groups into pieces.
    pub fn build(a: &Dependencies, components: &ComponentMap, units: HeadUnits) -> Groups {
        let layers = layers_by_class(a);
        let mut groups: Vec<Group> = Vec::new();
        for root in a.class_ids().filter(|&c| !a.roots(c).is_empty() && !is_outer_factor(a, c)) {
            // Whether a root factors into another is about the inner
            // factor, whichever unit is preferred.
            if factors_into_root(a, &channel_layouts(a, root, HeadUnits::Dims)) {
                continue;
            }
            let layouts = channel_layouts(a, root, units);
            let group = group_at(a, components, &layers, root, &layouts, groups.len());
            // Two roots whose channels land on the same indices everywhere
            // (a GRU's input and hidden projections, both cut into the same
            // gates) are one group, numbered at the first.
            if !groups.iter().any(|g| same_members(&g.members, &group.members)) {
                groups.push(group);
            }
        }
        drop_assembled_roots(&mut groups);
        freeze_overlapping(a, &mut groups);
        let pieces = groups.iter().filter(|g| g.is_interface()).flat_map(|g| pieces_of(a, components, g)).collect();
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

/// Drops the groups whose root's every channel other groups bring in: a
/// depthwise convolution reading a concat or a channel shuffle of other
/// layers' outputs passes their channels on, each removed with the layer
/// that made it (as Torch-Pruning's groups do); a group of its own would
/// claim them twice. The rest are numbered again in order.
///
/// Bringing goes both ways: the assembled group reaches each part's class
/// too, so the group of a part (the last ShuffleNetV2 block's branch, one
/// half of the stage output the next stage's depthwise convolution reads)
/// has its channels brought by the assembled group. Wholes go first (most
/// channels first, then the later root), and a group is dropped only if
/// the groups still kept bring every channel of it: the whole goes, its
/// parts stay.
fn drop_assembled_roots(groups: &mut Vec<Group>) {
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(groups[i].channels), std::cmp::Reverse(i)));
    let mut dropped = vec![false; groups.len()];
    for i in order {
        let g = &groups[i];
        let brought: BTreeSet<u32> = groups
            .iter()
            .enumerate()
            .filter(|&(j, _)| j != i && !dropped[j])
            .flat_map(|(_, o)| o.members.iter().filter(|m| m.class == g.root))
            .flat_map(|m| m.indices.iter().flatten().copied())
            .collect();
        dropped[i] = g.channels > 0 && brought.len() == g.channels && g.members.iter().any(|m| m.class == g.root);
    }
    let mut index = 0;
    groups.retain(|_| {
        index += 1;
        !dropped[index - 1]
    });
    for (i, g) in groups.iter_mut().enumerate() {
        g.id = i;
    }
}

/// Whether two groups remove the same indices of the same classes.
fn same_members(x: &[Member], y: &[Member]) -> bool {
    x.len() == y.len() && x.iter().zip(y).all(|(m, n)| m.class == n.class && m.indices == n.indices)
}

/// Layer ops by the classes they touch.
fn layers_by_class(a: &Dependencies) -> BTreeMap<ClassId, BTreeSet<OpId>> {
    let mut layers: BTreeMap<ClassId, BTreeSet<OpId>> = BTreeMap::new();
    for op in a.ops().ids().filter(|&op| a.is_layer_op(op)) {
        for v in a.op(op).operands().chain(a.op(op).results()) {
            if let Some(vid) = a.value_id(v) {
                for d in 0..a.value(vid).shape.len() {
                    layers.entry(a.class_of_dim(vid, d)).or_default().insert(op);
                }
            }
        }
    }
    layers
}

/// The group rooted at class `root`, numbered `id`.
fn group_at(
    a: &Dependencies,
    components: &ComponentMap,
    layers: &BTreeMap<ClassId, BTreeSet<OpId>>,
    root: ClassId,
    layouts: &[ClassId],
    id: usize,
) -> Group {
    // The first layout whose channels can go. When none can, the group
    // keeps the root's own channels (the last layout), and the first (the
    // preferred unit) says why: the root's own reason would only be that a
    // reshape splits its channels, which is what the layouts get round.
    let mut preferred_reason = None;
    let mut chosen = Default::default();
    for (k, &channel_class) in layouts.iter().enumerate() {
        let channels = a.class_size(channel_class).max(0) as usize;
        let (reached, frozen) = reach(a, channel_class, channels);
        let frozen = frozen.or_else(|| overlap_in_members(a, &reached)).or_else(|| frozen_member(a, &reached));
        tracing::debug!(root = ?root, layout = ?channel_class, frozen = ?frozen, "channel layout");
        if k == 0 {
            preferred_reason = frozen.clone();
        }
        let done = frozen.is_none();
        chosen = (channels, reached, frozen);
        if done {
            break;
        }
    }
    let (channels, reached, mut frozen): (usize, BTreeMap<ClassId, Vec<BTreeSet<u32>>>, Option<String>) = chosen;
    if frozen.is_some() {
        frozen = preferred_reason;
    }
    let members: Vec<Member> = reached
        .iter()
        .map(|(c, sets)| Member { class: *c, indices: sets.iter().map(|s| s.iter().copied().collect()).collect() })
        .collect();
    let weights = weight_cuts(a, &members);
    let ops: Vec<OpId> =
        members.iter().filter_map(|m| layers.get(&m.class)).flatten().copied().collect::<BTreeSet<_>>().into_iter().collect();
    let comps: BTreeSet<ComponentId> = ops.iter().filter_map(|&o| components.component_of(a.op(o))).collect();
    Group { id, root, channels, members, weights, ops, components: comps.into_iter().collect(), frozen }
}

/// Where each channel of `start` lands in every class reachable through
/// index maps, and the first reason found that a map cannot carry them.
fn reach(a: &Dependencies, start: ClassId, channels: usize) -> (BTreeMap<ClassId, Vec<BTreeSet<u32>>>, Option<String>) {
    let mut frozen: Option<String> = None;
    let mut reached: BTreeMap<ClassId, Vec<BTreeSet<u32>>> = BTreeMap::new();
    reached.insert(start, (0..channels as u32).map(|i| BTreeSet::from([i])).collect());
    let mut queue = VecDeque::from([start]);
    while let Some(c) = queue.pop_front() {
        let sets = reached[&c].clone();
        let mut rels = relations_at(a, c, petgraph::Direction::Outgoing);
        rels.extend(relations_at(a, c, petgraph::Direction::Incoming));
        for r in rels {
            match spread(a, &a.relations()[r], c, &sets, &reached) {
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
    (reached, frozen)
}

/// Channels must land on disjoint indices in every class.
fn overlap_in_members(a: &Dependencies, reached: &BTreeMap<ClassId, Vec<BTreeSet<u32>>>) -> Option<String> {
    reached.iter().find_map(|(c, sets)| {
        let total: usize = sets.iter().map(|s| s.len()).sum();
        let distinct: BTreeSet<u32> = sets.iter().flatten().copied().collect();
        (total != distinct.len()).then(|| format!("channels overlap in {}", class_label(a, *c)))
    })
}

/// The freeze of the first frozen class the group reaches, naming its op.
fn frozen_member(a: &Dependencies, reached: &BTreeMap<ClassId, Vec<BTreeSet<u32>>>) -> Option<String> {
    reached.keys().find_map(|&c| {
        let f = a.frozen(c)?;
        let by = f.op.map(|o| format!(" at {}", describe::op(a.op(o)))).unwrap_or_default();
        Some(format!("{}{by}", f.reason))
    })
}

/// The weight dims the members cut, ordered by weight op and dim.
fn weight_cuts(a: &Dependencies, members: &[Member]) -> Vec<WeightCut> {
    let mut cuts = Vec::new();
    for m in members {
        for &s in a.class_spaces(m.class) {
            let (v, d) = a.space_owner(s);
            let Some(w) = a.value(v).def.and_then(|op| a.weight_of_op(op)).filter(|&w| a.weight(w).value == v) else { continue };
            let shape = &a.value(v).shape;
            let other_elements = shape.iter().enumerate().filter(|&(e, _)| e != d).map(|(_, &n)| n.max(0) as u64).product();
            cuts.push(WeightCut { weight: w, dim: d, indices: m.indices.clone(), other_elements });
        }
    }
    cuts.sort_by_key(|w| (a.weight(w.weight).op, w.dim));
    cuts
}

/// Two groups may not claim the same index of a class: both are frozen.
fn freeze_overlapping(a: &Dependencies, groups: &mut [Group]) {
    let mut claims: BTreeMap<ClassId, Vec<(usize, BTreeSet<u32>)>> = BTreeMap::new();
    for g in groups.iter() {
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
}

/// An interface group's layers and weights, one piece per component.
fn pieces_of(a: &Dependencies, components: &ComponentMap, g: &Group) -> Vec<Piece> {
    let in_component = |op: OpId, c: ComponentId| components.component_of(a.op(op)) == Some(c);
    g.components
        .iter()
        .map(|&c| Piece {
            group: g.id,
            component: c,
            ops: g.ops.iter().copied().filter(|&o| in_component(o, c)).collect(),
            weights: g.weights.iter().map(|w| w.weight).filter(|&w| in_component(a.weight(w).op, c)).collect(),
        })
        .collect()
}

/// A readable name for a class: its first value and dim.
pub fn class_label(a: &Dependencies, c: ClassId) -> String {
    let s = a.class_spaces(c)[0];
    let (v, d) = a.space_owner(s);
    let what = match a.value(v).def {
        Some(op) => describe::op(a.op(op)),
        None => describe::value(a.value(v).value),
    };
    format!("dim {d} of {what}")
}
