"""Specification of the graph layer's Python face: asen.Graph, asen.automorphisms,
asen.certify / asen.Certificate, asen.breaking_input, orbital graphs and
canonical hashes.

Run with Debian's /usr/bin/python3 and PYTHONPATH=<build>/python (ctest does).
Only test_cross_check_* starts GAP.
"""

import itertools
import json
import math
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import asen

# ---------------------------------------------------------------------------
# Reference data and brute force, independent of asen's graph layer.
# ---------------------------------------------------------------------------

# The Petersen graph: outer 5-cycle 0..4, spokes i -- i+5, inner pentagram.
PETERSEN_EDGES = (
    [(i, (i + 1) % 5) for i in range(5)]
    + [(i, i + 5) for i in range(5)]
    + [(5 + i, 5 + (i + 2) % 5) for i in range(5)]
)

CERTIFY_KEYS = [
    "degree",
    "order",
    "order_proof",
    "rank",
    "closure_order",
    "index",
    "two_closed",
    "proven",
    "closure_generators",
    "witnesses",
    "generators_preserve_coloring",
    "closure_preserves_coloring",
    "canonical_hash",
    "cross_check",
    "backend",
    "search_nodes",
    "timings_ms",
]


def preserves_colors(colors, images):
    """colors[p[i], p[j]] == colors[i, j] for all i, j."""
    p = np.asarray(images)
    return bool((colors[np.ix_(p, p)] == colors).all())


def brute_force_closure_order(colors):
    """The number of permutations of the points that preserve the colouring."""
    n = colors.shape[0]
    return sum(preserves_colors(colors, p) for p in itertools.permutations(range(n)))


def graph_automorphism_count(n, edges, colors=None):
    """Brute force over n! permutations (n <= 8 or so)."""
    edge_set = {frozenset(e) for e in edges}
    count = 0
    for p in itertools.permutations(range(n)):
        if colors is not None and any(colors[p[v]] != colors[v] for v in range(n)):
            continue
        if all(frozenset((p[u], p[v])) in edge_set for u, v in edges):
            count += 1
    return count


def random_intransitive_group(seed):
    """A random group on 6 points preserving {0,1,2,3} and {4,5}."""
    rng = random.Random(seed)
    gens = []
    for _ in range(rng.randint(1, 2)):
        a = list(range(4))
        rng.shuffle(a)
        b = [4, 5] if rng.random() < 0.5 else [5, 4]
        gens.append(a + b)
    return asen.Group(gens, degree=6)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def petersen_file(tmp_path):
    lines = ["# the Petersen graph", "vertices 10"] + [f"{u} {v}" for u, v in PETERSEN_EDGES]
    return write(tmp_path, "petersen.txt", "\n".join(lines) + "\n")


# ---------------------------------------------------------------------------
# certify
# ---------------------------------------------------------------------------


class TestCertify:
    def test_dihedral_group_on_ten_points_is_two_closed(self):
        cert = asen.certify("D(10)")
        assert cert.degree == 10
        assert cert.order == 20
        assert cert.closure_order == 20
        assert cert.index == 1
        assert cert.two_closed and cert.proven
        assert cert.witnesses == []
        assert cert.generators_preserve_coloring and cert.closure_preserves_coloring
        assert cert.closure().order == 20

    def test_alternating_group_a5_has_index_two_and_odd_witnesses_outside_it(self):
        g = asen.Group.parse("A(5)")
        cert = asen.certify(g)
        assert (cert.order, cert.closure_order, cert.index) == (60, 120, 2)
        assert not cert.two_closed
        assert cert.proven
        assert cert.rank == 2
        colors = asen.orbitals(g).colors
        assert 1 <= len(cert.witnesses) <= 3
        for w in cert.witnesses:
            assert isinstance(w, asen.Permutation)
            assert w.sign == -1
            assert not g.contains(w)
            assert preserves_colors(colors, w.images)
        for h in cert.closure_generators:
            assert preserves_colors(colors, h.images)
        closure = cert.closure()
        assert closure.order == 120
        assert all(closure.contains(x) for x in g.generators)

    def test_max_witnesses_bounds_the_witness_list(self):
        assert len(asen.certify("A(5)", max_witnesses=1).witnesses) == 1
        assert 1 <= len(asen.certify("A(5)", max_witnesses=5).witnesses) <= 5

    def test_a_transposition_on_four_points_is_its_own_closure(self):
        cert = asen.certify("(3,4)")
        assert cert.degree == 4
        assert cert.closure_order == 2
        assert cert.two_closed
        # points 0 and 1 are fixed: 4 + 1 + ... colours; the closure fixes them too
        for h in cert.closure_generators:
            assert h(0) == 0 and h(1) == 1

    def test_degree_adds_fixed_points_as_the_cli_does(self):
        # <(1,2)> on 5 points: the three added points stay fixed in the closure.
        for group in ["(1,2)", asen.Group.parse("(1,2)")]:
            cert = asen.certify(group, degree=5)
            assert (cert.degree, cert.closure_order, cert.two_closed) == (5, 2, True)
        # C(3) and two fixed points: 3 orbitals on the orbit, 2 + 2 between it
        # and a fixed point, 4 on the fixed points themselves
        assert asen.orbitals("C(3)", degree=5).rank == 11
        assert asen.orbitals("C(3)", degree=5).rank == asen.orbitals(asen.Group.parse("C(3)", degree=5)).rank
        bi = asen.breaking_input(asen.Group.parse("C(3)"), degree=4)
        assert (bi.num_nodes, bi.num_colors) == (4, 6)
        with pytest.raises(asen.InputError, match="smaller than the group's degree 5"):
            asen.breaking_input(asen.Group.parse("C(5)"), degree=3)
        with pytest.raises(asen.InputError, match="smaller than the degree 3"):
            asen.certify("C(3)", degree=2)
        with pytest.raises(TypeError):
            asen.certify("C(3)", False, "auto", 3, None, None, 5)  # keyword only

    @pytest.mark.parametrize("seed", range(6))
    def test_closure_order_of_intransitive_groups_matches_brute_force(self, seed):
        g = random_intransitive_group(seed)
        assert not g.is_transitive()
        colors = asen.orbitals(g).colors
        cert = asen.certify(g)
        assert cert.closure_order == brute_force_closure_order(colors)
        assert cert.closure_order % cert.order == 0
        assert cert.index == cert.closure_order // cert.order
        assert cert.two_closed == (cert.index == 1)
        for h in cert.closure_generators + cert.witnesses:
            assert preserves_colors(colors, h.images)
            assert asen.preserves(asen.orbitals(g), h)
        for w in cert.witnesses:
            assert not g.contains(w)

    @pytest.mark.parametrize("backend", ["auto", "nauty", "traces"])
    def test_backends_agree(self, backend):
        cert = asen.certify("wreath(S(2),S(3))", backend=backend)
        assert cert.closure_order == 48
        assert cert.backend in ("nauty", "traces")
        if backend != "auto":
            assert cert.backend == backend

    def test_orders_are_exact_python_ints(self):
        cert = asen.certify("S(30)", canonical_hash=False)
        assert cert.order == math.factorial(30)
        assert type(cert.order) is int and type(cert.closure_order) is int
        assert cert.canonical_hash is None

    def test_cross_check_agrees_on_a_transitive_group_and_is_skipped_on_an_intransitive_one(self):
        cert = asen.certify("A(5)", cross_check=True)
        assert cert.cross_check["performed"] is True
        assert cert.cross_check["agrees"] is True
        assert cert.cross_check["gap_two_closure_order"] == 120
        assert cert.cross_check["reason"] is None
        skipped = asen.certify("(3,4)", cross_check=True)
        assert skipped.cross_check["performed"] is False
        assert skipped.cross_check["gap_two_closure_order"] is None
        assert skipped.cross_check["agrees"] is None
        assert "transitive" in skipped.cross_check["reason"]
        assert json.loads(json.dumps(cert.to_dict()))["cross_check"]["gap_two_closure_order"] == "120"

    def test_cross_check_is_none_unless_asked(self):
        assert asen.certify("C(4)").cross_check is None

    def test_to_dict_is_json_and_matches_the_attributes(self):
        cert = asen.certify("A(5)")
        d = cert.to_dict()
        assert list(d) == CERTIFY_KEYS
        again = json.loads(json.dumps(d))
        assert again == d
        assert d["degree"] == cert.degree == 5
        assert d["order"] == str(cert.order) and d["closure_order"] == str(cert.closure_order)
        assert d["index"] == "2"
        assert d["order_proof"] == cert.order_proof
        assert d["rank"] == cert.rank
        assert d["two_closed"] is False and d["proven"] is True
        assert d["closure_generators"] == [p.images for p in cert.closure_generators]
        assert d["witnesses"] == [p.images for p in cert.witnesses]
        assert d["canonical_hash"] == cert.canonical_hash
        assert d["cross_check"] is None
        assert d["backend"] == cert.backend and d["search_nodes"] == cert.search_nodes
        assert list(d["timings_ms"]) == list(cert.timings_ms)
        assert list(cert.timings_ms)[0] == "orbitals"
        assert all(isinstance(v, float) and v >= 0 for v in cert.timings_ms.values())

    def test_repr_names_the_orders(self):
        r = repr(asen.certify("A(5)"))
        assert r.startswith("<Certificate") and "closure_order=120" in r and "two_closed=False" in r

    @pytest.mark.parametrize("backend", ["nauty", "traces"])
    def test_concurrent_certificates_agree(self, backend):
        # Traces picks random generators (they differ from call to call);
        # nauty's search is deterministic, so its witnesses repeat too.
        keys = ["order", "closure_order", "index", "two_closed", "canonical_hash"]
        if backend == "nauty":
            keys += ["closure_generators", "witnesses", "search_nodes"]
        specs = ["A(5)", "D(10)", "wreath(S(2),S(3))", "(3,4)"] * 3
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda s: asen.certify(s, backend=backend).to_dict(), specs))
        for spec, d in zip(specs, results):
            expected = asen.certify(spec, backend=backend).to_dict()
            assert {k: d[k] for k in keys} == {k: expected[k] for k in keys}

    def test_the_gil_is_released_while_certifying(self):
        # While another thread certifies, this thread keeps running Python: the
        # longest pause between two of its iterations stays far below the
        # certification time (with the GIL held it would be about all of it).
        state = {}

        def work():
            state["start"] = time.perf_counter()
            asen.certify("D(300)", canonical_hash=True)
            state["end"] = time.perf_counter()

        worker = threading.Thread(target=work)
        stamps = []
        worker.start()
        while worker.is_alive():
            stamps.append(time.perf_counter())
        worker.join()
        inside = [t for t in stamps if state["start"] <= t <= state["end"]]
        duration = state["end"] - state["start"]
        assert duration > 0.05
        gaps = np.diff([state["start"]] + inside + [state["end"]])
        assert gaps.max() < duration / 2, (gaps.max(), duration)


# ---------------------------------------------------------------------------
# canonical hash
# ---------------------------------------------------------------------------


class TestCanonicalHash:
    def test_equal_for_two_generating_sets_and_a_conjugate_of_d6_different_for_c6(self):
        d6 = asen.Group.parse("D(6)")
        reflections = asen.Group(["(1,6)(2,5)(3,4)", "(2,6)(3,5)"])
        assert reflections.order == 12
        sigma = asen.Permutation([3, 0, 5, 1, 4, 2])
        conjugate = asen.Group([sigma**-1 * g * sigma for g in d6.generators])
        assert conjugate.generators != d6.generators
        h = asen.canonical_hash(d6)
        assert len(h) == 32 and all(c in "0123456789abcdef" for c in h)
        assert asen.canonical_hash(reflections) == h
        assert asen.canonical_hash(conjugate) == h
        assert asen.canonical_hash("D(6)") == h
        assert asen.certify(d6).canonical_hash == h
        assert asen.canonical_hash(asen.orbitals(conjugate)) == h
        assert asen.canonical_hash("C(6)") != h

    def test_graph_hash_is_equal_for_isomorphic_graphs(self):
        p = asen.Graph(10, PETERSEN_EDGES)
        relabel = [7, 2, 9, 0, 4, 1, 8, 3, 6, 5]
        q = asen.Graph(10, [(relabel[u], relabel[v]) for u, v in PETERSEN_EDGES])
        assert asen.canonical_hash(p) == asen.canonical_hash(q)
        cycle = asen.Graph(10, [(i, (i + 1) % 10) for i in range(10)])
        assert asen.canonical_hash(cycle) != asen.canonical_hash(p)

    def test_graph_hash_tells_loops_and_vertex_colours_apart(self):
        h = asen.canonical_hash
        triangle = [(0, 1), (1, 2), (0, 2)]
        assert h(asen.Graph(3, triangle + [(0, 0), (1, 1), (2, 2)])) != h(asen.Graph(3, triangle))
        assert h(asen.Graph(2, [(0, 0)])) != h(asen.Graph(2, [], vertex_colors=[1, 0]))
        # colours are compared by value: a path with a red middle is not one with red ends
        path = [(0, 1), (1, 2)]
        assert h(asen.Graph(3, path, vertex_colors=[0, 1, 0])) != h(asen.Graph(3, path, vertex_colors=[1, 0, 1]))
        assert h(asen.Graph(3, path, vertex_colors=[5, 1, 5])) == h(asen.Graph(3, [(1, 0), (0, 2)],
                                                                               vertex_colors=[1, 5, 5]))
        assert h(asen.Graph(3, path, vertex_colors=[5, 1, 5])) != h(asen.Graph(3, path, vertex_colors=[5, 2, 5]))

    def test_graph_hash_compares_colours_read_from_files_by_name(self, tmp_path):
        def hashed(name, text):
            (tmp_path / name).write_text(text)
            return asen.canonical_hash(asen.Graph.read(str(tmp_path / name)))

        blue = hashed("b.txt", "0 1\n1 2\ncolor 0 red\ncolor 2 red\ncolor 1 blue\n")
        # another name for the middle: another graph, whichever way the names sort
        assert hashed("g.txt", "0 1\n1 2\ncolor 0 red\ncolor 2 red\ncolor 1 green\n") != blue
        assert hashed("z.txt", "0 1\n1 2\ncolor 0 red\ncolor 2 red\ncolor 1 zzz\n") != blue
        # the middle blue and the ends uncoloured is not the same graph either
        assert hashed("u.txt", "0 1\n1 2\ncolor 1 blue\n") != blue
        # the same coloured path relabelled, its lines reordered, or as a dot file: the same hash
        assert hashed("r.txt", "color 2 blue\ncolor 0 red\ncolor 1 red\n2 1\n0 2\n") == blue
        assert hashed("p.dot", 'graph { a [color=red]; b [color=blue]; c [color=red]; a -- b -- c }') == blue

    def test_the_default_skips_hashes_whose_search_graph_is_too_large(self):
        # trivial(n): n^2 colours, a search graph of n (n^2 + 1) + n^2 vertices
        assert asen.certify("trivial(30)").canonical_hash is not None
        assert asen.certify("trivial(60)").canonical_hash is None


# ---------------------------------------------------------------------------
# Graph and automorphisms
# ---------------------------------------------------------------------------


class TestGraph:
    def test_properties(self):
        g = asen.Graph(4, [(1, 0), (1, 2), (0, 1), (3, 3)])
        assert g.num_vertices == 4
        assert g.num_edges == 3  # (0,1) once, a loop
        assert not g.directed
        assert g.edges.dtype == np.int64 and g.edges.shape == (3, 2)
        assert g.edges.tolist() == [[0, 1], [1, 2], [3, 3]]
        assert g.arcs.tolist() == [[0, 1], [1, 0], [1, 2], [2, 1], [3, 3]]
        assert g.vertex_colors.tolist() == [0, 0, 0, 0]
        assert not g.has_vertex_colors
        assert g.vertex_names == []
        assert repr(g) == "Graph(4, [(0, 1), (1, 2), (3, 3)])"

    def test_numpy_edges_directed_and_named_colours(self):
        edges = np.array([[0, 1], [1, 2], [2, 0]], dtype=np.int32)
        g = asen.Graph(3, edges, directed=True, vertex_colors=["red", "blue", "red"])
        assert g.directed
        assert g.arcs.tolist() == [[0, 1], [1, 2], [2, 0]]
        assert g.vertex_colors.tolist() == [1, 0, 1]  # names numbered in sorted order
        assert g.has_vertex_colors
        assert g.color_names == ["blue", "red"]
        assert "directed=True" in repr(g) and "vertex_colors=['red', 'blue', 'red']" in repr(g)
        assert asen.Graph(3).num_edges == 0
        assert asen.Graph(3, ((i, i + 1) for i in range(2))).edges.tolist() == [[0, 1], [1, 2]]
        assert asen.Graph(3, np.zeros((0, 2), dtype=np.int64)).num_edges == 0

    def test_read_edge_list_and_dot(self, tmp_path):
        g = asen.Graph.read(petersen_file(tmp_path))
        assert (g.num_vertices, g.num_edges) == (10, 15)
        dot = write(tmp_path, "tri.dot", 'graph { a -- b; b -- c; c -- a; a [color="red"]; }\n')
        t = asen.Graph.read(str(dot))
        assert t.num_vertices == 3 and t.num_edges == 3
        assert t.vertex_names == ["a", "b", "c"]
        assert t.vertex_colors.tolist() == [1, 0, 0]  # "" < "red"
        assert t.color_names == ["", "red"]
        d = asen.Graph.parse_dot("digraph { 0 -> 1; 1 -> 2; }")
        assert d.directed and d.edges.tolist() == [[0, 1], [1, 2]]
        e = asen.Graph.parse_edge_list("directed\n0 1\ncolor 2 x\n")
        assert e.directed and e.num_vertices == 3

    def test_petersen_graph_has_120_automorphisms(self, tmp_path):
        g = asen.Graph(10, PETERSEN_EDGES)
        aut = asen.automorphisms(g)
        assert aut.order == 120
        assert aut.degree == 10
        assert aut.orbits == [list(range(10))]
        assert aut.backend in ("nauty", "traces")
        assert aut.search_nodes >= 1 and aut.search_ms >= 0
        edge_set = {frozenset(e) for e in PETERSEN_EDGES}
        for p in aut.generators:
            assert isinstance(p, asen.Permutation)
            assert all(frozenset((p(u), p(v))) in edge_set for u, v in PETERSEN_EDGES)
        group = aut.group()
        assert group.known_order == 120 and group.order == 120
        assert asen.automorphisms(petersen_file(tmp_path), backend="nauty").order == 120
        assert asen.automorphisms(str(petersen_file(tmp_path)), backend="traces").order == 120
        assert "order 120" in repr(aut)

    def test_vertex_colours_reduce_the_automorphism_group(self):
        colors = [1] + [0] * 9
        aut = asen.automorphisms(asen.Graph(10, PETERSEN_EDGES, vertex_colors=colors))
        assert aut.order == 12  # the stabilizer of a vertex in Aut(Petersen)
        assert aut.order < 120
        assert [0] in aut.orbits

    @pytest.mark.parametrize("seed", range(4))
    def test_automorphism_count_of_random_small_graphs_matches_brute_force(self, seed):
        rng = random.Random(100 + seed)
        n = 6
        edges = [e for e in itertools.combinations(range(n), 2) if rng.random() < 0.4]
        colors = [rng.randint(0, 1) for _ in range(n)]
        assert asen.automorphisms(asen.Graph(n, edges)).order == graph_automorphism_count(n, edges)
        assert asen.automorphisms(asen.Graph(n, edges, vertex_colors=colors)).order == graph_automorphism_count(
            n, edges, colors
        )

    def test_graph_spec_is_the_automorphism_group_of_the_file(self, tmp_path):
        path = petersen_file(tmp_path)
        g = asen.Group.parse(f"graph:{path}")
        assert g.degree == 10 and g.order == 120
        cert = asen.certify(f"graph:{path}")
        assert cert.order == 120 and cert.two_closed  # automorphism groups are 2-closed
        assert asen.Group.parse(f"graph:{path}", degree=12).degree == 12


# ---------------------------------------------------------------------------
# breaking inputs
# ---------------------------------------------------------------------------


class TestBreakingInput:
    @pytest.mark.parametrize("spec", ["D(5)", "(3,4)", "wreath(S(2),S(3))"])
    def test_dense_input_colours_every_pair_by_its_orbital(self, spec):
        g = asen.Group.parse(spec)
        o = asen.orbitals(g)
        n = g.degree
        bi = asen.breaking_input(g)
        assert isinstance(bi, asen.BreakingInput)
        assert bi.mode == "dense" and bi.num_nodes == n
        assert bi.num_colors == o.rank
        assert bi.num_edges == n * n
        assert bi.edge_index.shape == (2, n * n) and bi.edge_index.dtype == np.int64
        assert bi.edge_index.flags.c_contiguous
        assert bi.edge_attr.shape == (n * n,) and bi.edge_attr.dtype == np.int64
        assert bi.node_color.shape == (n,) and bi.node_color.dtype == np.int64
        src, dst = bi.edge_index
        assert (bi.edge_attr == o.colors[src, dst]).all()
        assert (bi.node_color == np.diag(o.colors)).all()
        assert bi.color_in_base is None
        # sorted by (source, target): all pairs in row-major order
        assert (src * n + dst == np.arange(n * n)).all()

    def test_attribute_and_mapping_access_agree(self):
        bi = asen.breaking_input("C(4)")
        # the fields that are set: color_in_base only for weak-sparse (torch's default_collate takes no None)
        assert list(bi) == ["edge_index", "edge_attr", "node_color", "num_colors", "num_nodes", "mode"]
        assert "color_in_base" not in bi and bi.color_in_base is None
        weak = asen.breaking_input("C(4)", base=asen.Graph(4, [(0, 1), (1, 2), (2, 3), (3, 0)]), mode="weak-sparse")
        assert list(weak)[-1] == "color_in_base" and weak["color_in_base"] is weak.color_in_base
        torch = pytest.importorskip("torch")
        batch = torch.utils.data.default_collate([bi.to_torch(), asen.breaking_input("S(4)").to_torch()])
        assert batch["edge_index"].shape == (2, 2, 16) and batch["mode"] == ["dense", "dense"]
        assert bi["edge_attr"] is bi.edge_attr and bi["num_colors"] == bi.num_colors
        assert set(dict(bi)) == set(bi.keys())
        assert "edge_index" in bi and "x" not in bi
        with pytest.raises(KeyError):
            bi["x"]
        assert bi == asen.breaking_input("C(4)")
        assert bi != asen.breaking_input("S(4)")
        assert "mode='dense'" in repr(bi)

    def test_torch_tensors_are_int64_and_share_memory_with_numpy(self):
        torch = pytest.importorskip("torch")
        bi = asen.breaking_input("D(6)")
        t = bi.to_torch()
        assert t.is_torch and not bi.is_torch
        for name in ("edge_index", "edge_attr", "node_color"):
            tensor, array = t[name], bi[name]
            assert isinstance(tensor, torch.Tensor) and tensor.dtype == torch.int64
            assert tuple(tensor.shape) == array.shape and tensor.is_contiguous()
            assert tensor.data_ptr() == array.ctypes.data
        bi.edge_attr[0] += 100
        assert int(t.edge_attr[0]) == int(bi.edge_attr[0])
        direct = asen.breaking_input("D(6)", as_torch=True)
        assert isinstance(direct.edge_index, torch.Tensor) and direct.edge_index.dtype == torch.int64
        assert tuple(direct.edge_index.shape) == (2, 36)
        assert direct == asen.breaking_input("D(6)")
        assert direct.to_numpy() == asen.breaking_input("D(6)")
        # what torch_geometric.data.Data(edge_index=..., edge_attr=...) needs
        assert direct.edge_index.size(0) == 2 and direct.edge_attr.size(0) == direct.edge_index.size(1)
        assert int(direct.edge_index.max()) < direct.num_nodes

    def test_sparse_input_on_a_path_has_both_directions_and_self_loops(self):
        n = 5
        path = asen.Graph(n, [(i, i + 1) for i in range(n - 1)])
        g = asen.Group.parse("mirror(5)")
        o = asen.orbitals(g)
        bi = asen.breaking_input(g, base=path, mode="sparse")
        assert bi.mode == "sparse"
        pairs = list(zip(*bi.edge_index.tolist()))
        expected = sorted({(i, i) for i in range(n)} | {(i, i + 1) for i in range(n - 1)} | {(i + 1, i) for i in range(n - 1)})
        assert pairs == expected
        assert bi.num_edges == 2 * (n - 1) + n
        assert [int(c) for c in bi.edge_attr] == [int(o.colors[i, j]) for i, j in pairs]
        assert (bi.node_color == np.diag(o.colors)).all()
        assert bi.num_colors == o.rank
        assert bi.color_in_base is None

    def test_sparse_input_reads_a_base_graph_file(self, tmp_path):
        path = petersen_file(tmp_path)
        bi = asen.breaking_input(f"graph:{path}", base=path, mode="sparse")
        assert bi.num_edges == 2 * 15 + 10
        # the edges of the Petersen graph form one orbital of its automorphism group
        loops = bi.edge_index[0] == bi.edge_index[1]
        assert len(set(bi.edge_attr[~loops].tolist())) == 1

    def test_weak_sparse_flags_the_colours_of_base_arcs(self):
        n = 6
        path = asen.Graph(n, [(i, i + 1) for i in range(n - 1)])
        g = asen.Group.parse("mirror(6)")
        o = asen.orbitals(g)
        bi = asen.breaking_input(g, base=path, mode="weak-sparse")
        assert bi.mode == "weak-sparse"
        assert bi.num_edges == n * n
        assert bi.color_in_base.dtype == np.bool_ and bi.color_in_base.shape == (o.rank,)
        expected = {int(o.colors[u, v]) for u, v in path.arcs}
        assert set(np.flatnonzero(bi.color_in_base).tolist()) == expected
        assert bi == asen.breaking_input(g, base=path, mode="weak_sparse")

    def test_weak_sparse_flags_become_a_bool_tensor(self):
        torch = pytest.importorskip("torch")
        path = asen.Graph(4, [(0, 1), (1, 2), (2, 3)])
        bi = asen.breaking_input("mirror(4)", base=path, mode="weak-sparse", as_torch=True)
        assert bi.color_in_base.dtype == torch.bool


# ---------------------------------------------------------------------------
# orbital graphs and Higman's criterion
# ---------------------------------------------------------------------------


class TestOrbitalGraphs:
    def test_prime_dihedral_group_has_connected_orbital_graphs(self):
        infos = asen.orbital_graphs(asen.orbitals("D(5)"))
        assert [i["color"] for i in infos] == list(range(len(infos)))
        assert sum(i["diagonal"] for i in infos) == 1
        assert all(i["connected"] and i["components"] == 1 for i in infos if not i["diagonal"])
        diagonal = next(i for i in infos if i["diagonal"])
        assert diagonal["components"] == 5 and not diagonal["connected"]

    def test_imprimitive_wreath_product_has_a_disconnected_orbital_graph(self):
        infos = asen.orbital_graphs("wreath(S(2),S(3))")
        assert any(not i["connected"] for i in infos if not i["diagonal"])
        assert [i["components"] for i in infos if not i["diagonal"]].count(3) == 1  # the blocks

    @pytest.mark.parametrize("spec", ["D(5)", "D(6)", "A(5)", "wreath(S(2),S(3))", "C(7)", "C(8)", "(3,4)", "S(4)"])
    def test_higman_agrees_with_the_native_primitivity_test(self, spec):
        g = asen.Group.parse(spec)
        assert asen.primitive_by_higman(g) == g.is_primitive()
        assert asen.primitive_by_higman(g, orbitals=asen.orbitals(g)) == g.is_primitive()
        assert asen.primitive_by_higman(spec, orbitals=asen.orbitals(spec)) == g.is_primitive()

    def test_higman_refuses_the_orbitals_of_another_group(self):
        with pytest.raises(asen.InputError, match="not computed for this group"):
            asen.primitive_by_higman("C(4)", orbitals=asen.orbitals("S(4)"))


# ---------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------


class TestErrors:
    def test_malformed_edge_list_file_names_the_file_and_line(self, tmp_path):
        path = write(tmp_path, "bad.txt", "0 1\n1 two\n")
        with pytest.raises(ValueError, match=r"bad\.txt:2: 'two' is not a vertex id"):
            asen.Graph.read(path)
        with pytest.raises(asen.InputError, match=r"bad\.txt:2:"):
            asen.automorphisms(str(path))
        with pytest.raises(ValueError, match=r"bad\.txt:2:"):
            asen.Group.parse(f"graph:{path}")
        with pytest.raises(ValueError, match=r"<edge list>:3: expected an edge"):
            asen.Graph.parse_edge_list("0 1\n\n1 2 3\n")

    def test_malformed_dot_file_names_the_line(self, tmp_path):
        path = write(tmp_path, "bad.dot", "graph {\n  a -- b;\n  b -- ;\n}\n")
        with pytest.raises(ValueError, match=r"bad\.dot:3: GraphViz syntax error"):
            asen.Graph.read(path)

    def test_missing_file(self, tmp_path):
        with pytest.raises(ValueError, match="cannot read the graph file"):
            asen.Graph.read(tmp_path / "nope.txt")
        with pytest.raises(ValueError, match="cannot read the graph file"):
            asen.breaking_input("C(3)", base=str(tmp_path / "nope.txt"), mode="sparse")

    def test_bad_graph_arguments(self):
        with pytest.raises(ValueError, match=r"edge 0 \(0, 5\) has a vertex out of range, expected ids in \[0, 3\)"):
            asen.Graph(3, [(0, 5)])
        with pytest.raises(ValueError, match="out of range"):
            asen.Graph(3, [(0, -1)])
        with pytest.raises(ValueError, match=r"shape \(E, 2\), got shape \(2, 3\)"):
            asen.Graph(3, [(0, 1, 2), (0, 1, 2)])
        with pytest.raises(TypeError, match="integer vertex ids"):
            asen.Graph(3, [(0.0, 1.0)])
        with pytest.raises(ValueError, match="3 vertices but 2 vertex colours"):
            asen.Graph(3, [], vertex_colors=[0, 1])
        with pytest.raises(ValueError, match="num_vertices must be non-negative"):
            asen.Graph(-1, [])
        with pytest.raises(TypeError, match="got int"):
            asen.Graph(3, 5)
        with pytest.raises(TypeError, match="all integers or all strings"):
            asen.Graph(3, [], vertex_colors=["a", 1, 2])
        with pytest.raises(ValueError, match=r"the colour -1 of vertex 1 is out of range"):
            asen.Graph(3, [], vertex_colors=[0, -1, 0])
        with pytest.raises(TypeError, match="asen.Graph or the path of a graph file"):
            asen.automorphisms(42)

    def test_bad_modes_bases_and_options(self):
        path = asen.Graph(3, [(0, 1)])
        with pytest.raises(TypeError, match="mode must be a str"):
            asen.breaking_input("C(3)", mode=3)
        with pytest.raises(ValueError, match="unknown breaking-input mode 'bogus'"):
            asen.breaking_input("C(3)", mode="bogus")
        with pytest.raises(ValueError, match="the sparse mode needs a base graph"):
            asen.breaking_input("C(3)", mode="sparse")
        with pytest.raises(ValueError, match="weak-sparse mode needs a base graph"):
            asen.breaking_input("C(3)", mode="weak-sparse")
        with pytest.raises(ValueError, match="only by the sparse and weak-sparse modes"):
            asen.breaking_input("C(3)", base=path)
        with pytest.raises(ValueError, match="the base graph has 3 vertices but the group has degree 4"):
            asen.breaking_input("C(4)", base=path, mode="sparse")
        with pytest.raises(ValueError, match=r"does not preserve the base graph.*\(1,2,3\) \(cycle notation, 1-based\) maps the edge \(0,1\) to \(1,2\)"):
            asen.breaking_input("C(3)", base=path, mode="sparse")
        assert asen.breaking_input("[[1,0,2]]", base=path, mode="sparse").num_edges == 2 + 3
        with pytest.raises(ValueError, match="unknown automorphism backend 'fast'"):
            asen.certify("C(4)", backend="fast")
        with pytest.raises(ValueError, match="unknown automorphism backend"):
            asen.automorphisms(path, backend="fast")
        with pytest.raises(ValueError, match="max_witnesses must be at least 1"):
            asen.certify("A(5)", max_witnesses=0)
        with pytest.raises(TypeError, match="Group or a group spec"):
            asen.certify(5)

    def test_memory_guard_raises_limit_error(self):
        with pytest.raises(asen.LimitError, match="memory limit"):
            asen.breaking_input("C(2000)", memory_limit_mb=1)
        with pytest.raises(asen.LimitError):
            asen.certify("C(2000)", memory_limit_mb=1)
        with pytest.raises(ValueError):  # LimitError is a ValueError
            asen.canonical_hash("C(2000)", memory_limit_mb=1)
        # the sparse mode needs no n x n matrix
        ring = asen.Graph(2000, [(i, (i + 1) % 2000) for i in range(2000)])
        bi = asen.breaking_input("C(2000)", base=ring, mode="sparse", memory_limit_mb=1)
        assert bi.num_edges == 3 * 2000


def test_canonical_hash_policy_in_certify():
    assert asen.certify("C(300)").canonical_hash is None  # automatic: degrees up to 256
    assert len(asen.certify("C(300)", canonical_hash=True).canonical_hash) == 32
    assert len(asen.certify("C(20)").canonical_hash) == 32
    assert asen.certify("C(20)", canonical_hash=False).canonical_hash is None


def test_graph_size_and_unsigned_ids_are_checked_up_front():
    with pytest.raises(asen.InputError, match="at most 16777216, got 16777217"):
        asen.Graph(2 ** 24 + 1)
    with pytest.raises(asen.InputError, match="vertex id 9223372036854775808, expected ids in \\[0, 3\\)"):
        asen.Graph(3, np.array([[0, 2 ** 63]], dtype=np.uint64))
    assert asen.Graph(3, np.array([[0, 2]], dtype=np.uint64)).edges.tolist() == [[0, 2]]


def test_certificates_automorphism_groups_and_functions_pickle():
    import pickle

    cert = asen.certify("A(5)", canonical_hash=True)
    copy_ = pickle.loads(pickle.dumps(cert))
    assert copy_.to_dict() == cert.to_dict()
    assert copy_.closure().order == 120
    aut = asen.automorphisms(asen.Graph(4, [(0, 1), (1, 2), (2, 3), (3, 0)]))
    back = pickle.loads(pickle.dumps(aut))
    assert back.order == 8 and back.generators == aut.generators and back.orbits == aut.orbits
    # graphs keep edges, direction, colours and the names a file gave
    dot = asen.Graph.parse_dot('digraph { a -> b; b -> c; c -> a; a [color="red"]; }')
    numbered = asen.Graph(5, [(0, 4), (4, 3)], vertex_colors=[7, 7, 7, 7, 7])
    for g in (dot, numbered, asen.Graph(0), asen.Graph(3, [(1, 1)], vertex_colors=["x", "y", "x"])):
        h = pickle.loads(pickle.dumps(g))
        assert (h.num_vertices, h.directed, h.edges.tolist()) == (g.num_vertices, g.directed, g.edges.tolist())
        assert h.vertex_colors.tolist() == g.vertex_colors.tolist()
        assert (h.vertex_names, h.color_names) == (g.vertex_names, g.color_names)
        assert repr(h) == repr(g)
    assert pickle.loads(pickle.dumps(dot)).vertex_names == ["a", "b", "c"]
    assert asen.automorphisms(pickle.loads(pickle.dumps(dot))).order == 1
    # functions by name, as multiprocessing sends them
    for f in (asen.certify, asen.orbitals, asen.automorphisms, asen.breaking_input):
        assert pickle.loads(pickle.dumps(f)) is f


def test_pool_map_certifies_in_worker_processes():
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(2) as pool:
        indices = [c.index for c in pool.map(asen.certify, ["A(5)", "D(6)", "S(4)"])]
    assert indices == [2, 1, 1]


def test_a_forked_child_refuses_gap_even_while_a_parent_thread_is_inside_it():
    import multiprocessing
    import threading

    asen.gap_evaluate('"up"')  # GAP runs in this process
    busy = threading.Thread(target=lambda: asen.gap_evaluate('for i in [1..20000000] do od; "done"'))
    busy.start()
    try:
        time.sleep(0.2)

        def child(queue):
            try:
                asen.gap_evaluate('"child"')
                queue.put("answered")
            except asen.Error as e:
                queue.put(str(e))

        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        p = ctx.Process(target=child, args=(queue,))
        p.start()
        p.join(60)
        assert not p.is_alive(), "the child hung in GAP"
        assert "after fork() GAP cannot be used" in queue.get(timeout=5)
    finally:
        busy.join()


_CTRL_C_CHILD = r"""
import sys, time
import numpy as np
import asen

what = sys.argv[1]
if what == "nauty":
    # 3000 paws (a triangle with a pendant vertex): nauty's search alone takes minutes.
    edges = [(k + a, k + b) for k in range(0, 12000, 4) for a, b in ((0, 1), (1, 2), (2, 0), (2, 3))]
    graph = asen.Graph(12000, np.array(edges))
    run = lambda: asen.automorphisms(graph, backend="nauty")
elif what == "fixed-points":
    # 25 million orbitals, one per pair, without the matrix: seconds of bookkeeping
    group = asen.Group.parse("trivial(5000)")
    run = lambda: asen.orbitals(group, dense=False)
else:
    group = asen.Group.parse("D(8000)")
    run = lambda: asen.orbitals(group, method="union_find")  # 64 million pairs: seconds
print("started", flush=True)
start = time.monotonic()
try:
    run()
    print("finished", flush=True)
except KeyboardInterrupt:
    print(f"interrupted after {time.monotonic() - start:.2f} s", flush=True)
# The interrupt is withdrawn: the next computations run normally.
hexagon = asen.Graph(6, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0)])
print("again", asen.automorphisms(hexagon, backend="nauty").order, asen.orbitals("D(10)").rank, flush=True)
"""


@pytest.mark.parametrize("what", ["nauty", "orbitals", "fixed-points"])
def test_ctrl_c_stops_a_long_native_computation_with_keyboard_interrupt(what):
    import os
    import signal
    import subprocess
    import sys

    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.Popen([sys.executable, "-c", _CTRL_C_CHILD, what], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "started", proc.communicate()
    time.sleep(0.3)  # well inside the computation
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # pragma: no cover - the defect this test is for
        proc.kill()
        pytest.fail("the computation went on after Ctrl-C")
    assert proc.returncode == 0, err
    assert "finished" not in out, out
    seconds = float(out.split("interrupted after ")[1].split()[0])
    # stopped soon after the signal (0.3 s in), not at the end of the work
    assert 0.2 <= seconds < (1.5 if what == "fixed-points" else 10), out
    assert "again 12 6" in out, out


def test_parentheses_around_a_spec_a_nul_in_a_path_and_a_huge_generator_get_short_clear_errors(tmp_path):
    with pytest.raises(asen.InputError, match=r"parentheses hold GAP cycles of points, and specs are not grouped"):
        asen.Group.parse("(S(3)*S(2))*S(2)")
    assert asen.Group.parse("(1,2)(3,4),(1,3)(2,4)").order == 4
    (tmp_path / "g.txt").write_text("0 1\n")
    for path in (str(tmp_path / "g.txt") + "\0junk", tmp_path / "g.txt\0junk"):
        with pytest.raises(asen.InputError, match="holds a NUL character at offset"):
            asen.Graph.read(path)
        with pytest.raises(asen.InputError, match="holds a NUL character"):
            asen.breaking_input("S(2)", base=path, mode="sparse")
    # A generator of 100000 points that moves an edge out of the graph: named
    # by its number and cut short, not spelled out over half a megabyte.
    with pytest.raises(asen.InputError) as e:
        asen.breaking_input("C(100000)", base=asen.Graph(100000, [(0, 1)]), mode="sparse")
    assert "its generator number 1, (1,2,3,4," in str(e.value) and "maps the edge (0,1) to (1,2)" in str(e.value)
    assert len(str(e.value)) < 600


def test_the_repr_of_a_small_graph_recreates_it_colour_names_included():
    for g in (asen.Graph(3, [(0, 1)], vertex_colors=["a", "b'", "a"]), asen.Graph(3, [(0, 1), (1, 2)], directed=True,
                                                                               vertex_colors=[1, 0, 1])):
        again = eval(repr(g), {"Graph": asen.Graph})
        assert repr(again) == repr(g)
        assert again.color_names == g.color_names and list(again.vertex_colors) == list(g.vertex_colors)
        assert asen.canonical_hash(again) == asen.canonical_hash(g)
    assert repr(asen.Graph(2, [], vertex_colors=["x", "y"])) == "Graph(2, [], vertex_colors=['x', 'y'])"


def test_automorphisms_of_large_trees_and_forests_are_exact():
    # Traces finds their groups at once, but a chain on its generators would
    # have hundreds of levels: the order is read off the trees' shapes. Checked
    # against known orders, and against nauty's search (exact) where it is fast.
    import math
    import random

    def binary_tree(depth, offset=0):
        return [(offset + (v - 1) // 2, offset + v) for v in range(1, 2 ** depth - 1)]

    assert asen.automorphisms(asen.Graph(2 ** 14 - 1, binary_tree(14))).order == 2 ** (2 ** 13 - 1)
    # Two binary trees joined at their roots: bicentral, the halves swapped;
    # not when one leaf is coloured apart (its path to the root is fixed too).
    joined = binary_tree(13) + binary_tree(13, 2 ** 13 - 1) + [(0, 2 ** 13 - 1)]
    n = 2 * (2 ** 13 - 1)
    assert asen.automorphisms(asen.Graph(n, joined)).order == 2 ** (2 * (2 ** 12 - 1) + 1)
    apart = asen.Graph(n, joined, vertex_colors=["x"] * (n - 1) + ["y"])
    assert asen.automorphisms(apart).order == 2 ** (2 ** 12 - 1 - 12) * 2 ** (2 ** 12 - 1)

    rng = random.Random(5)
    cases = []
    for copies, size in ((400, 7), (150, 12)):
        # A root with many copies of one random tree, a few of them coloured
        # apart: Sym(copies) acts, and more than 200 levels would be needed.
        piece = [(rng.randrange(v), v) for v in range(1, size)]
        edges = []
        for c in range(copies):
            edges += [(1 + c * size + u, 1 + c * size + v) for u, v in piece] + [(0, 1 + c * size)]
        colors = ["x"] * (1 + copies * size)
        for c in rng.sample(range(copies), 5):
            colors[1 + c * size + size - 1] = "y"
        cases.append(asen.Graph(1 + copies * size, edges, vertex_colors=colors))
        cases.append(asen.Graph(1 + copies * size + 11, edges + [(0, 1 + copies * size)] + [
            (1 + copies * size + k, 2 + copies * size + k) for k in range(10)]))  # and a path off the root
    for g in cases:
        assert asen.automorphisms(g).order == asen.automorphisms(g, backend="nauty").order
