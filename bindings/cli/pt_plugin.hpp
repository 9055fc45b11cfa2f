#pragma once
// The C interface of the .pt writer plugin (libasen_pt_writer.so, built from
// pt_writer.cpp), which the `asen` executable loads with dlopen only when a
// .pt file is asked for: loading LibTorch costs over a second, which every
// other run of the tool would otherwise pay at start-up.
//
// A plain C interface, so that no C++ exception or object crosses dlopen.

#include <cstddef>
#include <cstdint>

extern "C" {

/// The arrays of a breaking input (see graph/breaking_input.hpp); borrowed
/// for the duration of the call.
struct AsenPtArrays {
  const std::int64_t* edge_index;  ///< 2 * num_edges values, row-major
  const std::int64_t* edge_attr;   ///< num_edges values
  std::size_t num_edges;
  const std::int64_t* node_color;  ///< num_nodes values
  std::size_t num_nodes;
  std::int64_t num_colors;
  const std::uint8_t* color_in_base;  ///< 0/1 flags, or null when absent
  std::size_t color_in_base_size;
};

/// Receives the bytes of the file (possibly in several calls).
using AsenPtSink = void (*)(void* context, const char* data, std::size_t size);

/// Pickles the arrays as a dict of tensors that torch.load reads and passes
/// the bytes to `sink`. \returns 0 on success; otherwise non-zero with a
/// NUL-terminated message in `error` (at most `error_size` bytes).
using AsenPtWriteFunction = int (*)(const AsenPtArrays* arrays, AsenPtSink sink, void* context, char* error,
                                    std::size_t error_size);

/// The name the plugin exports its AsenPtWriteFunction under.
constexpr const char* kAsenPtWriteSymbol = "asen_pt_write";
}
