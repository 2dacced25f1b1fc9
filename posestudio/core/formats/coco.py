"""COCO keypoint JSON (17 points, ``[x, y, v]``, v = 0 not labelled).

Accepts a whole COCO file (``images`` + ``annotations``), a list of
annotations, or one annotation. The neck, which COCO lacks, is the midpoint of
the shoulders when both are present. Writing drops the neck. COCO-WholeBody's
``face_kpts`` (68 points), ``lefthand_kpts`` and ``righthand_kpts`` (21 each) are read and
written with the body (the two pupils, which COCO-WholeBody lacks, are not written;
``foot_kpts`` are written as unlabelled).
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


def _part(ann: dict, key: str, n: int, path, k: int) -> np.ndarray | None:
    v = ann.get(key)
    if v is None:
        return None
    a = np.asarray(v, dtype=np.float64) if isinstance(v, list) else np.zeros(0)
    if a.size != 3 * n or not np.isfinite(a).all():
        raise InputError(f"annotation {k}: {key} must be {3 * n} finite numbers", path)
    a = a.reshape(n, 3)
    a[:, 2] = np.where(a[:, 2] > 0, 1.0, 0.0)  # COCO's v (0/1/2): labelled or not
    return a


def _wholebody(ann: dict, path, k: int):
    right, left = (_part(ann, f"{s}hand_kpts", 21, path, k) for s in ("right", "left"))
    face68 = _part(ann, "face_kpts", 68, path, k)
    hands = None
    if right is not None or left is not None:
        z = np.zeros((21, 3))
        hands = np.stack([z if right is None else right, z if left is None else left])
    face = None if face68 is None else np.vstack([face68, np.zeros((2, 3))])
    if hands is not None and not (hands[..., 2] > 0).any():
        hands = None
    if face is not None and not (face[:, 2] > 0).any():
        face = None
    return hands, face


def _kpts(points: np.ndarray) -> list[float]:
    out = np.where(points[:, 2:3] > 0, np.hstack([points[:, :2], np.full((len(points), 1), 2.0)]), 0.0)
    return [round(float(v), 3) for v in out.reshape(-1)]


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
        pose = pose_from_coco17(ann["keypoints"], path, k)
        pose.hands, pose.face = _wholebody(ann, path, k)
        people.append(pose)
    return PoseSet(people, width, height)


def to_json(poses: PoseSet, name: str = "image") -> dict:
    anns = []
    for k, pose in enumerate(poses.people):
        kp = np.zeros((17, 3))
        for j, c in enumerate(COCO17_FOR_COCO18):
            if c is not None and pose.visible[j]:
                kp[c] = (pose.xy[j, 0], pose.xy[j, 1], 2)
        ann = {"id": k + 1, "image_id": 1, "category_id": 1, "num_keypoints": int((kp[:, 2] > 0).sum()),
               "keypoints": [round(float(v), 3) for v in kp.reshape(-1)]}  # fmt: skip
        if pose.hands is not None or pose.face is not None:
            z = np.zeros((21, 3))
            hands = pose.hands if pose.hands is not None else np.stack([z, z])
            face = pose.face[:68] if pose.face is not None else np.zeros((68, 3))
            ann.update(foot_kpts=[0.0] * 18, face_kpts=_kpts(face), lefthand_kpts=_kpts(hands[1]),
                       righthand_kpts=_kpts(hands[0]), face_valid=bool((face[:, 2] > 0).any()),
                       lefthand_valid=bool((hands[1, :, 2] > 0).any()),
                       righthand_valid=bool((hands[0, :, 2] > 0).any()), foot_valid=False)  # fmt: skip
        anns.append(ann)
    image = {"id": 1, "file_name": name}
    if poses.width and poses.height:
        image.update(width=int(poses.width), height=int(poses.height))
    return {"images": [image], "annotations": anns,
            "categories": [{"id": 1, "name": "person", "keypoints": list(COCO17_NAMES)}]}
