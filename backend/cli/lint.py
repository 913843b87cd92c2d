"""`netcanvas lint FILE [--fix [RULE...]] [--strict] [-o OUT]`: what will run but is
probably wrong, with the rule id of each finding; --fix applies the rules' fixes."""

from __future__ import annotations

import argparse
import sys

from netcanvas.backend.cli.common import UsageError, fail, load, project_command


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = project_command(subparsers, "lint", help="find likely mistakes (double softmax, bias "
                        "before BatchNorm, ...) and fix them",
                        description="Print each lint finding as 'severity: message "
                        "[rule]'. Exits 1 when the graph has errors, or with --strict "
                        "when a warning remains.")
    p.add_argument("--fix", nargs="*", metavar="RULE", help="apply the fixes of these rules "
                   "(of every warning when none is named; infos only when named) and save")
    p.add_argument("-o", "--output", metavar="OUT", help="with --fix: write the fixed project "
                   "here instead of over FILE")
    p.add_argument("--strict", action="store_true", help="exit 1 when a warning remains")
    return p


def data_facts(project):
    """The dataset's sample shape and classes when it loads offline (the built-ins); None
    otherwise, so the dataset rules are skipped rather than a download started."""
    from netcanvas.backend.catalogue import DATASETS

    info = DATASETS.get(project.dataset.name)
    if info is None or info.kind != "builtin":
        return None
    from netcanvas.backend.data import DatasetError, load_dataset
    from netcanvas.backend.doctor import DataFacts

    try:
        return DataFacts.of(load_dataset(project.dataset))
    except DatasetError:
        return None


def run(args: argparse.Namespace) -> int:
    from netcanvas.backend.doctor import RULES, fix_all, lint
    from netcanvas.backend.project_io import save_project
    from netcanvas.backend.shapes import analyze

    unknown = [r for r in args.fix or () if r not in RULES]
    if unknown:
        raise UsageError(f"unknown rule {unknown[0]!r} (rules: {', '.join(RULES)})")
    if args.output and args.fix is None:
        raise UsageError("-o/--output writes the fixed project: use it with --fix")
    project = load(args.file)
    data = data_facts(project)
    if args.fix is not None:
        rules = args.fix or [r.id for r in RULES.values() if r.severity == "warning"]
        for finding in fix_all(project, rules, data):
            print(f"fixed: {finding.fix.title} [{finding.rule}]")
        out = args.output or args.file
        try:
            save_project(project, out)
        except OSError as exc:
            return fail("lint", f"cannot write {out}: {exc.strerror}", 2)
        print(f"wrote {out}")
    analysis = analyze(project.graph)
    findings = lint(project, analysis, data)
    for problem in analysis.errors:
        print(f"error: {problem.message}")
    for f in findings:
        print(f"{f.severity}: {f.message} [{f.rule}]")
    warnings = sum(f.severity == "warning" for f in findings)
    infos = len(findings) - warnings
    skipped = "" if data else "; dataset rules skipped (dataset not available offline)"
    print(f"{len(analysis.errors)} error(s), {warnings} warning(s), {infos} info(s){skipped}",
          file=sys.stderr)
    return 1 if analysis.errors or (args.strict and warnings) else 0
