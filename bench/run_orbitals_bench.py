#!/usr/bin/python3
"""Benchmark 1: orbitals (the paper's Algorithm 1), asen vs SymPy vs GAP.

Runs, on the same generator lists (the paper's, as GAP cycle strings):
  asen   bench/orbitals_bench (C++): Orbitals::compute, stabilizer-chain
         method (the default) and union-find, plus an n² int32 alloc+fill;
  SymPy  sympy_orbitals.py: the paper's lifting to the n² pairs, then
         PermutationGroup(lifted).orbits();
  GAP    Orbits(G, Tuples([1..n], 2), OnTuples) in `gap -q`, one process per
         case;
and prints one table with the ratios and whether the issue's targets hold.
Every system times itself after its start-up and parsing. Run with Debian's
/usr/bin/python3 (it has sympy):

  /usr/bin/python3 bench/run_orbitals_bench.py --build build-bench [--quick] [--json out.json]
"""

import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_groups as bg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

GAP_ORBITALS = r"""
SetPrintFormattingStatus("*stdout*", false);
AsenN := %(n)d;;
AsenGens := %(gens)s;;
AsenTimes := [];;
while true do
  AsenG := Group(AsenGens);
  AsenT0 := NanosecondsSinceEpoch();
  AsenOrbs := Orbits(AsenG, Tuples([1 .. AsenN], 2), OnTuples);
  AsenT1 := NanosecondsSinceEpoch();
  Add(AsenTimes, AsenT1 - AsenT0);
  Print("{\"t_ns\": ", AsenT1 - AsenT0, "}\n");
  if Length(AsenTimes) = 1 and AsenTimes[1] > %(single_ns)d then break; fi;
  if Length(AsenTimes) >= %(min_reps)d and Sum(AsenTimes) >= %(min_ns)d then break; fi;
od;
Print("{\"orbits\": ", Length(AsenOrbs), "}\n");
"""


def gap_list(gens):
    # One generator per line keeps GAP's input lines short.
    return "[\n" + ",\n".join(gens) + "\n]"


def run_gap_case(case, args):
    script = GAP_ORBITALS % {
        "n": case["n"], "gens": gap_list(case["gens"]), "min_reps": args.min_reps,
        "min_ns": int(args.min_seconds * 1e9), "single_ns": int(args.single_above * 1e9)}
    records, error = bg.run_gap(script, args.gap_timeout)
    if error == "timeout":
        return {"timeout": args.gap_timeout}
    if error:
        return {"error": error}
    times = [r["t_ns"] / 1e6 for r in records if "t_ns" in r]
    orbits = [r["orbits"] for r in records if "orbits" in r]
    return {"median_ms": bg.median(times), "min_ms": min(times), "reps": len(times),
            "orbits": orbits[0] if orbits else None}


def run_sympy(cases, args):
    proc = subprocess.run(
        [args.python, os.path.join(HERE, "sympy_orbitals.py"), "--min-seconds", str(args.min_seconds),
         "--min-reps", str(args.min_reps), "--single-above", str(args.single_above)],
        input=json.dumps(cases), stdout=subprocess.PIPE, stderr=None, text=True, cwd=HERE)
    if proc.returncode != 0:
        sys.exit("the SymPy benchmark failed with exit status %d" % proc.returncode)
    return {(r["label"], r["n"]): r for r in bg.json_lines(proc.stdout)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", help="the CMake build dir holding bench/orbitals_bench")
    parser.add_argument("--exe", help="the orbitals_bench executable (instead of --build)")
    parser.add_argument("--quick", action="store_true", help="n <= 50 only")
    parser.add_argument("--json", metavar="FILE", help="save every result to FILE")
    parser.add_argument("--no-sympy", action="store_true")
    parser.add_argument("--no-gap", action="store_true")
    parser.add_argument("--python", default="/usr/bin/python3", help="the interpreter with sympy")
    parser.add_argument("--gap-timeout", type=int, default=600, help="seconds per GAP case")
    parser.add_argument("--min-seconds", type=float, default=0.2, help="time per case at least")
    parser.add_argument("--min-reps", type=int, default=3, help="repetitions per case at least")
    parser.add_argument("--single-above", type=float, default=2.0,
                        help="SymPy and GAP: one repetition when the first takes longer (seconds)")
    args = parser.parse_args()
    exe = args.exe or bg.find_executable("orbitals_bench", args.build, HERE)

    shared_n = [10, 50] if args.quick else [10, 50, 100, 200]
    shared = [f(n) for n in shared_n for f in (bg.dihedral_paper, bg.wreath_paper)]
    asen_only = [] if args.quick else (
        [f(n) for n in (1000, 4000) for f in (bg.dihedral_paper, bg.wreath_paper)] + [bg.dihedral_two(4000)])
    cases = shared + asen_only
    print("orbitals benchmark; %s" % bg.machine_note(), flush=True)

    lines = ["%s\t%d\t%d\t%s" % (c["label"], c["n"], c["rank"], bg.spec_of(c)) for c in cases]
    asen = {}
    for r in bg.run_cpp(exe, lines, ["--min-seconds", str(args.min_seconds), "--min-reps", str(args.min_reps)]):
        asen[(r["label"], r["n"], r["method"])] = r

    sympy = {} if args.no_sympy else run_sympy(
        [{"label": c["label"], "n": c["n"], "gens": c["gens"]} for c in shared], args)

    gap = {}
    if not args.no_gap:
        for c in shared:
            gap[(c["label"], c["n"])] = result = run_gap_case(c, args)
            print("gap %s n=%d: %s" % (c["label"], c["n"], result.get("median_ms", result)),
                  file=sys.stderr, flush=True)

    # The table, and the checks across systems.
    problems = []
    rows = []
    results = []
    for c in cases:
        key = (c["label"], c["n"])
        chain = asen[key + ("stabilizer_chain",)]
        uf = asen[key + ("union_find",)]
        s = sympy.get(key)
        g = gap.get(key)
        for name, r in (("SymPy", s), ("GAP", g)):
            if r and r.get("orbits") is not None and r["orbits"] != chain["rank"]:
                problems.append("%s n=%d: %s finds %d orbitals, asen %d"
                                % (c["label"], c["n"], name, r["orbits"], chain["rank"]))
        a_ms = chain["median_ms"]
        g_ms = None
        if g:
            g_ms = g.get("median_ms") or ("> %d s" % g["timeout"] if "timeout" in g else "error")
        s_ms = s["median_ms"] if s else None
        rows.append([
            c["label"], c["n"], chain["gens"], bg.fmt_ms(a_ms),
            bg.fmt_ms(uf.get("median_ms", "skipped")), bg.fmt_ms(s_ms), bg.fmt_ms(g_ms),
            bg.fmt_ratio(s_ms / a_ms if s_ms else None),
            bg.fmt_ratio(g_ms / a_ms if isinstance(g_ms, float) else None),
            bg.fmt_ratio(chain["ratio_to_fill"]) if c["n"] >= 1000 else "-",
            "%s/%s/%s" % (chain["reps"], s["reps"] if s else "-",
                          g.get("reps", "-") if g else "-"),
        ])
        results.append({"case": c["label"], "n": c["n"], "gens": chain["gens"], "rank": chain["rank"],
                        "asen_stabilizer_chain": chain, "asen_union_find": uf, "sympy": s, "gap": g})

    print()
    bg.print_table(["case", "n", "#gens", "asen chain ms", "asen UF ms", "SymPy ms", "GAP ms",
                    "SymPy/asen", "GAP/asen", "asen/fill", "reps a/S/G"], rows)
    print()
    fills = [(c["n"], asen[(c["label"], c["n"], "stabilizer_chain")]) for c in cases if c["n"] >= 1000]
    for n, r in fills:
        print("  n=%d %-14s asen %s ms, alloc+fill of n^2 int32 %s ms (ratio %.2f, median per pair), "
              "write into an allocated array %s ms" % (
                  n, r["label"], bg.fmt_ms(r["median_ms"]), bg.fmt_ms(r["fill_ms"]), r["ratio_to_fill"],
                  bg.fmt_ms(r["write_ms"])))
    if fills:
        print("  asen's PermGroup::parse of the spec (not timed above): " + ", ".join(
            "%s n=%d %s ms" % (r["label"], n, bg.fmt_ms(r["parse_ms"])) for n, r in fills))

    # The targets.
    targets = []
    for c in shared:
        if c["n"] != 200:
            continue
        key = (c["label"], c["n"])
        a_ms = asen[key + ("stabilizer_chain",)]["median_ms"]
        if key in sympy:
            ratio = sympy[key]["median_ms"] / a_ms
            targets.append(("%s n=200: asen >= 1000x faster than SymPy" % c["label"], ratio >= 1000,
                            "%.0fx" % ratio))
        if key in gap and "median_ms" in gap[key]:
            ratio = gap[key]["median_ms"] / a_ms
            targets.append(("%s n=200: asen >= 20x faster than GAP" % c["label"], ratio >= 20, "%.0fx" % ratio))
    two = asen.get(("dihedral-2gen", 4000, "stabilizer_chain"))
    if two:
        targets.append(("dihedral-2gen n=4000: asen within 3x of filling an n^2 int32 array",
                        two["ratio_to_fill"] <= 3, "%.2fx" % two["ratio_to_fill"]))
    return bg.finish_report(targets, problems, args.json, {"results": results}, label="MISMATCH")


if __name__ == "__main__":
    sys.exit(main())
