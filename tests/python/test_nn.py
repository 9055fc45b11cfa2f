"""asen.nn: the nn layer from Python, torch tensors in and out."""

import copy
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the Python nn layer needs torch (python3-torch)")

import asen  # noqa: E402

try:
    import asen.nn as ann  # noqa: E402
except ImportError as error:  # pragma: no cover - depends on the build
    pytest.skip(f"asen._nn was not built: {error}", allow_module_level=True)

N = 10
SMALL = dict(hidden=32, layers=2, heads=4, dropout=0.0)


def small_model(seed=0):
    return ann.Model(seed=seed, **SMALL)


def act(x, g):
    """g . x on the node axis: the entry at position i moves to position g[i]."""
    inverse = [0] * len(g)
    for i, gi in enumerate(g):
        inverse[gi] = i
    return x[:, inverse]


@pytest.fixture(scope="module")
def d10_model():
    model = small_model().add_structure("cyclicsum", "D(10)", num_classes=2, vocab=10)
    return model.eval()


# -- import ------------------------------------------------------------------


def test_import_asen_does_not_import_torch():
    code = "import sys, asen; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_errors_are_the_classes_of_the_core_module():
    with pytest.raises(asen.InputError, match="unknown"):
        ann.generate_dataset("no-such-task", 4)
    with pytest.raises(ValueError):
        ann.task_info("no-such-task")


# -- forward -----------------------------------------------------------------


def test_node_structure_gives_per_node_float_outputs(d10_model):
    x = torch.randint(0, 10, (5, N))
    y = d10_model("cyclicsum", x)
    assert y.shape == (5, N, 2) and y.dtype == torch.float32
    assert torch.equal(y, d10_model.forward("cyclicsum", x))


def test_invariant_and_feature_structures_have_their_shapes():
    model = small_model()
    model.add_structure("count", "S(10)", out_dim=3, vocab=4, kind="graph-classification")
    model.add_structure("feat", asen.Group.parse("C(10)"), out_dim=1, in_features=3, kind="graph_regression")
    model.eval()
    assert model("count", torch.randint(0, 4, (6, N))).shape == (6, 3)
    assert model("feat", torch.randn(2, N, 3)).shape == (2, 1)
    assert model.structure("feat")["num_colors"] == 10
    mixed = model(["count", "feat", "count"], [torch.randint(0, 4, (N,)), torch.randn(N, 3), torch.zeros(N, dtype=torch.long)])
    assert [t.shape for t in mixed] == [(3,), (1,), (3,)]
    assert torch.allclose(mixed[2], model("count", torch.zeros(1, N, dtype=torch.long))[0], atol=1e-6)


def test_breaking_input_object_makes_a_structure_on_its_automorphism_group(tmp_path):
    model = small_model().add_structure("raw", asen.breaking_input("D(10)"), vocab=10)
    assert model("raw", torch.zeros(1, N, dtype=torch.long)).shape == (1, N, 2)
    # The structure's group is the input's automorphism group: D(10) again.
    group = asen.Group.parse(model.structure("raw")["group"])
    assert group.order == 20 and all(g in group for g in asen.Group.parse("D(10)").generators)
    assert model.structure("raw")["input_given"] and model.structure("raw")["mode"] == "dense"
    cycle = asen.Graph(N, [(i, (i + 1) % N) for i in range(N)])
    weak = asen.breaking_input("D(10)", base=cycle, mode="weak-sparse")
    assert model.add_structure("weak", weak, vocab=10).structure("weak")["mode"] == "weak-sparse"


def test_node_colours_the_loops_do_not_carry_are_refused():
    # The layers see a node's colour only on its self-loop: node colours that
    # single out node 0 while every loop has one colour would make the
    # reported group (node 0 fixed, order 120) smaller than the network's
    # true symmetry (all of S(6)).
    n = 6
    pairs = [(i, j) for i in range(n) for j in range(n)]
    edge_index = torch.tensor(pairs).t().contiguous()
    edge_attr = torch.tensor([0 if i == j else 1 for i, j in pairs])
    singled_out = asen.BreakingInput(edge_index=edge_index, edge_attr=edge_attr,
                                     node_color=torch.tensor([1, 0, 0, 0, 0, 0]), num_colors=3, num_nodes=n,
                                     mode="dense")
    with pytest.raises(asen.InputError, match=r"node_color separates nodes 0 and 1 \(colours 1 and 0\) whose "
                                              r"self-loops carry the same colours \(0\)"):
        small_model().add_structure("star", singled_out, in_features=2, out_dim=1, kind="node-regression")
    # without loops (a directed cycle), node colours may still not separate nodes
    cycle = torch.tensor([[i for i in range(n)], [(i + 1) % n for i in range(n)]])
    unlooped = asen.BreakingInput(edge_index=cycle, edge_attr=torch.zeros(n, dtype=torch.long),
                                  node_color=torch.tensor([1, 0, 0, 0, 0, 0]), num_colors=3, num_nodes=n,
                                  mode="sparse")
    with pytest.raises(asen.InputError, match=r"node_color separates nodes 0 and 1 \(colours 1 and 0\) whose "
                                              r"self-loops carry nothing"):
        small_model().add_structure("cycle", unlooped, in_features=2, out_dim=1, kind="node-regression")
    # a node colour is a colour id, as the edges'
    outside = asen.BreakingInput(edge_index=edge_index, edge_attr=edge_attr, node_color=torch.full((n,), 50),
                                 num_colors=3, num_nodes=n, mode="dense")
    with pytest.raises(asen.InputError, match=r"node_color\[0\] = 50 is out of range, expected colours in \[0, 3\)"):
        small_model().add_structure("far", outside, in_features=2, out_dim=1, kind="node-regression")
    # The same node colours on the loops: the group fixes node 0 and the
    # network does too.
    looped = torch.tensor([(2 if i == 0 else 0) if i == j else 1 for i, j in pairs])
    bi = asen.BreakingInput(edge_index=edge_index, edge_attr=looped, node_color=torch.tensor([2, 0, 0, 0, 0, 0]),
                            num_colors=3, num_nodes=n, mode="dense")
    model = small_model().add_structure("star", bi, in_features=2, out_dim=1, kind="node-regression")
    assert asen.Group.parse(model.structure("star")["group"]).order == 120
    model.eval()
    report = model.check_equivariance("star")
    assert report["inside_max_error"] < 1e-5 and report["outside_max_error"] > 1e-3


def test_a_hand_made_colouring_is_saved_and_restored_as_it_was(tmp_path):
    # Six nodes on a path, arcs coloured by distance with colour ids in an
    # order of our own: its automorphisms are the identity and the reversal.
    n = 6
    pairs = [(i, j) for i in range(n) for j in range(n)]
    own_ids = [3, 0, 5, 1, 4, 2]
    bi = asen.BreakingInput(
        edge_index=torch.tensor(pairs).t().contiguous(),
        edge_attr=torch.tensor([own_ids[abs(i - j)] for i, j in pairs]),
        node_color=torch.zeros(n, dtype=torch.long), num_colors=6, num_nodes=n, mode="dense")
    model = small_model().add_structure("path", bi, in_features=2, out_dim=1, kind="node-regression")
    # Unused colour ids still cost embedding rows: a count that cannot fit is refused up front.
    huge = asen.BreakingInput(edge_index=bi.edge_index, edge_attr=bi.edge_attr, node_color=bi.node_color,
                              num_colors=10 ** 12, num_nodes=n, mode="dense")
    with pytest.raises(asen.InputError, match="has 1000000000000 colours in its breaking input: .* renumber them"):
        small_model().add_structure("huge", huge, in_features=2)
    spec = model.structure("path")["group"]
    assert asen.Group.parse(spec).order == 2 and asen.Permutation(list(range(n))[::-1]) in asen.Group.parse(spec)
    model.eval()
    x = torch.randn(4, n, 2)
    before = model("path", x)
    report = model.check_equivariance("path")
    assert report["inside_max_error"] < 1e-5 and report["outside_max_error"] > 1e-3
    model.save(str(tmp_path / "m.pt"))
    loaded = asen.nn.load(str(tmp_path / "m.pt"))
    assert torch.allclose(loaded("path", x), before, atol=1e-6)
    assert torch.equal(loaded.breaking_input("path")["edge_attr"], bi.edge_attr)
    assert loaded.structure("path")["group"] == spec and loaded.structure("path")["input_given"]
    assert loaded.check_equivariance("path")["inside_max_error"] < 1e-5


def test_bad_inputs_raise_input_error(d10_model):
    with pytest.raises(asen.InputError, match="shape"):
        d10_model("cyclicsum", torch.zeros(2, N + 1, dtype=torch.long))
    with pytest.raises(asen.InputError, match="integer tokens"):
        d10_model("cyclicsum", torch.zeros(2, N))
    with pytest.raises(asen.InputError, match=r"\[0, 10\)"):
        d10_model("cyclicsum", torch.full((2, N), 10))
    with pytest.raises(asen.InputError, match="no structure"):
        d10_model("nope", torch.zeros(2, N, dtype=torch.long))
    with pytest.raises(TypeError):
        d10_model("cyclicsum", [[0] * N])
    x = torch.zeros(3, N, dtype=torch.long)
    with pytest.raises(asen.InputError, match="2 classes"):
        ann.evaluate(d10_model, "cyclicsum", x, torch.full((3, N), 7))
    with pytest.raises(asen.InputError, match="shape"):
        ann.evaluate(d10_model, "cyclicsum", x, torch.zeros(3, dtype=torch.long))
    with pytest.raises(asen.InputError, match="does not exist"):
        d10_model.save("/nonexistent-folder/model.pt")
    with pytest.raises(asen.InputError, match="it is a folder"):
        d10_model.save("/tmp")


def test_bad_group_or_settings_raise_input_error():
    model = small_model()
    with pytest.raises(asen.InputError):
        model.add_structure("a", "D(", vocab=10)
    with pytest.raises(asen.InputError):
        model.add_structure("a", "D(10)", vocab=10, mode="sparse")
    # A sparse input from a group that moves the base graph's edges off it is
    # not invariant: refused, as a model fed it would not be equivariant.
    path = asen.Graph(10, [(i, i + 1) for i in range(9)])
    with pytest.raises(asen.InputError, match="does not preserve the base graph"):
        model.add_structure("p", "C(10)", vocab=10, mode="sparse", base=path)
    model.add_structure("p", "mirror(10)", vocab=10, mode="sparse", base=path)
    # Ids far beyond any table (an unrenumbered token or class) are refused
    # before LibTorch tries to allocate them.
    with pytest.raises(asen.InputError, match=r"10000000000 tokens.*renumber"):
        model.add_structure("v", "D(10)", vocab=10**10)
    with pytest.raises(asen.InputError, match=r"1000000000000 outputs"):
        model.add_structure("v", "D(10)", vocab=10, num_classes=10**12)
    assert "v" not in model.structures
    with pytest.raises(asen.InputError, match="already"):
        model.add_structure("b", "D(10)", vocab=10).add_structure("b", "D(10)", vocab=10)
    with pytest.raises(asen.InputError, match="both a vocabulary .tokens. and input features"):
        model.add_structure("c", "D(10)", vocab=10, in_features=3)
    with pytest.raises(TypeError, match="structure must be a structure name"):
        model(3, torch.zeros(1, N, dtype=torch.long))
    with pytest.raises(TypeError):
        model.add_structure("c", 42, vocab=10)
    with pytest.raises(asen.InputError, match="multiple"):
        ann.Model(hidden=30, heads=4)


# -- gradients ---------------------------------------------------------------


def test_gradients_reach_parameters_and_torch_optim_lowers_the_loss():
    model = small_model().add_structure("cyclicsum", "D(10)", vocab=10).train()
    x, y = ann.generate_dataset("cyclicsum", 64, seed=3)
    params = list(model.parameters())
    assert params and all(p.requires_grad and p.is_leaf for p in params)
    optimizer = torch.optim.Adam(params, lr=0.01)
    losses = []
    for _ in range(8):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model("cyclicsum", x).reshape(-1, 2), y.reshape(-1))
        loss.backward()
        losses.append(loss.item())
        optimizer.step()
    assert sum(p.grad is not None and p.grad.abs().sum() > 0 for p in params) >= len(params) - 2
    assert losses[-1] < losses[0]


def test_gradients_flow_to_a_python_input():
    model = small_model().add_structure("f", "D(10)", in_features=2).eval()
    x = torch.randn(3, N, 2, requires_grad=True)
    model("f", x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_second_derivatives_reach_every_parameter_and_match_finite_differences():
    # Forces as derivatives of an energy, trained on (create_graph=True): the
    # loss |dE/dx|^2 differentiated again reaches every parameter (zero only
    # where the loss truly ignores one: biases right before a ReLU or the
    # output, as ReLU's second derivative is 0). The loss is quadratic in the
    # output layer's weights, which reach it only through every backward node
    # of the backbone: along them it must agree with central differences
    # (along other parameters ReLU's kinks make differences meaningless).
    torch.manual_seed(0)
    model = small_model().add_structure("e", "D(10)", in_features=3, out_dim=1, kind="node-regression").eval()
    x = torch.randn(4, N, 3, requires_grad=True)
    names, params = zip(*model.named_parameters())

    def force_loss():
        forces = torch.autograd.grad(model("e", x).sum(), x, create_graph=True)[0]
        return forces.pow(2).sum()

    grads = torch.autograd.grad(force_loss(), params, allow_unused=True)
    assert sum(g is not None and g.abs().sum() > 0 for g in grads) >= len(params) - 3
    k = names.index("head_e.2.weight")
    direction = torch.randn_like(params[k])
    along = (grads[k] * direction).sum().item()
    eps = 1e-2
    with torch.no_grad():
        params[k].add_(eps * direction)
    up = force_loss().item()
    with torch.no_grad():
        params[k].sub_(2 * eps * direction)
    down = force_loss().item()
    assert along == pytest.approx((up - down) / (2 * eps), rel=1e-3)


# -- equivariance ------------------------------------------------------------


def test_equivariant_inside_d10_and_not_outside(d10_model):
    x = torch.randint(0, 10, (16, N))
    with torch.no_grad():
        y = d10_model("cyclicsum", x)
        rotation = [(i + 1) % N for i in range(N)]
        reflection = [(N - i) % N for i in range(N)]
        for g in (rotation, reflection):
            assert (d10_model("cyclicsum", act(x, g)) - act(y, g)).abs().max() <= 1e-5
        swap = [1, 0] + list(range(2, N))  # a transposition: not in D(10)
        assert (d10_model("cyclicsum", act(x, swap)) - act(y, swap)).abs().max() > 1e-3


def test_check_equivariance_reports_errors_and_orders(d10_model):
    report = ann.check_equivariance(d10_model, "cyclicsum", random=4)
    assert report["inside_max_error"] <= 1e-5
    assert report["outside_max_error"] > 1e-3
    assert report["group_order"] == 20 and report["closure_order"] == 20
    assert report["closure_max_error"] is None
    with pytest.raises(asen.InputError):
        ann.check_equivariance(d10_model, "cyclicsum", "D(12)")


def test_check_equivariance_measures_a_sparse_input_s_own_symmetry():
    # The layers cannot break an automorphism of the breaking input itself.
    # C(4) on the matching {0-2, 1-3}: the sparse input is kept by every
    # permutation of the matching (order 8), not only by G^(2) = C(4).
    reflection = [0, 3, 2, 1]
    cases = [
        ("C(4)", asen.Graph(4, [(0, 2), (1, 3)]), 4, 8),
        # (1,2) on 4 points over the edge {0-1}: nodes 2 and 3 see only their
        # self-loop, whose colour has weight 1 whatever it is, so (2,3) is kept too
        ("(1,2)", asen.Graph(4, [(0, 1)]), 2, 4),
        # no edges at all: every node sees only itself
        ("trivial(4)", asen.Graph(4), 1, 24),
    ]
    for spec, base, closure, seen in cases:
        model = small_model().add_structure("s", spec, vocab=3, mode="sparse", base=base, degree=4)
        report = model.check_equivariance("s", random=6)
        assert (report["closure_order"], report["input_symmetry_order"]) == (closure, seen), spec
        assert report["inside_max_error"] <= 1e-5
        assert report["input_symmetry_max_error"] is not None and report["input_symmetry_max_error"] <= 1e-5
        assert report["input_symmetry_checks"] >= 1
        if seen == 24:
            assert report["outside_max_error"] is None and report["outside_checks"] == 0
        else:
            assert report["outside_max_error"] > 1e-3
    # by hand: C(4)'s sparse model is equivariant to the reflection, its dense one is not
    x = torch.randint(0, 3, (8, 4))
    for mode, equivariant in (("sparse", True), ("dense", False)):
        base = asen.Graph(4, [(0, 2), (1, 3)]) if mode == "sparse" else None
        model = small_model().add_structure("s", "C(4)", vocab=3, mode=mode, base=base).eval()
        with torch.no_grad():
            error = (model("s", act(x, reflection)) - act(model("s", x), reflection)).abs().max()
        assert (error <= 1e-5) == equivariant, mode
        report = model.check_equivariance("s")
        assert report["input_symmetry_order"] == (8 if mode == "sparse" else 4)


def test_a_model_with_nan_weights_is_not_reported_equivariant():
    # max() over errors with a NaN among them can come out as 0: refused.
    model = small_model().add_structure("cyclicsum", "D(10)", num_classes=2, vocab=10).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.startswith("tokens_"):
                p.fill_(float("nan"))
    with pytest.raises(asen.InputError, match=r"not finite.*weights are NaN or infinite"):
        ann.check_equivariance(model, "cyclicsum")
    assert model.training is False  # left as it was


def test_eval_refuses_a_structure_named_after_a_task_but_of_another_kind(tmp_path):
    cli = os.environ.get("ASEN_CLI")
    if not cli:
        pytest.skip("ASEN_CLI is not set (asen was not built)")
    model = small_model().add_structure("longestpal", "S(10)", vocab=20, num_classes=3, kind="graph-classification")
    model.save(tmp_path / "model.pt")
    result = subprocess.run([cli, "eval", str(tmp_path / "model.pt")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "is graph-classification" in result.stderr and "task 'longestpal' is graph-regression" in result.stderr
    # Same kind, other sizes: refused by eval as by evaluate() (a task's data
    # would run on a head of three classes, or on tokens it never draws).
    for extra in (dict(num_classes=3, vocab=10), dict(num_classes=2, vocab=12)):
        model = small_model().add_structure("palindrome", "mirror(10)", **extra)
        model.save(tmp_path / "model.pt")
        result = subprocess.run([cli, "eval", str(tmp_path / "model.pt")], capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and "asen eval cannot generate data for it" in result.stderr, result.stderr
        with pytest.raises(asen.InputError, match="is not the synthetic task of that name"):
            ann.evaluate(model, "palindrome", samples=10)


# -- data --------------------------------------------------------------------


def test_tasks_list_names_and_groups():
    tasks = {t["name"]: t for t in ann.tasks()}
    assert tasks["cyclicsum"]["group"] == "D(10)"
    assert tasks["cyclicsum"]["kind"] == "node-classification"
    assert {"palindrome", "intersect", "longestpal"} <= set(tasks)


def test_generate_dataset_is_deterministic_per_seed():
    a = ann.generate_dataset("intersect", 32, length=10, seed=5)
    b = ann.generate_dataset("intersect", 32, length=10, seed=5)
    c = ann.generate_dataset("intersect", 32, length=10, seed=6)
    assert a.inputs.shape == (32, 10) and a.inputs.dtype == torch.int64
    assert a.targets.shape == (32, 10) and a.targets.dtype == torch.int64
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)
    assert not torch.equal(a.inputs, c.inputs)
    assert ann.label_sequence("intersect", a.inputs[0].tolist()) == a.targets[0].tolist()


# -- training, files ---------------------------------------------------------

TINY = dict(samples=80, epochs=1, batch=32, hidden=16, layers=1, heads=2)


def test_train_writes_metrics_and_model(tmp_path):
    result = ann.train("cyclicsum", out=tmp_path / "run", **TINY)
    lines = [json.loads(s) for s in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert {m["split"] for m in lines} == {"train", "val", "test"}
    assert set(lines[0]) == {"task", "epoch", "split", "loss", "node_accuracy", "exact_match", "seconds"}
    assert (tmp_path / "run" / "model.pt").is_file()
    assert 0.0 <= result["test"]["cyclicsum"]["node_accuracy"] <= 1.0
    loaded = ann.load(tmp_path / "run" / "model.pt")
    x = torch.randint(0, 10, (4, N))
    with torch.no_grad():
        assert torch.equal(loaded("cyclicsum", x), result["model"].eval()("cyclicsum", x))


def test_multi_task_and_transfer(tmp_path):
    multi = ann.train(["cyclicsum", "intersect"], groups={"intersect": "trivial(10)"}, **TINY)
    assert set(multi["test"]) == {"cyclicsum", "intersect"} and multi["out"] is None
    assert multi["model"].structure("intersect")["num_colors"] == N * N
    transfer = ann.train(pretrain="cyclicsum", finetune="palindrome", out=tmp_path, **TINY)
    for phase in ("pretrain", "finetune", "scratch"):
        assert (tmp_path / phase / "metrics.jsonl").is_file() and (tmp_path / phase / "model.pt").is_file()
    # As the CLI's: finetuning starts from a copy of the pretrained backbone;
    # the pretrained model keeps its weights, the finetuned one only its task.
    assert ann.load(tmp_path / "finetune" / "model.pt").structures == ["palindrome"]
    assert "palindrome" in transfer["finetune"]["test"]
    pre, fine = transfer["pretrain"]["model"], transfer["finetune"]["model"]
    assert pre.structures == ["cyclicsum"] and fine.structures == ["palindrome"]
    from_file = ann.load(tmp_path / "pretrain" / "model.pt").state_dict()
    assert all(torch.equal(v, from_file[k]) for k, v in pre.state_dict().items())
    assert not pre.training and not fine.training  # as load() gives them
    assert transfer["pretrain"]["resumed_from"] == 0


def test_train_result_matches_the_cli_and_says_when_it_resumed(tmp_path):
    first = ann.train("cyclicsum", out=tmp_path, **dict(TINY, epochs=2, lr_schedule="constant"))
    assert first["resumed_from"] == 0
    assert first["test"]["cyclicsum"]["seconds"] == first["history"][-1]["seconds"] > 0
    again = ann.train("cyclicsum", out=tmp_path, **dict(TINY, epochs=3, lr_schedule="constant"))
    assert again["resumed_from"] == 2 and again["history"][:6] == first["history"]


def test_save_load_round_trip_gives_identical_outputs(tmp_path, d10_model):
    model = small_model(seed=4).add_structure("intersect", "wreath(S(5),S(2))", vocab=4).eval()
    model.save(tmp_path / "m.pt")
    loaded = ann.load(str(tmp_path / "m.pt"))
    assert loaded.structure("intersect")["group"] == "wreath(S(5),S(2))"
    x = torch.randint(0, 4, (8, N))
    with torch.no_grad():
        assert torch.equal(model("intersect", x), loaded("intersect", x))
    assert ann.evaluate(loaded, "intersect", samples=50)["node_accuracy"] >= 0.0


def test_save_through_a_symbolic_link_keeps_the_link(tmp_path, d10_model):
    (tmp_path / "store").mkdir()
    link = tmp_path / "model.pt"
    link.symlink_to(tmp_path / "store" / "m.pt")
    d10_model.save(link)
    assert link.is_symlink() and ann.load(tmp_path / "store" / "m.pt").structures == ["cyclicsum"]
    assert sorted(p.name for p in (tmp_path / "store").iterdir()) == ["m.pt"]


def test_training_errors_are_input_errors(tmp_path):
    with pytest.raises(asen.InputError, match="unknown|no-such"):
        ann.train("no-such-task", **TINY)
    with pytest.raises(asen.InputError):
        ann.train("cyclicsum", group="D(", **TINY)
    with pytest.raises(asen.InputError, match="unknown training setting"):
        ann.train("cyclicsum", samples=80, epoch=1)
    with pytest.raises(TypeError, match="'epochs' must be an int"):
        ann.train("cyclicsum", samples=80, epochs="1")
    with pytest.raises(TypeError, match="first argument or tasks=, not task="):
        ann.train(task="cyclicsum", samples=80)
    # Any seed the CLI takes, in [0, 2^64 - 1]; epochs=0 is the untrained model.
    with pytest.raises(asen.InputError, match="epochs must not be negative, got -1"):
        ann.train("cyclicsum", samples=80, epochs=-1)
    for seed in (-1, 2 ** 64):
        with pytest.raises(asen.InputError, match=r"'seed' must be in \[0, 18446744073709551615\]"):
            ann.train("cyclicsum", samples=80, seed=seed)
    with pytest.raises(asen.InputError, match="'batch' is out of range"):
        ann.train("cyclicsum", samples=80, batch=2 ** 70)
    with pytest.raises(asen.InputError, match="does not exist"):
        ann.load(tmp_path / "missing.pt")
    (tmp_path / "bad.pt").write_bytes(b"not a model")
    with pytest.raises(asen.InputError, match="corrupt"):
        ann.load(tmp_path / "bad.pt")


def test_model_seed_fixes_weights_and_leaves_torch_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    a = small_model(seed=7).add_structure("s", "D(10)", vocab=10)
    assert torch.equal(torch.rand(3), expected)
    b = small_model(seed=7).add_structure("s", "D(10)", vocab=10)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert dict(a.named_parameters()).keys() == a.state_dict().keys() - {k for k, _ in a._impl.named_buffers()}
    assert os.fspath(repr(a)).startswith("asen.nn.Model(")


# -- torch idioms ------------------------------------------------------------


def test_parameter_groups_partition_the_parameters(d10_model):
    groups = d10_model.parameter_groups()
    assert set(groups) == {"backbone", "heads", "edges", "tokens"}
    ids = [id(p) for g in groups.values() for p in g]
    assert len(ids) == len(set(ids)) == len(list(d10_model.parameters()))
    names = {id(p): n for n, p in d10_model.named_parameters()}
    assert all(names[id(p)].startswith("backbone.") for p in groups["backbone"])
    assert all(names[id(p)].startswith(("head_", "features_")) for p in groups["heads"])


def test_check_equivariance_leaves_every_parameter_in_its_own_storage(d10_model):
    before = {n: p.data_ptr() for n, p in d10_model.named_parameters()}
    values = {n: p.detach().clone() for n, p in d10_model.named_parameters()}
    ann.check_equivariance(d10_model, "cyclicsum", random=2)
    for n, p in d10_model.named_parameters():
        assert p.data_ptr() == before[n], n
        assert p.dtype == torch.float32 and torch.equal(p, values[n]), n


def test_check_equivariance_leaves_the_random_stream_and_other_threads_alone(d10_model):
    import threading

    # The check draws its inputs from a generator of its own.
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    d10_model.check_equivariance("cyclicsum", random=2)
    assert torch.equal(torch.rand(4), expected)
    # It measures a double-precision copy: another thread calling the model
    # meanwhile sees it as it was (float32, evaluation mode).
    x = torch.randint(0, 10, (4, N))
    with torch.no_grad():
        reference = d10_model("cyclicsum", x)
    done = threading.Event()
    errors = []

    def check():
        try:
            d10_model.check_equivariance("cyclicsum", random=40)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        done.set()

    worker = threading.Thread(target=check)
    worker.start()
    calls = 0
    while not done.is_set() or calls == 0:
        with torch.no_grad():
            y = d10_model("cyclicsum", x)
        assert y.dtype == torch.float32 and torch.equal(y, reference)
        calls += 1
    worker.join()
    assert errors == [] and not d10_model.training


def test_training_is_reproducible_whatever_other_threads_draw_meanwhile(tmp_path):
    import threading

    # Dropout draws from the run's own generator, forked from its seed after
    # the set-up (which draws from torch's default one, seeded, and restores
    # it): two runs at once, and torch.rand in the main thread from the end
    # of their set-up on (metrics.jsonl is created then), give the loss of a
    # run alone; the caller's stream is untouched.
    settings = dict(TINY, dropout=0.3, epochs=2)
    alone = ann.train("cyclicsum", **settings)["test"]["cyclicsum"]["loss"]
    torch.manual_seed(5)
    expected = torch.rand(3)
    losses = []

    def run(k):
        losses.append(ann.train("cyclicsum", out=tmp_path / k, **settings)["test"]["cyclicsum"]["loss"])

    workers = [threading.Thread(target=run, args=(k,)) for k in "ab"]
    for w in workers:
        w.start()
    while not all((tmp_path / k / "metrics.jsonl").exists() for k in "ab") and any(w.is_alive() for w in workers):
        time.sleep(0.001)
    draws = 0
    while any(w.is_alive() for w in workers) or draws == 0:
        torch.rand(1000)
        draws += 1
    for w in workers:
        w.join()
    assert losses == [alone, alone]
    torch.manual_seed(5)
    ann.train("cyclicsum", **settings)
    assert torch.equal(torch.rand(3), expected)


def test_training_restores_torchs_thread_count(tmp_path):
    before = torch.get_num_threads()
    wanted = 1 if before != 1 else 2
    ann.train("cyclicsum", threads=wanted, **TINY)
    assert torch.get_num_threads() == before


def test_a_group_on_fewer_points_than_the_sequences_warns(tmp_path):
    settings = dict(samples=40, epochs=0, hidden=8, heads=2, layers=1, threads=1)
    with pytest.warns(UserWarning, match="acts on 8 points and its sequences have 10: the other 2 points are fixed"):
        ann.train("palindrome", group="D(8)", **settings)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ann.train("palindrome", group="(1,10)(2,9)(3,8)(4,7)(5,6)", **settings)


def test_deepcopy_pickle_and_torch_save_round_trip(tmp_path):
    import copy
    import pickle

    model = small_model(seed=3).add_structure("cyclicsum", "D(10)", vocab=10).train()
    x = torch.randint(0, 10, (4, N))
    for clone in (
        copy.deepcopy(model),
        pickle.loads(pickle.dumps(model)),
        (torch.save(model, tmp_path / "whole.pt"), torch.load(tmp_path / "whole.pt", weights_only=False))[1],
    ):
        assert clone.training and clone.structures == ["cyclicsum"]
        assert clone.structure("cyclicsum")["group"] == "D(10)"
        model.eval(), clone.eval()
        with torch.no_grad():
            assert torch.equal(model("cyclicsum", x), clone("cyclicsum", x))
        model.train()
        # a copy, not a view: changing it leaves the original alone
        with torch.no_grad():
            next(iter(clone.parameters())).add_(1.0)
        assert not torch.equal(next(iter(clone.parameters())), next(iter(model.parameters())))


class _Wrapper(torch.nn.Module):
    """A user's module holding an asen model and a head of its own."""

    def __init__(self, model):
        super().__init__()
        self.asen = model
        self.head = torch.nn.Linear(2, 1)

    def forward(self, x):
        return self.head(self.asen("cyclicsum", x)).squeeze(-1)


def test_a_model_inside_a_users_module_is_trained_saved_and_moved_with_it():
    model = small_model(seed=4).add_structure("cyclicsum", "D(10)", vocab=10)
    assert isinstance(model, torch.nn.Module)
    net = _Wrapper(model)
    own = {id(p) for p in model.parameters()}
    assert len(own) > 10 and own <= {id(p) for p in net.parameters()}
    assert {"asen." + k for k, _ in model.named_parameters()} <= {k for k, _ in net.named_parameters()}
    # the parent's optimiser trains the asen parameters (the very tensors the C++ forward uses)
    x, y = ann.generate_dataset("cyclicsum", 64, seed=2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = torch.nn.functional.mse_loss(net(x), y.float())
    loss.backward()
    backbone = [p for k, p in model.named_parameters() if k.startswith("backbone.")]
    assert all(p.grad is not None for p in backbone) and any(p.grad.abs().sum() > 0 for p in backbone)
    opt.step()
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items() if k.startswith("backbone."))
    # eval() and train() of the parent reach the C++ model (dropout off: equal outputs)
    net.eval()
    assert not model.training and not model._impl.training
    with torch.no_grad():
        assert torch.equal(net(x), net(x))
    net.train()
    assert model.training and model._impl.training
    # the parent's state_dict holds the asen tensors and loads back in place
    saved = {k: v.clone() for k, v in net.state_dict().items()}
    assert set(saved) == {"asen." + k for k in model.state_dict()} | {"head.weight", "head.bias"}
    net.eval()
    with torch.no_grad():
        expected = net(x)
        for p in net.parameters():
            p.mul_(0.5)
        net.load_state_dict(saved)
        assert torch.equal(net(x), expected)
    key = next(k for k in saved if k.startswith("asen.backbone."))
    with pytest.raises(RuntimeError, match=f"size mismatch for {key}"):
        net.load_state_dict({**saved, key: torch.zeros(3, 3, 3)})
    with pytest.raises(RuntimeError, match=f'Missing key.*"{key}"'):
        net.load_state_dict({k: v for k, v in saved.items() if k != key})
    with pytest.raises(RuntimeError, match='Unexpected key.*"asen.extra"'):
        net.load_state_dict({**saved, "asen.extra": torch.zeros(1)})
    assert net.load_state_dict({**saved, "asen.extra": torch.zeros(1)}, strict=False).unexpected_keys == ["asen.extra"]
    # moved with it; a dtype other than float32 is refused with a clear error
    assert net.to("cpu") is net and model.device.type == "cpu"
    net.float()
    with pytest.raises(TypeError, match="computes in float32"):
        net.double()
    with pytest.raises(TypeError, match="computes in float32"):
        model.to(torch.float16)
    # forward hooks run, requires_grad_ freezes, zero_grad reaches the asen tensors
    seen = []
    handle = model.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    net(x[:3])
    handle.remove()
    assert seen == [torch.Size([3, N, 2])]
    net.zero_grad(set_to_none=True)
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    net(x).sum().backward()
    assert all(p.grad is None for p in model.parameters()) and net.head.weight.grad is not None
    model.requires_grad_(True)
    # a copy of the parent holds a copy of the model
    clone = copy.deepcopy(net)
    assert isinstance(clone.asen, ann.Model) and clone.asen._impl is not model._impl
    with torch.no_grad():
        assert torch.equal(clone(x), net(x))


def test_load_state_dict_restores_a_saved_state_in_place():
    model = small_model(seed=5).add_structure("cyclicsum", "D(10)", vocab=10).eval()
    x = torch.randint(0, 10, (4, N))
    best = model.state_dict()
    with torch.no_grad():
        expected = model("cyclicsum", x)
        for p in model.parameters():
            p.mul_(0.5)
        assert not torch.equal(model("cyclicsum", x), expected)
    pointers = [p.data_ptr() for p in model.parameters()]
    result = model.load_state_dict(best)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert [p.data_ptr() for p in model.parameters()] == pointers
    with torch.no_grad():
        assert torch.equal(model("cyclicsum", x), expected)
    partial = {k: v for k, v in best.items() if k.startswith("backbone.")}
    # torch's own errors and result
    with pytest.raises(RuntimeError, match='Missing key.*"edges_cyclicsum'):
        model.load_state_dict(partial)
    with pytest.raises(RuntimeError, match='Unexpected key.*"extra"'):
        model.load_state_dict({**best, "extra": torch.zeros(1)})
    result = model.load_state_dict({**partial, "extra": torch.zeros(1)}, strict=False)
    assert result.unexpected_keys == ["extra"] and "edges_cyclicsum.embedding.weight" in result.missing_keys
    key = next(iter(best))
    with pytest.raises(RuntimeError, match=f"size mismatch for {key}"):
        model.load_state_dict({**best, key: torch.zeros(3, 3, 3)})
    with pytest.raises(TypeError):
        model.load_state_dict([1, 2])
    # a subclass's submodule registered from Python loads with the rest, and is not "unexpected"
    class WithHead(ann.Model):
        pass

    sub = WithHead(hidden=8, layers=1, heads=2, seed=5).add_structure("cyclicsum", "D(10)", vocab=10)
    sub.extra = torch.nn.Linear(2, 2)
    state = sub.state_dict()
    assert "extra.weight" in state
    with torch.no_grad():
        sub.extra.weight.zero_()
    assert sub.load_state_dict(state).unexpected_keys == []
    assert torch.equal(sub.extra.weight, state["extra.weight"])


def test_to_device_and_device_property():
    model = small_model().add_structure("cyclicsum", "D(10)", vocab=10)
    assert model.to("cpu") is model and model.device == torch.device("cpu")
    assert model.cpu().device.type == "cpu"
    with pytest.raises(asen.InputError, match="unknown device"):
        model.to("tpu-ish")
    if not torch.cuda.is_available():
        with pytest.raises(asen.InputError, match="no CUDA device"):
            model.to("cuda")


def test_evaluate_refuses_empty_inputs_and_a_structure_that_is_not_its_task(d10_model):
    x, y = ann.generate_dataset("cyclicsum", 4)
    with pytest.raises(asen.InputError, match="at least one sample"):
        d10_model.evaluate("cyclicsum", x[:0], y[:0])
    model = small_model().add_structure("longestpal", "S(10)", vocab=20, num_classes=3)
    with pytest.raises(asen.InputError, match="is not the synthetic task of that name.*pass inputs and targets"):
        ann.evaluate(model, "longestpal", samples=10)
    model.add_structure("mine", "D(10)", vocab=10)
    with pytest.raises(asen.InputError, match="'mine' is not a synthetic task"):
        ann.evaluate(model, "mine", samples=10)


def test_evaluate_draws_new_sequences_unless_told_the_training_seed(tmp_path):
    import warnings

    run = ann.train("cyclicsum", seed=1, **TINY)
    model = run["model"]
    assert model.structure("cyclicsum")["synthetic_seed"] == 1
    x, y = ann.generate_dataset("cyclicsum", 40, seed=ann.DEFAULT_EVALUATION_SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ann.evaluate(model, "cyclicsum", samples=40) == ann.evaluate(model, "cyclicsum", x, y)
    with pytest.warns(UserWarning, match="seed 1 is the seed structure 'cyclicsum' was trained with"):
        ann.evaluate(model, "cyclicsum", samples=40, seed=1)
    # A model trained with the default evaluation seed is evaluated on the next one.
    other = ann.train("cyclicsum", seed=ann.DEFAULT_EVALUATION_SEED, **TINY)["model"]
    x, y = ann.generate_dataset("cyclicsum", 40, seed=ann.DEFAULT_EVALUATION_SEED + 1)
    assert ann.evaluate(other, "cyclicsum", samples=40) == ann.evaluate(other, "cyclicsum", x, y)
    other.save(tmp_path / "m.pt")
    assert ann.load(tmp_path / "m.pt").structure("cyclicsum")["synthetic_seed"] == ann.DEFAULT_EVALUATION_SEED
    assert small_model().add_structure("cyclicsum", "D(10)", vocab=10).structure("cyclicsum")["synthetic_seed"] is None


def test_model_takes_numpy_arrays_and_refuses_other_inputs_clearly(d10_model):
    import numpy as np

    x = torch.randint(0, 10, (3, N))
    with torch.no_grad():
        assert torch.equal(d10_model("cyclicsum", x.numpy()), d10_model("cyclicsum", x))
        assert torch.equal(d10_model(["cyclicsum"], [x[0].numpy()])[0], d10_model("cyclicsum", x[:1])[0])
    with pytest.raises(TypeError, match="x must be a torch.Tensor \\(or a numpy array\\), got list"):
        d10_model("cyclicsum", x.tolist())
    with pytest.raises(TypeError, match="dtype object has no torch equivalent"):
        d10_model("cyclicsum", np.array([[1] * N], dtype=object))
    with pytest.raises(TypeError, match="a mixed batch takes a list of samples"):
        d10_model(["cyclicsum"], x)
    with pytest.raises(asen.InputError, match=r"x\[0\]: a mixed batch takes single samples, and structure "
                       r"'cyclicsum' takes tokens of shape \[10\], got \[2, 10\]"):
        d10_model(["cyclicsum"], [x[:2]])
    # evaluate takes numpy arrays as the model does
    y = torch.randint(0, 2, (3, N))
    assert ann.evaluate(d10_model, "cyclicsum", x.numpy(), y.numpy()) == ann.evaluate(d10_model, "cyclicsum", x, y)
    with pytest.raises(TypeError, match="targets must be a torch.Tensor"):
        ann.evaluate(d10_model, "cyclicsum", x, y.tolist())


def test_label_sequence_refuses_sequences_the_task_cannot_draw():
    assert ann.label_sequence("palindrome", [1, 2, 1]) == [1, 1, 1]
    with pytest.raises(asen.InputError, match="token 10 at position 2 is outside the tokens 0..9 of task 'cyclicsum'"):
        ann.label_sequence("cyclicsum", [1, 2, 10, 3])
    with pytest.raises(asen.InputError, match="needs a sequence length"):
        ann.label_sequence("palindrome", [1, 2])
    with pytest.raises(asen.InputError, match="length"):
        ann.label_sequence("intersect", [1, 2, 3])


def test_evaluate_gives_nan_metrics_for_a_model_with_non_finite_outputs():
    model = small_model().add_structure("cyclicsum", "D(10)", num_classes=2, vocab=10)
    with torch.no_grad():
        for p in model.parameter_groups()["heads"]:
            p.fill_(float("nan"))
    m = ann.evaluate(model, "cyclicsum", samples=20)
    assert all(m[k] != m[k] for k in ("loss", "node_accuracy", "exact_match"))  # NaN, not an argmax's count


def _python_process(code):
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _expect_keyboard_interrupt_after_ctrl_c(proc, what):
    """Sends SIGINT to a running `python -c` child that prints 'finished'
    when its work ends: it must stop with KeyboardInterrupt instead."""
    import signal

    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # pragma: no cover - the defect this test is for
        proc.kill()
        pytest.fail(f"{what} went on after Ctrl-C")
    assert "finished" not in out and "KeyboardInterrupt" in err, err


def test_ctrl_c_stops_python_training_with_keyboard_interrupt(tmp_path):
    code = (
        "import asen.nn as ann\n"
        f"ann.train('cyclicsum', samples=400, epochs=500, batch=8, hidden=16, layers=1, heads=2, threads=1, "
        f"out={str(tmp_path / 'run')!r})\n"
        "print('finished')\n"
    )
    proc = _python_process(code)
    metrics = tmp_path / "run" / "metrics.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (metrics.exists() and metrics.read_text().count("\n") >= 3):
        time.sleep(0.1)
    assert proc.poll() is None, proc.communicate()
    _expect_keyboard_interrupt_after_ctrl_c(proc, "training")
    epochs = {json.loads(line)["epoch"] for line in metrics.read_text().splitlines() if line}
    assert max(epochs) < 500
    assert (tmp_path / "run" / "checkpoint.pt").exists()


def test_a_float64_default_dtype_still_gives_float32_weights_the_seed_fixes(tmp_path):
    reference = small_model(seed=5).add_structure("cyclicsum", "D(10)", vocab=10).eval()
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        model = small_model(seed=5).add_structure("cyclicsum", "D(10)", vocab=10).eval()
    finally:
        torch.set_default_dtype(previous)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    for (name, a), (_, b) in zip(reference.state_dict().items(), model.state_dict().items()):
        assert torch.equal(a, b), name
    model.save(tmp_path / "m.pt")
    x = torch.randint(0, 10, (4, N))
    with torch.no_grad():
        assert torch.equal(ann.load(tmp_path / "m.pt")("cyclicsum", x), reference("cyclicsum", x))


def test_tracing_is_refused_and_autocast_leaves_the_model_in_float32(d10_model):
    x = torch.randint(0, 10, (3, N))
    with pytest.raises(RuntimeError, match="torch.jit.trace"):
        torch.jit.trace(lambda t: d10_model("cyclicsum", t), (x,), check_trace=False)
    with torch.no_grad():
        expected = d10_model("cyclicsum", x)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            got = d10_model("cyclicsum", x)
    assert got.dtype == torch.float32 and torch.equal(got, expected)


def test_parameters_and_buffers_registered_from_python_stay():
    model = small_model(seed=6).add_structure("cyclicsum", "D(10)", vocab=10)
    model.register_buffer("steps", torch.zeros(1))
    model.register_parameter("temperature", torch.nn.Parameter(torch.ones(1)))
    model.register_parameter("unused", None)
    model.add_structure("palindrome", "mirror(10)", vocab=10)
    model.to("cpu")
    names = dict(model.named_parameters())
    assert "temperature" in names and "steps" in dict(model.named_buffers())
    # their state round-trips with the C++ tensors', strictly
    state = model.state_dict()
    assert "steps" in state and "temperature" in state
    model.load_state_dict(state)
    # get_parameter finds the C++ model's dotted names
    key = next(k for k in names if k.startswith("backbone."))
    assert model.get_parameter(key) is names[key]
    assert model.get_parameter("temperature") is names["temperature"]


def test_a_model_file_whose_description_was_edited_apart_from_its_weights_is_refused(tmp_path):
    # The file is a TorchScript archive: its description can be rewritten
    # (CRCs and all) without touching the tensors.
    small_model().add_structure("c", "D(6)", vocab=3).save(tmp_path / "a.pt")
    archive = torch.jit.load(str(tmp_path / "a.pt"))
    meta = json.loads(archive.asen_meta)
    meta["backbone"]["hidden"] = 64
    archive.asen_meta = json.dumps(meta)
    archive.save(str(tmp_path / "wider.pt"))
    with pytest.raises(asen.InputError, match="does not match its own description.*has shape"):
        ann.load(tmp_path / "wider.pt")
    meta = json.loads(torch.jit.load(str(tmp_path / "a.pt")).asen_meta)
    meta["structures"] = []
    archive.asen_meta = json.dumps(meta)
    archive.save(str(tmp_path / "empty.pt"))
    with pytest.raises(asen.InputError, match="has no structures"):
        ann.load(tmp_path / "empty.pt")


def test_ctrl_c_stops_an_evaluation_between_batches():
    code = (
        "import sys, torch, asen.nn as ann\n"
        "m = ann.Model(hidden=16, layers=1, heads=2).add_structure('c', 'D(10)', vocab=10)\n"
        "x = torch.randint(0, 10, (1000000, 10)); y = torch.randint(0, 2, (1000000, 10))\n"
        "print('ready', flush=True)\n"
        "m.evaluate('c', x, y, batch=8)\n"
        "print('finished', flush=True)\n"
    )
    proc = _python_process(code)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    _expect_keyboard_interrupt_after_ctrl_c(proc, "the evaluation")


def test_share_memory_moves_every_tensor_and_a_child_process_updates_the_parents_model():
    import torch.multiprocessing as tmp

    model = small_model().add_structure("cyclicsum", "D(10)", vocab=10)
    assert model.share_memory() is model
    assert all(p.is_shared() for p in model.parameters())
    assert all(b.is_shared() for b in model.buffers())
    before = model.parameter_groups()["backbone"][0].detach().clone()
    # Hogwild: the child's in-place update is the parent's (as for torch's
    # modules, whether the child is forked or spawned: a spawned child gets
    # the model through torch's shared-memory reductions), and the C++
    # forward reads it too.
    expected = before
    for method in ("fork", "spawn"):
        child = tmp.get_context(method).Process(target=_add_one_to_the_parameters, args=(model,))
        child.start()
        child.join(120)
        assert child.exitcode == 0, method
        expected = expected + 1  # as the child rounds: one step at a time
        assert torch.equal(model.parameter_groups()["backbone"][0], expected), method
    # a subclass with a module of its own too
    sub = _WithReadout().share_memory()
    weights = (sub.parameter_groups()["edges"][0].detach().clone(), sub.readout.weight.detach().clone())
    child = tmp.get_context("spawn").Process(target=_add_one_to_the_parameters, args=(sub,))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    assert torch.equal(sub.parameter_groups()["edges"][0], weights[0] + 1)
    assert torch.equal(sub.readout.weight, weights[1] + 1)
    x = torch.randint(0, 10, (2, 10))
    with torch.no_grad():
        out = model("cyclicsum", x)
        restored = small_model().add_structure("cyclicsum", "D(10)", vocab=10)
        restored.load_state_dict(model.state_dict())
        assert torch.equal(out, restored("cyclicsum", x))


def _add_one_to_the_parameters(model):
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1)


class _WithReadout(ann.Model):
    def __init__(self):
        super().__init__(**SMALL)
        self.add_structure("cyclicsum", "D(10)", vocab=10, out_dim=4)
        self.readout = torch.nn.Linear(4, 1)

    def forward(self, x):
        return self.readout(super().forward("cyclicsum", x))


def test_copies_and_pickles_keep_what_was_added_from_python():
    import pickle

    model = small_model().add_structure("cyclicsum", "D(10)", vocab=10)
    model.register_buffer("scale", torch.full((2,), 3.0))
    model.register_parameter("bias", torch.nn.Parameter(torch.ones(3)))
    model.note = "best so far"
    model.extra = torch.nn.Linear(2, 2)
    for copied in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert torch.equal(copied.scale, model.scale) and torch.equal(copied.bias, model.bias)
        assert copied.note == "best so far" and isinstance(copied.extra, torch.nn.Linear)
        assert torch.equal(copied.extra.weight, model.extra.weight)
        assert sorted(dict(copied.named_parameters())) == sorted(dict(model.named_parameters()))
        with torch.no_grad():
            copied.bias.add_(1)
        assert torch.equal(model.bias, torch.ones(3))  # a copy, not the same tensor
    sub = _WithReadout().eval()
    x = torch.randint(0, 10, (3, 10))
    with torch.no_grad():
        assert torch.equal(copy.deepcopy(sub)(x), sub(x))
        assert torch.equal(pickle.loads(pickle.dumps(sub))(x), sub(x))
    # frozen parameters stay frozen (as torch's); a deepcopy keeps gradients too, a pickle does not
    model.requires_grad_(False)
    edges = model.parameter_groups()["edges"]
    edges[0].requires_grad_(True)
    model("cyclicsum", torch.randint(0, 10, (2, 10))).sum().backward()
    assert edges[0].grad is not None
    for copied in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        flags = {k: p.requires_grad for k, p in copied.named_parameters()}
        assert flags == {k: p.requires_grad for k, p in model.named_parameters()}
        assert sum(flags.values()) == 1
    grads = {k: p.grad for k, p in copy.deepcopy(model).named_parameters() if p.grad is not None}
    assert list(grads) == [k for k, p in model.named_parameters() if p.grad is not None]
    assert all(torch.equal(grads[k], p.grad) for k, p in model.named_parameters() if k in grads)
    assert all(p.grad is None for p in pickle.loads(pickle.dumps(model)).parameters())


def test_seeds_take_the_cli_s_range():
    def weights(model):
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    assert not torch.equal(weights(small_model(seed=2**64 - 1)), weights(small_model(seed=0)))
    with pytest.raises(asen.InputError, match="seed must be in \\[0, 18446744073709551615\\]"):
        small_model(seed=2**64)
    with pytest.raises(asen.InputError, match="seed must be in"):
        small_model(seed=-1)
    with pytest.raises(TypeError, match="seed must be an int, got float"):
        small_model(seed=1.5)
    assert torch.equal(weights(small_model(seed=np.uint64(7))), weights(small_model(seed=7)))
    assert torch.equal(ann.generate_dataset("cyclicsum", 4, seed=2**63).inputs,
                       ann.generate_dataset("cyclicsum", 4, seed=np.uint64(2**63)).inputs)


def test_a_structures_breaking_input_is_a_copy():
    model = small_model().add_structure("cyclicsum", "D(10)", vocab=10).eval()
    found = model.discover("cyclicsum", true_group="")
    bi = model.breaking_input("cyclicsum")
    bi["edge_attr"].zero_()
    bi["edge_index"] += 100
    assert model.breaking_input("cyclicsum")["edge_attr"].max() > 0
    again = model.discover("cyclicsum", true_group="")
    assert again["discovered"] == found["discovered"] and again["representatives"] == found["representatives"]


def test_eval_and_add_structure_are_not_starved_by_forwards_on_other_threads():
    import threading

    model = ann.Model(hidden=32, layers=2, heads=4).add_structure("a", "D(10)", vocab=5).eval()
    x = torch.randint(0, 5, (16, 10))
    stop = threading.Event()

    def serve():
        with torch.no_grad():
            while not stop.is_set():
                model("a", x)

    threads = [threading.Thread(target=serve) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.2)
        start = time.monotonic()
        model.train()
        model.eval()
        model.add_structure("b", "C(6)", vocab=5)
        waited = time.monotonic() - start
    finally:
        stop.set()
        for t in threads:
            t.join()
    # A writer waits for the forwards already running, not for a stream of
    # new ones (it waited 11 to 36 s before).
    assert waited < 5, waited
    assert model.structures == ["a", "b"]


def test_python_arguments_of_the_wrong_kind_are_refused():
    with pytest.raises(asen.InputError, match="at least 1, got -1"):
        ann.tasks(-1)
    with pytest.raises(TypeError, match="as_torch must be True or False"):
        asen.breaking_input("D(6)", as_torch="no")
    with pytest.raises(TypeError):
        ann.label_sequence("cyclicsum", [1.7] * 10)
    assert ann.label_sequence("cyclicsum", [np.int64(1)] * 10) == ann.label_sequence("cyclicsum", [1] * 10)


@pytest.mark.parametrize("settings, message", [
    ({"weight_decay": -1.0}, "weight decay must be a finite number >= 0"),
    ({"clip_norm": float("nan")}, "clipping norm must be a finite number >= 0"),
    ({"lr_edges": float("inf")}, "learning rates must be positive and finite"),
    ({"threads": 100000}, "threads, got 100000"),
])
def test_training_settings_out_of_range_are_refused(settings, message):
    with pytest.raises(asen.InputError, match=message):
        ann.train("cyclicsum", samples=40, epochs=1, hidden=8, layers=1, heads=2, **settings)


def test_a_numpy_integer_is_a_seed():
    a = ann.train("cyclicsum", samples=40, epochs=1, hidden=8, layers=1, heads=2, seed=np.int64(3))
    b = ann.train("cyclicsum", samples=40, epochs=1, hidden=8, layers=1, heads=2, seed=3)
    drop_time = lambda m: {k: v for k, v in m.items() if k != "seconds"}  # noqa: E731
    assert drop_time(a["test"]["cyclicsum"]) == drop_time(b["test"]["cyclicsum"])
    assert torch.equal(a["model"].state_dict()["backbone.projections.0.weight"], b["model"].state_dict()["backbone.projections.0.weight"])


def test_the_extension_model_refuses_new_without_init():
    with pytest.raises(TypeError, match="are made by asen.nn.Model"):
        asen._nn.Model.__new__(asen._nn.Model)


def test_a_tasks_group_given_both_by_group_and_by_groups_is_refused():
    # as the CLI's "the group of task 'cyclicsum' is given twice"; refused before any training
    tiny = dict(samples=20, epochs=1, hidden=8, layers=1, heads=2)
    with pytest.raises(asen.InputError, match="the group of task 'cyclicsum' is given twice"):
        ann.train("cyclicsum", group="C(10)", groups={"cyclicsum": "S(10)"}, **tiny)
    with pytest.raises(ValueError, match="'cyclicsum'"):
        ann.train("cyclicsum", group="C(10)", groups={"cyclicsum": "C(10)"}, **tiny)
    once = ann.train("cyclicsum", groups={"cyclicsum": "C(10)"}, **dict(tiny, epochs=0))
    assert once["model"].structure("cyclicsum")["group"] == "C(10)"


def test_state_dict_entries_of_a_model_inside_a_parent_are_copies():
    net = _Wrapper(small_model(seed=8).add_structure("cyclicsum", "D(10)", vocab=10))
    state = net.state_dict()
    before = {k: v.clone() for k, v in state.items()}
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
    asen_keys = [k for k in state if k.startswith("asen.")]
    assert asen_keys and all(torch.equal(state[k], before[k]) for k in asen_keys)  # copies
    assert torch.equal(state["head.weight"], before["head.weight"] + 1.0)  # torch's own: a view
    doc = ann.Model.state_dict.__doc__
    assert "parent" in doc and "copies too" in doc


def test_parameter_groups_hold_each_structures_input_mlp_as_documented():
    model = small_model(seed=9).add_structure("t", "C(4)", vocab=3).add_structure("f", "C(4)", in_features=2)
    names = {id(p): n for n, p in model.named_parameters()}
    groups = {k: {names[id(p)] for p in v} for k, v in model.parameter_groups().items()}
    assert {n for n in groups["tokens"] if n.startswith("tokens_t.mlp.")}  # a token structure's MLP: 'tokens'
    assert all(n.startswith("tokens_t.") for n in groups["tokens"])
    assert {n for n in groups["heads"] if n.startswith("features_f.mlp.")}  # a feature structure's: 'heads'
    assert all(n.startswith(("head_t.", "head_f.", "features_f.")) for n in groups["heads"])
    assert all(n.startswith("edges_") for n in groups["edges"])
    doc = ann.Model.parameter_groups.__doc__
    assert "features_X.mlp" in doc and "tokens_X" in doc


def test_parameter_groups_go_to_an_optimiser_as_dicts_with_their_own_rates():
    model = small_model(seed=10).add_structure("cyclicsum", "D(10)", vocab=10)
    groups = model.parameter_groups()
    with pytest.raises(TypeError):  # the lists themselves are not parameter groups
        torch.optim.Adam(list(groups.values()))
    lr = {"backbone": 0.01, "heads": 0.01, "edges": 0.0, "tokens": 0.02}
    opt = torch.optim.Adam([{"params": v, "lr": lr[k]} for k, v in groups.items()])
    assert [g["lr"] for g in opt.param_groups] == [lr[k] for k in groups]
    before = {k: [p.detach().clone() for p in v] for k, v in groups.items()}
    x, y = ann.generate_dataset("cyclicsum", 16, seed=3)
    loss = torch.nn.functional.cross_entropy(model("cyclicsum", x).reshape(-1, 2), y.reshape(-1))
    loss.backward()
    assert all(p.grad is not None for v in groups.values() for p in v)
    opt.step()
    for k, v in groups.items():
        changed = any(not torch.equal(p, q) for p, q in zip(v, before[k]))
        assert changed == (lr[k] > 0), k
    assert '"params"' in ann.Model.parameter_groups.__doc__


def test_parameters_are_plain_tensors_and_an_nn_parameter_alias_gets_no_gradient():
    model = small_model(seed=11).add_structure("cyclicsum", "D(10)", vocab=10)
    params = list(model.parameters())
    assert params and all(type(p) is torch.Tensor and p.requires_grad for p in params)
    assert not any(isinstance(p, torch.nn.Parameter) for p in params)
    weight = model.get_parameter("backbone.projections.0.weight")
    alias = torch.nn.Parameter(weight)  # the same storage, but not the tensor the C++ forward uses
    assert alias.data_ptr() == weight.data_ptr()
    model("cyclicsum", torch.randint(0, 10, (2, N))).sum().backward()
    assert weight.grad is not None and alias.grad is None
    doc = ann.Model.parameters.__doc__
    assert "plain" in doc and "torch.nn.Parameter" in doc


def test_a_degree_other_than_the_breaking_inputs_node_count_is_refused():
    model = small_model(seed=12)
    with pytest.raises(ValueError, match="degree=5, but the breaking input has 3 nodes"):
        model.add_structure("bd", asen.breaking_input("C(3)"), vocab=3, degree=5)
    assert model.structures == []
    model.add_structure("bd", asen.breaking_input("C(3)"), vocab=3, degree=3)  # its own node count
    assert model.structure("bd")["num_nodes"] == 3


def test_torch_jit_script_is_refused_with_asens_message(d10_model):
    message = r"forward pass in C\+\+, which torch.jit.script cannot compile.*model.save"
    for obj in (d10_model, _Wrapper(d10_model)):  # also as a submodule
        with pytest.raises(RuntimeError, match=message):
            torch.jit.script(obj)
    assert d10_model.structures == ["cyclicsum"]  # left as it was


def test_a_file_of_torch_save_is_refused_with_a_hint_and_paths_with_nul_are_refused(tmp_path):
    m = asen.nn.Model(hidden=16, heads=2, layers=1).add_structure("c", "C(4)", num_classes=2, vocab=3)
    torch.save(m, tmp_path / "f.pt")
    with pytest.raises(asen.InputError, match="torch.save: load it there with torch.load"):
        asen.nn.load(tmp_path / "f.pt")
    m.save(tmp_path / "m.pt")
    with pytest.raises(asen.InputError, match="the model path holds a NUL character at offset"):
        asen.nn.load(str(tmp_path / "m.pt") + "\0.txt")
    with pytest.raises(asen.InputError, match="the model path holds a NUL character"):
        m.save(str(tmp_path / "n.pt") + "\0")
    assert not list(tmp_path.glob("n.pt*"))


def test_a_deep_backbone_is_refused_for_its_layers_own_memory():
    # 10^7 layers of width 1 hold few weights (1.8 GB to train) but each layer's
    # modules take about 20 KiB: some 250 GB, refused before anything is built.
    with pytest.raises(asen.InputError, match="each layer's modules"):
        asen.nn.Model(hidden=1, heads=1, layers=10**7)


def test_outside_checks_reach_the_number_asked_beyond_a_thousand():
    m = asen.nn.Model(hidden=8, heads=1, layers=1, seed=1).add_structure("c", "C(6)", num_classes=2, vocab=3)
    r = asen.nn.check_equivariance(m, "c", random=1500, seed=3)
    # C(6) is 2-closed: 714 of the 720 permutations of 6 points are outside it,
    # and 3000 draws (twice the number asked) find 1500 of them.
    assert r["outside_checks"] == 1500
    assert r["outside_max_error"] > 1e-3


def test_discover_notes_a_true_group_on_fewer_points():
    m = asen.nn.Model(hidden=8, heads=1, layers=1, seed=1).add_structure("c", "C(6)", num_classes=2, vocab=3)
    with pytest.warns(UserWarning, match=r"the true group 'S\(3\)' acts on 3 points and the structure has 6 nodes"):
        d = asen.nn.discover(m, "c", true_group="S(3)")
    assert d["true_group"]["order"] == 6
