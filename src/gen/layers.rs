//! Layers of the random models, in NCHW as PyTorch holds them: in TOSA,
//! torch-mlir wraps each convolution in transposes to NHWC and back, and
//! splits a grouped convolution into one `tosa.conv2d` per group over
//! slices, joined by a concat. Convolutions have no bias (a batch norm
//! follows them); [`Emitter::affine`] is that batch norm, folded to a
//! per-channel scale and shift as inference exports hold it.

use super::emit::{idmap, Dialect, Emitter};
use crate::ir::f32_tensor_type;

/// How a convolution connects its input channels to its output channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvKind {
    /// Every output channel reads every input channel.
    Plain,
    /// One filter per channel (`groups = channels`).
    Depthwise,
    /// `groups` blocks of channels, each convolved on its own.
    Grouped(usize),
}

/// The indexing map reading a per-channel vector (dim 1) in a `rank`-dim loop.
fn channel_map(rank: usize) -> String {
    let dims: Vec<String> = (0..rank).map(|d| format!("d{d}")).collect();
    format!("affine_map<({}) -> (d1)>", dims.join(", "))
}

impl Emitter {
    /// The shift operand `tosa.mul` takes (0: a float multiply).
    fn mul_shift(&mut self) -> String {
        let sh = self.fresh(&[1]);
        self.line(format!("{sh} = \"tosa.const\"() <{{values = dense<0> : tensor<1xi8>}}> : () -> tensor<1xi8>"));
        sh
    }

    /// `a * b`, element-wise; `b` may broadcast in TOSA.
    pub fn mul(&mut self, a: &str, b: &str, loc: &str) -> String {
        let shape = self.shape(a);
        match self.dialect() {
            Dialect::Linalg => {
                let m = idmap(shape.len());
                self.generic(&[(a, m.clone()), (b, m)], &shape, "%m = arith.mulf %in0, %in1 : f32\nlinalg.yield %m : f32", loc)
            }
            Dialect::Tosa => {
                let sh = self.mul_shift();
                let v = self.fresh(&shape);
                let (ta, tb) = (f32_tensor_type(&shape), f32_tensor_type(&self.shape(b)));
                self.line(format!("{v} = tosa.mul {a}, {b}, {sh} : ({ta}, {tb}, tensor<1xi8>) -> {ta} loc(\"{loc}\")"));
                v
            }
        }
    }

    /// `1 / (1 + exp(-x))`, as torch-mlir lowers `torch.sigmoid`.
    pub fn sigmoid(&mut self, x: &str, loc: &str) -> String {
        let shape = self.shape(x);
        match self.dialect() {
            Dialect::Linalg => self.generic(
                &[(x, idmap(shape.len()))],
                &shape,
                "%one = arith.constant 1.0 : f32\n%n = arith.negf %in0 : f32\n%e = math.exp %n : f32\n%d = arith.addf %e, %one : f32\n%r = arith.divf %one, %d : f32\nlinalg.yield %r : f32",
                loc,
            ),
            Dialect::Tosa => {
                let v = self.fresh(&shape);
                let t = f32_tensor_type(&shape);
                self.line(format!("{v} = tosa.sigmoid {x} : ({t}) -> {t} loc(\"{loc}\")"));
                v
            }
        }
    }

    /// A per-channel scale and shift along dim 1 (an inference batch norm).
    pub fn affine(&mut self, x: &str, loc: &str) -> String {
        let shape = self.shape(x);
        let channels = shape[1];
        match self.dialect() {
            Dialect::Linalg => {
                let scale = self.weight(&[channels], loc);
                let shift = self.weight(&[channels], loc);
                let cmap = channel_map(shape.len());
                self.generic(
                    &[(x, idmap(shape.len())), (&scale, cmap.clone()), (&shift, cmap)],
                    &shape,
                    "%m = arith.mulf %in0, %in1 : f32\n%s = arith.addf %m, %in2 : f32\nlinalg.yield %s : f32",
                    loc,
                )
            }
            Dialect::Tosa => {
                // Broadcast shapes: [1, C] or [1, C, 1, 1].
                let mut bshape = vec![1; shape.len()];
                bshape[1] = channels;
                let scale = self.weight(&bshape, loc);
                let shift = self.weight(&bshape, loc);
                let m = self.mul(x, &scale, loc);
                self.add(&m, &shift, loc)
            }
        }
    }

    /// `x * sigmoid(x)` (SiLU), the gate of EfficientNet and TD-MPC2.
    pub fn silu(&mut self, x: &str, loc: &str) -> String {
        let s = self.sigmoid(x, loc);
        self.mul(x, &s, loc)
    }

    /// `[N, C, H, W]` to `[N, C*H*W]`.
    pub fn flatten(&mut self, x: &str, loc: &str) -> String {
        let xs = self.shape(x);
        let flat: usize = xs[1..].iter().product();
        match self.dialect() {
            Dialect::Linalg => {
                let v = self.fresh(&[xs[0], flat]);
                let groups = if xs.len() == 4 { "[[0], [1, 2, 3]]" } else { "[[0], [1]]" };
                self.line(format!(
                    "{v} = tensor.collapse_shape {x} {groups} : {} into {} loc(\"{loc}\")",
                    f32_tensor_type(&xs),
                    f32_tensor_type(&[xs[0], flat])
                ));
                v
            }
            Dialect::Tosa => self.reshape(x, &[xs[0], flat], loc),
        }
    }

    /// A `k`x`k` convolution at stride 1 with "same" padding, on `x: [N, C,
    /// H, W]`, to `out` channels (`out = C` for depthwise).
    pub fn conv(&mut self, x: &str, out: usize, k: usize, kind: ConvKind, loc: &str) -> String {
        match self.dialect() {
            Dialect::Linalg => self.linalg_conv(x, out, k, kind, loc),
            Dialect::Tosa => {
                let nhwc = self.transpose(x, &[0, 2, 3, 1], loc);
                let y = match kind {
                    ConvKind::Plain => self.tosa_conv(&nhwc, out, k, loc),
                    ConvKind::Depthwise => self.tosa_depthwise(&nhwc, k, loc),
                    ConvKind::Grouped(groups) => self.tosa_grouped(&nhwc, out, k, groups, loc),
                };
                self.transpose(&y, &[0, 3, 1, 2], loc)
            }
        }
    }

    /// `x: [B, F]` cut along F into consecutive chunks of `sizes`, as
    /// `torch.chunk` and `split` lower.
    pub fn chunk(&mut self, x: &str, sizes: &[usize], loc: &str) -> Vec<String> {
        let xs = self.shape(x);
        let mut parts = Vec::with_capacity(sizes.len());
        let mut offset = 0;
        for &size in sizes {
            let part = match self.dialect() {
                Dialect::Linalg => {
                    let v = self.fresh(&[xs[0], size]);
                    self.line(format!(
                        "{v} = tensor.extract_slice {x}[0, {offset}] [{}, {size}] [1, 1] : {} to {} loc(\"{loc}\")",
                        xs[0],
                        f32_tensor_type(&xs),
                        f32_tensor_type(&[xs[0], size])
                    ));
                    v
                }
                Dialect::Tosa => self.slice(x, &[0, offset], &[xs[0], size], loc),
            };
            parts.push(part);
            offset += size;
        }
        parts
    }

    /// Multi-head attention on `x: [B, F]`, the rows of `x` its tokens:
    /// q, k and v projections to `heads x head_dim`, split into heads
    /// (reshape, transpose), scores `q k^T` per head, a sigmoid where a
    /// model would take a softmax (the keys dim it normalises is no channel
    /// dim either way), the weighted sum of v, heads merged back and an
    /// output projection to F. As torch-mlir lowers it: `linalg.batch_matmul`
    /// or 3-D `tosa.matmul`, transposes and reshapes around them.
    pub fn attention(&mut self, x: &str, heads: usize, head_dim: usize, loc: &str) -> String {
        let xs = self.shape(x);
        let (b, f) = (xs[0], xs[1]);
        let inner = heads * head_dim;
        let q = self.linear(x, inner, loc);
        let k = self.linear(x, inner, loc);
        let v = self.linear(x, inner, loc);
        let split = |e: &mut Emitter, t: &str, perms: &[usize]| -> String {
            let t3 = e.split_heads(t, heads, head_dim, loc);
            e.permute(&t3, perms, loc)
        };
        let q = split(self, &q, &[1, 0, 2]); // [H, B, d]
        let k = split(self, &k, &[1, 2, 0]); // [H, d, B]
        let v = split(self, &v, &[1, 0, 2]); // [H, B, d]
        let scores = self.batch_matmul(&q, &k, loc); // [H, B, B]
        let weights = self.sigmoid(&scores, loc);
        let o = self.batch_matmul(&weights, &v, loc); // [H, B, d]
        let o = self.permute(&o, &[1, 0, 2], loc); // [B, H, d]
        let merged = match self.dialect() {
            Dialect::Linalg => self.reassociate(&o, "tensor.collapse_shape", "[[0], [1, 2]]", &[b, inner], loc),
            Dialect::Tosa => self.reshape(&o, &[b, inner], loc),
        };
        self.linear(&merged, f, loc)
    }

    /// `[B, H*d]` to `[B, H, d]`.
    fn split_heads(&mut self, x: &str, heads: usize, head_dim: usize, loc: &str) -> String {
        let b = self.shape(x)[0];
        match self.dialect() {
            Dialect::Linalg => self.reassociate(x, "tensor.expand_shape", "[[0], [1, 2]]", &[b, heads, head_dim], loc),
            Dialect::Tosa => self.reshape(x, &[b, heads, head_dim], loc),
        }
    }

    /// `x` with its dims permuted (`linalg.transpose`, `tosa.transpose`).
    pub(super) fn permute(&mut self, x: &str, perms: &[usize], loc: &str) -> String {
        match self.dialect() {
            Dialect::Linalg => {
                let xs = self.shape(x);
                let to: Vec<usize> = perms.iter().map(|&p| xs[p]).collect();
                let e = self.empty(&to);
                let v = self.fresh(&to);
                let p: Vec<String> = perms.iter().map(|p| p.to_string()).collect();
                self.line(format!(
                    "{v} = linalg.transpose ins({x} : {}) outs({e} : {}) permutation = [{}] loc(\"{loc}\")",
                    f32_tensor_type(&xs),
                    f32_tensor_type(&to),
                    p.join(", ")
                ));
                v
            }
            Dialect::Tosa => self.transpose(x, perms, loc),
        }
    }

    /// `[N, M, K] x [N, K, P] -> [N, M, P]`.
    fn batch_matmul(&mut self, a: &str, b: &str, loc: &str) -> String {
        let (sa, sb) = (self.shape(a), self.shape(b));
        let out = [sa[0], sa[1], sb[2]];
        let (ta, tb, to) = (f32_tensor_type(&sa), f32_tensor_type(&sb), f32_tensor_type(&out));
        match self.dialect() {
            Dialect::Linalg => {
                let acc = self.zeros(&out);
                let v = self.fresh(&out);
                self.line(format!("{v} = linalg.batch_matmul ins({a}, {b} : {ta}, {tb}) outs({acc} : {to}) -> {to} loc(\"{loc}\")"));
                v
            }
            Dialect::Tosa => {
                let zp = self.splat(0.0, &[1]);
                let v = self.fresh(&out);
                self.line(format!(
                    "{v} = tosa.matmul {a}, {b}, {zp}, {zp} : ({ta}, {tb}, tensor<1xf32>, tensor<1xf32>) -> {to} loc(\"{loc}\")"
                ));
                v
            }
        }
    }

    // ------------------------------------------------------------ linalg

    /// `x` padded by `p` on both sides of H and W, as torch-mlir pads.
    fn pad_hw(&mut self, x: &str, p: usize, loc: &str) -> String {
        if p == 0 {
            return x.to_string();
        }
        let xs = self.shape(x);
        let padded = vec![xs[0], xs[1], xs[2] + 2 * p, xs[3] + 2 * p];
        let z = self.fresh(&[]);
        self.line(format!("{z} = arith.constant 0.000000e+00 : f32"));
        let v = self.fresh(&padded);
        self.line(format!(
            "{v} = tensor.pad {x} low[0, 0, {p}, {p}] high[0, 0, {p}, {p}] {{\n    ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):\n      tensor.yield {z} : f32\n    }} : {} to {} loc(\"{loc}\")",
            f32_tensor_type(&xs),
            f32_tensor_type(&padded)
        ));
        v
    }

    /// A zero-filled accumulator of `shape`.
    fn zeros(&mut self, shape: &[usize]) -> String {
        let z = self.fresh(&[]);
        self.line(format!("{z} = arith.constant 0.000000e+00 : f32"));
        let e = self.empty(shape);
        let f = self.fresh(shape);
        let t = f32_tensor_type(shape);
        self.line(format!("{f} = linalg.fill ins({z} : f32) outs({e} : {t}) -> {t}"));
        f
    }

    /// `tensor.expand_shape` or `tensor.collapse_shape` of `x` to `to`.
    fn reassociate(&mut self, x: &str, op: &str, groups: &str, to: &[usize], loc: &str) -> String {
        let from = self.shape(x);
        let v = self.fresh(to);
        let output_shape = if op == "tensor.expand_shape" {
            let dims: Vec<String> = to.iter().map(|d| d.to_string()).collect();
            format!(" output_shape [{}]", dims.join(", "))
        } else {
            String::new()
        };
        self.line(format!(
            "{v} = {op} {x} {groups}{output_shape} : {} into {} loc(\"{loc}\")",
            f32_tensor_type(&from),
            f32_tensor_type(to)
        ));
        v
    }

    fn linalg_conv(&mut self, x: &str, out: usize, k: usize, kind: ConvKind, loc: &str) -> String {
        let xs = self.shape(x);
        let (n, c, h, w) = (xs[0], xs[1], xs[2], xs[3]);
        let attrs = "{dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}";
        let padded = self.pad_hw(x, k / 2, loc);
        let ps = self.shape(&padded);
        match kind {
            ConvKind::Plain => {
                let wt = self.weight(&[out, c, k, k], loc);
                let acc = self.zeros(&[n, out, h, w]);
                let ot = f32_tensor_type(&[n, out, h, w]);
                let v = self.fresh(&[n, out, h, w]);
                self.line(format!(
                    "{v} = linalg.conv_2d_nchw_fchw {attrs} ins({padded}, {wt} : {}, {}) outs({acc} : {ot}) -> {ot} loc(\"{loc}\")",
                    f32_tensor_type(&ps),
                    f32_tensor_type(&[out, c, k, k])
                ));
                v
            }
            ConvKind::Depthwise => {
                let wt = self.weight(&[c, 1, k, k], loc);
                let filter = self.reassociate(&wt, "tensor.collapse_shape", "[[0, 1], [2], [3]]", &[c, k, k], loc);
                let acc = self.zeros(&[n, c, h, w]);
                let ot = f32_tensor_type(&[n, c, h, w]);
                let v = self.fresh(&[n, c, h, w]);
                self.line(format!(
                    "{v} = linalg.depthwise_conv_2d_nchw_chw {attrs} ins({padded}, {filter} : {}, {}) outs({acc} : {ot}) -> {ot} loc(\"{loc}\")",
                    f32_tensor_type(&ps),
                    f32_tensor_type(&[c, k, k])
                ));
                v
            }
            ConvKind::Grouped(g) => {
                let (cg, og) = (c / g, out / g);
                let input = self.reassociate(&padded, "tensor.expand_shape", "[[0], [1, 2], [3], [4]]", &[n, g, cg, ps[2], ps[3]], loc);
                let wt = self.weight(&[out, cg, k, k], loc);
                let filter = self.reassociate(&wt, "tensor.expand_shape", "[[0, 1], [2], [3], [4]]", &[g, og, cg, k, k], loc);
                let acc = self.zeros(&[n, g, og, h, w]);
                let ot = f32_tensor_type(&[n, g, og, h, w]);
                let v = self.fresh(&[n, g, og, h, w]);
                self.line(format!(
                    "{v} = linalg.conv_2d_ngchw_gfchw {attrs} ins({input}, {filter} : {}, {}) outs({acc} : {ot}) -> {ot} loc(\"{loc}\")",
                    f32_tensor_type(&[n, g, cg, ps[2], ps[3]]),
                    f32_tensor_type(&[g, og, cg, k, k])
                ));
                self.reassociate(&v, "tensor.collapse_shape", "[[0], [1, 2], [3], [4]]", &[n, out, h, w], loc)
            }
        }
    }

    // ------------------------------------------------------------ tosa

    fn transpose(&mut self, x: &str, perms: &[usize], loc: &str) -> String {
        let xs = self.shape(x);
        let to: Vec<usize> = perms.iter().map(|&p| xs[p]).collect();
        let v = self.fresh(&to);
        let p: Vec<String> = perms.iter().map(|p| p.to_string()).collect();
        self.line(format!(
            "{v} = tosa.transpose {x} {{perms = array<i32: {}>}} : ({}) -> {} loc(\"{loc}\")",
            p.join(", "),
            f32_tensor_type(&xs),
            f32_tensor_type(&to)
        ));
        v
    }

    fn slice(&mut self, x: &str, start: &[usize], size: &[usize], loc: &str) -> String {
        let xs = self.shape(x);
        let s = self.shape_constant(start);
        let z = self.shape_constant(size);
        let v = self.fresh(size);
        let r = size.len();
        self.line(format!(
            "{v} = tosa.slice {x}, {s}, {z} : ({}, !tosa.shape<{r}>, !tosa.shape<{r}>) -> {} loc(\"{loc}\")",
            f32_tensor_type(&xs),
            f32_tensor_type(size)
        ));
        v
    }

    /// `tosa.conv2d` or `tosa.depthwise_conv2d` of NHWC `x` with `weight`,
    /// a zero bias of `out` and zero points, "same" padding for `k`.
    fn tosa_conv_op(&mut self, op: &str, x: &str, weight: &str, out: usize, k: usize, loc: &str) -> String {
        let xs = self.shape(x);
        let bias = self.splat(0.0, &[out]);
        let zp = self.splat(0.0, &[1]);
        let p = k / 2;
        let ys = [xs[0], xs[1], xs[2], out];
        let v = self.fresh(&ys);
        self.line(format!(
            "{v} = {op} {x}, {weight}, {bias}, {zp}, {zp} {{acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: {p}, {p}, {p}, {p}>, stride = array<i64: 1, 1>}} : ({}, {}, {}, tensor<1xf32>, tensor<1xf32>) -> {} loc(\"{loc}\")",
            f32_tensor_type(&xs),
            f32_tensor_type(&self.shape(weight)),
            f32_tensor_type(&[out]),
            f32_tensor_type(&ys)
        ));
        v
    }

    fn tosa_conv(&mut self, x: &str, out: usize, k: usize, loc: &str) -> String {
        let c = self.shape(x)[3];
        let wt = self.weight(&[out, k, k, c], loc);
        self.tosa_conv_op("tosa.conv2d", x, &wt, out, k, loc)
    }

    fn tosa_depthwise(&mut self, x: &str, k: usize, loc: &str) -> String {
        let c = self.shape(x)[3];
        let wt = self.weight(&[k, k, c, 1], loc);
        self.tosa_conv_op("tosa.depthwise_conv2d", x, &wt, c, k, loc)
    }

    /// One `tosa.conv2d` per group, on a slice of the input's channels and
    /// of the weight's filters, joined along channels.
    fn tosa_grouped(&mut self, x: &str, out: usize, k: usize, groups: usize, loc: &str) -> String {
        let xs = self.shape(x);
        let (cg, og) = (xs[3] / groups, out / groups);
        let wt = self.weight(&[out, k, k, cg], loc);
        let mut parts = Vec::with_capacity(groups);
        for g in 0..groups {
            let xg = self.slice(x, &[0, 0, 0, g * cg], &[xs[0], xs[1], xs[2], cg], loc);
            let wg = self.slice(&wt, &[g * og, 0, 0, 0], &[og, k, k, cg], loc);
            parts.push(self.tosa_conv_op("tosa.conv2d", &xg, &wg, og, k, loc));
        }
        let ys = [xs[0], xs[1], xs[2], out];
        let v = self.fresh(&ys);
        let types: Vec<String> = parts.iter().map(|p| f32_tensor_type(&self.shape(p))).collect();
        self.line(format!(
            "{v} = tosa.concat {} {{axis = 3 : i32}} : ({}) -> {} loc(\"{loc}\")",
            parts.join(", "),
            types.join(", "),
            f32_tensor_type(&ys)
        ));
        v
    }
}
