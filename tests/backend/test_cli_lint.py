"""`netcanvas lint`: reports the findings with their rule ids, --fix repairs and saves."""

from __future__ import annotations

from doctor_graphs import chain, conv, lin
from netcanvas.backend.cli import main
from netcanvas.backend.doctor import lint
from netcanvas.backend.project_io import load_project, save_project
from netcanvas.backend.shapes import analyze

THREE = ("double-softmax", "bias-before-batchnorm", "linear-chain")


def three_mistakes(path):
    project = chain(conv(4, padding=(1, 1)), "batch_norm2d", "relu", "global_avg_pool2d",
                    lin(32), lin(10), "softmax")
    project.dataset.name = "mnist"  # not offline: the dataset rules are skipped, fast
    save_project(project, path)
    return path


def test_lint_reports_all_three_and_fix_removes_them(tmp_path, capsys):
    path = three_mistakes(tmp_path / "bad.netcanvas")
    assert main(["lint", str(path)]) == 0
    out = capsys.readouterr().out
    assert all(f"[{rule}]" in out for rule in THREE)
    assert main(["lint", str(path), "--strict"]) == 1
    capsys.readouterr()

    fixed = tmp_path / "fixed.netcanvas"
    assert main(["lint", str(path), "--fix", "-o", str(fixed)]) == 0
    out = capsys.readouterr().out
    assert all(f"[{rule}]" in out.split("wrote")[0] for rule in THREE)
    project = load_project(fixed)
    assert analyze(project.graph).ok
    assert not [f for f in lint(project) if f.rule in THREE]
    assert main(["lint", str(fixed), "--strict"]) == 0
    assert main(["check", str(fixed)]) == 0
    assert load_project(path).graph.to_dict() != project.graph.to_dict()  # -o left FILE alone


def test_fix_only_the_named_rule_in_place(tmp_path, capsys):
    path = three_mistakes(tmp_path / "bad.netcanvas")
    assert main(["lint", str(path), "--fix", "double-softmax"]) == 0
    left = {f.rule for f in lint(load_project(path))}
    assert "double-softmax" not in left and {"bias-before-batchnorm", "linear-chain"} <= left


def test_dataset_rules_use_the_builtin_dataset(tmp_path, capsys):
    path = tmp_path / "p.netcanvas"
    save_project(chain(("flatten", {}), lin(7), shape=(1, 28, 28)), path)
    main(["lint", str(path)])
    out = capsys.readouterr().out
    assert "[input-shape]" in out and "[output-classes]" in out and "10 classes" in out


def test_bad_arguments_are_one_line_and_exit_2(tmp_path, capsys):
    path = three_mistakes(tmp_path / "bad.netcanvas")
    assert main(["lint", str(path), "--fix", "nope"]) == 2
    assert main(["lint", str(path), "-o", str(tmp_path / "x.netcanvas")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "unknown rule 'nope'" in err[0] and "with --fix" in err[1]


def test_errors_exit_1(tmp_path, capsys):
    path = tmp_path / "broken.netcanvas"
    save_project(chain(shape=(3, 5)), path)  # (N, 3, 5) into a cross-entropy Output
    assert main(["lint", str(path)]) == 1
    assert "error: Output 'output1'" in capsys.readouterr().out
