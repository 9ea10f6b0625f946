//! The text emitter: one function body at a time, weights as
//! `dense_resource` blobs, ops in the forms torch-mlir prints for
//! linalg-on-tensors and TOSA.

use crate::ir::f32_tensor_type;
use std::collections::HashMap;
use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Linalg,
    Tosa,
}

/// The element type of a generated model's tensors. Models are written in
/// f32 and retyped as a whole ([`retype`]); weights are stored in the type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    F32,
    F16,
    BF16,
}

impl Elem {
    pub fn parse(s: &str) -> Option<Elem> {
        match s {
            "f32" => Some(Elem::F32),
            "f16" => Some(Elem::F16),
            "bf16" => Some(Elem::BF16),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Elem::F32 => "f32",
            Elem::F16 => "f16",
            Elem::BF16 => "bf16",
        }
    }

    /// Little-endian bytes of `v` in this type.
    fn bytes(self, v: f32, out: &mut Vec<u8>) {
        match self {
            Elem::F32 => out.extend(v.to_le_bytes()),
            Elem::F16 => out.extend(half::f16::from_f32(v).to_le_bytes()),
            Elem::BF16 => out.extend(half::bf16::from_f32(v).to_le_bytes()),
        }
    }

    /// The largest finite value, as MLIR prints it (TOSA's ReLU clamp).
    fn max_literal(self) -> &'static str {
        match self {
            Elem::F32 => "3.40282347E+38",
            Elem::F16 => "6.550400e+04",
            Elem::BF16 => "3.38953139E+38",
        }
    }
}

/// Module text written in f32, retyped to `elem`: every f32 tensor, scalar
/// and payload argument, except TOSA's accumulator type (f32 accumulates
/// f16 and bf16 products) and with the clamp bound the type can hold.
pub fn retype(text: &str, elem: Elem) -> String {
    if elem == Elem::F32 {
        return text.to_string();
    }
    text.replace("3.40282347E+38 : f32", &format!("{} : f32", elem.max_literal()))
        .replace("acc_type = f32", "acc_type = F32_ACCUMULATOR")
        .replace("f32", elem.name())
        .replace("acc_type = F32_ACCUMULATOR", "acc_type = f32")
}

/// Builds function bodies and the module's weight blobs.
pub struct Emitter {
    dialect: Dialect,
    body: String,
    blobs: Vec<(String, Vec<f32>)>,
    shapes: HashMap<String, Vec<usize>>,
    next: usize,
    rng: u64,
    params: u64,
}

/// The identity indexing map of `rank` dims.
pub fn idmap(rank: usize) -> String {
    let dims: Vec<String> = (0..rank).map(|d| format!("d{d}")).collect();
    format!("affine_map<({}) -> ({})>", dims.join(", "), dims.join(", "))
}

impl Emitter {
    pub fn new(dialect: Dialect) -> Emitter {
        Emitter::seeded(dialect, 0)
    }

    /// An emitter whose weights come from the sequence `seed` names (seed 0
    /// is the sequence `mcprune-gen`'s large families were written with).
    pub fn seeded(dialect: Dialect, seed: u64) -> Emitter {
        // xorshift must not start at 0; the odd multiplier keeps distinct
        // seeds distinct.
        let rng = 0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        Emitter {
            dialect,
            body: String::new(),
            blobs: Vec::new(),
            shapes: HashMap::new(),
            next: 0,
            rng: if rng == 0 { 1 } else { rng },
            params: 0,
        }
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Parameters of the weights emitted so far.
    pub fn params(&self) -> u64 {
        self.params
    }

    /// Records the shape of a value named outside the emitter (a function
    /// argument).
    pub fn bind(&mut self, name: &str, shape: &[usize]) {
        self.shapes.insert(name.to_string(), shape.to_vec());
    }

    /// The body emitted so far, leaving an empty one: a function is emitted
    /// into a fresh body while its caller's waits.
    pub fn take_body(&mut self) -> String {
        std::mem::take(&mut self.body)
    }

    /// Continues `body` (from [`Emitter::take_body`]).
    pub fn restore_body(&mut self, body: String) {
        self.body = body;
    }

    pub fn fresh(&mut self, shape: &[usize]) -> String {
        self.next += 1;
        let v = format!("%v{}", self.next);
        self.shapes.insert(v.clone(), shape.to_vec());
        v
    }

    pub fn shape(&self, v: &str) -> Vec<usize> {
        self.shapes.get(v).cloned().unwrap_or_default()
    }

    pub fn random(&mut self) -> f32 {
        // xorshift64*: fast and deterministic.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.2
    }

    pub fn line(&mut self, s: String) {
        // Glue ops outside any module (the rollout's concats and sums) get a
        // file location, as an exporter without a module path gives them.
        let s = s.replace("loc(\"glue\")", "loc(\"model.py\":1:1)");
        self.body.push_str("    ");
        self.body.push_str(&s);
        self.body.push('\n');
    }

    /// A weight constant (a dense_resource blob) at module path `loc`.
    pub fn weight(&mut self, shape: &[usize], loc: &str) -> String {
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

    pub fn splat(&mut self, value: f32, shape: &[usize]) -> String {
        let v = self.fresh(shape);
        let t = f32_tensor_type(shape);
        self.line(match self.dialect {
            Dialect::Linalg => format!("{v} = arith.constant dense<{value:?}> : {t}"),
            Dialect::Tosa => format!("{v} = \"tosa.const\"() <{{values = dense<{value:?}> : {t}}}> : () -> {t}"),
        });
        v
    }

    // ------------------------------------------------------------ linalg

    pub fn empty(&mut self, shape: &[usize]) -> String {
        let e = self.fresh(shape);
        self.line(format!("{e} = tensor.empty() : {}", f32_tensor_type(shape)));
        e
    }

    /// An element-wise linalg.generic; `ins` are (value, indexing map).
    pub fn generic(&mut self, ins: &[(&str, String)], shape: &[usize], body: &str, loc: &str) -> String {
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

    pub fn relu(&mut self, x: &str, loc: &str) -> String {
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

    pub fn add(&mut self, a: &str, b: &str, loc: &str) -> String {
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
    pub fn linear(&mut self, x: &str, out: usize, loc: &str) -> String {
        let xs = self.shape(x);
        let (b, inp) = (xs[0], xs[1]);
        match self.dialect {
            Dialect::Linalg => {
                let w = self.weight(&[out, inp], loc);
                let bias = self.weight(&[out], loc);
                let t = self.permute(&w, &[1, 0], loc);
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

    /// A `tosa.const_shape` holding `dims`.
    pub fn shape_constant(&mut self, dims: &[usize]) -> String {
        let text: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
        let s = self.fresh(&[]);
        self.line(format!(
            "{s} = tosa.const_shape {{values = dense<[{}]> : tensor<{}xindex>}} : () -> !tosa.shape<{}>",
            text.join(", "),
            dims.len(),
            dims.len()
        ));
        s
    }

    pub fn reshape(&mut self, x: &str, to: &[usize], loc: &str) -> String {
        let from = self.shape(x);
        let v = self.fresh(to);
        let s = self.shape_constant(to);
        self.line(format!(
            "{v} = tosa.reshape {x}, {s} : ({}, !tosa.shape<{}>) -> {} loc(\"{loc}\")",
            f32_tensor_type(&from),
            to.len(),
            f32_tensor_type(to)
        ));
        v
    }

    /// `a` and `b` joined along dim 1 (channels or features).
    pub fn concat(&mut self, a: &str, b: &str, loc: &str) -> String {
        let (sa, sb) = (self.shape(a), self.shape(b));
        let mut out = sa.clone();
        out[1] += sb[1];
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
    pub fn mlp(&mut self, x: &str, width: usize, out: usize, name: &str) -> String {
        let h = self.linear(x, width, &format!("{name}.0"));
        let h = self.relu(&h, &format!("{name}.1"));
        let h = self.linear(&h, width, &format!("{name}.2"));
        let h = self.relu(&h, &format!("{name}.3"));
        self.linear(&h, out, &format!("{name}.4"))
    }

    // ------------------------------------------------------------ conv

    /// Conv 3x3 (padding 1), batch norm (folded scale and shift, as inference
    /// exports keep them), optional ReLU. NCHW in linalg, NHWC in TOSA.
    pub fn conv_bn(&mut self, x: &str, out_ch: usize, stride: usize, relu: bool, name: &str) -> String {
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

/// A module of one function: `signature` and the emitted body.
pub fn render(g: &Emitter, signature: &str) -> String {
    render_as(g, signature, Elem::F32)
}

/// [`render`] with every tensor and weight in `elem`.
pub fn render_as(g: &Emitter, signature: &str, elem: Elem) -> String {
    let code = retype(&format!("module {{\n  {signature} {{\n{}  }}\n}}\n\n", g.body), elem);
    let mut s = String::with_capacity(code.len() + g.params as usize * 8 + 1024);
    s.push_str(&code);
    write_resources(&mut s, &g.blobs, elem);
    s
}

/// A module of whole functions (`functions`, each printed with its
/// signature, body and closing brace), with the emitter's blobs.
pub fn render_functions(g: &Emitter, functions: &[String]) -> String {
    let mut s = String::with_capacity(functions.iter().map(String::len).sum::<usize>() + g.params as usize * 8 + 1024);
    s.push_str("module {\n");
    for f in functions {
        s.push_str(f);
    }
    s.push_str("}\n\n");
    write_resources(&mut s, &g.blobs, Elem::F32);
    s
}

/// The `dialect_resources` section: each blob as hex (in `elem`), after
/// its 4-byte alignment header.
fn write_resources(s: &mut String, blobs: &[(String, Vec<f32>)], elem: Elem) {
    s.push_str("{-#\n  dialect_resources: {\n    builtin: {\n");
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for (i, (name, data)) in blobs.iter().enumerate() {
        let _ = write!(s, "      {name}: \"0x04000000");
        let mut hex = Vec::with_capacity(data.len() * 8);
        let mut bytes = Vec::with_capacity(4);
        for &v in data {
            bytes.clear();
            elem.bytes(v, &mut bytes);
            for &b in &bytes {
                hex.push(HEX[(b >> 4) as usize]);
                hex.push(HEX[(b & 15) as usize]);
            }
        }
        s.push_str(std::str::from_utf8(&hex).unwrap_or(""));
        s.push('"');
        if i + 1 < blobs.len() {
            s.push(',');
        }
        s.push('\n');
    }
    s.push_str("    }\n  }\n#-}\n");
}
