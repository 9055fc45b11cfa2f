#pragma once
/// \file
/// Checking a model's symmetry: the largest |f(g.x) - g.f(x)| over elements g
/// of the structure's group G, over witnesses in G^(2) \ G (the model must be
/// equivariant to them too: they preserve the breaking input), and over
/// random permutations outside G^(2) (where it should not be).
///
/// The layers see a breaking input as a coloured digraph, and no model can
/// tell apart inputs that one of its automorphisms maps to each other: for
/// the orbital colouring of every pair that group is G^(2), but a sparse
/// input may have more (a base graph's own symmetries the orbitals do not
/// break; nodes whose only incoming edge is their self-loop, whose colour
/// then has no effect). The report measures that group too.
///
/// A permutation g acts on a sequence by moving the entry at position i to
/// position g(i); node outputs move the same way, invariant outputs stay.

#include <asen/algebra/perm_group.hpp>
#include <asen/graph/colored_digraph.hpp>
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
  /// Over elements of the breaking input's automorphism group (as the
  /// layers see it, seen_by_layers) outside G^(2): its generators and random
  /// elements (empty when that group is within G^(2)).
  std::optional<double> input_symmetry_max_error;
  /// Over random permutations outside G^(2) and outside the input's
  /// automorphism group (empty when G^(2) is S_n).
  std::optional<double> outside_max_error;
  algebra::BigInt group_order = 1;
  algebra::BigInt closure_order = 1;
  /// The order of the breaking input's automorphism group (|G^(2)| for the
  /// dense orbital colouring).
  algebra::BigInt input_symmetry_order = 1;
  std::int64_t inside_checks = 0;
  std::int64_t input_symmetry_checks = 0;
  std::int64_t outside_checks = 0;
};

/// The coloured digraph the layers see in `input`: an edge's colour enters
/// only its weight among its target's incoming edges, so the colour of a
/// target's only incoming edge is invisible (its weight is 1), and the colours
/// of a repeated edge count together. Loops give the vertex colours.
[[nodiscard]] graph::ColoredDigraph seen_by_layers(const BreakingInput& input);

/// Checks `model` on `structure` (whose breaking input must be that of
/// `group`) with seeded random inputs (tokens in [0, vocab), or standard
/// normal features).
[[nodiscard]] EquivarianceReport check_equivariance(AsenModel& model, const std::string& structure,
                                                    const algebra::PermGroup& group, std::int64_t random = 8,
                                                    std::uint64_t seed = 0);

/// g . x for a batch x [B, N, ...]: entry i moves to position g(i).
[[nodiscard]] torch::Tensor permute_nodes(const torch::Tensor& x, const algebra::Permutation& g);

}  // namespace asen::nn
