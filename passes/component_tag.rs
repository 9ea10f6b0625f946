//! `component-tag`: write each op's component as `mcprune.component`.
//!
//! Contract: decides the component of every op (design section 2; the rules
//! are in [`crate::tag`]) and records it as a discardable string
//! attribute, so it can be read, edited, and consumed by the later passes.
//! Nothing else in the IR changes. Running it twice gives the same IR:
//! existing tags are the first source (`strategy=auto`), and ops that no
//! source places (`<root>`) get no tag.
//!
//! Options: `strategy=auto|attr|func|loc` (default `auto`), `depth=N`
//! (default 1: the module path's first segment, `model.named_children()`).
//!
//! Before:
//! ```mlir
//! %0 = linalg.matmul ins(%x, %w : ...) outs(%i : ...) -> tensor<2x96xf32> loc("encoder.0"(#file))
//! %1 = linalg.matmul ins(%0, %v : ...) outs(%j : ...) -> tensor<2x32xf32> loc("dynamics.2"(#file))
//! ```
//! After:
//! ```mlir
//! %0 = linalg.matmul {mcprune.component = "encoder"} ins(%x, %w : ...) ... loc("encoder.0"(#file))
//! %1 = linalg.matmul {mcprune.component = "dynamics"} ins(%0, %v : ...) ... loc("dynamics.2"(#file))
//! ```

use super::{ModulePass, OptionSpec, OptionValues, PassSpec};
use crate::tag::{assign, write_tags, Strategy, TagOptions};
use crate::error::{Error, Result};
use crate::ir::Op;

/// The two options every pass that finds components accepts.
pub const STRATEGY: OptionSpec = OptionSpec {
    name: "strategy",
    values: "auto|attr|func|loc",
    default: "auto",
    help: "where components come from: tags, called functions, name locations, or all in that order",
};
pub const DEPTH: OptionSpec =
    OptionSpec { name: "depth", values: "N", default: "1", help: "module-path segments that name a component (1 = named_children)" };

pub const OPTIONS: &[OptionSpec] = &[STRATEGY, DEPTH];

pub static SPEC: PassSpec = PassSpec {
    name: "component-tag",
    summary: "Tag every op with its network component (mcprune.component)",
    options: OPTIONS,
    create,
};

/// Reads the `component-tag` options; `component-prune` and
/// `component-groups` accept the same two.
pub fn parse_tag_options(values: &OptionValues) -> Result<TagOptions> {
    let strategy = values.choice("strategy", "auto", Strategy::NAMES)?;
    let strategy = Strategy::parse(strategy).ok_or_else(|| Error::option("component-tag", "bad strategy"))?;
    let depth = values.usize_at_least("depth", 1, 1)?;
    Ok(TagOptions { strategy, depth })
}

struct ComponentTag {
    options: TagOptions,
}

fn create(values: &OptionValues) -> Result<Box<dyn ModulePass>> {
    Ok(Box::new(ComponentTag { options: parse_tag_options(values)? }))
}

impl ModulePass for ComponentTag {
    fn run(&self, module: Op) -> Result<()> {
        let map = assign(module, &self.options);
        let tagged = write_tags(&map);
        tracing::info!(components = map.components().count(), tagged, "component-tag");
        Ok(())
    }
}
