//! Selection: which channels of which groups to remove so that `ratio` of
//! the model's parameters go, and the resulting plan per coupled class.
//!
//! Channels leave a group in units, least important first, each taking it
//! to the next kept count `round-to` allows (multiples of N, or the widths
//! the backend is fast at), never below
//! `min-keep` and never more than `max-ratio` of the group. `scope=global`
//! takes units from all prunable groups in order of their score (`rank`:
//! importance per parameter or FLOP saved, importance alone, or LAMP);
//! `scope=local` takes the same fraction of every prunable group. The
//! budget (`budget`: parameters or FLOPs) is counted exactly (a weight cut
//! by two groups loses rows and columns, not their sum), and the selection
//! stops at whichever of the last two steps is closer to the target.

pub mod calibration;
pub mod counts;
pub mod importance;

use crate::tag::ComponentMap;
use counts::WeightCounts;
use crate::analysis::{ClassId, Dependencies, IdVec, WeightId};
use crate::error::{Error, Result};
use crate::group::{Group, Grouping, Groups};
use crate::select::importance::{Norm, SliceNorms};
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    Local,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interfaces {
    Keep,
    Prune,
}

/// How `scope=global` compares channels of different groups. Importance
/// is already divided by its group's mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rank {
    /// Importance per unit of budget saved: cheap-to-keep channels go last,
    /// so parameter-heavy groups are cut first.
    Cost,
    /// Importance alone (Torch-Pruning's global ranking).
    Mean,
    /// LAMP (Lee et al. 2021): a channel's importance over the importance
    /// of all channels of its group at least as important. The most
    /// important channel of every group scores 1, so no group empties
    /// before the others are thin.
    Lamp,
}

impl Rank {
    pub const NAMES: &'static [&'static str] = &["cost", "mean", "lamp"];

    pub fn parse(s: &str) -> Option<Rank> {
        match s {
            "cost" => Some(Rank::Cost),
            "mean" => Some(Rank::Mean),
            "lamp" => Some(Rank::Lamp),
            _ => None,
        }
    }
}

/// Which kept channel counts a group may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Multiples of N (1: any count).
    Multiple(usize),
    /// Widths IREE's CPU code is fast at (BENCHMARKS.md, "Widths"): 2, 4,
    /// 8, multiples of 16 below 64, multiples of 64 from 64 on. Measured
    /// here, every other width ran slower than some wider one, and these
    /// never ran slower than the unpruned width.
    Auto,
}

impl Rounding {
    /// Whether a group may keep `k` channels.
    pub fn allows(self, k: usize) -> bool {
        match self {
            Rounding::Multiple(n) => k % n.max(1) == 0,
            Rounding::Auto => matches!(k, 2 | 4 | 8) || (k < 64 && k % 16 == 0) || (k >= 64 && k % 64 == 0),
        }
    }
}

/// What `ratio` is a fraction of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// Elements of weight constants (the paper's ratio).
    Params,
    /// Multiply-accumulate FLOPs of contractions and convolutions.
    Flops,
}

impl Budget {
    pub const NAMES: &'static [&'static str] = &["params", "flops"];

    pub fn parse(s: &str) -> Option<Budget> {
        match s {
            "params" => Some(Budget::Params),
            "flops" => Some(Budget::Flops),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Budget::Params => "params",
            Budget::Flops => "flops",
        }
    }
}

#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub ratio: f64,
    pub grouping: Grouping,
    pub interfaces: Interfaces,
    pub importance: Norm,
    pub scope: Scope,
    pub rank: Rank,
    pub budget: Budget,
    pub protect: Vec<String>,
    pub component_weights: Vec<(String, f64)>,
    pub round_to: Rounding,
    pub min_keep: usize,
    /// The largest fraction of any group's channels that may go.
    pub max_ratio: f64,
    /// Per group id: importance measured on calibration inputs, used instead
    /// of weight magnitudes.
    pub calibrated: BTreeMap<usize, Vec<f64>>,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            ratio: 0.0,
            grouping: Grouping::Component,
            interfaces: Interfaces::Keep,
            importance: Norm::L2,
            scope: Scope::Global,
            rank: Rank::Cost,
            budget: Budget::Params,
            protect: Vec::new(),
            component_weights: Vec::new(),
            round_to: Rounding::Multiple(1),
            min_keep: 1,
            max_ratio: 1.0,
            calibrated: BTreeMap::new(),
        }
    }
}

/// What to remove.
#[derive(Clone, Debug, Default)]
pub struct PrunePlan {
    /// Per group id: the channels removed, ascending.
    pub removed: BTreeMap<usize, Vec<u32>>,
    /// Per class: the indices removed from its spaces, ascending.
    pub class_removed: BTreeMap<ClassId, Vec<u32>>,
    /// Per group id: why it was not pruned, when a rule (rather than the
    /// importance order) decided it.
    pub skipped: BTreeMap<usize, String>,
    pub params_before: u64,
    pub params_after: u64,
    /// Multiply-accumulate FLOPs of contractions and convolutions, as the
    /// selection counts them (weight elements times their uses).
    pub flops_before: u64,
    pub flops_after: u64,
    /// Groups that gave up as many channels as `max-ratio` allows.
    pub capped: BTreeSet<usize>,
    /// Messages for the user (the target could not be reached, ...).
    pub notes: Vec<String>,
    /// Weights whose kept values compensation changed (calibration).
    pub compensated: BTreeSet<WeightId>,
}

impl PrunePlan {
    pub fn ratio_reached(&self) -> f64 {
        if self.params_before == 0 {
            0.0
        } else {
            1.0 - self.params_after as f64 / self.params_before as f64
        }
    }

    pub fn flops_ratio_reached(&self) -> f64 {
        if self.flops_before == 0 {
            0.0
        } else {
            1.0 - self.flops_after as f64 / self.flops_before as f64
        }
    }

    /// Kept indices of a space of `class` with `size` entries.
    pub fn kept(&self, class: ClassId, size: usize) -> Option<Vec<u32>> {
        let removed = self.class_removed.get(&class)?;
        let set: BTreeSet<u32> = removed.iter().copied().collect();
        Some((0..size as u32).filter(|i| !set.contains(i)).collect())
    }
}

/// A run of channels that leave a group together.
#[derive(Clone, Debug)]
struct Unit {
    channels: Vec<u32>,
    /// The global ranking's score: lowest goes first.
    score: f64,
}

/// Splits a group's channels (least important first) into removable units,
/// each taking the group to the next kept count `round-to` allows, never
/// below `min-keep` nor below what `max-ratio` keeps.
fn units(group: &Group, importance: &[f64], opts: &PlanOptions, flops_per_element: &IdVec<WeightId, u64>) -> Vec<Unit> {
    let c = group.channels;
    let mut order: Vec<u32> = (0..c as u32).collect();
    order.sort_by(|&x, &y| importance[x as usize].total_cmp(&importance[y as usize]).then(x.cmp(&y)));
    let cost_of = |ch: u32| -> f64 {
        group
            .weights
            .iter()
            .map(|cut| {
                let per_element = match opts.budget {
                    Budget::Params => 1,
                    Budget::Flops => flops_per_element[cut.weight],
                };
                (cut.indices[ch as usize].len() as u64 * cut.other_elements * per_element) as f64
            })
            .sum()
    };
    // LAMP: each channel over the sum of it and every channel above it.
    let mut tail = 0.0;
    let mut lamp = vec![0.0; c];
    for &ch in order.iter().rev() {
        tail += importance[ch as usize];
        lamp[ch as usize] = if tail > 0.0 { importance[ch as usize] / tail } else { 0.0 };
    }
    let capped_floor = (c as f64 * (1.0 - opts.max_ratio)).ceil() as usize;
    let floor = opts.min_keep.max(1).max(capped_floor);
    // Each unit takes the group from one allowed width to the next below.
    let mut out = Vec::new();
    let mut remaining = c;
    for kept in (floor..c).rev().filter(|&k| opts.round_to.allows(k)) {
        let channels: Vec<u32> = order[c - remaining..c - kept].to_vec();
        let importance_sum: f64 = channels.iter().map(|&ch| importance[ch as usize]).sum();
        let score = match opts.rank {
            Rank::Cost => importance_sum / channels.iter().map(|&ch| cost_of(ch)).sum::<f64>().max(1.0),
            Rank::Mean => importance_sum / channels.len() as f64,
            Rank::Lamp => channels.iter().map(|&ch| lamp[ch as usize]).fold(0.0, f64::max),
        };
        out.push(Unit { channels, score });
        remaining = kept;
    }
    out
}

/// Options that name components must name real ones.
fn check_component_names(map: &ComponentMap, opts: &PlanOptions) -> Result<()> {
    let known: BTreeSet<&str> = map.components().map(|(_, n)| n).collect();
    for name in opts.protect.iter().chain(opts.component_weights.iter().map(|(n, _)| n)) {
        if !known.contains(name.as_str()) {
            let known = known.iter().map(|n| n.to_string()).collect();
            return Err(Error::UnknownComponent { name: name.clone(), known });
        }
    }
    Ok(())
}

/// Why a group is not a candidate, when a rule decides it.
fn skip_reason(g: &Group, protected: &BTreeSet<usize>, opts: &PlanOptions) -> Option<String> {
    if let Some(why) = &g.frozen {
        Some(format!("frozen: {why}"))
    } else if g.components.iter().any(|c| protected.contains(c)) {
        Some("protected component".to_string())
    } else if opts.grouping == Grouping::Component && opts.interfaces == Interfaces::Keep && g.is_interface() {
        Some("interface group (interfaces=keep)".to_string())
    } else {
        None
    }
}

/// The candidates: per prunable group, its importance and its units.
struct Candidates {
    importance: BTreeMap<usize, Vec<f64>>,
    units: BTreeMap<usize, Vec<Unit>>,
}

fn candidates(
    a: &Dependencies,
    groups: &Groups,
    map: &ComponentMap,
    opts: &PlanOptions,
    flops_per_element: &IdVec<WeightId, u64>,
    plan: &mut PrunePlan,
) -> Result<Candidates> {
    let protected: BTreeSet<usize> = opts.protect.iter().filter_map(|n| map.id(n)).collect();
    let weight_of = |c: usize| {
        opts.component_weights.iter().find(|(n, _)| map.id(n) == Some(c)).map(|(_, w)| *w).unwrap_or(1.0)
    };
    let mut norms = SliceNorms::default();
    // Every weight the ranking reads, read at once (in parallel on a large
    // model) rather than group by group.
    let ranked = groups.groups.iter().filter(|g| skip_reason(g, &protected, opts).is_none() && !opts.calibrated.contains_key(&g.id));
    norms.prefetch(a, ranked.flat_map(|g| g.weights.iter().map(|c| (c.weight, c.dim))), opts.importance)?;
    let mut out = Candidates { importance: BTreeMap::new(), units: BTreeMap::new() };
    for g in &groups.groups {
        if let Some(why) = skip_reason(g, &protected, opts) {
            plan.skipped.insert(g.id, why);
            continue;
        }
        let imp = match opts.calibrated.get(&g.id) {
            Some(c) => c.clone(),
            None => norms.group_importance(a, g, opts.importance)?,
        };
        // A component weight scales the group's scores against other
        // groups' (after any normalisation, which would cancel it).
        let w = g.components.iter().map(|&c| weight_of(c)).fold(f64::MIN, f64::max);
        let w = if w == f64::MIN { 1.0 } else { w };
        let mut us = units(g, &imp, opts, flops_per_element);
        for u in &mut us {
            u.score *= w;
        }
        out.units.insert(g.id, us);
        out.importance.insert(g.id, imp);
    }
    Ok(out)
}

/// How far from the goal, as a fraction of the unpruned total, a global
/// selection may stop in importance order rather than look further for a
/// closer count.
const CLOSE_ENOUGH: f64 = 0.02;

/// `scope=global`: units in order of score across groups (a group's units
/// in their own order), until the budget is met.
///
/// At the first unit that would cross the goal, the selection stops if
/// either side of the crossing is within [`CLOSE_ENOUGH`] of the goal,
/// keeping the closer side. Otherwise the crossing is remembered, it ends
/// its group's run, and the next units of the other groups are tried in its
/// place, each crossing judged the same way; in the end the closest of the
/// crossings and of what the units left stays (a crossing on a tie). On a
/// narrow model, whose `round-to=auto` steps are few and large, stopping at
/// the first crossing landed far from the ratio asked (53.8% for 40% on the
/// digits CNN; 38.0% now). Near the goal, going on trades importance order
/// for a closer count, and that cost more than it gained: on the trained
/// TD-MPC, calibrated at 60%, 6.65x the unpruned task loss at 60.4% against
/// 1.46x at 58.0%.
fn select_global(groups: &Groups, cands: &Candidates, counts: &mut WeightCounts, budget: Budget, goal: u64) -> BTreeMap<usize, Vec<u32>> {
    let close_enough = (CLOSE_ENOUGH * counts.total(budget) as f64) as u64;
    #[derive(PartialEq)]
    struct Next(f64, usize, usize); // score, group, unit index
    impl Eq for Next {}
    impl PartialOrd for Next {
        fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Next {
        fn cmp(&self, o: &Self) -> std::cmp::Ordering {
            // Min-heap on score, ties by group then unit.
            o.0.total_cmp(&self.0).then(o.1.cmp(&self.1)).then(o.2.cmp(&self.2))
        }
    }
    let mut heap = BinaryHeap::new();
    for (&g, us) in &cands.units {
        if let Some(u) = us.first() {
            heap.push(Next(u.score, g, 0));
        }
    }
    // The units taken, in order; a crossing is the number taken before it
    // and the unit that crossed, with its distance past the goal.
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut best_crossing: Option<(u64, usize, (usize, usize))> = None;
    while counts.total(budget) > goal {
        let Some(Next(_, g, k)) = heap.pop() else { break };
        let unit = &cands.units[&g][k];
        let before = counts.total(budget);
        for &ch in &unit.channels {
            counts.remove(&groups.groups[g], ch as usize);
        }
        let after = counts.total(budget);
        if after < goal {
            let (past, short) = (goal - after, before - goal);
            if best_crossing.is_none_or(|(d, ..)| past < d) {
                best_crossing = Some((past, taken.len(), (g, k)));
            }
            for &ch in &unit.channels {
                counts.undo(&groups.groups[g], ch as usize);
            }
            if past.min(short) <= close_enough {
                break;
            }
            continue;
        }
        taken.push((g, k));
        if let Some(u) = cands.units[&g].get(k + 1) {
            heap.push(Next(u.score, g, k + 1));
        }
    }
    let short = counts.total(budget).saturating_sub(goal);
    let mut chosen: Vec<(usize, usize)> = match best_crossing {
        Some((past, prefix, crossing)) if past <= short => {
            for &(g, k) in &taken[prefix..] {
                apply_unit(groups, cands, counts, (g, k), false);
            }
            apply_unit(groups, cands, counts, crossing, true);
            taken[..prefix].iter().copied().chain([crossing]).collect()
        }
        _ => taken,
    };
    settle(groups, cands, counts, budget, goal, close_enough, &mut chosen);
    let mut removed: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    for (g, k) in chosen {
        removed.entry(g).or_default().extend(cands.units[&g][k].channels.iter().copied());
    }
    removed
}

/// Removes (or, `remove` false, restores) the channels of one unit.
fn apply_unit(groups: &Groups, cands: &Candidates, counts: &mut WeightCounts, (g, k): (usize, usize), remove: bool) {
    for &ch in &cands.units[&g][k].channels {
        if remove {
            counts.remove(&groups.groups[g], ch as usize);
        } else {
            counts.undo(&groups.groups[g], ch as usize);
        }
    }
}

/// Moves a global selection that ended farther than `close_enough` from
/// the goal towards it, one unit at a time, while each move lands closer:
/// past the goal, the last unit chosen that is its group's deepest goes
/// back (the most important removals are undone first); short of it, the
/// lowest-scored next unit of any group is taken. Units step from one
/// allowed width to the next, and a group's few large steps (a 32-channel
/// layer of a small CNN at `round-to=auto`: 16 channels, a third of the
/// parameters) otherwise leave the ratio far off: the trained digits CNN,
/// calibrated at 60% asked, removed 69.8%; now 57.1%.
fn settle(groups: &Groups, cands: &Candidates, counts: &mut WeightCounts, budget: Budget, goal: u64, close_enough: u64, chosen: &mut Vec<(usize, usize)>) {
    loop {
        let now = counts.total(budget).abs_diff(goal);
        if now <= close_enough {
            return;
        }
        let moves: Vec<((usize, usize), bool)> = if counts.total(budget) < goal {
            let deepest = |i: usize| {
                let (g, k) = chosen[i];
                !chosen.iter().any(|&(h, j)| h == g && j > k)
            };
            (0..chosen.len()).rev().filter(|&i| deepest(i)).map(|i| (chosen[i], false)).collect()
        } else {
            let mut next: Vec<(f64, (usize, usize))> = cands
                .units
                .iter()
                .filter_map(|(&g, us)| {
                    let k = chosen.iter().filter(|&&(h, _)| h == g).map(|&(_, j)| j + 1).max().unwrap_or(0);
                    us.get(k).map(|u| (u.score, (g, k)))
                })
                .collect();
            next.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            next.into_iter().map(|(_, unit)| (unit, true)).collect()
        };
        let mut moved = false;
        for (unit, remove) in moves {
            apply_unit(groups, cands, counts, unit, remove);
            if counts.total(budget).abs_diff(goal) < now {
                if remove {
                    chosen.push(unit);
                } else {
                    chosen.retain(|&u| u != unit);
                }
                moved = true;
                break;
            }
            apply_unit(groups, cands, counts, unit, !remove);
        }
        if !moved {
            return;
        }
    }
}

/// `scope=local`: the same fraction of every group, bisected so that the
/// budget lands closest to the goal.
fn select_local(groups: &Groups, cands: &Candidates, unpruned: &WeightCounts, budget: Budget, goal: u64) -> BTreeMap<usize, Vec<u32>> {
    let take = |f: f64| -> BTreeMap<usize, Vec<u32>> {
        let mut out = BTreeMap::new();
        for (&g, us) in &cands.units {
            let want = (f * groups.groups[g].channels as f64).round() as usize;
            let mut got = Vec::new();
            for u in us {
                if got.len() + u.channels.len() > want {
                    break;
                }
                got.extend(u.channels.iter().copied());
            }
            if !got.is_empty() {
                out.insert(g, got);
            }
        }
        out
    };
    let total_after = |sel: &BTreeMap<usize, Vec<u32>>| unpruned.after(groups, sel).total(budget);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..40 {
        let mid = (lo + hi) / 2.0;
        if total_after(&take(mid)) > goal {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let (under, over) = (take(lo), take(hi));
    if total_after(&under).abs_diff(goal) <= total_after(&over).abs_diff(goal) {
        under
    } else {
        over
    }
}

/// Chooses what to remove.
pub fn select(a: &Dependencies, groups: &Groups, map: &ComponentMap, opts: &PlanOptions) -> Result<PrunePlan> {
    check_component_names(map, opts)?;
    let mut plan = PrunePlan::default();
    let unpruned = WeightCounts::new(a);
    plan.params_before = unpruned.params();
    plan.flops_before = unpruned.flops();
    let cands = candidates(a, groups, map, opts, unpruned.flops_per_element(), &mut plan)?;

    let before = unpruned.total(opts.budget);
    let goal = before - ((opts.ratio * before as f64).round() as u64).min(before);
    let mut removed = match opts.scope {
        Scope::Global => select_global(groups, &cands, &mut unpruned.clone(), opts.budget, goal),
        Scope::Local => select_local(groups, &cands, &unpruned, opts.budget, goal),
    };
    keep_a_channel_in_every_member(groups, &cands.importance, &mut removed);
    let counts = unpruned.after(groups, &removed);
    plan.params_after = counts.params();
    plan.flops_after = counts.flops();
    plan.capped = capped_groups(&cands, &removed, opts);
    let steps_left = cands.units.iter().any(|(g, us)| removed.get(g).map_or(0, |r| r.len()) < us.iter().map(|u| u.channels.len()).sum());
    plan.notes.extend(ratio_note(&plan, groups, opts, steps_left));
    for (g, mut chs) in removed {
        chs.sort_unstable();
        plan.removed.insert(g, chs);
    }
    plan.class_removed = class_removals(groups, &plan.removed);
    Ok(plan)
}

/// Groups that gave every unit they had while `max-ratio` held others back.
fn capped_groups(cands: &Candidates, removed: &BTreeMap<usize, Vec<u32>>, opts: &PlanOptions) -> BTreeSet<usize> {
    if opts.max_ratio >= 1.0 {
        return BTreeSet::new();
    }
    cands
        .units
        .iter()
        .filter(|(g, us)| {
            let all: usize = us.iter().map(|u| u.channels.len()).sum();
            all > 0 && removed.get(g).map(|r| r.len()).unwrap_or(0) >= all
        })
        .map(|(&g, _)| g)
        .collect()
}

/// Why the ratio reached differs from the one asked, if it does by more
/// than a point. `steps_left`: some group could still lose channels.
fn ratio_note(plan: &PrunePlan, groups: &Groups, opts: &PlanOptions, steps_left: bool) -> Option<String> {
    let (reached, what) = match opts.budget {
        Budget::Params => (plan.ratio_reached(), "parameters"),
        Budget::Flops => (plan.flops_ratio_reached(), "FLOPs"),
    };
    if opts.ratio <= 0.0 || (reached - opts.ratio).abs() <= 0.01 {
        return None;
    }
    if groups.groups.is_empty() {
        return Some("the module holds no weights that feed a layer: nothing to prune, the module is written unchanged".into());
    }
    if reached > opts.ratio {
        return Some(format!(
            "removed {:.2}% of {what} for {:.2}% asked: the smallest step available overshoots",
            reached * 100.0,
            opts.ratio * 100.0
        ));
    }
    if steps_left && opts.scope == Scope::Global {
        return Some(format!(
            "removed {:.2}% of {what}, short of the {:.2}% asked: every step left (the next allowed width of a group) overshoots further",
            reached * 100.0,
            opts.ratio * 100.0
        ));
    }
    let cap = if plan.capped.is_empty() {
        String::new()
    } else {
        format!(
            "; {} groups gave the {:.0}% of their channels that max-ratio allows",
            plan.capped.len(),
            opts.max_ratio * 100.0
        )
    };
    Some(format!(
        "removed {:.2}% of {what}, short of the {:.2}% asked: the prunable groups allow no more \
         ({} of {} groups are frozen, protected or kept interfaces{cap})",
        reached * 100.0,
        opts.ratio * 100.0,
        plan.skipped.len(),
        groups.groups.len()
    ))
}

/// A group whose channels land in different classes (the chunks of a split
/// layer) must not empty any of them: a slice of nothing is no tensor TOSA
/// allows, and a layer with no inputs left is not a pruned layer. For each
/// class a group's removal would empty, its most important channel there
/// stays.
fn keep_a_channel_in_every_member(groups: &Groups, importance: &BTreeMap<usize, Vec<f64>>, removed: &mut BTreeMap<usize, Vec<u32>>) {
    for (&g, chs) in removed.iter_mut() {
        for m in &groups.groups[g].members {
            let owns = |ch: u32| !m.indices[ch as usize].is_empty();
            let holders = (0..groups.groups[g].channels as u32).filter(|&ch| owns(ch)).count();
            let gone: Vec<u32> = chs.iter().copied().filter(|&ch| owns(ch)).collect();
            if holders == 0 || gone.len() < holders {
                continue;
            }
            let best = gone.iter().copied().max_by(|&x, &y| {
                let (ix, iy) = (importance[&g][x as usize], importance[&g][y as usize]);
                ix.total_cmp(&iy).then(y.cmp(&x))
            });
            if let Some(best) = best {
                chs.retain(|&ch| ch != best);
            }
        }
    }
    removed.retain(|_, chs| !chs.is_empty());
}

/// The indices every class loses, from the channels every group loses.
pub fn class_removals(groups: &Groups, removed: &BTreeMap<usize, Vec<u32>>) -> BTreeMap<ClassId, Vec<u32>> {
    let mut out: BTreeMap<ClassId, BTreeSet<u32>> = BTreeMap::new();
    for (&g, chs) in removed {
        for m in &groups.groups[g].members {
            let set = out.entry(m.class).or_default();
            for &ch in chs {
                set.extend(m.indices[ch as usize].iter().copied());
            }
        }
    }
    out.into_iter().filter(|(_, s)| !s.is_empty()).map(|(c, s)| (c, s.into_iter().collect())).collect()
}
