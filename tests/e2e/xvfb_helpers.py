"""A virtual X server, a real mouse and keyboard (xdotool) and screen grabs for tests that run
the installed app in a real window. Every process started here is stopped by the fixtures,
also when the test fails."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

SCREEN = (1600, 1000)
STEP_PAUSE = 0.02  # between mouse steps: Qt must see a motion stream, not a jump


def wait_for(predicate, timeout: float, what: str):
    """Poll until `predicate()` is truthy and return it; fail naming `what` after `timeout`."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


@contextmanager
def xvfb(log: Path):
    """Xvfb on a display number it picks itself (-displayfd): no clash with other servers.
    The pipe stays open while it runs (it writes the number again later and dies if it
    cannot); -noreset keeps it from resetting whenever its last client leaves; its chatter
    goes to `log` (a pipe nobody reads could fill up and stall it). Yields DISPLAY."""
    read_fd, write_fd = os.pipe()
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
             f"{SCREEN[0]}x{SCREEN[1]}x24", "-dpi", "96", "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=out, stderr=subprocess.STDOUT)
    os.close(write_fd)
    try:
        ready, _, _ = select.select([read_fd], [], [], 20)
        number = os.read(read_fd, 32).decode().strip() if ready else ""
        if not number:
            pytest.fail(f"Xvfb did not start: {log.read_text(errors='replace')[-500:]}")
        yield f":{number}"
    finally:
        stop(proc)
        os.close(read_fd)


@pytest.fixture
def x_display(tmp_path):
    """DISPLAY of a fresh Xvfb screen; skips when Xvfb or xdotool is not installed."""
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (run .ci/install-system-deps)")
    with xvfb(tmp_path / "xvfb.log") as display:
        yield display


class Mouse:
    """xdotool on one display: press, move in small steps, release — a real drag to Qt."""

    def __init__(self, display: str) -> None:
        self.env = {**os.environ, "DISPLAY": display}

    def xdo(self, *args) -> str:
        out = subprocess.run(["xdotool", *map(str, args)], check=False, env=self.env,
                             capture_output=True, text=True, timeout=20)
        if out.returncode:
            pytest.fail(f"xdotool {' '.join(map(str, args))}: {out.stderr.strip()}")
        return out.stdout

    def drag(self, start, end, steps: int = 20) -> None:
        """Left-button drag as one xdotool command chain: press, a few short moves past Qt's
        drag threshold (10 px), then `steps` moves to `end`, a pause there, release."""
        (x0, y0), (x1, y1) = start, end
        sign = 1 if x1 >= x0 else -1
        points = [(x0 + sign * dx, y0) for dx in (2, 5, 10, 15)]
        xa, ya = points[-1]
        points += [(round(xa + (x1 - xa) * i / steps), round(ya + (y1 - ya) * i / steps))
                   for i in range(1, steps + 1)]
        chain = ["mousemove", x0, y0, "sleep", STEP_PAUSE, "mousedown", 1]
        for x, y in points:
            chain += ["sleep", STEP_PAUSE, "mousemove", x, y]
        self.xdo(*chain, "sleep", 0.1, "mouseup", 1)

    def keys_to_window(self, window_id: int, keys: str) -> None:
        """Give the window the keyboard focus (there is no window manager to do it) and type
        `keys`, e.g. "ctrl+s", as real key events."""
        self.xdo("windowfocus", "--sync", window_id)
        self.xdo("key", "--clearmodifiers", keys)


def read_json(path: Path) -> dict | None:
    """The file's JSON, or None while it is missing or half-written."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


_GRAB = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)
"""


def grab_screen(display: str, path: Path) -> bool:
    """Save the whole X screen as a PNG (Qt's own grab: no ImageMagick or xwd needed)."""
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
           "QT_ENABLE_HIGHDPI_SCALING": "0"}
    done = subprocess.run([sys.executable, "-c", _GRAB, str(path)], check=False, env=env,
                          capture_output=True, timeout=30)
    return done.returncode == 0
