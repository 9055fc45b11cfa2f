#include <asen/error.hpp>
#include <asen/graph/breaking_input.hpp>

#include <algorithm>

namespace asen::graph {

void check_group_preserves_base(const algebra::PermGroup& group, const BaseGraph& base) {
  const std::size_t n = group.degree();
  if (base.num_vertices() != n)
    throw InputError("the base graph has " + std::to_string(base.num_vertices()) +
                     " vertices but the group has degree " + std::to_string(n));
  const auto arcs = base.arcs();
  std::vector<std::uint64_t> keys;
  keys.reserve(arcs.size());
  for (const auto& [u, v] : arcs) keys.push_back(static_cast<std::uint64_t>(u) * n + v);
  std::sort(keys.begin(), keys.end());
  for (std::size_t k = 0; k < group.generators().size(); ++k) {
    const algebra::Permutation& g = group.generators()[k];
    for (const auto& [u, v] : arcs) {
      if (u == v) continue;  // a sparse input has every self-loop anyway
      const algebra::Point gu = g[u];
      const algebra::Point gv = g[v];
      if (std::binary_search(keys.begin(), keys.end(), static_cast<std::uint64_t>(gu) * n + gv)) continue;
      const auto pair = [](algebra::Point a, algebra::Point b) {
        return "(" + std::to_string(a) + "," + std::to_string(b) + ")";
      };
      // The generator in a line of readable length (one long cycle of a
      // large group would fill pages): cut short, and then named by number.
      constexpr std::size_t kShown = 120;
      std::string cycles = g.to_cycle_string();
      if (cycles.size() > kShown)
        cycles = "number " + std::to_string(k + 1) + ", " + cycles.substr(0, kShown) + "... (cut short; ";
      else
        cycles += " (";
      throw InputError("the group does not preserve the base graph, so a sparse breaking input would not be "
                       "invariant under it (a model fed it would not be equivariant): its generator " + cycles +
                       "cycle notation, 1-based) maps the " + (base.directed() ? "arc " : "edge ") + pair(u, v) +
                       " to " + pair(gu, gv) + ", which is not in the graph (0-based vertices); use a "
                       "subgroup of the graph's automorphisms, or the dense or weak-sparse mode");
    }
  }
}

BreakingInput make_breaking_input(const algebra::Orbitals& orbitals, BreakingMode mode, const BaseGraph* base,
                                  std::size_t memory_limit_bytes) {
  const std::size_t n = orbitals.degree();
  if (mode != BreakingMode::dense) {
    if (base == nullptr) throw InputError(std::string("the ") + to_string(mode) + " mode needs a base graph");
    if (base->num_vertices() != n)
      throw InputError("the base graph has " + std::to_string(base->num_vertices()) +
                       " vertices but the group has degree " + std::to_string(n));
  }
  const long double edges = mode == BreakingMode::sparse ? static_cast<long double>(base->arcs().size() + n)
                                                         : static_cast<long double>(n) * n;
  if (edges * 32.0L > static_cast<long double>(memory_limit_bytes))
    throw LimitError("the breaking input has " + std::to_string(static_cast<unsigned long long>(edges)) +
                     " edges and needs about " + std::to_string(static_cast<unsigned long long>(edges * 32.0L / (1 << 20))) +
                     " MiB, above the memory limit of " + std::to_string(memory_limit_bytes >> 20U) + " MiB");
  BreakingInput out;
  out.num_nodes = n;
  out.mode = mode;
  out.num_colors = static_cast<std::int64_t>(orbitals.rank());
  for (const auto c : orbitals.diagonal_colors()) out.node_color.push_back(c);
  std::vector<std::pair<algebra::Point, algebra::Point>> pairs;
  if (mode == BreakingMode::sparse) {
    pairs = base->arcs();
    for (algebra::Point v = 0; v < n; ++v) pairs.emplace_back(v, v);
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  } else {
    pairs.reserve(n * n);
    for (algebra::Point i = 0; i < n; ++i)
      for (algebra::Point j = 0; j < n; ++j) pairs.emplace_back(i, j);
  }
  const std::size_t e = pairs.size();
  out.edge_index.resize(2 * e);
  out.edge_attr.resize(e);
  for (std::size_t k = 0; k < e; ++k) {
    out.edge_index[k] = pairs[k].first;
    out.edge_index[e + k] = pairs[k].second;
    out.edge_attr[k] = orbitals.color(pairs[k].first, pairs[k].second);
  }
  if (mode == BreakingMode::weak_sparse) {
    out.color_in_base.assign(orbitals.rank(), 0);
    for (const auto& [u, v] : base->arcs()) out.color_in_base[static_cast<std::size_t>(orbitals.color(u, v))] = 1;
  }
  return out;
}

}  // namespace asen::graph
