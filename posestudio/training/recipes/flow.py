"""What the two flow recipes (001 part flows, 003 attention + flow) share: the VGG
losses and the stand-in for flow losses without VGG weights.

Where a phase would have no loss on its flows without ``--vgg-weights``, the flows are
trained by paper 003's eq. 10 form instead (L1 between the flow-warped downsized source
and the downsized target).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from posestudio.nets.blocks import warp
from posestudio.nets.losses import PerceptualLoss, StyleLoss, VGG19Features
from posestudio.training.recipes.base import Recipe


def warp_l1(source: torch.Tensor, target: torch.Tensor, flow: torch.Tensor, weight=None) -> torch.Tensor:
    """Paper 003 eq. 10 form: L1 between the source downsized to the flow grid and warped
    by ``flow``, and the downsized target (optionally inside ``weight`` (B,1,h,w))."""
    h, w = flow.shape[-2:]
    s = F.adaptive_avg_pool2d(source, (h, w))
    t = F.adaptive_avg_pool2d(target, (h, w))
    diff = (warp(s, flow) - t).abs()
    if weight is None:
        return diff.mean()
    return (diff * weight).sum() / (weight.sum() * diff.shape[1]).clamp_min(1.0)


class FlowRecipe(Recipe):
    default_phases = (("flow", 0.2), ("e2e", 0.8))

    def _vgg(self):
        if not self.vgg_path:
            return None, None, None
        vgg = VGG19Features(self.vgg_path, layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")).to(
            self.device
        )
        return vgg, PerceptualLoss(vgg), StyleLoss(vgg, layers=("relu2_1", "relu3_1", "relu4_1"))
