#pragma once
/// \file
/// A user's own graph data, read from a folder into a task that `train`
/// takes like a synthetic one:
///
///   DIR/inputs.npy    float [S, N, F] (F features per node), float [S, N]
///                     (one feature), or integer/bool [S, N] (tokens 0, 1, ...)
///   DIR/targets.npy   what the model should output:
///                       integer [S, N]     a class per node (node classification)
///                       float [S, N, D]    D reals per node (node regression)
///                       integer [S]        a class per sample (graph classification)
///                       float [S, D], [S]  D reals per sample (graph regression)
///                     A head given by the user (or asen.json) overrides the
///                     dtype: "regression" on integer targets treats them as
///                     reals ([S, N] integers then are D reals per sample, so
///                     give per-node reals as [S, N, 1]); "classification" on
///                     float targets needs whole numbers ([S, N] or
///                     [S, N, 1] per node, [S] per sample).
///   DIR/graph.txt     the base graph on the N nodes: an edge list, or
///   (or graph.dot)    GraphViz (see graph/base_graph.hpp); needed by the
///                     sparse modes and for the default group, optional otherwise
///   DIR/asen.json     optional defaults, each overridden by the caller:
///                     {"name", "group", "mode", "head", "graph" (the graph
///                     file's name in DIR), "vocab" (tokens), "classes"}
///
/// The group: the caller's spec, else asen.json's (a `graph:FILE` there is
/// relative to DIR), else the automorphism group of the base graph
/// (`graph:DIR/graph.txt`), parsed with degree N: a spec on fewer points is
/// extended by fixed points, one on more is refused.
///
/// The samples are shuffled with the seed and then split 70/15/15 into
/// train/validation/test (files are often ordered, e.g. by subject or time:
/// without the shuffle the test split would hold only the last ones). Node i
/// of the arrays is vertex i of the graph and point i of the group (0-based;
/// cycle notation in specs is 1-based).

#include <asen/nn/training.hpp>

#include <cstdint>
#include <string>

namespace asen::nn {

/// What the caller sets; empty strings fall back to DIR/asen.json, then to
/// the defaults.
struct GraphDataOptions {
  /// A group spec (e.g. "(2,5)(3,6)", "mirror(16)", "graph:skeleton.txt");
  /// default asen.json's "group", else graph:<the base graph file>.
  std::string group;
  /// "dense", "sparse" or "weak-sparse"; default asen.json's "mode", else dense.
  std::string mode;
  /// "regression" or "classification"; default asen.json's "head", else by
  /// the dtype of targets.npy (floats: regression, integers: classification).
  std::string head;
  /// The task (structure) name; default asen.json's "name", else the folder's
  /// name with characters other than letters, digits, '_' and '-' made '_'.
  std::string name;
  /// Seeds the shuffle before the split.
  std::uint64_t seed = 0;
  /// Reading the folder to evaluate a model already trained (`asen eval`):
  /// the group, mode and base graph are not resolved (the model's structure
  /// has its own), and one sample is enough (it may land in any split).
  bool evaluation = false;
};

/// Reads the data folder `dir` into a task (splits, sizes, kind, group spec,
/// mode and base graph; `data_dir`, `data_seed` and `data_fingerprint` set).
/// \throws InputError naming the file and what is wrong: a missing or
/// unreadable file, a bad array (dtype, shape, NaN or infinity, a negative
/// class or token), sample counts that differ between inputs and targets,
/// node counts that differ from the graph's vertices or the group's degree,
/// an unknown key or a bad value in asen.json, a sparse mode without a
/// graph, too few samples for a training and a test split.
[[nodiscard]] TaskData load_graph_data(const std::string& dir, const GraphDataOptions& options = {});

/// The test split of the data folder a structure was trained on, rebuilt as
/// in training from what a model records of it (`t.data_dir`, the shuffle's
/// `t.data_seed` and `t.data_fingerprint`).
/// \throws InputError if `t` records no data folder or no fingerprint (a
/// model of an older asen), if the folder is not there, or if its samples
/// changed since training.
[[nodiscard]] Dataset rebuild_test_split(const TaskData& t);

/// A hash of the samples as read (inputs and targets with their shapes, in
/// the files' order; 16 hex digits): saved with a model and in its
/// checkpoints, so that a run resumed, or a model evaluated, on a folder
/// whose files changed since training is refused instead of silently using
/// other data under the same split.
[[nodiscard]] std::string data_fingerprint(const torch::Tensor& inputs, const torch::Tensor& targets);

}  // namespace asen::nn
