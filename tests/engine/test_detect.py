"""Detection: the BlazePose -> COCO-18 mapping, face edge drawing, and the install hint."""

from __future__ import annotations

import importlib.util
import types
from pathlib import Path

import numpy as np
import pytest

from posestudio.cli import main
from posestudio.core import skeleton
from posestudio.core.face_edges import draw_face_edges, mediapipe_to_ibug68
from posestudio.engine import detect
from posestudio.engine.detect import COCO18_FROM_BLAZEPOSE, blazepose_to_coco18, face_edges

MESH = Path(__file__).resolve().parents[1] / "core" / "data" / "facemesh_3A.npy"


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


def test_detected_face_edges_use_the_synthetic_faces_rule():
    mesh = np.load(MESH).astype(np.float64)  # MediaPipe Face Mesh of a real face (3_A.jpg)
    e = face_edges(mesh, 400, 400)
    np.testing.assert_array_equal(e, draw_face_edges(mediapipe_to_ibug68(mesh), 400, 400))
    assert e.dtype == np.uint8 and set(np.unique(e)) == {0, 255}  # no anti-aliasing, like synth
    assert face_edges(np.vstack([mesh, np.zeros((10, 2))]), 400, 400).sum() == e.sum()  # 478 (irises)


def args_for(tmp_path):
    return ["detect", str(tmp_path / "x.png"), "--out", str(tmp_path / "p.json")]


def test_mediapipe_without_bundled_models_says_so_in_one_line(tmp_path, capsys, monkeypatch):
    fake = types.SimpleNamespace(__version__="0.10.31", __file__=str(tmp_path / "mediapipe" / "__init__.py"))
    monkeypatch.setattr(detect, "import_mediapipe", lambda: fake)
    assert not detect.bundled_models(fake)
    assert main(["detect", str(tmp_path / "x.png"), "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "carries no pose model" in err[0] and "--pose-model" in err[0], err
    model = tmp_path / "pose.task"
    assert main([*args_for(tmp_path), "--pose-model", str(model)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no such MediaPipe model file" in err[0] and str(model) in err[0], err
    model.write_bytes(b"not read before the face check")
    args = ["detect", str(tmp_path / "x.png"), "--out", str(tmp_path / "p.json"), "--pose-model", str(model)]
    assert main([*args, "--edges-out", str(tmp_path / "e.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "carries no face model" in err[0] and "--face-model" in err[0], err


@pytest.mark.skipif(importlib.util.find_spec("mediapipe") is not None, reason="MediaPipe is installed")
def test_without_the_extra_detect_says_how_to_install_it(tmp_path, capsys):
    assert main(["detect", str(tmp_path / "x.png"), "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'posestudio[detect]'" in err[0]
