#include <asen/error.hpp>
#include <asen/graph/certificate.hpp>
#include <asen/nn/equivariance.hpp>

#include <algorithm>
#include <cmath>
#include <random>

namespace asen::nn {

torch::Tensor permute_nodes(const torch::Tensor& x, const algebra::Permutation& g) {
  // y[:, g(i)] = x[:, i]  <=>  y = x[:, g^-1]
  const algebra::Permutation inv = g.inverse();
  std::vector<std::int64_t> index(inv.images().begin(), inv.images().end());
  return x.index_select(1, torch::tensor(index, torch::kLong).to(x.device()));
}

namespace {

[[noreturn]] void not_finite(AsenModel& model, const std::string& structure) {
  std::int64_t bad = 0;
  std::int64_t total = 0;
  for (const auto& p : model->parameters()) {
    bad += (~torch::isfinite(p)).sum().item<std::int64_t>();
    total += p.numel();
  }
  throw InputError("the model's outputs for structure '" + structure +
                   "' are not finite (NaN or infinity) on random inputs, so its symmetry cannot be measured; " +
                   std::to_string(bad) + " of its " + std::to_string(total) +
                   " weights are NaN or infinite (a diverged training run: lower the learning rates or scale the "
                   "targets)");
}

double max_error(AsenModel& model, const std::string& structure, const torch::Tensor& x, const torch::Tensor& fx,
                 const algebra::Permutation& g) {
  const StructureSpec& spec = model->structure(structure);
  const torch::Tensor fgx = model->forward(structure, permute_nodes(x, g));
  const torch::Tensor expected = is_node_level(spec.kind) ? permute_nodes(fx, g) : fx;
  const double error = (fgx - expected).abs().max().item<double>();
  // max() over a tensor with a NaN may skip it: a model whose outputs are not
  // finite must not pass for an equivariant one.
  if (!std::isfinite(error) || !torch::isfinite(fgx).all().item<bool>()) not_finite(model, structure);
  return error;
}

}  // namespace

EquivarianceReport check_equivariance(AsenModel& model, const std::string& structure, const algebra::PermGroup& group,
                                      std::int64_t random, std::uint64_t seed) {
  const StructureSpec& spec = model->structure(structure);
  const std::int64_t n = spec.input.num_nodes();
  if (static_cast<std::int64_t>(group.degree()) != n)
    throw InputError("the group has degree " + std::to_string(group.degree()) + " but structure '" + structure +
                     "' has " + std::to_string(n) + " nodes");
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  // In double precision, so that float32 rounding (which grows with the size
  // of a trained model's outputs, to ~1e-5) does not blur "equivariant" and
  // "not equivariant". Afterwards every parameter and buffer gets its own
  // storage back (not a float copy: optimisers and views that hold it, such
  // as the training's flat buffers, stay attached).
  struct Restore {  // also when an error is thrown
    AsenModel& model;
    bool training;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> storage;  // tensor, its original data
    ~Restore() {
      for (auto& [tensor, data] : storage) tensor.set_data(data);
      if (training) model->train();
    }
  } restore{model, was_training, {}};
  for (const auto& p : model->parameters()) restore.storage.emplace_back(p, p.data());
  for (const auto& b : model->buffers()) restore.storage.emplace_back(b, b.data());
  model->to(torch::kDouble);
  torch::manual_seed(seed);
  const std::int64_t batch = 16;
  torch::Tensor x = spec.vocab > 0 ? torch::randint(spec.vocab, {batch, n}, torch::kLong)
                                   : torch::randn({batch, n, spec.in_features});
  x = x.to(model->device());
  const torch::Tensor fx = model->forward(structure, x);
  if (!torch::isfinite(fx).all().item<bool>()) not_finite(model, structure);

  EquivarianceReport report;
  const graph::Certificate cert = graph::certify(group, [] {
    graph::CertifyOptions o;
    o.canonical_hash = graph::HashPolicy::never;
    o.max_witnesses = 4;
    return o;
  }());
  report.group_order = cert.order;
  report.closure_order = cert.closure_order;

  std::vector<algebra::Permutation> inside = group.generators();
  for (const auto& g : group.random_elements(static_cast<std::size_t>(random), seed)) inside.push_back(g);
  for (const auto& g : inside) {
    report.inside_max_error = std::max(report.inside_max_error, max_error(model, structure, x, fx, g));
    ++report.inside_checks;
  }
  if (!cert.witnesses.empty()) {
    double worst = 0;
    for (const auto& w : cert.witnesses) worst = std::max(worst, max_error(model, structure, x, fx, w));
    report.closure_max_error = worst;
  }
  // Random permutations outside the closure (none exist when it is S_n).
  const algebra::PermGroup closure(group.degree(), cert.closure_generators, algebra::KnownOrder(cert.closure_order));
  if (cert.closure_order < algebra::factorial(group.degree())) {
    std::mt19937_64 rng(seed ^ 0x5eedULL);
    double worst = 0;
    std::int64_t found = 0;
    for (int tries = 0; tries < 1000 && found < random; ++tries) {
      std::vector<algebra::Point> images(group.degree());
      for (std::size_t i = 0; i < images.size(); ++i) images[i] = static_cast<algebra::Point>(i);
      std::shuffle(images.begin(), images.end(), rng);
      const algebra::Permutation p(images);
      if (closure.contains(p)) continue;
      worst = std::max(worst, max_error(model, structure, x, fx, p));
      ++found;
    }
    if (found > 0) {
      report.outside_max_error = worst;
      report.outside_checks = found;
    }
  }
  return report;
}

}  // namespace asen::nn
