#pragma once
/// \file
/// The process-wide GAP session (libgap), for the questions only GAP answers
/// and as the reference the native algorithms are tested against.
///
/// GAP starts lazily, once per process, on first use (about 1 s), and never
/// for work that does not need it. All calls are serialised onto one thread
/// that owns GAP, so calling from many threads at once is safe. A GAP error
/// becomes an asen::GapError carrying GAP's message, and the session stays
/// usable.

#include <cstddef>
#include <string>
#include <string_view>

namespace asen::algebra::gap {

struct Settings {
  /// GAP's root directory (holds lib/init.g). Empty: the environment variable
  /// ASEN_GAP_ROOT, else the root found when asen was configured.
  std::string root;
  /// GAP's workspace limit in MiB (GAP's `-o` option); a computation that
  /// needs more fails with a GapError and the session goes on. 0: the
  /// environment variable ASEN_GAP_MEMORY_MB, else 4096.
  std::size_t memory_limit_mb = 0;
};

/// Sets how GAP will be started. Has effect only before the first GAP call.
/// \throws asen::Error if GAP is already running with other settings.
void configure(const Settings& settings);

/// True once GAP has been started in this process.
[[nodiscard]] bool is_running();

/// \throws asen::Error in a child of fork() when GAP was started in the
/// parent (GAP cannot be used there). Takes no lock: call it before taking
/// any lock that a parent's thread may have held at the fork.
void refuse_in_forked_child();

/// The GAP root directory that is (or will be) used.
[[nodiscard]] std::string root();

/// Evaluates GAP code whose last statement yields a string and returns that
/// string, e.g. `evaluate("String(Size(SymmetricGroup(5)))")` is "120".
/// \throws GapError with GAP's error text; asen::Error if GAP cannot start.
[[nodiscard]] std::string evaluate(std::string_view code);

}  // namespace asen::algebra::gap
