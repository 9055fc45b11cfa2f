#include <asen/error.hpp>
#include <asen/graph/orbital_graphs.hpp>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>

namespace asen::graph {

std::vector<OrbitalGraphInfo> orbital_graphs(const algebra::Orbitals& orbitals) {
  const std::size_t n = orbitals.degree();
  const std::size_t rank = orbitals.rank();
  // Bucket the pairs by colour once, then one Boost graph per orbital.
  std::vector<std::vector<std::pair<algebra::Point, algebra::Point>>> pairs(rank);
  for (algebra::Point i = 0; i < n; ++i)
    for (algebra::Point j = 0; j < n; ++j) pairs[static_cast<std::size_t>(orbitals.color(i, j))].emplace_back(i, j);
  using Undirected = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS>;
  std::vector<OrbitalGraphInfo> out(rank);
  std::vector<int> component(n);
  for (std::size_t c = 0; c < rank; ++c) {
    Undirected g(pairs[c].begin(), pairs[c].end(), n);
    out[c].color = static_cast<std::int32_t>(c);
    out[c].diagonal = orbitals.orbitals()[c].diagonal;
    out[c].components = n == 0 ? 0 : static_cast<std::size_t>(boost::connected_components(g, component.data()));
    out[c].connected = out[c].components == 1;
  }
  return out;
}

bool primitive_by_higman(const algebra::PermGroup& group, const algebra::Orbitals& orbitals) {
  if (!orbitals.computed_for(group))
    throw InputError("the orbitals were not computed for this group (another group, or other generators of "
                     "it): the criterion needs the group's own orbitals");
  if (!group.is_transitive()) return false;
  for (const auto& info : orbital_graphs(orbitals))
    if (!info.diagonal && !info.connected) return false;
  return true;
}

}  // namespace asen::graph
