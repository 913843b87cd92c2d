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
    """(facts, None) for data that loads offline: the built-ins and the user's own folder, CSV
    or NPZ (a folder is indexed, not decoded: its shape comes from the first image);
    (None, why the dataset rules are skipped) otherwise, never starting a download."""
    import dataclasses

    from netcanvas.backend.catalogue import DATASETS

    config = project.dataset
    info = DATASETS.get(config.name)
    if info is None or info.kind == "download":
        return None, "dataset not available offline"
    from netcanvas.backend.data import DatasetError, load_dataset
    from netcanvas.backend.doctor import DataFacts

    if config.name == "folder":
        config = dataclasses.replace(config, normalize=False, options={
            **config.options, "stream": True, "workers": 0})
    try:
        return DataFacts.of(load_dataset(config)), None
    except DatasetError as exc:
        return None, f"the data does not load: {exc}"


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
    data, skipped = data_facts(project)
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
    skipped = f"; dataset rules skipped ({skipped})" if skipped else ""
    print(f"{len(analysis.errors)} error(s), {warnings} warning(s), {infos} info(s){skipped}",
          file=sys.stderr)
    return 1 if analysis.errors or (args.strict and warnings) else 0
