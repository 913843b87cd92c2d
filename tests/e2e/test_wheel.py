"""A wheel built from a clean copy of the checkout, installed into a fresh venv, runs.

The venv reuses this environment's already installed dependencies (torch, PySide6, ...)
through a .pth file, so the test takes seconds instead of a multi-GB install; netcanvas itself
comes only from the wheel, which the test asserts by where its modules and resources load from.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


def run(*args, **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False,
                          timeout=600, **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def clean_copy(destination: Path) -> Path:
    """The files a fresh clone has (tracked, or new and not ignored), nothing built."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout")
    listed = run("git", "-C", ROOT, "ls-files", "-z", "--cached", "--others",
                 "--exclude-standard").stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is still listed
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name, follow_symlinks=False)
    return destination


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = clean_copy(tmp / "checkout")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "-w", tmp / "dist", source)
    (wheel,) = (tmp / "dist").glob("netcanvas-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for packaged in ("netcanvas/resources/icons/netcanvas.svg",
                     "netcanvas/resources/examples/lenet_digits.netcanvas",
                     "netcanvas/resources/desktop/io.github.netcanvas.netcanvas.desktop",
                     "netcanvas/backend/cli/desktop.py", "netcanvas/app/launch.py"):
        assert packaged in names
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))")
                   .stdout.strip())
    here = {sysconfig.get_path("purelib"), *(p for p in sys.path if p.endswith("site-packages"))}
    (purelib / "reuse_dependencies.pth").write_text("\n".join(sorted(here)) + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
        "--no-index", wheel)
    return env_dir


def test_wheel_installs_netcanvas_with_its_resources_in_the_fresh_venv(wheel_venv):
    code = ("import importlib.resources as r, netcanvas, netcanvas.backend, netcanvas.app; "
            "print(netcanvas.__file__, netcanvas.backend.__file__, netcanvas.app.__file__, "
            "r.files('netcanvas.resources'))")
    for path in run(wheel_venv / "bin" / "python", "-c", code, cwd=wheel_venv).stdout.split():
        assert Path(path).resolve().is_relative_to(wheel_venv.resolve()), path
        assert not Path(path).resolve().is_relative_to(ROOT.resolve()), path


def test_wheel_runs_check_and_screenshot_on_a_bundled_example(wheel_venv, tmp_path):
    example = (wheel_venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" /
               "site-packages" / "netcanvas" / "resources" / "examples" / "lenet_digits.netcanvas")
    netcanvas = wheel_venv / "bin" / "netcanvas"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", OMP_NUM_THREADS="1",
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_STATE_HOME=str(tmp_path / "state"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    checked = run(netcanvas, "check", example, env=env, cwd=tmp_path)
    assert "13,706 parameters" in checked.stdout, checked.stdout
    shot = tmp_path / "shot.png"
    run(netcanvas, "--screenshot", shot, example, env=env, cwd=tmp_path)
    image = Image.open(shot)
    assert image.size == (1600, 1000) and len(image.convert("L").getcolors()) > 20
    desktop = run(netcanvas, "desktop", "install", env=env, cwd=tmp_path)
    assert "installed the launcher" in desktop.stdout
    launcher = (tmp_path / "data" / "applications" / "io.github.netcanvas.netcanvas.desktop")
    assert f"Exec={netcanvas} %f" in launcher.read_text()
    run(netcanvas, "desktop", "uninstall", env=env, cwd=tmp_path)
    assert not launcher.exists()
