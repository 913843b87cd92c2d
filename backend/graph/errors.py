"""Typed graph errors. Each carries the ids of the nodes at fault so views can point at them."""

from __future__ import annotations

from netcanvas.backend.registry import ParamError


class GraphError(ValueError):
    def __init__(self, message: str, node_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.node_ids = tuple(node_ids)


class UnknownTypeError(GraphError):
    pass


class CycleError(GraphError):
    pass


class PortError(GraphError):
    """An edge to a port that does not exist, or a second edge into a single-input port."""


class NodeNameError(GraphError):
    """A node name refused: not an identifier, too long, reserved or taken (or a node id
    taken)."""


class UnknownNodeError(GraphError):
    pass


class MissingInputError(GraphError):
    """A required input port with nothing wired into it."""


class MissingEndpointError(GraphError):
    """A graph without an Input or an Output node (no node ids: nothing to point at)."""


class ParamValueError(GraphError, ParamError):
    """A parameter value or name its layer does not accept (also a registry ParamError)."""
