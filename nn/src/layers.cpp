#include <asen/error.hpp>
#include <asen/nn/detail/autograd.hpp>
#include <asen/nn/detail/dense_attention.hpp>
#include <asen/nn/layers.hpp>

#include <algorithm>
#include <cmath>

namespace asen::nn {
namespace {

// y [B, T, H, C] of the dense attention in composed torch ops (double
// precision, CUDA, attention dropout).
torch::Tensor composed_dense_attention(const torch::Tensor& l, const torch::Tensor& r, const torch::Tensor& e,
                                       const torch::Tensor& att, double slope, double dropout, bool training) {
  // [B, target, source, H, C]
  torch::Tensor m = l.unsqueeze(1) + r.unsqueeze(2);
  if (e.defined()) m = m + e.unsqueeze(0);
  m = torch::leaky_relu(m, slope);
  const torch::Tensor score = (m * att.view({1, 1, 1, att.size(0), att.size(1)})).sum(-1);  // [B, t, s, H]
  torch::Tensor alpha = torch::softmax(score, 2);
  alpha = inverted_dropout(alpha, dropout, training);
  return torch::einsum("btsh,bshc->bthc", {alpha, l});
}

// The dense attention of a complete graph as one autograd node around the
// kernels of detail/dense_attention.hpp (CPU float32, no attention dropout).
// Its input is the joint projection lr = [l | r] ([B, N, 2 HC], one matrix
// product for both sides), so the gradient comes back as one tensor too.
class FusedDenseAttention : public torch::autograd::Function<FusedDenseAttention> {
 public:
  // lr [B,N,2HC], e [N,N,H,C] or undefined, att [H,C], bias [HC] or undefined -> y [B,N,HC]
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& lr, const torch::Tensor& e,
                               const torch::Tensor& att, const torch::Tensor& bias, double slope) {
    const detail::DenseAttentionShape d = shape_of(lr, att);
    torch::Tensor y = torch::empty({d.B, d.N, d.HC()}, lr.options());
    torch::Tensor alpha = torch::empty({d.B, d.N, d.N, d.H}, lr.options());
    const float* pe = e.defined() ? e.data_ptr<float>() : nullptr;
    const float* pb = bias.defined() ? bias.data_ptr<float>() : nullptr;
    const float* pl = lr.data_ptr<float>();
    const float* pa = att.data_ptr<float>();
    float* py = y.data_ptr<float>();
    float* palpha = alpha.data_ptr<float>();
    const auto sl = static_cast<float>(slope);
    at::parallel_for(0, d.B * d.N, 16, [&](std::int64_t begin, std::int64_t end) {
      detail::dense_attention_forward(d, pl, pl + d.HC(), pe, pa, pb, sl, py, palpha, begin, end);
    });
    ctx->save_for_backward({lr, e, att, bias, alpha});
    ctx->saved_data["slope"] = slope;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& lr = saved[0];
    const torch::Tensor& e = saved[1];
    const torch::Tensor& att = saved[2];
    const torch::Tensor& bias = saved[3];
    const torch::Tensor& alpha = saved[4];
    const detail::DenseAttentionShape d = shape_of(lr, att);
    const torch::Tensor dy = grads[0].contiguous();
    if (torch::GradMode::is_enabled()) return differentiable_backward(ctx, {lr, e, att, bias}, d, dy);
    torch::Tensor dlr = torch::zeros_like(lr);
    torch::Tensor de = e.defined() ? torch::zeros_like(e) : torch::Tensor();
    torch::Tensor datt = torch::zeros_like(att);
    torch::Tensor dbias = bias.defined() ? torch::zeros_like(bias) : torch::Tensor();
    float* pdl = dlr.data_ptr<float>();
    detail::dense_attention_backward(d, lr.data_ptr<float>(), lr.data_ptr<float>() + d.HC(),
                                     e.defined() ? e.data_ptr<float>() : nullptr, att.data_ptr<float>(),
                                     static_cast<float>(ctx->saved_data["slope"].toDouble()),
                                     alpha.data_ptr<float>(), dy.data_ptr<float>(), pdl, pdl + d.HC(),
                                     de.defined() ? de.data_ptr<float>() : nullptr, datt.data_ptr<float>(),
                                     dbias.defined() ? dbias.data_ptr<float>() : nullptr);
    return {dlr, de, datt, dbias, torch::Tensor()};
  }

 private:
  // create_graph=True (second derivatives: gradient penalties, forces as
  // derivatives of an energy): the same gradient as the vector-Jacobian
  // product of the composed ops, which autograd can differentiate again.
  static torch::autograd::variable_list differentiable_backward(torch::autograd::AutogradContext* ctx,
                                                                const torch::autograd::variable_list& in,
                                                                const detail::DenseAttentionShape& d,
                                                                const torch::Tensor& dy) {
    const double slope = ctx->saved_data["slope"].toDouble();
    return detail::vector_jacobian(ctx, in, dy, 5, [&](const torch::autograd::variable_list& a) {
      const torch::Tensor l = a[0].narrow(2, 0, d.HC()).view({d.B, d.N, d.H, d.C});
      const torch::Tensor r = a[0].narrow(2, d.HC(), d.HC()).view({d.B, d.N, d.H, d.C});
      torch::Tensor y = composed_dense_attention(l, r, a[1], a[2], slope, 0.0, false).reshape({d.B, d.N, d.HC()});
      return a[3].defined() ? y + a[3] : y;
    });
  }

  static detail::DenseAttentionShape shape_of(const torch::Tensor& lr, const torch::Tensor& att) {
    const std::int64_t H = att.size(0);
    const std::int64_t C = att.size(1);
    return {lr.size(0), lr.size(1), H, C, 2 * H * C, 2 * H * C};
  }
};

bool fused_applies(const torch::Tensor& x, const torch::Tensor& e, const torch::Tensor& att, double dropout,
                   bool training) {
  return x.device().is_cpu() && x.scalar_type() == torch::kFloat && att.scalar_type() == torch::kFloat &&
         (!e.defined() || e.scalar_type() == torch::kFloat) && !(training && dropout > 0);
}

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

torch::Tensor GATv2ConvImpl::joint_projection(const torch::Tensor& x) const {
  const torch::Tensor w = torch::cat({lin_l->weight, lin_r->weight}, 0);
  const torch::Tensor wb = lin_l->bias.defined() ? torch::cat({lin_l->bias, lin_r->bias}, 0) : torch::Tensor();
  return torch::linear(x, w, wb);
}

torch::Tensor GATv2ConvImpl::attend(const torch::Tensor& x, const BreakingInput& graph, const torch::Tensor& edge_sorted,
                                    const torch::Tensor& edge_dense) {
  const std::int64_t b = x.size(0);
  const std::int64_t n = x.size(1);
  const std::int64_t h = options.heads();
  const std::int64_t c = options.out_channels() / h;
  const double slope = options.negative_slope();
  if (graph.complete() && fused_applies(x, edge_dense, att, options.dropout(), is_training()))
    return FusedDenseAttention::apply(joint_projection(x).contiguous(),
                                      edge_dense.defined() ? edge_dense.contiguous() : edge_dense, att.contiguous(),
                                      bias, slope);
  const torch::Tensor l = lin_l(x).view({b, n, h, c});
  const torch::Tensor r = lin_r(x).view({b, n, h, c});
  torch::Tensor y;
  if (graph.complete()) {
    y = composed_dense_attention(l, r, edge_dense, att, slope, options.dropout(), is_training());
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
    alpha = inverted_dropout(alpha, options.dropout(), is_training());
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

std::pair<torch::Tensor, torch::Tensor> GATv2ConvImpl::color_terms(const BreakingInput& graph,
                                                                   const torch::Tensor& color_features) {
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
  return {edge_sorted, edge_dense};
}

torch::Tensor GATv2ConvImpl::forward(const torch::Tensor& x_in, const BreakingInput& graph, const torch::Tensor& color_features) {
  const torch::Tensor x = batched(x_in, options.in_channels(), graph.num_nodes());
  const auto [edge_sorted, edge_dense] = color_terms(graph, color_features);
  torch::Tensor y = attend(x, graph, edge_sorted, edge_dense);
  return x_in.dim() == 2 ? y.squeeze(0) : y;
}

torch::Tensor GATv2ConvImpl::forward_rows(const torch::Tensor& table, const torch::Tensor& index,
                                          const BreakingInput& graph, const torch::Tensor& color_features) {
  if (table.dim() != 2 || table.size(1) != options.in_channels())
    throw InputError("GATv2: the table must have shape [V, " + std::to_string(options.in_channels()) + "]");
  if (index.dim() != 2 || index.size(1) != graph.num_nodes() || index.scalar_type() != torch::kLong)
    throw InputError("GATv2: the row index must be int64 of shape [B, " + std::to_string(graph.num_nodes()) + "]");
  const std::int64_t b = index.size(0);
  const std::int64_t n = index.size(1);
  const auto [edge_sorted, edge_dense] = color_terms(graph, color_features);
  const torch::Tensor flat = index.reshape({-1});
  if (graph.complete() && fused_applies(table, edge_dense, att, options.dropout(), is_training())) {
    // project the V rows of the table, then gather: V rows instead of B * N
    const torch::Tensor lr = joint_projection(table).index_select(0, flat).view({b, n, 2 * options.out_channels()});
    return FusedDenseAttention::apply(lr, edge_dense.defined() ? edge_dense.contiguous() : edge_dense,
                                      att.contiguous(), bias, options.negative_slope());
  }
  return attend(table.index_select(0, flat).view({b, n, options.in_channels()}), graph, edge_sorted, edge_dense);
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

void TokenEmbedderImpl::check(const torch::Tensor& tokens) const {
  if (tokens.scalar_type() != torch::kLong) throw InputError("tokens must be int64");
  if (tokens.numel() > 0) {
    const auto lo = tokens.min().item<std::int64_t>();
    const auto hi = tokens.max().item<std::int64_t>();
    if (lo < 0 || hi >= options.vocab())
      throw InputError("token " + std::to_string(lo < 0 ? lo : hi) + " is out of range, expected tokens in [0, " +
                       std::to_string(options.vocab()) + ")");
  }
}

torch::Tensor TokenEmbedderImpl::forward(const torch::Tensor& tokens) {
  check(tokens);
  return mlp->forward(embedding(tokens));
}

torch::Tensor TokenEmbedderImpl::vocabulary() { return mlp->forward(embedding->weight); }

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
  // in the parameters' precision (float, or double during equivariance checks)
  return mlp->forward(x.to(mlp->parameters().front().scalar_type()));
}

}  // namespace asen::nn
