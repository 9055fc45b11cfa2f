"""`asen discover`: the symmetry of a trained model read off its colour
embeddings. A tiny model is trained once (a few seconds); whether training
makes symmetric colours converge is the nn layer's end-to-end test
(tests/nn/discover_training_test.cpp). Here: the JSON and text contract, the
threshold's extremes (which make the outcome independent of training), and
the errors."""

import pytest

from conftest import assert_input_error, run, run_json, run_ok

WREATH = "wreath(S(5),S(2))"
TINY = ["--samples", "60", "--epochs", "1", "--hidden", "16", "--heads", "2", "--layers", "2", "--batch", "16",
        "--threads", "1", "--no-progress"]
KEYS = ["structure", "nodes", "trained_group", "threshold", "feature", "scale", "representatives", "clusters",
        "unused_colors", "merged_rank", "discovered", "true_group", "equals_true_group", "equals_true_closure", "distances"]


@pytest.fixture(scope="module", autouse=True)
def needs_the_nn_plugin():
    probe = run("discover", "/nonexistent/model.pt")
    if probe.returncode != 0 and "built without" in probe.stderr:
        pytest.skip("this asen was built without LibTorch (ASEN_BUILD_NN=OFF)")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """intersect trained for one epoch on S(5)*S(5), its true group being S(5) wr S(2)."""
    out = tmp_path_factory.mktemp("intersect")
    run_json("train", "--task", "intersect", "--group", "S(5)*S(5)", "--edge-init-scale", "0.01", *TINY,
             "--out", str(out))
    return out / "model.pt"


def test_json_has_every_documented_key_and_consistent_values(model):
    d = run_json("discover", str(model))
    assert list(d) == KEYS
    assert d["structure"] == "intersect" and d["nodes"] == 10
    assert d["trained_group"] == {"spec": "S(5)*S(5)", "order": "14400", "closure_order": "14400", "rank": 6}
    assert d["threshold"] == 0.5 and d["feature"] == "embedding" and d["scale"] > 0
    # a representative pair per colour, in first-appearance order: (0,0), (0,1), (0,5), (5,0), (5,5), (5,6)
    assert d["representatives"] == [[0, 0], [0, 1], [0, 5], [5, 0], [5, 5], [5, 6]]
    assert sorted(c for cluster in d["clusters"] for c in cluster) == list(range(6))
    assert d["merged_rank"] == len(d["clusters"])
    assert d["unused_colors"] == []  # a dense input carries every colour
    found = d["discovered"]
    assert list(found) == ["order", "generators", "orbits", "contains_trained_group", "larger_than_trained"]
    assert found["contains_trained_group"] is True
    assert int(found["order"]) % 14400 == 0
    assert found["larger_than_trained"] == (int(found["order"]) > 14400)
    assert all(sorted(g) == list(range(10)) for g in found["generators"])
    assert d["true_group"] == {"spec": WREATH, "order": "28800", "closure_order": "28800"}
    assert d["equals_true_group"] == (found["order"] == "28800")
    distances = d["distances"]
    assert len(distances) == 6 and all(len(row) == 6 for row in distances)
    assert all(distances[a][a] == 0 and distances[a][b] == distances[b][a] for a in range(6) for b in range(6))


def test_threshold_zero_keeps_every_colour_and_the_trained_group(model):
    d = run_json("discover", str(model), "--threshold", "0")
    assert d["merged_rank"] == 6
    assert d["discovered"]["order"] == "14400"
    assert d["equals_true_group"] is False
    assert run_json("discover", str(model), "--threshold", "0", "--true-group", "S(5)*S(5)")["equals_true_group"]


def test_a_huge_threshold_merges_each_kind_into_one_colour(model):
    d = run_json("discover", str(model), "--threshold", "1000", "--feature", "projected")
    assert d["feature"] == "projected"
    assert d["clusters"] == [[0, 4], [1, 2, 3, 5]]  # loop colours, arc colours
    assert d["discovered"]["order"] == "3628800"  # S(10)
    assert d["equals_true_group"] is False
    none = run_json("discover", str(model), "--threshold", "1000", "--true-group", "")
    assert none["true_group"] is None and none["equals_true_group"] is None


def test_text_output_names_the_groups_and_the_clusters(model):
    text = run_ok("discover", str(model), "--threshold", "1000")
    assert "trained on    S(5)*S(5), order 14400, rank 6" in text
    assert "{0 (0,0), 4 (5,5)}" in text
    assert "discovered    order 3628800 (larger than the trained breaking input's)" in text
    assert f"true group    {WREATH}, order 28800; discovered equals it: no" in text
    assert "distances / scale:" in text
    assert "no colours merged" not in text
    # Nothing merged: the text says how to train for discovery.
    assert "no colours merged" in run_ok("discover", str(model), "--threshold", "0")
    assert "--edge-init-scale 0.01" in run_ok("discover", str(model), "--threshold", "0")


@pytest.mark.parametrize("args, fragments", [
    (["/nonexistent/model.pt"], ["the model file /nonexistent/model.pt does not exist"]),
    (["MODEL", "--structure", "palindrome"], ["has no structure 'palindrome'", "intersect"]),
    (["MODEL", "--threshold", "-1"], ["--threshold", "expected a number >= 0"]),
    (["MODEL", "--threshold", "nan"], ["--threshold"]),
    (["MODEL", "--feature", "raw"], ["--feature"]),
    (["MODEL", "--true-group", "S(11)"], ["S(11)", "11 points", "10 nodes"]),
    (["MODEL", "--true-group", "Q(3)"], ["the true group 'Q(3)'"]),
])
def test_bad_input_is_a_clear_input_error(model, args, fragments):
    args = [str(model) if a == "MODEL" else a for a in args]
    assert_input_error(run("discover", *args), *fragments)


def test_a_file_that_is_not_a_model_is_an_input_error(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"not a model")
    assert_input_error(run("discover", str(path)), str(path))
