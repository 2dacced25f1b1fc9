"""Time the live-preview path of the weight-free warp: prepare once, then one forearm moved per call.

Run from the project root: .venv/bin/python docs/time_puppet_preview.py
(The bench rows of `posestudio bench` live in engine/bench.py.)
"""

import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from posestudio.core.formats import read_poses
from posestudio.core.pose import Pose
from posestudio.engine.puppet import prepare_source, warp_prepared

S = Path(__file__).resolve().parents[1] / ".." / "shared" / "samples" / "deepfashion"
src0 = np.array(Image.open(S / "2_A.jpg").convert("RGB"))
sp0 = read_poses(S / "keypoints.csv", name="2_A.jpg").people[0]
for side in (512, 1024):
    s = side / 256
    img = cv2.resize(src0, (side, side), interpolation=cv2.INTER_CUBIC)
    sp = Pose(sp0.xy * s, sp0.visible)
    t = time.perf_counter()
    prep = prepare_source(img, sp)
    t_prep = time.perf_counter() - t
    times = []
    for k in range(8):
        target = sp.rotate_limb(4, 0.05 * (k + 1))
        t = time.perf_counter()
        warp_prepared(prep, target)
        times.append(time.perf_counter() - t)
    print(
        f"{side}x{side}: prepare {t_prep * 1000:.0f} ms; warp_prepared median {np.median(times) * 1000:.0f} ms, "
        f"min {min(times) * 1000:.0f} ms"
    )
