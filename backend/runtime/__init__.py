"""Running a compiled model, below training and the insight tools: devices and batches,
batched prediction, raw inputs, losses, per-layer probes and adversarial perturbations.
Imports nothing of training/, insight/ or cli/ (the `layers` contract in pyproject.toml)."""
