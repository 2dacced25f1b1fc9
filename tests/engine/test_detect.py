"""Detection: the BlazePose -> COCO-18 mapping, face edge drawing, and the install hint."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from posestudio.cli import main
from posestudio.core import skeleton
from posestudio.engine.detect import COCO18_FROM_BLAZEPOSE, blazepose_to_coco18, face_edges


def test_blazepose_maps_to_coco18_with_the_neck_between_the_shoulders():
    lm = np.zeros((33, 3))
    lm[:, 2] = 0.9
    lm[:, 0] = np.linspace(0.1, 0.9, 33)
    lm[:, 1] = np.linspace(0.2, 0.8, 33)
    lm[27, 2] = 0.1  # left ankle not seen
    lm[28, :2] = (1.5, 0.5)  # right ankle outside the image
    pose = blazepose_to_coco18(lm, 200, 100)
    J = skeleton.JOINT_INDEX
    assert np.allclose(pose.xy[J["neck"]], (lm[11, :2] + lm[12, :2]) / 2 * [200, 100])
    assert np.allclose(pose.xy[J["r_shoulder"]], lm[12, :2] * [200, 100])  # BlazePose 12 = right shoulder
    assert np.allclose(pose.xy[J["l_ear"]], lm[7, :2] * [200, 100])
    assert not pose.visible[J["l_ankle"]] and not pose.visible[J["r_ankle"]]
    assert pose.visible.sum() == 16
    assert len(COCO18_FROM_BLAZEPOSE) == 18


def test_face_edges_draw_the_connections():
    pts = np.array([[10.0, 10.0], [50.0, 10.0], [30.0, 40.0]])
    e = face_edges(pts, [(0, 1), (1, 2)], 64, 64)
    assert e.dtype == np.uint8 and e[10, 30] > 128 and e[40, 10] == 0


@pytest.mark.skipif(importlib.util.find_spec("mediapipe") is not None, reason="MediaPipe is installed")
def test_without_the_extra_detect_says_how_to_install_it(tmp_path, capsys):
    assert main(["detect", str(tmp_path / "x.png"), "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'posestudio[detect]'" in err[0]
