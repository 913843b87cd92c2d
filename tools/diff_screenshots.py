"""Screenshot of two runs diffed (issue 26), for docs/: LeNet on digits trained, then its
fc1 widened (kept in part), a new 10-class head made ("New task") with the convolutions
frozen and trained again from run 1's weights; the diff view of run 1 -> run 2.

    QT_QPA_PLATFORM=offscreen python tools/diff_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from insight_screenshots import ROOT, settle


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs"
    os.environ.setdefault("NETCANVAS_DATA_DIR", tempfile.mkdtemp(prefix="netcanvas-shots-"))
    app = QApplication.instance() or QApplication([])
    from netcanvas.app.training.diff_view import RunDiffView
    from netcanvas.backend.data import load_dataset
    from netcanvas.backend.graph import SetParam, SetTraining
    from netcanvas.backend.graph.head import new_task
    from netcanvas.backend.project_io import load_project
    from netcanvas.backend.runs import DataInfo, RunStore
    from netcanvas.backend.training import Trainer
    from netcanvas.backend.training.init_weights import InitSource

    project = load_project(ROOT / "resources" / "examples" / "lenet_digits.netcanvas")
    project.training.epochs, project.training.device = 4, "cpu"
    data = load_dataset(project.dataset)
    store = RunStore("shots", Path(os.environ["NETCANVAS_DATA_DIR"]) / "runs")
    runs = []
    for step in range(2):
        if step:
            g = project.graph
            SetParam(g.by_name("fc1").id, "out_features", 96).apply(g)
            new_task(g, 10, freeze=True).apply(g)
            SetTraining(g.by_name("fc1").id, {"lr_factor": 0.5}).apply(g)
        run = store.new_run(project)
        init = InitSource("run 1", {k: v for k, v in runs[0].model().module.state_dict().items()}
                          ) if runs else None
        result = Trainer(run.project, data, checkpoint_dir=run.checkpoint_dir,
                         init_from=init).run()
        run.data = DataInfo.of(data)
        run.ended(result)
        runs.append(run)
    view = RunDiffView(*runs)
    view.show()
    settle(app)
    settle(app)
    view.grab().save(str(out / "run-diff.png"))
    view.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
