#!/usr/bin/env python3
"""Time and memory of calibrated against uncalibrated pruning (issue 15).

Generates models with mcprune-gen (no torch), writes calibration inputs as
.npy files of ROWS samples (seeded normal values; written here, no numpy
needed), and times, with peak resident memory, several repetitions of

  (u) mcprune-opt --component-prune=ratio=0.4 IN -o OUT
  (c) mcprune-opt '--component-prune=ratio=0.4 calibration=ROWS.npy' IN -o OUT

printing a Markdown table of medians and the ratios (c)/(u). A sample is one
row of an MLP's inputs, or one image of a CNN's.

  python3 scripts/bench-calibration.py [--sizes 25M,100M] [--families mlp,cnn]
                                       [--rows 256] [--reps 3] [--workdir DIR]

Build first: cargo build --release --bins
"""

import argparse
import os
import random
import statistics
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import GEN, OPT, ROOT, run  # noqa: E402

# @main's arguments per family, as mcprune-gen writes them: batch first.
INPUTS = {"mlp": [[16, 64], [16, 8], [16, 8]], "cnn": [[1, 3, 8, 8]]}


def write_npy(path, shape, seed):
    """A C-ordered float32 .npy (format 1.0) of seeded normal values."""
    rng = random.Random(seed)
    count = 1
    for d in shape:
        count *= d
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % dims
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack("<%df" % count, *(rng.gauss(0.0, 1.0) for _ in range(count))))


def write_npz(path, arrays):
    """numpy.savez's layout: one .npy per array, stored, named arr_K."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for k, (shape, seed) in enumerate(arrays):
            tmp = path + ".part.npy"
            write_npy(tmp, shape, seed)
            z.write(tmp, "arr_%d.npy" % k)
            os.remove(tmp)


def calibration_file(workdir, family, rows):
    """ROWS samples for every argument of the family's @main."""
    path = os.path.join(workdir, "%s-calibration-%d.npz" % (family, rows))
    if not os.path.exists(path):
        batch = INPUTS[family][0][0]
        if rows % batch:
            sys.exit("%d rows are not whole batches of %d" % (rows, batch))
        write_npz(path, [([rows // batch * s[0]] + s[1:], 17 + k) for k, s in enumerate(INPUTS[family])])
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="25M,100M")
    ap.add_argument("--families", default="mlp,cnn")
    ap.add_argument("--rows", default="256", help="comma-separated sample counts")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workdir", default=os.path.join(ROOT, "target", "bench"))
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    print("| model | samples | uncalibrated s | calibrated s | time ratio | uncalibrated MiB | calibrated MiB | memory ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for family in args.families.split(","):
        for size in args.sizes.split(","):
            model = os.path.join(args.workdir, "%s-linalg-%s.mlir" % (family, size))
            if not os.path.exists(model):
                subprocess.run([GEN, "--family", family, "--dialect", "linalg", "--params", size, "-o", model], check=True)
            out = os.path.join(args.workdir, "calibration.out.mlir")
            plain = [run([OPT, "--component-prune=ratio=0.4", model, "-o", out]) for _ in range(args.reps)]
            for rows in [int(r) for r in args.rows.split(",")]:
                calib = calibration_file(args.workdir, family, rows)
                opts = "--component-prune=ratio=0.4 calibration=%s" % calib
                cal = [run([OPT, opts, model, "-o", out]) for _ in range(args.reps)]
                t_u, t_c = statistics.median(t for t, _ in plain), statistics.median(t for t, _ in cal)
                m_u, m_c = statistics.median(m for _, m in plain), statistics.median(m for _, m in cal)
                print("| %s %s | %d | %.2f | %.2f | %.2fx | %.0f | %.0f | %.2fx |" % (family, size, rows, t_u, t_c, t_c / t_u, m_u, m_c, m_c / m_u))
                sys.stdout.flush()


if __name__ == "__main__":
    main()
