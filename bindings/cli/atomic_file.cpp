#include "atomic_file.hpp"

#include <asen/error.hpp>
#include <asen/symlinks.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <streambuf>
#include <vector>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
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

// Temporary files alive now, for the handler of SIGINT, SIGTERM and SIGHUP:
// an interrupted write removes its temporary file, then the signal takes its
// default course. Fixed slots of plain memory, as a signal handler may only
// read them (and call unlink, which is async-signal-safe).
constexpr std::size_t kSlots = 8;
constexpr std::size_t kPathBytes = 4096;
char g_temp_paths[kSlots][kPathBytes];
volatile std::sig_atomic_t g_slot_used[kSlots];

extern "C" void remove_temporaries_and_reraise(int signal_number) {
  for (std::size_t k = 0; k < kSlots; ++k)
    if (g_slot_used[k] != 0) ::unlink(g_temp_paths[k]);
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

void install_handlers_once() {
  static const bool installed = [] {
    for (const int s : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction current {};
      // Leave alone a signal that is ignored (nohup) or handled elsewhere.
      if (::sigaction(s, nullptr, &current) != 0 || current.sa_handler != SIG_DFL) continue;
      struct sigaction action {};
      action.sa_handler = remove_temporaries_and_reraise;
      sigemptyset(&action.sa_mask);
      ::sigaction(s, &action, nullptr);
    }
    return true;
  }();
  (void)installed;
}

// The slot holding `path`, or kSlots when none is free or it is too long
// (the file is then only removed on ordinary failures).
std::size_t register_temporary(const std::string& path) {
  install_handlers_once();
  if (path.size() >= kPathBytes) return kSlots;
  for (std::size_t k = 0; k < kSlots; ++k) {
    if (g_slot_used[k] != 0) continue;
    std::memcpy(g_temp_paths[k], path.c_str(), path.size() + 1);
    g_slot_used[k] = 1;
    return k;
  }
  return kSlots;
}

void unregister_temporary(std::size_t slot) {
  if (slot < kSlots) g_slot_used[slot] = 0;
}

}  // namespace

void refuse_directory_target(const std::string& path) {
  std::error_code ec;
  if (!path.empty() && std::filesystem::is_directory(path, ec))
    throw InputError("cannot write " + in_quotes(path) + ": it is a directory");
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), stream_(nullptr) {
  namespace fs = std::filesystem;
  if (path_.empty()) throw InputError("the output file name is empty");
  // A symbolic link is written through (asen/symlinks.hpp).
  const fs::path target = asen::detail::follow_symlinks(path_);
  target_path_ = target.string();
  if (!target.has_filename() || fs::is_directory(target))
    throw InputError("cannot write " + in_quotes(path_) + ": it is a directory");
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  // The signals that remove temporary files wait until the new file is
  // registered: one arriving between its creation and its registration
  // would otherwise leave it behind.
  struct BlockSignals {
    sigset_t previous{};
    BlockSignals() {
      sigset_t block;
      sigemptyset(&block);
      for (const int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&block, s);
      ::pthread_sigmask(SIG_BLOCK, &block, &previous);
    }
    ~BlockSignals() { ::pthread_sigmask(SIG_SETMASK, &previous, nullptr); }
    BlockSignals(const BlockSignals&) = delete;
    BlockSignals& operator=(const BlockSignals&) = delete;
  } blocked;
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
  slot_ = register_temporary(temp_path_);
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
  unregister_temporary(slot_);
  slot_ = kNoSlot;
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
  if (err == 0 && std::rename(temp_path_.c_str(), target_path_.c_str()) != 0) {
    err = errno;
    step = "renaming the temporary file to";
  }
  if (err != 0) {
    discard();
    throw Error(std::string("failed ") + step + " " + in_quotes(path_) + ": " + std::strerror(err) +
                " (no partial file was left)");
  }
  unregister_temporary(slot_);
  slot_ = kNoSlot;
  committed_ = true;
}

}  // namespace asen::cli
