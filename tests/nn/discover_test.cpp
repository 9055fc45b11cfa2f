#include <asen/error.hpp>
#include <asen/graph/certificate.hpp>
#include <asen/nn/discover.hpp>
#include <asen/nn/model.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

using asen::algebra::BigInt;
using asen::algebra::PermGroup;
using asen::nn::BreakingInput;
using asen::nn::ColorFeature;
using asen::nn::DiscoverOptions;
using asen::nn::Discovery;

namespace {

// Colour features: row c is 10 * e_{label[c]} (+ a small offset per colour),
// so colours with the same label are `jitter` apart and others ~14 apart.
torch::Tensor features_by_label(const std::vector<int>& label, double jitter = 0.0) {
  const auto k = static_cast<std::int64_t>(label.size());
  torch::Tensor f = torch::zeros({k, k + 1}, torch::kDouble);
  for (std::int64_t c = 0; c < k; ++c) {
    f[c][label[static_cast<std::size_t>(c)]] = 10.0;
    f[c][k] = jitter * static_cast<double>(c);  // distinct, tiny spread along one axis
  }
  return f;
}

// The label of each colour of `trained` is the colour its representative pair
// has in the orbitals of `coarser` (a group containing `trained`).
std::vector<int> labels_from(const BreakingInput& trained, const std::string& coarser) {
  const PermGroup g = PermGroup::parse(coarser, static_cast<std::size_t>(trained.num_nodes()));
  const asen::algebra::Orbitals orbitals = asen::algebra::Orbitals::compute(g);
  std::vector<int> label(static_cast<std::size_t>(trained.num_colors()), -1);
  const torch::Tensor index = trained.edge_index();
  const torch::Tensor color = trained.edge_color();
  for (std::int64_t e = 0; e < trained.num_edges(); ++e) {
    const auto c = static_cast<std::size_t>(color[e].item<std::int64_t>());
    const auto s = static_cast<asen::algebra::Point>(index[0][e].item<std::int64_t>());
    const auto t = static_cast<asen::algebra::Point>(index[1][e].item<std::int64_t>());
    label[c] = orbitals.color(s, t);
  }
  return label;
}

DiscoverOptions with_groups(const std::string& trained, std::size_t n, const std::string& truth) {
  DiscoverOptions o;
  o.trained_group = PermGroup::parse(trained, n);
  o.true_group = truth;
  return o;
}

}  // namespace

TEST(Discover, EqualEmbeddingsOfColoursTheWreathProductPairsGiveOrder28800) {
  const BreakingInput input = BreakingInput::for_group(PermGroup::parse("S(5)*S(5)"));
  ASSERT_EQ(input.num_colors(), 6);
  const std::vector<int> label = labels_from(input, "wreath(S(5),S(2))");
  const Discovery d = asen::nn::discover_symmetry(input, features_by_label(label),
                                                  with_groups("S(5)*S(5)", 10, "wreath(S(5),S(2))"));
  EXPECT_EQ(d.merged_rank, 3);
  EXPECT_EQ(d.discovered.order, BigInt(28800));
  // the graph layer's (and the algebra layer's) order of the wreath product
  EXPECT_EQ(d.discovered.order, asen::graph::certify(PermGroup::parse("wreath(S(5),S(2))")).closure_order);
  EXPECT_EQ(d.discovered.order, PermGroup::parse("wreath(S(5),S(2))").order());
  EXPECT_TRUE(d.contains_trained_group);
  EXPECT_TRUE(d.larger_than_trained);
  EXPECT_EQ(d.trained_closure_order, BigInt(14400));
  ASSERT_TRUE(d.trained_group.has_value());
  EXPECT_EQ(d.trained_group->order, BigInt(14400));
  ASSERT_TRUE(d.true_group.has_value());
  EXPECT_EQ(d.true_group->order, BigInt(28800));
  EXPECT_EQ(d.equals_true_group, std::optional<bool>(true));
  EXPECT_EQ(d.equals_true_closure, std::optional<bool>(true));
  // the clusters are the wreath product's orbitals, each of two colours
  for (const auto& cluster : d.clusters) {
    ASSERT_EQ(cluster.size(), 2U);
    EXPECT_EQ(label[static_cast<std::size_t>(cluster[0])], label[static_cast<std::size_t>(cluster[1])]);
  }
  // the swap of the halves is a discovered symmetry
  const PermGroup found = d.discovered.group();
  EXPECT_TRUE(found.contains(asen::algebra::Permutation::parse_cycles("(1,6)(2,7)(3,8)(4,9)(5,10)")));
}

TEST(Discover, DistinctEmbeddingsGiveTheTrainedGroupAndNotTheTrueOne) {
  const BreakingInput input = BreakingInput::for_group(PermGroup::parse("S(5)*S(5)"));
  const Discovery d = asen::nn::discover_symmetry(input, features_by_label({0, 1, 2, 3, 4, 5}),
                                                  with_groups("S(5)*S(5)", 10, "wreath(S(5),S(2))"));
  EXPECT_EQ(d.merged_rank, 6);
  EXPECT_EQ(d.discovered.order, BigInt(14400));
  EXPECT_FALSE(d.larger_than_trained);
  EXPECT_EQ(d.equals_true_group, std::optional<bool>(false));
  EXPECT_EQ(d.equals_true_closure, std::optional<bool>(false));
  // all six at the same distance 10 * sqrt(2): the scale is the RMS over the 36 ordered pairs
  EXPECT_NEAR(d.distances[0][1], 10.0 * std::sqrt(2.0), 1e-9);
  EXPECT_EQ(d.distances[2][2], 0.0);
  EXPECT_NEAR(d.scale, std::sqrt(30.0 * 200.0 / 36.0), 1e-9);
}

TEST(Discover, ThresholdDecidesWhichNearPairsMerge) {
  const BreakingInput input = BreakingInput::for_group(PermGroup::parse("S(5)*S(5)"));
  const std::vector<int> label = labels_from(input, "wreath(S(5),S(2))");
  // the pairs are jitter * |a - b| apart, at most 0.5, against ~14 between labels
  const torch::Tensor f = features_by_label(label, 0.1);
  DiscoverOptions o = with_groups("S(5)*S(5)", 10, "wreath(S(5),S(2))");
  o.threshold = 0.0;
  EXPECT_EQ(asen::nn::discover_symmetry(input, f, o).merged_rank, 6);
  o.threshold = 0.3;
  const Discovery d = asen::nn::discover_symmetry(input, f, o);
  EXPECT_EQ(d.merged_rank, 3);
  EXPECT_EQ(d.discovered.order, BigInt(28800));
  // a threshold above every distance merges all colours of each kind: the
  // loop colours, and the arc colours, which gives S(10)
  o.threshold = 10.0;
  const Discovery all = asen::nn::discover_symmetry(input, f, o);
  EXPECT_EQ(all.merged_rank, 2);
  EXPECT_EQ(all.discovered.order, BigInt(3628800));
  EXPECT_EQ(all.equals_true_group, std::optional<bool>(false));
}

TEST(Discover, LoopColoursNeverMergeWithArcColours) {
  // trivial(3): 3 loop colours and 6 arc colours, all features equal
  const BreakingInput input = BreakingInput::for_group(PermGroup::parse("trivial(3)"));
  ASSERT_EQ(input.num_colors(), 9);
  DiscoverOptions o;
  o.true_group = "";
  const Discovery d = asen::nn::discover_symmetry(input, torch::ones({9, 4}), o);
  EXPECT_EQ(d.scale, 0.0);
  EXPECT_EQ(d.merged_rank, 2);
  EXPECT_EQ(d.discovered.order, BigInt(6));
  for (const auto& cluster : d.clusters) {
    const bool loop = d.representatives[static_cast<std::size_t>(cluster[0])].first ==
                      d.representatives[static_cast<std::size_t>(cluster[0])].second;
    for (const auto c : cluster) {
      const auto& [s, t] = d.representatives[static_cast<std::size_t>(c)];
      EXPECT_EQ(s == t, loop);
    }
  }
  EXPECT_FALSE(d.true_group.has_value());
  EXPECT_FALSE(d.equals_true_group.has_value());
}

TEST(Discover, ComparesWithTheTwoClosureOfATrueGroupThatIsNotTwoClosed) {
  // A(5) is not 2-closed: its 2-closure is S(5). A trivial(5) model whose
  // loop colours agree and whose arc colours agree shows S(5).
  const BreakingInput input = BreakingInput::for_group(PermGroup::parse("trivial(5)"));
  std::vector<int> label(25);
  for (std::int64_t e = 0; e < input.num_edges(); ++e) {
    const auto c = static_cast<std::size_t>(input.edge_color()[e].item<std::int64_t>());
    label[c] = input.edge_index()[0][e].item<std::int64_t>() == input.edge_index()[1][e].item<std::int64_t>() ? 0 : 1;
  }
  const Discovery d =
      asen::nn::discover_symmetry(input, features_by_label(label), with_groups("trivial(5)", 5, "A(5)"));
  EXPECT_EQ(d.discovered.order, BigInt(120));
  ASSERT_TRUE(d.true_group.has_value());
  EXPECT_EQ(d.true_group->order, BigInt(60));
  EXPECT_EQ(d.true_group->closure_order, BigInt(120));
  EXPECT_EQ(d.equals_true_group, std::optional<bool>(false));
  EXPECT_EQ(d.equals_true_closure, std::optional<bool>(true));
}

TEST(Discover, SparseInputKeepsOnlyTheBaseGraphsArcs) {
  // trivial(6) on the 6-cycle: every arc its own colour; merged, the
  // symmetry is that of the cycle, D(6) of order 12 (not S(6)).
  std::vector<std::pair<asen::algebra::Point, asen::algebra::Point>> edges;
  for (asen::algebra::Point v = 0; v < 6; ++v) edges.emplace_back(v, (v + 1) % 6);
  const asen::graph::BaseGraph cycle(6, edges, false);
  const BreakingInput input =
      BreakingInput::for_group(PermGroup::parse("trivial(6)"), asen::graph::BreakingMode::sparse, &cycle);
  DiscoverOptions o = with_groups("trivial(6)", 6, "D(6)");
  const Discovery d = asen::nn::discover_symmetry(input, torch::zeros({input.num_colors(), 3}), o);
  EXPECT_EQ(d.discovered.order, BigInt(12));
  EXPECT_EQ(d.equals_true_group, std::optional<bool>(true));
}

TEST(Discover, ColoursNoEdgeCarriesAreLeftOutOfTheScaleAndTheClusters) {
  // D(6) on the 6-cycle: its 4 orbitals are the diagonal, the cycle's edges
  // and the pairs at distance 2 and 3; a sparse input carries only the first
  // two. The untrained embeddings of the other two, however far off, change
  // neither the scale nor the clusters.
  std::vector<std::pair<asen::algebra::Point, asen::algebra::Point>> edges;
  for (asen::algebra::Point v = 0; v < 6; ++v) edges.emplace_back(v, (v + 1) % 6);
  const asen::graph::BaseGraph cycle(6, edges, false);
  const BreakingInput input =
      BreakingInput::for_group(PermGroup::parse("D(6)"), asen::graph::BreakingMode::sparse, &cycle);
  ASSERT_EQ(input.num_colors(), 4);
  std::vector<bool> used(4, false);
  const torch::Tensor color = input.edge_color();
  for (std::int64_t e = 0; e < input.num_edges(); ++e) used[static_cast<std::size_t>(color[e].item<std::int64_t>())] = true;
  torch::Tensor f = torch::zeros({4, 2}, torch::kDouble);
  std::vector<std::int64_t> unused;
  for (std::int64_t c = 0; c < 4; ++c) {
    if (used[static_cast<std::size_t>(c)]) {
      f[c][0] = static_cast<double>(c);
    } else {
      f[c][1] = 1000.0 * static_cast<double>(c + 1);
      unused.push_back(c);
    }
  }
  ASSERT_EQ(unused.size(), 2U);
  const Discovery d = asen::nn::discover_symmetry(input, f, with_groups("D(6)", 6, "D(6)"));
  EXPECT_EQ(d.unused_colors, unused);
  // Two used colours at distance |a - b|: RMS over the 2 x 2 ordered pairs.
  std::vector<std::int64_t> used_ids;
  for (std::int64_t c = 0; c < 4; ++c)
    if (used[static_cast<std::size_t>(c)]) used_ids.push_back(c);
  const double gap = static_cast<double>(used_ids[1] - used_ids[0]);
  EXPECT_NEAR(d.scale, std::sqrt(2 * gap * gap / 4), 1e-12);
  ASSERT_EQ(d.clusters.size(), 2U);  // a loop colour and an arc colour never merge
  EXPECT_EQ(d.merged_rank, 2);
  for (const auto c : unused) {
    EXPECT_EQ(d.cluster_of[static_cast<std::size_t>(c)], -1);
    EXPECT_EQ(d.representatives[static_cast<std::size_t>(c)], std::make_pair(std::int64_t{-1}, std::int64_t{-1}));
  }
  EXPECT_EQ(d.discovered.order, BigInt(12));
}

TEST(Discover, RefusesBadThresholdsFeaturesAndGroups) {
  const BreakingInput input = BreakingInput::for_group(PermGroup::parse("D(5)"));
  const torch::Tensor f = torch::randn({input.num_colors(), 4});
  DiscoverOptions o;
  o.threshold = -0.5;
  try {
    (void)asen::nn::discover_symmetry(input, f, o);
    FAIL() << "a negative threshold was accepted";
  } catch (const asen::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("threshold must be a finite number >= 0"), std::string::npos) << e.what();
  }
  o.threshold = std::nan("");
  EXPECT_THROW((void)asen::nn::discover_symmetry(input, f, o), asen::InputError);
  o.threshold = 0.3;
  try {
    (void)asen::nn::discover_symmetry(input, torch::randn({input.num_colors() + 1, 4}), o);
    FAIL() << "features of the wrong shape were accepted";
  } catch (const asen::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("one feature row per colour"), std::string::npos) << e.what();
  }
  o.true_group = "S(7)";
  try {
    (void)asen::nn::discover_symmetry(input, f, o);
    FAIL() << "a true group on other points was accepted";
  } catch (const asen::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("7 points"), std::string::npos) << e.what();
  }
  o.true_group = "Q(5)";
  EXPECT_THROW((void)asen::nn::discover_symmetry(input, f, o), asen::InputError);
  EXPECT_THROW((void)asen::nn::parse_color_feature("raw"), asen::InputError);
}

TEST(Discover, ReadsAModelsColourEmbeddingsAndDefaultsToTheTasksGroup) {
  torch::manual_seed(3);
  asen::nn::AsenModel model(asen::nn::BackboneOptions().hidden(16).heads(2).layers(2));
  asen::nn::StructureSpec s;
  s.name = "intersect";  // named like the synthetic task: its group is the truth
  s.input = BreakingInput::for_group(PermGroup::parse("S(5)*S(5)"));
  s.vocab = 4;
  model->add_structure(s);
  const std::vector<int> label = labels_from(s.input, "wreath(S(5),S(2))");
  {
    torch::NoGradGuard no_grad;
    torch::Tensor rows = torch::zeros({6, 16}, torch::kDouble);
    rows.narrow(1, 0, 7).copy_(features_by_label(label));
    model->named_parameters()["edges_intersect.embedding.weight"].copy_(rows);
  }
  for (const auto feature : {ColorFeature::embedding, ColorFeature::projected}) {
    SCOPED_TRACE(asen::nn::to_string(feature));
    DiscoverOptions o;
    o.feature = feature;
    const Discovery d = asen::nn::discover_symmetry(model, "intersect", o);
    EXPECT_EQ(d.structure, "intersect");
    EXPECT_EQ(d.merged_rank, 3);
    EXPECT_EQ(d.discovered.order, BigInt(28800));
    ASSERT_TRUE(d.true_group.has_value());
    EXPECT_EQ(d.true_group->spec, "wreath(S(5),S(2))");
    EXPECT_EQ(d.equals_true_group, std::optional<bool>(true));
    EXPECT_FALSE(d.trained_group.has_value());  // added by hand, no description
  }
  try {
    (void)asen::nn::discover_symmetry(model, "palindrome");
    FAIL() << "an unknown structure was accepted";
  } catch (const asen::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no structure named 'palindrome'"), std::string::npos) << e.what();
  }
}
