"""`asen train`, `asen eval` and `asen equivariance`: ASEN trained on the
synthetic tasks through the LibTorch plugin, with tiny budgets (a few seconds
per run): metrics.jsonl, checkpoints, model.pt, resuming, and the symmetry of
a trained model."""

import fcntl
import json
import os
import shutil
import subprocess
import time
import zipfile

import pytest

from conftest import TIMEOUT_S, asen_path, assert_error, assert_input_error, run, run_json, run_ok

# A tiny model and data set: enough to exercise every path, not to learn.
# Every nn command loads LibTorch (about 2 s here), so the tests share runs.
TINY = {"--samples": "60", "--epochs": "2", "--hidden": "16", "--heads": "2", "--layers": "2",
        "--batch": "16", "--threads": "1"}


def tiny(**changes):
    """TINY with some options changed (epochs=1 sets --epochs 1), as arguments."""
    options = dict(TINY, **{"--" + k.replace("_", "-"): str(v) for k, v in changes.items()})
    return [*(x for pair in options.items() for x in pair), "--no-progress"]
METRIC_KEYS = ["task", "epoch", "split", "loss", "node_accuracy", "exact_match", "seconds"]


@pytest.fixture(scope="module", autouse=True)
def needs_the_nn_plugin():
    probe = run("train", "--task", "cyclicsum", "--samples", "0")  # refused before the plugin loads
    assert probe.returncode == 2
    probe = run("eval", "/nonexistent/model.pt")
    if probe.returncode != 0 and "built without" in probe.stderr:
        pytest.skip("this asen was built without LibTorch (ASEN_BUILD_NN=OFF)")
    assert_input_error(probe, "the model file /nonexistent/model.pt does not exist")


def train(out, *args, **changes):
    return run_json("train", *tiny(**changes), "--out", str(out), *args)


def metric_lines(folder):
    text = (folder / "metrics.jsonl").read_text()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture(scope="module")
def dihedral_run(tmp_path_factory):
    """cyclicsum (labels equivariant to D(10)) trained for 2 epochs."""
    out = tmp_path_factory.mktemp("cyclicsum")
    return out, train(out, "--task", "cyclicsum")


def test_single_task_writes_a_metrics_line_per_epoch_and_split_and_the_model(dihedral_run):
    out, answer = dihedral_run
    assert list(answer) == ["out", "tasks", "epochs", "resumed_from", "seconds"]
    assert (answer["out"], answer["epochs"], answer["resumed_from"]) == (str(out), 2, 0)
    assert list(answer["tasks"]) == ["cyclicsum"]
    final = answer["tasks"]["cyclicsum"]
    assert final["group"] == "D(10)"
    lines = metric_lines(out)
    assert [sorted(m) for m in lines] == [sorted(METRIC_KEYS)] * 6  # the nn library writes keys sorted
    assert [(m["task"], m["epoch"], m["split"]) for m in lines] == [
        ("cyclicsum", e, s) for e in (1, 2) for s in ("train", "val", "test")]
    for m in lines:
        assert 0 <= m["node_accuracy"] <= 1 and 0 <= m["exact_match"] <= m["node_accuracy"] + 1e-12
        assert m["loss"] > 0 and m["seconds"] > 0
    assert lines[0]["seconds"] <= lines[3]["seconds"]
    # The answer is the test split after the last epoch, as in the file.
    last_test = lines[-1]
    for key in ("loss", "node_accuracy", "exact_match"):
        assert final[key] == pytest.approx(last_test[key], abs=1e-9)
    assert (out / "model.pt").stat().st_size > 0 and (out / "checkpoint.pt").stat().st_size > 0
    assert [p.name for p in out.iterdir() if ".tmp." in p.name] == []


def test_text_output_eval_seed_and_a_model_equivariant_to_everything(tmp_path):
    # With S(10)'s breaking input the model is equivariant to every permutation.
    text = run_ok("train", *tiny(epochs=1, seed=1000000007), "--task", "cyclicsum", "--group", "S(10)",
                  "--out", str(tmp_path))
    lines = text.splitlines()
    assert lines[0].split() == ["task", "group", "loss", "node_accuracy", "exact_match"]
    assert lines[1].split()[:2] == ["cyclicsum", "S(10)"]
    assert lines[2].startswith("1 epoch in ") and str(tmp_path) in lines[2]
    report = run_json("equivariance", str(tmp_path / "model.pt"), "--random", "4")
    assert (report["group_order"], report["closure_order"]) == ("3628800", "3628800")
    assert report["outside_max_error"] is None and report["inside_max_error"] <= 1e-5
    # The default test data seed is never the training seed.
    assert run_json("eval", str(tmp_path / "model.pt"), "--samples", "20")["seed"] == 1000000008


def test_zero_epochs_writes_the_initial_model_with_its_test_metrics(tmp_path):
    answer = train(tmp_path, "--task", "intersect", epochs=0)
    assert (answer["epochs"], answer["resumed_from"]) == (0, 0)
    test = answer["tasks"]["intersect"]
    assert test["group"] == "wreath(S(5),S(2))" and 0.0 <= test["node_accuracy"] <= 1.0
    assert (tmp_path / "metrics.jsonl").read_text() == "" and not (tmp_path / "checkpoint.pt").exists()
    # The untrained model is already exactly as symmetric as its group.
    report = run_json("equivariance", str(tmp_path / "model.pt"), "--random", "3")
    assert report["group_order"] == "28800" and report["inside_max_error"] <= 1e-5
    assert report["outside_max_error"] > 1e-3
    text = run_ok("train", *tiny(epochs=0), "--task", "intersect", "--out", str(tmp_path))
    assert "0 epochs in " in text and "model.pt (untrained)" in text and "checkpoint" not in text


def test_a_group_on_fewer_points_than_the_sequences_is_noted_not_refused(tmp_path):
    result = run("train", *tiny(epochs=0), "--task", "palindrome", "--group", "D(8)", "--out", str(tmp_path), "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["tasks"]["palindrome"]["group"] == "D(8)"
    assert result.stderr == ("asen: note: the group 'D(8)' of task palindrome acts on 8 points and its sequences "
                             "have 10: the other 2 points are fixed (give a group on 10 points unless that is meant)\n")
    # a group on all 10 points: nothing said
    result = run("train", *tiny(epochs=0), "--task", "palindrome", "--group", "(1,10)(2,9)(3,8)(4,7)(5,6)",
                 "--out", str(tmp_path / "mirror"), "--json")
    assert result.returncode == 0 and result.stderr == ""


def test_multi_task_trains_every_task_on_its_own_group(tmp_path):
    answer = train(tmp_path, "--tasks", "palindrome,cyclicsum", "--groups", "cyclicsum=(1,2,3,4,5,6,7,8,9,10)")
    assert {t: m["group"] for t, m in answer["tasks"].items()} == {
        "palindrome": "mirror(10)", "cyclicsum": "(1,2,3,4,5,6,7,8,9,10)"}
    lines = metric_lines(tmp_path)
    assert len(lines) == 2 * 2 * 3
    assert {(m["task"], m["epoch"], m["split"]) for m in lines} == {
        (t, e, s) for t in ("palindrome", "cyclicsum") for e in (1, 2) for s in ("train", "val", "test")}
    # One line per structure (by name); mirror(10) and C(10) are both 2-closed.
    checked = run_ok("equivariance", str(tmp_path / "model.pt"), "--random", "2").splitlines()
    assert [line.split(" (")[0] for line in checked] == ["cyclicsum", "palindrome"]
    assert "|G| = 10, |G^(2)| = 10; inside max error " in checked[0]
    assert "|G| = 2, |G^(2)| = 2; inside max error " in checked[1]
    assert all(", 2-closed, outside G^(2) " in line for line in checked)


def test_transfer_pretrains_finetunes_and_compares_with_scratch(tmp_path):
    answer = train(tmp_path, "--pretrain", "palindrome,monotone", "--finetune", "cyclicsum",
                   "--finetune-fraction", "0.5", epochs=1)
    assert list(answer) == ["out", "pretrain", "finetune", "scratch", "seconds"]
    assert sorted(answer["pretrain"]["tasks"]) == ["monotone", "palindrome"]
    for phase in ("pretrain", "finetune", "scratch"):
        folder = tmp_path / phase
        assert answer[phase]["out"] == str(folder)
        assert (folder / "model.pt").exists()
        assert {m["epoch"] for m in metric_lines(folder)} == {1}
    assert list(answer["finetune"]["tasks"]) == list(answer["scratch"]["tasks"]) == ["cyclicsum"]
    # Finetuning and scratch see the same data; the finetuned model starts
    # from the pretrained backbone, so its training differs.
    finetune = [m for m in metric_lines(tmp_path / "finetune") if m["split"] == "test"]
    scratch = [m for m in metric_lines(tmp_path / "scratch") if m["split"] == "test"]
    assert finetune[0]["loss"] != scratch[0]["loss"]
    # The finetuned model holds the new task's structure only.
    structures = run_json("eval", str(tmp_path / "finetune" / "model.pt"), "--samples", "20")["structures"]
    assert list(structures) == ["cyclicsum"]


def test_eval_gives_the_same_metrics_for_the_model_and_its_last_checkpoint(dihedral_run):
    out, _ = dihedral_run
    model = run_json("eval", str(out / "model.pt"), "--samples", "50")
    checkpoint = run_json("eval", str(out / "checkpoint.pt"), "--samples", "50")
    assert list(model) == ["model", "samples", "seed", "structures"]
    assert (model["samples"], model["seed"]) == (50, 1000000007)
    assert model["structures"] == checkpoint["structures"]
    m = model["structures"]["cyclicsum"]
    assert list(m) == ["group", "loss", "node_accuracy", "exact_match", "includes_training_data"]
    assert m["group"] == "D(10)" and 0 <= m["node_accuracy"] <= 1 and m["loss"] > 0
    assert m["includes_training_data"] is False


def test_eval_on_the_training_seed_says_so(dihedral_run):
    out, _ = dihedral_run  # trained with seed 0
    answer = run_json("eval", str(out / "model.pt"), "--samples", "50", "--seed", "0")
    assert answer["seed"] == 0 and answer["structures"]["cyclicsum"]["includes_training_data"] is True
    text = run_ok("eval", str(out / "model.pt"), "--samples", "50", "--seed", "0")
    assert "seed 0: the training seed of cyclicsum, so they begin with the sequences it was trained on" in text
    assert "new sequences" in run_ok("eval", str(out / "model.pt"), "--samples", "50", "--seed", "5")


def test_a_dihedral_model_is_equivariant_inside_its_group_and_not_outside(dihedral_run):
    out, _ = dihedral_run
    report = run_json("equivariance", str(out / "model.pt"), "--random", "6")
    for key in ("inside_max_error", "outside_max_error", "group_order", "closure_order"):
        assert key in report
    assert report["structure"] == "cyclicsum" and report["group"] == "D(10)"
    assert (report["group_order"], report["closure_order"]) == ("20", "20")
    assert report["closure_max_error"] is None  # D(10) is 2-closed
    assert report["inside_max_error"] <= 1e-5
    assert report["outside_max_error"] > 1e-3
    assert report["inside_checks"] >= 6 and report["outside_checks"] >= 1


def test_a_killed_run_resumes_from_its_checkpoint_and_agrees_with_one_run(tmp_path):
    killed, straight = tmp_path / "killed", tmp_path / "straight"
    args = [*tiny(epochs=4, samples=400), "--task", "palindrome", "--json"]
    # Killed as soon as its first checkpoint is in place (written atomically).
    process = subprocess.Popen([asen_path(), "train", *args, "--out", str(killed)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + TIMEOUT_S
    while not (killed / "checkpoint.pt").exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    process.kill()
    process.wait()
    done = {m["epoch"] for m in metric_lines(killed) if m["split"] == "test"}
    assert 1 <= len(done) < 4, "the run was not stopped between epochs"
    resumed = run_json("train", *args[:-1], "--out", str(killed))
    assert resumed["resumed_from"] == max(done)
    lines = metric_lines(killed)
    assert [(m["epoch"], m["split"]) for m in lines] == [(e, s) for e in (1, 2, 3, 4) for s in ("train", "val", "test")]
    one_run = run_json("train", *args[:-1], "--out", str(straight))
    assert one_run["resumed_from"] == 0
    for key in ("loss", "node_accuracy", "exact_match"):
        assert resumed["tasks"]["palindrome"][key] == pytest.approx(one_run["tasks"]["palindrome"][key], abs=1e-6)
    # Started again, the finished run has nothing left to do.
    again = run_json("train", *args[:-1], "--out", str(killed))
    assert again["resumed_from"] == 4 and again["tasks"] == resumed["tasks"] and metric_lines(killed) == lines


def test_a_corrupt_checkpoint_is_a_clear_input_error(tmp_path):
    (tmp_path / "checkpoint.pt").write_bytes(b"this is not a checkpoint")
    result = run("train", *tiny(), "--task", "cyclicsum", "--out", str(tmp_path))
    assert_input_error(result, "checkpoint", "corrupt", str(tmp_path / "checkpoint.pt"))
    assert_input_error(run("equivariance", str(tmp_path / "checkpoint.pt")), "corrupt")
    assert not (tmp_path / "model.pt").exists()


def damage_a_tensor(path):
    """Flips one byte in the middle of the first tensor record of a torch zip file."""
    with zipfile.ZipFile(path) as z:
        info = next(i for i in z.infolist() if "/data/" in i.filename and i.file_size > 0)
    data = bytearray(path.read_bytes())
    name_length = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_length = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    at = info.header_offset + 30 + name_length + extra_length + info.file_size // 2
    data[at] ^= 0x40
    path.write_bytes(bytes(data))
    return info.filename


def test_damaged_tensor_bytes_are_found_by_their_checksum(dihedral_run, tmp_path):
    # LibTorch's reader does not check the zip CRCs: a flipped bit in a weight
    # would load as a valid, quietly different model.
    out, _ = dihedral_run
    model = tmp_path / "model.pt"
    model.write_bytes((out / "model.pt").read_bytes())
    record = damage_a_tensor(model)
    for command in ("eval", "equivariance", "discover"):
        assert_input_error(run(command, str(model)), "is corrupt", record, "CRC-32")
    (tmp_path / "checkpoint.pt").write_bytes((out / "checkpoint.pt").read_bytes())
    damage_a_tensor(tmp_path / "checkpoint.pt")
    assert_input_error(run("train", *tiny(), "--task", "cyclicsum", "--out", str(tmp_path)),
                       "the checkpoint", "is corrupt", "CRC-32", "remove it or use another output folder")


def test_eval_data_that_cannot_fit_is_refused(dihedral_run):
    out, _ = dihedral_run
    assert_input_error(run("eval", str(out / "model.pt"), "--samples", "1000000000"),
                       "1000000000 sequences of length 10 need 149.0 GiB", "of memory")


def test_a_checkpoint_of_other_settings_or_further_along_is_refused(dihedral_run, tmp_path):
    out, _ = dihedral_run
    (tmp_path / "checkpoint.pt").write_bytes((out / "checkpoint.pt").read_bytes())
    assert_input_error(run("train", *tiny(seed=3), "--task", "cyclicsum", "--out", str(tmp_path)),
                       "other settings", "seed: 0 in the checkpoint, 3 here")
    assert_input_error(run("train", *tiny(), "--task", "intersect", "--out", str(tmp_path)),
                       "tasks: cyclicsum in the checkpoint, intersect here")
    assert_input_error(run("train", *tiny(epochs=1), "--task", "cyclicsum", "--out", str(tmp_path)),
                       "already holds 2 epochs", "ask for 2 epochs", "only --lr-schedule constant runs can be extended")
    assert_input_error(run("train", *tiny(epochs=3), "--task", "cyclicsum", "--out", str(tmp_path)),
                       "epochs: 2 in the checkpoint, 3 here")


def test_a_resume_with_other_validation_or_test_splits_is_refused(tmp_path):
    # 101 sequences split 71/15/15 and 102 split 71/15/16: the same training
    # split, but test metrics that would disagree with the file's earlier lines
    assert train(tmp_path, "--task", "cyclicsum", samples=101, epochs=1)["epochs"] == 1
    assert_input_error(run("train", *tiny(samples=102, epochs=1), "--task", "cyclicsum", "--out", str(tmp_path)),
                       "test split: 15 samples in the checkpoint, 16 here")


def test_a_killed_writes_leftover_is_removed_and_a_tiny_split_keeps_its_line(tmp_path):
    (tmp_path / "checkpoint.pt.tmp.999999").write_bytes(b"half a checkpoint")
    (tmp_path / "notes.tmp.1").write_text("the user's")
    answer = train(tmp_path, "--task", "cyclicsum", samples=3)
    assert answer["epochs"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt", "metrics.jsonl", "model.pt", "notes.tmp.1"]
    lines = metric_lines(tmp_path)
    assert [(m["epoch"], m["split"]) for m in lines] == [(e, s) for e in (1, 2) for s in ("train", "val", "test")]
    empty = [m for m in lines if m["split"] == "val"]
    assert all(m["loss"] is None and m["node_accuracy"] is None and m["exact_match"] is None for m in empty)


def test_a_checkpoint_that_cannot_be_written_is_an_input_error_and_leaves_no_temporary(tmp_path):
    # A file size limit makes the write fail as a full disk does: LibTorch's
    # own writer reported it from a destructor, which ended the process.
    import resource
    import signal

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails (EFBIG) instead of a signal
        resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))

    result = subprocess.run([asen_path(), "train", *tiny(hidden=32, heads=4), "--task", "cyclicsum", "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=TIMEOUT_S, preexec_fn=limit_file_size)
    assert_input_error(result, f"cannot write {tmp_path / 'checkpoint.pt'}: File too large")
    assert not [p.name for p in tmp_path.iterdir() if ".tmp." in p.name]
    assert not (tmp_path / "model.pt").exists()


def test_an_output_file_name_taken_by_a_folder_is_an_input_error(tmp_path):
    for name in ("checkpoint.pt", "metrics.jsonl"):
        out = tmp_path / name.replace(".", "_")
        (out / name).mkdir(parents=True)
        assert_input_error(run("train", *tiny(), "--task", "cyclicsum", "--out", str(out)),
                           f"{out / name} is a folder, where training writes a file")


@pytest.mark.parametrize("args, fragments", [
    (["--layers", "1073741824", "--hidden", "16", "--heads", "16"], ["a backbone of 1073741824 layers", "more than this machine's memory"]),
    (["--hidden", "1073741824", "--heads", "1"], ["layers of width 1073741824", "more than this machine's memory"]),
    (["--threads", "100000"], ["threads, got 100000"]),
])
def test_model_sizes_and_thread_counts_that_cannot_work_are_refused_before_allocating(tmp_path, args, fragments):
    options = dict(zip(tiny()[0:-1:2], tiny()[1:-1:2]))
    for k in range(0, len(args), 2):
        options[args[k]] = args[k + 1]
    result = run("train", *(x for pair in options.items() for x in pair), "--no-progress", "--task", "cyclicsum",
                 "--out", str(tmp_path))
    assert_input_error(result, *fragments)


def test_too_many_random_elements_for_the_equivariance_check_are_refused(dihedral_run):
    out, _ = dihedral_run
    assert_input_error(run("equivariance", str(out / "model.pt"), "--random", "1073741824"),
                       "random elements must be in [0, 100000], got 1073741824")


def test_a_second_run_on_a_busy_output_folder_is_refused(tmp_path):
    # A run holds an exclusive flock on its output folder (as this test does):
    # another run there would interleave metrics lines and checkpoints.
    folder = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        assert_input_error(run("train", *tiny(), "--task", "palindrome", "--out", str(tmp_path)),
                           f"another training run is writing to the output folder {tmp_path}")
        assert list(tmp_path.iterdir()) == []
    finally:
        os.close(folder)
    assert train(tmp_path, "--task", "palindrome")["epochs"] == 2
    # and released when that run is over: the folder can be trained in again
    assert train(tmp_path, "--task", "palindrome")["resumed_from"] == 2


def test_a_constant_schedule_run_continues_with_more_epochs(tmp_path):
    def args(epochs):
        return ["train", *tiny(epochs=epochs), "--task", "cyclicsum", "--lr-schedule", "constant", "--out", str(tmp_path)]
    assert run_json(*args(2))["epochs"] == 2
    more = run_json(*args(3))
    assert more["resumed_from"] == 2 and more["epochs"] == 3
    assert max(m["epoch"] for m in metric_lines(tmp_path)) == 3
    assert_input_error(run(*args(2)), "already holds 3 epochs", "ask for at least 3 epochs")


@pytest.mark.parametrize("args, fragments", [
    (["--task", "nosuch"], ["unknown task 'nosuch'", "cyclicsum"]),
    (["--task", "cyclicsum", "--group", "D(x)"], ["group 'D(x)'", "cyclicsum"]),
    (["--task", "cyclicsum", "--group", "S(12)"], ["group 'S(12)'", "length 10"]),
    (["--pretrain", "cyclicsum", "--finetune", "cyclicsum"], ["both pretrained on and finetuned on"]),
    (["--tasks", "palindrome,palindrome"], ["given twice"]),
    (["--tasks", "palindrome,cyclicsum", "--groups", "monotone=S(10)"], ["monotone", "not trained here"]),
    (["--finetune", "cyclicsum"], ["--pretrain"]),
    ([], ["--task"]),
    (["--task", "cyclicsum", "--seed", "18446744073709551616"], ["above the largest value, 18446744073709551615"]),
    (["--task", "cyclicsum", "--length", "3"], ["task 'cyclicsum' needs a sequence length in [4,"]),
    # Sizes that cannot fit are refused before any data is drawn.
    (["--task", "cyclicsum", "--length", "1048576"], ["needs a breaking input of 1048576^2 arcs", "of memory"]),
    (["--task", "cyclicsum", "--group", ""], ["--group: the group spec is empty"]),
    (["--task", "cyclicsum", "--edge-init-scale", "1e300"], ["initial scale must be a number in [0, 1e6]"]),
    (["--task", "cyclicsum", "--epochs", "2"], ["--epochs is given 2 times; give it once (see 'asen train --help')"]),
])
def test_bad_training_arguments_are_input_errors(tmp_path, args, fragments):
    assert_input_error(run("train", *tiny(), "--out", str(tmp_path), *args), *fragments)
    assert not (tmp_path / "model.pt").exists()


def test_sizes_that_cannot_work_are_input_errors(tmp_path):
    result = run("train", *tiny(hidden=10, heads=4), "--task", "cyclicsum", "--out", str(tmp_path))
    assert_input_error(result, "--hidden 10 must be a multiple of --heads 4")
    result = run("train", *tiny(samples=1), "--task", "cyclicsum", "--out", str(tmp_path))
    assert_input_error(result, "--samples 1 leaves task 'cyclicsum' without training or test sequences")
    assert not (tmp_path / "metrics.jsonl").exists()


def test_a_diverging_run_stops_with_a_clear_error(tmp_path):
    result = run("train", *tiny(lr_tokens=1e30, lr_backbone=1e30), "--task", "intersect", "--out", str(tmp_path))
    assert_input_error(result, "training diverged", "task 'intersect'", "lower the learning rates")
    assert not (tmp_path / "model.pt").exists()


def test_default_folders_of_two_groups_that_read_alike_differ(tmp_path):
    # Dropping brackets and spaces and turning commas into '_' maps both to 1_23_4: a
    # hash of the name keeps them apart; a name without such a change has none.
    def default_out(group):
        result = subprocess.run([os.path.abspath(asen_path()), "train", *tiny(), "--task", "cyclicsum", "--group",
                                 group, "--json"], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)["out"]

    outs = [default_out(g) for g in ("(1,2)(3,4)", "(1,2) (3,4)", "trivial(10)")]
    assert outs[0].startswith("runs/cyclicsum-1_23_4-") and outs[1].startswith("runs/cyclicsum-1_23_4-")
    assert outs[0] != outs[1] and outs[2] == "runs/cyclicsum-trivial10-seed0"


def test_a_path_that_is_not_utf8_is_an_input_error(tmp_path):
    out = os.fsencode(str(tmp_path)) + b"/bad\xffname"
    result = subprocess.run([asen_path(), "train", *tiny(), "--task", "cyclicsum", "--out", out],
                            capture_output=True, timeout=TIMEOUT_S)
    assert result.returncode == 2, result
    assert b'the value given for "out"' in result.stderr and b"is not valid UTF-8" in result.stderr


def test_an_output_folder_that_cannot_be_made_is_an_input_error(tmp_path):
    (tmp_path / "afile").write_text("")
    for out in (tmp_path / "afile", tmp_path / "afile" / "below"):
        assert_input_error(run("train", *tiny(), "--task", "cyclicsum", "--out", str(out)),
                           f"cannot use the output folder {out}")


def test_extending_a_cosine_run_names_the_setting_that_differs(dihedral_run, tmp_path):
    out, _ = dihedral_run
    (tmp_path / "checkpoint.pt").write_bytes((out / "checkpoint.pt").read_bytes())
    assert_input_error(run("train", *tiny(epochs=3), "--task", "cyclicsum", "--out", str(tmp_path)),
                       "epochs: 2 in the checkpoint, 3 here", "cosine schedule")
    assert_input_error(run("train", *tiny(seed=3), "--task", "cyclicsum", "--out", str(tmp_path)),
                       "seed: 0 in the checkpoint, 3 here")


def test_equivariance_with_no_random_elements_does_not_claim_the_closure_is_symmetric(dihedral_run):
    out, _ = dihedral_run
    text = run_ok("equivariance", str(out / "model.pt"), "--random", "0")
    assert "nothing checked outside G^(2) (--random 0)" in text and "S_n" not in text
    report = run_json("equivariance", str(out / "model.pt"), "--random", "0")
    assert report["outside_max_error"] is None and report["outside_checks"] == 0 and report["degree"] == 10


def test_equivariance_refuses_an_unknown_structure(dihedral_run):
    out, _ = dihedral_run
    assert_input_error(run("equivariance", str(out / "model.pt"), "--structure", "palindrome"),
                       "no structure 'palindrome'", "cyclicsum")


def test_without_its_plugin_a_command_fails_with_a_clear_message(tmp_path):
    # A copy of the executable alone: the nn plugin is not beside it. That is
    # a broken installation, not bad input: exit status 1.
    lonely = tmp_path / "asen"
    shutil.copy(asen_path(), lonely)
    result = subprocess.run([str(lonely), "train", "--task", "cyclicsum", "--out", str(tmp_path / "run")],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert_error(result, 1, "cannot run 'asen train'", "libasen_nn_commands.so is missing")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["asen"]
