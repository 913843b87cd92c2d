"""Importing this package registers every layer type, one module per family, in
palette order within each category."""

from netcanvas.backend.registry.layers import io, dense, conv, pooling, norm, activations, regularization, reshape, merge, scalar, elementwise, permute, modern_activations, select, reduce, channel_norm, pooling1d, sequence, attention  # noqa: F401,I001
