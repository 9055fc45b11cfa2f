#pragma once
/// \file
/// Reading a whole input file with every read error reported: a stream copy
/// (`out << in.rdbuf()`) stops silently at an I/O error, and a file that
/// cannot be read would pass for an empty (or truncated) one.

#include <asen/error.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

namespace asen::detail {

/// The bytes of the file at `path`. `what` names it in messages ("the graph
/// file 'g.txt'"). \throws InputError for a folder, a missing or unreadable
/// file, or a read error (with the system's reason).
inline std::string read_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError("cannot read " + what + ": it is a directory");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    throw InputError("cannot read " + what + ": " +
                     (error == ENOENT ? std::string("it does not exist") : std::string(std::strerror(error))));
  }
  std::string data;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw InputError("cannot read " + what + ": " + std::strerror(error));
    }
    if (n == 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return data;
}

}  // namespace asen::detail
