"""Speed of the procedural renderers on one core: ``python -m posestudio.training.synth.bench``.

Prints (and returns) images per second for mannequins and faces. Pins OpenCV to
one thread so the number is a single-core figure.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import cv2


def benchmark(n: int = 400, height: int = 256, width: int = 176, face_size: int = 256, seed: int = 0) -> dict:
    """Render ``n`` mannequins (new character each time, as a data set does) and ``n // 2`` faces."""
    from posestudio.training.synth.faces import FaceGenerator
    from posestudio.training.synth.generator import MannequinGenerator

    cv2.setNumThreads(1)
    gen = MannequinGenerator(height, width, seed=seed)
    gen.sample(0, 0)  # warm caches
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n):
        gen.sample(i // 4, i % 4)
    t1, c1 = time.perf_counter(), time.process_time()
    faces = FaceGenerator(face_size, seed=seed)
    nf = max(1, n // 2)
    t2, c2 = time.perf_counter(), time.process_time()
    for i in range(nf):
        faces.sample(i)
    t3, c3 = time.perf_counter(), time.process_time()
    return {
        "mannequins_per_s": n / (t1 - t0),
        "mannequins_per_cpu_s": n / max(c1 - c0, 1e-9),
        "mannequin_size": [height, width],
        "faces_per_s": nf / (t3 - t2),
        "faces_per_cpu_s": nf / max(c3 - c2, 1e-9),
        "face_size": face_size,
        "n": n,
        "loadavg": os.getloadavg()[0],
        "cpus": os.cpu_count(),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=400)
    ap.add_argument("--size", default="256x176")
    args = ap.parse_args(argv)
    h, w = (int(v) for v in args.size.lower().split("x"))
    print(json.dumps(benchmark(args.n, h, w), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
