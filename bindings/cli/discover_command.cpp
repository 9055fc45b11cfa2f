// `asen discover CHECKPOINT`: the symmetry a trained model has learned,
// read off its colour embeddings (nn/discover.hpp). Parsed here, in the
// executable; run in the nn plugin (nn_plugin_call.hpp).
//
// Options passed to the plugin (every key present):
//   discover  {"model", "structure" ("" for all), "threshold", "feature",
//             "true_group" (a spec, "" for none, null for the task's own),
//             "gap_memory_mb"}
// Answer:
//   discover  {"structures": [{"structure", "nodes", "trained_group": {"spec",
//             "order", "closure_order", "rank"}, "threshold", "feature",
//             "scale", "representatives", "clusters", "unused_colors", "merged_rank",
//             "discovered": {"order", "generators", "orbits",
//             "contains_trained_group", "larger_than_trained"},
//             "true_group": {"spec", "order", "closure_order"} | null,
//             "equals_true_group", "equals_true_closure" (null without a
//             true group), "distances"}]}

#include "commands.hpp"
#include "nn_plugin_call.hpp"
#include "output.hpp"

#include <asen/algebra/permutation.hpp>
#include <asen/error.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace asen::cli {
namespace {

constexpr std::size_t kMaxTextGenerators = 8;
constexpr std::size_t kMaxTextChars = 100;
constexpr std::size_t kMaxTextColors = 16;  // the distance table's size in text

std::string fixed(double value, int digits) {
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), "%.*f", digits, value);
  return text.data();
}

std::string pair_text(const Json& pair) {
  return "(" + std::to_string(pair[0].get<long long>()) + "," + std::to_string(pair[1].get<long long>()) + ")";
}

std::string cluster_text(const Json& cluster, const Json& representatives) {
  std::string text = "{";
  for (const auto& c : cluster) {
    const auto color = c.get<std::size_t>();
    if (text.size() > 1) text += ", ";
    text += std::to_string(color) + " " + pair_text(representatives[color]);
  }
  return text + "}";
}

std::string group_text(const Json& group) {
  std::string text = group["spec"].get<std::string>().empty() ? "" : group["spec"].get<std::string>() + ", ";
  text += "order " + group["order"].get<std::string>();
  if (group["closure_order"] != group["order"]) text += ", 2-closure order " + group["closure_order"].get<std::string>();
  return text;
}

void print_structure(std::ostream& out, const Json& s) {
  const Json& trained = s["trained_group"];
  const Json& found = s["discovered"];
  const Json& reps = s["representatives"];
  const std::size_t rank = reps.size();
  out << "structure     " << s["structure"].get<std::string>() << " (" << s["nodes"].get<long long>() << " nodes)\n";
  out << "trained on    " << group_text(trained) << ", rank " << rank << '\n';
  out << "merged        " << s["merged_rank"].get<long long>() << " clusters at distance <= "
      << fixed(s["threshold"].get<double>(), 3) << " x " << fixed(s["scale"].get<double>(), 4) << " (RMS "
      << s["feature"].get<std::string>() << " distance); colour (representative pair):\n";
  for (const auto& cluster : s["clusters"]) out << "              " << shorten(cluster_text(cluster, reps), 2 * kMaxTextChars) << '\n';
  const std::size_t unused = s["unused_colors"].size();
  if (unused > 0)
    out << "unused        " << unused << " of the " << rank
        << " colours label no edge of the (sparse) breaking input: untrained, not clustered\n";
  // Colours merge only with colours of their kind (loops with loops): with
  // at most one used colour of each kind there is nothing to merge.
  std::size_t used_loops = 0;
  std::size_t used_arcs = 0;
  std::vector<bool> is_unused(rank, false);
  for (const auto& c : s["unused_colors"]) {
    const auto k = c.get<std::size_t>();
    if (k < rank) is_unused[k] = true;
  }
  for (std::size_t c = 0; c < rank; ++c)
    if (!is_unused[c]) ++(reps[c][0] == reps[c][1] ? used_loops : used_arcs);
  if (used_loops <= 1 && used_arcs <= 1)
    out << "note          nothing can merge: the breaking input has at most one used colour of\n"
           "              self-loops and one of other pairs (its group is already all it can show)\n";
  else if (s["merged_rank"].get<std::size_t>() + unused == rank)
    out << "note          no colours merged: if the model was trained with colour embeddings starting at\n"
           "              torch's default scale, train with --edge-init-scale 0.01 to read its symmetry\n"
           "              (README, \"Symmetry discovery\")\n";
  out << "discovered    order " << found["order"].get<std::string>()
      << (found["larger_than_trained"].get<bool>() ? " (larger than the trained breaking input's)"
                                                   : " (no larger than the trained breaking input's)")
      << "; generators (cycle notation, 1-based):\n";
  const Json& gens = found["generators"];
  for (std::size_t k = 0; k < gens.size() && k < kMaxTextGenerators; ++k)
    out << "              "
        << shorten(algebra::Permutation(gens[k].get<std::vector<algebra::Point>>()).to_cycle_string(), kMaxTextChars)
        << '\n';
  if (gens.size() > kMaxTextGenerators) out << "              ... (" << gens.size() << " in all)\n";
  if (gens.empty()) out << "              () (the trivial group)\n";
  if (s["true_group"].is_null()) {
    out << "true group    unknown\n";
  } else {
    out << "true group    " << group_text(s["true_group"]) << "; discovered equals it: "
        << yes_no(s["equals_true_group"].get<bool>());
    if (s["true_group"]["closure_order"] != s["true_group"]["order"])
      out << ", equals its 2-closure: " << yes_no(s["equals_true_closure"].get<bool>());
    out << '\n';
  }
  if (rank > kMaxTextColors) {
    out << "distances     " << rank << " x " << rank << " (see --json)\n";
    return;
  }
  out << "distances / scale:\n";
  std::vector<std::string> header{""};
  for (std::size_t b = 0; b < rank; ++b) header.push_back(std::to_string(b));
  std::vector<std::vector<std::string>> rows;
  const double scale = s["scale"].get<double>();
  for (std::size_t a = 0; a < rank; ++a) {
    std::vector<std::string> row{std::to_string(a)};
    for (std::size_t b = 0; b < rank; ++b)
      row.push_back(scale > 0 ? fixed(s["distances"][a][b].get<double>() / scale, 2) : "0");
    rows.push_back(std::move(row));
  }
  print_table(out, header, rows, std::vector<bool>(rank + 1, true), "  ");
}

}  // namespace

CLI::App* add_discover_command(CLI::App& app, DiscoverOptions& o) {
  CLI::App* cmd = app.add_subcommand(
      "discover",
      "Read the symmetry a trained model has learned off its colour embeddings: colours closer than "
      "--threshold times the RMS distance between colours are merged (single linkage; loop colours only "
      "with loop colours), and the automorphism group of the merged colouring is computed exactly with "
      "nauty/Traces, then compared with the group of the structure's task when it is a synthetic one. "
      "With --json, for one structure: {\"structure\", \"nodes\", \"trained_group\": {\"spec\", \"order\", "
      "\"closure_order\", \"rank\"}, \"threshold\", \"feature\", \"scale\", \"representatives\" (a pair "
      "per colour), \"clusters\", \"unused_colors\" (colours no edge carries), \"merged_rank\", \"discovered\": {\"order\", \"generators\" (0-based image "
      "lists), \"orbits\", \"contains_trained_group\", \"larger_than_trained\"}, \"true_group\": {\"spec\", "
      "\"order\", \"closure_order\"} or null, \"equals_true_group\", \"equals_true_closure\", "
      "\"distances\" (K x K)}; orders are decimal strings. For several: {\"structures\": [...]}.");
  cmd->add_option("CHECKPOINT", o.model_file, "model.pt or checkpoint.pt written by 'asen train'")
      ->required()
      ->type_name("");
  cmd->add_option("--structure", o.structure, "only this structure (default: every one)")->type_name("NAME");
  cmd->add_option("--threshold", o.threshold,
                  "merge colours at distance <= X times the RMS distance between colours (default " +
                      fixed(o.threshold, 2) + ")")
      ->type_name("X")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            double value = 0;
            std::istringstream in(text);
            if (!(in >> value) || !in.eof() || !(value >= 0) || !std::isfinite(value))
              return "expected a number >= 0, got '" + text + "'";
            return {};
          },
          "", "real"));
  cmd->add_option("--feature", o.feature,
                  "compare the colours' embeddings (default) or their projections by every layer (projected)")
      ->type_name("F")
      ->check(CLI::IsMember({"embedding", "projected"}));
  cmd->add_option("--true-group", o.true_group,
                  "compare with this group (default: the group of the synthetic task named like the structure, when it is that task)")
      ->type_name("SPEC");
  cmd->add_flag("--json", o.json, "print one JSON object");
  return cmd;
}

int run_discover(const DiscoverOptions& o, std::ostream& out) {
  Json options = Json::object();
  options["model"] = o.model_file;
  options["structure"] = o.structure;
  options["threshold"] = o.threshold;
  options["feature"] = o.feature;
  options["true_group"] = o.true_group ? Json(*o.true_group) : Json(nullptr);
  options["gap_memory_mb"] = o.gap_memory_mb ? Json(*o.gap_memory_mb) : Json(nullptr);
  const Json answer = call_plugin("discover", options);
  const Json& structures = answer["structures"];
  if (o.json) {
    write_json(out, structures.size() == 1 ? structures[0] : answer);
    out << '\n';
    return kExitOk;
  }
  for (std::size_t k = 0; k < structures.size(); ++k) {
    if (k > 0) out << '\n';
    print_structure(out, structures[k]);
  }
  return kExitOk;
}

}  // namespace asen::cli
