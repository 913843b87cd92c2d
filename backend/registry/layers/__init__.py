"""Importing this package registers every layer type, one module per family."""

from . import activations, dense, io  # noqa: F401
