#include <asen/error.hpp>
#include <asen/nn/layers.hpp>
#include <asen/nn/model.hpp>
#include <gtest/gtest.h>

#include <asen/nn/detail/dense_attention.hpp>
#include <asen/nn/flat_adam.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <vector>

using asen::nn::BreakingInput;
using asen::nn::GATv2Conv;
using asen::nn::GATv2Options;

namespace {

class GATv2Test : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(7); }
};

// The equations of the header, one edge and one head at a time, in plain loops.
torch::Tensor reference_gatv2(GATv2Conv& conv, const torch::Tensor& x, const std::vector<std::pair<int, int>>& edges,
                              const torch::Tensor& edge_features) {
  const auto n = x.size(0);
  const auto h = conv->options.heads();
  const auto c = conv->options.out_channels() / h;
  const auto slope = conv->options.negative_slope();
  torch::NoGradGuard no_grad;
  const auto l = conv->lin_l(x);
  const auto r = conv->lin_r(x);
  const auto e = conv->lin_edge(edge_features);
  auto out = torch::zeros({n, h * c});
  for (int i = 0; i < n; ++i) {
    for (int head = 0; head < h; ++head) {
      std::vector<double> scores;
      std::vector<int> from;
      for (std::size_t k = 0; k < edges.size(); ++k) {
        if (edges[k].second != i) continue;
        const int j = edges[k].first;
        double s = 0;
        for (int ch = 0; ch < c; ++ch) {
          const int q = head * static_cast<int>(c) + ch;
          double v = l[j][q].item<double>() + r[i][q].item<double>() + e[static_cast<long>(k)][q].item<double>();
          v = v > 0 ? v : slope * v;
          s += conv->att[head][ch].item<double>() * v;
        }
        scores.push_back(s);
        from.push_back(j);
      }
      double z = 0;
      for (double s : scores) z += std::exp(s);
      for (std::size_t k = 0; k < scores.size(); ++k) {
        const double alpha = std::exp(scores[k]) / z;
        for (int ch = 0; ch < c; ++ch) {
          const int q = head * static_cast<int>(c) + ch;
          out[i][q] += alpha * l[from[k]][q].item<double>();
        }
      }
    }
  }
  return out + conv->bias;
}

BreakingInput graph_of(int n, const std::vector<std::pair<int, int>>& edges, std::vector<std::int64_t> colors, int k) {
  std::vector<std::int64_t> flat;
  for (const auto& e : edges) flat.push_back(e.first);
  for (const auto& e : edges) flat.push_back(e.second);
  return BreakingInput(n, torch::tensor(flat).view({2, static_cast<long>(edges.size())}), torch::tensor(colors), k);
}

}  // namespace

TEST_F(GATv2Test, MatchesTheLoopReferenceOnASparseGraph) {
  // 5 nodes, self-loops and a few arcs, three colours.
  const std::vector<std::pair<int, int>> edges = {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 4}, {0, 1}, {1, 0},
                                                  {2, 1}, {3, 1}, {4, 3}, {0, 4}, {2, 4}};
  std::vector<std::int64_t> colors = {0, 0, 1, 1, 0, 2, 2, 1, 2, 1, 0, 2};
  const BreakingInput g = graph_of(5, edges, colors, 3);
  ASSERT_FALSE(g.complete());
  GATv2Conv conv(GATv2Options(6, 8).heads(2).edge_dim(4));
  const torch::Tensor x = torch::randn({5, 6});
  const torch::Tensor table = torch::randn({3, 4});
  const torch::Tensor edge_features = table.index_select(0, torch::tensor(colors));
  const torch::Tensor expected = reference_gatv2(conv, x, edges, edge_features);
  EXPECT_TRUE(torch::allclose(conv->forward(x, g, table), expected, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(conv->forward_edges(x, g, edge_features), expected, 1e-5, 1e-5));
}

TEST_F(GATv2Test, DenseFastPathMatchesTheLoopReference) {
  const int n = 4;
  std::vector<std::pair<int, int>> edges;
  std::vector<std::int64_t> colors;
  for (int s = 0; s < n; ++s)
    for (int t = 0; t < n; ++t) {
      edges.emplace_back(s, t);
      colors.push_back(s == t ? 0 : 1 + (s + 2 * t) % 3);
    }
  const BreakingInput g = graph_of(n, edges, colors, 4);
  ASSERT_TRUE(g.complete());
  GATv2Conv conv(GATv2Options(5, 16).heads(4).edge_dim(3));
  const torch::Tensor x = torch::randn({n, 5});
  const torch::Tensor table = torch::randn({4, 3});
  const torch::Tensor edge_features = table.index_select(0, torch::tensor(colors));
  const torch::Tensor expected = reference_gatv2(conv, x, edges, edge_features);
  EXPECT_TRUE(torch::allclose(conv->forward(x, g, table), expected, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(conv->forward_edges(x, g, edge_features), expected, 1e-5, 1e-5));
  // A batch is the same as its samples one by one.
  const torch::Tensor batch = torch::randn({3, n, 5});
  const torch::Tensor y = conv->forward(batch, g, table);
  for (int b = 0; b < 3; ++b) EXPECT_TRUE(torch::allclose(y[b], conv->forward(batch[b], g, table), 1e-5, 1e-6));
}

TEST_F(GATv2Test, OutputIsPermutationEquivariant) {
  // Relabelling nodes and edges together relabels the output.
  const int n = 6;
  std::vector<std::pair<int, int>> edges;
  std::vector<std::int64_t> colors;
  for (int s = 0; s < n; ++s)
    for (int t = 0; t < n; ++t)
      if (s == t || (s + t) % 3 != 0) {
        edges.emplace_back(s, t);
        colors.push_back((s * 7 + t * 3) % 5);
      }
  const std::vector<int> pi = {3, 0, 5, 1, 4, 2};
  std::vector<std::pair<int, int>> moved;
  for (const auto& [s, t] : edges) moved.emplace_back(pi[s], pi[t]);
  GATv2Conv conv(GATv2Options(4, 8).heads(2).edge_dim(3));
  const torch::Tensor x = torch::randn({n, 4});
  torch::Tensor px = torch::empty_like(x);
  for (int v = 0; v < n; ++v) px[pi[v]] = x[v];
  const torch::Tensor table = torch::randn({5, 3});
  const torch::Tensor y = conv->forward(x, graph_of(n, edges, colors, 5), table);
  const torch::Tensor py = conv->forward(px, graph_of(n, moved, colors, 5), table);
  for (int v = 0; v < n; ++v) EXPECT_TRUE(torch::allclose(py[pi[v]], y[v], 1e-5, 1e-6));
}

TEST_F(GATv2Test, GradientsReachEveryParameter) {
  const BreakingInput g = BreakingInput::for_group(asen::algebra::PermGroup::parse("D(5)"));
  GATv2Conv conv(GATv2Options(8, 8).heads(2).edge_dim(8));
  torch::Tensor table = torch::randn({g.num_colors(), 8}, torch::requires_grad());
  conv->forward(torch::randn({2, 5, 8}), g, table).pow(2).sum().backward();
  for (const auto& p : conv->parameters()) EXPECT_GT(p.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(table.grad().abs().sum().item<double>(), 0.0);
}

TEST(BreakingInputTensors, ValidatesItsInput) {
  EXPECT_THROW(BreakingInput(3, torch::tensor({0, 1, 1, 0}).view({2, 2}), torch::tensor({0, 0}), 1), asen::InputError);
  EXPECT_THROW(BreakingInput(2, torch::tensor({0, 1, 1, 2}).view({2, 2}), torch::tensor({0, 0}), 1), asen::InputError);
  EXPECT_THROW(BreakingInput(2, torch::tensor({0, 1, 1, 0}).view({2, 2}), torch::tensor({0, 3}), 2), asen::InputError);
  const BreakingInput g = BreakingInput::for_group(asen::algebra::PermGroup::parse("C(4)"));
  EXPECT_TRUE(g.complete());
  EXPECT_EQ(g.num_edges(), 16);
  EXPECT_EQ(g.num_colors(), 4);
}

TEST_F(GATv2Test, FusedDenseAttentionMatchesTheComposedOpsWithGradients) {
  // The CPU float path is fused; double precision takes the composed torch ops.
  const BreakingInput g = BreakingInput::for_group(asen::algebra::PermGroup::parse("D(7)"));
  GATv2Conv conv(GATv2Options(6, 12).heads(3).edge_dim(5));
  const torch::Tensor x = torch::randn({4, 7, 6}, torch::requires_grad());
  const torch::Tensor table = torch::randn({g.num_colors(), 5}, torch::requires_grad());
  const torch::Tensor y = conv->forward(x, g, table);
  const torch::Tensor w = torch::randn_like(y);
  (y * w).sum().backward();
  const torch::Tensor gx = x.grad().clone();
  const torch::Tensor gt = table.grad().clone();
  std::vector<torch::Tensor> grads;
  for (const auto& p : conv->parameters()) grads.push_back(p.grad().clone());
  for (auto& p : conv->parameters()) p.mutable_grad() = torch::Tensor();
  conv->to(torch::kDouble);
  const torch::Tensor xd = x.detach().to(torch::kDouble).requires_grad_();
  const torch::Tensor td = table.detach().to(torch::kDouble).requires_grad_();
  const torch::Tensor yd = conv->forward(xd, g, td);
  (yd * w.to(torch::kDouble)).sum().backward();
  EXPECT_TRUE(torch::allclose(y.to(torch::kDouble), yd, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(gx.to(torch::kDouble), xd.grad(), 1e-3, 1e-4));
  EXPECT_TRUE(torch::allclose(gt.to(torch::kDouble), td.grad(), 1e-3, 1e-4));
  const auto params = conv->parameters();
  for (std::size_t k = 0; k < params.size(); ++k)
    EXPECT_TRUE(torch::allclose(grads[k].to(torch::kDouble), params[k].grad(), 1e-3, 1e-4)) << k;
}

TEST_F(GATv2Test, FusedDenseAttentionWithEightChannelHeadsMatchesTheComposedOps) {
  // 8 heads of 16 channels (the backbone's shape; the AVX2 kernel where the
  // CPU has it) and 3 heads of 8: float fused against double composed.
  const BreakingInput g = BreakingInput::for_group(asen::algebra::PermGroup::parse("D(6)"));
  for (const auto& [heads, out] : {std::pair<int, int>{8, 128}, {3, 24}}) {
    GATv2Conv conv(GATv2Options(10, out).heads(heads).edge_dim(7));
    const torch::Tensor x = torch::randn({5, 6, 10}, torch::requires_grad());
    const torch::Tensor table = torch::randn({g.num_colors(), 7}, torch::requires_grad());
    const torch::Tensor y = conv->forward(x, g, table);
    const torch::Tensor w = torch::randn_like(y);
    (y * w).sum().backward();
    std::vector<torch::Tensor> grads;
    for (const auto& p : conv->parameters()) grads.push_back(p.grad().clone());
    conv->to(torch::kDouble);
    for (auto& p : conv->parameters()) p.mutable_grad() = torch::Tensor();
    const torch::Tensor xd = x.detach().to(torch::kDouble).requires_grad_();
    const torch::Tensor td = table.detach().to(torch::kDouble).requires_grad_();
    const torch::Tensor yd = conv->forward(xd, g, td);
    (yd * w.to(torch::kDouble)).sum().backward();
    EXPECT_TRUE(torch::allclose(y.to(torch::kDouble), yd, 1e-4, 1e-5)) << heads;
    EXPECT_TRUE(torch::allclose(x.grad().to(torch::kDouble), xd.grad(), 1e-3, 1e-4)) << heads;
    EXPECT_TRUE(torch::allclose(table.grad().to(torch::kDouble), td.grad(), 1e-3, 1e-4)) << heads;
    const auto params = conv->parameters();
    for (std::size_t k = 0; k < params.size(); ++k)
      EXPECT_TRUE(torch::allclose(grads[k].to(torch::kDouble), params[k].grad(), 1e-3, 1e-4)) << heads << " " << k;
  }
}

TEST(DenseAttentionKernels, AVX2AndPortableKernelsAgree) {
  // Both kernels on raw arrays, one row stride for [l | r] as GATv2Conv uses:
  // heads in full groups of eight and not, 1, 2, 3 and 4 vectors per head,
  // with and without edge terms and bias.
  using namespace asen::nn::detail;
  struct Case {
    std::int64_t B, N, H, C;
    bool edges, bias;
  };
  for (const Case& c : {Case{3, 5, 8, 16, true, true}, Case{2, 7, 3, 8, true, false}, Case{2, 4, 9, 16, false, true},
                        Case{1, 6, 2, 24, true, true}, Case{2, 3, 8, 32, true, true}}) {
    const DenseAttentionShape d{c.B, c.N, c.H, c.C, 2 * c.H * c.C, 2 * c.H * c.C};
    if (!dense_attention_avx2_applies(d)) GTEST_SKIP() << "this CPU has no AVX2/FMA";
    const std::int64_t HC = d.HC();
    const torch::Tensor lr = torch::randn({c.B, c.N, 2 * HC});
    const torch::Tensor e = torch::randn({c.N, c.N, HC});
    const torch::Tensor att = torch::randn({HC});
    const torch::Tensor bias = torch::randn({HC});
    const torch::Tensor dy = torch::randn({c.B, c.N, HC});
    std::vector<std::vector<torch::Tensor>> results;
    for (const auto kernel : {DenseAttentionKernel::portable, DenseAttentionKernel::avx2}) {
      torch::Tensor y = torch::empty({c.B, c.N, HC});
      torch::Tensor alpha = torch::empty({c.B, c.N, c.N, c.H});
      const float* pe = c.edges ? e.data_ptr<float>() : nullptr;
      const float* pb = c.bias ? bias.data_ptr<float>() : nullptr;
      dense_attention_forward(d, lr.data_ptr<float>(), lr.data_ptr<float>() + HC, pe, att.data_ptr<float>(), pb, 0.2f,
                              y.data_ptr<float>(), alpha.data_ptr<float>(), 0, c.B * c.N, kernel);
      torch::Tensor dlr = torch::zeros_like(lr);
      torch::Tensor de = torch::zeros_like(e);
      torch::Tensor datt = torch::zeros_like(att);
      torch::Tensor dbias = torch::zeros_like(bias);
      dense_attention_backward(d, lr.data_ptr<float>(), lr.data_ptr<float>() + HC, pe, att.data_ptr<float>(), 0.2f,
                               alpha.data_ptr<float>(), dy.data_ptr<float>(), dlr.data_ptr<float>(),
                               dlr.data_ptr<float>() + HC, c.edges ? de.data_ptr<float>() : nullptr,
                               datt.data_ptr<float>(), c.bias ? dbias.data_ptr<float>() : nullptr, kernel);
      results.push_back({y, alpha, dlr, de, datt, dbias});
    }
    const char* names[] = {"y", "alpha", "dl|dr", "de", "datt", "dbias"};
    for (std::size_t k = 0; k < results[0].size(); ++k)
      EXPECT_TRUE(torch::allclose(results[0][k], results[1][k], 1e-4, 1e-5))
          << names[k] << " H=" << c.H << " C=" << c.C << " max diff "
          << (results[0][k] - results[1][k]).abs().max().item<float>();
    // the rows of alpha are distributions; with edge terms absent, de stays 0
    EXPECT_TRUE(torch::allclose(results[1][1].sum(2), torch::ones({c.B, c.N, c.H}), 1e-5, 1e-5));
    if (!c.edges) {
      EXPECT_EQ(results[1][3].abs().max().item<float>(), 0.f);
    }
  }
}

TEST(DenseAttentionKernels, ExtremeScoresGiveAFiniteSoftmaxAndNaNsPropagate) {
  using namespace asen::nn::detail;
  const DenseAttentionShape d{1, 3, 8, 8, 128, 128};
  if (!dense_attention_avx2_applies(d)) GTEST_SKIP() << "this CPU has no AVX2/FMA";
  for (const auto kernel : {DenseAttentionKernel::portable, DenseAttentionKernel::avx2}) {
    // scores of +-1e4: softmax must pick the largest, not overflow to NaN
    torch::Tensor lr = torch::zeros({1, 3, 128});
    lr[0][1].narrow(0, 0, 64).fill_(1e4);
    lr[0][2].narrow(0, 0, 64).fill_(-1e4);
    const torch::Tensor att = torch::ones({64});
    torch::Tensor y = torch::empty({1, 3, 64});
    torch::Tensor alpha = torch::empty({1, 3, 3, 8});
    dense_attention_forward(d, lr.data_ptr<float>(), lr.data_ptr<float>() + 64, nullptr, att.data_ptr<float>(), nullptr,
                            0.2f, y.data_ptr<float>(), alpha.data_ptr<float>(), 0, 3, kernel);
    EXPECT_TRUE(torch::isfinite(alpha).all().item<bool>());
    EXPECT_NEAR(alpha[0][0][1][0].item<float>(), 1.f, 1e-6);  // source 1 wins for target 0
    lr[0][0][3] = NAN;
    dense_attention_forward(d, lr.data_ptr<float>(), lr.data_ptr<float>() + 64, nullptr, att.data_ptr<float>(), nullptr,
                            0.2f, y.data_ptr<float>(), alpha.data_ptr<float>(), 0, 3, kernel);
    EXPECT_TRUE(torch::isnan(y).any().item<bool>());
  }
}

TEST(Backbone, FusedBlockMatchesTheComposedOpsWithDropoutAndGradients) {
  // The backbone's block h + dropout(ReLU(LayerNorm(proj(conv(h))))) runs as
  // one fused node; written out with torch's layer_norm and relu and the
  // library's inverted_dropout (one seed per layer, so the same masks from
  // the same generator state) it gives the same outputs and gradients.
  const BreakingInput g = BreakingInput::for_group(asen::algebra::PermGroup::parse("D(5)"));
  asen::nn::Backbone net(asen::nn::BackboneOptions().hidden(32).heads(4).layers(3).dropout(0.3));
  net->train();
  const torch::Tensor x0 = torch::randn({6, 5, 32});
  const torch::Tensor table0 = torch::randn({g.num_colors(), 32});
  const torch::Tensor w = torch::randn({6, 5, 32});
  auto run = [&](bool fused) {
    for (auto& p : net->parameters()) p.mutable_grad() = torch::Tensor();
    torch::manual_seed(123);
    const torch::Tensor x = x0.clone().requires_grad_();
    const torch::Tensor table = table0.clone().requires_grad_();
    torch::Tensor h = x;
    if (fused) {
      h = net->forward(x, g, table);
    } else {
      for (std::size_t k = 0; k < 3; ++k) {
        torch::Tensor z = net->convs[k]->as<asen::nn::GATv2ConvImpl>()->forward(h, g, table);
        z = net->projections[k]->as<torch::nn::LinearImpl>()->forward(z);
        z = torch::relu(net->norms[k]->as<torch::nn::LayerNormImpl>()->forward(z));
        h = h + asen::nn::inverted_dropout(z, 0.3, true);
      }
    }
    (h * w).sum().backward();
    std::vector<torch::Tensor> out{h.detach(), x.grad(), table.grad()};
    for (const auto& p : net->parameters()) out.push_back(p.grad().clone());
    return out;
  };
  const auto fused = run(true);
  const auto composed = run(false);
  ASSERT_EQ(fused.size(), composed.size());
  // Float32 sums in another order (torch's threaded reductions too): the
  // absolute tolerance scales with the tensor's largest entry (a gradient
  // summed over every node once differed by 1.2e-5 on a busy machine).
  for (std::size_t k = 0; k < fused.size(); ++k) {
    const double scale = std::max(1.0, composed[k].abs().max().item<double>());
    EXPECT_TRUE(torch::allclose(fused[k], composed[k], 1e-4, 1e-5 * scale))
        << k << " max diff " << (fused[k] - composed[k]).abs().max().item<float>() << " scale " << scale;
  }
  // and in evaluation mode (no dropout), the same again
  net->eval();
  const torch::Tensor ye = net->forward(x0, g, table0);
  torch::Tensor h = x0;
  for (std::size_t k = 0; k < 3; ++k) {
    torch::Tensor z = net->convs[k]->as<asen::nn::GATv2ConvImpl>()->forward(h, g, table0);
    z = net->projections[k]->as<torch::nn::LinearImpl>()->forward(z);
    h = h + torch::relu(net->norms[k]->as<torch::nn::LayerNormImpl>()->forward(z));
  }
  EXPECT_TRUE(torch::allclose(ye, h, 1e-4, 1e-5));
  EXPECT_FALSE(torch::allclose(ye, fused[0], 1e-2, 1e-2));  // dropout was active in training
}

TEST(Backbone, SecondDerivativesThroughTheFusedNodesMatchTheComposedOps) {
  // A gradient penalty |d(h . w)/dx|^2 differentiated again (create_graph):
  // the fused float block (z depends on h there: partial derivatives must
  // stay partial) against the same function written out in composed
  // double-precision torch ops. Every parameter and input gets the same
  // second-order gradient.
  const BreakingInput g = BreakingInput::for_group(asen::algebra::PermGroup::parse("D(5)"));
  asen::nn::Backbone net(asen::nn::BackboneOptions().hidden(16).heads(2).layers(2).dropout(0.0));
  net->eval();
  const torch::Tensor x0 = torch::randn({3, 5, 16});
  const torch::Tensor table0 = torch::randn({g.num_colors(), 16});
  const torch::Tensor w0 = torch::randn({3, 5, 16});
  auto second_order = [&](bool fused) {
    const auto dtype = fused ? torch::kFloat : torch::kDouble;
    net->to(dtype);
    const torch::Tensor x = x0.to(dtype).requires_grad_();
    const torch::Tensor table = table0.to(dtype).requires_grad_();
    torch::Tensor h = x;
    if (fused) {
      h = net->forward(x, g, table);
    } else {
      for (std::size_t k = 0; k < 2; ++k) {
        torch::Tensor z = net->convs[k]->as<asen::nn::GATv2ConvImpl>()->forward(h, g, table);
        z = net->projections[k]->as<torch::nn::LinearImpl>()->forward(z);
        h = h + torch::relu(net->norms[k]->as<torch::nn::LayerNormImpl>()->forward(z));
      }
    }
    const torch::Tensor dx = torch::autograd::grad({(h * w0.to(dtype)).sum()}, {x}, {}, true, true)[0];
    std::vector<torch::Tensor> wrt{x, table};
    for (const auto& p : net->parameters()) wrt.push_back(p);
    const auto grads = torch::autograd::grad({dx.pow(2).sum()}, wrt, {}, false, false, true);
    std::vector<torch::Tensor> out{dx.detach().to(torch::kDouble)};
    for (const auto& t : grads) out.push_back(t.defined() ? t.to(torch::kDouble) : torch::Tensor());
    return out;
  };
  const auto fused = second_order(true);
  const auto composed = second_order(false);
  ASSERT_EQ(fused.size(), composed.size());
  const auto names = net->named_parameters().keys();
  for (std::size_t k = 0; k < fused.size(); ++k) {
    const std::string what = k < 3 ? std::vector<std::string>{"dx", "x", "table"}[k] : names[k - 3];
    ASSERT_TRUE(composed[k].defined()) << what;
    ASSERT_TRUE(fused[k].defined()) << what << " has no second-order gradient";
    EXPECT_TRUE(torch::allclose(fused[k], composed[k], 2e-3, 2e-4))
        << what << " max diff " << (fused[k] - composed[k]).abs().max().item<double>() << " of "
        << composed[k].abs().max().item<double>();
  }
}

TEST_F(GATv2Test, SecondDerivativesThroughTheFusedAttentionMatchTheComposedOps) {
  // Token rows through the fused float attention against the composed
  // double-precision ops: a gradient penalty on the token table, differentiated
  // again, reaches every parameter, the table and the colour features alike.
  const BreakingInput g = BreakingInput::for_group(asen::algebra::PermGroup::parse("D(6)"));
  GATv2Conv conv(GATv2Options(6, 12).heads(3).edge_dim(5));
  conv->eval();
  const torch::Tensor table0 = torch::randn({4, 6});
  const torch::Tensor colors0 = torch::randn({g.num_colors(), 5});
  const torch::Tensor index = torch::randint(4, {3, 6}, torch::kInt64);
  const torch::Tensor w0 = torch::randn({3, 6, 12});
  auto second_order = [&](torch::ScalarType dtype) {
    conv->to(dtype);
    const torch::Tensor table = table0.to(dtype).requires_grad_();
    const torch::Tensor colors = colors0.to(dtype).requires_grad_();
    const torch::Tensor y = conv->forward_rows(table, index, g, colors);
    const torch::Tensor dt = torch::autograd::grad({(y * w0.to(dtype)).sum()}, {table}, {}, true, true)[0];
    std::vector<torch::Tensor> wrt{table, colors};
    for (const auto& p : conv->parameters()) wrt.push_back(p);
    const auto grads = torch::autograd::grad({dt.pow(2).sum()}, wrt, {}, false, false, true);
    std::vector<torch::Tensor> out{dt.detach().to(torch::kDouble)};
    for (const auto& t : grads) out.push_back(t.defined() ? t.to(torch::kDouble) : torch::Tensor());
    return out;
  };
  const auto fused = second_order(torch::kFloat);
  const auto composed = second_order(torch::kDouble);
  ASSERT_EQ(fused.size(), composed.size());
  const auto names = conv->named_parameters().keys();
  for (std::size_t k = 0; k < fused.size(); ++k) {
    const std::string what = k < 3 ? std::vector<std::string>{"dtable", "table", "colors"}[k] : names[k - 3];
    if (!composed[k].defined()) {  // the output bias: the table's gradient does not depend on it
      EXPECT_TRUE(!fused[k].defined() || fused[k].abs().max().item<double>() < 1e-5) << what;
      continue;
    }
    ASSERT_TRUE(fused[k].defined()) << what << " has no second-order gradient";
    EXPECT_TRUE(torch::allclose(fused[k], composed[k], 2e-3, 2e-4))
        << what << " max diff " << (fused[k] - composed[k]).abs().max().item<double>();
  }
}

TEST(Dropout, HasTheLawOfInvertedDropoutAndFollowsTorchsSeed) {
  const torch::Tensor x = torch::ones({400, 500});
  torch::manual_seed(11);
  const torch::Tensor a = asen::nn::inverted_dropout(x, 0.3, true);
  const double zeros = (a == 0).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(zeros, 0.3, 0.005);  // 200,000 draws: the standard error is 0.001
  // the kept elements are scaled so that the mean is unchanged
  EXPECT_NEAR(a.masked_select(a != 0).min().item<double>(), 1.0 / 0.7, 1e-6);
  EXPECT_NEAR(a.masked_select(a != 0).max().item<double>(), 1.0 / 0.7, 1e-6);
  // no pattern between neighbours (the two halves of one hash) or along rows
  const torch::Tensor kept = (a != 0).to(torch::kDouble);
  const double both = (kept.flatten().slice(0, 0, -1) * kept.flatten().slice(0, 1)).mean().item<double>();
  EXPECT_NEAR(both, 0.49, 0.006);
  // the same seed gives the same mask, the next call another one
  const torch::Tensor b = asen::nn::inverted_dropout(x, 0.3, true);
  EXPECT_FALSE(torch::equal(a, b));
  torch::manual_seed(11);
  EXPECT_TRUE(torch::equal(a, asen::nn::inverted_dropout(x, 0.3, true)));
  // evaluation mode and p = 0 leave the input as it is; gradients flow through the mask
  EXPECT_TRUE(torch::equal(asen::nn::inverted_dropout(x, 0.3, false), x));
  EXPECT_TRUE(torch::equal(asen::nn::inverted_dropout(x, 0.0, true), x));
  const torch::Tensor w = torch::ones({3, 1000}, torch::requires_grad());
  const torch::Tensor y = asen::nn::inverted_dropout(w, 0.5, true);
  y.sum().backward();
  EXPECT_TRUE(torch::equal(w.grad(), y.detach()));
}

TEST(FlatAdam, TakesTorchsAdamStepsWithClippingAndWeightDecay) {
  // Two copies of the same small network, one trained with torch's Adam and
  // torch's clipping, one with the flat optimiser: the same weights after
  // several steps, and the flat one's parameters stay the module's tensors.
  torch::manual_seed(3);
  torch::nn::Sequential a(torch::nn::Linear(6, 5), torch::nn::ReLU(), torch::nn::Linear(5, 3));
  torch::nn::Sequential b(torch::nn::Linear(6, 5), torch::nn::ReLU(), torch::nn::Linear(5, 3));
  {
    torch::NoGradGuard no_grad;
    for (std::size_t k = 0; k < a->parameters().size(); ++k) b->parameters()[k].copy_(a->parameters()[k]);
  }
  const auto pa = a->parameters();
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{pa[0], pa[1]},
                      std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(0.05).weight_decay(0.01)));
  groups.emplace_back(std::vector<torch::Tensor>{pa[2], pa[3]},
                      std::make_unique<torch::optim::AdamOptions>(torch::optim::AdamOptions(0.2)));
  torch::optim::Adam reference(std::move(groups), torch::optim::AdamOptions(0.05));
  const auto pb = b->parameters();
  asen::nn::FlatAdam flat({{pb[0], pb[1]}, {pb[2], pb[3]}}, {{0.05, 0.01}, {0.2, 0.0}});
  for (int step = 0; step < 12; ++step) {
    const torch::Tensor x = torch::randn({8, 6});
    reference.zero_grad();
    a->forward(x).pow(2).sum().backward();
    torch::nn::utils::clip_grad_norm_(a->parameters(), 0.5);
    reference.step();
    flat.zero_grad();
    b->forward(x).pow(2).sum().backward();
    flat.clip_grad_norm(0.5);
    flat.step();
  }
  for (std::size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::allclose(pa[k], pb[k], 1e-5, 1e-6)) << k;
  EXPECT_TRUE(pb[0].is_same(b->parameters()[0]));
  // the state survives a save and load into a fresh optimiser over the same tensors
  torch::serialize::OutputArchive out;
  flat.save(out);
  std::stringstream bytes;
  out.save_to(bytes);
  torch::serialize::InputArchive in;
  in.load_from(bytes);
  asen::nn::FlatAdam again({{pb[0], pb[1]}, {pb[2], pb[3]}}, {{0.05, 0.01}, {0.2, 0.0}});
  again.load(in);
  const torch::Tensor before = pb[0].clone();
  const torch::Tensor x = torch::randn({8, 6});
  reference.zero_grad();
  a->forward(x).pow(2).sum().backward();
  reference.step();
  again.zero_grad();
  b->forward(x).pow(2).sum().backward();
  again.step();
  EXPECT_FALSE(torch::equal(before, pb[0]));
  for (std::size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::allclose(pa[k], pb[k], 1e-5, 1e-6)) << k;
}
