"""SPT losses (Song et al., CVPR 2019), one small function per equation.

``features`` arguments are any callable ``image -> {layer name: feature map}`` (a frozen
VGG in training, e.g. ``VGG19Features``; conv2_1 is the same layer in VGG16 and VGG19).
The adversarial terms use the log-likelihood form of the paper,
L_adv(G, D, X, Y) = E_X[log D(X)] + E_Y[log(1 - D(Y))], written as binary cross-entropy on
logits; the generator side uses the usual non-saturating -log D(Y).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from posestudio.nets import spt_parts

# Sec. 4.1 (DeepFashion); lambda_ce is not given in the paper (supplementary): 1.
WEIGHTS = {"ce": 1.0, "pose": 700.0, "cont": 0.03, "sty": 1.0, "face": 1.0, "adv": 1.0}
CONTENT_LAYER = "conv2_1"
STYLE_LAYER = "conv2_1"


def vgg_features(weights_path=None):
    """The frozen feature extractor Lambda of eqs. 7-8 (VGG-19 conv2_1; the user's ImageNet
    weights when given, random otherwise — never downloaded)."""
    from posestudio.nets.losses import VGG19Features

    return VGG19Features(weights_path, layers=(CONTENT_LAYER,))


# ---- H_S ---------------------------------------------------------------------------


def weighted_ce_map(log_probs: torch.Tensor, target: torch.Tensor, pose_mask: torch.Tensor) -> torch.Tensor:
    """Eq. 2 per pixel: -sum_l S*_l log S~_l * (1 + M), shape (B,1,H,W). ``log_probs`` are
    log-softmax outputs of G_S, ``target`` the (pseudo) ground-truth one-hot S_pt*,
    ``pose_mask`` M_pt* in {0,1}: pixels on the body count double."""
    return -(target * log_probs).sum(1, keepdim=True) * (1.0 + pose_mask)


def weighted_ce(log_probs: torch.Tensor, target: torch.Tensor, pose_mask: torch.Tensor) -> torch.Tensor:
    """Eq. 2, the L1 norm of the per-pixel map averaged over pixels (scale-free in H, W)."""
    return weighted_ce_map(log_probs, target, pose_mask).mean()


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Discriminator side of L_adv (eqs. 3, 5, 9): maximise log D(X) + log(1 - D(Y))."""
    return F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + (
        F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    )


def g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Generator side of L_adv: non-saturating -log D(Y)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


# ---- H_A ---------------------------------------------------------------------------


def pose_loss(regressor, image_t, heatmaps_t, image_s_back, heatmaps_s) -> torch.Tensor:
    """Eq. 6: ||P(I~_pt) - p_t||^2 + ||P(I~_ps) - p_s||^2 with our pose regressor P (frozen),
    compared at the regressor's output resolution."""

    def term(img, hm):
        pred = regressor(img)
        return F.mse_loss(pred, F.adaptive_avg_pool2d(hm, pred.shape[-2:]))

    return term(image_t, heatmaps_t) + term(image_s_back, heatmaps_s)


def content_loss(features, image_s_back, image_s, layer: str = CONTENT_LAYER) -> torch.Tensor:
    """Eq. 7: ||Lambda(I~_ps) - Lambda(I_ps)||^2 at VGG conv2_1 (the cycle content loss)."""
    return F.mse_loss(features(image_s_back)[layer], features(image_s)[layer].detach())


def region_gram(feat: torch.Tensor, region: torch.Tensor) -> torch.Tensor:
    """Gram matrix G(Lambda(I) * Psi_l(S)) of features (B,C,h,w) inside a region mask
    (B,1,h,w), normalised by the region's area, so it measures the region's texture
    statistics independently of its size and place. Empty region -> zeros."""
    b, c = feat.shape[:2]
    f = (feat * region).reshape(b, c, -1)
    area = region.reshape(b, -1).sum(-1).clamp(min=1.0)
    return torch.bmm(f, f.transpose(1, 2)) / (c * area)[:, None, None]


def downsample_labels(parsing: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Psi(S): the parsing map resampled to a feature map's size. Area averaging keeps it a
    soft map (a binary map's interior stays binary) so that gradients reach H_S in
    end-to-end training."""
    return F.adaptive_avg_pool2d(parsing, size)


def style_terms(features, image_1, image_2, parsing_1, parsing_2, layer: str = STYLE_LAYER) -> torch.Tensor:
    """Eq. 8's inner sum, per label: ||G(Lambda(I_1) Psi_l(S_1)) - G(Lambda(I_2) Psi_l(S_2))||^2,
    returned as (B, L) so that callers can see which region differs."""
    f1, f2 = features(image_1)[layer], features(image_2)[layer]
    s1 = downsample_labels(parsing_1, f1.shape[-2:])
    s2 = downsample_labels(parsing_2, f2.shape[-2:])
    terms = []
    for lab in range(parsing_1.shape[1]):
        g1 = region_gram(f1, s1[:, lab : lab + 1])
        g2 = region_gram(f2, s2[:, lab : lab + 1])
        terms.append((g1 - g2).pow(2).sum((1, 2)))
    return torch.stack(terms, 1)


def semantic_style_loss(features, image_s, image_t, image_s_back, parsing_s, parsing_t, parsing_s_back):
    """Eq. 8: L_sty(I_ps, I~_pt, S_ps, S~_pt) + L_sty(I~_pt, I~_ps, S~_pt, S~_ps)."""
    a = style_terms(features, image_s, image_t, parsing_s, parsing_t).sum(1).mean()
    b = style_terms(features, image_t, image_s_back, parsing_t, parsing_s_back).sum(1).mean()
    return a + b


# ---- face crops (eq. 9) ------------------------------------------------------------

HEAD_JOINTS = (0, 14, 15, 16, 17)


def face_boxes(heatmaps: torch.Tensor, min_size: float = 0.08) -> tuple[torch.Tensor, torch.Tensor]:
    """Face box from the head joints (nose, eyes, ears) seen in the heatmaps: centre
    (B,2) pixels, half-size (B,) and whether at least two head joints are visible (B,)."""
    xy, vis = spt_parts.heatmap_keypoints(heatmaps)
    idx = list(HEAD_JOINTS)
    hxy, hvis = xy[:, idx], vis[:, idx]
    n = hvis.sum(1)
    center = (hxy * hvis.unsqueeze(-1)).sum(1) / n.clamp(min=1.0).unsqueeze(-1)
    spread = ((hxy - center.unsqueeze(1)).abs().amax(-1) * hvis).amax(1)
    h, w = heatmaps.shape[-2:]
    half = torch.clamp(1.6 * spread, min=min_size * max(h, w))
    return center, half, (n >= 2).to(heatmaps.dtype)


def face_crops(
    image: torch.Tensor, heatmaps: torch.Tensor, size: int = 32
) -> tuple[torch.Tensor, torch.Tensor]:
    """F(I) of eq. 9: a non-parametric spatial transformer that crops a square around the
    face guided by the head joints and resamples it to ``size`` x ``size`` (differentiable
    in the image). Returns crops (B,3,size,size) and a validity weight (B,)."""
    b, _, h, w = image.shape
    center, half, valid = face_boxes(heatmaps)
    zero = torch.zeros_like(half)
    # affine in normalised coords (align_corners=False): x_n = (2x + 1) / W - 1
    theta = torch.stack(
        [
            torch.stack([2 * half / w, zero, (2 * center[:, 0] + 1) / w - 1], -1),
            torch.stack([zero, 2 * half / h, (2 * center[:, 1] + 1) / h - 1], -1),
        ],
        1,
    )
    grid = F.affine_grid(theta, [b, 3, size, size], align_corners=False)
    crops = F.grid_sample(image, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return crops, valid


def weighted_bce(logits: torch.Tensor, real: bool, weight: torch.Tensor) -> torch.Tensor:
    per = (
        F.binary_cross_entropy_with_logits(
            logits, torch.full_like(logits, 1.0 if real else 0.0), reduction="none"
        )
        .flatten(1)
        .mean(1)
    )
    return (per * weight).sum() / weight.sum().clamp(min=1.0)
