"""Build ``deepfashion_2A.psproj`` from the shared DeepFashion sample.

    .venv/bin/python resources/samples/make_sample.py [SHARED_DIR]

Layers: the 2_A picture, its SPT-10 parsing map (half opacity, hidden), its
annotated keypoints as the (hidden, locked) source pose, and a target pose set
to the same person's 2_B annotation, so Generate shows a pose transfer at once.
Keyframes 0 and 24 hold the 2_A and 2_B poses.
"""

from __future__ import annotations

import sys
from pathlib import Path

from posestudio.core.document import Document
from posestudio.core.formats import label_png, read_poses
from posestudio.core.layers import ParsingLayer
from posestudio.core.project import read_image, save_project

HERE = Path(__file__).resolve().parent


def build(shared: Path) -> Document:
    df = shared / "samples" / "deepfashion"
    src = read_poses(df / "keypoints.csv", name="2_A.jpg").first
    dst = read_poses(df / "keypoints.csv", name="2_B.jpg").first
    doc = Document.from_image(read_image(df / "2_A.jpg"), "2_A (DeepFashion)", pose=src)
    parsing = ParsingLayer("Parsing (SPT-10)", label_png.read(df / "2_A_parsing.png", "spt10"), label_set="spt10",
                           opacity=0.5, visible=False)
    doc.layers.insert(1, parsing)
    target = doc.pose_layer()
    target.poses = [dst.copy()]
    doc.keyframes = {0: [src.copy()], 24: [dst.copy()]}
    doc.meta = {"title": "DeepFashion 2_A -> 2_B", "source": "shared/samples/deepfashion (SPT demo inputs)"}
    return doc


if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared"
    out = save_project(build(shared), HERE / "deepfashion_2A.psproj")
    print(out, out.stat().st_size, "bytes")
