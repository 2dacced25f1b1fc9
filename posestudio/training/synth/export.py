"""Write procedural data to disk in the layouts the data sets read:

- ``write_pose_transfer_set``: ``images/NAME.png``, ``annotations.csv``
  (``name:keypoints_y:keypoints_x``), ``pairs.csv`` (``from,to``: every ordered pair of
  poses of one character) and ``parsing/NAME_parsing.png`` (SPT-10 index PNGs), i.e. the
  DeepFashion/Market pose-transfer layout that ``datasets.PoseTransferPairs`` reads;
- ``write_face_edge_set``: CelebA-HQ-like ``images/``, ``edges/``, ``parsing/`` (scm8) and
  ``landmarks.csv`` (68 x, y per row) for ``face_datasets.FaceEdgeFolder``.

``python -m posestudio.training.synth.export people OUT --characters 100 --poses 4``
``python -m posestudio.training.synth.export faces OUT --count 1000``
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from posestudio.core.formats import csv_keypoints, label_png
from posestudio.core.pose import Pose


def write_pose_transfer_set(out: str | Path, characters: int, poses: int = 2, size=(256, 176), seed: int = 0,
                            real_poses=None, **generator_kw) -> Path:  # fmt: skip
    from posestudio.training.synth.generator import MannequinGenerator

    out = Path(out)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "parsing").mkdir(exist_ok=True)
    gen = MannequinGenerator(size[0], size[1], seed, real_poses, **generator_kw)
    rows, pairs = {}, []
    for i in range(characters):
        names = []
        for j in range(poses):
            s = gen.sample(i, j)
            name = f"c{i:05d}_p{j:02d}.png"
            Image.fromarray(s.image).save(out / "images" / name)
            label_png.write(out / "parsing" / f"c{i:05d}_p{j:02d}_parsing.png", s.parsing, "spt10")
            # 3 decimals, as the CSV stores them (rounding first also keeps values a hair off an
            # integer, e.g. 89.0004, from being written as "89." which is not valid JSON)
            rows[name] = Pose(np.round(s.pose.xy, 3), s.pose.visible)
            names.append(name)
        pairs += [(a, b) for a in names for b in names if a != b]
    csv_keypoints.write(out / "annotations.csv", rows)
    (out / "pairs.csv").write_text("from,to\n" + "".join(f"{a},{b}\n" for a, b in pairs), encoding="utf-8")
    return out


def write_face_edge_set(out: str | Path, count: int, size: int = 256, seed: int = 0) -> Path:
    from posestudio.training.synth.faces import FaceGenerator

    out = Path(out)
    for d in ("images", "edges", "parsing"):
        (out / d).mkdir(parents=True, exist_ok=True)
    gen = FaceGenerator(size, seed)
    lines = []
    for i in range(count):
        f = gen.sample(i)
        name = f"{i:06d}.png"
        Image.fromarray(f.image).save(out / "images" / name)
        Image.fromarray(f.edges).save(out / "edges" / name)
        label_png.write(out / "parsing" / name, f.parsing, "scm8")
        lines.append(name + "," + ",".join(f"{v:.2f}" for v in f.landmarks.reshape(-1)))
    header = "name," + ",".join(f"{a}{k}" for k in range(68) for a in ("x", "y"))
    (out / "landmarks.csv").write_text(header + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("people")
    p.add_argument("out", type=Path)
    p.add_argument("--characters", type=int, default=100)
    p.add_argument("--poses", type=int, default=4)
    p.add_argument("--size", default="256x176")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--real-poses", type=Path)
    f = sub.add_parser("faces")
    f.add_argument("out", type=Path)
    f.add_argument("--count", type=int, default=1000)
    f.add_argument("--size", type=int, default=256)
    f.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.what == "people":
        h, w = (int(v) for v in args.size.lower().split("x"))
        real = None
        if args.real_poses:
            from posestudio.training.synth.generator import load_real_poses

            real = load_real_poses(args.real_poses)
        write_pose_transfer_set(args.out, args.characters, args.poses, (h, w), args.seed, real)
    else:
        write_face_edge_set(args.out, args.count, args.size, args.seed)
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["write_pose_transfer_set", "write_face_edge_set"]
