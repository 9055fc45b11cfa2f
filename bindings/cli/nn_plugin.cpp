// The nn commands plugin (libasen_nn_commands.so): `asen train`, `asen eval`,
// `asen equivariance` and `asen discover` (discover_plugin.cpp) run here, on
// asen::nn, so that the executable never links LibTorch. It exports two C
// functions (nn_plugin.hpp); the options and the answers are JSON objects
// whose keys are documented in nn_commands.cpp (discover: in
// discover_command.cpp). The executable has checked the arguments' syntax; what
// needs the library (task names, group specs, model files) is checked here.
//
// This library holds its own copy of the algebra and graph layers (they are
// static libraries), so its own registry of group spec prefixes and its own
// GAP settings: both are set up here, from the options, on every call.

#include "discover_plugin.hpp"
#include "graph_specs.hpp"
#include "nn_plugin.hpp"

#include <asen/algebra/gap.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/nn/equivariance.hpp>
#include <asen/nn/graph_data.hpp>
#include <asen/nn/tasks.hpp>
#include <asen/nn/training.hpp>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace nn = asen::nn;
using asen::InputError;
using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr int kStatusOk = 0;
constexpr int kStatusFailure = 1;
constexpr int kStatusBadInput = 2;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// ---------------------------------------------------------------------------
// Set-up shared by the commands.

/// "graph:FILE" specs in this library's copy of the algebra layer (once),
/// and GAP's workspace limit from the global --gap-memory-mb.
void set_up(const Json& options) {
  static std::once_flag once;
  std::call_once(once, [] { asen::cli::register_graph_specs(); });
  const Json& memory = options.at("gap_memory_mb");
  if (!memory.is_null() && !asen::algebra::gap::is_running()) {
    asen::algebra::gap::Settings settings;
    settings.memory_limit_mb = memory.get<std::size_t>();
    asen::algebra::gap::configure(settings);
  }
}

Json metrics_json(const std::string& group, const nn::Metrics& m) {
  Json out = {{"group", group}, {"loss", m.loss}, {"node_accuracy", m.node_accuracy}, {"exact_match", m.exact_match}};
  if (m.mae) out["mae"] = *m.mae;  // regression only
  return out;
}

/// The metadata a model or checkpoint file carries (the "asen_meta" entry),
/// or nothing when the file is missing or unreadable (the nn library then
/// reports what is wrong with it).
std::optional<Json> read_meta(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path.string());
    c10::IValue value;
    archive.read("asen_meta", value);
    return Json::parse(value.toStringRef());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// ---------------------------------------------------------------------------
// train

/// The settings shared by the phases of a run.
nn::TrainConfig train_config(const Json& o) {
  nn::TrainConfig c;
  c.epochs = o.at("epochs").get<std::int64_t>();
  c.batch = o.at("batch").get<std::int64_t>();
  c.seed = o.at("seed").get<std::uint64_t>();
  c.lr_backbone = o.at("lr_backbone").get<double>();
  c.lr_edges = o.at("lr_edges").get<double>();
  c.lr_tokens = o.at("lr_tokens").get<double>();
  c.lr_schedule = o.at("lr_schedule").get<std::string>();
  c.edge_init_scale = o.at("edge_init_scale").get<double>();
  c.backbone.hidden(o.at("hidden").get<std::int64_t>())
      .layers(o.at("layers").get<std::int64_t>())
      .heads(o.at("heads").get<std::int64_t>())
      .dropout(o.at("dropout").get<double>());
  c.progress = o.at("progress").get<bool>();
  c.device = o.at("device").get<std::string>();
  c.threads = o.at("threads").get<std::int64_t>();
  c.out_dir = o.at("out").get<std::string>();
  return c;
}

/// A task's data on its group: the one given for it in "groups", or its own.
/// \throws InputError naming the task for a bad spec or an unknown task.
/// What the task's loader noticed (TaskData::notes), on stderr before the run.
void print_notes(const nn::TaskData& task) {
  for (const auto& note : task.notes) std::cerr << "asen: note: " << note << std::endl;
}

nn::TaskData make_task(const std::string& name, const Json& o) {
  const auto length = o.at("length").get<std::int64_t>();
  const Json& groups = o.at("groups");
  const std::string spec = groups.contains(name) ? groups.at(name).get<std::string>() : std::string();
  // Checks the name and the length first: the message lists the known tasks.
  (void)nn::task_info(name, length);
  const auto samples = o.at("samples").get<std::int64_t>();
  nn::TaskData task = nn::synthetic_task(name, samples, length, o.at("seed").get<std::uint64_t>(), spec);
  print_notes(task);
  if (task.data.train.size() == 0 || task.data.test.size() == 0)
    throw InputError("--samples " + std::to_string(samples) + " leaves task '" + name +
                     "' without training or test sequences (split 70/15/15); ask for more");
  return task;
}

/// One training phase (single, multi-task, finetuning or from scratch).
struct Phase {
  std::string out;
  std::vector<nn::TaskData> tasks;
  nn::TrainResult result;
  std::int64_t epochs = 0;
  std::int64_t resumed_from = 0;
  double seconds = 0;

  [[nodiscard]] Json answer() const {
    Json metrics = Json::object();
    for (const auto& t : tasks) {
      const auto it = result.test.find(t.name);
      if (it == result.test.end()) throw asen::Error("training gave no test metrics for task '" + t.name + "'");
      metrics[t.name] = metrics_json(t.group, it->second);
    }
    return {{"out", out}, {"tasks", std::move(metrics)}, {"epochs", epochs}, {"resumed_from", resumed_from},
            {"seconds", seconds}};
  }
};

/// The epochs a checkpoint in `config.out_dir` already holds. Resuming
/// itself is the nn library's (which also refuses a corrupt checkpoint or
/// one from other settings); this only reports it, and refuses a checkpoint
/// that is further along than the run asked for, whose model would otherwise
/// be reported as trained for fewer epochs than it was.
std::int64_t epochs_in_checkpoint(const nn::TrainConfig& config) {
  const fs::path path = fs::path(config.out_dir) / "checkpoint.pt";
  const std::optional<Json> meta = read_meta(path);
  if (!meta || !meta->contains("epochs_done") || !(*meta)["epochs_done"].is_number_integer()) return 0;
  const auto done = (*meta)["epochs_done"].get<std::int64_t>();
  const auto epochs = [](std::int64_t k) { return std::to_string(k) + (k == 1 ? " epoch" : " epochs"); };
  if (done > config.epochs)
    throw InputError("the checkpoint " + path.string() + " already holds " + epochs(done) + ", more than --epochs " +
                     std::to_string(config.epochs) + "; ask for " +
                     (config.lr_schedule == "constant"
                          ? "at least " + epochs(done)
                          : epochs(done) + " (the cosine schedule depends on the run's length: "
                                           "only --lr-schedule constant runs can be extended)") +
                     ", or use another output folder");
  return done;
}

/// Trains `tasks` with `config`: a new model, or `start` finetuned.
Phase run_phase(std::vector<nn::TaskData> tasks, const nn::TrainConfig& config, const nn::AsenModel* start = nullptr,
                double backbone_lr_scale = 1.0) {
  Phase phase;
  phase.out = config.out_dir;
  phase.tasks = tasks;
  phase.epochs = config.epochs;
  phase.resumed_from = epochs_in_checkpoint(config);
  const auto begin = Clock::now();
  phase.result = start == nullptr ? nn::train(std::move(tasks), config)
                                  : nn::finetune(*start, std::move(tasks), config, backbone_lr_scale);
  phase.seconds = seconds_since(begin);
  return phase;
}

// ---------------------------------------------------------------------------
// train --data: a user's data folder (nn/graph_data.hpp) as one task.

/// The task read from the folder in "data", with "data_group", "data_mode"
/// and "data_head" ("" for the folder's asen.json or the defaults).
nn::TaskData data_task(const Json& o) {
  nn::GraphDataOptions options;
  options.group = o.at("data_group").get<std::string>();
  options.mode = o.at("data_mode").get<std::string>();
  options.head = o.at("data_head").get<std::string>();
  options.seed = o.at("seed").get<std::uint64_t>();
  return nn::load_graph_data(o.at("data").get<std::string>(), options);
}

/// What was read: {"dir", "samples", "train", "val", "test", "nodes",
/// "features" (null for tokens), "vocab" (null for features), "kind",
/// "out_dim", "mode", "base_edges" (null in dense mode)}.
Json data_summary(const nn::TaskData& t) {
  const auto& d = t.data;
  const std::int64_t nodes = d.train.inputs.size(1);
  return {{"dir", t.data_dir},
          {"samples", d.train.size() + d.val.size() + d.test.size()},
          {"train", d.train.size()},
          {"val", d.val.size()},
          {"test", d.test.size()},
          {"nodes", nodes},
          {"features", t.vocab > 0 ? Json(nullptr) : Json(t.in_features)},
          {"vocab", t.vocab > 0 ? Json(t.vocab) : Json(nullptr)},
          {"kind", nn::to_string(t.kind)},
          {"out_dim", t.out_dim},
          {"mode", asen::graph::to_string(t.mode)},
          {"base_edges", t.base ? Json(t.base->num_edges()) : Json(nullptr)}};
}

Json run_train(const Json& o) {
  const auto begin = Clock::now();
  const std::string mode = o.at("mode").get<std::string>();
  if (mode == "data") {
    nn::TaskData task = data_task(o);
    print_notes(task);
    Json summary = data_summary(task);
    Json answer = run_phase({std::move(task)}, train_config(o)).answer();
    answer["data"] = std::move(summary);
    return answer;
  }
  std::vector<nn::TaskData> tasks;
  for (const auto& name : o.at("tasks")) tasks.push_back(make_task(name.get<std::string>(), o));
  const nn::TrainConfig config = train_config(o);
  if (mode == "single" || mode == "multi") {
    Json answer = run_phase(std::move(tasks), config).answer();
    return answer;
  }
  if (mode != "transfer") throw std::logic_error("unknown training mode '" + mode + "'");
  const nn::TaskData target = make_task(o.at("finetune").get<std::string>(), o);
  const fs::path out = config.out_dir;
  nn::TrainConfig pretrain_config = config;
  pretrain_config.out_dir = (out / "pretrain").string();
  const Phase pretrain = run_phase(std::move(tasks), pretrain_config);

  nn::TrainConfig finetune_config = config;
  finetune_config.train_fraction = o.at("finetune_fraction").get<double>();
  finetune_config.out_dir = (out / "finetune").string();
  const nn::AsenModel start = nn::backbone_copy(pretrain.result.model);
  const Phase finetune =
      run_phase({target}, finetune_config, &start, o.at("finetune_lr_scale").get<double>());

  nn::TrainConfig scratch_config = finetune_config;
  scratch_config.out_dir = (out / "scratch").string();
  const Phase scratch = run_phase({target}, scratch_config);
  return {{"out", out.string()},
          {"pretrain", pretrain.answer()},
          {"finetune", finetune.answer()},
          {"scratch", scratch.answer()},
          {"seconds", seconds_since(begin)}};
}

// ---------------------------------------------------------------------------
// eval

/// The data seed the model was trained with, when known: from the file
/// itself (a checkpoint records its run), else from the checkpoint beside it.
std::optional<std::uint64_t> training_seed(const std::string& model_path, const Json& meta) {
  const auto seed_of = [](const Json& m) -> std::optional<std::uint64_t> {
    if (m.contains("run") && m["run"].contains("seed") && m["run"]["seed"].is_number_unsigned())
      return m["run"]["seed"].get<std::uint64_t>();
    return std::nullopt;
  };
  if (auto seed = seed_of(meta)) return seed;
  const std::optional<Json> beside = read_meta(fs::path(model_path).parent_path() / "checkpoint.pt");
  return beside ? seed_of(*beside) : std::nullopt;
}

/// The samples of a data folder that `model`'s structure `t` (trained on a
/// data folder) is evaluated on: every sample of `given` when it is not
/// empty, else the test split of the training folder, rebuilt with the
/// training seed. Sets "data", "split" and "samples" in `about`.
nn::Dataset data_folder_samples(const nn::TaskData& t, const nn::AsenModel& model, const std::string& path,
                                const Json& meta, const std::string& given, Json& about) {
  const bool whole = !given.empty();
  const std::string dir = whole ? given : t.data_dir;
  nn::GraphDataOptions options;
  options.evaluation = true;
  options.name = t.name;
  options.head = nn::is_regression(t.kind) ? "regression" : "classification";
  if (!whole) {
    const std::optional<std::uint64_t> seed = t.data_fingerprint.empty() ? training_seed(path, meta) : t.data_seed;
    if (!seed)
      throw InputError("the model " + path + " does not record the seed that split its data folder " + dir +
                       "; give --data DIR to evaluate it on every sample of a folder");
    options.seed = *seed;
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      throw InputError("the model " + path + " was trained on the data folder " + dir +
                       ", which is not there any more; give --data DIR to evaluate it on every sample of a folder");
  }
  const nn::TaskData d = nn::load_graph_data(dir, options);
  if (!whole && !t.data_fingerprint.empty() && d.data_fingerprint != t.data_fingerprint)
    throw InputError("the samples in " + dir + " changed since the model " + path +
                     " was trained on them, so its test split cannot be rebuilt; give --data " + dir +
                     " to evaluate it on every sample as they are now");
  // The folder must fit the structure: nodes, inputs and head.
  const nn::StructureSpec& s = model->structure(t.name);
  const std::string x_path = (fs::path(dir) / "inputs.npy").string();
  const std::string y_path = (fs::path(dir) / "targets.npy").string();
  const std::int64_t nodes = s.input.num_nodes();
  const std::int64_t folder_nodes = d.data.train.inputs.size(1);
  if (folder_nodes != nodes)
    throw InputError(x_path + " has " + std::to_string(folder_nodes) + " nodes per sample but the structure '" +
                     t.name + "' of " + path + " has " + std::to_string(nodes));
  if (t.vocab > 0 && d.vocab == 0)
    throw InputError(x_path + " holds real features but the structure '" + t.name + "' of " + path +
                     " takes tokens (integers below " + std::to_string(t.vocab) + ")");
  // The values themselves decide (the folder's asen.json may declare a
  // larger "vocab" or "classes" than its arrays use).
  const auto largest = [&d](bool inputs) {
    std::int64_t out = -1;
    for (const nn::Dataset* part : {&d.data.train, &d.data.val, &d.data.test}) {
      const torch::Tensor& x = inputs ? part->inputs : part->targets;
      if (x.defined() && x.numel() > 0) out = std::max(out, x.max().item<std::int64_t>());
    }
    return out;
  };
  const std::int64_t largest_token = t.vocab > 0 && d.vocab > 0 ? largest(true) : -1;
  if (t.vocab > 0 && largest_token >= t.vocab)
    throw InputError(x_path + " holds the token " + std::to_string(largest_token) + " but the structure '" + t.name +
                     "' of " + path + " knows the tokens below " + std::to_string(t.vocab));
  if (t.vocab == 0 && d.vocab > 0)
    throw InputError(x_path + " holds integer tokens but the structure '" + t.name + "' of " + path + " takes " +
                     std::to_string(t.in_features) + " real features per node");
  if (t.vocab == 0 && d.in_features != t.in_features)
    throw InputError(x_path + " has " + std::to_string(d.in_features) + " features per node but the structure '" +
                     t.name + "' of " + path + " takes " + std::to_string(t.in_features));
  if (d.kind != t.kind) {
    const std::string n = std::to_string(nodes);
    const std::string out = std::to_string(t.out_dim);
    const std::string wanted = t.kind == nn::TaskKind::node_regression    ? "reals of shape [samples, " + n + ", " + out + "]"
                               : t.kind == nn::TaskKind::graph_regression ? "reals of shape [samples, " + out + "]"
                               : t.kind == nn::TaskKind::node_classification
                                   ? "integer classes of shape [samples, " + n + "]"
                                   : "integer classes of shape [samples]";
    std::string shape;
    for (const auto extent : d.data.train.targets.sizes()) shape += (shape.empty() ? "" : ", ") + std::to_string(extent);
    throw InputError(y_path + " has targets of shape [" + shape.replace(0, shape.find(','), "samples") +
                     "], which the structure's " + (nn::is_regression(t.kind) ? "regression" : "classification") +
                     " head reads as " + nn::to_string(d.kind) + ", but the structure '" + t.name + "' of " + path +
                     " was trained for " + nn::to_string(t.kind) + ": " + wanted);
  }
  const std::int64_t largest_class = nn::is_regression(t.kind) ? -1 : largest(false);
  if (!nn::is_regression(t.kind) ? largest_class >= t.out_dim : d.out_dim != t.out_dim)
    throw InputError(y_path + (!nn::is_regression(t.kind)
                                   ? " holds the class " + std::to_string(largest_class) + " but the structure '" +
                                         t.name + "' of " + path + " has " + std::to_string(t.out_dim) + " classes"
                                   : " has " + std::to_string(d.out_dim) + " outputs but the structure '" + t.name +
                                         "' of " + path + " has " + std::to_string(t.out_dim)));
  nn::Dataset samples = d.data.test;
  if (whole) {
    for (const nn::Dataset* part : {&d.data.train, &d.data.val}) {
      if (part->size() == 0) continue;
      samples.inputs = samples.size() == 0 ? part->inputs : torch::cat({samples.inputs, part->inputs});
      samples.targets = samples.size() == 0 ? part->targets : torch::cat({samples.targets, part->targets});
    }
  }
  about = {{"data", dir}, {"split", whole ? "all" : "test"}, {"samples", samples.size()}};
  return samples;
}

Json run_eval(const Json& o) {
  const std::string path = o.at("model").get<std::string>();
  nn::LoadedModel loaded = nn::load_model(path);
  const Json meta = Json::parse(loaded.meta_json);
  // The seeds the synthetic structures were trained with: the sequences
  // drawn from such a seed begin with that structure's training split.
  std::vector<std::uint64_t> trained_with;
  for (const auto& t : loaded.tasks) {
    if (!t.data_dir.empty()) continue;
    if (const std::optional<std::uint64_t> s = t.synthetic_seed ? t.synthetic_seed : training_seed(path, meta))
      trained_with.push_back(*s);
  }
  const auto trained_on = [&trained_with](std::uint64_t s) {
    return std::find(trained_with.begin(), trained_with.end(), s) != trained_with.end();
  };
  auto seed = o.at("seed").get<std::uint64_t>();
  if (!o.at("seed_given").get<bool>())
    while (trained_on(seed)) ++seed;
  const auto samples = o.at("samples").get<std::int64_t>();
  const auto batch = o.at("batch").get<std::int64_t>();
  const std::string data = o.at("data").get<std::string>();
  const std::vector<std::string> known = nn::task_names();
  std::vector<std::string> folders;
  for (const auto& t : loaded.tasks)
    if (!t.data_dir.empty()) folders.push_back(t.name);
  if (!data.empty() && folders.size() != 1)
    throw InputError("--data evaluates a model trained on one data folder ('asen train --data'), but the model " +
                     path + " has " + (folders.empty() ? "none" : std::to_string(folders.size()) + " such structures"));
  Json structures = Json::object();
  std::size_t synthetic = 0;
  for (const auto& t : loaded.tasks) {
    if (!t.data_dir.empty()) {
      Json about;
      const nn::Dataset set = data_folder_samples(t, loaded.model, path, meta, data, about);
      structures[t.name] = metrics_json(t.group, nn::evaluate(loaded.model, t.name, set, batch));
      structures[t.name].update(about);
      continue;
    }
    if (std::find(known.begin(), known.end(), t.name) == known.end())
      throw InputError("the model " + path + " has the structure '" + t.name +
                       "', which is not one of asen's synthetic tasks: asen eval can only generate data for those");
    const nn::StructureSpec& spec = loaded.model->structure(t.name);
    const std::int64_t length = spec.input.num_nodes();
    // A structure built by hand (Python) may carry a task's name but not its
    // kind or sizes: the task's data would not fit it.
    const nn::TaskInfo info = nn::task_info(t.name, length);
    // Exactly the task's kind and sizes, as Python's evaluate and discover ask.
    const bool fits = spec.kind == info.kind && spec.vocab == info.vocab && spec.out_dim == info.out_dim;
    if (!fits)
      throw InputError("the structure '" + t.name + "' of " + path + " is " + nn::to_string(spec.kind) + " with " +
                       (spec.vocab > 0 ? std::to_string(spec.vocab) + " tokens" : "real features") + " and " +
                       std::to_string(spec.out_dim) + " outputs, but asen's task '" + t.name + "' is " +
                       nn::to_string(info.kind) + " with " + std::to_string(info.vocab) + " tokens and " +
                       std::to_string(info.out_dim) + " outputs: asen eval cannot generate data for it");
    ++synthetic;
    const nn::Dataset generated = nn::generate_dataset(t.name, samples, length, seed);
    structures[t.name] = metrics_json(t.group, nn::evaluate(loaded.model, t.name, generated, batch));
    const std::optional<std::uint64_t> own = t.synthetic_seed ? t.synthetic_seed : training_seed(path, meta);
    structures[t.name]["includes_training_data"] = own ? Json(*own == seed) : Json(nullptr);
  }
  if (synthetic == 0 && (o.at("samples_given").get<bool>() || o.at("seed_given").get<bool>()))
    throw InputError("--samples and --seed set the data generated for asen's synthetic tasks, but the model " + path +
                     " was trained on a data folder only, which eval reads instead");
  // Only synthetic tasks have generated data.
  const Json none(nullptr);
  return {{"model", path},
          {"samples", synthetic > 0 ? Json(samples) : none},
          {"seed", synthetic > 0 ? Json(seed) : none},
          {"structures", std::move(structures)}};
}

// ---------------------------------------------------------------------------
// equivariance

Json optional_number(const std::optional<double>& value) { return value ? Json(*value) : Json(nullptr); }

Json run_equivariance(const Json& o) {
  const std::string path = o.at("model").get<std::string>();
  nn::LoadedModel loaded = nn::load_model(path);
  const std::string wanted = o.at("structure").get<std::string>();
  const auto random = o.at("random").get<std::int64_t>();
  const auto seed = o.at("seed").get<std::uint64_t>();
  if (!wanted.empty() && !loaded.model->has_structure(wanted)) {
    std::string names;
    for (const auto& n : loaded.model->structure_names()) names += (names.empty() ? "" : ", ") + n;
    throw InputError("the model " + path + " has no structure '" + wanted + "' (it has: " + names + ")");
  }
  // Each structure's group from the generators the file records, so that a
  // graph:FILE spec does not need its file any more.
  const Json meta = Json::parse(loaded.meta_json);
  Json structures = Json::array();
  for (const auto& s : meta.at("structures")) {
    const auto name = s.at("name").get<std::string>();
    if (!wanted.empty() && name != wanted) continue;
    std::vector<asen::algebra::Permutation> generators;
    for (const auto& g : s.at("generators")) generators.emplace_back(g.get<std::vector<asen::algebra::Point>>());
    const asen::algebra::PermGroup group(s.at("degree").get<std::size_t>(), std::move(generators));
    const nn::EquivarianceReport r = nn::check_equivariance(loaded.model, name, group, random, seed);
    structures.push_back({{"structure", name},
                          {"group", s.at("group").get<std::string>()},
                          {"inside_max_error", r.inside_max_error},
                          {"closure_max_error", optional_number(r.closure_max_error)},
                          {"input_symmetry_max_error", optional_number(r.input_symmetry_max_error)},
                          {"outside_max_error", optional_number(r.outside_max_error)},
                          {"degree", group.degree()},
                          {"group_order", r.group_order.str()},
                          {"closure_order", r.closure_order.str()},
                          {"input_symmetry_order", r.input_symmetry_order.str()},
                          {"inside_checks", r.inside_checks},
                          {"input_symmetry_checks", r.input_symmetry_checks},
                          {"outside_checks", r.outside_checks}});
  }
  return {{"structures", std::move(structures)}};
}

// ---------------------------------------------------------------------------
// The C boundary.

void set_error(char* error, std::size_t error_size, const std::string& message) {
  if (error != nullptr && error_size != 0) std::snprintf(error, error_size, "%s", message.c_str());
}

Json dispatch(const std::string& command, const Json& options) {
  set_up(options);
  if (command == "train") return run_train(options);
  if (command == "eval") return run_eval(options);
  if (command == "equivariance") return run_equivariance(options);
  if (command == "discover") return asen::cli::run_discover_in_plugin(options);
  throw std::logic_error("the nn plugin has no command '" + command + "'");
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int asen_nn_interface_version() { return kAsenNnInterfaceVersion; }

extern "C" __attribute__((visibility("default"))) int asen_nn_run(const char* command, const char* options_json,
                                                                  AsenNnSink sink, void* context, char* error,
                                                                  std::size_t error_size) {
  try {
    const Json options = Json::parse(options_json);
    const std::string answer =
        dispatch(command, options).dump(-1, ' ', false, Json::error_handler_t::replace);
    sink(context, answer.data(), answer.size());
    return kStatusOk;
  } catch (const InputError& e) {  // also LimitError and GapError
    set_error(error, error_size, e.what());
    return kStatusBadInput;
  } catch (const std::invalid_argument& e) {
    set_error(error, error_size, e.what());
    return kStatusBadInput;
  } catch (const std::out_of_range& e) {
    set_error(error, error_size, e.what());
    return kStatusBadInput;
  } catch (const c10::Error& e) {
    set_error(error, error_size, e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_error(error, error_size, e.what());
  } catch (...) {
    set_error(error, error_size, "unknown error in the nn plugin");
  }
  return kStatusFailure;
}

// The signatures must stay those of nn_plugin.hpp.
static_assert(std::is_same_v<decltype(&asen_nn_run), AsenNnRunFunction>);
static_assert(std::is_same_v<decltype(&asen_nn_interface_version), AsenNnInterfaceVersionFunction>);
