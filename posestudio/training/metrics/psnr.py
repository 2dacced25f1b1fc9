"""PSNR = 10 log10(255^2 / MSE) over all pixels and channels (inf for identical images)."""

from __future__ import annotations

import math

import numpy as np

from posestudio.training.metrics.base import as_image, same_shape


def psnr(generated, reference, data_range: float = 255.0) -> float:
    g, r = as_image(generated, "generated image"), as_image(reference, "reference image")
    same_shape(g, r)
    mse = float(np.mean((g - r) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(data_range**2 / mse)


class PSNR:
    kind = "pair"
    higher_is_better = True
    name = "psnr"

    def __call__(self, generated, reference) -> float:
        return psnr(generated, reference)
