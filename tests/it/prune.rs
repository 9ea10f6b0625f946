//! component-prune's guarantees: protected components keep every weight
//! byte for byte, kept interfaces keep their sizes, determinism, the report,
//! and half-precision weights.

use crate::common::{fixture, parse, with_blobs, DIALECTS};
use crate::numeric::{prune, prune_module};
use mcprune::tag::{assign, TagOptions};
use mcprune::analysis::Dependencies;
use mcprune::group::Groups;
use mcprune::ir::dense::FloatElements;
use std::collections::{BTreeMap, BTreeSet};

/// (component, op location, shape, bytes) of every weight constant.
pub fn weights(module: mcprune::ir::Op) -> Vec<(String, String, Vec<i64>, Vec<u8>)> {
    let map = assign(module, &TagOptions::default());
    let a = Dependencies::run(module);
    let mut out: Vec<_> = a
        .weights()
        .iter()
        .map(|w| {
            let op = a.op(w.op);
            let attr = op.attribute("value").or_else(|| op.attribute("values")).expect("data");
            let data = FloatElements::read(attr).expect("readable").expect("float");
            (
                map.component_of(op).map(|c| map.name(c).to_string()).unwrap_or_default(),
                op.location().first_name().unwrap_or("").to_string(),
                a.value(w.value).shape.clone(),
                data.bytes().to_vec(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn protect_leaves_every_encoder_weight_byte_identical() {
    for dialect in DIALECTS {
        let path = fixture(&format!("tdmpc_small.{dialect}.mlir"));
        let original = crate::common::load(&path);
        let before: Vec<_> = weights(original.module.op()).into_iter().filter(|w| w.0 == "encoder").collect();
        let (pruned, outcome) = prune(&path, "ratio=0.5 protect=encoder interfaces=prune");
        assert!(outcome.plan.ratio_reached() > 0.3, "something else was pruned");
        let after: Vec<_> = weights(pruned.module.op()).into_iter().filter(|w| w.0 == "encoder").collect();
        assert!(!before.is_empty());
        assert_eq!(before, after, "{dialect}: encoder weights changed");
    }
}

/// Channel counts of interface groups, keyed by the components they span.
fn interface_sizes(module: mcprune::ir::Op) -> BTreeMap<Vec<String>, Vec<usize>> {
    let map = assign(module, &TagOptions::default());
    let a = Dependencies::run(module);
    let groups = Groups::build(&a, &map, mcprune::group::HeadUnits::Dims);
    let mut out: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
    for g in groups.groups.iter().filter(|g| g.is_interface()) {
        let key = g.components.iter().map(|&c| map.name(c).to_string()).collect();
        out.entry(key).or_default().push(g.channels);
    }
    out.values_mut().for_each(|v| v.sort());
    out
}

#[test]
fn kept_interfaces_keep_their_sizes() {
    for model in ["tdmpc_small", "jepa", "res_cnn", "concat_heads", "shared_cell"] {
        for dialect in DIALECTS {
            let path = fixture(&format!("{model}.{dialect}.mlir"));
            let before = interface_sizes(crate::common::load(&path).module.op());
            let (pruned, _) = prune(&path, "ratio=0.5 interfaces=keep");
            assert_eq!(before, interface_sizes(pruned.module.op()), "{model}.{dialect}");
            // And pruning them as a whole does shrink them, by what the
            // report says it removed: every fixture has an interface the
            // plan cuts at this ratio.
            let (whole, outcome) = prune(&path, "ratio=0.5 interfaces=prune");
            let cut = outcome.plan.removed.iter().filter(|(g, chs)| outcome.report.groups[**g].kind == "interface" && !chs.is_empty());
            assert!(cut.count() > 0, "{model}.{dialect}: interfaces=prune cut no interface");
            let mut expected: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
            for g in outcome.report.groups.iter().filter(|g| g.kind == "interface") {
                expected.entry(g.components.clone()).or_default().push(g.channels - g.removed.len());
            }
            expected.values_mut().for_each(|v| v.sort());
            assert_ne!(before, expected, "{model}.{dialect}: interfaces=prune");
            assert_eq!(expected, interface_sizes(whole.module.op()), "{model}.{dialect}: interfaces=prune");
        }
    }
}

#[test]
fn pruning_is_deterministic() {
    let path = fixture("concat_heads.tosa.mlir");
    let print = |l: &crate::common::Loaded| l.module.op().to_text();
    let (a, _) = prune(&path, "ratio=0.4 scope=local");
    let (b, _) = prune(&path, "ratio=0.4 scope=local");
    assert_eq!(print(&a), print(&b));
}

#[test]
fn report_of_a_pruned_fixture() {
    let (_, outcome) = prune(&fixture("tdmpc_small.linalg.mlir"), "ratio=0.4");
    let r = &outcome.report;
    assert_eq!(r.summary.params_before, 35366);
    assert!((r.summary.params_after as f64 / 35366.0 - 0.6).abs() < 0.01);
    assert!(r.summary.flops_after < r.summary.flops_before);
    assert_eq!(r.components.iter().map(|c| c.params_after).sum::<u64>(), r.summary.params_after);
    insta::assert_json_snapshot!("prune_report_tdmpc_small_linalg_0.4", r);
}

/// A two-layer MLP with weights of the given float type.
fn mlp(elem: &str, bytes_per: usize) -> String {
    let model = format!(
        r#"
func.func @main(%x: tensor<2x4x{elem}>) -> tensor<2x3x{elem}> {{
  %w1 = arith.constant dense_resource<w1> : tensor<4x6x{elem}> loc("enc.0"("m.py":1:1))
  %w2 = arith.constant dense_resource<w2> : tensor<6x3x{elem}> loc("head.0"("m.py":2:1))
  %z = arith.constant 0.0 : {elem}
  %e1 = tensor.empty() : tensor<2x6x{elem}>
  %f1 = linalg.fill ins(%z : {elem}) outs(%e1 : tensor<2x6x{elem}>) -> tensor<2x6x{elem}>
  %h = linalg.matmul ins(%x, %w1 : tensor<2x4x{elem}>, tensor<4x6x{elem}>) outs(%f1 : tensor<2x6x{elem}>) -> tensor<2x6x{elem}> loc("enc.0"("m.py":3:1))
  %t = math.tanh %h : tensor<2x6x{elem}> loc("enc.1"("m.py":4:1))
  %e2 = tensor.empty() : tensor<2x3x{elem}>
  %f2 = linalg.fill ins(%z : {elem}) outs(%e2 : tensor<2x3x{elem}>) -> tensor<2x3x{elem}>
  %y = linalg.matmul ins(%t, %w2 : tensor<2x6x{elem}>, tensor<6x3x{elem}>) outs(%f2 : tensor<2x3x{elem}>) -> tensor<2x3x{elem}> loc("head.0"("m.py":5:1))
  return %y : tensor<2x3x{elem}>
}}
"#
    );
    // Blob bytes: element k of w1 is k (as the type), w2 likewise.
    let blob = |n: usize| -> String {
        let mut hex = String::from("0x02000000");
        for k in 0..n {
            let bytes: Vec<u8> = match bytes_per {
                2 if elem == "f16" => half::f16::from_f32(k as f32).to_le_bytes().to_vec(),
                2 => half::bf16::from_f32(k as f32).to_le_bytes().to_vec(),
                _ => (k as f32).to_le_bytes().to_vec(),
            };
            bytes.iter().for_each(|b| hex.push_str(&format!("{b:02X}")));
        }
        hex
    };
    let _ = with_blobs; // (f32 helper; half-precision blobs are written here)
    format!("{model}{{-#\n  dialect_resources: {{\n    builtin: {{\n      w1: \"{}\",\n      w2: \"{}\"\n    }}\n  }}\n#-}}\n", blob(24), blob(18))
}

#[test]
fn half_precision_weights_are_sliced_exactly() {
    for (elem, width) in [("f16", 2usize), ("bf16", 2)] {
        let text = mlp(elem, width);
        let loaded = parse(&text);
        let outcome = prune_module(loaded.module.op(), "ratio=0.3 interfaces=prune", elem);
        let removed = outcome.plan.removed.values().next().cloned().unwrap_or_default();
        assert!(!removed.is_empty(), "{elem}: nothing pruned");
        // w1 (4x6): its columns are the hidden channels. The kept columns
        // hold exactly the original values k = row * 6 + col.
        let w = weights(loaded.module.op());
        let w1 = w.iter().find(|w| w.1 == "enc.0").expect("w1");
        let kept: Vec<usize> = (0..6).filter(|c| !removed.contains(&(*c as u32))).collect();
        assert_eq!(w1.2, vec![4, kept.len() as i64], "{elem}");
        let decoded: Vec<f32> = w1.3.chunks_exact(2).map(|b| match elem {
            "f16" => half::f16::from_le_bytes([b[0], b[1]]).to_f32(),
            _ => half::bf16::from_le_bytes([b[0], b[1]]).to_f32(),
        }).collect();
        let expected: Vec<f32> = (0..4).flat_map(|r| kept.iter().map(move |&c| (r * 6 + c) as f32)).collect();
        assert_eq!(decoded, expected, "{elem}");
        // The new blobs ask for the element's alignment, as the input's did
        // (a larger request makes bytecode unreadable by mlir-opt at random).
        let text = loaded.module.op().to_text();
        let headers: BTreeSet<&str> = text.match_indices(": \"0x").map(|(i, _)| &text[i + 3..i + 13]).collect();
        assert_eq!(headers, BTreeSet::from(["0x02000000"]), "{elem}");
    }
}

/// A mean's count constant that something else also reads: the mean gets
/// a new constant with the kept count, the other reader keeps the old one.
#[test]
fn a_shared_count_constant_is_split_not_changed_in_place() {
    let text = crate::groups::LAYERNORM
        .replace("COUNT", "4.0")
        .replace("EXTRA", "%scaled = arith.mulf %mean, %n : tensor<2xf32>")
        .replace("ins(%mean : tensor<2xf32>)", "ins(%scaled : tensor<2xf32>)");
    let loaded = parse(&with_blobs(&text, &[("w", 16)]));
    let outcome = prune_module(loaded.module.op(), "ratio=0.4 interfaces=prune", "layernorm");
    let removed = outcome.plan.removed.values().next().cloned().unwrap_or_default();
    assert_eq!(removed.len(), 2, "half of the 4 hidden channels go");
    let out = loaded.module.op().to_text();
    let constant = |needle: &str| -> String {
        let line = out.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle} in\n{out}"));
        let operand = line.split(", ").nth(1).and_then(|r| r.split(' ').next()).expect("second operand").to_string();
        let def = out.lines().find(|l| l.trim_start().starts_with(&format!("{operand} = "))).expect("its definition");
        def.split("dense<").nth(1).and_then(|r| r.split('>').next()).expect("a splat").to_string()
    };
    assert_eq!(constant("arith.divf"), "2.000000e+00", "the mean divides by the kept count\n{out}");
    assert_eq!(constant("arith.mulf"), "4.000000e+00", "the other reader keeps its constant\n{out}");
}

/// Bytecode input keeps weights as blobs in a read-only mapping of the
/// file; once a weight's pruned copy exists the rewrite lets the OS drop
/// the original's pages (peak memory, BENCHMARKS.md). Dropping them loses
/// nothing: a later read gets the same bytes back from the file. Blobs in
/// the heap (text input) are never dropped, which would zero them.
#[test]
fn mapped_weights_are_released_without_losing_data() {
    let dir = std::env::temp_dir().join(format!("mcprune-release-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let (text, bytecode) = (dir.join("mlp.mlir"), dir.join("mlp.mlirbc"));
    let gen = std::process::Command::new(env!("CARGO_BIN_EXE_mcprune-gen"))
        .args(["--family", "mlp", "--dialect", "linalg", "--params", "3000000", "-o"])
        .arg(&text)
        .output()
        .expect("mcprune-gen runs");
    assert!(gen.status.success(), "{}", String::from_utf8_lossy(&gen.stderr));
    let to_bc = std::process::Command::new(env!("CARGO_BIN_EXE_mcprune-opt"))
        .arg("--emit-bytecode")
        .arg(&text)
        .arg("-o")
        .arg(&bytecode)
        .output()
        .expect("mcprune-opt runs");
    assert!(to_bc.status.success(), "{}", String::from_utf8_lossy(&to_bc.stderr));

    let largest = |module: mcprune::ir::Op| {
        let mut best: Option<(usize, mcprune::ir::Op)> = None;
        module.walk(&mut |op| {
            if let Ok((_, _, data)) = mcprune::ir::dense::weight_elements(op) {
                if best.is_none_or(|(n, _)| data.bytes().len() > n) {
                    best = Some((data.bytes().len(), op));
                }
            }
            true
        });
        let (size, op) = best.expect("the MLP has weights");
        assert!(size >= 1 << 20, "the largest weight holds {size} bytes, too few to be released");
        op
    };
    let bytes = |op| mcprune::ir::dense::weight_elements(op).expect("weight data").2.bytes().to_vec();

    let mapped = crate::common::load(bytecode.to_str().expect("utf-8 path"));
    let op = largest(mapped.module.op());
    let before = bytes(op);
    assert!(mcprune::ir::dense::release_mapped_weight(op), "a bytecode blob is in a file mapping");
    assert!(before == bytes(op), "the weight reads back the same after its pages went");

    let heap = crate::common::load(text.to_str().expect("utf-8 path"));
    let op = largest(heap.module.op());
    let before = bytes(op);
    assert!(!mcprune::ir::dense::release_mapped_weight(op), "a text blob lives in the heap");
    assert!(before == bytes(op));
    let _ = std::fs::remove_dir_all(&dir);
}
