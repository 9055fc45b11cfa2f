#pragma once
// LibTorch plugins of the `asen` executable: MODULE libraries loaded with
// dlopen only by the commands that need them, because linking LibTorch into
// the executable would add over a second to the start-up of every run.
//   libasen_pt_writer.so    .pt output of breaking-input (pt_plugin.hpp)
//   libasen_nn_commands.so  train, eval, equivariance (nn_plugin.hpp)
// A plugin is looked for next to the executable (the build tree), then in
// the install's plugin directory relative to it. Each one exports plain C
// functions, so that no C++ exception or object crosses dlopen.

#include <string>

namespace asen::cli {

/// A symbol of a loaded plugin, or why it could not be loaded.
struct PluginSymbol {
  void* address = nullptr;
  std::string error;  ///< when address is null: one line saying why
};

/// Loads the plugin file `file_name` (once per process; it is never
/// unloaded) and looks up `symbol`.
/// \param built whether this build has the plugin at all (LibTorch found).
/// \param what what the plugin is needed for, for the message when it is
/// not built (e.g. ".pt output").
PluginSymbol find_plugin_symbol(bool built, const std::string& file_name, const std::string& symbol,
                                const std::string& what);

}  // namespace asen::cli
