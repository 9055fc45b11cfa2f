#!/usr/bin/env python3
"""The paper's experiments: one driver, one JSON configuration file per experiment.

    PYTHONPATH=build/python /usr/bin/python3 examples/experiments/run.py \\
        examples/experiments/configs/figure4.json --jobs 2 [--quick] [--out DIR] [--no-check]

A configuration (see examples/experiments/README.md) lists the training runs
(tasks, groups, seeds, samples, epochs, settings of asen.nn.train), a `quick`
block that overrides the budget for a smoke test, the plots to draw and the
`expect` assertions on the direction of the results. Every run is trained
with asen.nn.train in this process (--jobs 1) or in worker processes, each
with one thread (--jobs N > 1); results do not depend on --jobs.

The output folder (default experiments-out/<config name>[-quick]) gets:
  metrics.jsonl      every epoch and split of every run (run, seed, phase, task, group, tags, metrics)
  summary.csv        one row per run, seed, phase and task: final test metrics, seconds
  expectations.json  each expectation with the measured values and whether it held
  *.png              the plots the configuration asks for
every file written to a temporary name and renamed.

Exit status: 0 when every expectation held (or --no-check), 1 when one failed,
2 for a bad configuration or command line (the message names file and key).
"""

import argparse
import concurrent.futures
import csv
import itertools
import json
import math
import multiprocessing
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from atomic_files import write_atomically  # noqa: E402  (examples/atomic_files.py)

# -- configuration ------------------------------------------------------------

TOP_KEYS = {"description", "defaults", "runs", "quick", "plots", "expect"}
BUDGET_KEYS = {"samples", "epochs", "seeds", "length", "train_fraction", "settings"}
RUN_KEYS = BUDGET_KEYS | {"name", "for", "tasks", "group", "groups", "pretrain", "finetune",
                          "finetune_fraction", "finetune_lr_scale", "tags", "embeddings"}
# The settings passed to asen.nn.train, with the values it (and `asen train`) accepts: (kind, low, high), where
# kind is "int" (an integer in [low, high]), "positive" (a finite number > 0), "nonnegative" (a finite number >= 0),
# "fraction" (a number in [0, 1)) or "choice" (one of the strings in low).
LARGEST_SIZE = 2**30  # asen train's bound on --batch, --hidden, --layers and --heads
SETTINGS = {
    "batch": ("int", 1, LARGEST_SIZE),                # sequences per optimiser step
    "lr_backbone": ("positive", None, None),          # Adam's rate of the backbone and heads
    "lr_edges": ("positive", None, None),             # ... of the colour embeddings
    "lr_tokens": ("positive", None, None),            # ... of the token embeddings
    "lr_schedule": ("choice", ("cosine", "constant"), None),
    "weight_decay": ("nonnegative", None, None),      # Adam's L2 penalty
    "clip_norm": ("nonnegative", None, None),         # gradient-norm clipping (0: none)
    "hidden": ("int", 1, LARGEST_SIZE),               # width of the backbone, a multiple of heads
    "layers": ("int", 1, LARGEST_SIZE),               # GATv2 blocks
    "heads": ("int", 1, LARGEST_SIZE),                # attention heads
    "dropout": ("fraction", None, None),              # in [0, 1)
    "attention_dropout": ("fraction", None, None),    # in [0, 1)
}
SETTING_KEYS = set(SETTINGS)
DEFAULT_BACKBONE = {"hidden": 128, "heads": 8}  # asen.nn.train's defaults, for the hidden / heads check
MAX_RUNS = 10000  # runs (before seeds) one configuration may expand to; a larger grid is refused up front
METRICS = {"loss": "lower", "node_accuracy": "higher", "exact_match": "higher"}
STATISTICS = {"final", "mean_over_epochs"}
PHASES = {"train", "pretrain", "finetune", "scratch"}
EMBEDDINGS = ("initial", "trained", "change")  # the colour embedding before, after training, and the difference
SUMMARY_FIELDS = ["experiment", "run", "seed", "phase", "task", "group", "samples", "train_fraction", "epochs",
                  "test_loss", "node_accuracy", "exact_match", "seconds"]
PLOT_KEYS = {
    "curves": {"kind", "file", "title", "runs", "label", "tasks", "splits", "metrics", "phase"},
    "bars": {"kind", "file", "title", "metric", "x", "series", "where", "tasks", "phase"},
    "heatmap": {"kind", "file", "title", "run", "task", "reference_pair", "seed"},
}
EXPECT_KEYS = {
    "compare": {"kind", "name", "metric", "statistic", "task", "split", "better", "worse", "margin", "quick",
                "full", "report_only"},
    "embedding": {"kind", "name", "run", "task", "reference_group", "of", "below", "quick", "full",
                  "report_only"},
}
SELECTOR_KEYS = {"runs", "phase", "task"}


class ConfigError(ValueError):
    """A configuration that cannot be run; the message names the file and the key."""


class Config:
    """A validated configuration: expanded runs, plots and expectations."""

    def __init__(self, path, quick, seeds=None):
        self.path = path
        self.quick = quick
        self.name = os.path.splitext(os.path.basename(path))[0]
        try:
            with open(path) as f:
                raw = json.load(f)
        except OSError as error:
            raise ConfigError(f"{path}: cannot read the configuration: {error.strerror}") from error
        except json.JSONDecodeError as error:
            raise ConfigError(f"{path}: not valid JSON: {error}") from error
        self.fail_if(not isinstance(raw, dict), "", "must be a JSON object")
        self.check_keys(raw, TOP_KEYS, "")
        self.fail_if("runs" not in raw, "runs", "is missing")
        self.description = raw.get("description", "")
        defaults = self.budget(raw.get("defaults", {}), "defaults")
        overrides = self.budget(raw.get("quick", {}), "quick")  # checked even when not used
        if not quick:
            overrides = {}
        if seeds is not None:
            overrides["seeds"] = seeds
        self.runs = []
        self.fail_if(not isinstance(raw["runs"], list) or not raw["runs"], "runs", "must be a non-empty list")
        for index, entry in enumerate(raw["runs"]):
            self.runs.extend(self.expand(entry, f"runs[{index}]", defaults, overrides))
        names = [r["name"] for r in self.runs]
        for name in names:
            self.fail_if(names.count(name) > 1, "runs", f"the run name '{name}' is used twice")
        self.by_name = {r["name"]: r for r in self.runs}
        self.tag_names = sorted({t for r in self.runs for t in r["tags"]})
        self.plots = [self.plot(p, f"plots[{i}]") for i, p in enumerate(self.list_of(raw, "plots"))]
        self.expect = [self.expectation(e, f"expect[{i}]") for i, e in enumerate(self.list_of(raw, "expect"))]

    # helpers for messages
    def fail_if(self, condition, key, message):
        if condition:
            where = f"{self.path}: {key}" if key else self.path
            raise ConfigError(f"{where}: {message}")

    def check_keys(self, entry, allowed, key):
        self.fail_if(not isinstance(entry, dict), key, "must be a JSON object")
        for k in entry:
            self.fail_if(k not in allowed, f"{key}.{k}" if key else k,
                         f"unknown key (expected one of {', '.join(sorted(allowed))})")

    def list_of(self, raw, key):
        value = raw.get(key, [])
        self.fail_if(not isinstance(value, list), key, "must be a list")
        return value

    def number(self, value, key, low, high, integer=False, low_open=False):
        ok = isinstance(value, int if integer else (int, float)) and not isinstance(value, bool)
        inside = ok and (low < value if low_open else low <= value) and value <= high
        self.fail_if(not inside, key, f"must be {'an integer' if integer else 'a number'} in "
                                      f"{'(' if low_open else '['}{low}, {high}], got {shown(value)}")
        return value

    def setting(self, value, key):
        """One value of `settings`, checked against what asen.nn.train accepts (SETTINGS)."""
        kind, low, high = SETTINGS[key.rsplit(".", 1)[1]]
        if kind == "int":
            return self.number(value, key, low, high, integer=True)
        if kind == "choice":
            self.fail_if(value not in low or not isinstance(value, str), key,
                         f"must be one of {', '.join(map(json.dumps, low))}, got {shown(value)}")
            return value
        number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        if kind == "positive":
            self.fail_if(not number or value <= 0, key, f"must be a positive number, got {shown(value)}")
        elif kind == "nonnegative":
            self.fail_if(not number or value < 0, key, f"must be a number >= 0, got {shown(value)}")
        else:
            self.fail_if(not number or not 0 <= value < 1, key, f"must be a number in [0, 1), got {shown(value)}")
        return value

    def budget(self, entry, key):
        self.check_keys(entry, BUDGET_KEYS, key)
        out = dict(entry)
        if "samples" in out:
            self.number(out["samples"], f"{key}.samples", 10, 10**7, integer=True)
        if "epochs" in out:
            self.number(out["epochs"], f"{key}.epochs", 0, 10**4, integer=True)
        if "length" in out:
            self.number(out["length"], f"{key}.length", 2, 1000, integer=True)
        if "train_fraction" in out:
            self.number(out["train_fraction"], f"{key}.train_fraction", 0.001, 1.0)
        if "seeds" in out:
            seeds = out["seeds"]
            self.fail_if(not isinstance(seeds, list) or not seeds, f"{key}.seeds", "must be a non-empty list")
            for i, s in enumerate(seeds):
                self.number(s, f"{key}.seeds[{i}]", 0, 2**31 - 1, integer=True)
        if "settings" in out:
            self.check_keys(out["settings"], SETTING_KEYS, f"{key}.settings")
            for name, value in out["settings"].items():
                self.setting(value, f"{key}.settings.{name}")
        return out

    def expand(self, entry, key, defaults, overrides):
        """One run entry, expanded over its `for` lists (cartesian product)."""
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            key = f"{key} ({entry['name']})"
        self.check_keys(entry, RUN_KEYS, key)
        loops = entry.get("for", {})
        self.check_keys(loops, set(loops), f"{key}.for")
        for var, values in loops.items():
            self.fail_if(not isinstance(values, list) or not values, f"{key}.for.{var}", "must be a non-empty list")
        # The size of the grid from the lengths of its lists, before any combination is made.
        size = math.prod(len(values) for values in loops.values())
        sizes = " x ".join(str(len(values)) for values in loops.values())
        self.fail_if(size > MAX_RUNS, f"{key}.for", f"the grid has {sizes} = {size} runs, more than the "
                     f"{MAX_RUNS} a configuration may have (use fewer or shorter lists)")
        self.fail_if(len(self.runs) + size > MAX_RUNS, f"{key}.for" if loops else key,
                     f"this entry's {size} run(s) after the {len(self.runs)} before it make more than the "
                     f"{MAX_RUNS} runs a configuration may have")
        body = {k: v for k, v in entry.items() if k != "for"}
        combos = [dict(zip(loops, values)) for values in itertools.product(*loops.values())] or [{}]
        return [self.run(substitute(body, combo, f"{self.path}: {key}"), key.split(" (")[0], defaults, overrides)
                for combo in combos]

    def run(self, entry, key, defaults, overrides):
        import asen
        import asen.nn

        self.fail_if(not isinstance(entry.get("name"), str) or not entry["name"], f"{key}.name",
                     "must be a non-empty string")
        key = f"{key} ({entry['name']})"
        budget = self.budget({k: v for k, v in entry.items() if k in BUDGET_KEYS}, key)
        run = {"samples": 1000, "epochs": 15, "seeds": [0], "length": 10, "train_fraction": 1.0}
        run.update({k: v for k, v in defaults.items() if k != "settings"})
        run.update({k: v for k, v in budget.items() if k != "settings"})
        run.update({k: v for k, v in overrides.items() if k != "settings"})
        run["settings"] = {**defaults.get("settings", {}), **budget.get("settings", {}),
                           **overrides.get("settings", {})}
        backbone = {**DEFAULT_BACKBONE, **run["settings"]}
        self.fail_if(backbone["hidden"] % backbone["heads"] != 0, f"{key}.settings",
                     f"hidden ({backbone['hidden']}) must be a multiple of heads ({backbone['heads']}) "
                     f"(asen.nn.train's defaults: hidden {DEFAULT_BACKBONE['hidden']}, heads {DEFAULT_BACKBONE['heads']})")
        run["name"] = entry["name"]
        run["tags"] = entry.get("tags", {})
        self.check_keys(run["tags"], set(run["tags"]), f"{key}.tags")
        for tag, value in run["tags"].items():
            self.fail_if(tag in SUMMARY_FIELDS, f"{key}.tags.{tag}", "a tag may not have the name of a summary column")
            self.fail_if(not isinstance(value, (str, int, float)) or isinstance(value, bool), f"{key}.tags.{tag}",
                         "must be a string or a number")
        run["embeddings"] = entry.get("embeddings", False)
        self.fail_if(not isinstance(run["embeddings"], bool), f"{key}.embeddings", "must be true or false")
        n = run["length"]
        known = {t["name"]: t for t in asen.nn.tasks(n)}

        def task_name(value, k):
            self.fail_if(not isinstance(value, str) or value not in known, k,
                         f"unknown task {value!r} (tasks at length {n}: {', '.join(sorted(known))})")
            return value

        transfer = "pretrain" in entry or "finetune" in entry
        if transfer:
            self.fail_if("tasks" in entry, f"{key}.tasks", "a transfer run takes pretrain and finetune, not tasks")
            self.fail_if("pretrain" not in entry or "finetune" not in entry, key,
                         "a transfer run needs both pretrain and finetune")
            pre = entry["pretrain"]
            self.fail_if(not isinstance(pre, list) or not pre, f"{key}.pretrain", "must be a non-empty list of tasks")
            run["pretrain"] = [task_name(t, f"{key}.pretrain[{i}]") for i, t in enumerate(pre)]
            run["finetune"] = task_name(entry["finetune"], f"{key}.finetune")
            self.fail_if(run["finetune"] in run["pretrain"], f"{key}.finetune", "is also a pretraining task")
            run["finetune_fraction"] = self.number(entry.get("finetune_fraction", 0.15),
                                                   f"{key}.finetune_fraction", 0.001, 1.0)
            run["finetune_lr_scale"] = self.number(entry.get("finetune_lr_scale", 0.1),
                                                   f"{key}.finetune_lr_scale", 0.0, 1000.0, low_open=True)
            tasks = run["pretrain"] + [run["finetune"]]
        else:
            for k in ("finetune_fraction", "finetune_lr_scale"):
                self.fail_if(k in entry, f"{key}.{k}", "is only for transfer runs (pretrain and finetune)")
            value = entry.get("tasks")
            value = [value] if isinstance(value, str) else value
            self.fail_if(not isinstance(value, list) or not value, f"{key}.tasks",
                         "must be a task name or a non-empty list of them")
            tasks = [task_name(t, f"{key}.tasks[{i}]") for i, t in enumerate(value)]
            for t in tasks:
                self.fail_if(tasks.count(t) > 1, f"{key}.tasks", f"the task '{t}' is listed twice")
            run["tasks"] = tasks
        self.fail_if(run["embeddings"] and transfer, f"{key}.embeddings", "is only for runs with tasks")
        for t in tasks:
            self.fail_if(known[t]["kind"] != "node-classification", f"{key}", f"task '{t}' is not a per-node task")
        group_for_all = entry.get("group", "own")
        groups = entry.get("groups", {})
        self.check_keys(groups, set(tasks), f"{key}.groups")
        run["groups"], run["group_labels"] = {}, {}
        for t in tasks:
            label = groups.get(t, group_for_all)
            where = f"{key}.groups.{t}" if t in groups else f"{key}.group"
            run["group_labels"][t] = label
            run["groups"][t] = self.group_spec(label, known[t]["group"], n, where)
        return run

    def group_spec(self, label, own, n, key):
        """'own', 'trivial', 'S' or a group spec on n points, checked by parsing it."""
        import asen

        self.fail_if(not isinstance(label, str) or not label, key, "must be a group spec string")
        spec = {"own": own, "trivial": f"trivial({n})", "S": f"S({n})"}.get(label, label)
        try:
            group = asen.Group.parse(spec, n)
        except ValueError as error:
            raise ConfigError(f"{self.path}: {key}: bad group spec {label!r}: {error}") from error
        self.fail_if(group.degree != n, key, f"the group {label!r} acts on {group.degree} points, the task on {n}")
        return spec

    def selector(self, value, key):
        """{'runs': name or [names], 'phase': ..., 'task': ...} or a run name."""
        if isinstance(value, str):
            value = {"runs": [value]}
        self.check_keys(value, SELECTOR_KEYS, key)
        runs = value.get("runs")
        runs = [runs] if isinstance(runs, str) else runs
        self.fail_if(not isinstance(runs, list) or not runs, f"{key}.runs", "must be a run name or a list of them")
        for i, r in enumerate(runs):
            self.fail_if(r not in self.by_name, f"{key}.runs[{i}]", f"no run is named {r!r}")
        phase = value.get("phase")
        self.fail_if(phase is not None and phase not in PHASES, f"{key}.phase",
                     f"must be one of {', '.join(sorted(PHASES))}")
        return {"runs": runs, "phase": phase, "task": value.get("task")}

    def plot(self, entry, key):
        self.fail_if(not isinstance(entry, dict) or entry.get("kind") not in PLOT_KEYS, f"{key}.kind",
                     f"must be one of {', '.join(PLOT_KEYS)}")
        self.check_keys(entry, PLOT_KEYS[entry["kind"]], key)
        file = entry.get("file")
        self.fail_if(not isinstance(file, str) or not file.endswith(".png") or os.sep in file, f"{key}.file",
                     "must be a file name ending in .png")
        phase = entry.get("phase")
        self.fail_if(phase is not None and phase not in PHASES, f"{key}.phase",
                     f"must be one of {', '.join(sorted(PHASES))}")
        if entry["kind"] == "curves":
            runs = entry.get("runs", [r["name"] for r in self.runs])
            for i, r in enumerate(runs):
                self.fail_if(r not in self.by_name, f"{key}.runs[{i}]", f"no run is named {r!r}")
            for m in entry.get("metrics", ["loss", "node_accuracy"]):
                self.fail_if(m not in METRICS, f"{key}.metrics", f"unknown metric {m!r}")
            for s in entry.get("splits", ["test"]):
                self.fail_if(s not in ("train", "val", "test"), f"{key}.splits", f"unknown split {s!r}")
        elif entry["kind"] == "bars":
            self.fail_if(entry.get("metric", "node_accuracy") not in METRICS, f"{key}.metric", "unknown metric")
            self.check_keys(entry.get("where", {}), set(SUMMARY_FIELDS) | set(self.tag_names), f"{key}.where")
            for k in ("x", "series"):
                self.fail_if(k not in entry, f"{key}.{k}", "is missing (a summary column or tag)")
                field = entry[k]
                self.fail_if(field not in SUMMARY_FIELDS and field not in self.tag_names, f"{key}.{k}",
                             f"unknown column or tag {field!r}")
        else:
            self.fail_if(entry.get("run") not in self.by_name, f"{key}.run", f"no run is named {entry.get('run')!r}")
            run = self.by_name[entry["run"]]
            self.fail_if(not run["embeddings"], f"{key}.run", "the run must have \"embeddings\": true")
            self.fail_if(entry.get("task") not in run["tasks"], f"{key}.task", "must be one of the run's tasks")
            pair = entry.get("reference_pair", [0, 1])
            n = run["length"]
            self.fail_if(not isinstance(pair, list) or len(pair) != 2 or
                         not all(isinstance(p, int) and 0 <= p < n for p in pair), f"{key}.reference_pair",
                         f"must be two points in [0, {n})")
        return entry

    def expectation(self, entry, key):
        self.fail_if(not isinstance(entry, dict) or entry.get("kind", "compare") not in EXPECT_KEYS, f"{key}.kind",
                     f"must be one of {', '.join(EXPECT_KEYS)}")
        kind = entry.get("kind", "compare")
        self.check_keys(entry, EXPECT_KEYS[kind], key)
        self.fail_if(not isinstance(entry.get("name"), str), f"{key}.name", "must be a string")
        out = dict(entry, kind=kind)
        for flag, default in (("quick", True), ("full", True), ("report_only", False)):
            out[flag] = entry.get(flag, default)
            self.fail_if(not isinstance(out[flag], bool), f"{key}.{flag}", "must be true or false")
        if kind == "compare":
            self.fail_if(entry.get("metric") not in METRICS, f"{key}.metric",
                         f"must be one of {', '.join(METRICS)}")
            out["statistic"] = entry.get("statistic", "final")
            self.fail_if(out["statistic"] not in STATISTICS, f"{key}.statistic",
                         f"must be one of {', '.join(sorted(STATISTICS))}")
            out["split"] = entry.get("split", "test")
            self.fail_if(out["split"] not in ("val", "test"), f"{key}.split", "must be val or test")
            out["margin"] = self.number(entry.get("margin", 0.0), f"{key}.margin", 0.0, 1e6)
            for side in ("better", "worse"):
                self.fail_if(side not in entry, f"{key}.{side}", "is missing")
                out[side] = self.selector(entry[side], f"{key}.{side}")
                if out[side]["task"] is None:
                    out[side]["task"] = entry.get("task")
        else:
            run = self.by_name.get(entry.get("run"))
            self.fail_if(run is None, f"{key}.run", f"no run is named {entry.get('run')!r}")
            self.fail_if(not run["embeddings"], f"{key}.run", "the run must have \"embeddings\": true")
            self.fail_if(entry.get("task") not in run["tasks"], f"{key}.task", "must be one of the run's tasks")
            out["reference_group"] = self.group_spec(entry.get("reference_group"), "", run["length"],
                                                     f"{key}.reference_group")
            out["below"] = self.number(entry.get("below"), f"{key}.below", 0.0, 1e6)
            out["of"] = entry.get("of", "change")
            self.fail_if(out["of"] not in EMBEDDINGS, f"{key}.of", f"must be one of {', '.join(EMBEDDINGS)}")
        return out


def shown(value):
    """A configuration value as JSON writes it (NaN, Infinity, "x"), for messages."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def substitute(value, combo, where):
    """Replaces {var} in strings; a string that is exactly "{var}" takes the value itself (numbers stay numbers)."""
    if isinstance(value, str):
        for var, v in combo.items():
            if value == "{" + var + "}":
                return v
        try:
            return value.format(**combo)
        except (KeyError, IndexError, ValueError) as error:
            raise ConfigError(f"{where}: cannot substitute into {value!r}: {error!r}") from error
    if isinstance(value, list):
        return [substitute(v, combo, where) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, combo, where) for k, v in value.items()}
    return value


# -- training (in this process or in a worker) ----------------------------------

def die_with_parent(parent):
    """Asks Linux to send this worker SIGTERM when the driver dies (killed with SIGKILL it has no chance to stop its
    workers, which would otherwise train on, unseen). Elsewhere, or without prctl, nothing happens."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the driver died before prctl took effect
        os._exit(1)


def worker_init(parent=None):
    if parent is not None:
        die_with_parent(parent)
    import torch

    torch.set_num_threads(1)


def pair_colors(model, task):
    """The n x n matrix of colour ids of the structure's breaking input (-1 where there is no arc)."""
    bi = model.breaking_input(task)
    n = bi["num_nodes"]
    colors = [[-1] * n for _ in range(n)]
    for (i, j), c in zip(bi["edge_index"].t().tolist(), bi["edge_attr"].tolist()):
        colors[i][j] = c
    return colors, bi["num_colors"]


def color_embedding(model, task, num_colors):
    """The structure's learned colour embedding, [num_colors, d], found in its state_dict by name and shape
    (edges_<task>.*, a matrix with one row per colour), so that it does not depend on how it is initialised."""
    state = model.state_dict()
    candidates = [k for k, v in state.items()
                  if v.dim() == 2 and v.shape[0] == num_colors and k.startswith(f"edges_{task}.")]
    if len(candidates) != 1:
        raise RuntimeError(f"cannot find the colour embedding of '{task}' in the model's state_dict "
                           f"(keys edges_{task}.* with {num_colors} rows: {candidates})")
    return state[candidates[0]].double().tolist()


def train_one(job):
    """Trains one run with one seed; returns plain data (history lines, final test metrics, seconds)."""
    import torch
    import asen.nn

    run, seed = job["run"], job["seed"]
    torch.manual_seed(seed)
    settings = dict(run["settings"], epochs=run["epochs"], seed=seed, threads=1, progress=False)
    common = dict(samples=run["samples"], length=run["length"], groups=run["groups"])
    started = time.perf_counter()
    phases = {}
    if "pretrain" in run:
        result = asen.nn.train(pretrain=run["pretrain"], finetune=run["finetune"],
                               finetune_fraction=run["finetune_fraction"],
                               finetune_lr_scale=run["finetune_lr_scale"],
                               train_fraction=run["train_fraction"], **common, **settings)
        for phase in ("pretrain", "finetune", "scratch"):
            phases[phase] = result[phase]
    else:
        phases["train"] = asen.nn.train(run["tasks"], train_fraction=run["train_fraction"], **common, **settings)
    out = {"name": run["name"], "seed": seed, "seconds": time.perf_counter() - started, "phases": {}}
    for phase, result in phases.items():
        out["phases"][phase] = {
            "history": [dict(line) for line in result["history"]],
            "test": {t: dict(m) for t, m in result["test"].items()},
        }
    if run["embeddings"]:
        torch.manual_seed(seed)
        initial = asen.nn.train(run["tasks"], train_fraction=run["train_fraction"], **common,
                                **dict(settings, epochs=0))["model"]
        trained = phases["train"]["model"]
        out["embeddings"] = {}
        for task in run["tasks"]:
            colors, k = pair_colors(trained, task)
            out["embeddings"][task] = {"colors": colors, "initial": color_embedding(initial, task, k),
                                       "trained": color_embedding(trained, task, k)}
    return out


def results_from_files(config, out):
    """The results of an earlier run of this configuration, read back from its metrics.jsonl and
    embeddings.json (for --replot)."""
    path = os.path.join(out, "metrics.jsonl")
    try:
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.strip()]
    except (OSError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the metrics of an earlier run: {error}") from error
    embeddings = {}
    if any(r["embeddings"] for r in config.runs):
        path = os.path.join(out, "embeddings.json")
        try:
            with open(path) as f:
                for entry in json.load(f):
                    embeddings.setdefault((entry["run"], entry["seed"]), {})[entry["task"]] = {
                        k: entry[k] for k in ("colors", "initial", "trained")}
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise ConfigError(f"{path}: cannot read the embeddings of an earlier run: {error}") from error
    results = []
    for run in config.runs:
        for seed in run["seeds"]:
            mine = [l for l in lines if l["run"] == run["name"] and l["seed"] == seed]
            if not mine:
                raise ConfigError(f"{out}: metrics.jsonl has no lines of run {run['name']!r} with seed {seed}; "
                                  "was it made with this configuration and budget?")
            result = {"name": run["name"], "seed": seed, "seconds": float("nan"), "phases": {}}
            for line in mine:
                phase = result["phases"].setdefault(line["phase"], {"history": [], "test": {}})
                phase["history"].append({k: line[k] for k in ("task", "epoch", "split", "loss", "node_accuracy",
                                                              "exact_match", "seconds")})
                if line["split"] == "test":  # the last epoch's test line is the final test metrics
                    last = phase["test"].get(line["task"])
                    if last is None or line["epoch"] >= last["epoch"]:
                        phase["test"][line["task"]] = phase["history"][-1]
            if run["embeddings"]:
                if (run["name"], seed) not in embeddings:
                    raise ConfigError(f"{out}: embeddings.json has no embeddings of run {run['name']!r}, seed {seed}")
                result["embeddings"] = embeddings[(run["name"], seed)]
            results.append(result)
    return results


def train_all(config, jobs):
    todo = [{"run": run, "seed": seed} for run in config.runs for seed in run["seeds"]]

    def progress(done, result):
        print(f"  [{done}/{len(todo)}] {result['name']} seed {result['seed']}: {result['seconds']:.1f} s", flush=True)

    if jobs <= 1:
        worker_init()
        results = []
        for job in todo:
            results.append(train_one(job))
            progress(len(results), results[-1])
        return results
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked torch thread pools
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                                                initializer=worker_init, initargs=(os.getpid(),)) as pool:
        futures = [pool.submit(train_one, job) for job in todo]
        for done, future in enumerate(concurrent.futures.as_completed(futures), 1):
            progress(done, future.result())
        return [future.result() for future in futures]  # in the configuration's order, whatever finished first


# -- outputs ---------------------------------------------------------------------

def phase_tasks(run, phase):
    if phase == "pretrain":
        return run["pretrain"]
    if phase in ("finetune", "scratch"):
        return [run["finetune"]]
    return run["tasks"]


def phase_fraction(run, phase):
    return run["finetune_fraction"] if phase in ("finetune", "scratch") else run["train_fraction"]


def tables(config, results):
    """metrics.jsonl lines and summary.csv rows from the results."""
    lines, rows = [], []
    for result in results:
        run = config.by_name[result["name"]]
        for phase, data in result["phases"].items():
            epoch_seconds = {}  # the history's seconds are cumulative: the run's time is the last epoch's
            for line in data["history"]:
                epoch_seconds[line["epoch"]] = line["seconds"]
                lines.append({"experiment": config.name, "run": run["name"], "seed": result["seed"], "phase": phase,
                              "task": line["task"], "group": run["groups"][line["task"]],
                              "group_label": run["group_labels"][line["task"]], "tags": run["tags"],
                              "epoch": line["epoch"], "split": line["split"], "loss": line["loss"],
                              "node_accuracy": line["node_accuracy"], "exact_match": line["exact_match"],
                              "seconds": line["seconds"]})
            for task in phase_tasks(run, phase):
                test = data["test"][task]
                rows.append({"experiment": config.name, "run": run["name"], "seed": result["seed"], "phase": phase,
                             "task": task, "group": run["groups"][task], "samples": run["samples"],
                             "train_fraction": phase_fraction(run, phase), "epochs": run["epochs"],
                             "test_loss": test["loss"], "node_accuracy": test["node_accuracy"],
                             "exact_match": test["exact_match"], "seconds": round(max(epoch_seconds.values(), default=0.0), 3),
                             **{t: run["tags"].get(t, "") for t in config.tag_names}})
    return lines, rows


def curve_values(lines, run, phase, task, split, metric, statistic):
    """Per seed: the final value of the metric, or its mean over the epochs >= 1."""
    per_seed = {}
    for line in lines:
        if (line["run"], line["task"], line["split"]) == (run, task, split) and (phase is None or line["phase"] == phase):
            if line["epoch"] >= 1:
                per_seed.setdefault(line["seed"], []).append((line["epoch"], line[metric]))
    out = {}
    for seed in sorted(per_seed):
        points = sorted(per_seed[seed])
        out[seed] = points[-1][1] if statistic == "final" else statistics.fmean(v for _, v in points)
    return out


def selector_value(config, lines, selector, metric, statistic, split):
    """The mean over the selected runs, their tasks (or the given task) and seeds; the per-seed means too."""
    per_seed = {}
    for name in selector["runs"]:
        run = config.by_name[name]
        phases = [selector["phase"]] if selector["phase"] else (["train"] if "tasks" in run else ["finetune"])
        for phase in phases:
            tasks = [selector["task"]] if selector["task"] else phase_tasks(run, phase)
            for task in tasks:
                values = curve_values(lines, name, phase, task, split, metric, statistic)
                if not values:
                    raise ConfigError(f"{config.path}: no {split} metrics for run {name!r}, phase {phase}, "
                                      f"task {task!r}")
                for seed, v in values.items():
                    per_seed.setdefault(seed, []).append(v)
    seeds = {s: statistics.fmean(v) for s, v in sorted(per_seed.items())}
    return statistics.fmean(seeds.values()), seeds


def embedding_of(data, which):
    """The initial or trained colour embedding, or what training changed (trained - initial)."""
    if which == "change":
        return [[t - i for t, i in zip(rt, ri)] for rt, ri in zip(data["trained"], data["initial"])]
    return data[which]


def distances(embedding):
    k = len(embedding)
    return [[math.dist(embedding[a], embedding[b]) for b in range(k)] for a in range(k)]


def merge_ratio(colors, embedding, reference_colors):
    """Mean distance between colour embeddings whose pairs the reference group puts in one orbital, over the
    mean distance between those it keeps apart (below 1: the embedding has learned the larger group)."""
    n = len(colors)
    reference = {}
    for i in range(n):
        for j in range(n):
            if colors[i][j] >= 0:
                reference.setdefault(colors[i][j], reference_colors[i][j])
    d = distances(embedding)
    same, different = [], []
    for a in range(len(embedding)):
        for b in range(a + 1, len(embedding)):
            (same if reference[a] == reference[b] else different).append(d[a][b])
    if not same or not different:
        return float("nan")
    spread = statistics.fmean(different)
    return statistics.fmean(same) / spread if spread > 0 else float("nan")


def gap_words(gap, margin):
    """The gap and the margin it needed, in words that do not call a tie a win: with margin 0 the expectation
    holds when `better` is at least as good as `worse`, so a tie holds, and is called a tie."""
    if gap == 0:
        shown_gap = "gap 0: a tie"
    elif abs(gap) < 0.00005:  # +0.0000 at 4 decimals
        shown_gap = f"gap {gap:+.1e}: a tie to 4 decimals"
    else:
        shown_gap = f"gap {gap:+.4f}"
    needed = "needed >= 0, i.e. at least as good" if margin == 0 else f"needed >= {margin}"
    return f"{shown_gap}; {needed}"


def check_expectations(config, lines, results):
    import asen

    report = []
    for e in config.expect:
        if not e["quick" if config.quick else "full"]:
            only = "full" if config.quick else "quick"
            report.append({"name": e["name"], "kind": e["kind"], "held": None, "status": "skipped",
                           "text": f"{e['name']}: checked at the {only} budget only"})
            continue
        if e["kind"] == "compare":
            better, better_seeds = selector_value(config, lines, e["better"], e["metric"], e["statistic"], e["split"])
            worse, worse_seeds = selector_value(config, lines, e["worse"], e["metric"], e["statistic"], e["split"])
            gap = worse - better if METRICS[e["metric"]] == "lower" else better - worse
            held = gap >= e["margin"]
            text = (f"{e['name']}: {e['statistic']} {e['split']} {e['metric']} {better:.4f} vs {worse:.4f} "
                    f"({gap_words(gap, e['margin'])})")
            report.append({"name": e["name"], "kind": "compare", "held": held, "better": better, "worse": worse,
                           "gap": gap, "margin": e["margin"], "better_per_seed": better_seeds,
                           "worse_per_seed": worse_seeds, "text": text})
        else:
            reference = asen.orbitals(asen.Group.parse(e["reference_group"])).colors.tolist()
            ratios = {which: [] for which in EMBEDDINGS}
            for r in results:
                if r["name"] == e["run"]:
                    data = r["embeddings"][e["task"]]
                    for which in EMBEDDINGS:
                        ratios[which].append(merge_ratio(data["colors"], embedding_of(data, which), reference))
            value = statistics.fmean(ratios[e["of"]])
            held = value < e["below"]
            others = ", ".join(f"{w} {statistics.fmean(ratios[w]):.3f}" for w in EMBEDDINGS if w != e["of"])
            text = (f"{e['name']}: distance ratio (merged / separated by {e['reference_group']}) of the colour "
                    f"embedding's {e['of']} {value:.3f} ({others}), needed < {e['below']}")
            report.append({"name": e["name"], "kind": "embedding", "held": held, "of": e["of"], "ratio": value,
                           "ratio_per_seed": {w: ratios[w] for w in EMBEDDINGS}, "below": e["below"],
                           "text": text})
    for entry, e in zip(report, config.expect):
        entry["report_only"] = e["report_only"]
        if "status" not in entry:
            entry["status"] = "held" if entry["held"] else ("reported" if e["report_only"] else "FAILED")
    return report


# -- plots -----------------------------------------------------------------------

def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, out, file):
    write_atomically(os.path.join(out, file), lambda p: figure.savefig(p, format="png", dpi=110))
    pyplot().close(figure)


def mean_curve(lines, run, phase, task, split, metric):
    """Epochs and the mean over seeds of a metric per epoch."""
    values = {}
    for line in lines:
        if (line["run"], line["task"], line["split"]) == (run, task, split) and (phase is None or line["phase"] == phase):
            values.setdefault(line["epoch"], []).append(line[metric])
    epochs = sorted(e for e in values if e >= 1)
    return epochs, [statistics.fmean(values[e]) for e in epochs]


def plot_curves(config, spec, lines, out):
    plt = pyplot()
    runs = [config.by_name[r] for r in spec.get("runs", [r["name"] for r in config.runs])]
    tasks = spec.get("tasks") or sorted({t for r in runs for t in phase_tasks(r, spec.get("phase", "train"))})
    metrics = spec.get("metrics", ["loss", "node_accuracy"])
    splits = spec.get("splits", ["test"])
    figure, axes = plt.subplots(len(tasks), len(metrics), figsize=(4.2 * len(metrics), 3.0 * len(tasks)),
                                squeeze=False)
    styles = {"test": "-", "val": "--", "train": ":"}
    for row, task in enumerate(tasks):
        for col, metric in enumerate(metrics):
            ax = axes[row][col]
            for index, run in enumerate(r for r in runs if task in phase_tasks(r, spec.get("phase", "train"))):
                label = str(run["tags"].get(spec["label"], run["name"])) if "label" in spec else run["name"]
                for split in splits:
                    epochs, values = mean_curve(lines, run["name"], spec.get("phase"), task, split, metric)
                    ax.plot(epochs, values, styles[split], color=f"C{index}",
                            label=f"{label} ({split})" if len(splits) > 1 else label)
            ax.set_title(f"{task}: {split_names(splits)} {metric.replace('_', ' ')}", fontsize=9)
            ax.set_xlabel("epoch")
            if metric == "loss":
                ax.set_yscale("log")
            ax.legend(fontsize=7)
    seeds = sorted({s for r in runs for s in r["seeds"]})
    figure.suptitle(spec.get("title", config.name) + f" (mean over {len(seeds)} seed(s))", fontsize=10)
    figure.tight_layout()
    save_figure(figure, out, spec["file"])


def split_names(splits):
    return "/".join(splits)


def plot_bars(config, spec, rows, out):
    plt = pyplot()
    metric = spec.get("metric", "node_accuracy")
    column = "test_loss" if metric == "loss" else metric
    def matches(value, wanted):  # "where" values: one value or a list of accepted values
        return any(str(value) == str(w) for w in (wanted if isinstance(wanted, list) else [wanted]))

    chosen = [r for r in rows if all(matches(r.get(k), v) for k, v in spec.get("where", {}).items())
              and (not spec.get("tasks") or r["task"] in spec["tasks"])
              and (not spec.get("phase") or r["phase"] == spec["phase"])]
    xs = sorted({r[spec["x"]] for r in chosen}, key=sort_key)
    series = sorted({r[spec["series"]] for r in chosen}, key=sort_key)
    figure, ax = plt.subplots(figsize=(max(5.0, 1.1 * len(xs) * max(1, len(series)) * 0.45 + 2), 3.6))
    width = 0.8 / max(1, len(series))
    for s_index, s in enumerate(series):
        means, errors = [], []
        for x in xs:
            # mean over the tasks of each seed, then mean and deviation over seeds
            per_seed = {}
            for r in chosen:
                if r[spec["x"]] == x and r[spec["series"]] == s:
                    per_seed.setdefault(r["seed"], []).append(float(r[column]))
            seed_means = [statistics.fmean(v) for v in per_seed.values()]
            means.append(statistics.fmean(seed_means) if seed_means else float("nan"))
            errors.append(statistics.pstdev(seed_means) if len(seed_means) > 1 else 0.0)
        positions = [i + (s_index - (len(series) - 1) / 2) * width for i in range(len(xs))]
        ax.bar(positions, means, width, yerr=errors, capsize=2, label=f"{spec['series']} = {s}", color=f"C{s_index}")
    ax.set_xticks(range(len(xs)))
    long = max((len(str(x)) for x in xs), default=0) > 12
    ax.set_xticklabels([str(x) for x in xs], fontsize=7 if long else 8, rotation=20 if long else 0,
                       ha="right" if long else "center")
    ax.set_xlabel(spec["x"])
    ax.set_ylabel(f"test {metric.replace('_', ' ')}")
    if metric != "loss":
        low = min((float(r[column]) for r in chosen), default=0.0)
        ax.set_ylim(max(0.0, low - 0.05), 1.0)
    ax.legend(fontsize=7)
    ax.set_title(spec.get("title", config.name), fontsize=10)
    figure.tight_layout()
    save_figure(figure, out, spec["file"])


def sort_key(value):
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, str(value))


def plot_heatmap(config, spec, results, out):
    plt = pyplot()
    run = config.by_name[spec["run"]]
    seed = spec.get("seed", run["seeds"][0])
    result = next((r for r in results if r["name"] == run["name"] and r["seed"] == seed), None)
    if result is None:
        raise ConfigError(f"{config.path}: plot {spec['file']}: run {run['name']!r} has no seed {seed}")
    data = result["embeddings"][spec["task"]]
    colors = data["colors"]
    n = len(colors)
    ri, rj = spec.get("reference_pair", [0, 1])
    figure, axes = plt.subplots(2, 3, figsize=(13, 8))
    for col, which in enumerate(EMBEDDINGS):
        d = distances(embedding_of(data, which))
        scale = max(max(row) for row in d) or 1.0
        grid = [[d[colors[i][j]][colors[ri][rj]] / scale if colors[i][j] >= 0 else float("nan") for j in range(n)]
                for i in range(n)]
        image = axes[0][col].imshow(grid, cmap="viridis", vmin=0, vmax=1)
        axes[0][col].set_title(f"{which}: distance to the colour of pair ({ri},{rj})", fontsize=9)
        axes[0][col].set_xlabel("j")
        axes[0][col].set_ylabel("i")
        axes[0][col].set_xticks(range(n))
        axes[0][col].set_yticks(range(n))
        figure.colorbar(image, ax=axes[0][col], fraction=0.046)
        image = axes[1][col].imshow([[v / scale for v in row] for row in d], cmap="viridis", vmin=0, vmax=1)
        axes[1][col].set_title(f"{which}: distances between the {len(d)} colours", fontsize=9)
        axes[1][col].set_xlabel("colour")
        axes[1][col].set_ylabel("colour")
        figure.colorbar(image, ax=axes[1][col], fraction=0.046)
    figure.suptitle(spec.get("title", f"{spec['task']} on {run['groups'][spec['task']]}") +
                    f" (seed {seed}; distances / their maximum)", fontsize=10)
    figure.tight_layout()
    save_figure(figure, out, spec["file"])


# -- main ------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", help="a configuration file (examples/experiments/configs/*.json)")
    parser.add_argument("--quick", action="store_true", help="the configuration's quick budget (a smoke test)")
    parser.add_argument("--out", help="output folder (default experiments-out/<config name>[-quick])")
    parser.add_argument("--jobs", type=int, default=1, help="training runs at once, each in its own process")
    parser.add_argument("--replot", action="store_true",
                        help="no training: redraw the plots, summary and expectations from the metrics.jsonl "
                             "(and embeddings.json) already in --out")
    parser.add_argument("--seeds", help="comma-separated seeds for every run instead of the configuration's")
    parser.add_argument("--no-check", action="store_true", help="report the expectations without failing on them")
    parser.epilog = ("An expectation with \"report_only\": true is measured and reported (status 'reported' when "
                     "it does not hold) but never fails; one with \"quick\": false (\"full\": false) is skipped at the quick "
                     "(full) budget.")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    try:
        seeds = None
        if args.seeds is not None:
            try:
                seeds = [int(s) for s in args.seeds.split(",")]
            except ValueError:
                parser.error(f"--seeds must be comma-separated integers, got {args.seeds!r}")
            if not all(0 <= s <= 2**31 - 1 for s in seeds):
                parser.error(f"--seeds must be integers in [0, {2**31 - 1}], got {args.seeds!r}")
        config = Config(args.config, args.quick, seeds)
    except ConfigError as error:
        print(f"run.py: error: {error}", file=sys.stderr)
        return 2
    out = args.out or os.path.join("experiments-out", config.name + ("-quick" if args.quick else ""))
    os.makedirs(out, exist_ok=True)
    count = sum(len(r["seeds"]) for r in config.runs)
    what = "redrawn from the files in " + out if args.replot else f"{args.jobs} at once"
    print(f"{config.name}: {len(config.runs)} runs, {count} trainings, {what}"
          f"{' (quick budget)' if args.quick else ''}", flush=True)

    started = time.perf_counter()
    try:
        results = results_from_files(config, out) if args.replot else train_all(config, args.jobs)
    except ConfigError as error:
        print(f"run.py: error: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    lines, rows = tables(config, results)

    def write_lines(path):
        with open(path, "w") as f:
            f.writelines(json.dumps(line) + "\n" for line in lines)

    def write_summary(path):
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=SUMMARY_FIELDS + config.tag_names)
            writer.writeheader()
            writer.writerows(rows)

    if not args.replot:  # a replot reads metrics.jsonl and leaves it as it is
        write_atomically(os.path.join(out, "metrics.jsonl"), write_lines)
    write_atomically(os.path.join(out, "summary.csv"), write_summary)
    learned = [dict(run=r["name"], seed=r["seed"], task=task, **data)
               for r in results for task, data in r.get("embeddings", {}).items()]
    if learned:
        write_atomically(os.path.join(out, "embeddings.json"),
                         lambda p: open(p, "w").write(json.dumps(learned) + "\n"))
    for spec in config.plots:
        if spec["kind"] == "curves":
            plot_curves(config, spec, lines, out)
        elif spec["kind"] == "bars":
            plot_bars(config, spec, rows, out)
        else:
            plot_heatmap(config, spec, results, out)
    try:
        report = check_expectations(config, lines, results)
    except ConfigError as error:
        print(f"run.py: error: {error}", file=sys.stderr)
        return 2
    summary = {"experiment": config.name, "quick": args.quick, "seconds": round(seconds, 1),
               "expectations": report, "passed": not any(e["status"] == "FAILED" for e in report)}
    write_atomically(os.path.join(out, "expectations.json"),
                     lambda p: open(p, "w").write(json.dumps(summary, indent=1) + "\n"))

    done = "redrawn" if args.replot else f"{count} trainings in {seconds:.1f} s"
    print(f"{done}; wrote {'' if args.replot else 'metrics.jsonl, '}summary.csv, "
          f"{'embeddings.json, ' if learned else ''}expectations.json"
          + "".join(f", {p['file']}" for p in config.plots) + f" in {out}")
    failed = [e for e in report if e["status"] == "FAILED"]
    for e in report:
        print(f"  {e['status']:8} {e['text']}")
    if failed and not args.no_check:
        print(f"run.py: error: {len(failed)} of {len(report)} expectations of {config.path} failed: "
              + "; ".join(e["name"] for e in failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
