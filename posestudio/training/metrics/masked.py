"""mask-SSIM and mask-PSNR, the Market-1501 protocol of PG2/PATN: both the generated and
the reference image are multiplied by the target's pose mask (background set to 0),
then SSIM (PATN variant) or PSNR is computed on the masked pair.

The mask is given, or built from the target pose with ``core.pose.body_mask`` (limbs,
torso and head filled, then dilated, as PG2 builds its pose mask).
"""

from __future__ import annotations

import numpy as np

from posestudio.core.pose import Pose, body_mask
from posestudio.errors import InputError
from posestudio.training.metrics.psnr import psnr
from posestudio.training.metrics.ssim import ssim


def apply_mask(image, mask) -> np.ndarray:
    img = np.asarray(image).astype(np.float64)
    m = np.asarray(mask).astype(np.float64)
    if m.shape != img.shape[:2]:
        raise InputError(f"mask is {m.shape}, image is {img.shape[:2]}")
    return img * (m[..., None] if img.ndim == 3 else m)


def _mask(reference, mask, pose: Pose | None):
    if mask is not None:
        return mask
    if pose is None:
        raise InputError("masked metrics need the target's mask or pose")
    h, w = np.asarray(reference).shape[:2]
    return body_mask(pose, h, w)


def mask_ssim(generated, reference, mask=None, pose: Pose | None = None) -> float:
    m = _mask(reference, mask, pose)
    return ssim(apply_mask(generated, m), apply_mask(reference, m), "patn")


def mask_psnr(generated, reference, mask=None, pose: Pose | None = None) -> float:
    m = _mask(reference, mask, pose)
    return psnr(apply_mask(generated, m), apply_mask(reference, m))


class MaskSSIM:
    kind = "pair"
    higher_is_better = True
    name = "mask-ssim"

    def __call__(self, generated, reference, mask=None, pose=None) -> float:
        return mask_ssim(generated, reference, mask, pose)


class MaskPSNR:
    kind = "pair"
    higher_is_better = True
    name = "mask-psnr"

    def __call__(self, generated, reference, mask=None, pose=None) -> float:
        return mask_psnr(generated, reference, mask, pose)
