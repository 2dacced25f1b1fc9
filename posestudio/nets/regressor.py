"""A small pose-heatmap regressor P: image -> 18 joint heatmaps at 1/4 resolution.

SPT's pose loss (eq. 6, after Pumarola et al.) needs a pose detector that can be
differentiated through; we use our own small network instead of OpenPose, trained
beforehand on images with exact keypoints (the synthetic mannequins) with
:func:`regressor_loss`, then frozen while H_A trains (``training.recipes.spt``).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from posestudio.nets.spt_blocks import ResBlock, conv_block


class PoseRegressor(nn.Module):
    """Stride-4 fully convolutional heatmap regressor (a tiny stacked-hourglass stage)."""

    def __init__(self, ch: int = 32, n_res: int = 3, joints: int = 18):
        super().__init__()
        self.net = nn.Sequential(
            conv_block(3, ch, stride=2),
            conv_block(ch, 2 * ch, stride=2),
            *[ResBlock(2 * ch) for _ in range(n_res)],
            conv_block(2 * ch, 2 * ch),
            nn.Conv2d(2 * ch, joints, 1),
        )

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.net(image)


def regressor_loss(regressor: PoseRegressor, image: torch.Tensor, heatmaps: torch.Tensor) -> torch.Tensor:
    """MSE against the ground-truth heatmaps average-pooled to the output size."""
    pred = regressor(image)
    return F.mse_loss(pred, F.adaptive_avg_pool2d(heatmaps, pred.shape[-2:]))
