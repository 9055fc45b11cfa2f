#pragma once
// Block systems of a permutation group found cheaply (Atkinson's algorithm),
// and the upper bounds of the group order they give: G is contained in the
// product, over its orbits O, of S_s wr S_k for any block system of G on O
// (blocks of size s, k = |O|/s; s = |O| without one), and in the even
// permutations if all generators are even. A chain whose order reaches the
// bound is complete. Private to algebra/src.

#include <asen/algebra/permutation.hpp>
#include <asen/algebra/types.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace asen::algebra::detail {

/// A nontrivial G-invariant partition of one orbit of G into blocks.
struct BlockSystem {
  static constexpr std::uint32_t kOff = UINT32_MAX;
  std::vector<std::uint32_t> block;  ///< per point: block id in [0, blocks), kOff off the orbit
  std::size_t block_size = 0;
  std::size_t blocks = 0;
};

/// The orbits of G, each a list of points in increasing order.
std::vector<std::vector<Point>> orbits_of(std::size_t degree, const std::vector<const Permutation*>& gens);

/// Nontrivial block systems of the orbit `orbit` of G, one per block size:
/// for up to 32 points b, the smallest block containing {orbit[0], b}
/// (Atkinson's algorithm). Nothing when that
/// would cost more than the budget (about 5e7 elementary steps).
std::optional<std::vector<BlockSystem>> block_systems(std::size_t degree, const std::vector<Point>& orbit,
                                                      const std::vector<const Permutation*>& gens);

/// The bound, or nothing when computing it would cost more than the budget.
std::optional<BigInt> order_upper_bound(std::size_t degree, const std::vector<Permutation>& generators);

}  // namespace asen::algebra::detail
