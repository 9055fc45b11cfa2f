"""`asen automorphisms GRAPHFILE` and `graph:FILE` group specs: symmetry
groups of users' graphs (edge lists and GraphViz)."""

import pytest

from conftest import assert_input_error, run, run_json, run_ok

KEYS = ["vertices", "edges", "directed", "order", "generators", "orbits", "backend", "search_nodes",
        "search_ms"]


def cycle_edges(n):
    return "".join(f"{i} {(i + 1) % n}\n" for i in range(n))


def petersen_edges():
    outer = [(i, (i + 1) % 5) for i in range(5)]
    spokes = [(i, i + 5) for i in range(5)]
    inner = [(5 + i, 5 + (i + 2) % 5) for i in range(5)]
    return "# the Petersen graph\n" + "".join(f"{u} {v}\n" for u, v in outer + spokes + inner)


def edge_set(text):
    edges = set()
    for line in text.splitlines():
        line = line.split("#")[0].split()
        if len(line) == 2 and line[0].isdigit():
            u, v = map(int, line)
            edges.add(frozenset((u, v)))
    return edges


def is_automorphism(images, edges):
    return {frozenset(images[p] for p in e) for e in edges} == edges


@pytest.fixture
def hexagon(tmp_path):
    path = tmp_path / "hexagon.txt"
    path.write_text(cycle_edges(6))
    return path


def test_six_cycle_has_the_dihedral_group_of_order_12(hexagon):
    aut = run_json("automorphisms", str(hexagon))
    assert list(aut) == KEYS
    assert (aut["vertices"], aut["edges"], aut["directed"], aut["order"]) == (6, 6, False, "12")
    assert aut["orbits"] == [list(range(6))]
    assert aut["generators"] and all(is_automorphism(g, edge_set(cycle_edges(6))) for g in aut["generators"])
    assert aut["backend"] == "traces" and aut["search_nodes"] >= 1 and aut["search_ms"] >= 0


@pytest.mark.parametrize("backend", ["auto", "nauty", "traces"])
def test_petersen_graph_has_order_120(tmp_path, backend):
    path = tmp_path / "petersen.txt"
    path.write_text(petersen_edges())
    aut = run_json("automorphisms", str(path), "--backend", backend)
    assert (aut["vertices"], aut["edges"], aut["order"]) == (10, 15, "120")
    assert all(is_automorphism(g, edge_set(petersen_edges())) for g in aut["generators"])


def test_directed_and_coloured_edge_lists(tmp_path):
    directed = tmp_path / "arrows.txt"
    directed.write_text("directed\n0 1\n1 2\n2 0\n")
    aut = run_json("automorphisms", str(directed))
    assert (aut["directed"], aut["order"]) == (True, "3")
    coloured = tmp_path / "coloured.txt"
    coloured.write_text("color 0 red\n" + cycle_edges(6))
    assert run_json("automorphisms", str(coloured))["order"] == "2"  # only the reflection through vertex 0


def test_graphviz_file(tmp_path):
    path = tmp_path / "square.dot"
    path.write_text("graph square { a -- b; b -- c; c -- d; d -- a; }\n")
    aut = run_json("automorphisms", str(path))
    assert (aut["vertices"], aut["edges"], aut["order"]) == (4, 4, "8")


def test_text_output_lists_generators_in_cycle_notation(hexagon):
    lines = run_ok("automorphisms", str(hexagon)).splitlines()
    assert "6 vertices, 6 edges" in lines[0]
    assert lines[1].split() == ["order", "12"]
    count = int(lines[2].split()[1])
    for line in lines[3:3 + count]:
        assert line.strip().startswith("(")


def test_graph_spec_works_for_group_and_orbitals(hexagon):
    group = run_json("group", f"graph:{hexagon}")
    assert (group["degree"], group["order"], group["transitive"]) == (6, "12", True)
    assert run_json("orbitals", f"graph:{hexagon}")["rank"] == run_json("orbitals", "D(6)")["rank"] == 4
    assert run_json("group", f"graph:{hexagon}", "--degree", "8")["orbits"][-2:] == [[6], [7]]


def test_graph_spec_in_a_batch(hexagon):
    out = run_ok("group", "--batch", "-", stdin=f'{{"spec": "graph:{hexagon}"}}\n')
    assert '"order":"12"' in out


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("name, text, fragments", [
    ("bad.txt", "0 1\n1 x\n", [":2:"]),
    ("range.txt", "vertices 3\n0 1\n1 5\n", [":3:", "5"]),
    ("bad.dot", "graph { a -- ; }\n", ["bad.dot:1:"]),
    ("colour.txt", "vertices 5\n0 1\ncolor 9 red\n", [":3:", "vertex 9 is out of range for 'vertices 5'"]),
    ("huge.txt", "0 16777216\n", [":1:", "is not a vertex id (a number in [0, 16777215])"]),
])
def test_malformed_graph_files_are_input_errors_with_the_line(tmp_path, name, text, fragments):
    path = write(tmp_path, name, text)
    assert_input_error(run("automorphisms", path), name, *fragments)
    assert_input_error(run("group", f"graph:{path}"), name, *fragments)


def test_subgraphs_nested_too_deep_are_refused_before_the_reader_recurses(tmp_path):
    # Boost's GraphViz reader descends by recursion: 20000 levels overflowed
    # the stack (a crash) before the depth was checked.
    deep = tmp_path / "deep.dot"
    deep.write_text("graph {\n" + "subgraph { " * 20000 + "0 -- 1" + " }" * 20000 + "\n}\n")
    assert_input_error(run("automorphisms", str(deep)), "deep.dot:2:", "nested more than 500 deep")
    for levels, order in ((100, "2"), (500, "2")):  # 500 subgraphs inside the body, as the README says
        fine = tmp_path / "fine.dot"
        fine.write_text("graph {\n" + "subgraph { " * levels + "0 -- 1" + " }" * levels + "\n}\n")
        assert run_json("automorphisms", str(fine))["order"] == order
    deep.write_text("graph {\n" + "{ " * 501 + "0 -- 1" + " }" * 501 + "\n}\n")
    assert_input_error(run("automorphisms", str(deep)), "deep.dot:2:", "nested more than 500 deep")


def test_missing_file_and_directory_are_input_errors(tmp_path):
    missing = str(tmp_path / "missing.txt")
    assert_input_error(run("automorphisms", missing), "missing.txt")
    assert_input_error(run("group", f"graph:{missing}"), "missing.txt")
    assert_input_error(run("automorphisms", str(tmp_path)), "directory")
    assert_input_error(run("group", f"graph:{tmp_path}"), "directory")
    assert_input_error(run("automorphisms", str(tmp_path / "x.txt"), "--backend", "bliss"), "bliss")
    assert_input_error(run("automorphisms"), "GRAPHFILE")
