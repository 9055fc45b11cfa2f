#include <asen/error.hpp>
#include <asen/nn/discover.hpp>

#include <asen/algebra/orbitals.hpp>
#include <asen/graph/automorphisms.hpp>
#include <asen/graph/certificate.hpp>
#include <asen/graph/colored_digraph.hpp>
#include <asen/nn/tasks.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <tuple>

namespace asen::nn {
namespace {

using algebra::BigInt;
using algebra::Permutation;
using algebra::PermGroup;

// Per colour: whether it colours self-loops (bit 0) and arcs (bit 1).
constexpr int kOnLoop = 1;
constexpr int kOnArc = 2;

class UnionFind {
 public:
  explicit UnionFind(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), std::size_t{0}); }
  std::size_t find(std::size_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  // The smaller root wins, so a cluster's root is its smallest member.
  void unite(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    if (b < a) std::swap(a, b);
    parent_[b] = a;
  }

 private:
  std::vector<std::size_t> parent_;
};

// The breaking input's edges on the CPU: source, target, colour.
struct Edges {
  std::vector<std::int64_t> source, target, color;
};

Edges edges_of(const BreakingInput& input) {
  const torch::Tensor index = input.edge_index().to(torch::kCPU).contiguous();
  const torch::Tensor color = input.edge_color().to(torch::kCPU).contiguous();
  const std::int64_t e = input.num_edges();
  Edges out;
  out.source.assign(index.data_ptr<std::int64_t>(), index.data_ptr<std::int64_t>() + e);
  out.target.assign(index.data_ptr<std::int64_t>() + e, index.data_ptr<std::int64_t>() + 2 * e);
  out.color.assign(color.data_ptr<std::int64_t>(), color.data_ptr<std::int64_t>() + e);
  return out;
}

// The breaking input as a coloured digraph whose colour c is relabelled
// relabel[c]; a vertex without a self-loop gets a colour of its own kind.
graph::ColoredDigraph colored_digraph(const Edges& edges, std::int64_t num_nodes,
                                      const std::vector<std::int64_t>& relabel) {
  const auto no_loop = static_cast<std::int32_t>(relabel.empty() ? 0 : *std::max_element(relabel.begin(), relabel.end()) + 1);
  std::vector<std::int32_t> vertex_colors(static_cast<std::size_t>(num_nodes), no_loop);
  std::vector<graph::Arc> arcs;
  arcs.reserve(edges.color.size());
  for (std::size_t e = 0; e < edges.color.size(); ++e) {
    const auto c = static_cast<std::int32_t>(relabel[static_cast<std::size_t>(edges.color[e])]);
    if (edges.source[e] == edges.target[e])
      vertex_colors[static_cast<std::size_t>(edges.source[e])] = c;
    else
      arcs.push_back({static_cast<graph::Point>(edges.source[e]), static_cast<graph::Point>(edges.target[e]), c});
  }
  return graph::ColoredDigraph(static_cast<std::size_t>(num_nodes), std::move(vertex_colors), std::move(arcs));
}

// Whether p maps every coloured pair (loops included) to a pair of the same
// colour; `sorted` holds (source, target, colour), sorted.
bool preserves(const std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>>& sorted, const Permutation& p) {
  for (const auto& [s, t, c] : sorted) {
    const auto key = std::make_tuple(static_cast<std::int64_t>(p[static_cast<graph::Point>(s)]),
                                     static_cast<std::int64_t>(p[static_cast<graph::Point>(t)]), std::int64_t{0});
    const auto it = std::lower_bound(sorted.begin(), sorted.end(), key);
    if (it == sorted.end() || std::get<0>(*it) != std::get<0>(key) || std::get<1>(*it) != std::get<1>(key) ||
        std::get<2>(*it) != c)
      return false;
  }
  return true;
}

ReferenceGroup reference(const std::string& spec, const PermGroup& group) {
  ReferenceGroup r;
  r.spec = spec;
  r.order = group.order();
  r.closure_order = graph::certify(group).closure_order;
  return r;
}

void check_degree(const PermGroup& group, std::int64_t n, const std::string& what) {
  if (static_cast<std::int64_t>(group.degree()) != n)
    throw InputError(what + " acts on " + std::to_string(group.degree()) + " points, but the breaking input has " +
                     std::to_string(n) + " nodes");
}

}  // namespace

const char* to_string(ColorFeature feature) {
  switch (feature) {
    case ColorFeature::embedding:
      return "embedding";
    case ColorFeature::projected:
      return "projected";
  }
  return "unknown";
}

ColorFeature parse_color_feature(const std::string& text) {
  if (text == "embedding") return ColorFeature::embedding;
  if (text == "projected") return ColorFeature::projected;
  throw InputError("unknown colour feature '" + text + "'; expected embedding or projected");
}

Discovery discover_symmetry(const BreakingInput& input, const torch::Tensor& color_features,
                            const DiscoverOptions& options) {
  if (!(options.threshold >= 0) || !std::isfinite(options.threshold))
    throw InputError("the merge threshold must be a finite number >= 0, got " + std::to_string(options.threshold));
  const std::int64_t k = input.num_colors();
  const std::int64_t n = input.num_nodes();
  if (!color_features.defined() || color_features.dim() != 2 || color_features.size(0) != k)
    throw InputError("discovery needs one feature row per colour: a [" + std::to_string(k) + ", D] tensor");
  const torch::Tensor f = color_features.detach().to(torch::kCPU, torch::kDouble).contiguous();
  if (!torch::isfinite(f).all().item<bool>()) throw InputError("the colour features hold NaN or infinite values");

  Discovery out;
  out.num_nodes = n;
  out.num_colors = k;
  out.threshold = options.threshold;
  out.feature = options.feature;

  // Which colours colour loops, which arcs, and which nothing (orbitals
  // that miss a sparse input's base graph: their embeddings never train).
  const Edges edges = edges_of(input);
  const auto ku = static_cast<std::size_t>(k);
  std::vector<int> kind(ku, 0);
  out.representatives.assign(ku, {-1, -1});
  for (std::size_t e = 0; e < edges.color.size(); ++e) {
    const auto c = static_cast<std::size_t>(edges.color[e]);
    kind[c] |= edges.source[e] == edges.target[e] ? kOnLoop : kOnArc;
    if (out.representatives[c].first < 0) out.representatives[c] = {edges.source[e], edges.target[e]};
  }
  for (std::size_t c = 0; c < ku; ++c)
    if (kind[c] == 0) out.unused_colors.push_back(static_cast<std::int64_t>(c));

  // Distances, and the scale s = sqrt(mean d^2) over the ordered pairs of
  // used colours.
  const torch::Tensor d = torch::cdist(f.unsqueeze(0), f.unsqueeze(0)).squeeze(0).contiguous();
  out.distances.assign(ku, std::vector<double>(ku, 0.0));
  double sum_squares = 0;
  for (std::size_t a = 0; a < ku; ++a)
    for (std::size_t b = 0; b < ku; ++b) {
      // cdist's rounding leaves tiny non-zeros on the diagonal; exact there.
      const double value = a == b ? 0.0 : d[static_cast<std::int64_t>(a)][static_cast<std::int64_t>(b)].item<double>();
      out.distances[a][b] = value;
      if (kind[a] != 0 && kind[b] != 0) sum_squares += value * value;
    }
  const auto used = static_cast<double>(ku - out.unused_colors.size());
  out.scale = used > 0 ? std::sqrt(sum_squares / (used * used)) : 0.0;

  // Single linkage within each kind; unused colours join no cluster.
  const double limit = options.threshold * out.scale;
  UnionFind sets(ku);
  for (std::size_t a = 0; a < ku; ++a)
    for (std::size_t b = a + 1; b < ku; ++b)
      if (kind[a] != 0 && kind[a] == kind[b] && out.distances[a][b] <= limit) sets.unite(a, b);
  std::vector<std::int64_t> cluster_of_root(ku, -1);
  out.cluster_of.assign(ku, -1);
  for (std::size_t c = 0; c < ku; ++c) {
    if (kind[c] == 0) continue;
    const std::size_t root = sets.find(c);
    if (cluster_of_root[root] < 0) {
      cluster_of_root[root] = static_cast<std::int64_t>(out.clusters.size());
      out.clusters.emplace_back();
    }
    out.cluster_of[c] = cluster_of_root[root];
    out.clusters[static_cast<std::size_t>(out.cluster_of[c])].push_back(static_cast<std::int64_t>(c));
  }
  out.merged_rank = static_cast<std::int64_t>(out.clusters.size());

  // The automorphism groups of the trained and of the merged colouring.
  std::vector<std::int64_t> identity(ku);
  std::iota(identity.begin(), identity.end(), std::int64_t{0});
  graph::AutomorphismOptions search;
  search.backend = options.backend;
  const graph::AutomorphismGroup trained = graph::automorphism_group(colored_digraph(edges, n, identity), search);
  out.trained_closure_order = trained.order;
  // The merged colouring's group contains the trained one: its order divides.
  search.order_divisor = trained.order;
  out.discovered = graph::automorphism_group(colored_digraph(edges, n, out.cluster_of), search);
  out.larger_than_trained = out.discovered.order > trained.order;

  std::vector<std::tuple<std::int64_t, std::int64_t, std::int64_t>> merged;
  merged.reserve(edges.color.size());
  for (std::size_t e = 0; e < edges.color.size(); ++e)
    merged.emplace_back(edges.source[e], edges.target[e], out.cluster_of[static_cast<std::size_t>(edges.color[e])]);
  std::sort(merged.begin(), merged.end());

  if (options.trained_group) {
    check_degree(*options.trained_group, n, "the trained group");
    for (const auto& g : options.trained_group->generators())
      if (!preserves(merged, g))
        throw Error("internal error: a generator of the trained group does not preserve the merged colouring");
    ReferenceGroup r;
    r.order = options.trained_group->order();
    r.closure_order = trained.order;
    out.trained_group = r;
  }
  out.contains_trained_group = true;

  if (options.true_group && !options.true_group->empty()) {
    PermGroup truth;
    graph::register_graph_specs();  // "graph:FILE", from a C++ program or the Python module too
    try {
      truth = PermGroup::parse(*options.true_group);
    } catch (const InputError& e) {
      throw InputError("the true group '" + *options.true_group + "': " + e.what());
    }
    // A spec of fewer points (cycle notation) fixes the others; as in
    // training, more likely a slip ('S(3)' for 'S(10)') when written by name,
    // so said in a note.
    if (static_cast<std::int64_t>(truth.degree()) < n) {
      out.notes.push_back("the true group '" + *options.true_group + "' acts on " +
                          std::to_string(truth.degree()) + " points and the structure has " + std::to_string(n) +
                          " nodes: the other " + std::to_string(n - static_cast<std::int64_t>(truth.degree())) +
                          " points are fixed (give a group on " + std::to_string(n) +
                          " points unless that is meant)");
      truth = truth.extended(static_cast<std::size_t>(n));
    }
    check_degree(truth, n, "the true group " + *options.true_group);
    out.true_group = reference(*options.true_group, truth);
    const PermGroup found = out.discovered.group();
    const auto all_in = [](const std::vector<Permutation>& gens, const auto& member) {
      return std::all_of(gens.begin(), gens.end(), member);
    };
    const bool truth_in_found = all_in(truth.generators(), [&](const Permutation& p) { return preserves(merged, p); });
    const bool found_in_truth =
        all_in(found.generators(), [&](const Permutation& p) { return truth.contains(p); });
    out.equals_true_group = out.discovered.order == out.true_group->order && truth_in_found && found_in_truth;
    // The 2-closure of the truth is Aut of its orbital colouring.
    const algebra::Orbitals orbitals = algebra::Orbitals::compute(truth);
    const bool found_in_closure =
        all_in(found.generators(), [&](const Permutation& p) { return graph::preserves(orbitals, p); });
    out.equals_true_closure = out.discovered.order == out.true_group->closure_order && truth_in_found && found_in_closure;
  }
  return out;
}

Discovery discover_symmetry(AsenModel& model, const std::string& structure, const DiscoverOptions& options) {
  const StructureSpec& spec = model->structure(structure);  // throws for an unknown name
  torch::Tensor features;
  {
    torch::NoGradGuard no_grad;
    const std::string key = "edges_" + structure + ".embedding.weight";
    const auto parameters = model->named_parameters();
    const torch::Tensor* embedding = parameters.find(key);
    if (embedding == nullptr) throw Error("internal error: structure '" + structure + "' has no colour embedding");
    features = embedding->detach().to(torch::kCPU, torch::kDouble);
    if (options.feature == ColorFeature::projected) {
      std::vector<torch::Tensor> parts;
      for (const auto& conv : *model->backbone->convs) {
        const auto* layer = conv->as<GATv2ConvImpl>();
        parts.push_back(torch::matmul(features, layer->lin_edge->weight.detach().to(torch::kCPU, torch::kDouble).t()));
      }
      features = torch::cat(parts, 1);
    }
  }

  DiscoverOptions resolved = options;
  const std::int64_t n = spec.input.num_nodes();
  std::string trained_spec;
  bool synthetic = true;  // not trained on a user's data or a breaking input given as tensors
  if (!spec.description.empty()) {
    const auto description = nlohmann::json::parse(spec.description, nullptr, false);
    if (!description.is_discarded() && (description.contains("data") || description.contains("breaking_input")))
      synthetic = false;
    if (!description.is_discarded() && description.contains("generators")) {
      trained_spec = description.value("group", "");
      if (!resolved.trained_group) {
        std::vector<Permutation> generators;
        for (const auto& g : description.at("generators")) generators.emplace_back(g.get<std::vector<graph::Point>>());
        resolved.trained_group = PermGroup(static_cast<std::size_t>(n), std::move(generators));
      }
    }
  }
  if (!resolved.true_group && synthetic) {
    // Only a structure that is the synthetic task of its name (same kind and
    // sizes): a user's data named "palindrome" has no known true group.
    const std::vector<std::string> names = task_names();
    if (std::find(names.begin(), names.end(), structure) != names.end()) {
      try {
        const TaskInfo info = task_info(structure, n);
        if (info.kind == spec.kind && info.vocab == spec.vocab && info.out_dim == spec.out_dim)
          resolved.true_group = info.group;
      } catch (const InputError&) {
        // the task does not exist at this length: nothing to compare with
      }
    }
  }
  Discovery out = discover_symmetry(spec.input, features, resolved);
  out.structure = structure;
  if (out.trained_group) out.trained_group->spec = options.trained_group ? "" : trained_spec;
  return out;
}

}  // namespace asen::nn
