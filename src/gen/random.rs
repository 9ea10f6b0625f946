//! Random multi-component models for differential testing: a seed names a
//! model. Each is a chain of two to four components (encoder, dynamics,
//! ...) whose layers are drawn from what real models compose: linear,
//! convolutions (plain, depthwise, grouped), batch norm as a per-channel
//! affine, residual adds, concats along channels, chunks, sigmoid gates,
//! flatten, and multi-head self-attention (heads split and merged by
//! reshapes, scores by batched matmuls).
//! A component reads an earlier component's output, sometimes joined with a
//! second input (an action); components whose output nobody reads are
//! outputs of the model, and so is the last. Components are module paths
//! in name locations (`encoder.3`), or, for about a third of the seeds,
//! private functions called from `@main`: once, or, when a component's
//! output can feed it, twice or in an `scf.for` loop (a rollout through
//! shared weights). Shapes are small so that each model runs in milliseconds.

use super::emit::{render_functions, Dialect, Emitter};
use super::layers::ConvKind;
use crate::ir::f32_tensor_type;

/// A small deterministic generator (splitmix64): the model and the test's
/// options are functions of the seed alone.
pub struct SeedRng(u64);

impl SeedRng {
    pub fn new(seed: u64) -> SeedRng {
        SeedRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// A generated model and what a test needs to run it.
pub struct RandomModel {
    pub seed: u64,
    pub dialect: Dialect,
    /// Components are functions called from `@main` (else name locations).
    pub functions: bool,
    pub components: Vec<String>,
    /// Shapes of `@main`'s arguments and results.
    pub inputs: Vec<Vec<usize>>,
    pub outputs: Vec<Vec<usize>>,
    pub params: u64,
    pub text: String,
}

/// Component names, as a world model's modules are named.
const NAMES: &[&str] = &["encoder", "dynamics", "reward", "pi", "critic", "decoder", "trunk", "head"];

/// The model seed `seed` names.
pub fn random_model(seed: u64) -> RandomModel {
    let mut rng = SeedRng::new(seed);
    let dialect = if rng.chance(50) { Dialect::Linalg } else { Dialect::Tosa };
    let functions = rng.chance(35);
    let mut b = Builder { e: Emitter::seeded(dialect, seed), rng, component: String::new(), layer: 0, functions: Vec::new() };
    let inputs = b.input_shapes();
    let args: Vec<String> = (0..inputs.len()).map(|i| format!("%arg{i}")).collect();
    for (a, s) in args.iter().zip(&inputs) {
        b.e.bind(a, s);
    }
    let names = b.component_names();
    let produced = b.components(&names, &args, functions);
    let returned = b.returned(&produced);
    let outputs: Vec<Vec<usize>> = returned.iter().map(|v| b.e.shape(v)).collect();
    let main = b.main_function(&args, &inputs, &returned);
    let mut functions_text = std::mem::take(&mut b.functions);
    functions_text.push(main);
    RandomModel {
        seed,
        dialect,
        functions,
        components: names,
        inputs,
        outputs,
        params: b.e.params(),
        text: render_functions(&b.e, &functions_text),
    }
}

/// Emits one model: the current component's name and layer count name the
/// locations of its ops.
struct Builder {
    e: Emitter,
    rng: SeedRng,
    component: String,
    layer: usize,
    /// Private functions emitted so far (components as functions).
    functions: Vec<String>,
}

impl Builder {
    /// `@main`'s arguments: an image or a feature vector, sometimes an
    /// action vector too, with a batch of one or two.
    fn input_shapes(&mut self) -> Vec<Vec<usize>> {
        let batch = 1 + self.rng.below(2);
        let first = if self.rng.chance(60) {
            let side = self.rng.pick(&[4, 5]);
            vec![batch, self.rng.pick(&[2, 3, 4]), side, side]
        } else {
            vec![batch, 4 + self.rng.below(5)]
        };
        let mut inputs = vec![first];
        if self.rng.chance(40) {
            inputs.push(vec![batch, 2 + self.rng.below(3)]);
        }
        inputs
    }

    /// The components in order, each reading `@main`'s first argument (the
    /// first) or an earlier component's output, the first vector joined
    /// with the action argument if there is one. Returns each output and
    /// whether a later component reads it.
    fn components(&mut self, names: &[String], args: &[String], functions: bool) -> Vec<(String, bool)> {
        let mut produced: Vec<(String, bool)> = Vec::new();
        let mut action_used = args.len() < 2;
        for (i, name) in names.iter().enumerate() {
            let mut src = if i == 0 {
                args[0].clone()
            } else {
                let j = if self.rng.chance(70) { i - 1 } else { self.rng.below(i) };
                produced[j].1 = true;
                produced[j].0.clone()
            };
            if !action_used && self.e.shape(&src).len() == 2 && self.rng.chance(70) {
                src = self.e.concat(&src, &args[1], "glue");
                action_used = true;
            }
            let out = if functions { self.call_component(name, &src) } else { self.inline_component(name, &src) };
            produced.push((out, false));
        }
        produced
    }

    /// What `@main` returns: the last component's output and every output
    /// nobody reads, sometimes one that is also read.
    fn returned(&mut self, produced: &[(String, bool)]) -> Vec<String> {
        let last = produced.len() - 1;
        produced
            .iter()
            .enumerate()
            .filter(|(i, (_, read))| *i == last || !*read)
            .map(|(_, (v, _))| v.clone())
            .chain(produced[..last].iter().filter(|(_, read)| *read).map(|(v, _)| v.clone()).filter(|_| self.rng.chance(25)).take(1))
            .collect()
    }

    /// `@main`: its body so far, returning `returned`.
    fn main_function(&mut self, args: &[String], inputs: &[Vec<usize>], returned: &[String]) -> String {
        let types: Vec<String> = returned.iter().map(|v| f32_tensor_type(&self.e.shape(v))).collect();
        self.e.line(format!("return {} : {}", returned.join(", "), types.join(", ")));
        let params: Vec<String> = args.iter().zip(inputs).map(|(a, s)| format!("{a}: {}", f32_tensor_type(s))).collect();
        let results = if types.len() == 1 { types[0].clone() } else { format!("({})", types.join(", ")) };
        format!("  func.func @main({}) -> {results} {{\n{}  }}\n", params.join(", "), self.e.take_body())
    }

    /// Two to four distinct names.
    fn component_names(&mut self) -> Vec<String> {
        let mut pool: Vec<&str> = NAMES.to_vec();
        let n = 2 + self.rng.below(3);
        (0..n).map(|_| pool.remove(self.rng.below(pool.len())).to_string()).collect()
    }

    /// The module path of the next layer: `component.index`, as
    /// `nn.Sequential` numbers its children.
    fn loc(&mut self) -> String {
        self.layer += 1;
        format!("{}.{}", self.component, self.layer - 1)
    }

    /// The component's layers, in `@main` with name locations.
    fn inline_component(&mut self, name: &str, x: &str) -> String {
        self.component = name.to_string();
        self.layer = 0;
        self.layers(x)
    }

    /// The component as a private function, called from `@main` once, or,
    /// when its output can feed it, twice or in a loop on its own output
    /// (a rollout through shared weights).
    fn call_component(&mut self, name: &str, x: &str) -> String {
        let caller = self.e.take_body();
        let arg = format!("%{name}_in");
        let in_shape = self.e.shape(x);
        self.e.bind(&arg, &in_shape);
        self.component = name.to_string();
        self.layer = 0;
        let y = self.layers(&arg);
        let out_shape = self.e.shape(&y);
        let (tin, tout) = (f32_tensor_type(&in_shape), f32_tensor_type(&out_shape));
        self.e.line(format!("return {y} : {tout}"));
        let body = self.e.take_body();
        self.functions.push(format!("  func.func private @{name}({arg}: {tin}) -> {tout} {{\n{body}  }}\n"));
        self.e.restore_body(caller);
        if in_shape != out_shape {
            return self.call(name, x, &tin, &out_shape);
        }
        match self.rng.below(10) {
            0..=2 => {
                let once = self.call(name, x, &tin, &out_shape);
                self.call(name, &once, &tin, &out_shape)
            }
            3..=4 => {
                let steps = 2 + self.rng.below(2);
                self.rollout(name, x, &tin, steps)
            }
            _ => self.call(name, x, &tin, &out_shape),
        }
    }

    /// `steps` calls of `@name` in an `scf.for`, each on the last one's
    /// output (a planning loop).
    fn rollout(&mut self, name: &str, x: &str, t: &str, steps: usize) -> String {
        let [lo, hi, step] = [0, steps, 1].map(|n| {
            let c = self.e.fresh(&[]);
            self.e.line(format!("{c} = arith.constant {n} : index"));
            c
        });
        let shape = self.e.shape(x);
        let (i, state, next, out) = (self.e.fresh(&[]), self.e.fresh(&shape), self.e.fresh(&shape), self.e.fresh(&shape));
        self.e.line(format!("{out} = scf.for {i} = {lo} to {hi} step {step} iter_args({state} = {x}) -> ({t}) {{"));
        self.e.line(format!("  {next} = func.call @{name}({state}) : ({t}) -> {t}"));
        self.e.line(format!("  scf.yield {next} : {t}"));
        self.e.line("}".to_string());
        out
    }

    fn call(&mut self, name: &str, x: &str, tin: &str, out_shape: &[usize]) -> String {
        let v = self.e.fresh(out_shape);
        self.e.line(format!("{v} = func.call @{name}({x}) : ({tin}) -> {}", f32_tensor_type(out_shape)));
        v
    }

    /// One to three blocks, each chosen for the rank of its input.
    fn layers(&mut self, x: &str) -> String {
        let mut y = x.to_string();
        for _ in 0..1 + self.rng.below(3) {
            y = if self.e.shape(&y).len() == 4 { self.image_block(&y) } else { self.vector_block(&y) };
        }
        y
    }

    /// ReLU, SiLU or nothing.
    fn activation(&mut self, x: &str) -> String {
        match self.rng.below(3) {
            0 => {
                let l = self.loc();
                self.e.relu(x, &l)
            }
            1 => {
                let l = self.loc();
                self.e.silu(x, &l)
            }
            _ => x.to_string(),
        }
    }

    /// Convolution, batch norm (usually), activation.
    fn conv_block(&mut self, x: &str, out: usize, k: usize, kind: ConvKind) -> String {
        let l = self.loc();
        let y = self.e.conv(x, out, k, kind, &l);
        let y = if self.rng.chance(70) {
            let l = self.loc();
            self.e.affine(&y, &l)
        } else {
            y
        };
        self.activation(&y)
    }

    /// A block on `[N, C, H, W]`.
    fn image_block(&mut self, x: &str) -> String {
        let xs = self.e.shape(x);
        let c = xs[1];
        match self.rng.below(7) {
            0 => {
                let (out, k) = (self.rng.pick(&[2, 4, 6, 8]), self.rng.pick(&[1, 3]));
                self.conv_block(x, out, k, ConvKind::Plain)
            }
            1 => self.conv_block(x, c, 3, ConvKind::Depthwise),
            // At least two channels per group: torch-mlir lowers one
            // channel per group as a depthwise convolution.
            2 if c % 2 == 0 && c >= 4 => {
                let groups = if c % 4 == 0 && c >= 8 && self.rng.chance(40) { 4 } else { 2 };
                let out = groups * self.rng.pick(&[1, 2, 3]);
                let k = self.rng.pick(&[1, 3]);
                self.conv_block(x, out, k, ConvKind::Grouped(groups))
            }
            3 => {
                // A residual block: the branch keeps the channel count.
                let kind = if self.rng.chance(50) { ConvKind::Plain } else { ConvKind::Depthwise };
                let h = self.conv_block(x, c, 3, kind);
                let l = self.loc();
                let y = self.e.conv(&h, c, 1, ConvKind::Plain, &l);
                let l = self.loc();
                let y = self.e.affine(&y, &l);
                let l = self.loc();
                let s = self.e.add(x, &y, &l);
                self.activation(&s)
            }
            4 => {
                // Two branches joined along channels (Inception, DenseNet).
                let (oa, ka) = (self.rng.pick(&[2, 3, 4]), self.rng.pick(&[1, 3]));
                let a = self.conv_block(x, oa, ka, ConvKind::Plain);
                let (ob, kb) = (self.rng.pick(&[2, 3, 4]), self.rng.pick(&[1, 3]));
                let b = self.conv_block(x, ob, kb, ConvKind::Plain);
                let l = self.loc();
                self.e.concat(&a, &b, &l)
            }
            5 => {
                // A sigmoid gate computed from the input by a 1x1 conv.
                let l = self.loc();
                let g = self.e.conv(x, c, 1, ConvKind::Plain, &l);
                let l = self.loc();
                let g = self.e.sigmoid(&g, &l);
                let l = self.loc();
                self.e.mul(x, &g, &l)
            }
            _ if xs[1..].iter().product::<usize>() <= 128 => {
                let l = self.loc();
                let f = self.e.flatten(x, &l);
                let out = self.rng.pick(&[4, 6, 8]);
                self.linear_block(&f, out)
            }
            _ => self.conv_block(x, c, 1, ConvKind::Plain),
        }
    }

    fn linear_block(&mut self, x: &str, out: usize) -> String {
        let l = self.loc();
        let y = self.e.linear(x, out, &l);
        self.activation(&y)
    }

    /// A block on `[B, F]`.
    fn vector_block(&mut self, x: &str) -> String {
        let f = self.e.shape(x)[1];
        match self.rng.below(8) {
            0 => {
                let out = 3 + self.rng.below(10);
                self.linear_block(x, out)
            }
            7 => {
                // Self-attention over the batch rows, added back (a
                // transformer block without its norm).
                let (heads, head_dim) = (self.rng.pick(&[1, 2, 4]), self.rng.pick(&[2, 3, 4]));
                let l = self.loc();
                let y = self.e.attention(x, heads, head_dim, &l);
                let l = self.loc();
                self.e.add(x, &y, &l)
            }
            6 => {
                // A layer chunked in two, one half gating the other (GRU
                // gates, GLU as torch.chunk writes it).
                let half = 2 + self.rng.below(3);
                let l = self.loc();
                let y = self.e.linear(x, 2 * half, &l);
                let l = self.loc();
                let parts = self.e.chunk(&y, &[half, half], &l);
                let l = self.loc();
                let g = self.e.sigmoid(&parts[1], &l);
                let l = self.loc();
                self.e.mul(&parts[0], &g, &l)
            }
            1 => {
                let l = self.loc();
                let y = self.e.affine(x, &l);
                self.activation(&y)
            }
            2 => {
                let hidden = self.rng.pick(&[4, 8, 12]);
                let h = self.linear_block(x, hidden);
                let l = self.loc();
                let y = self.e.linear(&h, f, &l);
                let l = self.loc();
                self.e.add(x, &y, &l)
            }
            3 => {
                let (oa, ob) = (2 + self.rng.below(6), 2 + self.rng.below(6));
                let a = self.linear_block(x, oa);
                let b = self.linear_block(x, ob);
                let l = self.loc();
                self.e.concat(&a, &b, &l)
            }
            4 => {
                // A gated linear unit: one projection gates another.
                let out = 3 + self.rng.below(6);
                let l = self.loc();
                let a = self.e.linear(x, out, &l);
                let l = self.loc();
                let g = self.e.linear(x, out, &l);
                let l = self.loc();
                let g = self.e.sigmoid(&g, &l);
                let l = self.loc();
                self.e.mul(&a, &g, &l)
            }
            _ => {
                let l = self.loc();
                let out = 3 + self.rng.below(10);
                let y = self.e.linear(x, out, &l);
                let l = self.loc();
                self.e.silu(&y, &l)
            }
        }
    }
}
