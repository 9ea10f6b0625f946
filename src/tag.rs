//! Components: which part of the network (encoder, dynamics, reward, policy,
//! ...) each op belongs to, and the graph of tensors flowing between them.
//!
//! Sources, first match wins (design section 2):
//! 1. `attr`: an `mcprune.component = "name"` attribute on the op;
//! 2. `func`: ops inside a function that another function calls belong to a
//!    component named after that function (the call op too: it is the
//!    component's instance at the call site);
//! 3. `loc`: a name location (`encoder.net.0` from PyTorch's
//!    `nn_module_stack`, `/encoder/fc1/Gemm` from ONNX), cut to `depth`
//!    segments, found through fused and call-site locations;
//! 4. otherwise the component of the op's operands' producers, or, for ops
//!    without operands (constants), the component all its users agree on,
//!    else [`ROOT_COMPONENT`].
//!
//! `strategy=attr|func|loc` uses only that source before the fallback (4).
//! Ops inside payload regions (the scalar body of `linalg.generic`, the pad
//! value of `tensor.pad`) belong to the op that holds the region and are not
//! tagged separately.

use crate::analysis::rules::has_payload_regions;
use crate::ir::location::ModulePath;
use crate::ir::{Attribute, Op};
use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The attribute `component-tag` writes and every later pass reads.
pub const COMPONENT_ATTR: &str = "mcprune.component";

/// The pseudo-component of ops no source places: scalar and shape constants
/// shared by several components, for example. It is never written as a tag.
pub const ROOT_COMPONENT: &str = "<root>";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    Auto,
    Attr,
    Func,
    Loc,
}

impl Strategy {
    pub const NAMES: &'static [&'static str] = &["auto", "attr", "func", "loc"];

    pub fn parse(s: &str) -> Option<Strategy> {
        Some(match s {
            "auto" => Strategy::Auto,
            "attr" => Strategy::Attr,
            "func" => Strategy::Func,
            "loc" => Strategy::Loc,
            _ => return None,
        })
    }

    fn uses(self, source: Source) -> bool {
        match source {
            Source::Attr => matches!(self, Strategy::Auto | Strategy::Attr),
            Source::Func => matches!(self, Strategy::Auto | Strategy::Func),
            Source::Loc => matches!(self, Strategy::Auto | Strategy::Loc),
            Source::Producers | Source::Users | Source::Root => true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagOptions {
    pub strategy: Strategy,
    pub depth: usize,
}

impl Default for TagOptions {
    fn default() -> Self {
        TagOptions { strategy: Strategy::Auto, depth: 1 }
    }
}

/// Which rule placed an op in its component.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Attr,
    Func,
    Loc,
    Producers,
    Users,
    Root,
}

/// Index into [`ComponentMap::names`].
pub type ComponentId = usize;

/// The component of every taggable op of a module.
#[derive(Debug, Default)]
pub struct ComponentMap {
    /// Component names in order of first use by an op that takes operands
    /// (execution order), then any seen only on constants. `<root>` is last
    /// when present.
    pub names: Vec<String>,
    /// Taggable ops in program order.
    pub ops: Vec<Op>,
    of_op: HashMap<Op, (ComponentId, Source)>,
}

impl ComponentMap {
    pub fn component_of(&self, op: Op) -> Option<ComponentId> {
        self.of_op.get(&op).map(|&(c, _)| c)
    }

    pub fn source_of(&self, op: Op) -> Option<Source> {
        self.of_op.get(&op).map(|&(_, s)| s)
    }

    pub fn name(&self, c: ComponentId) -> &str {
        &self.names[c]
    }

    pub fn id(&self, name: &str) -> Option<ComponentId> {
        self.names.iter().position(|n| n == name)
    }

    pub fn is_root(&self, c: ComponentId) -> bool {
        self.names[c] == ROOT_COMPONENT
    }

    /// Real components (everything but `<root>`), in `names` order.
    pub fn components(&self) -> impl Iterator<Item = (ComponentId, &str)> {
        self.names.iter().enumerate().filter(|(_, n)| *n != ROOT_COMPONENT).map(|(i, n)| (i, n.as_str()))
    }

    /// Number of taggable ops in each component.
    pub fn op_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.names.len()];
        for op in &self.ops {
            if let Some(c) = self.component_of(*op) {
                counts[c] += 1;
            }
        }
        counts
    }
}

/// Ops that only hold other ops and are never tagged.
fn is_container(op: Op) -> bool {
    matches!(op.name(), "builtin.module" | "func.func" | "ml_program.func")
}

/// Taggable ops of `module` in program order (pre-order), with the function
/// that holds each.
fn taggable_ops(module: Op) -> Vec<(Op, Option<&'static str>)> {
    let mut out = Vec::new();
    fn visit(op: Op, func: Option<&'static str>, out: &mut Vec<(Op, Option<&'static str>)>) {
        let func = if op.name() == "func.func" { op.symbol_name() } else { func };
        if !is_container(op) {
            out.push((op, func));
        }
        if has_payload_regions(op) {
            return;
        }
        for inner in op.nested_ops() {
            visit(inner, func, out);
        }
    }
    for op in module.nested_ops() {
        visit(op, None, &mut out);
    }
    out
}

/// Functions called from another function, by symbol name.
fn called_functions(module: Op) -> BTreeSet<&'static str> {
    let mut called = BTreeSet::new();
    module.walk(&mut |op| {
        if let Some(callee) = op.callee() {
            called.insert(callee);
        }
        true
    });
    called
}

/// Decides every op's component. Pure: the IR is not changed.
pub fn assign(module: Op, opts: &TagOptions) -> ComponentMap {
    let ops = taggable_ops(module);
    let called = called_functions(module);
    let mut tags = Tagging::default();
    // Sources 1-3 and the producer fallback, in program order so producers
    // are decided before their users.
    let mut pending_users: Vec<Op> = Vec::new();
    for (index, &(op, func)) in ops.iter().enumerate() {
        match decide(op, func, &called, opts, &tags) {
            Some((name, source)) => tags.tag(op, name, source, index),
            None => pending_users.push(op),
        }
    }
    tag_by_users(&mut tags, &pending_users);
    let ops: Vec<Op> = ops.into_iter().map(|(op, _)| op).collect();
    for &op in &ops {
        if !tags.of_op.contains_key(&op) {
            let c = tags.intern(ROOT_COMPONENT.to_string());
            if tags.first_use.len() < tags.names.len() {
                tags.first_use.push((true, usize::MAX));
            }
            tags.of_op.insert(op, (c, Source::Root));
        }
    }
    tags.into_map(ops)
}

/// Components found so far, in order of discovery.
#[derive(Default)]
struct Tagging {
    names: Vec<String>,
    /// Per component: whether its first op is a constant (no operands),
    /// and that op's program index; computing ops take precedence.
    first_use: Vec<(bool, usize)>,
    of_op: HashMap<Op, (ComponentId, Source)>,
}

impl Tagging {
    fn intern(&mut self, name: String) -> ComponentId {
        if let Some(i) = self.names.iter().position(|n| *n == name) {
            i
        } else {
            self.names.push(name);
            self.names.len() - 1
        }
    }

    fn tag(&mut self, op: Op, name: String, source: Source, index: usize) {
        let c = self.intern(name);
        self.of_op.insert(op, (c, source));
        if self.first_use.len() < self.names.len() {
            self.first_use.push((op.num_operands() == 0, index));
        } else if op.num_operands() > 0 && self.first_use[c].0 {
            self.first_use[c] = (false, index);
        }
    }

    /// Stable order: execution order of first use, `<root>` last.
    fn into_map(self, ops: Vec<Op>) -> ComponentMap {
        let Tagging { names, first_use, of_op } = self;
        let mut order: Vec<ComponentId> = (0..names.len()).collect();
        order.sort_by_key(|&c| (names[c] == ROOT_COMPONENT, first_use[c].0, first_use[c].1));
        let mut remap = vec![0; names.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = new;
        }
        let names = order.iter().map(|&c| names[c].clone()).collect();
        let of_op = of_op.into_iter().map(|(op, (c, s))| (op, (remap[c], s))).collect();
        ComponentMap { names, ops, of_op }
    }
}

/// The component of `op` by the first source the strategy allows that
/// names one: its attribute, its (called) function, its location, then its
/// producers' component.
fn decide(op: Op, func: Option<&str>, called: &BTreeSet<&str>, opts: &TagOptions, tags: &Tagging) -> Option<(String, Source)> {
    if opts.strategy.uses(Source::Attr) {
        if let Some(name) = op.discardable_attribute(COMPONENT_ATTR).and_then(|a| a.string_value()) {
            return Some((name.to_string(), Source::Attr));
        }
    }
    if opts.strategy.uses(Source::Func) {
        if let Some(callee) = op.callee().filter(|c| called.contains(c)) {
            return Some((callee.to_string(), Source::Func));
        } else if let Some(f) = func.filter(|f| called.contains(f)) {
            return Some((f.to_string(), Source::Func));
        }
    }
    if opts.strategy.uses(Source::Loc) {
        if let Some(path) = op.location().first_name().and_then(ModulePath::parse) {
            return Some((path.prefix(opts.depth), Source::Loc));
        }
    }
    op.operands()
        .filter_map(|v| v.defining_op())
        .find_map(|p| tags.of_op.get(&p).copied())
        .map(|(c, _)| (tags.names[c].clone(), Source::Producers))
}

/// Ops without a decided producer (constants, empties) take the component
/// their users agree on. Users come later in program order, so the pending
/// ops are walked backwards until nothing changes.
fn tag_by_users(tags: &mut Tagging, pending_users: &[Op]) {
    let mut changed = true;
    while changed {
        changed = false;
        for &op in pending_users.iter().rev() {
            if tags.of_op.contains_key(&op) {
                continue;
            }
            let users: BTreeSet<ComponentId> = op
                .results()
                .flat_map(|v| v.uses())
                .filter_map(|(u, _)| tags.of_op.get(&enclosing_taggable(u)).map(|&(c, _)| c))
                .collect();
            let all_used = op.results().flat_map(|v| v.uses()).all(|(u, _)| tags.of_op.contains_key(&enclosing_taggable(u)));
            if let (1, true, Some(&c)) = (users.len(), all_used, users.first()) {
                tags.of_op.insert(op, (c, Source::Users));
                changed = true;
            }
        }
    }
}

/// A use inside a payload region counts as a use by the op holding it.
fn enclosing_taggable(mut op: Op) -> Op {
    let mut outer = op;
    while let Some(p) = op.parent() {
        if has_payload_regions(p) {
            outer = p;
        }
        if is_container(p) {
            break;
        }
        op = p;
    }
    outer
}

/// Writes `mcprune.component` on every op with a real component and removes
/// stale tags from ops that have none. Returns how many ops carry a tag.
pub fn write_tags(map: &ComponentMap) -> usize {
    let mut tagged = 0;
    for &op in &map.ops {
        match map.component_of(op) {
            Some(c) if !map.is_root(c) => {
                let ctx = op.context();
                op.set_discardable_attribute(COMPONENT_ATTR, Attribute::string(ctx, map.name(c)));
                tagged += 1;
            }
            _ => {
                op.remove_discardable_attribute(COMPONENT_ATTR);
            }
        }
    }
    tagged
}

/// Tensors flowing between two components.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Flow {
    /// Distinct values crossing.
    pub values: usize,
}

/// Components as nodes, tensors between them as edges (cycles allowed).
#[derive(Debug)]
pub struct ComponentGraph {
    pub graph: DiGraph<String, Flow>,
    pub node_of: BTreeMap<ComponentId, NodeIndex>,
}

impl ComponentGraph {
    /// The graph of the values `carries` accepts (the analysis passes
    /// activations only, so shared constants and empties draw no edges).
    pub fn build(map: &ComponentMap, carries: impl Fn(crate::ir::Value) -> bool) -> ComponentGraph {
        let mut graph = DiGraph::new();
        let mut node_of = BTreeMap::new();
        for (c, name) in map.components() {
            node_of.insert(c, graph.add_node(name.to_string()));
        }
        let mut flows: BTreeMap<(ComponentId, ComponentId), usize> = BTreeMap::new();
        for &op in &map.ops {
            // A return hands values back; it computes nothing in a component.
            if matches!(op.name(), "func.return" | "scf.yield") {
                continue;
            }
            let Some(to) = map.component_of(op) else { continue };
            let mut seen = BTreeSet::new();
            for v in op.operands() {
                let Some(p) = v.defining_op().filter(|_| carries(v)) else { continue };
                let Some(from) = map.component_of(p) else { continue };
                if from != to && !map.is_root(from) && !map.is_root(to) && seen.insert((from, v)) {
                    *flows.entry((from, to)).or_default() += 1;
                }
            }
        }
        for ((from, to), values) in flows {
            graph.add_edge(node_of[&from], node_of[&to], Flow { values });
        }
        ComponentGraph { graph, node_of }
    }
}
