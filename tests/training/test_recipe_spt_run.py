"""SPT's progressive schedule through the training loop at 32 -> 64 px: the sizes H_A, H_S and
the regressor really see per step, and a resumed run that restarts in the right phase at the
right size with the losses of the uninterrupted run. (Apart from test_recipe_spt.py so that
mutation testing, which runs every test that reaches a mutated function, skips this slow one.)"""

from __future__ import annotations

import json

import torch

from posestudio.cli import main
from posestudio.nets.regressor import PoseRegressor
from posestudio.nets.spt import SPTAppearance, SPTParsing

RUN = ["--data", "synth", "--preset", "tiny", "--size", "64x64", "--batch", "2", "--no-progress",
       "--sample-every", "0", "--save-every", "0", "--synth-length", "8", "--progressive",
       "--phases", "regressor=1,hs=1,ha=1,joint=1"]  # fmt: skip
# (phase, size) of the six steps: everything at half size, then H_A at the full size
EXPECTED = [("regressor", 64), ("hs", 32), ("ha", 32), ("joint", 32), ("ha-full", 64), ("ha-full", 64)]


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
