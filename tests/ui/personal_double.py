"""A stand-in for ``posestudio personal`` that follows its run-folder contract, for
the Train dock's tests until the real command is merged (then the tests run the
real one with a tiny budget). It is a test double of the *training process*, not
of the dock: it really runs as a child, writes material.json, progress.json
(atomically), curves.jsonl and sample grids over a few hundred ms, honours STOP,
SIGTERM and --resume, and exits 0 / 2 / 3 as the contract says.

POSESTUDIO_DOUBLE_STEP_S sets the time per step (default 0.02 s).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from posestudio.core.formats.atomic import atomic_write_bytes
from posestudio.core.pose import default_pose
from posestudio.core.project import pose_to_json

IMAGES = {".png", ".jpg", ".jpeg", ".webp", ".bmp"}
_TERM = []


def write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, json.dumps(obj).encode())


def fail(path, problem: str) -> None:
    print(f"{path}: {problem}", file=sys.stderr)
    sys.exit(2)


def prepare(source: Path, run: Path, holdout: int) -> dict:
    if (run / "material.json").is_file():
        return json.loads((run / "material.json").read_text())
    if not source.exists():
        fail(source, "no such file or folder")
    if not source.is_dir():
        fail(source, "not a video this stand-in reads (give a folder of images)")
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGES)
    frames, left_out = [], []
    for p in files:
        try:
            img = Image.open(p).convert("RGB")
        except OSError:
            left_out.append({"what": p.name, "why": "not a readable picture"})
            continue
        if min(img.size) < 64:
            left_out.append({"what": p.name, "why": f"too small ({img.size[0]}x{img.size[1]})"})
            continue
        img.thumbnail((192, 256))
        i = len(frames)
        (run / "frames").mkdir(parents=True, exist_ok=True)
        (run / "mattes").mkdir(exist_ok=True)
        img.save(run / "frames" / f"{i:06d}.png")
        Image.new("L", img.size, 255).save(run / "mattes" / f"{i:06d}.png")
        frames.append({"file": f"frames/{i:06d}.png", "pose": pose_to_json(default_pose(*img.size)),
                       "matte": f"mattes/{i:06d}.png", "parsing": None, "holdout": False})
    if len(frames) < 2:
        fail(source, f"{len(frames)} usable picture(s); a personal model needs at least 2")
    for f in frames[-holdout:] if holdout else []:
        f["holdout"] = True
    material = {"source": str(source), "frames": frames, "left_out": left_out,
                "notes": [f"{len(frames)} frames is very little material"] if len(frames) < 20 else []}
    write_json(run / "material.json", material)
    return material


def sample_grid(step: int, steps: int) -> Image.Image:
    """Three tiles whose contrast grows with training, so a refreshed sample is visibly new."""
    t = step / max(1, steps)
    yy, xx = np.mgrid[0:96, 0:72]
    tile = (128 + 120 * t * np.sin(xx / 6.0 + step) * np.cos(yy / 9.0)).astype(np.uint8)
    rgb = np.stack([tile, np.flipud(tile), np.full_like(tile, int(255 * t))], axis=2)
    return Image.fromarray(np.concatenate([rgb, rgb[:, ::-1], 255 - rgb], axis=1))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("--out", required=True)
    ap.add_argument("--model", default="refine")
    ap.add_argument("--minutes", type=float)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--holdout", type=int, default=2)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--prepare-only", action="store_true")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--name")
    a = ap.parse_args()
    run = Path(a.out)
    run.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: _TERM.append(1))
    pause = float(os.environ.get("POSESTUDIO_DOUBLE_STEP_S", "0.02"))
    device = "cpu" if a.device in ("auto", "cpu") else a.device
    t0 = time.monotonic()

    def progress(phase, step, message, sample=None, eta=None):
        write_json(run / "progress.json", {"phase": phase, "step": step, "steps": a.steps,
                                           "elapsed_s": round(time.monotonic() - t0, 3), "eta_s": eta,
                                           "message": message, "sample": sample, "device": device})

    progress("prepare", 0, "reading the material")
    material = prepare(Path(a.source), run, a.holdout)
    if a.prepare_only:
        return 0
    state = run / "state.json"
    start = json.loads(state.read_text())["step"] if a.resume and state.is_file() else 0
    sample = None
    with open(run / "curves.jsonl", "a") as curves:
        for step in range(start + 1, a.steps + 1):
            if (run / "STOP").exists() or _TERM:
                write_json(state, {"step": step - 1})
                (run / "STOP").unlink(missing_ok=True)
                progress("cancelled", step - 1, f"cancelled at step {step - 1}; --resume continues", sample)
                return 3
            time.sleep(pause)
            curves.write(json.dumps({"step": step, "loss": round(1.0 / (1 + 0.2 * step), 5)}) + "\n")
            if step % 5 == 0:
                ssim = 0.5 + 0.4 * (1 - math.exp(-step / 15))
                curves.write(json.dumps({"step": step, "val_ssim": round(ssim, 4),
                                         "val_psnr": round(12 + 12 * ssim ** 2 + 0.3 * math.sin(step), 3)}) + "\n")
                (run / "samples").mkdir(exist_ok=True)
                sample = f"samples/step_{step:06d}.png"
                sample_grid(step, a.steps).save(run / sample)
            curves.flush()
            eta = round(pause * (a.steps - step), 2)
            progress("train", step, f"training on {len(material['frames'])} frames", sample, eta)
    write_json(state, {"step": a.steps})
    progress("score", a.steps, "scoring on the held-out frames", sample, 0)
    held = sum(1 for f in material["frames"] if f["holdout"])
    write_json(run / "score.json", {"personal": {"ssim": 0.86, "psnr": 23.1}, "engine": {"ssim": 0.79, "psnr": 20.4},
                                    "identity": True, "locality": {"mean": 0.002, "max": 0.004},
                                    "frames": held, "wins": True})
    progress("done", a.steps, "done: the personal model beats the engine on the held-out frames", sample, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
