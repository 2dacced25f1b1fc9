"""Data sets on the real DeepFashion samples and on the procedural generators."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from posestudio.core import labels
from posestudio.core.formats import csv_keypoints, label_png, write_poses
from posestudio.core.formats.poseset import PoseSet
from posestudio.core.skeleton import FLIP_PERMUTATION
from posestudio.errors import InputError
from posestudio.training.datasets import (
    CharacterFolder,
    PoseTransferPairs,
    SynthPairs,
    fit_image,
    fit_pose,
)
from posestudio.training.face_datasets import FaceEdgeFolder, SynthFaces  # fmt: skip


@pytest.fixture()
def pairs_csv(tmp_path):
    p = tmp_path / "pairs.csv"
    p.write_text("from,to\n2_A.jpg,2_B.jpg\n3_A.jpg,3_B.jpg\n")
    return p


def _img(samples_dir, name):
    return np.asarray(Image.open(samples_dir / name).convert("RGB"))


def test_deepfashion_pairs_crop_to_256x176_and_move_keypoints(samples_dir, pairs_csv):
    ds = PoseTransferPairs(samples_dir, samples_dir / "keypoints.csv", pairs_csv, parsing_dir=samples_dir)
    assert len(ds) == 2
    rows = csv_keypoints.read_all(samples_dir / "keypoints.csv")
    for i, (a, b) in enumerate([("2_A.jpg", "2_B.jpg"), ("3_A.jpg", "3_B.jpg")]):
        x = ds[i]
        assert (x["source_name"], x["target_name"]) == (a, b)
        for prefix, name in (("source", a), ("target", b)):
            img = x[f"{prefix}_image"]
            assert img.shape == (3, 256, 176) and img.dtype == torch.float32
            ref = _img(samples_dir, name)[:, 40:216]  # centre crop, no resize
            np.testing.assert_allclose(((img.numpy() + 1) * 127.5).transpose(1, 2, 0), ref, atol=1e-3)
            pose = rows[name]
            kp = x[f"{prefix}_pose"].numpy()
            vis = pose.visible & (pose.xy[:, 0] >= 40) & (pose.xy[:, 0] <= 215)
            np.testing.assert_array_equal(kp[:, 2] > 0, vis)
            np.testing.assert_allclose(kp[vis, 0], pose.xy[vis, 0] - 40)
            np.testing.assert_allclose(kp[vis, 1], pose.xy[vis, 1])
            hm = x[f"{prefix}_heatmaps"]
            assert hm.shape == (18, 256, 176)
            j = int(np.flatnonzero(vis)[0])
            yy, xx = np.unravel_index(int(hm[j].argmax()), (256, 176))
            assert (xx, yy) == (round(kp[j, 0]), round(kp[j, 1]))
            assert float(hm[~torch.from_numpy(vis)].abs().sum()) == 0.0
            par = label_png.read(samples_dir / name.replace(".jpg", "_parsing.png"))[:, 40:216]
            np.testing.assert_array_equal(x[f"{prefix}_labels"].numpy(), par)
            np.testing.assert_array_equal(x[f"{prefix}_parsing"].argmax(0).numpy(), par)
            assert x[f"{prefix}_parsing"].shape == (10, 256, 176)
            assert x[f"{prefix}_mask"].shape == (1, 256, 176)


def test_market_size_and_other_label_sets(samples_dir, pairs_csv):
    ds = PoseTransferPairs(samples_dir, samples_dir / "keypoints.csv", pairs_csv, size=(128, 64),
                           parsing_dir=samples_dir, label_set="scm8")  # fmt: skip
    x = ds[1]
    assert x["source_image"].shape == (3, 128, 64)
    assert x["source_parsing"].shape == (8, 128, 64)
    par = label_png.read(samples_dir / "3_A_parsing.png")
    want = labels.convert(fit_image(par, (128, 64), nearest=True), "spt10", "scm8")
    np.testing.assert_array_equal(x["source_labels"].numpy(), want)
    pose = csv_keypoints.read_all(samples_dir / "keypoints.csv")["3_A.jpg"]
    moved = fit_pose(pose, (256, 256), (128, 64))
    np.testing.assert_allclose(moved.xy[1], (pose.xy[1] + 0.5) * 0.5 - 0.5 - [32, 0])
    np.testing.assert_allclose(x["source_pose"].numpy()[1, :2], moved.xy[1], rtol=1e-6)


def test_bad_pairs_and_annotations_name_the_file(samples_dir, tmp_path):
    bad = tmp_path / "pairs.csv"
    bad.write_text("from,to\n2_A.jpg,9_Z.jpg\n")
    with pytest.raises(InputError, match="pairs.csv.*9_Z.jpg"):
        PoseTransferPairs(samples_dir, samples_dir / "keypoints.csv", bad)
    bad.write_text("from,to\n2_A.jpg\n")
    with pytest.raises(InputError, match="line 2"):
        PoseTransferPairs(samples_dir, samples_dir / "keypoints.csv", bad)


def test_character_folder_self_supervised_and_pairs(samples_dir, tmp_path):
    for stem in ("2_A", "2_B"):
        shutil.copy(samples_dir / f"{stem}.jpg", tmp_path / f"{stem}.jpg")
        shutil.copy(samples_dir / f"{stem}_parsing.png", tmp_path / f"{stem}_parsing.png")
    rows = csv_keypoints.read_all(samples_dir / "keypoints.csv")
    write_poses(tmp_path / "2_A.json", PoseSet([rows["2_A.jpg"]], 256, 256))  # OpenPose JSON beside
    csv_keypoints.write(tmp_path / "keypoints.csv", {"2_B.jpg": rows["2_B.jpg"]})  # or a CSV row
    ds = CharacterFolder(tmp_path)
    assert len(ds) == 2
    x = ds[0]
    assert torch.equal(x["source_image"], x["target_image"])
    assert torch.equal(x["source_heatmaps"], x["target_heatmaps"])
    assert x["source_parsing"].shape == (10, 256, 176)
    np.testing.assert_allclose(x["source_pose"][:, :2][x["source_pose"][:, 2] > 0].numpy(),
                               (rows["2_A.jpg"].xy - [40, 0])[rows["2_A.jpg"].visible], atol=1e-4)  # fmt: skip
    pairs = CharacterFolder(tmp_path, pairs=True)
    assert len(pairs) == 2
    y = pairs[0]
    assert (y["source_name"], y["target_name"]) == ("2_A.jpg", "2_B.jpg")
    assert not torch.equal(y["source_image"], y["target_image"])
    (tmp_path / "keypoints.csv").unlink()
    with pytest.raises(InputError, match="no pose for 2_B.jpg"):
        CharacterFolder(tmp_path)


def test_face_edge_folder_reads_what_the_generator_wrote(tmp_path):
    from posestudio.training.synth.faces import FaceGenerator

    (tmp_path / "images").mkdir()
    (tmp_path / "edges").mkdir()
    gen = FaceGenerator(64, seed=2)
    for i in range(3):
        f = gen.sample(i)
        Image.fromarray(f.image).save(tmp_path / "images" / f"{i:05d}.png")
        Image.fromarray(f.edges).save(tmp_path / "edges" / f"{i:05d}.png")
    ds = FaceEdgeFolder(tmp_path, size=64)
    assert len(ds) == 3
    x = ds[1]
    np.testing.assert_array_equal(x["edges"][0].numpy() * 255, gen.sample(1).edges)
    assert x["image"].shape == (3, 64, 64)
    (tmp_path / "edges" / "00002.png").unlink()
    with pytest.raises(InputError, match="00002"):
        FaceEdgeFolder(tmp_path, size=64)


def test_synthetic_data_sets(samples_dir):
    from posestudio.training.synth import load_real_poses

    ds = SynthPairs(
        length=4, size=(128, 88), seed=1, real_poses=load_real_poses(samples_dir / "keypoints.csv")
    )
    x = ds[2]
    assert x["source_image"].shape == (3, 128, 88)
    assert x["target_parsing"].shape == (10, 128, 88)
    assert x["source_heatmaps"].shape == (18, 128, 88)
    assert not torch.equal(x["source_pose"], x["target_pose"])
    assert torch.equal(ds[2]["target_image"], x["target_image"])  # deterministic
    assert float(x["source_image"].min()) >= -1 and float(x["source_image"].max()) <= 1
    f = SynthFaces(length=2, size=64)[0]
    assert f["edges"].shape == (1, 64, 64) and set(torch.unique(f["edges"]).tolist()) == {0.0, 1.0}
    assert f["reference_parsing"].shape == (8, 64, 64)
    assert f["landmarks"].shape == (68, 2)
    json.dumps({k: list(v.shape) for k, v in f.items()})


def test_data_loader_batches_the_dicts(samples_dir, pairs_csv):
    from torch.utils.data import DataLoader

    ds = PoseTransferPairs(samples_dir, samples_dir / "keypoints.csv", pairs_csv, parsing_dir=samples_dir)
    batch = next(iter(DataLoader(ds, batch_size=2)))
    assert batch["source_image"].shape == (2, 3, 256, 176)
    assert batch["target_parsing"].shape == (2, 10, 256, 176)
    assert batch["source_name"] == ["2_A.jpg", "3_A.jpg"]
    synth = next(iter(DataLoader(SynthPairs(length=2, size=(64, 44)), batch_size=2)))
    assert synth["target_heatmaps"].shape == (2, 18, 64, 44)


def test_market_sized_images_pass_through_unchanged(samples_dir, tmp_path):
    rows = csv_keypoints.read_all(samples_dir / "keypoints.csv")
    small = {}
    for name in ("2_A.jpg", "2_B.jpg"):
        im = Image.open(samples_dir / name).convert("RGB").resize((64, 128), Image.BILINEAR)
        im.save(tmp_path / name.replace(".jpg", ".png"))
        p = rows[name]
        small[name.replace(".jpg", ".png")] = type(p)(p.xy * [0.25, 0.5], p.visible)
    csv_keypoints.write(tmp_path / "market-annotation.csv", small)
    (tmp_path / "market-pairs.csv").write_text("from,to\n2_A.png,2_B.png\n")
    ds = PoseTransferPairs(tmp_path, tmp_path / "market-annotation.csv", tmp_path / "market-pairs.csv",
                           size=(128, 64))  # fmt: skip
    x = ds[0]
    ref = np.asarray(Image.open(tmp_path / "2_A.png"))
    np.testing.assert_allclose(((x["source_image"].numpy() + 1) * 127.5).transpose(1, 2, 0), ref, atol=1e-3)
    p = small["2_A.png"]
    np.testing.assert_allclose(x["source_pose"].numpy()[p.visible, :2], p.xy[p.visible], atol=1e-3)


def test_exported_synthetic_sets_read_back_exactly(tmp_path):
    from posestudio.training.synth.export import write_face_edge_set, write_pose_transfer_set
    from posestudio.training.synth.faces import FaceGenerator
    from posestudio.training.synth.generator import MannequinGenerator

    root = write_pose_transfer_set(tmp_path / "people", characters=2, poses=2, size=(128, 88), seed=4)
    ds = PoseTransferPairs(root / "images", root / "annotations.csv", root / "pairs.csv", size=(128, 88),
                           parsing_dir=root / "parsing")  # fmt: skip
    assert len(ds) == 4  # two ordered pairs per character
    x = ds[0]
    assert (x["source_name"], x["target_name"]) == ("c00000_p00.png", "c00000_p01.png")
    s = MannequinGenerator(128, 88, seed=4).sample(0, 0)
    np.testing.assert_allclose(
        ((x["source_image"].numpy() + 1) * 127.5).transpose(1, 2, 0), s.image, atol=1e-3
    )
    np.testing.assert_array_equal(x["source_labels"].numpy(), s.parsing)
    vis = x["source_pose"][:, 2].numpy() > 0
    np.testing.assert_array_equal(vis, s.pose.visible)
    np.testing.assert_allclose(x["source_pose"][:, :2].numpy()[vis], s.pose.xy[vis], atol=1e-3)
    faces = FaceEdgeFolder(write_face_edge_set(tmp_path / "faces", 2, size=64, seed=1), size=64)
    f = faces[1]
    np.testing.assert_array_equal(f["edges"][0].numpy() * 255, FaceGenerator(64, seed=1).sample(1).edges)
    assert f["reference_parsing"].shape == (8, 64, 64)


def test_every_generator_consumes_the_data_sets():
    """Each registered arch (tiny preset) runs on a batch of the synthetic sets, keys and label
    set taken from its INPUTS: the data sets speak the generators' language (the refiners'
    puppet prior comes from ``training.prior.WithPrior``, as their recipes read it)."""
    from torch.utils.data import DataLoader

    from posestudio.nets import registry
    from posestudio.training.datasets import parsing_label_set
    from posestudio.training.prior import WithPrior

    for arch in registry.list_archs():
        net = registry.build(arch, "tiny").eval()
        cfg = registry.preset_config(arch, "tiny")
        h, w = cfg.get("height", 256), cfg.get("width", 176)
        if "edges" in net.INPUTS:
            ds = SynthFaces(length=1, size=h)
        else:
            ds = SynthPairs(length=1, size=(h, w), label_set=parsing_label_set(net.INPUTS))
        if "prior_image" in net.INPUTS:
            ds = WithPrior(ds, next(iter(registry.arch_info(arch).tasks)))
        batch = next(iter(DataLoader(ds, batch_size=1)))
        missing = [k for k in net.INPUTS if k not in batch]
        assert not missing, (arch, missing)
        with torch.no_grad():
            out = net(**{k: batch[k] for k in net.INPUTS})
        first = out[net.OUTPUTS[0]]
        assert first.shape[0] == 1 and torch.isfinite(first).all(), arch


def test_flip_mirrors_pictures_joints_and_labels(samples_dir, pairs_csv):
    plain = PoseTransferPairs(samples_dir, samples_dir / "keypoints.csv", pairs_csv, parsing_dir=samples_dir)
    flipped = PoseTransferPairs(samples_dir, samples_dir / "keypoints.csv", pairs_csv, parsing_dir=samples_dir,
                                flip=1.0)  # fmt: skip
    a, b = plain[0], flipped[0]
    for prefix in ("source", "target"):
        assert torch.equal(b[f"{prefix}_image"], a[f"{prefix}_image"].flip(-1))
        pa, pb = a[f"{prefix}_pose"].numpy(), b[f"{prefix}_pose"].numpy()
        np.testing.assert_array_equal(pb[:, 2], pa[list(FLIP_PERMUTATION), 2])
        vis = pb[:, 2] > 0
        np.testing.assert_allclose(pb[vis, 0], 175 - pa[list(FLIP_PERMUTATION)][vis, 0], atol=1e-5)
        want = labels.mirror(a[f"{prefix}_labels"].numpy(), "spt10")
        np.testing.assert_array_equal(b[f"{prefix}_labels"].numpy(), want)
    s = SynthPairs(length=1, size=(64, 44), flip=1.0, label_set="scm8")[0]
    u = SynthPairs(length=1, size=(64, 44), label_set="scm8")[0]
    assert torch.equal(s["target_image"], u["target_image"].flip(-1))


def test_heatmap_sigma_scales_with_the_height_as_the_engine_does():
    """Training heatmaps at 128x88 are what the engine feeds a 128x88 model (sigma 3, not 6)."""
    import numpy as np

    from posestudio.core.pose import heatmaps
    from posestudio.engine import prepare
    from posestudio.engine.results import Request
    from posestudio.training.datasets import SynthPairs
    from posestudio.training.prior import request_for

    item = SynthPairs(2, (128, 88), seed=1)[0]
    req = request_for(item)
    frame = prepare.frame_for((128, 88), req.size, [req.source_pose, req.target_pose])
    assert frame.identity
    got = prepare.prepare_inputs({"target_heatmaps": {"channels": 18, "kind": "heatmaps"}}, req, frame)
    np.testing.assert_allclose(item["target_heatmaps"].numpy(), got["target_heatmaps"][0], atol=1e-6)
    assert not np.allclose(item["target_heatmaps"].numpy(), heatmaps(req.target_pose, 128, 88, 6.0))
    assert isinstance(req, Request)
