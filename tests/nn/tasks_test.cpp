#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/nn/tasks.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

using asen::nn::Dataset;
using asen::nn::generate_dataset;
using asen::nn::TaskKind;
using Seq = std::vector<std::int64_t>;

namespace {

// Brute-force definitions, written independently of the library's.
Seq brute(const std::string& task, const Seq& x) {
  const int n = static_cast<int>(x.size());
  Seq y(static_cast<std::size_t>(n), 0);
  auto in_window = [&](int i, auto pred) {
    for (int s = i - 2; s <= i; ++s)
      if (s >= 0 && s + 2 < n && pred(s)) return 1;
    return 0;
  };
  auto best_cyclic = [&](auto score) {
    std::vector<long long> v(static_cast<std::size_t>(n));
    for (int s = 0; s < n; ++s) v[static_cast<std::size_t>(s)] = score(x[static_cast<std::size_t>(s)], x[static_cast<std::size_t>((s + 1) % n)], x[static_cast<std::size_t>((s + 2) % n)]);
    const long long m = *std::max_element(v.begin(), v.end());
    if (std::count(v.begin(), v.end(), m) != 1) return y;
    const int s = static_cast<int>(std::find(v.begin(), v.end(), m) - v.begin());
    Seq out(static_cast<std::size_t>(n), 0);
    for (int k = 0; k < 3; ++k) out[static_cast<std::size_t>((s + k) % n)] = 1;
    return out;
  };
  const int m = n / 2;
  auto other = [&](int i) {
    std::vector<std::int64_t> o;
    for (int j = i < m ? m : 0; j < (i < m ? n : m); ++j) o.push_back(x[static_cast<std::size_t>(j)]);
    return o;
  };
  auto at = [&](int i) { return x[static_cast<std::size_t>(i)]; };
  if (task == "palindrome")
    for (int i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = in_window(i, [&](int s) { return at(s) == at(s + 2); });
  if (task == "monotone")
    for (int i = 0; i < n; ++i)
      y[static_cast<std::size_t>(i)] = in_window(i, [&](int s) {
        return (at(s) < at(s + 1) && at(s + 1) < at(s + 2)) || (at(s) > at(s + 1) && at(s + 1) > at(s + 2));
      });
  if (task == "constant")
    for (int i = 0; i < n; ++i)
      y[static_cast<std::size_t>(i)] = in_window(i, [&](int s) { return at(s) == at(s + 1) && at(s + 1) == at(s + 2); });
  if (task == "cyclicsum") return best_cyclic([](auto a, auto b, auto c) { return a + b + c; });
  if (task == "cyclicprod") return best_cyclic([](auto a, auto b, auto c) { return (a + 1) * (b + 1) * (c + 1); });
  if (task == "cyclicaltsum") return best_cyclic([](auto a, auto b, auto c) { return a - b + c; });
  for (int i = 0; i < n && (task == "intersect" || task == "symdiff" || task == "targetsum"); ++i) {
    const auto o = other(i);
    const bool present = std::find(o.begin(), o.end(), at(i)) != o.end();
    bool sum9 = false;
    for (auto v : o) sum9 = sum9 || v + at(i) == 9;
    y[static_cast<std::size_t>(i)] = task == "intersect" ? present : task == "symdiff" ? !present : sum9;
  }
  if (task == "longestpal") {
    std::map<std::int64_t, int> c;
    for (auto v : x) ++c[v];
    int len = 0;
    bool odd = false;
    for (auto [v, k] : c) {
      len += k / 2 * 2;
      odd = odd || k % 2;
    }
    return {len + (odd ? 1 : 0)};
  }
  if (task == "detectcapital") {
    std::string w;
    for (auto v : x) w += v < 26 ? static_cast<char>('a' + v) : static_cast<char>('A' + v - 26);
    const bool upper = std::all_of(w.begin(), w.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
    const bool lower = std::all_of(w.begin(), w.end(), [](char ch) { return ch >= 'a' && ch <= 'z'; });
    const bool title = w[0] >= 'A' && w[0] <= 'Z' && std::all_of(w.begin() + 1, w.end(), [](char ch) { return ch >= 'a'; });
    return {upper || lower || title ? 1 : 0};
  }
  if (task == "vandermonde") {
    double det = 1;
    for (int i = 0; i < n; ++i)
      for (int j = i + 1; j < n; ++j) det *= static_cast<double>(at(j) - at(i));
    return {det > 0 ? 1 : 0};
  }
  if (task == "palindrome-count") {
    int c = 0;
    for (int s = 0; s + 2 < n; ++s) c += at(s) == at(s + 2);
    return {c};
  }
  if (task == "intersect-count") {
    std::set<std::int64_t> a(x.begin(), x.begin() + m);
    std::set<std::int64_t> b(x.begin() + m, x.end());
    int c = 0;
    for (auto v : a) c += b.count(v) ? 1 : 0;
    return {c};
  }
  return y;
}

}  // namespace

TEST(Tasks, LabelsMatchBruteForceDefinitions) {
  for (const auto& task : asen::nn::task_names()) {
    SCOPED_TRACE(task);
    const Dataset d = generate_dataset(task, 300, 10, 4);
    ASSERT_EQ(d.size(), 300);
    ASSERT_EQ(d.inputs.size(1), 10);
    std::int64_t positives = 0;
    for (std::int64_t s = 0; s < d.size(); ++s) {
      Seq x(10);
      for (int i = 0; i < 10; ++i) x[static_cast<std::size_t>(i)] = d.inputs[s][i].item<std::int64_t>();
      for (auto v : x) ASSERT_TRUE(v >= 0 && v < d.info.vocab);
      const Seq expected = brute(task, x);
      if (d.info.kind == TaskKind::node_classification) {
        for (int i = 0; i < 10; ++i) ASSERT_EQ(d.targets[s][i].item<std::int64_t>(), expected[static_cast<std::size_t>(i)]);
        positives += d.targets[s].sum().item<std::int64_t>();
      } else if (d.info.kind == TaskKind::graph_classification) {
        ASSERT_EQ(d.targets[s].item<std::int64_t>(), expected[0]);
        positives += d.targets[s].item<std::int64_t>();
      } else {
        ASSERT_EQ(d.targets[s][0].item<float>(), static_cast<float>(expected[0]));
        positives += 1;
      }
    }
    EXPECT_GT(positives, 0);  // no task is all zeros
  }
}

TEST(Tasks, LabelsRespectTheDeclaredGroup) {
  // Applying a random element of the task's group to a sample permutes its
  // node labels the same way (or leaves an invariant label unchanged).
  for (const auto& task : asen::nn::task_names()) {
    SCOPED_TRACE(task);
    const auto info = asen::nn::task_info(task, 10);
    const auto group = asen::algebra::PermGroup::parse(info.group);
    const Dataset d = generate_dataset(task, 50, 10, 9);
    const auto elements = group.random_elements(10, 3);
    for (std::int64_t s = 0; s < d.size(); ++s) {
      Seq x(10);
      for (int i = 0; i < 10; ++i) x[static_cast<std::size_t>(i)] = d.inputs[s][i].item<std::int64_t>();
      const Seq y = asen::nn::label_sequence(task, x);
      for (const auto& g : elements) {
        Seq gx(10);
        for (int i = 0; i < 10; ++i) gx[g[static_cast<asen::algebra::Point>(i)]] = x[static_cast<std::size_t>(i)];
        const Seq gy = asen::nn::label_sequence(task, gx);
        if (info.kind == TaskKind::node_classification) {
          for (int i = 0; i < 10; ++i) ASSERT_EQ(gy[g[static_cast<asen::algebra::Point>(i)]], y[static_cast<std::size_t>(i)]);
        } else if (task == "vandermonde") {
          ASSERT_EQ(gy[0], g.sign() > 0 ? y[0] : 1 - y[0]);  // an alternating function
        } else {
          ASSERT_EQ(gy[0], y[0]);
        }
      }
    }
  }
}

TEST(Tasks, PalindromeSamplesWithoutAWindowAreTheDocumentedShare) {
  // A draw is planted with probability 1/2 and an unplanted one is kept when
  // it has no window (0.9^8 at length 10): 0.5 * 0.9^8 / (0.5 + 0.5 * 0.9^8)
  // = 0.301 of the samples have none. At length 400 drawing still ends.
  const Dataset d = generate_dataset("palindrome", 4000, 10, 3);
  const double without = (d.targets.sum(1) == 0).sum().item<double>() / 4000.0;
  EXPECT_NEAR(without, 0.301, 0.025);
  const Dataset long_ones = generate_dataset("palindrome", 20, 400, 3);
  for (std::int64_t s = 0; s < long_ones.size(); ++s) {
    Seq x(400);
    for (std::int64_t i = 0; i < 400; ++i) x[static_cast<std::size_t>(i)] = long_ones.inputs[s][i].item<std::int64_t>();
    const Seq expected = brute("palindrome", x);
    for (std::int64_t i = 0; i < 400; ++i)
      ASSERT_EQ(long_ones.targets[s][i].item<std::int64_t>(), expected[static_cast<std::size_t>(i)]);
  }
}

TEST(Tasks, SeedsReproduceAndDiffer) {
  const Dataset a = generate_dataset("cyclicsum", 100, 10, 1);
  const Dataset b = generate_dataset("cyclicsum", 100, 10, 1);
  const Dataset c = generate_dataset("cyclicsum", 100, 10, 2);
  EXPECT_TRUE(a.inputs.equal(b.inputs));
  EXPECT_TRUE(a.targets.equal(b.targets));
  EXPECT_FALSE(a.inputs.equal(c.inputs));
  const auto splits = asen::nn::split_dataset(generate_dataset("intersect", 1000, 10, 0));
  EXPECT_EQ(splits.train.size(), 700);
  EXPECT_EQ(splits.val.size(), 150);
  EXPECT_EQ(splits.test.size(), 150);
  // From 2 samples on, every split has a training and a test sample, and the
  // three splits are all the samples.
  for (std::int64_t s = 2; s <= 40; ++s) {
    const auto small = asen::nn::split_dataset(generate_dataset("intersect", s, 10, 0));
    EXPECT_GE(small.train.size(), 1) << s;
    EXPECT_GE(small.test.size(), 1) << s;
    EXPECT_EQ(small.train.size() + small.val.size() + small.test.size(), s) << s;
  }
}

TEST(Tasks, BadNamesAndLengthsAreInputErrors) {
  EXPECT_THROW((void)asen::nn::task_info("sorting", 10), asen::InputError);
  EXPECT_THROW((void)asen::nn::task_info("intersect", 9), asen::InputError);
  EXPECT_THROW((void)asen::nn::task_info("vandermonde", 16), asen::InputError);
  EXPECT_THROW((void)asen::nn::task_info("palindrome", 2), asen::InputError);
  // At length 3 every cyclic window is the same three positions: sums and
  // products always tie (drawing samples would never end).
  EXPECT_THROW((void)asen::nn::task_info("cyclicsum", 3), asen::InputError);
  EXPECT_THROW((void)asen::nn::task_info("cyclicprod", 3), asen::InputError);
  EXPECT_NO_THROW((void)generate_dataset("cyclicaltsum", 20, 3, 0));
  EXPECT_NO_THROW((void)generate_dataset("cyclicsum", 20, 4, 0));
  EXPECT_EQ(asen::nn::task_info("detectcapital", 6).group, "trivial(1)*S(5)");
  EXPECT_EQ(asen::nn::task_info("intersect", 10).group, "wreath(S(5),S(2))");
}
