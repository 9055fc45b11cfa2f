#pragma once
/// \file
/// The paper's synthetic sequence tasks, generated in C++ from a seed. Each
/// task declares the group its labels are equivariant (or invariant) to.
///
/// Equivariant tasks (a binary label per position), n = sequence length:
///   palindrome    digits; 1 on every position of a window x[s..s+2] with
///                 x[s] = x[s+2]. Each draw plants such a window with
///                 probability 1/2; a draw without one is kept only if it has
///                 none by chance, else drawn again (coin included). So about
///                 70% of the samples have a window at length 10, and the
///                 share tends to 1 as the length grows       mirror(n)
///   monotone      digits; 1 on every position of a strictly increasing or
///                 decreasing window of 3                     mirror(n)
///   constant      tokens 0..4; 1 on every position of a window of 3 equal
///                 tokens                                     mirror(n)
///   cyclicsum     digits; 1 on the unique cyclic window of 3 with the largest
///                 sum (samples with ties are redrawn)        D(n)
///   cyclicprod    tokens 0..8 standing for 1..9; the same with the product D(n)
///   cyclicaltsum  digits; the same with x[s] - x[s+1] + x[s+2]  D(n)
///   intersect     tokens 0..3, two halves; 1 if the token occurs in the other
///                 half                                       wreath(S(n/2),S(2))
///   symdiff       tokens 0..5; 1 if the token does not occur in the other half
///                                                            wreath(S(n/2),S(2))
///   targetsum     digits; 1 if some token of the other half adds up to 9 with
///                 it                                         wreath(S(n/2),S(2))
/// Invariant tasks (one label per sequence):
///   longestpal        letters 0..19; length of the longest palindrome made of
///                     the letters (regression)               S(n)
///   detectcapital     52 letters (26 lower, 26 upper); 1 if all upper, all
///                     lower, or only the first upper; balanced classes
///                                                            trivial(1)*S(n-1)
///   vandermonde       n distinct values 1..15; 1 if the Vandermonde
///                     determinant prod_{i<j}(x_j - x_i) is positive
///                                                            A(n)
///   palindrome-count  digits; the number of windows x[s..s+2] with
///                     x[s] = x[s+2] (regression)             mirror(n)
///   intersect-count   tokens 0..3; the number of distinct tokens common to
///                     both halves (regression)               wreath(S(n/2),S(2))
///
/// vandermonde is invariant under A(n), whose 2-closure is S(n): its breaking
/// input is that of S(n), so ASEN cannot learn it (a property of
/// 2-closures, kept as a demonstration).

#include <asen/nn/model.hpp>

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace asen::nn {

struct TaskInfo {
  std::string name;
  TaskKind kind = TaskKind::node_classification;
  /// The group spec the labels respect, for this length.
  std::string group;
  /// Tokens are in [0, vocab).
  std::int64_t vocab = 0;
  /// Classes (classification) or 1 (regression).
  std::int64_t out_dim = 2;
};

/// Every task name, equivariant ones first.
[[nodiscard]] std::vector<std::string> task_names();
/// The task's description for sequences of `length`.
/// \throws InputError for an unknown name or a length the task cannot use
/// (odd for the half-based tasks, below 3 for windows, below 4 for cyclicsum and
/// cyclicprod, whose windows all tie at 3, above 15 for vandermonde).
[[nodiscard]] TaskInfo task_info(const std::string& name, std::int64_t length);

/// One labelled sample: node tasks give a label per position, graph tasks one.
struct Sample {
  std::vector<std::int64_t> tokens;
  std::vector<std::int64_t> labels;  // node tasks: one per position; graph tasks: one
};

/// The label(s) of a sequence by the task's definition (used to label the
/// generated samples). \throws InputError for an unknown task.
[[nodiscard]] std::vector<std::int64_t> label_sequence(const std::string& task, const std::vector<std::int64_t>& tokens);

/// A dataset of `count` samples of `length`, from `seed` (the same arguments
/// give the same samples).
struct Dataset {
  TaskInfo info;
  std::int64_t length = 0;
  torch::Tensor inputs;   ///< [S, n] int64 tokens
  torch::Tensor targets;  ///< node: [S, n] int64; graph classification: [S] int64; regression: [S, 1] float
  [[nodiscard]] std::int64_t size() const { return inputs.defined() ? inputs.size(0) : 0; }
  /// Rows [begin, end).
  [[nodiscard]] Dataset slice(std::int64_t begin, std::int64_t end) const;
};
[[nodiscard]] Dataset generate_dataset(const std::string& task, std::int64_t count, std::int64_t length,
                                       std::uint64_t seed);

/// The split of a dataset into 70% train, 15% validation, 15% test (in order).
struct Splits {
  Dataset train;
  Dataset val;
  Dataset test;
};
[[nodiscard]] Splits split_dataset(const Dataset& data);

}  // namespace asen::nn
