#include <asen/error.hpp>
#include <asen/nn/detail/autograd.hpp>
#include <asen/nn/detail/residual_block.hpp>
#include <asen/nn/model.hpp>
#include <asen/nn/seeded_generator.hpp>

#include "memory.hpp"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <mutex>

namespace asen::nn {

namespace {

bool is_cpu_real(const torch::Tensor& x) {
  return x.device().is_cpu() && (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble);
}

// Parameters are made float32 whatever torch's default dtype is (Python's
// torch.set_default_dtype(torch.float64) sets it for C++ too): the weights a
// seed gives and the model files do not depend on it.
class Float32Default {
 public:
  Float32Default() : saved_(c10::get_default_dtype()) { c10::set_default_dtype(caffe2::TypeMeta::Make<float>()); }
  Float32Default(const Float32Default&) = delete;
  Float32Default& operator=(const Float32Default&) = delete;
  ~Float32Default() { c10::set_default_dtype(saved_); }

 private:
  caffe2::TypeMeta saved_;
};

// One seed per call from the thread's generator (torch's default one, or a
// training run's own).
std::uint64_t dropout_seed() {
  at::Generator generator = detail::thread_generator();
  const std::lock_guard<std::mutex> lock(generator.mutex());
  return at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
}

}  // namespace

// With a faster mask on CPU: torch 1.13 draws one number per element from its
// generator (a third of the forward pass at n = 10, measured), while this
// draws one seed and expands it with a hash (detail::dropout_factors).
torch::Tensor inverted_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  if (p >= 1 || !is_cpu_real(x)) return torch::dropout(x, p, true);
  const std::uint64_t seed = dropout_seed();
  torch::Tensor mask = torch::empty(x.sizes(), x.options().requires_grad(false));
  AT_DISPATCH_FLOATING_TYPES(mask.scalar_type(), "inverted_dropout",
                             [&] { detail::dropout_factors(mask.data_ptr<scalar_t>(), 0, mask.numel(), seed, p); });
  return x * mask;
}

namespace {

// h + dropout(ReLU(LayerNorm(z))) over rows of D features as one autograd
// node (CPU float and double; the block after every GATv2 layer), around the
// kernels of detail/residual_block.hpp: the same function as torch's
// layer_norm, relu and inverted_dropout above (the same mask for the same
// generator state) in one pass each way, where the composed ops take about a
// dozen kernels and their autograd nodes.
class ResidualNormReluDropout : public torch::autograd::Function<ResidualNormReluDropout> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& h_in,
                               const torch::Tensor& z_in, const torch::Tensor& gamma, const torch::Tensor& beta,
                               double eps, double p, bool training) {
    const torch::Tensor h = h_in.contiguous();
    const torch::Tensor z = z_in.contiguous();
    const std::int64_t D = z.size(-1);
    const std::int64_t R = z.numel() / D;
    torch::Tensor out = torch::empty_like(h);
    torch::Tensor xhat = torch::empty_like(z);
    torch::Tensor factor = training && p > 0 ? torch::empty_like(z) : torch::ones_like(z);
    torch::Tensor rstd = torch::empty({R}, z.options());
    const std::uint64_t seed = training && p > 0 ? dropout_seed() : 0;
    AT_DISPATCH_FLOATING_TYPES(z.scalar_type(), "residual_norm_relu_dropout", [&] {
      if (training && p > 0) detail::dropout_factors(factor.data_ptr<scalar_t>(), 0, factor.numel(), seed, p);
      detail::residual_norm_relu_forward(z.data_ptr<scalar_t>(), h.data_ptr<scalar_t>(),
                                         gamma.contiguous().data_ptr<scalar_t>(),
                                         beta.contiguous().data_ptr<scalar_t>(), R, D, static_cast<scalar_t>(eps),
                                         out.data_ptr<scalar_t>(), xhat.data_ptr<scalar_t>(),
                                         factor.data_ptr<scalar_t>(), rstd.data_ptr<scalar_t>());
    });
    // h, z and beta only for a differentiable backward (create_graph=True)
    ctx->save_for_backward({xhat, factor, rstd, gamma, h_in, z_in, beta});
    ctx->saved_data["eps"] = eps;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& xhat = saved[0];
    const torch::Tensor& factor = saved[1];
    const torch::Tensor& rstd = saved[2];
    const torch::Tensor gamma = saved[3].contiguous();
    const torch::Tensor dout = grads[0].contiguous();
    const std::int64_t D = xhat.size(-1);
    if (torch::GradMode::is_enabled()) {
      // create_graph=True: the same gradient through composed, differentiable ops
      const double eps = ctx->saved_data["eps"].toDouble();
      return detail::vector_jacobian(ctx, {saved[4], saved[5], saved[3], saved[6]}, dout, 7,
                                     [&](const torch::autograd::variable_list& in) {
                                       return in[0] + torch::relu(torch::layer_norm(in[1], {D}, in[2], in[3], eps)) *
                                                          factor;
                                     });
    }
    const std::int64_t R = xhat.numel() / D;
    torch::Tensor dz = torch::empty_like(xhat);
    torch::Tensor dgamma = torch::zeros_like(gamma);
    torch::Tensor dbeta = torch::zeros_like(gamma);
    AT_DISPATCH_FLOATING_TYPES(xhat.scalar_type(), "residual_norm_relu_dropout_backward", [&] {
      detail::residual_norm_relu_backward(dout.data_ptr<scalar_t>(), xhat.data_ptr<scalar_t>(),
                                          factor.data_ptr<scalar_t>(), rstd.data_ptr<scalar_t>(),
                                          gamma.data_ptr<scalar_t>(), R, D, dz.data_ptr<scalar_t>(),
                                          dgamma.data_ptr<scalar_t>(), dbeta.data_ptr<scalar_t>());
    });
    return {dout, dz, dgamma, dbeta, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

BackboneImpl::BackboneImpl(const BackboneOptions& options_) : options(options_) { reset(); }

void BackboneImpl::reset() {
  if (options.hidden() <= 0 || options.layers() <= 0) throw InputError("the backbone needs a positive size and depth");
  // Per layer: GATv2's three H x H maps (source, target, edge), attention
  // and bias; the projection; the norm. Weights, gradients and Adam's two
  // moments: four float32 copies. Refused before LibTorch allocates layer
  // after layer until the kernel kills the process.
  // Each layer also costs about 20 KiB whatever its width (its modules and
  // tensor objects: 2.1 GB for 100000 layers of width 8, measured).
  const long double h = static_cast<long double>(options.hidden());
  const long double layers = static_cast<long double>(options.layers());
  const long double weights = layers * (4.0L * h * h + 7.0L * h);
  const long double bytes = 16.0L * weights + 24576.0L * layers;
  if (detail::exceeds_memory(bytes)) {
    char count[32];
    std::snprintf(count, sizeof count, "%.3Lg", weights);
    throw InputError("a backbone of " + std::to_string(options.layers()) + " layers of width " +
                     std::to_string(options.hidden()) + " has about " + count + " weights, and training it needs " +
                     detail::gib(bytes) +
                     " (weights, gradients and Adam's moments, and each layer's modules), more than this "
                     "machine's memory (" +
                     detail::gib(static_cast<long double>(detail::physical_memory_bytes())) + ")");
  }
  convs = register_module("convs", torch::nn::ModuleList());
  projections = register_module("projections", torch::nn::ModuleList());
  norms = register_module("norms", torch::nn::ModuleList());
  for (std::int64_t k = 0; k < options.layers(); ++k) {
    convs->push_back(GATv2Conv(GATv2Options(options.hidden(), options.hidden())
                                   .heads(options.heads())
                                   .edge_dim(options.hidden())
                                   .dropout(options.attention_dropout())));
    projections->push_back(torch::nn::Linear(options.hidden(), options.hidden()));
    norms->push_back(torch::nn::LayerNorm(torch::nn::LayerNormOptions({options.hidden()})));
  }
}

torch::Tensor BackboneImpl::block(std::size_t k, const torch::Tensor& h, torch::Tensor z) {
  z = projections[k]->as<torch::nn::LinearImpl>()->forward(z);
  auto* norm = norms[k]->as<torch::nn::LayerNormImpl>();
  if (is_cpu_real(z) && options.dropout() < 1 && z.scalar_type() == h.scalar_type() && z.sizes() == h.sizes() &&
      norm->weight.defined() && norm->weight.scalar_type() == z.scalar_type())
    return ResidualNormReluDropout::apply(h, z, norm->weight, norm->bias, norm->options.eps(), options.dropout(),
                                          is_training());
  z = torch::relu(norm->forward(z));
  return h + inverted_dropout(z, options.dropout(), is_training());
}

torch::Tensor BackboneImpl::forward(torch::Tensor h, const BreakingInput& graph, const torch::Tensor& color_features) {
  for (std::size_t k = 0; k < static_cast<std::size_t>(options.layers()); ++k)
    h = block(k, h, convs[k]->as<GATv2ConvImpl>()->forward(h, graph, color_features));
  return h;
}

torch::Tensor BackboneImpl::forward_rows(const torch::Tensor& table, const torch::Tensor& index,
                                         const BreakingInput& graph, const torch::Tensor& color_features) {
  const torch::Tensor h0 = table.index_select(0, index.reshape({-1})).view({index.size(0), index.size(1), table.size(1)});
  torch::Tensor h = block(0, h0, convs[0]->as<GATv2ConvImpl>()->forward_rows(table, index, graph, color_features));
  for (std::size_t k = 1; k < static_cast<std::size_t>(options.layers()); ++k)
    h = block(k, h, convs[k]->as<GATv2ConvImpl>()->forward(h, graph, color_features));
  return h;
}

const char* to_string(TaskKind kind) {
  switch (kind) {
    case TaskKind::node_classification:
      return "node-classification";
    case TaskKind::graph_classification:
      return "graph-classification";
    case TaskKind::graph_regression:
      return "graph-regression";
    case TaskKind::node_regression:
      return "node-regression";
  }
  return "unknown";
}

TaskKind parse_task_kind(const std::string& text) {
  if (text == "node-classification") return TaskKind::node_classification;
  if (text == "graph-classification") return TaskKind::graph_classification;
  if (text == "graph-regression") return TaskKind::graph_regression;
  if (text == "node-regression") return TaskKind::node_regression;
  throw InputError("unknown task kind '" + text +
                   "'; expected node-classification, graph-classification, graph-regression or node-regression");
}

AsenModelImpl::AsenModelImpl(const BackboneOptions& options_) : options(options_) {
  const Float32Default float32;
  backbone = register_module("backbone", Backbone(options));
}

void AsenModelImpl::add_structure(const StructureSpec& spec) {
  if (spec.name.empty()) throw InputError("a structure needs a name");
  for (char c : spec.name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
      throw InputError("structure name '" + spec.name + "' may hold only letters, digits, '_' and '-'");
  if (has_structure(spec.name)) throw InputError("the model already has a structure named '" + spec.name + "'");
  if (spec.input.num_nodes() <= 0) throw InputError("structure '" + spec.name + "' has no breaking input");
  if (spec.out_dim <= 0) throw InputError("structure '" + spec.name + "' needs a positive output size");
  if (spec.vocab <= 0 && spec.in_features <= 0)
    throw InputError("structure '" + spec.name + "' needs a vocabulary or a number of input features");
  if (spec.vocab > 0 && spec.in_features > 0)
    throw InputError("structure '" + spec.name + "' is given both a vocabulary (tokens) and input features: "
                     "its nodes take one or the other");
  const std::int64_t hidden = options.hidden();
  // An id far too large for its table (a class 10^12, an unrenumbered token)
  // would make LibTorch try to allocate terabytes: refused up front.
  const auto check_table = [&](std::int64_t rows, const char* what, const char* advice) {
    constexpr std::int64_t kLimit = std::int64_t{1} << 28;  // floats: 1 GiB
    if (rows > kLimit / hidden)
      throw InputError("structure '" + spec.name + "' has " + std::to_string(rows) + " " + what + ": its table of " +
                       std::to_string(rows) + " x " + std::to_string(hidden) + " weights would exceed the limit of " +
                       std::to_string(kLimit) + " weights (1 GiB); " + advice);
  };
  check_table(spec.vocab, "tokens", "tokens are ids 0, 1, ..., vocab - 1: renumber them");
  check_table(spec.out_dim, "outputs", "classes are ids 0, 1, ..., classes - 1: renumber them");
  check_table(spec.in_features, "input features", "reduce the features per node");
  check_table(spec.input.num_colors(), "colours in its breaking input",
              "colours are ids 0, 1, ..., num_colors - 1: renumber them");
  const Float32Default float32;
  Structure s;
  s.spec = spec;
  s.spec.input = spec.input.to(device_);
  s.edges = register_module("edges_" + spec.name, EdgeEmbedder(EdgeEmbedderOptions(spec.input.num_colors(), hidden)));
  if (spec.vocab > 0)
    s.tokens = register_module("tokens_" + spec.name, TokenEmbedder(TokenEmbedderOptions(spec.vocab, hidden)));
  else
    s.features = register_module("features_" + spec.name, InputMLP(InputMLPOptions(spec.in_features, hidden)));
  // Classification per node reads classes off each node's state linearly;
  // the other kinds get a hidden layer (regression per node included).
  if (spec.kind == TaskKind::node_classification)
    s.head = torch::nn::Sequential(torch::nn::Linear(hidden, spec.out_dim));
  else
    s.head = torch::nn::Sequential(torch::nn::Linear(hidden, hidden), torch::nn::ReLU(),
                                   torch::nn::Linear(hidden, spec.out_dim));
  s.head = register_module("head_" + spec.name, s.head);
  s.edges->to(device_);
  if (s.tokens) s.tokens->to(device_);
  if (s.features) s.features->to(device_);
  s.head->to(device_);
  structures_.emplace(spec.name, std::move(s));
}

const StructureSpec& AsenModelImpl::structure(const std::string& name) const {
  const auto it = structures_.find(name);
  if (it == structures_.end()) throw InputError("the model has no structure named '" + name + "'");
  return it->second.spec;
}

std::vector<std::string> AsenModelImpl::structure_names() const {
  std::vector<std::string> out;
  for (const auto& [name, s] : structures_) out.push_back(name);
  return out;
}

torch::Tensor AsenModelImpl::forward(const std::string& name, const torch::Tensor& x) {
  const auto it = structures_.find(name);
  if (it == structures_.end()) throw InputError("the model has no structure named '" + name + "'");
  Structure& s = it->second;
  const std::int64_t n = s.spec.input.num_nodes();
  torch::Tensor h;
  if (s.tokens) {
    if (x.dim() != 2 || x.size(1) != n)
      throw InputError("structure '" + name + "' takes tokens of shape [B, " + std::to_string(n) + "]");
    const torch::Tensor tokens = x.to(device_, torch::kLong);
    s.tokens->check(tokens);
    // A node's input depends on its token alone: embed the vocabulary, and
    // let the first layer project its rows before gathering them.
    h = s.spec.vocab < tokens.numel()
            ? backbone->forward_rows(s.tokens->vocabulary(), tokens, s.spec.input, s.edges->forward())
            : backbone->forward(s.tokens(tokens), s.spec.input, s.edges->forward());
  } else {
    if (x.dim() != 3 || x.size(1) != n)
      throw InputError("structure '" + name + "' takes features of shape [B, " + std::to_string(n) + ", " +
                       std::to_string(s.spec.in_features) + "]");
    h = backbone->forward(s.features(x.to(device_)), s.spec.input, s.edges->forward());
  }
  h = inverted_dropout(h, options.dropout(), is_training());
  if (is_node_level(s.spec.kind)) return s.head->forward(h);
  return s.head->forward(h.mean(1));
}

std::vector<torch::Tensor> AsenModelImpl::forward_mixed(const std::vector<std::string>& structures,
                                                        const std::vector<torch::Tensor>& inputs) {
  if (structures.size() != inputs.size()) throw InputError("forward_mixed: one structure name per input");
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t k = 0; k < structures.size(); ++k) groups[structures[k]].push_back(k);
  std::vector<torch::Tensor> out(inputs.size());
  for (const auto& [name, members] : groups) {
    std::vector<torch::Tensor> batch;
    for (const auto k : members) batch.push_back(inputs[k].unsqueeze(0));
    const torch::Tensor y = forward(name, torch::cat(batch, 0));
    for (std::size_t m = 0; m < members.size(); ++m) out[members[m]] = y[static_cast<std::int64_t>(m)];
  }
  return out;
}

std::vector<torch::Tensor> AsenModelImpl::backbone_parameters() const { return backbone->parameters(); }

std::vector<torch::Tensor> AsenModelImpl::head_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& [name, s] : structures_) {
    for (const auto& p : s.head->parameters()) out.push_back(p);
    if (s.features)
      for (const auto& p : s.features->parameters()) out.push_back(p);
  }
  return out;
}

std::vector<torch::Tensor> AsenModelImpl::edge_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& [name, s] : structures_)
    for (const auto& p : s.edges->parameters()) out.push_back(p);
  return out;
}

std::vector<torch::Tensor> AsenModelImpl::token_parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& [name, s] : structures_)
    if (s.tokens)
      for (const auto& p : s.tokens->parameters()) out.push_back(p);
  return out;
}

void AsenModelImpl::to_device(const torch::Device& device) {
  device_ = device;
  to(device);
  for (auto& [name, s] : structures_) s.spec.input = s.spec.input.to(device);
}

}  // namespace asen::nn
