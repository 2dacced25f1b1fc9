"""SCM-Net: self-supervised correlation mining for person image generation
(Wang, Qi, Yuan, Sun, CVPR 2022).

- Pose encoder (Sec. 3.2): stride-8 CNN over the target pose heatmaps -> F_p, plus its
  finer features (1/4, 1/2, 1) used as skips by the generator.
- Decomposed style encoder, DSE (Sec. 3.2): the image is cut into 8 regions by the
  binary masks of the parsing map, every region goes through ONE shared encoder, the 8
  region features are concatenated on channels (the *style codes*, B x 8C x h x w; region
  r owns channels [rC, (r+1)C)), then Cross-Channel Fusion (two 1x1 conv blocks) -> F_s.
- Correlation Mining Module, CMM (Sec. 3.3): centred cosine similarity between every
  pose position and every style position (eq. 2), softmax over the style positions
  (eq. 1) with a temperature, and the weighted rearrangement F_s* = C F_s (eq. 3).
- Generator (Sec. 3.4): a U-Net over F_s* (1/8 -> 1/16 -> 1/8), then upsampling to full
  resolution. Our choice: the upsampling stages also take the pose encoder's 1/4, 1/2
  and full-resolution features as skips (the paper's U-Net has only its own encoder's
  skips, which stop at 1/8).

``scmnet`` (person): pose = 18 heatmaps, style from the source image and its scm8 parsing.
``scmnet-face`` (Sec. 4.5, reference-based face edge colorization): pose = the 1-channel
face edge map, style from a reference face and its 8-region parsing (``label_set``
"scm8" by default; "face8" is the face region set documented in docs/ARCHS_PARSING.md).

Attribute editing (Sec. 4.4): ``style_codes`` of both images, ``swap_region``,
``generate_from_style``; :class:`AttributeEditor` wraps that as one module for ONNX
with the swapped regions fixed at construction.
"""

from __future__ import annotations

import torch
from torch import nn

from posestudio.nets.discriminators import PatchDiscriminator
from posestudio.nets.registry import Generator, InputSpec, register
from posestudio.nets.spt_blocks import ResBlock, UpBlock, check_divisible, conv_block

N_REGIONS = 8
N_JOINTS = 18
PAPER = "Wang et al., Self-supervised Correlation Mining Network for Person Image Generation, CVPR 2022"

_PRESETS = {
    "full": {"height": 256, "width": 176, "ch": 64, "style_ch": 64, "feat_ch": 256, "n_res": 4},
    "small": {"height": 256, "width": 176, "ch": 32, "style_ch": 32, "feat_ch": 128, "n_res": 2},
    "tiny": {"height": 256, "width": 176, "ch": 8, "style_ch": 8, "feat_ch": 32, "n_res": 1},
}


class DownEncoder(nn.Module):
    """Stride-8 encoder: full-resolution stem then three stride-2 stages; returns the
    features at 1, 1/2, 1/4 and 1/8."""

    def __init__(self, cin: int, ch: int, cout: int):
        super().__init__()
        c = [ch, 2 * ch, 4 * ch]
        self.stages = nn.ModuleList(
            [
                conv_block(cin, c[0]),
                conv_block(c[0], c[1], stride=2),
                conv_block(c[1], c[2], stride=2),
                nn.Sequential(conv_block(c[2], cout, stride=2), conv_block(cout, cout)),
            ]
        )
        self.chans = [*c, cout]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        feats = []
        for s in self.stages:
            x = s(x)
            feats.append(x)
        return feats


def centred_cosine(query: torch.Tensor, key: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Eq. 2: s_ij = <F̄_q(i), F̄_k(j)> / (|F̄_q(i)| |F̄_k(j)|) where F̄(i) = F(i) - mean(F(i))
    (each position's vector centred on its own mean). query/key (B,C,h,w) -> (B, hw, hw)."""
    q = query.flatten(2).transpose(1, 2)  # (B, hw, C)
    k = key.flatten(2).transpose(1, 2)
    q = q - q.mean(-1, keepdim=True)
    k = k - k.mean(-1, keepdim=True)
    q = q / (q.norm(dim=-1, keepdim=True) + eps)
    k = k / (k.norm(dim=-1, keepdim=True) + eps)
    return torch.bmm(q, k.transpose(1, 2))


def correlation_field(pose_feat: torch.Tensor, style_feat: torch.Tensor, temperature: float) -> torch.Tensor:
    """Eq. 1: C_ij = softmax_j(s_ij / T): row i (a position of the pose features) holds
    the weights of every style position j, summing to 1."""
    return torch.softmax(centred_cosine(pose_feat, style_feat) / temperature, dim=-1)


def rearrange(style_feat: torch.Tensor, corr: torch.Tensor) -> torch.Tensor:
    """Eq. 3: F_s*(i) = sum_j C_ij F_s(j); (B,C,h,w) x (B,hw,hw) -> (B,C,h,w)."""
    b, c, h, w = style_feat.shape
    v = style_feat.flatten(2).transpose(1, 2)  # (B, hw, C)
    return torch.bmm(corr, v).transpose(1, 2).reshape(b, c, h, w)


def region_masks(parsing: torch.Tensor) -> torch.Tensor:
    """The 8 binary region masks of a one-hot (or soft) parsing map, as (B,8,1,H,W)."""
    return parsing.unsqueeze(2)


class SCMNetBase(Generator):
    """Shared machinery of ``scmnet`` and ``scmnet-face``; ``pose_channels`` is 18
    heatmaps or 1 edge map."""

    pose_channels = N_JOINTS

    def __init__(
        self, height=256, width=176, ch=32, style_ch=32, feat_ch=128, n_res=2, temperature=0.01, **config
    ):
        super().__init__(
            height,
            width,
            ch=ch,
            style_ch=style_ch,
            feat_ch=feat_ch,
            n_res=n_res,
            temperature=temperature,
            **config,
        )
        check_divisible(self.height, self.width, 16, self.arch or "scmnet")
        self.style_ch, self.temperature = int(style_ch), float(temperature)
        self.pose_enc = DownEncoder(self.pose_channels, ch, feat_ch)
        self.style_enc = DownEncoder(3, ch, style_ch)  # shared by the 8 regions
        self.ccf = nn.Sequential(  # Cross-Channel Fusion: two 1x1 conv blocks
            conv_block(N_REGIONS * style_ch, feat_ch, kernel=1), conv_block(feat_ch, feat_ch, kernel=1)
        )
        # translation generator: U-Net over F_s* at 1/8 and 1/16, then up with pose skips
        self.g_in = conv_block(feat_ch, feat_ch)
        self.g_down = conv_block(feat_ch, feat_ch, stride=2)
        self.g_res = nn.Sequential(*[ResBlock(feat_ch) for _ in range(n_res)])
        pc = self.pose_enc.chans
        self.g_up = nn.ModuleList(
            [
                UpBlock(feat_ch, feat_ch, feat_ch),  # 1/16 -> 1/8, skip g_in
                UpBlock(feat_ch, pc[2], pc[2]),  # -> 1/4
                UpBlock(pc[2], pc[1], pc[1]),  # -> 1/2
                UpBlock(pc[1], pc[0], pc[0]),  # -> 1
            ]
        )
        self.g_out = nn.Conv2d(pc[0], 3, 3, 1, 1)

    def style_codes(self, source_image: torch.Tensor, source_parsing: torch.Tensor) -> torch.Tensor:
        """DSE before fusion: per-region style features (B, 8*C, h, w), region r in
        channels [r*C, (r+1)*C)."""
        b, _, h, w = source_image.shape
        parts = source_image.unsqueeze(1) * region_masks(source_parsing)  # (B,8,3,H,W)
        feats = self.style_enc(parts.reshape(b * N_REGIONS, 3, h, w))[-1]
        return feats.reshape(b, N_REGIONS * self.style_ch, *feats.shape[-2:])

    def swap_region(self, style_a: torch.Tensor, style_b: torch.Tensor, region: int) -> torch.Tensor:
        """Attribute editing (Sec. 4.4): ``style_a`` with region ``region``'s channel slice
        taken from ``style_b``."""
        if not 0 <= int(region) < N_REGIONS:
            raise ValueError(f"region must be in 0..{N_REGIONS - 1}, got {region}")
        c = self.style_ch
        r = int(region)
        return torch.cat([style_a[:, : r * c], style_b[:, r * c : (r + 1) * c], style_a[:, (r + 1) * c :]], 1)

    def generate_from_style(
        self, style: torch.Tensor, target_heatmaps: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        """CCF -> CMM against the target pose features -> generator. ``target_heatmaps`` is
        the pose input (18 heatmaps, or the edge map for faces)."""
        pose_feats = self.pose_enc(target_heatmaps)
        f_p = pose_feats[-1]
        f_s = self.ccf(style)
        corr = correlation_field(f_p, f_s, self.temperature)
        f_star = rearrange(f_s, corr)
        x0 = self.g_in(f_star)
        x = self.g_res(self.g_down(x0))
        x = self.g_up[0](x, x0)
        x = self.g_up[1](x, pose_feats[2])
        x = self.g_up[2](x, pose_feats[1])
        x = self.g_up[3](x, pose_feats[0])
        image = torch.tanh(self.g_out(x))
        h, w = f_p.shape[-2:]
        summary = corr.amax(-1).reshape(-1, 1, h, w)  # how peaked each target position's match is
        return {"image": image, "correlation": summary}


@register("scmnet", tasks=("pose", "attribute"), presets=_PRESETS, paper=PAPER)
class SCMNet(SCMNetBase):
    INPUTS = {
        "source_image": InputSpec(3, "image"),
        "source_parsing": InputSpec(N_REGIONS, "parsing", "scm8"),
        "target_heatmaps": InputSpec(N_JOINTS, "heatmaps"),
    }
    OUTPUTS = ("image", "correlation")

    def forward(self, source_image, source_parsing, target_heatmaps):
        return self.generate_from_style(self.style_codes(source_image, source_parsing), target_heatmaps)


@register("scmnet-face", tasks=("face",), presets=_PRESETS, paper=PAPER)
class SCMNetFace(SCMNetBase):
    """Reference-based face edge colorization: the edge map takes the skeleton's place."""

    pose_channels = 1
    OUTPUTS = ("image", "correlation")

    def __init__(self, *args, label_set: str = "scm8", **kwargs):
        if label_set not in ("scm8", "face8"):
            raise ValueError(f"scmnet-face: label_set must be 'scm8' or 'face8', got {label_set!r}")
        super().__init__(*args, label_set=label_set, **kwargs)
        self.INPUTS = {
            "edges": InputSpec(1, "edges"),
            "reference_image": InputSpec(3, "image"),
            "reference_parsing": InputSpec(N_REGIONS, "parsing", label_set),
        }

    def forward(self, edges, reference_image, reference_parsing):
        return self.generate_from_style(self.style_codes(reference_image, reference_parsing), edges)


class AttributeEditor(nn.Module):
    """One-call attribute editing for export: the source's style codes with ``regions``
    taken from the reference, generated in ``target_heatmaps`` (pass the source's own
    heatmaps to keep the pose)."""

    OUTPUTS = ("image", "correlation")

    def __init__(self, model: SCMNetBase, regions: tuple[int, ...]):
        super().__init__()
        self.model = model
        self.regions = tuple(int(r) for r in regions)
        parsing = model.inputs.get("source_parsing") or model.inputs["reference_parsing"]
        pose = model.inputs.get("target_heatmaps") or model.inputs["edges"]
        self.INPUTS = {
            "source_image": InputSpec(3, "image"),
            "source_parsing": parsing,
            "reference_image": InputSpec(3, "image"),
            "reference_parsing": parsing,
            "target_heatmaps": pose,
        }

    def forward(self, source_image, source_parsing, reference_image, reference_parsing, target_heatmaps):
        style = self.model.style_codes(source_image, source_parsing)
        ref = self.model.style_codes(reference_image, reference_parsing)
        for r in self.regions:
            style = self.model.swap_region(style, ref, r)
        return self.model.generate_from_style(style, target_heatmaps)


def style_discriminator(ch: int = 64, n_layers: int = 3) -> PatchDiscriminator:
    """D_s of eq. 4: judges the image alone."""
    return PatchDiscriminator(3, ch, n_layers)


def pose_discriminator(pose_channels: int = N_JOINTS, ch: int = 64, n_layers: int = 3) -> PatchDiscriminator:
    """D_p of eq. 4: judges the image concatenated with its pose (heatmaps or edges)."""
    return PatchDiscriminator(3 + pose_channels, ch, n_layers)
