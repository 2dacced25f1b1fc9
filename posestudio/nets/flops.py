"""Floating-point operation counts of a generator forward pass.

Convention: FLOPs = 2 x multiply-adds of convolutions, transposed convolutions
and matrix products (``mm``/``bmm``/``addmm``, i.e. attention), as counted by
``torch.utils.flop_counter.FlopCounterMode``. Normalisation, activations,
softmax, pooling and bilinear sampling (``grid_sample``) are not counted; they
are a few percent of the total for these nets.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


@torch.no_grad()
def count_flops(model: nn.Module, inputs: dict[str, torch.Tensor]) -> int:
    """FLOPs (2 x MACs) of one ``model(**inputs)`` call, summed over the batch."""
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter:
            model(**inputs)
    finally:
        model.train(was_training)
    return int(counter.get_total_flops())


def flops_by_module(model: nn.Module, inputs: dict[str, torch.Tensor]) -> dict[str, int]:
    """FLOPs per top-level child module (``model.named_children()`` names); work done
    directly in the model's own ``forward`` (e.g. warping) is under ``"(self)"``."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False, depth=None) as counter:
            model(**inputs)
    finally:
        model.train(was_training)
    counts = counter.get_flop_counts()
    total = int(sum(counts.get("Global", {}).values()))
    # direct children; for ModuleList/ModuleDict (never called themselves) their items
    wanted = []
    for name, child in model.named_children():
        if isinstance(child, (nn.ModuleList, nn.ModuleDict)):
            wanted += [f"{name}.{k}" for k, _ in child.named_children()]
        else:
            wanted.append(name)
    prefix = type(model).__name__ + "."
    out = {}
    for name in wanted:
        c = counts.get(prefix + name)
        if c:
            out[name] = int(sum(c.values()))
    out["(self)"] = total - sum(out.values())
    return out
