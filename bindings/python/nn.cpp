// The extension module asen._nn: the nn layer (LibTorch) with torch.Tensor
// objects in and out. It is a separate extension from asen._core so that
// `import asen` stays fast and works without torch; asen/nn.py imports torch
// first (this module needs libtorch_python's symbols loaded by torch) and then
// this module.
//
// Tensors cross the boundary through torch's own pybind11 type casters
// (<torch/extension.h>): a tensor handed to Python is the same TensorImpl as
// in C++, so model parameters returned by parameters() are the very tensors
// the C++ forward uses, and autograd flows across the boundary both ways.
//
// Errors map to the exception classes of asen._core (asen.InputError, ...),
// looked up at import time, so `except asen.InputError` catches both modules'.

#include <torch/extension.h>

#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/graph/base_graph.hpp>
#include <asen/graph/automorphisms.hpp>
#include <asen/graph/colored_digraph.hpp>
#include <asen/nn/breaking_input.hpp>
#include <asen/nn/discover.hpp>
#include <asen/nn/equivariance.hpp>
#include <asen/nn/graph_data.hpp>
#include <asen/nn/model.hpp>
#include <asen/nn/seeded_generator.hpp>
#include <asen/nn/tasks.hpp>
#include <asen/nn/training.hpp>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>  // std::shared_lock
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "common.hpp"
#include "errors.hpp"

namespace py = pybind11;
using namespace pybind11::literals;

namespace asen::python::nn_module {

namespace nn = asen::nn;

// ---------------------------------------------------------------------------
// Errors: the classes registered by asen._core.

// Held for the life of the process (extension modules are never unloaded), so
// deliberately never released.
ErrorClasses g_errors;

PyObject* core_exception(const py::module_& core, const char* name) {
  py::object type = core.attr(name);
  return type.release().ptr();  // keeps the reference for the process's lifetime
}

void register_errors() {
  const py::module_ core = py::module_::import("asen._core");
  g_errors = {core_exception(core, "Error"), core_exception(core, "InputError"), core_exception(core, "LimitError"),
              core_exception(core, "GapError")};
  py::register_local_exception_translator([](std::exception_ptr error) {
    try {
      set_python_error(g_errors, error);
    } catch (const c10::Error& e) {
      // LibTorch's own errors: RuntimeError with the message, without the
      // C++ backtrace that what() carries.
      PyErr_SetString(PyExc_RuntimeError, e.what_without_backtrace());
    }
  });
}

// ---------------------------------------------------------------------------
// Helpers.

// Any seed the CLI takes, 0 to 2^64 - 1: an int, or an integer that says so
// through __index__ (numpy's); a bool is not a seed. `what` names it.
std::uint64_t seed_argument(py::handle given, const std::string& what = "seed") {
  py::object value;
  if (PyBool_Check(given.ptr()) == 0) value = py::reinterpret_steal<py::object>(PyNumber_Index(given.ptr()));
  if (!value) {
    PyErr_Clear();
    throw py::type_error(what + " must be an int, got " +
                         std::string(py::str(py::type::handle_of(given).attr("__name__"))));
  }
  const unsigned long long seed = PyLong_AsUnsignedLongLong(value.ptr());
  if (seed == static_cast<unsigned long long>(-1) && PyErr_Occurred() != nullptr) {
    PyErr_Clear();
    throw InputError(what + " must be in [0, 18446744073709551615], got " + std::string(py::str(value)));
  }
  return seed;
}

std::int64_t positive(std::int64_t value, const char* name) {
  if (value <= 0) throw InputError(std::string(name) + " must be positive, got " + std::to_string(value));
  return value;
}

py::int_ big_int(const algebra::BigInt& value) { return to_python_int(value); }

py::dict metrics_dict(const nn::Metrics& m) {
  py::dict out("task"_a = m.task, "epoch"_a = m.epoch, "split"_a = m.split, "loss"_a = m.loss,
               "node_accuracy"_a = m.node_accuracy, "exact_match"_a = m.exact_match, "seconds"_a = m.seconds);
  if (m.mae) out["mae"] = *m.mae;  // regression kinds only
  return out;
}

py::dict task_info_dict(const nn::TaskInfo& info) {
  return py::dict("name"_a = info.name, "kind"_a = nn::to_string(info.kind), "group"_a = info.group,
                  "vocab"_a = info.vocab, "out_dim"_a = info.out_dim);
}

/// Called by C++ loops between batches (with the GIL released): Ctrl-C stops
/// them there, as KeyboardInterrupt.
void stop_on_ctrl_c() {
  py::gil_scoped_acquire acquire;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

/// Reads the settings of a training run from a dict (keys as in TrainConfig
/// and BackboneOptions); unknown keys are an error.
nn::TrainConfig train_config(const py::dict& settings) {
  nn::TrainConfig c;
  c.progress = false;
  // The checkpoint keeps the last complete epoch, as for the CLI.
  c.between_batches = stop_on_ctrl_c;
  const std::set<std::string> known = {
      "epochs",  "batch",       "seed",   "lr_backbone", "lr_edges",          "lr_tokens", "weight_decay", "edge_init_scale",
      "lr_schedule", "clip_norm", "train_fraction", "hidden", "layers", "heads", "dropout", "attention_dropout",
      "out",     "progress",    "resume", "device",      "threads"};
  for (const auto& item : settings) {
    const auto key = item.first.cast<std::string>();
    if (known.count(key) == 0) throw InputError("unknown training setting '" + key + "'");
  }
  auto get = [&](const char* key, auto& target) {
    using T = std::remove_reference_t<decltype(target)>;
    if (!settings.contains(key) || settings[key].is_none()) return;
    const py::object value = settings[key];
    const bool is_bool = PyBool_Check(value.ptr()) != 0;
    const char* expected = std::is_same_v<T, bool>            ? "a bool"
                           : std::is_same_v<T, std::string>   ? "a str"
                           : std::is_floating_point_v<T>      ? "a number"
                                                              : "an int";
    // bool is an int in Python; accept it only where a bool is meant.
    if (is_bool != std::is_same_v<T, bool> && !std::is_floating_point_v<T>)
      throw py::type_error(std::string("training setting '") + key + "' must be " + expected + ", got " +
                           std::string(py::str(py::type::handle_of(value).attr("__name__"))));
    try {
      target = value.cast<T>();
    } catch (const py::cast_error&) {
      if (std::is_integral_v<T> && !std::is_same_v<T, bool> && PyLong_Check(value.ptr()) != 0)
        throw InputError(std::string("training setting '") + key + "' is out of range: " + std::string(py::str(value)));
      throw py::type_error(std::string("training setting '") + key + "' must be " + expected + ", got " +
                           std::string(py::str(py::type::handle_of(value).attr("__name__"))));
    }
  };
  get("epochs", c.epochs);
  get("batch", c.batch);
  if (settings.contains("seed") && !settings["seed"].is_none()) {
    c.seed = seed_argument(settings["seed"], "training setting 'seed'");
  }
  get("lr_backbone", c.lr_backbone);
  get("lr_edges", c.lr_edges);
  get("lr_tokens", c.lr_tokens);
  get("lr_schedule", c.lr_schedule);
  get("weight_decay", c.weight_decay);
  get("edge_init_scale", c.edge_init_scale);
  get("clip_norm", c.clip_norm);
  get("train_fraction", c.train_fraction);
  std::int64_t hidden = c.backbone.hidden();
  std::int64_t layers = c.backbone.layers();
  std::int64_t heads = c.backbone.heads();
  double dropout = c.backbone.dropout();
  double attention_dropout = c.backbone.attention_dropout();
  get("hidden", hidden);
  get("layers", layers);
  get("heads", heads);
  get("dropout", dropout);
  get("attention_dropout", attention_dropout);
  c.backbone.hidden(hidden).layers(layers).heads(heads).dropout(dropout).attention_dropout(attention_dropout);
  get("out", c.out_dir);
  checked_path(c.out_dir, "the output folder");
  get("progress", c.progress);
  get("resume", c.resume);
  get("device", c.device);
  get("threads", c.threads);
  if (c.threads < 0) throw InputError("threads must be non-negative, got " + std::to_string(c.threads));
  // epochs=0 is allowed here (unlike the CLI): it gives the untrained model
  // and its metrics, the starting point the experiments driver records.
  if (c.epochs < 0) throw InputError("epochs must not be negative, got " + std::to_string(c.epochs));
  if (!(c.lr_backbone > 0 && c.lr_edges > 0 && c.lr_tokens > 0))
    throw InputError("learning rates must be positive");
  if (!(dropout >= 0 && dropout < 1) || !(attention_dropout >= 0 && attention_dropout < 1))
    throw InputError("dropout must be in [0, 1)");
  return c;
}

/// What the task's loader noticed (TaskData::notes), as UserWarnings (an
/// error when the caller's filters make warnings errors). Needs the GIL.
void warn_notes(const nn::TaskData& t) {
  for (const auto& note : t.notes)
    if (PyErr_WarnEx(PyExc_UserWarning, note.c_str(), 1) != 0) throw py::error_already_set();
}

/// The synthetic tasks of a run, each on its group (`groups` maps a task name
/// to a group spec; the task's own group otherwise).
std::vector<nn::TaskData> synthetic_tasks(const std::vector<std::string>& names, const std::map<std::string, std::string>& groups,
                                          std::int64_t samples, std::int64_t length, std::uint64_t seed) {
  positive(samples, "samples");
  positive(length, "length");
  for (const auto& [name, spec] : groups) {
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw InputError("a group was given for task '" + name + "', which is not among the tasks trained");
  }
  std::vector<nn::TaskData> tasks;
  for (const auto& name : names) {
    const auto it = groups.find(name);
    nn::TaskData t = nn::synthetic_task(name, samples, length, seed, it == groups.end() ? "" : it->second);
    warn_notes(t);
    if (t.data.train.size() == 0 || t.data.test.size() == 0)
      throw InputError("samples must be large enough for non-empty train and test splits (70/15/15), got " +
                       std::to_string(samples));
    tasks.push_back(std::move(t));
  }
  return tasks;
}

/// The task descriptions of a run without their data (what a model keeps).
std::vector<nn::TaskData> without_data(std::vector<nn::TaskData> tasks) {
  for (auto& t : tasks) t.data = nn::Splits{};
  return tasks;
}

py::dict result_dict(const nn::TrainResult& r) {
  py::list history;
  for (const auto& m : r.history) history.append(metrics_dict(m));
  py::dict test;
  for (const auto& [name, m] : r.test) test[py::str(name)] = metrics_dict(m);
  return py::dict("history"_a = history, "test"_a = test, "resumed_from"_a = r.resumed_from);
}

// ---------------------------------------------------------------------------
// The model as Python sees it.

// The automorphism group of a breaking input given as tensors: the
// permutations of the nodes that keep every arc with its colour and every
// node's colour, the group a model fed this input is equivariant to. Arcs
// repeated between the same two nodes count as one arc coloured by the list
// of their colours; loops (i, i) join the colour of node i. As image lists.
std::string input_automorphisms(const nn::BreakingInput& input) {
  const auto n = static_cast<std::size_t>(input.num_nodes());
  const torch::Tensor index = input.edge_index().to(torch::kCPU).contiguous();
  const torch::Tensor color = input.edge_color().to(torch::kCPU).contiguous();
  const std::int64_t arcs = color.numel();
  const std::int64_t* source = index.data_ptr<std::int64_t>();
  const std::int64_t* target = source + arcs;
  const std::int64_t* arc_color = color.data_ptr<std::int64_t>();
  std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::int64_t>> colors_of_arc;
  // Per node: its colour (0 without node colours), then its loops' colours.
  std::vector<std::vector<std::int64_t>> node_key(n, std::vector<std::int64_t>{0});
  if (input.node_color().defined()) {
    const torch::Tensor nodes = input.node_color().to(torch::kCPU).contiguous();
    for (std::size_t v = 0; v < n; ++v) node_key[v][0] = nodes.data_ptr<std::int64_t>()[v];
  }
  for (std::int64_t e = 0; e < arcs; ++e) {
    if (source[e] == target[e])
      node_key[static_cast<std::size_t>(source[e])].push_back(arc_color[e]);
    else
      colors_of_arc[{source[e], target[e]}].push_back(arc_color[e]);
  }
  std::map<std::vector<std::int64_t>, std::int32_t> node_ids;
  std::map<std::vector<std::int64_t>, std::int32_t> arc_ids;
  auto id_of = [](std::map<std::vector<std::int64_t>, std::int32_t>& ids, std::vector<std::int64_t> key) {
    return ids.emplace(std::move(key), static_cast<std::int32_t>(ids.size())).first->second;
  };
  std::vector<std::int32_t> vertex_colors(n);
  for (std::size_t v = 0; v < n; ++v) {
    std::sort(node_key[v].begin() + 1, node_key[v].end());
    vertex_colors[v] = id_of(node_ids, node_key[v]);
  }
  std::vector<graph::Arc> graph_arcs;
  graph_arcs.reserve(colors_of_arc.size());
  for (auto& [ends, list] : colors_of_arc) {
    std::sort(list.begin(), list.end());
    graph_arcs.push_back({static_cast<graph::Point>(ends.first), static_cast<graph::Point>(ends.second),
                          id_of(arc_ids, list)});
  }
  const graph::AutomorphismGroup aut =
      graph::automorphism_group(graph::ColoredDigraph(n, std::move(vertex_colors), std::move(graph_arcs)));
  if (aut.generators.empty()) return "trivial(" + std::to_string(n) + ")";
  std::string spec = "[";
  for (const auto& g : aut.generators) {
    spec += spec.size() > 1 ? ",[" : "[";
    for (std::size_t k = 0; k < g.images().size(); ++k) spec += (k ? "," : "") + std::to_string(g.images()[k]);
    spec += "]";
  }
  return spec + "]";
}

/// A readers-writer lock that lets a waiting writer in first: forwards on
/// several threads share it, and a change of the model (eval(), a new
/// structure, a move) waits only for the forwards already running. (glibc's
/// std::shared_mutex prefers readers: overlapping forwards kept eval()
/// waiting for 36 s, add_structure for minutes.) No thread takes it twice.
class WriterFirstMutex {
 public:
  void lock_shared() {
    std::unique_lock<std::mutex> lock(mutex_);
    readers_may_enter_.wait(lock, [&] { return !writing_ && writers_waiting_ == 0; });
    ++readers_;
  }
  void unlock_shared() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--readers_ == 0 && writers_waiting_ > 0) writer_may_enter_.notify_one();
  }
  void lock() {
    std::unique_lock<std::mutex> lock(mutex_);
    ++writers_waiting_;
    writer_may_enter_.wait(lock, [&] { return !writing_ && readers_ == 0; });
    --writers_waiting_;
    writing_ = true;
  }
  void unlock() {
    std::lock_guard<std::mutex> lock(mutex_);
    writing_ = false;
    if (writers_waiting_ > 0)
      writer_may_enter_.notify_one();
    else
      readers_may_enter_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable readers_may_enter_;
  std::condition_variable writer_may_enter_;
  std::size_t readers_ = 0;
  std::size_t writers_waiting_ = 0;
  bool writing_ = false;
};

/// An AsenModel together with what save_model needs to describe each of its
/// structures (group spec, mode, base graph, sizes).
///
/// Forward passes run without the GIL (other Python threads go on, as with
/// torch's own modules), under a shared lock; what changes the structures,
/// the device or the training flag takes it exclusively. Locks are taken
/// with the GIL released, so a thread waiting for one never blocks another
/// that needs the GIL to finish.
class Model {
 public:
  Model(std::int64_t hidden, std::int64_t layers, std::int64_t heads, double dropout, double attention_dropout,
        const py::object& seed)
      : seed_(seed_argument(seed)) {
    positive(hidden, "hidden");
    positive(layers, "layers");
    positive(heads, "heads");
    if (hidden % heads != 0)
      throw InputError("hidden (" + std::to_string(hidden) + ") must be a multiple of heads (" +
                       std::to_string(heads) + ")");
    if (!(dropout >= 0 && dropout < 1) || !(attention_dropout >= 0 && attention_dropout < 1))
      throw InputError("dropout must be in [0, 1)");
    nn::BackboneOptions options;
    options.hidden(hidden).layers(layers).heads(heads).dropout(dropout).attention_dropout(attention_dropout);
    nn::SeededGenerator seeded(seed_);
    model_ = nn::AsenModel(options);
  }

  Model(nn::AsenModel model, std::vector<nn::TaskData> tasks, std::uint64_t seed)
      : model_(std::move(model)), tasks_(std::move(tasks)), seed_(seed) {}

  nn::AsenModel& model() { return model_; }
  const std::vector<nn::TaskData>& tasks() const { return tasks_; }

  void set_training(bool on) {
    if (model_->is_training() == on) return;  // nothing to change: no lock (eval() on a serving model)
    py::gil_scoped_release release;
    const std::unique_lock<WriterFirstMutex> lock(*mutex_);
    model_->train(on);
  }

  /// A structure on a group's breaking input.
  void add_structure(const std::string& name, const std::string& group, std::optional<std::int64_t> degree,
                     std::int64_t out_dim, std::int64_t vocab, std::int64_t in_features, const std::string& kind,
                     const std::string& mode, std::optional<std::int64_t> base_vertices,
                     const std::vector<std::pair<std::int64_t, std::int64_t>>& base_edges, bool base_directed) {
    nn::TaskData t;
    t.name = name;
    t.kind = nn::parse_task_kind(kind);
    t.vocab = vocab;
    t.in_features = in_features;
    t.out_dim = out_dim;
    t.mode = graph::parse_breaking_mode(mode);
    if (degree && *degree < 0) throw InputError("degree must be non-negative, got " + std::to_string(*degree));
    algebra::PermGroup g;
    nn::BreakingInput input;
    {
      py::gil_scoped_release release;  // orbitals of a large group take a while
      g = algebra::PermGroup::parse(group, degree ? std::optional<std::size_t>(static_cast<std::size_t>(*degree))
                                                  : std::nullopt);
      if (base_vertices) {
        std::vector<std::pair<algebra::Point, algebra::Point>> edges;
        for (const auto& [u, v] : base_edges) {
          if (u < 0 || v < 0 || u >= *base_vertices || v >= *base_vertices)
            throw InputError("base graph edge (" + std::to_string(u) + ", " + std::to_string(v) +
                             ") has a vertex out of range [0, " + std::to_string(*base_vertices) + ")");
          edges.emplace_back(static_cast<algebra::Point>(u), static_cast<algebra::Point>(v));
        }
        t.base = graph::BaseGraph(static_cast<std::size_t>(*base_vertices), edges, base_directed);
      }
      if (t.mode != graph::BreakingMode::dense && !t.base)
        throw InputError("mode '" + mode + "' needs a base graph");
      if (t.mode == graph::BreakingMode::dense && t.base)
        throw InputError("a base graph was given, but mode is 'dense'; use 'sparse' or 'weak-sparse'");
      input = nn::BreakingInput::for_group(g, t.mode, t.base ? &*t.base : nullptr);
    }
    // Stored as its own spec: save_model parses it again with the degree.
    t.group = group;
    add(t, std::move(input));
  }

  /// A structure on a breaking input given as tensors; its group is the
  /// input's automorphism group, and a saved model stores the input itself.
  void add_structure_raw(const std::string& name, std::int64_t num_nodes, const torch::Tensor& edge_index,
                         const torch::Tensor& edge_color, std::int64_t num_colors,
                         const std::optional<torch::Tensor>& node_color, std::int64_t out_dim, std::int64_t vocab,
                         std::int64_t in_features, const std::string& kind, const std::string& mode) {
    nn::TaskData t;
    t.name = name;
    t.kind = nn::parse_task_kind(kind);
    t.vocab = vocab;
    t.in_features = in_features;
    t.out_dim = out_dim;
    t.mode = graph::parse_breaking_mode(mode);
    t.input_given = true;
    auto as_long = [](const torch::Tensor& x, const char* what) {
      if (x.is_floating_point() || x.is_complex() || x.scalar_type() == torch::kBool)
        throw InputError(std::string(what) + " must hold integers, got dtype " + std::string(c10::toString(x.scalar_type())));
      return x.detach().to(torch::kCPU, torch::kLong).contiguous();
    };
    nn::BreakingInput input(num_nodes, as_long(edge_index, "edge_index"), as_long(edge_color, "edge_attr"), num_colors,
                            node_color ? as_long(*node_color, "node_color") : torch::Tensor());
    {
      py::gil_scoped_release release;
      t.group = input_automorphisms(input);
    }
    add(t, std::move(input));
  }

  torch::Tensor forward(const std::string& name, const torch::Tensor& x) {
    py::gil_scoped_release release;
    const std::shared_lock<WriterFirstMutex> lock(*mutex_);
    return model_->forward(name, checked_input(name, x));
  }

  std::vector<torch::Tensor> forward_mixed(const std::vector<std::string>& names, const std::vector<torch::Tensor>& xs) {
    py::gil_scoped_release release;
    const std::shared_lock<WriterFirstMutex> lock(*mutex_);
    if (names.size() != xs.size())
      throw InputError("forward_mixed needs one structure name per input, got " + std::to_string(names.size()) +
                       " names and " + std::to_string(xs.size()) + " inputs");
    std::vector<torch::Tensor> checked;
    // One sample per name (unbatched: [n] tokens or [n, F] features).
    for (std::size_t k = 0; k < xs.size(); ++k) {
      const nn::StructureSpec& s = model_->structure(names[k]);
      const std::string n = std::to_string(s.input.num_nodes());
      if (xs[k].dim() != (s.vocab > 0 ? 1 : 2))
        throw InputError("x[" + std::to_string(k) + "]: a mixed batch takes single samples, and structure '" +
                         names[k] + "' takes " +
                         (s.vocab > 0 ? "tokens of shape [" + n + "]"
                                      : "features of shape [" + n + ", " + std::to_string(s.in_features) + "]") +
                         ", got " + shape_string(xs[k]) + " (a batch of one structure goes to model(name, x))");
      checked.push_back(checked_input(names[k], xs[k].unsqueeze(0)).squeeze(0));
    }
    return model_->forward_mixed(names, checked);
  }

  py::dict structure(const std::string& name) const {
    const nn::StructureSpec& s = model_->structure(name);
    py::object group = py::none();
    py::object mode = py::str("dense");
    bool given = false;
    py::object synthetic_seed = py::none();
    for (const auto& t : tasks_) {
      if (t.name != name) continue;
      group = py::str(t.group);
      mode = py::str(graph::to_string(t.mode));
      given = t.input_given;
      if (t.synthetic_seed) synthetic_seed = py::int_(*t.synthetic_seed);
    }
    return py::dict("name"_a = s.name, "kind"_a = nn::to_string(s.kind), "group"_a = group, "mode"_a = mode,
                    "input_given"_a = given, "synthetic_seed"_a = synthetic_seed,
                    "num_nodes"_a = s.input.num_nodes(), "num_edges"_a = s.input.num_edges(),
                    "num_colors"_a = s.input.num_colors(), "vocab"_a = s.vocab, "in_features"_a = s.in_features,
                    "out_dim"_a = s.out_dim);
  }

  // The test split of a structure trained on a data folder, rebuilt; None
  // for a structure without one.
  py::object data_test_split(const std::string& name) const {
    (void)model_->structure(name);  // an unknown name is an InputError
    for (const auto& t : tasks_) {
      if (t.name != name || t.data_dir.empty()) continue;
      nn::Dataset test;
      {
        py::gil_scoped_release release;
        test = nn::rebuild_test_split(t);
      }
      return py::make_tuple(test.inputs, test.targets, t.data_dir);
    }
    return py::none();
  }

  py::dict breaking_input(const std::string& name) const {
    const nn::BreakingInput& b = model_->structure(name).input;
    return py::dict("edge_index"_a = b.edge_index(), "edge_attr"_a = b.edge_color(),
                    "node_color"_a = b.node_color().defined() ? py::cast(b.node_color()) : py::none(),
                    "num_colors"_a = b.num_colors(), "num_nodes"_a = b.num_nodes());
  }

  py::dict options() const {
    const nn::BackboneOptions& o = model_->options;
    return py::dict("hidden"_a = o.hidden(), "layers"_a = o.layers(), "heads"_a = o.heads(), "dropout"_a = o.dropout(),
                    "attention_dropout"_a = o.attention_dropout());
  }

  void to_device(const std::string& name) {
    torch::Device device(torch::kCPU);
    try {
      device = torch::Device(name);
    } catch (const c10::Error&) {
      throw InputError("unknown device '" + name + "'; expected cpu, cuda or cuda:N");
    }
    if (!device.is_cpu() && !device.is_cuda())
      throw InputError("device '" + name + "' is not supported; expected cpu, cuda or cuda:N");
    if (device.is_cuda() && !torch::cuda::is_available())
      throw InputError("device '" + name + "' was asked for but no CUDA device is available");
    py::gil_scoped_release release;
    const std::unique_lock<WriterFirstMutex> lock(*mutex_);
    model_->to_device(device);
  }

  void save(const std::string& path) const {
    checked_path(path, "the model path");
    const std::filesystem::path parent = std::filesystem::absolute(path).parent_path();
    if (!std::filesystem::is_directory(parent))
      throw InputError("cannot save the model to " + path + ": the folder " + parent.string() + " does not exist");
    nn::save_model(model_, tasks_, path);
  }

  py::dict evaluate(const std::string& name, const torch::Tensor& inputs, const torch::Tensor& targets,
                    std::int64_t batch) {
    positive(batch, "batch");
    const nn::StructureSpec& s = model_->structure(name);
    nn::Dataset data;
    data.inputs = checked_input(name, inputs);
    if (targets.dim() == 0 || targets.size(0) != data.inputs.size(0))
      throw InputError("inputs and targets must have the same number of samples, got " +
                       std::to_string(data.inputs.size(0)) + " and targets of shape " + shape_string(targets));
    const std::int64_t samples = data.inputs.size(0);
    if (samples == 0)
      throw InputError("evaluate needs at least one sample, got none (samples=0, or inputs of shape " +
                       shape_string(inputs) + ")");
    const std::int64_t n = s.input.num_nodes();
    if (s.kind == nn::TaskKind::graph_regression) {
      if (targets.numel() != samples * s.out_dim)
        throw InputError("structure '" + name + "' takes regression targets of shape [S, " + std::to_string(s.out_dim) +
                         "], got " + shape_string(targets));
      data.targets = targets.detach().to(torch::kFloat).reshape({samples, s.out_dim});
    } else if (s.kind == nn::TaskKind::node_regression) {
      if (targets.dim() != 3 || targets.size(1) != n || targets.size(2) != s.out_dim)
        throw InputError("structure '" + name + "' takes regression targets of shape [S, " + std::to_string(n) + ", " +
                         std::to_string(s.out_dim) + "], got " + shape_string(targets));
      data.targets = targets.detach().to(torch::kFloat);
    } else {
      if (targets.is_floating_point() || targets.is_complex() || targets.scalar_type() == torch::kBool)
        throw InputError("classification targets must be integers, got dtype " +
                         std::string(c10::toString(targets.scalar_type())));
      const bool per_node = s.kind == nn::TaskKind::node_classification;
      const bool shape_ok = per_node ? targets.dim() == 2 && targets.size(1) == n : targets.dim() == 1;
      if (!shape_ok)
        throw InputError("structure '" + name + "' takes targets of shape " +
                         (per_node ? "[S, " + std::to_string(n) + "]" : std::string("[S]")) + ", got " +
                         shape_string(targets));
      data.targets = targets.detach().to(torch::kLong);
      if (data.targets.numel() > 0) {
        const auto lo = data.targets.min().item<std::int64_t>();
        const auto hi = data.targets.max().item<std::int64_t>();
        if (lo < 0 || hi >= s.out_dim)
          throw InputError("structure '" + name + "' has " + std::to_string(s.out_dim) + " classes, got targets in [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "]");
      }
    }
    nn::Metrics m;
    {
      py::gil_scoped_release release;
      const std::unique_lock<WriterFirstMutex> lock(*mutex_);  // evaluate switches to eval mode meanwhile
      m = nn::evaluate(model_, name, data, batch, stop_on_ctrl_c);
    }
    return metrics_dict(m);
  }

  py::dict check_equivariance(const std::string& name, const std::optional<std::string>& group, std::int64_t random,
                              const py::object& seed) {
    if (random < 0) throw InputError("random must be non-negative, got " + std::to_string(random));
    const std::uint64_t s = seed_argument(seed);
    std::string spec;
    if (group) {
      spec = *group;
    } else {
      for (const auto& t : tasks_)
        if (t.name == name) spec = t.group;
      if (spec.empty()) throw InputError("the model has no structure named '" + name + "'");
    }
    nn::EquivarianceReport r;
    {
      InterruptScope interruptible;  // Ctrl-C stops it, as KeyboardInterrupt
      py::gil_scoped_release release;
      const std::shared_lock<WriterFirstMutex> lock(*mutex_);
      const std::int64_t n = model_->structure(name).input.num_nodes();
      const algebra::PermGroup g = algebra::PermGroup::parse(spec, static_cast<std::size_t>(n));
      if (static_cast<std::int64_t>(g.degree()) != n)
        throw InputError("the group " + spec + " acts on " + std::to_string(g.degree()) + " points, but structure '" +
                         name + "' has " + std::to_string(n) + " nodes");
      r = nn::check_equivariance(model_, name, g, random, s);
    }
    auto optional = [](const std::optional<double>& v) { return v ? py::cast(*v) : py::none(); };
    return py::dict("group"_a = spec, "inside_max_error"_a = r.inside_max_error,
                    "closure_max_error"_a = optional(r.closure_max_error),
                    "input_symmetry_max_error"_a = optional(r.input_symmetry_max_error),
                    "outside_max_error"_a = optional(r.outside_max_error), "group_order"_a = big_int(r.group_order),
                    "closure_order"_a = big_int(r.closure_order),
                    "input_symmetry_order"_a = big_int(r.input_symmetry_order), "inside_checks"_a = r.inside_checks,
                    "input_symmetry_checks"_a = r.input_symmetry_checks, "outside_checks"_a = r.outside_checks);
  }

  /// Symmetry discovery on a structure (nn::discover_symmetry); the keys
  /// are the CLI's (`asen discover --json`), orders are ints, distances a
  /// [K, K] float64 tensor.
  py::dict discover(const std::string& name, double threshold, const std::string& feature,
                    const std::optional<std::string>& true_group) {
    nn::DiscoverOptions options;
    options.threshold = threshold;
    options.feature = nn::parse_color_feature(feature);
    options.true_group = true_group;
    std::string spec;
    for (const auto& t : tasks_)
      if (t.name == name) spec = t.group;
    nn::Discovery d;
    {
      py::gil_scoped_release release;
      const std::shared_lock<WriterFirstMutex> lock(*mutex_);
      if (!spec.empty())
        options.trained_group =
            algebra::PermGroup::parse(spec, static_cast<std::size_t>(model_->structure(name).input.num_nodes()));
      d = nn::discover_symmetry(model_, name, options);
    }
    for (const auto& note : d.notes)
      if (PyErr_WarnEx(PyExc_UserWarning, note.c_str(), 1) != 0) throw py::error_already_set();
    py::list generators;
    for (const auto& g : d.discovered.generators) generators.append(py::cast(g.images()));
    py::list representatives;
    for (const auto& [s, t] : d.representatives) representatives.append(py::make_tuple(s, t));
    py::object truth = py::none();
    if (d.true_group)
      truth = py::dict("spec"_a = d.true_group->spec, "order"_a = big_int(d.true_group->order),
                       "closure_order"_a = big_int(d.true_group->closure_order));
    auto optional = [](const std::optional<bool>& v) { return v ? py::cast(*v) : py::none(); };
    std::vector<double> flat;
    for (const auto& row : d.distances) flat.insert(flat.end(), row.begin(), row.end());
    const torch::Tensor distances =
        torch::tensor(flat, torch::kDouble).reshape({d.num_colors, d.num_colors});
    return py::dict(
        "structure"_a = d.structure, "nodes"_a = d.num_nodes,
        "trained_group"_a = py::dict("spec"_a = spec.empty() ? py::object(py::none()) : py::str(spec),
                                     "order"_a = d.trained_group ? py::object(big_int(d.trained_group->order))
                                                                 : py::object(py::none()),
                                     "closure_order"_a = big_int(d.trained_closure_order), "rank"_a = d.num_colors),
        "threshold"_a = d.threshold, "feature"_a = nn::to_string(d.feature), "scale"_a = d.scale,
        "representatives"_a = representatives, "clusters"_a = d.clusters,
        "unused_colors"_a = d.unused_colors, "merged_rank"_a = d.merged_rank,
        "discovered"_a = py::dict("order"_a = big_int(d.discovered.order), "generators"_a = generators,
                                  "orbits"_a = d.discovered.orbits,
                                  "contains_trained_group"_a = d.contains_trained_group,
                                  "larger_than_trained"_a = d.larger_than_trained),
        "true_group"_a = truth, "equals_true_group"_a = optional(d.equals_true_group),
        "equals_true_closure"_a = optional(d.equals_true_closure), "distances"_a = distances);
  }

  /// Continues training on synthetic tasks (nn::finetune); the model gains a
  /// structure for each task it lacks. Writes nothing (see nn.py).
  /// A model with this one's backbone weights and no structures (nn::backbone_copy).
  Model backbone_copy() const {
    nn::SeededGenerator keep_user_stream(seed_);
    return Model(nn::backbone_copy(model_), {}, seed_);
  }

  py::dict finetune(const std::vector<std::string>& names, const std::map<std::string, std::string>& groups,
                    std::int64_t samples, std::int64_t length, const py::dict& settings, double backbone_lr_scale) {
    nn::TrainConfig config = train_config(settings);
    if (!(backbone_lr_scale > 0)) throw InputError("the backbone learning-rate scale must be positive");
    for (const auto& t : tasks_)
      if (t.input_given && std::find(names.begin(), names.end(), t.name) != names.end())
        throw InputError("structure '" + t.name + "' was built on a breaking input given as tensors and cannot be "
                         "finetuned on the synthetic task of that name");
    std::vector<nn::TaskData> tasks = synthetic_tasks(names, groups, samples, length, config.seed);
    nn::TrainResult r;
    {
      py::gil_scoped_release release;
      const std::unique_lock<WriterFirstMutex> lock(*mutex_);  // it adds the new structures
      r = nn::finetune(model_, tasks, config, backbone_lr_scale);
    }
    for (auto& t : without_data(std::move(tasks))) {
      const bool known = std::any_of(tasks_.begin(), tasks_.end(), [&](const nn::TaskData& u) { return u.name == t.name; });
      if (!known) tasks_.push_back(std::move(t));
    }
    return result_dict(r);
  }

 private:
  void add(nn::TaskData t, nn::BreakingInput input) {
    nn::StructureSpec spec;
    spec.name = t.name;
    spec.kind = t.kind;
    spec.vocab = t.vocab;
    spec.in_features = t.in_features;
    spec.out_dim = t.out_dim;
    spec.input = std::move(input);
    spec.input = spec.input.to(model_->device());
    py::gil_scoped_release release;
    const std::unique_lock<WriterFirstMutex> lock(*mutex_);
    {
      // Each structure's initial weights depend only on the model's seed and
      // how many structures came before it.
      nn::SeededGenerator seeded(seed_ * 0x9e3779b97f4a7c15ULL + tasks_.size() + 1);
      model_->add_structure(spec);
    }
    // tasks_ changes with the GIL held, as everywhere (readers hold the GIL).
    const py::gil_scoped_acquire acquire;
    tasks_.push_back(std::move(t));
  }

  /// The input of a forward pass, checked so that a mistake gives an
  /// InputError instead of an indexing failure deep in LibTorch.
  torch::Tensor checked_input(const std::string& name, const torch::Tensor& x) const {
    const nn::StructureSpec& s = model_->structure(name);
    if (s.vocab > 0) {
      if (x.is_floating_point() || x.is_complex() || x.scalar_type() == torch::kBool)
        throw InputError("structure '" + name + "' takes integer tokens, got dtype " +
                         std::string(c10::toString(x.scalar_type())));
      if (x.dim() != 2 || x.size(1) != s.input.num_nodes())
        throw InputError("structure '" + name + "' takes tokens of shape [B, " + std::to_string(s.input.num_nodes()) +
                         "], got " + shape_string(x));
      torch::Tensor tokens = x.to(torch::kLong);
      if (tokens.numel() > 0) {
        const auto lo = tokens.min().item<std::int64_t>();
        const auto hi = tokens.max().item<std::int64_t>();
        if (lo < 0 || hi >= s.vocab)
          throw InputError("structure '" + name + "' takes tokens in [0, " + std::to_string(s.vocab) + "), got values in [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "]");
      }
      return tokens;
    }
    if (!x.is_floating_point())
      throw InputError("structure '" + name + "' takes real-valued features (a floating-point tensor), got dtype " +
                       std::string(c10::toString(x.scalar_type())));
    if (x.dim() != 3 || x.size(1) != s.input.num_nodes() || x.size(2) != s.in_features)
      throw InputError("structure '" + name + "' takes features of shape [B, " + std::to_string(s.input.num_nodes()) +
                       ", " + std::to_string(s.in_features) + "], got " + shape_string(x));
    return x;
  }

  static std::string shape_string(const torch::Tensor& x) {
    std::string out = "[";
    for (std::int64_t d = 0; d < x.dim(); ++d) out += (d ? ", " : "") + std::to_string(x.size(d));
    return out + "]";
  }

  nn::AsenModel model_{nullptr};
  std::vector<nn::TaskData> tasks_;
  std::uint64_t seed_ = 0;
  std::shared_ptr<WriterFirstMutex> mutex_ = std::make_shared<WriterFirstMutex>();
};

py::dict train(const std::vector<std::string>& names, const std::map<std::string, std::string>& groups,
               std::int64_t samples, std::int64_t length, const py::dict& settings) {
  nn::TrainConfig config = train_config(settings);
  std::vector<nn::TaskData> tasks = synthetic_tasks(names, groups, samples, length, config.seed);
  nn::TrainResult r;
  {
    py::gil_scoped_release release;
    r = nn::train(tasks, config);
  }
  py::dict out = result_dict(r);
  out["model"] = Model(r.model, without_data(std::move(tasks)), config.seed);
  return out;
}

/// Trains on a user's data folder (nn/graph_data.hpp); `data` holds the
/// optional "group", "mode", "head" and "name" (None or absent: the folder's
/// asen.json or the defaults). The split is seeded by settings["seed"].
py::dict train_data(const std::string& dir, const py::dict& data, const py::dict& settings) {
  checked_path(dir, "the data folder");
  nn::TrainConfig config = train_config(settings);
  nn::GraphDataOptions options;
  options.seed = config.seed;
  for (const auto& item : data) {
    const auto key = item.first.cast<std::string>();
    std::string* target = key == "group" ? &options.group
                          : key == "mode" ? &options.mode
                          : key == "head" ? &options.head
                          : key == "name" ? &options.name
                                          : nullptr;
    if (target == nullptr) throw InputError("unknown data setting '" + key + "' (group, mode, head, name)");
    if (item.second.is_none()) continue;
    if (!py::isinstance<py::str>(item.second))
      throw py::type_error("data setting '" + key + "' must be a str, got " +
                           std::string(py::str(py::type::handle_of(item.second).attr("__name__"))));
    *target = item.second.cast<std::string>();
  }
  std::vector<nn::TaskData> tasks;
  nn::TrainResult r;
  {
    py::gil_scoped_release release;
    tasks.push_back(nn::load_graph_data(dir, options));
  }
  // What the loader noticed, as warnings before the run (an error when the
  // caller's filters make warnings errors).
  warn_notes(tasks.front());
  {
    py::gil_scoped_release release;
    r = nn::train(tasks, config);
  }
  const nn::TaskData& t = tasks.front();
  // The keys of the CLI's "data" (asen train --data --json), with name and group.
  const auto& d = t.data;
  py::dict summary("dir"_a = t.data_dir, "name"_a = t.name, "group"_a = t.group,
                   "samples"_a = d.train.size() + d.val.size() + d.test.size(), "train"_a = d.train.size(),
                   "val"_a = d.val.size(), "test"_a = d.test.size(), "nodes"_a = d.train.inputs.size(1),
                   "features"_a = t.vocab > 0 ? py::none() : py::object(py::int_(t.in_features)),
                   "vocab"_a = t.vocab > 0 ? py::object(py::int_(t.vocab)) : py::none(),
                   "kind"_a = nn::to_string(t.kind), "out_dim"_a = t.out_dim,
                   "mode"_a = asen::graph::to_string(t.mode),
                   "base_edges"_a = t.base ? py::object(py::int_(t.base->num_edges())) : py::none());
  py::dict out = result_dict(r);
  out["data"] = summary;
  out["model"] = Model(r.model, without_data(std::move(tasks)), config.seed);
  return out;
}

Model load(const std::string& path) {
  checked_path(path, "the model path");
  nn::LoadedModel loaded;
  {
    py::gil_scoped_release release;
    nn::SeededGenerator keep_user_stream(0);
    loaded = nn::load_model(path);
  }
  return Model(loaded.model, std::move(loaded.tasks), 0);
}

py::list tasks(std::int64_t length) {
  py::list out;
  for (const auto& name : nn::task_names()) {
    try {
      out.append(task_info_dict(nn::task_info(name, length)));
    } catch (const InputError&) {
      // the task cannot use this length (e.g. an odd one for the half-based tasks)
    }
  }
  return out;
}

py::tuple generate_dataset(const std::string& task, std::int64_t samples, std::int64_t length, const py::object& seed) {
  if (samples < 0) throw InputError("samples must be non-negative, got " + std::to_string(samples));
  positive(length, "length");
  const std::uint64_t s = seed_argument(seed);
  nn::Dataset d;
  {
    py::gil_scoped_release release;
    d = nn::generate_dataset(task, samples, length, s);
  }
  return py::make_tuple(d.inputs, d.targets);
}

}  // namespace asen::python::nn_module

PYBIND11_MODULE(_nn, m) {
  namespace p = asen::python::nn_module;
  m.doc() = "asen._nn: the compiled nn layer (LibTorch) with torch tensors in and out. Use it as asen.nn.";
  p::register_errors();
  // "graph:FILE" specs (a data folder's default group) in this extension's
  // own parses: checks and discovery on a loaded model.
  asen::graph::register_graph_specs();

  py::class_<p::Model>(m, "Model", "An AsenModel and the description of its structures (use asen.nn.Model).")
      .def(py::init<std::int64_t, std::int64_t, std::int64_t, double, double, const py::object&>(), "hidden"_a, "layers"_a,
           "heads"_a, "dropout"_a, "attention_dropout"_a, "seed"_a)
      .def("add_structure", &p::Model::add_structure, "name"_a, "group"_a, "degree"_a, "out_dim"_a, "vocab"_a,
           "in_features"_a, "kind"_a, "mode"_a, "base_vertices"_a, "base_edges"_a, "base_directed"_a)
      .def("add_structure_raw", &p::Model::add_structure_raw, "name"_a, "num_nodes"_a, "edge_index"_a, "edge_color"_a,
           "num_colors"_a, "node_color"_a, "out_dim"_a, "vocab"_a, "in_features"_a, "kind"_a, "mode"_a)
      .def("forward", &p::Model::forward, "name"_a, "x"_a)
      .def("forward_mixed", &p::Model::forward_mixed, "names"_a, "inputs"_a)
      .def("structure_names", [](p::Model& self) { return self.model()->structure_names(); })
      .def("has_structure", [](p::Model& self, const std::string& name) { return self.model()->has_structure(name); })
      .def("structure", &p::Model::structure, "name"_a)
      .def("breaking_input", &p::Model::breaking_input, "name"_a)
      .def("options", &p::Model::options)
      .def("parameters", [](p::Model& self) { return self.model()->parameters(); })
      .def("named_parameters",
           [](p::Model& self) {
             std::vector<std::pair<std::string, torch::Tensor>> out;
             for (const auto& item : self.model()->named_parameters()) out.emplace_back(item.key(), item.value());
             return out;
           })
      .def("named_buffers",
           [](p::Model& self) {
             std::vector<std::pair<std::string, torch::Tensor>> out;
             for (const auto& item : self.model()->named_buffers()) out.emplace_back(item.key(), item.value());
             return out;
           })
      .def("backbone_parameters", [](p::Model& self) { return self.model()->backbone_parameters(); })
      .def("head_parameters", [](p::Model& self) { return self.model()->head_parameters(); })
      .def("edge_parameters", [](p::Model& self) { return self.model()->edge_parameters(); })
      .def("token_parameters", [](p::Model& self) { return self.model()->token_parameters(); })
      .def("train", &p::Model::set_training, "mode"_a)
      .def("to_device", [](p::Model& self, const std::string& device) { self.to_device(device); }, "device"_a)
      .def("device", [](p::Model& self) { return self.model()->device().str(); })
      .def_property_readonly("training", [](p::Model& self) { return self.model()->is_training(); })
      .def("save", &p::Model::save, "path"_a)
      .def("evaluate", &p::Model::evaluate, "name"_a, "inputs"_a, "targets"_a, "batch"_a)
      .def("data_test_split", &p::Model::data_test_split, "name"_a)
      .def("check_equivariance", &p::Model::check_equivariance, "name"_a, "group"_a, "random"_a, "seed"_a)
      .def("discover", &p::Model::discover, "name"_a, "threshold"_a, "feature"_a, "true_group"_a)
      .def("backbone_copy", &p::Model::backbone_copy)
      .def("finetune", &p::Model::finetune, "tasks"_a, "groups"_a, "samples"_a, "length"_a, "settings"_a,
           "backbone_lr_scale"_a);

  m.def("train", &p::train, "tasks"_a, "groups"_a, "samples"_a, "length"_a, "settings"_a);
  m.def("train_data", &p::train_data, "dir"_a, "data"_a, "settings"_a);
  m.def("load", &p::load, "path"_a);
  m.def("tasks", &p::tasks, "length"_a);
  m.def(
      "task_info", [](const std::string& name, std::int64_t length) { return p::task_info_dict(asen::nn::task_info(name, length)); },
      "name"_a, "length"_a);
  m.def("generate_dataset", &p::generate_dataset, "task"_a, "samples"_a, "length"_a, "seed"_a);
  m.def(
      "label_sequence",
      [](const std::string& task, const std::vector<std::int64_t>& tokens) {
        // The definition holds for the sequences the task draws: its lengths and tokens.
        const asen::nn::TaskInfo info = asen::nn::task_info(task, static_cast<std::int64_t>(tokens.size()));
        for (std::size_t i = 0; i < tokens.size(); ++i)
          if (tokens[i] < 0 || tokens[i] >= info.vocab)
            throw asen::InputError("token " + std::to_string(tokens[i]) + " at position " + std::to_string(i) +
                                   " is outside the tokens 0.." + std::to_string(info.vocab - 1) + " of task '" + task + "'");
        return asen::nn::label_sequence(task, tokens);
      },
      "task"_a, "tokens"_a);
}
