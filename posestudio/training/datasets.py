"""Training data sets as torch ``Dataset``s yielding dicts of tensors named like the
generator inputs (``source_image``, ``source_heatmaps``, ``target_heatmaps``,
``source_parsing``, ``target_parsing``, ``target_image`` ...).

- :class:`PoseTransferPairs`: the layout of PG2/PATN/PoNA/SPT: an image folder, the
  annotation CSV ``name:keypoints_y:keypoints_x`` and a pairs CSV ``from,to``
  (DeepFashion at 256x176, Market-1501 at 128x64), optional parsing maps.
- :class:`CharacterFolder`: one character's images with pose files beside them
  (``NAME.json`` OpenPose/COCO, or a ``keypoints.csv``) and ``NAME_parsing.png``,
  for self-supervised training (SCM-Net) or pairs within the folder.
- :class:`SynthPairs`: the procedural mannequins of ``training.synth``.
- face data sets (``FaceEdgeFolder``, ``SynthFaces``): ``training/face_datasets.py``.

``flip=p`` mirrors an item (both images of a pair) with probability p, swapping left/right
joints and labels. Images become RGB float ``x/255*2-1`` (C, H, W); heatmaps follow ``core.pose.heatmaps``
(sigma 6 at 256 pixels high, scaled with the height as the engine does: 3 at 128);
parsing maps are one-hot over the requested label set,
converted with ``core.labels.convert``; ``*_labels`` hold the integer maps.
Every image is fitted to the requested size by scaling to cover it and cropping
the centre (256x256 DeepFashion -> 256x176 crops 40 px each side); keypoints move
with it and become missing when they leave the crop.
"""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from posestudio.core import labels
from posestudio.core.formats import csv_keypoints, label_png, read_poses
from posestudio.core.pose import Pose, body_mask, heatmaps
from posestudio.errors import InputError, describe

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
DEEPFASHION_SIZE = (256, 176)
MARKET_SIZE = (128, 64)


# -- geometry ---------------------------------------------------------------------
def fit_transform(src_hw: tuple[int, int], size: tuple[int, int]) -> tuple[float, float, float]:
    """(scale, x offset, y offset): scale ``src_hw`` to cover ``size`` and crop the centre.
    Pixel centres map as ``x' + 0.5 = (x + 0.5) * scale - ox`` (same for y)."""
    (h, w), (H, W) = src_hw, size
    s = max(H / h, W / w)
    return s, (w * s - W) / 2, (h * s - H) / 2


def fit_image(image: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    """Scale ``image`` to cover ``size`` (H, W) and crop its centre (identity when already that size)."""
    H, W = size
    h, w = image.shape[:2]
    if (h, w) == (H, W):
        return image
    s, ox, oy = fit_transform((h, w), size)
    m = np.array([[s, 0, -ox], [0, s, -oy]], np.float64)
    interp = cv2.INTER_NEAREST if nearest else (cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
    if interp == cv2.INTER_AREA:  # warpAffine has no area filter: resize, then crop
        nw, nh = max(W, round(w * s)), max(H, round(h * s))
        r = cv2.resize(image, (nw, nh), interpolation=interp)
        x0, y0 = (nw - W) // 2, (nh - H) // 2
        return np.ascontiguousarray(r[y0 : y0 + H, x0 : x0 + W])
    # pixel centres: x' + 0.5 = (x + 0.5) * s - ox
    m[:, 2] += 0.5 * s - 0.5
    return cv2.warpAffine(image, m, (W, H), flags=interp, borderMode=cv2.BORDER_REPLICATE)


def fit_pose(pose: Pose, src_hw: tuple[int, int], size: tuple[int, int]) -> Pose:
    """Move keypoints with :func:`fit_image`; joints outside the crop become missing."""
    s, ox, oy = fit_transform(src_hw, size)
    xy = (pose.xy + 0.5) * s - 0.5 - np.array([ox, oy])
    H, W = size
    inside = (xy[:, 0] >= 0) & (xy[:, 0] <= W - 1) & (xy[:, 1] >= 0) & (xy[:, 1] <= H - 1)
    return Pose(xy, pose.visible & inside)


def parsing_label_set(inputs: dict, default: str = "spt10") -> str:
    """The label set a generator's parsing inputs use, from its ``INPUTS`` specs
    (e.g. ``spt10`` for SPT, ``scm8`` for SCM-Net): pass it as a data set's ``label_set``."""
    sets = {spec.label_set for spec in inputs.values() if spec.kind == "parsing" and spec.label_set}
    if len(sets) > 1:
        raise ValueError(f"parsing inputs use several label sets: {sorted(sets)}")
    return sets.pop() if sets else default


# -- reading ----------------------------------------------------------------------------
def read_image(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB."""
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"))
    except FileNotFoundError:
        raise InputError("no such image", path) from None
    except (UnidentifiedImageError, OSError) as exc:
        raise InputError(f"not a readable image: {describe(exc)}", path) from None


def image_tensor(image: np.ndarray) -> torch.Tensor:
    """(3, H, W) float32 in [-1, 1] from (H, W, 3) uint8 RGB."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(127.5).sub_(1.0)


def pose_tensor(pose: Pose) -> torch.Tensor:
    """(18, 3) float32 x, y, visible."""
    return torch.from_numpy(np.concatenate([pose.xy, pose.visible[:, None]], 1).astype(np.float32))


def heatmap_sigma(height: int) -> float:
    """The heatmap sigma at ``height`` pixels: DESIGN.md's 6 at 256, scaled like ``engine.prepare``."""
    return 6.0 * height / 256.0


def person_tensors(prefix: str, image: np.ndarray | None, pose: Pose, size: tuple[int, int], sigma: float | None,
                   parsing: np.ndarray | None = None, parsing_set: str = "spt10", label_set: str = "spt10",
                   mask: bool = True, flip: bool = False) -> dict:  # fmt: skip
    """The tensors of one person image, already at ``size``: ``{prefix}_image``, ``_heatmaps``,
    ``_pose``, ``_mask`` (body mask, PG2/SPT), and with a parsing map ``_parsing`` (one-hot) and ``_labels``.
    ``flip`` mirrors the picture and swaps left/right joints and labels (``Pose.mirrored``, ``labels.mirror``)."""
    H, W = size
    sigma = heatmap_sigma(H) if sigma is None else sigma
    if flip:
        image = None if image is None else np.ascontiguousarray(image[:, ::-1])
        pose = pose.mirrored(W)
        parsing = None if parsing is None else labels.mirror(parsing, parsing_set)
    out = {
        f"{prefix}_heatmaps": torch.from_numpy(heatmaps(pose, H, W, sigma)),
        f"{prefix}_pose": pose_tensor(pose),
    }
    if image is not None:
        out[f"{prefix}_image"] = image_tensor(image)
    if mask:
        out[f"{prefix}_mask"] = torch.from_numpy(body_mask(pose, H, W)[None].astype(np.float32))
    if parsing is not None:
        lab = labels.convert(parsing, parsing_set, label_set)
        out[f"{prefix}_parsing"] = torch.from_numpy(labels.one_hot(lab, label_set))
        out[f"{prefix}_labels"] = torch.from_numpy(lab.astype(np.int64))
    return out


def _coin(p: float) -> bool:
    """True with probability ``p`` (torch's RNG, so DataLoader workers get their own streams)."""
    return p > 0 and float(torch.rand(())) < p


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    """The ``from,to`` pairs CSV of the pose-transfer benchmarks."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such pairs file", path)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    out = []
    for lineno, row in enumerate(rows, 1):
        if not row or not "".join(row).strip():
            continue
        if lineno == 1 and [c.strip().lower() for c in row[:2]] == ["from", "to"]:
            continue
        if len(row) < 2:
            raise InputError(f"line {lineno}: expected 'from,to', got {','.join(row)[:50]!r}", path)
        out.append((row[0].strip(), row[1].strip()))
    if not out:
        raise InputError("no pairs", path)
    return out


def parsing_path(parsing_dir: Path, name: str) -> Path | None:
    """``NAME_parsing.png`` (or ``NAME.png``) for image ``NAME.ext`` in ``parsing_dir``, if present."""
    stem = Path(name).stem
    for cand in (f"{stem}_parsing.png", f"{stem}.png"):
        if (parsing_dir / cand).is_file():
            return parsing_dir / cand
    return None


_parsing_path = parsing_path  # the name spt_pseudo_labels imports


# -- data sets ------------------------------------------------------------------------------
class PoseTransferPairs(Dataset):
    """Pairs (source -> target) of one person in two poses, the pose-transfer benchmark layout.

    ``image_dir``: the images; ``annotations``: ``name:keypoints_y:keypoints_x`` CSV
    (pixel coordinates of the images as stored); ``pairs``: ``from,to`` CSV;
    ``parsing_dir``: optional folder of ``NAME_parsing.png`` (or ``NAME.png``) label maps
    in ``parsing_label_set``, delivered in ``label_set``.
    """

    def __init__(self, image_dir, annotations, pairs, size: tuple[int, int] = DEEPFASHION_SIZE,
                 parsing_dir=None, parsing_label_set: str = "spt10", label_set: str = "spt10",
                 sigma: float | None = None, masks: bool = True, flip: float = 0.0):  # fmt: skip
        self.image_dir = Path(image_dir)
        if not self.image_dir.is_dir():
            raise InputError("image folder not found", self.image_dir)
        self.poses = csv_keypoints.read_all(annotations)
        self.pairs = read_pairs(pairs)
        for a, b in self.pairs:
            for n in (a, b):
                if n not in self.poses:
                    raise InputError(f"pair image {n!r} has no row in {Path(annotations).name}", pairs)
                if not (self.image_dir / n).is_file():
                    raise InputError(f"pair image {n!r} is not in {self.image_dir}", pairs)
        self.size = tuple(size)
        self.parsing_dir = None if parsing_dir is None else Path(parsing_dir)
        self.parsing_label_set, self.label_set = parsing_label_set, label_set
        self.sigma, self.masks, self.flip = sigma, masks, flip

    def __len__(self) -> int:
        return len(self.pairs)

    def person(self, name: str, prefix: str, flip: bool = False) -> dict:
        image = read_image(self.image_dir / name)
        hw = image.shape[:2]
        parsing = None
        if self.parsing_dir is not None:
            p = parsing_path(self.parsing_dir, name)
            if p is None:
                raise InputError(
                    f"no parsing map for {name} (expected {Path(name).stem}_parsing.png)", self.parsing_dir
                )
            parsing = label_png.read(p, self.parsing_label_set)
            if parsing.shape != hw:
                raise InputError(
                    f"parsing map is {parsing.shape[1]}x{parsing.shape[0]}, image is {hw[1]}x{hw[0]}", p
                )
            parsing = fit_image(parsing, self.size, nearest=True)
        pose = fit_pose(self.poses[name], hw, self.size)
        return person_tensors(prefix, fit_image(image, self.size), pose, self.size, self.sigma, parsing,
                              self.parsing_label_set, self.label_set, self.masks, flip)  # fmt: skip

    def __getitem__(self, i: int) -> dict:
        a, b = self.pairs[i]
        flip = _coin(self.flip)  # one decision for both images of the pair
        out = {**self.person(a, "source", flip), **self.person(b, "target", flip)}
        out["source_name"], out["target_name"] = a, b
        return out


class CharacterFolder(Dataset):
    """One character's images for self-supervised training (source = target = one image)
    or, with ``pairs=True``, every ordered pair of two different images of the folder.

    Beside ``NAME.jpg``: ``NAME.json`` (OpenPose or COCO) or a ``keypoints.csv`` row, and
    optionally ``NAME_parsing.png``.
    """

    def __init__(self, folder, size: tuple[int, int] = DEEPFASHION_SIZE, pairs: bool = False,
                 parsing_label_set: str = "spt10", label_set: str = "spt10", sigma: float | None = None,
                 flip: float = 0.0):  # fmt: skip
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InputError("character folder not found", self.folder)
        self.images = sorted(
            p for p in self.folder.iterdir()
            if p.suffix.lower() in IMAGE_EXTS and not p.stem.endswith("_parsing")
        )  # fmt: skip
        if not self.images:
            raise InputError("no images in the character folder", self.folder)
        csv_path = self.folder / "keypoints.csv"
        rows = csv_keypoints.read_all(csv_path) if csv_path.is_file() else {}
        self.poses: list[Pose] = []
        for p in self.images:
            if p.name in rows:
                self.poses.append(rows[p.name])
                continue
            for cand in (p.with_suffix(".json"), p.with_name(p.stem + "_keypoints.json")):
                if cand.is_file():
                    people = read_poses(cand).people
                    if not people:
                        raise InputError("no person in the pose file", cand)
                    self.poses.append(people[0])
                    break
            else:
                raise InputError(
                    f"no pose for {p.name} (need {p.stem}.json or a keypoints.csv row)", self.folder
                )
        self.size, self.pairs = tuple(size), pairs
        self.parsing_label_set, self.label_set, self.sigma = parsing_label_set, label_set, sigma
        self.flip = flip
        n = len(self.images)
        self.index = (
            [(i, j) for i in range(n) for j in range(n) if i != j] if pairs else [(i, i) for i in range(n)]
        )

    def __len__(self) -> int:
        return len(self.index)

    def person(self, k: int, prefix: str, flip: bool = False) -> dict:
        path = self.images[k]
        image = read_image(path)
        hw = image.shape[:2]
        pp = path.with_name(path.stem + "_parsing.png")
        parsing = None
        if pp.is_file():
            parsing = fit_image(label_png.read(pp, self.parsing_label_set), self.size, nearest=True)
        pose = fit_pose(self.poses[k], hw, self.size)
        return person_tensors(prefix, fit_image(image, self.size), pose, self.size, self.sigma, parsing,
                              self.parsing_label_set, self.label_set, flip=flip)  # fmt: skip

    def __getitem__(self, i: int) -> dict:
        a, b = self.index[i]
        flip = _coin(self.flip)
        src = self.person(a, "source", flip)
        tgt = (
            {k.replace("source_", "target_"): v for k, v in src.items()}
            if a == b
            else self.person(b, "target", flip)
        )
        out = {**src, **tgt}
        out["source_name"], out["target_name"] = self.images[a].name, self.images[b].name
        return out


class SynthPairs(Dataset):
    """Procedural mannequin pairs: item ``i`` is character ``i`` in two poses (source, target),
    same keys as :class:`PoseTransferPairs`. Deterministic in (seed, i)."""

    def __init__(self, length: int = 10000, size: tuple[int, int] = DEEPFASHION_SIZE, seed: int = 0,
                 real_poses: list[Pose] | None = None, label_set: str = "spt10", sigma: float | None = None,
                 flip: float = 0.0, **generator_kw):  # fmt: skip
        from posestudio.training.synth.generator import MannequinGenerator

        self.length, self.size, self.label_set, self.sigma = length, tuple(size), label_set, sigma
        self.flip = flip
        self.gen = MannequinGenerator(size[0], size[1], seed, real_poses, **generator_kw)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict:
        src, tgt = self.gen.pair(i)
        out = {}
        flip = _coin(self.flip)
        for prefix, s in (("source", src), ("target", tgt)):
            # from LIP-20 (which keeps the shoes) so scm8 gets its shoe region; LIP -> SPT-10 is exact
            out.update(person_tensors(prefix, s.image, s.pose, self.size, self.sigma, s.parsing_lip, "lip20",
                                      self.label_set, flip=flip))  # fmt: skip
        return out
