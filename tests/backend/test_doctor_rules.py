"""Each lint rule fires on a graph that has its mistake and stays quiet on a near miss;
each fix clears its finding as one edit that undoes exactly."""

from __future__ import annotations

import pytest
from doctor_graphs import CASES, chain, conv, lin, pool
from netcanvas.backend.doctor import RULES, DataFacts, lint, silence_fix
from netcanvas.backend.project_io import project_from_dict, project_to_dict
from netcanvas.backend.shapes import analyze

DIGITS = DataFacts("digits", (1, 8, 8), 10)


def findings(project, rule):
    return [f for f in lint(project, data=DIGITS) if f.rule == rule]


def test_every_rule_has_a_case():
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_fires_once_with_a_message_naming_the_node(rule):
    bad, _ = CASES[rule]
    (found,) = findings(bad, rule)
    node = bad.graph.nodes[found.node_id]
    assert f"'{node.name}'" in found.message
    assert found.severity == RULES[rule].severity and found.why == RULES[rule].why


@pytest.mark.parametrize("rule", sorted(CASES))
def test_rule_is_quiet_on_the_near_miss(rule):
    _, good = CASES[rule]
    assert analyze(good.graph).ok
    assert not findings(good, rule)


@pytest.mark.parametrize("rule", sorted(r for r in CASES if findings(CASES[r][0], r)[0].fix))
def test_fix_clears_the_finding_and_undoes_exactly(rule):
    bad, _ = CASES[rule]
    before = project_to_dict(bad)
    (found,) = findings(bad, rule)
    edit = found.fix.edit(bad.graph)
    edit.apply(bad.graph)
    assert not findings(bad, rule)
    assert analyze(bad.graph).ok
    edit.revert(bad.graph)
    assert project_to_dict(bad) == before


def test_fixes_that_exist():
    with_fix = {r for r in CASES if findings(CASES[r][0], r)[0].fix}
    assert with_fix == {"double-softmax", "sigmoid-before-bce", "activation-on-logits",
                        "bias-before-batchnorm", "linear-chain", "double-activation",
                        "pool-kernel-1", "stride-drops-pixels", "big-first-linear",
                        "output-classes", "input-shape", "attention-without-positions"}


def test_linear_chain_names_the_collapsed_size():
    (found,) = findings(chain(("flatten", {}), lin(32), lin(10)), "linear-chain")
    assert "64→32" in found.message and "32→10" in found.message
    assert "one Linear 64→10 (650 parameters instead of 2,410)" in found.message


def test_pointwise_conv_chain_fires_but_3x3_does_not():
    one = chain(conv(8, k=1), conv(4, k=1), ("flatten", {}), lin(10))
    three = chain(conv(8, k=3, padding=(1, 1)), conv(4, k=3, padding=(1, 1)), ("flatten", {}),
                  lin(10))
    assert "1×1 Conv2d 1→4" in findings(one, "linear-chain")[0].message
    assert not findings(three, "linear-chain")


def test_linear_chain_sees_through_dropout():
    assert findings(chain(("flatten", {}), lin(32), "dropout", lin(10)), "linear-chain")


def test_strided_pointwise_shortcut_is_not_dropping_pixels():
    assert not findings(chain(conv(4, k=1, stride=(2, 2)), ("flatten", {}), lin(10),
                              shape=(1, 7, 7)), "stride-drops-pixels")


def test_pool_kernel_1_with_stride_offers_no_fix():
    (found,) = findings(chain(conv(4), pool(1, 2), ("flatten", {}), lin(10)), "pool-kernel-1")
    assert "drops pixels" in found.message and found.fix is None


def test_no_dataset_no_dataset_rules():
    bad = CASES["output-classes"][0]
    assert not [f for f in lint(bad) if f.rule in ("output-classes", "input-shape")]


def test_output_classes_fix_inserts_a_linear_when_no_linear_feeds_the_output():
    bad = chain(("flatten", {}), lin(16), "relu")
    (found,) = findings(bad, "output-classes")
    assert found.fix.title == "Add a Linear to 10"
    found.fix.edit(bad.graph).apply(bad.graph)
    assert not findings(bad, "output-classes")


def test_silencing_is_per_node_undoable_and_saved():
    bad, _ = CASES["double-softmax"]
    (found,) = findings(bad, "double-softmax")
    edit = silence_fix(bad.graph, found).edit(bad.graph)
    edit.apply(bad.graph)
    assert not findings(bad, "double-softmax")
    again = project_from_dict(project_to_dict(bad))
    assert again.graph.nodes[found.node_id].silenced == ("double-softmax",)
    assert not findings(again, "double-softmax")
    edit.revert(bad.graph)
    assert findings(bad, "double-softmax")


def test_rules_skip_nodes_with_errors():
    broken = chain(("flatten", {}), lin(10), "softmax", ("conv2d", {}))
    assert not findings(broken, "double-softmax")
