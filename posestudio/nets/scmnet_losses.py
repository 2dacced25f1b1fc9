"""SCM-Net objectives (Wang et al., CVPR 2022, Sec. 3.5); the training step is
:mod:`posestudio.training.recipes.scmnet`.

``features`` is a frozen ``VGG19Features`` (``posestudio.nets.losses``) returning at
least the layers named below; without user-provided ImageNet weights it is random, which
keeps the equations intact but not their perceptual meaning.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from posestudio.nets.losses import VGG19Features, gram_matrix

# eq. 9, Sec. 4.1
WEIGHTS = {"adv": 5.0, "rec": 1.0, "perc": 1.0, "style": 150.0, "graph": 1.0}
PERC_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
STYLE_LAYERS = ("relu2_1", "relu3_1", "relu4_1")
GRAPH_LAYERS = ("relu4_1",)
ALL_LAYERS = tuple(dict.fromkeys(PERC_LAYERS + STYLE_LAYERS + GRAPH_LAYERS))


def vgg_features(weights_path=None) -> VGG19Features:
    return VGG19Features(weights_path, layers=ALL_LAYERS)


def rec_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """Eq. 5: ||I^ - I||_1 (mean over pixels)."""
    return F.l1_loss(fake, real)


def perceptual_loss(ff: dict, fr: dict, layers=PERC_LAYERS) -> torch.Tensor:
    """Eq. 6: sum over layers of ||phi_l(I^) - phi_l(I)||_1."""
    return sum(F.l1_loss(ff[n], fr[n].detach()) for n in layers)


def style_loss(ff: dict, fr: dict, layers=STYLE_LAYERS) -> torch.Tensor:
    """Eq. 7: sum over layers of ||G(phi_l(I^)) - G(phi_l(I))||_1."""
    return sum(F.l1_loss(gram_matrix(ff[n]), gram_matrix(fr[n]).detach()) for n in layers)


def body_graph(
    feat: torch.Tensor, parsing: torch.Tensor, eps: float = 1e-6
) -> tuple[torch.Tensor, torch.Tensor]:
    """The body graph M(I, S) of the BSR loss (Fig. 5): nodes = region-wise average pooling
    of the features (B,C,h,w) over each parsing region (B,R,H,W) -> (B,R,C); edges = cosine
    similarity between every pair of nodes -> (B,R,R), symmetric, with unit diagonal (a
    region absent from S has a zero node and zero edges to the others)."""
    masks = F.adaptive_avg_pool2d(parsing, feat.shape[-2:])  # soft region masks at feature size
    area = masks.flatten(2).sum(-1)  # (B,R)
    nodes = torch.einsum("brhw,bchw->brc", masks, feat) / area.clamp(min=eps).unsqueeze(-1)
    unit = nodes / (nodes.norm(dim=-1, keepdim=True) + eps)
    cos = torch.bmm(unit, unit.transpose(1, 2))
    eye = torch.eye(cos.shape[-1], dtype=cos.dtype, device=cos.device)
    edges = cos * (1 - eye) + eye
    return nodes, edges


def graph_loss(ff: dict, fr: dict, parsing: torch.Tensor, layers=GRAPH_LAYERS) -> torch.Tensor:
    """Eq. 8: ||M(I, S) - M(I^, S)||_1, on both the edges and the nodes of the graph."""
    total = 0.0
    for n in layers:
        nf, ef = body_graph(ff[n], parsing)
        nr, er = body_graph(fr[n].detach(), parsing)
        total = total + F.l1_loss(ef, er) + F.l1_loss(nf, nr)
    return total


def g_adv(d_style: nn.Module, d_pose: nn.Module, fake: torch.Tensor, pose: torch.Tensor) -> torch.Tensor:
    """Generator side of eq. 4: -log D_s(G) - log D_p(G, P) (non-saturating)."""
    ls, lp = d_style(fake), d_pose(torch.cat([fake, pose], 1))
    return F.binary_cross_entropy_with_logits(ls, torch.ones_like(ls)) + F.binary_cross_entropy_with_logits(
        lp, torch.ones_like(lp)
    )


def d_adv(d_style, d_pose, real, fake, pose) -> torch.Tensor:
    """Discriminator side of eq. 4: log(D_s(I) D_p(I,P)) + log((1 - D_s(G)) (1 - D_p(G,P)))
    = the sum of the two discriminators' binary cross-entropies."""

    def bce(x, v):
        return F.binary_cross_entropy_with_logits(x, torch.full_like(x, v))

    fake = fake.detach()
    return (
        bce(d_style(real), 1.0)
        + bce(d_style(fake), 0.0)
        + bce(d_pose(torch.cat([real, pose], 1)), 1.0)
        + bce(d_pose(torch.cat([fake, pose], 1)), 0.0)
    )
