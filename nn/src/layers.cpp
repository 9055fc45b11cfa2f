#include <asen/error.hpp>
#include <asen/nn/layers.hpp>

#include <algorithm>
#include <cmath>

namespace asen::nn {
namespace {

// The dense GATv2 attention of a complete graph in one pass per (sample,
// target), the hot spot of training. For each b, t and head h:
//   score[s] = sum_c att[h,c] * LeakyReLU(l[b,s,h,c] + r[b,t,h,c] + e[t,s,h,c])
//   alpha[s] = softmax_s(score)
//   y[b,t,h,:] = sum_s alpha[s] * l[b,s,h,:]
// without materialising the [B, T, S, H, C] pre-activation; the backward pass
// recomputes it. CPU float32 without attention dropout; other cases use the
// composed torch ops. The inner loops run over the H*C channels of a row so
// the compiler vectorises them (AVX2 when the CPU has it, chosen at run time).
struct DenseShape {
  std::int64_t B, S, T, H, C;
  [[nodiscard]] std::int64_t HC() const { return H * C; }
};

// GCC's -O2 cost model does not vectorise loops whose trip count it cannot
// see, and per-head sums need reassociation: these two kernels opt in
// (no fast-math: infinities and NaNs keep their meaning).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define ASEN_VECTOR_CLONES                                                                              \
  __attribute__((target_clones("avx2", "default"),                                                    \
                 optimize("O3", "associative-math", "no-signed-zeros", "no-trapping-math")))
#elif defined(__GNUC__) && !defined(__clang__)
#define ASEN_VECTOR_CLONES __attribute__((optimize("O3", "associative-math", "no-signed-zeros", "no-trapping-math")))
#else
#define ASEN_VECTOR_CLONES
#endif

// Forward for rows [begin, end) of b*T + t.
ASEN_VECTOR_CLONES
void dense_attention_rows(const DenseShape& d, const float* __restrict l, const float* __restrict r,
                          const float* __restrict e, const float* __restrict att, float slope, float* __restrict y,
                          float* __restrict alpha, std::int64_t begin, std::int64_t end) {
  const std::int64_t HC = d.HC();
  const std::int64_t C = d.C;
  std::vector<float> wbuf(static_cast<std::size_t>(HC));
  std::vector<float> score(static_cast<std::size_t>(d.S * d.H));
  float* __restrict w = wbuf.data();
  for (std::int64_t bt = begin; bt < end; ++bt) {
    const std::int64_t b = bt / d.T;
    const std::int64_t t = bt % d.T;
    const float* __restrict rr = r + bt * HC;
    for (std::int64_t s = 0; s < d.S; ++s) {
      const float* __restrict ll = l + (b * d.S + s) * HC;
      if (e != nullptr) {
        const float* __restrict ee = e + (t * d.S + s) * HC;
        for (std::int64_t q = 0; q < HC; ++q) {
          const float z = ll[q] + rr[q] + ee[q];
          w[q] = att[q] * (z > 0.f ? z : slope * z);
        }
      } else {
        for (std::int64_t q = 0; q < HC; ++q) {
          const float z = ll[q] + rr[q];
          w[q] = att[q] * (z > 0.f ? z : slope * z);
        }
      }
      for (std::int64_t h = 0; h < d.H; ++h) {
        float acc = 0.f;
        for (std::int64_t c = 0; c < C; ++c) acc += w[h * C + c];
        score[static_cast<std::size_t>(s * d.H + h)] = acc;
      }
    }
    float* __restrict a = alpha + bt * d.S * d.H;  // [S, H]
    for (std::int64_t h = 0; h < d.H; ++h) {
      float m = -INFINITY;
      for (std::int64_t s = 0; s < d.S; ++s) {
        const float v = score[static_cast<std::size_t>(s * d.H + h)];
        m = v > m ? v : m;
      }
      float z = 0.f;
      for (std::int64_t s = 0; s < d.S; ++s) {
        const float v = std::exp(score[static_cast<std::size_t>(s * d.H + h)] - m);
        a[s * d.H + h] = v;
        z += v;
      }
      const float inv = 1.f / z;
      for (std::int64_t s = 0; s < d.S; ++s) a[s * d.H + h] *= inv;
    }
    float* __restrict yy = y + bt * HC;
    for (std::int64_t q = 0; q < HC; ++q) yy[q] = 0.f;
    for (std::int64_t s = 0; s < d.S; ++s) {
      const float* __restrict ll = l + (b * d.S + s) * HC;
      for (std::int64_t h = 0; h < d.H; ++h) {
        const float ash = a[s * d.H + h];
        for (std::int64_t c = 0; c < C; ++c) yy[h * C + c] += ash * ll[h * C + c];
      }
    }
  }
}

ASEN_VECTOR_CLONES
void dense_attention_backward(const DenseShape& d, const float* __restrict l, const float* __restrict r,
                              const float* __restrict e, const float* __restrict att, float slope,
                              const float* __restrict alpha, const float* __restrict dy, float* __restrict dl,
                              float* __restrict dr, float* __restrict de, float* __restrict datt) {
  const std::int64_t HC = d.HC();
  const std::int64_t C = d.C;
  std::vector<float> dalpha_buf(static_cast<std::size_t>(d.S * d.H));
  float* __restrict dalpha = dalpha_buf.data();
  for (std::int64_t b = 0; b < d.B; ++b)
    for (std::int64_t t = 0; t < d.T; ++t) {
      const std::int64_t bt = b * d.T + t;
      const float* __restrict a = alpha + bt * d.S * d.H;
      const float* __restrict g = dy + bt * HC;
      const float* __restrict rr = r + bt * HC;
      float* __restrict drr = dr + bt * HC;
      // y = sum_s alpha[s] l[s]: gradients to alpha and to l
      for (std::int64_t s = 0; s < d.S; ++s) {
        const float* __restrict ll = l + (b * d.S + s) * HC;
        float* __restrict dll = dl + (b * d.S + s) * HC;
        for (std::int64_t h = 0; h < d.H; ++h) {
          const float ash = a[s * d.H + h];
          float acc = 0.f;
          for (std::int64_t c = 0; c < C; ++c) {
            dll[h * C + c] += ash * g[h * C + c];
            acc += g[h * C + c] * ll[h * C + c];
          }
          dalpha[s * d.H + h] = acc;
        }
      }
      // softmax: dscore = alpha * (dalpha - sum_s alpha dalpha), in place
      for (std::int64_t h = 0; h < d.H; ++h) {
        float dot = 0.f;
        for (std::int64_t s = 0; s < d.S; ++s) dot += a[s * d.H + h] * dalpha[s * d.H + h];
        for (std::int64_t s = 0; s < d.S; ++s) dalpha[s * d.H + h] = a[s * d.H + h] * (dalpha[s * d.H + h] - dot);
      }
      // the scores: recompute the pre-activation
      for (std::int64_t s = 0; s < d.S; ++s) {
        const float* __restrict ll = l + (b * d.S + s) * HC;
        float* __restrict dll = dl + (b * d.S + s) * HC;
        const float* __restrict ee = e != nullptr ? e + (t * d.S + s) * HC : nullptr;
        float* __restrict dee = de != nullptr ? de + (t * d.S + s) * HC : nullptr;
        for (std::int64_t h = 0; h < d.H; ++h) {
          const float gs = dalpha[s * d.H + h];
          for (std::int64_t c = 0; c < C; ++c) {
            const std::int64_t q = h * C + c;
            const float z = ll[q] + rr[q] + (ee != nullptr ? ee[q] : 0.f);
            const float pos = z > 0.f ? 1.f : slope;
            const float v = gs * att[q] * pos;
            dll[q] += v;
            drr[q] += v;
            datt[q] += gs * (z > 0.f ? z : slope * z);
            if (dee != nullptr) dee[q] += v;
          }
        }
      }
    }
}

class FusedDenseAttention : public torch::autograd::Function<FusedDenseAttention> {
 public:
  // l [B,S,H,C], r [B,T,H,C], e [T,S,H,C] or undefined, att [H,C] -> y [B,T,H,C]
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& l, const torch::Tensor& r,
                               const torch::Tensor& e, const torch::Tensor& att, double slope) {
    const DenseShape d{l.size(0), l.size(1), r.size(1), l.size(2), l.size(3)};
    torch::Tensor y = torch::empty({d.B, d.T, d.H, d.C}, l.options());
    torch::Tensor alpha = torch::empty({d.B, d.T, d.S, d.H}, l.options());
    const float* pe = e.defined() ? e.data_ptr<float>() : nullptr;
    const float* pl = l.data_ptr<float>();
    const float* pr = r.data_ptr<float>();
    const float* pa = att.data_ptr<float>();
    float* py = y.data_ptr<float>();
    float* palpha = alpha.data_ptr<float>();
    const auto sl = static_cast<float>(slope);
    at::parallel_for(0, d.B * d.T, 16, [&](std::int64_t begin, std::int64_t end) {
      dense_attention_rows(d, pl, pr, pe, pa, sl, py, palpha, begin, end);
    });
    ctx->save_for_backward({l, r, e, att, alpha});
    ctx->saved_data["slope"] = slope;
    return y;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& l = saved[0];
    const torch::Tensor& r = saved[1];
    const torch::Tensor& e = saved[2];
    const torch::Tensor& att = saved[3];
    const torch::Tensor& alpha = saved[4];
    const DenseShape d{l.size(0), l.size(1), r.size(1), l.size(2), l.size(3)};
    const torch::Tensor dy = grads[0].contiguous();
    torch::Tensor dl = torch::zeros_like(l);
    torch::Tensor dr = torch::zeros_like(r);
    torch::Tensor de = e.defined() ? torch::zeros_like(e) : torch::Tensor();
    torch::Tensor datt = torch::zeros_like(att);
    dense_attention_backward(d, l.data_ptr<float>(), r.data_ptr<float>(), e.defined() ? e.data_ptr<float>() : nullptr,
                             att.data_ptr<float>(), static_cast<float>(ctx->saved_data["slope"].toDouble()),
                             alpha.data_ptr<float>(), dy.data_ptr<float>(), dl.data_ptr<float>(),
                             dr.data_ptr<float>(), de.defined() ? de.data_ptr<float>() : nullptr,
                             datt.data_ptr<float>());
    return {dl, dr, de, datt, torch::Tensor()};
  }
};

// y [B, T, H, C] of the dense attention; fused where it applies.
torch::Tensor dense_attention(const torch::Tensor& l, const torch::Tensor& r, const torch::Tensor& e,
                              const torch::Tensor& att, double slope, double dropout, bool training) {
  const bool fused = l.device().is_cpu() && l.scalar_type() == torch::kFloat && r.scalar_type() == torch::kFloat &&
                     att.scalar_type() == torch::kFloat && (!e.defined() || e.scalar_type() == torch::kFloat) &&
                     !(training && dropout > 0);
  if (fused)
    return FusedDenseAttention::apply(l.contiguous(), r.contiguous(), e.defined() ? e.contiguous() : e,
                                      att.contiguous(), slope);
  // [B, target, source, H, C]
  torch::Tensor m = l.unsqueeze(1) + r.unsqueeze(2);
  if (e.defined()) m = m + e.unsqueeze(0);
  m = torch::leaky_relu(m, slope);
  const torch::Tensor score = (m * att.view({1, 1, 1, att.size(0), att.size(1)})).sum(-1);  // [B, t, s, H]
  torch::Tensor alpha = torch::softmax(score, 2);
  if (training && dropout > 0) alpha = torch::dropout(alpha, dropout, true);
  return torch::einsum("btsh,bshc->bthc", {alpha, l});
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
    y = dense_attention(l, r, edge_dense, att, slope, options.dropout(), is_training());
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
  // in the parameters' precision (float, or double during equivariance checks)
  return mlp->forward(x.to(mlp->parameters().front().scalar_type()));
}

}  // namespace asen::nn
