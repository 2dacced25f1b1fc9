"""Structure-aware part-flow generator (Tang et al., AAAI 2021; paper 001).

Three modules (Fig. 2): a part-based flow generator per sub-pose (head, torso,
legs) predicting appearance flow and visibility (eq. 1); a local warping module
that warps features of each part image, selects them against target-pose
features by visibility (eq. 2-3) and refines them with a hybrid dilated
convolution block (eq. 4-5); a global fusion module that merges the parts with
the global target-pose features (eq. 6), applies a pyramid non-local block
(4x4 and 6x6 pools, eq. 7) and decodes the image (eq. 8). Losses (eq. 9-14) are
in :class:`StructFlowLoss`.

All flows are pixel offsets on the 1/4-resolution feature grid.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from posestudio.nets.blocks import (
    ConvNormAct,
    HybridDilatedBlock,
    NonLocal,
    ResBlock,
    UpConv,
    warp,
)
from posestudio.nets.losses import (
    AdversarialLoss,
    PerceptualLoss,
    StyleLoss,
    VGG19Features,
    sampling_correctness_loss,
)
from posestudio.nets.registry import Generator, InputSpec, register

# Sub-poses (COCO-18 joint indices), the same groups as posestudio.core.skeleton.SUBPOSES
# (nets may not import core; tests/nets/test_structflow.py checks they agree).
PARTS: dict[str, tuple[int, ...]] = {
    "head": (0, 1, 14, 15, 16, 17),
    "torso": (1, 2, 3, 4, 5, 6, 7, 8, 11),
    "legs": (8, 9, 10, 11, 12, 13),
}


def part_box_mask(part_heatmaps: torch.Tensor, margin: int) -> torch.Tensor:
    """(B, 1, H, W) soft box around the joints of one sub-pose: the "crop" of a
    part image (Sec. "Local Warping Module"). 1 between the outermost joints along
    x and y (running maxima of the heatmap profiles), grown by ``margin`` pixels.
    All zero when none of the part's joints is present."""
    p = part_heatmaps.amax(1, keepdim=True)
    h, w = p.shape[-2], p.shape[-1]
    px, py = p.amax(2), p.amax(3)  # B,1,W and B,1,H

    def between(prof: torch.Tensor, n: int) -> torch.Tensor:
        left = F.max_pool1d(F.pad(prof, (n - 1, 0)), n, 1)  # max over positions <= i
        right = F.max_pool1d(F.pad(prof, (0, n - 1)), n, 1)  # max over positions >= i
        return torch.minimum(left, right)

    box = between(py, h).unsqueeze(-1) * between(px, w).unsqueeze(-2)
    if margin > 0:
        box = F.max_pool2d(box, 2 * margin + 1, 1, margin)
    return box


def select_by_visibility(warped: torch.Tensor, pose_features: torch.Tensor, visibility: torch.Tensor):
    """Eq. 3: ``F_swv = V * F_sw + (1 - V) * F_pose`` -- visible target positions take the
    warped source features, the others the target-pose features."""
    return visibility * warped + (1 - visibility) * pose_features


def encoder(cin: int, ngf: int, norm: str) -> nn.Sequential:
    """7x7 reflect conv then two stride-2 convs: (cin, H, W) -> (4 ngf, H/4, W/4)."""
    return nn.Sequential(
        ConvNormAct(cin, ngf, 7, norm=norm, pad="reflect"),
        ConvNormAct(ngf, 2 * ngf, 3, stride=2, norm=norm),
        ConvNormAct(2 * ngf, 4 * ngf, 3, stride=2, norm=norm),
    )


class PartFlowGenerator(nn.Module):
    """G_flow^part (eq. 1): (P_s^part, P_t^part) -> flow W^part (B, 2, H/4, W/4) in
    feature pixels and visibility V^part in (0, 1). An encoder-decoder down to 1/8
    with a skip at 1/4. The flow head starts at zero (identity warp)."""

    def __init__(self, joints: int, ngf: int, norm: str = "instance"):
        super().__init__()
        c = ngf
        self.down = encoder(2 * joints, c, norm)
        self.bottom = nn.Sequential(ConvNormAct(4 * c, 4 * c, 3, stride=2, norm=norm), ResBlock(4 * c, norm))
        self.up = UpConv(4 * c, 4 * c, norm)
        self.mix = ConvNormAct(8 * c, 4 * c, 3, norm=norm)
        self.flow = nn.Conv2d(4 * c, 2, 3, padding=1)
        self.visibility = nn.Conv2d(4 * c, 1, 3, padding=1)
        nn.init.zeros_(self.flow.weight)
        nn.init.zeros_(self.flow.bias)

    def forward(self, source_part: torch.Tensor, target_part: torch.Tensor):
        skip = self.down(torch.cat((source_part, target_part), 1))
        y = self.mix(torch.cat((self.up(self.bottom(skip)), skip), 1))
        return self.flow(y), torch.sigmoid(self.visibility(y))


@register(
    "structflow",
    tasks=("pose",),
    paper="Structure-aware person image generation with pose decomposition and semantic correlation "
    "(Tang et al., AAAI 2021)",
    presets={
        "full": {"height": 256, "width": 176, "ngf": 64, "hdc_rates": (1, 2), "pool_sizes": (4, 6)},
        "small": {"height": 256, "width": 176, "ngf": 24, "hdc_rates": (1, 2), "pool_sizes": (4, 6)},
        "tiny": {"height": 32, "width": 32, "ngf": 4, "hdc_rates": (1, 2), "pool_sizes": (4, 6)},
    },
)
class StructFlowGenerator(Generator):
    """Part-based flow generator. Config: ``ngf`` (width; features are 4 ngf at 1/4
    resolution), ``hdc_rates`` (dilations of the hybrid dilated block), ``pool_sizes``
    (pyramid non-local pools), ``norm``, ``margin`` (part crop margin in pixels,
    default H/16). Height and width must be multiples of 8."""

    INPUTS = {
        "source_image": InputSpec(3, "image"),
        "source_heatmaps": InputSpec(18, "heatmaps"),
        "target_heatmaps": InputSpec(18, "heatmaps"),
    }
    OUTPUTS = ("image", "flow", "visibility", "part_flows", "part_visibility", "part_masks")

    def __init__(
        self,
        height: int = 256,
        width: int = 176,
        ngf: int = 64,
        hdc_rates=(1, 2),
        pool_sizes=(4, 6),
        norm: str = "instance",
        margin: int | None = None,
    ):
        margin = int(margin if margin is not None else max(height // 16, 1))
        super().__init__(
            height,
            width,
            ngf=ngf,
            hdc_rates=tuple(hdc_rates),
            pool_sizes=tuple(pool_sizes),
            norm=norm,
            margin=margin,
        )
        if height % 8 or width % 8:
            raise ValueError(f"structflow: height and width must be multiples of 8, got {height}x{width}")
        self.margin = margin
        d = 4 * ngf
        self.part_names = tuple(PARTS)
        for name, joints in PARTS.items():
            self.register_buffer(f"joints_{name}", torch.tensor(joints, dtype=torch.long), persistent=False)
        self.flow_generators = nn.ModuleDict(
            {n: PartFlowGenerator(len(j), ngf, norm) for n, j in PARTS.items()}
        )
        self.part_encoders = nn.ModuleDict({n: encoder(3, ngf, norm) for n in PARTS})
        self.pose_encoders = nn.ModuleDict({n: encoder(len(j), ngf, norm) for n, j in PARTS.items()})
        self.hdc = nn.ModuleDict({n: HybridDilatedBlock(d, tuple(hdc_rates), norm) for n in PARTS})
        self.global_pose_encoder = encoder(18, ngf, norm)
        self.fusion = nn.Sequential(ConvNormAct((len(PARTS) + 1) * d, d, 3, norm=norm), ResBlock(d, norm))
        self.pyramid_nonlocal = NonLocal(d, inner=d // 2, pool_sizes=tuple(pool_sizes))
        self.decoder = nn.Sequential(ResBlock(d, norm), UpConv(d, 2 * ngf, norm), UpConv(2 * ngf, ngf, norm))
        self.to_rgb = ConvNormAct(ngf, 3, 7, norm="none", act="tanh", pad="reflect")

    def sub_pose(self, heatmaps: torch.Tensor, part: str) -> torch.Tensor:
        return heatmaps.index_select(1, getattr(self, f"joints_{part}"))

    def forward(self, source_image, source_heatmaps, target_heatmaps) -> dict[str, torch.Tensor]:
        warped, flows, vis, masks, weights = [], [], [], [], []
        for part in self.part_names:
            ps, pt = self.sub_pose(source_heatmaps, part), self.sub_pose(target_heatmaps, part)
            flow, v = self.flow_generators[part](ps, pt)  # eq. 1
            mask = part_box_mask(ps, self.margin)
            feat = self.part_encoders[part](source_image * mask)  # F_s^part from the part image
            f_sw = warp(feat, flow)  # eq. 2
            f_pose = self.pose_encoders[part](pt)
            f_swv = select_by_visibility(f_sw, f_pose, v)  # eq. 3
            warped.append(self.hdc[part](f_swv))  # eq. 4-5
            flows.append(flow)
            vis.append(v)
            masks.append(mask)
            weights.append(F.avg_pool2d(part_box_mask(pt, self.margin), 4))  # onto the 1/4 grid
        g = self.global_pose_encoder(target_heatmaps)
        fused = self.fusion(torch.cat([*warped, g], 1))  # eq. 6
        glob = self.pyramid_nonlocal(fused)  # eq. 7
        image = self.to_rgb(self.decoder(glob))  # eq. 8
        # one flow / visibility layer for display: parts weighted by their target boxes
        wsum = torch.stack(weights).sum(0).clamp_min(1e-6)
        flow = sum(f * w for f, w in zip(flows, weights, strict=True)) / wsum
        visibility = sum(v * w for v, w in zip(vis, weights, strict=True)) / wsum
        return {
            "image": image,
            "flow": flow,
            "visibility": visibility,
            "part_flows": torch.cat(flows, 1),
            "part_visibility": torch.cat(vis, 1),
            "part_masks": torch.cat(masks, 1),
        }


class StructFlowLoss(nn.Module):
    """Paper 001 objective (eq. 10):
    ``l1 L_sam + l2 L_rec + l3 L_adv + l4 L_per + l5 L_sty`` with
    L_sam = sum over parts of the sampling correctness loss (eq. 9) on VGG features,
    L_rec = L1 (eq. 11), L_adv (eq. 12), L_per (eq. 13), L_sty (eq. 14).
    Default weights are GFLA's (Ren et al., CVPR 2020, whose flow and losses the paper
    builds on; the paper does not print them): ``--lambda_correct 5``, ``--lambda_rec 5``,
    ``--lambda_g 2``, ``--lambda_content 0.5``, ``--lambda_style 500`` in GFLA's
    ``model/pose_model.py``, i.e. (5, 5, 2, 0.5, 500) for (sam, rec, adv, per, sty)."""

    DEFAULT_WEIGHTS = {"sam": 5.0, "rec": 5.0, "adv": 2.0, "per": 0.5, "sty": 500.0}

    def __init__(self, weights=None, gan_mode: str = "lsgan", vgg_weights=None):
        super().__init__()
        self.weights = tuple(self.DEFAULT_WEIGHTS.values()) if weights is None else tuple(weights)
        self.vgg = VGG19Features(vgg_weights, layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"))
        self.perceptual = PerceptualLoss(self.vgg)
        self.style = StyleLoss(self.vgg, layers=("relu2_1", "relu3_1", "relu4_1"))
        self.gan = AdversarialLoss(gan_mode)

    def sampling(self, source_image, target_image, part_flows) -> torch.Tensor:
        """Eq. 9: sum over the parts of the sampling correctness loss (relu3_1 features)."""
        vs = self.vgg(source_image)["relu3_1"]
        vt = self.vgg(target_image)["relu3_1"].detach()
        flows = part_flows.split(2, dim=1)
        return sum(sampling_correctness_loss(vs, vt, f) for f in flows)

    def forward(self, out: dict, source_image, target_image, d_fake) -> tuple[torch.Tensor, dict]:
        fake = out["image"]
        parts = {
            "sam": self.sampling(source_image, target_image, out["part_flows"]),
            "rec": F.l1_loss(fake, target_image),
            "adv": self.gan(d_fake, True, for_discriminator=False),
            "per": self.perceptual(fake, target_image),
            "sty": self.style(fake, target_image),
        }
        total = sum(w * v for w, v in zip(self.weights, parts.values(), strict=True))
        return total, {k: v.detach() for k, v in parts.items()}
