"""Garment repaint: pixels the artist relabelled take the look of their new label.

The region a label L gains is filled with texture synthesised from L's own
pixels in the picture (or, when the picture has none, from the reference
person's L region), re-lit by the luminance of what was there so folds and
shadows stay, and laid in with a soft edge a few pixels wide. Nothing else
changes. A left/right swap of arm or leg labels is not an edit (the carried
parsing may disagree with the artist's map only about the side).
"""

from __future__ import annotations

import cv2
import numpy as np

from posestudio.core import labels
from posestudio.engine.edit import texture
from posestudio.errors import InputError

MIN_DONOR = 24  # fewer pixels of a label than this do not show its look


def sideless(label_map: np.ndarray, label_set: str) -> np.ndarray:
    """The map with each left/right label pair merged into one id."""
    swap = labels.get(label_set).swap_table()
    lut = np.arange(256, dtype=np.uint8)  # ids past the set map to themselves
    lut[: len(swap)] = np.minimum(np.arange(len(swap)), swap)
    arr = np.asarray(label_map)
    return lut[arr if arr.dtype == np.uint8 else np.clip(arr, 0, 255).astype(np.uint8)]


def edited_region(have: np.ndarray, want: np.ndarray, label_set: str) -> np.ndarray:
    """bool HxW: where ``want`` asks for another label than ``have`` shows,
    a left/right swap not counted."""
    return sideless(have, label_set) != sideless(want, label_set)


def feather_width(shape: tuple[int, int]) -> float:
    """The soft edge, in px: 1.5 px at 256, 3 px at 512."""
    return max(1.0, max(shape) / 170)


def feather_reach(shape: tuple[int, int]) -> int:
    """How far (px) past the edited region an edit may change pixels."""
    return int(np.ceil(2 * feather_width(shape)))


def check_labels(label_map: np.ndarray, label_set: str, path=None) -> None:
    """InputError naming ``path`` when the map holds labels ``label_set`` lacks."""
    n = len(labels.get(label_set))
    top = int(np.asarray(label_map).max(initial=0))
    if top >= n:
        raise InputError(f"label {top} is out of range for {labels.get(label_set).title} (0..{n - 1})", path)


def _donor(lab: int, image, have, changed, reference, reference_parsing, label_set, others=()):
    """(picture, bool mask) whose pixels show label ``lab``, or None: the picture
    itself, then ``others`` ((picture, parsing) pairs: the unposed source), then the reference."""
    side = sideless(have, label_set)
    key = sideless(np.array([lab]), label_set)[0]
    mine = (side == key) & ~changed
    if mine.sum() >= MIN_DONOR:
        return image, mine
    for pic, par in others:
        if par is not None and pic.shape[:2] == np.asarray(par).shape:
            m = sideless(par, label_set) == key
            if m.sum() >= MIN_DONOR:
                return np.asarray(pic), m
    if reference is not None and reference_parsing is not None:
        rs = sideless(reference_parsing, label_set)
        theirs = rs == key
        if theirs.sum() >= MIN_DONOR:
            # the reference at the picture's scale (people fill DeepFashion-like frames alike)
            h, w = image.shape[:2]
            ref = cv2.resize(reference, (w, h), interpolation=cv2.INTER_AREA)
            m = cv2.resize(theirs.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
            if m.any():
                return ref, m
    return None


def missing_labels(image, have, want, label_set, reference=None, reference_parsing=None, others=()) -> list[str]:
    """Names of the labels ``want`` gains that neither the picture nor the reference shows."""
    changed = edited_region(have, want, label_set)
    names = labels.get(label_set).names
    return [names[int(lab)] for lab in np.unique(want[changed])
            if _donor(int(lab), image, have, changed, reference, reference_parsing, label_set, others) is None]  # fmt: skip


def missing_message(missing: list[str]) -> str:
    """The one line saying which labels have no look to take."""
    return (f"no {', '.join(repr(m) for m in missing)} in the picture or the reference to take its look from: "
            "choose a reference person who wears it")  # fmt: skip


def repaint(image: np.ndarray, have: np.ndarray, want: np.ndarray, label_set: str = "spt10",
            reference: np.ndarray | None = None, reference_parsing: np.ndarray | None = None,
            seed: int = 0, others=(), on_missing: str = "raise") -> np.ndarray:
    """``image`` (uint8 HxWx3) whose parsing is ``have``, repainted so that its
    regions follow ``want``. Pixels outside the edited region and its feather keep
    their exact values; unchanged maps return an equal copy. ``others``: more
    (picture, parsing) pairs to take a look from before the reference (the unposed
    source of a posed picture). A label gained that none of them shows raises
    InputError (``on_missing="raise"``) or keeps its pixels as they are ("skip")."""
    image = np.ascontiguousarray(image)
    have, want = np.asarray(have), np.asarray(want)
    changed = edited_region(have, want, label_set)
    if not changed.any():
        return image.copy()
    missing = missing_labels(image, have, want, label_set, reference, reference_parsing, others)
    if missing and on_missing == "raise":
        raise InputError(missing_message(missing))
    fw = feather_width(image.shape[:2])
    layer = np.zeros(image.shape, np.float32)
    alpha = np.zeros(image.shape[:2], np.float32)
    names = labels.get(label_set).names
    for lab in np.unique(want[changed]):
        if names[int(lab)] in missing:
            continue
        todo = changed & (sideless(want, label_set) == sideless(np.array([lab]), label_set)[0])
        donor_img, donor = _donor(int(lab), image, have, changed, reference, reference_parsing, label_set, others)
        grown = cv2.dilate(todo.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=int(np.ceil(2 * fw))) > 0
        tex = texture.synthesize(donor_img, donor, grown, seed=seed + int(lab))
        if int(lab) != 0:  # the background keeps its own light; clothes and skin take the old folds
            tex = texture.shade(tex, image, grown, groups=have)
        a = texture.feather(todo, fw) * grown
        layer = np.where((a > alpha)[..., None], tex, layer)
        alpha = np.maximum(alpha, a)
    return texture.composite(image, layer, alpha)
