"""The `posestudio pose` commands, run as a user runs them (a real subprocess)."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "posestudio", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0 and "pose" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("posestudio ")


def test_convert_csv_row_to_openpose(samples_dir, tmp_path):
    out = tmp_path / "out.json"
    r = run("pose", "convert", samples_dir / "keypoints.csv", out, "--name", "2_A.jpg", "--canvas", "256x256")
    assert r.returncode == 0, r.stderr
    data = json.loads(out.read_text())
    kp = np.array(data["people"][0]["pose_keypoints_2d"]).reshape(18, 3)
    assert kp[0].tolist() == [91, 46, 1] and kp[9].tolist() == [0, 0, 0]
    assert (data["canvas_width"], data["canvas_height"]) == (256, 256)


def test_heatmaps_equal_parity(parity_dir, tmp_path):
    out = tmp_path / "h.npy"
    r = run("pose", "heatmaps", parity_dir / "case0" / "source_pose.json", out, "--size", "256x176")
    assert r.returncode == 0, r.stderr
    ref = np.load(parity_dir / "case0" / "heatmaps.npz")["source"]
    assert np.abs(np.load(out) - ref).max() <= 1e-6


def test_render_draws_the_skeleton(parity_dir, tmp_path):
    out = tmp_path / "s.png"
    r = run("pose", "render", parity_dir / "case1" / "target_pose.json", out)
    assert r.returncode == 0, r.stderr
    img = np.array(Image.open(out))
    assert img.shape == (256, 176, 3)
    assert (img.sum(2) > 0).mean() > 0.02  # limbs drawn
    r = run("pose", "render", parity_dir / "case1" / "target_pose.json", tmp_path / "b.png", "--size", "352x512")
    assert Image.open(tmp_path / "b.png").size == (352, 512)


@pytest.mark.parametrize(
    "make,args,needle",
    [
        (None, ["pose", "convert", "{d}/missing.json", "{d}/o.json"], "no such file"),
        ("{bad", ["pose", "convert", "{f}", "{d}/o.json"], "invalid JSON"),
        ('{"people":[{"pose_keypoints_2d":[1,2,3]}]}', ["pose", "render", "{f}", "{d}/o.png"], "expected 54"),
        ('{"people":[{"pose_keypoints_2d":[' + ",".join(["NaN"] * 54) + "]}]}",
         ["pose", "heatmaps", "{f}", "{d}/o.npy", "--size", "8x8"], "NaN"),
        ("{}", ["pose", "heatmaps", "{f}", "{d}/o.npy", "--size", "8by8"], "size"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, make, args, needle):
    f = tmp_path / "in.json"
    if make is not None:
        f.write_text(make)
    r = run(*[a.format(d=tmp_path, f=f) for a in args])
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
    if "missing" not in args[2]:
        assert str(f) in lines[0] or "size" in needle


def test_wrong_keypoint_count_in_csv(tmp_path):
    f = tmp_path / "k.csv"
    f.write_text("name:keypoints_y:keypoints_x\na.jpg: [1, 2, 3]: [1, 2, 3]\n")
    r = run("pose", "convert", f, tmp_path / "o.json")
    assert r.returncode == 2 and "18 keypoints" in r.stderr and str(f) in r.stderr
