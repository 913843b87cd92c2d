"""Getting a compiled model out of NetCanvas: ONNX (verified with ONNX Runtime),
standalone PyTorch code, and weights as safetensors."""

from .errors import ExportError
from .onnx_export import OnnxReport, export_onnx
from .python_export import export_python, python_source
from .weights import load_weights, save_weights

__all__ = ["ExportError", "OnnxReport", "export_onnx", "export_python", "load_weights",
           "python_source", "save_weights"]
