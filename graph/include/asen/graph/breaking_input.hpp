#pragma once
/// \file
/// The breaking input of a group: its orbital colouring as the arrays graph
/// models consume, shaped as PyTorch Geometric expects (edge_index [2, E],
/// edge_attr [E]). Every self-loop (i, i) is kept with its diagonal colour
/// (A^(1)): models must not drop or refill it.

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/graph/base_graph.hpp>
#include <asen/graph/colored_digraph.hpp>

#include <cstdint>
#include <vector>

namespace asen::graph {

struct BreakingInput {
  std::size_t num_nodes = 0;
  BreakingMode mode = BreakingMode::dense;
  /// 2 x E, row-major: edge_index[e] is the source, edge_index[E + e] the
  /// target of edge e. Edges are sorted by (source, target).
  std::vector<std::int64_t> edge_index;
  /// The orbital colour of each edge (ids in [0, num_colors)).
  std::vector<std::int64_t> edge_attr;
  /// The colour of (i, i) for each node.
  std::vector<std::int64_t> node_color;
  /// The number of orbitals (the size of an embedding table for the colours).
  std::int64_t num_colors = 0;
  /// Weak-sparse only: per colour, 1 if it contains an arc of the base graph.
  std::vector<std::uint8_t> color_in_base;

  [[nodiscard]] std::size_t num_edges() const { return edge_attr.size(); }
};

/// The breaking input: dense (all n² pairs), sparse (the base graph's arcs
/// plus the n self-loops) or weak-sparse (all pairs, with color_in_base).
/// \throws InputError if a sparse mode has no base graph or one of another
/// size; LimitError if the arrays (about 32 bytes per edge) would exceed
/// `memory_limit_bytes`.
/// Checks that every generator of `group` maps the base graph's arcs to arcs
/// (G <= Aut(base), vertex colours and loops aside: a sparse input has every
/// self-loop whatever the base graph holds). A sparse breaking input is
/// invariant under G only then: without it a model fed that input is not
/// G-equivariant. Dense and weak-sparse inputs do not need it.
/// \throws InputError naming a generator and an arc it moves off the graph,
/// or for a base graph with another number of vertices than the degree.
void check_group_preserves_base(const algebra::PermGroup& group, const BaseGraph& base);

[[nodiscard]] BreakingInput make_breaking_input(const algebra::Orbitals& orbitals,
                                                BreakingMode mode = BreakingMode::dense,
                                                const BaseGraph* base = nullptr,
                                                std::size_t memory_limit_bytes = std::size_t{4} << 30U);

}  // namespace asen::graph
