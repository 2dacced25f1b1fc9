"""What a personal run tells the Train dock while it works: ``RUN/progress.json`` (replaced
atomically, at every phase change and at most every ``EVERY_S`` seconds in between) and
``RUN/curves.jsonl`` (one line per logged step: ``{"step", "loss"}``; per validation:
``{"step", "val_ssim", "val_psnr"}``). docs/PERSONAL.md, "Run folder contract"."""

from __future__ import annotations

import json
import time
from pathlib import Path

PROGRESS = "progress.json"
CURVES = "curves.jsonl"
PHASES = ("prepare", "train", "score", "done", "failed", "cancelled")
EVERY_S = 2.0


class Progress:
    def __init__(self, run_dir: str | Path, device: str = "cpu"):
        self.run_dir = Path(run_dir)
        self.device = device
        self.phase, self.step, self.steps, self.message = "prepare", 0, 0, ""
        self.eta_s: float | None = None
        self.sample: str | None = None
        self.t0 = time.monotonic()
        self._last = 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def set(self, phase: str | None = None, force: bool = False, **fields) -> None:
        """Update fields; write when the phase changes, ``force``, or ``EVERY_S`` has passed."""
        changed = phase is not None and phase != self.phase
        if phase is not None:
            if phase not in PHASES:
                raise ValueError(f"unknown phase {phase!r}")
            self.phase = phase
        for k, v in fields.items():
            setattr(self, k, v)
        now = time.monotonic()
        if changed or force or now - self._last >= EVERY_S:
            self.write()
            self._last = now

    def to_json(self) -> dict:
        return {"phase": self.phase, "step": int(self.step),
                "steps": None if self.steps is None else int(self.steps),  # None: a time budget, no rate yet
                "elapsed_s": round(self.elapsed(), 2),
                "eta_s": None if self.eta_s is None else round(float(self.eta_s), 1),
                "message": self.message, "sample": self.sample, "device": self.device}  # fmt: skip

    def write(self) -> None:
        from posestudio.core.formats import atomic_write_text

        atomic_write_text(self.run_dir / PROGRESS, json.dumps(self.to_json()) + "\n")


def append_curve(run_dir: str | Path, record: dict) -> None:
    """One line of ``curves.jsonl`` (appended and flushed: the dock reads it while it grows)."""
    with open(Path(run_dir) / CURVES, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def read_curves(run_dir: str | Path) -> list[dict]:
    """The lines of ``curves.jsonl`` (a half-written last line is skipped)."""
    path = Path(run_dir) / CURVES
    out = []
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def read_progress(run_dir: str | Path) -> dict | None:
    try:
        data = json.loads((Path(run_dir) / PROGRESS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
