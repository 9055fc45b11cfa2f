#include <asen/error.hpp>
#include <asen/interrupt.hpp>
#include <asen/graph/certificate.hpp>
#include <asen/nn/equivariance.hpp>
#include <asen/nn/seeded_generator.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <map>
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

// A copy of `model` with only `structure`, in double precision, in
// evaluation mode: the check never changes the model it measures (another
// thread may be using it), and float32 rounding (which grows with the size of
// a trained model's outputs, to ~1e-5) does not blur "equivariant" and "not
// equivariant".
AsenModel double_copy(const AsenModel& model, const std::string& structure) {
  AsenModel copy(nullptr);
  {
    const SeededGenerator keep_callers_stream(0);  // the copy's initial weights are overwritten
    copy = AsenModel(model->options);
    copy->add_structure(model->structure(structure));
  }
  torch::NoGradGuard no_grad;
  const auto params = model->named_parameters();
  for (auto& p : copy->named_parameters()) p.value().set_data(params[p.key()].detach().to(torch::kDouble));
  const auto buffers = model->named_buffers();
  for (auto& b : copy->named_buffers()) {
    const torch::Tensor& original = buffers[b.key()];
    b.value().set_data(original.is_floating_point() ? original.detach().to(torch::kDouble) : original.detach().clone());
  }
  copy->to_device(model->device());
  copy->eval();
  return copy;
}

// The largest |f(g.x) - g.f(x)| over `perms`, a chunk of them per forward pass.
double max_error(AsenModel& model, const std::string& structure, const torch::Tensor& x, const torch::Tensor& fx,
                 const std::vector<algebra::Permutation>& perms) {
  const StructureSpec& spec = model->structure(structure);
  const std::int64_t n = spec.input.num_nodes();
  // About 2^18 (sample, arc, channel) triples per pass: the composed dense
  // attention's [B, N, N, hidden] terms, 2 MiB each in double precision (more
  // is slower per sample: they leave the cache).
  const std::int64_t per_perm = std::max<std::int64_t>(1, x.size(0) * n * n * model->options.hidden());
  const auto per_pass = static_cast<std::size_t>(std::max<std::int64_t>(1, (std::int64_t{1} << 18) / per_perm));
  double worst = 0;
  for (std::size_t begin = 0; begin < perms.size(); begin += per_pass) {
    throw_if_interrupted("the equivariance check");
    const std::size_t end = std::min(perms.size(), begin + per_pass);
    std::vector<torch::Tensor> inputs;
    std::vector<torch::Tensor> expected;
    for (std::size_t k = begin; k < end; ++k) {
      inputs.push_back(permute_nodes(x, perms[k]));
      expected.push_back(is_node_level(spec.kind) ? permute_nodes(fx, perms[k]) : fx);
    }
    const torch::Tensor fgx = model->forward(structure, torch::cat(inputs));
    const double error = (fgx - torch::cat(expected)).abs().max().item<double>();
    // max() over a tensor with a NaN may skip it: a model whose outputs are
    // not finite must not pass for an equivariant one.
    if (!std::isfinite(error) || !torch::isfinite(fgx).all().item<bool>()) not_finite(model, structure);
    worst = std::max(worst, error);
  }
  return worst;
}

// Random permutations of `degree` points in none of `groups`: up to `count`,
// from at most max(1000, 2 count) tries (fewer when the groups hold most
// permutations).
std::vector<algebra::Permutation> random_outside(std::size_t degree, const std::vector<const algebra::PermGroup*>& groups,
                                                 std::int64_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed ^ 0x5eedULL);
  std::vector<algebra::Permutation> outside;
  const std::int64_t max_tries = std::max<std::int64_t>(1000, 2 * count);
  for (std::int64_t tries = 0; tries < max_tries && static_cast<std::int64_t>(outside.size()) < count; ++tries) {
    if ((tries & 63) == 0) throw_if_interrupted("the equivariance check");
    std::vector<algebra::Point> images(degree);
    for (std::size_t i = 0; i < images.size(); ++i) images[i] = static_cast<algebra::Point>(i);
    std::shuffle(images.begin(), images.end(), rng);
    algebra::Permutation p(images);
    if (std::none_of(groups.begin(), groups.end(), [&](const algebra::PermGroup* g) { return g->contains(p); }))
      outside.push_back(std::move(p));
  }
  return outside;
}

}  // namespace

graph::ColoredDigraph seen_by_layers(const BreakingInput& input) {
  const std::int64_t n = input.num_nodes();
  const torch::Tensor index = input.edge_index().to(torch::kCPU).contiguous();
  const torch::Tensor color = input.edge_color().to(torch::kCPU).contiguous();
  const torch::Tensor degree = input.in_degree().to(torch::kCPU).to(torch::kLong).contiguous();
  const std::int64_t edges = input.num_edges();
  const auto* source = index.data_ptr<std::int64_t>();
  const auto* target = source + edges;
  const auto* colors = color.data_ptr<std::int64_t>();
  const auto* in_degree = degree.data_ptr<std::int64_t>();
  // The colours on each pair (several when an edge is repeated: a repeated
  // edge weighs more in the softmax, so its colours count as a multiset).
  std::map<std::pair<algebra::Point, algebra::Point>, std::vector<std::int64_t>> pairs;
  for (std::int64_t e = 0; e < edges; ++e) {
    // A target with one incoming edge gives it weight 1 whatever its colour.
    const std::int64_t c = in_degree[target[e]] == 1 ? -1 : colors[e];
    pairs[{static_cast<algebra::Point>(source[e]), static_cast<algebra::Point>(target[e])}].push_back(c);
  }
  std::map<std::vector<std::int64_t>, std::int32_t> ids;
  auto id_of = [&ids](std::vector<std::int64_t> key) {
    std::sort(key.begin(), key.end());
    return ids.emplace(std::move(key), static_cast<std::int32_t>(ids.size())).first->second;
  };
  std::vector<std::int32_t> vertex_colors(static_cast<std::size_t>(n), id_of({-2}));  // no loop
  std::vector<graph::Arc> arcs;
  for (auto& [pair, list] : pairs) {
    const std::int32_t id = id_of(std::move(list));
    if (pair.first == pair.second)
      vertex_colors[pair.first] = id;
    else
      arcs.push_back({pair.first, pair.second, id});
  }
  return graph::ColoredDigraph(static_cast<std::size_t>(n), std::move(vertex_colors), std::move(arcs));
}

EquivarianceReport check_equivariance(AsenModel& model, const std::string& structure, const algebra::PermGroup& group,
                                      std::int64_t random, std::uint64_t seed) {
  // Each element is a forward pass; far more would only exhaust memory.
  constexpr std::int64_t kMaxRandom = 100000;
  if (random < 0 || random > kMaxRandom)
    throw InputError("the number of random elements must be in [0, " + std::to_string(kMaxRandom) + "], got " +
                     std::to_string(random));
  const StructureSpec& spec = model->structure(structure);
  const std::int64_t n = spec.input.num_nodes();
  if (static_cast<std::int64_t>(group.degree()) != n)
    throw InputError("the group has degree " + std::to_string(group.degree()) + " but structure '" + structure +
                     "' has " + std::to_string(n) + " nodes");
  torch::NoGradGuard no_grad;
  AsenModel copy = double_copy(model, structure);
  // Inputs from a generator of their own: the caller's random stream is untouched.
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  const std::int64_t batch = 16;
  torch::Tensor x = spec.vocab > 0 ? torch::randint(spec.vocab, {batch, n}, generator, torch::kLong)
                                   : torch::randn({batch, n, spec.in_features}, generator);
  x = x.to(copy->device());
  const torch::Tensor fx = copy->forward(structure, x);
  if (!torch::isfinite(fx).all().item<bool>()) not_finite(copy, structure);

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
  report.inside_max_error = max_error(copy, structure, x, fx, inside);
  report.inside_checks = static_cast<std::int64_t>(inside.size());
  if (!cert.witnesses.empty()) report.closure_max_error = max_error(copy, structure, x, fx, cert.witnesses);
  // The symmetry of the breaking input itself, which the layers cannot
  // break: G^(2) for the orbital colouring of every pair; a sparse input (or
  // one given as tensors) may have more.
  const graph::AutomorphismGroup seen = graph::automorphism_group(seen_by_layers(spec.input));
  const algebra::PermGroup input_group = seen.group();
  report.input_symmetry_order = seen.order;
  const algebra::PermGroup closure(group.degree(), cert.closure_generators, algebra::KnownOrder(cert.closure_order));
  std::vector<algebra::Permutation> beyond;
  for (const auto& g : seen.generators)
    if (!closure.contains(g)) beyond.push_back(g);
  if (!beyond.empty())
    for (const auto& g : input_group.random_elements(static_cast<std::size_t>(random), seed ^ 0x1a2b3cULL))
      if (!closure.contains(g)) beyond.push_back(g);
  if (!beyond.empty()) {
    report.input_symmetry_max_error = max_error(copy, structure, x, fx, beyond);
    report.input_symmetry_checks = static_cast<std::int64_t>(beyond.size());
  }
  // Random permutations outside both (none exist when G^(2) is S_n).
  if (cert.closure_order < algebra::factorial(group.degree())) {
    const auto outside = random_outside(group.degree(), {&closure, &input_group}, random, seed);
    if (!outside.empty()) {
      report.outside_max_error = max_error(copy, structure, x, fx, outside);
      report.outside_checks = static_cast<std::int64_t>(outside.size());
    }
  }
  return report;
}

}  // namespace asen::nn
