#include <asen/error.hpp>
#include <asen/nn/equivariance.hpp>
#include <asen/nn/graph_data.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "scratch_dir.hpp"

namespace fs = std::filesystem;
using asen::InputError;
using asen::nn::GraphDataOptions;
using asen::nn::load_graph_data;
using asen::nn::TaskData;
using asen::nn::TaskKind;

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string out = "(";
  for (const auto d : shape) out += std::to_string(d) + ", ";
  return out + ")";
}

template <typename T>
void write_npy(const fs::path& path, const std::string& descr, const std::vector<std::int64_t>& shape,
               const std::vector<T>& values) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text(shape) + ", }";
  dict += std::string((10 + dict.size() + 1 + 63) / 64 * 64 - 10 - dict.size() - 1, ' ') + "\n";
  std::ofstream out(path, std::ios::binary);
  out << "\x93NUMPY" << '\x01' << '\x00' << static_cast<char>(dict.size() & 0xFFU)
      << static_cast<char>(dict.size() >> 8U) << dict;
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(T)));
}

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// A folder of S samples on the path 0-1-2-3, whose mirror is (1,4)(2,3):
// inputs [S, 4, 2] with x[s, i, 0] = s (to follow samples through the
// shuffle), targets [S, 4, 1] with y[s, i] = s + i.
class GraphDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write_features(20);
    write_text(dir_ / "graph.txt", "# a path\n0 1\n1 2\n2 3\n");
  }

  void write_features(std::int64_t samples) {
    std::vector<float> x;
    std::vector<float> y;
    for (std::int64_t s = 0; s < samples; ++s)
      for (int i = 0; i < 4; ++i) {
        x.push_back(static_cast<float>(s));
        x.push_back(0.5F * static_cast<float>(i));
        y.push_back(static_cast<float>(s + i));
      }
    write_npy(dir_ / "inputs.npy", "<f4", {samples, 4, 2}, x);
    write_npy(dir_ / "targets.npy", "<f4", {samples, 4, 1}, y);
  }

  void expect_error(const GraphDataOptions& options, const std::vector<std::string>& fragments) const {
    try {
      (void)load_graph_data(dir_.string(), options);
      FAIL() << "expected an InputError";
    } catch (const InputError& e) {
      for (const auto& f : fragments) EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
    }
  }
  void expect_error(const std::vector<std::string>& fragments) const { expect_error(GraphDataOptions{}, fragments); }

  asen::testing::ScratchDir scratch_;
  fs::path dir_ = scratch_.path();
};

TEST_F(GraphDataTest, FloatTargetsPerNodeAreNodeRegressionSplit70_15_15) {
  write_text(dir_ / "asen.json", R"j({"name": "path4", "group": "(1,4)(2,3)"})j");
  const TaskData t = load_graph_data(dir_.string());
  EXPECT_EQ(t.name, "path4");
  EXPECT_EQ(t.kind, TaskKind::node_regression);
  EXPECT_EQ(t.in_features, 2);
  EXPECT_EQ(t.vocab, 0);
  EXPECT_EQ(t.out_dim, 1);
  EXPECT_EQ(t.group, "(1,4)(2,3)");
  EXPECT_EQ(t.mode, asen::graph::BreakingMode::dense);
  EXPECT_FALSE(t.base.has_value());  // dense needs none
  EXPECT_EQ(t.data_dir, dir_.string());
  EXPECT_EQ(t.data.train.size(), 14);
  EXPECT_EQ(t.data.val.size(), 3);
  EXPECT_EQ(t.data.test.size(), 3);
  EXPECT_EQ(t.data.train.targets.sizes(), (std::vector<std::int64_t>{14, 4, 1}));
}

TEST_F(GraphDataTest, TheShuffleDependsOnTheSeedAndKeepsEachInputWithItsTarget) {
  GraphDataOptions a;
  a.group = "trivial(4)";
  GraphDataOptions b = a;
  b.seed = 1;
  const TaskData ta = load_graph_data(dir_.string(), a);
  const TaskData tb = load_graph_data(dir_.string(), b);
  const torch::Tensor ids_a = ta.data.train.inputs.select(2, 0).select(1, 0);
  const torch::Tensor ids_b = tb.data.train.inputs.select(2, 0).select(1, 0);
  EXPECT_FALSE(ids_a.equal(ids_b));
  EXPECT_FALSE(ids_a.equal(torch::arange(14, torch::kFloat)));  // not the file's order
  // y[s, i] = s + i follows its sample.
  const torch::Tensor expected = ta.data.train.inputs.select(2, 0) + torch::arange(4, torch::kFloat);
  EXPECT_TRUE(ta.data.train.targets.squeeze(2).equal(expected));
  EXPECT_TRUE(load_graph_data(dir_.string(), a).data.test.inputs.equal(ta.data.test.inputs));  // reproducible
}

TEST_F(GraphDataTest, TheDefaultGroupIsTheAutomorphismGroupOfTheBaseGraph) {
  const TaskData t = load_graph_data(dir_.string());
  EXPECT_EQ(t.group, "graph:" + (dir_ / "graph.txt").string());
  EXPECT_EQ(t.name, dir_.filename().string());  // the folder's name
}

TEST_F(GraphDataTest, CallerSettingsOverrideAsenJson) {
  write_text(dir_ / "asen.json", R"j({"group": "(1,4)(2,3)", "mode": "dense"})j");
  GraphDataOptions o;
  o.group = "S(4)";
  o.mode = "sparse";
  o.name = "other";
  const TaskData t = load_graph_data(dir_.string(), o);
  EXPECT_EQ(t.group, "S(4)");
  EXPECT_EQ(t.mode, asen::graph::BreakingMode::sparse);
  ASSERT_TRUE(t.base.has_value());
  EXPECT_EQ(t.base->num_edges(), 3U);
  EXPECT_EQ(t.name, "other");
}

TEST_F(GraphDataTest, IntegerTargetsAndTokensMakeClassificationTasks) {
  std::vector<std::int64_t> tokens;
  std::vector<std::int32_t> classes;
  std::vector<std::uint8_t> graph_classes;
  for (int s = 0; s < 10; ++s) {
    for (int i = 0; i < 4; ++i) {
      tokens.push_back((s + i) % 5);
      classes.push_back((s * i) % 3);
    }
    graph_classes.push_back(static_cast<std::uint8_t>(s % 2));
  }
  write_npy(dir_ / "inputs.npy", "<i8", {10, 4}, tokens);
  write_npy(dir_ / "targets.npy", "<i4", {10, 4}, classes);
  TaskData t = load_graph_data(dir_.string());
  EXPECT_EQ(t.kind, TaskKind::node_classification);
  EXPECT_EQ(t.vocab, 5);
  EXPECT_EQ(t.out_dim, 3);
  EXPECT_EQ(t.data.train.inputs.scalar_type(), torch::kLong);
  write_npy(dir_ / "targets.npy", "|u1", {10}, graph_classes);
  t = load_graph_data(dir_.string());
  EXPECT_EQ(t.kind, TaskKind::graph_classification);
  EXPECT_EQ(t.out_dim, 2);
  write_text(dir_ / "asen.json", R"j({"classes": 4, "vocab": 7})j");
  t = load_graph_data(dir_.string());
  EXPECT_EQ(t.out_dim, 4);
  EXPECT_EQ(t.vocab, 7);
}

TEST_F(GraphDataTest, FloatTargetsPerSampleAreGraphRegression) {
  write_npy(dir_ / "targets.npy", "<f8", {20, 3}, std::vector<double>(60, 0.25));
  TaskData t = load_graph_data(dir_.string());
  EXPECT_EQ(t.kind, TaskKind::graph_regression);
  EXPECT_EQ(t.out_dim, 3);
  write_npy(dir_ / "targets.npy", "<f8", {20}, std::vector<double>(20, 1.0));
  GraphDataOptions o;
  o.head = "classification";  // whole numbers: accepted as classes
  t = load_graph_data(dir_.string(), o);
  EXPECT_EQ(t.kind, TaskKind::graph_classification);
}

TEST_F(GraphDataTest, MismatchedSampleCountsNameBothFiles) {
  write_npy(dir_ / "targets.npy", "<f4", {19, 4, 1}, std::vector<float>(76, 0.0F));
  expect_error({"targets.npy has 19 samples", "inputs.npy has 20"});
}

TEST_F(GraphDataTest, AGraphOfAnotherSizeIsRefused) {
  write_text(dir_ / "graph.txt", "0 1\n1 2\n");
  expect_error({"graph.txt has 3 vertices", "4 nodes per sample"});
}

TEST_F(GraphDataTest, AGroupOfAnotherDegreeIsRefused) {
  GraphDataOptions o;
  o.group = "S(5)";
  expect_error(o, {"the group 'S(5)' (given) does not fit the 4 nodes"});
}

TEST_F(GraphDataTest, NaNAndInfinitiesAreRefusedWithTheirPosition) {
  std::vector<float> x(20 * 4 * 2, 1.0F);
  x[2 * 8 + 3 * 2 + 1] = std::numeric_limits<float>::quiet_NaN();
  write_npy(dir_ / "inputs.npy", "<f4", {20, 4, 2}, x);
  expect_error({"inputs.npy holds NaN at (sample 2, node 3, column 1)"});
  x[2 * 8 + 3 * 2 + 1] = 0;
  write_npy(dir_ / "inputs.npy", "<f4", {20, 4, 2}, x);
  std::vector<float> y(20 * 4, 0.0F);
  y[5] = std::numeric_limits<float>::infinity();
  write_npy(dir_ / "targets.npy", "<f4", {20, 4, 1}, y);
  expect_error({"targets.npy holds an infinity at (sample 1, node 1, column 0)"});
  // finite in float64 but not in the model's float32
  std::vector<double> big(20 * 4 * 2, 1.0);
  big[7] = -1e300;
  write_npy(dir_ / "inputs.npy", "<f8", {20, 4, 2}, big);
  expect_error({"inputs.npy holds -1e+300 at (sample 0, node 3, column 1), beyond float32's range"});
}

TEST_F(GraphDataTest, NegativeClassesAndFractionalClassesAreRefused) {
  std::vector<std::int64_t> y(80, 0);
  y[9] = -1;
  write_npy(dir_ / "targets.npy", "<i8", {20, 4}, y);
  expect_error({"targets.npy holds the class -1 at (sample 2, node 1)"});
  std::vector<float> fractional(80, 1.0F);
  fractional[9] = 0.5F;
  write_npy(dir_ / "targets.npy", "<f4", {20, 4}, fractional);
  GraphDataOptions o;
  o.head = "classification";
  expect_error(o, {"targets.npy holds 0.5", "at index [2, 1]", "not a whole number"});
}

TEST_F(GraphDataTest, BadSettingsAndMissingFilesAreNamed) {
  GraphDataOptions sparse;
  sparse.mode = "sparse";
  sparse.group = "trivial(4)";
  fs::remove(dir_ / "graph.txt");
  expect_error(sparse, {"the mode 'sparse' needs a base graph"});
  expect_error({"no group for the data folder"});
  write_text(dir_ / "asen.json", R"j({"groupp": "S(4)"})j");
  expect_error({"asen.json has the unknown key 'groupp'"});
  write_text(dir_ / "asen.json", R"j({"mode": "sparsest", "group": "S(4)"})j");
  expect_error({"the mode 'sparsest' (from asen.json)"});
  write_text(dir_ / "asen.json", "{not json");
  expect_error({"asen.json is not valid JSON"});
  fs::remove(dir_ / "asen.json");
  fs::remove(dir_ / "targets.npy");
  expect_error({"has no targets.npy"});
  fs::remove(dir_ / "inputs.npy");
  expect_error({"has no inputs.npy"});
  EXPECT_THROW((void)load_graph_data((dir_ / "nowhere").string()), InputError);
}

TEST_F(GraphDataTest, TooFewSamplesForATestSplitAreRefused) {
  write_features(1);
  expect_error({"1 sample, too few"});
}

TEST_F(GraphDataTest, ANodeRegressionModelTrainsSavesLoadsAndIsEquivariantToItsGroup) {
  write_text(dir_ / "asen.json", R"j({"group": "(1,4)(2,3)", "mode": "sparse"})j");
  asen::nn::TaskData t = load_graph_data(dir_.string());
  asen::nn::TrainConfig c;
  c.epochs = 1;
  c.batch = 8;
  c.backbone.hidden(16).heads(2).layers(1);
  c.progress = false;
  c.out_dir = (dir_ / "run").string();
  const asen::nn::TrainResult r = asen::nn::train({t}, c);
  ASSERT_TRUE(r.test.at(t.name).mae.has_value());
  EXPECT_GT(*r.test.at(t.name).mae, 0.0);
  asen::nn::LoadedModel loaded = asen::nn::load_model((dir_ / "run" / "model.pt").string());
  ASSERT_EQ(loaded.tasks.size(), 1U);
  EXPECT_EQ(loaded.tasks[0].kind, TaskKind::node_regression);
  EXPECT_EQ(loaded.tasks[0].data_dir, dir_.string());
  ASSERT_TRUE(loaded.tasks[0].base.has_value());
  const asen::nn::Metrics again = asen::nn::evaluate(loaded.model, t.name, t.data.test);
  EXPECT_NEAR(again.loss, r.test.at(t.name).loss, 1e-5);
  const auto report = asen::nn::check_equivariance(
      loaded.model, t.name, asen::algebra::PermGroup::parse("(1,4)(2,3)", 4), 2, 0);
  EXPECT_LT(report.inside_max_error, 1e-6);
  ASSERT_TRUE(report.outside_max_error.has_value());
  EXPECT_GT(*report.outside_max_error, 1e-4);
}

}  // namespace
