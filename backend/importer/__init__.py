"""Import: PyTorch modules and ONNX files become editable NetCanvas graphs.

One importer (fx_import) maps a torch.fx graph to layers by what each registry layer
declares it imports from; pytorch.py traces the user's module, onnx_fx.py converts an ONNX
file to fx, and project.py saves the result with its weights beside it."""

from netcanvas.backend.importer.fx_import import Imported, ImportProblem, import_fx, trace

__all__ = ["ImportProblem", "Imported", "import_fx", "trace"]
