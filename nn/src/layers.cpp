#include <asen/error.hpp>
#include <asen/nn/layers.hpp>

#include <cmath>

namespace asen::nn {
namespace {

// PyG's glorot: uniform in +-sqrt(6 / (fan_in + fan_out)) over the last two dims.
void glorot(torch::Tensor& t) {
  torch::NoGradGuard no_grad;
  const auto fan = static_cast<double>(t.size(-2) + t.size(-1));
  const double bound = std::sqrt(6.0 / fan);
  t.uniform_(-bound, bound);
}

}  // namespace

GATv2ConvImpl::GATv2ConvImpl(const GATv2Options& options_) : options(options_) { reset(); }

void GATv2ConvImpl::reset() {
  const std::int64_t heads = options.heads();
  if (heads <= 0 || options.out_channels() <= 0 || options.out_channels() % heads != 0)
    throw InputError("GATv2: out_channels (" + std::to_string(options.out_channels()) +
                     ") must be a positive multiple of heads (" + std::to_string(heads) + ")");
  const std::int64_t per_head = options.out_channels() / heads;
  lin_l = register_module("lin_l", torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(options.bias())));
  lin_r = register_module("lin_r", torch::nn::Linear(torch::nn::LinearOptions(options.in_channels(), options.out_channels()).bias(options.bias())));
  if (options.edge_dim() > 0)
    lin_edge = register_module("lin_edge", torch::nn::Linear(torch::nn::LinearOptions(options.edge_dim(), options.out_channels()).bias(false)));
  att = register_parameter("att", torch::empty({heads, per_head}));
  if (options.bias()) bias = register_parameter("bias", torch::empty({options.out_channels()}));
  reset_parameters();
}

void GATv2ConvImpl::reset_parameters() {
  torch::NoGradGuard no_grad;
  glorot(lin_l->weight);
  glorot(lin_r->weight);
  if (lin_l->bias.defined()) lin_l->bias.zero_();
  if (lin_r->bias.defined()) lin_r->bias.zero_();
  if (lin_edge) glorot(lin_edge->weight);
  glorot(att);
  if (bias.defined()) bias.zero_();
}

torch::Tensor GATv2ConvImpl::attend(const torch::Tensor& x, const BreakingInput& graph, const torch::Tensor& edge_sorted,
                                    const torch::Tensor& edge_dense) {
  const std::int64_t b = x.size(0);
  const std::int64_t n = x.size(1);
  const std::int64_t h = options.heads();
  const std::int64_t c = options.out_channels() / h;
  const double slope = options.negative_slope();
  const torch::Tensor l = lin_l(x).view({b, n, h, c});
  const torch::Tensor r = lin_r(x).view({b, n, h, c});
  torch::Tensor y;
  if (graph.complete()) {
    // [B, target, source, H, C]
    torch::Tensor m = l.unsqueeze(1) + r.unsqueeze(2);
    if (edge_dense.defined()) m = m + edge_dense.unsqueeze(0);
    m = torch::leaky_relu(m, slope);
    const torch::Tensor score = (m * att.view({1, 1, 1, h, c})).sum(-1);  // [B, t, s, H]
    torch::Tensor alpha = torch::softmax(score, 2);
    if (is_training() && options.dropout() > 0) alpha = torch::dropout(alpha, options.dropout(), true);
    y = torch::einsum("btsh,bshc->bthc", {alpha, l});
  } else {
    const torch::Tensor& src = graph.sorted_source();
    const torch::Tensor& tgt = graph.sorted_target();
    const torch::Tensor lj = l.index_select(1, src);  // [B, E, H, C]
    torch::Tensor m = lj + r.index_select(1, tgt);
    if (edge_sorted.defined()) m = m + edge_sorted.unsqueeze(0);
    m = torch::leaky_relu(m, slope);
    const torch::Tensor score = (m * att.view({1, 1, h, c})).sum(-1);  // [B, E, H]
    // Softmax over each target's incoming edges, shifted by the segment
    // maximum for stability (the shift needs no gradient).
    const torch::Tensor shift =
        torch::segment_reduce(score.detach().transpose(0, 1).contiguous(), "max", graph.in_degree(), {}, {}, 0)
            .transpose(0, 1);  // [B, N, H]
    const torch::Tensor ex = (score - shift.index_select(1, tgt)).exp();
    const torch::Tensor denom = torch::zeros({b, n, h}, ex.options()).index_add(1, tgt, ex);
    torch::Tensor alpha = ex / denom.index_select(1, tgt);
    if (is_training() && options.dropout() > 0) alpha = torch::dropout(alpha, options.dropout(), true);
    y = torch::zeros({b, n, h, c}, lj.options()).index_add(1, tgt, alpha.unsqueeze(-1) * lj);
  }
  y = y.reshape({b, n, h * c});
  if (bias.defined()) y = y + bias;
  return y;
}

namespace {

torch::Tensor batched(const torch::Tensor& x, std::int64_t in_channels, std::int64_t nodes) {
  if (x.dim() == 2) return x.unsqueeze(0);
  if (x.dim() != 3) throw InputError("GATv2: x must have shape [B, N, F] or [N, F]");
  if (x.size(1) != nodes)
    throw InputError("GATv2: x has " + std::to_string(x.size(1)) + " nodes but the graph has " + std::to_string(nodes));
  if (x.size(2) != in_channels)
    throw InputError("GATv2: x has " + std::to_string(x.size(2)) + " features, expected " + std::to_string(in_channels));
  return x;
}

}  // namespace

torch::Tensor GATv2ConvImpl::forward(const torch::Tensor& x_in, const BreakingInput& graph, const torch::Tensor& color_features) {
  const torch::Tensor x = batched(x_in, options.in_channels(), graph.num_nodes());
  torch::Tensor edge_sorted;
  torch::Tensor edge_dense;
  if (options.edge_dim() > 0) {
    if (!color_features.defined() || color_features.dim() != 2 || color_features.size(0) != graph.num_colors() ||
        color_features.size(1) != options.edge_dim())
      throw InputError("GATv2: colour features must have shape [" + std::to_string(graph.num_colors()) + ", " +
                       std::to_string(options.edge_dim()) + "]");
    const std::int64_t h = options.heads();
    const std::int64_t c = options.out_channels() / h;
    const torch::Tensor per_color = lin_edge(color_features).view({graph.num_colors(), h, c});
    const std::int64_t n = graph.num_nodes();
    if (graph.complete())
      edge_dense = per_color.index_select(0, graph.dense_colors_by_target().flatten()).view({n, n, h, c});
    else
      edge_sorted = per_color.index_select(0, graph.sorted_color());
  }
  torch::Tensor y = attend(x, graph, edge_sorted, edge_dense);
  return x_in.dim() == 2 ? y.squeeze(0) : y;
}

torch::Tensor GATv2ConvImpl::forward_edges(const torch::Tensor& x_in, const BreakingInput& graph,
                                           const torch::Tensor& edge_features) {
  const torch::Tensor x = batched(x_in, options.in_channels(), graph.num_nodes());
  torch::Tensor edge_sorted;
  torch::Tensor edge_dense;
  if (options.edge_dim() > 0) {
    if (!edge_features.defined() || edge_features.dim() != 2 || edge_features.size(0) != graph.num_edges() ||
        edge_features.size(1) != options.edge_dim())
      throw InputError("GATv2: edge features must have shape [" + std::to_string(graph.num_edges()) + ", " +
                       std::to_string(options.edge_dim()) + "]");
    const std::int64_t h = options.heads();
    const std::int64_t c = options.out_channels() / h;
    const std::int64_t n = graph.num_nodes();
    const torch::Tensor per_edge = lin_edge(edge_features).view({graph.num_edges(), h, c});
    if (graph.complete())
      edge_dense = per_edge.view({n, n, h, c}).transpose(0, 1);  // row-major (s, t) -> [t, s]
    else
      edge_sorted = per_edge.index_select(0, graph.sorted_order());
  }
  torch::Tensor y = attend(x, graph, edge_sorted, edge_dense);
  return x_in.dim() == 2 ? y.squeeze(0) : y;
}

EdgeEmbedderImpl::EdgeEmbedderImpl(const EdgeEmbedderOptions& options_) : options(options_) { reset(); }

void EdgeEmbedderImpl::reset() {
  embedding = register_module("embedding", torch::nn::Embedding(options.num_colors(), options.dim()));
}

torch::Tensor EdgeEmbedderImpl::forward() { return embedding->weight; }

TokenEmbedderImpl::TokenEmbedderImpl(const TokenEmbedderOptions& options_) : options(options_) { reset(); }

void TokenEmbedderImpl::reset() {
  embedding = register_module("embedding", torch::nn::Embedding(options.vocab(), options.dim()));
  mlp = register_module("mlp", torch::nn::Sequential(torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.dim()})),
                                                      torch::nn::ReLU(), torch::nn::Linear(options.dim(), options.dim()),
                                                      torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.dim()}))));
}

torch::Tensor TokenEmbedderImpl::forward(const torch::Tensor& tokens) {
  if (tokens.scalar_type() != torch::kLong) throw InputError("tokens must be int64");
  if (tokens.numel() > 0) {
    const auto lo = tokens.min().item<std::int64_t>();
    const auto hi = tokens.max().item<std::int64_t>();
    if (lo < 0 || hi >= options.vocab())
      throw InputError("token " + std::to_string(lo < 0 ? lo : hi) + " is out of range, expected tokens in [0, " +
                       std::to_string(options.vocab()) + ")");
  }
  return mlp->forward(embedding(tokens));
}

InputMLPImpl::InputMLPImpl(const InputMLPOptions& options_) : options(options_) { reset(); }

void InputMLPImpl::reset() {
  mlp = register_module("mlp", torch::nn::Sequential(torch::nn::Linear(options.in_features(), options.dim()),
                                                      torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.dim()})),
                                                      torch::nn::ReLU(), torch::nn::Linear(options.dim(), options.dim()),
                                                      torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.dim()}))));
}

torch::Tensor InputMLPImpl::forward(const torch::Tensor& x) {
  if (x.dim() != 3 || x.size(2) != options.in_features())
    throw InputError("node features must have shape [B, N, " + std::to_string(options.in_features()) + "]");
  return mlp->forward(x.to(torch::kFloat));
}

}  // namespace asen::nn
