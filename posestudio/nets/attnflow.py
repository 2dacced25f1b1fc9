"""Attention + flow generator (Ren et al., ACM MM 2021; paper 003).

Deformation estimation (Fig. 2), per feature scale (1/8 and 1/4 at the full preset,
as the paper's 32x32 and 64x64 for 256 px):
- attention correlation estimator: keys ``k = E_x(x_r)``, queries ``q = E_s(s_t)``
  (eq. 1), ``C = softmax_i(alpha k_i . q_j)`` (eq. 2) over source positions i, with
  alpha = 100 on L2-normalised features; attention warp ``o_j = sum_i C_ij x_i`` (eq. 3);
- flow field estimator ``w = F(s_t, s_r, x_r)`` (eq. 4), an auto-encoder with skips,
  and flow warp ``W_f`` (eq. 5, bilinear);
- combination map ``m = M(W_a(x_r_down, C), W_f(x_r_down, w))`` (eq. 6), residual
  blocks and a sigmoid.
Image synthesis (Fig. 3): ``f_a = m W_a(f_r, C) + (1 - m) W_f(f_r, w)`` (eq. 8),
``f_o = f_t + f_a`` (eq. 9), decoded coarse to fine (eq. 7).
Losses eq. 10-19 are in :class:`AttnFlowLoss`; the historical average is
:class:`posestudio.nets.blocks.ParameterEMA` (re-exported here as ``HistoricalAverage``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from posestudio.nets.blocks import (
    ConvNormAct,
    ParameterEMA,
    ResBlock,
    UpConv,
    attend,
    attention_softmax,
    warp,
)
from posestudio.nets.losses import (
    AdversarialLoss,
    PerceptualLoss,
    StyleLoss,
    VGG19Features,
    affine_regularization_loss,
    attention_loss,
    sampling_correctness_loss,
)
from posestudio.nets.registry import Generator, InputSpec, register
from posestudio.nets.spt_losses import face_crops

HistoricalAverage = ParameterEMA


def correlation(keys: torch.Tensor, queries: torch.Tensor, alpha: float = 100.0) -> torch.Tensor:
    """Eq. 2: (B, N_target, N_source) matrix, row j = softmax over source positions i
    of ``alpha * k_i . q_j`` with k, q L2-normalised over channels (so that alpha
    sets the sharpness, as in the paper). Each row sums to 1."""
    k = F.normalize(keys, dim=1)
    q = F.normalize(queries, dim=1)
    return attention_softmax(q, k, scale=alpha)


def attention_warp(x: torch.Tensor, corr: torch.Tensor) -> torch.Tensor:
    """Eq. 3: ``o_j = sum_i C_ij x_i`` -- W_a(x, C) on the grid of ``x``."""
    return attend(x, corr, x)


def combine(m: torch.Tensor, attention_warped: torch.Tensor, flow_warped: torch.Tensor) -> torch.Tensor:
    """Eq. 8: ``f_a = m * W_a(f_r, C) + (1 - m) * W_f(f_r, w)`` (m broadcast over channels)."""
    return m * attention_warped + (1 - m) * flow_warped


class Pyramid(nn.Module):
    """Encoder returning features at 1/2, 1/4, ... 1/2^levels (widths ngf * 2^k, capped)."""

    def __init__(self, cin: int, ngf: int, levels: int, norm: str = "instance", max_mult: int = 4):
        super().__init__()
        self.stem = ConvNormAct(cin, ngf, 7, norm=norm, pad="reflect")
        self.channels = []
        downs, c = [], ngf
        for k in range(levels):
            nxt = ngf * min(2 ** (k + 1), max_mult)
            downs.append(ConvNormAct(c, nxt, 3, stride=2, norm=norm))
            self.channels.append(nxt)
            c = nxt
        self.downs = nn.ModuleList(downs)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)
        out = []
        for d in self.downs:
            x = d(x)
            out.append(x)
        return out


class FlowEstimator(nn.Module):
    """Eq. 4: ``w = F(s_t, s_r, x_r)``: an auto-encoder (down to 1/2^(levels+1)) with
    skip connections; one zero-initialised flow head per requested scale, in pixels
    of that scale's grid."""

    def __init__(self, ngf: int, levels: int, scales: tuple[int, ...], norm: str = "instance"):
        super().__init__()
        self.enc = Pyramid(3 + 36, ngf, levels + 1, norm)
        ch = self.enc.channels
        self.ups = nn.ModuleList()
        self.mix = nn.ModuleList()
        finest = min(s.bit_length() - 2 for s in scales)  # level index of the finest flow
        for k in range(levels, finest, -1):  # from 1/2^(levels+1) up to 1/2^(finest+1)
            self.ups.append(UpConv(ch[k], ch[k - 1], norm))
            self.mix.append(ConvNormAct(2 * ch[k - 1], ch[k - 1], 3, norm=norm))
        self.scales = tuple(scales)
        self.heads = nn.ModuleDict()
        for s in self.scales:
            k = s.bit_length() - 2  # factor 2^(k+1)
            head = nn.Conv2d(ch[k], 2, 3, padding=1)
            nn.init.zeros_(head.weight)
            nn.init.zeros_(head.bias)
            self.heads[str(s)] = head

    def forward(self, target_skeleton, source_skeleton, source_image) -> dict[int, torch.Tensor]:
        feats = self.enc(torch.cat((source_image, source_skeleton, target_skeleton), 1))
        y = feats[-1]
        by_factor = {}
        for i, (up, mix) in enumerate(zip(self.ups, self.mix, strict=True)):
            k = len(feats) - 2 - i
            y = mix(torch.cat((up(y), feats[k]), 1))
            by_factor[2 ** (k + 1)] = y
        return {s: self.heads[str(s)](by_factor[s]) for s in self.scales}


class CombinationMap(nn.Module):
    """Eq. 6: m = M(W_a(x_r_down, C), W_f(x_r_down, w)) in (0, 1): residual blocks, sigmoid."""

    def __init__(self, ch: int = 32, n_res: int = 2, norm: str = "instance"):
        super().__init__()
        self.body = nn.Sequential(
            ConvNormAct(6, ch, 3, norm=norm),
            *[ResBlock(ch, norm) for _ in range(n_res)],
            nn.Conv2d(ch, 1, 3, padding=1),
        )

    def forward(self, attn_warped: torch.Tensor, flow_warped: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.body(torch.cat((attn_warped, flow_warped), 1)))


@register(
    "attnflow",
    tasks=("pose",),
    paper="Combining attention with flow for person image synthesis (Ren et al., ACM MM 2021)",
    presets={
        "full": {"height": 256, "width": 176, "ngf": 64, "scales": (8, 4), "key_channels": 64},
        "small": {"height": 256, "width": 176, "ngf": 24, "scales": (8, 4), "key_channels": 32},
        "tiny": {"height": 32, "width": 32, "ngf": 4, "scales": (8, 4), "key_channels": 8},
    },
)
class AttnFlowGenerator(Generator):
    """Config: ``ngf``, ``scales`` (downsampling factors where sources are warped,
    coarse first; powers of two >= 2), ``key_channels`` (K of eq. 1), ``alpha``
    (softmax sharpness, 100), ``norm``. Height and width must be multiples of
    2 x the largest scale."""

    INPUTS = {
        "source_image": InputSpec(3, "image"),
        "source_heatmaps": InputSpec(18, "heatmaps"),
        "target_heatmaps": InputSpec(18, "heatmaps"),
    }
    OUTPUTS = ("image", "flow", "combination", "attention_warp", "flow_warp")

    def __init__(
        self,
        height: int = 256,
        width: int = 176,
        ngf: int = 64,
        scales=(8, 4),
        key_channels: int = 64,
        alpha: float = 100.0,
        norm: str = "instance",
    ):
        scales = tuple(sorted((int(s) for s in scales), reverse=True))
        super().__init__(
            height, width, ngf=ngf, scales=scales, key_channels=key_channels, alpha=alpha, norm=norm
        )
        if not scales or any(s < 2 or s & (s - 1) for s in scales):
            raise ValueError(f"attnflow: scales must be powers of two >= 2, got {scales}")
        if height % (2 * scales[0]) or width % (2 * scales[0]):
            raise ValueError(
                f"attnflow: height and width must be multiples of {2 * scales[0]}, got {height}x{width}"
            )
        self.scales = scales
        self.alpha = float(alpha)
        levels = scales[0].bit_length() - 1  # 8 -> 3 levels: 1/2, 1/4, 1/8
        self.key_encoder = Pyramid(3, ngf, levels, norm)  # E_x
        self.query_encoder = Pyramid(18, ngf, levels, norm)  # E_s
        ch = self.key_encoder.channels
        lvl = {s: s.bit_length() - 2 for s in scales}
        self.key_proj = nn.ModuleDict({str(s): nn.Conv2d(ch[lvl[s]], key_channels, 1) for s in scales})
        self.query_proj = nn.ModuleDict({str(s): nn.Conv2d(ch[lvl[s]], key_channels, 1) for s in scales})
        self.flow_estimator = FlowEstimator(ngf, levels, scales, norm)  # F
        self.combination = nn.ModuleDict({str(s): CombinationMap(max(ngf, 8), 2, norm) for s in scales})  # M
        # image synthesis module G
        self.reference_encoder = Pyramid(3, ngf, levels, norm)
        self.target_encoder = Pyramid(18, ngf, levels, norm)
        self.level_of = lvl
        self.refine = nn.ModuleDict({str(s): ResBlock(ch[lvl[s]], norm) for s in scales})
        ups, c = [], ch[levels - 1]
        for k in range(levels - 1, 0, -1):
            ups.append(UpConv(c, ch[k - 1], norm))
            c = ch[k - 1]
        self.ups = nn.ModuleList(ups)
        self.final_up = UpConv(c, ngf, norm)
        self.to_rgb = ConvNormAct(ngf, 3, 7, norm="none", act="tanh", pad="reflect")

    def deform(self, source_image, source_heatmaps, target_heatmaps) -> dict[int, dict[str, torch.Tensor]]:
        """Deformation estimation module: per scale, C (eq. 2), w (eq. 4), m (eq. 6)
        and the warped downsized references used by eq. 6 and eq. 10."""
        keys = self.key_encoder(source_image)
        queries = self.query_encoder(target_heatmaps)
        flows = self.flow_estimator(target_heatmaps, source_heatmaps, source_image)
        out = {}
        for s in self.scales:
            k = self.level_of[s]
            corr = correlation(
                self.key_proj[str(s)](keys[k]), self.query_proj[str(s)](queries[k]), self.alpha
            )
            small = F.avg_pool2d(source_image, s)
            a_small = attention_warp(small, corr)
            f_small = warp(small, flows[s])
            m = self.combination[str(s)](a_small, f_small)
            out[s] = {
                "correlation": corr,
                "flow": flows[s],
                "combination": m,
                "attention_warp": a_small,
                "flow_warp": f_small,
            }
        return out

    def forward(self, source_image, source_heatmaps, target_heatmaps, all_scales: bool = False):
        d = self.deform(source_image, source_heatmaps, target_heatmaps)
        f_r = self.reference_encoder(source_image)
        f_t = self.target_encoder(target_heatmaps)
        levels = len(f_r)
        y = None
        for k in range(levels - 1, -1, -1):  # coarse to fine over encoder levels
            s = 2 ** (k + 1)
            feat = f_t[k]
            if s in d:
                e = d[s]
                f_a = combine(
                    e["combination"], attention_warp(f_r[k], e["correlation"]), warp(f_r[k], e["flow"])
                )  # eq. 8
                feat = f_t[k] + f_a  # eq. 9
                feat = self.refine[str(s)](feat)
            y = feat if y is None else y + feat
            y = self.ups[levels - 1 - k](y) if k > 0 else self.final_up(y)
        image = self.to_rgb(y)  # eq. 7
        fine = d[self.scales[-1]]
        out = {
            "image": image,
            "flow": fine["flow"],
            "combination": fine["combination"],
            "attention_warp": fine["attention_warp"],
            "flow_warp": fine["flow_warp"],
        }
        if all_scales:
            out["scales"] = d
        return out


def face_loss(perceptual: nn.Module, fake: torch.Tensor, target: torch.Tensor, target_heatmaps: torch.Tensor,
              size: int = 64) -> torch.Tensor:  # fmt: skip
    """Eq. 16: ``perceptual`` (sum over VGG layers of the L1 feature distance) between the
    face crops C_face of the output and the target, ``size`` x ``size``, each crop a square
    placed by the target pose's head joints (:func:`posestudio.nets.spt_losses.face_crops`);
    a sample with fewer than two visible head joints has no face and counts zero."""
    fc, valid = face_crops(fake, target_heatmaps, size=size)
    tc, _ = face_crops(target, target_heatmaps, size=size)
    v = valid.reshape(-1, 1, 1, 1)
    return perceptual(fc * v, tc * v)


class AttnFlowLoss(nn.Module):
    """Paper 003 eq. 19: ``l_attn L_attn + l_flow L_flow + l_regu L_regu + l_perc L_perc
    + l_face L_face + l_style L_style + l_adv L_adv`` with L_attn eq. 10, L_flow eq. 11-12
    (VGG relu3_1/relu4_1 features resized to each flow scale), L_regu eq. 13-14,
    L_perc eq. 15, L_face eq. 16 (:func:`face_loss`: perceptual on the face crops placed by
    the target pose's head joints), L_style eq. 17, L_adv eq. 18.
    The paper defers its lambdas to the supplement; the defaults are GFLA's values
    (``model/pose_model.py``: correct 5, regularization 0.0025, content 0.5, style 500,
    g 2); GFLA has no face term, its weight is the perceptual one (0.5)."""

    DEFAULT_WEIGHTS = {
        "attn": 1.0,
        "flow": 5.0,
        "regu": 0.0025,
        "perc": 0.5,
        "face": 0.5,
        "style": 500.0,
        "adv": 2.0,
    }

    def __init__(self, weights: dict | None = None, gan_mode: str = "lsgan", vgg_weights=None):
        super().__init__()
        self.weights = {**self.DEFAULT_WEIGHTS, **(weights or {})}
        self.vgg = VGG19Features(vgg_weights, layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"))
        self.perceptual = PerceptualLoss(self.vgg)
        self.style = StyleLoss(self.vgg, layers=("relu2_1", "relu3_1", "relu4_1"))
        self.gan = AdversarialLoss(gan_mode)

    def forward(self, out: dict, source_image, target_image, d_fake, target_heatmaps) -> tuple[torch.Tensor, dict]:
        if "scales" not in out:
            raise ValueError("AttnFlowLoss needs the generator output of forward(..., all_scales=True)")
        fake = out["image"]
        vs = self.vgg(source_image)
        vt = {k: v.detach() for k, v in self.vgg(target_image).items()}
        parts = {"attn": 0.0, "flow": 0.0, "regu": 0.0}
        for s, e in out["scales"].items():
            parts["attn"] = parts["attn"] + attention_loss(e["attention_warp"], F.avg_pool2d(target_image, s))
            layer = "relu3_1" if s <= 4 else "relu4_1"
            parts["flow"] = parts["flow"] + sampling_correctness_loss(vs[layer], vt[layer], e["flow"])
            parts["regu"] = parts["regu"] + affine_regularization_loss(e["flow"])
        parts["perc"] = self.perceptual(fake, target_image)
        parts["face"] = face_loss(self.perceptual, fake, target_image, target_heatmaps)
        parts["style"] = self.style(fake, target_image)
        parts["adv"] = self.gan(d_fake, True, for_discriminator=False)
        total = sum(self.weights[k] * v for k, v in parts.items())
        return total, {k: v.detach() for k, v in parts.items()}
