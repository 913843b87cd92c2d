"""Screenshots of composite blocks, for docs/: ResNet-18 built from blocks, and one of its
stages opened inside (breadcrumb, live shapes of that instance).

    QT_QPA_PLATFORM=offscreen python tools/blocks_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
from insight_screenshots import ROOT, example_window, settle


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "docs"
    app = QApplication.instance() or QApplication([])
    win = example_window("resnet18.netcanvas")
    settle(app)
    win.resizeDocks([win.problems_dock], [150], Qt.Vertical)
    settle(app)
    win.frame_all()
    stage = win.document.graph.by_name(argv[1] if len(argv) > 1 else "layer2")
    win.scene.select_nodes([stage.id])
    tree = win.palette_panel.tree  # the palette's Blocks section in sight
    tree.scrollToItem(win.palette_panel.block_item("EncoderDecoder"))
    settle(app)
    win.grab().save(str(out / "blocks-resnet18.png"))
    win.navigator.open(stage.id)
    settle(app)
    win.grab().save(str(out / "blocks-inside.png"))
    win.files.quiet = True
    win.document.undo_stack.setClean()
    win.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
