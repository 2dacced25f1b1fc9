"""Where the weight-free engine's error on the real pairs lies: an in-process realcheck.

Run from the project root (PYTHONPATH=$PWD): .venv/bin/python docs/puppet_error_breakdown.py [--pairs N]

Calls ``puppet_warp`` directly (no CLI process per pair) with the detector's mattes cached
in a temporary folder, so one run over the 100 pairs takes well under a minute after the
first; the SSIM / PSNR are the same as ../shared/tools/realcheck.py's (centre 176 columns,
scikit-image, data_range 255), printed at 4 decimals. Each pair's squared error is split by
the detector's matte of the *target* and the warp's visibility: target person drawn as body,
target person left as backdrop, body drawn over the target's backdrop, backdrop on both.
Ends with the 12 worst pairs by PSNR.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from posestudio.core.pose import Pose
from posestudio.engine.puppet import puppet_warp
from posestudio.engine.warp.matte import detected_matte

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "samples" / "realpairs"
CACHE = Path(tempfile.gettempdir()) / "posestudio-realpairs-mattes"
FACE = (0, 14, 15)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=100)
    a = ap.parse_args()
    CACHE.mkdir(exist_ok=True)
    poses = {}
    for line in (DATA / "annotations.csv").read_text().splitlines()[1:]:
        name, ys, xs = line.split(":")
        ys, xs = np.array(json.loads(ys), float), np.array(json.loads(xs), float)
        poses[name.strip()] = Pose(np.stack([xs, ys], 1), (xs != -1) & (ys != -1))
    pairs = [line.split(",") for line in (DATA / "pairs.csv").read_text().splitlines()[1:]][: a.pairs]

    def load(name):
        return np.asarray(Image.open(DATA / "images" / name).convert("RGB"))

    def matte(name):
        f = CACHE / f"{name}.npy"
        if not f.exists():
            m = detected_matte(load(name), poses[name])
            np.save(f, np.array(0) if m is None else m)
        m = np.load(f)
        return None if m.ndim == 0 else m

    rows = []
    for i, (s, t) in enumerate(pairs):
        tgt = load(t)[:, 40:216]
        w = puppet_warp(load(s), poses[s], poses[t], source_matte=matte(s))
        out = w.image[:, 40:216]
        err = ((out.astype(float) - tgt) ** 2).mean(-1)
        mt = matte(t)
        person = (mt[:, 40:216] > 0.5) if mt is not None else np.zeros(err.shape, bool)
        shown = w.visibility[:, 40:216] > 0.5
        turn = bool(poses[s].visible[list(FACE)].any()) != bool(poses[t].visible[list(FACE)].any())
        split = [
            err[m].sum() / err.size
            for m in (person & shown, person & ~shown, ~person & shown, ~person & ~shown)
        ]
        rows.append((i, turn, structural_similarity(out, tgt, data_range=255, channel_axis=2),
                     peak_signal_noise_ratio(tgt, out, data_range=255), err.mean(), *split))  # fmt: skip
    r = np.array([x[2:] for x in rows])
    turn = np.array([x[1] for x in rows])
    for name, sel in (("all", np.ones(len(rows), bool)), ("same-facing", ~turn), ("turning", turn)):
        if sel.any():
            print(f"{name:12s} n={sel.sum():3d}  SSIM {r[sel, 0].mean():.4f}  PSNR {r[sel, 1].mean():.3f} dB")
    m = r.mean(0)
    print(f"mean squared error {m[2]:.0f}: target person drawn as body {m[3]:.0f}, target person left as "
          f"backdrop {m[4]:.0f}, body over the target's backdrop {m[5]:.0f}, backdrop on both {m[6]:.0f}")  # fmt: skip
    print("worst pairs (index, turning, SSIM, PSNR):")
    for x in sorted(rows, key=lambda x: x[3])[:12]:
        print(
            f"  {x[0]:3d} {'turn' if x[1] else 'same'} {x[2]:.3f} {x[3]:5.2f} dB  {pairs[x[0]][0]} -> {pairs[x[0]][1]}"
        )


if __name__ == "__main__":
    main()
