"""asen: any-subgroup equivariant networks, the Python face.

The compiled extension ``asen._core`` does the work; this package re-exports
it. Points are 0-based everywhere; GAP cycle notation such as ``'(1,2,3)'`` is
1-based, as in GAP.

Algebra layer:
    Permutation, Group        permutations and permutation groups (group specs
                              such as 'D(10)', '(1,2,3),(1,2)', 'gap:...')
    orbitals(G), Orbitals     orbits on ordered pairs: the colour matrix as a
                              read-only numpy array, representatives, sizes, ...
    gap_evaluate, configure_gap, gap_is_running, gap_root
                              the process-wide GAP session

Graph layer (group specs 'graph:FILE' give a graph file's automorphism group):
    Graph                     a user's graph (edge lists, GraphViz files)
    automorphisms(graph)      its automorphism group (nauty/Traces), exact order
    certify(G), Certificate   the certified 2-closure: |G|, |G^(2)|, index,
                              2-closed or not, witnesses; to_dict() for JSON
    breaking_input(G, ...)    the orbital colouring as PyG-shaped arrays
                              (numpy or torch): edge_index, edge_attr, ...
    orbital_graphs, primitive_by_higman, canonical_hash, preserves

nn layer (``import asen.nn``; needs torch and the extension asen._nn, built
when CMake finds LibTorch; a plain ``import asen`` does not import torch):
    asen.nn.Model, train, evaluate, check_equivariance, generate_dataset, tasks,
    load — the LibTorch GATv2 model with torch tensors in and out

Errors: asen.InputError (a ValueError; subclasses LimitError and GapError) for
wrong input, asen.Error (a RuntimeError) for backend failures; IndexError for
points out of range.
"""

# numpy first: the extension converts arguments with it, and a first import
# of numpy inside a call, while other threads call into GAP, could deadlock.
import numpy as _numpy  # noqa: F401

from ._core import (
    AutomorphismGroup,
    Certificate,
    Error,
    GapError,
    Graph,
    Group,
    InputError,
    LimitError,
    Orbitals,
    Permutation,
    __version__,
    automorphisms,
    canonical_hash,
    certify,
    configure_gap,
    gap_evaluate,
    gap_is_running,
    gap_root,
    orbital_graphs,
    orbitals,
    preserves,
    primitive_by_higman,
)
from . import _core
from .breaking import BreakingInput, breaking_input

__all__ = [
    "AutomorphismGroup",
    "BreakingInput",
    "Certificate",
    "Error",
    "GapError",
    "Graph",
    "Group",
    "InputError",
    "LimitError",
    "Orbitals",
    "Permutation",
    "__version__",
    "automorphisms",
    "breaking_input",
    "canonical_hash",
    "certify",
    "configure_gap",
    "gap_evaluate",
    "gap_is_running",
    "gap_root",
    "orbital_graphs",
    "orbitals",
    "preserves",
    "primitive_by_higman",
]


def _picklable(function):
    """The extension's function behind a Python function of this module:
    pickle stores functions by name, and the extension's own ones name an
    unpicklable capsule (multiprocessing's Pool.map(asen.certify, specs))."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)

    wrapper.__module__ = __name__
    wrapper.__qualname__ = function.__name__
    return wrapper


# What pickles of Graph, AutomorphismGroup and Certificate call (their
# __reduce__ names these).
_restore_graph = _picklable(_core._restore_graph)
_restore_automorphism_group = _picklable(_core._restore_automorphism_group)
_restore_certificate = _picklable(_core._restore_certificate)


def _refuse_bare_new(cls, name, made_by):
    """Replaces cls.__new__ so that an object is never left without its C++
    value: pybind11's own __new__ alone (``cls.__new__(cls)``, with no
    __init__ after it) gives an object whose methods read unconstructed memory.
    Calls with arguments (``cls(...)``) pass on to it, and so do calls from a
    subclass that defines its own __init__ (which must call the base's)."""
    base_new = cls.__new__
    base_init = cls.__init__

    def __new__(subtype, *args, **kwargs):
        if not args and not kwargs and subtype.__init__ is base_init:
            raise TypeError(f"{name} objects are made by {made_by}; {name}.__new__ alone would "
                            "leave one without its value")
        return base_new(subtype)

    __new__.__qualname__ = f"{cls.__name__}.__new__"
    cls.__new__ = staticmethod(__new__)


for _cls, _made_by in [
    (Permutation, "asen.Permutation(images) or asen.Permutation.parse(text)"),
    (Group, "asen.Group(generators) or asen.Group.parse(spec)"),
    (Orbitals, "asen.orbitals(group)"),
    (Graph, "asen.Graph(num_vertices, edges) or asen.Graph.read(path)"),
    (AutomorphismGroup, "asen.automorphisms(graph)"),
    (Certificate, "asen.certify(group)"),
]:
    _refuse_bare_new(_cls, f"asen.{_cls.__name__}", _made_by)
del _cls, _made_by

automorphisms = _picklable(automorphisms)
canonical_hash = _picklable(canonical_hash)
certify = _picklable(certify)
configure_gap = _picklable(configure_gap)
gap_evaluate = _picklable(gap_evaluate)
gap_is_running = _picklable(gap_is_running)
gap_root = _picklable(gap_root)
orbital_graphs = _picklable(orbital_graphs)
orbitals = _picklable(orbitals)
preserves = _picklable(preserves)
primitive_by_higman = _picklable(primitive_by_higman)
