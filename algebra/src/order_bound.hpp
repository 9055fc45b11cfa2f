#pragma once
// Cheap upper bounds of a permutation group's order: G is contained in the
// product, over its orbits O, of S_s wr S_k for any block system of G on O
// (blocks of size s, k = |O|/s; s = |O| without one), and in the even
// permutations if all generators are even. A chain whose order reaches the
// bound is complete. Private to algebra/src.

#include <asen/algebra/permutation.hpp>
#include <asen/algebra/types.hpp>

#include <optional>
#include <vector>

namespace asen::algebra::detail {

/// The bound, or nothing when computing it would cost more than the budget
/// (about 5e7 elementary steps).
std::optional<BigInt> order_upper_bound(std::size_t degree, const std::vector<Permutation>& generators);

}  // namespace asen::algebra::detail
