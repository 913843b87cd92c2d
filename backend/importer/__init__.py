"""Import: PyTorch modules and ONNX files become editable NetCanvas graphs.

One importer (fx_import) maps a torch.fx graph to layers by what each registry layer
declares it imports from (fx_forms); pytorch.py traces the user's module, onnx_fx.py
converts an ONNX file to fx (op handlers in onnx_layers.py and onnx_shapes.py), fold.py
turns repeated structure into blocks, and save.py writes the result with its weights."""

from netcanvas.backend.importer.fx_forms import trace
from netcanvas.backend.importer.fx_import import Imported, ImportProblem, import_fx

__all__ = ["ImportProblem", "Imported", "import_fx", "trace"]
