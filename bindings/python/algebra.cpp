// Python bindings of the algebra layer (asen::algebra): Permutation, Group
// (PermGroup), Orbitals and the GAP session. Points are 0-based; GAP cycle
// notation is 1-based, as in GAP.
//
// Long computations (orders, stabilizer chains, orbitals, GAP calls) run
// without the GIL. They only touch C++ copies or objects that Python code
// cannot change (Permutation, Group and Orbitals are immutable from Python),
// and the calling frame keeps `self` alive while the GIL is released.

#include <asen/algebra/gap.hpp>
#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/algebra/permutation.hpp>
#include <asen/algebra/stab_chain.hpp>
#include <asen/error.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"

namespace asen::python {

using algebra::Backend;
using algebra::Orbitals;
using algebra::PermGroup;
using algebra::Permutation;
using algebra::Point;
using namespace pybind11::literals;

// Shared with the other binding files (declared in common.hpp).

std::string type_name(py::handle obj) { return py::str(py::type::handle_of(obj).attr("__name__")); }

// The integers of a Python sequence: a list, a tuple, a 1-D integer numpy
// array, any iterable of objects with __index__.
// \throws TypeError for a string or a non-integer element.
// uint64 values above 2^63 - 1 would wrap to negative numbers when cast to
// int64 (and be reported as such): refused with their own value.
void check_fits_int64(const py::array& array, const std::string& what) {
  if (array.dtype().kind() != 'u' || array.itemsize() < 8) return;
  const auto values = py::array_t<std::uint64_t, py::array::c_style | py::array::forcecast>::ensure(array);
  if (!values) throw py::error_already_set();
  for (py::ssize_t k = 0; k < values.size(); ++k)
    if (values.data()[k] > static_cast<std::uint64_t>(INT64_MAX))
      throw InputError(what + ": the element at flat index " + std::to_string(k) + ", " +
                       std::to_string(values.data()[k]) + ", is out of range");
}

std::vector<std::int64_t> integer_list(py::handle obj, const std::string& what) {
  if (py::isinstance<py::str>(obj) || py::isinstance<py::bytes>(obj))
    throw py::type_error(what + " must be a sequence of integers, not a string");
  std::vector<std::int64_t> out;
  if (py::isinstance<py::array>(obj)) {
    const auto array = py::reinterpret_borrow<py::array>(obj);
    if (array.ndim() != 1)
      throw InputError(what + " must be one-dimensional, got an array with " + std::to_string(array.ndim()) +
                       " dimensions");
    const char kind = array.dtype().kind();
    if (array.size() != 0 && kind != 'i' && kind != 'u')
      throw py::type_error(what + " must hold integers, got an array of dtype " +
                           std::string(py::str(array.dtype())));
    check_fits_int64(array, what);
    const auto values = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
    if (!values) throw py::error_already_set();
    out.assign(values.data(), values.data() + values.size());
    return out;
  }
  if (!py::isinstance<py::iterable>(obj))
    throw py::type_error(what + " must be a sequence of integers, got " + type_name(obj));
  std::size_t index = 0;
  for (py::handle item : py::reinterpret_borrow<py::iterable>(obj)) {
    if (PyBool_Check(item.ptr()))
      throw py::type_error(what + ": the element at index " + std::to_string(index) + " is a bool, not an integer");
    PyObject* integer = PyNumber_Index(item.ptr());
    if (integer == nullptr) {
      PyErr_Clear();
      throw py::type_error(what + ": the element at index " + std::to_string(index) +
                           " is not an integer (got " + type_name(item) + ")");
    }
    int overflow = 0;
    long long value = PyLong_AsLongLongAndOverflow(integer, &overflow);
    Py_DECREF(integer);
    if (overflow != 0)
      throw InputError(what + ": the element at index " + std::to_string(index) + ", " +
                       std::string(py::str(item)) + ", is out of range");
    out.push_back(value);
    ++index;
  }
  return out;
}

namespace {

// A permutation from 0-based images given as Python integers.
// \throws InputError with the wording of asen::algebra::check_bijection.
Permutation permutation_from_images(const std::vector<std::int64_t>& values) {
  const std::size_t n = values.size();
  std::vector<Point> images(n);
  for (std::size_t x = 0; x < n; ++x) {
    if (values[x] < 0 || static_cast<std::uint64_t>(values[x]) >= n)
      throw InputError("not a permutation: image " + std::to_string(values[x]) + " at index " +
                       std::to_string(x) + " is out of range, expected a value in [0, " + std::to_string(n) +
                       ")");
    images[x] = static_cast<Point>(values[x]);
  }
  return Permutation(std::move(images));
}

}  // namespace

// A Permutation, an image list (any integer sequence) or a string in cycle
// notation / image-list notation (parsed with `degree` when given).
Permutation to_permutation(py::handle obj, std::optional<std::size_t> degree) {
  if (py::isinstance<Permutation>(obj)) return obj.cast<Permutation>();
  if (py::isinstance<py::str>(obj)) {
    const auto text = obj.cast<std::string>();
    return Permutation::parse(text, degree);
  }
  return permutation_from_images(integer_list(obj, "a permutation's image list"));
}

// `p` as a permutation of n points, as GAP sees permutations (with no
// degree of their own): fixed points added or dropped; std::nullopt if p
// moves a point >= n (then it is in no group on n points).
std::optional<Permutation> on_points(const Permutation& p, std::size_t n) {
  if (p.degree() <= n) return p.extended(n);
  std::vector<Point> images(p.images().begin(), p.images().begin() + static_cast<std::ptrdiff_t>(n));
  for (std::size_t x = n; x < p.degree(); ++x)
    if (p.apply(static_cast<Point>(x)) != x) return std::nullopt;
  return Permutation(std::move(images));
}

// True if PermGroup::parse hands `spec` to a prefix resolver ("gap:<expr>",
// or a prefix registered by a later layer, which may call GAP too): the same
// test as PermGroup::parse's.
bool spec_has_prefix(const std::string& spec) {
  std::size_t k = spec.find_first_not_of(" \t\r\n");
  if (k == std::string::npos) return false;
  const std::size_t first = k;
  while (k < spec.size() && (std::isalnum(static_cast<unsigned char>(spec[k])) || spec[k] == '_')) ++k;
  return k > first && k < spec.size() && spec[k] == ':';
}

// Parses a group spec without the GIL, holding the GAP lock only for specs
// that may reach GAP (so parsing "S(5)" never waits for a long GAP call).
PermGroup parse_spec(const std::string& spec, std::optional<std::size_t> degree) {
  if (spec_has_prefix(spec)) return run_with_gap([&] { return PermGroup::parse(spec, degree); });
  return run_without_gil([&] { return PermGroup::parse(spec, degree); });
}

// A Group, or a group spec string (parsed, possibly by GAP).
PermGroup group_argument(py::handle obj, std::optional<std::int64_t> degree) {
  const std::optional<std::size_t> n = optional_checked_degree(degree);
  if (py::isinstance<PermGroup>(obj)) {
    const auto& g = obj.cast<const PermGroup&>();
    return n ? g.extended(*n) : g;
  }
  if (py::isinstance<py::str>(obj)) return parse_spec(obj.cast<std::string>(), n);
  throw py::type_error("expected a Group or a group spec string, got " + type_name(obj));
}

namespace {

// Reprs longer than this fall back to a short description.
constexpr std::size_t kMaxReprChars = 400;

Backend parse_backend(const std::string& name) {
  if (name == "native") return Backend::native;
  if (name == "gap") return Backend::gap;
  throw InputError("backend must be 'native' or 'gap', got '" + name + "'");
}

// Runs `f` without the GIL; with the GAP lock as well when GAP answers.
template <class F>
auto run_on(Backend backend, F&& f) {
  if (backend == Backend::gap) return run_with_gap(std::forward<F>(f));
  return run_without_gil(std::forward<F>(f));
}

PermGroup group_from_generators(py::handle generators, std::optional<std::size_t> degree) {
  if (py::isinstance<py::str>(generators))
    throw py::type_error(
        "Group(generators) takes a list of generators (Permutations, image lists or cycle strings), "
        "not a string; use Group.parse(spec) for a group spec such as '(1,2,3),(1,2)'");
  if (!py::isinstance<py::iterable>(generators))
    throw py::type_error("Group(generators) takes a list of generators, got " + type_name(generators));
  std::vector<Permutation> gens;
  std::size_t n = degree.value_or(0);
  for (py::handle item : py::reinterpret_borrow<py::iterable>(generators)) {
    Permutation p = to_permutation(item, std::nullopt);
    if (degree && p.degree() > *degree)
      throw InputError("generator " + std::to_string(gens.size()) + " has degree " +
                       std::to_string(p.degree()) + ", more than the given degree " +
                       std::to_string(*degree));
    n = std::max(n, p.degree());
    gens.push_back(std::move(p));
  }
  for (auto& g : gens) g = g.extended(n);
  return PermGroup(n, std::move(gens));
}

std::vector<Point> point_list(py::handle obj, std::size_t degree) {
  std::vector<Point> points;
  for (std::int64_t v : integer_list(obj, "points")) points.push_back(checked_point(v, degree));
  return points;
}

// An integer argument given as a Python object with __index__.
std::int64_t index_value(py::handle obj) {
  PyObject* integer = PyNumber_Index(obj.ptr());
  if (integer == nullptr) throw py::error_already_set();
  int overflow = 0;
  const long long value = PyLong_AsLongLongAndOverflow(integer, &overflow);
  Py_DECREF(integer);
  if (value == -1 && PyErr_Occurred()) throw py::error_already_set();
  if (overflow != 0) throw InputError("the integer " + std::string(py::str(obj)) + " is too large");
  return value;
}

std::uint64_t seed_from(py::handle obj) {
  PyObject* integer = PyNumber_Index(obj.ptr());
  if (integer == nullptr) throw py::error_already_set();
  const unsigned long long value = PyLong_AsUnsignedLongLongMask(integer);  // modulo 2^64
  Py_DECREF(integer);
  if (value == static_cast<unsigned long long>(-1) && PyErr_Occurred()) throw py::error_already_set();
  return value;
}

// A Python integer (anything with __index__) as an exact integer.
algebra::BigInt big_int_from(py::handle obj) {
  PyObject* integer = PyNumber_Index(obj.ptr());
  if (integer == nullptr) throw py::error_already_set();
  return from_python_int(py::reinterpret_steal<py::int_>(integer));
}

// p to the power k for any integer k: each cycle turns by k modulo its length.
Permutation power(const Permutation& p, const algebra::BigInt& k) {
  std::vector<Point> images(p.images().begin(), p.images().end());
  for (const auto& cycle : p.cycles()) {
    const algebra::BigInt length(cycle.size());
    algebra::BigInt r = k % length;
    if (r < 0) r += length;
    const auto shift = static_cast<std::size_t>(r);
    for (std::size_t i = 0; i < cycle.size(); ++i) images[cycle[i]] = cycle[(i + shift) % cycle.size()];
  }
  return Permutation(std::move(images));
}

// Membership with GAP's semantics for a permutation of another degree.
bool group_contains(const PermGroup& g, py::handle obj, Backend backend) {
  // Text is read at its own degree ('(1,4)' moves point 4: in no group on 3 points).
  const std::optional<std::size_t> degree =
      py::isinstance<py::str>(obj) ? std::nullopt : std::optional<std::size_t>(g.degree());
  const std::optional<Permutation> p = on_points(to_permutation(obj, degree), g.degree());
  if (!p) return false;
  return run_on(backend, [&] { return g.contains(*p, backend); });
}


py::object known_order_of(const PermGroup& g) {
  const std::optional<algebra::BigInt> order = g.known_order();
  if (!order) return py::none();
  return to_python_int(*order);
}

std::string python_string_literal(const std::string& text) { return py::repr(py::str(text)); }

std::string permutation_repr(const Permutation& p) {
  if (p.degree() <= 50) {
    std::string out = "Permutation([";
    for (std::size_t x = 0; x < p.degree(); ++x) {
      if (x != 0) out += ", ";
      out += std::to_string(p[static_cast<Point>(x)]);
    }
    return out + "])";
  }
  const std::string cycles = p.to_cycle_string();
  if (cycles.size() <= kMaxReprChars)
    return "Permutation.parse(" + python_string_literal(cycles) + ", degree=" + std::to_string(p.degree()) +
           ")";
  return "<Permutation of degree " + std::to_string(p.degree()) + " moving " +
         std::to_string(p.support_size()) + " points>";
}

std::string group_repr(const PermGroup& g) {
  const std::string cycles = g.to_cycle_string();
  if (cycles.size() <= kMaxReprChars)
    return "Group.parse(" + python_string_literal(cycles) + ", degree=" + std::to_string(g.degree()) + ")";
  return "<Group of degree " + std::to_string(g.degree()) + " with " + std::to_string(g.generators().size()) +
         " generators>";
}

algebra::OrbitalMethod parse_method(std::string name) {
  std::replace(name.begin(), name.end(), '_', '-');
  if (name == "auto" || name == "automatic") return algebra::OrbitalMethod::automatic;
  if (name == "stabilizer-chain") return algebra::OrbitalMethod::stabilizer_chain;
  if (name == "union-find") return algebra::OrbitalMethod::union_find;
  throw InputError("method must be 'auto', 'stabilizer-chain' or 'union-find', got '" + name + "'");
}

void bind_permutation(py::module_& m) {
  py::class_<Permutation> cls(m, "Permutation", R"doc(
A permutation of the points {0, ..., n-1}, stored as its 0-based image list.

Products follow GAP's convention: ``p * q`` applies p first and then q, so
``(p * q)(x) == q(p(x))``. ``str(p)`` is GAP's 1-based cycle notation, e.g.
``'(1,2,3)'`` for the permutation 0 -> 1 -> 2 -> 0.

Permutations are immutable, hashable and comparable (lexicographically by
image list), and can be pickled.
)doc");
  cls.attr("__module__") = "asen";
  cls.def(py::init([](py::handle images) {
            if (py::isinstance<py::str>(images))
              throw py::type_error(
                  "Permutation(images) takes a list of 0-based images; use Permutation.parse(text) for "
                  "cycle notation such as '(1,2,3)'");
            return to_permutation(images, std::nullopt);
          }),
          "images"_a, R"doc(
The permutation x -> images[x].

:param images: a sequence of 0-based images (list, tuple, 1-D integer numpy
    array), or another Permutation (copied).
:raises ValueError: if ``images`` is not a bijection of {0, ..., n-1}; the
    message names the offending index and value.
:raises TypeError: for a string (use :meth:`parse`) or non-integer elements.
)doc")
      .def_static(
          "parse",
          [](const std::string& text, std::optional<std::int64_t> degree) {
            return Permutation::parse(text, optional_checked_degree(degree));
          },
          "text"_a, "degree"_a = py::none(), R"doc(
Parses GAP cycle notation, 1-based (``'(1,2,3)(4,5)'``, ``'()'`` for the
identity), or a JSON list of 0-based images (``'[1,0,2]'``).

:param degree: the number of points; default: the largest point written
    (cycles) or the list's length (images).
:raises ValueError: with the parser's message, which names the offending token
    and its 0-based character position.
)doc")
      .def_static(
          "identity", [](std::int64_t n) { return Permutation(checked_degree(n, "n")); }, "n"_a,
          "The identity permutation on n points.")
      .def_property_readonly(
          "images", [](const Permutation& p) { return py::cast(p.images()); },
          "The image list (a new Python list): ``images[x]`` is the image of x.")
      .def_property_readonly("degree", &Permutation::degree, "The number of points acted on.")
      .def_property_readonly(
          "order", [](const Permutation& p) { return to_python_int(p.order()); },
          "The order (lcm of the cycle lengths), an exact Python int.")
      .def_property_readonly("sign", &Permutation::sign, "+1 for an even permutation, -1 for an odd one.")
      .def_property_readonly("support_size", &Permutation::support_size, "The number of points moved.")
      .def(
          "__call__",
          [](const Permutation& p, std::int64_t x) { return p.apply(checked_point(x, p.degree())); }, "x"_a,
          "The image of point x. Raises IndexError if x is not in [0, degree).")
      .def(
          "__mul__",
          [](const Permutation& p, const Permutation& q) {
            // As in GAP: the product acts on the larger of the two degrees.
            const std::size_t n = std::max(p.degree(), q.degree());
            return p.extended(n) * q.extended(n);
          },
          py::is_operator(),
          "The product in GAP's order: p first, then q, on the larger of the two degrees (the other is "
          "extended by fixed points, as GAP's permutations have no degree).")
      .def(
          "__pow__",
          [](const Permutation& p, py::int_ k) { return power(p, big_int_from(k)); }, py::is_operator(),
          "The k-th power, for any int k (negative: powers of the inverse).")
      .def("inverse", &Permutation::inverse, "The inverse permutation.")
      .def("is_identity", &Permutation::is_identity, "True for the identity.")
      .def("cycles", &Permutation::cycles,
           "The non-trivial cycles as lists of 0-based points, each starting at its smallest point, "
           "ordered by that point.")
      .def("to_cycle_string", &Permutation::to_cycle_string,
           "GAP cycle notation, 1-based: '(1,2,3)(4,5)', '()' for the identity. Same as str(p).")
      .def(
          "extended", [](const Permutation& p, std::int64_t n) { return p.extended(non_negative(n, "n")); },
          "n"_a, "The same permutation on n >= degree points (the new points are fixed).")
      .def(
          "__eq__", [](const Permutation& a, const Permutation& b) { return a == b; }, py::is_operator(),
          "Equal image lists (so permutations of different degrees differ).")
      .def(
          "__ne__", [](const Permutation& a, const Permutation& b) { return a != b; }, py::is_operator(),
          "Different image lists.")
      .def(
          "__lt__", [](const Permutation& a, const Permutation& b) { return a < b; }, py::is_operator(),
          "Lexicographic order of the image lists (GAP's order for equal degrees).")
      .def(
          "__hash__", [](const Permutation& p) { return std::hash<Permutation>()(p); },
          "A hash of the image list, consistent with ==.")
      .def("__str__", &Permutation::to_cycle_string, "GAP cycle notation, 1-based.")
      .def("__repr__", &permutation_repr, "An expression that recreates the permutation.")
      .def(
          "__reduce__",
          [](const py::object& self) {
            const auto& p = self.cast<const Permutation&>();
            return py::make_tuple(py::type::of(self), py::make_tuple(py::cast(p.images())));
          },
          "Pickle support: Permutation(images).");
}

void bind_group(py::module_& m) {
  py::class_<PermGroup> cls(m, "Group", R"doc(
A permutation group on the points {0, ..., n-1}, given by generators.

Questions are answered natively (a stabilizer chain, orbit algorithms) or by
GAP through libgap: every method that takes ``backend`` accepts ``"native"``
or ``"gap"`` (any other value raises ValueError). GAP starts once per process
on first use (about a second). Long computations release the GIL.

Group specs (:meth:`parse`) use one syntax for the CLI, Python and C++:
``'(1,2,3),(1,2)'`` (GAP cycles, 1-based), ``'[[1,0,2],[0,2,1]]'`` (0-based
image lists), ``'S(n)'``, ``'A(n)'``, ``'C(n)'``, ``'D(n)'`` (dihedral on n
points, order 2n), ``'trivial(n)'``, ``'mirror(n)'``, ``'X*Y'`` (direct
product on disjoint points), ``'wreath(X,Y)'``, ``'gap:<expr>'``,
``'graph:<file>'`` (the automorphism group of a graph file, see asen.Graph).

Groups are immutable and can be pickled.
)doc");
  cls.attr("__module__") = "asen";
  // `degree` as a handle: GCC warns (wrongly, -Wmaybe-uninitialized) about
  // pybind11's optional caster in this three-argument factory.
  cls.def(py::init([](py::handle generators, py::handle degree, py::handle known_order) {
            std::optional<std::size_t> n;
            if (!degree.is_none()) n = checked_degree(index_value(degree));
            PermGroup g = group_from_generators(generators, n);
            if (known_order.is_none()) return g;
            std::optional<algebra::BigInt> order = big_int_from(known_order);
            return PermGroup(g.degree(), g.generators(), order);
          }),
          "generators"_a, "degree"_a = py::none(), "known_order"_a = py::none(), R"doc(
The group generated by ``generators``.

:param generators: a list whose items are Permutations, 0-based image lists,
    or strings in GAP cycle notation (``'(1,2,3)'``) or image-list notation.
:param degree: the number of points; default: the largest generator degree.
    Generators of smaller degree are extended by fixed points.
:param known_order: the group order, when known in advance: the native
    stabilizer chain stops its random phase there, and Sims' test checks it
    where affordable (an estimated 3e8 steps), so a wrong value makes order
    computations raise asen.Error (a RuntimeError); beyond that it is believed.
:raises ValueError: for an invalid generator, a generator of larger degree
    than ``degree``, or a known order below 1.
)doc")
      .def_static(
          "parse",
          [](const std::string& spec, std::optional<std::int64_t> degree) {
            return parse_spec(spec, optional_checked_degree(degree));
          },
          "spec"_a, "degree"_a = py::none(), R"doc(
Parses a group spec (see the class documentation).

:param degree: when given, at least the spec's own degree; extra points are
    fixed.
:raises ValueError: with the parser's message saying what is wrong and where
    (asen.GapError, a ValueError, with GAP's message for ``gap:`` specs).
)doc")
      .def_static(
          "from_gap",
          [](const std::string& expression, std::optional<std::int64_t> degree) {
            const auto n = optional_checked_degree(degree);
            return run_with_gap([&] { return PermGroup::from_gap(expression, n); });
          },
          "expression"_a, "degree"_a = py::none(),
          "The group a GAP expression evaluates to (same as Group.parse('gap:' + expression)). "
          "Raises asen.GapError (a ValueError) with GAP's message.")
      .def_static(
          "symmetric", [](std::int64_t n) { return PermGroup::symmetric(non_negative(n, "n")); }, "n"_a,
          "The symmetric group S(n) (known order n!). Raises ValueError for n == 0.")
      .def_static(
          "alternating", [](std::int64_t n) { return PermGroup::alternating(non_negative(n, "n")); }, "n"_a,
          "The alternating group A(n). Raises ValueError for n == 0.")
      .def_static(
          "cyclic", [](std::int64_t n) { return PermGroup::cyclic(non_negative(n, "n")); }, "n"_a,
          "The cyclic group C(n) of rotations i -> i+1 mod n. Raises ValueError for n == 0.")
      .def_static(
          "dihedral", [](std::int64_t n) { return PermGroup::dihedral(non_negative(n, "n")); }, "n"_a,
          "The dihedral group D(n) on n points, of order 2n (rotation and reflection). Raises ValueError "
          "for n < 3 (use S(2)).")
      .def_static(
          "trivial", [](std::int64_t n) { return PermGroup::trivial(non_negative(n, "n")); }, "n"_a,
          "The trivial group on n points. Raises ValueError for n == 0.")
      .def_static(
          "mirror", [](std::int64_t n) { return PermGroup::mirror(non_negative(n, "n")); }, "n"_a,
          "The group generated by the reversal i -> n-1-i (order 2 for n >= 2).")
      .def_static("direct_product", &PermGroup::direct_product, "x"_a, "y"_a,
                  "X x Y acting on disjoint points, X's points first.")
      .def_static("wreath_product", &PermGroup::wreath_product, "x"_a, "y"_a,
                  "The imprimitive wreath product X wr Y on deg(X)*deg(Y) points: point c*deg(X) + p is "
                  "point p of copy c, and Y permutes the copies.")
      .def_property_readonly("degree", &PermGroup::degree, "The number of points acted on.")
      .def_property_readonly(
          "generators", [](const PermGroup& g) { return py::cast(g.generators()); },
          "The generators, a new list of Permutations.")
      .def_property_readonly(
          "known_order", &known_order_of,
          "The order given at construction (named groups, products of them, GAP groups whose size GAP "
          "knew), or None.")
      .def_property_readonly(
          "order",
          [](const PermGroup& g) {
            return to_python_int(run_without_gil([&] { return g.order(Backend::native); }));
          },
          R"doc(
The exact order, a Python int: a known order (named groups), n! or n!/2
for a group shown to contain A_n, or from the native stabilizer chain (built
on first use and cached). See :attr:`order_proof` for how it is proven, and
:meth:`compute_order` to ask GAP.
)doc")
      .def_property_readonly(
          "order_proof",
          [](const PermGroup& g) {
            return std::string(algebra::to_string(run_without_gil([&] { return g.order_proof(); })));
          },
          R"doc(
How :attr:`order` is proven: ``"known-order"`` (an order known in advance,
or the chain reached it), ``"jordan"`` (no chain: the group is transitive and
one of its elements has a cycle of prime length p, n/2 < p <= n - 3, so it is
primitive and, by Jordan's theorem, contains A_n), ``"upper-bound"``
(it reached a proven bound from the orbits, a block system and parity),
``"deterministic"`` (Sims' test) or ``"monte-carlo"`` (error probability at
most 2^-64).
)doc")
      .def(
          "compute_order",
          [](const PermGroup& g, const std::string& backend) {
            const Backend b = parse_backend(backend);
            return to_python_int(run_on(b, [&] { return g.order(b); }));
          },
          "backend"_a = "native", "The exact order from the given backend, a Python int.")
      .def(
          "orbits",
          [](const PermGroup& g, const std::string& backend) {
            const Backend b = parse_backend(backend);
            return run_on(b, [&] { return g.orbits(b); });
          },
          "backend"_a = "native", "The orbits on points: a list of sorted lists, ordered by smallest point.")
      .def(
          "orbit", [](const PermGroup& g, std::int64_t p) { return g.orbit(checked_point(p, g.degree())); },
          "p"_a, "The orbit of point p, sorted. Raises IndexError for a point outside [0, degree).")
      .def(
          "stabilizer",
          [](const PermGroup& g, std::int64_t p, const std::string& backend) {
            const Backend b = parse_backend(backend);
            const Point point = checked_point(p, g.degree());
            return run_on(b, [&] { return g.stabilizer(point, b); });
          },
          "p"_a, "backend"_a = "native",
          "The stabilizer of point p (a Group of the same degree). Raises IndexError for a bad point.")
      .def(
          "pointwise_stabilizer",
          [](const PermGroup& g, py::handle points, const std::string& backend) {
            const Backend b = parse_backend(backend);
            const auto set = point_list(points, g.degree());
            return run_on(b, [&] { return g.pointwise_stabilizer(set, b); });
          },
          "points"_a, "backend"_a = "native", "The subgroup fixing every point of ``points``.")
      .def(
          "setwise_stabilizer",
          [](const PermGroup& g, py::handle points, const std::string& backend) {
            const Backend b = parse_backend(backend);
            const auto set = point_list(points, g.degree());
            return run_on(b, [&] { return g.setwise_stabilizer(set, b); });
          },
          "points"_a, "backend"_a = "gap",
          "The subgroup mapping the set ``points`` to itself. A backtrack search that asen leaves to GAP: "
          "backend='native' raises ValueError.")
      .def(
          "contains",
          [](const PermGroup& g, py::handle p, const std::string& backend) {
            return group_contains(g, p, parse_backend(backend));
          },
          "p"_a, "backend"_a = "native", R"doc(
Membership of p: a Permutation, an image list, or a string (cycle notation is
read with the group's degree). As in GAP, a permutation of another degree is
the same permutation with fixed points added or dropped: one that moves a
point outside the group's degree is in no such group (False).
)doc")
      .def(
          "__contains__",
          [](const PermGroup& g, py::handle p) { return group_contains(g, p, Backend::native); },
          "p"_a, "``p in G``: membership (native), as :meth:`contains`.")
      .def(
          "is_transitive",
          [](const PermGroup& g, const std::string& backend) {
            const Backend b = parse_backend(backend);
            return run_on(b, [&] { return g.is_transitive(b); });
          },
          "backend"_a = "native", "True if there is one orbit on the points (true for degree 0).")
      .def(
          "is_primitive",
          [](const PermGroup& g, const std::string& backend) {
            const Backend b = parse_backend(backend);
            return run_on(b, [&] { return g.is_primitive(b); });
          },
          "backend"_a = "native", "True if transitive with no non-trivial block system.")
      .def(
          "small_generating_set",
          [](const PermGroup& g, const std::string& backend) {
            const Backend b = parse_backend(backend);
            return run_on(b, [&] { return g.small_generating_set(b); });
          },
          "backend"_a = "native",
          "The same group given by few generators (natively: random elements, proven to generate).")
      .def(
          "random_elements",
          [](const PermGroup& g, std::int64_t count, py::handle seed, const std::string& backend) {
            const Backend b = parse_backend(backend);
            const std::size_t k = non_negative(count, "count");
            const std::uint64_t s = seed_from(seed);
            return run_on(b, [&] { return g.random_elements(k, s, b); });
          },
          "count"_a, "seed"_a = 0, "backend"_a = "native", R"doc(
``count`` random elements, reproducible from ``seed`` (taken modulo 2^64).
Native: uniform, from the stabilizer chain; GAP: from a seeded random source.
)doc")
      .def(
          "elements",
          [](const PermGroup& g, std::int64_t limit, const std::string& backend) {
            const Backend b = parse_backend(backend);
            const std::size_t l = non_negative(limit, "limit");
            return run_on(b, [&] { return g.elements(l, b); });
          },
          "limit"_a = 1000000, "backend"_a = "native", R"doc(
Every element, sorted (lexicographically by image list).

:raises ValueError: (asen.LimitError) if the group has more than ``limit``
    elements; checked before listing.
)doc")
      .def(
          "extended", [](const PermGroup& g, std::int64_t n) { return g.extended(non_negative(n, "n")); },
          "n"_a, "The same group on n >= degree points (the new points are fixed).")
      .def("to_gap", &PermGroup::to_gap, "The GAP expression Group([...], ()) for this group (1-based).")
      .def("to_cycle_string", &PermGroup::to_cycle_string,
           "The generators in GAP cycle notation, comma-separated ('()' if there are none).")
      .def("__str__", &PermGroup::to_cycle_string, "The generators in GAP cycle notation.")
      .def("__repr__", &group_repr, "An expression that recreates the group.")
      .def(
          "__eq__",
          [](const PermGroup& a, const py::object& other) -> py::object {
            if (!py::isinstance<PermGroup>(other)) return py::reinterpret_borrow<py::object>(Py_NotImplemented);
            const auto& b = other.cast<const PermGroup&>();
            if (a.degree() != b.degree()) return py::bool_(false);
            // Equal as sets of permutations (GAP's =): the same order, and
            // every generator of one is in the other.
            return py::bool_(run_without_gil([&] {
              if (a.order() != b.order()) return false;
              return std::all_of(a.generators().begin(), a.generators().end(),
                                 [&](const Permutation& g) { return b.contains(g); });
            }));
          },
          py::is_operator(),
          "Equality as sets of permutations, as GAP's ``=`` (computes orders), but on the same points: groups "
          "of different degrees differ (GAP, whose permutations ignore fixed points, calls S(4) and S(4) "
          "on 5 points equal).")
      .def(
          "__hash__",
          [](const PermGroup& g) {
            const std::string order = run_without_gil([&] { return algebra::to_decimal(g.order()); });
            return std::hash<std::string>()(std::to_string(g.degree()) + ":" + order);
          },
          "A hash consistent with ``==``: from the degree and the order.")
      .def(
          "__reduce__",
          [](const py::object& self) {
            const auto& g = self.cast<const PermGroup&>();
            py::list gens;
            for (const auto& p : g.generators()) gens.append(py::cast(p.images()));
            return py::make_tuple(py::type::of(self), py::make_tuple(gens, g.degree(), known_order_of(g)));
          },
          "Pickle support: Group(generator image lists, degree, known_order).");
}

py::array_t<std::int64_t> info_column(const Orbitals& o, std::int64_t (*field)(const algebra::OrbitalInfo&)) {
  std::vector<std::int64_t> values;
  values.reserve(o.rank());
  for (const auto& info : o.orbitals()) values.push_back(field(info));
  return read_only(to_numpy(std::move(values)));
}

py::array_t<bool> info_flag(const Orbitals& o, bool (*field)(const algebra::OrbitalInfo&)) {
  py::array_t<bool> out(static_cast<py::ssize_t>(o.rank()));
  auto w = out.mutable_unchecked<1>();
  for (std::size_t k = 0; k < o.rank(); ++k) w(static_cast<py::ssize_t>(k)) = field(o.orbitals()[k]);
  return read_only(out);
}

void bind_orbitals(py::module_& m) {
  // dynamic_attr: asen.orbitals records what it was computed from (_source),
  // for pickling.
  py::class_<Orbitals> cls(m, "Orbitals", py::dynamic_attr(), R"doc(
The orbitals of a permutation group: its orbits on ordered pairs (i, j) of
points, made by :func:`asen.orbitals`.

Colours (orbital ids) are numbered canonically: by the first appearance of a
pair in row-major order, so two computations for the same group give the same
matrix whatever the generators. The per-orbital arrays (``representatives``,
``sizes``, ``paired``, ``diagonal``, ``self_paired``) are indexed by colour.
They can be pickled and copied: a pickle holds the group and the options, and
unpickling computes the same orbitals again.
)doc");
  cls.attr("__module__") = "asen";
  cls.def_property_readonly("degree", &Orbitals::degree, "The number of points n.")
      .def_property_readonly("rank", &Orbitals::rank,
                             "The number of orbitals (the rank, for a transitive group).")
      .def_property_readonly("is_dense", &Orbitals::is_dense, "True if the n x n colour matrix was built.")
      .def_property_readonly(
          "colors",
          [](const py::object& self) {
            const auto& o = self.cast<const Orbitals&>();
            if (!o.is_dense())
              throw InputError(
                  "the colour matrix was not built (orbitals(..., dense=False)); use color(i, j) or "
                  "colors_of(pairs)");
            const auto n = static_cast<py::ssize_t>(o.degree());
            const auto item = static_cast<py::ssize_t>(sizeof(std::int32_t));
            // No copy: the array views the C++ matrix and keeps this Orbitals
            // object alive through its base.
            py::array_t<std::int32_t> view({n, n}, {n * item, item}, o.colors().data(), self);
            return read_only(view);
          },
          R"doc(
The n x n colour matrix (numpy int32, read-only): ``colors[i, j]`` is the
orbital of the pair (i, j). It shares memory with this object (no copy), and
keeps the object alive as long as the array lives.

:raises ValueError: if the orbitals were computed with ``dense=False``.
)doc")
      .def_property_readonly(
          "representatives",
          [](const Orbitals& o) {
            py::array_t<std::int64_t> out({static_cast<py::ssize_t>(o.rank()), py::ssize_t{2}});
            auto w = out.mutable_unchecked<2>();
            for (std::size_t k = 0; k < o.rank(); ++k) {
              const auto r = static_cast<py::ssize_t>(k);
              w(r, 0) = o.orbitals()[k].rep_i;
              w(r, 1) = o.orbitals()[k].rep_j;
            }
            return read_only(out);
          },
          "The first pair (i, j) of each orbital in row-major order: an int64 array of shape (rank, 2).")
      .def_property_readonly(
          "sizes",
          [](const Orbitals& o) {
            return info_column(
                o, [](const algebra::OrbitalInfo& i) { return static_cast<std::int64_t>(i.size); });
          },
          "The number of pairs in each orbital (int64; they sum to n*n).")
      .def_property_readonly(
          "paired",
          [](const Orbitals& o) {
            return info_column(
                o, [](const algebra::OrbitalInfo& i) { return static_cast<std::int64_t>(i.paired); });
          },
          "The orbital of the reversed pairs (j, i) of each orbital (int64).")
      .def_property_readonly(
          "diagonal",
          [](const Orbitals& o) {
            return info_flag(o, [](const algebra::OrbitalInfo& i) { return i.diagonal; });
          },
          "True for the orbitals of pairs (i, i) (bool array).")
      .def_property_readonly(
          "self_paired",
          [](const Orbitals& o) {
            return info_flag(o, [](const algebra::OrbitalInfo& i) { return i.self_paired; });
          },
          "True for the orbitals equal to their paired orbital (bool array).")
      .def(
          "color",
          [](const Orbitals& o, std::int64_t i, std::int64_t j) {
            const std::int64_t n = static_cast<std::int64_t>(o.degree());
            if (i < 0 || j < 0 || i >= n || j >= n)
              throw std::out_of_range("pair (" + std::to_string(i) + ", " + std::to_string(j) +
                                      ") is out of range, expected points in [0, " + std::to_string(n) + ")");
            return o.color(static_cast<Point>(i), static_cast<Point>(j));
          },
          "i"_a, "j"_a, "The colour of the pair (i, j). Raises IndexError for a point outside [0, n).")
      .def(
          "colors_of",
          [](const Orbitals& o, const py::object& pairs) {
            const py::array array = py::module_::import("numpy").attr("asarray")(pairs);
            if (array.size() == 0) return to_numpy(std::vector<std::int32_t>{});
            if (array.ndim() != 2 || array.shape(1) != 2) {
              std::string shape;
              for (py::ssize_t d = 0; d < array.ndim(); ++d)
                shape += (d ? ", " : "") + std::to_string(array.shape(d));
              throw InputError("pairs must have shape (k, 2), got shape (" + shape +
                               (array.ndim() == 1 ? ",)" : ")"));
            }
            const char kind = array.dtype().kind();
            if (kind != 'i' && kind != 'u')
              throw py::type_error("pairs must hold integers, got dtype " +
                                   std::string(py::str(array.dtype())));
            check_fits_int64(array, "pairs");
            const auto values =
                py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
            if (!values) throw py::error_already_set();
            const auto r = values.unchecked<2>();
            const auto n = static_cast<std::int64_t>(o.degree());
            std::vector<std::pair<Point, Point>> list(static_cast<std::size_t>(r.shape(0)));
            for (py::ssize_t k = 0; k < r.shape(0); ++k) {
              const std::int64_t i = r(k, 0);
              const std::int64_t j = r(k, 1);
              if (i < 0 || j < 0 || i >= n || j >= n)
                throw std::out_of_range("pair (" + std::to_string(i) + ", " + std::to_string(j) +
                                        ") at index " + std::to_string(k) +
                                        " is out of range, expected points in [0, " + std::to_string(n) +
                                        ")");
              list[static_cast<std::size_t>(k)] = {static_cast<Point>(i), static_cast<Point>(j)};
            }
            return to_numpy(run_without_gil([&] { return o.colors_of(list); }));
          },
          "pairs"_a, R"doc(
The colours of many pairs: ``pairs`` is a sequence of (i, j) pairs or an
integer array of shape (k, 2); returns an int32 array of length k. Works
without the dense matrix (``dense=False``), computing each colour.

:raises IndexError: for a point outside [0, n).
:raises ValueError: for another shape.
)doc")
      .def(
          "diagonal_colors", [](const Orbitals& o) { return to_numpy(o.diagonal_colors()); },
          "The colour of each diagonal pair (i, i), an int32 array of length n: the orbit colouring.")
      .def(
          "__reduce__",
          [](const py::object& self) {
            if (!py::hasattr(self, "_source"))
              throw py::type_error("these Orbitals do not record the group they were computed from");
            return py::make_tuple(py::module_::import("asen").attr("orbitals"), self.attr("_source"));
          },
          "Pickle support: asen.orbitals(group, method, dense, memory_limit_mb), computed again.")
      .def(
          "__repr__",
          [](const Orbitals& o) {
            return "<Orbitals of degree " + std::to_string(o.degree()) + ", rank " +
                   std::to_string(o.rank()) + (o.is_dense() ? ", dense>" : ", implicit>");
          },
          "A short description: degree, rank, dense or implicit.");

  m.def(
      "orbitals",
      [](const py::object& group, const std::string& method, bool dense,
         std::optional<std::int64_t> memory_limit_mb, std::optional<std::int64_t> degree) {
        algebra::OrbitalOptions options;
        options.method = parse_method(method);
        options.dense = dense;
        if (memory_limit_mb) options.memory_limit_bytes = memory_limit_mb_bytes(*memory_limit_mb);
        const PermGroup g = group_argument(group, degree);
        py::object out = py::cast(run_without_gil([&] { return Orbitals::compute(g, options); }));
        py::setattr(out, "_source", py::make_tuple(g, method, dense, memory_limit_mb));
        return out;
      },
      "group"_a, "method"_a = "auto", "dense"_a = true, "memory_limit_mb"_a = py::none(), py::kw_only(),
      "degree"_a = py::none(), R"doc(
The orbitals of a group (its orbits on ordered pairs of points), computed
natively without GAP; the GIL is released meanwhile.

:param group: a Group or a group spec string.
:param method: ``"auto"`` (the stabilizer-chain method), ``"stabilizer-chain"``
    or ``"union-find"`` (over the n*n pairs; dense only). All give the same
    colours.
:param dense: build the n x n matrix (``.colors``). Without it, colours are
    computed per pair (``color``, ``colors_of``).
:param memory_limit_mb: the largest memory for the matrix (and union-find's
    work array), in MiB; default 4096. Checked before allocating.
:param degree: the group on this many points, its extra points fixed (as
    ``asen orbitals --degree``); at least the group's own degree.
:raises ValueError: (asen.LimitError) above the memory limit; for a bad method
    or degree.
)doc");
}

void bind_gap(py::module_& m) {
  m.def(
      "gap_evaluate",
      [](const std::string& code) { return run_with_gap([&] { return algebra::gap::evaluate(code); }); },
      "code"_a, R"doc(
Evaluates GAP code whose last statement yields a string, and returns that
string: ``gap_evaluate('String(Size(SymmetricGroup(5)))') == '120'``.
GAP starts on first use (about a second); calls are serialised and release
the GIL.

:raises ValueError: (asen.GapError) with GAP's error message; the session
    stays usable.
:raises RuntimeError: (asen.Error) if GAP cannot start.
)doc");
  m.def(
      "configure_gap",
      [](std::optional<std::string> root, std::optional<std::int64_t> memory_limit_mb) {
        algebra::gap::Settings settings;
        settings.root = root.value_or("");
        if (memory_limit_mb) {
          if (*memory_limit_mb <= 0)
            throw InputError("memory_limit_mb must be positive, got " + std::to_string(*memory_limit_mb));
          settings.memory_limit_mb = static_cast<std::size_t>(*memory_limit_mb);
        }
        run_with_gap([&] {
          algebra::gap::configure(settings);
          return 0;
        });
      },
      "root"_a = py::none(), "memory_limit_mb"_a = py::none(), R"doc(
Sets how GAP will be started; has effect only before the first GAP call.

:param root: GAP's root directory (holds lib/init.g); default: the environment
    variable ASEN_GAP_ROOT, else the root found when asen was built.
:param memory_limit_mb: GAP's workspace limit in MiB; default: the environment
    variable ASEN_GAP_MEMORY_MB, else 4096.
:raises RuntimeError: (asen.Error) if GAP is already running with other
    settings.
)doc");
  m.def("gap_is_running", &algebra::gap::is_running, "True once GAP has been started in this process.");
  m.def("gap_root", &algebra::gap::root, "The GAP root directory that is (or will be) used.");
}

}  // namespace

void init_algebra(py::module_& m) {
  bind_permutation(m);
  bind_group(m);
  bind_orbitals(m);
  bind_gap(m);
}

}  // namespace asen::python
