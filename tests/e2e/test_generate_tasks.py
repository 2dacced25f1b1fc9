"""Every inference path, end to end through the CLI on the real samples: random
weights of each arch are imported into a fresh model folder, then
`posestudio generate --task pose|garment|attribute|face|parsing` runs them."""

from __future__ import annotations

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

ARCHS = ("pona", "spt-parsing", "spt-appearance", "scmnet", "scmnet-face")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    import torch
    from safetensors.torch import save_file

    from posestudio.nets.registry import build

    root = tmp_path_factory.mktemp("gen-home")
    env = {**os.environ, "POSESTUDIO_HOME": str(root / "home")}
    for arch in ARCHS:
        torch.manual_seed(0)
        net = build(arch, preset="tiny", height=256, width=176)
        save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(root / f"{arch}.safetensors"))
        r = subprocess.run([sys.executable, "-m", "posestudio", "models", "import", arch, str(root / f"{arch}.safetensors"),
                            "--preset", "tiny", "--name", f"rnd-{arch}"], env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
    return root, env


def generate(home, samples_dir, *args, name="out"):
    root, env = home
    out, raw = root / f"{name}.png", root / f"{name}.npy"
    s = samples_dir
    cmd = [sys.executable, "-m", "posestudio", "generate", "--source-pose", str(s / "keypoints.csv"),
           "--out", str(out), "--raw-out", str(raw), *map(str, args)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    return r, out, raw


def check_outputs(r, out, raw, size=(256, 256), raw_hw=(256, 176)):
    assert r.returncode == 0, r.stderr
    img = np.array(Image.open(out))
    assert img.shape == (*size, 3) and img.dtype == np.uint8
    y = np.load(raw)
    assert y.shape == (1, 3, *raw_hw) and y.min() >= -1 and y.max() <= 1 and np.isfinite(y).all()
    assert y.std() > 0  # a real network output, not a constant
    return img, y


def test_pose_transfer_with_pona_and_spt(home, samples_dir):
    s = samples_dir
    for model in ("rnd-pona", "rnd-spt-appearance"):
        extra = ["--source-parsing", s / "2_A_parsing.png", "--target-parsing", s / "2_B_parsing.png"] \
            if "spt" in model else []
        r, out, raw = generate(home, s, "--task", "pose", "--model", model, "--source", s / "2_A.jpg",
                               "--source-name", "2_A.jpg", "--target-name", "2_B.jpg", *extra, name=model)
        # the tiny PoNA preset is 32x24 (its card keeps the preset's size)
        check_outputs(r, out, raw, raw_hw=(32, 24) if model == "rnd-pona" else (256, 176))


def test_garment_editing_follows_the_painted_parsing(home, samples_dir):
    s = samples_dir
    base = ["--task", "garment", "--model", "rnd-spt-appearance", "--source", s / "2_A.jpg",
            "--source-name", "2_A.jpg", "--target-name", "2_A.jpg", "--source-parsing", s / "2_A_parsing.png"]
    r, out, raw = generate(home, s, *base, "--target-parsing", s / "2_A_parsing.png", name="g0")
    _, y0 = check_outputs(r, out, raw)
    # the artist repaints the pants as a skirt: the output changes
    par = np.array(Image.open(s / "2_A_parsing.png"))
    par[par == 4] = 5
    edited = home[0] / "edited.png"
    Image.fromarray(par).save(edited)
    r, out, raw = generate(home, s, *base, "--target-parsing", edited, name="g1")
    _, y1 = check_outputs(r, out, raw)
    assert np.abs(y1 - y0).max() > 1e-4


def test_attribute_swap_changes_with_the_region(home, samples_dir):
    s = samples_dir
    base = ["--task", "attribute", "--model", "rnd-scmnet", "--source", s / "2_A.jpg", "--source-name", "2_A.jpg",
            "--target-name", "2_A.jpg", "--source-parsing", s / "2_A_parsing.png", "--reference", s / "3_A.jpg",
            "--reference-parsing", s / "3_A_parsing.png"]
    outs = []
    for region in ("upper clothes", "pants"):
        r, out, raw = generate(home, s, *base, "--region", region, name=region.replace(" ", "_"))
        outs.append(check_outputs(r, out, raw)[1])
    assert np.abs(outs[0] - outs[1]).max() > 1e-4
    r, *_ = generate(home, s, *base, name="noregion")
    assert r.returncode == 2 and "region" in r.stderr


def test_face_colorization_and_parsing_prediction(home, samples_dir):
    s = samples_dir
    edges = home[0] / "edges.png"
    cv2.imwrite(str(edges), cv2.Canny(cv2.imread(str(s / "2_B.jpg"), 0), 80, 160))
    r, out, raw = generate(home, s, "--task", "face", "--model", "rnd-scmnet-face", "--source", s / "2_B.jpg",
                           "--source-name", "2_B.jpg", "--edges", edges, "--reference", s / "2_B.jpg",
                           "--reference-parsing", s / "2_B_parsing.png", name="face")
    check_outputs(r, out, raw)
    root, env = home
    r = subprocess.run([sys.executable, "-m", "posestudio", "generate", "--task", "parsing", "--model", "rnd-spt-parsing",
                        "--source", str(s / "2_A.jpg"), "--source-pose", str(s / "keypoints.csv"), "--source-name",
                        "2_A.jpg", "--target-name", "2_B.jpg", "--source-parsing", str(s / "2_A_parsing.png"),
                        "--out", str(root / "parsing.png")], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert np.array(Image.open(root / "parsing.png")).shape[:2] == (256, 256)


def test_a_model_cannot_run_a_task_it_does_not_serve(home, samples_dir):
    s = samples_dir
    r, *_ = generate(home, s, "--task", "attribute", "--model", "rnd-pona", "--source", s / "2_A.jpg",
                     "--source-name", "2_A.jpg", "--target-name", "2_A.jpg", "--region", "pants", name="bad")
    assert r.returncode == 2 and "rnd-pona" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_weight_free_edits_through_the_cli(tmp_path, samples_dir):
    """The puppet engine's edits: a label nobody shows is exit 2 with one line; the
    attribute transfer changes the picture (it used to return the source, exit 0)."""
    env = {**os.environ, "POSESTUDIO_HOME": str(tmp_path / "home")}
    par = np.array(Image.open(samples_dir / "2_A_parsing.png"))
    skirt = par.copy()
    skirt[par == 4] = 5  # jeans -> skirt: neither 2_A nor a reference shows one
    Image.fromarray(skirt).save(tmp_path / "skirt.png")
    base = [sys.executable, "-m", "posestudio", "generate", "--model", "puppet", "--source", str(samples_dir / "2_A.jpg"),
            "--source-pose", str(samples_dir / "keypoints.csv"), "--source-name", "2_A.jpg",
            "--source-parsing", str(samples_dir / "2_A_parsing.png")]  # fmt: skip
    r = subprocess.run([*base, "--task", "garment", "--target-parsing", str(tmp_path / "skirt.png"),
                        "--out", str(tmp_path / "s.png")], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "skirt" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run([*base, "--task", "attribute", "--reference", str(samples_dir / "3_A.jpg"),
                        "--reference-parsing", str(samples_dir / "3_A_parsing.png"),
                        "--reference-pose", str(samples_dir / "keypoints.csv"), "--reference-name", "3_A.jpg",
                        "--region", "upper clothes", "--out", str(tmp_path / "a.png")],
                       env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    src = np.array(Image.open(samples_dir / "2_A.jpg").convert("RGB"))
    assert (np.array(Image.open(tmp_path / "a.png")) != src).any(-1).sum() > 2000


@pytest.mark.parametrize("problem", ["size", "no person", "range"])
def test_bad_reference_or_parsing_is_one_line_naming_the_file(tmp_path, samples_dir, problem):
    env = {**os.environ, "POSESTUDIO_HOME": str(tmp_path / "home")}
    par = np.array(Image.open(samples_dir / "3_A_parsing.png"))
    bad = tmp_path / "bad.png"
    if problem == "size":
        Image.fromarray(par[:200]).save(bad)
    elif problem == "no person":
        Image.fromarray(np.zeros_like(par)).save(bad)
    else:
        Image.fromarray(np.full_like(par, 40)).save(bad)
    r = subprocess.run([sys.executable, "-m", "posestudio", "generate", "--task", "attribute", "--model", "puppet",
                        "--source", str(samples_dir / "2_A.jpg"), "--source-pose", str(samples_dir / "keypoints.csv"),
                        "--source-name", "2_A.jpg", "--source-parsing", str(samples_dir / "2_A_parsing.png"),
                        "--reference", str(samples_dir / "3_A.jpg"), "--reference-parsing", str(bad),
                        "--reference-pose", str(samples_dir / "keypoints.csv"), "--reference-name", "3_A.jpg",
                        "--region", "upper clothes", "--out", str(tmp_path / "o.png")],
                       env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and str(bad) in lines[0], r.stderr
    assert not (tmp_path / "o.png").exists()
