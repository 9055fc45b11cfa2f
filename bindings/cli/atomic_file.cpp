#include "atomic_file.hpp"

#include <asen/error.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <streambuf>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace asen::cli {

// A write buffer over a file descriptor that remembers the first error.
class AtomicFile::Buffer : public std::streambuf {
 public:
  explicit Buffer(int fd) : fd_(fd), data_(std::size_t{1} << 16U) { reset(); }

  /// The errno of the first failed write, 0 if none.
  [[nodiscard]] int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!flush_data()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  int sync() override { return flush_data() ? 0 : -1; }

 private:
  void reset() { setp(data_.data(), data_.data() + data_.size()); }

  bool flush_data() {
    if (error_ != 0) return false;
    const char* p = pbase();
    auto left = static_cast<std::size_t>(pptr() - pbase());
    while (left > 0) {
      const ssize_t written = ::write(fd_, p, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        error_ = errno;
        return false;
      }
      p += written;
      left -= static_cast<std::size_t>(written);
    }
    reset();
    return true;
  }

  int fd_;
  std::vector<char> data_;
  int error_ = 0;
};

namespace {

std::string in_quotes(const std::string& s) { return "'" + s + "'"; }

}  // namespace

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), stream_(nullptr) {
  namespace fs = std::filesystem;
  const fs::path target(path_);
  if (path_.empty()) throw InputError("the output file name is empty");
  if (!target.has_filename() || fs::is_directory(target))
    throw InputError("cannot write " + in_quotes(path_) + ": it is a directory");
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  // O_EXCL: never reuse (and so never clobber) a file that is already there.
  for (unsigned attempt = 0; fd_ < 0; ++attempt) {
    temp_path_ = (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                         std::to_string(attempt)))
                     .string();
    fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) break;
    const int err = errno;
    if (err == EEXIST && attempt < 100) continue;
    temp_path_.clear();
    std::error_code ec;
    if (!fs::exists(dir, ec))
      throw InputError("cannot write " + in_quotes(path_) + ": the directory " + in_quotes(dir.string()) +
                       " does not exist");
    if (!fs::is_directory(dir, ec))
      throw InputError("cannot write " + in_quotes(path_) + ": " + in_quotes(dir.string()) +
                       " is not a directory");
    throw InputError("cannot write " + in_quotes(path_) + ": cannot create a file in " +
                     in_quotes(dir.string()) + ": " + std::strerror(err));
  }
  buffer_ = std::make_unique<Buffer>(fd_);
  stream_.rdbuf(buffer_.get());
}

AtomicFile::~AtomicFile() {
  if (!committed_) discard();
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  temp_path_.clear();
}

void AtomicFile::commit() {
  stream_.flush();
  int err = buffer_->error();
  if (err == 0 && !stream_) err = EIO;
  const char* step = "writing";
  if (err == 0 && ::fsync(fd_) != 0) {
    err = errno;
    step = "syncing";
  }
  if (err == 0) {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
      err = errno;
      step = "closing";
    }
  }
  if (err == 0 && std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    err = errno;
    step = "renaming the temporary file to";
  }
  if (err != 0) {
    discard();
    throw Error(std::string("failed ") + step + " " + in_quotes(path_) + ": " + std::strerror(err) +
                " (no partial file was left)");
  }
  committed_ = true;
}

}  // namespace asen::cli
