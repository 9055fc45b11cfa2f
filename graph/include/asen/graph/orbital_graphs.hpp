#pragma once
/// \file
/// Orbital graphs: for each orbital c, the digraph on the points whose arcs
/// are the pairs of colour c. Their connectivity (Boost.Graph's connected
/// components) gives Higman's criterion: a transitive group is primitive iff
/// every non-diagonal orbital graph is connected.

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>

#include <cstdint>
#include <vector>

namespace asen::graph {

struct OrbitalGraphInfo {
  std::int32_t color = 0;
  bool diagonal = false;
  /// Weakly connected components of the orbital graph on all n points (for a
  /// transitive group, weak and strong connectivity agree).
  std::size_t components = 0;
  bool connected = false;
};

/// Connectivity of every orbital graph, by colour.
/// \complexity O(n² α(n)) over all orbitals together.
[[nodiscard]] std::vector<OrbitalGraphInfo> orbital_graphs(const algebra::Orbitals& orbitals);

/// Higman's criterion: true iff the group is transitive and every
/// non-diagonal orbital graph is connected (i.e. the group is primitive).
/// \throws InputError if `orbitals` were not computed for `group` (its
/// degree and generators: Orbitals::computed_for).
[[nodiscard]] bool primitive_by_higman(const algebra::PermGroup& group, const algebra::Orbitals& orbitals);

}  // namespace asen::graph
