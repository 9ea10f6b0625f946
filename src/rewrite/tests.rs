//! The rule table on its own, in egg's style: a start term, the rules, the
//! expected extracted term. Op signatures are written by hand, so these
//! tests need no MLIR.

use super::extract::PruneCost;
use super::lang::Tensor;
use super::prune::{Fold, Prune};
use super::rules::rules;
use super::sig::{Link, OpSig, SigKind};
use egg::{EGraph, Extractor, RecExpr, Runner, SimpleScheduler};

fn weight(shape: &[i64]) -> OpSig {
    OpSig { name: "weight".into(), role: None, results: vec![Some(shape.to_vec())], kind: SigKind::Weight, links: vec![] }
}

/// An element-wise op over one operand of `shape`.
fn unary(shape: &[i64]) -> OpSig {
    OpSig {
        name: "unary".into(),
        role: None,
        results: vec![Some(shape.to_vec())],
        kind: SigKind::Plain,
        links: (0..shape.len()).map(|d| Link::Same { result: 0, rdim: d, operand: 0, odim: d }).collect(),
    }
}

/// Runs the rule table on `start` (selections `sels` interned in order) and
/// returns the extracted term and the analysis.
fn saturate(sigs: Vec<OpSig>, sels: &[Vec<u32>], start: &str) -> (String, Prune) {
    let mut analysis = Prune { sigs: sigs.into_iter().collect(), ..Default::default() };
    for s in sels {
        analysis.sels.intern(s.clone());
    }
    let expr: RecExpr<Tensor> = start.parse().expect("start term");
    let mut eg = EGraph::new(analysis);
    let root = eg.add_expr(&expr);
    let runner = Runner::default().with_egraph(eg).with_scheduler(SimpleScheduler).with_iter_limit(100).run(&rules());
    let eg = runner.egraph;
    let (cost, best) = {
        let ex = Extractor::new(&eg, PruneCost::new(&eg));
        ex.find_best(root)
    };
    assert!(cost.is_finite(), "a selection survived in {best}");
    (best.to_string(), eg.analysis)
}

#[test]
fn take_pushed_through_an_elementwise_op_folds_into_the_weight() {
    // neg(W)[:, [0, 2]]  ==>  neg(W[:, [0, 2]])
    let (best, prune) = saturate(vec![weight(&[2, 3]), unary(&[2, 3])], &[vec![0, 2]], "(take s0 d1 (op o1 (op o0)))");
    assert_eq!(best, "(op o1 k0)");
    assert_eq!(prune.folds.get(0), &Fold::Weight { op: 0, keep: vec![None, Some(0)] });
    assert_eq!(prune.fold_shape(0), vec![2, 2]);
}

#[test]
fn take_of_take_composes_along_one_dim() {
    // W[[1, 2, 3]][[0, 2]] is W[[1, 3]].
    let (best, prune) = saturate(vec![weight(&[4, 2])], &[vec![1, 2, 3], vec![0, 2]], "(take s1 d0 (take s0 d0 (op o0)))");
    // k0 is the inner selection's fold, k1 the composed one.
    assert_eq!(best, "k1");
    let Fold::Weight { keep, .. } = prune.folds.get(1).clone() else { panic!("not a weight fold") };
    assert_eq!(prune.sels.get(keep[0].expect("dim 0 selected")), &vec![1, 3]);
}

#[test]
fn take_through_concat_splits_by_offset() {
    // concat(A: 2x2, B: 2x3, dim 1)[:, [1, 3, 4]]  ==>  concat(A[:, [1]], B[:, [1, 2]])
    let concat = OpSig {
        name: "concat".into(),
        role: None,
        results: vec![Some(vec![2, 5])],
        kind: SigKind::Plain,
        links: vec![
            Link::Same { result: 0, rdim: 0, operand: 0, odim: 0 },
            Link::Same { result: 0, rdim: 0, operand: 1, odim: 0 },
            Link::Concat { result: 0, rdim: 1, parts: vec![(0, 1, 0, 2), (1, 1, 2, 3)] },
        ],
    };
    let (best, prune) =
        saturate(vec![weight(&[2, 2]), weight(&[2, 3]), concat], &[vec![1, 3, 4]], "(take s0 d1 (op o2 (op o0) (op o1)))");
    assert_eq!(best, "(op o2 k0 k1)");
    let sel_of = |k: u32| match prune.folds.get(k) {
        Fold::Weight { keep, .. } => prune.sels.get(keep[1].expect("dim 1 selected")).clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(sel_of(0), vec![1]);
    assert_eq!(sel_of(1), vec![1, 2]);
}

#[test]
fn take_through_flatten_keeps_whole_channel_blocks() {
    // collapse(C: 2x4x3 -> 2x12)[:, channels 1 and 3]  ==>  collapse(C[:, [1, 3], :])
    let collapse = OpSig {
        name: "collapse".into(),
        role: None,
        results: vec![Some(vec![2, 12])],
        kind: SigKind::Plain,
        links: vec![
            Link::Same { result: 0, rdim: 0, operand: 0, odim: 0 },
            Link::Collapse { result: 0, rdim: 1, parts: vec![(0, 1, 3, 4), (0, 2, 1, 3)] },
        ],
    };
    let (best, prune) = saturate(vec![weight(&[2, 4, 3]), collapse], &[vec![3, 4, 5, 9, 10, 11]], "(take s0 d1 (op o1 (op o0)))");
    assert_eq!(best, "(op o1 k0)");
    let Fold::Weight { keep, .. } = prune.folds.get(0).clone() else { panic!("not a weight fold") };
    assert_eq!(prune.sels.get(keep[1].expect("channel dim selected")), &vec![1, 3]);
    assert_eq!(keep[2], None, "spatial dims stay whole");
    assert_eq!(prune.fold_shape(0), vec![2, 2, 3]);
}

#[test]
fn a_selection_that_splits_flatten_blocks_is_not_pushed() {
    // Indices 0 and 4 are parts of two different channels' blocks.
    let collapse = OpSig {
        name: "collapse".into(),
        role: None,
        results: vec![Some(vec![2, 12])],
        kind: SigKind::Plain,
        links: vec![Link::Collapse { result: 0, rdim: 1, parts: vec![(0, 1, 3, 4), (0, 2, 1, 3)] }],
    };
    let mut analysis = Prune { sigs: [weight(&[2, 4, 3]), collapse].into_iter().collect(), ..Default::default() };
    analysis.sels.intern(vec![0, 4]);
    let expr: RecExpr<Tensor> = "(take s0 d1 (op o1 (op o0)))".parse().expect("term");
    let mut eg = EGraph::new(analysis);
    let root = eg.add_expr(&expr);
    let runner = Runner::default().with_egraph(eg).with_scheduler(SimpleScheduler).run(&rules());
    let ex = Extractor::new(&runner.egraph, PruneCost::new(&runner.egraph));
    assert!(ex.find_best_cost(root).is_infinite(), "the take must stay: no channel-block selection exists");
}

#[test]
fn an_unflatten_widens_a_channel_selection_to_its_block() {
    // expand(W: 12 -> 4x3)[[1, 3], :]  ==>  expand(W[[3, 4, 5, 9, 10, 11]])
    let expand = OpSig {
        name: "expand".into(),
        role: None,
        results: vec![Some(vec![4, 3])],
        kind: SigKind::Plain,
        links: vec![Link::Expand { operand: 0, odim: 0, parts: vec![(0, 0, 3, 4), (0, 1, 1, 3)] }],
    };
    let (best, prune) = saturate(vec![weight(&[12]), expand], &[vec![1, 3]], "(take s0 d0 (op o1 (op o0)))");
    assert_eq!(best, "(op o1 k0)");
    let Fold::Weight { keep, .. } = prune.folds.get(0).clone() else { panic!("not a weight fold") };
    assert_eq!(prune.sels.get(keep[0].expect("selected")), &vec![3, 4, 5, 9, 10, 11]);
}

/// A channel shuffle of 8 channels as 2 x 4: unflatten, transpose,
/// flatten; it reads [y0, y4, y1, y5, y2, y6, y3, y7].
fn shuffle_sigs() -> Vec<OpSig> {
    use crate::analysis::rules::Role;
    let expand = OpSig {
        name: "expand".into(),
        role: Some(Role::Reshape),
        results: vec![Some(vec![2, 4])],
        kind: SigKind::Plain,
        links: vec![Link::Expand { operand: 0, odim: 0, parts: vec![(0, 0, 4, 2), (0, 1, 1, 4)] }],
    };
    let transpose = OpSig {
        name: "transpose".into(),
        role: Some(Role::Transpose),
        results: vec![Some(vec![4, 2])],
        kind: SigKind::Plain,
        links: vec![Link::Same { result: 0, rdim: 0, operand: 0, odim: 1 }, Link::Same { result: 0, rdim: 1, operand: 0, odim: 0 }],
    };
    let collapse = OpSig {
        name: "collapse".into(),
        role: Some(Role::Reshape),
        results: vec![Some(vec![8])],
        kind: SigKind::Plain,
        links: vec![Link::Collapse { result: 0, rdim: 0, parts: vec![(0, 0, 2, 4), (0, 1, 1, 2)] }],
    };
    vec![weight(&[8]), expand, transpose, collapse]
}

#[test]
fn take_through_a_shuffle_reorders_the_kept_channels() {
    // shuffle(W)[[1, 2]] is [W4, W1]: W[[1, 4]] in the order [1, 0].
    let (best, prune) = saturate(shuffle_sigs(), &[vec![1, 2]], "(take s0 d0 (op o3 (op o2 (op o1 (op o0)))))");
    assert_eq!(best, "(perm q0 k0)");
    let Fold::Weight { keep, .. } = prune.folds.get(0).clone() else { panic!("not a weight fold") };
    assert_eq!(prune.sels.get(keep[0].expect("selected")), &vec![1, 4]);
    let shuffle = prune.shuffles.get(0);
    assert_eq!((shuffle.op, shuffle.dim, &shuffle.order, &shuffle.shape), (3, 0, &vec![1, 0], &None));
}

#[test]
fn a_shuffle_that_keeps_the_order_needs_no_reordering() {
    // shuffle(W)[[0, 2, 3]] is [W0, W1, W5]: already in W's order.
    let (best, prune) = saturate(shuffle_sigs(), &[vec![0, 2, 3]], "(take s0 d0 (op o3 (op o2 (op o1 (op o0)))))");
    assert_eq!(best, "k0");
    let Fold::Weight { keep, .. } = prune.folds.get(0).clone() else { panic!("not a weight fold") };
    assert_eq!(prune.sels.get(keep[0].expect("selected")), &vec![0, 1, 5]);
}
