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

Errors: asen.InputError (a ValueError; subclasses LimitError and GapError) for
wrong input, asen.Error (a RuntimeError) for backend failures; IndexError for
points out of range.
"""

from ._core import (
    Error,
    GapError,
    Group,
    InputError,
    LimitError,
    Orbitals,
    Permutation,
    __version__,
    configure_gap,
    gap_evaluate,
    gap_is_running,
    gap_root,
    orbitals,
)

__all__ = [
    "Error",
    "GapError",
    "Group",
    "InputError",
    "LimitError",
    "Orbitals",
    "Permutation",
    "__version__",
    "configure_gap",
    "gap_evaluate",
    "gap_is_running",
    "gap_root",
    "orbitals",
]
