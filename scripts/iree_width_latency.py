"""IREE llvm-cpu latency against channel width, on this machine.

    target/venv-torch/bin/python scripts/iree_width_latency.py [--out target/iree-width] \\
        [--kinds mlp,conv] [--batches 1,2,256] [--jobs 2] [--rounds 3] [--quick]

Generates small linalg-on-tensors f32 models, written as text in the shape
torch-mlir's FX importer produces (weights as dense_resource constants in
PyTorch's [out, in] layout, linalg.transpose, fill + linalg.matmul, bias via a
broadcast linalg.generic and an add, ReLU as a generic max; convs as tensor.pad
+ bias broadcast + linalg.conv_2d_nchw_fchw):

  mlp:  x[B,256] -> Linear(256,N) -> ReLU -> Linear(N,256)        B in --batches
  conv: x[1,64,16,16] -> conv3x3(64->N, pad 1) -> ReLU -> conv3x3(N->64, pad 1)

for a sweep of the hidden width N, compiles each with
`iree-compile --iree-hal-target-backends=llvm-cpu --iree-llvmcpu-target-cpu=host`
(at most --jobs compiles at once; a .vmfb already in --out is reused), then
times each with `iree-benchmark-module --device=local-sync` (one thread), one
model at a time, after all compiles are done. Each model is timed in --rounds
rounds (models shuffled in each round, so that load from other processes does
not hit one width only); a round is --reps repetitions of --rep-time seconds
each; a repetition's figure is its mean wall time per call. min_us is the
smallest repetition over all rounds, median_us the median of all repetitions
(cpu_min_us / cpu_median_us: the same for process CPU time, which leaves out
time the process spent descheduled by other load).

Writes OUT/latency.csv (width, batch, kind, min_us, median_us, flops,
cpu_min_us, cpu_median_us; flops are multiply-accumulates, as in mcprune's
reports) and prints a summary:
monotonicity in N, the widths faster than every wider width, MACs per us by
the largest power of two dividing N, the steps around multiples of 32, the
rounding rules (RULES: kept widths rounded down / up / to the nearest
multiple of m, split rules such as "16 below 64, 64 from 64 on", and the
table FAST_MATMUL) evaluated for every measured N in [W/4, W) of an unpruned
width W, and a table of min latency at representative widths.
`--summary-only` re-prints the summary from an existing CSV.

Full sweep on a 2-core machine: 733 models, about 12 min of compiles and
9 min of timing.
"""

import argparse
import concurrent.futures as cf
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time

import numpy as np

BIN = os.path.dirname(os.path.abspath(sys.executable))
K_MLP = 256
C_CONV = 64
HW = 16


# --------------------------------------------------------------------------- sweeps

def mlp_widths(quick=False):
    if quick:
        return sorted({1, 2, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 96, 127, 128, 129, 192, 255, 256})
    ws = set(range(1, 65)) | set(range(65, 81)) | set(range(120, 137)) | set(range(184, 201))
    ws |= set(range(248, 265)) | set(range(500, 513)) | set(range(8, 513, 8))
    return sorted(ws)


def conv_widths(quick=False):
    if quick:
        return sorted({1, 2, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 96, 127, 128, 129, 192, 255, 256})
    ws = set(range(1, 129)) | set(range(129, 137)) | set(range(184, 201)) | set(range(248, 257))
    ws |= set(range(8, 257, 8))
    return sorted(ws)


# --------------------------------------------------------------------------- MLIR text

def _blob(arr):
    """A dense_resource blob: 4-byte little-endian alignment, then the raw data."""
    return "0x04000000" + np.ascontiguousarray(arr, dtype="<f4").tobytes().hex().upper()


def _t(*shape):
    return "tensor<" + "x".join(str(d) for d in shape) + "xf32>"


def mlp_mlir(b, k, n, seed=0):
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((n, k)).astype(np.float32) / np.sqrt(k)
    b1 = rng.standard_normal(n).astype(np.float32) * 0.1
    w2 = rng.standard_normal((k, n)).astype(np.float32) / np.sqrt(n)
    b2 = rng.standard_normal(k).astype(np.float32) * 0.1
    res = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}

    def linear(x, xin, out, w, bias, tag):
        return f"""
    %{tag}_e = tensor.empty() : {_t(xin, out)}
    %{tag}_wt = linalg.transpose ins(%{w} : {_t(out, xin)}) outs(%{tag}_e : {_t(xin, out)}) permutation = [1, 0]
    %{tag}_o = tensor.empty() : {_t(b, out)}
    %{tag}_f = linalg.fill ins(%zero : f32) outs(%{tag}_o : {_t(b, out)}) -> {_t(b, out)}
    %{tag}_m = linalg.matmul ins(%{x}, %{tag}_wt : {_t(b, xin)}, {_t(xin, out)}) outs(%{tag}_f : {_t(b, out)}) -> {_t(b, out)}
    %{tag}_bb = linalg.generic {{indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}} ins(%{bias} : {_t(out)}) outs(%{tag}_o : {_t(b, out)}) {{
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }} -> {_t(b, out)}
    %{tag} = linalg.generic {{indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}} ins(%{tag}_m, %{tag}_bb : {_t(b, out)}, {_t(b, out)}) outs(%{tag}_o : {_t(b, out)}) {{
    ^bb0(%in: f32, %in1: f32, %o: f32):
      %s = arith.addf %in, %in1 : f32
      linalg.yield %s : f32
    }} -> {_t(b, out)}"""

    body = linear("x", k, n, "w1", "b1", "l1")
    body += f"""
    %r1 = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}} ins(%l1 : {_t(b, n)}) outs(%l1_o : {_t(b, n)}) {{
    ^bb0(%in: f32, %o: f32):
      %s = arith.maximumf %in, %zero : f32
      linalg.yield %s : f32
    }} -> {_t(b, n)}"""
    body += linear("r1", n, k, "w2", "b2", "l2")
    consts = "\n".join(f"    %{name} = arith.constant dense_resource<{name}> : {_t(*a.shape)}" for name, a in res.items())
    blobs = ",\n".join(f'      {name}: "{_blob(a)}"' for name, a in res.items())
    return f"""#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
module {{
  func.func @main(%x: {_t(b, k)}) -> {_t(b, k)} {{
    %zero = arith.constant 0.000000e+00 : f32
{consts}{body}
    return %l2 : {_t(b, k)}
  }}
}}

{{-#
  dialect_resources: {{
    builtin: {{
{blobs}
    }}
  }}
#-}}
"""


def conv_mlir(c, n, hw=HW, seed=0):
    rng = np.random.default_rng(seed)
    w1 = rng.standard_normal((n, c, 3, 3)).astype(np.float32) / np.sqrt(9 * c)
    b1 = rng.standard_normal(n).astype(np.float32) * 0.1
    w2 = rng.standard_normal((c, n, 3, 3)).astype(np.float32) / np.sqrt(9 * n)
    b2 = rng.standard_normal(c).astype(np.float32) * 0.1
    res = {"w1": w1, "b1": b1, "w2": w2, "b2": b2}
    p = hw + 2

    def conv(x, cin, cout, w, bias, tag):
        return f"""
    %{tag}_p = tensor.pad %{x} low[0, 0, 1, 1] high[0, 0, 1, 1] {{
    ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
      tensor.yield %zero : f32
    }} : {_t(1, cin, hw, hw)} to {_t(1, cin, p, p)}
    %{tag}_o = tensor.empty() : {_t(1, cout, hw, hw)}
    %{tag}_bb = linalg.generic {{indexing_maps = [#chan, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%{bias} : {_t(cout)}) outs(%{tag}_o : {_t(1, cout, hw, hw)}) {{
    ^bb0(%in: f32, %o: f32):
      linalg.yield %in : f32
    }} -> {_t(1, cout, hw, hw)}
    %{tag} = linalg.conv_2d_nchw_fchw {{dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}} ins(%{tag}_p, %{w} : {_t(1, cin, p, p)}, {_t(cout, cin, 3, 3)}) outs(%{tag}_bb : {_t(1, cout, hw, hw)}) -> {_t(1, cout, hw, hw)}"""

    body = conv("x", c, n, "w1", "b1", "l1")
    body += f"""
    %r1 = linalg.generic {{indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}} ins(%l1 : {_t(1, n, hw, hw)}) outs(%l1_o : {_t(1, n, hw, hw)}) {{
    ^bb0(%in: f32, %o: f32):
      %s = arith.maximumf %in, %zero : f32
      linalg.yield %s : f32
    }} -> {_t(1, n, hw, hw)}"""
    body += conv("r1", n, c, "w2", "b2", "l2")
    consts = "\n".join(f"    %{name} = arith.constant dense_resource<{name}> : {_t(*a.shape)}" for name, a in res.items())
    blobs = ",\n".join(f'      {name}: "{_blob(a)}"' for name, a in res.items())
    return f"""#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1)>
module {{
  func.func @main(%x: {_t(1, c, hw, hw)}) -> {_t(1, c, hw, hw)} {{
    %zero = arith.constant 0.000000e+00 : f32
{consts}{body}
    return %l2 : {_t(1, c, hw, hw)}
  }}
}}

{{-#
  dialect_resources: {{
    builtin: {{
{blobs}
    }}
  }}
#-}}
"""


# --------------------------------------------------------------------------- configs

class Config:
    def __init__(self, kind, batch, width):
        self.kind, self.batch, self.width = kind, batch, width

    @property
    def name(self):
        return f"{self.kind}_b{self.batch}_n{self.width}"

    @property
    def input_shape(self):
        return (self.batch, K_MLP) if self.kind == "mlp" else (1, C_CONV, HW, HW)

    @property
    def flops(self):  # multiply-accumulates of the two layers
        if self.kind == "mlp":
            return 2 * self.batch * K_MLP * self.width
        return 2 * HW * HW * 9 * C_CONV * self.width

    def mlir(self):
        if self.kind == "mlp":
            return mlp_mlir(self.batch, K_MLP, self.width)
        return conv_mlir(C_CONV, self.width)


def configs(kinds, batches, quick):
    out = []
    if "mlp" in kinds:
        for b in batches:
            out += [Config("mlp", b, n) for n in mlp_widths(quick)]
    if "conv" in kinds:
        out += [Config("conv", 1, n) for n in conv_widths(quick)]
    return out


# --------------------------------------------------------------------------- compile / time

def compile_one(cfg, out):
    vmfb = os.path.join(out, "vmfb", cfg.name + ".vmfb")
    if os.path.exists(vmfb):
        return cfg, vmfb, 0.0, None
    src = os.path.join(out, "mlir", cfg.name + ".mlir")
    with open(src, "w") as f:
        f.write(cfg.mlir())
    t = time.perf_counter()
    r = subprocess.run([os.path.join(BIN, "iree-compile"), "--iree-hal-target-backends=llvm-cpu",
                        "--iree-llvmcpu-target-cpu=host", src, "-o", vmfb + ".tmp"],
                       capture_output=True, text=True)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        return cfg, None, dt, r.stderr[-2000:]
    os.replace(vmfb + ".tmp", vmfb)
    os.remove(src)  # the weights make the text large; regenerate it when needed
    return cfg, vmfb, dt, None


def bench_one(vmfb, input_npy, reps, rep_time):
    args = [os.path.join(BIN, "iree-benchmark-module"), f"--module={vmfb}", "--device=local-sync",
            "--function=main", f"--input=@{input_npy}", f"--benchmark_repetitions={reps}",
            f"--benchmark_min_time={rep_time}s", "--benchmark_format=json"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr[-2000:])
    data = json.loads(r.stdout[r.stdout.index("{"):])
    real, cpu = [], []
    for b in data["benchmarks"]:
        if b.get("run_type") == "iteration":
            scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}[b["time_unit"]]
            real.append(b["real_time"] * scale)
            cpu.append(b["cpu_time"] * scale)
    return real, cpu


# --------------------------------------------------------------------------- summary

def load_csv(path):
    rows = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            rows[(r["kind"], int(r["batch"]), int(r["width"]))] = (float(r["min_us"]), float(r["median_us"]), int(r["flops"]))
    return rows


def two_adic(n):
    m = 1
    while n % (m * 2) == 0 and m < 64:
        m *= 2
    return m


def summarize(rows, ref_widths):
    groups = sorted({(k, b) for k, b, _ in rows})
    for kind, batch in groups:
        lat = {n: v[0] for (k, b, n), v in rows.items() if k == kind and b == batch}
        med = {n: v[1] for (k, b, n), v in rows.items() if k == kind and b == batch}
        fl = {n: v[2] for (k, b, n), v in rows.items() if k == kind and b == batch}
        ws = sorted(lat)
        print(f"\n=== {kind} batch {batch}: {len(ws)} widths, N {ws[0]}..{ws[-1]} ===")

        # monotonicity: widths slower by >5% than some wider width
        suffix_min = {}
        best = float("inf")
        for n in reversed(ws):
            suffix_min[n] = best
            best = min(best, lat[n])
        bad = [(n, lat[n] / suffix_min[n]) for n in ws if suffix_min[n] < float("inf") and lat[n] > 1.05 * suffix_min[n]]
        print(f"monotone within 5%: {'yes' if not bad else 'no'}; {len(bad)} of {len(ws)} widths are >5% slower than some wider width")
        if bad:
            worst = sorted(bad, key=lambda x: -x[1])[:12]
            print("  worst (N: latency / fastest wider width's): " + ", ".join(f"{n}: {r:.2f}x" for n, r in worst))

        # pareto widths: faster than every wider width
        pareto = [n for n in ws if lat[n] < suffix_min[n]]
        print("widths faster than every wider width: " + " ".join(str(n) for n in pareto))

        # efficiency by the largest power of two dividing N (N >= 16, to keep tiny widths out)
        ref = max(n for n in ws if n in ref_widths.get(kind, ws)) if any(n in ref_widths.get(kind, ws) for n in ws) else ws[-1]
        eff_ref = fl[ref] / lat[ref]
        cls = {}
        for n in ws:
            if n >= 16:
                cls.setdefault(two_adic(n), []).append(fl[n] / lat[n] / eff_ref)
        print(f"MACs per us relative to N={ref} (N>=16), by largest power of two dividing N:")
        for m in sorted(cls):
            v = cls[m]
            print(f"  {m:>2}: median {statistics.median(v):.2f}  min {min(v):.2f}  max {max(v):.2f}  ({len(v)} widths)")

        # steps around multiples of 32
        for c in (32, 64, 128, 192, 256, 512):
            pts = [n for n in (c - 8, c - 1, c, c + 1, c + 8) if n in lat]
            if c in lat and len(pts) > 2:
                print(f"  around {c}: " + ", ".join(f"N={n} {lat[n]:.1f}us" for n in pts))

        # rounding rules, for N in [W/4, W) (pruning 0-75% of an unpruned width W)
        print("rounding rules, over every measured N in [W/4, W) whose rounded N' is measured:")
        print("  slower = #N with lat(N') > lat(W); prop = (lat(W)/lat(N')) / (MACs(W)/MACs(N')), 1.0 = latency")
        print("  proportional to MACs; vs-exact = lat(N')/lat(N) (below 1: rounding made it faster); kept = N'/N")
        for w in ref_widths.get(kind, []):
            if w not in lat:
                continue
            print(f"  unpruned W={w} ({lat[w]:.1f}us):")
            for name, rule in RULES:
                slower, props, kept, vs, worst = 0, [], [], [], (0.0, None)
                for n in ws:
                    if n >= w or 4 * n < w:
                        continue
                    np_ = min(rule(n), w)
                    if np_ < 1 or np_ not in lat:
                        continue
                    slower += lat[np_] > lat[w]
                    worst = max(worst, (lat[np_] / lat[w], n))
                    props.append((lat[w] / lat[np_]) / (fl[w] / fl[np_]))
                    kept.append(np_ / n)
                    vs.append(lat[np_] / lat[n])
                if not props:
                    continue
                q = sorted(props)
                print(f"    {name:<22} {len(q):>3} N; slower {slower:>3} (worst {worst[0]:.2f}x at N={worst[1]}); prop median "
                      f"{statistics.median(q):.2f} min {q[0]:.2f}; vs-exact median {statistics.median(vs):.2f} "
                      f"max {max(vs):.2f}; kept median {statistics.median(kept):.2f} min {min(kept):.2f}")


def _down(m):  # N < m is left as it is
    return lambda n: n // m * m if n >= m else n


def _up(m):
    return lambda n: -(-n // m) * m


def _split(small, large, limit=64):
    """Multiples of `small` below `limit`, of `large` from it on (rounded down)."""
    return lambda n: (n // large * large) if n >= limit else max(small, n // small * small) if n >= small else n


def _nearest(m):
    return lambda n: max(m, (n + m // 2) // m * m)


RULES = [("exact", lambda n: n)]
RULES += [(f"down to {m}", _down(m)) for m in (4, 8, 16, 32, 64)]
RULES += [(f"up to {m}", _up(m)) for m in (8, 16, 32, 64)]
RULES += [(f"nearest {m}", _nearest(m)) for m in (16, 64)]
RULES += [("down 16 (<64) / 64", _split(16, 64)), ("down 16 (<64) / 8", _split(16, 8)),
          ("down 32 (<64) / 8", _split(32, 8))]
# the widths that were faster than every wider width for the MLP at all three batches
FAST_MATMUL = {16, 32, 48, 96, 144} | set(range(64, 4097, 64))
RULES += [("down to 16,32,48,96,144,64k", lambda n: max([w for w in FAST_MATMUL if w <= n], default=n))]


def table(rows, widths):
    groups = sorted({(k, b) for k, b, _ in rows})
    print("\nmin latency us (wall) per width:")
    print("| N | " + " | ".join(f"{k} B={b}" for k, b in groups) + " |")
    print("| --- " * (len(groups) + 1) + "|")
    for n in widths:
        cells = [f"{rows[(k, b, n)][0]:.1f}" if (k, b, n) in rows else "" for k, b in groups]
        if any(cells):
            print(f"| {n} | " + " | ".join(cells) + " |")


REPRESENTATIVE = [1, 2, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 48, 63, 64, 65, 80, 96, 112, 120, 127, 128, 129,
                  136, 144, 160, 176, 192, 224, 240, 255, 256, 257, 384, 511, 512]


# --------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="target/iree-width")
    ap.add_argument("--kinds", default="mlp,conv")
    ap.add_argument("--batches", default="1,2,256")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--rep-time", type=float, default=0.005)
    ap.add_argument("--quick", action="store_true", help="only the representative widths")
    ap.add_argument("--summary-only", action="store_true")
    args = ap.parse_args()
    kinds = args.kinds.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    csv_path = os.path.join(args.out, "latency.csv")
    ref_widths = {"mlp": [64, 128, 256, 512], "conv": [64, 128, 256]}
    if args.summary_only:
        summarize(load_csv(csv_path), ref_widths)
        table(load_csv(csv_path), REPRESENTATIVE)
        return

    for d in ("mlir", "vmfb"):
        os.makedirs(os.path.join(args.out, d), exist_ok=True)
    cfgs = configs(kinds, batches, args.quick)
    print(f"{len(cfgs)} models; compiling with {args.jobs} jobs", flush=True)
    t0 = time.perf_counter()
    vmfbs, ctimes = {}, []
    with cf.ThreadPoolExecutor(args.jobs) as ex:
        for i, (cfg, vmfb, dt, err) in enumerate(ex.map(lambda c: compile_one(c, args.out), cfgs)):
            if err:
                print(f"compile failed: {cfg.name}\n{err}", file=sys.stderr)
                continue
            vmfbs[cfg.name] = vmfb
            if dt:
                ctimes.append(dt)
            if (i + 1) % 50 == 0:
                print(f"  {i + 1}/{len(cfgs)} compiled, {time.perf_counter() - t0:.0f}s", flush=True)
    if ctimes:
        print(f"compiled {len(ctimes)} in {time.perf_counter() - t0:.0f}s (median {statistics.median(ctimes):.1f}s each)", flush=True)

    rng = np.random.default_rng(1)
    inputs = {}
    for cfg in cfgs:
        if cfg.input_shape not in inputs:
            p = os.path.join(args.out, "in_" + "x".join(map(str, cfg.input_shape)) + ".npy")
            np.save(p, rng.standard_normal(cfg.input_shape).astype(np.float32))
            inputs[cfg.input_shape] = p

    times = {c.name: [] for c in cfgs if c.name in vmfbs}
    ctimes = {c.name: [] for c in cfgs if c.name in vmfbs}
    order = [c for c in cfgs if c.name in vmfbs]
    t1 = time.perf_counter()
    for rnd in range(args.rounds):
        random.Random(rnd).shuffle(order)
        for cfg in order:
            real, cpu = bench_one(vmfbs[cfg.name], inputs[cfg.input_shape], args.reps, args.rep_time)
            times[cfg.name] += real
            ctimes[cfg.name] += cpu
        print(f"  round {rnd + 1}/{args.rounds} timed, {time.perf_counter() - t1:.0f}s", flush=True)

    with open(csv_path, "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["width", "batch", "kind", "min_us", "median_us", "flops", "cpu_min_us", "cpu_median_us"])
        for cfg in sorted(order, key=lambda c: (c.kind, c.batch, c.width)):
            t, c = times[cfg.name], ctimes[cfg.name]
            wr.writerow([cfg.width, cfg.batch, cfg.kind, f"{min(t):.3f}", f"{statistics.median(t):.3f}", cfg.flops,
                         f"{min(c):.3f}", f"{statistics.median(c):.3f}"])
    print(f"wrote {csv_path}")
    summarize(load_csv(csv_path), ref_widths)
    table(load_csv(csv_path), REPRESENTATIVE)


if __name__ == "__main__":
    main()
