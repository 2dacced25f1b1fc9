"""The training loop: PoNA's loss falls on synthetic pairs, a resumed run continues exactly
like an uninterrupted one, and every recipe runs its phases on tiny inputs."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from posestudio.cli import main
from posestudio.engine.cards import ModelCard
from posestudio.nets.registry import build

TINY = ["--data", "synth", "--preset", "tiny", "--no-progress"]


def stats(run) -> list[dict]:
    return [json.loads(line) for line in (run / "stats.jsonl").read_text().splitlines()]


def test_pona_loss_falls(tmp_path, capsys):
    run = tmp_path / "pona"
    # 8 distinct pairs: 50 steps of batch 4 are 25 epochs, enough to see the L1 fall
    rc = main(["train", "pona", *TINY, "--size", "32x24", "--batch", "4", "--steps", "50", "--out", str(run),
               "--sample-every", "25", "--synth-length", "8"])  # fmt: skip
    assert rc == 0
    err = capsys.readouterr().err
    # without VGG-19 weights the run says which of the paper's losses it dropped, and records them
    assert "without the paper's VGG-based losses: perceptual (eq. 11)" in err
    assert json.loads((run / "config.json").read_text())["dropped_losses"] == ["perceptual (eq. 11)"]
    rows = stats(run)
    assert [r["step"] for r in rows] == list(range(1, 51))
    first = sum(r["l1"] for r in rows[:10]) / 10
    last = sum(r["l1"] for r in rows[-10:]) / 10
    assert last < 0.95 * first, (first, last)
    assert {"cgan", "l1", "d", "lr", "sec_per_step"} <= set(rows[0])
    assert "perceptual" not in rows[0]
    # sample grids: 4 rows of source | target | output
    from PIL import Image

    for step in (25, 50):
        with Image.open(run / "samples" / f"step_{step:06d}.png") as im:
            assert im.size == (3 * 24 + 2 * 2, 4 * 32 + 3 * 2)
    # inference weights = EMA generator, with a card that rebuilds it
    card = ModelCard.load(run / "model.card.json")
    assert card.arch == "pona" and card.resolution == (32, 24) and card.weights == "weights.safetensors"
    net = build(card.arch, preset=None, **card.build_config())
    net.load_state_dict(load_file(str(run / "weights.safetensors")))
    state = torch.load(run / "state.pt", weights_only=True)
    assert state["step"] == 50
    ema = state["ema"]["pona"]
    assert all(torch.equal(ema[k], v) for k, v in load_file(str(run / "weights.safetensors")).items())
    live = state["modules"]["pona"]
    assert any(not torch.equal(live[k], ema[k]) for k in live)  # EMA differs from the live weights
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["arch"] == "pona" and cfg["steps"] == 50 and cfg["size"] == [32, 24]


def test_resume_matches_uninterrupted_run(tmp_path):
    opts = [*TINY, "--size", "32x24", "--batch", "2", "--sample-every", "0"]
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["train", "pona", *opts, "--steps", "4", "--out", str(a)]) == 0
    assert main(["train", "pona", *opts, "--steps", "2", "--out", str(b)]) == 0
    assert torch.load(b / "state.pt", weights_only=True)["step"] == 2
    assert main(["train", "pona", *opts, "--steps", "4", "--out", str(b), "--resume"]) == 0
    ra, rb = stats(a), stats(b)
    assert [r["step"] for r in rb] == [1, 2, 3, 4]
    for x, y in zip(ra, rb, strict=True):
        for k in ("cgan", "l1", "d", "total"):
            assert x[k] == y[k], (x["step"], k)
    wa, wb = load_file(str(a / "weights.safetensors")), load_file(str(b / "weights.safetensors"))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)


RECIPES = [
    ("pona", "32x24", [], {"cgan", "l1"}),
    ("structflow", "32x32", ["--phases", "flow=1"], {"warp", "regu", "rec", "adv"}),
    ("attnflow", "32x32", ["--phases", "flow=1"], {"attn", "warp", "regu", "adv"}),
    ("spt", "32x32", ["--phases", "regressor=1,hs=1,ha=0"], {"pose_mse", "ce", "pose", "face"}),
    ("scmnet", "32x32", [], {"adv", "rec"}),
    ("scmnet-face", "32x32", [], {"adv", "rec"}),
    ("refine-pose", "32x24", [], {"l1", "ssim_loss", "prior_l1", "prior_ssim_loss"}),
    ("refine-garment", "32x24", [], {"l1", "ssim_loss", "prior_l1"}),
    ("refine-face", "32x32", [], {"l1", "ssim_loss", "prior_l1"}),
]


@pytest.mark.parametrize("arch,size,extra,keys", RECIPES, ids=[r[0] for r in RECIPES])
def test_every_recipe_runs(tmp_path, arch, size, extra, keys):
    run = tmp_path / arch
    steps = "3" if arch == "spt" else "2"
    rc = main(["train", arch, *TINY, "--size", size, "--batch", "2", "--steps", steps, "--out", str(run),
               "--sample-every", steps, *extra])  # fmt: skip
    assert rc == 0
    rows = stats(run)
    assert len(rows) == int(steps)
    seen = set().union(*rows)
    assert keys <= seen, keys - seen
    assert all(v == v for r in rows for v in r.values() if isinstance(v, float))  # no NaN
    if arch in ("structflow", "attnflow"):
        assert [r["phase"] for r in rows] == ["flow", "e2e"]
    if arch == "spt":
        assert [r["phase"] for r in rows] == ["regressor", "hs", "joint"]
        assert (run / "spt-parsing.card.json").is_file() and (run / "spt-parsing.safetensors").is_file()
    assert (run / "samples" / f"step_{int(steps):06d}.png").is_file()
    card = ModelCard.load(run / "model.card.json")
    net = build(card.arch, preset=None, **card.build_config())
    net.load_state_dict(load_file(str(card.weights_path)))


def test_refiner_beats_its_puppet_prior_after_training(tmp_path):
    """The refiner starts as the puppet's answer (equal losses at step 1) and training makes
    it better than that answer on the training faces (8 distinct ones, 40 steps)."""
    run = tmp_path / "refine-face"
    rc = main(["train", "refine-face", *TINY, "--size", "32x32", "--batch", "4", "--steps", "40", "--lr", "3e-3",
               "--out", str(run), "--sample-every", "0", "--synth-length", "8"])  # fmt: skip
    assert rc == 0
    rows = stats(run)
    assert rows[0]["l1"] == pytest.approx(rows[0]["prior_l1"], abs=1e-6)
    last = rows[-10:]
    assert sum(r["l1"] for r in last) < 0.9 * sum(r["prior_l1"] for r in last)
    assert sum(r["ssim_loss"] for r in last) < sum(r["prior_ssim_loss"] for r in last)
