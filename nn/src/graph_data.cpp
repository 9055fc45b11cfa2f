#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/read_file.hpp>
#include <asen/graph/automorphisms.hpp>
#include <asen/graph/base_graph.hpp>
#include <asen/nn/graph_data.hpp>
#include <asen/nn/npy.hpp>

#include "fingerprint.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <system_error>

namespace asen::nn {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::set<std::string> kConfigKeys = {"name", "group", "mode", "head", "graph", "vocab", "classes"};
const std::vector<std::string> kGraphNames = {"graph.txt", "graph.dot", "graph.gv"};

bool present(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}

// DIR/asen.json as an object (empty when the file is absent).
json read_config(const fs::path& dir) {
  const fs::path path = dir / "asen.json";
  if (!present(path)) return json::object();
  const std::string text = asen::detail::read_file(path.string(), path.string());
  // JSON keeps the last of a key given twice: a folder naming its group
  // twice would be half read, so that is refused.
  std::vector<std::set<std::string>> open;
  std::string repeated;
  const json::parser_callback_t note_repeats = [&](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) open.emplace_back();
    if (event == json::parse_event_t::object_end && !open.empty()) open.pop_back();
    if (event == json::parse_event_t::key && !open.empty() && !open.back().insert(parsed.get<std::string>()).second &&
        repeated.empty())
      repeated = parsed.get<std::string>();
    return true;
  };
  json config = json::parse(text, note_repeats, false);
  if (config.is_discarded()) throw InputError(path.string() + " is not valid JSON");
  if (!repeated.empty()) throw InputError(path.string() + ": the key \"" + repeated + "\" is given twice");
  if (!config.is_object()) throw InputError(path.string() + " must hold one JSON object, e.g. {\"group\": \"mirror(16)\"}");
  for (const auto& item : config.items())
    if (kConfigKeys.count(item.key()) == 0)
      throw InputError(path.string() + " has the unknown key '" + item.key() +
                       "'; known keys: name, group, mode, head, graph, vocab, classes");
  for (const char* key : {"name", "group", "mode", "head", "graph"})
    if (config.contains(key) && !config[key].is_string())
      throw InputError(path.string() + ": \"" + key + "\" must be a string");
  for (const char* key : {"vocab", "classes"})
    if (config.contains(key) && !(config[key].is_number_unsigned() && config[key].get<std::int64_t>() > 0))
      throw InputError(path.string() + ": \"" + key + "\" must be a positive integer");
  return config;
}

// The caller's value, else asen.json's, else `fallback`; `from` says which.
std::string setting(const std::string& given, const json& config, const char* key, const std::string& fallback,
                    std::string& from) {
  if (!given.empty()) {
    from = "given";
    return given;
  }
  if (config.contains(key)) {
    from = "from asen.json";
    return config[key].get<std::string>();
  }
  from = "default";
  return fallback;
}

std::string default_name(const fs::path& dir) {
  std::string base = fs::absolute(dir).lexically_normal().filename().string();
  if (base.empty()) base = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  std::string out;
  for (const char c : base) out += std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' ? c : '_';
  return out.empty() ? "data" : out;
}

NpyArray read_array(const fs::path& dir, const char* file, const char* what) {
  const fs::path path = dir / file;
  if (!present(path))
    throw InputError("the data folder " + dir.string() + " has no " + file + " (" + what + ", saved with numpy.save)");
  return NpyArray::read(path.string());
}

// "(sample 3, node 5, column 1)" for a flat index into an array of `shape`.
std::string position(std::int64_t flat, const std::vector<std::int64_t>& shape) {
  const char* names[] = {"sample", "node", "column"};
  std::vector<std::int64_t> index(shape.size());
  for (std::size_t k = shape.size(); k-- > 0;) {
    index[k] = shape[k] > 0 ? flat % shape[k] : 0;
    flat = shape[k] > 0 ? flat / shape[k] : 0;
  }
  std::string out = "(";
  for (std::size_t k = 0; k < index.size(); ++k)
    out += (k ? ", " : "") + std::string(k < 3 ? names[k] : "index") + " " + std::to_string(index[k]);
  return out + ")";
}

// The values as a float tensor of `shape`, refusing NaN, infinities and
// values that float32 (the model's precision) cannot hold.
torch::Tensor real_tensor(const NpyArray& a, const std::string& path, std::vector<std::int64_t> shape) {
  std::vector<double> values = a.to_doubles();
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (!std::isfinite(values[k]))
      throw InputError(path + " holds " + (std::isnan(values[k]) ? "NaN" : "an infinity") + " at " +
                       position(static_cast<std::int64_t>(k), a.shape()) + "; every value must be finite");
    if (std::abs(values[k]) > static_cast<double>(std::numeric_limits<float>::max())) {
      std::ostringstream value;
      value << values[k];
      throw InputError(path + " holds " + value.str() + " at " + position(static_cast<std::int64_t>(k), a.shape()) +
                       ", beyond float32's range (about 3.4e38), the model's precision: scale the values");
    }
  }
  return torch::tensor(values, torch::kDouble).to(torch::kFloat).reshape(shape);
}

// The values as non-negative integers (class ids or tokens) of `shape`.
torch::Tensor id_tensor(const NpyArray& a, const std::string& path, std::vector<std::int64_t> shape, const char* what,
                        const char* plural, std::int64_t& largest) {
  const std::vector<std::int64_t> values = a.to_int64();
  largest = -1;
  for (std::size_t k = 0; k < values.size(); ++k) {
    if (values[k] < 0)
      throw InputError(path + " holds the " + what + " " + std::to_string(values[k]) + " at " +
                       position(static_cast<std::int64_t>(k), a.shape()) + "; " + plural + " must be 0, 1, 2, ...");
    largest = std::max(largest, values[k]);
  }
  return torch::tensor(values, torch::kLong).reshape(shape);
}

std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  for (;;) {
    const std::uint64_t r = rng();
    if (r < limit) return r % bound;
  }
}

// The base graph, breaking-input mode and group of the task `t` read from
// the folder `dir` with `nodes` nodes per sample.
void resolve_structure(TaskData& t, const fs::path& dir, const json& config, const GraphDataOptions& options,
                       std::int64_t nodes) {
  const std::string config_path = (dir / "asen.json").string();
  const std::string x_path = (dir / "inputs.npy").string();
  std::string from;
  std::error_code ec;
  // The base graph, when there is one.
  std::optional<fs::path> graph_path;
  if (config.contains("graph")) {
    graph_path = dir / config["graph"].get<std::string>();
    if (!present(*graph_path))
      throw InputError(config_path + " names the graph file \"" + config["graph"].get<std::string>() +
                       "\", which is not in " + dir.string());
  } else {
    for (const auto& name : kGraphNames) {
      if (!present(dir / name)) continue;
      if (graph_path)
        throw InputError("the data folder " + dir.string() + " has both " + graph_path->filename().string() + " and " +
                         name + "; keep one, or name it with \"graph\" in asen.json");
      graph_path = dir / name;
    }
  }
  std::optional<graph::BaseGraph> base;
  if (graph_path) {
    if (fs::is_directory(*graph_path, ec)) throw InputError("the graph file " + graph_path->string() + " is a folder");
    base = graph::BaseGraph::read(graph_path->string());
    if (static_cast<std::int64_t>(base->num_vertices()) != nodes)
      throw InputError("the graph " + graph_path->string() + " has " + std::to_string(base->num_vertices()) +
                       " vertices but " + x_path + " has " + std::to_string(nodes) +
                       " nodes per sample (an edge list takes 'vertices N' for isolated last vertices)");
  }

  // The breaking-input mode.
  const std::string mode = setting(options.mode, config, "mode", "dense", from);
  try {
    t.mode = graph::parse_breaking_mode(mode);
  } catch (const InputError& e) {
    throw InputError("the mode '" + mode + "' (" + from + "): " + e.what());
  }
  if (t.mode != graph::BreakingMode::dense) {
    if (!base)
      throw InputError("the mode '" + mode + "' needs a base graph, but the data folder " + dir.string() +
                       " has no graph.txt or graph.dot");
    t.base = base;
  }

  // The group: its degree must be the number of nodes.
  std::string group_from;
  if (!options.group.empty()) {
    t.group = options.group;
    group_from = "given";
  } else if (config.contains("group")) {
    t.group = config["group"].get<std::string>();
    group_from = "from " + config_path;
    // A graph file named in asen.json is relative to the data folder.
    if (t.group.rfind("graph:", 0) == 0) {
      std::string file = t.group.substr(6);
      file.erase(0, file.find_first_not_of(" \t"));
      if (!file.empty() && fs::path(file).is_relative()) t.group = "graph:" + (dir / file).string();
    }
  } else if (graph_path) {
    t.group = "graph:" + graph_path->string();
    group_from = "the automorphism group of the base graph";
  } else {
    throw InputError("no group for the data folder " + dir.string() +
                     ": give a group spec (--group), add \"group\" to asen.json, or add a graph.txt whose "
                     "automorphism group is meant");
  }
  const std::string fit = "the group '" + t.group + "' (" + group_from + ") does not fit the " +
                          std::to_string(nodes) + " nodes of " + x_path + ": ";
  algebra::PermGroup g;
  try {
    g = algebra::PermGroup::parse(t.group, static_cast<std::size_t>(nodes));
  } catch (const InputError& e) {
    // A spec that is wrong in itself (a missing graph file, a typo) is not a
    // matter of fitting the nodes: say what is wrong with it.
    try {
      (void)algebra::PermGroup::parse(t.group);
    } catch (const InputError& own) {
      throw InputError("the group '" + t.group + "' (" + group_from + "): " + own.what());
    }
    throw InputError(fit + e.what());
  }
  if (static_cast<std::int64_t>(g.degree()) != nodes)
    throw InputError(fit + "it acts on " + std::to_string(g.degree()) + " points");

}

}  // namespace

std::string data_fingerprint(const torch::Tensor& inputs, const torch::Tensor& targets) {
  return detail::fingerprint(0x6173656e64617461ULL, {inputs, targets});
}

Dataset rebuild_test_split(const TaskData& t) {
  if (t.data_dir.empty()) throw InputError("structure '" + t.name + "' was not trained on a data folder");
  if (t.data_fingerprint.empty())
    throw InputError("structure '" + t.name + "' does not record the samples of its data folder " + t.data_dir +
                     " (a model of an older asen), so its test split cannot be rebuilt; evaluate it on inputs and "
                     "targets");
  std::error_code ec;
  if (!fs::is_directory(t.data_dir, ec))
    throw InputError("structure '" + t.name + "' was trained on the data folder " + t.data_dir +
                     ", which is not there any more");
  GraphDataOptions options;
  options.evaluation = true;
  options.name = t.name;
  options.head = is_regression(t.kind) ? "regression" : "classification";
  options.seed = t.data_seed;
  TaskData d = load_graph_data(t.data_dir, options);
  if (d.data_fingerprint != t.data_fingerprint)
    throw InputError("the samples in " + t.data_dir + " changed since structure '" + t.name +
                     "' was trained on them, so its test split cannot be rebuilt");
  return std::move(d.data.test);
}

TaskData load_graph_data(const std::string& dir_text, const GraphDataOptions& options) {
  graph::register_graph_specs();
  const fs::path dir(dir_text);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError("the data folder " + dir_text + (present(dir) ? " is not a folder" : " does not exist"));
  const json config = read_config(dir);
  const std::string config_path = (dir / "asen.json").string();

  TaskData t;
  std::string from;
  t.name = setting(options.name, config, "name", default_name(dir), from);
  // Checked again when the structure is added; here, to name the file.
  if (from == "from asen.json" &&
      (t.name.empty() || !std::all_of(t.name.begin(), t.name.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '_' || c == '-';
      })))
    throw InputError(config_path + ": \"name\" '" + t.name +
                     "' is not a structure name (one or more letters, digits, '_' and '-')");
  t.data_dir = dir_text;

  // Inputs: [S, N, F] features, [S, N] floats (one feature) or [S, N] tokens.
  const NpyArray x = read_array(dir, "inputs.npy", "float [samples, nodes, features] or integer [samples, nodes]");
  const std::string x_path = (dir / "inputs.npy").string();
  if (x.ndim() != 2 && x.ndim() != 3)
    throw InputError(x_path + " has shape " + x.shape_string() +
                     "; expected [samples, nodes, features] or [samples, nodes]");
  const std::int64_t samples = x.shape()[0];
  const std::int64_t nodes = x.shape()[1];
  if (samples == 0 || nodes == 0 || (x.ndim() == 3 && x.shape()[2] == 0))
    throw InputError(x_path + " has shape " + x.shape_string() + ", with no samples, nodes or features");
  torch::Tensor inputs;
  if (x.ndim() == 2 && !x.is_floating()) {
    std::int64_t largest = 0;
    inputs = id_tensor(x, x_path, {samples, nodes}, "token", "tokens", largest);
    t.vocab = largest + 1;
    if (config.contains("vocab")) {
      const auto vocab = config["vocab"].get<std::int64_t>();
      if (largest >= vocab)
        throw InputError(x_path + " holds the token " + std::to_string(largest) + " but " + config_path +
                         " says \"vocab\": " + std::to_string(vocab));
      t.vocab = vocab;
    }
  } else {
    if (config.contains("vocab"))
      throw InputError(config_path + " says \"vocab\": " + config["vocab"].dump() + " but " + x_path +
                       " holds real features (" + (x.is_floating() ? "floats" : "three dimensions") +
                       "); \"vocab\" applies to integer tokens of shape [samples, nodes]");
    t.in_features = x.ndim() == 3 ? x.shape()[2] : 1;
    inputs = real_tensor(x, x_path, {samples, nodes, t.in_features});
  }

  // Targets, by shape and head.
  const NpyArray y = read_array(dir, "targets.npy",
                                "integer [samples, nodes] classes, float [samples, nodes, outputs], integer "
                                "[samples] classes or float [samples, outputs]");
  const std::string y_path = (dir / "targets.npy").string();
  if (y.ndim() < 1 || y.ndim() > 3)
    throw InputError(y_path + " has shape " + y.shape_string() + "; expected 1 to 3 dimensions");
  if (y.shape()[0] != samples)
    throw InputError(y_path + " has " + std::to_string(y.shape()[0]) + " samples but " + x_path + " has " +
                     std::to_string(samples) + "; both start with the same number of samples");
  const std::string head = setting(options.head, config, "head", y.is_floating() ? "regression" : "classification", from);
  if (head != "regression" && head != "classification")
    throw InputError("the head '" + head + "' (" + from + ") is unknown; expected regression or classification");
  const bool classify = head == "classification";
  if (!classify && config.contains("classes"))
    throw InputError(config_path + " says \"classes\": " + config["classes"].dump() + " but the head is regression (" +
                     (from == "default" ? y_path + " holds floats" : from) + "); \"classes\" applies to a classification head");
  const bool per_node = y.ndim() == 3 || (y.ndim() == 2 && classify);
  if (per_node && y.shape()[1] != nodes)
    throw InputError(y_path + " has shape " + y.shape_string() + ": per-node targets need the " +
                     std::to_string(nodes) + " nodes that " + x_path + " has" +
                     (classify && y.ndim() == 2 ? " (for one class per sample, save shape [samples])" : ""));
  if (classify) {
    if (y.ndim() == 3 && y.shape()[2] != 1)
      throw InputError(y_path + " has shape " + y.shape_string() +
                       "; a classification head takes one class per node ([samples, nodes]) or per sample "
                       "([samples]), not " + std::to_string(y.shape()[2]) + " columns");
    std::int64_t largest = 0;
    const std::vector<std::int64_t> shape =
        per_node ? std::vector<std::int64_t>{samples, nodes} : std::vector<std::int64_t>{samples};
    torch::Tensor targets = id_tensor(y, y_path, shape, "class", "classes", largest);
    t.out_dim = std::max<std::int64_t>(2, largest + 1);
    if (config.contains("classes")) {
      const auto classes = config["classes"].get<std::int64_t>();
      if (largest >= classes)
        throw InputError(y_path + " holds the class " + std::to_string(largest) + " but " + config_path +
                         " says \"classes\": " + std::to_string(classes));
      t.out_dim = std::max<std::int64_t>(2, classes);
    }
    t.kind = per_node ? TaskKind::node_classification : TaskKind::graph_classification;
    t.data.train.targets = targets;
  } else {
    std::vector<std::int64_t> shape;
    if (y.ndim() == 3) {
      if (y.shape()[2] == 0) throw InputError(y_path + " has shape " + y.shape_string() + ", with no outputs");
      shape = {samples, nodes, y.shape()[2]};
      t.out_dim = y.shape()[2];
      t.kind = TaskKind::node_regression;
    } else {
      t.out_dim = y.ndim() == 2 ? y.shape()[1] : 1;
      if (t.out_dim == 0) throw InputError(y_path + " has shape " + y.shape_string() + ", with no outputs");
      shape = {samples, t.out_dim};
      t.kind = TaskKind::graph_regression;
      if (y.ndim() == 2 && t.out_dim == nodes && nodes > 1)
        t.notes.push_back(y_path + " of shape " + y.shape_string() + " is read as " + std::to_string(nodes) +
                          " outputs per sample (graph-level regression, invariant), not one value per node; for "
                          "that give it the shape [samples, nodes, 1]");
    }
    t.data.train.targets = real_tensor(y, y_path, shape);
  }
  t.data_seed = options.seed;
  t.data_fingerprint = data_fingerprint(inputs, t.data.train.targets);
  if (!options.evaluation) resolve_structure(t, dir, config, options, nodes);

  // Shuffle, then split 70/15/15.
  std::vector<std::int64_t> order(static_cast<std::size_t>(samples));
  for (std::int64_t k = 0; k < samples; ++k) order[static_cast<std::size_t>(k)] = k;
  std::mt19937_64 rng(options.seed * 0x9e3779b97f4a7c15ULL + 0x5eed);
  for (std::size_t k = order.size(); k > 1; --k)
    std::swap(order[k - 1], order[static_cast<std::size_t>(uniform_below(rng, k))]);
  const torch::Tensor index = torch::tensor(order, torch::kLong);
  Dataset all;
  all.info.name = t.name;
  all.info.kind = t.kind;
  all.info.group = t.group;
  all.info.vocab = t.vocab;
  all.info.out_dim = t.out_dim;
  all.length = nodes;
  all.inputs = inputs.index_select(0, index);
  all.targets = t.data.train.targets.index_select(0, index);
  t.data = split_dataset(all);
  if (!options.evaluation && (t.data.train.size() == 0 || t.data.test.size() == 0))
    throw InputError("the data folder " + dir.string() + " has " + std::to_string(samples) +
                     (samples == 1 ? " sample" : " samples") +
                     ", too few for a training and a test split (70/15/15); give at least 2");
  return t;
}

}  // namespace asen::nn
