#include <asen/error.hpp>
#include <asen/nn/equivariance.hpp>
#include <asen/nn/model.hpp>
#include <asen/nn/training.hpp>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "scratch_dir.hpp"

using asen::algebra::PermGroup;
using asen::nn::AsenModel;
using asen::nn::BackboneOptions;
using asen::nn::BreakingInput;
using asen::nn::StructureSpec;
using asen::nn::TaskKind;

namespace {

class ModelTest : public ::testing::Test {
 protected:
  void SetUp() override { torch::manual_seed(11); }

  static AsenModel model_with(const std::string& name, const std::string& spec, TaskKind kind = TaskKind::node_classification,
                              std::int64_t n = 10) {
    AsenModel model(BackboneOptions().hidden(32).heads(4).layers(2).dropout(0.0));
    StructureSpec s;
    s.name = name;
    s.input = BreakingInput::for_group(PermGroup::parse(spec, static_cast<std::size_t>(n)));
    s.vocab = 10;
    s.out_dim = kind == TaskKind::graph_regression ? 1 : 2;
    s.kind = kind;
    model->add_structure(s);
    return model;
  }

  // A path in this test's own directory (nothing is created there).
  [[nodiscard]] std::string temp_dir(const std::string& name) const { return scratch_.file(name); }

 private:
  asen::testing::ScratchDir scratch_;
};

asen::nn::TrainConfig quick_config(const std::string& out = "") {
  asen::nn::TrainConfig c;
  c.epochs = 2;
  c.batch = 32;
  c.seed = 5;
  c.backbone = BackboneOptions().hidden(32).heads(4).layers(2);
  c.out_dir = out;
  c.progress = false;
  c.device = "cpu";
  return c;
}

}  // namespace

TEST_F(ModelTest, FreshModelIsEquivariantInsideItsGroupAndNotOutside) {
  for (const std::string spec : {"trivial(10)", "D(10)", "wreath(S(5),S(2))", "mirror(10)"}) {
    SCOPED_TRACE(spec);
    AsenModel model = model_with("t", spec);
    const torch::Tensor before = model->parameters().front().clone();
    const auto report = asen::nn::check_equivariance(model, "t", PermGroup::parse(spec, 10));
    EXPECT_LE(report.inside_max_error, 1e-5);
    EXPECT_LE(report.inside_max_error, 1e-10);  // computed in double precision
    // ... and the model is given back in float with its weights unchanged
    EXPECT_EQ(model->parameters().front().scalar_type(), torch::kFloat);
    EXPECT_TRUE(torch::equal(model->parameters().front(), before));
    ASSERT_TRUE(report.outside_max_error.has_value());
    EXPECT_GT(*report.outside_max_error, 1e-3);
    EXPECT_FALSE(report.closure_max_error.has_value());  // these groups are 2-closed
    // the dense orbital colouring's own symmetry group is G^(2)
    EXPECT_EQ(report.input_symmetry_order, report.closure_order);
    EXPECT_FALSE(report.input_symmetry_max_error.has_value());
  }
}

TEST_F(ModelTest, SymmetricBreakingInputGivesFullEquivariance) {
  AsenModel model = model_with("s", "S(10)");
  const auto report = asen::nn::check_equivariance(model, "s", PermGroup::parse("S(10)"));
  EXPECT_LE(report.inside_max_error, 1e-5);
  EXPECT_FALSE(report.outside_max_error.has_value());  // nothing lies outside S_10
  // and any permutation at all
  std::vector<asen::algebra::Point> images = {3, 7, 1, 0, 9, 2, 8, 4, 6, 5};
  const auto g = asen::algebra::Permutation(images);
  torch::NoGradGuard no_grad;
  model->eval();
  const auto x = torch::randint(10, {4, 10}, torch::kLong);
  EXPECT_TRUE(torch::allclose(model->forward("s", asen::nn::permute_nodes(x, g)),
                              asen::nn::permute_nodes(model->forward("s", x), g), 1e-5, 1e-5));
}

TEST_F(ModelTest, NonTwoClosedGroupsGiveEquivarianceToTheClosure) {
  // A(5)'s breaking input is S(5)'s: the model is equivariant to odd
  // permutations (the witnesses) as well.
  AsenModel model = model_with("a", "A(5)", TaskKind::node_classification, 5);
  const auto report = asen::nn::check_equivariance(model, "a", PermGroup::parse("A(5)"));
  ASSERT_TRUE(report.closure_max_error.has_value());
  EXPECT_LE(*report.closure_max_error, 1e-5);
  EXPECT_EQ(report.closure_order, 120);
}

TEST_F(ModelTest, MixedBatchEqualsSeparateBatches) {
  AsenModel model = model_with("d", "D(10)");
  StructureSpec w;
  w.name = "w";
  w.input = BreakingInput::for_group(PermGroup::parse("wreath(S(5),S(2))"));
  w.vocab = 4;
  w.out_dim = 1;
  w.kind = TaskKind::graph_regression;
  model->add_structure(w);
  model->eval();
  torch::NoGradGuard no_grad;
  const auto xd = torch::randint(10, {3, 10}, torch::kLong);
  const auto xw = torch::randint(4, {2, 10}, torch::kLong);
  const auto mixed = model->forward_mixed({"d", "w", "d", "w", "d"}, {xd[0], xw[0], xd[1], xw[1], xd[2]});
  const auto yd = model->forward("d", xd);
  const auto yw = model->forward("w", xw);
  EXPECT_TRUE(torch::allclose(mixed[0], yd[0], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(mixed[3], yw[1], 1e-5, 1e-6));
  EXPECT_EQ(yw.sizes(), (std::vector<std::int64_t>{2, 1}));
  EXPECT_THROW((void)model->forward("nope", xd), asen::InputError);
  EXPECT_THROW((void)model->forward("w", torch::randint(9, {2, 10}, torch::kLong) + 1), asen::InputError);
}

TEST_F(ModelTest, TrainingLowersTheLossAndIsReproducible) {
  auto a = asen::nn::train({asen::nn::synthetic_task("cyclicsum", 300, 10, 1)}, quick_config());
  auto b = asen::nn::train({asen::nn::synthetic_task("cyclicsum", 300, 10, 1)}, quick_config());
  ASSERT_EQ(a.history.size(), b.history.size());
  for (std::size_t k = 0; k < a.history.size(); ++k) EXPECT_DOUBLE_EQ(a.history[k].loss, b.history[k].loss);
  // train loss after epoch 2 below the chance level of a per-node binary task
  double last_train = 1e9;
  for (const auto& m : a.history)
    if (m.split == "train") last_train = m.loss;
  EXPECT_LT(last_train, 0.69);
  // the trained model is still equivariant to D(10)
  const auto report = asen::nn::check_equivariance(a.model, "cyclicsum", PermGroup::parse("D(10)"));
  EXPECT_LE(report.inside_max_error, 1e-5);
  EXPECT_GT(*report.outside_max_error, 1e-3);
}

TEST_F(ModelTest, CheckpointsResumeToTheSameResult) {
  const std::string full = temp_dir("asen_full");
  const std::string split = temp_dir("asen_split");
  // A run stopped after one epoch and continued: with a constant learning
  // rate the schedule does not depend on the number of epochs.
  auto c = quick_config(full);
  c.epochs = 3;
  c.lr_schedule = "constant";
  const auto whole = asen::nn::train({asen::nn::synthetic_task("intersect", 200, 10, 2)}, c);
  auto first = quick_config(split);
  first.epochs = 1;
  first.lr_schedule = "constant";
  (void)asen::nn::train({asen::nn::synthetic_task("intersect", 200, 10, 2)}, first);
  auto rest = quick_config(split);
  rest.epochs = 3;
  rest.lr_schedule = "constant";
  const auto resumed = asen::nn::train({asen::nn::synthetic_task("intersect", 200, 10, 2)}, rest);
  ASSERT_EQ(whole.history.size(), resumed.history.size());
  for (std::size_t k = 0; k < whole.history.size(); ++k) EXPECT_NEAR(whole.history[k].loss, resumed.history[k].loss, 1e-6);
  // metrics.jsonl: one line per task, epoch and split
  std::ifstream in(std::filesystem::path(split) / "metrics.jsonl");
  int lines = 0;
  for (std::string line; std::getline(in, line);) lines += line.empty() ? 0 : 1;
  EXPECT_EQ(lines, 9);
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(split) / "model.pt"));
  // The cosine schedule spans the whole run: another number of epochs is
  // another run, and its checkpoint is refused.
  const std::string cosine = temp_dir("asen_cosine");
  auto two = quick_config(cosine);
  (void)asen::nn::train({asen::nn::synthetic_task("intersect", 200, 10, 2)}, two);
  auto three = quick_config(cosine);
  three.epochs = 3;
  EXPECT_THROW((void)asen::nn::train({asen::nn::synthetic_task("intersect", 200, 10, 2)}, three), asen::InputError);
  auto unknown = quick_config();
  unknown.lr_schedule = "linear";
  EXPECT_THROW((void)asen::nn::train({asen::nn::synthetic_task("intersect", 20, 10, 2)}, unknown), asen::InputError);
}

TEST_F(ModelTest, CorruptOrMismatchedCheckpointsAreClearErrors) {
  const std::string dir = temp_dir("asen_bad");
  std::filesystem::create_directories(dir);
  std::ofstream(std::filesystem::path(dir) / "checkpoint.pt") << "not a checkpoint";
  try {
    (void)asen::nn::train({asen::nn::synthetic_task("intersect", 100, 10, 2)}, quick_config(dir));
    FAIL() << "expected an InputError";
  } catch (const asen::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("corrupt or not an asen checkpoint"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
  (void)asen::nn::train({asen::nn::synthetic_task("intersect", 100, 10, 2)}, quick_config(dir));
  auto other = quick_config(dir);
  other.batch = 16;
  other.epochs = 4;
  try {
    (void)asen::nn::train({asen::nn::synthetic_task("intersect", 100, 10, 2)}, other);
    FAIL() << "expected an InputError";
  } catch (const asen::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("other settings"), std::string::npos) << e.what();
  }
}

TEST_F(ModelTest, ResumingNeedsTheSameColouringAndSizesNotTheSameSpelling) {
  const std::string dir = temp_dir("asen_structure");
  auto config = quick_config(dir);
  config.epochs = 1;
  config.lr_schedule = "constant";
  (void)asen::nn::train({asen::nn::synthetic_task("intersect", 100, 10, 2)}, config);
  config.epochs = 2;
  const auto refused = [&](asen::nn::TaskData t, const std::string& why) {
    try {
      (void)asen::nn::train({std::move(t)}, config);
      ADD_FAILURE() << "expected an InputError naming " << why;
    } catch (const asen::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  // more tokens: the checkpoint's embedding has too few rows
  auto vocab = asen::nn::synthetic_task("intersect", 100, 10, 2);
  ++vocab.vocab;
  refused(vocab, "task \"intersect\" vocab: " + std::to_string(vocab.vocab - 1) + " in the checkpoint, " +
                     std::to_string(vocab.vocab) + " here");
  auto classes = asen::nn::synthetic_task("intersect", 100, 10, 2);
  classes.out_dim = 3;
  refused(classes, "out_dim: 2 in the checkpoint, 3 here");
  // another group: the colour ids would mean other pairs
  auto under = asen::nn::synthetic_task("intersect", 100, 10, 2);
  under.group = "S(5)*S(5)";
  refused(under, "another colouring of the pairs");
  // the same group spelled out by generators: the same colouring, resumed
  auto spelled = asen::nn::synthetic_task("intersect", 100, 10, 2);
  spelled.group = "(1,2),(1,2,3,4,5),(1,6)(2,7)(3,8)(4,9)(5,10)";
  const auto resumed = asen::nn::train({spelled}, config);
  EXPECT_EQ(resumed.resumed_from, 1);
}

TEST_F(ModelTest, SavedModelsLoadWithIdenticalOutputs) {
  const std::string dir = temp_dir("asen_save");
  auto result = asen::nn::train({asen::nn::synthetic_task("palindrome", 100, 10, 3),
                                 asen::nn::synthetic_task("longestpal", 100, 10, 3)},
                                quick_config(dir));
  auto loaded = asen::nn::load_model((std::filesystem::path(dir) / "model.pt").string());
  EXPECT_EQ(loaded.model->structure_names(), result.model->structure_names());
  torch::NoGradGuard no_grad;
  result.model->eval();
  const auto x = torch::randint(10, {5, 10}, torch::kLong);
  EXPECT_TRUE(loaded.model->forward("palindrome", x).equal(result.model->forward("palindrome", x)));
  EXPECT_THROW((void)asen::nn::load_model("/nonexistent/model.pt"), asen::InputError);
  std::ofstream(std::filesystem::path(dir) / "junk.pt") << "junk";
  EXPECT_THROW((void)asen::nn::load_model((std::filesystem::path(dir) / "junk.pt").string()), asen::InputError);
}

TEST_F(ModelTest, FinetunedModelsKeepTheirEarlierStructuresWhenSaved) {
  // Pretrain on two tasks, save, load, finetune on a third: the finetuned
  // model file holds all three structures and loads with the same outputs.
  const std::string pre = temp_dir("asen_pre");
  const std::string fine = temp_dir("asen_fine");
  (void)asen::nn::train({asen::nn::synthetic_task("palindrome", 60, 10, 1), asen::nn::synthetic_task("cyclicsum", 60, 10, 1)},
                        quick_config(pre));
  auto loaded = asen::nn::load_model((std::filesystem::path(pre) / "model.pt").string());
  auto c = quick_config(fine);
  c.epochs = 1;
  auto tuned = asen::nn::finetune(loaded.model, {asen::nn::synthetic_task("intersect", 60, 10, 1)}, c);
  auto again = asen::nn::load_model((std::filesystem::path(fine) / "model.pt").string());
  EXPECT_EQ(again.model->structure_names(), (std::vector<std::string>{"cyclicsum", "intersect", "palindrome"}));
  torch::NoGradGuard no_grad;
  tuned.model->eval();
  again.model->eval();
  const torch::Tensor x = torch::randint(10, {4, 10}, torch::kLong);
  EXPECT_TRUE(torch::allclose(tuned.model->forward("palindrome", x), again.model->forward("palindrome", x)));
  EXPECT_TRUE(torch::allclose(tuned.model->forward("intersect", x % 4), again.model->forward("intersect", x % 4)));
  // a structure added by hand has no description: saving it without task data is refused clearly
  AsenModel bare = model_with("bare", "D(10)");
  EXPECT_THROW(asen::nn::save_model(bare, {}, (std::filesystem::path(fine) / "bare.pt").string()), asen::InputError);
}

TEST_F(ModelTest, FinetuningScalesOnlyTheSharedBackbonesRate) {
  // With the backbone's rate scaled to 0 the backbone stays as pretrained,
  // while the new task's head (initialised alike for the same seed) and its
  // embeddings still learn at their own rates.
  const std::string pre = temp_dir("asen_pre_scale");
  (void)asen::nn::train({asen::nn::synthetic_task("cyclicsum", 60, 10, 1)}, quick_config(pre));
  const std::string file = (std::filesystem::path(pre) / "model.pt").string();
  auto params = [](const AsenModel& m, const std::string& prefix) {
    std::map<std::string, torch::Tensor> out;
    for (const auto& p : m->named_parameters())
      if (p.key().rfind(prefix, 0) == 0) out[p.key()] = p.value().detach().clone();
    return out;
  };
  auto tuned_with = [&](std::int64_t epochs) {
    auto loaded = asen::nn::load_model(file);
    auto c = quick_config();
    c.epochs = epochs;
    return asen::nn::finetune(loaded.model, {asen::nn::synthetic_task("intersect", 60, 10, 1)}, c, 0.0).model;
  };
  const AsenModel before = tuned_with(0);
  const AsenModel after = tuned_with(2);
  const auto backbone_before = params(before, "backbone.");
  ASSERT_FALSE(backbone_before.empty());
  for (const auto& [name, value] : params(after, "backbone.")) EXPECT_TRUE(value.equal(backbone_before.at(name))) << name;
  for (const std::string prefix : {"head_intersect.", "edges_intersect."}) {
    const auto head_before = params(before, prefix);
    ASSERT_FALSE(head_before.empty()) << prefix;
    bool changed = false;
    for (const auto& [name, value] : params(after, prefix)) changed = changed || !value.equal(head_before.at(name));
    EXPECT_TRUE(changed) << prefix << " did not learn";
  }
  // The four groups partition the parameters.
  const std::size_t grouped = after->backbone_parameters().size() + after->head_parameters().size() +
                              after->edge_parameters().size() + after->token_parameters().size();
  EXPECT_EQ(grouped, after->parameters().size());
}

TEST_F(ModelTest, TokenInputsThroughTheVocabularyEqualTheDirectComputation) {
  // With token inputs the model embeds the vocabulary once and the first
  // layer projects its rows before gathering; written out node by node the
  // outputs and every gradient are the same, for a complete (fused) and a
  // sparse breaking input, in float and double.
  for (const bool sparse : {false, true}) {
    for (const auto dtype : {torch::kFloat, torch::kDouble}) {
      AsenModel model(BackboneOptions().hidden(32).heads(4).layers(2).dropout(0.0));
      StructureSpec s;
      s.name = "t";
      const auto group = PermGroup::parse("D(6)");
      if (sparse) {
        std::vector<std::pair<asen::algebra::Point, asen::algebra::Point>> edges;
        for (asen::algebra::Point i = 0; i < 6; ++i) edges.emplace_back(i, (i + 1) % 6);
        const asen::graph::BaseGraph cycle(6, edges);
        s.input = BreakingInput::for_group(group, asen::graph::BreakingMode::sparse, &cycle);
      } else {
        s.input = BreakingInput::for_group(group);
      }
      s.vocab = 5;
      s.out_dim = 3;
      model->add_structure(s);
      model->to(dtype);
      model->train();
      {
        torch::NoGradGuard no_grad;  // biases and norms away from their initial 0 and 1
        for (auto& p : model->parameters()) p.add_(torch::rand_like(p) - 0.5);
      }
      const torch::Tensor x = torch::randint(5, {7, 6}, torch::kLong);
      const torch::Tensor w = torch::randn({7, 6, 3}, dtype);
      auto grads = [&] {
        std::vector<torch::Tensor> g;
        for (auto& p : model->parameters()) {
          g.push_back(p.grad().defined() ? p.grad().clone() : torch::zeros_like(p));
          p.mutable_grad() = torch::Tensor();
        }
        return g;
      };
      const torch::Tensor y = model->forward("t", x);
      (y * w).sum().backward();
      const auto g1 = grads();
      auto children = model->named_children();
      auto* tokens = children["tokens_t"]->as<asen::nn::TokenEmbedderImpl>();
      auto* edges = children["edges_t"]->as<asen::nn::EdgeEmbedderImpl>();
      auto* head = children["head_t"]->as<torch::nn::SequentialImpl>();
      const torch::Tensor h = model->backbone->forward(tokens->forward(x), s.input, edges->forward());
      const torch::Tensor y2 = head->forward(h);
      (y2 * w).sum().backward();
      const auto g2 = grads();
      const double tol = dtype == torch::kFloat ? 1e-5 : 1e-12;
      EXPECT_TRUE(torch::allclose(y, y2, tol, tol)) << sparse;
      ASSERT_EQ(g1.size(), g2.size());
      for (std::size_t k = 0; k < g1.size(); ++k)
        EXPECT_TRUE(torch::allclose(g1[k], g2[k], 10 * tol, 10 * tol)) << sparse << " parameter " << k;
      EXPECT_GT(g1[0].abs().sum().item<double>(), 0);
    }
  }
}
