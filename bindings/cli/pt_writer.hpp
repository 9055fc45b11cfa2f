#pragma once
// Breaking inputs as PyTorch files: a dict of tensors pickled by LibTorch
// (torch::pickle_save), which Python reads with torch.load(path).
//
// LibTorch lives in a plugin (pt_writer.cpp, the only CLI file that
// includes <torch/torch.h>; see pt_plugin.hpp), loaded on first use by
// pt_loader.cpp. Without LibTorch in the build (ASEN_BUILD_NN=OFF) there is
// no plugin and .pt output is refused with a clear message.

#include <asen/graph/breaking_input.hpp>

#include <iosfwd>

namespace asen::cli {

/// Loads the plugin (once; over a second, LibTorch's start-up).
/// \throws InputError saying why .pt files cannot be written: the build has
/// no LibTorch, or the plugin cannot be loaded (with the loader's message).
void require_pt_output();

/// Writes `input` as a torch.load-able dict {"edge_index": int64 [2, E],
/// "edge_attr": int64 [E], "node_color": int64 [n], "num_colors": int64
/// scalar, "color_in_base": bool [num_colors] (weak-sparse only)}.
/// \throws InputError as require_pt_output(); asen::Error if LibTorch fails.
void write_pt(std::ostream& out, const graph::BreakingInput& input);

}  // namespace asen::cli
