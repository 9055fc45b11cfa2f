// The extension module asen._core (STYLE §13). The exception types come
// first, then one init function per layer in dependency order (a layer's
// bindings may use the types registered by the layers before it):
//   init_algebra(m);   // Permutation, Group, Orbitals, orbitals(), GAP
//   init_graph(m);     // Graph, automorphisms(), certify(), breaking-input
//                      // arrays, orbital graphs; registers "graph:" specs
//   (the nn layer is the separate extension asen._nn, nn.cpp)

#include <asen/error.hpp>

#include <pybind11/pybind11.h>

#include <exception>
#include <string>

#include "common.hpp"
#include "errors.hpp"

namespace py = pybind11;

namespace {

// Exception types live as long as the process (extension modules are never
// unloaded), so these references are deliberately never released.
asen::python::ErrorClasses g_errors;

PyObject* add_exception(py::module_& m, const char* name, PyObject* base, const char* doc) {
  const std::string qualified = std::string("asen.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
  if (type == nullptr) throw py::error_already_set();
  m.add_object(name, py::handle(type));  // add_object takes its own reference
  return type;
}

// asen::InputError and its subclasses are ValueErrors, every other asen::Error
// a RuntimeError; the message is exactly the C++ what(). std::out_of_range
// stays pybind11's IndexError and std::invalid_argument its ValueError.
void register_errors(py::module_& m) {
  g_errors.error = add_exception(m, "Error", PyExc_RuntimeError,
                          "A backend or internal failure in asen (asen::Error that is not an "
                          "input error). A subclass of RuntimeError.");
  g_errors.input = add_exception(m, "InputError", PyExc_ValueError,
                                "The caller's input is wrong: a malformed string, a point out of "
                                "range, an unknown name (asen::InputError). A subclass of ValueError.");
  g_errors.limit = add_exception(m, "LimitError", g_errors.input,
                                "A request needs more memory or more elements than the configured "
                                "limit (asen::LimitError). A subclass of InputError and ValueError.");
  g_errors.gap = add_exception(m, "GapError", g_errors.input,
                              "GAP evaluated the request and raised an error; the message is GAP's "
                              "text (asen::GapError). A subclass of InputError and ValueError.");
  py::register_local_exception_translator(
      [](std::exception_ptr error) { asen::python::set_python_error(g_errors, error); });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() =
      "asen._core: the compiled part of the asen Python module (import it as `asen`).\n\n"
      "Points are 0-based everywhere; GAP cycle notation such as '(1,2,3)' is 1-based, as in GAP.";
  m.attr("__version__") = ASEN_VERSION;
  register_errors(m);
  asen::python::init_algebra(m);
  asen::python::init_graph(m);
}
