"""The augmentation declarations (dataset fields, plain data: no torch import).

One Param each drives the data tab's form, validation, the CLI's `--set dataset.NAME=` and
the project file, like every other setting; backend/data/augmentation.py applies them, on the
training batches only, on the training device, drawn from the run's seeded generator.
Every default is off. Normalisation is the `normalize` field; crop and flip are
`augment_crop_padding` and `augment_flip` (backend/settings.py).
"""

from __future__ import annotations

from netcanvas.backend.registry.spec import Param

MIX_MODES = ("none", "mixup", "cutmix")

AUGMENTATIONS: tuple[Param, ...] = (
    Param("augment_resized_crop", "float", 0.0, "Random resized crop: the smallest share of "
          "the image's area a crop keeps, stretched back to full size (0 = off).", min=0.0,
          max=1.0, label="Resized crop (min area)"),
    Param("augment_rotation", "float", 0.0, "Random rotation up to this many degrees either "
          "way (0 = off).", min=0.0, max=180.0, label="Rotation (degrees)"),
    Param("augment_affine", "float", 0.0, "Random shift (share of the size), scale and shear "
          "up to this much (0 = off).", min=0.0, max=0.5, label="Affine strength"),
    Param("augment_color_jitter", "float", 0.0, "Random brightness, contrast and saturation "
          "change up to this share (0 = off).", min=0.0, max=1.0, label="Colour jitter"),
    Param("augment_grayscale", "float", 0.0, "Probability of turning a colour image grey.",
          min=0.0, max=1.0, label="Greyscale probability"),
    Param("augment_blur", "float", 0.0, "Probability of a Gaussian blur (σ 0.1 to 1.5).",
          min=0.0, max=1.0, label="Blur probability"),
    Param("augment_erasing", "float", 0.0, "Probability of erasing a random rectangle "
          "(2% to 33% of the area; cutout).", min=0.0, max=1.0, label="Erasing probability"),
    Param("augment_mix", "choice", "none", "Mix pairs of training samples (classification): "
          "mixup blends images, cutmix pastes a patch; the loss mixes both targets.",
          choices=MIX_MODES, label="Mixup / CutMix"),
    Param("augment_mix_alpha", "float", 1.0, "Beta(α, α) draws the mixing share.", min=0.01,
          max=10.0, label="Mixing α"),
)
