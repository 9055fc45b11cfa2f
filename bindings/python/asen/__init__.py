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
