"""The doctor that watches training: rules over the live per-layer statistics
(backend/runtime/probes.py, arriving as LayerStats events) and the epoch metrics, declared
like the static lint rules. A finding is pinned to a node, says what was seen and since
when, and may carry a fix (an ordinary undoable edit) for the next run. No Qt, no torch:
it reads plain events, so it costs nothing between reports."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from netcanvas.backend.doctor.rule import Finding, Rule, declarer
from netcanvas.backend.graph import Node
from netcanvas.backend.project import Project
from netcanvas.backend.training.events import EpochEnded, LayerStats

LIVE_RULES: dict[str, Rule] = {}
live_rule = declarer(LIVE_RULES, "training rule")  # the decorated check takes a LiveContext


def live_rules() -> dict[str, Rule]:
    """Every training-time rule (declared in rules_live.py, which imports this module)."""
    from netcanvas.backend.doctor import rules_live  # noqa: F401
    return LIVE_RULES


@dataclass
class Reading:
    epoch: int
    step: int
    layers: dict[str, dict[str, float]]


@dataclass
class LiveContext:
    """What the rules read: the project that is training (a snapshot), the readings so far
    and the finished epochs' metrics."""

    project: Project
    num_classes: int | None = None
    readings: list[Reading] = field(default_factory=list)
    epochs: list[dict[str, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        graph = self.project.graph
        order, _ = graph.order()
        self.by_name: dict[str, Node] = {graph.nodes[nid].name: graph.nodes[nid] for nid in order}

    @cached_property
    def analysis(self):
        from netcanvas.backend.shapes import analyze
        return analyze(self.project.graph)

    @property
    def latest(self) -> dict[str, dict[str, float]]:
        return self.readings[-1].layers if self.readings else {}

    def nodes(self, *type_ids: str) -> list[Node]:
        return [n for n in self.by_name.values() if n.type_id in type_ids]

    def weighted(self) -> list[str]:
        """Names of the layers with parameters in the latest reading, sources first."""
        return [name for name in self.by_name if "grad_norm" in self.latest.get(name, {})]

    def since(self, holds: Callable[[dict[str, dict[str, float]]], bool]) -> int | None:
        """The epoch from which `holds(layers)` has been true in every reading up to the
        latest; None when it does not hold now."""
        first = None
        for reading in reversed(self.readings):
            try:
                ok = holds(reading.layers)
            except (KeyError, ZeroDivisionError):
                ok = False
            if not ok:
                break
            first = reading.epoch
        return first


class TrainingDoctor:
    """Feed it every training event; `observe` returns the findings that are new, and
    `findings` holds those that hold now. Rules run only when a reading or an epoch
    arrives (a few times a second at most)."""

    def __init__(self, project: Project, num_classes: int | None = None,
                 rules: list[str] | None = None) -> None:
        self.context = LiveContext(project, num_classes)
        self.rules = [r for r in live_rules().values() if rules is None or r.id in rules]
        self.findings: list[Finding] = []
        self.seen: set[tuple[str, str]] = set()

    def observe(self, event) -> list[Finding]:
        if isinstance(event, LayerStats):
            self.context.readings.append(Reading(event.epoch, event.step, event.layers))
        elif isinstance(event, EpochEnded):
            self.context.epochs.append(dict(event.metrics))
        else:
            return []
        graph = self.context.project.graph
        self.findings = [Finding(r.id, r.severity, hit.node_id, hit.message, r.why, hit.fix)
                         for r in self.rules for hit in r.check(self.context)
                         if r.id not in graph.nodes[hit.node_id].silenced]
        new = [f for f in self.findings if (f.rule, f.node_id) not in self.seen]
        self.seen.update((f.rule, f.node_id) for f in new)
        return new


def percent(x: float) -> str:
    return f"{x * 100:.0f} %"


def sci(x: float) -> str:
    return f"{x:.1e}" if x and not 1e-2 <= abs(x) < 1e3 else f"{x:.3g}"


def chance_loss(num_classes: int) -> float:
    return math.log(num_classes)
