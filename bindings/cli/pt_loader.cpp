// Loads the .pt writer plugin (see pt_plugin.hpp) on first use and calls it.
// Where the plugin is looked for: see plugins.hpp.

#include "plugins.hpp"
#include "pt_plugin.hpp"
#include "pt_writer.hpp"

#include <asen/error.hpp>

#include <array>
#include <mutex>
#include <ostream>
#include <string>

namespace asen::cli {
namespace {

// Set by CMake: whether the plugin was built, and its file name.
constexpr bool kPluginBuilt = ASEN_PT_PLUGIN_BUILT;
constexpr const char* kPluginFile = ASEN_PT_PLUGIN_FILE;
constexpr std::size_t kErrorSize = 1024;

struct Plugin {
  AsenPtWriteFunction write = nullptr;
  std::string error;  ///< why it could not be loaded
};

const Plugin& plugin() {
  static std::once_flag once;
  static Plugin loaded;
  std::call_once(once, [] {
    const PluginSymbol found = find_plugin_symbol(kPluginBuilt, kPluginFile, kAsenPtWriteSymbol, ".pt output");
    loaded = {reinterpret_cast<AsenPtWriteFunction>(found.address), found.error};
  });
  return loaded;
}

void append(void* context, const char* data, std::size_t size) {
  static_cast<std::ostream*>(context)->write(data, static_cast<std::streamsize>(size));
}

}  // namespace

std::string pt_unavailable_reason() { return plugin().write == nullptr ? plugin().error : std::string(); }

void write_pt(std::ostream& out, const graph::BreakingInput& input) {
  if (plugin().write == nullptr) throw InputError("cannot write a .pt file: " + plugin().error);
  const bool weak = input.mode == graph::BreakingMode::weak_sparse;
  const AsenPtArrays arrays{input.edge_index.data(),
                            input.edge_attr.data(),
                            input.num_edges(),
                            input.node_color.data(),
                            input.num_nodes,
                            input.num_colors,
                            weak ? input.color_in_base.data() : nullptr,
                            weak ? input.color_in_base.size() : 0};
  std::array<char, kErrorSize> error{};
  if (plugin().write(&arrays, &append, &out, error.data(), error.size()) != 0)
    throw Error(std::string("LibTorch failed to write the .pt file: ") + error.data());
}

}  // namespace asen::cli
