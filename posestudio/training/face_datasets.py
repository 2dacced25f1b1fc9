"""Face data sets for SCM-Net's face colorization (``scmnet-face``), as torch ``Dataset``s
with the conventions of :mod:`posestudio.training.datasets`:

- :class:`FaceEdgeFolder`: CelebA-HQ-like ``images/`` + ``edges/`` (+ ``parsing/``);
- :class:`SynthFaces`: the procedural faces of ``training.synth.faces``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from posestudio.core import labels
from posestudio.core.formats import label_png
from posestudio.errors import InputError, describe
from posestudio.training.datasets import IMAGE_EXTS, fit_image, image_tensor, read_image


class FaceEdgeFolder(Dataset):
    """CelebA-HQ-like face edge set: ``root/images/NAME.(jpg|png)`` with ``root/edges/NAME.png``
    (white edges on black) and optional ``root/parsing/NAME.png`` (``parsing_label_set``).

    Yields ``edges`` (1, S, S) in [0, 1], ``image`` (the target), ``reference_image`` (the same
    image, as self-supervised colorization trains) and ``reference_parsing`` when present.
    """

    def __init__(self, root, size: int = 256, parsing_label_set: str = "scm8", label_set: str = "scm8"):
        self.root = Path(root)
        img_dir, edge_dir = self.root / "images", self.root / "edges"
        for d in (img_dir, edge_dir):
            if not d.is_dir():
                raise InputError("face edge set needs images/ and edges/ folders", d)
        self.images = sorted(p for p in img_dir.iterdir() if p.suffix.lower() in IMAGE_EXTS)
        if not self.images:
            raise InputError("no images", img_dir)
        self.edges = []
        for p in self.images:
            e = edge_dir / (p.stem + ".png")
            if not e.is_file():
                raise InputError(f"no edge map for {p.name} (expected {e.name})", edge_dir)
            self.edges.append(e)
        self.parsing_dir = self.root / "parsing" if (self.root / "parsing").is_dir() else None
        self.size = (size, size)
        self.parsing_label_set, self.label_set = parsing_label_set, label_set

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> dict:
        image = fit_image(read_image(self.images[i]), self.size)
        try:
            with Image.open(self.edges[i]) as im:
                edges = np.asarray(im.convert("L"))
        except (UnidentifiedImageError, OSError) as exc:
            raise InputError(f"not a readable edge map: {describe(exc)}", self.edges[i]) from None
        edges = fit_image(edges, self.size)
        out = {
            "edges": torch.from_numpy(edges[None].astype(np.float32) / 255.0),
            "image": image_tensor(image),
            "reference_image": image_tensor(image),
            "name": self.images[i].name,
        }
        if self.parsing_dir is not None:
            p = self.parsing_dir / (self.images[i].stem + ".png")
            if p.is_file():
                lab = labels.convert(fit_image(label_png.read(p, self.parsing_label_set), self.size, True),
                                     self.parsing_label_set, self.label_set)  # fmt: skip
                out["reference_parsing"] = torch.from_numpy(labels.one_hot(lab, self.label_set))
        return out


class SynthFaces(Dataset):
    """Procedural faces: ``edges`` of identity ``i`` in expression 0, the ``image`` they outline,
    and a ``reference_image`` of the same identity in expression 1 with its ``reference_parsing``
    (scm8: background, hair, face, upper clothes); ``landmarks`` (68, 2)."""

    def __init__(self, length: int = 10000, size: int = 256, seed: int = 0):
        from posestudio.training.synth.faces import FaceGenerator

        self.length, self.gen = length, FaceGenerator(size, seed)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, i: int) -> dict:
        tgt, ref = self.gen.sample(i, 0), self.gen.sample(i, 1)
        return {
            "edges": torch.from_numpy(tgt.edges[None].astype(np.float32) / 255.0),
            "image": image_tensor(tgt.image),
            "reference_image": image_tensor(ref.image),
            "reference_parsing": torch.from_numpy(labels.one_hot(ref.parsing, "scm8")),
            "landmarks": torch.from_numpy(tgt.landmarks.astype(np.float32)),
        }
