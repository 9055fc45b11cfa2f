#include <asen/error.hpp>
#include <asen/graph/colored_digraph.hpp>

#include <algorithm>
#include <utility>

namespace asen::graph {

const char* to_string(BreakingMode mode) {
  switch (mode) {
    case BreakingMode::dense:
      return "dense";
    case BreakingMode::sparse:
      return "sparse";
    case BreakingMode::weak_sparse:
      return "weak-sparse";
  }
  return "unknown";
}

BreakingMode parse_breaking_mode(const std::string& text) {
  if (text == "dense") return BreakingMode::dense;
  if (text == "sparse") return BreakingMode::sparse;
  if (text == "weak-sparse" || text == "weak_sparse") return BreakingMode::weak_sparse;
  throw InputError("unknown breaking-input mode '" + text + "'; expected dense, sparse or weak-sparse");
}

ColoredDigraph::ColoredDigraph(std::size_t n, std::vector<std::int32_t> vertex_colors, std::vector<Arc> arcs) : n_(n) {
  if (n > static_cast<std::size_t>(INT32_MAX)) throw InputError("a digraph with " + std::to_string(n) + " vertices is too large");
  init(std::move(vertex_colors), std::move(arcs), false, std::nullopt);
}

void ColoredDigraph::init(std::vector<std::int32_t> vertex_colors, std::vector<Arc> arcs, bool trusted,
                          std::optional<bool> symmetric) {
  const std::size_t n = n_;
  if (vertex_colors.empty()) vertex_colors.assign(n, 0);
  if (vertex_colors.size() != n)
    throw InputError("the digraph has " + std::to_string(n) + " vertices but " + std::to_string(vertex_colors.size()) +
                     " vertex colours");
  for (std::size_t v = 0; v < n; ++v)
    if (vertex_colors[v] < 0) throw InputError("vertex " + std::to_string(v) + " has a negative colour");
  const auto by_ends = [](const Arc& a, const Arc& b) {
    return a.source != b.source ? a.source < b.source : a.target < b.target;
  };
  if (!trusted) {
    if (!std::is_sorted(arcs.begin(), arcs.end(), by_ends)) std::sort(arcs.begin(), arcs.end(), by_ends);
    for (std::size_t k = 0; k < arcs.size(); ++k) {
      const Arc& a = arcs[k];
      const auto name = [&a] { return "arc (" + std::to_string(a.source) + ", " + std::to_string(a.target) + ")"; };
      if (a.source >= n || a.target >= n)
        throw InputError(name() + " has a vertex out of range, expected ids in [0, " + std::to_string(n) + ")");
      if (a.source == a.target) throw InputError(name() + " is a loop; the colour of a loop is its vertex colour");
      if (a.color < 0) throw InputError(name() + " has a negative colour");
      if (k > 0 && arcs[k - 1].source == a.source && arcs[k - 1].target == a.target)
        throw InputError(name() + " is given twice");
    }
  }
  std::vector<std::pair<std::size_t, std::size_t>> ends(arcs.size());
  std::vector<ArcProps> props(arcs.size());
  for (std::size_t k = 0; k < arcs.size(); ++k) {
    ends[k] = {arcs[k].source, arcs[k].target};
    props[k].color = arcs[k].color;
    num_arc_colors_ = std::max(num_arc_colors_, arcs[k].color + 1);
  }
  storage_ = Storage(boost::edges_are_sorted, ends.begin(), ends.end(), props.begin(), n);
  for (std::size_t v = 0; v < n; ++v) storage_[v].color = vertex_colors[v];
  if (symmetric) {
    symmetric_ = *symmetric;
    return;
  }
  // Symmetric iff every arc (u,v,c) has (v,u,c): binary search in v's row.
  const auto& offsets = storage_.m_forward.m_rowstart;
  symmetric_ = true;
  for (const Arc& a : arcs) {
    const auto first = arcs.begin() + static_cast<std::ptrdiff_t>(offsets[a.target]);
    const auto last = arcs.begin() + static_cast<std::ptrdiff_t>(offsets[a.target + 1]);
    const auto it = std::lower_bound(first, last, a.source, [](const Arc& x, Point s) { return x.target < s; });
    if (it == last || it->target != a.source || it->color != a.color) {
      symmetric_ = false;
      break;
    }
  }
}

ColoredDigraph ColoredDigraph::from_orbitals(const algebra::Orbitals& orbitals, BreakingMode mode, const BaseGraph* base) {
  const std::size_t n = orbitals.degree();
  if (mode != BreakingMode::dense) {
    if (base == nullptr) throw InputError(std::string("the ") + to_string(mode) + " mode needs a base graph");
    if (base->num_vertices() != n)
      throw InputError("the base graph has " + std::to_string(base->num_vertices()) + " vertices but the group has degree " +
                       std::to_string(n));
  }
  std::vector<Arc> arcs;
  std::vector<bool> in_base;
  if (mode == BreakingMode::sparse) {
    for (const auto& [u, v] : base->arcs())
      if (u != v) arcs.push_back({u, v, orbitals.color(u, v)});
  } else {
    arcs.reserve(n * (n - 1));
    for (Point i = 0; i < n; ++i)
      for (Point j = 0; j < n; ++j)
        if (i != j) arcs.push_back({i, j, orbitals.color(i, j)});
    if (mode == BreakingMode::weak_sparse) {
      in_base.assign(orbitals.rank(), false);
      for (const auto& [u, v] : base->arcs()) in_base[static_cast<std::size_t>(orbitals.color(u, v))] = true;
    }
  }
  // The arcs are sorted, distinct and loop-free by construction; a dense
  // colouring is symmetric iff every orbital is self-paired.
  std::optional<bool> symmetric;
  if (mode != BreakingMode::sparse) {
    symmetric = true;
    for (const auto& o : orbitals.orbitals()) symmetric = *symmetric && o.self_paired;
  }
  ColoredDigraph g;
  g.n_ = n;
  g.init(orbitals.diagonal_colors(), std::move(arcs), mode != BreakingMode::sparse, symmetric);
  g.mode_ = mode;
  g.color_in_base_ = std::move(in_base);
  return g;
}

ColoredDigraph ColoredDigraph::from_base_graph(const BaseGraph& graph) {
  const std::size_t n = graph.num_vertices();
  std::vector<std::int32_t> colors = graph.vertex_colors();
  for (auto& c : colors) c *= 2;
  std::vector<Arc> arcs;
  for (const auto& [u, v] : graph.arcs()) {
    if (u == v)
      colors[u] |= 1;  // a loop distinguishes its vertex
    else
      arcs.push_back({u, v, 0});
  }
  return ColoredDigraph(n, std::move(colors), std::move(arcs));
}

std::vector<std::int32_t> ColoredDigraph::vertex_colors() const {
  std::vector<std::int32_t> out(n_);
  for (std::size_t v = 0; v < n_; ++v) out[v] = storage_[v].color;
  return out;
}

std::vector<Arc> ColoredDigraph::arcs() const {
  std::vector<Arc> out;
  out.reserve(num_arcs());
  for (const auto e : boost::make_iterator_range(boost::edges(storage_)))
    out.push_back({static_cast<Point>(boost::source(e, storage_)), static_cast<Point>(boost::target(e, storage_)),
                   storage_[e].color});
  return out;
}

}  // namespace asen::graph
