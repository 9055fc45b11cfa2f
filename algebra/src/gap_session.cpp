// The only file that includes libgap-api.h (STYLE §7).
//
// GAP owns one dedicated thread with a large stack. Every request is a piece of
// GAP code whose last statement yields a string; the calling thread hands it
// over and waits. GAP_Enter/GAP_Leave sit in one function frame
// (run_on_gap_thread), with no C++ object that has a destructor created between
// them, because GAP recovers from errors with longjmp (STYLE §9). No GAP object
// outlives a request: results are copied out as C strings at once, so no GC
// mark hook is needed.

#include <asen/algebra/gap.hpp>
#include <asen/error.hpp>
#include <asen/interrupt.hpp>

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>

extern "C" {
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wconversion"
#endif
#include <gap/libgap-api.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
}

#ifndef ASEN_DEFAULT_GAP_ROOT
#define ASEN_DEFAULT_GAP_ROOT "/usr/share/gap"
#endif

namespace asen::algebra::gap {
namespace {

struct Request {
  const char* code = nullptr;  // borrowed from the caller, who waits
  std::string result;
  std::string error;
  bool ok = false;
  bool done = false;
};

class Session {
 public:
  static Session& instance() {
    // Never destroyed: the GAP thread may still be blocked in its queue when
    // the process exits.
    static Session* session = new Session();
    return *session;
  }

  // A child of fork() must not take the mutex: a thread of the parent may
  // have held it at the fork (a call into GAP from another thread), and that
  // thread does not exist in the child, so the lock would never be released.
  void refuse_after_fork() const {
    const pid_t owner = pid_.load();
    if (owner != 0 && owner != getpid())
      throw Error("the GAP session was started in another process; after fork() GAP cannot "
                  "be used from the child (start the worker processes with the 'spawn' method, or use GAP only "
                  "in the children)");
  }

  void configure(const Settings& s) {
    refuse_after_fork();
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_) {
      const Settings effective = resolve(s);
      if (effective.root != settings_.root || effective.memory_limit_mb != settings_.memory_limit_mb)
        throw Error("GAP is already running (root " + settings_.root + ", " +
                    std::to_string(settings_.memory_limit_mb) +
                    " MiB); configure it before its first use");
      return;
    }
    requested_ = s;
  }

  bool running() {
    // In a child of fork(), GAP (the parent's thread) does not run.
    const pid_t owner = pid_.load();
    if (owner != 0 && owner != getpid()) return false;
    std::lock_guard<std::mutex> lock(mutex_);
    return started_;
  }

  std::string root() {
    refuse_after_fork();
    std::lock_guard<std::mutex> lock(mutex_);
    return started_ ? settings_.root : resolve(requested_).root;
  }

  std::string evaluate(std::string_view code) {
    // A running evaluation is not interrupted: GAP's InterruptExecStat, sent
    // while GAP reads its input (as it does between statements), crashed
    // GAP in SPrTo (measured). A requested interrupt stops the next one.
    throw_if_interrupted("the GAP computation");
    std::string text(code);
    // GAP_EvalString needs a terminated statement, and views the value of
    // one ended by a single ';' into a string (2 s for a string of 1.5
    // million characters): ";;" returns the value without viewing it. On a
    // line of its own, so that a comment at the end does not swallow it.
    while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.pop_back();
    if (text.size() >= 2 && text.compare(text.size() - 2, 2, ";;") == 0) {
      // already silent
    } else if (!text.empty() && text.back() == ';') {
      text += ';';
    } else {
      text += "\n;;";
    }
    Request request;
    request.code = text.c_str();
    refuse_after_fork();
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ensure_started(lock);
      queue_.push_back(&request);
      wake_gap_.notify_one();
      wake_caller_.wait(lock, [&] { return request.done; });
    }
    if (!request.ok) {
      // GAP's advice names its own command line, which asen users never see.
      std::string error = request.error;
      const std::string hint = "(change it with the -o command line option)";
      if (const auto at = error.find(hint); at != std::string::npos)
        error.replace(at, hint.size(),
                      "of " + std::to_string(settings_.memory_limit_mb) +
                          " MiB (raise it with asen --gap-memory-mb, the environment variable ASEN_GAP_MEMORY_MB, "
                          "or asen.configure_gap(memory_limit_mb=...) in Python)");
      throw GapError("GAP: " + error);
    }
    return request.result;
  }

 private:
  static Settings resolve(const Settings& s) {
    Settings out = s;
    if (out.root.empty()) {
      const char* env = std::getenv("ASEN_GAP_ROOT");
      out.root = env != nullptr && *env != '\0' ? env : ASEN_DEFAULT_GAP_ROOT;
    }
    if (out.memory_limit_mb == 0) {
      const char* env = std::getenv("ASEN_GAP_MEMORY_MB");
      if (env != nullptr && *env != '\0') {
        // Digits only: strtoull would take "-5" as 2^64 - 5.
        const std::string text(env);
        char* end = nullptr;
        errno = 0;
        const unsigned long long v = std::strtoull(env, &end, 10);
        if (text.find_first_not_of("0123456789") != std::string::npos || end == env || *end != '\0' || v == 0 ||
            errno == ERANGE || v > (1ULL << 40U))
          throw InputError(std::string("ASEN_GAP_MEMORY_MB must be a positive number of MiB, got '") +
                           env + "'");
        out.memory_limit_mb = static_cast<std::size_t>(v);
      } else {
        out.memory_limit_mb = 4096;
      }
    }
    return out;
  }

  void ensure_started(std::unique_lock<std::mutex>& lock) {
    if (started_) {
      if (!start_error_.empty()) throw Error(start_error_);
      return;
    }
    settings_ = resolve(requested_);
    started_ = true;
    struct stat st {};
    const std::string init = settings_.root + "/lib/init.g";
    if (stat(init.c_str(), &st) != 0) {
      start_error_ = "cannot start GAP: " + init +
                     " does not exist; set ASEN_GAP_ROOT to GAP's root directory (it holds lib/init.g)";
      throw Error(start_error_);
    }
    pid_ = getpid();
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, std::size_t{256} << 20U);  // GAP recurses deeply
    pthread_t thread;
    const int rc = pthread_create(&thread, &attr, &Session::thread_main, this);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
      start_error_ = "cannot start the GAP thread: " + std::string(std::strerror(rc));
      throw Error(start_error_);
    }
    pthread_detach(thread);
    wake_caller_.wait(lock, [&] { return ready_; });
    if (!start_error_.empty()) throw Error(start_error_);
  }

  static void* thread_main(void* self) {
    static_cast<Session*>(self)->serve();
    return nullptr;
  }

  void serve() {
    initialize_gap();
    for (;;) {
      Request* request = nullptr;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_gap_.wait(lock, [&] { return !queue_.empty(); });
        request = queue_.front();
        queue_.pop_front();
      }
      run_on_gap_thread(request);
      if (!request->ok && request->error.empty()) request->error = read_error_buffer();
      {
        std::lock_guard<std::mutex> lock(mutex_);
        request->done = true;
      }
      wake_caller_.notify_all();
    }
  }

  void initialize_gap() {
    const std::string memory = std::to_string(settings_.memory_limit_mb) + "m";
    // GAP keeps pointers into argv, so these live as long as the process.
    static std::string root_arg;
    static std::string memory_arg;
    root_arg = settings_.root;
    memory_arg = memory;
    static const char* argv[] = {"asen-gap", "-l",  root_arg.c_str(), "-q", "-E", "--nointeract",
                                 "-x",       "100000", "-o", memory_arg.c_str(), nullptr};
    argv[2] = root_arg.c_str();
    argv[9] = memory_arg.c_str();
    GAP_Initialize(10, const_cast<char**>(argv), nullptr, nullptr, 0);
    // Errors go to a string stream that is read after every failed request.
    static const char* const setup[] = {
        "ASEN_ERRBUF := \"\";; ASEN_G := fail;; ASEN_X := fail;; ASEN_XN := 0;; ASEN_XS := \"\";; "
        "ASEN_RS := fail;; ASEN_ELTS := fail;; ASEN_T := fail;; ASEN_N := 0;; ASEN_S := fail;; \"\";",
        "ASEN_RESET_ERRORS := function() ASEN_ERRBUF := \"\"; MakeReadWriteGlobal(\"ERROR_OUTPUT\"); "
        "ERROR_OUTPUT := OutputTextString(ASEN_ERRBUF, false); "
        "SetPrintFormattingStatus(ERROR_OUTPUT, false); end;; \"\";",
        "ASEN_RESET_ERRORS();; \"\";",
        // Quitting GAP would end the process that embeds it (a Python
        // interpreter, a --batch run) without a word: an error instead.
        "ASEN_NO_QUIT := function(name) return function(arg) Error(name, \" would end the process that embeds GAP; "
        "asen does not allow it\"); end; end;; for ASEN_Q in [\"FORCE_QUIT_GAP\", \"ForceQuitGap\", \"QUIT_GAP\", "
        "\"QuitGap\"] do MakeReadWriteGlobal(ASEN_Q); UnbindGlobal(ASEN_Q); BindGlobal(ASEN_Q, ASEN_NO_QUIT(ASEN_Q)); "
        "od;; \"\";",
        // A shell command's output would go to the standard output that
        // carries asen's JSON answers.
        "MakeReadWriteGlobal(\"Exec\");; UnbindGlobal(\"Exec\");; BindGlobal(\"Exec\", function(arg) "
        "Error(\"Exec would write to the standard output that carries asen's answers; asen does not allow it\"); "
        "end);; \"\";",
    };
    std::string failure;
    for (const char* code : setup) {
      Request r;
      r.code = code;
      run_on_gap_thread(&r);
      if (!r.ok) failure = std::string("GAP failed to run its set-up code: ") + code;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    start_error_ = failure;
    ready_ = true;
    wake_caller_.notify_all();
  }

  std::string read_error_buffer() {
    Request r;
    r.code = "ASEN_ERRBUF;;";
    run_on_gap_thread(&r);
    std::string text = r.ok ? r.result : std::string();
    Request reset;
    reset.code = "ASEN_RESET_ERRORS();; \"\";";
    run_on_gap_thread(&reset);
    // Keep printable text; join lines; drop GAP's break-loop hints.
    std::string clean;
    for (char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '\n' || c == '\t') {
        if (!clean.empty() && clean.back() != ' ') clean += ' ';
      } else if (c >= 32 && c < 127) {
        clean += ch;
      }
    }
    // "no method found!" only points to GAP's help; the next error says for
    // which operation (up to where in GAP's library the search failed).
    if (clean.rfind("Error, no method found!", 0) == 0) {
      const std::size_t next = clean.find("Error, ", 1);
      if (next != std::string::npos) {
        clean = clean.substr(next);
        const std::size_t at = clean.find(" at ");
        if (at != std::string::npos) clean.resize(at);
      }
    }
    // GAP goes on with the statements after a failing one: keep the first
    // error only (later ones follow from it).
    for (const char* start : {"Error, ", "Syntax error"}) {
      const std::size_t second = clean.find(start, 1);
      if (second != std::string::npos) clean.resize(second);
    }
    while (!clean.empty() && clean.back() == ' ') clean.pop_back();
    if (clean.rfind("Error, ", 0) == 0) clean = clean.substr(7);
    return clean.empty() ? "GAP reported an error without a message" : clean;
  }

  // Runs one request. Everything between GAP_Enter and GAP_Leave is plain C:
  // an error inside GAP longjmps back to GAP_Enter's setjmp.
  static void run_on_gap_thread(Request* request) {
    // volatile: these are written between setjmp and a possible longjmp.
    const char* volatile value = nullptr;
    volatile int status = 0;  // 0: GAP error, 1: ok with string, 2: last value not a string
    if (GAP_Error_Setjmp()) {
      GAP_EnterStack();
      Obj results = GAP_EvalString(request->code);
      status = 1;
      if (results == nullptr) {
        status = 0;
      } else {
        const UInt count = GAP_LenList(results);
        for (UInt k = 1; k <= count && status != 0; ++k) {
          Obj entry = GAP_ElmList(results, k);
          if (GAP_ElmList(entry, 1) != GAP_True) status = 0;
        }
        if (status != 0 && count > 0) {
          Obj last = GAP_ElmList(results, count);
          Obj v = GAP_LenList(last) >= 2 ? GAP_ElmList(last, 2) : nullptr;
          if (v != nullptr && GAP_IsString(v))
            value = GAP_CSTR_STRING(v);
          else
            status = 2;
        } else if (count == 0) {
          status = 2;
        }
      }
      if (value != nullptr) request->result.assign(value);
      GAP_LeaveStack();
    } else {
      status = 0;  // an error escaped GAP_EvalString
    }
    request->ok = status == 1;
    if (status == 2) request->error = "the GAP code did not end with a string value";
  }

  std::mutex mutex_;
  std::condition_variable wake_gap_;
  std::condition_variable wake_caller_;
  std::deque<Request*> queue_;
  Settings requested_;
  Settings settings_;
  bool started_ = false;
  bool ready_ = false;
  std::string start_error_;
  std::atomic<pid_t> pid_{0};  ///< the process GAP was started in; 0 before
};

}  // namespace

void configure(const Settings& settings) { Session::instance().configure(settings); }
bool is_running() { return Session::instance().running(); }
void refuse_in_forked_child() { Session::instance().refuse_after_fork(); }
std::string root() { return Session::instance().root(); }
std::string evaluate(std::string_view code) { return Session::instance().evaluate(code); }

}  // namespace asen::algebra::gap
