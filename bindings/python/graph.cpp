// Python bindings of the graph layer (asen::graph): users' graphs (Graph),
// automorphism groups of graphs (nauty/Traces), certified 2-closures
// (Certificate), orbital graphs, canonical hashes, and the arrays of breaking
// inputs (wrapped by the pure-Python asen.breaking_input).
//
// Searches, file reading and orbital computations run without the GIL. They
// only touch C++ copies or objects that Python code cannot change (Graph,
// Group and Orbitals are immutable from Python), and the calling frame keeps
// those arguments alive while the GIL is released. certify(cross_check=True)
// asks GAP, so it also holds the GAP lock (common.hpp).

#include <asen/algebra/orbitals.hpp>
#include <asen/algebra/perm_group.hpp>
#include <asen/algebra/permutation.hpp>
#include <asen/error.hpp>
#include <asen/graph/automorphisms.hpp>
#include <asen/graph/base_graph.hpp>
#include <asen/graph/breaking_input.hpp>
#include <asen/graph/certificate.hpp>
#include <asen/graph/colored_digraph.hpp>
#include <asen/graph/orbital_graphs.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common.hpp"

namespace asen::python {
namespace {

using algebra::Orbitals;
using algebra::PermGroup;
using algebra::Permutation;
using algebra::Point;
using graph::AutomorphismGroup;
using graph::BaseGraph;
using graph::Certificate;
using namespace pybind11::literals;

// Reprs list the edges of graphs up to this size.
constexpr std::size_t kMaxReprEdges = 20;
// The largest vertex colour id: ColoredDigraph::from_base_graph doubles the
// colours (to mark loops) in 32-bit integers.
constexpr std::int64_t kMaxVertexColor = (std::int64_t{1} << 30) - 1;
// The default memory limit, as for orbitals() (algebra::OrbitalOptions).
constexpr std::size_t kDefaultMemoryLimitMb = 4096;

std::size_t memory_limit_bytes(std::optional<std::int64_t> memory_limit_mb) {
  const std::size_t mb =
      memory_limit_mb ? non_negative(*memory_limit_mb, "memory_limit_mb") : kDefaultMemoryLimitMb;
  if (mb == 0) throw InputError("memory_limit_mb must be at least 1 (MiB), got 0");
  if (mb > (SIZE_MAX >> 20U)) throw InputError("memory_limit_mb is too large");
  return mb << 20U;
}

algebra::OrbitalOptions orbital_options(std::optional<std::int64_t> memory_limit_mb, bool dense = true) {
  algebra::OrbitalOptions options;
  options.dense = dense;
  options.memory_limit_bytes = memory_limit_bytes(memory_limit_mb);
  return options;
}

// A file-system path: a str, or an os.PathLike / bytes (through os.fspath and
// os.fsdecode). std::nullopt for anything else.
std::optional<std::string> path_argument(py::handle obj) {
  if (py::isinstance<py::str>(obj)) return checked_path(obj.cast<std::string>(), "the path");
  if (py::isinstance<py::bytes>(obj) || py::hasattr(obj, "__fspath__")) {
    const py::module_ os = py::module_::import("os");
    return checked_path(os.attr("fsdecode")(os.attr("fspath")(obj)).cast<std::string>(), "the path");
  }
  return std::nullopt;
}

// A graph argument: an asen.Graph (borrowed: the caller's frame keeps it
// alive) or the path of a graph file, read on first get(). Construct with the
// GIL held; get() may run without it.
class GraphArgument {
 public:
  GraphArgument(py::handle obj, const std::string& what) {
    if (py::isinstance<BaseGraph>(obj)) {
      borrowed_ = &obj.cast<const BaseGraph&>();
      return;
    }
    if (auto path = path_argument(obj)) {
      path_ = std::move(*path);
      return;
    }
    throw py::type_error(what + " must be an asen.Graph or the path of a graph file, got " + type_name(obj));
  }
  const BaseGraph& get() {
    if (borrowed_ != nullptr) return *borrowed_;
    if (!owned_) owned_ = BaseGraph::read(path_);
    return *owned_;
  }

 private:
  const BaseGraph* borrowed_ = nullptr;
  std::string path_;
  std::optional<BaseGraph> owned_;
};

std::string shape_text(const py::array& array) {
  std::string out = "(";
  for (py::ssize_t d = 0; d < array.ndim(); ++d) out += (d ? ", " : "") + std::to_string(array.shape(d));
  return out + (array.ndim() == 1 ? ",)" : ")");
}

// Edges from a sequence of (u, v) pairs or an integer array of shape (E, 2).
std::vector<std::pair<Point, Point>> edge_list(py::handle edges, std::size_t n) {
  if (py::isinstance<py::str>(edges) || py::isinstance<py::bytes>(edges))
    throw py::type_error("edges must be a list of (u, v) pairs or an array of shape (E, 2), not a string");
  // Arrays (numpy, torch, anything with __array__) and sequences go to
  // numpy.asarray as they are; other iterables (generators) become a list.
  py::object items = py::reinterpret_borrow<py::object>(edges);
  if (!py::hasattr(edges, "__array__") && !py::isinstance<py::sequence>(edges) &&
      py::isinstance<py::iterable>(edges))
    items = py::list(items);
  const py::array array = py::module_::import("numpy").attr("asarray")(items);
  if (array.ndim() == 0)
    throw py::type_error("edges must be a list of (u, v) pairs or an array of shape (E, 2), got " +
                         type_name(edges));
  if (array.size() == 0) return {};
  if (array.ndim() != 2 || array.shape(1) != 2)
    throw InputError("edges must be a list of (u, v) pairs or an array of shape (E, 2), got shape " +
                     shape_text(array));
  const char kind = array.dtype().kind();
  if (kind != 'i' && kind != 'u')
    throw py::type_error("edges must hold integer vertex ids, got dtype " +
                         std::string(py::str(array.dtype())));
  // Unsigned ids above 2^63 - 1 would wrap around in int64: refused as they are.
  if (kind == 'u' && array.size() > 0) {
    const py::object largest = array.attr("max")();
    if (largest.cast<std::uint64_t>() >= static_cast<std::uint64_t>(n))
      throw InputError("edges hold the vertex id " + std::string(py::str(largest)) + ", expected ids in [0, " +
                       std::to_string(n) + ")");
  }
  const auto values = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(array);
  if (!values) throw py::error_already_set();
  const auto r = values.unchecked<2>();
  std::vector<std::pair<Point, Point>> out(static_cast<std::size_t>(r.shape(0)));
  const auto limit = static_cast<std::int64_t>(n);
  for (py::ssize_t k = 0; k < r.shape(0); ++k) {
    const std::int64_t u = r(k, 0);
    const std::int64_t v = r(k, 1);
    if (u < 0 || v < 0 || u >= limit || v >= limit)
      throw InputError("edge " + std::to_string(k) + " (" + std::to_string(u) + ", " + std::to_string(v) +
                       ") has a vertex out of range, expected ids in [0, " + std::to_string(n) + ")");
    out[static_cast<std::size_t>(k)] = {static_cast<Point>(u), static_cast<Point>(v)};
  }
  return out;
}

// Vertex colours: None (all alike), integer ids in [0, 2^30), or names (str),
// numbered by their sorted order as in graph files.
// The colour ids of `colors`; names given as strings are numbered by sorted
// order and stored in `names`.
std::vector<std::int32_t> vertex_color_list(py::handle colors, std::vector<std::string>& names) {
  if (colors.is_none()) return {};
  if (py::isinstance<py::str>(colors) || py::isinstance<py::bytes>(colors))
    throw py::type_error("vertex_colors must be a sequence (one colour per vertex), not a string");
  // Holds the list made from an iterable while integer_list reads it.
  py::object values = py::reinterpret_borrow<py::object>(colors);
  if (!py::isinstance<py::array>(colors) && py::isinstance<py::iterable>(colors)) {
    const py::list items = values;
    std::size_t strings = 0;
    for (py::handle item : items) strings += py::isinstance<py::str>(item) ? 1 : 0;
    if (strings != 0) {
      if (strings != items.size())
        throw py::type_error("vertex_colors must be all integers or all strings (colour names)");
      std::map<std::string, std::int32_t> id;
      for (py::handle item : items) id.emplace(item.cast<std::string>(), 0);
      std::int32_t next = 0;
      for (auto& entry : id) {
        entry.second = next++;
        names.push_back(entry.first);
      }
      std::vector<std::int32_t> out;
      out.reserve(items.size());
      for (py::handle item : items) out.push_back(id.at(item.cast<std::string>()));
      return out;
    }
    values = items;
  }
  std::vector<std::int32_t> out;
  std::size_t v = 0;
  for (const std::int64_t c : integer_list(values, "vertex_colors")) {
    if (c < 0 || c > kMaxVertexColor)
      throw InputError("the colour " + std::to_string(c) + " of vertex " + std::to_string(v) +
                       " is out of range, expected a value in [0, " + std::to_string(kMaxVertexColor + 1) +
                       ")");
    out.push_back(static_cast<std::int32_t>(c));
    ++v;
  }
  return out;
}

BaseGraph make_graph(std::int64_t num_vertices, py::handle edges, bool directed, py::handle vertex_colors) {
  const std::size_t n = non_negative(num_vertices, "num_vertices");
  constexpr std::size_t kMaxVertices = std::size_t{1} << 24U;  // as graph files and degrees
  if (n > kMaxVertices)
    throw InputError("num_vertices must be at most " + std::to_string(kMaxVertices) + ", got " + std::to_string(n));
  auto list = edge_list(edges, n);
  std::vector<std::string> color_names;
  auto colors = vertex_color_list(vertex_colors, color_names);
  return run_without_gil([&] {
    BaseGraph g(n, list, directed, std::move(colors));
    return color_names.empty() ? g : g.with_names({}, std::move(color_names));
  });
}

py::array_t<std::int64_t> pair_array(const std::vector<std::pair<Point, Point>>& pairs) {
  std::vector<std::int64_t> flat;
  flat.reserve(2 * pairs.size());
  for (const auto& [u, v] : pairs) {
    flat.push_back(u);
    flat.push_back(v);
  }
  return to_numpy(std::move(flat), {static_cast<py::ssize_t>(pairs.size()), py::ssize_t{2}});
}

std::string graph_repr(const BaseGraph& g) {
  const auto colors = g.vertex_colors();
  if (g.num_edges() > kMaxReprEdges || g.num_vertices() > 50)
    return "<Graph with " + std::to_string(g.num_vertices()) + " vertices and " +
           std::to_string(g.num_edges()) + (g.directed() ? " arcs, directed" : " edges, undirected") +
           (g.has_vertex_colors() ? ", vertex-coloured>" : ">");
  std::string out = "Graph(" + std::to_string(g.num_vertices()) + ", [";
  bool first = true;
  for (const auto& [u, v] : g.edges()) {
    out += (first ? "(" : ", (") + std::to_string(u) + ", " + std::to_string(v) + ")";
    first = false;
  }
  out += "]";
  if (g.directed()) out += ", directed=True";
  if (g.has_vertex_colors()) {
    // Colours given as names are shown as names (ids would recreate another
    // graph: one whose colour_names are empty).
    const auto& names = g.color_names();
    out += ", vertex_colors=[";
    for (std::size_t v = 0; v < colors.size(); ++v) {
      const auto c = static_cast<std::size_t>(colors[v]);
      out += (v ? ", " : "") + (c < names.size() ? std::string(py::repr(py::str(names[c]))) : std::to_string(c));
    }
    out += "]";
  }
  return out + ")";
}

py::list permutation_list(const std::vector<Permutation>& perms) {
  py::list out;
  for (const auto& p : perms) out.append(py::cast(p));
  return out;
}

// Permutations back from image_lists (unpickling), checked.
std::vector<Permutation> from_image_lists(const py::handle& lists) {
  std::vector<Permutation> out;
  for (const auto& images : lists) out.emplace_back(images.cast<std::vector<Point>>());
  return out;
}

// 0-based image lists, for JSON.
py::list image_lists(const std::vector<Permutation>& perms) {
  py::list out;
  for (const auto& p : perms) out.append(py::cast(p.images()));
  return out;
}

// The cross-check as the CLI writes it: the GAP order and `agrees` are None
// when it was not performed, `reason` is None when it was.
py::object cross_check_dict(const Certificate& c, bool json) {
  if (!c.cross_check) return py::none();
  const graph::CrossCheck& x = *c.cross_check;
  py::dict out;
  out["performed"] = x.performed;
  if (!x.performed)
    out["gap_two_closure_order"] = py::none();
  else if (json)
    out["gap_two_closure_order"] = algebra::to_decimal(x.gap_two_closure_order);
  else
    out["gap_two_closure_order"] = to_python_int(x.gap_two_closure_order);
  out["agrees"] = x.performed ? py::object(py::bool_(x.agrees)) : py::object(py::none());
  out["reason"] = x.performed ? py::object(py::none()) : py::object(py::str(x.reason));
  return std::move(out);
}

py::dict timings_dict(const Certificate& c) {
  py::dict out;
  for (const auto& [stage, ms] : c.timings_ms) out[py::str(stage)] = ms;
  return out;
}

py::object hash_or_none(const std::string& hash) {
  if (hash.empty()) return py::none();
  return py::str(hash);
}

// The certificate as JSON-able values: orders as decimal strings,
// permutations as 0-based image lists, in the CLI's key order.
py::dict certificate_dict(const Certificate& c) {
  py::dict out;
  out["degree"] = c.degree;
  out["order"] = algebra::to_decimal(c.order);
  out["order_proof"] = c.order_proof;
  out["rank"] = c.rank;
  out["closure_order"] = algebra::to_decimal(c.closure_order);
  out["index"] = algebra::to_decimal(c.index);
  out["two_closed"] = c.two_closed;
  out["proven"] = c.proven;
  out["closure_generators"] = image_lists(c.closure_generators);
  out["witnesses"] = image_lists(c.witnesses);
  out["generators_preserve_coloring"] = c.generators_preserve_coloring;
  out["closure_preserves_coloring"] = c.closure_preserves_coloring;
  out["canonical_hash"] = hash_or_none(c.canonical_hash);
  out["cross_check"] = cross_check_dict(c, true);
  out["backend"] = c.backend;
  out["search_nodes"] = c.search_nodes;
  out["timings_ms"] = timings_dict(c);
  return out;
}

graph::AutomorphismBackend backend_argument(const std::string& name) {
  return graph::parse_automorphism_backend(name);
}

void bind_base_graph(py::module_& m) {
  py::class_<BaseGraph> cls(m, "Graph", R"doc(
A user's graph: the base graph of a sparse breaking input, or a graph whose
symmetry group is wanted (e.g. a skeleton). Vertices are 0-based.

Undirected graphs store each edge once (as (u, v) with u <= v); directed
graphs store arcs. Duplicates are merged; loops are allowed (a loop marks its
vertex for automorphisms). Vertex colours, when given, must be preserved by
automorphisms.

Files (:meth:`read`): an edge list, one item per line, ``#`` comments::

    vertices 16        optional: the number of vertices (default: largest id + 1)
    directed           optional: each line "u v" is an arc u -> v
    color 3 left       optional: vertex 3 gets colour "left" (any word)
    0 1                an edge (or arc) between vertices 0 and 1

or GraphViz (``.dot``, ``.gv``): ``graph {...}`` is undirected,
``digraph {...}`` directed; nodes named by integers keep those ids, other
names are numbered in sorted order; a node attribute ``color`` gives vertex
colours. Colour names are numbered by their sorted order.

Graphs are immutable, and can be pickled (names included).
)doc");
  cls.attr("__module__") = "asen";
  cls.def(py::init(&make_graph), "num_vertices"_a, "edges"_a = py::tuple(), "directed"_a = false,
          "vertex_colors"_a = py::none(), R"doc(
A graph on ``num_vertices`` vertices.

:param edges: a sequence of (u, v) pairs or an integer array of shape (E, 2);
    arcs u -> v when ``directed``, otherwise undirected edges.
:param vertex_colors: None (all vertices alike), or one colour per vertex:
    integer ids in [0, 2^30), or names (str), numbered by sorted order.
:raises ValueError: for a vertex out of range (the message names the edge),
    edges of another shape, a colour list of the wrong length or a colour out
    of range.
:raises TypeError: for non-integer edges or mixed colour kinds.
)doc")
      .def_static(
          "read",
          [](py::handle path) {
            auto p = path_argument(path);
            if (!p)
              throw py::type_error("Graph.read(path) takes a str or os.PathLike, got " + type_name(path));
            return run_without_gil([&] { return BaseGraph::read(*p); });
          },
          "path"_a, R"doc(
Reads a graph file: ``.dot`` and ``.gv`` as GraphViz, anything else as an edge
list (see the class documentation).

:raises ValueError: (asen.InputError) naming the file and line of a parse
    error (``'skeleton.txt:3: expected an edge ...'``), or saying the file
    cannot be read.
)doc")
      .def_static(
          "parse_edge_list",
          [](const std::string& text, const std::string& source) {
            return run_without_gil([&] { return BaseGraph::parse_edge_list(text, source); });
          },
          "text"_a, "source"_a = "<edge list>", R"doc(
Parses edge-list text (see the class documentation).

:param source: names the text in error messages.
:raises ValueError: ``'<source>:<line>: <what is wrong>'``.
)doc")
      .def_static(
          "parse_dot",
          [](const std::string& text, const std::string& source) {
            return run_without_gil([&] { return BaseGraph::parse_dot(text, source); });
          },
          "text"_a, "source"_a = "<dot>", R"doc(
Parses GraphViz dot text (Boost's reader).

:param source: names the text in error messages.
:raises ValueError: ``'<source>:<line>: GraphViz syntax error: ...'``.
)doc")
      .def_property_readonly("num_vertices", &BaseGraph::num_vertices, "The number of vertices.")
      .def_property_readonly("num_edges", &BaseGraph::num_edges,
                             "The number of edges (undirected) or arcs (directed), loops included.")
      .def_property_readonly("directed", &BaseGraph::directed, "True for a directed graph.")
      .def_property_readonly(
          "edges", [](const BaseGraph& g) { return pair_array(g.edges()); },
          "The edges (or arcs) without duplicates, each undirected edge once with u <= v: a new int64 "
          "array of shape (E, 2).")
      .def_property_readonly(
          "arcs", [](const BaseGraph& g) { return pair_array(g.arcs()); },
          "Every arc, both directions of each undirected edge (a loop once), sorted: a new int64 array of "
          "shape (A, 2).")
      .def_property_readonly("has_vertex_colors", &BaseGraph::has_vertex_colors,
                             "True if some vertex colour differs from another.")
      .def_property_readonly(
          "vertex_colors",
          [](const BaseGraph& g) {
            std::vector<std::int64_t> out;
            for (const auto c : g.vertex_colors()) out.push_back(c);
            return to_numpy(std::move(out));
          },
          "The colour id of each vertex: a new int64 array of length n (all 0 when uncoloured).")
      .def_property_readonly(
          "vertex_names", [](const BaseGraph& g) { return py::cast(g.vertex_names()); },
          "The node names of a GraphViz file (a list of str, one per vertex; '' for ids not named in the "
          "file); an empty list for other graphs.")
      .def_property_readonly(
          "color_names", [](const BaseGraph& g) { return py::cast(g.color_names()); },
          "The names of the colour ids when colours were given as names (in a file or as str): a list "
          "of str, id k being the k-th name in sorted order; an empty list when colours were numbers.");
  def_pickle(cls, m, "_restore_graph",
          [](const BaseGraph& g) {
            return py::make_tuple(g.num_vertices(), pair_array(g.edges()), g.directed(),
                                  py::cast(g.vertex_colors()), py::cast(g.vertex_names()),
                                  py::cast(g.color_names()));
          },
          [](const py::tuple& t) {
            if (t.size() != 6) throw InputError("not a pickled asen.Graph");
            const BaseGraph g = make_graph(t[0].cast<std::int64_t>(), t[1], t[2].cast<bool>(), t[3]);
            return g.with_names(t[4].cast<std::vector<std::string>>(), t[5].cast<std::vector<std::string>>());
          });
  cls
      .def("__repr__", &graph_repr,
           "An expression that recreates a small graph (names are not shown), else a short description.");
}

void bind_automorphisms(py::module_& m) {
  py::class_<AutomorphismGroup> cls(m, "AutomorphismGroup", R"doc(
The automorphism group of a graph, made by :func:`asen.automorphisms`: the
permutations of the vertices that map arcs to arcs and keep vertex colours,
found by nauty or Traces. The order is exact (never the search's
floating-point estimate).
)doc");
  cls.attr("__module__") = "asen";
  cls.def_property_readonly(
         "degree", [](const AutomorphismGroup& a) { return a.degree; }, "The number of vertices.")
      .def_property_readonly(
          "order", [](const AutomorphismGroup& a) { return to_python_int(a.order); },
          "The exact order, a Python int.")
      .def_property_readonly(
          "generators", [](const AutomorphismGroup& a) { return permutation_list(a.generators); },
          "Generators found by the search (identity omitted), a new list of Permutations.")
      .def_property_readonly(
          "orbits", [](const AutomorphismGroup& a) { return py::cast(a.orbits); },
          "The orbits on the vertices: sorted lists, ordered by smallest vertex.")
      .def_property_readonly(
          "size_estimate",
          [](const AutomorphismGroup& a) { return py::make_tuple(a.size_mantissa, a.size_exponent); },
          "The search's own floating-point estimate of the order as (mantissa, exponent): mantissa * "
          "10**exponent.")
      .def_property_readonly(
          "backend", [](const AutomorphismGroup& a) { return a.backend; },
          "'nauty' or 'traces' ('none' for a graph without vertices).")
      .def_property_readonly(
          "search_nodes", [](const AutomorphismGroup& a) { return a.search_nodes; },
          "The number of nodes of the search tree.")
      .def_property_readonly(
          "search_ms", [](const AutomorphismGroup& a) { return a.search_ms; },
          "The search time in milliseconds.")
      .def_property_readonly(
          "search_vertices", [](const AutomorphismGroup& a) { return a.search_vertices; },
          "The number of vertices of the encoded graph given to the search.");
  def_pickle(cls, m, "_restore_automorphism_group",
          [](const AutomorphismGroup& a) {
            return py::make_tuple(a.degree, image_lists(a.generators), a.orbits, algebra::to_decimal(a.order),
                                  a.size_mantissa, a.size_exponent, a.backend, a.search_nodes, a.search_ms,
                                  a.search_vertices);
          },
          [](const py::tuple& t) {
            if (t.size() != 10) throw InputError("not a pickled asen.AutomorphismGroup");
            AutomorphismGroup a;
            a.degree = t[0].cast<std::size_t>();
            a.generators = from_image_lists(t[1]);
            a.orbits = t[2].cast<std::vector<std::vector<Point>>>();
            a.order = algebra::BigInt(t[3].cast<std::string>());
            a.size_mantissa = t[4].cast<double>();
            a.size_exponent = t[5].cast<int>();
            a.backend = t[6].cast<std::string>();
            a.search_nodes = t[7].cast<unsigned long>();
            a.search_ms = t[8].cast<double>();
            a.search_vertices = t[9].cast<std::size_t>();
            return a;
          });
  cls
      .def("group", &AutomorphismGroup::group,
           "The automorphism group as an asen.Group, with its exact order attached (``.order`` needs no "
           "stabilizer chain).")
      .def(
          "__repr__",
          [](const AutomorphismGroup& a) {
            return "<AutomorphismGroup of degree " + std::to_string(a.degree) + ", order " + algebra::to_decimal(a.order) +
                   ", " + std::to_string(a.generators.size()) + " generators, " + a.backend + ">";
          },
          "A short description.");

  m.def(
      "automorphisms",
      [](py::handle graph, const std::string& backend) {
        graph::AutomorphismOptions options;
        options.backend = backend_argument(backend);
        GraphArgument arg(graph, "graph");
        return run_without_gil([&] { return graph::automorphism_group(arg.get(), options); });
      },
      "graph"_a, "backend"_a = "auto", R"doc(
The automorphism group of a graph (vertex colours respected); the GIL is
released during the search.

:param graph: an asen.Graph, or the path of a graph file (str or os.PathLike).
:param backend: ``"auto"`` (Traces), ``"nauty"`` or ``"traces"``.
:returns: an :class:`AutomorphismGroup`.
:raises ValueError: for a bad backend name, or a graph file that cannot be
    read or parsed (the message names the file and line).
)doc");
}

void bind_certificate(py::module_& m) {
  py::class_<Certificate> cls(m, "Certificate", R"doc(
The certified 2-closure of a group G, made by :func:`asen.certify`.

The 2-closure G^(2) is the automorphism group of G's orbital colouring; it
contains G, and G is *2-closed* when they are equal. Every claim is checked:
G's generators and the closure's generators and witnesses preserve the
colouring, the witnesses lie outside G, and the orders are exact.
:meth:`to_dict` gives the JSON form (the keys of the CLI's ``certify --json``).
)doc");
  cls.attr("__module__") = "asen";
  cls.def_property_readonly(
         "degree", [](const Certificate& c) { return c.degree; }, "The number of points n.")
      .def_property_readonly(
          "order", [](const Certificate& c) { return to_python_int(c.order); }, "|G|, an exact Python int.")
      .def_property_readonly(
          "order_proof", [](const Certificate& c) { return c.order_proof; }, R"doc(
How |G| is known: ``"known-order"``, ``"jordan"`` (G contains A_n by
Jordan's theorem: a transitive group with an element having a cycle of prime
length p, n/2 < p <= n - 3), ``"upper-bound"`` (a proven bound from
the orbits, a block system and parity), ``"deterministic"`` (Sims' test),
``"closure-order"`` (a divisor of |G| reached |G^(2)|), ``"prime-index"`` (a
proven witness and a prime ratio) or ``"monte-carlo"``.
)doc")
      .def_property_readonly(
          "rank", [](const Certificate& c) { return c.rank; }, "The number of orbitals (colours).")
      .def_property_readonly(
          "closure_order", [](const Certificate& c) { return to_python_int(c.closure_order); },
          "|G^(2)| = |Aut(A²)|, an exact Python int.")
      .def_property_readonly(
          "index", [](const Certificate& c) { return to_python_int(c.index); },
          "The index [G^(2) : G], a Python int (1 when 2-closed).")
      .def_property_readonly(
          "two_closed", [](const Certificate& c) { return c.two_closed; }, "True if G equals its 2-closure.")
      .def_property_readonly(
          "proven", [](const Certificate& c) { return c.proven; },
          "True when two_closed, index and order are proven (not Monte Carlo).")
      .def_property_readonly(
          "closure_generators", [](const Certificate& c) { return permutation_list(c.closure_generators); },
          "Generators of G^(2), a new list of Permutations.")
      .def_property_readonly(
          "witnesses", [](const Certificate& c) { return permutation_list(c.witnesses); },
          "Elements of G^(2) outside G (at least one when not 2-closed, at most max_witnesses), each "
          "checked; an empty list when 2-closed.")
      .def_property_readonly(
          "generators_preserve_coloring", [](const Certificate& c) { return c.generators_preserve_coloring; },
          "Every generator of G preserves the orbital colouring (G <= Aut(A²)).")
      .def_property_readonly(
          "closure_preserves_coloring", [](const Certificate& c) { return c.closure_preserves_coloring; },
          "Every closure generator and witness preserves the orbital colouring.")
      .def_property_readonly(
          "canonical_hash", [](const Certificate& c) { return hash_or_none(c.canonical_hash); },
          "The canonical hash of the orbital colouring (32 hex digits), or None if not computed.")
      .def_property_readonly(
          "cross_check", [](const Certificate& c) { return cross_check_dict(c, false); }, R"doc(
None unless certify(cross_check=True); then a dict: ``performed`` (GAP's
TwoClosure accepts transitive groups only), ``gap_two_closure_order`` (a
Python int) and ``agrees`` (None when not performed), and ``reason`` (why it
was not performed; None when it was).
)doc")
      .def_property_readonly(
          "backend", [](const Certificate& c) { return c.backend; },
          "The automorphism search used: 'nauty' or 'traces'.")
      .def_property_readonly(
          "search_nodes", [](const Certificate& c) { return c.search_nodes; },
          "The number of nodes of the automorphism search tree.")
      .def_property_readonly("timings_ms", &timings_dict,
                             "Milliseconds per stage, a dict in the order of the stages.")
      .def(
          "closure",
          [](const Certificate& c) {
            // The order comes from the automorphism search: exact, so trusted.
            return PermGroup(c.degree, c.closure_generators, algebra::KnownOrder(c.closure_order));
          },
          "The 2-closure G^(2) as an asen.Group, with its exact order attached.")
      .def("to_dict", &certificate_dict, R"doc(
The certificate as JSON-able values, keys in the order of the CLI's
``certify --json``: degree, order, order_proof, rank, closure_order, index,
two_closed, proven, closure_generators, witnesses,
generators_preserve_coloring, closure_preserves_coloring, canonical_hash,
cross_check, backend, search_nodes, timings_ms. Orders are decimal strings,
permutations 0-based image lists, canonical_hash and cross_check may be None.
)doc");
  def_pickle(cls, m, "_restore_certificate",
          [](const Certificate& c) {
            py::object cross = py::none();
            if (c.cross_check)
              cross = py::make_tuple(c.cross_check->performed, c.cross_check->reason,
                                     algebra::to_decimal(c.cross_check->gap_two_closure_order), c.cross_check->agrees);
            return py::make_tuple(c.degree, algebra::to_decimal(c.order), c.order_proof, c.rank,
                                  algebra::to_decimal(c.closure_order), algebra::to_decimal(c.index), c.two_closed,
                                  c.proven, image_lists(c.closure_generators), image_lists(c.witnesses),
                                  c.generators_preserve_coloring, c.closure_preserves_coloring, c.canonical_hash, cross,
                                  c.backend, c.search_nodes, c.timings_ms);
          },
          [](const py::tuple& t) {
            if (t.size() != 17) throw InputError("not a pickled asen.Certificate");
            using algebra::BigInt;
            Certificate c;
            c.degree = t[0].cast<std::size_t>();
            c.order = BigInt(t[1].cast<std::string>());
            c.order_proof = t[2].cast<std::string>();
            c.rank = t[3].cast<std::size_t>();
            c.closure_order = BigInt(t[4].cast<std::string>());
            c.index = BigInt(t[5].cast<std::string>());
            c.two_closed = t[6].cast<bool>();
            c.proven = t[7].cast<bool>();
            c.closure_generators = from_image_lists(t[8]);
            c.witnesses = from_image_lists(t[9]);
            c.generators_preserve_coloring = t[10].cast<bool>();
            c.closure_preserves_coloring = t[11].cast<bool>();
            c.canonical_hash = t[12].cast<std::string>();
            if (!t[13].is_none()) {
              const auto x = t[13].cast<py::tuple>();
              graph::CrossCheck check;
              check.performed = x[0].cast<bool>();
              check.reason = x[1].cast<std::string>();
              check.gap_two_closure_order = BigInt(x[2].cast<std::string>());
              check.agrees = x[3].cast<bool>();
              c.cross_check = check;
            }
            c.backend = t[14].cast<std::string>();
            c.search_nodes = t[15].cast<unsigned long>();
            c.timings_ms = t[16].cast<std::vector<std::pair<std::string, double>>>();
            return c;
          });
  cls
      .def(
          "__repr__",
          [](const Certificate& c) {
            return "<Certificate degree=" + std::to_string(c.degree) + " order=" + algebra::to_decimal(c.order) +
                   " closure_order=" + algebra::to_decimal(c.closure_order) + " index=" + algebra::to_decimal(c.index) +
                   " two_closed=" + (c.two_closed ? "True" : "False") +
                   " proven=" + (c.proven ? "True" : "False") + ">";
          },
          "A short description.");

  m.def(
      "certify",
      [](py::handle group, bool cross_check, const std::string& backend, std::int64_t max_witnesses,
         std::optional<bool> canonical_hash, std::optional<std::int64_t> memory_limit_mb,
         std::optional<std::int64_t> degree) {
        graph::CertifyOptions options;
        options.cross_check = cross_check;
        options.backend = backend_argument(backend);
        if (max_witnesses < 1)
          throw InputError("max_witnesses must be at least 1, got " + std::to_string(max_witnesses));
        options.max_witnesses = static_cast<std::size_t>(max_witnesses);
        options.canonical_hash = !canonical_hash ? graph::HashPolicy::automatic
                                 : *canonical_hash ? graph::HashPolicy::always
                                                   : graph::HashPolicy::never;
        options.orbitals = orbital_options(memory_limit_mb);
        const PermGroup g = group_argument(group, degree);
        if (cross_check) return run_with_gap([&] { return graph::certify(g, options); });
        return run_without_gil([&] { return graph::certify(g, options); });
      },
      "group"_a, "cross_check"_a = false, "backend"_a = "auto", "max_witnesses"_a = 3,
      "canonical_hash"_a = py::none(), "memory_limit_mb"_a = py::none(), py::kw_only(), "degree"_a = py::none(),
      R"doc(
Certifies the 2-closure of a group (transitive or not): exact |G| and
|G^(2)|, the index, whether G is 2-closed, generators of G^(2) and witnesses
in G^(2) \ G. The GIL is released meanwhile.

:param group: an asen.Group or a group spec string (``'A(5)'``,
    ``'graph:skeleton.dot'``, ...).
:param cross_check: also ask GAP for TwoClosure(G) and compare (transitive
    groups only; otherwise ``cross_check['performed']`` is False). Holds the
    GAP lock for the whole call.
:param backend: the automorphism search: ``"auto"`` (Traces), ``"nauty"`` or
    ``"traces"``.
:param max_witnesses: the most witnesses to return (at least 1).
:param canonical_hash: compute the canonical hash of the orbital colouring:
    None (default) when the degree is at most 256 and n x (rank + 1) at
    most 2^17 (beyond, it costs more than the certificate: minutes for
    trivial(100)), True always, False never.
:param memory_limit_mb: the largest memory for the n x n colour matrix, in
    MiB; default 4096.
:param degree: the group on this many points, its extra points fixed (as
    ``asen certify --degree``); at least the group's own degree.
:returns: a :class:`Certificate`.
:raises ValueError: (asen.LimitError) above the memory limit; for a bad
    backend, max_witnesses or degree; for a bad spec (asen.GapError from GAP).
)doc");
}

// The arrays of a breaking input, as a dict of numpy arrays (no copies);
// asen.breaking_input wraps it.
py::dict breaking_input_arrays(py::handle group, py::handle base, const std::string& mode_name,
                               std::optional<std::int64_t> memory_limit_mb, std::optional<std::int64_t> degree) {
  const graph::BreakingMode mode = graph::parse_breaking_mode(mode_name);
  std::optional<GraphArgument> base_arg;
  if (!base.is_none()) {
    if (mode == graph::BreakingMode::dense)
      throw InputError(
          "a base graph is used only by the sparse and weak-sparse modes; pass mode='sparse' or "
          "mode='weak-sparse', or no base graph for the dense mode");
    base_arg.emplace(base, "base");
  } else if (mode != graph::BreakingMode::dense) {
    throw InputError(std::string("the ") + graph::to_string(mode) +
                     " mode needs a base graph: pass base=asen.Graph(...) or the path of a graph file");
  }
  const std::size_t limit = memory_limit_bytes(memory_limit_mb);
  const PermGroup g = group_argument(group, degree);
  graph::BreakingInput bi = run_without_gil([&] {
    const std::size_t n = g.degree();
    const graph::BaseGraph* base_graph = base_arg ? &base_arg->get() : nullptr;
    if (base_graph != nullptr && base_graph->num_vertices() != n)
      throw InputError("the base graph has " + std::to_string(base_graph->num_vertices()) +
                       " vertices but the group has degree " + std::to_string(n));
    if (mode == graph::BreakingMode::sparse && base_graph != nullptr)
      graph::check_group_preserves_base(g, *base_graph);
    // Dense and weak-sparse inputs hold all n² pairs: edge_index and
    // edge_attr (24 bytes a pair), the pair list behind them (8) and the
    // colour matrix (4). Checked before allocating.
    if (mode != graph::BreakingMode::sparse) {
      const double pairs = static_cast<double>(n) * static_cast<double>(n);
      const double need = pairs * 36.0;
      if (need > static_cast<double>(limit))
        throw LimitError("a " + std::string(graph::to_string(mode)) + " breaking input on " +
                         std::to_string(n) + " nodes has " + std::to_string(n) + "^2 edges and needs about " +
                         std::to_string(static_cast<unsigned long long>(std::ceil(need / 1048576.0))) +
                         " MiB, above the memory limit of " + std::to_string(limit >> 20U) +
                         " MiB (memory_limit_mb)");
    }
    // The sparse mode colours only the base graph's arcs: no n x n matrix.
    algebra::OrbitalOptions options;
    options.dense = mode != graph::BreakingMode::sparse;
    options.memory_limit_bytes = limit;
    const Orbitals orbitals = Orbitals::compute(g, options);
    return graph::make_breaking_input(orbitals, mode, base_graph, limit);
  });
  const auto e = static_cast<py::ssize_t>(bi.num_edges());
  py::dict out;
  out["edge_index"] = to_numpy(std::move(bi.edge_index), {py::ssize_t{2}, e});
  out["edge_attr"] = to_numpy(std::move(bi.edge_attr));
  out["node_color"] = to_numpy(std::move(bi.node_color));
  out["num_colors"] = bi.num_colors;
  out["num_nodes"] = bi.num_nodes;
  out["mode"] = graph::to_string(bi.mode);
  if (bi.mode == graph::BreakingMode::weak_sparse) {
    py::array_t<bool> flags(static_cast<py::ssize_t>(bi.color_in_base.size()));
    auto w = flags.mutable_unchecked<1>();
    for (std::size_t c = 0; c < bi.color_in_base.size(); ++c)
      w(static_cast<py::ssize_t>(c)) = bi.color_in_base[c] != 0;
    out["color_in_base"] = flags;
  } else {
    out["color_in_base"] = py::none();
  }
  return out;
}

// Orbitals given directly, or computed (dense) from a Group or a spec.
struct OrbitalsArgument {
  const Orbitals* borrowed = nullptr;
  std::optional<PermGroup> group;
  std::optional<Orbitals> owned;

  explicit OrbitalsArgument(py::handle obj) {
    if (py::isinstance<Orbitals>(obj))
      borrowed = &obj.cast<const Orbitals&>();
    else
      group = group_argument(obj);
  }
  // May run without the GIL.
  const Orbitals& get(const algebra::OrbitalOptions& options) {
    if (borrowed != nullptr) return *borrowed;
    if (!owned) owned = Orbitals::compute(*group, options);
    return *owned;
  }
};

void bind_orbital_tools(py::module_& m) {
  m.def(
      "orbital_graphs",
      [](py::handle orbitals, std::optional<std::int64_t> memory_limit_mb) {
        OrbitalsArgument arg(orbitals);
        const auto options = orbital_options(memory_limit_mb);
        const auto infos = run_without_gil([&] { return graph::orbital_graphs(arg.get(options)); });
        py::list out;
        for (const auto& info : infos) {
          py::dict d;
          d["color"] = info.color;
          d["diagonal"] = info.diagonal;
          d["components"] = info.components;
          d["connected"] = info.connected;
          out.append(d);
        }
        return out;
      },
      "orbitals"_a, "memory_limit_mb"_a = py::none(), R"doc(
The connectivity of every orbital graph (the digraph on the points whose arcs
are the pairs of one colour): a list, by colour, of dicts ``{"color",
"diagonal", "components", "connected"}``. ``components`` counts weakly
connected components on all n points.

:param orbitals: an asen.Orbitals, or a Group / group spec (its orbitals are
    computed, dense, within ``memory_limit_mb``).
)doc");
  m.def(
      "primitive_by_higman",
      [](py::handle group, py::handle orbitals, std::optional<std::int64_t> memory_limit_mb) {
        const PermGroup g = group_argument(group);
        std::optional<OrbitalsArgument> given;
        if (!orbitals.is_none()) {
          if (!py::isinstance<Orbitals>(orbitals))
            throw py::type_error("orbitals must be an asen.Orbitals or None, got " + type_name(orbitals));
          given.emplace(orbitals);
          if (given->borrowed->degree() != g.degree())
            throw InputError("the orbitals have degree " + std::to_string(given->borrowed->degree()) +
                             " but the group has degree " + std::to_string(g.degree()));
        }
        const auto options = orbital_options(memory_limit_mb);
        return run_without_gil([&] {
          if (given) return graph::primitive_by_higman(g, *given->borrowed);
          return graph::primitive_by_higman(g, Orbitals::compute(g, options));
        });
      },
      "group"_a, "orbitals"_a = py::none(), "memory_limit_mb"_a = py::none(), R"doc(
Higman's criterion: True iff the group is transitive and every non-diagonal
orbital graph is connected, i.e. the group is primitive.

:param group: an asen.Group or a group spec string.
:param orbitals: the group's orbitals, if already computed (otherwise they
    are, within ``memory_limit_mb``); they must come from the same generators
    (``asen.orbitals(group)``).
:raises ValueError: (asen.InputError) for orbitals of another group, or of
    other generators.
)doc");
  m.def(
      "canonical_hash",
      [](py::handle obj, std::optional<std::int64_t> memory_limit_mb) {
        if (py::isinstance<BaseGraph>(obj)) {
          const auto& g = obj.cast<const BaseGraph&>();
          const auto limit = orbital_options(memory_limit_mb).memory_limit_bytes;
          return run_without_gil([&] { return graph::canonical_hash(g, limit); });
        }
        OrbitalsArgument arg(obj);
        if (arg.borrowed != nullptr && !arg.borrowed->is_dense())
          throw InputError("canonical_hash needs dense orbitals (computed with dense=True)");
        const auto options = orbital_options(memory_limit_mb);
        return run_without_gil([&] {
          return graph::canonical_hash(graph::ColoredDigraph::from_orbitals(arg.get(options)),
                                       graph::ColorNames::ignored, options.memory_limit_bytes);
        });
      },
      "group"_a, "memory_limit_mb"_a = py::none(), R"doc(
A canonical hash (32 hex digits) of a group's dense orbital colouring: equal
for conjugate groups (the same group on renamed points) and for different
generating sets of one group, whatever the colour numbering. Different hashes
prove the colourings non-isomorphic.

:param group: an asen.Group, a group spec string, an asen.Orbitals (dense),
    or an asen.Graph (then the hash of the graph itself, with its vertex
    colours and loops: equal exactly for graphs isomorphic by a map that
    keeps every vertex colour, up to hash collisions; a colour read from a
    file is its name, "red" maps only to "red", a colour given as a number
    is that number).
:param memory_limit_mb: the largest memory for the colour matrix and for the
    hash's search graph, in MiB (default 4096; checked before building them).
:raises ValueError: (asen.LimitError) above the limit.
)doc");
  m.def(
      "preserves",
      [](const Orbitals& orbitals, py::handle p) {
        const Permutation perm = to_permutation(p, orbitals.degree());
        if (perm.degree() != orbitals.degree())
          throw InputError("the permutation has degree " + std::to_string(perm.degree()) +
                           " but the orbitals have degree " + std::to_string(orbitals.degree()));
        return run_without_gil([&] { return graph::preserves(orbitals, perm); });
      },
      "orbitals"_a, "p"_a, R"doc(
True if the permutation p preserves the orbital colouring:
``colors[p(i), p(j)] == colors[i, j]`` for every pair, i.e. p lies in the
2-closure. ``p`` is a Permutation, an image list or a cycle string.

:raises ValueError: if p has another degree than the orbitals.
)doc");
  m.def("_breaking_input_arrays", &breaking_input_arrays, "group"_a, "base"_a, "mode"_a, "memory_limit_mb"_a, "degree"_a,
        "The arrays behind asen.breaking_input (a dict of numpy arrays); use asen.breaking_input instead.");
}

}  // namespace

void init_graph(py::module_& m) {
  // "graph:FILE" group specs, for Group.parse and every spec argument.
  graph::register_graph_specs();
  bind_base_graph(m);
  bind_automorphisms(m);
  bind_certificate(m);
  bind_orbital_tools(m);
}

}  // namespace asen::python
