"""ONNX export through torch.export (the `dynamo=True` path), checked and verified.

Every export is verified: ONNX Runtime runs the file on a random batch of a different
size than the one exported (proving the batch dimension is dynamic) and the outputs are
compared with PyTorch's. A failure names the node it came from.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import os
import re
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from netcanvas.backend.catalogue import is_mask_input
from netcanvas.backend.compiler import CompiledModel, trace_node
from netcanvas.backend.export.errors import ExportError

TOLERANCE = 1e-4  # max |onnx - torch| relative to the largest |torch| output value
EXPORT_BATCH = 2
VERIFY_BATCH = 3
_EXTERNAL_DATA_BYTES = 1_500_000_000  # protobuf files stop at 2 GB: weights go beside them
_QUIET_LOGGERS = ("torch", "onnxscript", "onnx_ir", "onnx")


@dataclass(frozen=True)
class OnnxReport:
    path: Path
    max_abs_diff: float
    rel_diff: float  # max_abs_diff / largest |output| of PyTorch
    ok: bool  # rel_diff <= TOLERANCE
    exported_batch: int
    verified_batch: int
    opset: int


class InputNormalization(torch.nn.Module):
    """`module` behind (x - mean) / std on every input of the normalised sample shape but
    the padding masks (`masks`: True per input that is one), so the exported file takes raw
    values, as the dataset's files hold them."""

    def __init__(self, module: torch.nn.Module, mean, std, sample_shape,
                 masks: tuple[bool, ...]) -> None:
        super().__init__()
        self.module = module
        self.sample_shape, self.masks = tuple(sample_shape), tuple(masks)
        shape = (-1,) + (1,) * (len(self.sample_shape) - 1)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).reshape(shape))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).reshape(shape))

    def forward(self, *xs):
        return self.module(*((x - self.mean) / self.std
                             if tuple(x.shape[1:]) == self.sample_shape and not mask else x
                             for x, mask in zip(xs, self.masks, strict=True)))


def export_onnx(model: CompiledModel, path, opset: int | None = None,
                dynamic_batch: bool = True, normalization=None,
                metadata: dict[str, str] | None = None) -> OnnxReport:
    """Write `path` (inputs and outputs named after the Input/Output nodes) and verify it.

    `normalization` = (mean, std, sample_shape) bakes the data's input normalisation into the
    file (it then takes raw samples); `metadata` goes into the file's metadata_props.
    Raises ExportError (with `.node` and the exporter's own output in `.details`) when the
    model cannot be exported; returns a report whose `ok` is False when ONNX Runtime
    disagrees with PyTorch beyond TOLERANCE."""
    import onnx

    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    module = model.module
    devices = {t.device.type for t in module.state_dict().values()}
    if "meta" in devices:
        raise ExportError("the model has no weights (it was compiled on the meta device)")
    if devices - {"cpu"}:
        module = copy.deepcopy(module).cpu()
    was_training = module.training
    module.eval()
    if normalization is not None:
        module = InputNormalization(module, *normalization,
                                    masks=tuple(map(is_mask_input, model.input_names)))
    # Written into a hidden folder beside the target (same name, so external weight data
    # keeps its relative location) and moved over it once checked: a failed export leaves
    # no file behind, and an earlier file at `path` as it was.
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
    tmp = staging / path.name
    try:
        args = _random_inputs(model, EXPORT_BATCH, seed=0)
        written = _export(module, model, args, tmp, opset, dynamic_batch, metadata or {})
        if opset is not None and written != opset:
            raise ExportError(f"the exporter cannot write opset {opset} for this model (it "
                              f"wrote opset {written}); leave the opset unset or choose {written}")
        try:
            onnx.checker.check_model(str(tmp), full_check=True)
        except Exception as exc:
            raise ExportError(f"the exported file fails the ONNX checker: {exc}") from exc
        batch = VERIFY_BATCH if dynamic_batch else EXPORT_BATCH
        verified = _verify(module, model, tmp, batch)
        try:
            for written_file in staging.iterdir():  # the model, and its weights when external
                os.replace(written_file, path.parent / written_file.name)
        except OSError as exc:
            raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from None
        return OnnxReport(path, *verified, EXPORT_BATCH, batch, written)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        module.train(was_training)


def _random_inputs(model: CompiledModel, batch: int, seed: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(seed)
    return tuple(torch.randn((batch, *s), generator=generator) for s in model.input_shapes)


class _Failed(Exception):
    def __init__(self, what: str, cause: Exception, node: str | None) -> None:
        super().__init__(what)
        self.what, self.cause, self.node = what, cause, node


def _export(module, model, args, path: Path, opset, dynamic_batch: bool,
            metadata: dict[str, str]) -> int:
    """Write the file; returns the opset it holds."""
    try:
        with _captured() as log:
            return _convert(module, model, args, path, opset, dynamic_batch, metadata)
    except _Failed as failed:  # raised outside the capture, so `log` holds everything
        where = f"node '{failed.node}'" if failed.node else "the model"
        raise ExportError(f"{where} {failed.what}: {_summary(failed.cause)}", failed.node,
                          f"{log.getvalue()}\n{type(failed.cause).__name__}: {failed.cause}"
                          ) from failed.cause


def _trace(module, args, dynamic_batch: bool):
    """torch.export with the batch dimension (shared by all inputs) left symbolic."""
    batch = torch.export.Dim("batch")
    dynamic = tuple({0: batch} for _ in args) if dynamic_batch else None
    if dynamic and isinstance(module, InputNormalization):
        dynamic = (dynamic,)  # its inputs arrive as one *xs tuple
    return torch.export.export(module, args, dynamic_shapes=dynamic, strict=False)


def _convert(module, model, args, path: Path, opset, dynamic_batch: bool,
             metadata: dict[str, str]) -> int:
    wrapped = isinstance(module, InputNormalization)
    inner = module.module if wrapped else module  # its children are the nodes
    try:
        program = _trace(module, args, dynamic_batch)
    except Exception as exc:
        node = trace_node(exc) or _isolate(inner, args, dynamic_batch, opset)
        raise _Failed("cannot be traced for export", exc, node) from exc
    weight_bytes = sum(t.numel() * t.element_size() for t in module.state_dict().values())
    try:
        with _batch_norm_kept():
            onnx_program = torch.onnx.export(program, args, dynamo=True, opset_version=opset,
                                             input_names=model.input_names,
                                             output_names=model.output_names)
    except Exception as exc:
        node = (_node_in_message(program, str(exc), wrapped)
                or _isolate(inner, args, dynamic_batch, opset))
        raise _Failed("cannot be converted to ONNX", exc, node) from exc
    if dynamic_batch:
        _name_batch_dimension(onnx_program.model.graph)
    onnx_program.model.metadata_props.update({k: str(v) for k, v in metadata.items()})
    try:
        onnx_program.save(str(path), external_data=weight_bytes > _EXTERNAL_DATA_BYTES)
    except OSError as exc:
        raise ExportError(f"cannot write {path.name}: {exc.strerror or exc}") from exc
    return onnx_program.model.opset_imports[""]


@contextlib.contextmanager
def _batch_norm_kept():
    """The exporter's own optimisation, except that BatchNorm stays a layer: folded into
    the convolution before it, the file would no longer hold the network as designed
    (its parameters, its training behaviour) and could not be imported back as such.
    onnxscript reads its default rewrite rules when it optimises, so they are narrowed
    for the duration of the export."""
    from onnxscript import rewriter
    from onnxscript.rewriter import _fuse_batchnorm

    saved = rewriter._DEFAULT_REWRITE_RULES
    rewriter._DEFAULT_REWRITE_RULES = tuple(r for r in saved
                                            if r not in _fuse_batchnorm.rules.rules)
    try:
        yield
    finally:
        rewriter._DEFAULT_REWRITE_RULES = saved


def _name_batch_dimension(graph) -> None:
    """Call the batch dimension "batch" everywhere instead of the tracer's "s40"."""
    from onnx_ir import Shape, SymbolicDim

    symbol = graph.inputs[0].shape[0].value if graph.inputs else None

    def renamed(dim):
        return "batch" if isinstance(dim, SymbolicDim) and dim.value == symbol else dim

    for value in [*graph.inputs, *graph.outputs, *(v for node in graph for v in node.outputs)]:
        if value.shape is not None and symbol is not None:
            value.shape = Shape([renamed(d) for d in value.shape])


def _summary(exc: Exception) -> str:
    """The exporter's errors are pages long; keep the line that says what went wrong."""
    text = str(exc)
    causes = re.findall(r"<class '[\w.]+\.(\w+)'>: (.+)", text)
    line = ": ".join(causes[0]) if causes else (text.strip().splitlines() or [""])[0]
    line = re.sub(r"\x1b\[[0-9;]*m", "", line)
    return line if len(line) <= 300 else line[:297] + "..."


def _node_in_message(program, message: str, wrapped: bool = False) -> str | None:
    """The exporter names the failing op of the exported program; its nn_module_stack says
    which of our submodules (= nodes) it came from."""
    names = set(re.findall(r"translating node %(\w+)", message))
    for node in program.graph.nodes:
        if node.name in names:
            stack = node.meta.get("nn_module_stack") or {}
            paths = [path.removeprefix("module.") if wrapped else path
                     for path, _ in stack.values() if path and not (wrapped and path == "module")]
            if paths:
                return paths[0].split(".")[0]
    return None


def _isolate(module: torch.nn.Module, args, dynamic_batch: bool, opset) -> str | None:
    """Export each node's module on its own, in execution order; the first that fails is
    the culprit. Slow, so only run after the whole model failed."""
    recorded: dict[str, tuple] = {}
    hooks = [child.register_forward_pre_hook(lambda m, a, name=name: recorded.setdefault(name, a))
             for name, child in module.named_children()]
    try:
        with torch.no_grad():
            module(*args)
    except Exception as exc:  # noqa: BLE001 - whatever forward raises, its node is the answer
        return trace_node(exc)
    finally:
        for hook in hooks:
            hook.remove()
    with tempfile.TemporaryDirectory() as tmp:
        for name, child_args in recorded.items():
            try:
                program = _trace(getattr(module, name), child_args, dynamic_batch)
                torch.onnx.export(program, child_args, os.path.join(tmp, "node.onnx"),
                                  dynamo=True, opset_version=opset)
            except Exception:  # noqa: BLE001 - any failure makes this node the culprit
                return name
    return None


def _verify(module, model: CompiledModel, path: Path, batch: int) -> tuple[float, float, bool]:
    """(max abs difference, relative difference, within TOLERANCE) at this batch size."""
    import onnxruntime as ort

    inputs = _random_inputs(model, batch, seed=1)
    with torch.no_grad():
        expected = module(*inputs)
    expected = expected if isinstance(expected, tuple) else (expected,)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        wanted = {i.name for i in session.get_inputs()}
        feed = {n: x.numpy() for n, x in zip(model.input_names, inputs) if n in wanted}
        got = session.run(model.output_names, feed)
    except Exception as exc:
        raise ExportError(f"ONNX Runtime cannot run the exported file at batch size {batch}: "
                          f"{_summary(exc)}") from exc
    max_abs, scale = 0.0, 0.0
    for name, want, have in zip(model.output_names, expected, got):
        want = want.double().numpy()
        if want.shape != have.shape:
            raise ExportError(f"ONNX output '{name}' has shape {have.shape}, PyTorch gives "
                              f"{want.shape}", name)
        if want.size:
            max_abs = max(max_abs, float(np.abs(have.astype(np.float64) - want).max()))
            scale = max(scale, float(np.abs(want).max()))
    rel = max_abs / max(scale, 1e-6)
    return max_abs, rel, rel <= TOLERANCE


@contextlib.contextmanager
def _captured():
    """Silence the exporter, which prints progress, warnings and log lines from Python and
    C++; what it said is kept for the error message."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    saved_loggers = []
    names = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in _QUIET_LOGGERS]
    for logger in map(logging.getLogger, {*names, *_QUIET_LOGGERS}):
        saved_loggers.append((logger, logger.handlers[:], logger.propagate))
        logger.handlers, logger.propagate = [handler], False
    with tempfile.TemporaryFile() as native, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        saved_fds = _redirect_fds(native.fileno())
        try:
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                yield buffer
        finally:
            _restore_fds(saved_fds)
            for logger, handlers, propagate in saved_loggers:
                logger.handlers, logger.propagate = handlers, propagate
            native.seek(0)
            buffer.write(native.read().decode("utf-8", "replace"))
            buffer.writelines(f"{w.category.__name__}: {w.message}\n" for w in caught)


def _redirect_fds(target: int) -> list[tuple[int, int]]:
    saved = []
    for fd, stream in ((1, sys.__stdout__), (2, sys.__stderr__)):
        try:
            if stream is not None:
                stream.flush()
            saved.append((fd, os.dup(fd)))
            os.dup2(target, fd)
        except OSError:  # no console (a windowed app): nothing to silence
            pass
    return saved


def _restore_fds(saved: list[tuple[int, int]]) -> None:
    for fd, copy_fd in saved:
        os.dup2(copy_fd, fd)
        os.close(copy_fd)
