// `asen breaking-input SPEC --out FILE`: the breaking input of a group (its
// orbital colouring as edge_index / edge_attr / node_color arrays, see
// graph/breaking_input.hpp), dense, sparse or weak-sparse on a base graph,
// written to .npz, .pt or .json.

#include "breaking_input_files.hpp"
#include "commands.hpp"
#include "output.hpp"

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/graph/base_graph.hpp>
#include <asen/graph/breaking_input.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <ostream>

namespace asen::cli {
namespace {

using algebra::PermGroup;
using graph::BreakingMode;

/// Bytes per edge while the breaking input is built: the list of pairs
/// (2 x 4), edge_index (2 x 8) and edge_attr (8).
constexpr std::size_t kBytesPerEdge = 32;
/// Bytes per ordered pair of the dense colour matrix (int32).
constexpr std::size_t kBytesPerMatrixEntry = 4;

/// The number of edges of the breaking input, known before computing it.
std::uint64_t edge_count(BreakingMode mode, std::size_t n, const graph::BaseGraph* base) {
  if (mode != BreakingMode::sparse) return static_cast<std::uint64_t>(n) * n;
  const auto arcs = base->arcs();
  const auto loops = static_cast<std::size_t>(
      std::count_if(arcs.begin(), arcs.end(), [](const auto& arc) { return arc.first == arc.second; }));
  return arcs.size() + n - loops;
}

void check_memory(BreakingMode mode, std::size_t n, std::uint64_t edges, BreakingInputFormat format,
                  std::size_t limit_bytes) {
  const auto matrix = mode == BreakingMode::sparse
                          ? 0.0L
                          : static_cast<long double>(n) * n * static_cast<long double>(kBytesPerMatrixEntry);
  const long double needed =
      matrix + static_cast<long double>(edges) *
                   static_cast<long double>(kBytesPerEdge + breaking_input_format_bytes_per_edge(format));
  if (needed > static_cast<long double>(limit_bytes))
    throw LimitError("the " + std::string(graph::to_string(mode)) + " breaking input of degree " +
                     std::to_string(n) + " has " + std::to_string(edges) + " edges and needs about " +
                     std::to_string(static_cast<unsigned long long>(needed / (1024.0L * 1024.0L))) +
                     " MiB, above the memory limit of " + std::to_string(limit_bytes >> 20U) +
                     " MiB (see --memory-limit-mb)");
}

}  // namespace

CLI::App* add_breaking_input_command(CLI::App& app, BreakingInputOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "breaking-input",
      "Write the breaking input of a group (its orbital colouring as edge_index (2, E), edge_attr (E,), "
      "node_color (n,), num_colors, num_nodes, and color_in_base for weak-sparse; int64; .json also has mode) to .npz, .pt or .json");
  cmd->add_option("SPEC", options.spec, "group spec (see 'asen group --help')")->required()->type_name("");
  cmd->add_option("--degree", options.degree, "act on N points (at least the spec's degree)")
      ->type_name("N")
      ->check(digits_only())
      ->check(CLI::Range(std::size_t{0}, kMaxDegree));
  cmd->add_option("--base", options.base_file,
                  "base graph file for the sparse modes (an edge list or .dot/.gv, see 'asen automorphisms "
                  "--help'), on as many vertices as the group's degree")
      ->type_name("GRAPHFILE");
  static const std::map<std::string, BreakingMode> modes = {{"dense", BreakingMode::dense},
                                                            {"sparse", BreakingMode::sparse},
                                                            {"weak-sparse", BreakingMode::weak_sparse}};
  cmd->add_option_function<std::string>(
         "--mode", [&options](const std::string& name) { options.mode = modes.at(name); },
         "dense (default: all n^2 pairs), sparse (the base graph's arcs and the n self-loops) or weak-sparse "
         "(all pairs, and per colour whether it holds a base arc)")
      ->check(CLI::IsMember({"dense", "sparse", "weak-sparse"}))
      ->type_name("MODE");
  cmd->add_option("--out", options.out_file, "the output FILE: .npz, .pt or .json (written atomically)")
      ->required()
      ->type_name("FILE");
  cmd->add_option("--memory-limit-mb", options.memory_limit_mb,
                  "largest memory for the colour matrix and the arrays, in MiB (default 4096)")
      ->type_name("M")
      ->check(digits_only())
      ->check([](const std::string& v) { return v.find_first_not_of('0') == std::string::npos ? std::string("the memory limit must be at least 1 MiB") : std::string(); });
  return cmd;
}

int run_breaking_input(const BreakingInputOptions& options, std::ostream& out) {
  // Check the arguments before any work.
  const BreakingInputFormat format = breaking_input_format_for(options.out_file);
  const char* mode_name = graph::to_string(options.mode);
  if (options.mode != BreakingMode::dense && options.base_file.empty())
    throw InputError(std::string("the ") + mode_name + " mode needs a base graph: give --base GRAPHFILE");
  if (options.mode == BreakingMode::dense && !options.base_file.empty())
    throw InputError("--base is used only by the sparse and weak-sparse modes (see --mode)");
  std::optional<graph::BaseGraph> base;
  if (!options.base_file.empty()) base = read_graph_file(options.base_file);

  const PermGroup group = PermGroup::parse(options.spec, options.degree);
  const std::size_t n = group.degree();
  if (base && base->num_vertices() != n)
    throw InputError("the base graph '" + options.base_file + "' has " +
                     std::to_string(base->num_vertices()) + " vertices but the group has degree " +
                     std::to_string(n));
  if (options.mode == BreakingMode::sparse) graph::check_group_preserves_base(group, *base);

  algebra::OrbitalOptions settings;
  if (options.memory_limit_mb) settings.memory_limit_bytes = mib_to_bytes(*options.memory_limit_mb);
  const graph::BaseGraph* base_ptr = base ? &*base : nullptr;
  check_memory(options.mode, n, edge_count(options.mode, n, base_ptr), format, settings.memory_limit_bytes);
  // Sparse needs only the colours of the base arcs and the diagonal: no
  // n x n matrix (the stabilizer-chain method colours single pairs).
  settings.dense = options.mode != BreakingMode::sparse;
  const algebra::Orbitals orbitals = algebra::Orbitals::compute(group, settings);
  const graph::BreakingInput input =
      graph::make_breaking_input(orbitals, options.mode, base_ptr, settings.memory_limit_bytes);
  save_breaking_input(options.out_file, format, input);

  out << "wrote " << options.out_file << ": " << mode_name << " breaking input of "
      << shorten(options.spec, 100) << ", " << input.num_nodes << " nodes, " << input.num_edges()
      << " edges, " << input.num_colors << " colours\n";
  return kExitOk;
}

}  // namespace asen::cli
