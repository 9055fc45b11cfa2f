"""`asen orbitals`: ranks, orbital records, canonical colour matrices, methods."""

import json

import pytest

from conftest import asen_path, assert_input_error, run, run_json, run_ok

METHODS = ["auto", "stabilizer-chain", "union-find"]
SPECS = ["D(10)", "wreath(S(5),S(2))", "mirror(10)", "C(8)", "S(6)", "A(5)", "(1,2,3),(4,5)",
         "S(3)*C(4)", "wreath(C(3),S(3))", "(1,2)", "trivial(4)"]


def colors_of(spec, method="auto", *extra):
    return run_json("orbitals", spec, "--colors", "--method", method, *extra)


def check_orbitals_consistent(result):
    """The orbital records agree with the colour matrix and with each other."""
    n, rank, orbitals, colors = result["degree"], result["rank"], result["orbitals"], result["colors"]
    assert len(colors) == n and all(len(row) == n for row in colors)
    assert [o["id"] for o in orbitals] == list(range(rank))
    counts = [0] * rank
    for row in colors:
        for c in row:
            counts[c] += 1
    for o in orbitals:
        i, j = o["representative"]
        assert colors[i][j] == o["id"]
        assert counts[o["id"]] == o["size"]
        assert o["diagonal"] == (i == j)
        assert orbitals[o["paired"]]["paired"] == o["id"]
        assert o["self_paired"] == (o["paired"] == o["id"])
        assert colors[j][i] == o["paired"]
    assert sum(o["size"] for o in orbitals) == n * n


def assert_canonical(colors):
    """Colour ids appear in increasing order in a row-major scan."""
    next_new = 0
    for row in colors:
        for c in row:
            assert c <= next_new, f"colour {c} appears before colour {next_new}"
            if c == next_new:
                next_new += 1


def test_dihedral_group_on_ten_points_has_rank_6():
    result = run_json("orbitals", "D(10)")
    assert result["degree"] == 10
    assert result["rank"] == 6
    assert "colors" not in result
    assert [o["size"] for o in result["orbitals"]] == [10, 20, 20, 20, 20, 10]
    assert isinstance(result["timings_ms"]["orbitals"], float)


def test_wreath_product_of_s5_by_s2_has_rank_3():
    result = run_json("orbitals", "wreath(S(5),S(2))")
    assert result["rank"] == 3
    # The diagonal, pairs inside a block, pairs across blocks.
    assert sorted(o["size"] for o in result["orbitals"]) == [10, 40, 50]


def test_cyclic_group_has_orbitals_that_are_not_self_paired():
    result = colors_of("C(5)")
    assert result["rank"] == 5
    assert sum(not o["self_paired"] for o in result["orbitals"]) == 4
    check_orbitals_consistent(result)


@pytest.mark.parametrize("spec", SPECS)
def test_colour_matrix_is_canonical_and_matches_the_records(spec):
    result = colors_of(spec)
    assert_canonical(result["colors"])
    check_orbitals_consistent(result)


@pytest.mark.parametrize("spec", SPECS)
def test_all_methods_give_identical_colours(spec):
    results = [colors_of(spec, method) for method in METHODS]
    for r in results[1:]:
        assert r["colors"] == results[0]["colors"]
        assert r["orbitals"] == results[0]["orbitals"]


def test_colours_do_not_depend_on_the_generators():
    # S(4) from two different generating sets.
    a = colors_of("S(4)")
    b = colors_of("(1,2,3,4),(1,2)")
    c = colors_of("[[1,0,2,3],[0,2,1,3],[0,1,3,2]]")
    assert a["colors"] == b["colors"] == c["colors"]


def test_intransitive_group_with_fixed_points():
    result = colors_of("(1,2)", "auto", "--degree", "4")
    assert result["rank"] == 10
    assert sum(o["diagonal"] for o in result["orbitals"]) == 3  # the orbits {0,1}, {2}, {3}
    check_orbitals_consistent(result)


def test_text_output_is_a_table_of_orbitals():
    out = run_ok("orbitals", "D(10)")
    lines = out.splitlines()
    assert "rank 6" in lines[0]
    assert lines[1].split() == ["id", "representative", "size", "paired", "diagonal", "self-paired"]
    assert len(lines) == 2 + 6
    assert lines[2].split() == ["0", "(0,", "0)", "10", "0", "yes", "yes"]


def test_text_output_with_colours_prints_the_matrix():
    out = run_ok("orbitals", "C(3)", "--colors")
    assert out.splitlines()[-3:] == ["  0 1 2", "  2 0 1", "  1 2 0"]


def test_memory_limit_that_fits_is_accepted():
    assert run_json("orbitals", "S(100)", "--memory-limit-mb", "1")["rank"] == 2


def test_without_colours_a_matrix_over_the_limit_is_not_needed():
    # 1000 points: a 3.8 MiB matrix over a 1 MiB limit. The records come pair
    # by pair, the same as with room for the matrix; the colours are refused.
    small = run_json("orbitals", "wreath(S(10),S(100))", "--memory-limit-mb", "1")
    assert small["orbitals"] == run_json("orbitals", "wreath(S(10),S(100))")["orbitals"]
    assert small["rank"] == 3
    assert_input_error(run("orbitals", "wreath(S(10),S(100))", "--memory-limit-mb", "1", "--colors"),
                       "memory limit")
    big = run_json("orbitals", "S(40000)")  # a 6 GiB matrix, over the default 4 GiB
    assert big["rank"] == 2 and [o["size"] for o in big["orbitals"]] == [40000, 40000 * 39999]


def test_a_refusal_comes_before_the_memory_limit_is_passed():
    # mirror(10000) has 50 million orbitals: the table grows within the limit
    # (the old and the new table together while it grows) and is refused when
    # it cannot; it once peaked at 351 MiB under a limit of 300. The peak is
    # read by a small Python process that runs asen as its own child: a child
    # of this test process would count this process's memory in its
    # ru_maxrss (it is inherited across fork and exec).
    import subprocess
    import sys

    code = (
        "import json, resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)\n"
        "print(json.dumps([r.returncode, r.stderr, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, asen_path(), "orbitals", "mirror(10000)", "--json",
                          "--memory-limit-mb", "300"], capture_output=True, text=True, timeout=120, check=True)
    status, message, peak_kib = json.loads(out.stdout)
    assert status == 2 and "above the memory limit of 300 MiB" in message, message
    assert peak_kib <= (300 + 25) * 1024, f"peak {peak_kib} KiB"  # 25 MiB for the process itself
