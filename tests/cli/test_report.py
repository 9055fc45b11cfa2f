"""`asen report`: the built-in suite of groups."""

from conftest import run_json, run_ok

# spec -> (degree, order, number of orbits, rank, transitive, primitive)
SUITE = {
    "mirror(10)": (10, "2", 5, 50, False, False),
    "D(10)": (10, "20", 1, 6, True, False),
    "wreath(S(5),S(2))": (10, "28800", 1, 3, True, False),
    "S(5)": (5, "120", 1, 2, True, True),
    "A(5)": (5, "60", 1, 2, True, True),
    "C(8)": (8, "8", 1, 8, True, False),
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


def test_report_text_is_an_aligned_table():
    lines = run_ok("report").splitlines()
    assert lines[0].split() == ["group", "degree", "order", "proof", "orbits", "rank", "transitive", "primitive"]
    assert len(lines) == 1 + len(SUITE)
    for line, (spec, (degree, order, orbit_count, rank, transitive, primitive)) in zip(lines[1:], SUITE.items()):
        cells = line.split()
        assert cells[0] == spec
        assert cells[1:3] == [str(degree), order]
        assert cells[4:] == [str(orbit_count), str(rank), "yes" if transitive else "no",
                             "yes" if primitive else "no"]
    # Aligned: every column starts at the same offset on every line.
    rank_column = lines[0].index("rank")
    assert all(line[rank_column + 3] != " " for line in lines[1:])
