#pragma once
/// \file
/// Automorphism groups of vertex- and arc-coloured digraphs, with the nauty
/// package: nauty itself (digraph mode) or Traces (undirected graphs; far
/// faster on highly symmetric ones).
///
/// Arc colours are encoded in layers, one per bit of (colour + 1): vertex
/// (v, l) is a copy of v in layer l, an arc u -> v appears in every layer
/// whose bit of its colour is set, and each vertex's copies are joined
/// across layers. The initial partition separates the layers and, within
/// each, the vertex colours. For Traces an asymmetric digraph is made
/// undirected by splitting each copy into an out- and an in-vertex, tied
/// through a third vertex so that the two halves move together.
///
/// The order is exact, never the search's floating-point estimate: nauty's
/// is the product of the orbit sizes along its search levels. For Traces, an
/// exact divisor D of the order — given by the caller (|G| for a group G of
/// automorphisms) or read off a stabilizer chain of the automorphisms (the
/// product of its basic orbit sizes always divides the order) — and the
/// estimate X, a product of integers in floating point with relative error
/// below 1e-9, give the order as D * round(X / D).

#include <asen/algebra/perm_group.hpp>
#include <asen/graph/colored_digraph.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace asen::graph {

enum class AutomorphismBackend {
  automatic,  ///< Traces
  nauty,      ///< nauty, digraph mode with the `adjacencies` invariant
  traces,     ///< Traces (asymmetric digraphs split into in/out copies)
};

/// "automatic", "nauty", "traces". \throws InputError for anything else (parse).
const char* to_string(AutomorphismBackend backend);
AutomorphismBackend parse_automorphism_backend(const std::string& text);

struct AutomorphismOptions {
  AutomorphismBackend backend = AutomorphismBackend::automatic;
  /// A known divisor of the automorphism group's order (e.g. |G| for a group
  /// G of automorphisms). With Traces, the order is then the divisor times
  /// the integer nearest to estimate / divisor, with no stabilizer chain.
  std::optional<algebra::BigInt> order_divisor;
  /// When order_divisor is empty: called once after the search, if the
  /// order needs a divisor, to get one (lets a caller compute it meanwhile).
  std::function<algebra::BigInt()> order_divisor_source;
  /// The most memory the encoded search graph and the search may take
  /// (search_bytes), checked before the graph is built; no limit by default.
  std::size_t memory_limit_bytes = SIZE_MAX;
};

struct AutomorphismGroup {
  std::size_t degree = 0;
  /// Generators (the search's, restricted to the digraph's vertices).
  std::vector<algebra::Permutation> generators;
  /// Orbits on the vertices, each sorted, ordered by smallest vertex.
  std::vector<std::vector<Point>> orbits;
  /// The exact order.
  algebra::BigInt order = 1;
  /// The search's own floating-point estimate: mantissa * 10^exponent.
  double size_mantissa = 1.0;
  int size_exponent = 0;
  /// "nauty" or "traces", the search nodes, and the search time in ms.
  std::string backend;
  unsigned long search_nodes = 0;
  double search_ms = 0.0;
  /// Vertices of the encoded search graph.
  std::size_t search_vertices = 0;

  /// The group, with its exact order attached as the known order.
  [[nodiscard]] algebra::PermGroup group() const;
};

/// About the memory the search for the automorphisms of `digraph` takes with
/// `backend`: its layered encoding (one layer per bit of the arc colours;
/// Traces, for a digraph that is not symmetric, an in and an out copy) and
/// the search's own copy of it.
[[nodiscard]] long double search_bytes(const ColoredDigraph& digraph, AutomorphismBackend backend);

/// The automorphism group of a coloured digraph (colour-preserving
/// permutations of the vertices). \throws LimitError if the encoding is beyond
/// nauty's limits (2^31 vertices or edges); asen::Error if the search fails.
[[nodiscard]] AutomorphismGroup automorphism_group(const ColoredDigraph& digraph,
                                                   const AutomorphismOptions& options = {});

/// The automorphism group of a user's graph (vertex colours respected).
[[nodiscard]] AutomorphismGroup automorphism_group(const BaseGraph& graph,
                                                   const AutomorphismOptions& options = {});

/// How canonical_hash treats colour names.
enum class ColorNames {
  /// Colours are compared only by how they partition the points and arcs
  /// (orbital colourings, whose colour ids are a numbering convention).
  ignored,
  /// Vertex colours are compared by value too (a user's graph: colour 3 is
  /// not colour 5, and from_base_graph's loop flag is part of the value).
  vertex_colors_named,
};

/// The memory canonical_hash is given by default, as the orbitals' (4 GiB).
inline constexpr std::size_t kDefaultHashMemoryLimit = std::size_t{4} << 30U;

/// A canonical hash of a coloured digraph: equal for isomorphic digraphs,
/// whatever the names of their colours (as `names` says). 32 hexadecimal digits.
/// \throws LimitError, before building it, when the search graph would take
/// more than `memory_limit_bytes` (canonical_hash_bytes).
[[nodiscard]] std::string canonical_hash(const ColoredDigraph& digraph, ColorNames names = ColorNames::ignored,
                                         std::size_t memory_limit_bytes = kDefaultHashMemoryLimit);

/// The canonical hash of a user's graph with its vertex colours and loops:
/// equal for graphs isomorphic by a map that keeps every vertex colour, which
/// for colours read from a file means its name ("red" only to "red"), for
/// colours given as numbers its number.
[[nodiscard]] std::string canonical_hash(const BaseGraph& graph,
                                         std::size_t memory_limit_bytes = kDefaultHashMemoryLimit);

/// The number of vertices of canonical_hash's search graph, n x (colours + 1):
/// its cost grows with it (about 2 s at 2^17 here, minutes at 2^20).
[[nodiscard]] std::size_t canonical_hash_size(std::size_t n, std::size_t colors);

/// About the peak memory of canonical_hash on n vertices with `colors`
/// colours (vertex and arc colours together) and `arcs` arcs: its search
/// graph has canonical_hash_size(n, colors) vertices and arcs + 4 n colours
/// edges, and nauty's canonical form is a second copy.
[[nodiscard]] long double canonical_hash_bytes(std::size_t n, std::size_t colors, std::size_t arcs);

/// Makes "graph:FILE" a group spec everywhere (PermGroup::parse): the
/// automorphism group of the graph in FILE. Idempotent; the graph layer's
/// entry points call it, and so can users.
void register_graph_specs();

}  // namespace asen::graph
