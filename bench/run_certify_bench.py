#!/usr/bin/python3
"""Benchmark 3: certified 2-closures, asen's certify vs GAP's TwoClosure.

Runs, on the same generator lists (GAP cycle strings; asen parses them with
PermGroup::parse, so it gets no known order):
  asen  bench/certify_bench (C++): certify(group) without the canonical hash,
        on a freshly parsed group each repetition (stage times from
        Certificate::timings_ms); again with the hash; and the raw search on
        the same coloured digraph: automorphism_group(digraph, {traces,
        divisor}), its Traces call alone (search_ms) and the whole call;
  GAP   TwoClosure(G) then Size of it, on a fresh Group(gens) per
        repetition (the literals parsed before the clock), in `gap -q`, one
        process per case under `timeout`;
and prints one table with the ratios, whether the closure orders agree, and
whether the issue's targets hold.

Cases at n = 50, 100, 200: the dihedral group D_n (the paper's n+2
generators, and rotation + reflection), S_{n/2} wr S_2 (the paper's list,
and (1,2), the m-cycle on the first half, the half swap), A_n (the 3-cycles
(1,2,k), and (1,2,3) with an n- or (n-1)-cycle). asen alone at n = 1000:
D_1000 and S_500 wr S_2 from the short lists and from the named specs
"D(1000)", "wreath(S(500),S(2))" (which carry known orders), and from the
paper's lists (for information).

  /usr/bin/python3 bench/run_certify_bench.py --build build-bench [--quick] [--json out.json]
"""

import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_groups as bg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

GAP_CLOSURE = r"""
SetPrintFormattingStatus("*stdout*", false);
AsenGens := %(gens)s;;
AsenTimes := [];;
while true do
  AsenG := Group(AsenGens);
  AsenT0 := NanosecondsSinceEpoch();
  AsenC := TwoClosure(AsenG);
  AsenT1 := NanosecondsSinceEpoch();
  AsenSize := Size(AsenC);
  AsenT2 := NanosecondsSinceEpoch();
  Print("{\"closure_ns\": ", AsenT1 - AsenT0, ", \"size_ns\": ", AsenT2 - AsenT1, "}\n");
  Add(AsenTimes, AsenT2 - AsenT0);
  if Length(AsenTimes) = 1 and AsenTimes[1] > %(single_ns)d then break; fi;
  if Length(AsenTimes) >= %(min_reps)d and Sum(AsenTimes) >= %(min_ns)d then break; fi;
od;
Print("{\"closure_order\": \"", String(AsenSize), "\"}\n");
"""


def closure_order(case):
    """The true |G^(2)|: D_n (n >= 3) and S_m wr S_2 are 2-closed; A_n
    (n >= 4, 2-transitive) has the 2-closure S_n."""
    if case["label"].startswith("A(n)"):
        return math.factorial(case["n"])
    return case["order"]


def named(label, spec, n, order):
    return {"label": label, "n": n, "spec": spec, "order": order, "gens": None}


def cases_of(args):
    shared_n = [50] if args.quick else [50, 100, 200]
    shared = [f(n) for n in shared_n
              for f in (bg.dihedral_paper, bg.dihedral_two, bg.wreath_paper, bg.wreath_three,
                        bg.alternating_3cycles, bg.alternating_two)]
    for c in shared:
        c["form"] = "paper" if len(c["gens"]) > 3 else "short"
    if args.quick:
        return shared, []
    n = 1000
    wreath_order = 2 * math.factorial(n // 2) ** 2
    big = [dict(bg.dihedral_two(n), form="short"), dict(named("D(1000)", "D(1000)", n, 2 * n), form="named"),
           dict(bg.wreath_three(n), form="short"),
           dict(named("wreath(S(500),S(2))", "wreath(S(500),S(2))", n, wreath_order), form="named")]
    if not args.no_paper_1000:
        big += [dict(bg.dihedral_paper(n), form="paper"), dict(bg.wreath_paper(n), form="paper")]
    return shared, big


def group_name(case):
    label = case["label"]
    if label.startswith("dihedral") or label.startswith("D("):
        return "D_n"
    if label.startswith("wreath"):
        return "S_n/2 wr S_2"
    return "A_n"


def run_gap_case(case, args):
    script = GAP_CLOSURE % {
        "gens": "[\n" + ",\n".join(case["gens"]) + "\n]", "min_reps": args.min_reps,
        "min_ns": int(args.min_seconds * 1e9), "single_ns": int(args.single_above * 1e9)}
    records, error = bg.run_gap(script, args.gap_timeout)
    if error == "timeout":
        return {"timeout": args.gap_timeout}
    if error:
        return {"error": error}
    reps = [r for r in records if "closure_ns" in r]
    final = [r for r in records if "closure_order" in r]
    if not reps or not final:
        return {"error": "no result from GAP"}
    return {"median_ms": bg.median([(r["closure_ns"] + r["size_ns"]) / 1e6 for r in reps]),
            "closure_ms": bg.median([r["closure_ns"] / 1e6 for r in reps]),
            "size_ms": bg.median([r["size_ns"] / 1e6 for r in reps]),
            "reps": len(reps), "closure_order": final[0]["closure_order"]}


def key_of(c):
    return (c["label"], c["n"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", help="the CMake build dir holding bench/certify_bench")
    parser.add_argument("--exe", help="the certify_bench executable (instead of --build)")
    parser.add_argument("--quick", action="store_true", help="n = 50 only")
    parser.add_argument("--json", metavar="FILE", help="save every result to FILE")
    parser.add_argument("--no-gap", action="store_true")
    parser.add_argument("--no-paper-1000", action="store_true",
                        help="skip the paper's lists at n = 1000 (informational rows)")
    parser.add_argument("--gap-timeout", type=int, default=600, help="seconds per GAP case")
    parser.add_argument("--min-seconds", type=float, default=0.2, help="time per case at least")
    parser.add_argument("--min-reps", type=int, default=3, help="repetitions per case at least")
    parser.add_argument("--single-above", type=float, default=2.0,
                        help="GAP, asen's +hash and raw search: one repetition when the first takes longer (s)")
    args = parser.parse_args()
    exe = args.exe or bg.find_executable("certify_bench", args.build, HERE)

    shared, big = cases_of(args)
    cases = shared + big
    print("certify benchmark; %s" % bg.machine_note(), flush=True)

    lines = ["%s\t%s\t%d\t%d\t%d\t1\t%s" % (c["label"], c["form"], c["n"], c["order"], closure_order(c),
                                            c.get("spec") or bg.spec_of(c)) for c in cases]
    asen = {(r["label"], r["n"]): r for r in bg.run_cpp(
        exe, lines, ["--min-seconds", str(args.min_seconds), "--min-reps", str(args.min_reps),
                     "--single-above", str(args.single_above)], ok_status=(0, 3))}

    gap = {}
    if not args.no_gap:
        for c in shared:
            gap[key_of(c)] = r = run_gap_case(c, args)
            print("gap %s n=%d: %s" % (c["label"], c["n"], "%.1f ms" % r["median_ms"] if "median_ms" in r else r),
                  file=sys.stderr, flush=True)

    problems = []
    rows = []
    stage_rows = []
    results = []
    stage_names = ["orbitals", "digraph", "group_order", "automorphisms", "checks", "witnesses"]
    for c in cases:
        key = key_of(c)
        a = asen[key]
        g = gap.get(key)
        for p in a["problems"]:
            problems.append("asen %s n=%d: %s" % (c["label"], c["n"], p))
        agree = "-"
        g_ms = None
        if g and "median_ms" in g:
            g_ms = g["median_ms"]
            agree = "yes" if g["closure_order"] == a["closure_order"] else "NO"
            if agree == "NO":
                problems.append("%s n=%d: GAP's |TwoClosure| %s, asen's %s" % (
                    c["label"], c["n"], g["closure_order"], a["closure_order"]))
        elif g:
            g_ms = "> %d s" % g["timeout"] if "timeout" in g else "error"
            if "error" in g:
                problems.append("GAP %s n=%d: %s" % (c["label"], c["n"], g["error"]))
        a_ms = a["certify_ms"]
        wrong = "WRONG |G|" if any("group order" in p for p in a["problems"]) else (
            "WRONG" if a["problems"] else "")
        rows.append([
            c["label"], c["form"], c["n"], a["gens"], bg.fmt_ms(a_ms), bg.fmt_ms(a.get("certify_hash_ms")),
            bg.fmt_ms(a.get("search_ms")), bg.fmt_ratio(a.get("certify_over_search")),
            bg.fmt_ms(g_ms), bg.fmt_ratio(g_ms / a_ms if isinstance(g_ms, float) else None),
            agree + (" " + wrong if wrong else ""),
            "%s/%s" % (a["certify_reps"], g.get("reps", "-") if g else "-"),
        ])
        st = a["stages_ms"]
        stage_rows.append([c["label"], c["n"]] + [bg.fmt_ms(st.get(s)) for s in stage_names] + [
            bg.fmt_ms(a.get("hash_stage_ms")), bg.fmt_ms(a.get("search_wall_ms")), a.get("raw_search_nodes", "-"),
            a["closure_digits"], a["index"] if len(a["index"]) < 8 else "%d digits" % len(a["index"]),
            "yes" if a["two_closed"] else "no", a["order_proof"]])
        results.append({"case": c["label"], "form": c["form"], "n": c["n"], "group": group_name(c),
                        "asen": a, "gap": g})

    print()
    bg.print_table(["case", "form", "n", "#gens", "certify ms", "+hash ms", "raw search ms", "certify/search",
                    "GAP TwoClosure ms", "GAP/asen", "closure agrees", "reps a/G"], rows)
    print("\n  certify ms = certify(group) with canonical_hash = false, on a freshly parsed group (median);"
          "\n  +hash ms = the same with the canonical hash (one run when the first takes > %g s);"
          "\n  raw search ms = the Traces call of automorphism_group(digraph, {traces, divisor}) on the same"
          "\n  coloured digraph (AutomorphismGroup::search_ms), the floor; certify/search = their ratio;"
          "\n  GAP TwoClosure ms = TwoClosure(G) + Size of it on a fresh Group(gens) (one run when > %g s);"
          "\n  closure agrees = GAP's |TwoClosure(G)| equals asen's |G^(2)| (asen's is also checked against"
          "\n  the true order in the C++); WRONG = asen's certificate disagrees with the true |G| or |G^(2)|."
          % (args.single_above, args.single_above))
    print("\ncertify stages (ms, medians of Certificate::timings_ms) and results:")
    bg.print_table(["case", "n"] + stage_names + ["hash stage", "aut_group wall", "nodes", "digits |G^(2)|",
                                                  "index", "2-closed", "order proof"], stage_rows)

    targets = []
    for c in shared:
        if c["n"] != 200:
            continue
        g = gap.get(key_of(c))
        a = asen[key_of(c)]
        if g is None:
            continue
        if "median_ms" in g:
            ratio = g["median_ms"] / a["certify_ms"]
            targets.append(("%s n=200 (%d gens): asen >= 20x faster than GAP's TwoClosure" % (c["label"], a["gens"]),
                            ratio >= 20, "%.0fx" % ratio))
        elif "timeout" in g:
            ratio = g["timeout"] * 1e3 / a["certify_ms"]
            targets.append(("%s n=200 (%d gens): asen >= 20x faster than GAP's TwoClosure" % (c["label"], a["gens"]),
                            ratio >= 20, "> %.0fx, GAP > %d s" % (ratio, g["timeout"])))
    for c in big:
        if c["form"] == "paper":
            continue
        a = asen[key_of(c)]
        targets.append(("%s n=%d (%s): certify under 5 s" % (c["label"], c["n"], c["form"]),
                        a["certify_ms"] < 5000, "%s ms" % bg.fmt_ms(a["certify_ms"])))
    for c in big:
        if c["form"] == "paper":
            continue
        a = asen[key_of(c)]
        if a.get("certify_over_search") is not None:
            targets.append(("%s n=%d (%s): certify within 3x of the raw Traces search (an aim)" % (
                c["label"], c["n"], c["form"]), a["certify_over_search"] <= 3,
                "%.2fx: %s ms vs %s ms" % (a["certify_over_search"], bg.fmt_ms(a["certify_ms"]),
                                           bg.fmt_ms(a["search_ms"]))))
    within = [key_of(c) for c in shared if asen[key_of(c)].get("certify_over_search") is not None]
    if within:
        ok = [k for k in within if asen[k]["certify_over_search"] <= 3]
        targets.append(("n <= 200: certify within 3x of the raw search (an aim)", len(ok) == len(within),
                        "%d of %d cases; worst %s" % (len(ok), len(within), ", ".join(
                            "%s n=%d %.0fx" % (k[0], k[1], asen[k]["certify_over_search"]) for k in sorted(
                                within, key=lambda k: -asen[k]["certify_over_search"])[:3]))))
    return bg.finish_report(targets, problems, args.json, {"results": results})


if __name__ == "__main__":
    sys.exit(main())
