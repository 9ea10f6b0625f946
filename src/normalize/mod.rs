//! Normalization: exact rewrites before the analysis, so that it sees
//! channels that an exporter's lowering hides.
//!
//! Each rewrite replaces ops by ones that compute the same values (checked
//! by running both, `tests/it/normalize.rs`), and makes no decision about
//! pruning: it only moves a channel dim where the op rules can follow it.
//! `component-prune` normalizes the module it prunes; `component-groups`,
//! which leaves the IR unchanged, analyses a normalized copy when there is
//! anything to normalize.
//!
//! - [`gather`]: TOSA gathers whose flat indices fold to constants become a
//!   reshape (a copy) or a gather of whole rows.

pub mod fold;
pub mod gather;

use crate::error::Result;
use crate::ir::Op;

/// What the normalization did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Normalized {
    /// Gathers turned into a reshape or a gather of rows.
    pub gathers: usize,
}

/// Rewrites per call at most: each rewrite removes one flat gather, so this
/// bounds only a module with that many.
const MAX_REWRITES: usize = 1 << 16;

/// Normalizes `module` in place.
pub fn run(module: Op) -> Result<Normalized> {
    let mut done = Normalized::default();
    // One match at a time, each found with a fresh folder: a rewrite erases
    // ops, and a folder remembers values by handle.
    while done.gathers < MAX_REWRITES {
        let Some(m) = first_match(module) else { break };
        gather::apply(&m)?;
        erase_unused(m.reshape);
        done.gathers += 1;
    }
    if done.gathers > 0 {
        tracing::info!(gathers = done.gathers, "normalize");
    }
    Ok(done)
}

/// Whether [`run`] would change `module`.
pub fn needed(module: Op) -> bool {
    first_match(module).is_some()
}

/// The rewrites, by the name of the op each starts from.
static PATTERNS: &[(&str, fn(Op, &mut fold::Folder) -> Option<gather::Match>)] = &[("tosa.gather", gather::matches)];

fn first_match(module: Op) -> Option<gather::Match> {
    let mut roots = Vec::new();
    module.walk(&mut |op| {
        if let Some(&(_, find)) = PATTERNS.iter().find(|(name, _)| *name == op.name()) {
            roots.push((op, find));
        }
        !crate::analysis::rules::has_payload_regions(op)
    });
    let mut folder = fold::Folder::default();
    roots.into_iter().find_map(|(op, find)| find(op, &mut folder))
}

/// Erases `op` when nothing uses it, then the ops that only it used, and so
/// on: the chain a rewrite left behind. Only side-effect-free ops of the
/// dialects the rewrites replace are erased; ops that were unused in the
/// input before are not reached.
fn erase_unused(op: Op) {
    let mut stack = vec![op];
    while let Some(op) = stack.pop() {
        let erasable = matches!(op.dialect(), "tosa" | "arith")
            && op.num_results() > 0
            && op.num_regions() == 0
            && !op.has_uses();
        if !erasable {
            continue;
        }
        let defs: Vec<Op> = op.operands().filter_map(|v| v.defining_op()).collect();
        // SAFETY: unused, without regions, and not in `stack` any more. An
        // op is pushed only while an op being erased uses it, so it is live
        // when pushed, and it is erased only when popped, once (it is never
        // in `stack` twice); no other handle to it is used afterwards.
        unsafe { op.erase() };
        for d in defs {
            if !stack.contains(&d) {
                stack.push(d);
            }
        }
    }
}
