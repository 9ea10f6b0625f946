//! Dependency analysis and grouping against Torch-Pruning's numbers, and the
//! index maps of concat, flatten, residual adds, shared weights, reductions
//! and unknown ops.

use crate::common::{fixture, load, parse, references, with_blobs, Loaded, DIALECTS, MODELS};
use mcprune::tag::{assign, ComponentMap, TagOptions};
use mcprune::analysis::Dependencies;
use mcprune::group::{Group, Grouping, Groups};
use mcprune::report::Report;

struct Grouped {
    analysis: Dependencies,
    map: ComponentMap,
    groups: Groups,
}

fn group(module: mcprune::ir::Op) -> Grouped {
    let map = assign(module, &TagOptions::default());
    let analysis = Dependencies::run(module);
    let groups = Groups::build(&analysis, &map, mcprune::group::HeadUnits::Dims);
    Grouped { analysis, map, groups }
}

#[test]
fn vanilla_groups_match_torch_pruning() {
    for (model, reference) in references() {
        for dialect in DIALECTS {
            let loaded = load(&fixture(&format!("{model}.{dialect}.mlir")));
            let g = group(loaded.module.op());
            let want = reference["torch_pruning_groups"].as_u64().unwrap() as usize;
            let want_cross = reference["torch_pruning_cross_component_groups"].as_u64().unwrap() as usize;
            assert_eq!(g.groups.count(Grouping::Vanilla), want, "{model}.{dialect}: vanilla groups");
            assert_eq!(g.groups.interface_count(), want_cross, "{model}.{dialect}: interface groups");
        }
    }
}

#[test]
fn component_mode_splits_interface_groups_into_single_component_pieces() {
    for (model, _) in references() {
        for dialect in DIALECTS {
            let loaded = load(&fixture(&format!("{model}.{dialect}.mlir")));
            let g = group(loaded.module.op());
            let report = Report::build(&g.analysis, &g.map, &g.groups, Grouping::Component);
            for r in &report.groups {
                if r.kind != "interface" {
                    assert_eq!(r.components.len(), 1, "{model}.{dialect}: group {} spans {:?}", r.id, r.components);
                }
            }
            assert!(g.groups.interface_count() > 0, "{model}: the fixtures all have interface groups");
            assert!(g.groups.count(Grouping::Component) > g.groups.count(Grouping::Vanilla), "{model}.{dialect}");
            assert!(
                g.groups.average_ops(Grouping::Component) < g.groups.average_ops(Grouping::Vanilla),
                "{model}.{dialect}"
            );
        }
    }
}

#[test]
fn reports_of_the_fixtures() {
    for model in MODELS {
        for dialect in DIALECTS {
            let loaded = load(&fixture(&format!("{model}.{dialect}.mlir")));
            let g = group(loaded.module.op());
            let report = Report::build(&g.analysis, &g.map, &g.groups, Grouping::Component);
            insta::assert_json_snapshot!(format!("report_{model}_{dialect}"), report);
        }
    }
}

/// The group whose root is produced by the op at `loc`.
fn rooted_at<'a>(g: &'a Grouped, loc: &str) -> &'a Group {
    g.groups
        .groups
        .iter()
        .find(|gr| {
            g.analysis.roots(gr.root).iter().any(|&(op, _)| g.analysis.op(op).location().first_name() == Some(loc))
        })
        .unwrap_or_else(|| panic!("no group rooted at {loc}"))
}

/// Indices a group removes from the weight constant at `loc`, dim `dim`.
fn cut<'a>(g: &'a Grouped, group: &'a Group, loc: &str, dim: usize) -> &'a Vec<Vec<u32>> {
    &group
        .weights
        .iter()
        .find(|w| g.analysis.op(g.analysis.weight(w.weight).op).location().first_name() == Some(loc) && w.dim == dim)
        .unwrap_or_else(|| panic!("group {} does not cut {loc} dim {dim}", group.id))
        .indices
}

const CONCAT: &str = r#"
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %wa = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32> loc("a.0"("m.py":1:1))
  %wb = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 1.0, 2.0, 3.0]]> : tensor<3x4xf32> loc("b.0"("m.py":2:1))
  %wh = arith.constant dense<0.5> : tensor<3x5xf32> loc("h.0"("m.py":3:1))
  %wh2 = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0, 5.0]]> : tensor<3x5xf32> loc("h.0"("m.py":3:1))
  %z = arith.constant 0.0 : f32
  %ea = tensor.empty() : tensor<2x2xf32>
  %eb = tensor.empty() : tensor<2x3xf32>
  %fa = linalg.fill ins(%z : f32) outs(%ea : tensor<2x2xf32>) -> tensor<2x2xf32>
  %fb = linalg.fill ins(%z : f32) outs(%eb : tensor<2x3xf32>) -> tensor<2x3xf32>
  %a = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%x, %wa : tensor<2x4xf32>, tensor<2x4xf32>) outs(%fa : tensor<2x2xf32>) -> tensor<2x2xf32> loc("a.0"("m.py":4:1))
  %b = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%x, %wb : tensor<2x4xf32>, tensor<3x4xf32>) outs(%fb : tensor<2x3xf32>) -> tensor<2x3xf32> loc("b.0"("m.py":5:1))
  %c = tensor.concat dim(1) %a, %b : (tensor<2x2xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  %eh = tensor.empty() : tensor<2x3xf32>
  %fh = linalg.fill ins(%z : f32) outs(%eh : tensor<2x3xf32>) -> tensor<2x3xf32>
  %h = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%c, %wh2 : tensor<2x5xf32>, tensor<3x5xf32>) outs(%fh : tensor<2x3xf32>) -> tensor<2x3xf32> loc("h.0"("m.py":6:1))
  return %h : tensor<2x3xf32>
}
"#;

#[test]
fn concat_keeps_each_side_at_its_offset() {
    let loaded = parse(CONCAT);
    let g = group(loaded.module.op());
    let a = rooted_at(&g, "a.0");
    let b = rooted_at(&g, "b.0");
    assert!(a.prunable() && b.prunable());
    assert_eq!(cut(&g, a, "a.0", 0), &vec![vec![0], vec![1]]);
    assert_eq!(cut(&g, a, "h.0", 1), &vec![vec![0], vec![1]]);
    assert_eq!(cut(&g, b, "b.0", 0), &vec![vec![0], vec![1], vec![2]]);
    assert_eq!(cut(&g, b, "h.0", 1), &vec![vec![2], vec![3], vec![4]]);
}

const FLATTEN: &str = r#"
func.func @main(%x: tensor<1x2x5x5xf32>) -> tensor<1x3xf32> {
  %w = arith.constant dense<[[[[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]], [[[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 4.0]], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]], [[[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 5.0]], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]], [[[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 6.0]], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]]]> : tensor<4x2x3x3xf32> loc("conv"("m.py":1:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x3x3xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x2x5x5xf32>, tensor<4x2x3x3xf32>) outs(%f : tensor<1x4x3x3xf32>) -> tensor<1x4x3x3xf32> loc("conv"("m.py":2:1))
  %flat = tensor.collapse_shape %c [[0], [1, 2, 3]] : tensor<1x4x3x3xf32> into tensor<1x36xf32>
  %wl = arith.constant dense_resource<lin> : tensor<36x3xf32> loc("fc"("m.py":3:1))
  %el = tensor.empty() : tensor<1x3xf32>
  %fl = linalg.fill ins(%z : f32) outs(%el : tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = linalg.matmul ins(%flat, %wl : tensor<1x36xf32>, tensor<36x3xf32>) outs(%fl : tensor<1x3xf32>) -> tensor<1x3xf32> loc("fc"("m.py":4:1))
  return %y : tensor<1x3xf32>
}
"#;

#[test]
fn flatten_after_conv_maps_a_channel_to_its_block() {
    let loaded = parse(&with_blobs(FLATTEN, &[("lin", 36 * 3)]));
    let g = group(loaded.module.op());
    let conv = rooted_at(&g, "conv");
    assert!(conv.prunable(), "{:?}", conv.frozen);
    assert_eq!(cut(&g, conv, "conv", 0)[3], vec![3]);
    // Channel 3 of the conv is the block 27..36 of the flattened dim.
    assert_eq!(cut(&g, conv, "fc", 0)[3], (27..36).collect::<Vec<u32>>());
    assert_eq!(cut(&g, conv, "fc", 0)[0], (0..9).collect::<Vec<u32>>());
}

const RESIDUAL: &str = r#"
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w0 = arith.constant dense_resource<w0> : tensor<4x4xf32> loc("stem"("m.py":1:1))
  %w1 = arith.constant dense_resource<w1> : tensor<4x4xf32> loc("block1"("m.py":2:1))
  %w2 = arith.constant dense_resource<w2> : tensor<4x4xf32> loc("block2"("m.py":3:1))
  %w3 = arith.constant dense_resource<w3> : tensor<4x4xf32> loc("head"("m.py":4:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %h0 = linalg.matmul ins(%x, %w0 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32> loc("stem"("m.py":5:1))
  %m1 = linalg.matmul ins(%h0, %w1 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32> loc("block1"("m.py":6:1))
  %h1 = linalg.add ins(%h0, %m1 : tensor<2x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %m2 = linalg.matmul ins(%h1, %w2 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32> loc("block2"("m.py":7:1))
  %h2 = linalg.add ins(%h1, %m2 : tensor<2x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%h2, %w3 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32> loc("head"("m.py":8:1))
  return %y : tensor<2x4xf32>
}
"#;

#[test]
fn a_residual_chain_is_one_group() {
    let loaded = parse(&with_blobs(RESIDUAL, &[("w0", 16), ("w1", 16), ("w2", 16), ("w3", 16)]));
    let g = group(loaded.module.op());
    let stem = rooted_at(&g, "stem");
    let b1 = rooted_at(&g, "block1");
    let b2 = rooted_at(&g, "block2");
    assert_eq!(stem.id, b1.id);
    assert_eq!(stem.id, b2.id);
    assert!(stem.prunable());
    // Output columns of the three producers and input rows of three consumers.
    for (loc, dim) in [("stem", 1), ("block1", 1), ("block2", 1), ("block1", 0), ("block2", 0), ("head", 0)] {
        assert_eq!(cut(&g, stem, loc, dim).len(), 4, "{loc} dim {dim}");
    }
    // stem/block1/block2 share one group; head's output is the model's.
    assert_eq!(g.groups.groups.len(), 2);
}

const SHARED_CELL: &str = r#"
func.func @cell(%h: tensor<2x6xf32>) -> tensor<2x6xf32> {
  %w = arith.constant dense_resource<wc> : tensor<6x6xf32> loc("cell.fc"("m.py":1:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x6xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x6xf32>) -> tensor<2x6xf32>
  %y = linalg.matmul ins(%h, %w : tensor<2x6xf32>, tensor<6x6xf32>) outs(%f : tensor<2x6xf32>) -> tensor<2x6xf32> loc("cell.fc"("m.py":2:1))
  %t = math.tanh %y : tensor<2x6xf32>
  return %t : tensor<2x6xf32>
}
func.func @main(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %we = arith.constant dense_resource<we> : tensor<3x6xf32> loc("embed"("m.py":3:1))
  %wr = arith.constant dense_resource<wr> : tensor<6x2xf32> loc("readout"("m.py":4:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x6xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x6xf32>) -> tensor<2x6xf32>
  %h0 = linalg.matmul ins(%x, %we : tensor<2x3xf32>, tensor<3x6xf32>) outs(%f : tensor<2x6xf32>) -> tensor<2x6xf32> loc("embed"("m.py":5:1))
  %h1 = func.call @cell(%h0) : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %h2 = func.call @cell(%h1) : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %h3 = func.call @cell(%h2) : (tensor<2x6xf32>) -> tensor<2x6xf32>
  %er = tensor.empty() : tensor<2x2xf32>
  %fr = linalg.fill ins(%z : f32) outs(%er : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%h3, %wr : tensor<2x6xf32>, tensor<6x2xf32>) outs(%fr : tensor<2x2xf32>) -> tensor<2x2xf32> loc("readout"("m.py":6:1))
  return %y : tensor<2x2xf32>
}
"#;

#[test]
fn a_weight_shared_cell_called_three_times_is_one_group() {
    let loaded = parse(&with_blobs(SHARED_CELL, &[("wc", 36), ("we", 18), ("wr", 12)]));
    let g = group(loaded.module.op());
    // The cell's output channels: one group although the cell runs three
    // times, and it is the same group as the embedding's output (the cell's
    // input and output are the same space through the chained calls).
    let cell = rooted_at(&g, "cell.fc");
    let embed = rooted_at(&g, "embed");
    assert_eq!(cell.id, embed.id);
    assert_eq!(g.groups.groups.iter().filter(|gr| gr.id == cell.id).count(), 1);
    assert_eq!(cut(&g, cell, "cell.fc", 0).len(), 6);
    assert_eq!(cut(&g, cell, "cell.fc", 1).len(), 6);
    assert_eq!(cut(&g, cell, "readout", 0).len(), 6);
    // embed+cell group and the readout's (frozen) output group.
    assert_eq!(g.groups.groups.len(), 2);
    assert!(cell.prunable());
}

/// A normalisation over the hidden dim: `%sum` is divided by `COUNT`;
/// `EXTRA` is room for more ops.
pub const LAYERNORM: &str = r#"
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense_resource<w> : tensor<4x4xf32> loc("fc"("m.py":1:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %h = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32> loc("fc"("m.py":2:1))
  %es = tensor.empty() : tensor<2xf32>
  %fs = linalg.fill ins(%z : f32) outs(%es : tensor<2xf32>) -> tensor<2xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]} ins(%h : tensor<2x4xf32>) outs(%fs : tensor<2xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %s = arith.addf %in, %acc : f32
    linalg.yield %s : f32
  } -> tensor<2xf32> loc("norm"("m.py":3:1))
  %n = arith.constant dense<COUNT> : tensor<2xf32>
  %mean = arith.divf %sum, %n : tensor<2xf32>
  EXTRA
  %mb = linalg.broadcast ins(%mean : tensor<2xf32>) outs(%e : tensor<2x4xf32>) dimensions = [1]
  %c = arith.subf %h, %mb : tensor<2x4xf32> loc("norm"("m.py":4:1))
  %w2 = arith.constant dense_resource<w> : tensor<4x4xf32> loc("fc2"("m.py":5:1))
  %y = linalg.matmul ins(%c, %w2 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32> loc("fc2"("m.py":6:1))
  return %y : tensor<2x4xf32>
}
"#;

/// The module with its groups: the analysis holds handles into the
/// module, so the module must outlive it (a temporary dropped here left
/// the test reading freed memory, and it failed now and then).
fn layernorm(count: &str, extra: &str) -> (Loaded, Grouped) {
    let text = LAYERNORM.replace("COUNT", count).replace("EXTRA", extra);
    let loaded = parse(&with_blobs(&text, &[("w", 16)]));
    let grouped = group(loaded.module.op());
    (loaded, grouped)
}

#[test]
fn a_mean_over_the_hidden_dim_keeps_it_prunable_and_names_its_count() {
    let (_module, g) = layernorm("4.0", "");
    let fc = rooted_at(&g, "fc");
    assert!(fc.prunable(), "{:?}", fc.frozen);
    let [norm] = g.analysis.normalizations() else { panic!("one mean: {:?}", g.analysis.normalizations()) };
    assert_eq!(g.analysis.op(norm.op).location().first_name(), Some("norm"));
    assert_eq!(norm.summed.len(), 1);
    assert_eq!(g.analysis.class_of(norm.summed[0]), fc.root);
    let [size] = norm.sizes.as_slice() else { panic!("one size constant") };
    assert_eq!((size.holder.name(), size.operand, size.reciprocal, size.captured), ("arith.divf", 1, false, false));
}

#[test]
fn a_sum_not_divided_by_its_count_freezes_the_dim() {
    // Divided by something else: a sum, not a mean.
    let (_module, g) = layernorm("3.0", "");
    let why = rooted_at(&g, "fc").frozen.as_deref().expect("a plain sum must freeze").to_string();
    assert!(why.contains("reduced by 'linalg.generic'") && why.contains("norm"), "{why}");
    assert!(g.analysis.normalizations().is_empty());
}

const UNKNOWN_OP: &str = r#"
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense_resource<w> : tensor<4x4xf32> loc("fc"("m.py":1:1))
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %h = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32> loc("fc"("m.py":2:1))
  %u = "custom.activation"(%h) : (tensor<2x4xf32>) -> tensor<2x4xf32> loc("act"("m.py":3:1))
  %w2 = arith.constant dense_resource<w> : tensor<4x4xf32> loc("fc2"("m.py":4:1))
  %y = linalg.matmul ins(%u, %w2 : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32> loc("fc2"("m.py":5:1))
  return %y : tensor<2x4xf32>
}
"#;

#[test]
fn an_unknown_op_freezes_what_it_touches() {
    let loaded = parse(&with_blobs(UNKNOWN_OP, &[("w", 16)]));
    let g = group(loaded.module.op());
    let fc = rooted_at(&g, "fc");
    assert_eq!(fc.frozen.as_deref(), Some("no rule for 'custom.activation' at custom.activation \"act\""));
    let report = Report::build(&g.analysis, &g.map, &g.groups, Grouping::Component);
    assert!(report.frozen.iter().any(|f| f.op.starts_with("custom.activation") && f.reason == "no rule for 'custom.activation'"));
}

#[test]
fn a_layer_chunked_into_gates_has_the_gates_channels() {
    // GRU-style: one layer's 24 outputs are three gates of 8 that meet
    // element-wise, so channel k of the group is k of every gate.
    for dialect in DIALECTS {
        let loaded = load(&fixture(&format!("gated_cell.{dialect}.mlir")));
        let g = group(loaded.module.op());
        let cell = rooted_at(&g, "cell");
        assert_eq!(cell.channels, 8, "{dialect}");
        assert!(cell.prunable(), "{dialect}: {:?}", cell.frozen);
        let gates: Vec<&mcprune::group::WeightCut> =
            cell.weights.iter().filter(|w| w.indices.iter().map(|i| i.len()).sum::<usize>() == 24).collect();
        assert!(!gates.is_empty(), "{dialect}: no cut of the cell's 24 outputs");
        for cut in gates {
            for (k, indices) in cut.indices.iter().enumerate() {
                let k = k as u32;
                assert_eq!(indices.as_slice(), [k, 8 + k, 16 + k], "{dialect}");
            }
        }
    }
}
