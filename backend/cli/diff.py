"""`netcanvas diff RUN_A RUN_B`: what changed from one run to another (nodes, params,
per-node training settings, wires, settings) and their final metrics side by side. A run is
its folder; a .netcanvas project file compares graphs alone."""

from __future__ import annotations

import argparse
from pathlib import Path

from netcanvas.backend.cli.common import UsageError


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "diff", help="what changed between two runs, and what it did",
        description="Compare two runs of a project (their folders, or two .netcanvas files): "
                    "nodes added, removed and changed, params, per-node training settings, "
                    "wires and settings, then both runs' final metrics side by side.")
    p.add_argument("run_a", metavar="RUN_A", help="the earlier run's folder (or a project file)")
    p.add_argument("run_b", metavar="RUN_B", help="the later run's folder (or a project file)")
    return p


def _open(path: str):
    """(label, project, run or None)."""
    from netcanvas.backend.project_io import ProjectFileError, load_project
    from netcanvas.backend.runs import RUN_JSON, Run

    where = Path(path)
    try:
        if where.is_dir() and (where / RUN_JSON).is_file():
            run = Run.load(where)
            return f"run {run.number}", run.project, run
        if where.is_file():
            return where.stem, load_project(where), None
    except (ProjectFileError, OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: cannot be read ({exc})") from None
    raise UsageError(f"{path}: not a run folder (no {RUN_JSON}) or project file")


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.graph.diff import diff_projects, metrics_table

    (label_a, a, run_a), (label_b, b, run_b) = _open(args.run_a), _open(args.run_b)
    if label_a == label_b:
        label_a, label_b = f"{label_a} (A)", f"{label_b} (B)"
    print(f"{label_a} -> {label_b}")
    for line in diff_projects(a, b).lines():
        print(line)
    if run_a is not None and run_b is not None:
        print()
        rows = [("metric", label_a, label_b), *metrics_table([run_a, run_b])]
        widths = [max(len(r[i]) for r in rows) for i in range(3)]
        for row in rows:
            print(row[0].ljust(widths[0]) + "".join(
                "  " + c.rjust(w) for c, w in zip(row[1:], widths[1:])))
    return 0
