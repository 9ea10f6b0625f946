//! `component-groups`: report the channel groups, DepGraph-style and split at
//! component boundaries. The IR is left unchanged.
//!
//! Contract: runs the dependency analysis ([`crate::analysis`]) and the grouping
//! ([`crate::group`]) on the module, with components from `mcprune.component`
//! tags or, where ops carry none, the `component-tag` rules. Writes the JSON
//! report (design section 6) to `report=FILE`, the component graph as DOT to
//! `dot=FILE`, and the paper's Table 1 columns to stderr. Fails without
//! writing anything when a file cannot be written.
//!
//! Options: `grouping=component|vanilla` (default `component`: what
//! `summary.groups` counts), `report=FILE.json`, `dot=FILE.dot`, and the
//! `component-tag` options `strategy=`, `depth=`.
//!
//! Before and after (the same IR):
//! ```mlir
//! %0 = linalg.matmul ins(%x, %w0 : ...) ... loc("encoder.0"(...))
//! %1 = linalg.matmul ins(%0, %w1 : ...) ... loc("dynamics.0"(...))
//! ```
//! stderr:
//! ```text
//! component-groups:
//! components                2  (encoder, dynamics)
//! ...
//! ```

use super::component_tag::parse_tag_options;
use super::{ModulePass, OptionSpec, OptionValues, PassSpec};
use crate::tag::{assign, TagOptions};
use crate::analysis::Dependencies;
use crate::error::{Error, Result};
use crate::group::{Grouping, Groups, HeadUnits};
use crate::ir::Op;
use crate::output::write_file;
use crate::report::{dot, table, Report};

/// `report=FILE.json`, shared with `component-prune`: one report format.
pub const REPORT: OptionSpec =
    OptionSpec { name: "report", values: "FILE.json", default: "", help: "write the JSON report here" };

pub const OPTIONS: &[OptionSpec] = &[
    OptionSpec {
        name: "grouping",
        values: "component|vanilla",
        default: "component",
        help: "split groups at component boundaries, or report DepGraph's groups as they are",
    },
    HEADS,
    REPORT,
    OptionSpec { name: "dot", values: "FILE.dot", default: "", help: "write the component graph (Graphviz) here" },
    super::component_tag::STRATEGY,
    super::component_tag::DEPTH,
];

pub static SPEC: PassSpec = PassSpec {
    name: "component-groups",
    summary: "Report channel groups per component (JSON, table, DOT); IR unchanged",
    options: OPTIONS,
    create,
};

struct ComponentGroups {
    grouping: Grouping,
    heads: HeadUnits,
    report: Option<String>,
    dot: Option<String>,
    tags: TagOptions,
}

/// `heads=`, shared with `component-prune`.
pub const HEADS: OptionSpec = OptionSpec {
    name: "heads",
    values: "dims|whole",
    default: "dims",
    help: "attention heads lose the same head dims in every head, or whole heads first (conv groups always keep their count)",
};

/// The `heads=` option of `pass`.
pub fn parse_heads(values: &OptionValues, pass: &str) -> Result<HeadUnits> {
    let name = values.choice("heads", "dims", HeadUnits::NAMES)?;
    HeadUnits::parse(name).ok_or_else(|| Error::option(pass, "bad heads"))
}

/// The `grouping=` option of `pass`, shared with `component-prune`.
pub fn parse_grouping(values: &OptionValues, pass: &str) -> Result<Grouping> {
    let name = values.choice("grouping", "component", Grouping::NAMES)?;
    Grouping::parse(name).ok_or_else(|| Error::option(pass, "bad grouping"))
}

fn create(values: &OptionValues) -> Result<Box<dyn ModulePass>> {
    Ok(Box::new(ComponentGroups {
        grouping: parse_grouping(values, "component-groups")?,
        heads: parse_heads(values, "component-groups")?,
        report: values.path("report"),
        dot: values.path("dot"),
        tags: parse_tag_options(values)?,
    }))
}

impl ModulePass for ComponentGroups {
    fn run(&self, module: Op) -> Result<()> {
        crate::ir::dense::require_weight_data(module)?;
        crate::ir::dense::require_float_weights(module)?;
        // The IR stays as it is: the analysis sees a normalized copy, the
        // module `component-prune` would analyse.
        let copy = crate::normalize::needed(module).then(|| module.clone_owned());
        let module = match &copy {
            Some(copy) => {
                crate::normalize::run(copy.op())?;
                copy.op()
            }
            None => module,
        };
        let map = assign(module, &self.tags);
        let analysis = Dependencies::run(module);
        let groups = Groups::build(&analysis, &map, self.heads);
        let report = Report::build(&analysis, &map, &groups, self.grouping);
        if let Some(path) = &self.report {
            write_file(path, &report.to_json())?;
        }
        if let Some(path) = &self.dot {
            write_file(path, &dot(&analysis, &map, &groups))?;
        }
        eprint!("component-groups:\n{}", table(&map, &groups, report.summary.params_before));
        Ok(())
    }
}
