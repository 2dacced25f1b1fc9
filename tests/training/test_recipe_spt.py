"""SPT's progressive 128 -> 256 schedule (Sec. 4.1) at tiny sizes (32 -> 64): the phase table,
the sizes the generators really see in a short run, and a resumed run that restarts in the
right phase at the right size."""

from __future__ import annotations

import json

import pytest
import torch

from posestudio.cli import main
from posestudio.errors import InputError
from posestudio.nets.regressor import PoseRegressor
from posestudio.nets.spt import SPTAppearance, SPTParsing
from posestudio.training import ddp
from posestudio.training.config import TrainConfig
from posestudio.training.recipes import Amp, make_recipe

RUN = ["--data", "synth", "--preset", "tiny", "--size", "64x64", "--batch", "2", "--no-progress",
       "--sample-every", "0", "--save-every", "0", "--synth-length", "8", "--progressive",
       "--phases", "regressor=1,hs=1,ha=1,joint=1"]  # fmt: skip
# (phase, size) of the six steps: everything at half size, then H_A at the full size
EXPECTED = [("regressor", 64), ("hs", 32), ("ha", 32), ("joint", 32), ("ha-full", 64), ("ha-full", 64)]


def spt_recipe(**kw):
    cfg = TrainConfig(arch="spt", preset="tiny", size=(64, 64), ndf=8, **kw)
    info = ddp.DistInfo()
    return make_recipe(cfg, torch.device("cpu"), info, Amp(False, torch.device("cpu"), info))


def test_phase_table_gives_each_phase_its_size():
    r = spt_recipe(steps=100, progressive=True)
    assert r.size_schedule() == [("regressor", 10, (64, 64)), ("hs", 20, (32, 32)), ("ha", 20, (32, 32)),
                                 ("joint", 20, (32, 32)), ("ha-full", 30, (64, 64))]  # fmt: skip
    assert (r.hs.height, r.hs.width) == (32, 32)  # H_S only ever runs at half size: its card says so
    assert (r.ha.height, r.ha.width) == (64, 64)
    assert r.phase_at(69) == "joint" and r.phase_at(70) == "ha-full"
    assert any("ha-full 30 steps at 64x64" in n for n in r.notes)
    plain = spt_recipe(steps=100)
    assert [s for _, _, s in plain.size_schedule()] == [(64, 64)] * 4
    assert plain.phases() == [("regressor", 10), ("hs", 30), ("ha", 30), ("joint", 30)]


def test_progressive_is_the_paper_presets_default_and_spt_only():
    assert TrainConfig(arch="spt", preset="paper").progressive is True
    assert TrainConfig(arch="spt", preset="paper", progressive=False).progressive is False
    assert TrainConfig(arch="spt").progressive is False
    assert TrainConfig(arch="pona", preset="paper").progressive is False
    with pytest.raises(InputError, match="only spt"):
        TrainConfig(arch="pona", progressive=True)


def test_resize_keeps_parsing_one_hot_and_averages_images():
    r = spt_recipe(steps=10, progressive=True)
    g = torch.Generator().manual_seed(0)
    lab = torch.randint(0, 10, (1, 64, 64), generator=g)
    batch = {"source_parsing": torch.nn.functional.one_hot(lab, 10).permute(0, 3, 1, 2).float(),
             "source_mask": (torch.rand(1, 1, 64, 64, generator=g) > 0.5).float(),
             "source_image": torch.rand(1, 3, 64, 64, generator=g), "id": ["x"]}  # fmt: skip
    out = r.resize(batch, (32, 32))
    assert out["source_parsing"].shape == (1, 10, 32, 32) and torch.equal(out["source_parsing"].sum(1), torch.ones(1, 32, 32))
    assert torch.equal(out["source_parsing"], batch["source_parsing"][..., ::2, ::2])  # nearest: no blend
    assert set(out["source_mask"].unique().tolist()) <= {0.0, 1.0}
    assert torch.allclose(out["source_image"], torch.nn.functional.avg_pool2d(batch["source_image"], 2))
    assert out["id"] == ["x"]


class Seen:
    """Heights of the inputs each trained (train-mode) H_A, H_S and regressor call gets."""

    def __init__(self):
        self.rows: list[tuple[str, int]] = []

    def __call__(self, module, args):
        names = {SPTAppearance: "ha", SPTParsing: "hs", PoseRegressor: "regressor"}
        if type(module) in names and module.training and args:
            self.rows.append((names[type(module)], int(args[0].shape[-2])))

    def of(self, name):
        return [h for n, h in self.rows if n == name]


def run(out, steps: int, resume: bool = False) -> Seen:
    seen = Seen()
    handle = torch.nn.modules.module.register_module_forward_pre_hook(seen)
    try:
        args = ["train", "spt", *RUN, "--steps", str(steps), "--out", str(out)]
        assert main(args + (["--resume"] if resume else [])) == 0
    finally:
        handle.remove()
    return seen


def rows(out):
    return [json.loads(line) for line in (out / "stats.jsonl").read_text().splitlines()]


def test_short_run_trains_at_the_table_sizes_and_resumes_in_the_right_phase(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    seen = run(a, 6)
    assert [(r["phase"], r["px"]) for r in rows(a)] == EXPECTED
    # H_A: forward + cycle back per step of ha / joint (half size) and ha-full (full size)
    assert seen.of("ha") == [32] * 4 + [64] * 4
    assert set(seen.of("hs")) == {32}  # H_S always at half size, also under ha-full
    assert seen.of("regressor") == [64, 32]  # the regressor learns both sizes

    run(b, 3)
    resumed = run(b, 6, resume=True)
    assert resumed.of("ha") == [32] * 2 + [64] * 4  # step 4 (joint) at half size, then full
    ra, rb = rows(a), rows(b)
    assert [(r["phase"], r["px"]) for r in rb] == EXPECTED
    for x, y in zip(ra, rb, strict=True):
        assert {k: v for k, v in x.items() if k != "sec_per_step"} == {
            k: v for k, v in y.items() if k != "sec_per_step"}  # fmt: skip
    card = json.loads((b / "spt-parsing.card.json").read_text())
    assert card["resolution"] == [32, 32]
