"""Discriminators. Outputs are logits (use ``losses.AdversarialLoss``).

Stable API:
- ``PatchDiscriminator(in_channels, ndf=64, n_layers=3, norm="instance", spectral=True)``:
  PatchGAN (70x70 receptive field at n_layers=3), (B, 1, h', w') logits.
- ``ResnetDiscriminator(in_channels, ndf=64, n_blocks=3, norm="instance", attention=True)``:
  PoNA's discriminator body: 7x7 conv + norm + ReLU, two stride-2 convs, residual
  blocks with a self-attention module, spectral norm on every conv, 1x1 to logits.
- ``PoNADiscriminators(ndf=64, n_blocks=3, norm="instance")``: D_A on (I_c, I) (6 ch)
  and D_P on (I, P_t) (3 + 18 ch), PoNA Sec. III-D.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import spectral_norm

from posestudio.nets.blocks import SelfAttention, norm2d


def _sn(module: nn.Module, use: bool) -> nn.Module:
    return spectral_norm(module) if use else module


class PatchDiscriminator(nn.Module):
    """PatchGAN: 4x4 stride-2 convs with LeakyReLU(0.2), logits per patch."""

    def __init__(
        self,
        in_channels: int,
        ndf: int = 64,
        n_layers: int = 3,
        norm: str = "instance",
        spectral: bool = True,
    ):
        super().__init__()
        layers = [_sn(nn.Conv2d(in_channels, ndf, 4, 2, 1), spectral), nn.LeakyReLU(0.2)]
        ch = ndf
        for i in range(1, n_layers + 1):
            nxt = ndf * min(2**i, 8)
            stride = 2 if i < n_layers else 1
            layers += [_sn(nn.Conv2d(ch, nxt, 4, stride, 1), spectral), norm2d(norm, nxt), nn.LeakyReLU(0.2)]
            ch = nxt
        layers.append(_sn(nn.Conv2d(ch, 1, 4, 1, 1), spectral))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class _SNResBlock(nn.Module):
    def __init__(self, ch: int, norm: str):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            spectral_norm(nn.Conv2d(ch, ch, 3)),
            norm2d(norm, ch),
            nn.LeakyReLU(0.2),
            nn.ReflectionPad2d(1),
            spectral_norm(nn.Conv2d(ch, ch, 3)),
            norm2d(norm, ch),
        )

    def forward(self, x):
        return x + self.body(x)


class ResnetDiscriminator(nn.Module):
    """PoNA Sec. III-D: conv (norm, activation) -> down-sampling -> residual blocks
    with a self-attention module -> per-position consistency logits. LeakyReLU(0.2)
    after each normalisation (Sec. III-G)."""

    def __init__(
        self,
        in_channels: int,
        ndf: int = 64,
        n_blocks: int = 3,
        norm: str = "instance",
        attention: bool = True,
    ):
        super().__init__()
        layers = [
            nn.ReflectionPad2d(3),
            spectral_norm(nn.Conv2d(in_channels, ndf, 7)),
            norm2d(norm, ndf),
            nn.LeakyReLU(0.2),
        ]
        ch = ndf
        for _ in range(2):
            layers += [spectral_norm(nn.Conv2d(ch, ch * 2, 3, 2, 1)), norm2d(norm, ch * 2), nn.LeakyReLU(0.2)]
            ch *= 2
        for i in range(n_blocks):
            layers.append(_SNResBlock(ch, norm))
            if attention and i == n_blocks // 2:
                layers.append(SelfAttention(ch))
        layers.append(nn.Conv2d(ch, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class PoNADiscriminators(nn.Module):
    """The appearance (D_A) and pose (D_P) discriminators of PoNA (eq. 9)."""

    def __init__(self, ndf: int = 64, n_blocks: int = 3, norm: str = "instance", pose_channels: int = 18):
        super().__init__()
        self.appearance = ResnetDiscriminator(6, ndf, n_blocks, norm)
        self.pose = ResnetDiscriminator(3 + pose_channels, ndf, n_blocks, norm)

    def forward(self, source_image, image, target_heatmaps) -> tuple[torch.Tensor, torch.Tensor]:
        """(D_A(I_c, I), D_P(I, P_t)) logits."""
        return (
            self.appearance(torch.cat((source_image, image), 1)),
            self.pose(torch.cat((image, target_heatmaps), 1)),
        )
