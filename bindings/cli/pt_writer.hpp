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
#include <string>

namespace asen::cli {

/// Why .pt files cannot be written (the build has no LibTorch, or the
/// plugin cannot be loaded: the loader's message), or "" if they can.
/// Loads the plugin on the first call (over a second: LibTorch's start-up).
std::string pt_unavailable_reason();

/// Writes `input` as a torch.load-able dict {"edge_index": int64 [2, E],
/// "edge_attr": int64 [E], "node_color": int64 [n], "num_colors": int64
/// scalar, "color_in_base": bool [num_colors] (weak-sparse only)}.
/// \throws InputError if .pt files cannot be written (see
/// pt_unavailable_reason()); asen::Error if LibTorch fails.
void write_pt(std::ostream& out, const graph::BreakingInput& input);

}  // namespace asen::cli
