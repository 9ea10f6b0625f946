//! Selection: which channels of which groups to remove so that `ratio` of
//! the model's parameters go, and the resulting plan per coupled class.
//!
//! Channels leave a group in units: the `round-to` remainder first, then
//! `round-to` channels at a time, least important first, and never below
//! `min-keep`. `scope=global` takes units from all prunable groups in order
//! of importance per parameter saved; `scope=local` takes the same fraction
//! of every prunable group. Parameters are counted exactly (a weight cut by
//! two groups loses rows and columns, not their sum), and the selection
//! stops at whichever of the last two steps is closer to the target.

use crate::component::ComponentMap;
use crate::deps::{Analysis, ClassId};
use crate::error::{Error, Result};
use crate::groups::{Group, Grouping, Groups};
use crate::importance::{Norm, SliceNorms};
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

#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub ratio: f64,
    pub grouping: Grouping,
    pub interfaces: Interfaces,
    pub importance: Norm,
    pub scope: Scope,
    pub protect: Vec<String>,
    pub component_weights: Vec<(String, f64)>,
    pub round_to: usize,
    pub min_keep: usize,
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
            protect: Vec::new(),
            component_weights: Vec::new(),
            round_to: 1,
            min_keep: 1,
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
    /// Messages for the user (the target could not be reached, ...).
    pub notes: Vec<String>,
}

impl PrunePlan {
    pub fn ratio_reached(&self) -> f64 {
        if self.params_before == 0 {
            0.0
        } else {
            1.0 - self.params_after as f64 / self.params_before as f64
        }
    }

    /// Kept indices of a space of `class` with `size` entries.
    pub fn kept(&self, class: ClassId, size: usize) -> Option<Vec<u32>> {
        let removed = self.class_removed.get(&class)?;
        let set: BTreeSet<u32> = removed.iter().copied().collect();
        Some((0..size as u32).filter(|i| !set.contains(i)).collect())
    }
}

/// Remaining sizes of every weight's dims, for exact parameter counts.
struct WeightCounts {
    shapes: Vec<Vec<i64>>,
    removed: Vec<Vec<i64>>,
    total: u64,
}

impl WeightCounts {
    fn new(a: &Analysis) -> WeightCounts {
        let shapes: Vec<Vec<i64>> = a.weights.iter().map(|w| a.values[w.value].shape.clone()).collect();
        let removed = shapes.iter().map(|s| vec![0; s.len()]).collect();
        let total = a.weights.iter().map(|w| w.elements).sum();
        WeightCounts { shapes, removed, total }
    }

    fn size(&self, w: usize) -> u64 {
        self.shapes[w].iter().zip(&self.removed[w]).map(|(s, r)| (s - r).max(0) as u64).product()
    }

    /// Removes channel `ch` of `group`; returns the new total.
    fn remove(&mut self, group: &Group, ch: usize) -> u64 {
        for cut in &group.weights {
            let before = self.size(cut.weight);
            self.removed[cut.weight][cut.dim] += cut.indices[ch].len() as i64;
            let after = self.size(cut.weight);
            self.total = self.total - before + after;
        }
        self.total
    }
}

/// A run of channels that leave a group together.
#[derive(Clone, Debug)]
struct Unit {
    channels: Vec<u32>,
    importance: f64,
    cost: f64,
}

/// Splits a group's channels (least important first) into removable units.
fn units(group: &Group, importance: &[f64], round_to: usize, min_keep: usize) -> Vec<Unit> {
    let c = group.channels;
    let mut order: Vec<u32> = (0..c as u32).collect();
    order.sort_by(|&x, &y| importance[x as usize].total_cmp(&importance[y as usize]).then(x.cmp(&y)));
    let cost_of = |ch: u32| -> f64 {
        group
            .weights
            .iter()
            .map(|cut| cut.indices[ch as usize].len() as f64 * cut.other_elements as f64)
            .sum()
    };
    let n = round_to.max(1);
    let floor = min_keep.max(1);
    let mut out = Vec::new();
    let mut at = 0usize;
    let mut remaining = c;
    let mut first = c % n;
    if first == 0 {
        first = n;
    }
    while remaining > floor {
        let take = first.min(remaining - floor);
        if take < first && n > 1 {
            break; // a partial unit would break the rounding
        }
        let channels: Vec<u32> = order[at..at + take].to_vec();
        let importance = channels.iter().map(|&ch| importance[ch as usize]).sum();
        let cost = channels.iter().map(|&ch| cost_of(ch)).sum();
        out.push(Unit { channels, importance, cost });
        at += take;
        remaining -= take;
        first = n;
    }
    out
}

/// Chooses what to remove.
pub fn select(a: &Analysis, groups: &Groups, map: &ComponentMap, opts: &PlanOptions) -> Result<PrunePlan> {
    // Options that name components must name real ones.
    let known: BTreeSet<&str> = map.components().map(|(_, n)| n).collect();
    for name in opts.protect.iter().chain(opts.component_weights.iter().map(|(n, _)| n)) {
        if !known.contains(name.as_str()) {
            let list: Vec<&str> = known.iter().copied().collect();
            return Err(Error::option(
                "component-prune",
                format!("unknown component '{name}' (components: {})", list.join(", ")),
            ));
        }
    }
    let protected: BTreeSet<usize> = opts.protect.iter().filter_map(|n| map.id(n)).collect();
    let weight_of = |c: usize| {
        opts.component_weights.iter().find(|(n, _)| map.id(n) == Some(c)).map(|(_, w)| *w).unwrap_or(1.0)
    };

    let mut plan = PrunePlan::default();
    let mut counts = WeightCounts::new(a);
    plan.params_before = counts.total;

    // Prunable groups, their units.
    let mut norms = SliceNorms::default();
    let mut group_units: BTreeMap<usize, Vec<Unit>> = BTreeMap::new();
    let mut importance: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
    for g in &groups.groups {
        let skip = if let Some(why) = &g.frozen {
            Some(format!("frozen: {why}"))
        } else if g.components.iter().any(|c| protected.contains(c)) {
            Some("protected component".to_string())
        } else if opts.grouping == Grouping::Component && opts.interfaces == Interfaces::Keep && g.is_interface() {
            Some("interface group (interfaces=keep)".to_string())
        } else {
            None
        };
        if let Some(why) = skip {
            plan.skipped.insert(g.id, why);
            continue;
        }
        let mut imp = match opts.calibrated.get(&g.id) {
            Some(c) => c.clone(),
            None => norms.group_importance(a, g, opts.importance)?,
        };
        let w = g.components.iter().map(|&c| weight_of(c)).fold(f64::MIN, f64::max);
        let w = if w == f64::MIN { 1.0 } else { w };
        for x in &mut imp {
            *x *= w;
        }
        group_units.insert(g.id, units(g, &imp, opts.round_to, opts.min_keep));
        importance.insert(g.id, imp);
    }

    let target = (opts.ratio * plan.params_before as f64).round() as u64;
    let goal_after = plan.params_before - target.min(plan.params_before);
    let mut removed: BTreeMap<usize, Vec<u32>> = BTreeMap::new();
    match opts.scope {
        Scope::Global => {
            // Lowest importance per parameter first; a group's units in order.
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
            let score = |u: &Unit| u.importance / u.cost.max(1.0);
            let mut heap = BinaryHeap::new();
            for (&g, us) in &group_units {
                if let Some(u) = us.first() {
                    heap.push(Next(score(u), g, 0));
                }
            }
            while counts.total > goal_after {
                let Some(Next(_, g, k)) = heap.pop() else { break };
                let before = counts.total;
                let unit = group_units[&g][k].clone();
                for &ch in &unit.channels {
                    counts.remove(&groups.groups[g], ch as usize);
                }
                // Overshooting by more than the step we took back is worse
                // than stopping short: keep whichever is closer.
                if counts.total < goal_after && goal_after - counts.total > before - goal_after {
                    for &ch in &unit.channels {
                        undo(&mut counts, &groups.groups[g], ch as usize);
                    }
                    break;
                }
                removed.entry(g).or_default().extend(unit.channels.iter().copied());
                if let Some(u) = group_units[&g].get(k + 1) {
                    heap.push(Next(score(u), g, k + 1));
                }
            }
        }
        Scope::Local => {
            // The same fraction of every group: bisect on the fraction.
            let take = |f: f64| -> BTreeMap<usize, Vec<u32>> {
                let mut out = BTreeMap::new();
                for (&g, us) in &group_units {
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
            let params_after = |sel: &BTreeMap<usize, Vec<u32>>| -> u64 {
                let mut c = WeightCounts::new(a);
                for (&g, chs) in sel {
                    for &ch in chs {
                        c.remove(&groups.groups[g], ch as usize);
                    }
                }
                c.total
            };
            let (mut lo, mut hi) = (0.0f64, 1.0f64);
            for _ in 0..40 {
                let mid = (lo + hi) / 2.0;
                if params_after(&take(mid)) > goal_after {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let (under, over) = (take(lo), take(hi));
            let (pu, po) = (params_after(&under), params_after(&over));
            removed = if pu.abs_diff(goal_after) <= po.abs_diff(goal_after) { under } else { over };
            counts = WeightCounts::new(a);
            for (&g, chs) in &removed {
                for &ch in chs {
                    counts.remove(&groups.groups[g], ch as usize);
                }
            }
        }
    }
    if keep_a_channel_in_every_member(groups, &importance, &mut removed) {
        counts = WeightCounts::new(a);
        for (&g, chs) in &removed {
            for &ch in chs {
                counts.remove(&groups.groups[g], ch as usize);
            }
        }
    }
    plan.params_after = counts.total;
    let reached = plan.ratio_reached();
    if opts.ratio > 0.0 && (reached - opts.ratio).abs() > 0.01 {
        if reached < opts.ratio {
            plan.notes.push(format!(
                "removed {:.2}% of parameters, short of the {:.2}% asked: the prunable groups allow no more \
                 ({} of {} groups are frozen, protected or kept interfaces)",
                reached * 100.0,
                opts.ratio * 100.0,
                plan.skipped.len(),
                groups.groups.len()
            ));
        } else {
            plan.notes.push(format!(
                "removed {:.2}% of parameters for {:.2}% asked: the smallest step available overshoots",
                reached * 100.0,
                opts.ratio * 100.0
            ));
        }
    }
    for (g, mut chs) in removed {
        chs.sort_unstable();
        plan.removed.insert(g, chs);
    }
    plan.class_removed = class_removals(groups, &plan.removed);
    Ok(plan)
}

/// A group whose channels land in different classes (the chunks of a split
/// layer) must not empty any of them: a slice of nothing is no tensor TOSA
/// allows, and a layer with no inputs left is not a pruned layer. For each
/// class a group's removal would empty, its most important channel there
/// stays. Returns whether anything changed.
fn keep_a_channel_in_every_member(
    groups: &Groups,
    importance: &BTreeMap<usize, Vec<f64>>,
    removed: &mut BTreeMap<usize, Vec<u32>>,
) -> bool {
    let mut changed = false;
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
                changed = true;
            }
        }
    }
    removed.retain(|_, chs| !chs.is_empty());
    changed
}

fn undo(counts: &mut WeightCounts, group: &Group, ch: usize) {
    for cut in &group.weights {
        let before = counts.size(cut.weight);
        counts.removed[cut.weight][cut.dim] -= cut.indices[ch].len() as i64;
        let after = counts.size(cut.weight);
        counts.total = counts.total - before + after;
    }
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
