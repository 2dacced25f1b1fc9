"""COCO keypoint JSON (17 points, ``[x, y, v]``, v = 0 not labelled).

Accepts a whole COCO file (``images`` + ``annotations``), a list of
annotations, or one annotation. The neck, which COCO lacks, is the midpoint of
the shoulders when both are present. Writing drops the neck.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posestudio.core.formats.poseset import PoseSet
from posestudio.core.pose import Pose
from posestudio.errors import InputError

# COCO-17 index of each COCO-18 joint (neck = None, synthesised).
COCO17_FOR_COCO18 = (0, None, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3)
COCO17_NAMES = ("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
                "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
                "left_knee", "right_knee", "left_ankle", "right_ankle")  # fmt: skip


def pose_from_coco17(values, path, k: int = 0) -> Pose:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size != 51:
        raise InputError(f"annotation {k}: {arr.size} numbers in keypoints; COCO needs 51 (17 x 3)", path)
    arr = arr.reshape(17, 3)
    if not np.isfinite(arr).all():
        raise InputError(f"annotation {k}: keypoints contain NaN or infinite values", path)
    out = np.zeros((18, 3))
    for j, c in enumerate(COCO17_FOR_COCO18):
        if c is not None and arr[c, 2] > 0:
            out[j] = (arr[c, 0], arr[c, 1], 1.0)
    if arr[5, 2] > 0 and arr[6, 2] > 0:
        out[1] = ((arr[5, 0] + arr[6, 0]) / 2, (arr[5, 1] + arr[6, 1]) / 2, 1.0)
    return Pose.from_array(out)


def from_json(data, path: str | Path = "<json>", name: str | None = None) -> PoseSet:
    width = height = None
    if isinstance(data, dict) and "annotations" in data:
        anns = data["annotations"]
        images = {im.get("id"): im for im in data.get("images", []) if isinstance(im, dict)}
        if name is not None:
            ids = [i for i, im in images.items() if im.get("file_name") == name]
            if not ids:
                raise InputError(f"no image named {name!r}", path)
            anns = [a for a in anns if a.get("image_id") == ids[0]]
        elif len(images) > 1:
            first = next(iter(images))
            anns = [a for a in anns if a.get("image_id") == first]
        if anns and (im := images.get(anns[0].get("image_id"))):
            width, height = im.get("width"), im.get("height")
    elif isinstance(data, dict):
        anns = [data]
    else:
        anns = data
    if not isinstance(anns, list):
        raise InputError("COCO 'annotations' must be a list", path)
    people = []
    for k, ann in enumerate(anns):
        if not isinstance(ann, dict) or "keypoints" not in ann:
            raise InputError(f"annotation {k} has no keypoints", path)
        people.append(pose_from_coco17(ann["keypoints"], path, k))
    return PoseSet(people, width, height)


def to_json(poses: PoseSet, name: str = "image") -> dict:
    anns = []
    for k, pose in enumerate(poses.people):
        kp = np.zeros((17, 3))
        for j, c in enumerate(COCO17_FOR_COCO18):
            if c is not None and pose.visible[j]:
                kp[c] = (pose.xy[j, 0], pose.xy[j, 1], 2)
        anns.append({"id": k + 1, "image_id": 1, "category_id": 1, "num_keypoints": int((kp[:, 2] > 0).sum()),
                     "keypoints": [round(float(v), 3) for v in kp.reshape(-1)]})
    image = {"id": 1, "file_name": name}
    if poses.width and poses.height:
        image.update(width=int(poses.width), height=int(poses.height))
    return {"images": [image], "annotations": anns,
            "categories": [{"id": 1, "name": "person", "keypoints": list(COCO17_NAMES)}]}
