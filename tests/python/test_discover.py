"""asen.nn.discover: the symmetry of a model read off its colour embeddings.
The embeddings are set by hand here, so the outcome is known exactly; the
end-to-end run after training is tests/nn/discover_training_test.cpp."""

import pytest

torch = pytest.importorskip("torch", reason="the Python nn layer needs torch (python3-torch)")

import asen  # noqa: E402

try:
    import asen.nn as ann  # noqa: E402
except ImportError as error:  # pragma: no cover - depends on the build
    pytest.skip(f"asen._nn was not built: {error}", allow_module_level=True)

WREATH = "wreath(S(5),S(2))"


def embedding_of(model, name):
    return dict(model.named_parameters())[f"edges_{name}.embedding.weight"]


def set_rows_by_label(model, name, labels):
    """Row c of the colour embedding becomes 10 * e_{labels[c]}."""
    weight = embedding_of(model, name)
    with torch.no_grad():
        weight.zero_()
        for c, label in enumerate(labels):
            weight[c, label] = 10.0


@pytest.fixture
def s5xs5_model():
    """intersect on S(5)*S(5), its colours set as the wreath product's
    orbitals would colour their representative pairs."""
    model = ann.Model(hidden=16, layers=2, heads=2, seed=0)
    model.add_structure("intersect", "S(5)*S(5)", vocab=4)
    wreath = asen.orbitals(asen.Group.parse(WREATH)).colors
    bi = model.breaking_input("intersect")
    first = {}
    for e in range(bi["edge_attr"].shape[0]):
        first.setdefault(int(bi["edge_attr"][e]), (int(bi["edge_index"][0, e]), int(bi["edge_index"][1, e])))
    set_rows_by_label(model, "intersect", [int(wreath[first[c]]) for c in range(bi["num_colors"])])
    return model


def test_colours_equal_under_the_wreath_product_give_it_exactly(s5xs5_model):
    d = ann.discover(s5xs5_model)
    assert d["structure"] == "intersect"
    assert d["trained_group"] == {"spec": "S(5)*S(5)", "order": 14400, "closure_order": 14400, "rank": 6}
    assert d["clusters"] == [[0, 4], [1, 5], [2, 3]]
    assert d["merged_rank"] == 3
    assert d["discovered"]["order"] == 28800 == asen.Group.parse(WREATH).order
    assert d["discovered"]["contains_trained_group"] and d["discovered"]["larger_than_trained"]
    assert d["true_group"] == {"spec": WREATH, "order": 28800, "closure_order": 28800}
    assert d["equals_true_group"] is True and d["equals_true_closure"] is True
    # every generator found is a symmetry of the wreath product's colouring
    group = asen.Group.parse(WREATH)
    for images in d["discovered"]["generators"]:
        assert asen.Permutation(images) in group
    assert d["distances"].shape == (6, 6) and d["distances"].dtype == torch.float64
    assert torch.equal(d["distances"], d["distances"].T)
    assert d["representatives"][:3] == [(0, 0), (0, 1), (0, 5)]


def test_a_saved_model_gives_the_same_answer_from_its_path(s5xs5_model, tmp_path):
    path = tmp_path / "model.pt"
    s5xs5_model.save(path)
    from_path = ann.discover(str(path))
    direct = ann.discover(s5xs5_model)
    assert from_path["discovered"]["order"] == direct["discovered"]["order"] == 28800
    assert from_path["clusters"] == direct["clusters"]
    assert torch.allclose(from_path["distances"], direct["distances"])


def test_threshold_feature_and_true_group_options(s5xs5_model):
    weight = embedding_of(s5xs5_model, "intersect")
    with torch.no_grad():
        weight.add_(0.01 * torch.arange(6, dtype=weight.dtype).unsqueeze(1))  # no two rows identical
    assert ann.discover(s5xs5_model, threshold=0)["discovered"]["order"] == 14400
    projected = ann.discover(s5xs5_model, "intersect", feature="projected")
    assert projected["feature"] == "projected" and projected["discovered"]["order"] == 28800
    own = s5xs5_model.discover(threshold=0, true_group="S(5)*S(5)")
    assert own["equals_true_group"] is True
    assert ann.discover(s5xs5_model, true_group="")["true_group"] is None
    assert ann.discover(s5xs5_model, threshold=1000)["discovered"]["order"] == 3628800


def test_bad_arguments(s5xs5_model):
    with pytest.raises(asen.InputError, match="threshold must be a finite number >= 0"):
        ann.discover(s5xs5_model, threshold=-1)
    with pytest.raises(asen.InputError, match="no structure named 'palindrome'"):
        ann.discover(s5xs5_model, "palindrome")
    with pytest.raises(asen.InputError, match="expected embedding or projected"):
        ann.discover(s5xs5_model, feature="raw")
    with pytest.raises(TypeError, match="threshold must be a number"):
        ann.discover(s5xs5_model, threshold="0.3")
    with pytest.raises(asen.InputError, match="does not exist"):
        ann.discover("/nonexistent/model.pt")
    s5xs5_model.add_structure("cyclicsum", "D(10)", vocab=10)
    with pytest.raises(asen.InputError, match="2 structures"):
        ann.discover(s5xs5_model)
