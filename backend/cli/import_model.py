"""`netcanvas import MODEL -o PROJECT.netcanvas`: an ONNX file or a PyTorch class as a project.

Named import_model because `import` is a Python keyword; the command is `netcanvas import`."""

from __future__ import annotations

import argparse
from pathlib import Path

from netcanvas.backend.cli.common import fail
from netcanvas.backend.shapes import format_count

TRUST_REFUSAL = ("importing {target} runs that Python file, and with it any code it holds; "
                 "pass --trust-code if you trust it")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "import", help="import an ONNX file or a PyTorch nn.Module class as a project",
        description="Turn MODEL.onnx, or FILE.py:ClassName (an nn.Module, traced with "
                    "torch.fx), into an editable project; the weights are saved beside it as "
                    "PROJECT.safetensors. Exits 2 naming every op that has no NetCanvas layer.")
    p.add_argument("model", help="MODEL.onnx or FILE.py:ClassName")
    p.add_argument("-o", "--output", required=True, metavar="PROJECT.netcanvas",
                   help="the project to write")
    p.add_argument("--force", action="store_true",
                   help="replace PROJECT.netcanvas (and PROJECT.safetensors) if they exist")
    p.add_argument("--trust-code", action="store_true",
                   help="allow running FILE.py (needed for a PyTorch import)")
    p.add_argument("--args", nargs="*", default=[], metavar="ARG",
                   help="constructor arguments as Python literals: 10 or num_classes=10")
    p.add_argument("--no-blocks", action="store_true",
                   help="keep repeated structure flat instead of folding it into blocks")
    p.add_argument("--input-shape", action="append", metavar="C,H,W",
                   help="per-sample shape of each forward input (default: from a `netcanvas "
                        "code` docstring)")
    return p


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.importer import ImportProblem
    from netcanvas.backend.importer.report import report_lines
    from netcanvas.backend.importer.save import save_imported, weights_path
    from netcanvas.backend.importer.targets import check_targets
    from netcanvas.backend.shapes import analyze

    out = Path(args.output)
    if not out.parent.is_dir():
        return fail("import", f"cannot write {out}: no such folder", 2)
    source = Path(args.model.rpartition(":")[0] if ".py:" in args.model else args.model)
    try:
        check_targets(source, out, has_weights=False, force=args.force)
        imported = _import(args)
    except ImportProblem as exc:
        return fail("import", str(exc), 2)
    except ValueError as exc:  # an unreadable file, a missing class, bad arguments
        return fail("import", str(exc), 2)
    if imported is None:
        return fail("import", TRUST_REFUSAL.format(target=args.model), 2)
    try:
        check_targets(source, out, has_weights=bool(imported.weights), force=args.force)
    except ValueError as exc:
        return fail("import", str(exc), 2)
    try:
        save_imported(imported, out, source.name)
    except OSError as exc:
        return fail("import", f"cannot write {out}: {exc.strerror or exc}", 2)
    analysis = analyze(imported.graph)
    saved = f" and {weights_path(out)}" if imported.weights else ""
    print(f"wrote {out}{saved}: {len(imported.graph.nodes)} nodes, "
          f"{analysis.total_params:,} parameters "
          f"({format_count(analysis.total_params, decimals=1)})")
    for line in report_lines(imported):
        print(f"  {line}")
    for problem in analysis.problems:
        print(f"netcanvas import: {problem.severity}: {problem.message}")
    return 0 if analysis.ok else 1


def _import(args: argparse.Namespace):
    """The Imported graph, or None when a Python file was not trusted."""
    from netcanvas.backend.importer import import_fx
    from netcanvas.backend.importer.onnx_fx import onnx_to_fx
    from netcanvas.backend.importer.pytorch import (
        import_class,
        load_class,
        parse_shape,
        split_target,
    )

    if args.model.lower().endswith(".onnx"):
        if not Path(args.model).is_file():
            raise ValueError(f"{args.model}: no such file")
        gm, shapes, outputs = onnx_to_fx(args.model)
        return import_fx(gm, shapes, outputs, blocks=not args.no_blocks)
    path, name = split_target(args.model)
    if not args.trust_code:
        return None
    shapes = [parse_shape(text) for text in args.input_shape or []]
    return import_class(load_class(path, name), args.args, shapes, blocks=not args.no_blocks)

