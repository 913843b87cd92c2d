"""`netcanvas code FILE [-o OUT.py]`: the project's network as standalone PyTorch code."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from netcanvas.backend.cli.common import fail, load, project_command
from netcanvas.backend.echo import brief


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = project_command(subparsers, "code", help="write the network as a standalone PyTorch module",
                        description="Print (or write) a .py file defining the network as "
                        "an nn.Module that needs only torch.")
    p.add_argument("-o", "--output", metavar="OUT.py", help="write here instead of stdout")
    p.add_argument("--class-name", help="name of the nn.Module class (default: from FILE)")
    return p


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.compiler import CompileError, compile_graph
    from netcanvas.backend.export import ExportError, python_source
    from netcanvas.backend.export.python_export import class_name_problem, safe_class_name

    project = load(args.file)
    class_name = args.class_name or safe_class_name(class_name_for(Path(args.file)))
    problem = class_name_problem(class_name)
    if problem:
        return fail("code", f"--class-name {brief(class_name)} {problem}; choose another, e.g. "
                    f"{safe_class_name(class_name)!r}", 2)
    try:
        source = python_source(compile_graph(project.graph, device="meta"), class_name)
    except (CompileError, ExportError) as exc:
        return fail("code", str(exc), 1)
    if args.output is None:
        sys.stdout.write(source)
        return 0
    try:
        Path(args.output).write_text(source, encoding="utf-8")
    except OSError as exc:
        return fail("code", f"cannot write {args.output}: {exc.strerror}", 2)
    print(f"wrote {args.output} (class {class_name})")
    return 0


def class_name_for(path: Path) -> str:
    """lenet_digits.netcanvas -> LenetDigits."""
    words = re.findall(r"[A-Za-z0-9]+", path.stem)
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if name.isidentifier() else "Net"
