"""Building blocks shared by the SPT (Song et al., CVPR 2019) and SCM-Net
(Wang et al., CVPR 2022) generators: conv blocks, a U-Net encoder/decoder and
a residual bottleneck (discriminators come from :mod:`posestudio.nets.discriminators`).

Everything here exports to ONNX (opset 17): plain convs, instance norm,
nearest upsampling, no data-dependent shapes.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def conv_block(cin: int, cout: int, stride: int = 1, kernel: int = 3, norm: bool = True) -> nn.Sequential:
    """Conv -> InstanceNorm (affine) -> LeakyReLU(0.2)."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=not norm)]
    if norm:
        layers.append(nn.InstanceNorm2d(cout, affine=True))
    layers.append(nn.LeakyReLU(0.2, inplace=False))
    return nn.Sequential(*layers)


class ResBlock(nn.Module):
    def __init__(self, ch: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
            nn.InstanceNorm2d(ch, affine=True),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ch, ch, 3, 1, 1, bias=False),
            nn.InstanceNorm2d(ch, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def level_channels(ch: int, depth: int, max_ch: int) -> list[int]:
    """Channels at each U-Net level 0..depth (level k has resolution 1/2^k)."""
    return [min(ch * 2**k, max_ch) for k in range(depth + 1)]


def check_divisible(height: int, width: int, factor: int, arch: str) -> None:
    if height % factor or width % factor:
        raise ValueError(
            f"{arch}: height x width {height}x{width} must be divisible by {factor} for this preset's depth"
        )


class Encoder(nn.Module):
    """U-Net encoder: a full-resolution conv block, then ``depth`` stride-2 blocks.
    ``forward`` returns the features of every level, finest first."""

    def __init__(self, cin: int, chans: list[int]):
        super().__init__()
        self.stem = conv_block(cin, chans[0], kernel=7 if chans[0] >= 16 else 3)
        self.downs = nn.ModuleList(
            nn.Sequential(
                conv_block(chans[k], chans[k + 1], stride=2), conv_block(chans[k + 1], chans[k + 1])
            )
            for k in range(len(chans) - 1)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = [self.stem(x)]
        for down in self.downs:
            feats.append(down(feats[-1]))
        return feats


class UpBlock(nn.Module):
    """Nearest x2 upsampling, concat with a skip, two conv blocks."""

    def __init__(self, cin: int, cskip: int, cout: int):
        super().__init__()
        self.conv = nn.Sequential(conv_block(cin + cskip, cout), conv_block(cout, cout))

    def forward(self, x: torch.Tensor, skip: torch.Tensor | None) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        if skip is not None:
            x = torch.cat([x, skip], 1)
        return self.conv(x)


class Decoder(nn.Module):
    """U-Net decoder over ``depth`` levels. ``skip_chans[k]`` is the channel count of
    the skip concatenated at level k (0 = full resolution); the bottleneck input has
    ``bottleneck`` channels and sits at level ``depth``."""

    def __init__(self, bottleneck: int, skip_chans: list[int], chans: list[int], n_res: int, cout: int):
        super().__init__()
        depth = len(chans) - 1
        self.res = nn.Sequential(*[ResBlock(bottleneck) for _ in range(n_res)])
        self.ups = nn.ModuleList()
        cin = bottleneck
        for k in range(depth - 1, -1, -1):
            self.ups.append(UpBlock(cin, skip_chans[k], chans[k]))
            cin = chans[k]
        self.head = nn.Conv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor, skips: list[torch.Tensor]) -> torch.Tensor:
        x = self.res(x)
        depth = len(self.ups)
        for i, up in enumerate(self.ups):
            x = up(x, skips[depth - 1 - i])
        return self.head(x)
