//! `component-tag` finds the components each exporter fixture was built from.

use crate::common::{fixture, load, references, DIALECTS};
use mcprune::tag::{assign, Source, Strategy, TagOptions};

#[test]
fn every_fixture_has_exactly_its_reference_components() {
    for (model, reference) in references() {
        let expected: Vec<String> = reference["components"]
            .as_array()
            .expect("components")
            .iter()
            .map(|v| v.as_str().expect("name").to_string())
            .collect();
        for dialect in DIALECTS {
            let loaded = load(&fixture(&format!("{model}.{dialect}.mlir")));
            let map = assign(loaded.module.op(), &TagOptions::default());
            let mut found: Vec<String> = map.components().map(|(_, n)| n.to_string()).collect();
            let mut want = expected.clone();
            found.sort();
            want.sort();
            assert_eq!(found, want, "{model}.{dialect}");
        }
    }
}

#[test]
fn weights_are_placed_by_their_users_when_unnamed() {
    // torch-mlir's TOSA output gives many weights `loc(unknown)`; they must
    // land in the component that uses them, not in `<root>`.
    let path = fixture("tdmpc_small.tosa.mlir");
    let loaded = load(&path);
    let map = assign(loaded.module.op(), &TagOptions { strategy: Strategy::Auto, depth: 1 });
    let (mut weights, mut weights_in_root) = (0, 0);
    for &op in &map.ops {
        let is_weight = op.name() == "tosa.const"
            && op.result(0).ty().static_shape().map(|s| s.iter().product::<i64>() > 1).unwrap_or(false)
            && op.attribute("values").map(|a| a.is_dense_resource()).unwrap_or(false);
        if is_weight {
            weights += 1;
            if map.source_of(op) == Some(Source::Root) {
                weights_in_root += 1;
            }
        }
    }
    // "None in <root>" means something only if every weight was looked at:
    // as many as the file holds resource-backed tosa.const ops.
    let text = std::fs::read_to_string(&path).expect("fixture");
    let in_file = text.matches("\"tosa.const\"() <{values = dense_resource<").count();
    assert!(in_file > 0);
    assert_eq!(weights, in_file, "weights looked at");
    assert_eq!(weights_in_root, 0);
}
