#pragma once
// Running a command in the nn plugin (nn_plugin.hpp) from the executable:
// for the nn commands' own files (nn_commands.cpp, discover_command.cpp),
// which parse their arguments into a JSON object of options and print the
// plugin's JSON answer.

#include "output.hpp"  // Json

namespace asen::cli {

/// Runs `command` in the nn plugin (loaded on first use) and returns its answer.
/// \throws InputError (exit status 2) or Error (status 1) with the plugin's
/// message; Error when the plugin cannot be loaded (e.g. a build without LibTorch).
Json call_plugin(const char* command, const Json& options);

}  // namespace asen::cli
