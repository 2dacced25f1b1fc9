"""PoNA: pose-guided non-local attention generator (Li et al., IEEE TIP 2020).

Layer order and widths follow the authors' ``PoNANetwork`` (facts read from their
public code, re-written here): two encoders (image; 36-channel pose = source and
target heatmaps), ``n_blocks`` cascaded PoNA blocks at 1/4 resolution, and a
decoder. ``posestudio.nets.official`` maps the authors' state-dict keys onto this
module; with the same weights the outputs match theirs (tests/nets/test_pona_parity.py).

Widths: ngf -> 2 ngf -> 4 ngf = d in the encoders; each block works on the image
code (d channels) and the pose code (d channels; 2d inside the block).
At ngf=64, 3 blocks, instance norm: 34.33 M parameters (paper Table II).
"""

from __future__ import annotations

import torch
from torch import nn

from posestudio.nets.blocks import ConvNormAct, SelfAttention, UpConv, attend, attention_softmax, norm2d
from posestudio.nets.registry import Generator, InputSpec, register


class DoubleConv(nn.Module):
    """PoNA's "conv" unit: 3x3 conv (in->in), norm, ReLU, Dropout, 3x3 conv (in->out),
    norm, ReLU; with ``residual`` the input is added to the result."""

    def __init__(
        self, cin: int, cout: int, norm: str = "instance", dropout: float = 0.5, residual: bool = True
    ):
        super().__init__()
        if residual and cin != cout:
            raise ValueError("a residual DoubleConv needs cin == cout")
        self.residual = residual
        self.conv1 = nn.Conv2d(cin, cin, 3, padding=1)
        self.norm1 = norm2d(norm, cin)
        self.act1 = nn.ReLU()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.conv2 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = norm2d(norm, cout)
        self.act2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act2(self.norm2(self.conv2(self.drop(self.act1(self.norm1(self.conv1(x)))))))
        return x + y if self.residual else y


class PoNABlock(nn.Module):
    """One pose-guided non-local attention block (PoNA Sec. III-C).

    1. Image-guided pose code update (eq. 2-3): fusion code ``F = SA(C^I || C^P)``
       (self-attention with gamma and beta, image code first, as the authors' code),
       then ``conv_P``: ``F = F + dconv(F)``, ``C^P_t = dconv2(F)`` (2d -> d).
    2. ``conv_I``: ``x = x + conv(x)``, ``x = x + conv2(x)``.
    3. Pose-guided non-local attention (eq. 4-5): ``alpha = softmax(f(C^P_t)^T g(C^P_t))``
       over source positions, query/key 1x1 convs of the pose code (d -> d/8).
    4. Pose-guided image code update (eq. 6-7): ``C^I_t = gamma * o_t + conv_I(C^I)``
       with ``o_t`` the attention-weighted sum of the value conv of the image code.
    """

    def __init__(self, dim: int, norm: str = "instance", dropout: float = 0.5):
        super().__init__()
        self.fusion = SelfAttention(2 * dim, beta=True)
        self.pose_conv1 = DoubleConv(2 * dim, 2 * dim, norm, dropout, residual=True)
        self.image_conv1 = DoubleConv(dim, dim, norm, dropout, residual=True)
        self.image_conv2 = DoubleConv(dim, dim, norm, dropout, residual=True)
        self.pose_conv2 = DoubleConv(2 * dim, dim, norm, dropout, residual=False)
        self.query = nn.Conv2d(dim, dim // 8, 1)
        self.key = nn.Conv2d(dim, dim // 8, 1)
        self.value = nn.Conv2d(dim, dim, 1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, image_code: torch.Tensor, pose_code: torch.Tensor):
        f = self.fusion(torch.cat((image_code, pose_code), 1))  # eq. 2
        f = self.pose_conv1(f)
        x = self.image_conv2(self.image_conv1(image_code))  # conv_I
        pose_code = self.pose_conv2(f)  # eq. 3
        alpha = attention_softmax(self.query(pose_code), self.key(pose_code))  # eq. 4-5
        x = self.gamma * attend(self.value(x), alpha, x) + x  # eq. 6-7
        return x, pose_code, alpha


@register(
    "pona",
    tasks=("pose",),
    paper="PoNA: Pose-guided non-local attention for human pose transfer (Li et al., TIP 2020)",
    presets={
        "full": {"height": 256, "width": 176, "ngf": 64, "n_blocks": 3, "norm": "instance"},
        "small": {"height": 256, "width": 176, "ngf": 32, "n_blocks": 2, "norm": "instance"},
        "tiny": {"height": 32, "width": 24, "ngf": 8, "n_blocks": 1, "norm": "instance"},
    },
)
class PoNAGenerator(Generator):
    """PoNA generator. Config: ``ngf`` (encoder width), ``n_blocks`` (1-5),
    ``norm`` ("instance" for DeepFashion, "batch" for Market-1501: encoder/decoder),
    ``block_norm`` (inside the blocks; defaults to ``norm``), ``bias`` (encoder and
    decoder conv biases; default: True with instance norm, as the authors),
    ``dropout`` (0.5 in the blocks)."""

    INPUTS = {
        "source_image": InputSpec(3, "image"),
        "source_heatmaps": InputSpec(18, "heatmaps"),
        "target_heatmaps": InputSpec(18, "heatmaps"),
    }
    OUTPUTS = ("image", "attention")

    def __init__(
        self,
        height: int = 256,
        width: int = 176,
        ngf: int = 64,
        n_blocks: int = 3,
        norm: str = "instance",
        block_norm: str | None = None,
        bias: bool | None = None,
        dropout: float = 0.5,
    ):
        block_norm = block_norm or norm
        bias = (norm == "instance") if bias is None else bool(bias)
        super().__init__(
            height,
            width,
            ngf=ngf,
            n_blocks=n_blocks,
            norm=norm,
            block_norm=block_norm,
            bias=bias,
            dropout=dropout,
        )
        if not 1 <= int(n_blocks) <= 5:
            raise ValueError(f"pona: n_blocks must be 1..5, got {n_blocks}")
        if ngf < 2 or (4 * ngf) % 8:
            raise ValueError(f"pona: ngf must be an even number >= 2, got {ngf}")
        if height % 4 or width % 4:
            raise ValueError(f"pona: height and width must be multiples of 4, got {height}x{width}")
        d = 4 * ngf

        def encoder(cin: int) -> nn.Sequential:
            return nn.Sequential(
                ConvNormAct(cin, ngf, 7, norm=norm, pad="reflect", bias=bias),
                ConvNormAct(ngf, 2 * ngf, 3, stride=2, norm=norm, bias=bias),
                ConvNormAct(2 * ngf, d, 3, stride=2, norm=norm, bias=bias),
            )

        self.image_encoder = encoder(3)
        self.pose_encoder = encoder(36)
        self.blocks = nn.ModuleList(PoNABlock(d, block_norm, dropout) for _ in range(int(n_blocks)))
        self.decoder = nn.Sequential(
            UpConv(d, 2 * ngf, norm, bias=bias), UpConv(2 * ngf, ngf, norm, bias=bias)
        )
        self.to_rgb = ConvNormAct(ngf, 3, 7, norm="none", act="tanh", pad="reflect", bias=True)

    def forward(self, source_image, source_heatmaps, target_heatmaps) -> dict[str, torch.Tensor]:
        x = self.image_encoder(source_image)
        p = self.pose_encoder(torch.cat((source_heatmaps, target_heatmaps), 1))
        usage = []
        for block in self.blocks:
            x, p, alpha = block(x, p)
            # how much each source position is read, 1.0 = uniform (an artist's "attention" layer)
            usage.append(alpha.sum(1).reshape(x.shape[0], 1, x.shape[2], x.shape[3]))
        image = self.to_rgb(self.decoder(x))
        return {"image": image, "attention": torch.cat(usage, 1)}


__all__ = ["DoubleConv", "PoNABlock", "PoNAGenerator", "norm2d"]
