"""Deterministic streams of mannequin samples: one character, many poses.

``MannequinGenerator(seed=...)`` turns (character index, pose index) into a
drawn sample; the same indices always give the same pixels. Character ``i``
keeps its appearance and background across its poses, so two pose indices make
a supervised pose-transfer pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posestudio.core import labels
from posestudio.core.pose import Pose
from posestudio.training.synth.appearance import Appearance, random_appearance
from posestudio.training.synth.drawer import SHOE
from posestudio.training.synth.mannequin import render
from posestudio.training.synth.poses import Figure, figure_from_pose, random_figure
from posestudio.training.synth.textures import render_background


@dataclass
class MannequinSample:
    image: np.ndarray  # (H, W, 3) uint8 RGB
    pose: Pose  # annotated keypoints (missing: off-canvas, hidden face of a back view)
    parsing: np.ndarray  # (H, W) uint8, SPT-10 labels
    figure: Figure
    appearance: Appearance
    shoes: np.ndarray | None = None  # (H, W) bool: shoe pixels (labelled leg in SPT-10)

    @property
    def parsing8(self) -> np.ndarray:
        """The 8-region (scm8) map, converted from SPT-10 with ``core.labels.convert``
        (SPT-10 has no shoes, so neither has this map; see :attr:`parsing_lip`)."""
        return labels.convert(self.parsing, "spt10", "scm8")

    @property
    def parsing_lip(self) -> np.ndarray:
        """LIP-20 map: SPT-10 converted, plus left/right shoes where shoes are drawn.
        ``labels.convert(parsing_lip, "lip20", "scm8")`` has the shoe region;
        converting it back to SPT-10 gives :attr:`parsing` exactly."""
        return lip_with_shoes(self.parsing, self.shoes)


def lip_with_shoes(parsing: np.ndarray, shoes: np.ndarray | None) -> np.ndarray:
    lip = labels.convert(parsing, "spt10", "lip20")
    if shoes is not None:
        lip_set, spt = labels.get("lip20"), labels.get("spt10")
        for leg, shoe in (("left leg", "left shoe"), ("right leg", "right shoe")):
            lip[shoes & (parsing == spt.index(leg))] = lip_set.index(shoe)
    return lip


def load_real_poses(csv_path: str | Path) -> list[Pose]:
    """Poses of a pose-transfer annotation CSV (e.g. shared/samples/deepfashion/keypoints.csv)."""
    from posestudio.core.formats import csv_keypoints

    return list(csv_keypoints.read_all(csv_path).values())


class MannequinGenerator:
    """Mannequins at (height, width); poses from the joint-angle prior or, with
    probability ``p_real``, a perturbed pose of ``real_poses`` (in a ``real_canvas``
    (H, W) image); back views with probability ``p_back`` (prior poses); ``backgrounds``
    restricts the background kinds (``plain``, ``gradient``, ``noise``)."""

    def __init__(self, height: int = 256, width: int = 176, seed: int = 0, real_poses: list[Pose] | None = None,
                 real_canvas: tuple[int, int] = (256, 256), p_real: float = 0.3, p_back: float = 0.2,
                 sides: str = "person", jitter: float = 0.15, backgrounds: tuple[str, ...] | None = None):  # fmt: skip
        self.height, self.width, self.seed = height, width, seed
        self.real_poses = list(real_poses or [])
        self.real_canvas, self.p_real, self.p_back = real_canvas, p_real, p_back
        self.sides, self.jitter = sides, jitter
        self.backgrounds = backgrounds  # e.g. ("plain",) for easier data; None = all kinds
        self._cache: dict[int, tuple] = {}

    def character(self, i: int) -> tuple[Appearance, np.ndarray, str]:
        """Appearance, background image and framing ('full'/'upper') of character ``i``."""
        if i in self._cache:
            return self._cache[i]
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[i] = self._character(i)
        return self._cache[i]

    def _character(self, i: int) -> tuple[Appearance, np.ndarray, str]:
        rng = np.random.default_rng([self.seed, i, 0])
        app = random_appearance(rng)
        kind = None if not self.backgrounds else self.backgrounds[int(rng.integers(len(self.backgrounds)))]
        bg = render_background(rng, self.height, self.width, kind)
        framing = "full" if rng.random() < 0.7 else "upper"
        return app, bg, framing

    def figure(self, app: Appearance, framing: str, i: int, j: int) -> Figure:
        rng = np.random.default_rng([self.seed, i, j + 1])
        if self.real_poses and rng.random() < self.p_real:
            pose = self.real_poses[int(rng.integers(len(self.real_poses)))]
            return figure_from_pose(app, pose, rng, self.jitter, self.real_canvas, (self.height, self.width))
        view = "back" if rng.random() < self.p_back else "front"
        return random_figure(app, rng, self.height, self.width, view, framing)

    def sample(self, i: int, j: int = 0) -> MannequinSample:
        """Character ``i`` in its pose ``j``."""
        app, bg, framing = self.character(i)
        fig = self.figure(app, framing, i, j)
        r = render(app, fig, self.height, self.width, bg, self.sides)
        return MannequinSample(r.image, r.pose, r.parsing, fig, app, r.part_layer == SHOE)

    def pair(self, i: int, j: int = 0, k: int = 1) -> tuple[MannequinSample, MannequinSample]:
        """The same character in poses ``j`` and ``k`` (source, target)."""
        return self.sample(i, j), self.sample(i, k)
