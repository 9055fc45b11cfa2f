#pragma once
/// \file
/// Stopping a long computation from outside: a Ctrl-C in Python, a cancel
/// button in an application that embeds asen.
///
/// request_interrupt() asks every interruptible computation of the process to
/// stop: nauty's and Traces' searches (through nauty_kill_request), the native
/// stabilizer chain and orbital computations (polled between steps), and the
/// GAP evaluations that have not begun (one that runs goes on to its end:
/// GAP's own interrupt crashed it when it arrived while GAP read its input).
/// Each of them then throws asen::Interrupted and leaves nothing half-done
/// behind: the next call computes normally once clear_interrupt() has been
/// called. The request stays in force until then, so a computation started
/// after it stops at once.

#include <asen/error.hpp>

#include <string>

namespace asen {

/// A computation stopped because request_interrupt() was called.
class Interrupted : public Error {
 public:
  explicit Interrupted(const std::string& what) : Error(what) {}
};

/// Asks the running computations to stop. Async-signal-safe: it may be called
/// from a signal handler, on any thread.
void request_interrupt() noexcept;

/// Withdraws the request (computations started later run normally).
void clear_interrupt() noexcept;

/// True between request_interrupt() and clear_interrupt().
[[nodiscard]] bool interrupt_requested() noexcept;

/// \throws Interrupted("`what` was interrupted") if an interrupt is requested.
void throw_if_interrupted(const char* what);

/// For the layers that wrap a library with its own stop flag (nauty): called
/// with true by request_interrupt() and false by clear_interrupt(). The hook
/// must be async-signal-safe. At most 8 hooks; registering one twice is a
/// no-op.
void add_interrupt_hook(void (*hook)(bool requested) noexcept) noexcept;

}  // namespace asen
