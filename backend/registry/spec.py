"""The declaration of a layer type: ports, typed params, shape rule and builder.

Everything that knows about layers (palette, inspector, shape inference, compiler,
code export, docs, tests) reads these declarations; nothing else describes a layer.
Shapes are per-sample tuples of ints: the batch dimension is implied.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netcanvas.backend.echo import brief

Shape = tuple[int, ...]
# Inputs arrive keyed by port name; a "many" port receives a list of shapes.
Inputs = dict[str, Any]


class ShapeError(ValueError):
    """An input shape the layer cannot accept; the message is for the user and starts
    with the layer's title ("Conv2d expects ..."), so the analysis can insert the node name."""


class ParamError(ValueError):
    """A parameter value outside its declaration; the message names the field."""


@dataclass(frozen=True)
class Port:
    name: str
    many: bool = False  # a "many" port accepts any number of edges (Add, Concat)
    doc: str = ""
    # "float" for activations; "index" for int64 positions (MaxPool2d -> MaxUnpool2d),
    # which only an "index" port accepts.
    dtype: str = "float"
    # An optional port may stay unwired: the layer then does without (self- rather than
    # cross-attention, no mask). Its value is passed by keyword, under the port's name.
    optional: bool = False
    # Values read as whole numbers or flags (token ids, masks): no gradient flows back.
    discrete: bool = False

    def fits(self, other: Port) -> bool:
        """Whether a wire may join this port and `other` (the one dtype rule)."""
        return self.dtype == other.dtype

INT_MAX = 2**63 - 1  # an int param without a declared max still fits in int64

PARAM_KINDS = ("int", "float", "bool", "choice", "ints", "floats", "str")


@dataclass(frozen=True)
class Param:
    name: str
    kind: str
    default: Any
    doc: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    length: int | None = None  # fixed length for "ints"/"floats"; None = any length >= 1
    optional: bool = False  # "ints"/"int"/"str" may be None ("no value")
    label: str = ""  # what a form calls it; "" = the name, capitalised
    pattern: str | None = None  # "str": the whole text must match this regular expression

    def __post_init__(self) -> None:
        assert self.kind in PARAM_KINDS, f"param {self.name!r}: unknown kind {self.kind!r}"
        if self.kind == "choice":
            assert self.default in self.choices, f"param {self.name!r}: default not in choices"

    def validate(self, value: Any) -> Any:
        """Return `value` coerced to this param's type, or raise ParamError naming the field."""
        if value is None and self.optional:
            return None
        kind = self.kind
        if kind == "bool":
            if not isinstance(value, bool):
                raise ParamError(f"{self.name}: expected true or false, got {brief(value)}")
            return value
        if kind == "int":
            return self._check_range(self._as_int(value))
        if kind == "float":
            return self._check_range(self._as_float(value))
        if kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                text = "" if isinstance(value, str) else " as text"
                raise ParamError(f"{self.name}: expected one of {', '.join(self.choices)}{text}; "
                                 f"got {brief(value)}")
            return value
        if kind == "str":
            if not isinstance(value, str):
                raise ParamError(f"{self.name}: expected text, got {brief(value)}")
            if self.pattern is not None and not re.fullmatch(self.pattern, value):
                raise ParamError(f"{self.name}: {brief(value)} is not one of {self.doc or self.pattern}")
            return value
        # ints / floats: a tuple; a single number is broadcast to `length`.
        what, item = (("integers", self._as_int) if kind == "ints" else ("numbers", self._as_float))
        if isinstance(value, (int, float)) and not isinstance(value, bool) and self.length:
            value = [value] * self.length
        if not isinstance(value, (list, tuple)) or not value:
            raise ParamError(f"{self.name}: expected a list of {what}, got {brief(value)}")
        items = tuple(self._check_range(item(v)) for v in value)
        if self.length is not None and len(items) != self.length:
            count = f"{self.length} {what}" if kind == "ints" else f"a list of {self.length}"
            raise ParamError(f"{self.name}: expected {count}, got {len(items)}")
        return items

    def _as_float(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"{self.name}: expected a number, got {brief(value)}")
        try:
            value = float(value)
        except OverflowError:  # an int of hundreds of digits
            value = math.inf
        if not math.isfinite(value):
            raise ParamError(f"{self.name}: must be finite, got {brief(value)}")
        return value

    def _as_int(self, value: Any) -> int:
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or isinstance(value, float) and not math.isfinite(value) or int(value) != value):
            raise ParamError(f"{self.name}: expected an integer (a whole number), got {brief(value)}")
        return int(value)

    def _check_range(self, value):
        high = self.max if self.max is not None or isinstance(value, float) else INT_MAX
        if self.min is not None and value < self.min:
            raise ParamError(f"{self.name}: must be at least {self.min:g}, got {brief(value)}")
        if high is not None and value > high:
            raise ParamError(f"{self.name}: must be at most {high:g}, got {brief(value)}")
        return value


class _Batch:
    """The batch size where an imported call names it (`x.view(x.size(0), -1)`)."""

    def __repr__(self) -> str:
        return "BATCH"


BATCH = _Batch()


@dataclass(frozen=True)
class ImportForm:
    """A PyTorch form a layer is imported from (backend/importer reads these).

    `target` is an nn class ("nn.Conv2d"), a function ("F.relu", "torch.cat",
    "operator.add") or a tensor method ("Tensor.view"). An nn class's params are read from
    the module's attributes of the same names; a call's arguments are named, in order, by
    `args`: an input port name takes tensors ("x" twice for `x + y` into a many-port), a
    param name takes that param, "-" is ignored (inplace), "*name" gathers the rest.
    `defaults` are the call's own defaults where they differ from the layer's (torch.cat's
    dim 0). `read(values) -> params` replaces reading by name where the forms differ;
    it raises ParamError naming what has no NetCanvas equivalent."""

    target: str
    args: tuple[str, ...] = ()
    defaults: tuple[tuple[str, Any], ...] = ()
    read: Callable[[dict], dict] | None = None


# What a layer's backward pass keeps (autograd's saved tensors), in the terms the memory
# predictor (backend/doctor/memory.py) sizes: its first input, every input, its input(s) of
# dtype "index", its output, the int64 indices it outputs, a dropout mask (one value per
# element / per channel), LayerNorm's mean and 1/std per row, the loss's own (an Output).
SAVED = ("input", "inputs", "index_inputs", "output", "indices", "mask", "channel_mask",
         "row_stats", "loss", "ids", "recurrent", "attention")
# What the doctor's rules (backend/doctor/rules_*.py) know a layer as.
ROLES = {
    "activation": "a nonlinearity between layers (double-activation, activation before a loss)",
    "saturating": "squashes to a bounded range, so gradients vanish in deep stacks",
    "batch_norm": "normalises with batch statistics and keeps running ones (buffers)",
    "dropout": "drops values in training only",
    "pass_through": "a linear map of its input itself (a reshape, a dropout)",
    "pool": "a kernel_size/stride/padding window",
}


def _no_params(params: dict, inputs: Inputs, outputs: dict) -> int:
    return 0


@dataclass(frozen=True)
class LayerSpec:
    """One layer type. `infer_shape` and `count_params` are pure Python and fast;
    `build` returns an nn.Module whose forward takes the inputs in port order
    (a "many" port contributes *args) and returns one tensor per output port
    (a tuple when there are several)."""

    type_id: str
    title: str
    category: str
    doc: str
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    params: tuple[Param, ...]
    infer_shape: Callable[[dict, Inputs], dict[str, Shape]]
    build: Callable[[dict, Inputs], Any] | None
    # For a layer with a secondary output (MaxPool2d's indices): the build to use when only
    # the first output is wired; its forward returns one tensor and skips the extra work.
    build_first_output: Callable[[dict, Inputs], Any] | None = None
    count_params: Callable[[dict, Inputs, dict], int] = _no_params
    # Multiply-accumulates per sample; default: one op per output element.
    macs: Callable[[dict, Inputs, dict], int] | None = None
    key_params: tuple[str, ...] = ()
    # What its params make of the layer, said on its card ("depthwise 3×3" for a Conv2d
    # with one group per input channel); "" when it is the plain layer.
    variant: Callable[[dict, Inputs], str] | None = None
    module_prefix: str = ""  # default node-name stem ("conv" -> conv1, conv2, ...)
    aliases: tuple[str, ...] = field(default=())
    # A typical per-sample input the layer accepts with default params, by port name
    # (a list of shapes for a "many" port): used by docs, previews and per-layer tests.
    example_inputs: Inputs = field(default_factory=dict)
    # What the layer is imported from (torch.fx graphs of PyTorch modules and ONNX files).
    imports: tuple[ImportForm, ...] = ()
    # What backward keeps, from SAVED; () saves nothing; a view (`view=True`) aliases its
    # input's tensor rather than making one. None: not declared (tests list the undeclared;
    # the memory predictor then assumes the layer saves its input).
    saves: tuple[str, ...] | None = None
    view: bool = False
    roles: tuple[str, ...] = ()  # names from ROLES

    def __post_init__(self) -> None:
        assert set(self.saves or ()) <= set(SAVED), f"{self.type_id}: unknown saves {self.saves}"
        assert set(self.roles) <= set(ROLES), f"{self.type_id}: unknown roles {self.roles}"

    @property
    def bias_param(self) -> str | None:
        """The bool param that turns the layer's additive bias on ("bias"), if it has one."""
        return next((p.name for p in self.params if p.name == "bias" and p.kind == "bool"), None)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(f"{self.type_id} has no parameter {brief(name)}")

    def input_port(self, name: str) -> Port | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output_port(self, name: str) -> Port | None:
        return next((p for p in self.outputs if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Full, coerced parameter dict; unknown names and bad values raise ParamError."""
        known = {p.name for p in self.params}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ParamError(f"{unknown[0]}: {self.title} has no such parameter")
        out = {}
        for p in self.params:
            out[p.name] = p.validate(params[p.name]) if p.name in params else p.default
        return out
