#pragma once
// The C interface of the nn commands plugin (libasen_nn_commands.so, built
// from nn_plugin.cpp and linked to asen::nn), which the `asen` executable
// loads with dlopen only for `train`, `eval`, `equivariance` and `discover` (see
// plugins.hpp): loading LibTorch costs over a second, which every other run
// of the tool would otherwise pay at start-up.
//
// A plain C interface, so that no C++ exception or object crosses dlopen.
// The executable parses and checks the arguments into an options struct and
// passes it as a JSON object (every key present: the executable owns the
// defaults); the plugin runs the library and answers with one JSON object,
// which the executable prints as JSON or as text. The keys of both are
// documented in nn_commands.cpp.

#include <cstddef>

extern "C" {

/// Receives the bytes of the plugin's JSON answer (possibly in several calls).
using AsenNnSink = void (*)(void* context, const char* data, std::size_t size);

/// Runs `command` ("train", "eval", "equivariance" or "discover") with `options_json`
/// (NUL-terminated, UTF-8). \returns 0 on success, with the answer passed
/// to `sink`; otherwise the exit status (2 for bad input: arguments, task
/// names, group specs, files that are missing, corrupt or do not match;
/// 1 for any other failure) with a NUL-terminated message in `error` (at
/// most `error_size` bytes). Nothing is passed to `sink` on failure.
using AsenNnRunFunction = int (*)(const char* command, const char* options_json, AsenNnSink sink, void* context,
                                  char* error, std::size_t error_size);

/// The version of this interface the plugin was built with; a plugin left
/// over from another build of asen is refused instead of being called.
using AsenNnInterfaceVersionFunction = int (*)();
constexpr int kAsenNnInterfaceVersion = 2;  // 2: eval takes "data" and "samples_given"

/// The names the plugin exports its functions under.
constexpr const char* kAsenNnRunSymbol = "asen_nn_run";
constexpr const char* kAsenNnInterfaceVersionSymbol = "asen_nn_interface_version";
}
