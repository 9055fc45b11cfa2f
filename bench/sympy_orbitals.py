"""Orbitals the way the paper's reference code computes them, with SymPy.

Each generator is lifted to a permutation of the n² ordered pairs (pair
(i, j) is point i*n + j, its image is (g(i), g(j))), and the orbits of
PermutationGroup(lifted) on the n² points are the orbitals.

Reads a JSON list of cases ({"label", "n", "gens": GAP cycle strings}) on
stdin and prints one JSON line per case. Only the lifting and the orbits are
timed, inside this process, after the imports and after the cycle strings are
parsed. Run with /usr/bin/python3 (Debian's, which has sympy); called by
run_orbitals_bench.py.
"""

import argparse
import json
import statistics
import sys
import time

from sympy.combinatorics import Permutation, PermutationGroup

from bench_groups import images_of


def lift(g, n):
    a = g.array_form
    return Permutation([a[i] * n + a[j] for i in range(n) for j in range(n)])


def orbitals(generators, n):
    return PermutationGroup([lift(g, n) for g in generators]).orbits()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min-seconds", type=float, default=0.2)
    parser.add_argument("--min-reps", type=int, default=3)
    parser.add_argument("--single-above", type=float, default=2.0,
                        help="one repetition only when the first takes longer (seconds)")
    args = parser.parse_args()
    cases = json.load(sys.stdin)
    for case in cases:
        n = case["n"]
        generators = [Permutation(images_of(c, n)) for c in case["gens"]]
        times = []
        count = None
        while True:
            t0 = time.perf_counter()
            orbits = orbitals(generators, n)
            t1 = time.perf_counter()
            times.append(t1 - t0)
            count = len(orbits)
            del orbits
            if len(times) == 1 and times[0] > args.single_above:
                break
            if len(times) >= args.min_reps and sum(times) >= args.min_seconds:
                break
        print(json.dumps({"system": "sympy", "label": case["label"], "n": n,
                          "gens": len(case["gens"]), "orbits": count,
                          "median_ms": statistics.median(times) * 1e3,
                          "min_ms": min(times) * 1e3, "reps": len(times)}), flush=True)
        print("sympy %s n=%d: %.1f ms (%d reps)" % (case["label"], n, statistics.median(times) * 1e3,
                                                     len(times)), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
