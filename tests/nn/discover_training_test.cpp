// Symmetry discovery after real training (label "slow"): intersect, whose
// labels are symmetric under S(5) wr S(2), trained on the breaking input of
// the smaller S(5)*S(5), must show the wreath product at the default
// threshold; trained on its own group, nothing larger.
#include <asen/nn/discover.hpp>
#include <asen/nn/training.hpp>
#include <gtest/gtest.h>

using asen::algebra::BigInt;

namespace {

// asen train's defaults (1000 sequences, 700 for training; hidden 128,
// 4 layers, 8 heads, 15 epochs, batch 8, seed 0; about 12 s per run on 2
// idle cores) with the colour embeddings started small.
constexpr std::int64_t kSamples = 1000;
constexpr std::int64_t kEpochs = 15;

asen::nn::TrainConfig config() {
  asen::nn::TrainConfig c;
  c.progress = false;
  c.device = "cpu";
  c.seed = 0;
  c.epochs = kEpochs;
  c.edge_init_scale = 0.01;  // colours start together: discovery needs it
  return c;
}

asen::nn::Discovery trained_and_discovered(const std::string& group) {
  asen::nn::TaskData task = asen::nn::synthetic_task("intersect", kSamples, 10, 0, group);
  asen::nn::TrainResult r = asen::nn::train({task}, config());
  EXPECT_GE(r.test.at("intersect").node_accuracy, 0.95) << "intersect was not learned on " << group;
  return asen::nn::discover_symmetry(r.model, "intersect");
}

}  // namespace

TEST(DiscoverAfterTraining, IntersectTrainedOnS5xS5ShowsTheWreathProduct) {
  const asen::nn::Discovery d = trained_and_discovered("S(5)*S(5)");
  EXPECT_EQ(d.num_colors, 6);
  EXPECT_EQ(d.merged_rank, 3);
  EXPECT_EQ(d.discovered.order, BigInt(28800));
  ASSERT_TRUE(d.true_group.has_value());
  EXPECT_EQ(d.true_group->spec, "wreath(S(5),S(2))");
  EXPECT_EQ(d.equals_true_group, std::optional<bool>(true));
  EXPECT_TRUE(d.contains_trained_group);
  EXPECT_TRUE(d.larger_than_trained);
}

TEST(DiscoverAfterTraining, IntersectTrainedOnItsOwnGroupShowsNothingLarger) {
  const asen::nn::Discovery d = trained_and_discovered("wreath(S(5),S(2))");
  EXPECT_EQ(d.merged_rank, 3);
  EXPECT_EQ(d.discovered.order, BigInt(28800));
  EXPECT_FALSE(d.larger_than_trained);
  EXPECT_EQ(d.equals_true_group, std::optional<bool>(true));
}
