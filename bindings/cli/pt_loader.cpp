// Loads the .pt writer plugin (see pt_plugin.hpp) on first use and calls it.
// The plugin is looked for next to the executable (the build tree) and in
// the install's plugin directory relative to it.

#include "pt_plugin.hpp"
#include "pt_writer.hpp"

#include <asen/error.hpp>

#include <array>
#include <filesystem>
#include <mutex>
#include <ostream>
#include <string>
#include <vector>

#include <dlfcn.h>

namespace asen::cli {
namespace {

// Set by CMake: whether the plugin was built, its file name, and the
// install's plugin directory relative to the executable's.
constexpr bool kPluginBuilt = ASEN_PT_PLUGIN_BUILT;
constexpr const char* kPluginFile = ASEN_PT_PLUGIN_FILE;
constexpr const char* kPluginInstallDir = ASEN_PT_PLUGIN_INSTALL_DIR;
constexpr std::size_t kErrorSize = 1024;

struct Plugin {
  AsenPtWriteFunction write = nullptr;
  std::string error;  ///< why it could not be loaded
};

Plugin load_plugin() {
  if (!kPluginBuilt)
    return {nullptr, ".pt output needs LibTorch, and this asen was built without it (ASEN_BUILD_NN=OFF)"};
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {nullptr, "cannot find the asen executable to locate " + std::string(kPluginFile)};
  const std::vector<fs::path> candidates = {exe.parent_path() / kPluginFile,
                                            exe.parent_path() / kPluginInstallDir / kPluginFile};
  std::string tried;
  for (const auto& path : candidates) {
    if (!fs::exists(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + path.lexically_normal().string();
      continue;
    }
    // Never closed: LibTorch stays loaded until the process ends.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return {nullptr, "cannot load " + path.string() + ": " + ::dlerror()};
    void* symbol = ::dlsym(handle, kAsenPtWriteSymbol);
    if (symbol == nullptr)
      return {nullptr, path.string() + " does not export " + std::string(kAsenPtWriteSymbol)};
    return {reinterpret_cast<AsenPtWriteFunction>(symbol), {}};
  }
  return {nullptr,
          "the LibTorch plugin " + std::string(kPluginFile) + " is missing (looked for " + tried + ")"};
}

const Plugin& plugin() {
  static std::once_flag once;
  static Plugin loaded;
  std::call_once(once, [] { loaded = load_plugin(); });
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
