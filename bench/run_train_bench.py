#!/usr/bin/python3
"""Benchmark 4: training and inference throughput, asen vs the paper's model.

Runs, with ONE thread (torch.set_num_threads(1), OMP_NUM_THREADS=1):
  asen       bench/train_bench (C++): AsenModel with the library's defaults
             (4 GATv2 layers, hidden 128, 8 heads), a training step
             (forward, per-node cross-entropy, backward, Adam with the three
             parameter groups) and an inference step (eval, no_grad);
  reference  bench/paper_reference.py: a plain-PyTorch re-implementation of
             the paper's PyG model (a Python loop over the samples of each
             batch; PyG's GATv2Conv semantics written out), same sizes;
first side by side at n = 10, batch 64 (the issue's setting; the two systems
alternate, --rounds times, and each keeps its best round), then asen's
scaling with n = 10, 50, 200, dense and sparse (base graph: the n-cycle),
with the reference at n = 50 dense as well when it finishes within
--reference-timeout seconds. The breaking input is that of D(n).

Throughput is samples (sequences) per second: batch / median step time
(wall clock), and batch / the median step's CPU time, which other jobs on a
busy machine disturb less. Run with Debian's /usr/bin/python3 (it has torch):

  /usr/bin/python3 bench/run_train_bench.py --build build-bench [--quick] [--json out.json]
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_groups as bg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE_NOTES = {"train": 160.0, "infer": 450.0}  # the paper's PyG code, measured when the project began (bench/README.md)


def one_thread_env():
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env[var] = "1"
    return env


def run_json(cmd, timeout):
    """Runs a benchmark process; returns its JSON record, or {"error": reason}."""
    print("+ " + " ".join(cmd), file=sys.stderr, flush=True)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=one_thread_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": "timeout", "timeout": timeout}
    records = bg.json_lines(proc.stdout)
    if proc.returncode != 0 or not records:
        tail = "\n".join(line for line in proc.stderr.splitlines() if "Warning" not in line)[-1500:]
        return {"error": "exit %d: %s" % (proc.returncode, tail)}
    return records[-1]


def asen_cmd(exe, args, n, mode, min_seconds, warmup, min_steps):
    return [exe, "--n", str(n), "--mode", mode, "--base", "cycle", "--threads", "1", "--batch",
            str(args.batch), "--warmup", str(warmup), "--min-seconds", str(min_seconds),
            "--min-steps", str(min_steps)]


def reference_cmd(args, n, min_seconds, warmup, min_steps):
    return [args.python, os.path.join(HERE, "paper_reference.py"), "--n", str(n), "--threads", "1",
            "--batch", str(args.batch), "--warmup", str(warmup), "--min-seconds", str(min_seconds),
            "--min-steps", str(min_steps)]


def rate(r, what, cpu=False):
    if not r or "error" in r:
        return None
    return r.get("%s_samples_per_%s" % (what, "cpu_s" if cpu else "s"))


def fmt_rate(value):
    if value is None:
        return "-"
    return "%.0f" % value if value >= 100 else "%.1f" % value


def best(records, key):
    ok = [r for r in records if "error" not in r]
    if not ok:
        return records[-1] if records else None
    return max(ok, key=lambda r: r.get(key) or 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", help="the CMake build dir holding bench/train_bench")
    parser.add_argument("--exe", help="the train_bench executable (instead of --build)")
    parser.add_argument("--quick", action="store_true",
                        help="short runs, one round, n <= 50, no reference beyond n = 10")
    parser.add_argument("--json", metavar="FILE", help="save every result to FILE")
    parser.add_argument("--python", default="/usr/bin/python3", help="the interpreter with torch")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="side-by-side rounds at n = 10")
    parser.add_argument("--min-seconds", type=float, default=3.0, help="timed steps add up to this at least")
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--reference-timeout", type=int, default=60,
                        help="seconds the reference may take at n = 50 (skipped beyond)")
    args = parser.parse_args()
    exe = args.exe or bg.find_executable("train_bench", args.build, HERE)
    rounds = 1 if args.quick else max(1, args.rounds)
    min_s = 0.5 if args.quick else args.min_seconds
    print("training throughput benchmark; %s" % bg.machine_note(), flush=True)

    # 1. Side by side at n = 10, batch 64, one thread.
    asen10, ref10 = [], []
    for _ in range(rounds):
        asen10.append(run_json(asen_cmd(exe, args, 10, "dense", min_s, 5, 10), 600))
        if not args.no_reference:
            ref10.append(run_json(reference_cmd(args, 10, min_s, 2 if args.quick else 3, 3 if args.quick else 5),
                                  600))
    errors = [r for r in asen10 + ref10 if "error" in r]
    a = best(asen10, "train_samples_per_s")
    r = best(ref10, "train_samples_per_s") if ref10 else None

    print()
    print("n = 10, batch %d, one thread, D(10) dense breaking input (best of %d round%s); "
          "samples/s = batch / median step, wall clock and CPU time" % (args.batch, rounds, "s" * (rounds > 1)))
    rows = []
    for name, rec in (("asen", a), ("reference (paper_reference.py)", r)):
        if rec is None:
            continue
        rows.append([name, fmt_rate(rate(rec, "train")), fmt_rate(rate(rec, "train", True)),
                     fmt_rate(rate(rec, "infer")), fmt_rate(rate(rec, "infer", True)),
                     "%d" % rec.get("parameters", 0) if "error" not in rec else rec["error"][:60]])
    rows.append(["paper's PyG code (measured before)", "-", "~%d" % REFERENCE_NOTES["train"], "-",
                 "~%d" % REFERENCE_NOTES["infer"], "-"])
    ratios = {}
    if a and r and "error" not in a and "error" not in r:
        for what in ("train", "infer"):
            ratios[what] = (rate(a, what) / rate(r, what), rate(a, what, True) / rate(r, what, True))
        rows.append(["asen / reference", bg.fmt_ratio(ratios["train"][0]), bg.fmt_ratio(ratios["train"][1]),
                     bg.fmt_ratio(ratios["infer"][0]), bg.fmt_ratio(ratios["infer"][1]), "-"])
    if a and "error" not in a:
        rows.append(["asen / paper's PyG code (before)", "-",
                     bg.fmt_ratio(rate(a, "train", True) / REFERENCE_NOTES["train"]), "-",
                     bg.fmt_ratio(rate(a, "infer", True) / REFERENCE_NOTES["infer"]), "-"])
    bg.print_table(["system", "train/s", "train/CPU-s", "infer/s", "infer/CPU-s", "parameters"], rows)
    if len(asen10) > 1 or len(ref10) > 1:
        print("  every round, train/s and infer/s: asen %s; reference %s" % (
            ", ".join("%s/%s" % (fmt_rate(rate(x, "train")), fmt_rate(rate(x, "infer"))) for x in asen10),
            ", ".join("%s/%s" % (fmt_rate(rate(x, "train")), fmt_rate(rate(x, "infer"))) for x in ref10) or "-"))

    # 2. Scaling with n, dense and sparse.
    ns = [10, 50] if args.quick else [10, 50, 200]
    scaling = []
    for n in ns:
        for mode in ("dense", "sparse"):
            if n == 10 and mode == "dense":
                rec = a
            else:
                warmup, steps = (2, 3) if n >= 200 else (3, 5)
                rec = run_json(asen_cmd(exe, args, n, mode, min_s, warmup, steps), 1800)
                if "error" in rec:
                    errors.append(rec)
            scaling.append(("asen", n, mode, rec))
        if args.no_reference:
            continue
        if n == 10:
            scaling.append(("reference", n, "dense", r))
        elif n == 50 and not args.quick:
            rec = run_json(reference_cmd(args, n, 0.0, 1, 2), args.reference_timeout)
            scaling.append(("reference", n, "dense", rec))
    print()
    print("scaling with n (batch %d, one thread, D(n); sparse = the n-cycle's arcs plus the self-loops)" % args.batch)
    rows = []
    for system, n, mode, rec in scaling:
        if rec is None:
            continue
        if "error" in rec:
            note = ("skipped: over %d s" % rec["timeout"]) if rec["error"] == "timeout" else rec["error"][:60]
            rows.append([system, n, mode, "-", "-", "-", "-", "-", note])
            continue
        rows.append([system, n, mode, rec.get("edges", "-"), fmt_rate(rate(rec, "train")),
                     fmt_rate(rate(rec, "train", True)), fmt_rate(rate(rec, "infer")),
                     fmt_rate(rate(rec, "infer", True)), "%s/%s" % (rec.get("train_steps"), rec.get("infer_steps"))])
    bg.print_table(["system", "n", "mode", "arcs/sample", "train/s", "train/CPU-s", "infer/s", "infer/CPU-s",
                    "steps t/i"], rows)
    if not args.no_reference and not args.quick and 200 in ns:
        print("  the reference is not run at n = 200 (40,000 arcs per sample in a Python loop: far over a minute)")

    # The target.
    targets = []
    if "train" in ratios:
        for what, label in (("train", "training"), ("infer", "inference")):
            wall, cpu = ratios[what]
            targets.append(("%s at n = 10, one thread: asen >= 20x the reference" % label, wall >= 20,
                            "%.1fx wall clock, %.1fx CPU time" % (wall, cpu)))
    if a and "error" not in a:
        targets.append(("training >= 3,200 samples/s (20x the paper's 160)", rate(a, "train") >= 3200,
                        "%s wall clock, %s per CPU-s" % (fmt_rate(rate(a, "train")), fmt_rate(rate(a, "train", True)))))
    scaling_json = [{"system": s, "n": n, "mode": m, "result": rec} for s, n, m, rec in scaling]
    return bg.finish_report(targets, [e["error"][:300] for e in errors], args.json,
                            {"side_by_side": {"asen": asen10, "reference": ref10}, "scaling": scaling_json})


if __name__ == "__main__":
    sys.exit(main())
