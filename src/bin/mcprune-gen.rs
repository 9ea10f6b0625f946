//! `mcprune-gen`: writes large, realistic test models as MLIR text, without
//! torch: deep residual CNNs with batch norm, and wide multi-component MLP
//! world models (encoder, dynamics with a 2-step latent rollout, reward,
//! policy, a Q ensemble), in linalg-on-tensors or TOSA, shaped like
//! torch-mlir's output, with module-path name locations and weights as
//! `dense_resource` blobs. Weights are pseudo-random and deterministic.
//!
//! ```text
//! mcprune-gen --family mlp|cnn --dialect linalg|tosa --params N [--dtype f32|f16|bf16] [-o FILE]
//! mcprune-gen --family random --seed N [-o FILE]
//! ```
//! `N` accepts suffixes: `25M`, `500k`. `--dtype` stores every tensor and
//! weight in f16 or bf16 (default f32; TOSA accumulates in f32). `--family random` writes the small
//! random multi-component model seed `N` names (`mcprune::gen::random`; the
//! seed picks its dialect and size). The binary does not use MLIR.

use mcprune::gen::emit::{render_as, Dialect, Elem, Emitter};
use mcprune::gen::random::random_model;
use mcprune::ir::f32_tensor_type;
use std::io::Write as _;

/// A TD-MPC-style world model sized to about `target` parameters: encoder,
/// dynamics (applied twice: a 2-step latent rollout), reward, policy and a
/// Q ensemble of two heads.
fn mlp(g: &mut Emitter, target: u64) -> String {
    let (batch, obs, act) = (16usize, 64usize, 8usize);
    // Six distinct MLPs (reward and dynamics run twice with the same
    // weights) of about 1.8 w^2 each (measured): w ~ sqrt(target / 10.9).
    let width = (((target as f64 / 10.9).sqrt() / 8.0).round() as usize * 8).max(16);
    let latent = (width / 4).max(8);
    let o = "%arg0";
    let a0 = "%arg1";
    let a1 = "%arg2";
    g.bind(o, &[batch, obs]);
    g.bind(a0, &[batch, act]);
    g.bind(a1, &[batch, act]);
    let z0 = g.mlp(o, width, latent, "encoder");
    let za0 = g.concat(&z0, a0, "glue");
    let r0 = g.mlp(&za0, width, 1, "reward");
    let z1 = g.mlp(&za0, width, latent, "dynamics");
    let za1 = g.concat(&z1, a1, "glue");
    let r1 = g.mlp(&za1, width, 1, "reward");
    let z2 = g.mlp(&za1, width, latent, "dynamics");
    let pi = g.mlp(&z2, width, act, "pi");
    let za2 = g.concat(&z2, &pi, "glue");
    let q0 = g.mlp(&za2, width, 1, "q_ensemble.0");
    let q1 = g.mlp(&za2, width, 1, "q_ensemble.1");
    let r = g.add(&r0, &r1, "glue");
    let q = g.add(&q0, &q1, "glue");
    let rq = g.add(&r, &q, "glue");
    g.line(format!("return {rq}, {pi} : {}, {}", f32_tensor_type(&[batch, 1]), f32_tensor_type(&[batch, act])));
    format!(
        "func.func @main(%arg0: {}, %arg1: {}, %arg2: {}) -> ({}, {})",
        f32_tensor_type(&[batch, obs]),
        f32_tensor_type(&[batch, act]),
        f32_tensor_type(&[batch, act]),
        f32_tensor_type(&[batch, 1]),
        f32_tensor_type(&[batch, act])
    )
}

/// A residual CNN sized to about `target` parameters: a stem, two stages of
/// residual blocks (the second at stride 2 and twice the channels), a
/// flatten and a linear head.
fn cnn(g: &mut Emitter, target: u64) -> String {
    let blocks = 4usize;
    // Each block holds two 3x3 convs: 18 c^2 per block at c, 72 c^2 at 2c.
    let c = (((target as f64 / (blocks as f64 * 18.0 + blocks as f64 * 72.0)).sqrt() / 8.0).round() as usize * 8).max(8);
    let (hw, classes) = (8usize, 10usize);
    let input = "%arg0";
    let in_shape = match g.dialect() {
        Dialect::Linalg => vec![1, 3, hw, hw],
        Dialect::Tosa => vec![1, hw, hw, 3],
    };
    g.bind(input, &in_shape);
    let mut x = g.conv_bn(input, c, 1, true, "stem");
    for b in 0..blocks {
        let y = g.conv_bn(&x, c, 1, true, &format!("stage1.{b}.a"));
        let y = g.conv_bn(&y, c, 1, false, &format!("stage1.{b}.b"));
        let s = g.add(&x, &y, &format!("stage1.{b}.add"));
        x = g.relu(&s, &format!("stage1.{b}.relu"));
    }
    x = g.conv_bn(&x, 2 * c, 2, true, "stage2.down");
    for b in 0..blocks {
        let y = g.conv_bn(&x, 2 * c, 1, true, &format!("stage2.{b}.a"));
        let y = g.conv_bn(&y, 2 * c, 1, false, &format!("stage2.{b}.b"));
        let s = g.add(&x, &y, &format!("stage2.{b}.add"));
        x = g.relu(&s, &format!("stage2.{b}.relu"));
    }
    let xs = g.shape(&x);
    let flat_len: usize = xs.iter().product();
    let flat = match g.dialect() {
        Dialect::Linalg => {
            let v = g.fresh(&[1, flat_len]);
            g.line(format!(
                "{v} = tensor.collapse_shape {x} [[0], [1, 2, 3]] : {} into {} loc(\"head.flatten\")",
                f32_tensor_type(&xs),
                f32_tensor_type(&[1, flat_len])
            ));
            v
        }
        Dialect::Tosa => g.reshape(&x, &[1, flat_len], "head.flatten"),
    };
    let h = g.linear(&flat, 256, "head.fc1");
    let h = g.relu(&h, "head.relu");
    let y = g.linear(&h, classes, "head.fc2");
    g.line(format!("return {y} : {}", f32_tensor_type(&[1, classes])));
    format!("func.func @main(%arg0: {}) -> {}", f32_tensor_type(&in_shape), f32_tensor_type(&[1, classes]))
}

fn main() {
    let mut family = "mlp".to_string();
    let mut dialect = Dialect::Linalg;
    let mut target: u64 = 1_000_000;
    let mut out: Option<String> = None;
    let mut seed: u64 = 0;
    let mut elem = Elem::F32;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--family" => family = v,
            "--dialect" => {
                dialect = match v.as_str() {
                    "linalg" => Dialect::Linalg,
                    "tosa" => Dialect::Tosa,
                    _ => fail("--dialect is linalg or tosa"),
                }
            }
            "--params" => target = parse_count(&v).unwrap_or_else(|| fail("--params takes a count such as 25M")),
            "--dtype" => elem = Elem::parse(&v).unwrap_or_else(|| fail("--dtype is f32, f16 or bf16")),
            "--seed" => seed = v.parse().unwrap_or_else(|_| fail("--seed takes an unsigned integer")),
            "-o" => out = Some(v),
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => fail(&format!("unknown argument '{other}'")),
        }
        i += 2;
    }
    let (text, dialect, params) = if family == "random" {
        let m = random_model(seed);
        (m.text, m.dialect, m.params)
    } else {
        let mut g = Emitter::new(dialect);
        let signature = match family.as_str() {
            "mlp" => mlp(&mut g, target),
            "cnn" => cnn(&mut g, target),
            _ => fail("--family is mlp, cnn or random"),
        };
        (render_as(&g, &signature, elem), dialect, g.params())
    };
    match out {
        Some(path) => std::fs::write(&path, text).unwrap_or_else(|e| fail(&format!("{path}: {e}"))),
        None => std::io::stdout().write_all(text.as_bytes()).unwrap_or_else(|e| fail(&e.to_string())),
    }
    let d = if dialect == Dialect::Linalg { "linalg" } else { "tosa" };
    eprintln!("mcprune-gen: {family} ({d}) with {params} parameters");
}

const USAGE: &str = "mcprune-gen --family mlp|cnn --dialect linalg|tosa --params N [--dtype f32|f16|bf16] [-o FILE]\n\
                     mcprune-gen --family random --seed N [-o FILE]";

fn fail(msg: &str) -> ! {
    eprintln!("mcprune-gen: error: {msg}");
    std::process::exit(1)
}

fn parse_count(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mul) = match s.chars().last()? {
        'M' | 'm' => (&s[..s.len() - 1], 1_000_000.0),
        'k' | 'K' => (&s[..s.len() - 1], 1_000.0),
        _ => (s, 1.0),
    };
    Some((num.parse::<f64>().ok()? * mul) as u64)
}
