"""The attribution methods Why offers, by id and title: torch-free, so the window can list
them before torch is imported (attribution.py computes them)."""

METHODS = {"saliency": "Saliency (gradient)", "integrated_gradients": "Integrated Gradients",
           "occlusion": "Occlusion"}
