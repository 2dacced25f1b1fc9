"""`posestudio train` options and bad input (one-line errors, exit 2); VGG weights from a file."""

from __future__ import annotations

import json

import torch
from safetensors.torch import save_file

from posestudio.cli import main

TINY = ["--data", "synth", "--preset", "tiny", "--size", "32x24", "--batch", "2", "--no-progress",
        "--sample-every", "0"]  # fmt: skip


def test_bad_inputs_exit_2(tmp_path, capsys):
    assert main(["train", "pona", "--size", "big", "--out", str(tmp_path / "a")]) == 2
    assert "--size must be HEIGHTxWIDTH" in capsys.readouterr().err
    assert main(["train", "pona", *TINY, "--steps", "1", "--resume", "--out", str(tmp_path / "none")]) == 2
    assert "config.json" in capsys.readouterr().err
    assert main(["train", "structflow", *TINY, "--phases", "warmup=3", "--out", str(tmp_path / "b")]) == 2
    assert "unknown phase 'warmup'" in capsys.readouterr().err
    missing = tmp_path / "nowhere"
    assert main(["train", "pona", *TINY, "--data", str(missing), "--out", str(tmp_path / "c")]) == 2
    assert str(missing) in capsys.readouterr().err
    assert main(["train", "pona", *TINY, "--vgg-weights", str(missing), "--out", str(tmp_path / "d")]) == 2
    assert "VGG" in capsys.readouterr().err


def test_vgg_weights_switch_on_the_perceptual_loss(tmp_path, capsys):
    g = torch.Generator().manual_seed(0)
    vgg = {  # conv1_1 and conv1_2 in torchvision's key layout: all PoNA's eq. 11 needs
        "features.0.weight": torch.randn(64, 3, 3, 3, generator=g) * 0.1, "features.0.bias": torch.zeros(64),
        "features.2.weight": torch.randn(64, 64, 3, 3, generator=g) * 0.05, "features.2.bias": torch.zeros(64),
    }  # fmt: skip
    path = tmp_path / "vgg.safetensors"
    save_file(vgg, str(path))
    run = tmp_path / "run"
    assert main(["train", "pona", *TINY, "--steps", "1", "--vgg-weights", str(path), "--out", str(run)]) == 0
    assert "non-VGG" not in capsys.readouterr().err
    row = json.loads((run / "stats.jsonl").read_text().splitlines()[0])
    assert row["perceptual"] > 0
    assert json.loads((run / "config.json").read_text())["vgg_weights"] == str(path)


def deepfashion_folder(samples_dir, root):
    """The four real DeepFashion samples in the pose-transfer layout (both directions per person)."""
    import shutil

    (root / "images").mkdir(parents=True)
    (root / "parsing").mkdir()
    for n in ("2_A", "2_B", "3_A", "3_B"):
        shutil.copy(samples_dir / f"{n}.jpg", root / "images" / f"{n}.jpg")
        shutil.copy(samples_dir / f"{n}_parsing.png", root / "parsing" / f"{n}_parsing.png")
    shutil.copy(samples_dir / "keypoints.csv", root / "annotations.csv")
    pairs = ["from,to", "2_A.jpg,2_B.jpg", "2_B.jpg,2_A.jpg", "3_A.jpg,3_B.jpg", "3_B.jpg,3_A.jpg"]
    (root / "pairs.csv").write_text("\n".join(pairs) + "\n")
    return root


def test_real_deepfashion_pairs_train_and_eval(samples_dir, tmp_path, capsys):
    data = deepfashion_folder(samples_dir, tmp_path / "df")
    for arch, size in (("pona", "64x44"), ("scmnet", "64x48")):
        run = tmp_path / arch
        rc = main(["train", arch, "--data", str(data), "--preset", "tiny", "--size", size, "--batch", "2",
                   "--steps", "2", "--sample-every", "2", "--no-progress", "--out", str(run)])  # fmt: skip
        assert rc == 0, arch
        assert (run / "samples" / "step_000002.png").is_file()
    capsys.readouterr()
    out = tmp_path / "eval.json"
    rc = main(["eval", str(tmp_path / "pona"), "--data", str(data), "--pairs", "4", "--size", "256x176",
               "--model", "puppet", "--baseline", "source", "--metrics", "ssim,psnr", "--json", str(out)])  # fmt: skip
    assert rc == 0
    # trained without --vgg-weights: the run's config, its card and the scores say what was dropped
    assert json.loads((tmp_path / "pona" / "config.json").read_text())["dropped_losses"] == ["perceptual (eq. 11)"]
    card = json.loads((tmp_path / "pona" / "model.card.json").read_text())
    assert "losses dropped: perceptual (eq. 11)" in card["description"]
    assert "trained without VGG-19 weights; losses dropped: perceptual (eq. 11)" in capsys.readouterr().out
    assert json.loads(out.read_text())["dropped_losses"] == {card["name"]: ["perceptual (eq. 11)"]}
    rows = json.loads(out.read_text())["rows"]
    # the puppet warp beats the untouched source on the real pairs
    assert rows["puppet"]["ssim"] > rows["source"]["ssim"]
    assert rows["puppet"]["psnr"] > rows["source"]["psnr"]
