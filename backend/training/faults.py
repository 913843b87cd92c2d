"""Turn whatever went wrong in a run into one Failed event a user can act on."""

from __future__ import annotations

from netcanvas.backend.runtime.device import is_oom
from netcanvas.backend.runtime.losses import LossError
from netcanvas.backend.training.checkpoint import CheckpointError
from netcanvas.backend.training.events import Failed
from netcanvas.backend.training.loop import NonFiniteLoss

_SHAPE_WORDS = ("shape", "size mismatch", "sizes", "dimension", "mat1 and mat2",
                "expected input", "must match the size")


def _compile_node(exc, graph) -> str | None:
    ids = getattr(exc, "node_ids", ()) or ()
    for nid in ids:
        if graph is not None and nid in graph.nodes:
            return graph.nodes[nid].name
    return None


def failure(exc: BaseException, *, step: int | None, batch_size: int, graph=None) -> Failed:
    from netcanvas.backend.compiler import CompileError, trace_node
    from netcanvas.backend.data import DatasetError
    from netcanvas.backend.registry.spec import ParamError, ShapeError

    if isinstance(exc, CheckpointError):
        return Failed("checkpoint", str(exc), None, None)
    if isinstance(exc, NonFiniteLoss):
        return Failed("nan", str(exc), None, exc.step)
    if is_oom(exc):
        return Failed("oom", f"Out of memory on the device at batch size {batch_size}; "
                      f"try a batch size of {max(batch_size // 2, 1)}.", trace_node(exc), step)
    if isinstance(exc, ParamError):  # a setting this machine cannot run
        return Failed("error", str(exc), None, step)
    if isinstance(exc, DatasetError):
        return Failed("data", str(exc), None, step)
    if isinstance(exc, CompileError):
        return Failed("shape", str(exc), _compile_node(exc, graph), step)
    if isinstance(exc, LossError):
        return Failed("shape", f"{exc}. Check that the Output's loss suits the dataset's "
                      "targets.", exc.output, step)
    node = trace_node(exc)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    shape_like = isinstance(exc, ShapeError) or any(w in text.lower() for w in _SHAPE_WORDS)
    where = f" in node '{node}'" if node else ""
    when = f" at step {step}" if step else ""
    return Failed("shape" if shape_like else "error",
                  f"{type(exc).__name__}{where}{when}: {text}", node, step)
