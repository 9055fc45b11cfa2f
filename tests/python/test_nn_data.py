"""asen.nn.train(data=DIR): a user's data folder from Python (the same loader
as `asen train --data`), and the node-regression kind it brings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch", reason="the Python nn layer needs torch (python3-torch)")
np = pytest.importorskip("numpy")

import asen  # noqa: E402

try:
    import asen.nn as ann  # noqa: E402
except ImportError as error:  # pragma: no cover - depends on the build
    pytest.skip(f"asen._nn was not built: {error}", allow_module_level=True)

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "skeleton_data.py"
TINY = dict(epochs=1, hidden=16, heads=2, layers=1, batch=32, threads=1)
MIRROR = [0, 4, 5, 6, 1, 2, 3, 7, 8, 9, 13, 14, 15, 10, 11, 12]


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory):
    folder = tmp_path_factory.mktemp("skeleton") / "data"
    subprocess.run([sys.executable, str(SCRIPT), str(folder), "--samples", "40"], check=True, capture_output=True)
    return folder


def test_train_on_a_data_folder_returns_what_it_read_and_a_model(skeleton, tmp_path):
    result = ann.train(data=skeleton, out=tmp_path, **TINY)
    assert result["data"]["kind"] == "node-regression"
    # The keys of the CLI's "data" (train --data --json), with name and group.
    assert set(result["data"]) == {"dir", "name", "group", "samples", "train", "val", "test", "nodes", "features",
                                   "vocab", "kind", "out_dim", "mode", "base_edges"}
    assert (result["data"]["samples"], result["data"]["vocab"]) == (40, None)
    assert (result["data"]["train"], result["data"]["val"], result["data"]["test"]) == (28, 6, 6)
    assert result["data"]["group"] == "(2,5)(3,6)(4,7)(11,14)(12,15)(13,16)"
    assert result["test"]["skeleton16"]["mae"] > 0
    model = result["model"]
    assert model.structure("skeleton16")["kind"] == "node-regression"
    x = torch.from_numpy(np.load(skeleton / "inputs.npy"))
    y = model.eval()("skeleton16", x)
    assert y.shape == (40, 16, 1)
    # Equivariant to the mirror: mirroring the joints mirrors the outputs.
    inverse = [MIRROR.index(i) for i in range(16)]
    assert torch.allclose(model("skeleton16", x[:, inverse]), y[:, inverse], atol=1e-5)
    metrics = model.evaluate("skeleton16", x, torch.from_numpy(np.load(skeleton / "targets.npy")))
    assert metrics["mae"] > 0
    assert os.path.isfile(tmp_path / "model.pt")
    assert ann.load(tmp_path / "model.pt").structure("skeleton16")["kind"] == "node-regression"


def test_a_model_whose_group_is_its_graph_file_is_checked_after_loading_in_a_new_process(skeleton, tmp_path):
    # Without a group in asen.json the group is "graph:<folder>/graph.txt"; a
    # fresh interpreter that loads the model has read no graph itself.
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("inputs.npy", "targets.npy", "graph.txt"):
        (folder / name).write_bytes((skeleton / name).read_bytes())
    result = ann.train(data=folder, out=tmp_path / "run", **TINY)
    assert result["data"]["group"] == "graph:" + str(folder / "graph.txt")
    code = (
        "import sys, asen.nn as ann\n"
        "m = ann.load(sys.argv[1])\n"
        "r = m.check_equivariance('data')\n"
        "d = ann.discover(sys.argv[1])\n"
        "print(r['group_order'], r['inside_max_error'] < 1e-5, d['trained_group']['order'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "run" / "model.pt")], check=True,
                         capture_output=True, text=True, env=dict(os.environ))
    assert out.stdout.split() == ["4", "True", "4"]  # |Aut| of the skeleton graph is 4


def test_reals_of_shape_samples_by_nodes_warn_that_they_are_a_graph_target(skeleton, tmp_path):
    folder = tmp_path / "flat"
    folder.mkdir()
    for name in ("inputs.npy", "graph.txt", "asen.json"):
        (folder / name).write_bytes((skeleton / name).read_bytes())
    np.save(folder / "targets.npy", np.load(skeleton / "targets.npy")[:, :, 0])
    with pytest.warns(UserWarning, match=r"of shape \(40, 16\) is read as 16 outputs per sample"):
        result = ann.train(data=folder, **dict(TINY, epochs=0))
    assert result["data"]["kind"] == "graph-regression"


def test_evaluate_rebuilds_the_test_split_of_the_training_folder(skeleton, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    for name in ("inputs.npy", "targets.npy", "graph.txt", "asen.json"):
        (folder / name).write_bytes((skeleton / name).read_bytes())
    result = ann.train(data=folder, out=tmp_path / "run", **TINY)
    final = result["test"]["skeleton16"]
    for model in (result["model"], ann.load(tmp_path / "run" / "model.pt")):
        again = ann.evaluate(model, "skeleton16")
        assert again["loss"] == pytest.approx(final["loss"], rel=1e-5)
        assert again["mae"] == pytest.approx(final["mae"], rel=1e-5)
    with pytest.raises(TypeError, match="evaluated on that folder's test split"):
        ann.evaluate(result["model"], "skeleton16", seed=3)
    # the samples changed: the split cannot be rebuilt
    targets = np.load(folder / "targets.npy")
    np.save(folder / "targets.npy", targets + 1)
    with pytest.raises(asen.InputError, match="changed since structure 'skeleton16' was trained on them"):
        ann.evaluate(result["model"], "skeleton16")


def test_group_mode_and_name_override_the_folder(skeleton):
    result = ann.train(data=str(skeleton), group="trivial(16)", mode="sparse", name="pose", **TINY)
    assert (result["data"]["group"], result["data"]["mode"], result["data"]["name"]) == ("trivial(16)", "sparse", "pose")
    assert list(result["test"]) == ["pose"]


def test_a_bad_folder_or_bad_arguments_are_clear_errors(skeleton, tmp_path):
    with pytest.raises(asen.InputError, match="does not exist"):
        ann.train(data=tmp_path / "nowhere", **TINY)
    with pytest.raises(asen.InputError, match="the head 'ordinal'"):
        ann.train(data=skeleton, head="ordinal", **TINY)
    with pytest.raises(TypeError, match="takes no tasks"):
        ann.train("cyclicsum", data=skeleton)
    with pytest.raises(TypeError, match="takes no samples or length"):
        ann.train(data=skeleton, samples=10, **TINY)
    with pytest.raises(TypeError, match="for train\\(data=...\\)"):
        ann.train("cyclicsum", mode="sparse")


def test_a_bad_name_in_asen_json_or_a_nul_in_a_path_names_what_was_wrong(skeleton, tmp_path):
    import shutil

    folder = tmp_path / "data"
    shutil.copytree(skeleton, folder)
    (folder / "asen.json").write_text('{"name": "bad name!"}')
    with pytest.raises(asen.InputError, match=r"asen\.json: \"name\" 'bad name!' is not a structure name"):
        ann.train(data=folder, **TINY)
    # C's file functions would stop at the NUL and read another folder.
    with pytest.raises(asen.InputError, match="the data folder holds a NUL character at offset 4"):
        ann.train(data=str(skeleton)[:4] + "\0" + str(skeleton)[4:], **TINY)
