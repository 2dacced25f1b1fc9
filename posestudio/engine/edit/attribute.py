"""Attribute transfer: a region of the reference person (upper clothes, pants,
skirt, hair, shoes) worn by the person in the picture.

The reference is reposed onto the picture's pose with the same warp as pose
transfer (``puppet_warp(reference, reference_pose, target_pose, reference_parsing)``),
its region is laid over the picture with a soft edge, the picture's parsing takes
the garment's new shape, and what the old garment covered and the new one does
not is repainted like a garment edit (skin from the arms, background from the
background, …).
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core import labels
from posestudio.core.pose import Pose
from posestudio.engine.edit import garment, texture
from posestudio.errors import InputError


def region_labels(region: str | None, label_set: str) -> tuple[int, ...]:
    """The labels of ``label_set`` that make up ``region``: a label name of the set
    (with its other-side twin) or a region of the 8-region set ('lower clothes', 'arms')."""
    ls = labels.get(label_set)
    if not region:
        raise InputError("attribute transfer needs a region (e.g. 'upper clothes', 'pants', 'hair')")
    if region in ls.names:
        i = ls.index(region)
        return tuple(sorted({i, int(ls.swap_table()[i])}))
    scm8 = labels.get("scm8")
    if region in scm8.names and ls.name != "scm8":
        to8 = labels.convert(np.arange(len(ls))[None].astype(np.uint8), ls.name, "scm8")[0]
        found = tuple(int(i) for i in np.flatnonzero(to8 == scm8.index(region)) if i > 0)
        if found:
            return found
    raise InputError(f"unknown region {region!r}; {ls.title} has: {', '.join(ls.names[1:])}")


def _scaled(reference, parsing, pose: Pose, h: int, w: int):
    """The reference, its parsing and pose at the picture's size."""
    rh, rw = reference.shape[:2]
    if (rh, rw) == (h, w):
        return reference, parsing, pose
    ref = cv2.resize(reference, (w, h), interpolation=cv2.INTER_AREA)
    par = cv2.resize(parsing.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    p = pose.copy()
    p.xy = p.xy * np.array([w / rw, h / rh])
    return ref, par, p


def transfer(image: np.ndarray, parsing: np.ndarray, pose: Pose, reference: np.ndarray,
             reference_parsing: np.ndarray, reference_pose: Pose, region: tuple[int, ...],
             label_set: str = "spt10") -> tuple[np.ndarray, np.ndarray]:
    """(image, parsing): the picture (uint8 HxWx3, parsing HxW, person in ``pose``)
    wearing the reference's ``region`` labels. Raises InputError when the
    reference shows no person or not the region."""
    from posestudio.engine.puppet import puppet_warp

    h, w = image.shape[:2]
    names = labels.get(label_set).names
    what = " / ".join(names[i] for i in region)
    if not (np.asarray(reference_parsing) > 0).any():
        raise InputError("the reference parsing shows no person")
    if not np.isin(reference_parsing, region).any():
        raise InputError(f"the reference shows no {what}")
    if not reference_pose.visible.any():
        raise InputError("the reference pose has no visible joint")
    ref, rpar, rpose = _scaled(np.ascontiguousarray(reference), np.asarray(reference_parsing), reference_pose, h, w)
    warped = puppet_warp(ref, rpose, pose, rpar, label_set)
    wpar = warped.parsing if warped.parsing is not None else np.zeros((h, w), np.uint8)
    old = np.isin(parsing, region)
    person = cv2.dilate((np.asarray(parsing) > 0).astype(np.uint8), np.ones((3, 3), np.uint8),
                        iterations=max(1, round(max(h, w) / 128))) > 0  # fmt: skip
    front = [names.index(n) for n in ("face", "hair") if n in names and names.index(n) not in region]
    shown = np.isin(wpar, region) & person & ~np.isin(parsing, front)
    # the new garment covers the old one's place (what the warp leaves of it is
    # synthesised from the reference's garment) and wherever the warp takes it on the body
    new = old | shown
    want = np.asarray(parsing).copy()
    want[shown] = wpar[shown]
    fw = garment.feather_width((h, w))
    layer = warped.image.astype(np.float32)
    rest = new & ~shown
    if rest.any():
        donor = np.isin(rpar, region)
        grown = cv2.dilate(rest.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=int(np.ceil(2 * fw))) > 0
        tex = texture.shade(texture.synthesize(ref, donor, grown), image, grown, groups=parsing)
        fill = grown & ~cv2.erode(shown.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        layer[fill] = tex[fill]
        main = np.bincount(rpar[donor]).argmax()
        want[rest] = np.where(np.isin(want[rest], region), want[rest], main)
    out = texture.composite(np.ascontiguousarray(image), layer, texture.feather(new, fw))
    return out, want


def transfer_request(req, image: np.ndarray, parsing: np.ndarray, pose: Pose) -> tuple[np.ndarray, np.ndarray]:
    """:func:`transfer` for an engine request (task ``attribute``)."""
    if req.reference_image is None:
        raise InputError("attribute transfer needs a reference person (image, parsing map and pose)")
    if req.reference_parsing is None:
        raise InputError("attribute transfer needs the reference person's parsing map")
    if req.reference_pose is None:
        raise InputError("attribute transfer needs the reference person's pose (--reference-pose)")
    ref, rpar = np.asarray(req.reference_image), np.asarray(req.reference_parsing)
    if rpar.shape != ref.shape[:2]:
        raise InputError(f"the reference parsing is {rpar.shape[1]}x{rpar.shape[0]}, "
                         f"the reference image {ref.shape[1]}x{ref.shape[0]}")  # fmt: skip
    garment.check_labels(rpar, req.label_set)
    region = region_labels(req.region, req.label_set)
    return transfer(image, parsing, pose, ref, rpar, req.reference_pose, region, req.label_set)
