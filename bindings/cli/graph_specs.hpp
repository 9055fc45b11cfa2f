#pragma once
// "graph:FILE" group specs and users' graph files, shared by the `asen`
// executable and its LibTorch plugin for the nn commands (nn_plugin.cpp),
// which holds its own copy of the algebra layer and so its own registry of
// spec prefixes. No CLI11 here, so that the plugin can compile it.

#include <asen/graph/base_graph.hpp>

#include <string>

namespace asen::cli {

/// Reads a user's graph file (graph::BaseGraph::read), refusing a directory.
/// \throws InputError naming the file (and the line of a parse error).
graph::BaseGraph read_graph_file(const std::string& path);

/// Makes "graph:FILE" a group spec everywhere (graph::register_graph_specs,
/// with a directory refused as in read_graph_file). Call once at start-up.
void register_graph_specs();

}  // namespace asen::cli
