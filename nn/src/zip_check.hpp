#pragma once
/// \file
/// The CRC-32 check of the records of a zip archive. LibTorch's reader
/// (miniz built without its CRC checks) loads a model or checkpoint file
/// whose tensor bytes were damaged after it was written as if nothing were
/// wrong; this check finds that damage before the file is used.

#include <string>

namespace asen::nn::detail {

/// Checks every stored (uncompressed) record of the zip archive at `path`
/// against the CRC-32 its central directory records. A file that is not a
/// zip archive, or one this reader cannot follow, is left to the caller's
/// own reader (which then gives its error). `what` names the file in
/// messages ("the model file m.pt").
/// \throws InputError naming the first damaged record.
void verify_zip_checksums(const std::string& path, const std::string& what);

}  // namespace asen::nn::detail
