"""How well detection does on real photos: PCKh per joint and matte IoU.

``pckh_per_joint`` runs the detector on a pose-transfer folder (``annotations.csv`` +
``images/``) and scores its most prominent person against the annotation with
:mod:`posestudio.training.metrics.pckh` (PATN's convention: the head box of the visible
annotated head joints, alpha 0.5; an image where nobody is found counts every annotated
joint as wrong). ``matte_iou`` compares the matte (> 0.5) with the person pixels
(label != 0) of ``NAME_parsing.png`` beside each ``NAME.jpg``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from posestudio.core import skeleton
from posestudio.core.formats import csv_keypoints
from posestudio.errors import InputError
from posestudio.training.metrics.pckh import head_size, pckh_counts


def pckh_per_joint(folder: str | Path, alpha: float = 0.5) -> dict:
    from posestudio.engine.detect import detect_people

    folder = Path(folder)
    ann = folder / "annotations.csv"
    if not ann.is_file():
        raise InputError("no annotations.csv (a pose-transfer folder: annotations.csv + images/)", folder)
    right, total = np.zeros(skeleton.NUM_JOINTS), np.zeros(skeleton.NUM_JOINTS)
    images = nobody = 0
    for name, ref in csv_keypoints.read_all(ann).items():
        hs = head_size(ref)
        if hs is None:
            continue
        images += 1
        with Image.open(folder / "images" / name) as im:
            people = detect_people(im.convert("RGB"), hands=False, face=False)
        total += ref.visible
        if not people:
            nobody += 1
            continue
        pred = people[0].pose
        d = np.abs(pred.xy - ref.xy)
        ok = ref.visible & pred.visible & (d[:, 0] < alpha * hs[0]) & (d[:, 1] < alpha * hs[1])
        if int(ok.sum()) != pckh_counts(pred, ref, alpha)[0]:  # the per-joint split of the one rule
            raise AssertionError("per-joint PCKh disagrees with training.metrics.pckh")
        right += ok
    return {"images": images, "nobody_found": nobody, "overall": float(right.sum() / max(total.sum(), 1)),
            "per_joint": {j: (float(r / t) if t else None, int(t))
                          for j, r, t in zip(skeleton.JOINTS, right, total, strict=True)}}  # fmt: skip


def matte_iou(folder: str | Path) -> dict[str, float]:
    from posestudio.engine.detect import detect_people, people_matte

    out = {}
    for par in sorted(Path(folder).glob("*_parsing.png")):
        photo = par.with_name(par.name.replace("_parsing.png", ".jpg"))
        if not photo.is_file():
            continue
        with Image.open(photo) as im:
            rgb = np.array(im.convert("RGB"))
        people = detect_people(rgb, hands=False, face=False)
        m = people_matte(people, *rgb.shape[:2]) > 0.5
        person = np.array(Image.open(par)) != 0
        out[photo.name] = float((m & person).sum() / max((m | person).sum(), 1))
    return out
