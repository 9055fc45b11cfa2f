#include <asen/error.hpp>
#include <asen/nn/breaking_input.hpp>

#include "fingerprint.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace asen::nn {

BreakingInput::BreakingInput(std::int64_t num_nodes, torch::Tensor edge_index, torch::Tensor edge_color,
                             std::int64_t num_colors, torch::Tensor node_color)
    : num_nodes_(num_nodes), num_colors_(num_colors) {
  if (num_nodes <= 0) throw InputError("a breaking input needs at least one node");
  if (num_colors <= 0) throw InputError("a breaking input needs at least one colour");
  if (!edge_index.defined() || edge_index.dim() != 2 || edge_index.size(0) != 2)
    throw InputError("edge_index must have shape [2, E]");
  if (!edge_color.defined() || edge_color.dim() != 1 || edge_color.size(0) != edge_index.size(1))
    throw InputError("edge_attr (the edge colours) must have shape [E] with E = edge_index.size(1) = " +
                     std::to_string(edge_index.size(1)));
  edge_index_ = edge_index.to(torch::kCPU, torch::kLong).contiguous();
  edge_color_ = edge_color.to(torch::kCPU, torch::kLong).contiguous();
  const std::int64_t e = edge_color_.size(0);
  if (e > 0) {
    if (edge_index_.min().item<std::int64_t>() < 0 || edge_index_.max().item<std::int64_t>() >= num_nodes)
      throw InputError("edge_index has a node id out of range, expected ids in [0, " + std::to_string(num_nodes) + ")");
    if (edge_color_.min().item<std::int64_t>() < 0 || edge_color_.max().item<std::int64_t>() >= num_colors)
      throw InputError("edge_attr (the edge colours) has a colour out of range, expected colours in [0, " + std::to_string(num_colors) + ")");
  }
  if (node_color.defined()) {
    node_color_ = node_color.to(torch::kCPU, torch::kLong).contiguous();
    if (node_color_.dim() != 1 || node_color_.size(0) != num_nodes)
      throw InputError("node_color must have shape [" + std::to_string(num_nodes) + "]");
    check_node_colors_follow_loops();
  }
  const torch::Tensor source = edge_index_[0];
  const torch::Tensor target = edge_index_[1];
  in_degree_ = torch::bincount(target, {}, num_nodes);
  if (num_nodes > 0 && in_degree_.min().item<std::int64_t>() == 0) {
    const auto node = (in_degree_ == 0).nonzero()[0][0].item<std::int64_t>();
    throw InputError("node " + std::to_string(node) +
                     " has no incoming edge; a breaking input gives every node at least its self-loop");
  }
  // Stable sort by target (a stable argsort: target * E + position).
  const torch::Tensor key = target * std::max<std::int64_t>(e, 1) + torch::arange(e, torch::kLong);
  const torch::Tensor order = std::get<1>(key.sort());
  sorted_order_ = order.contiguous();
  sorted_source_ = source.index_select(0, order).contiguous();
  sorted_target_ = target.index_select(0, order).contiguous();
  sorted_color_ = edge_color_.index_select(0, order).contiguous();
  // Complete: every ordered pair, row-major.
  if (e == num_nodes * num_nodes) {
    const torch::Tensor ids = torch::arange(e, torch::kLong);
    complete_ = source.equal(ids.div(num_nodes, "floor")) && target.equal(ids.remainder(num_nodes));
    if (complete_) dense_by_target_ = edge_color_.view({num_nodes, num_nodes}).t().contiguous();
  }
}

// The layers see a node's colour only through its self-loops' colours (the
// diagonal orbital, A^(1)). Node colours that separate two nodes whose loops
// agree would make the input's automorphism group, and the group a model is
// said to be equivariant to, smaller than the network's true symmetry.
void BreakingInput::check_node_colors_follow_loops() const {
  const auto n = static_cast<std::size_t>(num_nodes_);
  const std::int64_t e = edge_color_.size(0);
  const std::int64_t* source = edge_index_.data_ptr<std::int64_t>();
  const std::int64_t* target = source + e;
  const std::int64_t* color = edge_color_.data_ptr<std::int64_t>();
  const std::int64_t* node = node_color_.data_ptr<std::int64_t>();
  std::vector<std::vector<std::int64_t>> loops(n);
  for (std::int64_t k = 0; k < e; ++k)
    if (source[k] == target[k]) loops[static_cast<std::size_t>(source[k])].push_back(color[k]);
  std::map<std::vector<std::int64_t>, std::size_t> first_with;
  for (std::size_t v = 0; v < n; ++v) {
    std::sort(loops[v].begin(), loops[v].end());
    // A node colour is a colour id, as the edges' (that of its self-loop in
    // asen's own inputs; the network reads it only there).
    if (node[v] < 0 || node[v] >= num_colors_)
      throw InputError("node_color[" + std::to_string(v) + "] = " + std::to_string(node[v]) +
                       " is out of range, expected colours in [0, " + std::to_string(num_colors_) +
                       ") as for edge_attr");
    const auto [it, inserted] = first_with.emplace(loops[v], v);
    const std::size_t u = it->second;
    if (inserted || node[u] == node[v]) continue;
    std::string list;
    for (const std::int64_t c : loops[v]) list += (list.empty() ? "" : ", ") + std::to_string(c);
    throw InputError("node_color separates nodes " + std::to_string(u) + " and " + std::to_string(v) + " (colours " +
                     std::to_string(node[u]) + " and " + std::to_string(node[v]) + ") whose self-loops carry " +
                     (list.empty() ? std::string("nothing (neither has one)") : "the same colours (" + list + ")") +
                     "; the network reads a node's colour only from its self-loop (i, i), so give the loops "
                     "the node colours (or leave node_color out)");
  }
}

BreakingInput BreakingInput::from_graph(const graph::BreakingInput& input) {
  const auto e = static_cast<std::int64_t>(input.num_edges());
  torch::Tensor edge_index = torch::tensor(input.edge_index, torch::kLong).view({2, e});
  torch::Tensor edge_color = torch::tensor(input.edge_attr, torch::kLong);
  torch::Tensor node_color = torch::tensor(input.node_color, torch::kLong);
  return BreakingInput(static_cast<std::int64_t>(input.num_nodes), edge_index, edge_color, input.num_colors, node_color);
}

BreakingInput BreakingInput::for_group(const algebra::PermGroup& group, graph::BreakingMode mode,
                                       const graph::BaseGraph* base) {
  if (mode == graph::BreakingMode::sparse && base != nullptr) graph::check_group_preserves_base(group, *base);
  const algebra::Orbitals orbitals = algebra::Orbitals::compute(group);
  return from_graph(graph::make_breaking_input(orbitals, mode, base));
}

BreakingInput BreakingInput::to(const torch::Device& device) const {
  BreakingInput out = *this;
  auto move = [&](torch::Tensor& t) {
    if (t.defined()) t = t.to(device);
  };
  move(out.edge_index_);
  move(out.edge_color_);
  move(out.node_color_);
  move(out.dense_by_target_);
  move(out.sorted_order_);
  move(out.sorted_source_);
  move(out.sorted_target_);
  move(out.sorted_color_);
  move(out.in_degree_);
  return out;
}

std::string BreakingInput::fingerprint() const {
  return detail::fingerprint(0x636f6c6f7572696eULL,
                             {torch::tensor({num_nodes_, num_colors_}, torch::kLong), edge_index_, edge_color_, node_color_});
}

}  // namespace asen::nn
