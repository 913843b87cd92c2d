"""torchvision's classification models for the import corpus (random weights).

torchvision 0.28.0 is installed with --no-deps beside the CPU torch; its compiled ops do not
load, and importing it fails while registering fake kernels for them unless the two modules
that do so are stubbed first. The classification models need none of those ops."""

from __future__ import annotations

import sys
import types


def models():
    """torchvision.models, or None when torchvision is not installed."""
    for name in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        sys.modules.setdefault(name, types.ModuleType(name))
    try:
        import torchvision.models
    except ImportError:
        return None
    return torchvision.models
