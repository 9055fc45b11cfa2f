"""`asen breaking-input`: the orbital colouring as edge_index / edge_attr /
node_color arrays in .npz, .pt and .json files (dense, sparse, weak-sparse)."""

import json
import os
import shutil
import subprocess
import zipfile

import numpy as np
import pytest

from conftest import TIMEOUT_S, asen_path, assert_input_error, run, run_json, run_ok

ARRAYS = ["edge_index", "edge_attr", "node_color", "num_colors", "num_nodes"]


def colours(spec):
    return run_json("orbitals", spec, "--colors")["colors"]


def write_base(tmp_path, name, edges, n=None):
    path = tmp_path / name
    path.write_text((f"vertices {n}\n" if n else "") + "".join(f"{u} {v}\n" for u, v in edges))
    return str(path)


def load_npz(path):
    with np.load(path) as archive:
        return {name: archive[name] for name in archive.files}


def check_against_colours(arrays, matrix):
    n = len(matrix)
    src, dst = arrays["edge_index"]
    assert [matrix[i][j] for i, j in zip(src.tolist(), dst.tolist())] == arrays["edge_attr"].tolist()
    assert arrays["node_color"].tolist() == [matrix[i][i] for i in range(n)]
    assert int(arrays["num_colors"]) == len({c for row in matrix for c in row})
    pairs = list(zip(src.tolist(), dst.tolist()))
    assert pairs == sorted(pairs) and len(set(pairs)) == len(pairs)


@pytest.mark.parametrize("spec", ["D(10)", "A(5)", "(1,2)(3,4),(1,3)", "mirror(7)"])
def test_dense_npz_matches_the_json_and_the_orbital_colours(tmp_path, spec):
    matrix = colours(spec)
    n = len(matrix)
    run_ok("breaking-input", spec, "--out", str(tmp_path / "b.npz"))
    run_ok("breaking-input", spec, "--out", str(tmp_path / "b.json"))
    arrays = load_npz(tmp_path / "b.npz")
    assert sorted(arrays) == sorted(ARRAYS)
    assert all(a.dtype == np.int64 for a in arrays.values())
    assert arrays["edge_index"].shape == (2, n * n)
    assert arrays["edge_attr"].shape == (n * n,)
    assert arrays["node_color"].shape == (n,)
    assert arrays["num_colors"].shape == () and arrays["num_nodes"].shape == () and int(arrays["num_nodes"]) == n
    assert [(i, i) for i in range(n)] == [(i, j) for i, j in arrays["edge_index"].T.tolist() if i == j]
    check_against_colours(arrays, matrix)
    document = json.loads((tmp_path / "b.json").read_text())
    assert list(document) == ["num_nodes", "mode", "num_colors", "edge_index", "edge_attr", "node_color"]
    assert (document["num_nodes"], document["mode"]) == (n, "dense")
    for name in ARRAYS:
        assert np.array_equal(np.array(document[name]), arrays[name]), name
    assert sorted(os.listdir(tmp_path)) == ["b.json", "b.npz"]  # no temporary files left


def test_npz_is_a_stored_zip_with_valid_crcs(tmp_path):
    run_ok("breaking-input", "S(6)", "--out", str(tmp_path / "s6.npz"))
    with zipfile.ZipFile(tmp_path / "s6.npz") as archive:
        assert archive.testzip() is None  # every CRC-32 checks
        infos = archive.infolist()
        assert [i.filename for i in infos] == [name + ".npy" for name in ARRAYS]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)


def test_pt_loads_with_torch_and_equals_the_npz(tmp_path):
    probe = run("breaking-input", "S(2)", "--out", str(tmp_path / "probe.pt"))
    if probe.returncode != 0 and "built without" in probe.stderr:
        pytest.skip("this asen was built without LibTorch (ASEN_BUILD_NN=OFF)")
    for ext in ("pt", "npz"):
        run_ok("breaking-input", "wreath(S(3),S(2))", "--out", str(tmp_path / f"w.{ext}"))
    base = write_base(tmp_path, "path.txt", [(i, i + 1) for i in range(5)])
    for ext in ("pt", "npz"):
        run_ok("breaking-input", "wreath(S(3),S(2))", "--mode", "weak-sparse", "--base", base,
               "--out", str(tmp_path / f"weak.{ext}"))
    # torch takes a while to import: one Python process checks both files.
    script = """
import sys, numpy as np, torch
for name in sys.argv[1:]:
    # weights_only: the safe loader, torch.load's default from torch 2.6 on
    data = torch.load(name + ".pt", weights_only=True)
    assert isinstance(data, dict), type(data)
    with np.load(name + ".npz") as npz:
        assert sorted(data) == sorted(npz.files), (sorted(data), npz.files)
        for key, tensor in data.items():
            assert isinstance(tensor, torch.Tensor), key
            assert tuple(tensor.shape) == npz[key].shape, key
            assert str(tensor.dtype) == ("torch.bool" if key == "color_in_base" else "torch.int64"), key
            assert np.array_equal(tensor.numpy(), npz[key]), key
print("ok")
"""
    result = subprocess.run(["/usr/bin/python3", "-c", script, str(tmp_path / "w"), str(tmp_path / "weak")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_pt_without_its_plugin_is_a_clear_input_error(tmp_path):
    # A copy of the executable alone: the LibTorch plugin is not beside it.
    (tmp_path / "bin").mkdir()
    lonely = tmp_path / "bin" / "asen"
    shutil.copy(asen_path(), lonely)
    result = subprocess.run([str(lonely), "breaking-input", "S(4)", "--out", str(tmp_path / "s4.pt")],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert_input_error(result, "s4.pt", "use .npz or .json")
    assert sorted(os.listdir(tmp_path)) == ["bin"]


def test_sparse_mode_on_a_path_keeps_both_directions_of_each_edge_and_the_self_loops(tmp_path):
    n = 8
    base = write_base(tmp_path, "path.txt", [(i, i + 1) for i in range(n - 1)])
    run_ok("breaking-input", "mirror(8)", "--mode", "sparse", "--base", base, "--out", str(tmp_path / "s.npz"))
    arrays = load_npz(tmp_path / "s.npz")
    pairs = set(map(tuple, arrays["edge_index"].T.tolist()))
    expected = {(i, i + 1) for i in range(n - 1)} | {(i + 1, i) for i in range(n - 1)} | {(i, i) for i in range(n)}
    assert pairs == expected
    assert arrays["edge_index"].shape == (2, 2 * (n - 1) + n)
    check_against_colours(arrays, colours("mirror(8)"))
    run_ok("breaking-input", "mirror(8)", "--mode", "sparse", "--base", base, "--out", str(tmp_path / "s.json"))
    document = json.loads((tmp_path / "s.json").read_text())
    assert document["mode"] == "sparse" and "color_in_base" not in document
    assert document["edge_index"] == arrays["edge_index"].tolist()


def test_weak_sparse_flags_the_colours_that_hold_a_base_arc(tmp_path):
    spec = "D(6)"
    matrix = colours(spec)
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0)]
    base = write_base(tmp_path, "hexagon.txt", edges)
    run_ok("breaking-input", spec, "--mode", "weak-sparse", "--base", base, "--out", str(tmp_path / "w.npz"))
    run_ok("breaking-input", spec, "--mode", "weak-sparse", "--base", base, "--out", str(tmp_path / "w.json"))
    arrays = load_npz(tmp_path / "w.npz")
    assert arrays["edge_index"].shape == (2, 36)
    check_against_colours(arrays, matrix)
    in_base = {matrix[u][v] for u, v in edges} | {matrix[v][u] for u, v in edges}
    flags = arrays["color_in_base"]
    assert flags.dtype == np.bool_ and flags.shape == (int(arrays["num_colors"]),)
    assert flags.tolist() == [c in in_base for c in range(len(flags))]
    assert 0 < sum(flags) < len(flags)
    document = json.loads((tmp_path / "w.json").read_text())
    assert document["color_in_base"] == flags.tolist()


def test_summary_line_names_the_file_and_the_sizes(tmp_path):
    out = run_ok("breaking-input", "D(10)", "--out", str(tmp_path / "d.npz"))
    assert out.count("\n") == 1
    assert "d.npz" in out and "10 nodes" in out and "100 edges" in out and "6 colours" in out


def test_graph_spec_as_the_group(tmp_path):
    base = write_base(tmp_path, "hexagon.txt", [(i, (i + 1) % 6) for i in range(6)])
    run_ok("breaking-input", f"graph:{base}", "--mode", "sparse", "--base", base, "--out", str(tmp_path / "g.npz"))
    arrays = load_npz(tmp_path / "g.npz")
    assert arrays["edge_index"].shape == (2, 12 + 6)
    assert int(arrays["num_colors"]) == 4  # D(6) has rank 4
    assert len(set(arrays["edge_attr"].tolist())) == 2  # the diagonal and the hexagon's edges


def test_sparse_mode_needs_a_group_of_automorphisms_of_the_base_graph(tmp_path):
    # On a path 0-1-2-3-4-5 the rotations C(6) move the edge (5,0) that is not
    # there: the sparse input would not be invariant under them. The mirror is
    # an automorphism; weak-sparse and dense inputs are invariant whatever the
    # base graph.
    path6 = write_base(tmp_path, "path6.txt", [(i, i + 1) for i in range(5)])
    out = str(tmp_path / "s.npz")
    result = run("breaking-input", "C(6)", "--mode", "sparse", "--base", path6, "--out", out)
    assert_input_error(result, "does not preserve the base graph", "generator (1,2,3,4,5,6) (cycle notation, 1-based) maps the edge (4,5) to (5,0)")
    assert not os.path.exists(out)
    run_ok("breaking-input", "mirror(6)", "--mode", "sparse", "--base", path6, "--out", out)
    run_ok("breaking-input", "C(6)", "--mode", "weak-sparse", "--base", path6, "--out", out)
    # A loop the group moves is no reason to refuse: the sparse input has
    # every self-loop anyway, and is the same with the loop or without it.
    cycle = [(i, (i + 1) % 6) for i in range(6)]
    looped = write_base(tmp_path, "looped.txt", cycle + [(0, 0)])
    plain = write_base(tmp_path, "plain.txt", cycle)
    for base, name in ((looped, "l.json"), (plain, "p.json")):
        run_ok("breaking-input", "D(6)", "--mode", "sparse", "--base", base, "--out", str(tmp_path / name))
    with_loop, without = (json.loads((tmp_path / n).read_text()) for n in ("l.json", "p.json"))
    assert with_loop["edge_index"] == without["edge_index"] and with_loop["edge_attr"] == without["edge_attr"]
    # A directed base graph: the reversal of a directed path maps its arcs backwards.
    arcs = tmp_path / "arcs.txt"
    arcs.write_text("directed\n0 1\n1 2\n")
    assert_input_error(run("breaking-input", "mirror(3)", "--mode", "sparse", "--base", str(arcs), "--out", out),
                       "maps the arc (0,1) to (2,1)")


def test_errors_are_input_errors_and_write_nothing(tmp_path):
    out = str(tmp_path / "b.npz")
    path8 = write_base(tmp_path, "path8.txt", [(i, i + 1) for i in range(7)])
    bad = tmp_path / "bad.txt"
    bad.write_text("0 1\n\n1 2 3\n")
    cases = [
        (["S(8)", "--mode", "diagonal", "--out", out], "diagonal"),
        (["S(8)", "--mode", "sparse", "--out", out], "--base"),
        (["S(8)", "--mode", "weak-sparse", "--out", out], "--base"),
        (["S(5)", "--mode", "sparse", "--base", path8, "--out", out], "8 vertices"),
        (["S(8)", "--mode", "sparse", "--base", str(bad), "--out", out], "bad.txt:3:"),
        (["S(8)", "--mode", "sparse", "--base", str(tmp_path / "nope.txt"), "--out", out], "nope.txt"),
        (["S(8)", "--base", path8, "--out", out], "sparse"),
        (["S(8)", "--out", str(tmp_path / "b.npy")], ".npz"),
        (["S(8)"], "--out"),
        (["S(12000)", "--out", out], "memory limit"),
        (["S(300)", "--memory-limit-mb", "1", "--out", out], "memory limit"),
        (["graph:" + str(tmp_path / "nope.txt"), "--out", out], "nope.txt"),
        (["Q(3)", "--out", out], "unknown group"),
        (["S(8)", "--out", str(tmp_path / "no" / "dir.npz")], "does not exist"),
    ]
    for args, fragment in cases:
        assert_input_error(run("breaking-input", *args), fragment)
    assert sorted(os.listdir(tmp_path)) == ["bad.txt", "path8.txt"]
