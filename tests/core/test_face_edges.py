"""The one face edge map rule: synthetic faces draw exactly it, and MediaPipe Face Mesh
landmarks of a real face map onto the 68 iBUG points in iBUG order.

``data/facemesh_3A.npy``: the 468 Face Mesh landmarks (pixels) that MediaPipe 0.10.14
(``solutions.face_mesh``, static image) found on the face of the DeepFashion sample
``3_A.jpg``, cropped to rows 0-80, columns 57-137 and enlarged 5x (400x400)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posestudio.core.face_edges import (
    EDGE_RUNS,
    GROUPS,
    MEDIAPIPE_TO_IBUG68,
    draw_face_edges,
    edge_width,
    mediapipe_to_ibug68,
)
from posestudio.training.synth.faces import FaceGenerator

MESH = Path(__file__).parent / "data" / "facemesh_3A.npy"


@pytest.mark.parametrize("size", [128, 256])
def test_synth_face_edges_equal_a_redraw_from_their_landmarks(size):
    gen = FaceGenerator(size, seed=3)
    for i, j in ((0, 0), (1, 2), (5, 1)):
        f = gen.sample(i, j)
        redrawn = draw_face_edges(f.landmarks.copy(), size, size)
        np.testing.assert_array_equal(f.edges, redrawn)
        assert redrawn.dtype == np.uint8 and set(np.unique(redrawn)) == {0, 255}
    # the width rule: 2 px at 256, 1 px at 128, never 0
    assert (edge_width(256), edge_width(128), edge_width(40)) == (2, 1, 1)


def test_groups_cover_the_68_points_once():
    covered = [i for a, b, _ in EDGE_RUNS for i in range(a, b)]
    assert covered == list(range(68))
    assert [g for g, (_, _, closed) in GROUPS.items() if closed] == [
        "right_eye", "left_eye", "outer_lips", "inner_lips"
    ]  # fmt: skip


def test_bad_landmarks_are_refused():
    with pytest.raises(ValueError, match="68 landmarks"):
        draw_face_edges(np.zeros((67, 2)), 64, 64)
    with pytest.raises(ValueError, match="NaN"):
        draw_face_edges(np.full((68, 2), np.nan), 64, 64)
    with pytest.raises(ValueError, match="468"):
        mediapipe_to_ibug68(np.zeros((68, 2)))


def test_real_face_mesh_maps_to_ibug_order():
    mesh = np.load(MESH).astype(np.float64)
    assert mesh.shape == (468, 2)
    assert len(set(MEDIAPIPE_TO_IBUG68.values())) == len(MEDIAPIPE_TO_IBUG68) == 51
    lm = mediapipe_to_ibug68(mesh)
    # jaw: 0 and 16 are the oval's temple points, 8 the chin, evenly spaced along each half
    np.testing.assert_allclose(lm[0], mesh[127])
    np.testing.assert_allclose(lm[8], mesh[152])
    np.testing.assert_allclose(lm[16], mesh[356])
    steps = np.hypot(*np.diff(lm[:9], axis=0).T)
    assert steps.std() < 0.35 * steps.mean()
    # iBUG orientation: the person's right (brow 17-21, eye 36-41) on the image left
    assert lm[17:22, 0].mean() < lm[22:27, 0].mean()
    assert lm[36:42, 0].mean() < lm[42:48, 0].mean()
    assert lm[48, 0] < lm[54, 0] and lm[60, 0] < lm[64, 0]
    # top to bottom: brows above eyes above the nose tip above the mouth above the chin
    brow_y, eye_y = lm[17:27, 1].mean(), lm[36:48, 1].mean()
    assert brow_y < eye_y < lm[30, 1] < lm[51, 1] < lm[57, 1] < lm[8, 1]
    # inner lips inside the outer lips, nose bridge going down
    assert lm[48, 0] <= lm[60, 0] and lm[64, 0] <= lm[54, 0]
    assert np.all(np.diff(lm[27:31, 1]) > 0)
    # drawn: every group leaves pixels next to its landmarks
    e = draw_face_edges(lm, 400, 400)
    ys, xs = np.nonzero(e)
    pts = np.stack([xs, ys], 1)
    for p in lm:
        assert np.min(np.hypot(*(pts - p).T)) < 2.0
