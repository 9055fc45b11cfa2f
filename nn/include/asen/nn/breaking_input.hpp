#pragma once
/// \file
/// A breaking input as tensors: the orbital colouring of a group (or any
/// edge-coloured digraph) in the layout the GATv2 layers consume.
///
/// An edge e goes from edge_index[0][e] (source s) to edge_index[1][e]
/// (target t) and carries the colour of the pair (s, t); a target aggregates
/// over its incoming edges. Self-loops (i, i) are ordinary edges that carry the
/// diagonal colour (A^(1)); every node needs at least one incoming edge.

#include <asen/algebra/perm_group.hpp>
#include <asen/graph/breaking_input.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace asen::nn {

class BreakingInput {
 public:
  BreakingInput() = default;
  /// From raw tensors. `edge_index` [2, E] and `edge_color` [E] are int64 with
  /// colours in [0, num_colors); `node_color` [N] may be undefined. The
  /// layers read a node's colour from its self-loops, so `node_color` may not
  /// separate two nodes whose loops carry the same colours.
  /// \throws InputError for bad shapes, out-of-range ids or colours, a node
  /// without incoming edges, or node colours the loops do not carry.
  BreakingInput(std::int64_t num_nodes, torch::Tensor edge_index, torch::Tensor edge_color,
                std::int64_t num_colors, torch::Tensor node_color = {});

  /// From the graph layer's breaking input.
  static BreakingInput from_graph(const graph::BreakingInput& input);
  /// The breaking input of a group: its orbitals, dense or on a base graph.
  static BreakingInput for_group(const algebra::PermGroup& group,
                                 graph::BreakingMode mode = graph::BreakingMode::dense,
                                 const graph::BaseGraph* base = nullptr);

  [[nodiscard]] std::int64_t num_nodes() const { return num_nodes_; }
  [[nodiscard]] std::int64_t num_edges() const { return edge_color_.defined() ? edge_color_.size(0) : 0; }
  [[nodiscard]] std::int64_t num_colors() const { return num_colors_; }
  [[nodiscard]] const torch::Tensor& edge_index() const { return edge_index_; }
  [[nodiscard]] const torch::Tensor& edge_color() const { return edge_color_; }
  [[nodiscard]] const torch::Tensor& node_color() const { return node_color_; }

  /// True when the edges are every ordered pair in row-major order (s, t):
  /// the layers then use a dense computation.
  [[nodiscard]] bool complete() const { return complete_; }
  /// Complete inputs: colour of (s, t) at [t][s], i.e. indexed by target first.
  [[nodiscard]] const torch::Tensor& dense_colors_by_target() const { return dense_by_target_; }
  /// Edges sorted by target (stable): their positions in edge_index(), their
  /// sources, targets and colours in that order, and the in-degree of each node.
  [[nodiscard]] const torch::Tensor& sorted_order() const { return sorted_order_; }
  [[nodiscard]] const torch::Tensor& sorted_source() const { return sorted_source_; }
  [[nodiscard]] const torch::Tensor& sorted_target() const { return sorted_target_; }
  [[nodiscard]] const torch::Tensor& sorted_color() const { return sorted_color_; }
  [[nodiscard]] const torch::Tensor& in_degree() const { return in_degree_; }

  /// The same input on another device.
  [[nodiscard]] BreakingInput to(const torch::Device& device) const;
  /// A 64-bit fingerprint (hexadecimal) of the colouring: nodes, edges, their
  /// colours, node colours and the colour count. Checkpoints record it, so
  /// that a run is resumed only on the colouring it started with.
  [[nodiscard]] std::string fingerprint() const;

 private:
  void check_node_colors_follow_loops() const;

  std::int64_t num_nodes_ = 0;
  std::int64_t num_colors_ = 0;
  torch::Tensor edge_index_;
  torch::Tensor edge_color_;
  torch::Tensor node_color_;
  bool complete_ = false;
  torch::Tensor dense_by_target_;
  torch::Tensor sorted_order_;
  torch::Tensor sorted_source_;
  torch::Tensor sorted_target_;
  torch::Tensor sorted_color_;
  torch::Tensor in_degree_;
};

}  // namespace asen::nn
