#pragma once
// Breaking inputs on disk (`asen breaking-input --out FILE`), chosen by
// extension:
//   .npz   a numpy zip archive (stored, uncompressed) of .npy arrays:
//          edge_index int64 (2, E), edge_attr int64 (E,), node_color int64
//          (n,), num_colors int64 scalar (), and for weak-sparse
//          color_in_base bool (num_colors,)
//   .pt    the same arrays as a dict of tensors, for torch.load (needs the
//          CLI built with LibTorch, see pt_writer.hpp)
//   .json  {"num_nodes", "mode", "num_colors", "edge_index": [[...],[...]],
//          "edge_attr", "node_color", "color_in_base" (weak-sparse only)}
// Files are written atomically (see atomic_file.hpp).

#include <asen/graph/breaking_input.hpp>

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace asen::cli {

enum class BreakingInputFormat { npz, pt, json };

/// The format for `path`'s extension (case-insensitive).
/// \throws InputError for any other extension, listing the known ones, and
/// for .pt when this build cannot write it (no LibTorch, or its plugin
/// cannot be loaded).
BreakingInputFormat breaking_input_format_for(const std::string& path);

/// Extra bytes a format needs while writing, per edge (.pt copies the
/// arrays into tensors and then into the pickled archive).
std::size_t breaking_input_format_bytes_per_edge(BreakingInputFormat format);

/// One member of a zip archive: its name and a function that writes its
/// contents. The function is called twice (once for the CRC-32 and the
/// size, once to write) and must write the same bytes both times.
struct ZipMember {
  std::string name;
  std::function<void(std::ostream&)> write;
};

/// Writes a zip archive of stored (uncompressed) members: local headers,
/// the central directory and the end record, with CRC-32s.
/// \throws LimitError if a member or the archive reaches 4 GiB (no ZIP64).
void write_zip(std::ostream& out, const std::vector<ZipMember>& members);

/// The arrays of `input` as a .npz archive.
void write_npz(std::ostream& out, const graph::BreakingInput& input);
/// The JSON object (see the file comment) and a newline; arrays are
/// streamed, not built in memory.
void write_breaking_input_json(std::ostream& out, const graph::BreakingInput& input);

/// Writes `input` to `path` in `format`, atomically.
/// \throws InputError if the file cannot be created, asen::Error if writing fails.
void save_breaking_input(const std::string& path, BreakingInputFormat format,
                         const graph::BreakingInput& input);

}  // namespace asen::cli
