"""Evaluation metrics of the pose-transfer papers, one module each, behind ``get_metric(name)``.

=============  ======  ==========================================================
name           kind    what
=============  ======  ==========================================================
ssim           pair    SSIM, PATN/PoNA protocol (skimage, Gaussian 1.5, range 255)
ssim-gfla      pair    SSIM, GFLA protocol (range = generated image's max - min)
ssim-plain     pair    SSIM, skimage defaults (7x7 uniform, sample cov.; the real-pair check)
psnr           pair    PSNR, 255 peak
mask-ssim      pair    SSIM of both images times the target's pose mask (Market)
mask-psnr      pair    PSNR of the masked pair (Market)
lpips          pair    LPIPS-AlexNet, weights from ``weights=PATH`` (--lpips-weights)
fid            set     Fréchet Inception Distance, ``inception_weights=PATH``
is             set     Inception Score, ``inception_weights=PATH``
pckh           pose    PCKh@0.5 of predicted vs reference keypoints
=============  ======  ==========================================================

Pair metrics take ``(generated, reference)`` uint8 (H, W, 3) images; set metrics take
lists of images; ``pckh`` takes lists of ``Pose``. Torch is imported only by lpips/fid/is.
"""

from __future__ import annotations

import importlib

from posestudio.errors import InputError

_REGISTRY: dict[str, tuple[str, str, dict]] = {
    "ssim": ("ssim", "SSIM", {"variant": "patn"}),
    "ssim-gfla": ("ssim", "SSIM", {"variant": "gfla"}),
    "ssim-plain": ("ssim", "SSIM", {"variant": "plain"}),
    "psnr": ("psnr", "PSNR", {}),
    "mask-ssim": ("masked", "MaskSSIM", {}),
    "mask-psnr": ("masked", "MaskPSNR", {}),
    "lpips": ("lpips", "LPIPS", {}),
    "fid": ("fid", "FID", {}),
    "is": ("inception_score", "InceptionScore", {}),
    "pckh": ("pckh", "PCKh", {}),
}


def list_metrics() -> list[str]:
    return list(_REGISTRY)


def get_metric(name: str, **kwargs):
    """A metric object by name (see the table above); ``kwargs`` go to its constructor."""
    key = name.lower()
    if key not in _REGISTRY:
        raise InputError(f"unknown metric {name!r}; known: {', '.join(_REGISTRY)}")
    module, cls, defaults = _REGISTRY[key]
    mod = importlib.import_module(f"posestudio.training.metrics.{module}")
    return getattr(mod, cls)(**{**defaults, **kwargs})


__all__ = ["get_metric", "list_metrics"]
