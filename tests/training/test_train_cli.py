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
