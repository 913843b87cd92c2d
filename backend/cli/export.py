"""`netcanvas export FILE --onnx OUT.onnx`: ONNX verified against ONNX Runtime."""

from __future__ import annotations

import argparse
from pathlib import Path

from netcanvas.backend.cli.common import fail, load, project_command
from netcanvas.backend.shapes import format_shape


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = project_command(subparsers, "export", help="export to ONNX and verify it with ONNX Runtime",
                        description="Export the network to ONNX with a dynamic batch "
                        "dimension, check it, run it in ONNX Runtime on a batch of another "
                        "size and print the largest difference from PyTorch.")
    p.add_argument("--onnx", required=True, metavar="OUT.onnx", help="the ONNX file to write")
    p.add_argument("--weights", metavar="W",
                   help="trained weights: a .safetensors file or a training checkpoint "
                        "(default: freshly initialised weights)")
    p.add_argument("--opset", type=int, metavar="N", help="ONNX opset version (default: the "
                   "exporter's)")
    p.add_argument("--fixed-batch", action="store_true",
                   help="export with a fixed batch size instead of a dynamic one")
    p.add_argument("--no-normalize", "--no-normalise", dest="normalize", action="store_false",
                   help="leave the dataset's input normalisation out: the file then takes "
                        "normalised inputs instead of raw values")
    return p


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.compiler import CompileError, compile_graph
    from netcanvas.backend.data import DatasetError
    from netcanvas.backend.export import ExportError, export_onnx, load_weights
    from netcanvas.backend.runs import DataInfo, data_info

    project = load(args.file)
    if not Path(args.onnx).parent.is_dir():
        return fail("export", f"cannot write {args.onnx}: no such folder", 2)
    try:
        model = compile_graph(project.graph)
    except CompileError as exc:
        return fail("export", str(exc), 1)
    if args.weights:
        try:
            load_weights(model, args.weights)
        except ExportError as exc:
            return fail("export", str(exc), 2)
    try:
        data = data_info(project, args.weights)
    except DatasetError as exc:
        if args.normalize:
            return fail("export", f"{exc} (the input normalisation comes from the data; "
                        "pass --no-normalize to export without it)", 2)
        data = DataInfo(sample_shape=tuple(model.input_shapes[0]))
    normalization, metadata = data.onnx_extras(args.normalize, Path(args.file).name,
                                                model.input_shapes)
    try:
        report = export_onnx(model, args.onnx, opset=args.opset,
                             dynamic_batch=not args.fixed_batch, normalization=normalization,
                             metadata=metadata)
    except ExportError as exc:
        return fail("export", str(exc), 1)
    batch = "N" if not args.fixed_batch else str(report.exported_batch)
    inputs = ", ".join(f"{n} {batch}×{format_shape(s)}" for n, s in zip(model.input_names,
                                                                model.input_shapes))
    outputs = ", ".join(f"{n} {batch}×{format_shape(s)}" for n, s in zip(model.output_names,
                                                                 model.output_shapes))
    print(f"wrote {args.onnx} (inputs: {inputs}; outputs: {outputs})")
    print(f"input normalisation: {metadata['input_normalization']}")
    print(f"opset {report.opset}; verified with ONNX Runtime at batch size "
          f"{report.verified_batch} (exported at "
          f"{report.exported_batch}): max abs difference {report.max_abs_diff:.3g}, "
          f"relative {report.rel_diff:.3g}")
    if not report.ok:
        return fail("export", f"ONNX Runtime disagrees with PyTorch by {report.rel_diff:.3g} "
                    "(relative), above the 1e-4 tolerance", 1)
    return 0
