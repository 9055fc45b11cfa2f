#pragma once
// Helpers shared by the binding files of asen._core (one per layer). Private
// to bindings/python.

#include <asen/algebra/gap.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/algebra/permutation.hpp>
#include <asen/algebra/types.hpp>
#include <asen/error.hpp>
#include <asen/interrupt.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <csignal>
#include <cstddef>
#include <iterator>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asen::python {

namespace py = pybind11;

/// Registers the bindings of each layer on the module, in dependency order.
void init_algebra(py::module_& m);
void init_graph(py::module_& m);

// Argument conversions shared by the layers (defined in algebra.cpp).

/// The name of an object's type, for error messages.
std::string type_name(py::handle obj);
/// The integers of a Python sequence (list, tuple, 1-D integer numpy array,
/// any iterable of objects with __index__). \throws TypeError for a string or
/// a non-integer element; InputError for an array of another dimension.
std::vector<std::int64_t> integer_list(py::handle obj, const std::string& what);
/// A Permutation, a 0-based image list, or a string in cycle / image-list
/// notation (parsed with `degree` when given). \throws InputError if invalid.
algebra::Permutation to_permutation(py::handle obj, std::optional<std::size_t> degree);
/// True if PermGroup::parse hands `spec` to a prefix resolver ("gap:", "graph:").
bool spec_has_prefix(const std::string& spec);
/// Parses a group spec without the GIL, holding the GAP lock for prefixed
/// specs (which may reach GAP, or run a long automorphism search).
algebra::PermGroup parse_spec(const std::string& spec, std::optional<std::size_t> degree);
/// A Group, or a group spec string (parsed with parse_spec), on `degree`
/// points when given (extra points fixed, as the CLI's --degree).
/// \throws TypeError for anything else; InputError if `degree` is negative
/// or below the group's own degree.
algebra::PermGroup group_argument(py::handle obj, std::optional<std::int64_t> degree = std::nullopt);

/// `path`, refused when it holds a NUL character (C's file functions would
/// read it cut short there: another file). `what` names it in the message.
inline const std::string& checked_path(const std::string& path, const std::string& what) {
  const std::size_t nul = path.find('\0');
  if (nul != std::string::npos)
    throw InputError(what + " holds a NUL character at offset " + std::to_string(nul) + ": no file has such a name");
  return path;
}

/// Pickle support that never needs a bare `T.__new__` (which the package
/// refuses: it would leave the C++ object unconstructed). `__reduce__` gives
/// the function `asen.<restore_name>`, which rebuilds the object from the
/// state `get` returns (a tuple) with `set`. The package's __init__.py wraps
/// the extension's function of that name (pickle cannot store the
/// extension's own functions).
template <typename T, typename Get, typename Set>
void def_pickle(py::class_<T>& cls, py::module_& m, const char* restore_name, Get get, Set set) {
  m.def(restore_name, [set](const py::tuple& state) { return set(state); });
  cls.def(
      "__reduce__",
      [get, restore_name](const T& self) {
        const py::object restore = py::module_::import("asen").attr(restore_name);
        return py::make_tuple(restore, py::make_tuple(get(self)));
      },
      "Pickle support: rebuilt from its state by a function of the module.");
}

/// An exact integer as a Python int (any size), through its bytes: linear
/// time (Boost's own decimal and hexadecimal strings take quadratic time, 13 s
/// for 100000!), and Python (3.11 on) caps decimal conversions at 4300 digits.
inline py::int_ to_python_int(const algebra::BigInt& value) {
  std::string bytes;  // the magnitude, least significant byte first
  boost::multiprecision::export_bits(algebra::BigInt(abs(value)), std::back_inserter(bytes), 8, false);
  const py::object int_type = py::reinterpret_borrow<py::object>(reinterpret_cast<PyObject*>(&PyLong_Type));
  py::object result = int_type.attr("from_bytes")(py::bytes(bytes), "little");
  if (value < 0) result = result.attr("__neg__")();
  return result;
}

/// A Python int as an exact integer, through its bytes (linear time).
inline algebra::BigInt from_python_int(const py::int_& integer) {
  const py::object magnitude = integer.attr("__abs__")();
  const auto bits = magnitude.attr("bit_length")().cast<std::size_t>();
  const std::string bytes = py::bytes(magnitude.attr("to_bytes")((bits + 7) / 8, "little"));
  algebra::BigInt out = 0;
  if (!bytes.empty()) boost::multiprecision::import_bits(out, bytes.begin(), bytes.end(), 8, false);
  return integer.attr("__lt__")(0).cast<bool>() ? algebra::BigInt(-out) : out;
}

/// A count or size argument that must not be negative.
/// \throws asen::InputError (ValueError) naming the argument.
inline std::size_t non_negative(std::int64_t value, const char* name) {
  if (value < 0) throw InputError(std::string(name) + " must be non-negative, got " + std::to_string(value));
  return static_cast<std::size_t>(value);
}

/// A memory_limit_mb argument in bytes: at least 1 MiB, as the CLI's
/// --memory-limit-mb (0 would refuse everything with "needs 1 MiB").
inline std::size_t memory_limit_mb_bytes(std::int64_t value) {
  if (value < 1) throw InputError("memory_limit_mb must be at least 1 (MiB), got " + std::to_string(value));
  if (static_cast<std::uint64_t>(value) > (SIZE_MAX >> 20U)) throw InputError("memory_limit_mb is too large");
  return static_cast<std::size_t>(value) << 20U;
}

/// A degree argument: non-negative and at most 2^24 points (the limit of
/// specs and graph files), checked before anything is allocated.
inline std::size_t checked_degree(std::int64_t value, const char* name = "degree") {
  const std::size_t n = non_negative(value, name);
  constexpr std::size_t kMaxDegree = std::size_t{1} << 24U;
  if (n > kMaxDegree)
    throw InputError(std::string(name) + " " + std::to_string(n) + " is too large, the largest is " +
                     std::to_string(kMaxDegree));
  return n;
}

inline std::optional<std::size_t> optional_checked_degree(std::optional<std::int64_t> value) {
  if (!value) return std::nullopt;
  return checked_degree(*value);
}

/// A point given from Python: negative values and values beyond the degree are
/// std::out_of_range (IndexError), with the C++ layer's wording.
inline algebra::Point checked_point(std::int64_t value, std::size_t degree) {
  if (value < 0 || static_cast<std::uint64_t>(value) >= degree)
    throw std::out_of_range("point " + std::to_string(value) + " is out of range, expected a value in [0, " +
                            std::to_string(degree) + ")");
  return static_cast<algebra::Point>(value);
}

/// Serialises every binding-level call that talks to GAP. The GAP session
/// serialises single evaluations, but some algebra calls (PermGroup::from_gap)
/// make several evaluations that share GAP globals; this lock keeps those
/// sequences from interleaving when Python threads run them at once.
/// Take it only after releasing the GIL (see run_with_gap).
inline std::mutex& gap_mutex() {
  static std::mutex mutex;
  return mutex;
}

/// Makes Ctrl-C stop a long native computation. While it lives on Python's
/// main thread, a SIGINT handler of asen's runs first (asen::request_interrupt:
/// nauty and Traces, the stabilizer chain and the orbitals stop, a GAP
/// evaluation that has not begun does not, and they throw asen::Interrupted)
/// and then the handler Python had installed, so
/// Python sees the signal as always and raises KeyboardInterrupt when the call
/// returns (set_python_error turns Interrupted into it). On other threads, or
/// when SIGINT is ignored or left at its default (which ends the process), it
/// does nothing. Create it holding the GIL; it is destroyed holding it again.
class InterruptScope {
 public:
  InterruptScope() {
    if (PyThread_get_thread_ident() != main_thread_ident()) return;
    counted_ = true;
    if (depth()++ > 0) return;  // an outer scope on this thread handles it
    struct sigaction previous {};
    if (sigaction(SIGINT, nullptr, &previous) != 0 || uses(previous, SIG_DFL) || uses(previous, SIG_IGN)) return;
    struct sigaction ours {};
    ours.sa_sigaction = &on_sigint;
    ours.sa_mask = previous.sa_mask;
    ours.sa_flags = (previous.sa_flags | SA_SIGINFO) & ~static_cast<int>(SA_RESETHAND);
    saved() = previous;
    installed_ = sigaction(SIGINT, &ours, nullptr) == 0;
  }
  ~InterruptScope() {
    if (counted_) --depth();
    if (!installed_) return;
    // Python's handler back, unless something has replaced ours meanwhile.
    struct sigaction current {};
    if (sigaction(SIGINT, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) != 0 &&
        current.sa_sigaction == &on_sigint)
      sigaction(SIGINT, &saved(), nullptr);
    clear_interrupt();
  }
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

 private:
  static bool uses(const struct sigaction& a, void (*handler)(int)) {
    return (a.sa_flags & SA_SIGINFO) == 0 && a.sa_handler == handler;
  }
  static unsigned long main_thread_ident() {
    static const unsigned long ident =
        py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();
    return ident;
  }
  static int& depth() {
    static int d = 0;  // touched on the main thread only
    return d;
  }
  static struct sigaction& saved() {
    static struct sigaction s {};
    return s;
  }
  static void on_sigint(int sig, siginfo_t* info, void* context) {
    request_interrupt();
    const struct sigaction& python = saved();
    if ((python.sa_flags & SA_SIGINFO) != 0) {
      if (python.sa_sigaction != nullptr) python.sa_sigaction(sig, info, context);
    } else if (python.sa_handler != SIG_DFL && python.sa_handler != SIG_IGN && python.sa_handler != nullptr) {
      python.sa_handler(sig);
    }
  }

  bool counted_ = false;
  bool installed_ = false;
};

/// Runs `f` without the GIL (for long native computations); Ctrl-C stops it
/// (InterruptScope).
template <class F>
auto run_without_gil(F&& f) {
  InterruptScope interruptible;
  py::gil_scoped_release release;
  return std::forward<F>(f)();
}

/// Runs `f` without the GIL and holding gap_mutex() (for calls into GAP);
/// Ctrl-C stops it (InterruptScope).
template <class F>
auto run_with_gap(F&& f) {
  InterruptScope interruptible;
  py::gil_scoped_release release;
  // Before the lock: in a child of fork() a parent's thread may hold it.
  algebra::gap::refuse_in_forked_child();
  std::lock_guard<std::mutex> lock(gap_mutex());
  return std::forward<F>(f)();
}

/// A 1-D numpy array that takes over `values` without copying: the vector
/// moves to the heap and a capsule (the array's base) deletes it.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values) {
  auto owned = std::make_unique<std::vector<T>>(std::move(values));
  const auto size = static_cast<py::ssize_t>(owned->size());
  T* data = owned->data();
  py::capsule owner(owned.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
  owned.release();  // the capsule owns it now
  return py::array_t<T>({size}, {static_cast<py::ssize_t>(sizeof(T))}, data, owner);
}

/// The same with a C-contiguous shape (the product of `shape` must be
/// values.size()), e.g. {2, E} for an edge_index.
template <class T>
py::array_t<T> to_numpy(std::vector<T>&& values, const std::vector<py::ssize_t>& shape) {
  auto owned = std::make_unique<std::vector<T>>(std::move(values));
  std::vector<py::ssize_t> strides(shape.size(), static_cast<py::ssize_t>(sizeof(T)));
  for (std::size_t d = shape.size(); d > 1; --d) strides[d - 2] = strides[d - 1] * shape[d - 1];
  T* data = owned->data();
  py::capsule owner(owned.get(), [](void* p) { delete static_cast<std::vector<T>*>(p); });
  owned.release();  // the capsule owns it now
  return py::array_t<T>(shape, strides, data, owner);
}

/// Marks a numpy array read-only and returns it.
template <class Array>
Array read_only(Array array) {
  array.attr("setflags")(py::arg("write") = false);
  return array;
}

}  // namespace asen::python
