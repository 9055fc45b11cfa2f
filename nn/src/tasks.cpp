#include <asen/error.hpp>
#include <asen/nn/tasks.hpp>

#include "memory.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace asen::nn {
namespace {

using Tokens = std::vector<std::int64_t>;

std::int64_t below(std::mt19937_64& rng, std::int64_t bound) {
  const auto b = static_cast<std::uint64_t>(bound);
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % b;
  for (;;) {
    const std::uint64_t r = rng();
    if (r < limit) return static_cast<std::int64_t>(r % b);
  }
}

Tokens random_tokens(std::mt19937_64& rng, std::int64_t n, std::int64_t vocab) {
  Tokens t(static_cast<std::size_t>(n));
  for (auto& x : t) x = below(rng, vocab);
  return t;
}

bool coin(std::mt19937_64& rng) { return (rng() >> 11U) & 1U; }

// 1 on every position covered by a window of 3 starting at s with pred(s).
template <typename Pred>
Tokens window_cover(std::size_t n, Pred pred) {
  Tokens out(n, 0);
  for (std::size_t s = 0; s + 2 < n; ++s)
    if (pred(s)) out[s] = out[s + 1] = out[s + 2] = 1;
  return out;
}

// The start of the unique best cyclic window of 3, or -1 on a tie.
template <typename Score>
std::int64_t unique_best_window(std::size_t n, Score score) {
  std::int64_t best = -1;
  long long best_score = 0;
  bool tie = false;
  for (std::size_t s = 0; s < n; ++s) {
    const long long v = score(s, (s + 1) % n, (s + 2) % n);
    if (best < 0 || v > best_score) {
      best = static_cast<std::int64_t>(s);
      best_score = v;
      tie = false;
    } else if (v == best_score) {
      tie = true;
    }
  }
  return tie ? -1 : best;
}

Tokens cyclic_window_labels(std::size_t n, std::int64_t start) {
  Tokens out(n, 0);
  if (start < 0) return out;
  for (std::size_t k = 0; k < 3; ++k) out[(static_cast<std::size_t>(start) + k) % n] = 1;
  return out;
}

// Per position: does `pred(own, other)` hold for some token of the other half?
template <typename Pred>
Tokens halves(const Tokens& t, Pred pred) {
  const std::size_t m = t.size() / 2;
  Tokens out(t.size(), 0);
  for (std::size_t i = 0; i < t.size(); ++i) {
    const std::size_t first = i < m ? m : 0;
    for (std::size_t j = first; j < first + m; ++j)
      if (pred(t[i], t[j])) out[i] = 1;
  }
  return out;
}

bool contains_other_half(const Tokens& t, std::size_t i) {
  const std::size_t m = t.size() / 2;
  const std::size_t first = i < m ? m : 0;
  return std::find(t.begin() + static_cast<std::ptrdiff_t>(first), t.begin() + static_cast<std::ptrdiff_t>(first + m),
                   t[i]) != t.begin() + static_cast<std::ptrdiff_t>(first + m);
}

struct TaskDef {
  TaskKind kind;
  std::int64_t vocab;
  std::int64_t out_dim;
  enum class Group { mirror, dihedral, wreath, symmetric, first_fixed, alternating } group;
  bool even_length;
  std::int64_t min_length;
  std::int64_t max_length;
};

const std::map<std::string, TaskDef>& defs() {
  using G = TaskDef::Group;
  static const std::map<std::string, TaskDef> d = {
      {"palindrome", {TaskKind::node_classification, 10, 2, G::mirror, false, 3, 1 << 20}},
      {"monotone", {TaskKind::node_classification, 10, 2, G::mirror, false, 3, 1 << 20}},
      {"constant", {TaskKind::node_classification, 5, 2, G::mirror, false, 3, 1 << 20}},
      // At length 3 the three cyclic windows are the same three positions:
      // sums and products always tie (the alternating sum does not).
      {"cyclicsum", {TaskKind::node_classification, 10, 2, G::dihedral, false, 4, 1 << 20}},
      {"cyclicprod", {TaskKind::node_classification, 9, 2, G::dihedral, false, 4, 1 << 20}},
      {"cyclicaltsum", {TaskKind::node_classification, 10, 2, G::dihedral, false, 3, 1 << 20}},
      {"intersect", {TaskKind::node_classification, 4, 2, G::wreath, true, 2, 1 << 20}},
      {"symdiff", {TaskKind::node_classification, 6, 2, G::wreath, true, 2, 1 << 20}},
      {"targetsum", {TaskKind::node_classification, 10, 2, G::wreath, true, 2, 1 << 20}},
      {"longestpal", {TaskKind::graph_regression, 20, 1, G::symmetric, false, 1, 1 << 20}},
      {"detectcapital", {TaskKind::graph_classification, 52, 2, G::first_fixed, false, 2, 1 << 20}},
      {"vandermonde", {TaskKind::graph_classification, 15, 2, G::alternating, false, 2, 15}},
      {"palindrome-count", {TaskKind::graph_regression, 10, 1, G::mirror, false, 3, 1 << 20}},
      {"intersect-count", {TaskKind::graph_regression, 4, 1, G::wreath, true, 2, 1 << 20}},
  };
  return d;
}

const TaskDef& def_of(const std::string& name) {
  const auto it = defs().find(name);
  if (it == defs().end()) {
    std::string known;
    for (const auto& n : task_names()) known += (known.empty() ? "" : ", ") + n;
    throw InputError("unknown task '" + name + "'; known tasks: " + known);
  }
  return it->second;
}

}  // namespace

std::vector<std::string> task_names() {
  return {"palindrome",  "monotone",      "constant",    "cyclicsum",        "cyclicprod",
          "cyclicaltsum", "intersect",    "symdiff",     "targetsum",        "longestpal",
          "detectcapital", "vandermonde", "palindrome-count", "intersect-count"};
}

TaskInfo task_info(const std::string& name, std::int64_t length) {
  const TaskDef& d = def_of(name);
  if (length < d.min_length || length > d.max_length)
    throw InputError("task '" + name + "' needs a sequence length in [" + std::to_string(d.min_length) + ", " +
                     std::to_string(d.max_length) + "], got " + std::to_string(length));
  if (d.even_length && length % 2 != 0)
    throw InputError("task '" + name + "' compares two halves and needs an even sequence length, got " +
                     std::to_string(length));
  TaskInfo info;
  info.name = name;
  info.kind = d.kind;
  info.vocab = d.vocab;
  info.out_dim = d.out_dim;
  const std::string n = std::to_string(length);
  switch (d.group) {
    case TaskDef::Group::mirror:
      info.group = "mirror(" + n + ")";
      break;
    case TaskDef::Group::dihedral:
      info.group = length >= 3 ? "D(" + n + ")" : "S(" + n + ")";
      break;
    case TaskDef::Group::wreath:
      info.group = "wreath(S(" + std::to_string(length / 2) + "),S(2))";
      break;
    case TaskDef::Group::symmetric:
      info.group = "S(" + n + ")";
      break;
    case TaskDef::Group::first_fixed:
      info.group = "trivial(1)*S(" + std::to_string(length - 1) + ")";
      break;
    case TaskDef::Group::alternating:
      info.group = "A(" + n + ")";
      break;
  }
  return info;
}

std::vector<std::int64_t> label_sequence(const std::string& task, const Tokens& t) {
  (void)def_of(task);
  const std::size_t n = t.size();
  if (task == "palindrome") return window_cover(n, [&](std::size_t s) { return t[s] == t[s + 2]; });
  if (task == "monotone")
    return window_cover(n, [&](std::size_t s) {
      return (t[s] < t[s + 1] && t[s + 1] < t[s + 2]) || (t[s] > t[s + 1] && t[s + 1] > t[s + 2]);
    });
  if (task == "constant") return window_cover(n, [&](std::size_t s) { return t[s] == t[s + 1] && t[s + 1] == t[s + 2]; });
  if (task == "cyclicsum")
    return cyclic_window_labels(n, unique_best_window(n, [&](std::size_t a, std::size_t b, std::size_t c) {
                                  return static_cast<long long>(t[a] + t[b] + t[c]);
                                }));
  if (task == "cyclicprod")
    return cyclic_window_labels(n, unique_best_window(n, [&](std::size_t a, std::size_t b, std::size_t c) {
                                  return static_cast<long long>((t[a] + 1) * (t[b] + 1) * (t[c] + 1));
                                }));
  if (task == "cyclicaltsum")
    return cyclic_window_labels(n, unique_best_window(n, [&](std::size_t a, std::size_t b, std::size_t c) {
                                  return static_cast<long long>(t[a] - t[b] + t[c]);
                                }));
  if (task == "intersect") return halves(t, [](std::int64_t a, std::int64_t b) { return a == b; });
  if (task == "symdiff") {
    Tokens out(n);
    for (std::size_t i = 0; i < n; ++i) out[i] = contains_other_half(t, i) ? 0 : 1;
    return out;
  }
  if (task == "targetsum") return halves(t, [](std::int64_t a, std::int64_t b) { return a + b == 9; });
  if (task == "longestpal") {
    std::map<std::int64_t, std::int64_t> count;
    for (auto x : t) ++count[x];
    std::int64_t pairs = 0;
    bool odd = false;
    for (const auto& [x, c] : count) {
      pairs += c / 2;
      odd = odd || c % 2 != 0;
    }
    return {2 * pairs + (odd ? 1 : 0)};
  }
  if (task == "detectcapital") {
    auto upper = [](std::int64_t x) { return x >= 26; };
    bool all_upper = true;
    bool all_lower = true;
    bool rest_lower = true;
    for (std::size_t i = 0; i < n; ++i) {
      all_upper = all_upper && upper(t[i]);
      all_lower = all_lower && !upper(t[i]);
      if (i > 0) rest_lower = rest_lower && !upper(t[i]);
    }
    return {all_upper || all_lower || (n > 0 && upper(t[0]) && rest_lower) ? 1 : 0};
  }
  if (task == "vandermonde") {
    std::int64_t inversions = 0;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) inversions += t[i] > t[j] ? 1 : 0;
    return {inversions % 2 == 0 ? 1 : 0};
  }
  if (task == "palindrome-count") {
    std::int64_t c = 0;
    for (std::size_t s = 0; s + 2 < n; ++s) c += t[s] == t[s + 2] ? 1 : 0;
    return {c};
  }
  // intersect-count
  const std::size_t m = n / 2;
  std::set<std::int64_t> a(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(m));
  std::set<std::int64_t> b(t.begin() + static_cast<std::ptrdiff_t>(m), t.end());
  std::int64_t common = 0;
  for (auto x : a) common += b.count(x) != 0 ? 1 : 0;
  return {common};
}

namespace {

// Draws after which a cyclic task gives up on finding a sequence without a
// tie (long sequences make ties the rule).
constexpr std::int64_t kTieRejections = 100000;

Sample draw(const std::string& task, const TaskDef& d, std::int64_t n, std::mt19937_64& rng, std::int64_t index) {
  const auto un = static_cast<std::size_t>(n);
  for (std::int64_t attempt = 1;; ++attempt) {
    Tokens t = random_tokens(rng, n, d.vocab);
    bool planted = false;
    if (task == "palindrome" || task == "monotone" || task == "constant") {
      // Half the samples get a planted window, so positives are common.
      if (coin(rng)) {
        planted = true;
        const auto s = static_cast<std::size_t>(below(rng, n - 2));
        if (task == "palindrome") {
          t[s + 2] = t[s];
        } else if (task == "constant") {
          t[s + 1] = t[s + 2] = t[s];
        } else {
          std::int64_t v[3];
          do {
            for (auto& x : v) x = below(rng, d.vocab);
          } while (v[0] == v[1] || v[1] == v[2] || v[0] == v[2]);
          std::sort(v, v + 3);
          if (coin(rng)) std::reverse(v, v + 3);
          for (std::size_t k = 0; k < 3; ++k) t[s + k] = v[k];
        }
      }
    } else if (task == "detectcapital") {
      // Balanced classes: even samples are correctly capitalised words.
      if (index % 2 == 0) {
        const auto pattern = below(rng, 3);
        for (std::size_t i = 0; i < un; ++i) {
          const bool up = pattern == 0 || (pattern == 2 && i == 0);
          t[i] = below(rng, 26) + (up ? 26 : 0);
        }
      } else if (label_sequence(task, t)[0] == 1) {
        continue;
      }
    } else if (task == "vandermonde") {
      // n distinct values
      std::vector<std::int64_t> pool(static_cast<std::size_t>(d.vocab));
      for (std::size_t k = 0; k < pool.size(); ++k) pool[k] = static_cast<std::int64_t>(k);
      for (std::size_t k = 0; k < un; ++k) std::swap(pool[k], pool[k + static_cast<std::size_t>(below(rng, d.vocab - static_cast<std::int64_t>(k)))]);
      t.assign(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(un));
    }
    Tokens labels = label_sequence(task, t);
    if (task == "palindrome" && !planted && std::count(labels.begin(), labels.end(), 1) > 0) continue;
    if ((task == "cyclicsum" || task == "cyclicprod" || task == "cyclicaltsum") &&
        std::count(labels.begin(), labels.end(), 1) == 0) {
      if (attempt >= kTieRejections)
        throw InputError("task '" + task + "': no sequence of length " + std::to_string(n) +
                         " with a unique best cyclic window in " + std::to_string(kTieRejections) +
                         " random draws; at this length ties are the rule, use a shorter sequence");
      continue;  // a tie: redraw
    }
    return {std::move(t), std::move(labels)};
  }
}

}  // namespace

Dataset generate_dataset(const std::string& task, std::int64_t count, std::int64_t length, std::uint64_t seed) {
  const TaskInfo info = task_info(task, length);
  const TaskDef& d = def_of(task);
  if (count < 0) throw InputError("the number of samples must not be negative");
  // Inputs and targets: 8 bytes a position each (int64).
  const long double bytes = static_cast<long double>(count) * static_cast<long double>(length) * 16.0L;
  if (detail::exceeds_memory(bytes))
    throw InputError(std::to_string(count) + " sequences of length " + std::to_string(length) + " need " +
                     detail::gib(bytes) + ", more than this machine's " +
                     detail::gib(static_cast<long double>(detail::physical_memory_bytes())) + " of memory");
  // Distinct tasks with the same seed get different streams.
  std::uint64_t mix = seed * 0x9e3779b97f4a7c15ULL;
  for (char c : task) mix = (mix ^ static_cast<unsigned char>(c)) * 0x100000001b3ULL;
  std::mt19937_64 rng(mix ^ static_cast<std::uint64_t>(length));
  Dataset data;
  data.info = info;
  data.length = length;
  data.inputs = torch::empty({count, length}, torch::kLong);
  auto in = data.inputs.accessor<std::int64_t, 2>();
  const bool node = info.kind == TaskKind::node_classification;
  if (node)
    data.targets = torch::empty({count, length}, torch::kLong);
  else if (info.kind == TaskKind::graph_classification)
    data.targets = torch::empty({count}, torch::kLong);
  else
    data.targets = torch::empty({count, 1}, torch::kFloat);
  for (std::int64_t s = 0; s < count; ++s) {
    const Sample sample = draw(task, d, length, rng, s);
    for (std::int64_t i = 0; i < length; ++i) in[s][i] = sample.tokens[static_cast<std::size_t>(i)];
    if (node) {
      auto out = data.targets.accessor<std::int64_t, 2>();
      for (std::int64_t i = 0; i < length; ++i) out[s][i] = sample.labels[static_cast<std::size_t>(i)];
    } else if (info.kind == TaskKind::graph_classification) {
      data.targets.accessor<std::int64_t, 1>()[s] = sample.labels[0];
    } else {
      data.targets.accessor<float, 2>()[s][0] = static_cast<float>(sample.labels[0]);
    }
  }
  return data;
}

Dataset Dataset::slice(std::int64_t begin, std::int64_t end) const {
  Dataset out;
  out.info = info;
  out.length = length;
  out.inputs = inputs.slice(0, begin, end);
  out.targets = targets.slice(0, begin, end);
  return out;
}

Splits split_dataset(const Dataset& data) {
  const std::int64_t s = data.size();
  const std::int64_t train = (s * 70 + 50) / 100;
  std::int64_t val = (s * 15 + 50) / 100;
  // Rounding leaves no test sample for 4 or 5 samples: the validation split
  // gives its one (from 2 samples on there is a training and a test sample).
  if (s >= 2 && train + val >= s) val = s - train - 1;
  return {data.slice(0, train), data.slice(train, std::min(s, train + val)), data.slice(std::min(s, train + val), s)};
}

}  // namespace asen::nn
