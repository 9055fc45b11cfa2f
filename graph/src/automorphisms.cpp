#include <asen/algebra/stab_chain.hpp>
#include <asen/error.hpp>
#include <asen/graph/automorphisms.hpp>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/connected_components.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <tuple>

#include "nauty_backend.hpp"

namespace asen::graph {

const char* to_string(AutomorphismBackend backend) {
  switch (backend) {
    case AutomorphismBackend::automatic:
      return "automatic";
    case AutomorphismBackend::nauty:
      return "nauty";
    case AutomorphismBackend::traces:
      return "traces";
  }
  return "unknown";
}

AutomorphismBackend parse_automorphism_backend(const std::string& text) {
  if (text == "automatic" || text == "auto") return AutomorphismBackend::automatic;
  if (text == "nauty") return AutomorphismBackend::nauty;
  if (text == "traces") return AutomorphismBackend::traces;
  throw InputError("unknown automorphism backend '" + text + "'; expected auto, nauty or traces");
}

namespace {

using algebra::BigInt;
using algebra::Permutation;
using detail::SearchGraph;

int bits_needed(std::uint64_t x) {
  int bits = 0;
  while (x != 0) {
    ++bits;
    x >>= 1U;
  }
  return bits;
}

// Builds nauty's sparse layout from an edge emitter, called twice: once to
// count degrees, once to fill. `emit(add)` calls add(u, v) for every arc.
SearchGraph sparse_from(std::size_t nv, bool directed, const std::function<void(const std::function<void(std::size_t, std::size_t)>&)>& emit) {
  if (nv > static_cast<std::size_t>(INT_MAX))
    throw LimitError("the encoded search graph has " + std::to_string(nv) + " vertices, beyond nauty's limit of " +
                     std::to_string(INT_MAX));
  SearchGraph g;
  g.nv = static_cast<int>(nv);
  g.directed = directed;
  std::vector<std::size_t> degree(nv, 0);
  emit([&](std::size_t u, std::size_t) { ++degree[u]; });
  g.v.resize(nv);
  g.d.resize(nv);
  std::size_t total = 0;
  for (std::size_t x = 0; x < nv; ++x) {
    if (degree[x] > static_cast<std::size_t>(INT_MAX)) throw LimitError("a vertex degree is beyond nauty's limit");
    g.v[x] = total;
    g.d[x] = static_cast<int>(degree[x]);
    total += degree[x];
  }
  g.e.resize(total);
  std::vector<std::size_t> fill(g.v);
  emit([&](std::size_t u, std::size_t w) { g.e[fill[u]++] = static_cast<int>(w); });
  return g;
}

// The initial partition: `blocks` are consecutive vertex ranges in the order
// of the cells; within each, vertices are grouped by `color_of`.
void set_partition(SearchGraph& g, const std::vector<std::pair<std::size_t, std::size_t>>& blocks,
                   const std::function<std::int64_t(std::size_t)>& color_of) {
  g.lab.clear();
  g.ptn.clear();
  for (const auto& [first, last] : blocks) {
    std::vector<std::size_t> members(last - first);
    std::iota(members.begin(), members.end(), first);
    std::stable_sort(members.begin(), members.end(),
                     [&](std::size_t a, std::size_t b) { return color_of(a) < color_of(b); });
    for (std::size_t k = 0; k < members.size(); ++k) {
      g.lab.push_back(static_cast<int>(members[k]));
      const bool last_of_cell = k + 1 == members.size() || color_of(members[k + 1]) != color_of(members[k]);
      g.ptn.push_back(last_of_cell ? 0 : 1);
    }
  }
}

// The layered encoding (see the header). Layer 0 (out-copies when split)
// holds vertices 0..n-1, so generators restrict to their first n entries.
SearchGraph layered_encoding(const ColoredDigraph& dg, bool split) {
  const std::size_t n = dg.num_vertices();
  const int layers = std::max(1, bits_needed(static_cast<std::uint64_t>(dg.num_arc_colors())));
  const auto L = static_cast<std::size_t>(layers);
  const std::vector<Arc> arcs = dg.arcs();
  const std::vector<std::int32_t> vcolor = dg.vertex_colors();
  if (!split) {
    const bool directed = !dg.is_symmetric();
    SearchGraph g = sparse_from(n * L, directed, [&](const auto& add) {
      for (const Arc& a : arcs) {
        const auto code = static_cast<std::uint64_t>(a.color) + 1;
        for (std::size_t l = 0; l < L; ++l)
          if ((code >> l) & 1U) add(l * n + a.source, l * n + a.target);
      }
      for (std::size_t l = 0; l + 1 < L; ++l)
        for (std::size_t v = 0; v < n; ++v) {
          add(l * n + v, (l + 1) * n + v);
          add((l + 1) * n + v, l * n + v);
        }
    });
    std::vector<std::pair<std::size_t, std::size_t>> blocks;
    for (std::size_t l = 0; l < L; ++l) blocks.emplace_back(l * n, (l + 1) * n);
    set_partition(g, blocks, [&](std::size_t x) { return vcolor[x % n]; });
    return g;
  }
  // out(v, l) = 2nl + v, in(v, l) = 2nl + n + v, tie(v) = 2nL + v
  const auto out = [&](std::size_t v, std::size_t l) { return 2 * n * l + v; };
  const auto in = [&](std::size_t v, std::size_t l) { return 2 * n * l + n + v; };
  const auto tie = [&](std::size_t v) { return 2 * n * L + v; };
  SearchGraph g = sparse_from(2 * n * L + n, false, [&](const auto& add) {
    auto edge = [&](std::size_t a, std::size_t b) {
      add(a, b);
      add(b, a);
    };
    for (const Arc& a : arcs) {
      const auto code = static_cast<std::uint64_t>(a.color) + 1;
      for (std::size_t l = 0; l < L; ++l)
        if ((code >> l) & 1U) edge(out(a.source, l), in(a.target, l));
    }
    for (std::size_t v = 0; v < n; ++v) {
      for (std::size_t l = 0; l + 1 < L; ++l) {
        edge(out(v, l), out(v, l + 1));
        edge(in(v, l), in(v, l + 1));
      }
      edge(tie(v), out(v, 0));
      edge(tie(v), in(v, 0));
    }
  });
  std::vector<std::pair<std::size_t, std::size_t>> blocks;
  for (std::size_t l = 0; l < L; ++l) {
    blocks.emplace_back(out(0, l), out(0, l) + n);
    blocks.emplace_back(in(0, l), in(0, l) + n);
  }
  blocks.emplace_back(tie(0), tie(0) + n);
  set_partition(g, blocks, [&](std::size_t x) { return vcolor[x % n]; });
  return g;
}

// The vertices and edge entries (each undirected edge twice) of
// layered_encoding(dg, split), counted without building it.
std::pair<long double, long double> encoding_size(const ColoredDigraph& dg, bool split) {
  const auto n = static_cast<long double>(dg.num_vertices());
  const int layers = std::max(1, bits_needed(static_cast<std::uint64_t>(dg.num_arc_colors())));
  long double bits = 0;
  for (const Arc& a : dg.arcs()) bits += __builtin_popcountll(static_cast<unsigned long long>(a.color) + 1);
  if (!split) return {n * layers, bits + 2.0L * n * (layers - 1)};
  return {2.0L * n * layers + n, 2.0L * bits + 4.0L * n * (layers - 1) + 4.0L * n};
}

double log10_of(const BigInt& x) {
  const std::size_t bits = boost::multiprecision::msb(x) + 1;
  if (bits <= 60) return std::log10(static_cast<double>(x));
  // x = top * 2^shift with top holding the 53 leading bits
  const std::size_t shift = bits - 53;
  const BigInt top = x >> shift;
  return std::log10(static_cast<double>(top)) + static_cast<double>(shift) * std::log10(2.0);
}

std::vector<std::vector<Point>> orbits_of(std::size_t n, const std::vector<Permutation>& gens) {
  return algebra::PermGroup(n, gens).orbits();
}

// The multiple of `divisor` that the estimate X = 10^log10_estimate stands
// for, if X / divisor is within 1e-6 (relative) of an integer; 0 otherwise.
BigInt multiple_of(const BigInt& divisor, double log10_estimate) {
  const double log_ratio = log10_estimate - log10_of(divisor);
  if (log_ratio < -1e-6 || log_ratio > 9.0) return 0;  // beyond 1e9 the rounding is not trusted
  const double ratio = std::pow(10.0, log_ratio);
  const double nearest = std::round(ratio);
  if (nearest < 1.0 || std::fabs(ratio - nearest) > 1e-6 * nearest) return 0;
  return divisor * static_cast<unsigned long long>(nearest);
}

// The exact order of the automorphism group of a coloured digraph whose arcs
// come in pairs u->v, v->u (of any colours) forming a forest, or nullopt for
// any other digraph. Each tree is rooted at its centre (a bicentral one at a
// new root between its two centres) and labelled bottom-up by its shape and
// colours (Aho, Hopcroft and Ullman's isomorphism of rooted trees); |Aut| is
// the product, over every node, of k! for each k children with equal
// (arc colours, label), times k! for each k isomorphic trees. Linear but for
// sorting; a search on a tree has thousands of levels (a complete binary tree
// of 16383 vertices took nauty over two minutes).
std::optional<BigInt> forest_order(const ColoredDigraph& dg) {
  const std::size_t n = dg.num_vertices();
  if (n == 0) return std::nullopt;
  std::vector<std::vector<std::pair<Point, std::int32_t>>> out(n);  // (head, colour) per tail
  std::size_t arcs = 0;
  for (const Arc& a : dg.arcs()) {
    out[a.source].push_back({a.target, a.color});
    ++arcs;
  }
  if (arcs % 2 != 0 || arcs / 2 >= n) return std::nullopt;  // a forest has fewer than n edges
  for (auto& list : out) std::sort(list.begin(), list.end());
  const auto colour = [&](Point u, Point v) -> std::int64_t {
    const auto& list = out[u];
    const auto it = std::lower_bound(list.begin(), list.end(), std::pair<Point, std::int32_t>{v, INT32_MIN});
    return it != list.end() && it->first == v ? it->second : -1;
  };
  for (Point u = 0; u < n; ++u)
    for (const auto& [v, c] : out[u])
      if (colour(v, u) < 0) return std::nullopt;  // an arc without its reverse
  // Components (Boost's, as order_by_components), and acyclicity: edges =
  // vertices - components.
  std::vector<std::pair<Point, Point>> ends;
  for (Point u = 0; u < n; ++u)
    for (const auto& [v, c] : out[u])
      if (u < v) ends.emplace_back(u, v);
  const boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS> undirected(ends.begin(), ends.end(), n);
  std::vector<int> which(n);
  const auto count = static_cast<std::size_t>(boost::connected_components(undirected, which.data()));
  if (arcs / 2 != n - count) return std::nullopt;
  std::vector<std::vector<Point>> members(count);
  for (std::size_t v = 0; v < n; ++v) members[static_cast<std::size_t>(which[v])].push_back(static_cast<Point>(v));

  BigInt order = 1;
  std::map<std::vector<std::int64_t>, std::int64_t> ids;  // shape and colours -> label
  // The label of a node from its children's (arc colours, label) triples;
  // multiplies in k! per k equal triples.
  const auto label_of = [&](std::int64_t own, std::vector<std::array<std::int64_t, 3>>& children) {
    std::sort(children.begin(), children.end());
    std::vector<std::int64_t> key{own};
    for (std::size_t k = 0; k < children.size();) {
      std::size_t same = k;
      while (same < children.size() && children[same] == children[k]) ++same;
      if (same - k > 1) order *= algebra::factorial(same - k);
      k = same;
    }
    for (const auto& t : children) key.insert(key.end(), t.begin(), t.end());
    return ids.emplace(std::move(key), static_cast<std::int64_t>(ids.size())).first->second;
  };
  std::vector<std::size_t> degree(n);
  std::vector<std::int64_t> label(n, -1);
  std::vector<Point> parent(n);
  std::map<std::int64_t, std::size_t> trees;  // label of a whole tree -> how many
  for (const auto& tree : members) {
    // The centre: peel leaves layer by layer.
    std::vector<Point> layer;
    for (const Point u : tree) {
      degree[u] = out[u].size();
      if (degree[u] <= 1) layer.push_back(u);
    }
    std::size_t left = tree.size();
    while (left > 2) {
      left -= layer.size();
      std::vector<Point> next;
      for (const Point u : layer)
        for (const auto& [v, c] : out[u])
          if (--degree[v] == 1) next.push_back(v);
      layer = std::move(next);
    }
    const std::vector<Point> centres = layer;  // one or two
    // Post-order from the centre(s), iteratively (a path may be long).
    const auto label_subtree = [&](Point root, Point avoid) {
      std::vector<std::pair<Point, std::size_t>> stack{{root, 0}};
      parent[root] = avoid;
      while (!stack.empty()) {
        auto& [u, next] = stack.back();
        if (next < out[u].size()) {
          const Point v = out[u][next++].first;
          if (v != parent[u] && v != avoid) {
            parent[v] = u;
            stack.push_back({v, 0});
          }
          continue;
        }
        std::vector<std::array<std::int64_t, 3>> children;
        for (const auto& [v, c] : out[u])
          if (v != parent[u] && v != avoid) children.push_back({c, colour(v, u), label[v]});
        label[u] = label_of(dg.vertex_color(u), children);
        stack.pop_back();
      }
    };
    std::int64_t whole = 0;
    if (centres.size() == 1) {
      label_subtree(centres[0], centres[0]);
      whole = label[centres[0]];
    } else {
      const Point u = centres[0];
      const Point v = centres[1];
      label_subtree(u, v);
      label_subtree(v, u);
      std::vector<std::array<std::int64_t, 3>> halves{{colour(u, v), colour(v, u), label[u]},
                                                      {colour(v, u), colour(u, v), label[v]}};
      whole = label_of(-1, halves);  // a new root: no vertex colour is -1
    }
    ++trees[whole];
  }
  for (const auto& [l, copies] : trees)
    if (copies > 1) order *= algebra::factorial(copies);
  return order;
}

// Whether a stabilizer chain for a group of about 10^log10_order on n points
// with these orbits would be costly: the first level's transversal rows
// alone over 256 MiB, or more than 200 levels.
bool chain_would_be_costly(std::size_t n, const std::vector<std::vector<Point>>& orbits, double log10_order) {
  std::size_t largest = 1;
  for (const auto& orbit : orbits) largest = std::max(largest, orbit.size());
  if (largest < 2) return false;
  const double first_level_bytes = static_cast<double>(largest) * static_cast<double>(n) * 2.0;
  const double levels = log10_order / std::log10(static_cast<double>(largest));
  return first_level_bytes > 256.0 * 1024 * 1024 || levels > 200.0;
}

// The exact order from Traces' generators: a chain built from them gives a
// divisor L of the order (its basic orbit sizes multiply to |G| divided by
// integer indices), and the search's estimate X equals the order up to a
// relative error far below 1/2, so X/L rounds to the integer index; index 1
// proves |G| = L. A larger index means the random phase stopped early: build
// again with more sifts.
BigInt exact_order_from_estimate(std::size_t n, const std::vector<Permutation>& gens, double log10_estimate) {
  for (unsigned attempt = 0; attempt < 6; ++attempt) {
    algebra::StabChainOptions options;
    options.verification = algebra::ChainVerification::never;
    options.consecutive_sifts = 32U << attempt;
    options.seed = 0xa070ULL + attempt;
    const algebra::StabChain chain = algebra::StabChain::build(n, gens, options);
    const BigInt order = chain.order();
    const double log_ratio = log10_estimate - log10_of(order);
    if (std::fabs(log_ratio) < std::log10(1.5)) return order;
    if (log_ratio < 0)
      throw Error("the automorphism search estimated an order of 10^" + std::to_string(log10_estimate) +
                  " but its generators generate a group of order " + algebra::to_decimal(order));
  }
  throw Error("could not confirm the automorphism group order estimated by the search (10^" +
              std::to_string(log10_estimate) + ")");
}

}  // namespace

algebra::PermGroup AutomorphismGroup::group() const {
  return algebra::PermGroup(degree, generators, algebra::KnownOrder(order));  // exact from the search: trusted
}

namespace {

// Twins: two vertices of one colour with the same arcs, in colour and
// direction, to every other vertex, either not joined ("false" twins:
// isolated vertices, the leaves of a star) or joined both ways in the one
// arc colour of the digraph ("true" twins, as in a clique). Swapping two
// twins is an automorphism, so a class of k twins contributes Sym(k), and
// Aut = Sym(class 1) x ... x Sym(class r) extended by the automorphisms of the
// digraph with one vertex per class, coloured by (colour, class size, kind):
// |Aut| is that digraph's order times the k!. The search then runs on the
// smaller digraph (a graph with 1000 isolated vertices has 1000! automorphisms
// that no search or stabilizer chain should enumerate level by level).
struct TwinReduction {
  std::vector<std::vector<Point>> classes;  ///< per vertex of the reduced digraph, its members, sorted
  ColoredDigraph reduced;
};

using Neighbours = std::vector<std::pair<Point, std::int32_t>>;

// Vertices grouped by equal keys (key(v) a comparable value), groups of 2 or more.
template <typename Key>
std::vector<std::vector<Point>> equal_groups(std::size_t n, const Key& key) {
  std::vector<Point> order(n);
  std::iota(order.begin(), order.end(), Point{0});
  std::stable_sort(order.begin(), order.end(), [&](Point a, Point b) { return key(a) < key(b); });
  std::vector<std::vector<Point>> out;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i + 1;
    while (j < n && !(key(order[i]) < key(order[j]))) ++j;
    if (j - i >= 2) {
      std::vector<Point> group(order.begin() + static_cast<std::ptrdiff_t>(i), order.begin() + static_cast<std::ptrdiff_t>(j));
      std::sort(group.begin(), group.end());
      out.push_back(std::move(group));
    }
    i = j;
  }
  return out;
}

std::optional<TwinReduction> reduce_twins(const ColoredDigraph& dg) {
  const std::size_t n = dg.num_vertices();
  const std::vector<std::int32_t> colors = dg.vertex_colors();
  const std::vector<Arc> arcs = dg.arcs();
  std::vector<Neighbours> out(n);
  std::vector<Neighbours> in(n);
  {
    std::vector<std::size_t> out_degree(n, 0);
    std::vector<std::size_t> in_degree(n, 0);
    for (const Arc& a : arcs) {
      ++out_degree[a.source];
      ++in_degree[a.target];
    }
    for (std::size_t v = 0; v < n; ++v) {
      out[v].reserve(out_degree[v]);
      in[v].reserve(in_degree[v]);
    }
  }
  for (const Arc& a : arcs) {
    out[a.source].emplace_back(a.target, a.color);
    in[a.target].emplace_back(a.source, a.color);
  }
  // Already sorted: the arcs come sorted by (source, target).
  for (std::size_t v = 0; v < n; ++v) {
    if (!std::is_sorted(out[v].begin(), out[v].end())) std::sort(out[v].begin(), out[v].end());
    if (!std::is_sorted(in[v].begin(), in[v].end())) std::sort(in[v].begin(), in[v].end());
  }
  // class_of[v]: index into groups; kind 1 false twins, 2 + c true twins joined in colour c
  std::vector<std::size_t> class_of(n, SIZE_MAX);
  std::vector<std::vector<Point>> groups;
  std::vector<int> kinds;
  for (auto& g : equal_groups(n, [&](Point v) { return std::tie(colors[v], out[v], in[v]); })) {
    for (Point v : g) class_of[v] = groups.size();
    groups.push_back(std::move(g));
    kinds.push_back(1);
  }
  // True twins: u and v joined both ways in one colour c, and alike towards
  // every other vertex (the points of a clique of one colour: S_n's, a block
  // of a wreath product's). Keys from sums of hashes of each vertex's arcs,
  // with itself counted as its own c-neighbour, agree for twins joined in c;
  // c ranges over the colours u has both ways with some vertex. Candidates
  // with equal keys are then checked exactly.
  const auto mix = [](std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27U)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31U);
  };
  const auto hash = [&](Point w, std::int32_t c, std::uint64_t side) {
    return mix((static_cast<std::uint64_t>(w) << 32U) ^ static_cast<std::uint32_t>(c) ^ (side << 63U));
  };
  std::vector<std::uint64_t> sum_out(n, 0);
  std::vector<std::uint64_t> sum_in(n, 0);
  for (std::size_t v = 0; v < n; ++v) {
    for (const auto& [w, c] : out[v]) sum_out[v] += hash(w, c, 0);
    for (const auto& [w, c] : in[v]) sum_in[v] += hash(w, c, 1);
  }
  // (key, vertex << 32 | colour): one 64-bit key of the vertex colour, the
  // joining colour and both sums, sorted (a 40-byte record per candidate took
  // a quarter of D_1000's search time, where there are 500 per vertex).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> candidates;
  std::vector<std::int32_t> both_ways;
  for (std::size_t v = 0; v < n; ++v) {
    if (class_of[v] != SIZE_MAX) continue;  // a false twin is no true twin
    // Colours of arcs (v, w) whose reverse (w, v) has the same colour: a
    // merge of the two lists, both sorted by the other end.
    both_ways.clear();
    for (std::size_t i = 0, j = 0; i < out[v].size() && j < in[v].size();) {
      if (out[v][i].first < in[v][j].first) {
        ++i;
      } else if (in[v][j].first < out[v][i].first) {
        ++j;
      } else {
        if (out[v][i].second == in[v][j].second) both_ways.push_back(out[v][i].second);
        ++i;
        ++j;
      }
    }
    std::sort(both_ways.begin(), both_ways.end());
    both_ways.erase(std::unique(both_ways.begin(), both_ways.end()), both_ways.end());
    const auto p = static_cast<Point>(v);
    for (const std::int32_t c : both_ways) {
      const std::uint64_t key = mix(mix(mix(sum_out[v] + hash(p, c, 0)) ^ (sum_in[v] + hash(p, c, 1))) ^
                                    (static_cast<std::uint64_t>(static_cast<std::uint32_t>(colors[v])) << 32U) ^
                                    static_cast<std::uint32_t>(c));
      candidates.emplace_back(key, (static_cast<std::uint64_t>(p) << 32U) | static_cast<std::uint32_t>(c));
    }
  }
  std::sort(candidates.begin(), candidates.end());
  // Whether u and v (joined both ways in colour c) have the same arcs, in
  // colour and direction, to every other vertex.
  const auto alike = [](const Neighbours& a, Point skip_a, const Neighbours& b, Point skip_b) {
    std::size_t i = 0;
    std::size_t j = 0;
    for (;;) {
      if (i < a.size() && a[i].first == skip_a) ++i;
      if (j < b.size() && b[j].first == skip_b) ++j;
      if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
      if (a[i] != b[j]) return false;
      ++i;
      ++j;
    }
  };
  const auto joined_in = [](const Neighbours& list, Point w, std::int32_t c) {
    const auto it = std::lower_bound(list.begin(), list.end(), std::make_pair(w, std::int32_t{INT32_MIN}));
    return it != list.end() && it->first == w && it->second == c;
  };
  for (std::size_t i = 0; i < candidates.size();) {
    std::size_t j = i + 1;
    while (j < candidates.size() && candidates[j].first == candidates[i].first) ++j;
    const auto u = static_cast<Point>(candidates[i].second >> 32U);
    const auto c = static_cast<std::int32_t>(candidates[i].second & 0xffffffffULL);
    if (j - i >= 2 && class_of[u] == SIZE_MAX) {
      std::vector<Point> members{u};
      for (std::size_t k = i + 1; k < j; ++k) {
        const auto v = static_cast<Point>(candidates[k].second >> 32U);
        if (class_of[v] == SIZE_MAX && colors[v] == colors[u] && joined_in(out[u], v, c) && joined_in(out[v], u, c) &&
            alike(out[u], v, out[v], u) && alike(in[u], v, in[v], u))
          members.push_back(v);
      }
      if (members.size() >= 2) {
        std::sort(members.begin(), members.end());
        for (Point v : members) class_of[v] = groups.size();
        groups.push_back(std::move(members));
        kinds.push_back(2 + c);  // the joining colour is part of the class's colour
      }
    }
    i = j;
  }
  if (groups.empty()) return std::nullopt;
  // One vertex per class, in the order of the classes' smallest members.
  TwinReduction r;
  std::vector<std::int64_t> reduced_id(n, -1);
  std::map<std::tuple<std::int32_t, std::size_t, int>, std::int32_t> color_ids;
  std::vector<std::tuple<std::int32_t, std::size_t, int>> color_keys;
  for (std::size_t v = 0; v < n; ++v) {
    if (class_of[v] != SIZE_MAX && groups[class_of[v]].front() != v) continue;
    reduced_id[v] = static_cast<std::int64_t>(r.classes.size());
    if (class_of[v] == SIZE_MAX) {
      r.classes.push_back({static_cast<Point>(v)});
      color_keys.emplace_back(colors[v], 1, 0);
    } else {
      r.classes.push_back(groups[class_of[v]]);
      color_keys.emplace_back(colors[v], r.classes.back().size(), kinds[class_of[v]]);
    }
    color_ids.emplace(color_keys.back(), 0);
  }
  std::int32_t next = 0;
  for (auto& [key, id] : color_ids) id = next++;
  std::vector<std::int32_t> reduced_colors;
  reduced_colors.reserve(color_keys.size());
  for (const auto& key : color_keys) reduced_colors.push_back(color_ids.at(key));
  std::vector<Arc> reduced_arcs;
  for (const Arc& a : arcs)
    if (reduced_id[a.source] >= 0 && reduced_id[a.target] >= 0)
      reduced_arcs.push_back({static_cast<Point>(reduced_id[a.source]), static_cast<Point>(reduced_id[a.target]), a.color});
  r.reduced = ColoredDigraph(r.classes.size(), std::move(reduced_colors), std::move(reduced_arcs));
  return r;
}

// The automorphisms of the whole digraph from those of its reduction.
AutomorphismGroup lift(AutomorphismGroup reduced, const TwinReduction& r, std::size_t n) {
  AutomorphismGroup out;
  out.degree = n;
  out.backend = reduced.backend;
  out.search_nodes = reduced.search_nodes;
  out.search_ms = reduced.search_ms;
  out.search_vertices = reduced.search_vertices;
  for (const auto& g : reduced.generators) {
    std::vector<Point> images(n);
    for (std::size_t a = 0; a < r.classes.size(); ++a) {
      const auto& from = r.classes[a];
      const auto& to = r.classes[g[static_cast<Point>(a)]];
      for (std::size_t i = 0; i < from.size(); ++i) images[from[i]] = to[i];
    }
    out.generators.push_back(Permutation::from_images_no_checks(std::move(images)));
  }
  std::vector<BigInt> factors{reduced.order};  // multiplied by halves below
  double log10_twins = 0.0;
  for (const auto& members : r.classes) {
    const std::size_t k = members.size();
    if (k < 2) continue;
    factors.push_back(algebra::factorial(k));
    log10_twins += std::lgamma(static_cast<double>(k) + 1.0) / std::log(10.0);
    std::vector<Point> swap(n);
    std::iota(swap.begin(), swap.end(), Point{0});
    std::swap(swap[members[0]], swap[members[1]]);
    out.generators.push_back(Permutation::from_images_no_checks(std::move(swap)));
    if (k >= 3) {
      std::vector<Point> turn(n);
      std::iota(turn.begin(), turn.end(), Point{0});
      for (std::size_t i = 0; i < k; ++i) turn[members[i]] = members[(i + 1) % k];
      out.generators.push_back(Permutation::from_images_no_checks(std::move(turn)));
    }
  }
  // Pairwise, so that the factors of each product have about the same size
  // (one at a time, 300000 classes of two would cost a quadratic time).
  while (factors.size() > 1) {
    std::vector<BigInt> next;
    next.reserve((factors.size() + 1) / 2);
    for (std::size_t i = 0; i + 1 < factors.size(); i += 2) next.push_back(factors[i] * factors[i + 1]);
    if (factors.size() % 2 == 1) next.push_back(std::move(factors.back()));
    factors = std::move(next);
  }
  out.order = std::move(factors.front());
  const double log10_size = std::log10(reduced.size_mantissa) + reduced.size_exponent + log10_twins;
  out.size_exponent = static_cast<int>(std::floor(log10_size));
  out.size_mantissa = std::pow(10.0, log10_size - out.size_exponent);
  out.orbits = orbits_of(n, out.generators);
  return out;
}

// Implied arc colours. The vertex colours split the vertices into cells; the
// ordered pairs from cell a to cell b form a region, and so do the pairs of
// (a, b) and (b, a) together. If every pair of a region is an arc, the arcs
// of a colour found only in that region are the region's pairs that no other
// colour takes. An automorphism maps the region onto itself and each other
// colour onto itself, hence that colour too: dropping it (the largest such
// colour, one per region) leaves the automorphism group as it was. The
// complete digraph of a 2-transitive group's colouring becomes empty (S_1000:
// a search of 999 levels over 10^6 arcs each took 19 s), a wreath product's
// keeps its arcs inside blocks, and a product's loses the pairs across factors.
std::optional<ColoredDigraph> drop_implied_colors(const ColoredDigraph& dg) {
  const std::size_t n = dg.num_vertices();
  const std::vector<Arc> arcs = dg.arcs();
  if (arcs.empty()) return std::nullopt;
  // Cells numbered by vertex colour value.
  const std::vector<std::int32_t> vcolor = dg.vertex_colors();
  std::vector<std::int32_t> values(vcolor);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::vector<std::uint64_t> cell(n);
  std::vector<std::uint64_t> cell_size(values.size(), 0);
  for (std::size_t v = 0; v < n; ++v) {
    cell[v] = static_cast<std::uint64_t>(std::lower_bound(values.begin(), values.end(), vcolor[v]) - values.begin());
    ++cell_size[cell[v]];
  }
  const std::uint64_t cells = values.size();
  const auto region = [&](const Arc& a) { return cell[a.source] * cells + cell[a.target]; };
  const auto reverse = [&](std::uint64_t r) { return (r % cells) * cells + r / cells; };
  const auto region_size = [&](std::uint64_t r) {
    const std::uint64_t a = r / cells;
    const std::uint64_t b = r % cells;
    return cell_size[a] * cell_size[b] - (a == b ? cell_size[a] : 0);
  };

  // Per colour: the region of its first arc, whether all its arcs lie there,
  // or there and in the reverse region, and how many arcs it has.
  struct ColorInfo {
    std::uint64_t home = 0;
    bool seen = false;
    bool ordered = true;
    bool unordered = true;
    std::uint64_t count = 0;
  };
  std::vector<ColorInfo> info(static_cast<std::size_t>(dg.num_arc_colors()));
  for (const Arc& a : arcs) {
    ColorInfo& c = info[static_cast<std::size_t>(a.color)];
    const std::uint64_t r = region(a);
    if (!c.seen) {
      c.seen = true;
      c.home = r;
    } else if (r != c.home) {
      c.ordered = false;
      if (r != reverse(c.home)) c.unordered = false;
    }
    ++c.count;
  }
  // Arcs per region, for the regions a confined colour could be dropped from.
  std::vector<std::uint64_t> candidates;
  for (const ColorInfo& c : info)
    if (c.seen && c.unordered) {
      candidates.push_back(c.home);
      candidates.push_back(reverse(c.home));
    }
  if (candidates.empty()) return std::nullopt;
  std::sort(candidates.begin(), candidates.end());
  candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  const auto slot = [&](std::uint64_t r) -> std::ptrdiff_t {
    const auto it = std::lower_bound(candidates.begin(), candidates.end(), r);
    return it != candidates.end() && *it == r ? it - candidates.begin() : -1;
  };
  std::vector<std::uint64_t> arcs_in(candidates.size(), 0);
  for (const Arc& a : arcs)
    if (const std::ptrdiff_t k = slot(region(a)); k >= 0) ++arcs_in[static_cast<std::size_t>(k)];
  const auto complete = [&](std::uint64_t r) {
    const std::ptrdiff_t k = slot(r);
    return k >= 0 && arcs_in[static_cast<std::size_t>(k)] == region_size(r);
  };

  // The largest confined colour of each complete region: ordered regions
  // first, then the pairs of reverse regions where neither lost a colour.
  std::vector<std::ptrdiff_t> dropped(candidates.size(), -1);  // per region: the colour dropped there
  const auto consider = [&](std::size_t color, std::uint64_t r) {
    const std::size_t k = static_cast<std::size_t>(slot(r));
    if (dropped[k] < 0 || info[color].count > info[static_cast<std::size_t>(dropped[k])].count)
      dropped[k] = static_cast<std::ptrdiff_t>(color);
  };
  for (std::size_t color = 0; color < info.size(); ++color)
    if (info[color].seen && info[color].ordered && complete(info[color].home)) consider(color, info[color].home);
  for (std::size_t color = 0; color < info.size(); ++color) {
    const ColorInfo& c = info[color];
    const std::uint64_t r = c.home;
    const std::uint64_t back = reverse(r);
    if (!c.seen || c.ordered || !c.unordered || !complete(r) || !complete(back)) continue;
    const std::size_t k = static_cast<std::size_t>(slot(r));
    const std::size_t kb = static_cast<std::size_t>(slot(back));
    const bool taken_ordered = (dropped[k] >= 0 && info[static_cast<std::size_t>(dropped[k])].ordered) ||
                               (dropped[kb] >= 0 && info[static_cast<std::size_t>(dropped[kb])].ordered);
    if (taken_ordered) continue;
    // Both halves of the pair record the colour dropped for the pair.
    const std::ptrdiff_t current = dropped[std::min(k, kb)];
    if (current < 0 || c.count > info[static_cast<std::size_t>(current)].count)
      dropped[k] = dropped[kb] = static_cast<std::ptrdiff_t>(color);
  }
  std::vector<bool> drop(info.size(), false);
  std::uint64_t dropped_arcs = 0;
  for (const std::ptrdiff_t color : dropped)
    if (color >= 0 && !drop[static_cast<std::size_t>(color)]) {
      drop[static_cast<std::size_t>(color)] = true;
      dropped_arcs += info[static_cast<std::size_t>(color)].count;
    }
  // Rebuilding the digraph costs about what a search over a few levels does:
  // worth it only when it takes away a good share of the arcs (D_1000 would
  // lose 2 in 1000 of them).
  if (4 * dropped_arcs < arcs.size()) return std::nullopt;

  // The rest, colours renumbered in order (fewer colours, fewer layers).
  std::vector<std::int32_t> renumber(info.size(), -1);
  std::int32_t next = 0;
  for (std::size_t color = 0; color < info.size(); ++color)
    if (info[color].seen && !drop[color]) renumber[color] = next++;
  std::vector<Arc> kept;
  for (const Arc& a : arcs)
    if (!drop[static_cast<std::size_t>(a.color)]) kept.push_back({a.source, a.target, renumber[static_cast<std::size_t>(a.color)]});
  return ColoredDigraph(n, vcolor, std::move(kept));
}

AutomorphismGroup search_automorphisms(const ColoredDigraph& dg, const AutomorphismOptions& options);
std::string canonical_hash_of(const ColoredDigraph& dg, ColorNames names, const std::vector<std::uint64_t>& codes,
                              bool name_arc_colors, std::size_t memory_limit_bytes);

// The exact order of the automorphism group of a digraph that falls apart
// into several weakly connected components: every automorphism permutes
// isomorphic components (isomorphic with every vertex and arc colour kept),
// so |Aut| is the product over the isomorphism classes of |Aut(C)|^m m!.
// Components are told apart by size and colour counts first, and those
// alike by canonical hashes with every colour named. nullopt if connected.
std::optional<BigInt> order_by_components(const ColoredDigraph& dg, const AutomorphismOptions& options) {
  const std::size_t n = dg.num_vertices();
  const std::vector<Arc> arcs = dg.arcs();
  std::vector<std::pair<Point, Point>> ends;
  ends.reserve(arcs.size());
  for (const Arc& a : arcs) ends.emplace_back(a.source, a.target);
  const boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS> undirected(ends.begin(), ends.end(), n);
  std::vector<int> which(n);
  const int count = n == 0 ? 0 : boost::connected_components(undirected, which.data());
  if (count < 2) return std::nullopt;
  std::vector<std::vector<Point>> members(static_cast<std::size_t>(count));  // numbered by smallest vertex
  for (std::size_t v = 0; v < n; ++v) members[static_cast<std::size_t>(which[v])].push_back(static_cast<Point>(v));
  const std::vector<std::int32_t> vcolor = dg.vertex_colors();
  std::vector<std::uint32_t> component(n);
  std::vector<Point> local(n);
  std::vector<ColoredDigraph> parts;
  {
    std::vector<std::vector<std::int32_t>> colors;
    std::vector<std::vector<Arc>> part_arcs(members.size());
    for (const auto& list : members) {
      std::vector<std::int32_t> c;
      for (std::size_t k = 0; k < list.size(); ++k) {
        component[list[k]] = static_cast<std::uint32_t>(colors.size());
        local[list[k]] = static_cast<Point>(k);
        c.push_back(vcolor[list[k]]);
      }
      colors.push_back(std::move(c));
    }
    for (const Arc& a : arcs) part_arcs[component[a.source]].push_back({local[a.source], local[a.target], a.color});
    for (std::size_t k = 0; k < colors.size(); ++k)
      parts.emplace_back(colors[k].size(), std::move(colors[k]), std::move(part_arcs[k]));
  }
  // Components that can only be isomorphic with equal sizes and colour counts.
  using Profile = std::tuple<std::size_t, std::vector<std::int32_t>, std::vector<std::int32_t>>;
  std::map<Profile, std::vector<std::size_t>> alike;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    std::vector<std::int32_t> vertex_colors = parts[k].vertex_colors();
    std::vector<std::int32_t> arc_colors;
    for (const Arc& a : parts[k].arcs()) arc_colors.push_back(a.color);
    std::sort(vertex_colors.begin(), vertex_colors.end());
    std::sort(arc_colors.begin(), arc_colors.end());
    alike[Profile(parts[k].num_vertices(), std::move(vertex_colors), std::move(arc_colors))].push_back(k);
  }
  BigInt order = 1;
  AutomorphismOptions part_options;
  part_options.backend = options.backend;
  for (const auto& [profile, list] : alike) {
    // hash -> (number of components, one of them)
    std::map<std::string, std::pair<std::size_t, std::size_t>> classes;
    for (const std::size_t k : list) {
      const std::string hash =
          list.size() == 1 ? std::string() : canonical_hash_of(parts[k], ColorNames::ignored, {}, true, SIZE_MAX);
      auto& entry = classes.try_emplace(hash, 0, k).first->second;
      ++entry.first;
    }
    for (const auto& [hash, entry] : classes) {
      const BigInt part = automorphism_group(parts[entry.second], part_options).order;
      order *= boost::multiprecision::pow(part, static_cast<unsigned>(entry.first)) * algebra::factorial(entry.first);
    }
  }
  return order;
}

}  // namespace

AutomorphismGroup automorphism_group(const ColoredDigraph& dg, const AutomorphismOptions& options) {
  const std::optional<TwinReduction> r = reduce_twins(dg);
  if (!r) return search_automorphisms(dg, options);
  AutomorphismOptions reduced = options;
  if (options.order_divisor || options.order_divisor_source) {
    // |Aut| = |Aut(reduced)| * T with T the product of the classes' k!, so
    // a divisor D of |Aut| gives D / gcd(D, T), a divisor of |Aut(reduced)|
    // (D/g divides (|Aut(reduced)|)(T/g) and is coprime to T/g).
    BigInt twins = 1;
    for (const auto& members : r->classes) twins *= algebra::factorial(members.size());
    const AutomorphismOptions whole = options;
    reduced.order_divisor.reset();
    reduced.order_divisor_source = [whole, twins] {
      const BigInt d = whole.order_divisor ? *whole.order_divisor : whole.order_divisor_source();
      return BigInt(d / boost::multiprecision::gcd(d, twins));
    };
  }
  return lift(search_automorphisms(r->reduced, reduced), *r, dg.num_vertices());
}

namespace {

AutomorphismGroup search_automorphisms(const ColoredDigraph& dg, const AutomorphismOptions& options) {
  const std::size_t n = dg.num_vertices();
  AutomorphismGroup out;
  out.degree = n;
  if (n == 0) {
    out.backend = "none";
    return out;
  }
  const bool use_nauty = options.backend == AutomorphismBackend::nauty;
  const std::optional<ColoredDigraph> reduced = drop_implied_colors(dg);
  const ColoredDigraph& searched = reduced ? *reduced : dg;
  const bool split = !use_nauty && !searched.is_symmetric();
  if (options.memory_limit_bytes != SIZE_MAX) {
    const long double bytes = search_bytes(searched, options.backend);
    if (bytes > static_cast<long double>(options.memory_limit_bytes))
      throw LimitError("the automorphism search on this coloured digraph (" + std::to_string(n) + " vertices, " +
                       std::to_string(searched.num_arcs()) + " arcs, " + std::to_string(searched.num_arc_colors()) +
                       " arc colours) needs about " + std::to_string(static_cast<unsigned long long>(bytes / (1 << 20)) + 1) +
                       " MiB, above the memory left for it (" + std::to_string(options.memory_limit_bytes >> 20U) + " MiB)");
  }
  const SearchGraph search = layered_encoding(searched, split);
  out.search_vertices = static_cast<std::size_t>(search.nv);
  const auto start = std::chrono::steady_clock::now();
  detail::SearchResult r = use_nauty ? detail::search_nauty(search, false) : detail::search_traces(search, false);
  out.search_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  out.backend = use_nauty ? "nauty" : "traces";
  out.search_nodes = r.nodes;
  out.size_mantissa = r.grpsize1;
  out.size_exponent = r.grpsize2;
  for (const auto& perm : r.generators) {
    std::vector<Point> images(n);
    for (std::size_t v = 0; v < n; ++v) {
      if (perm[v] < 0 || static_cast<std::size_t>(perm[v]) >= n)
        throw Error("internal error: an automorphism of the encoding does not preserve its first layer");
      images[v] = static_cast<Point>(perm[v]);
    }
    Permutation p = Permutation::from_images_no_checks(std::move(images));
    if (!p.is_identity()) out.generators.push_back(std::move(p));
  }
  out.orbits = orbits_of(n, out.generators);
  const double log10_estimate = std::log10(r.grpsize1) + r.grpsize2;
  if (r.exact_order) {
    out.order = *r.exact_order;
  } else if (const std::optional<algebra::BigInt> divisor =
                 options.order_divisor        ? options.order_divisor
                 : options.order_divisor_source ? std::optional<algebra::BigInt>(options.order_divisor_source())
                                                : std::nullopt;
             divisor && *divisor >= 1 && (out.order = multiple_of(*divisor, log10_estimate)) != 0) {
    // the order is a multiple of the divisor: D * round(X / D)
  } else if (!use_nauty && chain_would_be_costly(n, out.orbits, log10_estimate) &&
             (out.order = order_by_components(searched, options).value_or(0)) != 0) {
    // a disjoint union: the components' orders (2000 paws, 8000 vertices:
    // 36 s in nauty's search of the whole graph below)
  } else if (!use_nauty && chain_would_be_costly(n, out.orbits, log10_estimate) &&
             (out.order = forest_order(searched).value_or(0)) != 0) {
    // a forest: the order from its trees' shapes
  } else if (!use_nauty && chain_would_be_costly(n, out.orbits, log10_estimate)) {
    // Traces found the group quickly, but a chain on its generators would
    // need gigabytes of transversals or a thousand levels (700 disjoint
    // paths P4: 19.8 s and 2.1 GB; a 40000-cycle: over 2 minutes): nauty's search on
    // the same graph reads the exact order off its levels instead.
    const detail::SearchResult exact = detail::search_nauty(search, false);
    if (!exact.exact_order) throw Error("internal error: nauty gave no exact order");
    out.order = *exact.exact_order;
  } else {
    out.order = exact_order_from_estimate(n, out.generators, log10_estimate);
  }
  return out;
}

}  // namespace

AutomorphismGroup automorphism_group(const BaseGraph& graph, const AutomorphismOptions& options) {
  return automorphism_group(ColoredDigraph::from_base_graph(graph), options);
}

namespace {

// 128-bit hash of a word sequence: two 64-bit multiply-xorshift streams.
struct Hasher {
  std::uint64_t a = 0x9e3779b97f4a7c15ULL;
  std::uint64_t b = 0xc2b2ae3d27d4eb4fULL;
  void add(std::uint64_t x) {
    a = (a ^ x) * 0x100000001b3ULL;
    a ^= a >> 29U;
    b = (b + x + 0x165667b19e3779f9ULL) * 0xff51afd7ed558ccdULL;
    b ^= b >> 32U;
  }
  [[nodiscard]] std::string hex() const {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(a),
                  static_cast<unsigned long long>(b));
    return buf;
  }
};

}  // namespace

std::size_t canonical_hash_size(std::size_t n, std::size_t colors) { return n * (colors + 1) + colors; }

long double search_bytes(const ColoredDigraph& digraph, AutomorphismBackend backend) {
  const bool split = backend != AutomorphismBackend::nauty && !digraph.is_symmetric();
  const auto [vertices, entries] = encoding_size(digraph, split);
  // The encoding's edge array, the search's workspace and its copies: 13
  // bytes per edge entry and 96 per vertex bound the peaks measured with
  // /usr/bin/time on `asen certify 'C(3000)'` (directed: Traces splits it)
  // and 'D(3000)' with either backend (1.35 GB, 0.55 GB; 0.70 GB, 0.53 GB,
  // against 1.51, 0.86, 0.80 and 0.80 GB from this and the 24 bytes per pair
  // certify holds meanwhile).
  return 13.0L * entries + 96.0L * vertices;
}

long double canonical_hash_bytes(std::size_t n, std::size_t colors, std::size_t arcs) {
  // Peak memory measured with /usr/bin/time on `asen certify 'trivial(n)'
  // --hash` (n² colours): about 455, 620 and 790 bytes per search vertex at
  // n = 60, 100, 140 (100 MB, 630 MB, 2.2 GB), growing with n; bounded here
  // by 256 + 6 n bytes per vertex and 48 per edge.
  const long double vertices = static_cast<long double>(canonical_hash_size(n, colors));
  const long double edges = static_cast<long double>(arcs) + 4.0L * n * colors + 2.0L * n;
  return (256.0L + 6.0L * n) * vertices + 48.0L * edges;
}

namespace {

// `codes`, when not empty, stands for each vertex colour value's name (index:
// the value) in the named mode; otherwise the value itself does.
std::string canonical_hash_of(const ColoredDigraph& dg, ColorNames names, const std::vector<std::uint64_t>& codes,
                              bool name_arc_colors, std::size_t memory_limit_bytes) {
  // A colour-blind gadget: points P(v); for every colour c a layer of copies
  // C(v, c) and a layer vertex K(c). Arcs of colour c join copies in layer c;
  // every point joins its copies; every copy joins its layer vertex; every
  // point joins the layer vertex of its own (vertex) colour. Renaming colours
  // permutes layers, so isomorphic colourings give isomorphic gadgets, and the
  // canonical form of the gadget (nauty) does not depend on colour names.
  // Layers start in cells by a name-free invariant of their colour (vertex or
  // arc colour, number of members, whether the colour is its own reverse),
  // which keeps the search small; with named vertex colours, the name is part
  // of a vertex colour's invariant (and of the hash).
  const std::size_t n = dg.num_vertices();
  if (n == 0) {  // the colouring of no points (a degree-0 group): no search graph
    Hasher h;
    h.add(std::uint64_t{0});
    return h.hex();
  }
  const std::vector<std::int32_t> vcolor = dg.vertex_colors();
  const std::vector<Arc> arcs = dg.arcs();
  struct Layer {
    std::size_t index = 0;
    bool vertex_color = false;
    std::uint64_t members = 0;
    bool self_paired = true;
  };
  std::map<std::int64_t, Layer> layer_of;  // key: vertex colour c, or arc colour c + 2^32
  const std::int64_t arc_key = std::int64_t{1} << 32U;
  for (const auto c : vcolor) {
    Layer& l = layer_of[c];
    l.vertex_color = true;
    ++l.members;
  }
  for (const Arc& a : arcs) ++layer_of[a.color + arc_key].members;
  for (const Arc& a : arcs) {
    // self-paired: the reverse arc has the same colour (arcs are sorted)
    const auto it = std::lower_bound(arcs.begin(), arcs.end(), a, [](const Arc& x, const Arc& y) {
      return std::make_pair(x.source, x.target) < std::make_pair(y.target, y.source);
    });
    if (it == arcs.end() || it->source != a.target || it->target != a.source || it->color != a.color)
      layer_of[a.color + arc_key].self_paired = false;
  }
  std::size_t next = 0;
  for (auto& [key, layer] : layer_of) layer.index = next++;
  const std::size_t layers = next;
  const long double bytes = canonical_hash_bytes(n, layers, arcs.size());
  if (bytes > static_cast<long double>(memory_limit_bytes))
    throw LimitError("the canonical hash of this colouring (" + std::to_string(n) + " points, " +
                     std::to_string(layers) + " colours) needs a search graph of " +
                     std::to_string(canonical_hash_size(n, layers)) + " vertices, about " +
                     std::to_string(static_cast<unsigned long long>(bytes / (1 << 20)) + 1) +
                     " MiB, above the memory limit of " + std::to_string(memory_limit_bytes >> 20U) + " MiB");
  std::vector<std::int64_t> layer_cell(layers);
  using Invariant = std::tuple<bool, std::int64_t, std::uint64_t, bool>;  // vertex colour, name, members, self-paired
  std::map<Invariant, std::int64_t> cell_of;
  {
    const auto invariant = [&](std::int64_t key, const Layer& l) {
      const bool named = (l.vertex_color && names == ColorNames::vertex_colors_named) || name_arc_colors;
      const std::int64_t value = l.vertex_color ? key : key - arc_key;
      const std::int64_t name =
          !named ? -1
          : codes.empty() || !l.vertex_color ? value
                                             : static_cast<std::int64_t>(codes.at(static_cast<std::size_t>(key)));
      return Invariant(l.vertex_color, name, l.members, l.self_paired);
    };
    for (const auto& [key, l] : layer_of) cell_of.emplace(invariant(key, l), 0);
    std::int64_t c = 0;
    for (auto& [k, v] : cell_of) v = c++;
    for (const auto& [key, l] : layer_of) layer_cell[l.index] = cell_of.at(invariant(key, l));
  }
  const auto P = [&](std::size_t v) { return v; };
  const auto C = [&](std::size_t v, std::size_t l) { return n + l * n + v; };
  const auto K = [&](std::size_t l) { return n + layers * n + l; };
  const std::size_t nv = n + layers * n + layers;
  // Arcs between copies keep their direction; all other gadget edges go both ways.
  const ColoredDigraph gadget = [&] {
    std::vector<Arc> g_arcs;
    g_arcs.reserve(arcs.size() + 4 * n * layers + 2 * n);
    for (const Arc& a : arcs) {
      const std::size_t l = layer_of.at(a.color + arc_key).index;
      g_arcs.push_back({static_cast<Point>(C(a.source, l)), static_cast<Point>(C(a.target, l)), 0});
    }
    auto both = [&](std::size_t x, std::size_t y) {
      g_arcs.push_back({static_cast<Point>(x), static_cast<Point>(y), 0});
      g_arcs.push_back({static_cast<Point>(y), static_cast<Point>(x), 0});
    };
    for (std::size_t v = 0; v < n; ++v) {
      for (std::size_t l = 0; l < layers; ++l) {
        both(P(v), C(v, l));
        both(C(v, l), K(l));
      }
      both(P(v), K(layer_of.at(vcolor[v]).index));
    }
    // cells: points; copies by the invariant of their layer; layer vertices likewise
    const auto cells = static_cast<std::int32_t>(layer_cell.size());
    std::vector<std::int32_t> kinds(nv, 0);
    for (std::size_t l = 0; l < layers; ++l) {
      for (std::size_t v = 0; v < n; ++v) kinds[C(v, l)] = 1 + static_cast<std::int32_t>(layer_cell[l]);
      kinds[K(l)] = 1 + cells + static_cast<std::int32_t>(layer_cell[l]);
    }
    return ColoredDigraph(nv, std::move(kinds), std::move(g_arcs));
  }();
  // nauty (digraph mode where needed) was faster than Traces on these gadgets.
  const SearchGraph search = layered_encoding(gadget, false);
  const detail::SearchResult r = detail::search_nauty(search, true);
  // Canonical form: relabel by the canonical labelling, sort the edge list.
  std::vector<int> position(static_cast<std::size_t>(search.nv));
  for (std::size_t k = 0; k < r.canonical_labelling.size(); ++k)
    position[static_cast<std::size_t>(r.canonical_labelling[k])] = static_cast<int>(k);
  std::vector<std::uint64_t> edges;
  edges.reserve(search.e.size());
  for (std::size_t x = 0; x < static_cast<std::size_t>(search.nv); ++x)
    for (int k = 0; k < search.d[x]; ++k) {
      const auto y = static_cast<std::size_t>(search.e[search.v[x] + static_cast<std::size_t>(k)]);
      edges.push_back((static_cast<std::uint64_t>(position[x]) << 32U) | static_cast<std::uint64_t>(position[y]));
    }
  std::sort(edges.begin(), edges.end());
  Hasher h;
  h.add(static_cast<std::uint64_t>(search.nv));
  // Named colours: the names of the cells, in order (-1 for unnamed ones).
  if (names == ColorNames::vertex_colors_named || name_arc_colors)
    for (const auto& [invariant, cell] : cell_of) h.add(static_cast<std::uint64_t>(std::get<1>(invariant)));
  // The initial cells (sizes, in order) and their invariants are part of the form.
  for (const auto p : search.ptn) h.add(static_cast<std::uint64_t>(p));
  for (const auto e : edges) h.add(e);
  return h.hex();
}

}  // namespace

std::string canonical_hash(const ColoredDigraph& digraph, ColorNames names, std::size_t memory_limit_bytes) {
  return canonical_hash_of(digraph, names, {}, false, memory_limit_bytes);
}

std::string canonical_hash(const BaseGraph& graph, std::size_t memory_limit_bytes) {
  // from_base_graph's vertex colour values are 2 id + (1 if a loop): a code
  // per value from the colour's name and the loop flag.
  std::vector<std::uint64_t> codes;
  for (const auto& name : graph.color_names())
    for (const std::uint64_t loop : {0U, 1U}) {
      Hasher h;
      for (const char c : name) h.add(static_cast<unsigned char>(c));
      h.add(0x100U + name.size());
      h.add(loop);
      codes.push_back(h.a >> 1U);  // non-negative as an int64
    }
  return canonical_hash_of(ColoredDigraph::from_base_graph(graph), ColorNames::vertex_colors_named, codes, false,
                           memory_limit_bytes);
}

void register_graph_specs() {
  static std::once_flag once;
  std::call_once(once, [] {
    algebra::PermGroup::register_spec_prefix("graph", [](std::string_view rest, std::optional<std::size_t> degree) {
      std::string path(rest);
      while (!path.empty() && std::isspace(static_cast<unsigned char>(path.back()))) path.pop_back();
      while (!path.empty() && std::isspace(static_cast<unsigned char>(path.front()))) path.erase(path.begin());
      if (path.empty()) throw InputError("the file name after 'graph:' is empty");
      const algebra::PermGroup g = automorphism_group(BaseGraph::read(path)).group();
      if (!degree) return g;
      if (*degree < g.degree())
        throw InputError("degree " + std::to_string(*degree) + " is smaller than the " + std::to_string(g.degree()) +
                         " vertices of the graph '" + path + "'");
      return g.extended(*degree);
    });
  });
}

}  // namespace asen::graph
