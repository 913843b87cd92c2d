"""The training dock's Look inside tab: every node's output before training, the receptive
field of a clicked cell, Grad-CAM and SmoothGrad of the shown run, and embeddings of any node
(one page each)."""

from __future__ import annotations

from netcanvas.app.training.cam_page import CamPage
from netcanvas.app.training.embedding_page import EmbeddingPage
from netcanvas.app.training.field_page import FieldPage
from netcanvas.app.training.outputs_page import OutputsPage
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget


class LookInsideTab(QWidget):
    def __init__(self, dataset_of, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.outputs = OutputsPage(dataset_of)
        self.field = FieldPage(dataset_of)
        self.cam = CamPage()
        self.embedding = EmbeddingPage()
        self.pages = QTabWidget()
        self.pages.addTab(self.outputs, "Outputs")
        self.pages.addTab(self.field, "Receptive field")
        self.pages.addTab(self.cam, "Grad-CAM")
        self.pages.addTab(self.embedding, "Embeddings")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

    def set_document(self, document) -> None:
        self.outputs.set_document(document)
        self.field.set_document(document)

    def follow(self, workspace) -> None:
        """Look inside the workspace's shown run (Grad-CAM, the lens, the embeddings), on
        its dataset when that is loaded: the run it holds now, then each next one."""
        def show(run) -> None:
            self.set_run(run, workspace.dataset_for(run.project) if run is not None else None)

        workspace.subscribe("shown", show)
        show(workspace.shown)

    def set_run(self, run, dataset=None) -> None:
        self.cam.set_run(run, dataset)
        self.field.set_run(run)
        self.embedding.set_run(run, dataset)

    def select_nodes(self, graph, node_ids: list[str]) -> None:
        """A node selected on the canvas: its output shows on Outputs, and it becomes the
        lens's, Grad-CAM's and the embedding's node where it can be."""
        if node_ids:
            self.outputs.show_node(node_ids[0])
        for nid in node_ids[:1]:
            node = graph.nodes.get(nid)
            if node is not None:
                self.field.select_node(node.name)
                self.cam.select_node(node.name)
                self.embedding.select_node(node.name)
