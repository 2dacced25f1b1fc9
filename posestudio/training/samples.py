"""Sample grids: ``RUN_DIR/samples/step_000100.png``, one row per example,
columns source | target | output (images in [-1, 1])."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from posestudio.core.formats.atomic import atomic_write_stream


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """(3, H, W) or (1, H, W) in [-1, 1] (edges: [0, 1]) -> (H, W, 3) uint8."""
    x = x.detach().float().cpu()
    if x.shape[0] == 1:
        x = x.repeat(3, 1, 1) * 2 - 1
    return ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()


def grid(columns: tuple[torch.Tensor, ...], rows: int = 4, gap: int = 2) -> np.ndarray:
    n = min(rows, columns[0].shape[0])
    h, w = columns[0].shape[-2:]
    out = np.full((n * h + (n - 1) * gap, len(columns) * w + (len(columns) - 1) * gap, 3), 255, np.uint8)
    for r in range(n):
        for c, col in enumerate(columns):
            y, x = r * (h + gap), c * (w + gap)
            out[y : y + h, x : x + w] = to_uint8(col[r])
    return out


def write_grid(run_dir: Path, step: int, columns: tuple[torch.Tensor, ...]) -> Path:
    d = Path(run_dir) / "samples"
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"step_{step:06d}.png"
    # atomic: the Train dock shows the newest grid while the run goes on, never half of one
    atomic_write_stream(path, lambda fh: Image.fromarray(grid(columns)).save(fh, format="PNG"))
    return path
