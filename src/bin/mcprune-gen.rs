//! `mcprune-gen`: writes large, realistic test models as MLIR text, without
//! torch: deep residual CNNs with batch norm, and wide multi-component MLP
//! world models (encoder, dynamics with a 2-step latent rollout, reward,
//! policy, a Q ensemble), in linalg-on-tensors or TOSA, shaped like
//! torch-mlir's output, with module-path name locations and weights as
//! `dense_resource` blobs. Weights are pseudo-random and deterministic.
//!
//! ```text
//! mcprune-gen --family mlp|cnn --dialect linalg|tosa --params N [-o FILE]
//! ```
//! `N` accepts suffixes: `25M`, `500k`. The binary does not use MLIR.

use mcprune::ir::f32_tensor_type;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    Linalg,
    Tosa,
}

/// Builds one function body and its weight blobs.
struct Gen {
    dialect: Dialect,
    body: String,
    blobs: Vec<(String, Vec<f32>)>,
    shapes: HashMap<String, Vec<usize>>,
    next: usize,
    rng: u64,
    params: u64,
}

fn idmap(rank: usize) -> String {
    let dims: Vec<String> = (0..rank).map(|d| format!("d{d}")).collect();
    format!("affine_map<({}) -> ({})>", dims.join(", "), dims.join(", "))
}

impl Gen {
    fn new(dialect: Dialect) -> Gen {
        Gen {
            dialect,
            body: String::new(),
            blobs: Vec::new(),
            shapes: HashMap::new(),
            next: 0,
            rng: 0x9E37_79B9_7F4A_7C15,
            params: 0,
        }
    }

    fn fresh(&mut self, shape: &[usize]) -> String {
        self.next += 1;
        let v = format!("%v{}", self.next);
        self.shapes.insert(v.clone(), shape.to_vec());
        v
    }

    fn shape(&self, v: &str) -> Vec<usize> {
        self.shapes.get(v).cloned().unwrap_or_default()
    }

    fn random(&mut self) -> f32 {
        // xorshift64*: fast and deterministic.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
    }

    fn line(&mut self, s: String) {
        // Glue ops outside any module (the rollout's concats and sums) get a
        // file location, as an exporter without a module path gives them.
        let s = s.replace("loc(\"glue\")", "loc(\"model.py\":1:1)");
        self.body.push_str("    ");
        self.body.push_str(&s);
        self.body.push('\n');
    }

    /// A weight constant (a dense_resource blob) at module path `loc`.
    fn weight(&mut self, shape: &[usize], loc: &str) -> String {
        let n: usize = shape.iter().product();
        let name = format!("w{}", self.blobs.len());
        let data: Vec<f32> = (0..n).map(|_| self.random()).collect();
        self.params += n as u64;
        self.blobs.push((name.clone(), data));
        let v = self.fresh(shape);
        let t = f32_tensor_type(shape);
        self.line(match self.dialect {
            Dialect::Linalg => format!("{v} = arith.constant dense_resource<{name}> : {t} loc(\"{loc}\")"),
            Dialect::Tosa => format!("{v} = \"tosa.const\"() <{{values = dense_resource<{name}> : {t}}}> : () -> {t} loc(\"{loc}\")"),
        });
        v
    }

    fn splat(&mut self, value: f32, shape: &[usize]) -> String {
        let v = self.fresh(shape);
        let t = f32_tensor_type(shape);
        self.line(match self.dialect {
            Dialect::Linalg => format!("{v} = arith.constant dense<{value:?}> : {t}"),
            Dialect::Tosa => format!("{v} = \"tosa.const\"() <{{values = dense<{value:?}> : {t}}}> : () -> {t}"),
        });
        v
    }

    // ------------------------------------------------------------ linalg

    fn empty(&mut self, shape: &[usize]) -> String {
        let e = self.fresh(shape);
        self.line(format!("{e} = tensor.empty() : {}", f32_tensor_type(shape)));
        e
    }

    /// An element-wise linalg.generic; `ins` are (value, indexing map).
    fn generic(&mut self, ins: &[(&str, String)], shape: &[usize], body: &str, loc: &str) -> String {
        let e = self.empty(shape);
        let v = self.fresh(shape);
        let t = f32_tensor_type(shape);
        let maps: Vec<String> = ins.iter().map(|(_, m)| m.clone()).chain([idmap(shape.len())]).collect();
        let names: Vec<&str> = ins.iter().map(|(n, _)| *n).collect();
        let types: Vec<String> = ins.iter().map(|(n, _)| f32_tensor_type(&self.shape(n))).collect();
        let iters = vec!["\"parallel\""; shape.len()].join(", ");
        let args: Vec<String> = (0..ins.len()).map(|i| format!("%in{i}: f32")).collect();
        self.line(format!(
            "{v} = linalg.generic {{indexing_maps = [{}], iterator_types = [{iters}]}} ins({} : {}) outs({e} : {t}) {{",
            maps.join(", "),
            names.join(", "),
            types.join(", ")
        ));
        self.line(format!("^bb0({}, %out: f32):", args.join(", ")));
        for l in body.lines() {
            self.line(format!("  {l}"));
        }
        self.line(format!("}} -> {t} loc(\"{loc}\")"));
        v
    }

    fn relu(&mut self, x: &str, loc: &str) -> String {
        let shape = self.shape(x);
        match self.dialect {
            Dialect::Linalg => self.generic(
                &[(x, idmap(shape.len()))],
                &shape,
                "%z = arith.constant 0.0 : f32\n%c = arith.cmpf ugt, %in0, %z : f32\n%r = arith.select %c, %in0, %z : f32\nlinalg.yield %r : f32",
                loc,
            ),
            Dialect::Tosa => {
                let v = self.fresh(&shape);
                let t = f32_tensor_type(&shape);
                self.line(format!(
                    "{v} = tosa.clamp {x} {{max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32}} : ({t}) -> {t} loc(\"{loc}\")"
                ));
                v
            }
        }
    }

    fn add(&mut self, a: &str, b: &str, loc: &str) -> String {
        let shape = self.shape(a);
        match self.dialect {
            Dialect::Linalg => {
                let m = idmap(shape.len());
                self.generic(&[(a, m.clone()), (b, m)], &shape, "%s = arith.addf %in0, %in1 : f32\nlinalg.yield %s : f32", loc)
            }
            Dialect::Tosa => {
                let v = self.fresh(&shape);
                let (ta, tb) = (f32_tensor_type(&shape), f32_tensor_type(&self.shape(b)));
                self.line(format!("{v} = tosa.add {a}, {b} : ({ta}, {tb}) -> {ta} loc(\"{loc}\")"));
                v
            }
        }
    }

    /// `nn.Linear(in, out)` on `x: [B, in]`, as torch-mlir lowers it.
    fn linear(&mut self, x: &str, out: usize, loc: &str) -> String {
        let xs = self.shape(x);
        let (b, inp) = (xs[0], xs[1]);
        match self.dialect {
            Dialect::Linalg => {
                let w = self.weight(&[out, inp], loc);
                let bias = self.weight(&[out], loc);
                let et = self.empty(&[inp, out]);
                let t = self.fresh(&[inp, out]);
                self.line(format!(
                    "{t} = linalg.transpose ins({w} : {}) outs({et} : {}) permutation = [1, 0] loc(\"{loc}\")",
                    f32_tensor_type(&[out, inp]),
                    f32_tensor_type(&[inp, out])
                ));
                let e = self.empty(&[b, out]);
                let z = self.fresh(&[]);
                self.line(format!("{z} = arith.constant 0.000000e+00 : f32"));
                let f = self.fresh(&[b, out]);
                self.line(format!("{f} = linalg.fill ins({z} : f32) outs({e} : {}) -> {}", f32_tensor_type(&[b, out]), f32_tensor_type(&[b, out])));
                let mm = self.fresh(&[b, out]);
                self.line(format!(
                    "{mm} = linalg.matmul ins({x}, {t} : {}, {}) outs({f} : {}) -> {} loc(\"{loc}\")",
                    f32_tensor_type(&xs),
                    f32_tensor_type(&[inp, out]),
                    f32_tensor_type(&[b, out]),
                    f32_tensor_type(&[b, out])
                ));
                let bmap = "affine_map<(d0, d1) -> (d1)>".to_string();
                self.generic(&[(&mm, idmap(2)), (&bias, bmap)], &[b, out], "%s = arith.addf %in0, %in1 : f32\nlinalg.yield %s : f32", loc)
            }
            Dialect::Tosa => {
                let w = self.weight(&[1, inp, out], loc);
                let bias = self.weight(&[1, out], loc);
                let zp = self.splat(0.0, &[1]);
                let x3 = self.reshape(x, &[1, b, inp], loc);
                let mm = self.fresh(&[1, b, out]);
                self.line(format!(
                    "{mm} = tosa.matmul {x3}, {w}, {zp}, {zp} : ({}, {}, tensor<1xf32>, tensor<1xf32>) -> {} loc(\"{loc}\")",
                    f32_tensor_type(&[1, b, inp]),
                    f32_tensor_type(&[1, inp, out]),
                    f32_tensor_type(&[1, b, out])
                ));
                let y = self.reshape(&mm, &[b, out], loc);
                self.add(&y, &bias, loc)
            }
        }
    }

    fn reshape(&mut self, x: &str, to: &[usize], loc: &str) -> String {
        let from = self.shape(x);
        let v = self.fresh(to);
        let dims: Vec<String> = to.iter().map(|d| d.to_string()).collect();
        let s = self.fresh(&[]);
        self.line(format!(
            "{s} = tosa.const_shape {{values = dense<[{}]> : tensor<{}xindex>}} : () -> !tosa.shape<{}>",
            dims.join(", "),
            to.len(),
            to.len()
        ));
        self.line(format!(
            "{v} = tosa.reshape {x}, {s} : ({}, !tosa.shape<{}>) -> {} loc(\"{loc}\")",
            f32_tensor_type(&from),
            to.len(),
            f32_tensor_type(to)
        ));
        v
    }

    fn concat(&mut self, a: &str, b: &str, loc: &str) -> String {
        let (sa, sb) = (self.shape(a), self.shape(b));
        let out = vec![sa[0], sa[1] + sb[1]];
        let v = self.fresh(&out);
        self.line(match self.dialect {
            Dialect::Linalg => format!(
                "{v} = tensor.concat dim(1) {a}, {b} : ({}, {}) -> {} loc(\"{loc}\")",
                f32_tensor_type(&sa),
                f32_tensor_type(&sb),
                f32_tensor_type(&out)
            ),
            Dialect::Tosa => format!(
                "{v} = tosa.concat {a}, {b} {{axis = 1 : i32}} : ({}, {}) -> {} loc(\"{loc}\")",
                f32_tensor_type(&sa),
                f32_tensor_type(&sb),
                f32_tensor_type(&out)
            ),
        });
        v
    }

    /// A two-hidden-layer MLP component: `in -> w -> w -> out`.
    fn mlp(&mut self, x: &str, width: usize, out: usize, name: &str) -> String {
        let h = self.linear(x, width, &format!("{name}.0"));
        let h = self.relu(&h, &format!("{name}.1"));
        let h = self.linear(&h, width, &format!("{name}.2"));
        let h = self.relu(&h, &format!("{name}.3"));
        self.linear(&h, out, &format!("{name}.4"))
    }

    // ------------------------------------------------------------ conv

    /// Conv 3x3 (padding 1), batch norm (folded scale and shift, as inference
    /// exports keep them), optional ReLU. NCHW in linalg, NHWC in TOSA.
    fn conv_bn(&mut self, x: &str, out_ch: usize, stride: usize, relu: bool, name: &str) -> String {
        let xs = self.shape(x);
        match self.dialect {
            Dialect::Linalg => {
                let (n, c, h, w) = (xs[0], xs[1], xs[2], xs[3]);
                let (oh, ow) = ((h + 2 - 3) / stride + 1, (w + 2 - 3) / stride + 1);
                let wt = self.weight(&[out_ch, c, 3, 3], &format!("{name}.conv"));
                let z = self.fresh(&[]);
                self.line(format!("{z} = arith.constant 0.000000e+00 : f32"));
                let p = self.fresh(&[n, c, h + 2, w + 2]);
                self.line(format!(
                    "{p} = tensor.pad {x} low[0, 0, 1, 1] high[0, 0, 1, 1] {{\n    ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):\n      tensor.yield {z} : f32\n    }} : {} to {} loc(\"{name}.conv\")",
                    f32_tensor_type(&xs),
                    f32_tensor_type(&[n, c, h + 2, w + 2])
                ));
                let e = self.empty(&[n, out_ch, oh, ow]);
                let f = self.fresh(&[n, out_ch, oh, ow]);
                let ot = f32_tensor_type(&[n, out_ch, oh, ow]);
                self.line(format!("{f} = linalg.fill ins({z} : f32) outs({e} : {ot}) -> {ot}"));
                let cv = self.fresh(&[n, out_ch, oh, ow]);
                self.line(format!(
                    "{cv} = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : vector<2xi64>, strides = dense<{stride}> : vector<2xi64>}} ins({p}, {wt} : {}, {}) outs({f} : {ot}) -> {ot} loc(\"{name}.conv\")",
                    f32_tensor_type(&[n, c, h + 2, w + 2]),
                    f32_tensor_type(&[out_ch, c, 3, 3])
                ));
                let scale = self.weight(&[out_ch], &format!("{name}.bn"));
                let shift = self.weight(&[out_ch], &format!("{name}.bn"));
                let cmap = "affine_map<(d0, d1, d2, d3) -> (d1)>".to_string();
                let y = self.generic(
                    &[(&cv, idmap(4)), (&scale, cmap.clone()), (&shift, cmap)],
                    &[n, out_ch, oh, ow],
                    "%m = arith.mulf %in0, %in1 : f32\n%s = arith.addf %m, %in2 : f32\nlinalg.yield %s : f32",
                    &format!("{name}.bn"),
                );
                if relu {
                    self.relu(&y, &format!("{name}.relu"))
                } else {
                    y
                }
            }
            Dialect::Tosa => {
                let (n, h, w, c) = (xs[0], xs[1], xs[2], xs[3]);
                let (oh, ow) = ((h + 2 - 3) / stride + 1, (w + 2 - 3) / stride + 1);
                let wt = self.weight(&[out_ch, 3, 3, c], &format!("{name}.conv"));
                let bias = self.splat(0.0, &[out_ch]);
                let zp = self.splat(0.0, &[1]);
                let cv = self.fresh(&[n, oh, ow, out_ch]);
                // TOSA wants the padded extent divisible by the stride; torch-mlir
                // drops the trailing pad row and column for stride 2.
                let pad = if stride == 1 { "1, 1, 1, 1" } else { "1, 0, 1, 0" };
                self.line(format!(
                    "{cv} = tosa.conv2d {x}, {wt}, {bias}, {zp}, {zp} {{acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: {pad}>, stride = array<i64: {stride}, {stride}>}} : ({}, {}, {}, tensor<1xf32>, tensor<1xf32>) -> {} loc(\"{name}.conv\")",
                    f32_tensor_type(&xs),
                    f32_tensor_type(&[out_ch, 3, 3, c]),
                    f32_tensor_type(&[out_ch]),
                    f32_tensor_type(&[n, oh, ow, out_ch])
                ));
                let scale = self.weight(&[1, 1, 1, out_ch], &format!("{name}.bn"));
                let shift = self.weight(&[1, 1, 1, out_ch], &format!("{name}.bn"));
                let sh = self.fresh(&[1]);
                self.line(format!("{sh} = \"tosa.const\"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>"));
                let m = self.fresh(&[n, oh, ow, out_ch]);
                let ot = f32_tensor_type(&[n, oh, ow, out_ch]);
                self.line(format!(
                    "{m} = tosa.mul {cv}, {scale}, {sh} : ({ot}, {}, tensor<1xi8>) -> {ot} loc(\"{name}.bn\")",
                    f32_tensor_type(&[1, 1, 1, out_ch])
                ));
                let y = self.add(&m, &shift, &format!("{name}.bn"));
                if relu {
                    self.relu(&y, &format!("{name}.relu"))
                } else {
                    y
                }
            }
        }
    }
}

/// A TD-MPC-style world model sized to about `target` parameters: encoder,
/// dynamics (applied twice: a 2-step latent rollout), reward, policy and a
/// Q ensemble of two heads.
fn mlp(g: &mut Gen, target: u64) -> String {
    let (batch, obs, act) = (16usize, 64usize, 8usize);
    // Six distinct MLPs (reward and dynamics run twice with the same
    // weights) of about 1.8 w^2 each (measured): w ~ sqrt(target / 10.9).
    let width = (((target as f64 / 10.9).sqrt() / 8.0).round() as usize * 8).max(16);
    let latent = (width / 4).max(8);
    let o = "%arg0";
    let a0 = "%arg1";
    let a1 = "%arg2";
    g.shapes.insert(o.into(), vec![batch, obs]);
    g.shapes.insert(a0.into(), vec![batch, act]);
    g.shapes.insert(a1.into(), vec![batch, act]);
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
fn cnn(g: &mut Gen, target: u64) -> String {
    let blocks = 4usize;
    // Each block holds two 3x3 convs: 18 c^2 per block at c, 72 c^2 at 2c.
    let c = (((target as f64 / (blocks as f64 * 18.0 + blocks as f64 * 72.0)).sqrt() / 8.0).round() as usize * 8).max(8);
    let (hw, classes) = (8usize, 10usize);
    let input = "%arg0";
    let in_shape = match g.dialect {
        Dialect::Linalg => vec![1, 3, hw, hw],
        Dialect::Tosa => vec![1, hw, hw, 3],
    };
    g.shapes.insert(input.into(), in_shape.clone());
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
    let flat = match g.dialect {
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
            "-o" => out = Some(v),
            "-h" | "--help" => {
                println!("mcprune-gen --family mlp|cnn --dialect linalg|tosa --params N [-o FILE]");
                return;
            }
            other => fail(&format!("unknown argument '{other}'")),
        }
        i += 2;
    }
    let mut g = Gen::new(dialect);
    let signature = match family.as_str() {
        "mlp" => mlp(&mut g, target),
        "cnn" => cnn(&mut g, target),
        _ => fail("--family is mlp or cnn"),
    };
    let text = render(&g, &signature);
    match out {
        Some(path) => std::fs::write(&path, text).unwrap_or_else(|e| fail(&format!("{path}: {e}"))),
        None => std::io::stdout().write_all(text.as_bytes()).unwrap_or_else(|e| fail(&e.to_string())),
    }
    let d = if dialect == Dialect::Linalg { "linalg" } else { "tosa" };
    eprintln!("mcprune-gen: {family} ({d}) with {} parameters", g.params);
}

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

fn render(g: &Gen, signature: &str) -> String {
    let mut s = String::with_capacity(g.body.len() + g.params as usize * 8 + 1024);
    let _ = writeln!(s, "module {{\n  {signature} {{");
    s.push_str(&g.body);
    s.push_str("  }\n}\n\n{-#\n  dialect_resources: {\n    builtin: {\n");
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for (i, (name, data)) in g.blobs.iter().enumerate() {
        let _ = write!(s, "      {name}: \"0x04000000");
        let mut hex = Vec::with_capacity(data.len() * 8);
        for v in data {
            for b in v.to_le_bytes() {
                hex.push(HEX[(b >> 4) as usize]);
                hex.push(HEX[(b & 15) as usize]);
            }
        }
        s.push_str(std::str::from_utf8(&hex).unwrap_or(""));
        s.push('"');
        if i + 1 < g.blobs.len() {
            s.push(',');
        }
        s.push('\n');
    }
    s.push_str("    }\n  }\n#-}\n");
    s
}
