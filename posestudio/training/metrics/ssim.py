"""SSIM (Wang et al. 2004, eq. 13: mean of the local SSIM map) as pose-transfer papers report it.

Variant ``patn`` (PATN, PoNA, SPT, ...): skimage ``compare_ssim(generated, reference,
gaussian_weights=True, sigma=1.5, use_sample_covariance=False, multichannel=True,
data_range=255)``: an 11x11 Gaussian window (sigma 1.5, truncated at 3.5 sigma),
population (not sample) covariances, K1 = 0.01, K2 = 0.03, per-channel maps averaged
after dropping the 5-pixel border.

Variant ``gfla`` (GFLA's evaluation script, also used by later flow-based work): the
same, but ``data_range = generated.max() - generated.min()`` of each generated image,
which changes C1 = (K1 L)^2 and C2 = (K2 L)^2 with the image's own range.

Implemented with OpenCV filters; agrees with ``skimage.metrics.structural_similarity``
(same arguments) to ~1e-7.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.training.metrics.base import as_image, same_shape

SIGMA = 1.5
WIN = 11  # 2 * int(3.5 * 1.5 + 0.5) + 1, skimage's window for gaussian_weights
VARIANTS = ("patn", "gfla")


def ssim_map(x: np.ndarray, y: np.ndarray, data_range: float) -> np.ndarray:
    """Local SSIM of two single-channel float64 images (Wang et al. 2004, eq. 13)."""
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2

    def f(a):
        return cv2.GaussianBlur(a, (WIN, WIN), SIGMA, borderType=cv2.BORDER_REFLECT)

    ux, uy = f(x), f(y)
    vx = f(x * x) - ux * ux
    vy = f(y * y) - uy * uy
    vxy = f(x * y) - ux * uy
    return ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))


def ssim(generated, reference, variant: str = "patn") -> float:
    """Mean SSIM of a generated image against its reference ((H, W, C) in 0..255)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown SSIM variant {variant!r}; use one of {', '.join(VARIANTS)}")
    g, r = as_image(generated, "generated image"), as_image(reference, "reference image")
    same_shape(g, r)
    rng = 255.0 if variant == "patn" else float(g.max() - g.min())
    if g.ndim == 2:
        g, r = g[..., None], r[..., None]
    pad = (WIN - 1) // 2
    vals = []
    for c in range(g.shape[2]):
        m = ssim_map(np.ascontiguousarray(g[..., c]), np.ascontiguousarray(r[..., c]), rng)
        vals.append(m[pad:-pad, pad:-pad].mean())
    return float(np.mean(vals))


class SSIM:
    """Pairwise metric: ``SSIM(variant)(generated, reference) -> float`` (higher is better)."""

    kind = "pair"
    higher_is_better = True

    def __init__(self, variant: str = "patn"):
        if variant not in VARIANTS:
            raise ValueError(f"unknown SSIM variant {variant!r}; use one of {', '.join(VARIANTS)}")
        self.variant = variant
        self.name = "ssim" if variant == "patn" else f"ssim-{variant}"

    def __call__(self, generated, reference) -> float:
        return ssim(generated, reference, self.variant)
