"""The two behaviours every pose model must show on real photos before ``auto`` may pick it.

- identity: target pose = source pose gives the photo back bit for bit (max pixel
  difference 0);
- locality: one forearm bent 35 degrees about its elbow changes (by more than 12 in any
  channel) at most 2 % of the pixels of each photo, and 0.5 % on average, outside two
  capsules around the old and the new forearm + hand.

The same measure as ``../shared/tools/realcheck.py``, in one place that the tests,
``posestudio eval --realpairs`` and anything that vets a new model call. A model is a
``generate(image, source_pose, target_pose) -> image`` callable (:func:`engine_generate`
makes one that goes through the engine as the app does).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from posestudio.core.pose import Pose

Generate = Callable[[np.ndarray, Pose, Pose], np.ndarray]

BEND_DEG = 35.0
CHANGE_LEVEL = 12  # a pixel "changes" when some channel moves by more than this
LOCALITY_MAX = 0.02  # per photo
LOCALITY_MEAN = 0.005  # over the photos
ARMS = ((3, 4), (6, 7))  # (elbow, wrist): right, left


@dataclass
class Bend:
    """A forearm bend of one photo's pose and the region it may change."""

    target: Pose
    allowed: np.ndarray  # bool HxW: the capsules around the old and new forearm + hand


def capsule(h: int, w: int, a, b, radius: float) -> np.ndarray:
    """bool HxW: pixels within ``radius`` of the segment a-b (points as (x, y))."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    ab = b - a
    t = np.clip(((xx - a[0]) * ab[0] + (yy - a[1]) * ab[1]) / max(float(ab @ ab), 1e-6), 0, 1)
    return np.hypot(xx - (a[0] + t * ab[0]), yy - (a[1] + t * ab[1])) <= radius


def forearm_bend(pose: Pose, h: int, w: int, degrees: float = BEND_DEG) -> Bend | None:
    """The pose with the first forearm whose elbow and wrist are visible (right, then
    left) turned by ``degrees`` about the elbow (the wrist lands on whole pixels, as in a
    pose CSV); None when no forearm is visible."""
    arm = next((a for a in ARMS if pose.visible[list(a)].all() and (pose.xy[list(a)] >= 0).all()), None)
    if arm is None:
        return None
    e, wr = arm
    (ex, ey), (wx, wy) = pose.xy[e], pose.xy[wr]
    dx, dy = wx - ex, wy - ey
    c, s = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))
    nx, ny = ex + dx * c - dy * s, ey + dx * s + dy * c
    target = pose.with_joint(wr, float(round(nx)), float(round(ny)))
    radius = max(0.35 * float(np.hypot(dx, dy)), 0.06 * h)

    def hand_end(x1, y1):  # the hand reaches ~45 % of a forearm beyond the wrist
        return x1 + (x1 - ex) * 0.45, y1 + (y1 - ey) * 0.45

    allowed = capsule(h, w, (ex, ey), hand_end(wx, wy), radius) | capsule(h, w, (ex, ey), hand_end(nx, ny), radius)
    return Bend(target, allowed)


def changed_outside(before: np.ndarray, after: np.ndarray, allowed: np.ndarray) -> float:
    """Share of all pixels that change by more than CHANGE_LEVEL and lie outside ``allowed``."""
    diff = np.abs(after.astype(np.int16) - before.astype(np.int16)).max(-1) > CHANGE_LEVEL
    return float((diff & ~allowed).mean())


def identity_check(generate: Generate, photos: Iterable[tuple[np.ndarray, Pose]]) -> dict:
    """{"max_diff", "photos", "pass"}: each photo generated at its own pose, compared with itself."""
    diffs = [int(np.abs(generate(img, p, p.copy()).astype(np.int16) - img.astype(np.int16)).max())
             for img, p in photos]  # fmt: skip
    return {"max_diff": max(diffs) if diffs else None, "photos": len(diffs), "pass": bool(diffs) and max(diffs) == 0}


def locality_check(generate: Generate, photos: Iterable[tuple[np.ndarray, Pose]]) -> dict:
    """{"mean", "max", "per_photo", "photos", "pass"}: one forearm bent per photo (photos
    without a visible forearm are skipped); shares are fractions of the photo's pixels."""
    shares = []
    for img, pose in photos:
        bend = forearm_bend(pose, *img.shape[:2])
        if bend is None:
            continue
        shares.append(changed_outside(img, generate(img, pose, bend.target), bend.allowed))
    ok = bool(shares) and max(shares) <= LOCALITY_MAX and float(np.mean(shares)) <= LOCALITY_MEAN
    return {
        "mean": round(float(np.mean(shares)), 5) if shares else None,
        "max": round(float(max(shares)), 5) if shares else None,
        "per_photo": [round(v, 5) for v in shares], "photos": len(shares), "pass": ok,
    }  # fmt: skip


def engine_generate(model: str = "auto", runner=None) -> Generate:
    """A ``generate`` that runs pose transfer with ``model`` through the engine's runner."""
    from posestudio.engine.results import Request
    from posestudio.engine.runner import Runner

    runner = runner or Runner(device="cpu")

    def generate(image: np.ndarray, source_pose: Pose, target_pose: Pose) -> np.ndarray:
        req = Request(task="pose", model=model, source_image=image, source_pose=source_pose, target_pose=target_pose)
        return runner.run(req).image

    return generate
