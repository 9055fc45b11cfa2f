#include <asen/error.hpp>
#include <asen/nn/model.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <mutex>

namespace asen::nn {

// Inverted dropout (zero with probability p, scale the rest by 1/(1-p)), as
// torch::dropout, with a faster mask on CPU: torch 1.13 draws one number per
// element from its generator (a third of the forward pass at n = 10, measured),
// while this draws one seed from torch's default generator (so torch's seed
// and the checkpointed RNG state still make runs reproducible) and expands it
// with a counter-based hash, two 32-bit draws per 64-bit hash.
namespace {

std::uint64_t mix(std::uint64_t z) {  // SplitMix64's output function
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

}  // namespace

torch::Tensor inverted_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p <= 0) return x;
  if (p >= 1 || !x.device().is_cpu() || x.scalar_type() != torch::kFloat) return torch::dropout(x, p, true);
  std::uint64_t seed = 0;
  {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    const std::lock_guard<std::mutex> lock(generator.mutex());
    seed = at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
  }
  torch::Tensor mask = torch::empty(x.sizes(), x.options().requires_grad(false));
  float* m = mask.data_ptr<float>();
  const std::int64_t count = mask.numel();
  const auto threshold = static_cast<std::uint32_t>(std::min(p * 4294967296.0, 4294967295.0));
  const auto keep = static_cast<float>(1.0 / (1.0 - p));
  for (std::int64_t i = 0; i < count; i += 2) {
    const std::uint64_t bits = mix(seed + static_cast<std::uint64_t>(i) * 0x9e3779b97f4a7c15ULL);
    m[i] = static_cast<std::uint32_t>(bits) >= threshold ? keep : 0.0F;
    if (i + 1 < count) m[i + 1] = static_cast<std::uint32_t>(bits >> 32U) >= threshold ? keep : 0.0F;
  }
  return x * mask;
}

BackboneImpl::BackboneImpl(const BackboneOptions& options_) : options(options_) { reset(); }

void BackboneImpl::reset() {
  if (options.hidden() <= 0 || options.layers() <= 0) throw InputError("the backbone needs a positive size and depth");
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

torch::Tensor BackboneImpl::forward(torch::Tensor h, const BreakingInput& graph, const torch::Tensor& color_features) {
  for (std::int64_t k = 0; k < options.layers(); ++k) {
    const auto k_ = static_cast<std::size_t>(k);
    torch::Tensor z = convs[k_]->as<GATv2ConvImpl>()->forward(h, graph, color_features);
    z = projections[k_]->as<torch::nn::LinearImpl>()->forward(z);
    z = norms[k_]->as<torch::nn::LayerNormImpl>()->forward(z);
    z = torch::relu(z);
    z = inverted_dropout(z, options.dropout(), is_training());
    h = h + z;
  }
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
  const std::int64_t hidden = options.hidden();
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
    h = s.tokens(x.to(device_, torch::kLong));
  } else {
    if (x.dim() != 3 || x.size(1) != n)
      throw InputError("structure '" + name + "' takes features of shape [B, " + std::to_string(n) + ", " +
                       std::to_string(s.spec.in_features) + "]");
    h = s.features(x.to(device_));
  }
  h = backbone->forward(h, s.spec.input, s.edges->forward());
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

std::vector<torch::Tensor> AsenModelImpl::backbone_parameters() const {
  std::vector<torch::Tensor> out = backbone->parameters();
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
