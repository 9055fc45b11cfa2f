#include <asen/interrupt.hpp>

#include <array>
#include <atomic>

namespace asen {
namespace {

using Hook = void (*)(bool) noexcept;

// Lock-free atomics only: request_interrupt runs inside signal handlers.
std::atomic<int> requested{0};
std::array<std::atomic<Hook>, 8> hooks{};

static_assert(std::atomic<int>::is_always_lock_free, "the interrupt flag must be signal-safe");
static_assert(std::atomic<Hook>::is_always_lock_free, "the interrupt hooks must be signal-safe");

void run_hooks(bool on) noexcept {
  for (auto& slot : hooks)
    if (const Hook h = slot.load()) h(on);
}

}  // namespace

void request_interrupt() noexcept {
  requested.store(1);
  run_hooks(true);
}

void clear_interrupt() noexcept {
  requested.store(0);
  run_hooks(false);
}

bool interrupt_requested() noexcept { return requested.load() != 0; }

void throw_if_interrupted(const char* what) {
  if (interrupt_requested()) throw Interrupted(std::string(what) + " was interrupted");
}

void add_interrupt_hook(Hook hook) noexcept {
  for (auto& slot : hooks) {
    Hook expected = nullptr;
    if (slot.load() == hook) return;
    if (slot.compare_exchange_strong(expected, hook)) return;
    if (expected == hook) return;
  }
  // More than 8 would be a programming error of asen itself; the hook is
  // then not run (its computation is simply not interruptible).
}

}  // namespace asen
