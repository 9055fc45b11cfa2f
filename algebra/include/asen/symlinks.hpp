#pragma once
/// \file
/// Where a write to a path lands: output files are written to a temporary
/// name and renamed, and renaming onto a symbolic link would replace the link
/// by a plain file. Writers rename onto the file the link names instead, as
/// `cp` writes through a link.

#include <asen/error.hpp>

#include <filesystem>
#include <string>

namespace asen::detail {

/// `path` with symbolic links followed to the file they name (which need not
/// exist yet); a relative link is relative to its folder.
/// \throws InputError for a loop of links or a link that cannot be read.
inline std::filesystem::path follow_symlinks(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  fs::path target = path;
  for (int hops = 0;; ++hops) {
    std::error_code ec;
    if (!fs::is_symlink(target, ec)) return target;
    if (hops == 40) throw InputError("cannot write '" + path.string() + "': too many levels of symbolic links");
    const fs::path next = fs::read_symlink(target, ec);
    if (ec) throw InputError("cannot write '" + path.string() + "': " + ec.message());
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
}

}  // namespace asen::detail
