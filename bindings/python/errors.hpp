#pragma once
// asen's C++ exceptions as Python exceptions, shared by the two extension
// modules: asen._core creates the classes, asen._nn looks them up, and both
// translate with set_python_error.

#include <asen/error.hpp>
#include <asen/interrupt.hpp>

#include <pybind11/pybind11.h>

#include <exception>

namespace asen::python {

/// The Python classes of asen's errors (asen.Error, asen.InputError,
/// asen.LimitError, asen.GapError). Held for the life of the process:
/// extension modules are never unloaded.
struct ErrorClasses {
  PyObject* error = nullptr;
  PyObject* input = nullptr;
  PyObject* limit = nullptr;
  PyObject* gap = nullptr;
};

/// Sets the Python error for an asen exception, the message being exactly
/// the C++ what(); rethrows any other exception for the next translator.
inline void set_python_error(const ErrorClasses& classes, const std::exception_ptr& error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const asen::Interrupted& e) {
    // A Ctrl-C: Python's own handler has seen the signal too (InterruptScope),
    // and running it now raises KeyboardInterrupt (or what a user's handler
    // raises). Where it raises nothing (another thread; a handler that
    // returns), the computation is gone all the same: KeyboardInterrupt.
    if (PyErr_CheckSignals() == 0 && PyErr_Occurred() == nullptr)
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
  } catch (const asen::LimitError& e) {
    PyErr_SetString(classes.limit, e.what());
  } catch (const asen::GapError& e) {
    PyErr_SetString(classes.gap, e.what());
  } catch (const asen::InputError& e) {
    PyErr_SetString(classes.input, e.what());
  } catch (const asen::Error& e) {
    PyErr_SetString(classes.error, e.what());
  }
}

}  // namespace asen::python
