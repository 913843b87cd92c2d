"""What the Circuit overlay shows, computed off the GUI thread (on a `Worker`): one forward
and backward pass of backend/insight/circuit.py on a detached copy of the graph, turned into
the overlay's texts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class CircuitReadings:
    wires: dict  # (node id, port) -> (value text, gradient text)
    notes: dict  # node id -> its local derivatives
    message: str  # for the status bar: the output's value, on what input and weights


def circuit_readings(graph, run=None, dataset=None, index: int = 0) -> CircuitReadings:
    """The circuit of `graph` (a copy nobody edits): on a graph with Inputs, with `run`'s
    trained weights when given (the graph is still the one trained) and test sample `index`
    of `dataset` when loaded; else fresh weights and a random input."""
    from netcanvas.backend.insight.circuit import node_labels, run_circuit, wire_labels

    model, sample, target, where = _network_inputs(graph, run, dataset, index)
    result = run_circuit(graph, model=model, sample=sample, target=target)
    what = "loss" if result.objective == "loss" else result.output
    return CircuitReadings(
        wire_labels(result), node_labels(graph, result),
        f"Circuit: {what} = {result.value:.4g}{where}; green: value (‖·‖ for tensors), "
        "red: gradient of the output")


def _network_inputs(graph, run, dataset, index: int):
    """(model, sample, target, description of them) for `circuit_readings`."""
    if not any(n.type_id == "input" for n in graph.nodes.values()):
        return None, None, None, ""
    trained = run.model() if run is not None else None
    model = trained
    sample = target = None
    where = " (random input"
    if dataset is not None and len(dataset.test):
        from netcanvas.backend.compiler import compile_graph
        from netcanvas.backend.insight.circuit import CircuitError, split_sample

        try:
            model = model or compile_graph(graph)
            sample, target = split_sample(dataset.test, index, model.input_shapes)
            where = f" (test sample {index}"
        except (CircuitError, ValueError):
            sample = target = None
    where += (", trained weights)" if model is not None and model is trained
              else ", untrained weights)")
    return model, sample, target, where
