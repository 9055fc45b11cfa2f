#pragma once
/// \file
/// Checking a model's symmetry: the largest |f(g.x) - g.f(x)| over elements g
/// of the structure's group G, over witnesses in G^(2) \ G (the model must be
/// equivariant to them too: they preserve the breaking input), and over
/// random permutations outside G^(2) (where it should not be).
///
/// A permutation g acts on a sequence by moving the entry at position i to
/// position g(i); node outputs move the same way, invariant outputs stay.

#include <asen/algebra/perm_group.hpp>
#include <asen/nn/model.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace asen::nn {

/// Errors are max |f(g.x) - g.f(x)| over a batch of random inputs, computed
/// in double precision on a copy of the model (the model is not touched; the
/// inputs come from a generator of their own, not torch's default one).
struct EquivarianceReport {
  /// Over the generators of G and `random` random elements of G.
  double inside_max_error = 0;
  /// Over witnesses in G^(2) \ G (empty when G is 2-closed).
  std::optional<double> closure_max_error;
  /// Over random permutations outside G^(2) (empty when G^(2) is S_n).
  std::optional<double> outside_max_error;
  algebra::BigInt group_order = 1;
  algebra::BigInt closure_order = 1;
  std::int64_t inside_checks = 0;
  std::int64_t outside_checks = 0;
};

/// Checks `model` on `structure` (whose breaking input must be that of
/// `group`) with seeded random inputs (tokens in [0, vocab), or standard
/// normal features).
[[nodiscard]] EquivarianceReport check_equivariance(AsenModel& model, const std::string& structure,
                                                    const algebra::PermGroup& group, std::int64_t random = 8,
                                                    std::uint64_t seed = 0);

/// g . x for a batch x [B, N, ...]: entry i moves to position g(i).
[[nodiscard]] torch::Tensor permute_nodes(const torch::Tensor& x, const algebra::Permutation& g);

}  // namespace asen::nn
