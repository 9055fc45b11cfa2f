#pragma once
/// \file
/// The ASEN model: one backbone shared by every structure, knowing nothing of
/// any group, made equivariant to a structure's group by that structure's
/// breaking input alone.
///
///   h_0 = embed(x)                                   (tokens, or an input MLP)
///   h_{k+1} = h_k + Dropout(ReLU(LayerNorm(W_k GATv2_k(h_k, A, E(A)))))
///   y = head(h_L)                                    (per node, or pooled)
///
/// where A is the structure's breaking input and E its colour embedding. If
/// the breaking input is the orbital colouring of G, the model is equivariant
/// to G^(2) >= G, and to nothing larger.

#include <asen/nn/breaking_input.hpp>
#include <asen/nn/layers.hpp>

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace asen::nn {

struct BackboneOptions {
  TORCH_ARG(std::int64_t, hidden) = 128;
  TORCH_ARG(std::int64_t, layers) = 4;
  TORCH_ARG(std::int64_t, heads) = 8;
  /// Dropout after each block's ReLU and before the heads.
  TORCH_ARG(double, dropout) = 0.05;
  /// Dropout on the attention coefficients.
  TORCH_ARG(double, attention_dropout) = 0.0;
};

/// The shared, symmetry-agnostic backbone: `layers` blocks of GATv2 (heads
/// concatenated to `hidden`, colour features of size `hidden`), a linear
/// projection, LayerNorm, ReLU and a residual connection.
class BackboneImpl : public torch::nn::Cloneable<BackboneImpl> {
 public:
  explicit BackboneImpl(const BackboneOptions& options = {});
  void reset() override;
  /// h [B, N, hidden], colour features [K, hidden] -> [B, N, hidden].
  torch::Tensor forward(torch::Tensor h, const BreakingInput& graph, const torch::Tensor& color_features);
  /// The same for h[b, i] = table[index[b, i]] (table [V, hidden], index
  /// [B, N] int64): the first layer projects the V rows, then gathers.
  torch::Tensor forward_rows(const torch::Tensor& table, const torch::Tensor& index, const BreakingInput& graph,
                             const torch::Tensor& color_features);
  BackboneOptions options;
  torch::nn::ModuleList convs{nullptr};
  torch::nn::ModuleList projections{nullptr};
  torch::nn::ModuleList norms{nullptr};

 private:
  /// h + dropout(ReLU(LayerNorm(projection_k(z)))).
  torch::Tensor block(std::size_t k, const torch::Tensor& h, torch::Tensor z);
};
TORCH_MODULE(Backbone);

enum class TaskKind {
  node_classification,   ///< equivariant: classes per node
  graph_classification,  ///< invariant: classes per sample (mean-pooled)
  graph_regression,      ///< invariant: real outputs per sample (mean-pooled)
  node_regression,       ///< equivariant: real outputs per node
};
/// True for the equivariant kinds, whose outputs are per node ([B, N, out]).
inline bool is_node_level(TaskKind kind) {
  return kind == TaskKind::node_classification || kind == TaskKind::node_regression;
}
/// True for the regression kinds (real-valued targets).
inline bool is_regression(TaskKind kind) {
  return kind == TaskKind::graph_regression || kind == TaskKind::node_regression;
}
const char* to_string(TaskKind kind);
TaskKind parse_task_kind(const std::string& text);

/// What a structure needs: a name, its breaking input, its inputs and its head.
struct StructureSpec {
  std::string name;
  BreakingInput input;
  /// Discrete node features (tokens in [0, vocab)); 0 for real-valued features.
  std::int64_t vocab = 0;
  /// The number of real-valued features per node (when vocab is 0).
  std::int64_t in_features = 0;
  /// Classes (classification) or outputs (regression).
  std::int64_t out_dim = 2;
  TaskKind kind = TaskKind::node_classification;
  /// How a saved model file describes this structure (JSON: group generators,
  /// sizes, base graph), set by training and by load_model so that a model
  /// can be saved again without its task data; empty for a structure added by hand.
  std::string description;
};

class AsenModelImpl : public torch::nn::Module {
 public:
  explicit AsenModelImpl(const BackboneOptions& options = {});

  /// Adds a structure with its own colour embedding, input embedding and head.
  /// \throws InputError for a repeated or invalid name, or bad sizes.
  void add_structure(const StructureSpec& spec);
  [[nodiscard]] bool has_structure(const std::string& name) const { return structures_.count(name) != 0; }
  /// \throws InputError for an unknown name.
  [[nodiscard]] const StructureSpec& structure(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> structure_names() const;

  /// x: tokens [B, N] (int64) or features [B, N, F] -> [B, N, out] for the
  /// node kinds, [B, out] otherwise. One tensor computation for the batch.
  torch::Tensor forward(const std::string& structure, const torch::Tensor& x);
  /// A mixed batch: samples grouped by structure, each group in one pass;
  /// outputs in the order of the inputs.
  std::vector<torch::Tensor> forward_mixed(const std::vector<std::string>& structures,
                                           const std::vector<torch::Tensor>& inputs);

  /// Parameter groups for the optimiser: the shared backbone, each
  /// structure's input MLP and output head, the colour embeddings, and the
  /// token embeddings. (Finetuning lowers only the backbone's rate: a new
  /// task's head starts from scratch.)
  [[nodiscard]] std::vector<torch::Tensor> backbone_parameters() const;
  [[nodiscard]] std::vector<torch::Tensor> head_parameters() const;
  [[nodiscard]] std::vector<torch::Tensor> edge_parameters() const;
  [[nodiscard]] std::vector<torch::Tensor> token_parameters() const;

  /// Moves parameters and breaking inputs to `device`.
  void to_device(const torch::Device& device);
  [[nodiscard]] torch::Device device() const { return device_; }

  BackboneOptions options;
  Backbone backbone{nullptr};

 private:
  struct Structure {
    StructureSpec spec;
    EdgeEmbedder edges{nullptr};
    TokenEmbedder tokens{nullptr};
    InputMLP features{nullptr};
    torch::nn::Sequential head{nullptr};
  };
  std::map<std::string, Structure> structures_;
  torch::Device device_ = torch::kCPU;
};
TORCH_MODULE(AsenModel);

}  // namespace asen::nn
