"""`--preset paper`: each recipe's size, batch, steps and optimiser as its paper prints them
(checked against the papers' own text in ../shared/papers), and the command line's defaults
coming from the training config."""

from __future__ import annotations

import argparse

import pytest

from posestudio.commands import train as train_cmd
from posestudio.errors import InputError
from posestudio.training.config import TrainConfig
from posestudio.training.paper_presets import PAPER_PRESETS

# recipe -> (paper file prefix, phrases its implementation details print)
PRINTED = {
    "pona": ("004", ["beta_1 = 0.5", "90k iterations", "256 \\\\times 176"]),
    "structflow": ("001", ["\\\\beta_1 = 0, \\\\beta_2 = 0.99", "fixed to 0.001", "256×256 , and the batch size is 6"]),
    "attnflow": ("003", ["batch size is set to 24", "(256×256)"]),
    "spt": ("002", ["learning rate 0.0002 ($\\\\beta_1 = 0.5$ and $\\\\beta_2 = 0.999$)",
                    "DeepFashion and Market-1501 are set to 4", "256×256"]),
}  # fmt: skip


def paper_text(shared_dir, prefix: str) -> str:
    return next((shared_dir / "papers").glob(f"{prefix}_*.txt")).read_text()


@pytest.mark.parametrize("arch", sorted(PRINTED))
def test_paper_presets_follow_the_papers_text(shared_dir, arch):
    prefix, phrases = PRINTED[arch]
    text = paper_text(shared_dir, prefix)
    for phrase in phrases:
        assert phrase.replace("\\\\", "\\") in text, (arch, phrase)
    p = PAPER_PRESETS[arch]
    cfg = TrainConfig(arch=arch, preset="paper")
    assert cfg.size == p.size and cfg.batch == p.batch and cfg.steps == p.steps
    assert cfg.lr == p.lr and cfg.betas == p.betas and cfg.net_preset == "full"


def test_paper_numbers():
    assert PAPER_PRESETS["structflow"].size == (256, 256) and PAPER_PRESETS["structflow"].batch == 6
    assert (PAPER_PRESETS["structflow"].lr, PAPER_PRESETS["structflow"].betas) == (1e-3, (0.0, 0.99))
    assert PAPER_PRESETS["attnflow"].batch == 24 and PAPER_PRESETS["attnflow"].size == (256, 256)
    assert PAPER_PRESETS["spt"].batch == 4 and PAPER_PRESETS["spt"].lr == 2e-4
    assert PAPER_PRESETS["pona"].steps == 90_000 and PAPER_PRESETS["pona"].size == (256, 176)
    # GFLA's optimiser for 003 (model/pose_model.py): D at a tenth of G's rate
    cfg = TrainConfig(arch="attnflow", preset="paper")
    assert cfg.lr_d == pytest.approx(0.1 * cfg.lr) and cfg.betas == (0.0, 0.999)
    # what the user gives wins over the paper's
    cfg = TrainConfig(arch="structflow", preset="paper", steps=7, batch=2, size=(64, 64))
    assert (cfg.steps, cfg.batch, cfg.size) == (7, 2, (64, 64))


def test_paper_preset_only_for_papers():
    with pytest.raises(InputError, match="follows no paper"):
        TrainConfig(arch="refine-pose", preset="paper")


def test_cli_defaults_are_the_training_configs():
    parser = argparse.ArgumentParser()
    train_cmd.add_parser(parser.add_subparsers())
    args = parser.parse_args(["train", "pona", "--out", "x"])
    plain = TrainConfig(arch="pona")
    for name in ("data", "preset", "sample_every", "log_every", "save_every", "device", "seed", "ema_decay",
                 "gan_mode", "loss_weights", "ndf", "synth_length", "workers"):  # fmt: skip
        assert getattr(args, name) == getattr(plain, name), name
    assert args.steps is None and args.batch is None and (plain.steps, plain.batch) == (1000, 4)
