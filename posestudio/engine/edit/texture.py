"""Patch-based texture synthesis (image quilting without the min-cut) and the
shading and feathering that put a synthesised texture into a photo.

:func:`synthesize` tiles a region with square patches cut from a donor region
of a picture: each grid cell takes, among random donor windows, the one whose
overlap with the patches already laid agrees best (sum of squared differences,
Efros & Freeman 2001), and overlaps are blended with tent weights. Unlike
copying the nearest boundary pixel, the result has the donor's own weave,
print and grain. :func:`shade` re-lights it with the low frequencies of what
was there (folds, shadows), :func:`feather` gives the soft edge.
"""

from __future__ import annotations

import cv2
import numpy as np

TRIES = 16  # random donor windows compared per grid cell


def patch_size(shape: tuple[int, int]) -> int:
    """Patch side for a picture of ``shape``: about 1/24 of the shorter side (11 px at 256)."""
    return max(5, round(min(shape) / 24)) | 1


def _windows(donor: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-left corners (ys, xs) of the p x p windows lying wholly inside ``donor``."""
    h, w = donor.shape
    if h < p or w < p:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    inside = cv2.erode(donor.astype(np.uint8), np.ones((p, p), np.uint8), anchor=(0, 0),
                       borderType=cv2.BORDER_CONSTANT, borderValue=0)  # fmt: skip
    inside[h - p + 1:] = 0
    inside[:, w - p + 1:] = 0
    return np.nonzero(inside)


def synthesize(donor_image: np.ndarray, donor: np.ndarray, region: np.ndarray, patch: int | None = None,
               seed: int = 0) -> np.ndarray:
    """float32 HxWx3 texture covering ``region`` (bool HxW, the size of the output)
    made of patches of ``donor_image`` (uint8 hxwx3) inside ``donor`` (bool hxw).
    Outside ``region``'s bounding box the result is 0. Raises ValueError when
    the donor is empty."""
    h, w = region.shape
    out = np.zeros((h, w, 3), np.float32)
    if not region.any():
        return out
    if not donor.any():
        raise ValueError("the donor region is empty")
    rng = np.random.default_rng(seed)
    src = donor_image.astype(np.float32)
    p = patch or patch_size(region.shape)
    ys, xs = _windows(donor, p)
    while len(ys) < 4 and p > 3:  # a thin donor (a strap, a sleeve): smaller patches
        p = max(3, (p * 2) // 3)
        ys, xs = _windows(donor, p)
    if len(ys) == 0:  # no window at all: scattered donor pixels, smoothed a little
        dy, dx = np.nonzero(donor)
        ty, tx = np.nonzero(region)
        k = rng.integers(0, len(dy), len(ty))
        out[ty, tx] = src[dy[k], dx[k]]
        return cv2.GaussianBlur(out, (3, 3), 0)
    ov = max(1, p // 4)
    step = p - ov
    ry, rx = np.nonzero(region)
    y0, y1, x0, x1 = ry.min(), ry.max() + 1, rx.min(), rx.max() + 1
    acc = np.zeros((y1 - y0 + p, x1 - x0 + p, 3), np.float32)
    wsum = np.zeros(acc.shape[:2], np.float32)
    ramp = np.minimum(np.arange(p) + 1, p - np.arange(p)).astype(np.float32)
    tent = np.minimum(np.minimum(ramp, ov + 1)[:, None], np.minimum(ramp, ov + 1)[None, :])
    need = cv2.dilate(region[y0:y1, x0:x1].astype(np.uint8), np.ones((p, p), np.uint8))
    need = np.pad(need, ((0, p), (0, p)))
    dyy, dxx = np.mgrid[0:p, 0:p]
    for gy in range(0, y1 - y0, step):
        for gx in range(0, x1 - x0, step):
            if not need[gy:gy + p, gx:gx + p].any():
                continue
            k = rng.integers(0, len(ys), TRIES)
            cand = src[ys[k][:, None, None] + dyy, xs[k][:, None, None] + dxx]  # (T, p, p, 3)
            have = wsum[gy:gy + p, gx:gx + p] > 0
            if have.any():
                cur = acc[gy:gy + p, gx:gx + p] / np.maximum(wsum[gy:gy + p, gx:gx + p], 1e-6)[..., None]
                err = (((cand - cur) ** 2).sum(-1) * have).sum((1, 2))
                best = int(np.argmin(err))
            else:
                best = 0
            acc[gy:gy + p, gx:gx + p] += cand[best] * tent[..., None]
            wsum[gy:gy + p, gx:gx + p] += tent
    tex = acc[: y1 - y0, : x1 - x0] / np.maximum(wsum[: y1 - y0, : x1 - x0], 1e-6)[..., None]
    out[y0:y1, x0:x1] = tex
    return out


def luminance(image: np.ndarray) -> np.ndarray:
    """Rec. 601 luma, float32 HxW."""
    return image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)


def shade(texture: np.ndarray, under: np.ndarray, region: np.ndarray, groups: np.ndarray | None = None,
          strength: float = 0.8) -> np.ndarray:
    """``texture`` re-lit by the shading of ``under`` (the picture that was there):
    the ratio of ``under``'s smoothed luminance to its mean over ``region`` (per
    value of ``groups``, the old labels, so a material boundary is not taken for
    a shadow), clipped to [0.5, 1.5] and raised to ``strength``."""
    ratio = np.ones(region.shape, np.float32)
    if not region.any():
        return texture
    sigma = max(1.0, min(region.shape) / 160)
    pad = int(3 * sigma) + 1
    ys, xs = np.nonzero(region.any(1))[0], np.nonzero(region.any(0))[0]
    y0, y1 = max(0, ys[0] - pad), min(region.shape[0], ys[-1] + 1 + pad)
    x0, x1 = max(0, xs[0] - pad), min(region.shape[1], xs[-1] + 1 + pad)
    smooth = cv2.GaussianBlur(luminance(under[y0:y1, x0:x1]), (0, 0), sigma)
    reg = region[y0:y1, x0:x1]
    g = np.zeros(reg.shape, np.int32) if groups is None else groups[y0:y1, x0:x1].astype(np.int32)
    r = np.ones(reg.shape, np.float32)
    for v in np.unique(g[reg]):
        m = reg & (g == v)
        mean = float(smooth[m].mean())
        if mean > 8:  # a near-black region has no shading worth keeping
            r[m] = smooth[m] / mean
    ratio[y0:y1, x0:x1] = np.clip(r, 0.5, 1.5) ** strength
    return texture * ratio[..., None]


def feather(region: np.ndarray, width: float) -> np.ndarray:
    """float32 alpha: 1 deep inside ``region``, 0 beyond ``width`` px outside it,
    a smooth ramp across the boundary."""
    if width <= 0:
        return region.astype(np.float32)
    k = 2 * int(np.ceil(2 * width)) + 1
    return cv2.GaussianBlur(region.astype(np.float32), (k, k), width / 1.5)


def composite(image: np.ndarray, layer: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """uint8 ``image`` with float ``layer`` laid over it by ``alpha``; pixels where
    alpha is 0 keep their exact values."""
    out = image.copy()
    m = alpha > 0
    a = alpha[m][:, None]
    out[m] = np.clip(np.rint(a * layer[m] + (1 - a) * image[m].astype(np.float32)), 0, 255).astype(np.uint8)
    return out
