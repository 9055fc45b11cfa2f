"""Breaking inputs: a group's orbital colouring as the arrays graph networks
consume, shaped as PyTorch Geometric expects.

>>> bi = asen.breaking_input("D(10)")                   # numpy arrays
>>> bi.edge_index.shape, bi.edge_attr.shape             # ((2, 100), (100,))
>>> bi = asen.breaking_input("D(10)", as_torch=True)    # torch tensors
>>> data = torch_geometric.data.Data(x=x, edge_index=bi.edge_index, edge_attr=bi.edge_attr)

Every self-loop (i, i) is an edge, coloured by the diagonal orbital of i
(``node_color[i]``). PyG layers add and refill self-loops by default, which
throws those colours away: build them with ``add_self_loops=False`` (e.g.
``GATv2Conv(..., edge_dim=d, add_self_loops=False)``). ``edge_attr`` holds
colour ids, not features: embed them first, e.g.
``torch.nn.Embedding(bi.num_colors, d)(bi.edge_attr)``.
"""

from __future__ import annotations

import collections.abc
import dataclasses
from typing import Any, Optional

import numpy

from . import _core

_FIELDS = (
    "edge_index",
    "edge_attr",
    "node_color",
    "num_colors",
    "num_nodes",
    "mode",
    "color_in_base",
)
_ARRAYS = ("edge_index", "edge_attr", "node_color", "color_in_base")


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None or isinstance(a, (int, str)) or isinstance(b, (int, str)):
        return a == b
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and bool((a == b).all())


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class BreakingInput(collections.abc.Mapping):
    """The breaking input of a group, made by :func:`asen.breaking_input`.

    Both an object and a read-only mapping: ``bi.edge_index`` and
    ``bi["edge_index"]`` are the same, ``dict(bi)`` and ``Data(**bi)`` work.

    Fields (arrays are numpy, or torch tensors after :meth:`to_torch`):

    - ``edge_index``: int64, shape [2, E], C-contiguous; row 0 the sources,
      row 1 the targets; edges sorted by (source, target). Dense and
      weak-sparse: all n*n ordered pairs (E = n*n); sparse: the base graph's
      arcs (both directions of each undirected edge) and the n self-loops.
    - ``edge_attr``: int64, shape [E]: the orbital colour of each edge, an id
      in [0, num_colors).
    - ``node_color``: int64, shape [n]: the colour of (i, i), the orbit of i.
    - ``num_colors``: the number of orbitals (the size of an embedding table).
    - ``num_nodes``: n, the group's degree.
    - ``mode``: ``"dense"``, ``"sparse"`` or ``"weak-sparse"``.
    - ``color_in_base``: weak-sparse only, bool, shape [num_colors]: whether
      the colour holds an arc of the base graph (its own loops count: the
      diagonal colour is flagged only when it has loops); None otherwise,
      and then not among the mapping's keys.

    Self-loops are edges with the diagonal colour: build PyG layers with
    ``add_self_loops=False`` to keep them.
    """

    edge_index: Any
    edge_attr: Any
    node_color: Any
    num_colors: int
    num_nodes: int
    mode: str
    color_in_base: Optional[Any] = None

    # -- mapping access --------------------------------------------------
    # The mapping holds the fields that are set (``color_in_base`` only for
    # weak-sparse), as a PyG ``Data``'s keys: torch's default_collate and
    # ``Data(**bi)`` never meet a None.
    def __getitem__(self, key: str) -> Any:
        if key not in _FIELDS or getattr(self, key) is None:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return (k for k in _FIELDS if getattr(self, k) is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    # -- conveniences ----------------------------------------------------
    @property
    def num_edges(self) -> int:
        """E, the number of edges (self-loops included)."""
        return int(self.edge_attr.shape[0])

    @property
    def is_torch(self) -> bool:
        """True if the arrays are torch tensors."""
        return not _is_numpy(self.edge_index)

    def to_torch(self) -> "BreakingInput":
        """The same input with torch tensors made by ``torch.from_numpy``: they
        share memory with this object's numpy arrays (no copy). Imports torch."""
        import torch

        def convert(a):
            return a if a is None or isinstance(a, torch.Tensor) else torch.from_numpy(a)

        return dataclasses.replace(self, **{k: convert(getattr(self, k)) for k in _ARRAYS})

    def to_numpy(self) -> "BreakingInput":
        """The same input with numpy arrays (``Tensor.numpy()``: no copy; CPU
        tensors only)."""

        def convert(a):
            return a if a is None or _is_numpy(a) else a.numpy()

        return dataclasses.replace(self, **{k: convert(getattr(self, k)) for k in _ARRAYS})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BreakingInput):
            return NotImplemented
        return all(_same(getattr(self, k), getattr(other, k)) for k in _FIELDS)

    __hash__ = None  # the arrays are mutable

    def __repr__(self) -> str:
        kind = "torch" if self.is_torch else "numpy"
        return (
            f"<BreakingInput mode={self.mode!r} num_nodes={self.num_nodes} "
            f"num_edges={self.num_edges} num_colors={self.num_colors} ({kind})>"
        )


def _is_numpy(a: Any) -> bool:
    return type(a).__module__ == "numpy"


def breaking_input(
    group,
    base=None,
    mode: str = "dense",
    as_torch: bool = False,
    memory_limit_mb: Optional[int] = None,
    *,
    degree: Optional[int] = None,
) -> BreakingInput:
    """The breaking input of a group: its orbital colouring as edge_index /
    edge_attr / node_color arrays (see :class:`BreakingInput`). Computed
    natively, without GAP; the GIL is released meanwhile.

    :param group: an asen.Group or a group spec string.
    :param base: the base graph of the sparse and weak-sparse modes: an
        asen.Graph or the path of a graph file, with as many vertices as the
        group's degree. Must be None for the dense mode.
    :param mode: ``"dense"`` (all n*n ordered pairs), ``"sparse"`` (the base
        graph's arcs plus the self-loops) or ``"weak-sparse"`` (all pairs, and
        ``color_in_base`` flags the colours that hold a base arc).
    :param as_torch: return torch tensors (``torch.from_numpy``, no copy)
        instead of numpy arrays; torch is imported only then.
    :param memory_limit_mb: the largest memory for a dense or weak-sparse
        input (about 36 bytes per pair), in MiB; default 4096.
    :param degree: the group on this many points, its extra points fixed (as
        ``asen breaking-input --degree``); at least the group's own degree.
    :raises ValueError: for an unknown mode, a bad degree, a missing base graph (or one
        given to the dense mode), a base graph of another size, an unreadable
        graph file (the message names the file and line); asen.LimitError (a
        ValueError) above the memory limit.
    """
    if not isinstance(mode, str):
        raise TypeError(f"mode must be a str ('dense', 'sparse' or 'weak-sparse'), got {type(mode).__name__}")
    if not isinstance(as_torch, (bool, numpy.bool_)):
        raise TypeError(f"as_torch must be True or False, got {type(as_torch).__name__}")
    arrays = _core._breaking_input_arrays(group, base, mode, memory_limit_mb, degree)
    bi = BreakingInput(**arrays)
    return bi.to_torch() if as_torch else bi
