"""`asen report`: the built-in suite of groups."""

from conftest import run_json, run_ok
from test_certify import KEYS as CERTIFY_KEYS, sign

# spec -> (degree, order, number of orbits, rank, transitive, primitive)
SUITE = {
    "mirror(10)": (10, "2", 5, 50, False, False),
    "D(10)": (10, "20", 1, 6, True, False),
    "wreath(S(5),S(2))": (10, "28800", 1, 3, True, False),
    "S(5)": (5, "120", 1, 2, True, True),
    "A(5)": (5, "60", 1, 2, True, True),
    "C(8)": (8, "8", 1, 8, True, False),
}

# spec -> (closure order |G^(2)|, index, 2-closed)
CLOSURES = {
    "mirror(10)": ("2", "1", True),
    "D(10)": ("20", "1", True),
    "wreath(S(5),S(2))": ("28800", "1", True),
    "S(5)": ("120", "1", True),
    "A(5)": ("120", "2", False),
    "C(8)": ("8", "1", True),
}


def test_report_json_has_the_six_groups_with_exact_orders():
    groups = run_json("report")["groups"]
    assert [g["spec"] for g in groups] == list(SUITE)
    for g in groups:
        degree, order, orbit_count, rank, transitive, primitive = SUITE[g["spec"]]
        assert (g["degree"], g["order"], g["rank"]) == (degree, order, rank)
        assert g["num_orbits"] == orbit_count == len(g["orbits"])
        assert sorted(p for orbit in g["orbits"] for p in orbit) == list(range(degree))
        assert (g["transitive"], g["primitive"]) == (transitive, primitive)
        assert g["order_proof"] in {"known-order", "deterministic", "monte-carlo"}


def test_report_agrees_with_the_group_and_orbitals_commands():
    for g in run_json("report")["groups"]:
        single = run_json("group", g["spec"])
        assert (g["order"], g["orbits"], g["primitive"]) == (single["order"], single["orbits"],
                                                              single["primitive"])
        assert g["rank"] == run_json("orbitals", g["spec"])["rank"]


def test_mirror_orbits_pair_each_point_with_its_reflection():
    mirror = run_json("report")["groups"][0]
    assert mirror["orbits"] == [[i, 9 - i] for i in range(5)]


def test_report_certifies_every_group_and_a5_is_not_2_closed():
    for g in run_json("report")["groups"]:
        cert = g["certificate"]
        assert list(cert) == [key for key in CERTIFY_KEYS if key != "timings_ms"] + ["total_ms"]
        assert (cert["closure_order"], cert["index"], cert["two_closed"]) == CLOSURES[g["spec"]]
        assert (cert["degree"], cert["order"], cert["rank"]) == (g["degree"], g["order"], g["rank"])
        assert cert["proven"] is True
        assert cert["generators_preserve_coloring"] and cert["closure_preserves_coloring"]
        assert bool(cert["witnesses"]) == (not cert["two_closed"])
        if g["spec"] == "A(5)":
            assert all(sign(w) == -1 for w in cert["witnesses"])


def test_report_agrees_with_certify():
    for g in run_json("report")["groups"]:
        single = run_json("certify", g["spec"])
        for key in ("closure_order", "index", "two_closed", "canonical_hash"):
            assert g["certificate"][key] == single[key], (g["spec"], key)


def test_report_text_is_an_aligned_table():
    lines = run_ok("report").splitlines()
    assert lines[0].split() == ["group", "degree", "order", "proof", "orbits", "rank", "transitive", "primitive",
                                "|G^(2)|", "index", "2-closed"]
    table = lines[:1 + len(SUITE)]
    for line, (spec, (degree, order, orbit_count, rank, transitive, primitive)) in zip(table[1:], SUITE.items()):
        cells = line.split()
        assert cells[0] == spec
        assert cells[1:3] == [str(degree), order]
        closure, index, two_closed = CLOSURES[spec]
        assert cells[4:] == [str(orbit_count), str(rank), "yes" if transitive else "no",
                             "yes" if primitive else "no", closure, index, "yes" if two_closed else "no"]
    # Aligned: every column starts at the same offset on every line.
    rank_column = lines[0].index("rank")
    assert all(line[rank_column + 3] != " " for line in table[1:])
    index_column = lines[0].index("index")
    assert all(line[index_column + 4] != " " for line in table[1:])
    # Below the table, a blank line and why A(5) is not 2-closed.
    assert lines[len(table):len(table) + 1] == [""]
    notes = lines[len(table) + 1:]
    assert len(notes) == 1 and notes[0].startswith("A(5) is not 2-closed: (")
