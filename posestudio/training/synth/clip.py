"""A turntable-and-dance clip of one procedural character, as an artist's video would be.

Frames ``0 .. n/2`` turn the character on a turntable (yaw sweeps from one profile to the
other and back, front view, arms slightly out, feet together); frames ``n/2 .. n`` dance
(arms and legs swing on sines of different periods, the body sways). One appearance,
one plain background, one framing for the whole clip: the material a personal model
trains on (:mod:`posestudio.training.personal`). :func:`write_clip` writes it as an MP4
through the bundled ffmpeg (:func:`posestudio.sequence.export.write_mp4`) and, beside it,
the exact keypoints of every frame (``NAME.poses.json``: the project's pose codec), which
stand in for poses an artist corrected in the window.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posestudio.core.pose import Pose
from posestudio.training.synth.appearance import random_appearance
from posestudio.training.synth.mannequin import render
from posestudio.training.synth.poses import build
from posestudio.training.synth.textures import render_background

CLIP_FRAMES = 200
POSES_SUFFIX = ".poses.json"


@dataclass
class ClipFrame:
    image: np.ndarray  # (H, W, 3) uint8
    pose: Pose  # exact keypoints (missing: off canvas, far-side face points)
    parsing: np.ndarray  # (H, W) uint8 SPT-10


def _angles(t: float, turning: bool) -> dict:
    """Bone angles at clip time ``t`` in [0, 1) of its half (radians from straight down)."""
    if turning:  # one profile to the other and back, arms a little out
        yaw = 1.1 * math.sin(2 * math.pi * t)
        a = {"yaw": yaw, "lean": 0.0, "tilt": 0.0, "r_upper": -0.25, "r_fore": -0.15, "l_upper": 0.25,
             "l_fore": 0.15, "r_thigh": -0.05, "r_shin": -0.03, "l_thigh": 0.05, "l_shin": 0.03}  # fmt: skip
        return a
    s = lambda period, phase=0.0: math.sin(2 * math.pi * (t * period + phase))  # noqa: E731
    a = {"yaw": 0.25 * s(1.0), "lean": 0.08 * s(2.0), "tilt": 0.1 * s(2.0, 0.25)}
    a["r_upper"] = -(0.6 + 0.7 * s(3.0))
    a["r_fore"] = a["r_upper"] - 0.6 * s(3.0, 0.3)
    a["l_upper"] = 0.6 + 0.7 * s(3.0, 0.5)
    a["l_fore"] = a["l_upper"] + 0.6 * s(3.0, 0.8)
    a["r_thigh"], a["l_thigh"] = -0.12 + 0.18 * s(2.0), 0.12 + 0.18 * s(2.0)
    a["r_shin"], a["l_shin"] = a["r_thigh"] - 0.1 * s(2.0, 0.2), a["l_thigh"] - 0.1 * s(2.0, 0.2)
    return a


def turntable_dance(n: int = CLIP_FRAMES, height: int = 256, width: int = 176, seed: int = 0) -> list[ClipFrame]:
    """``n`` frames of one character (deterministic in ``seed``): turntable, then dance."""
    from posestudio.training.synth.poses import annotate

    if n < 2:
        raise ValueError(f"a clip needs at least 2 frames, got {n}")
    rng = np.random.default_rng([seed, 19])
    app = random_appearance(rng)
    bg = render_background(rng, height, width, "plain")
    b = app.body
    body_h = b.neck + b.head_ry * 1.2 + 1.0 + b.thigh + b.shin + 0.08
    unit = height * 0.86 / body_h
    neck = np.array([width / 2, 0.03 * height + (b.neck + b.head_ry * 1.2) * unit])
    half = max(1, n // 2)
    frames = []
    for k in range(n):
        turning = k < half
        t = k / half if turning else (k - half) / max(1, n - half)
        fig = build(app, _angles(t, turning), neck, unit, "front")
        r = render(app, fig, height, width, bg)
        frames.append(ClipFrame(r.image, annotate(fig, height, width), r.parsing))
    return frames


def write_clip(path: str | Path, n: int = CLIP_FRAMES, height: int = 256, width: int = 176, seed: int = 0,
               fps: float = 24.0) -> tuple[Path, Path]:
    """Write the clip as ``path`` (MP4, H.264 at high quality) and ``NAME.poses.json``
    ({"frames": [pose dict per frame]}, written atomically); returns both paths."""
    from posestudio.core.formats import atomic_write_text
    from posestudio.core.project import pose_to_json
    from posestudio.sequence.export import write_mp4

    path = Path(path)
    frames = turntable_dance(n, height, width, seed)
    write_mp4(path, [f.image for f in frames], fps, crf=12)
    poses = poses_path(path)
    atomic_write_text(poses, json.dumps({"frames": [pose_to_json(f.pose) for f in frames]}) + "\n")
    return path, poses


def poses_path(video: str | Path) -> Path:
    """Where the exact poses of a clip written by :func:`write_clip` are kept."""
    video = Path(video)
    return video.with_name(video.stem + POSES_SUFFIX)
