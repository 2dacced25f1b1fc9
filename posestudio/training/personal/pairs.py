"""Training and held-out items of a personal model's material (``RUN/material.json``).

``kind="pairs"`` (the prior refiner): frame ``i`` -> frame ``j`` of the same character,
both training frames; each frame is paired with ``PARTNERS`` others (half its nearest
neighbours in the clip, half spread over the whole material) so that a 200-frame video
gives a few thousand pairs, not 40,000. Every item carries the weight-free engine's answer
to its request (``prior_image``, ``prior_visibility``: :func:`training.prior.prior_tensors`,
exactly as the engine prepares it), kept after the first time it is made: the frames never
change during a run. ``kind="self"`` (SCM-Net): each training frame is its own target.

``holdout=True`` gives the held-out pairs instead: each held-out frame as the target of
the training frames the held-out check uses (:func:`holdout_pairs`).

Items have the keys of :class:`training.datasets.CharacterFolder` (``source_image``,
``source_heatmaps``, ``source_parsing``/``_labels`` in the recipe's label set, ``target_*``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from posestudio.training.datasets import fit_image, fit_pose, person_tensors
from posestudio.training.personal.material import Material, load

PARTNERS = 8
SOURCES_PER_HOLDOUT = 2


def training_pairs(mat: Material, partners: int = PARTNERS) -> list[tuple[int, int]]:
    """(source, target) frame indices among the training frames, deterministic. The first four
    (the run's sample grid, which the Train dock shows) pair frames half the material apart."""
    train = mat.train_frames
    n = len(train)
    out: set[tuple[int, int]] = set()
    near = max(1, partners // 2)
    for k in range(n):
        for d in range(1, near // 2 + 2):  # nearest neighbours on both sides
            for m in (k - d, k + d):
                if 0 <= m < n and m != k:
                    out.add((train[k], train[m]))
        far = partners - near
        for s in range(far):  # spread over the whole material, shifted per frame
            m = int((k + (s + 1) * n / (far + 1))) % n
            if m != k:
                out.add((train[k], train[m]))
    shown = [(train[int(k * n / 4)], train[int(k * n / 4 + n / 2) % n]) for k in range(4)]
    shown = list(dict.fromkeys(p for p in shown if p[0] != p[1]))
    return shown + sorted(out - set(shown))


def holdout_pairs(mat: Material, per_target: int = SOURCES_PER_HOLDOUT) -> list[tuple[int, int]]:
    """(training source, held-out target) pairs: each held-out frame posed from ``per_target``
    training frames spread over the material (the same pairs for the model and the engine)."""
    train = mat.train_frames
    picks = sorted({train[int((s + 0.5) * len(train) / per_target)] for s in range(per_target)})
    return [(s, t) for t in mat.holdout_frames for s in picks]


class MaterialPairs(Dataset):
    def __init__(self, run_dir: str | Path, size: tuple[int, int], kind: str = "pairs", label_set: str = "spt10",
                 holdout: bool = False, with_prior: bool | None = None):  # fmt: skip
        self.mat = load(run_dir)
        self.size, self.kind, self.label_set = tuple(size), kind, label_set
        if holdout:
            self.index = holdout_pairs(self.mat)
        elif kind == "pairs":
            self.index = training_pairs(self.mat)
        else:
            self.index = [(i, i) for i in self.mat.train_frames]
        self.with_prior = kind == "pairs" if with_prior is None else with_prior
        self._people: dict[int, tuple] = {}  # frame -> (image, parsing, pose) at the training size
        self._priors: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __len__(self) -> int:
        return len(self.index)

    def person(self, k: int) -> dict:
        """Frame ``k`` at the training size as ``source_*`` tensors. The pictures are kept (uint8, ~200 KB
        at 256x176), the tensors made each time (heatmaps alone are 3 MB a frame)."""
        if k not in self._people:
            image = self.mat.image(k)
            hw = image.shape[:2]
            parsing = self.mat.parsing(k)
            if parsing is not None and parsing.shape == hw:
                parsing = fit_image(parsing, self.size, nearest=True)
            else:
                parsing = None
            pose = fit_pose(self.mat.frames[k].pose, hw, self.size)
            self._people[k] = (fit_image(image, self.size), parsing, pose)
        image, parsing, pose = self._people[k]
        return person_tensors("source", image, pose, self.size, None, parsing, "spt10", self.label_set)

    def __getitem__(self, i: int) -> dict:
        a, b = self.index[i]
        src = self.person(a)
        tgt = {k.replace("source_", "target_"): v for k, v in self.person(b).items()}
        out = {**src, **tgt}
        out["source_name"], out["target_name"] = self.mat.frames[a].file, self.mat.frames[b].file
        if self.with_prior:
            out.update(self._prior(i, out))
        return out

    def _prior(self, i: int, item: dict) -> dict:
        from posestudio.training.prior import prior_tensors

        if i not in self._priors:
            t = prior_tensors(item, "pose", self.label_set)
            img = ((t["prior_image"].clamp(-1, 1) + 1) * 127.5).round().byte()
            self._priors[i] = (img.numpy(), t["prior_visibility"].numpy().astype(np.float16))
        img, vis = self._priors[i]
        return {"prior_image": torch.from_numpy(img).float().div_(127.5).sub_(1.0),
                "prior_visibility": torch.from_numpy(vis.astype(np.float32))}  # fmt: skip
