#include "graph_specs.hpp"

#include <asen/algebra/perm_group.hpp>
#include <asen/error.hpp>
#include <asen/graph/automorphisms.hpp>

#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>

namespace asen::cli {

graph::BaseGraph read_graph_file(const std::string& path) {
  // BaseGraph::read opens a directory without complaint and reads it as an
  // empty graph; say what is wrong instead.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError("cannot read the graph file '" + path + "': it is a directory");
  return graph::BaseGraph::read(path);
}

void register_graph_specs() {
  graph::register_graph_specs();
  // Workaround: the graph layer's "graph:" resolver reads a directory as an
  // empty graph (BaseGraph::read opens it without complaint), so `asen group
  // graph:/tmp` would print the trivial group of degree 0. This resolver
  // replaces it, with the same behaviour otherwise; drop it once
  // BaseGraph::read refuses directories.
  algebra::PermGroup::register_spec_prefix(
      "graph", [](std::string_view rest, std::optional<std::size_t> degree) {
        const auto first = rest.find_first_not_of(" \t\r\n\f\v");
        const std::string path(first == std::string_view::npos
                                   ? std::string_view()
                                   : rest.substr(first, rest.find_last_not_of(" \t\r\n\f\v") - first + 1));
        if (path.empty()) throw InputError("the file name after 'graph:' is empty");
        const algebra::PermGroup g = graph::automorphism_group(read_graph_file(path)).group();
        if (!degree) return g;
        if (*degree < g.degree())
          throw InputError("degree " + std::to_string(*degree) + " is smaller than the " +
                           std::to_string(g.degree()) + " vertices of the graph '" + path + "'");
        return g.extended(*degree);
      });
}

}  // namespace asen::cli
