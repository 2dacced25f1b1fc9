"""Reading and writing poses and label maps in the formats artists and papers use.

``read_poses(path, name=None) -> PoseSet`` and ``write_poses(path, poses)``
pick the format from the file: OpenPose JSON (COCO-18 or BODY_25), COCO
keypoint JSON (17 points), or the pose-transfer annotation CSV.
"""

from __future__ import annotations

import json
from pathlib import Path

from posestudio.core import limits
from posestudio.core.formats.poseset import PoseSet
from posestudio.errors import InputError, describe

__all__ = ["PoseSet", "read_poses", "write_poses", "detect_format"]

POSE_FORMATS = ("openpose", "coco", "csv")


def detect_format(path: str | Path, data=None) -> str:
    """'openpose', 'coco' or 'csv', from the extension and (for JSON) the keys."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext == ".csv":
        return "csv"
    if ext != ".json":
        raise InputError(f"unknown pose file type {ext or '(no extension)'!r}; use .json or .csv", path)
    if data is None:
        return "openpose"
    if isinstance(data, dict) and "people" in data:
        return "openpose"
    if isinstance(data, dict) and ("annotations" in data or "keypoints" in data):
        return "coco"
    if isinstance(data, list) and data and isinstance(data[0], dict) and "keypoints" in data[0]:
        return "coco"
    raise InputError("JSON is neither OpenPose (no 'people') nor COCO keypoints (no 'keypoints')", path)


def load_json(path: str | Path, what: str = "JSON file"):
    """The JSON value of a file, or one InputError line naming it: bounded in size (the text
    limit), regular files only (never a FIFO or device), nesting deep enough to blow the stack
    refused."""
    path = Path(path)
    text = limits.read_text(path, what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path) from None
    except RecursionError:
        raise InputError(f"{what} is nested too deeply to read", path) from None


def read_poses(path: str | Path, name: str | None = None, fmt: str | None = None) -> PoseSet:
    """Read every person of a pose file. ``name`` picks a row of a CSV (or an image of a COCO file)."""
    from posestudio.core.formats import coco, csv_keypoints, openpose

    path = Path(path)
    limits.regular_file(path, "pose file")
    if (fmt or detect_format(path)) == "csv":
        poses = csv_keypoints.read(path, name)
    else:
        data = load_json(path, "pose file")
        fmt = fmt or detect_format(path, data)
        try:
            poses = coco.from_json(data, path, name) if fmt == "coco" else openpose.from_json(data, path)
        except InputError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as exc:
            # a JSON value of the wrong type somewhere deep (a string for a number, a list for an object)
            raise InputError(f"{fmt} pose file has a value of the wrong type: {describe(exc)[:100]}",
                             path) from None
    for pose in poses.people:
        limits.check_coordinates(pose.xy, path, "pose file")
    if poses.width is not None or poses.height is not None:
        w, h = poses.width, poses.height
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == v and abs(v) < 1e12
                   for v in (w, h)):
            raise InputError(f"the canvas size {w!r}x{h!r} is not two numbers", path)
        poses.width, poses.height = int(w), int(h)
        limits.check_image_size(poses.width, poses.height, path, "the pose canvas")
    return poses


def write_poses(path: str | Path, poses: PoseSet, fmt: str | None = None, name: str | None = None) -> None:
    """Write ``poses`` in the format given (or implied by the extension; JSON means OpenPose)."""
    from posestudio.core.formats import coco, csv_keypoints, openpose

    path = Path(path)
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "openpose")
    if fmt == "csv":
        csv_keypoints.write(path, {name or path.stem: poses.people[0]} if poses.people else {})
    elif fmt == "coco":
        atomic_write_text(path, json.dumps(coco.to_json(poses, name or path.stem)))
    elif fmt == "openpose":
        atomic_write_text(path, json.dumps(openpose.to_json(poses)))
    else:
        raise InputError(f"unknown pose format {fmt!r}; use one of {', '.join(POSE_FORMATS)}")


def atomic_write_text(path: str | Path, text: str) -> None:
    from posestudio.core.formats.atomic import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))
