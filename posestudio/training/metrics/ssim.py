"""SSIM (Wang et al. 2004, eq. 13: mean of the local SSIM map) as pose-transfer papers report it.

Variant ``patn`` (PATN, PoNA, SPT, ...): skimage ``compare_ssim(generated, reference,
gaussian_weights=True, sigma=1.5, use_sample_covariance=False, multichannel=True,
data_range=255)``: an 11x11 Gaussian window (sigma 1.5, truncated at 3.5 sigma),
population (not sample) covariances, K1 = 0.01, K2 = 0.03, per-channel maps averaged
after dropping the 5-pixel border.

Variant ``gfla`` (GFLA's evaluation script, also used by later flow-based work): the
same, but ``data_range = generated.max() - generated.min()`` of each generated image,
which changes C1 = (K1 L)^2 and C2 = (K2 L)^2 with the image's own range.

Variant ``plain`` (skimage's defaults, as ``../shared/tools/realcheck.py`` calls it:
``structural_similarity(a, b, data_range=255, channel_axis=2)``): a 7x7 uniform window,
sample covariances (N / (N - 1)), range 255, the 3-pixel border dropped.

Implemented with OpenCV filters; agrees with ``skimage.metrics.structural_similarity``
(same arguments) to ~1e-7.
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.training.metrics.base import as_image, same_shape

SIGMA = 1.5
WIN = 11  # 2 * int(3.5 * 1.5 + 0.5) + 1, skimage's window for gaussian_weights
PLAIN_WIN = 7  # skimage's default uniform window
VARIANTS = ("patn", "gfla", "plain")


def ssim_map(x: np.ndarray, y: np.ndarray, data_range: float, plain: bool = False) -> np.ndarray:
    """Local SSIM of two single-channel float64 images (Wang et al. 2004, eq. 13): a
    Gaussian window with population covariances, or (``plain``) skimage's default 7x7
    uniform window with sample covariances."""
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2

    def f(a):
        if plain:
            return cv2.blur(a, (PLAIN_WIN, PLAIN_WIN), borderType=cv2.BORDER_REFLECT)
        return cv2.GaussianBlur(a, (WIN, WIN), SIGMA, borderType=cv2.BORDER_REFLECT)

    n = PLAIN_WIN * PLAIN_WIN
    norm = n / (n - 1) if plain else 1.0
    ux, uy = f(x), f(y)
    vx = norm * (f(x * x) - ux * ux)
    vy = norm * (f(y * y) - uy * uy)
    vxy = norm * (f(x * y) - ux * uy)
    return ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))


def ssim(generated, reference, variant: str = "patn") -> float:
    """Mean SSIM of a generated image against its reference ((H, W, C) in 0..255)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown SSIM variant {variant!r}; use one of {', '.join(VARIANTS)}")
    g, r = as_image(generated, "generated image"), as_image(reference, "reference image")
    same_shape(g, r)
    rng = float(g.max() - g.min()) if variant == "gfla" else 255.0
    if g.ndim == 2:
        g, r = g[..., None], r[..., None]
    plain = variant == "plain"
    pad = ((PLAIN_WIN if plain else WIN) - 1) // 2
    vals = []
    for c in range(g.shape[2]):
        m = ssim_map(np.ascontiguousarray(g[..., c]), np.ascontiguousarray(r[..., c]), rng, plain)
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
