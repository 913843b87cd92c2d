"""Memory-fit predictor: how much memory training a project takes at a batch size, and the
largest batch that fits a GPU. Pure Python arithmetic over the shape analysis; no torch.

Training holds, at its peak (the end of the forward pass):
  weights        parameters + buffers (BatchNorm running statistics)
  gradients      one per parameter
  optimizer      the state each optimizer declares (backend/optimizers.py): Adam/AdamW/
                 Adadelta 2 per parameter, RMSprop/Adagrad 1 (+1 for momentum), SGD 1 with
                 momentum, 0 without
  activations    the tensors autograd saves for backward, each counted once even when two
                 layers save it (a ReLU's output is also the next Conv's input), plus the
                 extras some layers save (MaxPool's int64 indices, Dropout's mask)
  workspace      a stated allowance, not measured: WORKSPACE_FIXED (CUDA context, cuDNN and
                 cuBLAS workspaces) + TRANSIENT_LAYERS x the largest layer output (the output
                 being computed and the gradient flowing back are alive besides what is saved)

Mixed precision (bf16/fp16, CUDA only) is estimated as half-size activations plus a
half-size cast copy of the weights; only fp32 is validated (bench/memory_fit.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from netcanvas.backend.blocks.expand import flatten
from netcanvas.backend.graph import BLOCK, Graph
from netcanvas.backend.optimizers import OPTIMIZER_SPECS
from netcanvas.backend.project import Project
from netcanvas.backend.shapes import Analysis, analyze, human_bytes

GiB = 2**30
GPU_SIZES_GB = (3, 8, 24)
WORKSPACE_FIXED = GiB // 2
TRANSIENT_LAYERS = 2
FLOAT = 4
INDEX = 8



@dataclass
class LayerMemory:
    node_id: str
    name: str
    saved_bytes: int  # activations this node's tensors keep for backward, at the batch size
    param_bytes: int


@dataclass
class MemoryEstimate:
    batch_size: int
    device: str
    precision: str
    optimizer: str
    weights: int
    gradients: int
    optimizer_state: int
    activations: int
    workspace: int
    layers: list[LayerMemory] = field(default_factory=list)

    @property
    def measured_part(self) -> int:
        """What bench/memory_fit.py measures: everything but the workspace allowance."""
        return self.weights + self.gradients + self.optimizer_state + self.activations

    @property
    def total(self) -> int:
        return self.measured_part + self.workspace


def _optimizer_slots(project: Project) -> int:
    s = project.training
    return OPTIMIZER_SPECS[s.optimizer].state_tensors(s)


class _Saved:
    """Per-sample bytes of each distinct tensor autograd keeps, and which node made it."""

    def __init__(self) -> None:
        self.bytes: dict[object, int] = {}
        self.owner: dict[object, str] = {}

    def add(self, key, nbytes: int, owner: str) -> None:
        if key not in self.bytes:
            self.bytes[key] = nbytes
            self.owner[key] = owner


def _saved_per_sample(graph: Graph, analysis: Analysis, device: str) -> _Saved:
    """Follows autograd's rules: a layer with parameters saves its input even when the data
    needs no gradient; a parameter-free layer saves only when its input needs one. What each
    layer saves is its declaration's `saves` (backend/registry/spec.py SAVED)."""
    saved = _Saved()
    tensor: dict[tuple[str, str], tuple[str, str]] = {}  # (node, port) -> owning tensor
    grad: dict[tuple[str, str], bool] = {}
    into = {nid: [] for nid in graph.nodes}
    for e in graph.edges:
        into[e.dst].append(e)
    for nid in graph.topological_order():
        node, info = graph.nodes[nid], analysis.nodes[nid]
        ins = [(e.src, e.src_port) for e in into[nid]]
        in_keys = [tensor[i] for i in ins if i in tensor]
        needs = any(grad.get(i, False) for i in ins)
        has_params = info.params > 0
        spec = node.spec
        for port in spec.outputs:
            key = (nid, port.name)
            tensor[key] = in_keys[0] if spec.view and in_keys else key
            grad[key] = (needs or has_params) and port.dtype == "float"
        if needs or has_params:
            _layer_saved(saved, graph, analysis, node, in_keys, tensor, device)
    return saved


def _layer_saved(saved: _Saved, graph: Graph, analysis: Analysis, node, in_keys: list,
                 tensor: dict, device: str) -> None:
    """Add what one layer keeps for backward, by its declared `saves` (a layer that
    declares nothing is assumed to keep its input)."""
    nid, info = node.id, analysis.nodes[node.id]
    size = {k: _bytes(graph, analysis, k) for k in in_keys}
    first = node.spec.outputs[0].name if node.spec.outputs else ""
    for what in ("input",) if node.spec.saves is None else node.spec.saves:
        if what in ("input", "inputs", "index_inputs"):
            keys = {"input": in_keys[:1], "inputs": in_keys,
                    "index_inputs": [k for k in in_keys if _is_index(graph, k)]}[what]
            for k in keys:
                saved.add(k, size[k], k[0])
        elif what == "output":
            saved.add(tensor[(nid, first)], _bytes(graph, analysis, (nid, first)), nid)
        elif what == "indices":
            saved.add(tensor[(nid, "indices")], math.prod(info.output_shapes[first]) * INDEX, nid)
        elif what == "mask" and in_keys:  # float on the CPU, bool on a GPU
            numel = size[in_keys[0]] // FLOAT
            saved.add((nid, "mask"), numel * (FLOAT if device == "cpu" else 1), nid)
        elif what == "channel_mask":
            saved.add((nid, "mask"), info.output_shapes[first][0] * FLOAT, nid)
        elif what == "row_stats":  # mean and 1/std of every normalised row
            shape = info.output_shapes[first]
            rows = math.prod(shape[: len(shape) - node.params["dims"]])
            saved.add((nid, "stats"), 2 * rows * FLOAT, nid)
        elif what == "loss" and node.params["loss"] != "none" and in_keys:
            _loss_saved(saved, node, size[in_keys[0]], nid)
        elif what == "ids" and in_keys:  # token ids, cast to int64
            saved.add((nid, "ids"), size[in_keys[0]] // FLOAT * INDEX, nid)
        elif what in ("recurrent", "attention"):
            saved.add((nid, what), _sequence_saved(what, node, info, size, in_keys), nid)


def _sequence_saved(what: str, node, info, size: dict, in_keys: list) -> int:
    """An estimate (autograd's own count depends on the kernel): a recurrent layer keeps
    its input and, per step, layer and direction, its gates, their activations and states
    (18 x hidden values for torch's CPU LSTM, 7 for its GRU, as measured); attention keeps
    its inputs, the queries, keys and values, the weights twice (softmax, matmul), the mix."""
    inputs = sum(size[k] for k in in_keys[:2])
    if what == "recurrent":
        steps = info.output_shapes["y"][0]
        per_step = (18 if node.type_id == "lstm" else 7) * node.params["hidden_size"] * FLOAT
        directions = 2 if node.params["bidirectional"] else 1
        return inputs + steps * per_step * directions * node.params["num_layers"]
    steps, features = info.output_shapes["y"]
    heads, _, keys = info.output_shapes["weights"]
    return inputs + ((steps + 2 * keys + steps) * features + 2 * heads * steps * keys) * FLOAT


def _is_index(graph: Graph, key: tuple[str, str]) -> bool:
    port = graph.nodes[key[0]].spec.output_port(key[1])
    return port is not None and port.dtype == "index"


def _loss_saved(saved: _Saved, node, logits_bytes: int, nid: str) -> None:
    """Cross-entropy keeps its log-softmax and the int64 targets; the other losses keep their
    input and a same-sized float target."""
    if node.params["loss"] == "cross_entropy":
        saved.add((nid, "log_softmax"), logits_bytes, nid)
        saved.add((nid, "target"), INDEX, nid)
    elif node.params["loss"] == "nll":
        saved.add((nid, "input"), logits_bytes, nid)
        saved.add((nid, "target"), INDEX, nid)
    else:
        saved.add((nid, "input"), logits_bytes, nid)
        saved.add((nid, "target"), logits_bytes, nid)


def _bytes(graph: Graph, analysis: Analysis, key: tuple[str, str]) -> int:
    nid, port = key
    shape = analysis.nodes[nid].output_shapes.get(port, ())
    dtype = graph.nodes[nid].spec.output_port(port).dtype
    return math.prod(shape) * (INDEX if dtype == "index" else FLOAT)


def _trained_params(graph: Graph, analysis: Analysis) -> int:
    """Parameters upstream of an Output with a loss: only they get gradients and optimizer
    state (a branch ending in an Output without a loss never does)."""
    todo = [n.id for n in graph.nodes.values() if n.type_id == "output"
            and n.params["loss"] != "none"]
    seen = set(todo)
    while todo:
        for e in graph.edges_into(todo.pop()):
            if e.src not in seen:
                seen.add(e.src)
                todo.append(e.src)
    return sum(analysis.nodes[nid].params for nid in seen)


def _buffer_bytes(graph: Graph, analysis: Analysis) -> int:
    """BatchNorm's running mean and variance (float per channel) and its int64 step count."""
    total = 0
    for node in graph.nodes.values():
        if "batch_norm" in node.spec.roles:
            channels = analysis.nodes[node.id].output_shapes.get("y", (0,))[0]
            total += 2 * channels * FLOAT + INDEX
    return total


def estimate_memory(project: Project, batch_size: int | None = None, device: str = "cuda",
                    analysis: Analysis | None = None) -> MemoryEstimate:
    """The memory training `project` takes; raises ValueError while the graph has errors.
    Blocks are measured flattened, each layer's share summed onto its top-level node."""
    graph = project.graph
    if any(n.type_id == BLOCK for n in graph.nodes.values()):
        return _through_blocks(project, batch_size, device)
    analysis = analysis or analyze(graph)
    if analysis.errors:
        raise ValueError(f"the graph has errors: {analysis.errors[0].message}")
    b = batch_size or project.training.batch_size
    precision = project.training.precision if device != "cpu" else "fp32"
    half = precision in ("bf16", "fp16")
    params = analysis.total_params * FLOAT
    trained = _trained_params(graph, analysis) * FLOAT
    saved = _saved_per_sample(graph, analysis, device)
    scale = 0.5 if half else 1.0
    per_node: dict[str, int] = {}
    for key, nbytes in saved.bytes.items():
        per_node[saved.owner[key]] = per_node.get(saved.owner[key], 0) + nbytes
    largest = max((info.activation_bytes for info in analysis.nodes.values()), default=0)
    layers = [LayerMemory(nid, graph.nodes[nid].name, int(per_node.get(nid, 0) * b * scale),
                          analysis.nodes[nid].params * FLOAT) for nid in graph.nodes]
    return MemoryEstimate(
        batch_size=b, device=device, precision=precision, optimizer=project.training.optimizer,
        weights=params + _buffer_bytes(graph, analysis) + (params // 2 if half else 0),
        gradients=trained, optimizer_state=trained * _optimizer_slots(project),
        activations=sum(layer.saved_bytes for layer in layers),
        workspace=(WORKSPACE_FIXED if device != "cpu" else 0)
        + int(TRANSIENT_LAYERS * largest * b * scale),
        layers=layers)


def _through_blocks(project: Project, batch_size: int | None, device: str) -> MemoryEstimate:
    origins: dict[str, str] = {}
    errors = analyze(project.graph).errors
    if errors:
        raise ValueError(f"the graph has errors: {errors[0].message}")
    estimate = estimate_memory(flatten(project, origins), batch_size, device)
    saved: dict[str, int] = {}
    params: dict[str, int] = {}
    for layer in estimate.layers:
        top = origins[layer.node_id]
        saved[top] = saved.get(top, 0) + layer.saved_bytes
        params[top] = params.get(top, 0) + layer.param_bytes
    layers = [LayerMemory(nid, node.name, saved.get(nid, 0), params.get(nid, 0))
              for nid, node in project.graph.nodes.items()]
    return replace(estimate, layers=layers)


def largest_batch(project: Project, capacity: int, device: str = "cuda",
                  analysis: Analysis | None = None) -> int:
    """The largest batch whose estimate fits `capacity` bytes (0 when not even one sample
    does). The estimate grows linearly with the batch, so two points give it exactly."""
    one = estimate_memory(project, 1, device, analysis)
    two = estimate_memory(project, 2, device, analysis)
    per_sample = two.total - one.total
    fixed = one.total - per_sample
    if fixed + per_sample > capacity:
        return 0
    return (capacity - fixed) // per_sample if per_sample else 1 << 31


def fit_summary(project: Project, analysis: Analysis | None = None) -> str:
    """"fits a 3 GB GPU up to batch 512 · 8 GB: 1,400 · 24 GB: 4,300"."""
    parts = []
    for gb in GPU_SIZES_GB:
        n = largest_batch(project, gb * GiB, analysis=analysis)
        parts.append(f"{gb} GB: {'does not fit' if n == 0 else f'batch {n:,}'}")
    return "largest batch that fits a GPU of " + " · ".join(parts)


def describe(e: MemoryEstimate) -> str:
    return (f"{human_bytes(e.total)} at batch {e.batch_size} = weights "
            f"{human_bytes(e.weights)} + gradients {human_bytes(e.gradients)} + optimizer "
            f"({e.optimizer}) {human_bytes(e.optimizer_state)} + activations "
            f"{human_bytes(e.activations)} + workspace allowance {human_bytes(e.workspace)}")
