"""Sample sheet of the procedural data: ``python -m posestudio.training.synth.grid OUT.png``.

Rows of mannequins (picture | parsing overlay with the keypoints' skeleton), then
a row of faces with their edge maps.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from posestudio.core import labels, skeleton


def overlay(image: np.ndarray, parsing: np.ndarray, pose=None, alpha: float = 0.6) -> np.ndarray:
    """The picture under its colourised SPT-10 parsing, with the visible limbs drawn."""
    col = labels.colorize(parsing, "spt10").astype(np.float32)
    out = image.astype(np.float32) * (1 - alpha) + col * alpha
    out[parsing == 0] = image[parsing == 0] * 0.5
    out = out.astype(np.uint8)
    if pose is not None:
        for k, (a, b) in enumerate(skeleton.LIMBS):
            if pose.visible[a] and pose.visible[b]:
                pa = tuple(int(round(v)) for v in pose.xy[a])
                pb = tuple(int(round(v)) for v in pose.xy[b])
                cv2.line(out, pa, pb, skeleton.COLORS[k], 1, cv2.LINE_AA)
        for j in np.flatnonzero(pose.visible):
            cv2.circle(out, tuple(int(round(v)) for v in pose.xy[j]), 2, skeleton.COLORS[j], -1, cv2.LINE_AA)
    return out


def sheet(rows: int = 4, cols: int = 4, seed: int = 0, real_poses=None, face_size: int = 128) -> np.ndarray:
    from posestudio.training.synth.faces import FaceGenerator
    from posestudio.training.synth.generator import MannequinGenerator

    gen = MannequinGenerator(256, 176, seed=seed, real_poses=real_poses)
    lines = []
    for r in range(rows):
        cells = []
        for c in range(cols):
            s = gen.sample(r * cols + c, r % 2)
            cells += [s.image, overlay(s.image, s.parsing, s.pose), np.full((256, 4, 3), 255, np.uint8)]
        lines.append(np.concatenate(cells[:-1], 1))
    width = lines[0].shape[1]
    faces = FaceGenerator(face_size, seed=seed)
    fcells = []
    n = max(1, width // (2 * face_size + 4))
    for i in range(n):
        f = faces.sample(i)
        fcells += [f.image, np.repeat(f.edges[..., None], 3, 2), np.full((face_size, 4, 3), 255, np.uint8)]
    frow = np.concatenate(fcells[:-1], 1)
    frow = np.pad(frow, ((0, 0), (0, width - frow.shape[1]), (0, 0)), constant_values=255)
    return np.concatenate([*lines, frow], 0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--real-poses", type=Path, help="pose-transfer keypoint CSV to perturb")
    args = ap.parse_args(argv)
    real = None
    if args.real_poses:
        from posestudio.training.synth.generator import load_real_poses

        real = load_real_poses(args.real_poses)
    img = sheet(seed=args.seed, real_poses=real)
    # 128 dithered colours keep the sheet small enough for the docs (noise backgrounds compress badly)
    rgb = Image.fromarray(img)
    palette = rgb.quantize(128, method=Image.Quantize.MEDIANCUT)
    rgb.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG).save(args.out, optimize=True)
    print(args.out, img.shape, args.out.stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
