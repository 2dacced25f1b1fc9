"""Dataset side of SPT's pseudo-label search (Song et al., CVPR 2019, eq. 1): read a
folder of parsing maps and the keypoint CSV, find for every image the parsing map of
another image in a different pose that matches it best part by part
(:func:`posestudio.training.recipes.spt_pseudo_search.search_pseudo_targets`), and write the result as a
``from,to,cost`` pairs CSV that :class:`posestudio.training.datasets.PoseTransferPairs`
reads (its ``to`` is the pseudo target S_pt* for pre-training H_S, Algorithm 1 line 2).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import torch

from posestudio.core import labels
from posestudio.core.formats import csv_keypoints, label_png
from posestudio.errors import InputError
from posestudio.training.datasets import DEEPFASHION_SIZE, fit_image, fit_pose, parsing_path
from posestudio.training.recipes.spt_pseudo_search import search_pseudo_targets


def search_folder(
    parsing_dir,
    annotations,
    parsing_label_set: str = "spt10",
    size: tuple[int, int] = DEEPFASHION_SIZE,
    min_pose_distance: float = 0.05,
) -> list[tuple[str, str, float]]:
    """(name, pseudo target name, eq. 1 cost) for every annotated image that has a parsing
    map in ``parsing_dir``; images whose every candidate is in a near-identical pose are
    left out. Maps are fitted to ``size`` (cover + centre crop) with their keypoints."""
    parsing_dir = Path(parsing_dir)
    if not parsing_dir.is_dir():
        raise InputError("parsing folder not found", parsing_dir)
    poses = csv_keypoints.read_all(annotations)
    names, maps, xys, vis = [], [], [], []
    for name, pose in poses.items():
        p = parsing_path(parsing_dir, name)
        if p is None:
            continue
        lab = label_png.read(p, parsing_label_set)
        if parsing_label_set != "spt10":
            lab = labels.convert(lab, parsing_label_set, "spt10")
        fitted = fit_pose(pose, lab.shape[:2], size)
        names.append(name)
        maps.append(fit_image(lab, size, nearest=True))
        xys.append(fitted.xy)
        vis.append(fitted.visible)
    if len(names) < 2:
        raise InputError(f"need at least two annotated parsing maps, found {len(names)}", parsing_dir)
    best, cost = search_pseudo_targets(
        torch.from_numpy(np.stack(maps).astype(np.int64)),
        torch.from_numpy(np.stack(xys)).float(),
        torch.from_numpy(np.stack(vis)).float(),
        min_pose_distance=min_pose_distance,
    )
    return [
        (names[i], names[int(j)], float(c)) for i, (j, c) in enumerate(zip(best, cost, strict=True)) if j >= 0
    ]


def write_pairs(path, rows: list[tuple[str, str, float]]) -> None:
    """``from,to,cost`` CSV (``datasets.read_pairs`` reads the first two columns)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["from", "to", "cost"])
        for a, b, c in rows:
            w.writerow([a, b, f"{c:.6f}"])
