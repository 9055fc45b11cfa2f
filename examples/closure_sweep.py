#!/usr/bin/env python3
"""2-closure sweep: certify every group of a library and tabulate G against G^(2).

For each group: its id, degree, |G|, the number of orbitals (rank), |G^(2)|,
the index [G^(2) : G], whether G is 2-closed, and the seconds the certificate
took; written to closure_sweep.csv, with two plots: the share of 2-closed
groups per degree (two_closed_share.png) and the distribution of the index
over the groups that are not 2-closed (index_distribution.png).

Default library (one process, GAP started once):
  - every transitive group of degree <= 12 (GAP's TransitiveGroup library),
  - every primitive group of degree <= 50 (PrimitiveGroup library),
  - intransitive families on n = 4..12 points: direct products S(a)*S(b),
    C(a)*C(b), D(a)*C(b), A(a)*S(b); diagonal products (one cycle on both
    halves at once, one reflection of both halves at once); the mirror group
    mirror(n) and the rotation group C(n) of a path's points.

    /usr/bin/python3 examples/closure_sweep.py --out sweep
    /usr/bin/python3 examples/closure_sweep.py --quick --out sweep-quick
    # the same groups from the command line, one JSON line {"id", "spec"} per
    # group, with the CSV's id, which asen certify --batch echoes in its answer:
    /usr/bin/python3 examples/closure_sweep.py --write-batch groups.jsonl --no-certify
    asen certify --no-hash --batch groups.jsonl

Needs the asen module (PYTHONPATH=build/python) and matplotlib.
"""

import argparse
import csv
import json
import math
import os
import sys
import time

import asen
from atomic_files import write_atomically


def transitive_groups(max_degree):
    for d in range(2, max_degree + 1):
        count = int(asen.gap_evaluate(f"String(NrTransitiveGroups({d}))"))
        for k in range(1, count + 1):
            yield f"T({d},{k})", "transitive", f"gap:TransitiveGroup({d},{k})"


def primitive_groups(max_degree):
    for d in range(2, max_degree + 1):
        count = int(asen.gap_evaluate(f"String(NrPrimitiveGroups({d}))"))
        for k in range(1, count + 1):
            yield f"P({d},{k})", "primitive", f"gap:PrimitiveGroup({d},{k})"


def cycle(points):
    """GAP cycle notation of the given 1-based points."""
    return "(" + ",".join(str(p) for p in points) + ")"


def reflection(first, length):
    """The reflection of the points first..first+length-1 (1-based) as cycles."""
    swaps = [(first + i, first + length - 1 - i) for i in range(length // 2)]
    return "".join(cycle(s) for s in swaps) or "()"


def intransitive_families(max_n):
    for n in range(4, max_n + 1):
        yield f"mirror({n})", "path", f"mirror({n})"
        yield f"C({n}) on a path", "path", f"C({n})"
        for a in range(2, n - 1):
            b = n - a
            if a > b:
                continue
            yield f"S({a})*S({b})", "direct", f"S({a})*S({b})"
            yield f"C({a})*C({b})", "direct", f"C({a})*C({b})"
            if a >= 3:
                yield f"D({a})*C({b})", "direct", f"D({a})*C({b})"
                yield f"A({a})*S({b})", "direct", f"A({a})*S({b})"
        if n % 2 == 0:
            h = n // 2
            # C(h) and D(h) acting on both halves at once (diagonal products)
            rotate = cycle(range(1, h + 1)) + cycle(range(h + 1, n + 1))
            yield f"diag C({h}) on {n}", "diagonal", rotate
            if h >= 3:
                flip = reflection(1, h) + reflection(h + 1, h)
                yield f"diag D({h}) on {n}", "diagonal", rotate + "," + flip


def library(args):
    if args.max_transitive >= 2:
        yield from transitive_groups(args.max_transitive)
    if args.max_primitive >= 2:
        yield from primitive_groups(args.max_primitive)
    if args.max_family >= 4:
        yield from intransitive_families(args.max_family)


FIELDS = ["id", "family", "spec", "degree", "order", "rank", "closure_order", "index", "two_closed", "seconds"]


def certify_row(name, family, spec):
    started = time.perf_counter()
    group = asen.Group.parse(spec)
    cert = asen.certify(group, canonical_hash=False)
    seconds = time.perf_counter() - started
    return {"id": name, "family": family, "spec": spec, "degree": cert.degree, "order": cert.order,
            "rank": cert.rank, "closure_order": cert.closure_order, "index": cert.index,
            "two_closed": cert.two_closed, "seconds": round(seconds, 6)}


def plot(rows, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    degrees = sorted({r["degree"] for r in rows})
    share = [sum(r["two_closed"] for r in rows if r["degree"] == d) / sum(1 for r in rows if r["degree"] == d)
             for d in degrees]
    figure, axes = plt.subplots(figsize=(8, 4))
    axes.bar([str(d) for d in degrees], share, color="tab:blue")
    axes.set_xlabel("degree")
    axes.set_ylabel("share of 2-closed groups")
    axes.set_ylim(0, 1)
    axes.tick_params(axis="x", labelsize=7)
    axes.set_title(f"2-closed groups per degree ({len(rows)} groups)")
    figure.tight_layout()
    write_atomically(os.path.join(out, "two_closed_share.png"), lambda p: figure.savefig(p, format="png"))
    plt.close(figure)

    indices = [r["index"] for r in rows if not r["two_closed"]]
    figure, axes = plt.subplots(figsize=(8, 4))
    if indices:
        logs = [math.log10(i) for i in indices]
        axes.hist(logs, bins=min(40, max(5, len(set(logs)))), color="tab:orange")
    axes.set_xlabel("log10 [G^(2) : G]")
    axes.set_ylabel("groups")
    axes.set_title(f"index of G in its 2-closure ({len(indices)} groups not 2-closed)")
    figure.tight_layout()
    write_atomically(os.path.join(out, "index_distribution.png"), lambda p: figure.savefig(p, format="png"))
    plt.close(figure)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="closure-sweep", help="output folder (default closure-sweep)")
    parser.add_argument("--max-transitive", type=int, default=12, help="largest transitive degree (0: none)")
    parser.add_argument("--max-primitive", type=int, default=50, help="largest primitive degree (0: none)")
    parser.add_argument("--max-family", type=int, default=12, help="largest degree of the families (0: none)")
    parser.add_argument("--quick", action="store_true", help="degrees up to 6 / 12 / 6 (a smoke test)")
    parser.add_argument("--write-batch", metavar="FILE",
                        help="also write the groups as asen --batch JSON lines {\"id\", \"spec\"} (the CSV's id, "
                             "which asen certify --batch echoes)")
    parser.add_argument("--no-certify", action="store_true", help="only list the groups (with --write-batch)")
    args = parser.parse_args()
    if args.quick:
        args.max_transitive, args.max_primitive, args.max_family = 6, 12, 6

    groups = list(library(args))
    if args.write_batch:
        # The CSV's id on every line: asen certify --batch echoes it, so its answers join the CSV's rows by id.
        # (The batch format takes spec or generators, degree and id only, so the family stays in the CSV.)
        def write_batch(path):
            with open(path, "w") as f:
                f.writelines(json.dumps({"id": name, "spec": spec}) + "\n" for name, _, spec in groups)

        write_atomically(args.write_batch, write_batch)
        print(f"{len(groups)} groups written to {args.write_batch}")
    if args.no_certify:
        return 0

    os.makedirs(args.out, exist_ok=True)
    started = time.perf_counter()
    rows = [certify_row(*g) for g in groups]
    total = time.perf_counter() - started

    def write_csv(path):
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)

    write_atomically(os.path.join(args.out, "closure_sweep.csv"), write_csv)
    plot(rows, args.out)
    not_closed = [r for r in rows if not r["two_closed"]]
    print(f"{len(rows)} groups certified in {total:.1f} s; {len(not_closed)} are not 2-closed")
    for family in sorted({r["family"] for r in rows}):
        members = [r for r in rows if r["family"] == family]
        print(f"  {family:10} {len(members):4} groups, {sum(r['two_closed'] for r in members):4} 2-closed")
    print(f"wrote {os.path.join(args.out, 'closure_sweep.csv')}, two_closed_share.png, index_distribution.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
