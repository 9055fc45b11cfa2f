#pragma once
/// \file
/// The layers of ASEN (LibTorch): GATv2 attention with edge features, and the
/// embedders of colours, tokens and real-valued node features.
///
/// GATv2Conv, per head h (H heads of C channels, concatenated to H*C):
///
///   l_j = W_l x_j + b_l,   r_i = W_r x_i + b_r,   e_ji = W_e f_ji      (in R^{H x C})
///   s_ji^h = a_h . LeakyReLU_0.2( l_j^h + r_i^h + e_ji^h )
///   alpha_ji^h = exp(s_ji^h) / sum_{k -> i} exp(s_ki^h)                 (over i's incoming edges)
///   y_i = concat_h ( sum_{j -> i} alpha_ji^h l_j^h ) + b
///
/// for every edge j -> i, where f_ji is the edge's feature (the embedding of
/// its orbital colour). These are the equations of PyTorch Geometric's
/// `GATv2Conv(in, C, heads=H, edge_dim=D, concat=True)` with one deliberate
/// difference: the graph is used as given. The self-loop (i, i) of a breaking
/// input keeps its own (diagonal) colour; PyG's default removes self-loops and
/// re-adds them with the mean of the incoming edge features, which discards
/// A^(1). Dropout, when set, applies to alpha during training.
///
/// All layers take a batch of samples on one graph: x is [B, N, F].

#include <asen/nn/breaking_input.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <utility>

namespace asen::nn {

struct GATv2Options {
  GATv2Options(std::int64_t in_channels, std::int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  TORCH_ARG(std::int64_t, in_channels);
  /// Total output channels H * C (heads concatenated); divisible by heads.
  TORCH_ARG(std::int64_t, out_channels);
  TORCH_ARG(std::int64_t, heads) = 8;
  /// Edge feature size D (0: no edge features).
  TORCH_ARG(std::int64_t, edge_dim) = 0;
  TORCH_ARG(double, negative_slope) = 0.2;
  /// Attention dropout.
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(bool, bias) = true;
};

class GATv2ConvImpl : public torch::nn::Cloneable<GATv2ConvImpl> {
 public:
  explicit GATv2ConvImpl(const GATv2Options& options);
  void reset() override;
  /// Glorot-uniform weights and attention vectors, as PyG's; zero biases (PyG
  /// zeroes the output bias too, but starts lin_l's and lin_r's uniform in
  /// +-1/sqrt(in): a different starting point, the same model).
  void reset_parameters();

  /// x [B, N, in] -> [B, N, out]. `color_features` [K, D] holds one feature
  /// per colour of `graph` (undefined when edge_dim is 0): the edge term is
  /// projected once per colour, not once per edge. Complete graphs use a
  /// dense computation; others a segment softmax over edges sorted by target.
  torch::Tensor forward(const torch::Tensor& x, const BreakingInput& graph, const torch::Tensor& color_features = {});

  /// The same for inputs that are rows of a table, x[b, i] = table[index[b, i]]
  /// (table [V, in], index [B, N] int64): on a complete graph the node
  /// projections are computed for the V rows and gathered, which saves work
  /// when V < B * N (token inputs: a small vocabulary).
  torch::Tensor forward_rows(const torch::Tensor& table, const torch::Tensor& index, const BreakingInput& graph,
                             const torch::Tensor& color_features = {});

  /// The same with one feature per edge, `edge_features` [E, D] in the order
  /// of graph.edge_index() (the general form; slower).
  torch::Tensor forward_edges(const torch::Tensor& x, const BreakingInput& graph, const torch::Tensor& edge_features);

  GATv2Options options;
  torch::nn::Linear lin_l{nullptr};
  torch::nn::Linear lin_r{nullptr};
  torch::nn::Linear lin_edge{nullptr};
  torch::Tensor att;   // [H, C]
  torch::Tensor bias;  // [H * C]

 private:
  /// [l | r] = x [W_l; W_r]^T + [b_l; b_r], one matrix product: [..., 2 HC].
  [[nodiscard]] torch::Tensor joint_projection(const torch::Tensor& x) const;
  /// The edge term per edge (sorted by target) or dense [T, S, H, C].
  std::pair<torch::Tensor, torch::Tensor> color_terms(const BreakingInput& graph, const torch::Tensor& color_features);
  torch::Tensor attend(const torch::Tensor& x, const BreakingInput& graph, const torch::Tensor& edge_term_sorted,
                       const torch::Tensor& edge_term_dense);
};
TORCH_MODULE(GATv2Conv);

/// Inverted dropout: in training, each element is zeroed with probability p
/// and the others are scaled by 1/(1-p); otherwise x itself. Same law as
/// torch::dropout; on CPU float tensors the mask comes from one draw of the
/// thread's generator (torch's default one, so torch::manual_seed makes it
/// reproducible, or a training run's own: detail::thread_generator) expanded
/// by a counter-based hash, several times faster than torch 1.13's.
torch::Tensor inverted_dropout(const torch::Tensor& x, double p, bool training);

/// An embedding of orbital colours (one row per colour of a breaking input).
struct EdgeEmbedderOptions {
  EdgeEmbedderOptions(std::int64_t num_colors, std::int64_t dim) : num_colors_(num_colors), dim_(dim) {}
  TORCH_ARG(std::int64_t, num_colors);
  TORCH_ARG(std::int64_t, dim);
};
class EdgeEmbedderImpl : public torch::nn::Cloneable<EdgeEmbedderImpl> {
 public:
  explicit EdgeEmbedderImpl(const EdgeEmbedderOptions& options);
  void reset() override;
  /// The feature of every colour, [K, dim].
  torch::Tensor forward();
  EdgeEmbedderOptions options;
  torch::nn::Embedding embedding{nullptr};
};
TORCH_MODULE(EdgeEmbedder);

/// Discrete node features (tokens) to the hidden size:
/// embedding, then LayerNorm, ReLU, Linear, LayerNorm (the paper's input MLP).
struct TokenEmbedderOptions {
  TokenEmbedderOptions(std::int64_t vocab, std::int64_t dim) : vocab_(vocab), dim_(dim) {}
  TORCH_ARG(std::int64_t, vocab);
  TORCH_ARG(std::int64_t, dim);
};
class TokenEmbedderImpl : public torch::nn::Cloneable<TokenEmbedderImpl> {
 public:
  explicit TokenEmbedderImpl(const TokenEmbedderOptions& options);
  void reset() override;
  /// tokens [B, N] (int64 in [0, vocab)) -> [B, N, dim].
  /// \throws InputError for a token out of range.
  torch::Tensor forward(const torch::Tensor& tokens);
  /// The embedding of every token, [vocab, dim]: forward(t) is its row t.
  torch::Tensor vocabulary();
  /// \throws InputError unless tokens are int64 in [0, vocab).
  void check(const torch::Tensor& tokens) const;
  TokenEmbedderOptions options;
  torch::nn::Embedding embedding{nullptr};
  torch::nn::Sequential mlp{nullptr};
};
TORCH_MODULE(TokenEmbedder);

/// Real-valued node features to the hidden size: Linear, LayerNorm, ReLU,
/// Linear, LayerNorm.
struct InputMLPOptions {
  InputMLPOptions(std::int64_t in_features, std::int64_t dim) : in_features_(in_features), dim_(dim) {}
  TORCH_ARG(std::int64_t, in_features);
  TORCH_ARG(std::int64_t, dim);
};
class InputMLPImpl : public torch::nn::Cloneable<InputMLPImpl> {
 public:
  explicit InputMLPImpl(const InputMLPOptions& options);
  void reset() override;
  /// x [B, N, in_features] -> [B, N, dim].
  torch::Tensor forward(const torch::Tensor& x);
  InputMLPOptions options;
  torch::nn::Sequential mlp{nullptr};
};
TORCH_MODULE(InputMLP);

}  // namespace asen::nn
