#pragma once
/// \file
/// A user's graph: the base graph of a sparse breaking input (the paper's
/// "Sparse" and "Weak Sparse"), or a graph whose symmetry group is wanted
/// (e.g. a human skeleton), read from an edge list or a GraphViz dot file.
///
/// Edge-list format (0-based vertex ids, one item per line, '#' comments):
///   vertices 16        optional: the number of vertices (default: largest id + 1)
///   directed           optional: each line "u v" is an arc u -> v (default: an edge)
///   color 3 left       optional: vertex 3 gets colour "left" (any word)
///   0 1                an edge (or arc) between vertices 0 and 1
/// GraphViz: `graph {...}` is undirected, `digraph {...}` directed; nodes
/// named by integers keep those ids, other names are numbered in the sorted
/// order of the names (as Boost's reader lists them); a node attribute
/// `color` gives vertex colours.
/// Vertex colours are numbered by the sorted order of their names, so the
/// numbering does not depend on the order of the file.

#include <asen/algebra/types.hpp>

#include <boost/graph/adjacency_list.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asen::graph {

using algebra::Point;

class BaseGraph {
 public:
  struct VertexProps {
    std::int32_t color = 0;
  };
  /// Boost.Graph storage: arcs in both directions for an undirected graph,
  /// no parallel arcs.
  using Storage = boost::adjacency_list<boost::setS, boost::vecS, boost::bidirectionalS, VertexProps>;

  /// A graph on `n` vertices. `edges` are arcs when `directed`, otherwise
  /// undirected edges; duplicates are merged. `vertex_colors` is empty (all
  /// vertices alike) or has n entries.
  /// \throws InputError for a vertex out of range or a colour list of the wrong size.
  BaseGraph(std::size_t n, const std::vector<std::pair<Point, Point>>& edges, bool directed = false,
            std::vector<std::int32_t> vertex_colors = {});

  /// Reads a file: `.dot` and `.gv` as GraphViz, anything else as an edge list.
  /// \throws InputError naming the file and line of a parse error, or saying
  /// the file cannot be read.
  static BaseGraph read(const std::string& path);
  /// Parses edge-list text; `source` names it in error messages.
  static BaseGraph parse_edge_list(std::string_view text, const std::string& source = "<edge list>");
  /// Parses GraphViz dot text with Boost's reader; `source` names it in errors.
  static BaseGraph parse_dot(std::string_view text, const std::string& source = "<dot>");

  [[nodiscard]] std::size_t num_vertices() const { return boost::num_vertices(storage_); }
  /// The number of edges (undirected) or arcs (directed), loops included.
  [[nodiscard]] std::size_t num_edges() const { return edges_.size(); }
  [[nodiscard]] bool directed() const { return directed_; }
  /// The edges (or arcs) without duplicates, each undirected edge once with u <= v.
  [[nodiscard]] const std::vector<std::pair<Point, Point>>& edges() const { return edges_; }
  /// Every arc: both directions of each undirected edge; sorted.
  [[nodiscard]] std::vector<std::pair<Point, Point>> arcs() const;
  /// True if some vertex colour differs from another.
  [[nodiscard]] bool has_vertex_colors() const { return colored_; }
  /// The colour id of each vertex (all 0 when uncoloured).
  [[nodiscard]] std::vector<std::int32_t> vertex_colors() const;
  /// Vertex names from a dot file (empty otherwise).
  [[nodiscard]] const std::vector<std::string>& vertex_names() const { return names_; }
  /// The names of the colour ids (id k is the k-th name in sorted order; an
  /// uncoloured vertex of a file with colours has the name "") when the
  /// colours came from a file; empty when they were given as numbers.
  [[nodiscard]] const std::vector<std::string>& color_names() const { return color_names_; }
  /// This graph with the given vertex names (none, or one per vertex) and
  /// colour names (none, or one per colour id, at least as many as the
  /// largest id + 1): how a copy keeps the names a file gave.
  [[nodiscard]] BaseGraph with_names(std::vector<std::string> vertex_names,
                                     std::vector<std::string> color_names) const;
  [[nodiscard]] const Storage& storage() const { return storage_; }

 private:
  Storage storage_;
  std::vector<std::pair<Point, Point>> edges_;
  bool directed_ = false;
  bool colored_ = false;
  std::vector<std::string> names_;
  std::vector<std::string> color_names_;
};

}  // namespace asen::graph
