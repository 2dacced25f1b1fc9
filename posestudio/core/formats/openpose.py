"""OpenPose JSON: ``{"version", "canvas_width", "canvas_height", "people": [{"pose_keypoints_2d": [...]}]}``.

Reads COCO-18 (54 numbers) and BODY_25 (75 numbers, converted by dropping
MidHip and the feet); writes COCO-18. Missing joints are (0, 0, 0). The whole-body
extras ``hand_right_keypoints_2d``/``hand_left_keypoints_2d`` (63 numbers each) and
``face_keypoints_2d`` (210) are read and written with their confidences.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from posestudio.core.formats.poseset import PoseSet
from posestudio.core.pose import Pose
from posestudio.errors import InputError

# BODY_25 index of each COCO-18 joint.
BODY25_TO_COCO18 = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)


def _person(values, path, k: int) -> Pose:
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
        raise InputError(f"person {k}: pose_keypoints_2d must be a list of numbers", path)
    n = len(values)
    if n == 54:
        arr = np.asarray(values, dtype=np.float64).reshape(18, 3)
    elif n == 75:
        arr = np.asarray(values, dtype=np.float64).reshape(25, 3)[list(BODY25_TO_COCO18)]
    else:
        raise InputError(
            f"person {k}: {n} numbers in pose_keypoints_2d; expected 54 (COCO-18) or 75 (BODY_25)", path
        )
    if not np.isfinite(arr).all():
        raise InputError(f"person {k}: keypoints contain NaN or infinite values", path)
    return Pose.from_array(arr)


def _extras(person: dict, path, k: int):
    """(hands (2, 21, 3) or None, face (70, 3) or None) of one OpenPose person."""
    out = {}
    for key, n in (("hand_right_keypoints_2d", 63), ("hand_left_keypoints_2d", 63), ("face_keypoints_2d", 210)):
        v = person.get(key)
        if v is None or (isinstance(v, list) and len(v) == 0):
            continue
        if not isinstance(v, list) or len(v) != n or not all(isinstance(x, (int, float)) for x in v):
            raise InputError(f"person {k}: {key} must be a list of {n} numbers", path)
        a = np.asarray(v, dtype=np.float64).reshape(-1, 3)
        if not np.isfinite(a).all():
            raise InputError(f"person {k}: {key} contains NaN or infinite values", path)
        out[key] = a
    hands = None
    if "hand_right_keypoints_2d" in out or "hand_left_keypoints_2d" in out:
        z = np.zeros((21, 3))
        hands = np.stack([out.get("hand_right_keypoints_2d", z), out.get("hand_left_keypoints_2d", z)])
    return hands, out.get("face_keypoints_2d")


def from_json(data, path: str | Path = "<json>") -> PoseSet:
    if not isinstance(data, dict) or not isinstance(data.get("people"), list):
        raise InputError("not an OpenPose file: no 'people' list", path)
    people = []
    for k, person in enumerate(data["people"]):
        if not isinstance(person, dict) or "pose_keypoints_2d" not in person:
            raise InputError(f"person {k} has no pose_keypoints_2d", path)
        pose = _person(person["pose_keypoints_2d"], path, k)
        pose.hands, pose.face = _extras(person, path, k)
        people.append(pose)
    w, h = data.get("canvas_width"), data.get("canvas_height")
    size_ok = all(isinstance(v, (int, float)) and math.isfinite(v) and v > 0 for v in (w, h))
    return PoseSet(people, int(w) if size_ok else None, int(h) if size_ok else None)


def _num(v: float):
    return int(v) if float(v).is_integer() else round(float(v), 3)


def to_json(poses: PoseSet) -> dict:
    out: dict = {"version": 1.3}
    if poses.width and poses.height:
        out["canvas_width"], out["canvas_height"] = int(poses.width), int(poses.height)
    out["people"] = []
    for p in poses.people:
        person = {"pose_keypoints_2d": [_num(v) for v in p.to_array().reshape(-1)]}
        if p.hands is not None:
            person["hand_left_keypoints_2d"] = [_num(v) for v in p.hands[1].reshape(-1)]
            person["hand_right_keypoints_2d"] = [_num(v) for v in p.hands[0].reshape(-1)]
        if p.face is not None:
            person["face_keypoints_2d"] = [_num(v) for v in p.face.reshape(-1)]
        out["people"].append(person)
    return out
