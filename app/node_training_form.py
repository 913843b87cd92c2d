"""The inspector's "Training" rows: a node's per-node training settings (trainable, LR
factor, weight decay), made from their declarations; each change is one undoable edit."""

from __future__ import annotations

from netcanvas.app.param_editors import ParamEditor
from netcanvas.backend.graph import SetTraining
from netcanvas.backend.graph.node_training import NODE_TRAINING, setting
from PySide6.QtWidgets import QFormLayout, QLabel


class NodeTrainingRows:
    """The rows of one node, added to `form`; `offer(edit)` returns a refusal or None."""

    def __init__(self, form: QFormLayout, node, offer) -> None:
        self.node_id = node.id
        self._offer = offer
        self._node = node
        heading = QLabel("<b>Training</b>")
        heading.setToolTip("How this node's weights train: the optimizer's parameter groups "
                           "come from these (a block instance's cover everything inside it).")
        form.addRow(heading)
        self.editors: dict[str, ParamEditor] = {}
        for param in NODE_TRAINING:
            editor = ParamEditor(param)
            editor.set_value(setting(node, param.name))
            editor.committed.connect(lambda value, n=param.name: self._commit(n, value))
            self.editors[param.name] = editor
            form.addRow(param.label or param.name, editor.widget)

    def _commit(self, name: str, value) -> None:
        wanted = {**self._node.training, name: value}
        if self._offer(SetTraining(self.node_id, wanted)):
            self.show(self._node)

    def show(self, node) -> None:
        """Show `node`'s values (after an undo, a redo or a refusal)."""
        self._node = node
        for name, editor in self.editors.items():
            editor.set_value(setting(node, name))
