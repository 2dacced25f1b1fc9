"""What the recipe tests share: a tiny recipe, a batch of real DeepFashion pairs through the
training data set, comparing a step's logged terms with the paper's, and which parameters a
step moved."""

from __future__ import annotations

import torch

from posestudio.training import datasets, ddp
from posestudio.training.config import TrainConfig
from posestudio.training.data import _collate
from posestudio.training.recipes import Amp, make_recipe

SIZE = (32, 32)


def mse(x, v):
    return ((x - v) ** 2).mean()


def snapshot(module: torch.nn.Module) -> dict:
    return {n: p.detach().clone() for n, p in module.named_parameters()}


def changed(before: dict, module: torch.nn.Module) -> set[str]:
    """Names of the parameters of ``module`` that differ from ``before`` (a :func:`snapshot`)."""
    return {n for n, p in module.named_parameters() if not torch.equal(before[n], p.detach())}


def check(logged: dict, expected: dict, tol: float = 2e-4):
    """Every expected term is logged, equal within ``tol`` (relative above 1)."""
    for k, v in expected.items():
        assert k in logged, f"{k} missing from the step's terms {sorted(logged)}"
        assert abs(logged[k] - float(v)) <= tol * max(1.0, abs(float(v))), (k, logged[k], float(v))


def real_batch(root, label_set: str) -> dict:
    ds = datasets.PoseTransferPairs(root / "images", root / "annotations.csv", root / "pairs.csv", size=SIZE,
                                    parsing_dir=root / "parsing", label_set=label_set)  # fmt: skip
    return _collate([ds[0], ds[2]])


def recipe(arch: str, vgg=None, **kw):
    torch.manual_seed(0)
    cfg = TrainConfig(arch=arch, preset="tiny", size=SIZE, steps=10, batch=2, vgg_weights=vgg, ndf=8, **kw)
    info = ddp.DistInfo()
    return make_recipe(cfg, torch.device("cpu"), info, Amp(False, torch.device("cpu"), info))
