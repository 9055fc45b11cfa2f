#pragma once
/// \file
/// Training ASEN: one task, several at once (one shared backbone, batches
/// drawn at random across tasks), or pretrained on some and finetuned on
/// another. Adam with three parameter groups (backbone, colour embeddings,
/// token embeddings), cross-entropy per node for equivariant classification,
/// cross entropy per sample for invariant classification, L1 for invariant
/// regression (as the paper's counting tasks) and mean squared error for
/// regression per node (PyTorch's usual regression loss; both regression
/// kinds also report the mean absolute error, "mae"). Every run is
/// reproducible from its seed, and resumable.
///
/// Files in the output folder: `metrics.jsonl` (one line per task, epoch and
/// split: {"task", "epoch", "split", "loss", "node_accuracy", "exact_match",
/// "seconds"}, and "mae" for the regression kinds), `checkpoint.pt` (after
/// every epoch, written to a temporary name and renamed), and `model.pt` (the
/// final model).

#include <asen/graph/base_graph.hpp>
#include <asen/nn/model.hpp>
#include <asen/nn/tasks.hpp>

#include <torch/torch.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace asen::nn {

/// One task's data and the structure it is trained on.
struct TaskData {
  std::string name;
  /// What a loader noticed that is valid but likely not meant (e.g. reals of
  /// shape [samples, nodes] read as one target per sample), for the faces to
  /// show before training (stderr, Python warnings).
  std::vector<std::string> notes;
  TaskKind kind = TaskKind::node_classification;
  std::int64_t vocab = 0;        ///< tokens; 0 for real-valued features
  std::int64_t in_features = 0;  ///< when vocab is 0
  std::int64_t out_dim = 2;
  /// The group spec whose breaking input the structure uses, its generators
  /// (so a saved model does not depend on files behind `graph:` specs), and
  /// the breaking-input mode with its base graph.
  std::string group;
  graph::BreakingMode mode = graph::BreakingMode::dense;
  std::optional<graph::BaseGraph> base;
  Splits data;
  /// The user's data folder the task was read from (graph_data.hpp); empty
  /// for a synthetic task. Saved with the model, so that tools that generate
  /// synthetic data know not to.
  std::string data_dir;
  /// For a data folder: the seed of the shuffle before its split, and the
  /// fingerprint of its samples (graph_data.hpp); with `data_dir`, they let
  /// `asen eval` rebuild the test split the model was trained with.
  std::uint64_t data_seed = 0;
  std::string data_fingerprint;
  /// True for a structure built on a breaking input given as tensors (Python's
  /// add_structure with an asen.BreakingInput) instead of `group`'s orbitals:
  /// save_model stores that input and load_model restores it as it was;
  /// `group` is then the input's automorphism group (what the model is
  /// equivariant to), as image lists.
  bool input_given = false;
  /// For a synthetic task: the seed its sequences were drawn with.
  /// generate_dataset(name, N, length, seed) begins with its training split
  /// whatever N, so evaluation sequences must come from another seed.
  std::optional<std::uint64_t> synthetic_seed;
};

/// The synthetic task `name` with `samples` sequences of `length`, split
/// 70/15/15, on the breaking input of `group` (the task's own group when empty).
[[nodiscard]] TaskData synthetic_task(const std::string& name, std::int64_t samples, std::int64_t length,
                                      std::uint64_t seed, const std::string& group = "");

struct TrainConfig {
  std::int64_t epochs = 15;
  // Defaults chosen on the paper's tasks at 700 training sequences (see the
  // README's quality table): small batches and one moderate rate learn the
  // tasks the paper's 64 / 0.01 / 0.03 / 0.1 left at the majority class.
  std::int64_t batch = 8;
  std::uint64_t seed = 0;
  double lr_backbone = 0.002;
  double lr_edges = 0.002;
  double lr_tokens = 0.002;
  double weight_decay = 0.0;
  /// Scales the initial colour embeddings of the structures this run
  /// creates (torch's N(0, 1) draw times this, >= 0). 1 keeps torch's
  /// default, which the quality table was measured with. A small value such
  /// as 0.01 starts every colour near one point, so colours differ only as
  /// far as training makes them differ: what symmetry discovery
  /// (discover.hpp) reads. Measured at the other defaults, one seed (0),
  /// test accuracy with 0.01 against 1: intersect on its own group 1.000
  /// against 1.000, cyclicsum 0.969 against 0.995, palindrome 0.936 against
  /// 0.954; so it is not the default.
  double edge_init_scale = 1.0;
  /// Clip the gradient norm (0: no clipping).
  double clip_norm = 1.0;
  /// Learning-rate schedule over the whole run, applied to every parameter
  /// group: "constant", or "cosine" (each rate decays from its set value to
  /// zero along half a cosine, step by step).
  std::string lr_schedule = "cosine";
  /// Fraction of each task's training split that is used (transfer learning
  /// finetunes on a fraction).
  double train_fraction = 1.0;
  BackboneOptions backbone;
  /// Output folder (metrics, checkpoint, model); empty: write nothing.
  std::string out_dir;
  /// Print a progress bar on stderr (only when it is a terminal).
  bool progress = true;
  /// Resume from out_dir/checkpoint.pt when it matches this run.
  bool resume = true;
  /// "auto" (CUDA when present), "cpu" or "cuda".
  std::string device = "auto";
  /// torch's intra-op threads (0: torch's default).
  std::int64_t threads = 0;
  /// Called before every training batch; an exception it throws stops the
  /// run and propagates (checkpoint.pt keeps the last complete epoch, as when
  /// the process is killed). The Python binding polls for Ctrl-C here.
  std::function<void()> between_batches;
};

/// Metrics of one task on one split.
struct Metrics {
  std::string task;
  std::int64_t epoch = 0;
  std::string split;
  double loss = 0;
  /// Per-node accuracy (node tasks), accuracy (classification), or the share
  /// of predictions that round to the target (regression).
  double node_accuracy = 0;
  /// Share of samples with every node right (node tasks); as node_accuracy otherwise.
  double exact_match = 0;
  double seconds = 0;
  /// The mean absolute error over every output (regression kinds only).
  std::optional<double> mae;
};

struct TrainResult {
  std::vector<Metrics> history;
  /// Final test metrics per task (after the last epoch).
  std::map<std::string, Metrics> test;
  AsenModel model{nullptr};
  /// Epochs read from the output folder's checkpoint (0: a new run).
  std::int64_t resumed_from = 0;
};

/// Trains a new model on the tasks together (one task: single-task training).
/// Reproducible from config.seed: the set-up (new weights and embeddings)
/// draws from torch's default CPU generator seeded with it, under a lock that
/// other asen runs and model constructions take too, and restores its state;
/// dropout then draws from the run's own generator forked from it. So another
/// run on another thread changes nothing, nor do other threads' torch draws
/// once the set-up is done (during it, as for any torch module's
/// initialisation, they would interleave).
/// \throws InputError for bad settings or a checkpoint that cannot be used.
[[nodiscard]] TrainResult train(std::vector<TaskData> tasks, const TrainConfig& config);

/// Continues training `model` (which gets a structure for every task it lacks)
/// on `tasks`, with the backbone learning rate scaled by `backbone_lr_scale`;
/// seeded as train() with config.seed + 1.
[[nodiscard]] TrainResult finetune(AsenModel model, std::vector<TaskData> tasks, const TrainConfig& config,
                                   double backbone_lr_scale = 0.1);

/// A new model with the backbone of `trained` (its weights copied) and no
/// structures: what transfer finetunes, so that the pretrained model stays as
/// it was and the finetuned one holds only the structures it was trained on.
[[nodiscard]] AsenModel backbone_copy(const AsenModel& trained);

/// Loss and metrics of `model` on a dataset of one structure.
/// `between_batches`, when set, is called before each batch (it may throw
/// to stop, e.g. on Ctrl-C from Python).
[[nodiscard]] Metrics evaluate(AsenModel& model, const std::string& structure, const Dataset& data,
                               std::int64_t batch = 256, const std::function<void()>& between_batches = {});

/// Saves a model with what is needed to rebuild it (backbone options, each
/// structure's group, mode, base graph and sizes), atomically.
void save_model(const AsenModel& model, const std::vector<TaskData>& tasks, const std::string& path);

/// A model loaded from a file written by save_model (or a checkpoint).
struct LoadedModel {
  AsenModel model{nullptr};
  /// Per structure: its group (generators included) and sizes.
  std::vector<TaskData> tasks;  // data splits are empty
  std::string meta_json;
};
/// \throws InputError naming the file for a missing, corrupt or mismatched file.
[[nodiscard]] LoadedModel load_model(const std::string& path);

}  // namespace asen::nn
