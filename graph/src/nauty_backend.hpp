#pragma once
// The search engines behind automorphism groups and canonical labellings:
// nauty (sparse digraph mode) and Traces (undirected). This header is free of
// nauty's own headers; nauty_backend.cpp is the only file that includes them.

#include <asen/algebra/types.hpp>

#include <cstddef>
#include <optional>
#include <vector>

namespace asen::graph::detail {

/// A graph in nauty's sparse layout with an initial vertex partition.
struct SearchGraph {
  int nv = 0;
  std::vector<std::size_t> v;  // start of each vertex's list in e
  std::vector<int> d;          // out-degree of each vertex
  std::vector<int> e;          // neighbour lists
  std::vector<int> lab;        // vertices, cell by cell
  std::vector<int> ptn;        // 0 at the end of each cell, 1 elsewhere
  bool directed = false;       // undirected: every edge is in both lists
};

struct SearchResult {
  std::vector<std::vector<int>> generators;  // automorphisms of all nv vertices
  std::vector<int> orbits;                   // a representative per vertex
  std::optional<algebra::BigInt> exact_order;  // nauty: product of the level indices
  double grpsize1 = 1.0;                     // the search's own size estimate,
  int grpsize2 = 0;                          //   grpsize1 * 10^grpsize2
  unsigned long nodes = 0;
  std::vector<int> canonical_labelling;      // lab after a canonical search
};

/// nauty's sparsenauty (digraph mode with the `adjacencies` invariant when
/// directed). \throws asen::Error if nauty reports a failure.
SearchResult search_nauty(const SearchGraph& graph, bool canonical);

/// Traces, for undirected graphs. \throws asen::Error if Traces fails.
SearchResult search_traces(const SearchGraph& graph, bool canonical);

}  // namespace asen::graph::detail
