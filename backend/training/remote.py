"""Training in several processes from the app: torchrun in a subprocess, rank 0's events
streamed back as JSON lines.

`ProcessTrainer` launches `netcanvas train SNAPSHOT --nproc-per-node N --events FILE` (the
CLI's own torchrun launch, so the ranks train exactly as on the command line) and `events()`
follows FILE, yielding the very event objects rank 0's Trainer emitted. `Finished` and the
RunResult a run ends with carry the model rank 0 checkpointed, loaded on the CPU. It has the
in-process Trainer's interface (`run`, `cancel`, `on_event`), so the app's worker drives
either; `trainer_for` picks one from the device setting.

Stop is SIGINT to torchrun, which hands it to every rank (the Ctrl-C of `netcanvas train`):
each stops between two steps, rank 0 keeps its completed epochs, and the run resumes from
its checkpoint like any other. A multi-process run does not pause: ranks waiting in a
collective for a paused peer time out.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from netcanvas.backend.runtime.device import processes
from netcanvas.backend.training import events as ev

EVENTS = "events.jsonl"  # in the checkpoint folder, beside the torchrun log and the snapshot
LOG = "torchrun.log"
SNAPSHOT = "distributed.netcanvas"
POLL_S = 0.05
STOP_GRACE_S = 60  # torchrun itself kills a rank 30 s after passing on a stop
_TYPES = {cls.__name__: cls for cls in ev.EVENTS}
_ERROR = "netcanvas train: error: "


def trainer_for(project, dataset=None, **kw):
    """The trainer of an app run: every GPU's process when the device setting is "cuda:all"
    on a machine with several, else the Trainer in this process."""
    n = processes(project.training.device)
    if n > 1:
        return ProcessTrainer(project, n, **kw)
    from netcanvas.backend.training.trainer import Trainer

    return Trainer(project, dataset, **kw)


# ---- rank 0's side: `netcanvas train --events FILE` ---------------------------------------
def encode(event) -> str:
    """One JSON line for a Trainer event or a RunResult (its model left out: the checkpoint
    holds the weights)."""
    fields = _result_fields(event) if isinstance(event, ev.RunResult) else dataclasses.asdict(event)
    return json.dumps({"type": type(event).__name__, **fields})


def _result_fields(result: ev.RunResult) -> dict:
    fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)
              if f.name != "model"}
    fields["failed"] = dataclasses.asdict(result.failed) if result.failed else None
    return fields


class EventLog:
    """A Trainer `on_event` sink writing each event (and, last, the RunResult) as a JSON
    line, flushed at once."""

    def __init__(self, path: str | os.PathLike) -> None:
        self._file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - open for the run

    def __call__(self, event) -> None:
        self._file.write(encode(event) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


# ---- the app's side ------------------------------------------------------------------
class ProcessTrainer:
    """A run of `project` in `nproc` processes under torchrun (see the module docstring).
    `device` overrides the project's setting (tests use "cpu": gloo ranks)."""

    def __init__(self, project, nproc: int, *, device: str | None = None,
                 on_event: Callable | None = None, checkpoint_dir=None, resume_from=None,
                 layer_stats: int = 0) -> None:
        self.project, self.nproc = project, nproc
        self.device = device or project.training.device
        self.on_event = on_event
        self.checkpoint_dir = Path(checkpoint_dir or tempfile.mkdtemp(prefix="netcanvas-run-"))
        self.resume_from = resume_from
        self.layer_stats = layer_stats
        self.result: ev.RunResult | None = None
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._stop: signal.Signals | None = None
        self._last = ev.Cancelled(epoch=0, step=0)  # where the run is, for a Cancelled

    # ---- control, from any thread ------------------------------------------------------
    def cancel(self, keep: bool = True) -> None:
        """Stop every rank between two steps; `keep` evaluates the completed epochs (a Stop),
        else the ranks end at once (the app is closing): the last checkpoint stays."""
        sig = signal.SIGINT if keep else signal.SIGTERM
        with self._lock:
            if self._stop in (sig, signal.SIGTERM):
                return  # asked already: a second signal would cut torchrun's own shutdown short
            self._stop = sig
            if self._proc is not None and self._proc.poll() is None:
                _send(self._proc, sig)

    def pause(self) -> None:
        """Not offered (see the module docstring): the run goes on."""

    def resume(self) -> None:
        """Nothing paused (see `pause`)."""

    def snapshot_predict(self, _x) -> None:
        """The live weights are in other processes: None, as before a model is built."""

    # ---- the run -----------------------------------------------------------------------
    def run(self) -> ev.RunResult:
        """Train to the end, handing each event to `on_event`; never raises."""
        for event in self.events():
            if self.on_event is not None:
                self.on_event(event)
        return self.result

    def argv(self) -> list[str]:
        folder = self.checkpoint_dir
        argv = [sys.executable, "-m", "netcanvas", "train", str(folder / SNAPSHOT),
                "--nproc-per-node", str(self.nproc), "--device", self.device,
                "--out", str(folder), "--events", str(folder / EVENTS),
                "--layer-stats", str(self.layer_stats)]
        if self.resume_from:
            argv += ["--resume", str(self.resume_from)]
        return argv

    def events(self) -> Iterator:
        """Launch torchrun and yield rank 0's events as they come; exactly one of Finished,
        Cancelled or Failed ends them, and `result` then holds the RunResult."""
        try:
            proc = self._launch()
        except OSError as exc:
            self.result = ev.RunResult(model=None, failed=ev.Failed(
                "error", f"could not start the training processes: {exc}"))
            yield self.result.failed
            return
        try:
            with open(self.checkpoint_dir / EVENTS, encoding="utf-8") as f:
                yield from self._follow(f, proc)
            if self.result is None:
                yield self._ended_without_result(proc)
        finally:
            if proc.poll() is None:  # the caller gave up on the run: end it
                self.cancel(keep=False)
                try:
                    proc.wait(STOP_GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()

    def _launch(self) -> subprocess.Popen:
        from netcanvas.backend.project_io import save_project

        folder = self.checkpoint_dir
        folder.mkdir(parents=True, exist_ok=True)
        save_project(self.project, folder / SNAPSHOT)
        (folder / EVENTS).write_text("")
        posix = os.name == "posix"
        with open(folder / LOG, "w", encoding="utf-8") as log, self._lock:
            self._proc = subprocess.Popen(
                self.argv(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=posix,
                creationflags=0 if posix else subprocess.CREATE_NEW_PROCESS_GROUP)
            if self._stop is not None:
                _send(self._proc, self._stop)
        return self._proc

    def _follow(self, f, proc: subprocess.Popen) -> Iterator:
        pending = ""
        while True:
            exited = proc.poll() is not None  # before reading: nothing written after is lost
            chunk = f.read()
            if not chunk:
                if exited:
                    return
                time.sleep(POLL_S)
                continue
            *lines, pending = (pending + chunk).split("\n")
            for line in lines:
                event = self._decode(json.loads(line)) if line.strip() else None
                if event is not None:
                    yield event

    def _decode(self, doc: dict):
        kind = doc.pop("type")
        if kind == "RunResult":
            if self.result is None:
                self.result = self._result(doc)
            return None
        event = _TYPES[kind](**doc)
        if isinstance(event, ev.Steps):
            self._last = ev.Cancelled(event.epoch, event.steps[-1] if event.steps else 0)
        if isinstance(event, ev.Failed) and self._stop is not None:
            return self._last  # a rank left by a peer that stopped a step earlier: the Stop
        return event

    def _result(self, fields: dict) -> ev.RunResult:
        failed = fields.pop("failed")
        result = ev.RunResult(model=None, **fields,
                              failed=ev.Failed(**failed) if failed else None)
        if result.failed is not None and self._stop is not None:
            result.failed, result.cancelled = None, True  # see `_decode`
        if result.history and (self.checkpoint_dir / "checkpoint.json").is_file():
            from netcanvas.backend.training.checkpoint import load_model

            result.model = load_model(self.project.graph, self.checkpoint_dir)
        return result

    def _ended_without_result(self, proc: subprocess.Popen):
        """The ranks ended before rank 0 reported how (stopped while starting, refused, or
        killed): the run ends from what its checkpoint holds."""
        from netcanvas.backend.training.checkpoint import CheckpointError, load_checkpoint

        try:
            meta = load_checkpoint(self.checkpoint_dir)[0]
            history, best = list(meta["history"]), meta["best_epoch"]
        except (CheckpointError, KeyError):
            history, best = [], 0
        if self._stop is not None:
            self.result = self._result({"history": history, "best_epoch": best, "cancelled": True,
                                         "failed": None, "device": self.device})
            return self._last
        message = _last_error(self.checkpoint_dir / LOG) or (
            f"the training processes ended with status {proc.returncode} "
            f"(see {self.checkpoint_dir / LOG})")
        failed = ev.Failed("error", message)
        self.result = self._result({"history": history, "best_epoch": best, "failed": None,
                                     "device": self.device})
        self.result.failed = failed
        return failed


def _send(proc: subprocess.Popen, sig: signal.Signals) -> None:
    """Signal torchrun (not its group: it passes the signal to each rank itself)."""
    if os.name != "posix":
        proc.terminate()
        return
    try:
        proc.send_signal(sig)
    except ProcessLookupError:
        pass


def _last_error(log: Path) -> str | None:
    """The last `netcanvas train: error:` line a rank wrote."""
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    found = [line.split(_ERROR, 1)[1] for line in lines if _ERROR in line]
    return found[-1] if found and found[-1] != "cancelled" else None
