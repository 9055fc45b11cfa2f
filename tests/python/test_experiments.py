"""examples/experiments/run.py: every configuration with its quick budget (outputs well-formed, expectations
held), and the driver's errors on bad configurations."""

import csv
import json
import os
import pathlib
import subprocess
import sys

import pytest

pytest.importorskip("asen.nn", reason="asen was built without the nn layer")

ROOT = pathlib.Path(__file__).resolve().parents[2]
DRIVER = ROOT / "examples" / "experiments" / "run.py"
CONFIGS = ROOT / "examples" / "experiments" / "configs"
NAMES = ["figure4", "underspecified", "multitask", "transfer"]
SUMMARY_COLUMNS = ["experiment", "run", "seed", "phase", "task", "group", "samples", "train_fraction", "epochs",
                   "test_loss", "node_accuracy", "exact_match", "seconds"]
LINE_KEYS = {"experiment", "run", "seed", "phase", "task", "group", "group_label", "tags", "epoch", "split", "loss",
             "node_accuracy", "exact_match", "seconds"}


def drive(*args, timeout=900):
    return subprocess.run([sys.executable, str(DRIVER), *map(str, args)], capture_output=True, text=True,
                          env=os.environ.copy(), check=False, timeout=timeout)


@pytest.fixture(scope="module", params=NAMES)
def quick(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    done = drive(CONFIGS / f"{request.param}.json", "--quick", "--jobs", "2", "--out", out)
    return request.param, out, done


def read_config(name):
    with open(CONFIGS / f"{name}.json") as f:
        return json.load(f)


def test_quick_budget_runs_and_its_expectations_hold(quick):
    name, out, done = quick
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "expectations.json").read_text())
    assert report["experiment"] == name and report["quick"] is True
    asserted = [e for e in report["expectations"] if e["status"] != "skipped" and not e["report_only"]]
    assert asserted, "every configuration asserts at least one direction at its quick budget"
    assert report["passed"] and all(e["held"] for e in asserted)
    for e in report["expectations"]:
        assert f"{e['status']:8} {e['text']}" in done.stdout


def test_summary_has_one_row_per_run_seed_phase_and_task(quick):
    name, out, done = quick
    assert done.returncode == 0, done.stderr
    with open(out / "summary.csv", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames[:len(SUMMARY_COLUMNS)] == SUMMARY_COLUMNS
    config = read_config(name)
    seeds = config["quick"].get("seeds", config["defaults"].get("seeds"))
    assert sorted({int(r["seed"]) for r in rows}) == sorted(seeds)
    for r in rows:
        assert r["experiment"] == name
        assert 0.0 <= float(r["node_accuracy"]) <= 1.0 and 0.0 <= float(r["exact_match"]) <= 1.0
        assert float(r["test_loss"]) >= 0.0 and float(r["seconds"]) > 0.0
        assert int(r["epochs"]) == config["quick"]["epochs"] and int(r["samples"]) == config["quick"]["samples"]
    keys = {(r["run"], r["seed"], r["phase"], r["task"]) for r in rows}
    assert len(keys) == len(rows)
    if name == "transfer":
        runs = {r["run"] for r in rows}
        for run in runs:
            phases = {r["phase"] for r in rows if r["run"] == run and r["seed"] == str(seeds[0])}
            assert phases == {"pretrain", "finetune", "scratch"}
            tuned = [r for r in rows if r["run"] == run and r["phase"] in ("finetune", "scratch")]
            assert all(float(r["train_fraction"]) == 0.15 for r in tuned)
    if name == "multitask":
        for k in (3, 4, 5, 6):
            for fraction in ("0.25", "0.5", "1.0"):
                tasks = [r for r in rows if r["run"] == f"multi{k}-f{fraction}"]
                assert len(tasks) == k * len(seeds) and all(r["k"] == str(k) for r in tasks)
                assert all(r["train_fraction"] == fraction for r in tasks)


def test_metrics_lines_cover_every_epoch_and_split(quick):
    name, out, done = quick
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert lines and all(set(line) == LINE_KEYS for line in lines)
    epochs = read_config(name)["quick"]["epochs"]
    with open(out / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        mine = [l for l in lines if (l["run"], str(l["seed"]), l["phase"], l["task"]) ==
                (r["run"], r["seed"], r["phase"], r["task"])]
        assert {(l["epoch"], l["split"]) for l in mine} >= {(e, s) for e in range(1, epochs + 1)
                                                             for s in ("train", "val", "test")}
        last = max((l for l in mine if l["split"] == "test"), key=lambda l: l["epoch"])
        assert last["loss"] == pytest.approx(float(r["test_loss"]))
        assert last["group"] == r["group"]


def test_plots_are_png_files(quick):
    name, out, done = quick
    assert done.returncode == 0, done.stderr
    files = [p["file"] for p in read_config(name)["plots"]]
    assert files or name == "transfer"
    for file in files:
        data = (out / file).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert not [p.name for p in out.iterdir() if p.name.startswith(".tmp-")]


def test_underspecified_run_keeps_the_colour_embeddings(quick):
    name, out, done = quick
    if name != "underspecified":
        pytest.skip("only the under-specified experiment records embeddings")
    assert done.returncode == 0, done.stderr
    entries = json.loads((out / "embeddings.json").read_text())
    entry = next(e for e in entries if e["run"] == "intersect-S5xS5")
    colors = entry["colors"]
    # S(5)xS(5) on 10 points has 6 orbitals on pairs: two diagonals, two within-half, two across
    assert len(colors) == 10 and sorted({c for row in colors for c in row}) == list(range(6))
    assert colors[0][1] == colors[3][4] != colors[5][6] and colors[0][5] != colors[5][0]
    assert len(entry["trained"]) == len(entry["initial"]) == 6
    assert entry["trained"] != entry["initial"]


def test_replot_redraws_the_same_summary_and_expectations(quick):
    name, out, done = quick
    if name not in ("underspecified", "figure4"):
        pytest.skip("one with and one without embeddings is enough")
    assert done.returncode == 0, done.stderr
    before = (out / "summary.csv").read_text()
    expected = json.loads((out / "expectations.json").read_text())["expectations"]
    (out / "summary.csv").unlink()
    again = drive(CONFIGS / f"{name}.json", "--quick", "--replot", "--out", out)
    assert again.returncode == 0, again.stderr
    assert (out / "summary.csv").read_text() == before
    redone = json.loads((out / "expectations.json").read_text())["expectations"]
    assert [(e["name"], e["held"], e["text"]) for e in redone] == [(e["name"], e["held"], e["text"]) for e in expected]


# -- a small configuration written by the tests ----------------------------------------------------------------

def tiny(**changes):
    config = {
        "description": "test",
        "defaults": {"samples": 40, "epochs": 1, "seeds": [0, 1], "settings": {"hidden": 16, "heads": 2, "layers": 1}},
        "runs": [{"for": {"g": ["own", "trivial"]}, "name": "cyc-{g}", "tasks": ["cyclicsum"], "group": "{g}",
                  "tags": {"label": "{g}"}}],
        "plots": [{"kind": "curves", "file": "c.png", "label": "label"}],
        "expect": [{"name": "own is as good as itself", "metric": "loss", "better": "cyc-own", "worse": "cyc-own",
                    "margin": 0.0}],
    }
    config.update(changes)
    return config


def write(tmp_path, config, name="exp.json"):
    path = tmp_path / name
    path.write_text(json.dumps(config) if not isinstance(config, str) else config)
    return path


@pytest.mark.parametrize("change, where, message", [
    ({"colour": 1}, "colour", "unknown key"),
    ({"runs": [{"name": "a", "tasks": ["cyclicsum"], "epochs_": 2}]}, "runs[0] (a).epochs_", "unknown key"),
    ({"runs": [{"name": "a", "tasks": ["cyclesum"]}]}, "runs[0] (a).tasks[0]", "unknown task 'cyclesum'"),
    ({"runs": [{"name": "a", "tasks": ["cyclicsum"], "group": "D(q)"}]}, "runs[0] (a).group", "bad group spec"),
    ({"runs": [{"name": "a", "tasks": ["cyclicsum"], "group": "S(12)"}]}, "runs[0] (a).group",
     "bad group spec 'S(12)'"),
    ({"runs": [{"name": "a", "tasks": ["cyclicsum"], "groups": {"intersect": "own"}}]}, "runs[0] (a).groups.intersect",
     "unknown key"),
    ({"defaults": {"settings": {"learning_rate": 0.1}}}, "defaults.settings.learning_rate", "unknown key"),
    ({"defaults": {"epochs": -1}}, "defaults.epochs", "must be an integer"),
    ({"quick": {"seeds": []}}, "quick.seeds", "non-empty list"),
    ({"expect": [{"name": "x", "metric": "loss", "better": "nope", "worse": "cyc-own"}]}, "expect[0].better.runs[0]",
     "no run is named 'nope'"),
    ({"expect": [{"name": "x", "metric": "acc", "better": "cyc-own", "worse": "cyc-own"}]}, "expect[0].metric",
     "must be one of"),
    ({"plots": [{"kind": "pie", "file": "p.png"}]}, "plots[0].kind", "must be one of"),
    ({"runs": [{"name": "a", "tasks": ["cyclicsum"]}, {"name": "a", "tasks": ["intersect"]}]}, "runs",
     "used twice"),
    ({"runs": [{"name": "a-{x}", "tasks": ["cyclicsum"]}]}, "runs[0] (a-{x})", "cannot substitute"),
    # settings: checked against what asen.nn.train accepts before any folder is made or any run starts
    ({"defaults": {"settings": {"lr_backbone": float("nan")}}}, "defaults.settings.lr_backbone",
     "must be a positive number, got NaN"),
    ({"defaults": {"settings": {"lr_backbone": -1}}}, "defaults.settings.lr_backbone",
     "must be a positive number, got -1"),
    ({"defaults": {"settings": {"hidden": "x"}}}, "defaults.settings.hidden", 'must be an integer in [1, 1073741824], got "x"'),
    ({"defaults": {"settings": {"layers": 2.0}}}, "defaults.settings.layers", "must be an integer"),
    ({"defaults": {"settings": {"batch": True}}}, "defaults.settings.batch", "must be an integer"),
    ({"defaults": {"settings": {"dropout": float("inf")}}}, "defaults.settings.dropout",
     "must be a number in [0, 1), got Infinity"),
    ({"defaults": {"settings": {"lr_schedule": "linear"}}}, "defaults.settings.lr_schedule",
     'must be one of "cosine", "constant", got "linear"'),
    ({"defaults": {"settings": {"weight_decay": -0.5}}}, "defaults.settings.weight_decay", "must be a number >= 0"),
    ({"quick": {"settings": {"attention_dropout": 1}}}, "quick.settings.attention_dropout",
     "must be a number in [0, 1), got 1"),
    ({"runs": [{"name": "a", "tasks": ["cyclicsum"], "settings": {"heads": 3}}]}, "runs[0] (a).settings",
     "hidden (16) must be a multiple of heads (3)"),
    ({"runs": [{"for": {"lr": [0.01, -1]}, "name": "a{lr}", "tasks": ["cyclicsum"], "settings": {"lr_edges": "{lr}"}}]},
     "runs[0] (a-1).settings.lr_edges", "must be a positive number, got -1"),
    ({"runs": [{"name": "a", "pretrain": ["cyclicsum"], "finetune": "intersect", "finetune_lr_scale": 0}]},
     "runs[0] (a).finetune_lr_scale", "must be a number in (0.0, 1000.0], got 0"),
    # a grid of 10^8 runs is refused from the lengths of its lists, without making the product
    ({"runs": [{"for": {f"v{i}": list(range(10)) for i in range(8)}, "name": "a" + "".join(f"{{v{i}}}" for i in range(8)),
                "tasks": ["cyclicsum"]}]}, "runs[0] (a{v0}{v1}{v2}{v3}{v4}{v5}{v6}{v7}).for",
     "the grid has 10 x 10 x 10 x 10 x 10 x 10 x 10 x 10 = 100000000 runs, more than the 10000"),
])
def test_bad_configuration_names_file_and_key(tmp_path, change, where, message):
    path = write(tmp_path, tiny(**change))
    done = drive(path, "--out", tmp_path / "out", timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"run.py: error: {path}: {where}: "), done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists(), "refused before the output folder is made"


def test_bad_seeds_on_the_command_line(tmp_path):
    done = drive(write(tmp_path, tiny()), "--seeds=0,-1", "--out", tmp_path / "out", timeout=120)
    assert done.returncode == 2 and "--seeds must be integers in [0, 2147483647]" in done.stderr
    assert not (tmp_path / "out").exists()


def test_unreadable_configurations(tmp_path):
    done = drive(tmp_path / "missing.json", timeout=120)
    assert done.returncode == 2 and "cannot read the configuration" in done.stderr
    done = drive(write(tmp_path, "{\"runs\": [", "broken.json"), timeout=120)
    assert done.returncode == 2 and "broken.json: not valid JSON" in done.stderr


def test_failed_expectation_exits_1_and_no_check_only_reports(tmp_path):
    impossible = [{"name": "own wins by 50", "metric": "node_accuracy", "better": "cyc-own", "worse": "cyc-trivial",
                   "margin": 50}]
    path = write(tmp_path, tiny(expect=impossible))
    done = drive(path, "--out", tmp_path / "a", timeout=300)
    assert done.returncode == 1
    assert "FAILED   own wins by 50" in done.stdout and "1 of 1 expectations" in done.stderr
    assert not json.loads((tmp_path / "a" / "expectations.json").read_text())["passed"]
    done = drive(path, "--out", tmp_path / "b", "--no-check", timeout=300)
    assert done.returncode == 0 and "FAILED   own wins by 50" in done.stdout


def test_results_depend_on_the_seeds_only_not_on_jobs(tmp_path):
    path = write(tmp_path, tiny())
    one = drive(path, "--out", tmp_path / "one", "--jobs", "1", timeout=300)
    two = drive(path, "--out", tmp_path / "two", "--jobs", "2", timeout=300)
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr

    def metrics(folder):
        lines = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
        return [{k: v for k, v in line.items() if k != "seconds"} for line in lines]

    first, second = metrics(tmp_path / "one"), metrics(tmp_path / "two")
    assert first == second
    # the expectation compares cyc-own with itself: margin 0 holds for a tie, and the report calls it a tie
    assert "held     own is as good as itself: final test loss" in one.stdout
    assert "(gap 0: a tie; needed >= 0, i.e. at least as good)" in one.stdout
    by_seed = {s: [l["loss"] for l in first if l["seed"] == s] for s in (0, 1)}
    assert by_seed[0] != by_seed[1]


def test_report_only_and_full_budget_only_expectations(tmp_path):
    expect = [{"name": "reported only", "metric": "loss", "better": "cyc-own", "worse": "cyc-trivial", "margin": 50,
               "report_only": True},
              {"name": "full budget only", "metric": "loss", "better": "cyc-own", "worse": "cyc-trivial", "margin": 50,
               "quick": False}]
    path = write(tmp_path, tiny(expect=expect, quick={"samples": 30, "seeds": [3]}))
    done = drive(path, "--quick", "--out", tmp_path / "q", timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "q" / "expectations.json").read_text())
    assert [e["status"] for e in report["expectations"]] == ["reported", "skipped"] and report["passed"]
    with open(tmp_path / "q" / "summary.csv", newline="") as f:
        assert {(r["seed"], r["samples"]) for r in csv.DictReader(f)} == {("3", "30")}
    done = drive(path, "--out", tmp_path / "full", timeout=300)
    assert done.returncode == 1 and "1 of 2 expectations" in done.stderr and "full budget only" in done.stderr


def children_of(pid):
    """The pids whose parent is `pid` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = pathlib.Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def command_line(pid):
    try:
        return pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def alive(pid):
    try:
        state = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signals are Linux's")
def test_workers_stop_when_the_driver_is_killed(tmp_path):
    import signal
    import time

    # Long enough that the workers are still training when the driver dies.
    path = write(tmp_path, tiny(defaults={"samples": 400, "epochs": 50, "seeds": [0, 1],
                                          "settings": {"hidden": 16, "heads": 2, "layers": 1}}))
    driver = subprocess.Popen([sys.executable, str(DRIVER), str(path), "--jobs", "2", "--out", str(tmp_path / "o")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers = []
        while time.monotonic() < deadline:
            # Both pool workers (the resource tracker is a child too).
            workers = [p for p in children_of(driver.pid) if "resource_tracker" not in command_line(p)]
            if len(workers) >= 2:
                break
            time.sleep(0.2)
        assert len(workers) >= 2, "the driver started no workers"
        time.sleep(3)  # the workers are past their start-up and training
        assert all(alive(p) for p in workers)
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(alive(p) for p in workers):
            time.sleep(0.2)
        left = [p for p in workers if alive(p)]
    finally:
        if driver.poll() is None:
            driver.kill()
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, f"workers {left} outlived the killed driver"


# -- examples/paper_tasks_table.py: --seeds is a list of seeds, as for run.py ------------------------------------

TABLE = ROOT / "examples" / "paper_tasks_table.py"
FAKE_ASEN = '''
import json, sys
args = sys.argv[1:]
value = lambda flag: args[args.index(flag) + 1]
seed = int(value("--seed"))  # the answer's accuracy is seed / 10: the table shows which seeds ran
answer = lambda tasks: {"tasks": {t: {"group": "G", "node_accuracy": seed / 10} for t in tasks}}
if "--finetune" in args:
    print(json.dumps({"finetune": answer([value("--finetune")]), "scratch": answer([value("--finetune")])}))
else:
    print(json.dumps(answer(value("--tasks").split(",") if "--tasks" in args else [value("--task")])))
'''


@pytest.mark.parametrize("seeds, shown, accuracy", [("2,4", "2 seed(s) (2, 4)", "0.300 ± 0.100"),
                                                    ("3", "1 seed(s) (3)", "0.300 |")])
def test_paper_table_takes_a_list_of_seeds(tmp_path, seeds, shown, accuracy):
    fake = tmp_path / "asen"
    fake.write_text(f"#!{sys.executable}\n" + FAKE_ASEN)
    fake.chmod(0o755)
    done = subprocess.run([sys.executable, str(TABLE), "--asen", str(fake), "--quick", "--seeds", seeds, "--jobs", "2"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"over {shown};" in done.stdout
    assert f"| cyclicsum (G) | {accuracy}" in done.stdout
    runs = 11 * len(seeds.split(","))
    assert f"{runs} runs in" in done.stdout
    for bad in ("x", "1,1", "-1"):
        done = subprocess.run([sys.executable, str(TABLE), "--asen", str(fake), f"--seeds={bad}"], capture_output=True,
                              text=True, check=False, timeout=120)
        assert done.returncode == 2 and "--seeds" in done.stderr
