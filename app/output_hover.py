"""Hovering a card shows that node's output on the current sample with the current weights:
a small picture (channel maps for images, bars for vectors) and the value range, under the
card's tooltip. It reads the Outputs page's cache (computed on a Worker once per edit); on a
hover the cache does not cover yet, it asks the page for a computation and shows "computing",
so a hover never runs the network on the GUI thread."""

from __future__ import annotations

from netcanvas.app.training.image_grid import pixmap
from netcanvas.app.training.outputs_page import bars_image, maps_image, signature
from PySide6.QtCore import QBuffer, QByteArray, QIODevice

WIDTH = 288  # pixels across the hover picture (8 maps of 8×8 at 4×)


def png_data_uri(image) -> str:
    """uint8 (H, W, 3) -> a data: URI a tooltip's rich text can show."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap(image, WIDTH).save(buffer, "PNG")
    return "data:image/png;base64," + bytes(data.toBase64()).decode()


class OutputHover:
    def __init__(self, page) -> None:
        self.page = page  # () -> the Look inside › Outputs page (built when first hovered)

    def html(self, node_id: str) -> str:
        """The picture and range of `node_id`'s output, or a line saying why not yet."""
        page = self.page()
        doc = page.document
        if doc is None or node_id not in doc.graph.nodes or not doc.analysis.ok:
            return ""
        if page.key is None or page.key[0] != signature(doc.project):
            page.refresh(wanted=True)  # on its Worker; the next hover shows it
            return "<i>computing this node's output…</i>"
        preview = page.previews.get(node_id)
        if preview is None:
            return ""
        image = maps_image(preview.values) if preview.kind == "image" else bars_image(
            preview.values)
        return (f'<img src="{png_data_uri(image)}"><br>output on '
                f'{"test sample " + str(page.key[1]) if page.key[1] is not None else "a random sample"}'
                f": {preview.describe()}")
