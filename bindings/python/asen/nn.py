"""asen.nn: the nn layer (LibTorch GATv2 backbone with breaking inputs) from
Python, with torch tensors in and out.

>>> import torch, asen.nn
>>> model = asen.nn.Model(hidden=64, layers=2, heads=4, seed=0)
>>> model.add_structure("cyclicsum", "D(10)", out_dim=2, vocab=10)
>>> x, y = asen.nn.generate_dataset("cyclicsum", 256, length=10, seed=0)
>>> opt = torch.optim.Adam(model.parameters(), lr=0.01)
>>> loss = torch.nn.functional.cross_entropy(model("cyclicsum", x).reshape(-1, 2), y.reshape(-1))
>>> loss.backward(); opt.step()

The model's parameters are the very tensors the C++ forward uses, so
gradients computed in Python reach them and any torch.optim optimiser trains
them. ``asen.nn.train`` runs the C++ training loop (single task, multi-task,
transfer), writing ``metrics.jsonl`` and ``model.pt`` to an output folder;
``asen.nn.load`` reads a ``model.pt`` back (also the CLI's).

This module imports torch (which must come before the extension asen._nn); a
plain ``import asen`` does not.

Errors: asen.InputError (a ValueError) for wrong input such as an unknown
task, structure or group; TypeError for arguments of the wrong type.
"""

from __future__ import annotations

import collections.abc
import contextlib
import copy
import json
import multiprocessing.reduction
import operator
import os
import warnings
from typing import Any, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy
import torch  # noqa: F401  (loads libtorch_python, which asen._nn needs)

from . import _core

try:
    from . import _nn
except ImportError as error:  # built without LibTorch, or torch of another build
    raise ImportError(
        "asen.nn needs the extension asen._nn, which is not available in this build of asen "
        f"(it is built only when CMake finds LibTorch and a matching Python torch): {error}"
    ) from error

from . import _refuse_bare_new

_refuse_bare_new(_nn.Model, "asen._nn.Model", "asen.nn.Model(...)")

__all__ = [
    "Dataset",
    "Model",
    "check_equivariance",
    "discover",
    "evaluate",
    "generate_dataset",
    "label_sequence",
    "load",
    "task_info",
    "tasks",
    "train",
]

_KINDS = ("node-classification", "graph-classification", "graph-regression", "node-regression")


def _kind(kind: str) -> str:
    if not isinstance(kind, str):
        raise TypeError(f"kind must be a str, got {type(kind).__name__}")
    return kind.replace("_", "-")


def _check_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    return value


def _group_spec(group: Any, degree: Optional[int] = None) -> str:
    """A group spec string C++ can parse again on its own (when saving).

    Specs that need GAP or a file ('gap:...', 'graph:...') and asen.Group
    objects are resolved through asen._core (which serialises GAP calls) and
    spelled out as a JSON list of 0-based image lists.
    """
    if isinstance(group, str):
        if not group.startswith(("gap:", "graph:")):
            return group
        group = _core.Group.parse(group, degree)
    if isinstance(group, _core.Group):
        generators = group.generators
        if not generators:
            return f"trivial({group.degree})"
        return json.dumps([list(p.images) for p in generators], separators=(",", ":"))
    raise TypeError(f"group must be a group spec string or an asen.Group, got {type(group).__name__}")


def _base_graph(base: Any) -> Tuple[Optional[int], List[Tuple[int, int]], bool]:
    if base is None:
        return None, [], False
    if isinstance(base, (str, os.PathLike)):
        base = _core.Graph.read(os.fspath(base))
    if not isinstance(base, _core.Graph):
        raise TypeError(f"base must be an asen.Graph or the path of a graph file, got {type(base).__name__}")
    edges = [(int(u), int(v)) for u, v in base.edges.tolist()]
    return base.num_vertices, edges, base.directed


def _check_float32(dtype: Optional[torch.dtype]) -> None:
    if dtype is not None and dtype != torch.float32:
        raise TypeError(f"an asen.nn.Model computes in float32 and cannot be converted to {dtype}")


class Dataset(NamedTuple):
    """Samples of a synthetic task: ``inputs`` [S, n] int64 tokens, and
    ``targets`` [S, n] int64 (per-node tasks), [S] int64 (invariant
    classification) or [S, 1] float32 (regression)."""

    inputs: torch.Tensor
    targets: torch.Tensor


def _input_tensor(x: Any, what: str) -> torch.Tensor:
    """A model input as a tensor: a torch.Tensor as it is, a numpy array
    shared without a copy (torch.from_numpy)."""
    if isinstance(x, torch.Tensor):
        return x
    if isinstance(x, numpy.ndarray):
        try:
            return torch.from_numpy(x)
        except TypeError as e:  # e.g. an object or unsigned dtype torch lacks
            raise TypeError(f"{what}: a numpy array of dtype {x.dtype} has no torch equivalent ({e})") from None
    raise TypeError(f"{what} must be a torch.Tensor (or a numpy array), got {type(x).__name__}")


class Model(torch.nn.Module):
    """An ASEN model: one shared GATv2 backbone and, per named structure, its
    breaking input (the orbital colouring of a group), colour embedding,
    token embedding (or input MLP) and output head.

    A ``torch.nn.Module`` whose parameters are the C++ model's own tensors:
    as a submodule of your module they are among its ``parameters()`` and in
    its ``state_dict()``, its ``.to(device)``, ``train()`` and ``eval()``
    reach them, and forward hooks run. The model computes in float32: a
    conversion to another dtype (``.double()``, ``.half()``) is refused.

    :param hidden, layers, heads: backbone size (hidden must be a multiple of
        heads); the paper's configuration is 128, 4, 8.
    :param dropout: after each block and before the heads.
    :param attention_dropout: on the attention coefficients.
    :param seed: the initial weights depend only on it (and on the order in
        which structures are added); torch's global random stream is left as
        it was.
    """

    def __init__(
        self,
        hidden: int = 128,
        layers: int = 4,
        heads: int = 8,
        dropout: float = 0.05,
        attention_dropout: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self._impl = _nn.Model(hidden, layers, heads, dropout, attention_dropout, seed)
        self._sync()

    @classmethod
    def _wrap(cls, impl: Any) -> "Model":
        model = cls.__new__(cls)
        torch.nn.Module.__init__(model)
        model._impl = impl
        model._sync()
        return model

    def _sync(self) -> "Model":
        """Points torch.nn.Module's registries at the C++ model's tensors (the
        very objects its forward uses; their names hold dots, so they are
        entered directly, not through register_parameter) and its training
        flag at the C++ one. Called after every change of structures.
        Parameters and buffers registered from Python stay."""
        previous = self.__dict__.get("_asen_names", set())
        for name in previous:
            self._parameters.pop(name, None)
            self._buffers.pop(name, None)
        parameters = dict(self._impl.named_parameters())
        buffers = dict(self._impl.named_buffers())
        self._parameters.update(parameters)
        self._buffers.update(buffers)
        self.__dict__["_asen_names"] = set(parameters) | set(buffers)
        self.training = self._impl.training
        return self

    def _own_extras(self, fn: Any) -> None:
        # Parameters and buffers registered from Python: torch's treatment.
        names = self.__dict__.get("_asen_names", set())
        for name, param in list(self._parameters.items()):
            if name not in names and param is not None:
                with torch.no_grad():
                    param.data = fn(param.data)
        for name, buf in list(self._buffers.items()):
            if name not in names and buf is not None:
                self._buffers[name] = fn(buf)

    def get_parameter(self, target: str) -> torch.Tensor:
        """The parameter named ``target`` (a name from named_parameters();
        the C++ model's names hold dots; a plain tensor, see
        :meth:`parameters`)."""
        if target in self._parameters:
            return self._parameters[target]
        return super().get_parameter(target)

    def get_buffer(self, target: str) -> torch.Tensor:
        """The buffer named ``target`` (a name from named_buffers())."""
        if target in self._buffers:
            return self._buffers[target]
        return super().get_buffer(target)

    # -- structures --------------------------------------------------------
    def add_structure(
        self,
        name: str,
        group: Any,
        *,
        out_dim: Optional[int] = None,
        num_classes: Optional[int] = None,
        vocab: int = 0,
        in_features: int = 0,
        kind: str = "node-classification",
        mode: str = "dense",
        base: Any = None,
        degree: Optional[int] = None,
    ) -> "Model":
        """Adds a structure.

        :param name: letters, digits, '_' and '-'.
        :param group: a group spec ('D(10)', '(1,2,3),(1,2)', 'gap:...'), an
            asen.Group, or an asen.BreakingInput (one from
            asen.breaking_input, or one made from your own tensors: any
            colouring of arcs; the structure's group is then the input's
            automorphism group, computed with nauty, and a saved model stores
            the input itself).
        :param out_dim: classes (classification) or outputs (regression);
            ``num_classes`` is a synonym. Default 2.
        :param vocab: tokens are in [0, vocab); 0 for real-valued features,
            then ``in_features`` per node.
        :param kind: 'node-classification' or 'node-regression' (equivariant,
            output [B, n, out]), 'graph-classification' or 'graph-regression'
            (invariant, mean-pooled, output [B, out]).
        :param mode, base: 'dense' (all pairs), or 'sparse' / 'weak-sparse' on
            a base graph (an asen.Graph or a graph file).
        :param degree: the number of points for cycle-notation specs; with
            an asen.BreakingInput it may be left out (it is the input's
            num_nodes; another value is refused with a ValueError).
        :returns: the model.
        """
        _check_str(name, "name")
        if out_dim is not None and num_classes is not None and out_dim != num_classes:
            raise ValueError("give out_dim or num_classes, not two different values")
        size = out_dim if out_dim is not None else (num_classes if num_classes is not None else 2)
        kind = _kind(kind)
        from .breaking import BreakingInput

        if isinstance(group, BreakingInput):
            if mode != "dense" or base is not None:
                raise ValueError("mode and base are taken from the breaking input; leave them at their defaults")
            bi = group.to_torch()
            if degree is not None and degree != bi.num_nodes:
                raise ValueError(
                    f"degree={degree}, but the breaking input has {bi.num_nodes} nodes, which is the "
                    "structure's number of nodes; leave degree out"
                )
            self._impl.add_structure_raw(
                name, bi.num_nodes, bi.edge_index, bi.edge_attr, bi.num_colors, bi.node_color, size, vocab, in_features,
                kind, bi.mode
            )
            return self._sync()
        _check_str(mode, "mode")
        spec = _group_spec(group, degree)
        vertices, edges, directed = _base_graph(base)
        self._impl.add_structure(name, spec, degree, size, vocab, in_features, kind, mode, vertices, edges, directed)
        return self._sync()

    @property
    def structures(self) -> List[str]:
        """The structure names, sorted."""
        return list(self._impl.structure_names())

    def structure(self, name: str) -> Dict[str, Any]:
        """A structure's description: kind, group spec (for a structure built
        on an asen.BreakingInput, the input's automorphism group as image
        lists, and input_given True), mode, num_nodes, num_edges, num_colors,
        vocab, in_features, out_dim, and synthetic_seed: the seed a
        synthetic task's sequences were drawn with in training (None when
        not known, e.g. for a structure added by hand)."""
        return self._impl.structure(_check_str(name, "name"))

    def breaking_input(self, name: str) -> Dict[str, Any]:
        """A structure's breaking input as torch tensors: edge_index [2, E],
        edge_attr [E] (colour ids), node_color [n], num_colors, num_nodes.
        The tensors are copies (changing them changes nothing in the model)."""
        # Copies: the model's own tensors, edited in place (an edge_index
        # offset for a batch), would change what discover() reads.
        return {
            k: v.clone() if isinstance(v, torch.Tensor) else v
            for k, v in self._impl.breaking_input(_check_str(name, "name")).items()
        }

    @property
    def options(self) -> Dict[str, Any]:
        """The backbone settings (hidden, layers, heads, dropout, attention_dropout)."""
        return self._impl.options()

    # -- calling -----------------------------------------------------------
    def forward(self, structure: Union[str, Sequence[str]], x: Union[torch.Tensor, Sequence[torch.Tensor]]):
        """The model on a batch of one structure: tokens [B, n] (integers) or
        features [B, n, F] (floating point) -> [B, n, out] for node
        classification, [B, out] otherwise. With a list of structure names
        and a list of single samples ([n] tokens or [n, F] features), a mixed
        batch grouped by structure: a list of outputs ([n, out] or [out]), in
        order. Features of any floating-point dtype are computed in the
        model's float32 (gradients flow back to them in their own dtype),
        also inside ``torch.autocast``. The forward pass runs in C++, so
        torch.jit.trace and torch.onnx.export cannot record it (refused), and
        reparametrisations (torch.nn.utils.prune, weight_norm) do not reach
        it; nor can torch.jit.script compile the model (refused too); save
        with :meth:`save`, ``torch.save`` or the state dict."""
        if torch.jit.is_tracing() or torch.jit.is_scripting():
            raise RuntimeError(
                "asen.nn.Model runs its forward pass in C++, which torch.jit.trace and torch.onnx.export cannot "
                "record (the trace would ignore the input); save the model with model.save(path) or torch.save"
            )
        if torch.is_autocast_enabled() or torch.is_autocast_cpu_enabled():
            # The weights are float32 and stay so: autocast would hand the C++
            # kernels lower-precision copies of some operands but not others.
            with contextlib.ExitStack() as stack:
                for device_type, enabled in (("cpu", torch.is_autocast_cpu_enabled()), ("cuda", torch.is_autocast_enabled())):
                    if enabled:
                        stack.enter_context(torch.autocast(device_type, enabled=False))
                return self.forward(structure, x)
        if isinstance(structure, str):
            return self._impl.forward(structure, _input_tensor(x, "x"))
        if not isinstance(structure, (list, tuple)) or not all(isinstance(s, str) for s in structure):
            raise TypeError(
                "structure must be a structure name (str) or a list of names for a mixed batch, got "
                + type(structure).__name__
            )
        if isinstance(x, (torch.Tensor, numpy.ndarray)) or not isinstance(x, collections.abc.Iterable):
            raise TypeError(f"a mixed batch takes a list of samples, one per name, got {type(x).__name__}")
        return self._impl.forward_mixed(list(structure), [_input_tensor(v, f"x[{k}]") for k, v in enumerate(x)])

    # -- parameters --------------------------------------------------------
    # named_parameters(), buffers(), zero_grad(), requires_grad_() are
    # torch.nn.Module's, over the registries _sync fills; parameters() too,
    # only documented here.
    def parameters(self, recurse: bool = True) -> Iterator[torch.Tensor]:
        """The parameters, as torch's ``Module.parameters``: the C++ model's
        own LibTorch tensors (requires_grad set), which its forward uses and
        autograd fills ``.grad`` of. They are plain ``torch.Tensor``, not
        ``torch.nn.Parameter`` (``isinstance(p, torch.nn.Parameter)`` is
        False): wrapping one in ``torch.nn.Parameter(p)`` makes an alias of
        its storage that the forward does not use, so it gets no gradient.
        Hand these tensors themselves to an optimiser."""
        return super().parameters(recurse)

    def parameter_groups(self) -> Dict[str, List[torch.Tensor]]:
        """The four groups the C++ training gives their own learning rates, as
        {name: [tensors]}: 'backbone' (the shared GATv2 layers,
        ``backbone.*``), 'heads' (each structure's output head ``head_X.*``
        and, for a structure on real-valued features, its input MLP
        ``features_X.mlp.*``; the backbone's rate, never scaled down when
        finetuning), 'edges' (colour embeddings, ``edges_X.*``) and 'tokens'
        (for a structure on tokens, its token embedding and the MLP after it,
        ``tokens_X.*``). The C++ training's weight decay applies to
        'backbone' and 'heads' only.

        A torch.optim optimiser takes them as parameter groups (dicts), not
        as the lists themselves::

            lr = {"backbone": 2e-3, "heads": 2e-3, "edges": 2e-3, "tokens": 2e-3}
            opt = torch.optim.Adam([{"params": v, "lr": lr[k]} for k, v in model.parameter_groups().items()])
        """
        return {
            "backbone": self._impl.backbone_parameters(),
            "heads": self._impl.head_parameters(),
            "edges": self._impl.edge_parameters(),
            "tokens": self._impl.token_parameters(),
        }

    def state_dict(self, *, destination: Any = None, prefix: str = "", keep_vars: bool = False) -> Dict[str, torch.Tensor]:
        """The parameters and buffers by name, as torch's, but copies (not
        views of the live tensors), so a saved "best" state is never changed
        by further training; with ``keep_vars`` the live tensors themselves.
        Within a parent module's state_dict (which calls this method) this
        model's entries are copies too, while the parent's other modules'
        entries are torch's usual views."""
        out = super().state_dict(destination=destination, prefix=prefix, keep_vars=keep_vars)
        if not keep_vars:
            for name in list(self._parameters) + list(self._buffers):
                if prefix + name in out:  # not a None entry or a non-persistent buffer
                    out[prefix + name] = out[prefix + name].clone()
        return out

    def load_state_dict(self, state_dict: Mapping[str, torch.Tensor], strict: bool = True) -> Any:
        """Copies parameters and buffers from ``state_dict`` (e.g. one from
        :meth:`state_dict`) into this model's tensors in place: torch's
        ``Module.load_state_dict`` itself, so its errors and result are
        torch's. :raises RuntimeError: for missing or unexpected keys
        (``strict``) or a tensor of another shape.
        :returns: torch's named tuple of ``missing_keys`` and
            ``unexpected_keys``."""
        return super().load_state_dict(state_dict, strict)

    def _load_from_state_dict(
        self,
        state_dict: Mapping[str, Any],
        prefix: str,
        local_metadata: Any,
        strict: bool,
        missing_keys: List[str],
        unexpected_keys: List[str],
        error_msgs: List[str],
    ) -> None:
        # torch's load_state_dict (this model's or a parent's) calls this:
        # torch's own version takes the part of a key before its first dot
        # for the tensor's name, and the names here hold dots. Copies in
        # place, as torch's; submodules registered from Python are loaded by
        # torch after this.
        own = {k: v for k, v in {**self._parameters, **self._buffers}.items() if v is not None}
        for name, tensor in own.items():
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, torch.Tensor):
                error_msgs.append(f'"{key}" must be a tensor, got {type(value).__name__}')
            elif value.shape != tensor.shape:
                error_msgs.append(
                    f"size mismatch for {key}: the state dict's tensor has shape {list(value.shape)}, "
                    f"the model's {list(tensor.shape)}"
                )
            else:
                with torch.no_grad():
                    tensor.copy_(value)
        if strict:
            unexpected_keys.extend(
                k
                for k in state_dict
                if k.startswith(prefix)
                and k[len(prefix) :] not in own
                and k[len(prefix) :].split(".", 1)[0] not in self._modules
            )

    def to(self, *args: Any, **kwargs: Any) -> "Model":
        """Moves parameters and breaking inputs to a device ('cpu', 'cuda',
        'cuda:1' or a torch.device), in place; returns the model. Takes
        torch's forms (``to(device)``, ``to(tensor)``, ``to(device, dtype)``);
        a dtype other than float32 is refused."""
        if len(args) == 1 and not kwargs and isinstance(args[0], str):
            device, dtype = args[0], None  # asen's own message for a bad name
        else:
            device, dtype, _, _ = torch._C._nn._parse_to(*args, **kwargs)
        _check_float32(dtype)
        if device is not None:
            self._impl.to_device(str(device))
            self._own_extras(lambda t: t.to(device))
        return self._sync()

    def _apply(self, fn: Any, *args: Any, **kwargs: Any) -> "Model":
        # What a parent module's .to() / .cuda() / .cpu() / .double() and
        # share_memory() call: fn is read off what it does to a float32
        # tensor on this device. A move goes through the C++ model (it moves
        # the breaking inputs too); anything else (share_memory_) is applied
        # to every tensor in place, which the C++ model shares.
        probe = fn(torch.zeros(1, device=self.device))
        _check_float32(probe.dtype)
        if probe.device != self.device:
            self._impl.to_device(str(probe.device))
        else:
            names = self.__dict__.get("_asen_names", set())
            with torch.no_grad():
                for registry in (self._parameters, self._buffers):
                    for name, tensor in registry.items():
                        if name in names and tensor is not None:
                            applied = fn(tensor.data)
                            if applied is not tensor.data and applied.data_ptr() != tensor.data_ptr():
                                tensor.data = applied
        self._own_extras(fn)
        return self._sync()

    @property
    def device(self) -> torch.device:
        return torch.device(self._impl.device())

    # pickle, copy.deepcopy and torch.save(model): the model file's bytes,
    # and, as torch's own modules do, everything else of the object's
    # __dict__: what was registered or assigned from Python (parameters,
    # buffers, submodules of a subclass, hooks, attributes).
    def __getstate__(self) -> Dict[str, Any]:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="asen-model-") as folder:
            path = os.path.join(folder, "model.pt")
            self._impl.save(path)
            with open(path, "rb") as f:
                data = f.read()
        names = self.__dict__.get("_asen_names", set())
        python_state = {k: v for k, v in self.__dict__.items() if k not in ("_impl", "_asen_names")}
        python_state["_parameters"] = collections.OrderedDict(
            (k, v) for k, v in self._parameters.items() if k not in names
        )
        python_state["_buffers"] = collections.OrderedDict((k, v) for k, v in self._buffers.items() if k not in names)
        frozen = sorted(k for k, v in self._parameters.items() if k in names and v is not None and not v.requires_grad)
        return {
            "model_file": data,
            "training": self.training,
            "device": str(self.device),
            "python_state": python_state,
            "frozen": frozen,
        }

    def __setstate__(self, state: Dict[str, Any]) -> None:
        import tempfile

        torch.nn.Module.__init__(self)
        self.__dict__.update(state.get("python_state", {}))
        with tempfile.TemporaryDirectory(prefix="asen-model-") as folder:
            path = os.path.join(folder, "model.pt")
            with open(path, "wb") as f:
                f.write(state["model_file"])
            self._impl = _nn.load(path)
        self._sync()
        self.train(state.get("training", False))
        if state.get("device", "cpu") != "cpu":
            self.to(state["device"])
        for name in state.get("frozen", ()):
            if self._parameters.get(name) is not None:
                self._parameters[name].requires_grad_(False)

    def __deepcopy__(self, memo: Dict[int, Any]) -> "Model":
        # As torch's deepcopy of a module: the copy's parameters also keep
        # their gradients (a pickle does not).
        copy_ = type(self).__new__(type(self))
        memo[id(self)] = copy_
        copy_.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        names = self.__dict__.get("_asen_names", set())
        for name, param in self._parameters.items():
            if name in names and param is not None and param.grad is not None:
                copy_._parameters[name].grad = param.grad.detach().clone()
        return copy_

    def __prepare_scriptable__(self) -> "Model":
        # torch.jit.script calls this first (on this model or on it as a
        # submodule); without it the error is one about converting _impl.
        raise RuntimeError(
            "asen.nn.Model runs its forward pass in C++, which torch.jit.script cannot compile (nor "
            "torch.jit.trace and torch.onnx.export record); save the model with model.save(path) (loaded "
            "by asen.nn.load) or torch.save (loaded by torch.load)"
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        multiprocessing.reduction.ForkingPickler.register(cls, _reduce_for_process)

    def train(self, mode: bool = True) -> "Model":
        """Training mode (dropout on); ``eval()`` is ``train(False)``. Returns
        the model."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self._impl.train(mode)
        return super().train(mode)

    # -- files, checks -----------------------------------------------------
    def save(self, path: Union[str, os.PathLike]) -> None:
        """Writes the model with what is needed to rebuild it (backbone
        settings, each structure's group and sizes), atomically; read it back
        with :func:`load` (or the CLI)."""
        self._impl.save(os.fspath(path))

    def evaluate(self, structure: str, inputs=None, targets=None, **kwargs) -> Dict[str, Any]:
        """See :func:`evaluate`."""
        return evaluate(self, structure, inputs, targets, **kwargs)

    def check_equivariance(self, structure: str, group: Any = None, **kwargs) -> Dict[str, Any]:
        """See :func:`check_equivariance`."""
        return check_equivariance(self, structure, group, **kwargs)

    def discover(self, structure: Optional[str] = None, **kwargs) -> Dict[str, Any]:
        """See :func:`discover`."""
        return discover(self, structure, **kwargs)

    def __repr__(self) -> str:
        o = self.options
        return (
            f"asen.nn.Model(hidden={o['hidden']}, layers={o['layers']}, heads={o['heads']}, "
            f"structures={self.structures})"
        )


# Sent to another process (multiprocessing, with torch.multiprocessing's
# reductions for tensors), a model shares its tensors with the sender, as a
# torch module's parameters do: the receiver's model is rebuilt from the
# model file and its tensors then point at the sender's storage (in shared
# memory, where torch moves them if they are not there yet). A plain pickle or
# deepcopy copies.
def _reduce_for_process(model: Model) -> Tuple[Any, Tuple[Any, ...]]:
    names = model.__dict__.get("_asen_names", set())
    tensors = {
        k: v.data for registry in (model._parameters, model._buffers) for k, v in registry.items()
        if k in names and v is not None
    }
    return _rebuild_in_process, (type(model), model.__getstate__(), tensors)


def _rebuild_in_process(cls: type, state: Dict[str, Any], tensors: Dict[str, torch.Tensor]) -> Model:
    model = cls.__new__(cls)
    model.__setstate__(state)
    with torch.no_grad():
        for registry in (model._parameters, model._buffers):
            for name, tensor in registry.items():
                if name in tensors and tensor is not None:
                    tensor.data = tensors[name]
    return model


multiprocessing.reduction.ForkingPickler.register(Model, _reduce_for_process)


def load(path: Union[str, os.PathLike]) -> Model:
    """A model saved by :meth:`Model.save`, :func:`train` or the CLI, in
    evaluation mode. :raises asen.InputError: for a missing, corrupt or
    mismatched file (the message names it)."""
    return Model._wrap(_nn.load(os.fspath(path)))


def tasks(length: int = 10) -> List[Dict[str, Any]]:
    """The synthetic tasks that can use sequences of ``length``, equivariant
    ones first: dicts with name, kind, group (a spec), vocab and out_dim.
    :raises asen.InputError: for a length below 1."""
    if isinstance(length, bool) or not isinstance(length, int):
        raise TypeError(f"length must be an int, got {type(length).__name__}")
    if length < 1:
        raise _core.InputError(f"the sequence length must be at least 1, got {length}")
    return _nn.tasks(length)


def task_info(name: str, length: int = 10) -> Dict[str, Any]:
    """One task's description. :raises asen.InputError: for an unknown name
    or a length the task cannot use."""
    return _nn.task_info(_check_str(name, "task"), length)


def label_sequence(task: str, tokens: Sequence[int]) -> List[int]:
    """The label(s) of one sequence by the task's definition."""
    # operator.index: a token 1.7 is refused, not read as 1.
    return _nn.label_sequence(_check_str(task, "task"), [operator.index(t) for t in tokens])


def generate_dataset(task: str, samples: int, length: int = 10, seed: int = 0) -> Dataset:
    """``samples`` labelled sequences of the task (generated in C++; the same
    arguments give the same tensors)."""
    inputs, targets = _nn.generate_dataset(_check_str(task, "task"), samples, length, seed)
    return Dataset(inputs, targets)


def _groups_argument(names: List[str], group: Any, groups: Optional[Mapping[str, Any]], length: int) -> Dict[str, str]:
    out: Dict[str, str] = {}
    if group is not None:
        if len(names) != 1:
            raise ValueError("group= is for one task; give groups={task: spec} for several")
        out[names[0]] = _group_spec(group, length)
    for name, g in (groups or {}).items():
        if _check_str(name, "a key of groups") in out:  # as the CLI's --group with --groups
            raise _core.InputError(f"the group of task '{name}' is given twice (group= and groups=)")
        out[name] = _group_spec(g, length)
    return out


def _task_list(value: Any, what: str) -> List[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, collections.abc.Iterable):
        raise TypeError(f"{what} must be a task name or a list of them, got {type(value).__name__}")
    return [_check_str(v, what) for v in value]


def _wrap_result(result: Dict[str, Any], out: Optional[str]) -> Dict[str, Any]:
    result = dict(result)
    if "model" in result:
        result["model"] = Model._wrap(result["model"])
        result["model"].eval()  # as load() gives it; the C++ loop leaves it training
    result["out"] = out
    return result


def train(
    tasks: Union[str, Sequence[str], None] = None,
    *,
    group: Any = None,
    groups: Optional[Mapping[str, Any]] = None,
    samples: Optional[int] = None,
    length: Optional[int] = None,
    out: Union[str, os.PathLike, None] = None,
    pretrain: Union[str, Sequence[str], None] = None,
    finetune: Optional[str] = None,
    finetune_fraction: float = 0.15,
    finetune_lr_scale: float = 0.1,
    data: Union[str, os.PathLike, None] = None,
    mode: Optional[str] = None,
    head: Optional[str] = None,
    name: Optional[str] = None,
    **settings: Any,
) -> Dict[str, Any]:
    """Trains through the C++ training loop (the GIL is released meanwhile).

    - ``train(data="folder")``: your own graph data, as ``asen train --data``:
      ``inputs.npy``, ``targets.npy``, a base graph ``graph.txt`` (or
      ``graph.dot``) and optionally ``asen.json`` in the folder (see the
      README). ``group`` (default: asen.json's, else the automorphism group
      of the base graph), ``mode`` ('dense', 'sparse', 'weak-sparse'),
      ``head`` ('regression', 'classification') and ``name`` override
      asen.json. The samples are shuffled with ``seed`` and split 70/15/15.
      The result also holds ``"data"``: what was read, with the keys of
      ``asen train --data --json``'s "data" (dir, samples, train, val, test,
      nodes, features, vocab, kind, out_dim, mode, base_edges) and the
      structure's name and group.

    - ``train("cyclicsum")``: one task; ``train(["a", "b"])``: several at
      once on one backbone (batches drawn at random across tasks);
    - ``train(pretrain=["a", "b"], finetune="c")``: transfer: pretrain on a
      and b, finetune on ``finetune_fraction`` of c's training split with the
      backbone learning rate scaled by ``finetune_lr_scale``, and train c
      from scratch on the same data for comparison.

    Each task has ``samples`` (1000) sequences of ``length`` (10), split 70/15/15, on its
    own group unless ``group`` (one task) or ``groups`` ({task: spec}) says
    otherwise. ``settings``: epochs (15), batch (8), seed (0), lr_backbone
    (0.002), lr_edges (0.002), lr_tokens (0.002), lr_schedule ('cosine' or
    'constant'), weight_decay, clip_norm (1.0), edge_init_scale (1.0; 0.01
    lets :func:`discover` read the symmetry the model learns),
    train_fraction, hidden (128), layers (4), heads (8), dropout,
    attention_dropout, progress (False), resume (True), device ('auto'),
    threads (0: torch's default).

    With ``out``, writes ``metrics.jsonl`` (one line per task, epoch and
    split), ``checkpoint.pt`` and ``model.pt`` there (transfer: in
    ``pretrain/``, ``finetune/`` and ``scratch/`` inside it).

    :returns: ``{"history": [metrics dicts], "test": {task: metrics},
        "model": Model, "resumed_from": epochs read from out's checkpoint (0
        for a new run), "out": path}``; transfer: ``{"pretrain": ...,
        "finetune": ..., "scratch": ..., "out": path}`` with one such dict each;
        finetuning starts from a copy of the pretrained backbone, so the
        pretrain dict's Model stays the pretrained one and the finetune dict's
        Model holds only the finetuning task (as ``finetune/model.pt``). Models
        come back in evaluation mode, as :func:`load` gives them.
    """
    out_dir = None if out is None else os.fspath(out)
    if "out" in settings:
        raise TypeError("out is a keyword of train")
    if "task" in settings:
        raise TypeError("train takes the task as its first argument or tasks=, not task=")
    settings = dict(settings)
    if data is not None:
        if tasks is not None or pretrain is not None or finetune is not None or groups is not None:
            raise TypeError("train(data=...) takes no tasks, groups, pretrain or finetune")
        if samples is not None or length is not None:
            raise TypeError("train(data=...) takes no samples or length: the folder's arrays give both")
        settings["out"] = out_dir or ""
        options = {
            "group": None if group is None else _group_spec(group),
            "mode": None if mode is None else _check_str(mode, "mode"),
            "head": None if head is None else _check_str(head, "head"),
            "name": None if name is None else _check_str(name, "name"),
        }
        return _wrap_result(_nn.train_data(os.fspath(data), options, settings), out_dir)
    if mode is not None or head is not None or name is not None:
        raise TypeError("mode, head and name are for train(data=...)")
    samples = 1000 if samples is None else samples
    length = 10 if length is None else length
    if pretrain is None and finetune is None:
        if tasks is None:
            raise TypeError("train needs tasks (or pretrain= and finetune=)")
        names = _task_list(tasks, "tasks")
        settings["out"] = out_dir or ""
        result = _nn.train(names, _groups_argument(names, group, groups, length), samples, length, settings)
        return _wrap_result(result, out_dir)

    if tasks is not None or group is not None:
        raise TypeError("transfer takes pretrain= and finetune= (and groups=), not tasks= or group=")
    if pretrain is None or finetune is None:
        raise TypeError("transfer needs both pretrain= and finetune=")
    pre_names = _task_list(pretrain, "pretrain")
    fine_name = _check_str(finetune, "finetune")
    if fine_name in pre_names:
        raise ValueError(f"the finetuning task '{fine_name}' is also a pretraining task")
    all_groups = _groups_argument(pre_names + [fine_name], None, groups, length)
    pre_groups = {k: v for k, v in all_groups.items() if k != fine_name}
    fine_groups = {k: v for k, v in all_groups.items() if k == fine_name}

    def folder(name: str) -> str:
        return os.path.join(out_dir, name) if out_dir else ""

    pre = _wrap_result(
        _nn.train(pre_names, pre_groups, samples, length, dict(settings, out=folder("pretrain"))), folder("pretrain") or None
    )
    # Finetuning starts from a copy of the pretrained backbone, as the CLI's:
    # the pretrained model stays as it was, the finetuned one holds only c.
    model = Model._wrap(pre["model"]._impl.backbone_copy())
    fine_settings = dict(settings, train_fraction=finetune_fraction)
    fine = dict(
        model._impl.finetune(
            [fine_name], fine_groups, samples, length, dict(fine_settings, out=folder("finetune")), finetune_lr_scale
        )
    )
    fine["model"] = model._sync().eval()
    fine["out"] = folder("finetune") or None
    scratch = _wrap_result(
        _nn.train([fine_name], fine_groups, samples, length, dict(fine_settings, out=folder("scratch"))),
        folder("scratch") or None,
    )
    return {"pretrain": pre, "finetune": fine, "scratch": scratch, "out": out_dir}


DEFAULT_EVALUATION_SEED = 1000000007  # asen eval's default seed (bindings/cli/commands.hpp)


def evaluate(
    model: Model,
    structure: str,
    inputs: Optional[torch.Tensor] = None,
    targets: Optional[torch.Tensor] = None,
    *,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
    batch: int = 256,
) -> Dict[str, Any]:
    """Loss, node_accuracy and exact_match (and mae, the mean absolute error,
    for regression) of ``model`` on a structure, in evaluation mode (the
    model's mode is restored). Without inputs: for a structure trained on a
    data folder (``train(data=...)``, ``asen train --data``), on the test
    split of that folder, rebuilt as in training (as ``asen eval``);
    otherwise on ``samples`` (1000) fresh sequences of the synthetic task
    named like the structure, drawn from ``seed`` (default 1000000007, as
    ``asen eval``, or the next seed when the structure was trained with
    that one). The sequences of a seed begin with the training split of a
    model trained with it: an explicit ``seed`` equal to the structure's
    training seed (``model.structure(name)["synthetic_seed"]``) warns."""
    if not isinstance(model, Model):
        raise TypeError(f"model must be an asen.nn.Model, got {type(model).__name__}")
    _check_str(structure, "structure")
    split = model._impl.data_test_split(structure) if inputs is None and targets is None else None
    if split is not None:
        if samples is not None or seed is not None:
            raise TypeError(
                f"structure '{structure}' was trained on the data folder {split[2]}: it is evaluated on that "
                "folder's test split, which samples and seed do not choose; pass inputs and targets for other data"
            )
        inputs, targets = split[0], split[1]
    elif inputs is None:
        if targets is not None:
            raise TypeError("targets were given without inputs")
        samples = 1000 if samples is None else samples
        info = model.structure(structure)
        length = info["num_nodes"]
        if structure not in {t["name"] for t in tasks(length)}:
            raise _core.InputError(
                f"structure '{structure}' is not a synthetic task at {length} nodes, so there is no data to draw; "
                "pass inputs and targets"
            )
        task = task_info(structure, length)
        if any(info[k] != task[k] for k in ("kind", "vocab", "out_dim")):
            raise _core.InputError(
                f"structure '{structure}' ({info['kind']}, vocab {info['vocab']}, out_dim {info['out_dim']}) is not "
                f"the synthetic task of that name ({task['kind']}, vocab {task['vocab']}, out_dim {task['out_dim']}); "
                "pass inputs and targets"
            )
        trained = info["synthetic_seed"]
        if seed is None:
            seed = DEFAULT_EVALUATION_SEED + (1 if trained == DEFAULT_EVALUATION_SEED else 0)
        elif seed == trained:
            warnings.warn(
                f"seed {seed} is the seed structure '{structure}' was trained with: these sequences begin "
                "with its training split; leave seed out for new sequences",
                stacklevel=2,
            )
        inputs, targets = generate_dataset(structure, samples, length, seed)
    elif targets is None:
        raise TypeError("inputs were given without targets")
    else:
        inputs, targets = _input_tensor(inputs, "inputs"), _input_tensor(targets, "targets")
    metrics = model._impl.evaluate(structure, inputs, targets, batch)
    keys = ("task", "loss", "node_accuracy", "exact_match", "mae")  # mae: regression only
    return {k: metrics[k] for k in keys if k in metrics}


def check_equivariance(
    model: Model, structure: str, group: Any = None, *, random: int = 8, seed: int = 0
) -> Dict[str, Any]:
    """The largest |f(g.x) - g.f(x)| over the generators and ``random``
    random elements of the group (inside_max_error), over witnesses in
    G^(2) \\ G (closure_max_error, None when G is 2-closed), over
    automorphisms of the breaking input itself outside G^(2)
    (input_symmetry_max_error, None when there are none: a sparse input may
    have them, and no model can break them) and over up to ``random``
    random permutations outside both (outside_max_error, None when G^(2) is
    S_n; drawn from at most max(1000, 2 random) uniform permutations, so
    fewer when G^(2) holds most of them: outside_checks counts them), with
    group_order, closure_order and input_symmetry_order (Python ints). ``group`` defaults to
    the structure's own group; another group (a spec or asen.Group on at most
    as many points as the structure has nodes, the rest fixed, as a spec's
    ``--degree`` pads) is checked as given, e.g. to measure
    how far the model is from equivariance to it. The model runs in
    evaluation mode (its mode is restored); Ctrl-C stops the check between
    forward passes (KeyboardInterrupt)."""
    if not isinstance(model, Model):
        raise TypeError(f"model must be an asen.nn.Model, got {type(model).__name__}")
    _check_str(structure, "structure")
    spec = None
    if group is not None:
        spec = _group_spec(group, model.structure(structure)["num_nodes"])
    return model._impl.check_equivariance(structure, spec, random, seed)


DEFAULT_DISCOVER_THRESHOLD = 0.5  # nn::kDefaultDiscoverThreshold


def discover(
    model: Union[Model, str, os.PathLike],
    structure: Optional[str] = None,
    *,
    threshold: float = DEFAULT_DISCOVER_THRESHOLD,
    feature: str = "embedding",
    true_group: Any = None,
) -> Dict[str, Any]:
    """The symmetry a trained model has learned, read off its colour
    embeddings exactly (as ``asen discover``): colours closer than
    ``threshold`` times the RMS distance between colours are merged (single
    linkage; loop colours only with loop colours), and the automorphism
    group of the merged colouring is computed with nauty/Traces.

    :param model: an asen.nn.Model, or the path of a model.pt / checkpoint.pt.
    :param structure: the structure to read; may be left out when the model
        has only one.
    :param threshold: the relative merge threshold, >= 0.
    :param feature: 'embedding' (the colours' embedding rows) or 'projected'
        (the rows after every layer's edge projection).
    :param true_group: a group spec (or asen.Group) to compare with; default
        the group of the synthetic task named like the structure, if any;
        '' for none.
    :returns: a dict with the keys of ``asen discover --json``: structure,
        nodes, trained_group {spec, order, closure_order, rank}, threshold,
        feature, scale, representatives (a pair per colour), clusters,
        unused_colors (colours no edge carries), merged_rank, discovered {order, generators (0-based image lists),
        orbits, contains_trained_group, larger_than_trained}, true_group
        {spec, order, closure_order} or None, equals_true_group,
        equals_true_closure (None without a true group), and distances (a
        [K, K] float64 tensor). Orders are ints.
    :raises asen.InputError: for a bad file, an unknown structure, a
        negative threshold or a bad group spec.
    """
    if isinstance(model, (str, os.PathLike)):
        model = load(model)
    if not isinstance(model, Model):
        raise TypeError(f"model must be an asen.nn.Model or a path, got {type(model).__name__}")
    names = model.structures
    if structure is None:
        if len(names) != 1:
            raise _core.InputError(f"the model has {len(names)} structures ({', '.join(names)}); pass structure=")
        structure = names[0]
    _check_str(structure, "structure")
    _check_str(feature, "feature")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise TypeError(f"threshold must be a number, got {type(threshold).__name__}")
    spec = None
    if true_group is not None:
        spec = true_group if true_group == "" else _group_spec(true_group, model.structure(structure)["num_nodes"])
    return model._impl.discover(structure, float(threshold), feature, spec)
