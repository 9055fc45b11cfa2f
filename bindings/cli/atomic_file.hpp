#pragma once
// Writing a file atomically: the data goes to a temporary file in the same
// directory, which is renamed over the target only when everything was
// written. A failure at any point removes the temporary file and leaves an
// existing target untouched; so does SIGINT, SIGTERM or SIGHUP during the
// write (a handler removes the temporary files, then the signal takes its
// default course).

#include <cstddef>
#include <memory>
#include <ostream>
#include <string>

namespace asen::cli {

/// Refuses a target that is a directory ("cannot write 'out': it is a
/// directory"), before its extension is judged: `asen ... --out runs/` is
/// a folder given for a file, not a file of an unknown kind.
void refuse_directory_target(const std::string& path);

class AtomicFile {
 public:
  /// Creates the temporary file next to `path`, or, when `path` is a
  /// symbolic link, next to the file it points to (written through, as `cp`
  /// does: the link stays).
  /// \throws InputError if it cannot be created (no such directory, no
  /// permission, `path` is a directory), naming the path and the reason.
  explicit AtomicFile(std::string path);
  /// Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// The stream to write the contents to. Valid while this object lives.
  std::ostream& stream() { return stream_; }

  /// Flushes, syncs and closes the temporary file and renames it to the
  /// target. \throws asen::Error if any write failed (e.g. the disk is full)
  /// or the rename failed; the temporary file is then removed.
  void commit();

 private:
  class Buffer;
  void discard() noexcept;

  std::string path_;         ///< as given, for messages
  std::string target_path_;  ///< path_ with symbolic links followed: what commit() replaces
  std::string temp_path_;
  int fd_ = -1;
  std::unique_ptr<Buffer> buffer_;
  std::ostream stream_;
  bool committed_ = false;
  static constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);
  std::size_t slot_ = kNoSlot;  ///< where the signal handler finds temp_path_
};

}  // namespace asen::cli
