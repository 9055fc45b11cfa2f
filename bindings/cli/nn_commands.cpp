// `asen train`, `asen eval` and `asen equivariance`: the nn layer's face.
//
// The arguments are parsed and checked here, in the executable, which has no
// LibTorch; the work runs in the nn plugin (nn_plugin.hpp), loaded with
// dlopen only by these commands. The executable passes the options as one
// JSON object and prints the plugin's JSON answer as JSON or as text.
//
// Options passed to the plugin (every key present):
//   train         {"mode": "single"|"multi"|"transfer"|"data", "tasks": [names]
//                 (transfer: the pretraining tasks), "finetune": name|null,
//                 "groups": {task: spec} (only those given), "epochs",
//                 "samples", "length", "batch", "seed", "out", "lr_backbone",
//                 "lr_edges", "lr_tokens", "lr_schedule", "edge_init_scale", "hidden", "layers", "heads",
//                 "dropout", "finetune_fraction", "finetune_lr_scale",
//                 "device", "threads", "progress", "gap_memory_mb"|null,
//                 "data": DIR|null, "data_group", "data_mode", "data_head"
//                 (mode "data": tasks and groups are empty; "" for the
//                 folder's asen.json or the defaults)}
//   eval          {"model", "samples", "samples_given", "seed", "seed_given", "batch", "data" ("" for
//                 the training folder's test split), "gap_memory_mb"}
//   equivariance  {"model", "structure" ("" for all), "random", "seed", "gap_memory_mb"}
// Answers:
//   train         {"out", "tasks": {task: {"group", "loss", "node_accuracy",
//                 "exact_match"}}, "epochs", "resumed_from", "seconds"};
//                 transfer: {"out", "pretrain": {...}, "finetune": {...},
//                 "scratch": {...}, "seconds"}, each phase as a single run;
//                 data: a single run's object with "data": {"dir", "samples",
//                 "train", "val", "test", "nodes", "features", "vocab", "kind",
//                 "out_dim", "mode", "base_edges"}; regression metrics add "mae"
//   eval          {"model", "samples", "seed", "structures": {name: {"group",
//                 "loss", "node_accuracy", "exact_match", "includes_training_data"
//                 (synthetic: true|false|null)}}}; a data folder's structure
//                 has "data", "split" ("test"|"all"), "samples" instead
//   equivariance  {"structures": [{"structure", "group", "inside_max_error",
//                 "closure_max_error", "input_symmetry_max_error", "outside_max_error",
//                 "degree", "group_order", "closure_order", "input_symmetry_order",
//                 "inside_checks", "input_symmetry_checks", "outside_checks"}]}

#include "commands.hpp"
#include "nn_plugin.hpp"
#include "nn_plugin_call.hpp"
#include "output.hpp"
#include "plugins.hpp"

#include <asen/algebra/types.hpp>
#include <asen/error.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <limits>
#include <mutex>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace asen::cli {
namespace {

// Set by CMake: whether the plugin was built, and its file name.
constexpr bool kNnPluginBuilt = ASEN_NN_PLUGIN_BUILT;
constexpr const char* kNnPluginFile = ASEN_NN_PLUGIN_FILE;
constexpr std::size_t kErrorSize = 4096;
constexpr std::size_t kMaxSize = std::size_t{1} << 30U;
constexpr std::size_t kMaxSlugChars = 120;

// ---------------------------------------------------------------------------
// The plugin.

struct NnPlugin {
  AsenNnRunFunction run = nullptr;
  std::string error;  ///< why it could not be loaded
};

const NnPlugin& nn_plugin() {
  static std::once_flag once;
  static NnPlugin loaded;
  std::call_once(once, [] {
    const std::string what = "this command";
    const PluginSymbol version =
        find_plugin_symbol(kNnPluginBuilt, kNnPluginFile, kAsenNnInterfaceVersionSymbol, what);
    if (version.address == nullptr) {
      loaded.error = version.error;
      return;
    }
    const int found = reinterpret_cast<AsenNnInterfaceVersionFunction>(version.address)();
    if (found != kAsenNnInterfaceVersion) {
      loaded.error = std::string(kNnPluginFile) + " has interface version " + std::to_string(found) +
                     ", this asen needs " + std::to_string(kAsenNnInterfaceVersion) +
                     " (a plugin from another build?)";
      return;
    }
    const PluginSymbol run = find_plugin_symbol(kNnPluginBuilt, kNnPluginFile, kAsenNnRunSymbol, what);
    loaded = {reinterpret_cast<AsenNnRunFunction>(run.address), run.error};
  });
  return loaded;
}

void append(void* context, const char* data, std::size_t size) {
  static_cast<std::string*>(context)->append(data, size);
}

}  // namespace

// Declared in nn_plugin_call.hpp.
Json call_plugin(const char* command, const Json& options) {
  const NnPlugin& plugin = nn_plugin();
  if (plugin.run == nullptr) throw Error(std::string("cannot run 'asen ") + command + "': " + plugin.error);
  std::string text;
  try {
    text = options.dump();
  } catch (const Json::type_error&) {
    // Paths and specs go to the plugin, into model files and outputs as
    // JSON, which holds UTF-8 text only: name the argument that is not.
    for (const auto& [key, value] : options.items()) {
      try {
        (void)value.dump();
      } catch (const Json::type_error&) {
        throw InputError("the value given for \"" + key + "\", " +
                         value.dump(-1, ' ', true, Json::error_handler_t::replace) +
                         " (\\ufffd for each bad byte), is not valid UTF-8; asen records it in JSON (metrics, "
                         "model files), which holds UTF-8 text only: use a UTF-8 name");
      }
    }
    throw;
  }
  std::string answer;
  std::array<char, kErrorSize> error{};
  const int status = plugin.run(command, text.c_str(), &append, &answer, error.data(), error.size());
  if (status == kExitBadInput) throw InputError(error.data());
  if (status != kExitOk) throw Error(error.data());
  return Json::parse(answer);
}

namespace {

Json optional_json(const std::optional<std::size_t>& value) { return value ? Json(*value) : Json(nullptr); }

// ---------------------------------------------------------------------------
// Arguments.

/// "a,b,c" -> {"a", "b", "c"}. \throws InputError for an empty name.
std::vector<std::string> split_names(const std::string& text, const std::string& option) {
  std::vector<std::string> names;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t comma = text.find(',', begin);
    const std::string name = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (name.empty()) throw InputError(option + " '" + text + "' has an empty task name");
    names.push_back(name);
    if (comma == std::string::npos) return names;
    begin = comma + 1;
  }
}

bool starts_with_name_and_equals(const std::string& piece) {
  const std::size_t eq = piece.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  for (std::size_t k = 0; k < eq; ++k) {
    const auto c = static_cast<unsigned char>(piece[k]);
    if (std::isalnum(c) == 0 && c != '_' && c != '-') return false;
  }
  return true;
}

/// "A=SPEC,B=SPEC" -> {{"A", "SPEC"}, {"B", "SPEC"}}. Specs may hold commas
/// ("(1,2),(3,4)"): a piece that does not start with "NAME=" continues the
/// spec before it.
std::vector<std::pair<std::string, std::string>> split_groups(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t begin = 0;
  for (;;) {
    const std::size_t comma = text.find(',', begin);
    const std::string piece = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (starts_with_name_and_equals(piece)) {
      const std::size_t eq = piece.find('=');
      out.emplace_back(piece.substr(0, eq), piece.substr(eq + 1));
    } else if (!out.empty()) {
      out.back().second += "," + piece;
    } else {
      throw InputError("--groups '" + text + "' must read TASK=SPEC,TASK=SPEC (e.g. cyclicsum=S(10))");
    }
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  for (const auto& [task, spec] : out)
    if (spec.empty()) throw InputError("--groups gives an empty group spec for task '" + task + "'");
  return out;
}

/// A folder-name-safe version of `text`: letters, digits and "._=+-" kept,
/// brackets dropped, anything else (commas, '*', '/') turned into '_'. When
/// a character was replaced or the text cut, eight hex digits of a hash of
/// the text follow, so that `(1,2)(3,4)` and `(1,23,4)` get two folders.
std::string slug(const std::string& text) {
  std::string out;
  bool lossy = false;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '.' || c == '_' || c == '=' || c == '+' || c == '-') {
      out += c;
    } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ' ') {
      continue;
    } else {
      out += '_';
      lossy = true;
    }
  }
  if (!lossy && out.size() <= kMaxSlugChars) return out;
  std::uint32_t hash = 2166136261U;  // FNV-1a
  for (const char c : text) hash = (hash ^ static_cast<unsigned char>(c)) * 16777619U;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", hash);
  return out.substr(0, kMaxSlugChars) + "-" + hex;
}

std::string join(const std::vector<std::string>& names, const std::string& separator) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : separator) + name;
  return out;
}

std::string default_out_dir(const TrainOptions& o, const std::vector<std::string>& tasks) {
  if (!o.data_dir.empty()) {
    std::string folder = o.data_dir;
    while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
    std::string name = folder.substr(folder.find_last_of('/') == std::string::npos ? 0 : folder.find_last_of('/') + 1);
    if (name.empty() || name == "." || name == "..") name = "data";
    if (!o.group.empty()) name += "-" + o.group;
    if (!o.breaking_mode.empty()) name += "-" + o.breaking_mode;
    if (!o.head.empty()) name += "-" + o.head;
    return "runs/" + slug(name) + "-seed" + std::to_string(o.seed);
  }
  std::string name = join(tasks, "+");
  if (!o.finetune.empty()) name += "-to-" + o.finetune;
  if (!o.group.empty()) name += "-" + o.group;
  if (!o.groups.empty()) name += "-" + o.groups;
  if (o.length != TrainOptions{}.length) name += "-n" + std::to_string(o.length);
  return "runs/" + slug(name) + "-seed" + std::to_string(o.seed);
}

/// A validator for a real number in (low, high] or [low, high).
CLI::Validator real_in(double low, double high, bool low_open, const std::string& what) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double value = 0;
        std::istringstream in(text);
        if (!(in >> value) || !in.eof() || !(low_open ? value > low && value <= high : value >= low && value < high))
          return "expected " + what + ", got '" + text + "'";
        return {};
      },
      "", "real");
}

CLI::Option* add_size(CLI::App* cmd, const std::string& name, std::size_t& value, const std::string& help,
                      std::size_t minimum = 1) {
  return cmd->add_option(name, value, help)
      ->type_name("N")
      ->check(digits_only())
      ->check(CLI::Range(minimum, kMaxSize));
}

// ---------------------------------------------------------------------------
// Text output.

std::string fixed(double value, int digits = 4) {
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), "%.*f", digits, value);
  return text.data();
}

// A metric of the plugin's answer; JSON has no NaN, so a non-finite one
// (a diverged model's loss) arrives as null.
std::string metric(const Json& value) { return value.is_null() ? "nan" : fixed(value.get<double>()); }

std::string general(const Json& value) {
  if (value.is_null()) return "-";
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), "%.3g", value.get<double>());
  return text.data();
}

void print_metrics_table(std::ostream& out, const Json& metrics, const std::string& first_column,
                         const std::string& indent = "") {
  // Regression metrics carry "mae" (mean absolute error): a column then.
  bool mae = false;
  for (const auto& [name, m] : metrics.items()) mae = mae || m.contains("mae");
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, m] : metrics.items()) {
    rows.push_back({name, m["group"].get<std::string>(), metric(m["loss"]), metric(m["node_accuracy"]),
                    metric(m["exact_match"])});
    if (mae) rows.back().push_back(m.contains("mae") ? metric(m["mae"]) : "-");
  }
  std::vector<std::string> header = {first_column, "group", "loss", "node_accuracy", "exact_match"};
  std::vector<bool> right = {false, false, true, true, true};
  if (mae) {
    header.emplace_back("mae");
    right.push_back(true);
  }
  print_table(out, header, rows, right, indent);
}

std::string seconds_text(const Json& seconds) { return fixed(seconds.get<double>(), 1) + " s"; }

void print_phase(std::ostream& out, const Json& phase, const std::string& indent = "") {
  print_metrics_table(out, phase["tasks"], "task", indent);
  const auto epochs = phase["epochs"].get<std::size_t>();
  const auto resumed = phase["resumed_from"].get<std::size_t>();
  out << indent << epochs << (epochs == 1 ? " epoch" : " epochs");
  if (resumed > 0) out << " (resumed after " << resumed << " from checkpoint.pt)";
  // A run of 0 epochs writes no checkpoint: there is nothing to resume.
  out << " in " << seconds_text(phase["seconds"]) << "; metrics.jsonl, "
      << (epochs > 0 ? "checkpoint.pt and model.pt" : "model.pt (untrained)") << " in "
      << phase["out"].get<std::string>() << '\n';
}

void print_train_text(std::ostream& out, const Json& answer, const TrainOptions& o) {
  if (answer.contains("data")) {
    const Json& d = answer["data"];
    out << "data " << d["dir"].get<std::string>() << ": " << d["samples"].get<long long>() << " samples ("
        << d["train"].get<long long>() << " train, " << d["val"].get<long long>() << " val, "
        << d["test"].get<long long>() << " test) of " << d["nodes"].get<long long>() << " nodes, "
        << (d["features"].is_null() ? std::to_string(d["vocab"].get<long long>()) + " tokens"
                                    : std::to_string(d["features"].get<long long>()) + " features")
        << "; " << d["kind"].get<std::string>() << " (" << d["out_dim"].get<long long>() << " outputs), "
        << d["mode"].get<std::string>() << " breaking input\n";
  }
  if (!answer.contains("pretrain")) {
    print_phase(out, answer);
    return;
  }
  out << "pretrain on " << join(split_names(o.pretrain, "--pretrain"), ", ") << '\n';
  print_phase(out, answer["pretrain"], "  ");
  out << "finetune on " << o.finetune << " (" << fixed(100.0 * o.finetune_fraction, 0)
      << "% of its training split, backbone learning rate x" << o.finetune_lr_scale << ")\n";
  print_phase(out, answer["finetune"], "  ");
  out << "scratch: " << o.finetune << " on the same data, from a new model\n";
  print_phase(out, answer["scratch"], "  ");
  out << "total " << seconds_text(answer["seconds"]) << '\n';
}

std::string equivariance_line(const Json& s) {
  std::string line = s["structure"].get<std::string>() + " (" + s["group"].get<std::string>() +
                     "): |G| = " + s["group_order"].get<std::string>() +
                     ", |G^(2)| = " + s["closure_order"].get<std::string>() + "; inside max error " +
                     general(s["inside_max_error"]) + " (" + std::to_string(s["inside_checks"].get<long long>()) +
                     " elements)";
  line += s["closure_max_error"].is_null() ? ", 2-closed"
                                           : ", on G^(2) \\ G " + general(s["closure_max_error"]);
  const std::string all = asen::algebra::factorial(s["degree"].get<std::uint64_t>()).str();
  if (!s["input_symmetry_max_error"].is_null())
    line += "; the breaking input's own symmetry group (order " + s["input_symmetry_order"].get<std::string>() +
            ") reaches beyond G^(2), max error " + general(s["input_symmetry_max_error"]) + " there (" +
            std::to_string(s["input_symmetry_checks"].get<long long>()) + " elements)";
  if (s["outside_max_error"].is_null())
    line += s["closure_order"].get<std::string>() == all          ? ", nothing outside (G^(2) = S_n)"
            : s["input_symmetry_order"].get<std::string>() == all ? ", nothing outside (the input's symmetry is S_n)"
                                                                  : ", nothing checked outside G^(2) (--random 0)";
  else
    line += ", outside G^(2) " + general(s["outside_max_error"]) + " (" +
            std::to_string(s["outside_checks"].get<long long>()) + " permutations)";
  return line;
}

void write_answer(std::ostream& out, const Json& answer) {
  write_json(out, answer);
  out << '\n';
}

}  // namespace

// ---------------------------------------------------------------------------
// train

CLI::App* add_train_command(CLI::App& app, TrainOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "train",
      "Train ASEN on synthetic tasks: one (--task), several with one shared backbone (--tasks), or "
      "pretrained on some and finetuned on another (--pretrain A,B --finetune C, compared with training C "
      "from scratch on the same data). Writes metrics.jsonl (one line per task, epoch and split), "
      "checkpoint.pt (after every epoch) and model.pt to the output folder; a stopped run started again "
      "with the same settings continues from checkpoint.pt. Prints the final test metrics per task; with --json "
      "one object {\"out\", \"tasks\": {task: {\"group\", \"loss\", \"node_accuracy\", \"exact_match\"}}, "
      "\"epochs\", \"resumed_from\", \"seconds\"} (transfer: {\"out\", \"pretrain\", \"finetune\", "
      "\"scratch\", \"seconds\"}, each phase such an object). Tasks: palindrome, monotone, constant, "
      "cyclicsum, cyclicprod, cyclicaltsum, intersect, symdiff, targetsum (per position); longestpal, "
      "detectcapital, vandermonde, palindrome-count, intersect-count (per sequence). With --data DIR, "
      "trains on your own graph data instead: DIR/inputs.npy ([samples, nodes, features] floats or "
      "[samples, nodes] integer tokens), DIR/targets.npy ([samples, nodes] classes, [samples, nodes, D] "
      "reals, [samples] classes or [samples, D] reals), a base graph DIR/graph.txt or graph.dot, and "
      "optionally DIR/asen.json with defaults {\"name\", \"group\", \"mode\", \"head\", \"graph\", "
      "\"vocab\", \"classes\"}; the group defaults to the automorphism group of the base graph, the "
      "samples are shuffled (by --seed) and split 70/15/15; the JSON answer adds \"data\" (what was read) "
      "and regression metrics add \"mae\".");
  auto* task = cmd->add_option("--task", o.task, "train on one task")->type_name("T");
  auto* tasks = cmd->add_option("--tasks", o.tasks, "train on several tasks at once, one shared backbone")
                    ->type_name("A,B,C");
  auto* pretrain = cmd->add_option("--pretrain", o.pretrain, "pretrain on these tasks (with --finetune)")
                       ->type_name("A,B");
  auto* finetune = cmd->add_option("--finetune", o.finetune, "then finetune on this task (with --pretrain)")
                       ->type_name("C");
  auto* data = cmd->add_option("--data", o.data_dir,
                               "train on your own graph data in this folder (inputs.npy, targets.npy, graph.txt "
                               "or graph.dot, asen.json; see above)")
                   ->type_name("DIR");
  data->excludes(task)->excludes(tasks)->excludes(pretrain)->excludes(finetune);
  task->excludes(tasks)->excludes(pretrain)->excludes(finetune);
  tasks->excludes(pretrain)->excludes(finetune);
  pretrain->needs(finetune);
  finetune->needs(pretrain);
  cmd->add_option("--group", o.group,
                  "with --task: the group whose breaking input the structure gets (default the task's own "
                  "group; e.g. trivial(10) or S(10) as baselines); with --data: default asen.json's, else "
                  "graph:DIR/graph.txt; see 'asen group --help' for specs")
      ->type_name("SPEC")
      ->check(CLI::Validator(
          [](std::string& text) { return text.empty() ? std::string("the group spec is empty") : std::string(); },
          "", "non-empty"))
      ->excludes(tasks)
      ->excludes(pretrain)
      ->excludes(finetune);
  cmd->add_option("--groups", o.groups, "groups for several tasks (the others get their own)")
      ->type_name("A=SPEC,B=SPEC");
  cmd->add_option("--mode", o.breaking_mode,
                  "with --data: the breaking input, dense (all pairs), sparse (the base graph's edges) or "
                  "weak-sparse (default asen.json's, else dense)")
      ->type_name("M")
      ->check(CLI::IsMember({"dense", "sparse", "weak-sparse"}))
      ->needs(data);
  cmd->add_option("--head", o.head,
                  "with --data: regression or classification (default asen.json's, else by the dtype of "
                  "targets.npy: floats regression, integers classification)")
      ->type_name("H")
      ->check(CLI::IsMember({"regression", "classification"}))
      ->needs(data);
  add_size(cmd, "--epochs", o.epochs, "epochs (default 15; 0 writes the freshly initialised model and its test metrics)", 0);
  add_size(cmd, "--samples", o.samples, "sequences per task, split 70/15/15 into train/val/test (default 1000)")
      ->excludes(data);
  add_size(cmd, "--length", o.length, "sequence length, the number of nodes (default 10)")->excludes(data);
  add_size(cmd, "--batch", o.batch, "batch size (default 8)");
  cmd->add_option("--seed", o.seed, "seed of the data, the initial weights and the batch order (default 0)")
      ->type_name("S")
      ->check(digits_only());
  cmd->add_option("--out", o.out_dir,
                  "output folder (default runs/<tasks joined by +>[-to-<finetuned>][-<group>][-<groups>][-n<length>]-seed<S>, "
                  "for --data runs/<DIR's name>[-<group>][-<mode>][-<head>]-seed<S>; transfer: with pretrain/, finetune/ and "
                  "scratch/ inside)")
      ->type_name("DIR")
      ->check([](const std::string& value) { return value.empty() ? std::string("the output folder is empty") : std::string(); });
  const auto positive = real_in(0.0, std::numeric_limits<double>::max(), true, "a positive number");
  cmd->add_option("--lr-backbone", o.lr_backbone, "learning rate of the backbone and heads (default 0.002)")
      ->type_name("X")
      ->check(positive);
  cmd->add_option("--lr-edges", o.lr_edges, "learning rate of the colour embeddings (default 0.002)")
      ->type_name("X")
      ->check(positive);
  cmd->add_option("--lr-tokens", o.lr_tokens, "learning rate of the token embeddings (default 0.002)")
      ->type_name("X")
      ->check(positive);
  cmd->add_option("--edge-init-scale", o.edge_init_scale,
                  "scale of the initial colour embeddings, >= 0 (default 1: torch's N(0, 1)); 0.01 lets "
                  "'asen discover' read the symmetry the model learns")
      ->type_name("X")
      ->check(real_in(0.0, std::numeric_limits<double>::max(), false, "a number >= 0"));
  cmd->add_option("--lr-schedule", o.lr_schedule,
                  "cosine (each rate decays to zero over the run; default) or constant")
      ->type_name("S")
      ->check(CLI::IsMember({"cosine", "constant"}));
  add_size(cmd, "--hidden", o.hidden, "hidden size, a multiple of --heads (default 128)");
  add_size(cmd, "--layers", o.layers, "GATv2 blocks (default 4)");
  add_size(cmd, "--heads", o.heads, "attention heads (default 8)");
  cmd->add_option("--dropout", o.dropout, "dropout in [0, 1) (default 0.05)")
      ->type_name("P")
      ->check(real_in(0.0, 1.0, false, "a number in [0, 1)"));
  cmd->add_option("--finetune-fraction", o.finetune_fraction,
                  "share of the finetuning task's training split used, in (0, 1] (default 0.15)")
      ->type_name("F")
      ->check(real_in(0.0, 1.0, true, "a number in (0, 1]"))
      ->needs(finetune);
  cmd->add_option("--finetune-lr-scale", o.finetune_lr_scale,
                  "backbone learning rate factor when finetuning (default 0.1); training from scratch uses "
                  "the unscaled rate")
      ->type_name("X")
      ->check(positive)
      ->needs(finetune);
  cmd->add_option("--device", o.device, "auto (CUDA when present, default), cpu or cuda")
      ->type_name("D")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  add_size(cmd, "--threads", o.threads, "LibTorch's threads (default: its own choice)");
  cmd->add_flag("--no-progress", o.no_progress, "no progress bar on standard error (shown only on a terminal)");
  cmd->add_flag("--json", o.json, "print one JSON object");
  return cmd;
}

int run_train(const TrainOptions& o, std::ostream& out) {
  const int modes = static_cast<int>(!o.task.empty()) + static_cast<int>(!o.tasks.empty()) +
                    static_cast<int>(!o.pretrain.empty() || !o.finetune.empty()) +
                    static_cast<int>(!o.data_dir.empty());
  if (modes != 1)
    throw InputError("give exactly one of --task T, --tasks A,B,C, --pretrain A,B --finetune C or --data DIR");
  std::string mode;
  std::vector<std::string> tasks;
  if (!o.data_dir.empty()) {
    mode = "data";
  } else if (!o.task.empty()) {
    mode = "single";
    tasks = {o.task};
  } else if (!o.tasks.empty()) {
    mode = "multi";
    tasks = split_names(o.tasks, "--tasks");
  } else {
    mode = "transfer";
    tasks = split_names(o.pretrain, "--pretrain");
    for (const auto& t : tasks)
      if (t == o.finetune)
        throw InputError("task '" + t + "' is both pretrained on and finetuned on; finetune on a new task");
  }
  for (std::size_t a = 0; a < tasks.size(); ++a)
    for (std::size_t b = a + 1; b < tasks.size(); ++b)
      if (tasks[a] == tasks[b]) throw InputError("task '" + tasks[a] + "' is given twice");

  if (o.hidden % o.heads != 0)
    throw InputError("--hidden " + std::to_string(o.hidden) + " must be a multiple of --heads " +
                     std::to_string(o.heads));
  Json groups = Json::object();
  if (!o.group.empty() && o.data_dir.empty()) groups[o.task] = o.group;
  if (!o.groups.empty() && !o.data_dir.empty())
    throw InputError("--groups is for the synthetic tasks; with --data, give the folder's group with --group");
  if (!o.groups.empty()) {
    for (const auto& [name, spec] : split_groups(o.groups)) {
      const bool known = std::find(tasks.begin(), tasks.end(), name) != tasks.end() || name == o.finetune;
      if (!known)
        throw InputError("--groups names task '" + name + "', which is not trained here (tasks: " +
                         join(tasks, ", ") + (o.finetune.empty() ? "" : ", " + o.finetune) + ")");
      if (groups.contains(name)) throw InputError("the group of task '" + name + "' is given twice");
      groups[name] = spec;
    }
  }

  Json options = Json::object();
  options["mode"] = mode;
  options["tasks"] = tasks;
  options["finetune"] = o.finetune.empty() ? Json(nullptr) : Json(o.finetune);
  options["groups"] = std::move(groups);
  options["epochs"] = o.epochs;
  options["samples"] = o.samples;
  options["length"] = o.length;
  options["batch"] = o.batch;
  options["seed"] = o.seed;
  options["out"] = o.out_dir.empty() ? default_out_dir(o, tasks) : o.out_dir;
  options["lr_backbone"] = o.lr_backbone;
  options["lr_edges"] = o.lr_edges;
  options["lr_tokens"] = o.lr_tokens;
  options["lr_schedule"] = o.lr_schedule;
  options["edge_init_scale"] = o.edge_init_scale;
  options["hidden"] = o.hidden;
  options["layers"] = o.layers;
  options["heads"] = o.heads;
  options["dropout"] = o.dropout;
  options["finetune_fraction"] = o.finetune_fraction;
  options["finetune_lr_scale"] = o.finetune_lr_scale;
  options["device"] = o.device;
  options["threads"] = o.threads;
  options["progress"] = !o.no_progress;
  options["gap_memory_mb"] = optional_json(o.gap_memory_mb);
  options["data"] = o.data_dir.empty() ? Json(nullptr) : Json(o.data_dir);
  options["data_group"] = o.data_dir.empty() ? std::string() : o.group;
  options["data_mode"] = o.breaking_mode;
  options["data_head"] = o.head;
  const Json answer = call_plugin("train", options);
  if (o.json)
    write_answer(out, answer);
  else
    print_train_text(out, answer, o);
  return kExitOk;
}

// ---------------------------------------------------------------------------
// eval

CLI::App* add_eval_command(CLI::App& app, EvalOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "eval",
      "Evaluate a saved model (model.pt or checkpoint.pt, written by 'asen train') on newly generated data "
      "of each structure's synthetic task; a model trained on a data folder (train --data) on that "
      "folder's test split, rebuilt as in training, or with --data DIR on every sample of DIR. Prints the "
      "loss, node accuracy and exact match per structure (and the mean absolute error for regression); "
      "with --json one object {\"model\", \"samples\", \"seed\", \"structures\": {name: {\"group\", "
      "\"loss\", \"node_accuracy\", \"exact_match\", \"includes_training_data\"}}}, the last true when "
      "--seed is the seed the structure was trained with (null when the model does not record it); a data "
      "folder's structure has instead \"data\" (the folder), \"split\" (\"test\" or \"all\") and "
      "\"samples\".");
  cmd->add_option("CHECKPOINT", o.model_file, "model.pt or checkpoint.pt")->required()->type_name("");
  CLI::Option* samples = add_size(cmd, "--samples", o.samples, "sequences per structure (default 1000)");
  cmd->callback([&o, samples] { o.samples_given = samples->count() > 0; });
  cmd->add_option("--seed", o.seed,
                  "seed of the data (default " + std::to_string(kEvalDefaultSeed) +
                      ", or the next one a structure was not trained with: never the training data)")
      ->type_name("S")
      ->check(digits_only());
  add_size(cmd, "--batch", o.batch, "evaluation batch size (default 256)");
  cmd->add_option("--data", o.data_dir,
                  "for a model trained with 'asen train --data': evaluate on every sample of this data folder "
                  "(same nodes, features and head as the training folder) instead of the training folder's "
                  "test split")
      ->type_name("DIR");
  cmd->add_flag("--json", o.json, "print one JSON object");
  return cmd;
}

int run_eval(const EvalOptions& o, std::ostream& out) {
  Json options = Json::object();
  options["model"] = o.model_file;
  options["samples"] = o.samples;
  options["seed"] = o.seed.value_or(kEvalDefaultSeed);
  options["seed_given"] = o.seed.has_value();
  options["samples_given"] = o.samples_given;
  options["batch"] = o.batch;
  options["data"] = o.data_dir;
  options["gap_memory_mb"] = optional_json(o.gap_memory_mb);
  const Json answer = call_plugin("eval", options);
  if (o.json) {
    write_answer(out, answer);
    return kExitOk;
  }
  out << "model      " << answer["model"].get<std::string>() << '\n';
  bool synthetic = false;
  std::string seen;  // structures whose training sequences came from this seed
  for (const auto& [name, m] : answer["structures"].items()) {
    if (!m.contains("data")) {
      synthetic = true;
      if (m.value("includes_training_data", Json(nullptr)) == Json(true)) seen += (seen.empty() ? "" : ", ") + name;
      continue;
    }
    out << "test data  " << name << ": " << (m["split"] == "test" ? "the test split of " : "every sample of ")
        << m["data"].get<std::string>() << " (" << m["samples"].get<std::size_t>() << " samples)\n";
  }
  if (synthetic && seen.empty())
    out << "test data  " << answer["samples"].get<std::size_t>() << " new sequences per task, seed "
        << answer["seed"].get<std::uint64_t>() << '\n';
  else if (synthetic)
    out << "test data  " << answer["samples"].get<std::size_t>() << " sequences per task, seed "
        << answer["seed"].get<std::uint64_t>() << ": the training seed of " << seen
        << ", so they begin with the sequences it was trained on\n";
  print_metrics_table(out, answer["structures"], "structure");
  return kExitOk;
}

// ---------------------------------------------------------------------------
// equivariance

CLI::App* add_equivariance_command(CLI::App& app, EquivarianceOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "equivariance",
      "Check a saved model's symmetry per structure: the largest |f(g.x) - g.f(x)| over elements g of "
      "the structure's group G (its generators and random elements), over witnesses in G^(2) \\ G, and "
      "over random permutations outside the 2-closure G^(2), on random inputs. With --json, for one "
      "structure: {\"structure\", \"group\", \"inside_max_error\", \"closure_max_error\" (null when G is "
      "2-closed), \"input_symmetry_max_error\" (over automorphisms of the breaking input outside G^(2), "
      "which a sparse input may have; null when it has none), \"outside_max_error\" (outside both; null when "
      "G^(2) is S_n or --random is 0), \"degree\", \"group_order\", \"closure_order\", \"input_symmetry_order\" "
      "(decimal strings), \"inside_checks\", \"input_symmetry_checks\", \"outside_checks\"}; for several: "
      "{\"structures\": [...]}.");
  cmd->add_option("CHECKPOINT", o.model_file, "model.pt or checkpoint.pt")->required()->type_name("");
  cmd->add_option("--structure", o.structure, "check only this structure (default: every one)")
      ->type_name("NAME");
  add_size(cmd, "--random", o.random,
           "random elements of G, and permutations outside G^(2) (up to this many, from at most max(1000, 2N) "
           "draws; default 8)",
           0);
  cmd->add_option("--seed", o.seed, "seed of the inputs and permutations (default 0)")
      ->type_name("S")
      ->check(digits_only());
  cmd->add_flag("--json", o.json, "print one JSON object");
  return cmd;
}

int run_equivariance(const EquivarianceOptions& o, std::ostream& out) {
  Json options = Json::object();
  options["model"] = o.model_file;
  options["structure"] = o.structure;
  options["random"] = o.random;
  options["seed"] = o.seed;
  options["gap_memory_mb"] = optional_json(o.gap_memory_mb);
  const Json answer = call_plugin("equivariance", options);
  const Json& structures = answer["structures"];
  if (o.json) {
    write_answer(out, structures.size() == 1 ? structures[0] : answer);
    return kExitOk;
  }
  for (const auto& s : structures) out << equivariance_line(s) << '\n';
  return kExitOk;
}

}  // namespace asen::cli
