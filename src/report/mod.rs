//! The report of `component-groups` and `component-prune` (design section
//! 6; a public interface): JSON, the human table (the paper's Table 1
//! columns), and the component graph as Graphviz DOT.

use crate::tag::{ComponentGraph, ComponentMap};
use crate::analysis::{Dependencies, OpId, ValueId, WeightId};
use crate::ir::describe;
use crate::group::{Group, Grouping, Groups, Piece, WeightCut};
use crate::select::{PlanOptions, PrunePlan};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize)]
pub struct ComponentReport {
    pub name: String,
    pub ops: usize,
    pub params: u64,
    pub params_after: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct WeightReport {
    /// The constant op, as `name#index "location"`.
    pub op: String,
    /// `dense_resource` blob name, when the weight is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub shape: Vec<i64>,
    pub dim: usize,
    /// The constant's location name: the module path torch-mlir's
    /// exporters give it (`encoder.0`), for mapping a weight back to its
    /// framework parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// `component-prune`: the indices of `dim` the plan removed (those of
    /// the group's removed channels), ascending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed: Option<Vec<u32>>,
    /// `component-prune` with calibration: compensation changed the kept
    /// values of this constant (version 4; a `dense_resource` blob is also
    /// renamed `_compensated`, an inline constant has no other mark).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub compensated: bool,
    #[serde(skip)]
    pub weight: WeightId,
    /// For each channel of the group, the indices of `dim` it occupies.
    #[serde(skip)]
    pub channel_indices: Vec<Vec<u32>>,
}

#[derive(Clone, Debug, Serialize)]
pub struct GroupReport {
    pub id: usize,
    /// `intra`, `interface` or `piece`.
    pub kind: &'static str,
    /// For a piece: the interface group it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<usize>,
    pub components: Vec<String>,
    pub channels: usize,
    pub ops: Vec<String>,
    pub weights: Vec<WeightReport>,
    pub prunable: bool,
    pub frozen_reason: Option<String>,
    pub removed: Vec<u32>,
    /// `component-prune`: the share of the group's channels kept (1.0
    /// for a group left whole). Absent in `component-groups` reports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_fraction: Option<f64>,
}

/// An op that froze index spaces, and why.
#[derive(Clone, Debug, Serialize)]
pub struct FreezeReport {
    pub op: String,
    pub value: String,
    pub dims: Vec<usize>,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub grouping: &'static str,
    pub components: usize,
    pub groups: usize,
    pub interface_groups: usize,
    pub avg_group_ops: f64,
    pub params_before: u64,
    pub params_after: u64,
    pub flops_before: u64,
    pub flops_after: u64,
    /// `component-prune`: the ratio asked and the share of parameters removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_target: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio_reached: Option<f64>,
    /// `component-prune`: what the ratio is a fraction of, `params` or
    /// `flops`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<&'static str>,
    /// Why the ratio reached differs from the one asked, and similar.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The report format's version (README, "Report format"). Version 1 had no
/// `version` field; version 2 adds it, `groups[].kept_fraction` and
/// `summary.budget`; version 3 adds `groups[].weights[].location` and
/// `.removed`; version 4 adds `groups[].weights[].compensated`. Readers of
/// an older version can ignore the new fields.
pub const REPORT_VERSION: u32 = 4;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub version: u32,
    pub components: Vec<ComponentReport>,
    pub groups: Vec<GroupReport>,
    pub frozen: Vec<FreezeReport>,
    pub summary: Summary,
}

/// `name#index "location"`: unique and readable.
fn op_label(a: &Dependencies, op: OpId) -> String {
    describe::numbered_op(a.op(op), op.index())
}

fn resource_name(a: &Dependencies, weight: WeightId) -> Option<String> {
    let (_, attr) = crate::ir::dense::constant_value(a.op(a.weight(weight).op))?;
    crate::ir::dense::resource_name(attr)
}

fn component_names(map: &ComponentMap, cs: &[usize]) -> Vec<String> {
    cs.iter().map(|&c| map.name(c).to_string()).collect()
}

/// The module path that maps a weight constant back to its framework
/// parameter: the constant's own name location or, when it has none, the one
/// name all its named users share. torch-mlir's TOSA export loses it on some
/// weights (the Dreamer's, read in a rollout loop: a transpose of the weight
/// folded into a new constant at an unknown location) while the ops that read
/// the weight keep their module's name. Users that disagree (a constant two
/// modules share) give none.
fn weight_location(op: crate::ir::Op) -> Option<String> {
    if let Some(name) = op.location().first_name() {
        return Some(name.to_string());
    }
    let mut names = op.results().flat_map(|r| r.uses()).filter_map(|(user, _)| user.location().first_name());
    let first = names.next()?;
    names.all(|n| n == first).then(|| first.to_string())
}

fn weight_report(a: &Dependencies, cut: &WeightCut) -> WeightReport {
    let op = a.op(a.weight(cut.weight).op);
    WeightReport {
        op: op_label(a, a.weight(cut.weight).op),
        resource: resource_name(a, cut.weight),
        shape: a.value(a.weight(cut.weight).value).shape.clone(),
        dim: cut.dim,
        location: weight_location(op),
        removed: None,
        compensated: false,
        weight: cut.weight,
        channel_indices: cut.indices.clone(),
    }
}

fn group_report(a: &Dependencies, map: &ComponentMap, g: &Group) -> GroupReport {
    GroupReport {
        id: g.id,
        kind: if g.is_interface() { "interface" } else { "intra" },
        parent: None,
        components: component_names(map, &g.components),
        channels: g.channels,
        ops: g.ops.iter().map(|&o| op_label(a, o)).collect(),
        weights: g.weights.iter().map(|w| weight_report(a, w)).collect(),
        prunable: g.prunable(),
        frozen_reason: g.frozen.clone(),
        removed: Vec::new(),
        kept_fraction: None,
    }
}

/// A piece of an interface group, numbered `id` after all groups.
fn piece_report(a: &Dependencies, map: &ComponentMap, groups: &Groups, p: &Piece, id: usize) -> GroupReport {
    let g = &groups.groups[p.group];
    let cuts: BTreeMap<WeightId, &WeightCut> = g.weights.iter().map(|w| (w.weight, w)).collect();
    GroupReport {
        id,
        kind: "piece",
        parent: Some(p.group),
        components: component_names(map, &[p.component]),
        channels: g.channels,
        ops: p.ops.iter().map(|&o| op_label(a, o)).collect(),
        weights: p.weights.iter().map(|&w| weight_report(a, cuts[&w])).collect(),
        prunable: g.prunable(),
        frozen_reason: g.frozen.clone(),
        removed: Vec::new(),
        kept_fraction: None,
    }
}

/// Freezes by op and value, with the dims each froze.
fn freeze_reports(a: &Dependencies) -> Vec<FreezeReport> {
    let mut frozen: BTreeMap<(Option<OpId>, ValueId), (Vec<usize>, String)> = BTreeMap::new();
    for f in a.freezes() {
        let (v, d) = a.space_owner(f.space);
        let e = frozen.entry((f.op, v)).or_insert_with(|| (Vec::new(), f.reason.to_string()));
        if !e.0.contains(&d) {
            e.0.push(d);
        }
    }
    frozen
        .into_iter()
        .map(|((op, v), (mut dims, reason))| {
            dims.sort_unstable();
            FreezeReport {
                op: op.map(|o| op_label(a, o)).unwrap_or_else(|| "function boundary".into()),
                value: describe::value(a.value(v).value),
                dims,
                reason,
            }
        })
        .collect()
}

/// Total multiply-accumulate FLOPs of contractions and convolutions.
pub fn flops(a: &Dependencies) -> u64 {
    a.all_facts().iter().map(|f| f.flops()).sum()
}

/// Parameters per component: elements of the weight constants it holds.
pub fn params_by_component(a: &Dependencies, map: &ComponentMap) -> Vec<u64> {
    let mut params = vec![0u64; map.names.len()];
    for w in a.weights() {
        if let Some(c) = map.component_of(a.op(w.op)) {
            params[c] += w.elements;
        }
    }
    params
}

impl Report {
    /// Records what the plan removed: per-component and total counts, the
    /// FLOPs `(before, after)`, each group's removed channels and kept
    /// fraction, and why selection skipped a group.
    pub fn record_plan(&mut self, plan: &PrunePlan, opts: &PlanOptions, map: &ComponentMap, params_after: &[u64], flops: (u64, u64)) {
        self.summary.flops_before = flops.0;
        self.summary.flops_after = flops.1;
        self.summary.params_after = plan.params_after;
        self.summary.notes = plan.notes.clone();
        self.summary.ratio_target = Some(opts.ratio);
        self.summary.ratio_reached = Some(round4(plan.ratio_reached()));
        self.summary.budget = Some(opts.budget.name());
        let names: Vec<String> = map.components().map(|(_, n)| n.to_string()).collect();
        for (c, comp) in self.components.iter_mut().enumerate() {
            let id = map.id(&names[c]).unwrap_or(c);
            comp.params_after = params_after[id];
        }
        for g in &mut self.groups {
            let source = g.parent.unwrap_or(g.id);
            if let Some(r) = plan.removed.get(&source) {
                g.removed = r.clone();
            }
            for w in &mut g.weights {
                let mut removed: Vec<u32> =
                    g.removed.iter().filter_map(|&c| w.channel_indices.get(c as usize)).flatten().copied().collect();
                removed.sort_unstable();
                removed.dedup();
                w.removed = Some(removed);
                w.compensated = plan.compensated.contains(&w.weight);
            }
            if g.prunable && g.channels > 0 {
                g.kept_fraction = Some(round4((g.channels - g.removed.len()) as f64 / g.channels as f64));
            }
            if g.frozen_reason.is_none() {
                if let Some(why) = plan.skipped.get(&source) {
                    g.frozen_reason = Some(why.clone());
                }
            }
        }
    }

    /// The report of an unpruned module: nothing removed yet.
    pub fn build(a: &Dependencies, map: &ComponentMap, groups: &Groups, grouping: Grouping) -> Report {
        let params = params_by_component(a, map);
        let counts = map.op_counts();
        let components = map
            .components()
            .map(|(c, name)| ComponentReport { name: name.to_string(), ops: counts[c], params: params[c], params_after: params[c] })
            .collect();
        let mut reports: Vec<GroupReport> = groups.groups.iter().map(|g| group_report(a, map, g)).collect();
        if grouping == Grouping::Component {
            let first = groups.groups.len();
            reports.extend(groups.pieces.iter().enumerate().map(|(i, p)| piece_report(a, map, groups, p, first + i)));
        }
        let total: u64 = a.weights().iter().map(|w| w.elements).sum();
        let f = flops(a);
        Report {
            version: REPORT_VERSION,
            components,
            groups: reports,
            frozen: freeze_reports(a),
            summary: Summary {
                grouping: grouping.name(),
                components: map.components().count(),
                groups: groups.count(grouping),
                interface_groups: groups.interface_count(),
                avg_group_ops: (groups.average_ops(grouping) * 100.0).round() / 100.0,
                params_before: total,
                params_after: total,
                flops_before: f,
                flops_after: f,
                ratio_target: None,
                ratio_reached: None,
                budget: None,
                notes: Vec::new(),
            },
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
    }
}

/// The paper's Table 1 columns for both groupings.
pub fn table(map: &ComponentMap, groups: &Groups, params: u64) -> String {
    let names: Vec<&str> = map.components().map(|(_, n)| n).collect();
    let v = Grouping::Vanilla;
    let c = Grouping::Component;
    format!(
        "components        {:>9}  ({})\nparameters        {:>9}\n                    vanilla  component\ngroups            {:>9}  {:>9}\navg group size    {:>9.2}  {:>9.2}\ninterface groups  {:>9}  {:>9}\n",
        names.len(),
        names.join(", "),
        params,
        groups.count(v),
        groups.count(c),
        groups.average_ops(v),
        groups.average_ops(c),
        groups.interface_count(),
        groups.interface_count(),
    )
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The component graph: components as clusters (with their parameter and
/// group counts), interface groups as edges from the component that
/// produces the channels to each one that consumes them.
pub fn dot(a: &Dependencies, map: &ComponentMap, groups: &Groups) -> String {
    let params = params_by_component(a, map);
    let activation = |v| a.value_id(v).as_ref().map(|&i| !a.value(i).constant).unwrap_or(false);
    let graph = ComponentGraph::build(map, activation);
    let mut out = String::from("digraph components {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for (c, name) in map.components() {
        let intra = groups.groups.iter().filter(|g| !g.is_interface() && g.components == [c]).count();
        out.push_str(&format!(
            "  subgraph cluster_{c} {{\n    label=\"{}\";\n    c{c} [label=\"{}\\n{} params\\n{} intra groups\"];\n  }}\n",
            dot_escape(name),
            dot_escape(name),
            params[c],
            intra
        ));
    }
    for g in groups.groups.iter().filter(|g| g.is_interface()) {
        let producer = a.roots(g.root)
            .first()
            .and_then(|&(op, _)| map.component_of(a.op(op)))
            .unwrap_or(g.components[0]);
        for &c in g.components.iter().filter(|&&c| c != producer) {
            out.push_str(&format!(
                "  c{producer} -> c{c} [label=\"g{}: {} ch{}\", color=\"{}\"];\n",
                g.id,
                g.channels,
                if g.prunable() { "" } else { ", frozen" },
                if g.prunable() { "black" } else { "gray" }
            ));
        }
    }
    // Tensors between components that no interface group covers.
    for e in graph.graph.edge_indices() {
        let (s, t) = graph.graph.edge_endpoints(e).unwrap_or_default();
        let (sc, tc) = (graph.graph[s].clone(), graph.graph[t].clone());
        let (Some(si), Some(ti)) = (map.id(&sc), map.id(&tc)) else { continue };
        let n = graph.graph[e].values;
        let what = if n == 1 { "tensor" } else { "tensors" };
        out.push_str(&format!("  c{si} -> c{ti} [style=dashed, color=gray70, label=\"{n} {what}\"];\n"));
    }
    out.push_str("}\n");
    out
}

/// Rounds a fraction to four decimals, as the report prints them.
fn round4(x: f64) -> f64 {
    (x * 10000.0).round() / 10000.0
}
