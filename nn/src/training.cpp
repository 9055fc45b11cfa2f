#include <asen/error.hpp>
#include <asen/nn/training.hpp>
#include <asen/symlinks.hpp>

#include <asen/graph/automorphisms.hpp>
#include <asen/nn/flat_adam.hpp>
#include <asen/nn/seeded_generator.hpp>

#include "memory.hpp"
#include "zip_check.hpp"

#include <caffe2/serialize/inline_container.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace asen::nn {
namespace {

using json = nlohmann::json;
constexpr double kPi = 3.14159265358979323846;

// Training allocates and frees the same large temporaries at every step. By
// default glibc serves them with fresh mmaps, so every step pays for page
// faults (a third of the run time at n = 10, measured). Keeping freed memory
// in the heap avoids that; this is a process-wide setting, made once.
void keep_freed_memory() {
#if defined(__GLIBC__)
  static const bool done = [] {
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    return true;
  }();
  (void)done;
#endif
}
namespace fs = std::filesystem;

// An exclusive lock on an output folder for one training run (flock on the
// folder itself: nothing is left behind, and the kernel releases it when the
// process ends, however it ends). A second run on the same folder would
// interleave its metrics lines and checkpoints with the first one's.
class FolderLock {
 public:
  explicit FolderLock(const std::string& dir) {
    fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd_ < 0) return;  // unusual file systems: train unlocked rather than not at all
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      if (err == EWOULDBLOCK)
        throw InputError("another training run is writing to the output folder " + dir +
                         "; wait for it to finish or use another output folder");
    }
  }
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  ~FolderLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  int fd_ = -1;
};

// The temporary files of a run killed while writing (write_atomically's
// "NAME.tmp.PID", for the files a run writes): with the folder locked, no
// other run is writing them.
void remove_leftover_temporaries(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    for (const char* ours : {"checkpoint.pt", "metrics.jsonl", "model.pt"}) {
      const std::string prefix = std::string(ours) + ".tmp.";
      if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
          name.find_first_not_of("0123456789", prefix.size()) == std::string::npos) {
        std::error_code ignored;
        if (it->is_regular_file(ignored)) fs::remove(it->path(), ignored);
      }
    }
  }
}

constexpr const char* kFormat = "asen-model";
constexpr int kFormatVersion = 1;

std::int64_t uniform_below(std::mt19937_64& rng, std::int64_t bound) {
  const auto b = static_cast<std::uint64_t>(bound);
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % b;
  for (;;) {
    const std::uint64_t r = rng();
    if (r < limit) return static_cast<std::int64_t>(r % b);
  }
}

template <typename T>
void shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (std::size_t k = v.size(); k > 1; --k) std::swap(v[k - 1], v[static_cast<std::size_t>(uniform_below(rng, static_cast<std::int64_t>(k)))]);
}

torch::Device pick_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    if (!torch::cuda::is_available()) throw InputError("device 'cuda' was asked for but no CUDA device is available");
    return torch::kCUDA;
  }
  if (name != "auto") throw InputError("unknown device '" + name + "'; expected auto, cpu or cuda");
  return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
}

json backbone_json(const BackboneOptions& o) {
  return {{"hidden", o.hidden()}, {"layers", o.layers()}, {"heads", o.heads()}, {"dropout", o.dropout()},
          {"attention_dropout", o.attention_dropout()}};
}

BackboneOptions backbone_from(const json& j) {
  BackboneOptions o;
  o.hidden(j.at("hidden").get<std::int64_t>())
      .layers(j.at("layers").get<std::int64_t>())
      .heads(j.at("heads").get<std::int64_t>())
      .dropout(j.at("dropout").get<double>())
      .attention_dropout(j.at("attention_dropout").get<double>());
  return o;
}

// The group of a task with its generators spelled out. A model file may
// name its group "graph:FILE" (a data folder's default): the graph layer's
// specs are registered here, for every caller (the Python module, a C++
// program) that loads such a model without having read a graph itself.
algebra::PermGroup task_group(const TaskData& t, std::int64_t nodes) {
  graph::register_graph_specs();
  return algebra::PermGroup::parse(t.group, static_cast<std::size_t>(nodes));
}

// A breaking input given as tensors, as save_model stores it.
json input_json(const BreakingInput& input) {
  const torch::Tensor index = input.edge_index().to(torch::kCPU).contiguous();
  const torch::Tensor color = input.edge_color().to(torch::kCPU).contiguous();
  auto list = [](const torch::Tensor& x) {
    const auto* p = x.data_ptr<std::int64_t>();
    return std::vector<std::int64_t>(p, p + x.numel());
  };
  const std::int64_t arcs = color.numel();
  json out = {{"num_nodes", input.num_nodes()},
              {"num_colors", input.num_colors()},
              {"sources", list(index.slice(0, 0, 1).reshape({arcs}).contiguous())},
              {"targets", list(index.slice(0, 1, 2).reshape({arcs}).contiguous())},
              {"colors", list(color)},
              {"node_colors", nullptr}};
  if (input.node_color().defined()) out["node_colors"] = list(input.node_color().to(torch::kCPU).contiguous());
  return out;
}

BreakingInput input_from_json(const json& j, std::int64_t nodes) {
  const auto n = j.at("num_nodes").get<std::int64_t>();
  if (n != nodes) throw InputError("a stored breaking input has " + std::to_string(n) + " nodes, not " + std::to_string(nodes));
  const auto sources = j.at("sources").get<std::vector<std::int64_t>>();
  const auto targets = j.at("targets").get<std::vector<std::int64_t>>();
  const auto colors = j.at("colors").get<std::vector<std::int64_t>>();
  if (sources.size() != targets.size() || sources.size() != colors.size())
    throw InputError("a stored breaking input has lists of different lengths");
  const auto arcs = static_cast<std::int64_t>(colors.size());
  torch::Tensor index = torch::stack({torch::tensor(sources, torch::kLong), torch::tensor(targets, torch::kLong)})
                            .reshape({2, arcs});
  torch::Tensor node_colors;
  if (!j.at("node_colors").is_null())
    node_colors = torch::tensor(j.at("node_colors").get<std::vector<std::int64_t>>(), torch::kLong);
  return BreakingInput(n, index, torch::tensor(colors, torch::kLong).reshape({arcs}),
                       j.at("num_colors").get<std::int64_t>(), node_colors);
}

json structure_json(const TaskData& t, const BreakingInput& input) {
  const std::int64_t nodes = input.num_nodes();
  const algebra::PermGroup g = task_group(t, nodes);
  json gens = json::array();
  for (const auto& p : g.generators()) gens.push_back(p.images());
  json base = nullptr;
  if (t.base) {
    json edges = json::array();
    for (const auto& [u, v] : t.base->edges()) edges.push_back({u, v});
    base = {{"vertices", t.base->num_vertices()}, {"directed", t.base->directed()}, {"edges", edges}};
  }
  json out = {{"name", t.name},
          {"kind", to_string(t.kind)},
          {"vocab", t.vocab},
          {"in_features", t.in_features},
          {"out_dim", t.out_dim},
          {"group", t.group},
          {"degree", nodes},
          {"generators", gens},
          {"mode", graph::to_string(t.mode)},
          {"base", base}};
  if (!t.data_dir.empty()) {
    // Absolute, so that `asen eval` finds the folder from anywhere.
    std::error_code ec;
    const fs::path absolute = fs::absolute(t.data_dir, ec);
    out["data"] = ec ? t.data_dir : absolute.lexically_normal().string();
    out["data_seed"] = t.data_seed;
    if (!t.data_fingerprint.empty()) out["data_fingerprint"] = t.data_fingerprint;
  }
  if (t.synthetic_seed) out["synthetic_seed"] = *t.synthetic_seed;
  if (t.input_given) out["breaking_input"] = input_json(input);
  return out;
}

// Every structure of the model, described by its task data when given, else
// by the description it was built with (a model loaded or trained earlier).
json structures_json(const AsenModel& model, const std::vector<TaskData>& tasks) {
  json structures = json::array();
  for (const auto& name : model->structure_names()) {
    const auto it = std::find_if(tasks.begin(), tasks.end(), [&](const TaskData& t) { return t.name == name; });
    const StructureSpec& spec = model->structure(name);
    if (it != tasks.end())
      structures.push_back(structure_json(*it, spec.input));
    else if (!spec.description.empty())
      structures.push_back(json::parse(spec.description));
    else
      throw InputError("cannot save structure '" + name + "': it was added by hand and no task data describes it");
  }
  return structures;
}

TaskData task_from_json(const json& j, algebra::PermGroup& group_out) {
  TaskData t;
  t.name = j.at("name").get<std::string>();
  t.kind = parse_task_kind(j.at("kind").get<std::string>());
  t.vocab = j.at("vocab").get<std::int64_t>();
  t.in_features = j.at("in_features").get<std::int64_t>();
  t.out_dim = j.at("out_dim").get<std::int64_t>();
  t.group = j.at("group").get<std::string>();
  t.mode = graph::parse_breaking_mode(j.at("mode").get<std::string>());
  // nlohmann reads -1 as a size_t without complaint.
  const auto count = [](const json& v, const char* what) {
    if (!v.is_number_unsigned()) throw InputError(std::string("the structure's ") + what + " " + v.dump() + " is not a count");
    return v.get<std::size_t>();
  };
  const std::size_t n = count(j.at("degree"), "degree");
  std::vector<algebra::Permutation> gens;
  for (const auto& g : j.at("generators")) gens.emplace_back(g.get<std::vector<algebra::Point>>());
  group_out = algebra::PermGroup(n, gens);
  if (!j.at("base").is_null()) {
    const json& b = j.at("base");
    std::vector<std::pair<algebra::Point, algebra::Point>> edges;
    for (const auto& e : b.at("edges")) edges.emplace_back(e.at(0).get<algebra::Point>(), e.at(1).get<algebra::Point>());
    t.base = graph::BaseGraph(count(b.at("vertices"), "number of base-graph vertices"), edges, b.at("directed").get<bool>());
  }
  if (j.contains("data")) t.data_dir = j.at("data").get<std::string>();
  if (j.contains("data_seed")) t.data_seed = j.at("data_seed").get<std::uint64_t>();
  if (j.contains("data_fingerprint")) t.data_fingerprint = j.at("data_fingerprint").get<std::string>();
  t.input_given = j.contains("breaking_input");
  if (j.contains("synthetic_seed")) t.synthetic_seed = j.at("synthetic_seed").get<std::uint64_t>();
  return t;
}

std::int64_t nodes_of(const TaskData& t) {
  if (t.data.train.inputs.defined()) return t.data.train.inputs.size(1);
  if (t.data.test.inputs.defined()) return t.data.test.inputs.size(1);
  throw InputError("task '" + t.name + "' has no data");
}

// A structure on `group`'s breaking input, or on `given` when not null.
StructureSpec structure_spec(const TaskData& t, const algebra::PermGroup& group, const BreakingInput* given = nullptr) {
  StructureSpec s;
  s.name = t.name;
  s.kind = t.kind;
  s.vocab = t.vocab;
  s.in_features = t.in_features;
  s.out_dim = t.out_dim;
  s.input = given != nullptr ? *given : BreakingInput::for_group(group, t.mode, t.base ? &*t.base : nullptr);
  return s;
}

torch::Tensor loss_of(TaskKind kind, const torch::Tensor& out, const torch::Tensor& target) {
  switch (kind) {
    case TaskKind::node_classification:
      return torch::nn::functional::cross_entropy(out.reshape({-1, out.size(-1)}), target.reshape({-1}));
    case TaskKind::graph_classification:
      return torch::nn::functional::cross_entropy(out, target);
    case TaskKind::graph_regression:
      return torch::nn::functional::l1_loss(out, target);
    case TaskKind::node_regression:
      return torch::nn::functional::mse_loss(out, target);
  }
  return {};
}

// The model's predictions compared with the targets: per-node and per-sample counts.
void count_correct(TaskKind kind, const torch::Tensor& out, const torch::Tensor& target, double& nodes_right,
                   double& nodes_total, double& samples_right, double& samples_total) {
  if (kind == TaskKind::node_classification) {
    const torch::Tensor right = out.argmax(-1).eq(target);
    nodes_right += right.sum().item<double>();
    nodes_total += static_cast<double>(right.numel());
    samples_right += right.all(1).sum().item<double>();
    samples_total += static_cast<double>(right.size(0));
    return;
  }
  if (kind == TaskKind::node_regression) {
    const torch::Tensor right = out.round().eq(target).all(-1);  // [B, N]
    nodes_right += right.sum().item<double>();
    nodes_total += static_cast<double>(right.numel());
    samples_right += right.all(1).sum().item<double>();
    samples_total += static_cast<double>(right.size(0));
    return;
  }
  const torch::Tensor right =
      kind == TaskKind::graph_classification ? out.argmax(-1).eq(target) : out.round().eq(target).all(1);
  nodes_right += right.sum().item<double>();
  nodes_total += static_cast<double>(right.numel());
  samples_right += right.sum().item<double>();
  samples_total += static_cast<double>(right.numel());
}

// The reason in an exception's text for an error message: LibTorch's
// errors without their backtrace ("Exception raised from ..." and stack
// frames), on one line, at most 200 characters.
std::string reason_of(const std::exception& e) {
  const auto* torch_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = torch_error != nullptr ? torch_error->what_without_backtrace() : e.what();
  const std::size_t raised = text.find("Exception raised from");
  if (raised != std::string::npos) text.erase(raised);
  for (char& c : text)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  if (text.size() > 200) text = text.substr(0, 197) + "...";
  return text;
}

// "key: A in the checkpoint, B here" for each setting that differs.
std::string settings_difference(const json& was, const json& now) {
  std::string out;
  const auto shown = [](const json& v) {
    const std::string text = v.is_null() ? "none" : v.dump();
    return text.size() > 80 ? text.substr(0, 77) + "..." : text;
  };
  const auto add = [&out](const std::string& text) { out += (out.empty() ? "" : "; ") + text; };
  const auto keys_of = [](const json& a, const json& b) {
    std::set<std::string> keys;
    for (const auto& item : a.items()) keys.insert(item.key());
    for (const auto& item : b.items()) keys.insert(item.key());
    return keys;
  };
  // A run records edge_init_scale only when it is not the default 1.
  const auto at = [](const json& o, const std::string& key) {
    if (key == "edge_init_scale" && !o.contains(key)) return json(1.0);
    return o.contains(key) ? o.at(key) : json(nullptr);
  };
  for (const auto& key : keys_of(was, now)) {
    const json a = at(was, key);
    const json b = at(now, key);
    if (a == b) continue;
    // The same tasks (by name, in order): which of their settings differ.
    const auto names = [&at](const json& tasks) {
      std::vector<json> list;
      for (const auto& t : tasks) list.push_back(t.is_object() ? at(t, "name") : json(nullptr));
      return list;
    };
    if (key == "tasks" && a.is_array() && b.is_array() && names(a) != names(b)) {
      const auto list = [&names](const json& tasks) {
        std::string text;
        for (const auto& name : names(tasks)) text += (text.empty() ? "" : ", ") + (name.is_string() ? name.get<std::string>() : name.dump());
        return text.empty() ? std::string("none") : text;
      };
      add("tasks: " + list(a) + " in the checkpoint, " + list(b) + " here");
      continue;
    }
    if (key == "tasks" && a.is_array() && b.is_array() && a.size() == b.size()) {
      for (std::size_t k = 0; k < a.size(); ++k) {
        if (!a[k].is_object() || !b[k].is_object()) continue;
        const std::string task = "task " + shown(at(b[k], "name")) + " ";
        for (const auto& field : keys_of(a[k], b[k])) {
          const json x = at(a[k], field);
          const json y = at(b[k], field);
          if (x == y) continue;
          if (field == "data") {
            add(task + "data: the data folder's samples changed");
          } else if (field == "structure" && x.is_object() && y.is_object()) {
            for (const auto& part : keys_of(x, y)) {
              if (at(x, part) == at(y, part)) continue;
              add(task + (part == "coloring" ? std::string("breaking input: another colouring of the pairs (another "
                                                           "group, or a changed graph file or base graph)")
                                             : part + ": " + shown(at(x, part)) + " in the checkpoint, " +
                                                   shown(at(y, part)) + " here"));
            }
          } else if (field == "train" || field == "val" || field == "test") {
            add(task + field + " split: " + shown(x) + " samples in the checkpoint, " + shown(y) + " here");
          } else {
            add(task + field + ": " + shown(x) + " in the checkpoint, " + shown(y) + " here");
          }
        }
      }
      continue;
    }
    add(key + ": " + shown(a) + " in the checkpoint, " + shown(b) + " here" +
        (key == "epochs" ? " (the cosine schedule depends on the run's length)" : ""));
  }
  return out.empty() ? "the settings differ" : out;
}

// The settings of a checkpoint's run and of this one, as they must agree for
// a resume. Checkpoints that record each task's structure (its colouring and
// sizes) are compared on it and not on the spelling of the group (the same
// colouring from another spec resumes, the same spec of a changed graph file
// does not); older ones, on the group spec as before.
std::pair<json, json> resumable_settings(json was, json now) {
  bool structured = was.contains("tasks") && was.at("tasks").is_array();
  if (structured)
    for (const auto& t : was.at("tasks")) structured = structured && t.is_object() && t.contains("structure");
  // Checkpoints from before the validation and test sizes were recorded are
  // compared on the training size alone.
  bool split_sizes = was.contains("tasks") && was.at("tasks").is_array();
  if (split_sizes)
    for (const auto& t : was.at("tasks")) split_sizes = split_sizes && t.is_object() && t.contains("test");
  for (json* run : {&was, &now}) {
    if (!run->contains("tasks") || !run->at("tasks").is_array()) continue;
    for (auto& t : run->at("tasks")) {
      if (!t.is_object()) continue;
      t.erase(structured ? "group" : "structure");
      if (!split_sizes) {
        t.erase("val");
        t.erase("test");
      }
    }
  }
  return {std::move(was), std::move(now)};
}

// Writes an archive to `path`: serialised in memory first, then written and
// synced with every error checked. (LibTorch's own file writer reports a
// full disk by throwing from a destructor, which ends the process.)
void save_archive(torch::serialize::OutputArchive& archive, const std::string& path) {
  std::ostringstream bytes;
  archive.save_to(bytes);
  const std::string data = std::move(bytes).str();
  // write_atomically names the file and the reason (the error code's text).
  const auto fail = [&](int error) {
    throw fs::filesystem_error("write", path, std::error_code(error, std::generic_category()));
  };
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(errno);
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      ::close(fd);
      fail(error);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    fail(error);
  }
  if (::close(fd) != 0) fail(errno);
}

void write_atomically(const std::string& path, const std::function<void(const std::string&)>& write) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw InputError("cannot write " + path + ": it is a folder");
  // Through a symbolic link to the file it names (the link stays).
  const std::string target = asen::detail::follow_symlinks(path).string();
  const std::string tmp = target + ".tmp." + std::to_string(::getpid());
  const auto failed = [&](const std::string& reason) {
    fs::remove(tmp, ec);
    return InputError("cannot write " + path + ": " + reason);
  };
  try {
    write(tmp);
    fs::rename(tmp, target);
  } catch (const InputError&) {
    fs::remove(tmp, ec);
    throw;
  } catch (const c10::Error& e) {
    throw failed(reason_of(e));
  } catch (const fs::filesystem_error& e) {
    throw failed(e.code().message());
  } catch (...) {
    fs::remove(tmp, ec);
    throw;
  }
}

json metrics_json(const Metrics& m) {
  json out = {{"task", m.task},       {"epoch", m.epoch},       {"split", m.split},     {"loss", m.loss},
              {"node_accuracy", m.node_accuracy}, {"exact_match", m.exact_match}, {"seconds", m.seconds}};
  if (m.mae) out["mae"] = *m.mae;
  return out;
}

// One training run over a set of tasks on a model.
class Run {
 public:
  // Without a model, a new one with config.backbone. The set-up (a new
  // model's weights, new structures' embeddings and heads) draws from torch's
  // default generator seeded with `seed`, whose state is then restored; the
  // run goes on with a private generator forked from it (dropout), so that
  // other threads drawing meanwhile change nothing.
  Run(AsenModel model, std::vector<TaskData> tasks, const TrainConfig& config, double backbone_scale,
      std::uint64_t seed)
      : model_(std::move(model)), tasks_(std::move(tasks)), config_(config), backbone_scale_(backbone_scale),
        seed_(seed) {}

  TrainResult execute() {
    validate();
    std::optional<SeededGenerator> seeded(std::in_place, seed_);
    if (!model_) model_ = AsenModel(config_.backbone);
    keep_freed_memory();
    // torch's thread count is the caller's setting: restored when the run ends.
    struct RestoreThreads {
      int count = torch::get_num_threads();
      ~RestoreThreads() {
        if (torch::get_num_threads() != count) torch::set_num_threads(count);
      }
    } restore_threads;
    if (config_.threads > 0) torch::set_num_threads(static_cast<int>(config_.threads));
    device_ = pick_device(config_.device);
    // Dropout on CUDA is torch's own, from the device's default generator.
    if (device_.is_cuda()) torch::cuda::manual_seed_all(seed_);
    model_->to_device(device_);
    for (auto& t : tasks_) {
      if (!model_->has_structure(t.name)) {
        if (t.input_given)
          throw InputError("task '" + t.name + "' names a breaking input given as tensors, but the model has no such structure");
        const std::int64_t n = nodes_of(t);
        StructureSpec spec = structure_spec(t, task_group(t, n));
        spec.description = structure_json(t, spec.input).dump();
        model_->add_structure(spec);
        scale_initial_colors(t.name);
      }
      check_training_memory(t.name);
      if (config_.train_fraction < 1.0) {
        const auto keep = static_cast<std::int64_t>(std::llround(config_.train_fraction * static_cast<double>(t.data.train.size())));
        t.data.train = t.data.train.slice(0, std::max<std::int64_t>(1, keep));
      }
    }
    build_optimizer();
    generator_ = seeded->fork();
    seeded.reset();
    const detail::UseGenerator use_generator(generator_);
    std::int64_t start = 0;
    std::vector<json> earlier_metrics;
    std::optional<FolderLock> lock;
    if (!config_.out_dir.empty()) {
      std::error_code ec;
      fs::create_directories(config_.out_dir, ec);
      if (ec || !fs::is_directory(config_.out_dir))
        throw InputError("cannot use the output folder " + config_.out_dir + ": " +
                         (ec ? ec.message() : std::string("it is not a folder")));
      lock.emplace(config_.out_dir);
      remove_leftover_temporaries(config_.out_dir);
      for (const char* name : {"checkpoint.pt", "metrics.jsonl", "model.pt"}) {
        const fs::path file = fs::path(config_.out_dir) / name;
        if (fs::is_directory(file, ec))
          throw InputError("cannot use the output folder " + config_.out_dir + ": " + file.string() +
                           " is a folder, where training writes a file");
      }
      start = maybe_resume(earlier_metrics);
    }
    TrainResult result;
    for (const json& m : earlier_metrics) {
      // JSON has no NaN: a non-finite metric was written as null.
      const auto number = [&m](const char* key) {
        const json& v = m.at(key);
        return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
      };
      Metrics x{m.at("task"), m.at("epoch"), m.at("split"), number("loss"), number("node_accuracy"),
                number("exact_match"), number("seconds"), std::nullopt};
      if (m.contains("mae")) x.mae = number("mae");
      result.history.push_back(x);
    }
    const auto clock_start = std::chrono::steady_clock::now();
    const double seconds_before = result.history.empty() ? 0.0 : result.history.back().seconds;
    for (std::int64_t epoch = start; epoch < config_.epochs; ++epoch) {
      train_epoch(epoch);
      const double seconds =
          seconds_before + std::chrono::duration<double>(std::chrono::steady_clock::now() - clock_start).count();
      std::vector<Metrics> lines;
      for (const auto& t : tasks_) {
        for (const auto& [split, data] : {std::pair<std::string, const Dataset*>{"train", &t.data.train},
                                          {"val", &t.data.val}, {"test", &t.data.test}}) {
          // An empty split still has its line (metrics null: NaN in JSON).
          Metrics m = evaluate(model_, t.name, *data);
          m.epoch = epoch + 1;
          m.split = split;
          m.seconds = seconds;
          lines.push_back(m);
        }
      }
      append_metrics(lines);
      for (auto& m : lines) result.history.push_back(m);
      save_checkpoint(epoch + 1);
    }
    for (const auto& t : tasks_) {
      if (t.data.test.size() == 0) continue;
      Metrics m = evaluate(model_, t.name, t.data.test);
      m.epoch = config_.epochs;
      m.split = "test";
      m.seconds = result.history.empty() ? 0.0 : result.history.back().seconds;
      result.test[t.name] = m;
    }
    if (!config_.out_dir.empty()) save_model(model_, tasks_, (fs::path(config_.out_dir) / "model.pt").string());
    result.model = model_;
    result.resumed_from = start;
    return result;
  }

 private:
  void validate() const {
    if (tasks_.empty()) throw InputError("training needs at least one task");
    if (config_.epochs < 0) throw InputError("the number of epochs must not be negative");
    if (config_.batch <= 0) throw InputError("the batch size must be positive");
    if (config_.lr_schedule != "constant" && config_.lr_schedule != "cosine")
      throw InputError("unknown learning-rate schedule '" + config_.lr_schedule + "' (constant or cosine)");
    // Far above 1 the first steps overflow (float32), which would read as a
    // divergence of the learning rates.
    if (!(config_.edge_init_scale >= 0.0 && config_.edge_init_scale <= 1e6))
      throw InputError("the colour embeddings' initial scale must be a number in [0, 1e6]");
    if (!(config_.train_fraction > 0.0 && config_.train_fraction <= 1.0))
      throw InputError("the training fraction must be in (0, 1]");
    for (const double rate : {config_.lr_backbone, config_.lr_edges, config_.lr_tokens})
      if (!(rate > 0.0 && std::isfinite(rate))) throw InputError("learning rates must be positive and finite");
    // As torch's Adam: a negative decay would push weights away from zero.
    if (!(config_.weight_decay >= 0.0 && std::isfinite(config_.weight_decay)))
      throw InputError("the weight decay must be a finite number >= 0, got " + std::to_string(config_.weight_decay));
    if (!(config_.clip_norm >= 0.0 && std::isfinite(config_.clip_norm)))
      throw InputError("the gradient clipping norm must be a finite number >= 0 (0: no clipping), got " +
                       std::to_string(config_.clip_norm));
    // Each thread of LibTorch's pool is created up front; thousands stall the
    // pool's start (measured: 1000 under an 8 GB address-space limit hung).
    const std::int64_t max_threads =
        std::max<std::int64_t>(256, 8 * static_cast<std::int64_t>(std::thread::hardware_concurrency()));
    if (config_.threads > max_threads)
      throw InputError("at most " + std::to_string(max_threads) + " threads, got " + std::to_string(config_.threads));
    for (std::size_t a = 0; a < tasks_.size(); ++a)
      for (std::size_t b = a + 1; b < tasks_.size(); ++b)
        if (tasks_[a].name == tasks_[b].name) throw InputError("task '" + tasks_[a].name + "' is given twice");
  }

  // A batch's forward and backward pass keep about 16 bytes per arc, sample,
  // layer and head (attention scores and their gradients; measured: 3.7 KB
  // an arc for batches of 8 at 4 layers and 8 heads). A structure whose
  // batches cannot fit is refused before training instead of being killed.
  void check_training_memory(const std::string& structure) const {
    const StructureSpec& spec = model_->structure(structure);
    const auto& o = model_->options;
    const long double bytes = static_cast<long double>(spec.input.num_edges()) * static_cast<long double>(config_.batch) *
                              static_cast<long double>(o.layers()) * static_cast<long double>(o.heads()) * 16.0L;
    if (detail::exceeds_memory(bytes))
      throw InputError("training structure '" + structure + "' (" + std::to_string(spec.input.num_nodes()) + " nodes, " +
                       std::to_string(spec.input.num_edges()) + " arcs) needs about " + detail::gib(bytes) +
                       " for a batch of " + std::to_string(config_.batch) + ", more than this machine's " +
                       detail::gib(static_cast<long double>(detail::physical_memory_bytes())) +
                       " of memory; lower the batch size, the layers or the heads, or use a sparse breaking input");
  }

  // The colour embedding of a structure this run has just created, scaled
  // by edge_init_scale (the same random draw, so every other parameter is
  // initialised as without it).
  void scale_initial_colors(const std::string& structure) {
    if (config_.edge_init_scale == 1.0) return;
    torch::NoGradGuard no_grad;
    const std::string key = "edges_" + structure + ".embedding.weight";
    for (auto& p : model_->named_parameters())
      if (p.key() == key) p.value().mul_(config_.edge_init_scale);
  }

  // After the model's last move or load: the optimiser makes its parameters
  // views into flat buffers (see flat_adam.hpp).
  void build_optimizer() {
    using Options = FlatAdam::GroupOptions;
    // The heads (and input MLPs) learn at the backbone's rate; when
    // finetuning scales the backbone's rate down they keep the full rate in
    // a group of their own (a new task's head starts from scratch).
    std::vector<std::vector<torch::Tensor>> groups{model_->backbone_parameters(), model_->edge_parameters(),
                                                   model_->token_parameters()};
    std::vector<Options> options{Options{config_.lr_backbone * backbone_scale_, config_.weight_decay},
                                 Options{config_.lr_edges, 0.0}, Options{config_.lr_tokens, 0.0}};
    std::vector<torch::Tensor> heads = model_->head_parameters();
    if (backbone_scale_ == 1.0) {
      groups[0].insert(groups[0].end(), heads.begin(), heads.end());
    } else {
      groups.push_back(std::move(heads));
      options.push_back(Options{config_.lr_backbone, config_.weight_decay});
    }
    optimizer_ = std::make_unique<FlatAdam>(groups, options);
    base_rates_.clear();
    for (std::size_t g = 0; g < optimizer_->num_groups(); ++g) base_rates_.push_back(optimizer_->lr(g));
  }

  // Sets every group's learning rate for step `step` of `total` (0-based).
  void schedule_rates(std::int64_t step, std::int64_t total) {
    double factor = 1.0;
    if (config_.lr_schedule == "cosine" && total > 0)
      factor = 0.5 * (1.0 + std::cos(kPi * static_cast<double>(step) / static_cast<double>(total)));
    for (std::size_t g = 0; g < optimizer_->num_groups(); ++g) optimizer_->set_lr(g, base_rates_[g] * factor);
  }

  json run_json() const {
    json tasks = json::array();
    for (const auto& t : tasks_) {
      json task = {{"name", t.name},
                   {"group", t.group},
                   {"train", t.data.train.size()},
                   {"val", t.data.val.size()},
                   {"test", t.data.test.size()}};
      // Only for data folders: checkpoints of synthetic runs still match.
      if (!t.data_fingerprint.empty()) task["data"] = t.data_fingerprint;
      // What the checkpoint's tensors are shaped and numbered by: the
      // colouring itself (a graph file or a group spec may read the same and
      // mean another), the sizes of the embeddings and of the head.
      const StructureSpec& spec = model_->structure(t.name);
      task["structure"] = {{"kind", to_string(t.kind)},       {"vocab", t.vocab},
                           {"in_features", t.in_features},    {"out_dim", t.out_dim},
                           {"nodes", spec.input.num_nodes()}, {"mode", graph::to_string(t.mode)},
                           {"coloring", spec.input.fingerprint()}};
      tasks.push_back(std::move(task));
    }
    json run = {{"batch", config_.batch}, {"seed", config_.seed}, {"lr_backbone", config_.lr_backbone * backbone_scale_},
            {"lr_edges", config_.lr_edges}, {"lr_tokens", config_.lr_tokens}, {"weight_decay", config_.weight_decay},
            {"clip_norm", config_.clip_norm}, {"lr_schedule", config_.lr_schedule},
            // the cosine schedule depends on the length of the run
            {"epochs", config_.lr_schedule == "constant" ? json(nullptr) : json(config_.epochs)},
            {"backbone", backbone_json(config_.backbone)}, {"tasks", tasks}};
    // Only when set: checkpoints of runs without it still match.
    if (config_.edge_init_scale != 1.0) run["edge_init_scale"] = config_.edge_init_scale;
    return run;
  }

  std::string checkpoint_path() const { return (fs::path(config_.out_dir) / "checkpoint.pt").string(); }
  std::string metrics_path() const { return (fs::path(config_.out_dir) / "metrics.jsonl").string(); }

  void save_checkpoint(std::int64_t epochs_done) {
    if (config_.out_dir.empty()) return;
    write_atomically(checkpoint_path(), [&](const std::string& tmp) {
      torch::serialize::OutputArchive archive;
      model_->save(archive);
      torch::serialize::OutputArchive opt;
      optimizer_->save(opt);
      archive.write("optimizer", opt);
      json meta = model_meta();
      meta["run"] = run_json();
      meta["epochs_done"] = epochs_done;
      archive.write("asen_meta", c10::IValue(meta.dump()));
      {
        const std::lock_guard<std::mutex> rng_lock(generator_.mutex());
        archive.write("rng_state", generator_.get_state());
      }
      save_archive(archive, tmp);
    });
  }

  json model_meta() const {
    return {{"format", kFormat}, {"version", kFormatVersion}, {"backbone", backbone_json(model_->options)},
            {"structures", structures_json(model_, tasks_)}};
  }

  // Returns the number of epochs already done (0 without a usable checkpoint).
  std::int64_t maybe_resume(std::vector<json>& earlier_metrics) {
    const std::string path = checkpoint_path();
    if (!config_.resume || !fs::exists(path)) {
      std::ofstream(metrics_path(), std::ios::trunc);
      return 0;
    }
    try {
      detail::verify_zip_checksums(path, "the checkpoint " + path);
    } catch (const InputError& e) {
      throw InputError(std::string(e.what()) + "; remove it or use another output folder");
    }
    torch::serialize::InputArchive archive;
    json meta;
    try {
      archive.load_from(path);
      c10::IValue value;
      archive.read("asen_meta", value);
      meta = json::parse(value.toStringRef());
    } catch (const std::exception& e) {
      throw InputError("the checkpoint " + path + " is corrupt or not an asen checkpoint (" + reason_of(e) +
                       "); remove it or use another output folder");
    }
    if (!meta.contains("run") || !meta.at("run").is_object())
      throw InputError("the checkpoint " + path +
                       " was written by a run with other settings (not recorded); remove it or use another output folder");
    const auto [was, now] = resumable_settings(meta.at("run"), run_json());
    if (was != now)
      throw InputError("the checkpoint " + path + " was written by a run with other settings (" +
                       settings_difference(was, now) + "); remove it or use another output folder");
    try {
      model_->load(archive);
      model_->to_device(device_);
      build_optimizer();
      torch::serialize::InputArchive opt;
      archive.read("optimizer", opt);
      optimizer_->load(opt);
      torch::Tensor rng;
      archive.read("rng_state", rng);
      const std::lock_guard<std::mutex> rng_lock(generator_.mutex());
      generator_.set_state(rng);
    } catch (const c10::Error& e) {
      throw InputError("the checkpoint " + path + " does not match this model (" + reason_of(e) + ")");
    }
    if (!meta.contains("epochs_done") || !meta.at("epochs_done").is_number_integer() ||
        meta.at("epochs_done").get<std::int64_t>() < 0)
      throw InputError("the checkpoint " + path +
                       " has malformed metadata (no epoch count); remove it or use another output folder");
    const auto done = meta.at("epochs_done").get<std::int64_t>();
    // Keep the metrics of the epochs the checkpoint covers.
    std::ifstream in(metrics_path());
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      json m = json::parse(line, nullptr, false);
      if (!m.is_discarded() && m.contains("epoch") && m.at("epoch").get<std::int64_t>() <= done) earlier_metrics.push_back(m);
    }
    in.close();
    write_atomically(metrics_path(), [&](const std::string& tmp) {
      std::ofstream out(tmp, std::ios::trunc);
      for (const json& m : earlier_metrics) out << m.dump() << '\n';
      if (!out) throw Error("cannot write " + tmp);
    });
    return done;
  }

  void append_metrics(const std::vector<Metrics>& lines) {
    if (config_.out_dir.empty()) return;
    errno = 0;
    std::ofstream out(metrics_path(), std::ios::app);
    for (const auto& m : lines) out << metrics_json(m).dump() << '\n';
    out.flush();
    if (!out)
      throw InputError("cannot append to " + metrics_path() + ": " +
                       (errno != 0 ? std::strerror(errno) : "the write failed"));
  }

  void train_epoch(std::int64_t epoch) {
    model_->train();
    // The batch order of an epoch depends only on the seed and the epoch.
    std::mt19937_64 rng(config_.seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(epoch) * 0x632be59bd9b4e019ULL + 1);
    std::vector<std::pair<std::size_t, torch::Tensor>> batches;
    for (std::size_t k = 0; k < tasks_.size(); ++k) {
      const std::int64_t size = tasks_[k].data.train.size();
      std::vector<std::int64_t> order(static_cast<std::size_t>(size));
      std::iota(order.begin(), order.end(), 0);
      shuffle(order, rng);
      for (std::int64_t b = 0; b < size; b += config_.batch) {
        const auto first = order.begin() + b;
        const auto last = order.begin() + std::min(size, b + config_.batch);
        batches.emplace_back(k, torch::tensor(std::vector<std::int64_t>(first, last), torch::kLong));
      }
    }
    shuffle(batches, rng);
    const bool bar = config_.progress && ::isatty(STDERR_FILENO) != 0;
    std::size_t done = 0;
    for (const auto& [k, index] : batches) {
      if (config_.between_batches) config_.between_batches();
      const TaskData& t = tasks_[k];
      const torch::Tensor x = t.data.train.inputs.index_select(0, index).to(device_);
      const torch::Tensor y = t.data.train.targets.index_select(0, index).to(device_);
      schedule_rates(epoch * static_cast<std::int64_t>(batches.size()) + static_cast<std::int64_t>(done),
                     config_.epochs * static_cast<std::int64_t>(batches.size()));
      optimizer_->zero_grad();
      const torch::Tensor loss = loss_of(t.kind, model_->forward(t.name, x), y);
      const double value = loss.item<double>();
      if (!std::isfinite(value))
        throw InputError("training diverged: the loss of task '" + t.name + "' became " +
                         (std::isnan(value) ? "NaN" : "infinite") + " in epoch " + std::to_string(epoch + 1) +
                         ", batch " + std::to_string(done + 1) + " of " + std::to_string(batches.size()) +
                         (t.data_dir.empty() ? "" : " (the data folder's inputs or targets may be too large: scale them)") +
                         "; lower the learning rates" +
                         (config_.out_dir.empty() || epoch == 0
                              ? std::string()
                              : "; the model after epoch " + std::to_string(epoch) + " is in " + checkpoint_path()));
      loss.backward();
      if (config_.clip_norm > 0) optimizer_->clip_grad_norm(config_.clip_norm);
      optimizer_->step();
      ++done;
      if (bar) {
        const int width = 30;
        const auto filled = static_cast<int>(width * done / batches.size());
        std::fprintf(stderr, "\repoch %lld/%lld [%.*s%*s] %zu/%zu loss %.4f", static_cast<long long>(epoch + 1),
                     static_cast<long long>(config_.epochs), filled, "##############################", width - filled,
                     "", done, batches.size(), value);
        if (done == batches.size()) std::fprintf(stderr, "\n");
        std::fflush(stderr);
      }
    }
  }

  AsenModel model_;
  std::vector<TaskData> tasks_;
  TrainConfig config_;
  double backbone_scale_;
  std::uint64_t seed_;
  at::Generator generator_;  ///< the run's own, for dropout (forked after the set-up)
  std::unique_ptr<FlatAdam> optimizer_;
  std::vector<double> base_rates_;  ///< per parameter group, before the schedule
  torch::Device device_ = torch::kCPU;
};

}  // namespace

TaskData synthetic_task(const std::string& name, std::int64_t samples, std::int64_t length, std::uint64_t seed,
                        const std::string& group) {
  const TaskInfo info = task_info(name, length);
  // The task's dense breaking input has length^2 arcs (index, colour and the
  // colour matrix: 28 bytes each): refused before any data is drawn.
  const long double input_bytes = static_cast<long double>(length) * static_cast<long double>(length) * 28.0L;
  if (detail::exceeds_memory(input_bytes))
    throw InputError("task '" + name + "' at length " + std::to_string(length) + " needs a breaking input of " +
                     std::to_string(length) + "^2 arcs, " + detail::gib(input_bytes) + ", more than this machine's " +
                     detail::gib(static_cast<long double>(detail::physical_memory_bytes())) + " of memory");
  TaskData t;
  t.name = name;
  t.kind = info.kind;
  t.vocab = info.vocab;
  t.out_dim = info.out_dim;
  t.group = group.empty() ? info.group : group;
  if (!group.empty()) {
    // Another group, checked with the task named. One on fewer points than
    // the sequences fixes the others: meant for '(1,2)', likely a slip for
    // 'D(8)' at length 10, so said in a note (the faces show it), not refused.
    const std::string n = std::to_string(length);
    std::size_t own = 0;
    try {
      graph::register_graph_specs();
      own = algebra::PermGroup::parse(group).degree();
    } catch (const InputError& e) {
      throw InputError("the group '" + group + "' for task '" + name + "' (sequences of length " + n + "): " + e.what());
    }
    if (own > static_cast<std::size_t>(length))
      throw InputError("the group '" + group + "' for task '" + name + "' (sequences of length " + n + ") acts on " +
                       std::to_string(own) + " points, more than the sequences have");
    if (own < static_cast<std::size_t>(length))
      t.notes.push_back("the group '" + group + "' of task " + name + " acts on " + std::to_string(own) +
                        " points and its sequences have " + n + ": the other " +
                        std::to_string(static_cast<std::size_t>(length) - own) + " points are fixed (give a group on " +
                        n + " points unless that is meant)");
  }
  t.data = split_dataset(generate_dataset(name, samples, length, seed));
  t.synthetic_seed = seed;
  return t;
}

TrainResult train(std::vector<TaskData> tasks, const TrainConfig& config) {
  return Run(AsenModel(nullptr), std::move(tasks), config, 1.0, config.seed).execute();
}

TrainResult finetune(AsenModel model, std::vector<TaskData> tasks, const TrainConfig& config, double backbone_lr_scale) {
  if (!model) throw InputError("finetuning needs a model");
  return Run(std::move(model), std::move(tasks), config, backbone_lr_scale, config.seed + 1).execute();
}

AsenModel backbone_copy(const AsenModel& trained) {
  AsenModel fresh(trained->options);
  fresh->to_device(trained->device());
  torch::NoGradGuard no_grad;
  const auto source = trained->backbone->named_parameters();
  for (auto& p : fresh->backbone->named_parameters()) p.value().copy_(source[p.key()]);
  const auto buffers = trained->backbone->named_buffers();
  for (auto& b : fresh->backbone->named_buffers()) b.value().copy_(buffers[b.key()]);
  return fresh;
}

Metrics evaluate(AsenModel& model, const std::string& structure, const Dataset& data, std::int64_t batch,
                 const std::function<void()>& between_batches) {
  const StructureSpec& spec = model->structure(structure);
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  // Back in the mode it was in, however the loop ends (a stop between batches).
  struct Restore {
    AsenModel& model;
    bool training;
    ~Restore() { model->train(training); }
  } restore{model, was_training};
  double loss_sum = 0;
  double nodes_right = 0;
  double nodes_total = 0;
  double samples_right = 0;
  double samples_total = 0;
  double abs_error_sum = 0;
  double outputs_total = 0;
  bool finite = true;
  const std::int64_t size = data.size();
  for (std::int64_t b = 0; b < size; b += batch) {
    if (between_batches) between_batches();
    const std::int64_t e = std::min(size, b + batch);
    const torch::Tensor x = data.inputs.slice(0, b, e).to(model->device());
    const torch::Tensor y = data.targets.slice(0, b, e).to(model->device());
    const torch::Tensor out = model->forward(structure, x);
    finite = finite && torch::isfinite(out).all().item<bool>();
    loss_sum += loss_of(spec.kind, out, y).item<double>() * static_cast<double>(e - b);
    count_correct(spec.kind, out, y, nodes_right, nodes_total, samples_right, samples_total);
    if (is_regression(spec.kind)) {
      abs_error_sum += (out - y).abs().sum().item<double>();
      outputs_total += static_cast<double>(out.numel());
    }
  }
  // The mean over no samples is NaN, as torch's is (a tiny split: --samples 2
  // leaves the validation split empty).
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Metrics m;
  m.task = structure;
  m.loss = size > 0 ? loss_sum / static_cast<double>(size) : nan;
  m.node_accuracy = nodes_total > 0 ? nodes_right / nodes_total : nan;
  m.exact_match = samples_total > 0 ? samples_right / samples_total : nan;
  if (is_regression(spec.kind)) m.mae = outputs_total > 0 ? abs_error_sum / outputs_total : nan;
  if (!finite) {
    // NaN or infinite outputs (weights that diverged) have no accuracy: an
    // argmax over NaN would still pick a class and count it.
    m.loss = m.node_accuracy = m.exact_match = nan;
    if (m.mae) m.mae = nan;
  }
  return m;
}

void save_model(const AsenModel& model, const std::vector<TaskData>& tasks, const std::string& path) {
  const json structures = structures_json(model, tasks);
  const json meta = {{"format", kFormat}, {"version", kFormatVersion}, {"backbone", backbone_json(model->options)},
                     {"structures", structures}};
  write_atomically(path, [&](const std::string& tmp) {
    torch::serialize::OutputArchive archive;
    model->save(archive);
    archive.write("asen_meta", c10::IValue(meta.dump()));
    save_archive(archive, tmp);
  });
}

namespace {

// A hint for a file that Python's torch.save wrote (a pickle in a zip, with
// none of the TorchScript records an asen model has).
std::string torch_save_hint(const std::string& path) {
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    if (reader.hasRecord("data.pkl") && !reader.hasRecord("constants.pkl"))
      return "; it looks like a file of Python's torch.save: load it there with torch.load, then write "
             "the model with model.save(path)";
  } catch (const std::exception&) {
  }
  return "";
}

}  // namespace

LoadedModel load_model(const std::string& path) {
  if (!fs::exists(path)) throw InputError("the model file " + path + " does not exist");
  if (fs::is_directory(path)) throw InputError("the model file " + path + " is a directory");
  detail::verify_zip_checksums(path, "the model file " + path);
  torch::serialize::InputArchive archive;
  json meta;
  try {
    archive.load_from(path);
    c10::IValue value;
    archive.read("asen_meta", value);
    meta = json::parse(value.toStringRef());
  } catch (const std::exception& e) {
    throw InputError("the model file " + path + " is corrupt or not an asen model (" + reason_of(e) + ")" +
                     torch_save_hint(path));
  }
  if (!meta.is_object() || meta.value("format", json()) != kFormat || meta.value("version", json()) != kFormatVersion)
    throw InputError("the model file " + path + " has an unknown format");
  LoadedModel out;
  out.meta_json = meta.dump();
  // Where in the metadata a malformed value was met, for the message.
  std::string where = "the backbone";
  try {
    if (!meta.contains("structures") || !meta.at("structures").is_array())
      throw InputError("the model file " + path + " has malformed metadata (\"structures\" is not a list)");
    out.model = AsenModel(backbone_from(meta.at("backbone")));
    for (const auto& s : meta.at("structures")) {
      where = "structure " + std::to_string(out.tasks.size());
      if (s.is_object() && s.contains("name") && s.at("name").is_string())
        where += " ('" + s.at("name").get<std::string>() + "')";
      algebra::PermGroup group;
      TaskData t = task_from_json(s, group);
      std::optional<BreakingInput> given;
      if (t.input_given) given = input_from_json(s.at("breaking_input"), static_cast<std::int64_t>(group.degree()));
      StructureSpec spec = structure_spec(t, group, given ? &*given : nullptr);
      spec.description = s.dump();
      out.model->add_structure(spec);
      out.tasks.push_back(std::move(t));
    }
    if (out.tasks.empty()) throw InputError("the model file " + path + " has no structures");
    // torch's load replaces each tensor with the file's, whatever its shape:
    // a description edited apart from the weights is caught here, not by an
    // error deep inside a forward pass.
    std::map<std::string, std::vector<std::int64_t>> shapes;
    for (const auto& item : out.model->named_parameters()) shapes[item.key()] = item.value().sizes().vec();
    for (const auto& item : out.model->named_buffers()) shapes[item.key()] = item.value().sizes().vec();
    out.model->load(archive);
    const auto check = [&](const std::string& name, const torch::Tensor& tensor) {
      const std::vector<std::int64_t> got = tensor.sizes().vec();
      if (got != shapes.at(name))
        throw InputError("the model file " + path + " does not match its own description (tensor " + name +
                         " has shape " + c10::str(c10::IntArrayRef(got)) + ", its description says " +
                         c10::str(c10::IntArrayRef(shapes.at(name))) + ")");
    };
    for (const auto& item : out.model->named_parameters()) check(item.key(), item.value());
    for (const auto& item : out.model->named_buffers()) check(item.key(), item.value());
  } catch (const json::exception& e) {
    // nlohmann's text starts with its own code ("[json.exception.type_error.302] ").
    std::string what = e.what();
    if (const auto end = what.find("] "); what.rfind("[json.exception", 0) == 0 && end != std::string::npos)
      what = what.substr(end + 2);
    throw InputError("the model file " + path + " has malformed metadata in " + where + " (" + what + ")");
  } catch (const c10::Error& e) {
    throw InputError("the model file " + path + " does not match its own description (" + reason_of(e) + ")");
  }
  out.model->eval();
  return out;
}

}  // namespace asen::nn
