"""Shared layers for the generators: conv blocks, attention, flow warping.

Everything here is generic (no arch knows about another) and ONNX-exportable
with ``torch.onnx.export(..., dynamo=False, opset_version=17)``: shapes are taken
from tensors at run time (``flatten``/``reshape(-1)``), never baked in as Python ints
derived from a config, so exported graphs keep a dynamic batch axis.

Public, stable API (other generator files import these):

- ``norm2d(kind, channels)`` -- "instance" (no affine, as PoNA), "batch", "none".
- ``ConvNormAct(cin, cout, k=3, stride=1, dilation=1, norm="instance", act="relu", pad="zero", bias=True)``
- ``ResBlock(channels, norm="instance", dilation=1)``
- ``UpConv(cin, cout, norm="instance")`` -- stride-2 transposed 3x3 conv, output size exactly 2x.
- ``warp(features, flow)`` -- bilinear backward warp by pixel offsets.
- ``resize_flow(flow, size)`` -- resample a flow field and rescale its offsets.
- ``attention_softmax(query, key, scale=1.0)`` / ``attend(value, attention)``
- ``SelfAttention(channels, beta=False)`` -- SAGAN self-attention (PoNA's fusion update).
- ``NonLocal(channels, inner=None, pool_sizes=())`` -- embedded-Gaussian non-local block,
  optionally with pyramid-pooled keys/values (paper 001's pyramid non-local block).
- ``HybridDilatedBlock(channels, rates=(1, 2))`` -- paper 001 eq. 4-5.
- ``ParameterEMA(model, decay)`` -- historical (exponential moving) average of weights.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

ACTIVATIONS = {
    "relu": lambda: nn.ReLU(inplace=False),
    "lrelu": lambda: nn.LeakyReLU(0.2, inplace=False),
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "none": nn.Identity,
}


def norm2d(kind: str, channels: int) -> nn.Module:
    """Normalisation layer by name: ``instance`` (InstanceNorm2d without affine
    parameters, the PoNA/PATN default), ``batch`` or ``none``."""
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind in ("none", None):
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; use instance, batch or none")


def activation(kind: str) -> nn.Module:
    if kind not in ACTIVATIONS:
        raise ValueError(f"unknown activation {kind!r}; use {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[kind]()


class ConvNormAct(nn.Module):
    """Conv2d -> norm -> activation. ``pad="reflect"`` pads with a separate
    ReflectionPad2d (as the PoNA/PATN encoders do) instead of zero padding."""

    def __init__(
        self,
        cin: int,
        cout: int,
        k: int = 3,
        stride: int = 1,
        dilation: int = 1,
        norm: str = "instance",
        act: str = "relu",
        pad: str = "zero",
        bias: bool = True,
    ):
        super().__init__()
        p = dilation * (k - 1) // 2
        self.pad = nn.ReflectionPad2d(p) if pad == "reflect" and p else nn.Identity()
        self.conv = nn.Conv2d(cin, cout, k, stride, 0 if pad == "reflect" else p, dilation, bias=bias)
        self.norm = norm2d(norm, cout)
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(self.pad(x))))


class UpConv(nn.Module):
    """Stride-2 transposed 3x3 conv (padding 1, output padding 1) -> norm -> ReLU: exactly 2x."""

    def __init__(self, cin: int, cout: int, norm: str = "instance", act: str = "relu", bias: bool = True):
        super().__init__()
        self.conv = nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=1, bias=bias)
        self.norm = norm2d(norm, cout)
        self.act = activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class ResBlock(nn.Module):
    """x + (conv3x3 -> norm -> ReLU -> conv3x3 -> norm)(x)."""

    def __init__(self, channels: int, norm: str = "instance", dilation: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(channels, channels, 3, dilation=dilation, norm=norm),
            ConvNormAct(channels, channels, 3, dilation=dilation, norm=norm, act="none"),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


# -- flow ----------------------------------------------------------------------
def base_grid(flow: torch.Tensor) -> torch.Tensor:
    """(1, 2, h, w) pixel coordinates (x, y) of the grid ``flow`` lives on."""
    h, w = flow.shape[-2], flow.shape[-1]
    ys = torch.arange(h, dtype=flow.dtype, device=flow.device)
    xs = torch.arange(w, dtype=flow.dtype, device=flow.device)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack((gx, gy), 0).unsqueeze(0)


def warp(features: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Bilinear backward warp: ``out[:, :, y, x] = features[:, :, y + dy, x + dx]``.

    ``flow`` is (B, 2, h, w) in pixels of the feature grid, channel 0 = dx
    (right), channel 1 = dy (down) -- the appearance-flow convention of papers
    001 (eq. 2) and 003 (eq. 5). ``features`` must have the same h, w; use
    :func:`resize_flow` first otherwise. Samples outside the map read zero.
    A zero flow returns ``features`` unchanged.
    """
    if features.shape[-2:] != flow.shape[-2:]:
        raise ValueError(
            f"warp: features {tuple(features.shape[-2:])} and flow {tuple(flow.shape[-2:])} differ"
        )
    h, w = flow.shape[-2], flow.shape[-1]
    pos = base_grid(flow) + flow
    # normalise to [-1, 1] with align_corners=True: pixel centres at the ends
    sx = 2.0 / max(w - 1, 1)
    sy = 2.0 / max(h - 1, 1)
    gx = pos[:, 0] * sx - 1.0
    gy = pos[:, 1] * sy - 1.0
    grid = torch.stack((gx, gy), dim=-1)
    return F.grid_sample(features, grid, mode="bilinear", padding_mode="zeros", align_corners=True)


def resize_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Resample a pixel-offset flow to ``size`` (h, w), scaling dx and dy by the size ratios."""
    h0, w0 = flow.shape[-2], flow.shape[-1]
    out = F.interpolate(flow, size=size, mode="bilinear", align_corners=True)
    scale = torch.tensor([(size[1] - 1) / max(w0 - 1, 1), (size[0] - 1) / max(h0 - 1, 1)], dtype=flow.dtype)
    return out * scale.to(flow.device).view(1, 2, 1, 1)


# -- attention -----------------------------------------------------------------
def attention_softmax(query: torch.Tensor, key: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """(B, Nq, Nk) attention: row ``j`` is softmax over key positions of
    ``scale * q_j . k_i`` (query (B, C, Hq, Wq), key (B, C, Hk, Wk)). Rows sum to 1."""
    q = query.flatten(2).transpose(1, 2)  # B, Nq, C
    k = key.flatten(2)  # B, C, Nk
    return torch.softmax(torch.bmm(q, k) * scale, dim=-1)


def attend(value: torch.Tensor, attention: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Weighted sum of ``value`` (B, C, Hk, Wk) with ``attention`` (B, Nq, Nk):
    out_j = sum_i attention[j, i] value_i, reshaped like ``like`` (B, ?, Hq, Wq)."""
    v = value.flatten(2)  # B, C, Nk
    out = torch.bmm(v, attention.transpose(1, 2))  # B, C, Nq
    return out.reshape(like.shape[0], -1, like.shape[2], like.shape[3])


class SelfAttention(nn.Module):
    """SAGAN self-attention (Zhang et al. 2018), as PoNA's fusion update (PoNA eq. 2):
    ``out = gamma * attend(v(x), softmax(q(x)^T k(x))) + beta * x + x``
    with 1x1 query/key convs to C/8 channels and a 1x1 value conv to C.
    ``beta`` exists only with ``beta=True`` (PoNA's variant); both start at 0."""

    def __init__(self, channels: int, beta: bool = False, reduction: int = 8):
        super().__init__()
        inner = max(channels // reduction, 1)
        self.query = nn.Conv2d(channels, inner, 1)
        self.key = nn.Conv2d(channels, inner, 1)
        self.value = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))
        self.beta = nn.Parameter(torch.zeros(1)) if beta else None

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        attn = attention_softmax(self.query(x), self.key(x))
        out = self.gamma * attend(self.value(x), attn, x) + x
        if self.beta is not None:
            out = out + self.beta * x
        return (out, attn) if return_attention else out


def adaptive_max_pool(x: torch.Tensor, size: int) -> torch.Tensor:
    """``F.adaptive_max_pool2d(x, size)`` that also exports to ONNX when the map is not
    a multiple of ``size``: the same bins (floor(i*H/s) .. ceil((i+1)*H/s)), one
    slice-and-max per bin. Spatial sizes become constants of the graph; batch stays dynamic."""
    h, w = int(x.shape[-2]), int(x.shape[-1])
    if h % size == 0 and w % size == 0:  # plain pooling: the exporter cannot size adaptive pools
        return F.max_pool2d(x, (h // size, w // size))
    rows = [(i * h // size, -(-(i + 1) * h // size)) for i in range(size)]
    cols = [(j * w // size, -(-(j + 1) * w // size)) for j in range(size)]
    out = [torch.stack([x[:, :, r0:r1, c0:c1].amax((-2, -1)) for c0, c1 in cols], -1) for r0, r1 in rows]
    return torch.stack(out, -2)


class NonLocal(nn.Module):
    """Embedded-Gaussian non-local block (Wang et al. 2018) with a residual:
    ``y = x + W_z(sum_i softmax_i(theta(x)_j . phi(x)_i) g(x)_i)``.

    With ``pool_sizes`` (e.g. (4, 6)) keys and values come from adaptive
    max-pooled copies of x at each size (paper 001's pyramid non-local block,
    eq. 7: "pyramid pooling ... select the most significant representation for each
    region"); the responses of the scales are summed. ``W_z`` starts at zero so a
    fresh block is the identity. ``forward(x, return_attention=True)`` also returns
    the relation maps (a list, one (B, N, M) tensor per scale)."""

    def __init__(self, channels: int, inner: int | None = None, pool_sizes: tuple[int, ...] = ()):
        super().__init__()
        inner = inner or max(channels // 2, 1)
        self.pool_sizes = tuple(int(s) for s in pool_sizes)
        n = max(len(self.pool_sizes), 1)
        self.theta = nn.ModuleList(nn.Conv2d(channels, inner, 1) for _ in range(n))
        self.phi = nn.ModuleList(nn.Conv2d(channels, inner, 1) for _ in range(n))
        self.g = nn.ModuleList(nn.Conv2d(channels, inner, 1) for _ in range(n))
        self.out = nn.Conv2d(inner * n, channels, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def pooled(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The key/value sources: x itself, or its adaptive max pools (s x s each)."""
        if not self.pool_sizes:
            return [x]
        return [adaptive_max_pool(x, s) for s in self.pool_sizes]

    def forward(self, x: torch.Tensor, return_attention: bool = False):
        outs, maps = [], []
        for i, src in enumerate(self.pooled(x)):
            attn = attention_softmax(self.theta[i](x), self.phi[i](src))
            outs.append(attend(self.g[i](src), attn, x))
            maps.append(attn)
        y = x + self.out(torch.cat(outs, 1))
        return (y, maps) if return_attention else y


class HybridDilatedBlock(nn.Module):
    """Hybrid dilated convolution block, paper 001 eq. 4-5: sequential 3x3
    convolutions with dilation rates ``rates`` (default {1, 2}),
    ``y(m, n) = sum_ij x(m + r i, n + r j) w(i, j)``, each with norm and ReLU,
    wrapped in a residual connection."""

    def __init__(self, channels: int, rates: tuple[int, ...] = (1, 2), norm: str = "instance"):
        super().__init__()
        self.rates = tuple(rates)
        self.body = nn.Sequential(
            *[ConvNormAct(channels, channels, 3, dilation=r, norm=norm) for r in self.rates]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


# -- training helper -------------------------------------------------------------
class ParameterEMA:
    """Historical average of a model's weights (paper 003, Sec. 4: "update the
    average model by weighted averaging current parameters with previous
    parameters"): ``avg = decay * avg + (1 - decay) * current`` after each step.
    Buffers (e.g. batch-norm statistics) are copied, not averaged."""

    def __init__(self, model: nn.Module, decay: float = 0.999):
        if not 0.0 <= decay <= 1.0:
            raise ValueError(f"EMA decay must be in [0, 1], got {decay}")
        self.decay = float(decay)
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        cur = dict(model.named_parameters())
        for name, p in self.model.named_parameters():
            p.mul_(self.decay).add_(cur[name].detach(), alpha=1.0 - self.decay)
        cur_b = dict(model.named_buffers())
        for name, b in self.model.named_buffers():
            b.copy_(cur_b[name])

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.model.state_dict()
