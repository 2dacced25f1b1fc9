"""``posestudio eval``: generate every evaluation pair with one or more "rows" (a run
folder's EMA weights, an installed model or the puppet warp through the engine, the
untouched source image as a baseline) and average the metrics of
:mod:`posestudio.training.metrics` over the pairs, as the papers' tables do.

Rows:
- a run folder (``config.json`` + ``model.card.json`` + ``weights.safetensors``): its EMA
  generator(s) run directly in torch on the data set's tensors (SPT: H_S predicts the
  target parsing, its argmax goes to H_A, as the engine does);
- a model name or ``puppet``: ``Engine.run(Request(task="pose", model=NAME, ...))`` on the
  pair's uint8 images and poses;
- ``source``: the source image itself (what a do-nothing model scores).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from posestudio.errors import InputError

RUN_FILES = ("config.json", "model.card.json", "weights.safetensors")


def is_run_dir(path: str | Path) -> bool:
    p = Path(path)
    return p.is_dir() and all((p / f).is_file() for f in RUN_FILES)


def _u8(t) -> np.ndarray:
    from posestudio.training.prior import u8

    return u8(t)


def _pose(t):
    from posestudio.training.prior import pose_of

    return pose_of(t)


class RunRow:
    """A run folder's EMA generator(s), run directly."""

    def __init__(self, run_dir: Path, device: str = "cpu"):
        import torch
        from safetensors.torch import load_file

        from posestudio.engine.cards import ModelCard
        from posestudio.nets.registry import build
        from posestudio.training.config import TrainConfig

        self.run_dir, self.device = Path(run_dir), torch.device(device)
        self.cfg = TrainConfig.load(self.run_dir / "config.json")
        self.name = ModelCard.load(self.run_dir / "model.card.json").name
        self.nets, self.cards = {}, {}
        cards = [self.run_dir / "model.card.json", *sorted(self.run_dir.glob("*.card.json"))]
        for cp in dict.fromkeys(cards):
            card = ModelCard.load(cp)
            net = build(card.arch, preset=None, **card.build_config())
            try:
                net.load_state_dict(load_file(str(card.weights_path)))
            except (RuntimeError, OSError) as exc:
                raise InputError(f"weights do not fit the card ({' '.join(str(exc).split())[:120]})",
                                 card.weights_path) from None  # fmt: skip
            self.nets[card.arch] = net.to(self.device).eval()
            self.cards[card.arch] = card
        self.arch = self.cfg.arch
        first = next(iter(self.nets.values()))
        self.size = (first.height, first.width)

    @property
    def data_kind(self) -> str:
        return "faces" if self.task == "face" else "pairs"

    @property
    def task(self) -> str:
        """The main task of the run's (first) generator, as its registry entry says."""
        return next(iter(self.cards.values())).task

    @property
    def label_set(self) -> str:
        return "scm8" if self.arch.startswith("scmnet") else "spt10"

    def generate(self, item: dict) -> np.ndarray:
        import torch
        from torch.nn import functional as F

        if "prior_image" not in item and any("prior_image" in net.inputs for net in self.nets.values()):
            from posestudio.training.prior import prior_tensors

            item = {**item, **prior_tensors(item, self.task, self.label_set)}
        b = {k: v[None].to(self.device) for k, v in item.items() if torch.is_tensor(v) and v.dim() == 3}
        hw = next(v.shape[-2:] for k, v in b.items() if k.endswith("image"))
        if tuple(hw) != self.size:  # run at the net's resolution, compare at the data's
            b = {
                k: F.interpolate(v, self.size, mode="nearest" if k.endswith("parsing") else "bilinear")
                for k, v in b.items()
            }
        with torch.no_grad():
            if self.arch == "spt":
                from posestudio.nets.spt import one_hot_argmax

                hs, ha = self.nets["spt-parsing"], self.nets["spt-appearance"]
                par_t = one_hot_argmax(hs(**{k: b[k] for k in hs.inputs})["parsing"])
                out = ha(
                    b["source_image"], b["source_parsing"], b["source_heatmaps"], par_t, b["target_heatmaps"]
                )
            else:
                net = next(iter(self.nets.values()))
                out = net(**{k: b[k] for k in net.inputs})
        image = out["image"]
        if tuple(hw) != self.size:
            image = F.interpolate(image, tuple(hw), mode="bilinear")
        return _u8(image[0])


class EngineRow:
    """An installed model or the puppet warp through ``posestudio.engine.Engine``."""

    def __init__(self, engine, name: str, label_set: str, task: str = "pose"):
        self.engine, self.name, self.label_set, self.task = engine, name, label_set, task

    def generate(self, item: dict) -> np.ndarray:
        from posestudio.training.prior import request_for

        return self.engine.run(request_for(item, self.task, self.name, self.label_set)).image


class SourceRow:
    name = "source"

    def generate(self, item: dict) -> np.ndarray:
        from posestudio.training.prior import source_image

        return _u8(source_image(item))


def _target(item: dict) -> np.ndarray:
    from posestudio.training.prior import target_image

    return _u8(target_image(item))


def evaluate(rows: list, dataset, pairs: int, metrics: list[str], metric_kwargs: dict | None = None,
             grid: str | Path | None = None, grid_pairs: int = 6) -> dict:  # fmt: skip
    """{"pairs": n, "rows": {row name: {metric: mean}}} over the first ``pairs`` items; with
    ``grid``, a PNG of the first ``grid_pairs`` items: source | each row | ground truth."""
    from posestudio.training.metrics import get_metric

    metric_kwargs = metric_kwargs or {}
    n = min(pairs, len(dataset))
    if n < 1:
        raise InputError("no evaluation pairs")
    objs = {m: get_metric(m, **metric_kwargs.get(m, {})) for m in metrics}
    for m, o in objs.items():
        if o.kind == "pose":
            raise InputError(f"metric {m!r} needs a pose detector on the generated images; not in eval yet")
    items = [dataset[i] for i in range(n)]
    targets = [_target(it) for it in items]
    out = {}
    columns = {}
    for row in rows:
        gens = [row.generate(it) for it in items]
        columns[row.name] = gens[:grid_pairs]
        res = {}
        for m, o in objs.items():
            if o.kind == "pair":
                if m.startswith("mask-") and "target_pose" in items[0]:
                    vals = [
                        o(g, t, pose=_pose(it["target_pose"]))
                        for g, t, it in zip(gens, targets, items, strict=True)
                    ]
                else:
                    vals = [o(g, t) for g, t in zip(gens, targets, strict=True)]
                finite = [v for v in vals if math.isfinite(v)]
                res[m] = float(np.mean(finite)) if finite else float("inf")
            elif m == "is":
                res[m] = float(o(gens)[0])
            else:
                res[m] = float(o(gens, targets))
        out[row.name] = res
    if grid is not None:
        from posestudio.training.prior import source_image

        write_grid(grid, [_u8(source_image(it)) for it in items[:grid_pairs]], columns, targets[:grid_pairs])
    return {"pairs": n, "metrics": metrics, "rows": out}


def write_grid(path: str | Path, sources: list, columns: dict[str, list], targets: list) -> Path:
    """One row per pair: source | each generated column (in order) | ground truth, with a
    header line naming the columns."""
    import io

    import cv2
    from PIL import Image

    from posestudio.core.formats.atomic import atomic_write_bytes

    names = ["source", *columns, "ground truth"]
    h, w = targets[0].shape[:2]
    head = np.full((18, w * len(names), 3), 255, np.uint8)
    for i, name in enumerate(names):
        cv2.putText(head, name[: max(4, w // 7)], (i * w + 3, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.36, (0, 0, 0), 1,
                    cv2.LINE_AA)  # fmt: skip
    rows = [np.concatenate([sources[k], *(c[k] for c in columns.values()), targets[k]], 1) for k in range(len(targets))]
    path = Path(path)
    buf = io.BytesIO()
    Image.fromarray(np.concatenate([head, *rows], 0)).save(buf, format="PNG")
    atomic_write_bytes(path, buf.getvalue())
    return path


def table(result: dict) -> str:
    """Markdown table: one row per model, one column per metric (mean over the pairs)."""
    metrics = result["metrics"]
    head = "| model | " + " | ".join(metrics) + " |"
    sep = "|---|" + "---|" * len(metrics)
    lines = [head, sep]
    for name, vals in result["rows"].items():
        lines.append(f"| {name} | " + " | ".join(f"{vals[m]:.4f}" for m in metrics) + " |")
    lines.append(f"({result['pairs']} pairs)")
    return "\n".join(lines)


def write_json(result: dict, path: str | Path) -> None:
    from posestudio.core.formats.atomic import atomic_write_bytes

    atomic_write_bytes(path, (json.dumps(result, indent=2) + "\n").encode())
