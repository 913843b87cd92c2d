"""Getting a compiled model out of NetCanvas: ONNX (verified with ONNX Runtime),
standalone PyTorch code, and weights as safetensors."""

from netcanvas.backend.export.errors import ExportError
from netcanvas.backend.export.onnx_export import OnnxReport, export_onnx
from netcanvas.backend.export.python_export import export_python, python_source
from netcanvas.backend.export.weights import load_weights, save_weights

__all__ = ["ExportError", "OnnxReport", "export_onnx", "export_python", "load_weights",
           "python_source", "save_weights"]
