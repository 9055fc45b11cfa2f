#include "plugins.hpp"

#include <filesystem>
#include <map>
#include <mutex>
#include <system_error>
#include <vector>

#include <dlfcn.h>

namespace asen::cli {
namespace {

// Set by CMake: the install's plugin directory relative to the executable's.
constexpr const char* kPluginInstallDir = ASEN_PLUGIN_INSTALL_DIR;

struct Handle {
  void* handle = nullptr;
  std::string error;
};

Handle open_plugin(const std::string& file_name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {nullptr, "cannot find the asen executable to locate " + file_name};
  const std::vector<fs::path> candidates = {exe.parent_path() / file_name,
                                            exe.parent_path() / kPluginInstallDir / file_name};
  std::string tried;
  for (const auto& path : candidates) {
    if (!fs::exists(path, ec)) {
      tried += (tried.empty() ? "" : ", ") + path.lexically_normal().string();
      continue;
    }
    // Never closed: LibTorch stays loaded until the process ends.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return {nullptr, "cannot load " + path.string() + ": " + ::dlerror()};
    return {handle, {}};
  }
  return {nullptr, "the LibTorch plugin " + file_name + " is missing (looked for " + tried + ")"};
}

}  // namespace

PluginSymbol find_plugin_symbol(bool built, const std::string& file_name, const std::string& symbol,
                                const std::string& what) {
  if (!built) return {nullptr, what + " needs LibTorch, and this asen was built without it (ASEN_BUILD_NN=OFF)"};
  static std::mutex mutex;
  static std::map<std::string, Handle> opened;
  const std::lock_guard<std::mutex> lock(mutex);
  auto it = opened.find(file_name);
  if (it == opened.end()) it = opened.emplace(file_name, open_plugin(file_name)).first;
  const Handle& h = it->second;
  if (h.handle == nullptr) return {nullptr, h.error};
  void* address = ::dlsym(h.handle, symbol.c_str());
  if (address == nullptr) return {nullptr, file_name + " does not export " + symbol};
  return {address, {}};
}

}  // namespace asen::cli
