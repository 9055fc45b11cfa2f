#pragma once
/// \file
/// Vertex- and arc-coloured digraphs on Boost.Graph: the orbital colouring of
/// a group (vertex colour = orbital of (i,i), arc colour = orbital of (i,j)),
/// dense or restricted to a user's base graph, and a user's own graph.

#include <asen/algebra/orbitals.hpp>
#include <asen/graph/base_graph.hpp>

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace asen::graph {

/// Which pairs a breaking input keeps (the paper's three variants).
enum class BreakingMode {
  dense,        ///< every ordered pair
  sparse,       ///< only the arcs of a base graph, coloured by their orbital
  weak_sparse,  ///< every pair; each colour flagged by whether it holds a base arc
};

/// "dense", "sparse", "weak-sparse".
const char* to_string(BreakingMode mode);
/// Parses "dense", "sparse", "weak-sparse" (or "weak_sparse").
/// \throws InputError for anything else.
BreakingMode parse_breaking_mode(const std::string& text);

/// One coloured arc.
struct Arc {
  Point source = 0;
  Point target = 0;
  std::int32_t color = 0;
};

class ColoredDigraph {
 public:
  struct VertexProps {
    std::int32_t color = 0;
  };
  struct ArcProps {
    std::int32_t color = 0;
  };
  /// Immutable compressed-sparse-row storage: compact for the n² arcs of a
  /// dense orbital colouring.
  using Storage = boost::compressed_sparse_row_graph<boost::directedS, VertexProps, ArcProps>;

  ColoredDigraph() = default;
  /// A digraph on n vertices. Loops are not arcs: the colour of (i,i) is the
  /// vertex colour. \throws InputError for a loop, a vertex out of range, a
  /// repeated arc, a negative colour or a colour list of the wrong size.
  ColoredDigraph(std::size_t n, std::vector<std::int32_t> vertex_colors, std::vector<Arc> arcs);

  /// The orbital colouring: dense (all pairs), sparse (the arcs of `base`) or
  /// weak-sparse (all pairs, with the per-colour base flag).
  /// \throws InputError if a sparse mode lacks a base graph or the base graph
  /// has another number of vertices.
  static ColoredDigraph from_orbitals(const algebra::Orbitals& orbitals, BreakingMode mode = BreakingMode::dense,
                                      const BaseGraph* base = nullptr);
  /// A user's graph: one arc colour; vertex colours from the graph, refined
  /// by whether the vertex has a loop.
  static ColoredDigraph from_base_graph(const BaseGraph& graph);

  [[nodiscard]] std::size_t num_vertices() const { return n_; }
  [[nodiscard]] std::size_t num_arcs() const { return boost::num_edges(storage_); }
  [[nodiscard]] std::int32_t vertex_color(Point v) const { return storage_[v].color; }
  [[nodiscard]] std::vector<std::int32_t> vertex_colors() const;
  /// The arcs, sorted by (source, target).
  [[nodiscard]] std::vector<Arc> arcs() const;
  /// 1 + the largest arc colour (0 without arcs).
  [[nodiscard]] std::int32_t num_arc_colors() const { return num_arc_colors_; }
  /// True if every arc's reverse is an arc of the same colour (an undirected
  /// coloured graph; all orbitals self-paired).
  [[nodiscard]] bool is_symmetric() const { return symmetric_; }
  [[nodiscard]] BreakingMode mode() const { return mode_; }
  /// Weak-sparse: per orbital colour, whether it contains an arc of the base graph.
  [[nodiscard]] const std::vector<bool>& color_in_base() const { return color_in_base_; }
  [[nodiscard]] const Storage& storage() const { return storage_; }

 private:
  // Builds the storage; `trusted` arcs are sorted, in range, loop-free and
  // distinct; `symmetric` is computed when not given.
  void init(std::vector<std::int32_t> vertex_colors, std::vector<Arc> arcs, bool trusted,
            std::optional<bool> symmetric);

  std::size_t n_ = 0;
  Storage storage_;
  std::int32_t num_arc_colors_ = 0;
  bool symmetric_ = true;
  BreakingMode mode_ = BreakingMode::dense;
  std::vector<bool> color_in_base_;
};

}  // namespace asen::graph
