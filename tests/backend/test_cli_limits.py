"""Commands refuse, in one line and before any work, what they cannot finish or write
(issue 29 items 6 and 8): sweep storage URLs, results folders and metrics; lr-find's CSV;
declared maximums on attack and lr-find steps and ε counts. Long runs show progress on a
terminal and stop cleanly on Ctrl-C."""

from __future__ import annotations

import io

import pytest
from netcanvas.backend.cli import attack as attack_cli
from netcanvas.backend.cli import lr_find as lr_find_cli
from netcanvas.backend.cli.progress import Progress
from test_fuzz import digits_model, refused_in_one_line, run_cli  # noqa: F401 -- a fixture

MOONS = "resources/examples/mlp_moons.netcanvas"


@pytest.fixture
def blocked(tmp_path):
    """A path under a plain file: nothing can be written there, not even by root."""
    (tmp_path / "file").write_text("x")
    return tmp_path / "file" / "sub"


def _refused(argv, *words):
    status, out, err = run_cli(argv, seconds=60)  # the first dataset load imports sklearn
    assert refused_in_one_line(" ".join(argv[:2]), status, out, err) is None
    for word in words:
        assert word in err, err
    return err


def test_sweep_refuses_bad_storage_urls_in_one_line(tmp_path, blocked):
    sweep = ["sweep", MOONS, "--param", "training.lr=log:1e-3:1e-1", "--trials", "1",
             "--out", str(tmp_path / "out")]
    _refused([*sweep, "--storage", "nonsense"], "--storage", "not a database URL")
    _refused([*sweep, "--storage", "foo://x"], "driver is not installed")
    _refused([*sweep, "--storage", "postgresql+nosuchdriver://u@h/db"], "driver")
    _refused([*sweep, "--storage", f"sqlite:///{blocked}/s.db"], "cannot open it")


def test_sweep_refuses_an_unwritable_out_and_an_unknown_metric(tmp_path, blocked):
    sweep = ["sweep", MOONS, "--param", "training.lr=log:1e-3:1e-1", "--trials", "1"]
    _refused([*sweep, "--out", str(blocked)], "cannot create the folder")
    (tmp_path / "taken").write_text("x")
    _refused([*sweep, "--out", str(tmp_path / "taken")], "not a folder")
    _refused([*sweep, "--out", str(tmp_path / "o"), "--metric", "val_acuracy"],
             "--metric 'val_acuracy'", "val_accuracy")
    _refused([*sweep, "--trials", "1000000000"], "--trials", "at most")
    _refused([*sweep, "--jobs", "100000"], "--jobs", "at most")


def test_lr_find_checks_its_csv_before_the_run(blocked, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the range test ran before the CSV was checked")

    monkeypatch.setattr("netcanvas.backend.training.lr_find.lr_range_test", never)
    _refused(["lr-find", MOONS, "--csv", str(blocked / "x.csv")], "cannot write")
    _refused(["lr-find", MOONS, "--steps", "1000000000"], "--steps", "at most 100000")


def test_attack_declares_its_maximums(tmp_path):
    attack = ["attack", MOONS, "--weights", str(tmp_path / "w.safetensors")]
    _refused([*attack, "--method", "pgd", "--steps", "1000000000"], "--steps", "at most 1000")
    _refused([*attack, "--eps", ",".join(["0.1"] * 5000)], "--eps", "at most 64 values")
    _refused([*attack, "--eps", "1e300"], "--eps")
    _refused([*attack, "--out", str(tmp_path / "file-is-missing" / "t.csv")], "cannot write")


class _CtrlC(Progress):
    """Progress whose second step is a Ctrl-C from the user."""

    def step(self, n: int = 1) -> None:
        super().step(n)
        if self.done == 2:
            raise KeyboardInterrupt


@pytest.mark.slow
def test_ctrl_c_stops_attack_and_lr_find_cleanly(digits_model, monkeypatch):
    monkeypatch.setattr(attack_cli, "Progress", _CtrlC)
    monkeypatch.setattr(lr_find_cli, "Progress", _CtrlC)
    model = [str(digits_model / "lenet.netcanvas"), "--weights",
             str(digits_model / "lenet.safetensors")]
    for argv in (["attack", *model, "--method", "pgd", "--eps", "0.1,0.2,0.3", "--steps", "2",
                  "--device", "cpu"],
                 ["lr-find", str(digits_model / "lenet.netcanvas"), "--steps", "5",
                  "--device", "cpu"]):
        status, _, err = run_cli(argv, seconds=120)  # real work before the Ctrl-C
        cancelled = f"netcanvas {argv[0]}: error: cancelled"
        assert status == 1 and err.strip().splitlines() == [cancelled], (argv[0], err)


def test_progress_is_shown_on_a_terminal_only():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown, piped = Terminal(), io.StringIO()
    for stream in (shown, piped):
        progress = Progress("pgd attack", 4, stream)
        for _ in range(4):
            progress.step()
        progress.close()
    assert "pgd attack: 4/4 (100%)" in shown.getvalue() and piped.getvalue() == ""
