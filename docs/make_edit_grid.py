"""The grid of weight-free edits in docs/EDITING.md (issue 15):
`PYTHONPATH=. .venv/bin/python docs/make_edit_grid.py` -> docs/editing_grid.png.

Rows: DeepFashion 2_A and 3_A (with their parsing maps) and one real-pairs photo
that has no parsing map (its map is estimated). Columns: the photo, its parsing
(given or estimated), long sleeves (garment repaint), the other person's top
(attribute transfer), the face with an opened mouth (on the face crop enlarged 4x: before, after;
start sketch, edited sketch), all from the puppet engine."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from posestudio.core import labels
from posestudio.core.face_edges import draw_face_edges
from posestudio.core.formats import read_poses
from posestudio.engine.backends.puppet import run_puppet
from posestudio.engine.edit import face, parsing
from posestudio.engine.results import Request
from posestudio.ui.panels.face_panel import face_box

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "samples"
REAL = "fashionWOMENBlouses_Shirtsid0000001502_1front.png"
LS = labels.get("spt10")


def load(name):
    if name == REAL:
        img = np.array(Image.open(SHARED / "realpairs" / "images" / name).convert("RGB"))
        pose = read_poses(SHARED / "realpairs" / "annotations.csv", name=name).people[0]
        return img, None, pose
    d = SHARED / "deepfashion"
    img = np.array(Image.open(d / f"{name}.jpg").convert("RGB"))
    par = np.array(Image.open(d / f"{name}_parsing.png"))
    return img, par, read_poses(d / "keypoints.csv", name=f"{name}.jpg").people[0]


def opened_mouth(img, pose, zoom=4):
    """The face edit on the face crop enlarged ``zoom`` times: the faces of these 256-px
    photos are ~25 px, too small for drawn lips to stay apart (docs/EDITING.md)."""
    x0, y0, x1, y1 = face_box(pose, img.shape[1], img.shape[0])
    crop = cv2.resize(np.ascontiguousarray(img[y0:y1, x0:x1]), None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
    h, w = crop.shape[:2]
    big = pose.copy()
    big.xy = (big.xy - [x0, y0]) * zoom
    start = face.template_on_joints(big, (0, 0, w, h))  # what Face layer from head joints draws
    pts = start.copy()
    c = pts[48:68].mean(0)  # the artist opens the mouth: both lip contours taller
    pts[48:60, 1] = c[1] + (pts[48:60, 1] - c[1]) * 2.2
    pts[60:68, 1] = c[1] + (pts[60:68, 1] - c[1]) * 3
    res = run_puppet(Request(task="face", source_image=crop, edges=draw_face_edges(pts, h, w), reference_image=crop,
                             reference_edges=draw_face_edges(start, h, w), reference_landmarks=start))
    # the cell: before, after; the starting sketch on the photo, the artist's sketch
    start_on = crop.copy()
    start_on[draw_face_edges(start, h, w) > 0] = (0, 255, 0)
    sketch = np.repeat(draw_face_edges(pts, h, w)[..., None], 3, 2)
    q = [cv2.resize(c, (128, 128), interpolation=cv2.INTER_AREA) for c in (crop, res.image, start_on, sketch)]
    return np.concatenate([np.concatenate(q[:2], 1), np.concatenate(q[2:], 1)], 0)


def row(name, other):
    img, par, pose = load(name)
    if par is None:
        par = parsing.estimate(img, pose)
    want = par.copy()
    want[np.isin(par, (LS.index("left arm"), LS.index("right arm")))] = LS.index("upper clothes")
    sleeves = run_puppet(Request(task="garment", source_image=img, source_pose=pose, target_pose=pose,
                                 source_parsing=par, target_parsing=want)).image
    oimg, opar, opose = load(other)
    top = run_puppet(Request(task="attribute", source_image=img, source_pose=pose, target_pose=pose,
                             source_parsing=par, reference_image=oimg, reference_parsing=opar, reference_pose=opose,
                             region="upper clothes")).image
    cells = [img, labels.colorize(par, "spt10"), sleeves, top, opened_mouth(img, pose)]
    return np.concatenate([cv2.resize(c, (256, 256), interpolation=cv2.INTER_AREA) for c in cells], 1)


def main():
    grid = np.concatenate([row("2_A", "3_A"), row("3_A", "2_A"), row(REAL, "3_A")], 0)
    grid = cv2.resize(grid, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA)  # keeps the PNG small
    Image.fromarray(grid).save(Path(__file__).with_name("editing_grid.png"), optimize=True)


if __name__ == "__main__":
    main()
