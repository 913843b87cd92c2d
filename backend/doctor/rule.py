"""What a lint rule is: a small declared object (id, severity, why, check), and what it
finds: a message pinned to a node, with an optional fix made of ordinary undoable edits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from netcanvas.backend.graph import Compound, Edit, Graph

Severity = Literal["warning", "info"]


@dataclass(frozen=True)
class Fix:
    """A one-click repair. `build` makes the edits from the graph as it is when the fix is
    applied, so a fix never holds stale item references; the document pushes them as one
    undoable step."""

    title: str
    build: Callable[[Graph], list[Edit]]

    def edit(self, graph: Graph) -> Compound:
        return Compound(self.build(graph), text=self.title)


@dataclass(frozen=True)
class Hit:
    node_id: str
    message: str
    fix: Fix | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    node_id: str
    message: str
    why: str
    fix: Fix | None = None


@dataclass(frozen=True)
class Rule:
    id: str  # stable, saved in projects that silence it: "double-softmax"
    severity: Severity
    why: str  # one sentence: why this is worth a change
    check: Callable[..., Iterable[Hit]]  # (LintContext, or the live doctor's) -> hits


RULES: dict[str, Rule] = {}


def declarer(registry: dict[str, Rule], what: str):
    """The decorator that declares a rule of one kind into `registry`:
    `@declare(rule_id, severity, why)` on a function yielding a Hit per finding."""
    def declare(rule_id: str, severity: Severity, why: str):
        def register(check):
            assert rule_id not in registry, f"duplicate {what} {rule_id!r}"
            registry[rule_id] = Rule(rule_id, severity, why, check)
            return check
        return register
    return declare


rule = declarer(RULES, "lint rule")  # the static rules, over the graph (LintContext)
