// `asen automorphisms GRAPHFILE`: the automorphism group of a user's graph
// (an edge list or a GraphViz .dot/.gv file, see graph/base_graph.hpp),
// vertex colours respected, with nauty or Traces.

#include "commands.hpp"
#include "output.hpp"

#include <asen/graph/automorphisms.hpp>
#include <asen/graph/base_graph.hpp>

#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>

#include <iomanip>
#include <ostream>

namespace asen::cli {
namespace {

constexpr std::size_t kMaxTextGenerators = 8;
constexpr std::size_t kMaxTextChars = 100;

Json automorphisms_json(const graph::BaseGraph& base, const graph::AutomorphismGroup& aut) {
  Json out = Json::object();
  out["vertices"] = base.num_vertices();
  out["edges"] = base.num_edges();
  out["directed"] = base.directed();
  out["order"] = algebra::to_decimal(aut.order);
  Json gens = Json::array();
  for (const auto& g : aut.generators) gens.push_back(g.images());
  out["generators"] = std::move(gens);
  out["orbits"] = aut.orbits;
  out["backend"] = aut.backend;
  out["search_nodes"] = aut.search_nodes;
  out["search_ms"] = aut.search_ms;
  return out;
}

void print_automorphisms_text(std::ostream& out, const std::string& path, const graph::BaseGraph& base,
                              const graph::AutomorphismGroup& aut) {
  out << "graph       " << shorten(path, kMaxTextChars) << ": " << base.num_vertices() << " vertices, "
      << base.num_edges() << (base.directed() ? " arcs (directed)" : " edges (undirected)")
      << (base.has_vertex_colors() ? ", coloured vertices" : "") << '\n';
  out << "order       " << algebra::to_decimal(aut.order) << '\n';
  out << "generators  " << aut.generators.size() << " (cycle notation, 1-based)\n";
  for (std::size_t k = 0; k < aut.generators.size() && k < kMaxTextGenerators; ++k)
    out << "            " << shorten(aut.generators[k].to_cycle_string(), kMaxTextChars) << '\n';
  if (aut.generators.size() > kMaxTextGenerators) out << "            ...\n";
  out << "orbits      " << aut.orbits.size() << " (0-based vertices)\n";
  for (std::size_t k = 0; k < aut.orbits.size() && k < kMaxTextGenerators; ++k)
    out << "            " << points_text(aut.orbits[k]) << '\n';
  if (aut.orbits.size() > kMaxTextGenerators) out << "            ...\n";
  out << "search      " << aut.backend << ", " << aut.search_nodes << " nodes, " << std::fixed
      << std::setprecision(3) << aut.search_ms << " ms\n";
  out.unsetf(std::ios::floatfield);
}

}  // namespace

CLI::App* add_automorphisms_command(CLI::App& app, AutomorphismsOptions& options) {
  CLI::App* cmd = app.add_subcommand(
      "automorphisms",
      "Automorphism group of a graph file: an edge list (0-based 'u v' lines; optional 'vertices N', "
      "'directed', 'color V NAME'; '#' comments) or GraphViz .dot/.gv.\n"
      "JSON: {vertices, edges, directed, order (decimal string), generators (0-based image lists), orbits, "
      "backend, search_nodes, search_ms}");
  cmd->add_option("GRAPHFILE", options.graph_file, "the graph file")->required()->type_name("");
  cmd->add_flag("--json", options.json, "print one JSON object");
  add_automorphism_backend_option(*cmd, options.backend);
  return cmd;
}

int run_automorphisms(const AutomorphismsOptions& options, std::ostream& out) {
  const graph::BaseGraph base = read_graph_file(options.graph_file);
  graph::AutomorphismOptions settings;
  settings.backend = options.backend;
  const graph::AutomorphismGroup aut = graph::automorphism_group(base, settings);
  if (options.json) {
    write_json(out, automorphisms_json(base, aut));
    out << '\n';
  } else {
    print_automorphisms_text(out, options.graph_file, base, aut);
  }
  return kExitOk;
}

}  // namespace asen::cli
