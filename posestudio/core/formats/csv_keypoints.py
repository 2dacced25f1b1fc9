"""The pose-transfer annotation CSV of PG2/PATN/PoNA/SPT.

Header ``name:keypoints_y:keypoints_x``; one row per image:
``NAME: [y0, ..., y17]: [x0, ..., x17]`` with -1 for a missing joint. Note the
order: rows (y) first, columns (x) second.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from posestudio.core import limits
from posestudio.core.formats.atomic import atomic_write_bytes
from posestudio.core.formats.poseset import PoseSet
from posestudio.core.pose import Pose
from posestudio.errors import InputError

HEADER = "name:keypoints_y:keypoints_x"


def _coords(text: str, path, lineno: int, what: str) -> np.ndarray:
    try:
        values = json.loads(text)
    except json.JSONDecodeError:
        raise InputError(f"line {lineno}: {what} is not a list of numbers: {text.strip()[:40]!r}", path) from None
    if not isinstance(values, list) or not all(isinstance(v, (int, float)) for v in values):
        raise InputError(f"line {lineno}: {what} is not a list of numbers", path)
    if len(values) != 18:
        raise InputError(f"line {lineno}: {what} has {len(values)} values; 18 keypoints expected", path)
    arr = np.asarray(values, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise InputError(f"line {lineno}: {what} contains NaN or infinite values", path)
    return arr


def read_all(path: str | Path) -> dict[str, Pose]:
    """Every row of the CSV as ``{image name: Pose}``, in file order."""
    path = Path(path)
    lines = limits.read_text(path, "pose CSV").splitlines()
    rows: dict[str, Pose] = {}
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or (lineno == 1 and line.replace(" ", "").lower() == HEADER):
            continue
        parts = line.split(":")
        if len(parts) != 3:
            raise InputError(f"line {lineno}: expected 'name: [y...]: [x...]', got {line.strip()[:50]!r}", path)
        name = parts[0].strip()
        ys = _coords(parts[1], path, lineno, "keypoints_y")
        xs = _coords(parts[2], path, lineno, "keypoints_x")
        visible = (ys != -1) & (xs != -1)
        rows[name] = Pose(np.stack([np.where(visible, xs, 0), np.where(visible, ys, 0)], 1), visible)
    if not rows:
        raise InputError("no keypoint rows", path)
    return rows


def read(path: str | Path, name: str | None = None) -> PoseSet:
    """One row as a PoseSet: the row named ``name`` (or the only row)."""
    rows = read_all(path)
    if name is None:
        if len(rows) > 1:
            raise InputError(f"{len(rows)} rows; pick one with --name (e.g. {next(iter(rows))})", path)
        name = next(iter(rows))
    if name not in rows:
        raise InputError(f"no row named {name!r}; rows: {', '.join(list(rows)[:5])}{' ...' if len(rows) > 5 else ''}", path)
    return PoseSet([rows[name]])


def _fmt(v: float) -> str:
    text = f"{float(v):.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_row(name: str, pose: Pose) -> str:
    ys = [_fmt(pose.xy[i, 1]) if pose.visible[i] else "-1" for i in range(18)]
    xs = [_fmt(pose.xy[i, 0]) if pose.visible[i] else "-1" for i in range(18)]
    return f"{name}: [{', '.join(ys)}]: [{', '.join(xs)}]"


def write(path: str | Path, rows: dict[str, Pose]) -> None:
    text = "\n".join([HEADER, *(format_row(n, p) for n, p in rows.items())]) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"))
