"""The memory-fit line beside the batch size in the Settings tab: what training takes at
this batch size and the largest batch a 3/8/24 GB GPU holds (backend/doctor/memory.py).
Self-contained: it installs itself under the batch-size row and follows the document."""

from __future__ import annotations

from netcanvas.backend.doctor.memory import (
    GPU_SIZES_GB,
    GiB,
    describe,
    estimate_memory,
    largest_batch,
)
from netcanvas.backend.shapes import human_bytes
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QWidget


class MemoryFitLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("memory_fit")
        self.setWordWrap(True)  # only where there is no room for its lines (see sizeHint)
        self.document = None

    def sizeHint(self) -> QSize:
        """Its lines whole: a wrapping label asks for a narrow column of broken phrases."""
        lines = self.text().splitlines() or [""]
        m = self.contentsMargins()
        return QSize(max(self.fontMetrics().horizontalAdvance(line) for line in lines) + 2
                     + m.left() + m.right(),
                     self.fontMetrics().lineSpacing() * len(lines) + m.top() + m.bottom())

    @classmethod
    def install(cls, form) -> MemoryFitLabel:
        """Put a label in the row under the settings form's batch size."""
        label = cls()
        layout = form.forms["batch_size"]
        row, _ = layout.getWidgetPosition(form.widgets["batch_size"])
        layout.insertRow(row + 1, "Memory", label)
        form.changed.connect(label.refresh)
        return label

    def set_document(self, document) -> None:
        if self.document is not None:
            self.document.analysis_changed.disconnect(self.refresh)
        self.document = document
        document.analysis_changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        doc = self.document
        if doc is None:
            return
        analysis = doc.analysis
        if analysis.errors:
            self.setText("— (fix the graph's errors first)")
            self.setToolTip("")
            return
        e = estimate_memory(doc.project, analysis=analysis)
        fits = [(gb, largest_batch(doc.project, gb * GiB, analysis=analysis))
                for gb in GPU_SIZES_GB]
        sizes = " / ".join(str(gb) for gb, _ in fits)
        batches = " / ".join(f"{n:,}" if n else "none" for _, n in fits)
        self.setText(f"≈ {human_bytes(e.total)} on a GPU at batch {e.batch_size}\n"
                     f"largest batch on a {sizes} GB GPU: {batches}")
        self.setToolTip(describe(e) + ". The workspace allowance (CUDA context, cuDNN "
                        "workspace, the layer being computed) is an estimate, not a measurement.")
