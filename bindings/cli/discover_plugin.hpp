#pragma once
// `asen discover` inside the nn plugin (discover_plugin.cpp, linked into
// libasen_nn_commands.so only): the options and the answer are the JSON
// objects documented in discover_command.cpp.

#include <nlohmann/json.hpp>

namespace asen::cli {

/// Runs discovery on every structure (or the one asked for) of a model file.
/// \throws InputError for a missing or bad file, an unknown structure or a
/// bad true-group spec.
nlohmann::ordered_json run_discover_in_plugin(const nlohmann::ordered_json& options);

}  // namespace asen::cli
