"""The methods the look-inside views offer, by id and title: torch-free, so the window can
list them before torch is imported (attribution.py and embedding.py compute them)."""

METHODS = {"saliency": "Saliency (gradient)", "integrated_gradients": "Integrated Gradients",
           "occlusion": "Occlusion"}

# The projections the Embedding page offers (embedding.py computes them).
EMBEDDINGS = {"pca": "PCA", "tsne": "t-SNE"}
