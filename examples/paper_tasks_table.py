#!/usr/bin/env python3
"""The README's quality table: ASEN on the paper's tasks at the paper's low-data budget.

Runs `asen train` (one thread per run, as many runs at once as there are
cores) and prints Markdown tables of mean per-node test accuracy over seeds:

  1. each task with its own group against trivial(n) (every pair its own
     colour, a positional encoding) and S(n) (no positional information);
  2. multi-task (the three tasks at once, one backbone) against single-task;
  3. transfer: pretrain on the other two tasks, finetune on intersect with
     15% of its training data, against training from scratch on that data.

Every run gets the same settings (asen train's defaults unless given here).

    python3 examples/paper_tasks_table.py --asen build/bin/asen
    python3 examples/paper_tasks_table.py --asen build/bin/asen --quick
    python3 examples/paper_tasks_table.py --asen build/bin/asen --seeds 0,1,2,3,4

--seeds is a comma-separated list of seeds, as for examples/experiments/run.py
(default 0,1,2); a single integer is that one seed, not a count.
"""

import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

TASKS = ["cyclicsum", "intersect", "palindrome"]


def run_train(asen, out_root, name, args, common):
    """Runs one `asen train --json` and returns its parsed answer."""
    out = os.path.join(out_root, name)
    command = [asen, "train", *args, *common, "--out", out, "--json", "--threads", "1", "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}")
    return json.loads(done.stdout)


def mean(values):
    return statistics.fmean(values) if values else float("nan")


def spread(values):
    # The population standard deviation (the README's quality table says so).
    return f"{mean(values):.3f} ± {statistics.pstdev(values):.3f}" if len(values) > 1 else f"{mean(values):.3f}"


def seed_list(text):
    """--seeds: comma-separated seeds (as examples/experiments/run.py takes them); '5' is the one seed 5."""
    try:
        seeds = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated integers, got {text!r}") from None
    if not all(0 <= s <= 2**64 - 1 for s in seeds):
        raise argparse.ArgumentTypeError(f"must be integers in [0, {2**64 - 1}], got {text!r}")
    if len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"lists a seed twice: {text!r}")
    return seeds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--asen", default="build/bin/asen", help="the asen executable")
    parser.add_argument("--seeds", type=seed_list, metavar="S,S,...",
                        help="comma-separated seeds of every run, as for experiments/run.py (default 0,1,2; "
                             "with --quick 0); a single integer is that one seed, not a count")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--samples", type=int, default=1000, help="sequences per task (70%% train)")
    parser.add_argument("--length", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="runs at once")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke test: seed 0 only (unless --seeds is given), 3 epochs, 300 samples")
    parser.add_argument("--out", help="keep the runs here (default: a temporary folder)")
    args = parser.parse_args()
    if args.quick:
        args.epochs, args.samples = 3, 300
    seeds = args.seeds if args.seeds is not None else ([0] if args.quick else [0, 1, 2])
    n = args.length
    common = ["--epochs", str(args.epochs), "--samples", str(args.samples), "--length", str(n)]
    groups = {"own": None, "trivial": f"trivial({n})", "S": f"S({n})"}

    jobs = {}
    for seed in seeds:
        for task in TASKS:
            for label, spec in groups.items():
                extra = ["--group", spec] if spec else []
                jobs[("single", task, label, seed)] = (f"{task}-{label}-{seed}",
                                                      ["--task", task, "--seed", str(seed), *extra])
        jobs[("multi", seed)] = (f"multi-{seed}", ["--tasks", ",".join(TASKS), "--seed", str(seed)])
        jobs[("transfer", seed)] = (f"transfer-{seed}", ["--pretrain", "cyclicsum,palindrome", "--finetune",
                                                         "intersect", "--seed", str(seed)])

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="asen-table-") as scratch:
        root = args.out or scratch
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {key: pool.submit(run_train, args.asen, root, name, extra, common)
                       for key, (name, extra) in jobs.items()}
            results = {key: future.result() for key, future in futures.items()}
    seconds = time.monotonic() - started

    def accuracy(answer, task):
        return answer["tasks"][task]["node_accuracy"]

    print(f"Mean per-node test accuracy over {len(seeds)} seed(s) ({', '.join(map(str, seeds))}); "
          f"{args.samples} sequences per task "
          f"({int(args.samples * 0.7)} for training), {args.epochs} epochs, n = {n}.\n")
    print("| task | its group | trivial(n) | S(n) |")
    print("|---|---|---|---|")
    for task in TASKS:
        row = [spread([accuracy(results[("single", task, label, s)], task) for s in seeds]) for label in groups]
        group = results[("single", task, "own", seeds[0])]["tasks"][task]["group"]
        print(f"| {task} ({group}) | " + " | ".join(row) + " |")

    print("\n| task | single-task | multi-task (3 tasks, one backbone) |")
    print("|---|---|---|")
    for task in TASKS:
        single = [accuracy(results[("single", task, "own", s)], task) for s in seeds]
        multi = [accuracy(results[("multi", s)], task) for s in seeds]
        print(f"| {task} | {spread(single)} | {spread(multi)} |")

    print("\n| intersect, 15% of its training data | finetuned after pretraining on cyclicsum, palindrome | "
          "from scratch |")
    print("|---|---|---|")
    finetuned = [accuracy(results[("transfer", s)]["finetune"], "intersect") for s in seeds]
    scratch_runs = [accuracy(results[("transfer", s)]["scratch"], "intersect") for s in seeds]
    print(f"| node accuracy | {spread(finetuned)} | {spread(scratch_runs)} |")
    print(f"\n{len(jobs)} runs in {seconds:.0f} s with {args.jobs} at once.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
