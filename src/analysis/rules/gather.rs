//! Positional reads in linalg payloads: a `tensor.extract` of a tensor from
//! outside the op, as torch-mlir lowers `gather`, `index_select` and some
//! adaptive pooling. The read's coordinates are evaluated at every point of
//! the op's loops, from the payload's integer arithmetic, `linalg.index`
//! and integer constants:
//!
//! - a dim read at a loop's own position (`linalg.index j`, as the channel
//!   dim of a token gather is) carries the same indices as the result dim
//!   on loop `j`: pruned together, the read stays right;
//! - a dim read at positions held in data (index tensors) keeps its size:
//!   the data points into it. Result dims keep their size only when a
//!   frozen dim's coordinate reads their loop's position;
//! - a read whose every coordinate is the result's own position, the read
//!   tensor of the result's shape, is a copy (a 1x1 adaptive pool of a 1x1
//!   input): the rewrite reads the tensor itself.
//!
//! ```text
//! %g = linalg.generic ins(%tokens : tensor<1x4x32xi64>) outs(... tensor<1x4x32xf32>) {
//!   %t = arith.index_cast %in : i64 to index
//!   %c = linalg.index 2 : index
//!   %x = tensor.extract %h[%c0, %t, %c] : tensor<1x16x32xf32>   // %h dim 2 == %g dim 2
//! ```

use crate::ir::{self, MapExpr, Op, Value, ValueDef};
use std::collections::BTreeSet;

/// How a payload's read of a captured tensor relates its dims to the op's
/// result dims.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaptureRead {
    /// (captured dim, result dim) pairs that carry the same indices.
    pub same: Vec<(usize, usize)>,
    /// Result dims whose position a frozen captured dim's coordinate reads.
    pub frozen_results: BTreeSet<usize>,
    /// The op copies the captured tensor unchanged.
    pub copy: bool,
}

/// Points of the loop nest evaluated at most; a larger read is frozen.
const MAX_POINTS: i64 = 1 << 20;

/// The ops whose facts come from [`capture_read`]: one result, parallel
/// loops only, each result dim exactly one loop.
pub fn is_gather_like(op: Op) -> bool {
    result_loops(op).is_some()
}

/// For each result dim, its loop; with the loops' sizes.
fn result_loops(op: Op) -> Option<(Vec<usize>, Vec<i64>)> {
    if op.num_results() != 1 || op.num_regions() != 1 {
        return None;
    }
    let maps = ir::linalg_indexing_maps(op)?;
    let iterators = op.attribute("iterator_types")?.array_elements()?;
    if iterators.iter().any(|a| !a.to_string().contains("parallel")) {
        return None;
    }
    let result_map = maps.last()?;
    let shape = op.result(0).ty().static_shape()?;
    let mut loops = Vec::new();
    let mut sizes = vec![-1; result_map.num_dims()];
    for (r, e) in result_map.results().into_iter().enumerate() {
        let MapExpr::Dim(l) = e else { return None };
        loops.push(l);
        sizes[l] = shape[r];
    }
    sizes.iter().all(|&s| s > 0).then_some((loops, sizes))
}

/// How `extract` (a `tensor.extract` in `op`'s payload) reads its tensor,
/// or `None` when `op` is not gather-like.
pub fn capture_read(op: Op, extract: Op) -> Option<CaptureRead> {
    let (loops, sizes) = result_loops(op)?;
    let captured = extract.operand(0);
    let captured_shape = captured.ty().static_shape()?;
    let rank = captured_shape.len();
    let points: i64 = sizes.iter().product();
    let body = op.region(0).first_block()?;
    let mut read = CaptureRead::default();
    let mut all_position = points <= MAX_POINTS;
    for (m, &size) in captured_shape.iter().enumerate() {
        let index = extract.operand(1 + m);
        let coord = Coord::of(op, body, index, &vec![0; sizes.len()]);
        // The loop whose position this coordinate is at every point.
        let position_of = |l: usize| -> bool {
            points <= MAX_POINTS
                && sizes[l] == size
                && every_point(&sizes, |p| Coord::of(op, body, index, p).value == Some(p[l]))
        };
        // The result dim at the same place first: a unit dim's 0 is every
        // unit loop's position.
        let same_place = loops.get(m).copied().filter(|&l| position_of(l));
        let at = same_place.or_else(|| (0..sizes.len()).find(|&l| position_of(l)));
        let result_dim = at.and_then(|l| loops.iter().position(|&x| x == l));
        match (result_dim, coord.data) {
            (Some(r), false) => read.same.push((m, r)),
            (Some(r), true) => all_position &= r == m,
            (None, _) => {
                all_position = false;
                read.frozen_results.extend(coord.position_loops.iter().filter_map(|l| loops.iter().position(|x| x == l)));
            }
        }
        all_position &= result_dim == Some(m);
    }
    let result_shape = op.result(0).ty().static_shape()?;
    if all_position && rank == result_shape.len() && captured_shape == result_shape {
        read = CaptureRead { same: (0..rank).map(|m| (m, m)).collect(), frozen_results: BTreeSet::new(), copy: true };
    }
    Some(read)
}

/// Whether `f` holds at every point of a loop nest of `sizes`.
fn every_point(sizes: &[i64], mut f: impl FnMut(&[i64]) -> bool) -> bool {
    let mut p = vec![0i64; sizes.len()];
    loop {
        if !f(&p) {
            return false;
        }
        let mut d = sizes.len();
        loop {
            if d == 0 {
                return true;
            }
            d -= 1;
            p[d] += 1;
            if p[d] < sizes[d] {
                break;
            }
            p[d] = 0;
        }
    }
}

/// An integer computed in a payload at one point of the loops.
#[derive(Clone, Debug, Default)]
struct Coord {
    /// Its value, when constants and positions give it.
    value: Option<i64>,
    /// It reads an input operand's data (an index tensor).
    data: bool,
    /// The loops whose position (`linalg.index`) it reads.
    position_loops: BTreeSet<usize>,
}

impl Coord {
    fn known(value: i64) -> Coord {
        Coord { value: Some(value), ..Coord::default() }
    }

    fn join(parts: &[Coord], value: Option<i64>) -> Coord {
        Coord {
            value,
            data: parts.iter().any(|c| c.data),
            position_loops: parts.iter().flat_map(|c| c.position_loops.iter().copied()).collect(),
        }
    }

    /// `v` at loop point `p` of `op` (whose payload is `body`).
    fn of(op: Op, body: ir::Block, v: Value, p: &[i64]) -> Coord {
        match v.def() {
            ValueDef::Argument(block, k) if block == body => Coord::operand(op, k, p),
            ValueDef::Argument(..) => Coord::default(),
            ValueDef::Result(def, _) => Coord::computed(op, body, def, p),
        }
    }

    /// Element `p` (through its indexing map) of input operand `k`, when it
    /// is an integer constant.
    fn operand(op: Op, k: usize, p: &[i64]) -> Coord {
        let mut c = Coord { data: true, ..Coord::default() };
        let (Some(maps), Some(v)) = (ir::linalg_indexing_maps(op), (k < op.num_operands()).then(|| op.operand(k))) else {
            return c;
        };
        let Some(map) = maps.get(k) else { return c };
        let data = v.defining_op().filter(|d| d.name() == "arith.constant").and_then(|d| d.attribute("value")).and_then(ir::dense::int_values);
        let (Some(data), Some(shape)) = (data, v.ty().static_shape()) else { return c };
        let mut flat = 0i64;
        for (e, &n) in map.results().into_iter().zip(&shape) {
            let i = match e {
                MapExpr::Dim(d) => p[d],
                MapExpr::Constant(x) => x,
                MapExpr::Compound(_) => return c,
            };
            flat = flat * n + i;
        }
        c.value = if data.len() == 1 { data.first().copied() } else { data.get(flat as usize).copied() };
        c
    }

    fn computed(op: Op, body: ir::Block, def: Op, p: &[i64]) -> Coord {
        let arg = |i: usize| Coord::of(op, body, def.operand(i), p);
        match def.name() {
            "arith.constant" => def.attribute("value").and_then(|a| a.integer_value()).map(Coord::known).unwrap_or_default(),
            "linalg.index" => match def.attribute("dim").and_then(|a| a.integer_value()) {
                Some(d) if (d as usize) < p.len() => {
                    Coord { value: Some(p[d as usize]), data: false, position_loops: BTreeSet::from([d as usize]) }
                }
                _ => Coord::default(),
            },
            "arith.index_cast" | "arith.index_castui" | "arith.extsi" | "arith.extui" | "arith.trunci" => arg(0),
            "arith.addi" | "arith.subi" | "arith.muli" => {
                let (a, b) = (arg(0), arg(1));
                let value = match (a.value, b.value, def.name()) {
                    (Some(x), Some(y), "arith.addi") => x.checked_add(y),
                    (Some(x), Some(y), "arith.subi") => x.checked_sub(y),
                    (Some(x), Some(y), _) => x.checked_mul(y),
                    _ => None,
                };
                Coord::join(&[a, b], value)
            }
            "arith.cmpi" => {
                let (a, b) = (arg(0), arg(1));
                let predicate = def.attribute("predicate").and_then(|x| x.integer_value());
                let value = match (a.value, b.value, predicate) {
                    (Some(x), Some(y), Some(pr)) => compare(pr, x, y).map(i64::from),
                    _ => None,
                };
                Coord::join(&[a, b], value)
            }
            "arith.select" => {
                let (c, t, f) = (arg(0), arg(1), arg(2));
                let value = match c.value {
                    Some(0) => f.value,
                    Some(_) => t.value,
                    None => None,
                };
                Coord::join(&[c, t, f], value)
            }
            _ => Coord::default(),
        }
    }
}

/// `arith.cmpi` by its predicate number (signed and unsigned alike on the
/// non-negative sizes seen here).
fn compare(predicate: i64, x: i64, y: i64) -> Option<bool> {
    Some(match predicate {
        0 => x == y,
        1 => x != y,
        2 | 6 => x < y,
        3 | 7 => x <= y,
        4 | 8 => x > y,
        5 | 9 => x >= y,
        _ => return None,
    })
}

/// Whether `index` (a `linalg.index` result) is only used to compute
/// coordinates of `tensor.extract`s, directly or through integer
/// arithmetic: then [`capture_read`] decides what its loop's dims may do.
pub fn only_positions_reads(index: Value) -> bool {
    let mut stack = vec![index];
    let mut seen = 0;
    while let Some(v) = stack.pop() {
        seen += 1;
        if seen > 64 {
            return false;
        }
        for (user, k) in v.uses() {
            match user.name() {
                "tensor.extract" if k > 0 => {}
                // Bounds checks read the coordinate and change nothing.
                "cf.assert" => {}
                "arith.index_cast" | "arith.index_castui" | "arith.extsi" | "arith.extui" | "arith.trunci" | "arith.addi"
                | "arith.subi" | "arith.muli" | "arith.select" | "arith.cmpi" => stack.extend(user.results()),
                _ => return false,
            }
        }
    }
    true
}
