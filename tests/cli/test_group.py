"""`asen group`: exact orders, generators, orbits, transitivity, primitivity."""

import math

import pytest

from conftest import run_json, run_ok


def is_permutation(images, n):
    return sorted(images) == list(range(n))


def test_symmetric_group_on_five_points_has_order_120_and_is_primitive():
    g = run_json("group", "S(5)")
    assert g["degree"] == 5
    assert g["order"] == "120"
    assert g["order_proof"] in {"known-order", "deterministic", "monte-carlo", "upper-bound"}
    assert g["transitive"] is True
    assert g["primitive"] is True
    assert g["orbits"] == [[0, 1, 2, 3, 4]]
    assert g["generators"] and all(is_permutation(p, 5) for p in g["generators"])


def test_dihedral_group_on_ten_points_has_order_20_and_is_imprimitive():
    g = run_json("group", "D(10)")
    assert (g["degree"], g["order"], g["transitive"], g["primitive"]) == (10, "20", True, False)


def test_wreath_product_of_s5_by_s2_has_order_28800_and_is_imprimitive():
    g = run_json("group", "wreath(S(5),S(2))")
    assert (g["degree"], g["order"], g["transitive"], g["primitive"]) == (10, "28800", True, False)


def test_orders_are_exact_big_integers():
    assert run_json("group", "S(40)")["order"] == str(math.factorial(40))
    assert run_json("group", "A(30)")["order"] == str(math.factorial(30) // 2)


def test_giant_named_groups_are_answered_quickly_from_their_known_order():
    # The native chain of S(n) costs minutes for n in the thousands; the order
    # of a named group is known by construction.
    g = run_json("group", "S(1000)")
    assert g["order"] == str(math.factorial(1000))  # 2568 digits
    assert g["order_proof"] == "known-order"
    assert g["transitive"] is True and g["primitive"] is True


def test_order_of_generators_is_proven_without_a_known_order():
    g = run_json("group", "(1,2,3,4,5,6,7,8),(1,2)")
    assert g["order"] == str(math.factorial(8))
    assert g["order_proof"] in {"deterministic", "known-order", "upper-bound", "jordan"}


def test_generators_are_zero_based_image_lists():
    g = run_json("group", "(1,2)(3,4)")
    assert g["generators"] == [[1, 0, 3, 2]]
    assert g["orbits"] == [[0, 1], [2, 3]]
    assert g["transitive"] is False and g["primitive"] is False


def test_image_list_spec_is_zero_based():
    g = run_json("group", "[[1,2,0]]")
    assert g["generators"] == [[1, 2, 0]]
    assert g["order"] == "3"


def test_degree_option_adds_fixed_points():
    g = run_json("group", "S(5)", "--degree", "7")
    assert g["degree"] == 7
    assert g["order"] == "120"
    assert g["orbits"] == [[0, 1, 2, 3, 4], [5], [6]]
    assert g["transitive"] is False
    assert all(is_permutation(p, 7) and p[5:] == [5, 6] for p in g["generators"])


def test_direct_product_acts_on_disjoint_points():
    g = run_json("group", "S(3)*C(4)")
    assert g["degree"] == 7 and g["order"] == "24"
    assert g["orbits"] == [[0, 1, 2], [3, 4, 5, 6]]


@pytest.mark.parametrize("spec, order, primitive", [("mirror(10)", "2", False), ("C(7)", "7", True),
                                                     ("A(5)", "60", True), ("trivial(4)", "1", False)])
def test_named_groups(spec, order, primitive):
    g = run_json("group", spec)
    assert g["order"] == order
    assert g["primitive"] is primitive


def test_text_report_is_human_readable():
    out = run_ok("group", "D(10)")
    assert "degree      10" in out
    assert "order       20" in out
    assert "(1,2,3,4,5,6,7,8,9,10)" in out  # generators in 1-based cycle notation
    assert "transitive  yes" in out
    assert "primitive   no" in out


def test_gap_backend_agrees_with_native():
    # Starts GAP (about a second): one test.
    gap = run_json("group", "wreath(S(3),S(2))", "--backend", "gap")
    native = run_json("group", "wreath(S(3),S(2))")
    assert gap["order_proof"] == "gap"
    assert gap["order"] == native["order"] == "72"
    for key in ("degree", "generators", "transitive", "primitive", "orbits"):
        assert gap[key] == native[key]
