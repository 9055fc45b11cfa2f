#!/usr/bin/python3
"""Writes a data folder for `asen train --data` on the 16-joint skeleton of
examples/data/skeleton16, with a known target that is equivariant to the
skeleton's mirror symmetry (left <-> right) and to nothing larger.

    /usr/bin/python3 examples/skeleton_data.py OUT [--samples 1000] [--seed 0]
    asen train --data OUT

OUT gets graph.txt and asen.json (copied from examples/data/skeleton16) and
  inputs.npy   float32 [samples, 16, 3]: three standard normal features per joint
  targets.npy  float32 [samples, 16, 1]: one real per joint,

    y_i = tanh(a[o(i)] . x_i)                       the joint itself
        + 0.5 * mean over neighbours j of tanh(b . x_j)   its bones
        + c[o(i)] * (u . x_m(i))                    its mirror partner m(i)
        + 0.5 * (v . x_s(i))                        limbs only: the joint of the
                                                    same side's other limb
                                                    (right hip <-> right shoulder,
                                                    knee <-> elbow, ankle <-> wrist)

where o(i) numbers the mirror's orbits (a joint and its partner share o, so
share a[o] and c[o]; the spine joints are their own partners) and a, b, c, u,
v are fixed by --function-seed. Mirroring the input mirrors the output, so
the target is equivariant to the mirror. The last term couples each leg with
the arm of its own side, so swapping the legs alone (a symmetry of the tree)
does not commute with it: the tree's automorphism group (order 4) is too
large, and the joint-dependent coefficients rule out anything larger.
"""

import argparse
import os
import shutil
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SKELETON = os.path.join(HERE, "data", "skeleton16")

JOINTS = 16
FEATURES = 3
# Bones (the edges of graph.txt), 0-based.
EDGES = [(0, 1), (1, 2), (2, 3), (0, 4), (4, 5), (5, 6), (0, 7), (7, 8), (8, 9),
         (8, 10), (10, 11), (11, 12), (8, 13), (13, 14), (14, 15)]
# The mirror: right leg 1-3 <-> left leg 4-6, left arm 10-12 <-> right arm 13-15.
MIRROR = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 13, 14, 15, 10, 11, 12]
# The same side's other limb: right leg <-> right arm, left leg <-> left arm.
SIDE = {1: 13, 2: 14, 3: 15, 13: 1, 14: 2, 15: 3, 4: 10, 5: 11, 6: 12, 10: 4, 11: 5, 12: 6}


def orbits():
    """o(i): the index of i's mirror orbit, numbered by smallest joint."""
    index, out = {}, []
    for i in range(JOINTS):
        key = min(i, MIRROR[i])
        index.setdefault(key, len(index))
        out.append(index[key])
    return out


def target(x, function_seed=0):
    """The target [S, 16, 1] of inputs x [S, 16, 3]."""
    rng = np.random.default_rng(function_seed)
    o = orbits()
    a = rng.normal(size=(max(o) + 1, FEATURES))
    b = rng.normal(size=FEATURES)
    c = rng.normal(size=max(o) + 1)
    u = rng.normal(size=FEATURES)
    v = rng.normal(size=FEATURES)
    neighbours = [[] for _ in range(JOINTS)]
    for p, q in EDGES:
        neighbours[p].append(q)
        neighbours[q].append(p)
    bone = np.tanh(x @ b)  # [S, 16]
    y = np.zeros(x.shape[:2])
    for i in range(JOINTS):
        y[:, i] = np.tanh(x[:, i] @ a[o[i]])
        y[:, i] += 0.5 * bone[:, neighbours[i]].mean(axis=1)
        y[:, i] += c[o[i]] * (x[:, MIRROR[i]] @ u)
        if i in SIDE:
            y[:, i] += 0.5 * (x[:, SIDE[i]] @ v)
    return y[:, :, None]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="the data folder to write (created if missing)")
    parser.add_argument("--samples", type=int, default=1000, help="samples (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs (default 0)")
    parser.add_argument("--function-seed", type=int, default=0,
                        help="seed of the target function's coefficients (default 0)")
    args = parser.parse_args(argv)
    if args.samples < 2:
        parser.error("--samples must be at least 2")
    os.makedirs(args.out, exist_ok=True)
    for name in ("graph.txt", "asen.json"):
        shutil.copyfile(os.path.join(SKELETON, name), os.path.join(args.out, name))
    x = np.random.default_rng(args.seed).normal(size=(args.samples, JOINTS, FEATURES))
    np.save(os.path.join(args.out, "inputs.npy"), x.astype(np.float32))
    np.save(os.path.join(args.out, "targets.npy"), target(x, args.function_seed).astype(np.float32))
    print(f"wrote {args.samples} samples of {JOINTS} joints to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
