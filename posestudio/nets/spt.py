"""SPT: unsupervised person image generation with semantic parsing transformation
(Song, Zhang, Liu, Mei, CVPR 2019).

Two generators, registered separately because the editor runs them separately
(the artist may repaint the predicted target parsing between the two):

- ``spt-parsing`` — H_S (Sec. 3.2): encoders E_S(S_ps, p_s, M_ps) and E_P(p_t, M_pt),
  a U-Net generator G_S with a softmax over the 10 SPT labels. Output ``parsing``.
- ``spt-appearance`` — H_A (Sec. 3.3): encoders E_A(I_ps, S_ps, p_s) and
  E'_S(S~_pt, p_t), generator G_A with Def-GAN deformable skip connections (every
  level of E_A is warped part-by-part from the source pose to the target pose, see
  :mod:`posestudio.nets.spt_parts`). Outputs ``image`` and ``warped_source`` (the
  source image moved by the same ten rigid-part affines: what the skips carry).

Losses are in :mod:`posestudio.nets.spt_losses`, Algorithm 1 (training) in
:mod:`posestudio.training.recipes.spt_trainer`.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from posestudio.nets import spt_parts
from posestudio.nets.discriminators import PatchDiscriminator
from posestudio.nets.registry import Generator, InputSpec, register
from posestudio.nets.spt_blocks import Decoder, Encoder, check_divisible, level_channels

N_LABELS = 10
N_JOINTS = 18
PAPER = "Song et al., Unsupervised Person Image Generation with Semantic Parsing Transformation, CVPR 2019"

_PRESETS = {
    "full": {"height": 256, "width": 176, "ch": 64, "max_ch": 256, "depth": 4, "n_res": 4},
    "small": {"height": 256, "width": 176, "ch": 32, "max_ch": 128, "depth": 4, "n_res": 2},
    "tiny": {"height": 256, "width": 176, "ch": 8, "max_ch": 32, "depth": 3, "n_res": 1},
}


@register("spt-parsing", tasks=("parsing",), presets=_PRESETS, paper=PAPER)
class SPTParsing(Generator):
    """H_S: S~_pt = G_S(E_S(S_ps, p_s, M_ps), E_P(p_t, M_pt)) (Sec. 3.2)."""

    INPUTS = {
        "source_parsing": InputSpec(N_LABELS, "parsing", "spt10"),
        "source_heatmaps": InputSpec(N_JOINTS, "heatmaps"),
        "source_mask": InputSpec(1, "mask"),
        "target_heatmaps": InputSpec(N_JOINTS, "heatmaps"),
        "target_mask": InputSpec(1, "mask"),
    }
    OUTPUTS = ("parsing",)

    def __init__(self, height=256, width=176, ch=32, max_ch=128, depth=4, n_res=2, **config):
        super().__init__(height, width, ch=ch, max_ch=max_ch, depth=depth, n_res=n_res, **config)
        check_divisible(self.height, self.width, 2**depth, "spt-parsing")
        chans = level_channels(ch, depth, max_ch)
        self.enc_s = Encoder(N_LABELS + N_JOINTS + 1, chans)  # E_S
        self.enc_p = Encoder(N_JOINTS + 1, chans)  # E_P
        self.gen = Decoder(2 * chans[-1], [2 * c for c in chans], chans, n_res, N_LABELS)  # G_S

    def logits(
        self, source_parsing, source_heatmaps, source_mask, target_heatmaps, target_mask
    ) -> torch.Tensor:
        fs = self.enc_s(torch.cat([source_parsing, source_heatmaps, source_mask], 1))
        fp = self.enc_p(torch.cat([target_heatmaps, target_mask], 1))
        skips = [torch.cat([a, b], 1) for a, b in zip(fs, fp, strict=False)]
        return self.gen(skips[-1], skips)

    def forward(self, source_parsing, source_heatmaps, source_mask, target_heatmaps, target_mask):
        logits = self.logits(source_parsing, source_heatmaps, source_mask, target_heatmaps, target_mask)
        return {"parsing": torch.softmax(logits, 1)}


@register("spt-appearance", tasks=("pose", "garment"), presets=_PRESETS, paper=PAPER)
class SPTAppearance(Generator):
    """H_A: I~_pt = G_A(E_A(I_ps, S_ps, p_s), E'_S(S~_pt, p_t)) with deformable skips
    (Sec. 3.3). For garment editing the artist's repainted parsing is ``target_parsing``
    and ``target_heatmaps`` may equal ``source_heatmaps`` (all part affines = identity)."""

    INPUTS = {
        "source_image": InputSpec(3, "image"),
        "source_parsing": InputSpec(N_LABELS, "parsing", "spt10"),
        "source_heatmaps": InputSpec(N_JOINTS, "heatmaps"),
        "target_parsing": InputSpec(N_LABELS, "parsing", "spt10"),
        "target_heatmaps": InputSpec(N_JOINTS, "heatmaps"),
    }
    OUTPUTS = ("image", "warped_source")

    def __init__(self, height=256, width=176, ch=32, max_ch=128, depth=4, n_res=2, **config):
        super().__init__(height, width, ch=ch, max_ch=max_ch, depth=depth, n_res=n_res, **config)
        check_divisible(self.height, self.width, 2**depth, "spt-appearance")
        chans = level_channels(ch, depth, max_ch)
        self.enc_a = Encoder(3 + N_LABELS + N_JOINTS, chans)  # E_A
        self.enc_s = Encoder(N_LABELS + N_JOINTS, chans)  # E'_S
        self.gen = Decoder(2 * chans[-1], [2 * c for c in chans], chans, n_res, 3)  # G_A

    def part_transforms(self, source_heatmaps, target_heatmaps):
        """Source and target rectangles of the ten rigid parts (from heatmap peaks), in
        pixels of the heatmaps' own size."""
        sxy, svis = spt_parts.heatmap_keypoints(source_heatmaps)
        txy, tvis = spt_parts.heatmap_keypoints(target_heatmaps)
        height, width = source_heatmaps.shape[-2:]
        return spt_parts.pair_rectangles(sxy, svis, txy, tvis, height, width)

    def forward(self, source_image, source_parsing, source_heatmaps, target_parsing, target_heatmaps):
        # the input's size, not the built one: a progressive run (SPT Sec. 4.1) trains the
        # same fully convolutional H_A at half size first (training.recipes.spt)
        height, width = source_image.shape[-2:]
        src_rect, tgt_rect = self.part_transforms(source_heatmaps, target_heatmaps)
        fa = self.enc_a(torch.cat([source_image, source_parsing, source_heatmaps], 1))
        fs = self.enc_s(torch.cat([target_parsing, target_heatmaps], 1))
        skips = []
        for a, b in zip(fa, fs, strict=False):
            h, w = a.shape[-2:]
            grid, masks = spt_parts.part_affine_grids(tgt_rect, src_rect, h, w, height, width)
            skips.append(torch.cat([spt_parts.deform(a, grid, masks), b], 1))
        image = torch.tanh(self.gen(skips[-1], skips))
        grid, masks = spt_parts.part_affine_grids(tgt_rect, src_rect, height, width, height, width)
        warped = spt_parts.deform(source_image, grid, masks)
        # the background candidate of deform() is the unwarped image; show the warp only
        union = masks.amax(1, keepdim=True)
        warped = warped * union - (1.0 - union)
        return {"image": image, "warped_source": warped}


def parsing_discriminator(ch: int = 64, n_layers: int = 3) -> PatchDiscriminator:
    """D_S (eq. 3): judges a parsing map (10 soft one-hot channels)."""
    return PatchDiscriminator(N_LABELS, ch, n_layers)


def image_discriminator(ch: int = 64, n_layers: int = 3) -> PatchDiscriminator:
    """D_A (eq. 5) and D_F (eq. 9, on face crops): judge an RGB image."""
    return PatchDiscriminator(3, ch, n_layers)


def one_hot_argmax(probs: torch.Tensor) -> torch.Tensor:
    """Hard one-hot of a soft parsing map (B,L,H,W), as the engine takes the argmax."""
    return F.one_hot(probs.argmax(1), probs.shape[1]).permute(0, 3, 1, 2).to(probs.dtype)
