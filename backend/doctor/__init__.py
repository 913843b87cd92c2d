"""The graph doctor: lint rules that know deep learning, quick fixes that are ordinary
undoable edits, a memory-fit predictor and the per-node summary table. No Qt, no torch."""

from __future__ import annotations

from netcanvas.backend.doctor import (  # noqa: F401  (declare the rules)
    rules_layers,
    rules_output,
    rules_sequence,
    rules_tasks,
)
from netcanvas.backend.doctor.context import DataFacts, LintContext
from netcanvas.backend.doctor.error_fixes import error_fixes
from netcanvas.backend.doctor.rule import RULES, Finding, Fix, Rule
from netcanvas.backend.graph import Graph, SetSilenced
from netcanvas.backend.project import Project
from netcanvas.backend.shapes import Analysis

__all__ = ["RULES", "DataFacts", "Finding", "Fix", "Rule", "fix_all", "fixes_for", "lint",
           "silence_fix"]


def lint(project: Project, analysis: Analysis | None = None, data: DataFacts | None = None,
         rules: list[str] | None = None) -> list[Finding]:
    """Every finding of the chosen rules (all by default), minus those silenced per node."""
    ctx = LintContext(project, analysis, data)
    findings = []
    for r in RULES.values():
        if rules is not None and r.id not in rules:
            continue
        for hit in r.check(ctx):
            if r.id not in ctx.graph.nodes[hit.node_id].silenced:
                findings.append(Finding(r.id, r.severity, hit.node_id, hit.message, r.why,
                                        hit.fix))
    return findings


def silence_fix(graph: Graph, finding: Finding) -> Fix:
    node = graph.node(finding.node_id)
    return Fix(f"Silence '{finding.rule}' for '{node.name}'",
               lambda g, n=node.id, r=finding.rule: [
                   SetSilenced(n, (*g.node(n).silenced, r), text=f"Silence '{r}'")])


def fixes_for(project: Project, node_id: str, findings: list[Finding],
              analysis: Analysis | None = None, data: DataFacts | None = None
              ) -> tuple[list[Fix], list[Fix]]:
    """What the right-click menu offers for a node: the repairs (of its error, then of its
    lint findings), and a way to silence each of its findings or to hear again from a rule
    silenced before."""
    graph = project.graph
    mine = [f for f in findings if f.node_id == node_id]
    repairs = [*error_fixes(graph, node_id, analysis, data),
               *(f.fix for f in mine if f.fix is not None)]
    node = graph.node(node_id)
    unsilence = [Fix(f"Stop silencing '{r}' for '{node.name}'",
                     lambda g, n=node_id, r=r: [SetSilenced(
                         n, tuple(x for x in g.node(n).silenced if x != r), text=f"Unsilence '{r}'")])
                 for r in node.silenced]
    return repairs, [*(silence_fix(graph, f) for f in mine), *unsilence]


def fix_all(project: Project, rules: list[str] | None = None,
            data: DataFacts | None = None) -> list[Finding]:
    """Apply the fix of every finding of `rules` (all when None), re-linting after each, as
    a user clicking through them would; returns the findings fixed."""
    fixed: list[Finding] = []
    for _ in range(len(project.graph.nodes) * 4 + 4):  # each fix changes the graph; bound it
        todo = [f for f in lint(project, data=data, rules=rules) if f.fix is not None]
        if not todo:
            break
        todo[0].fix.edit(project.graph).apply(project.graph)
        fixed.append(todo[0])
    return fixed
