"""Which data set a run reads (``--data synth|PATH``) and the order it reads it in.

- ``synth``: :class:`datasets.SynthPairs` (people; parsing in the recipe's label set) or
  :class:`face_datasets.SynthFaces` (``scmnet-face``), seeded with ``--seed``.
- a folder with ``images/``, ``annotations.csv`` and ``pairs.csv`` (optional
  ``parsing/``): :class:`datasets.PoseTransferPairs` (the pose-transfer layout);
<<<<<<< HEAD
- a folder with ``images/`` and ``edges/``: :class:`face_datasets.FaceEdgeFolder`;
=======
- a folder with ``images/`` and ``edges/``: :class:`datasets.FaceEdgeFolder`;
- a personal run folder (``material.json``): :class:`training.personal.pairs.MaterialPairs`;
- any other folder: :class:`datasets.CharacterFolder` (one character; self-supervised
  for SCM-Net, every ordered pair of its images for the paired recipes).

The order is a pure function of (seed, step, rank): epoch ``e`` is
``DistributedSampler(shuffle=True, seed=seed, drop_last=True)`` with ``set_epoch(e)``, so
a resumed run reads exactly the batches an uninterrupted run would.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

from posestudio.errors import InputError
from posestudio.training import datasets, face_datasets
from posestudio.training.ddp import DistInfo


def make_dataset(data: str, kind: str, size: tuple[int, int], seed: int, label_set: str = "spt10",
                 length: int = 100000) -> Dataset:  # fmt: skip
    """``kind``: ``pairs`` (paired recipes), ``self`` (SCM-Net), ``faces`` (SCM-Net faces)."""
    if data == "synth":
        if kind == "faces":
            if size[0] != size[1]:
                raise InputError(f"scmnet-face trains on square images, got --size {size[0]}x{size[1]}")
            return face_datasets.SynthFaces(length, size[0], seed)
        return datasets.SynthPairs(length, size, seed, label_set=label_set)
    root = Path(data)
    if not root.is_dir():
        raise InputError("--data must be 'synth' or a folder", root)
    if kind == "faces":
        return face_datasets.FaceEdgeFolder(root, size[0], label_set=label_set)
    if (root / "material.json").is_file():  # a personal model's run folder (posestudio personal)
        from posestudio.training.personal.pairs import MaterialPairs

        return MaterialPairs(root, size, kind, label_set)
    if (root / "pairs.csv").is_file() and (root / "annotations.csv").is_file():
        parsing = root / "parsing"
        return datasets.PoseTransferPairs(
            root / "images" if (root / "images").is_dir() else root, root / "annotations.csv", root / "pairs.csv",
            size=size, parsing_dir=parsing if parsing.is_dir() else None, label_set=label_set,
        )  # fmt: skip
    return datasets.CharacterFolder(root, size, pairs=(kind == "pairs"), label_set=label_set)


def steps_per_epoch(n: int, batch: int, info: DistInfo) -> int:
    per_rank = n // info.world
    spe = per_rank // batch
    if spe < 1:
        raise InputError(f"the data set has {n} items: too few for batch {batch} on {info.world} process(es)")
    return spe


def batch_indices(n: int, batch: int, seed: int, info: DistInfo, start_step: int):
    """Yield the index lists of this rank's batches from ``start_step`` on, forever."""
    spe = steps_per_epoch(n, batch, info)
    step = start_step
    while True:
        epoch, off = divmod(step, spe)
        sampler = DistributedSampler(
            range(n), num_replicas=info.world, rank=info.rank, shuffle=True, seed=seed, drop_last=True
        )
        sampler.set_epoch(epoch)
        idx = list(sampler)
        for k in range(off, spe):
            yield idx[k * batch : (k + 1) * batch]
        step = (epoch + 1) * spe


def _collate(items: list[dict]) -> dict:
    out = {}
    for k in items[0]:
        vals = [it[k] for it in items]
        out[k] = torch.stack(vals) if torch.is_tensor(vals[0]) else vals
    return out


def loader(
    ds: Dataset, batch: int, seed: int, info: DistInfo, start_step: int, workers: int = 0
) -> DataLoader:
    return DataLoader(
        ds, batch_sampler=batch_indices(len(ds), batch, seed, info, start_step), num_workers=workers,
        collate_fn=_collate, generator=torch.Generator().manual_seed(seed),  # never draws from the global RNG
    )  # fmt: skip


def to_device(batch: dict, device: torch.device) -> dict:
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}
