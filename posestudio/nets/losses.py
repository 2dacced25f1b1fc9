"""Training losses shared by the generators: small callable modules.

Stable API (other generator files import these):

- ``VGG19Features(weights_path=None, layers=("relu1_1", ...))``: VGG-19 conv trunk
  (torchvision key names ``features.N.weight`` so a user's ImageNet weights file
  loads); random init when no path is given -- never downloaded. Input: images
  in [-1, 1]; ImageNet normalisation is applied inside. ``forward`` returns a dict.
- ``gram_matrix(feat)``: (B, C, C) / (C H W).
- ``PerceptualLoss(vgg, layers, weights=None)``, ``StyleLoss(vgg, layers)``: L1 on
  features / Gram matrices (papers 001 eq. 13-14, 003 eq. 15, 17, PoNA eq. 11).
- ``AdversarialLoss(mode)``: ``lsgan`` | ``hinge`` | ``vanilla``;
  ``loss(pred, real: bool, for_discriminator=True)``.
- ``sampling_correctness_loss(source_feat, target_feat, flow)`` (003 eq. 11-12; 001 eq. 9).
- ``affine_regularization_loss(flow, patch=3)`` (003 eq. 13-14).
- ``PoNALoss``: eq. 8 with the paper's per-dataset weights.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from posestudio.nets.blocks import resize_flow, warp

# VGG-19 "features" layout: channels per conv, "M" = max pool (torchvision order)
_VGG19 = [
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
    "M",
]


def _vgg_names() -> list[str]:
    names, block, conv = [], 1, 1
    for v in _VGG19:
        if v == "M":
            names.append(f"pool{block}")
            block, conv = block + 1, 1
        else:
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
            conv += 1
    return names


VGG19_LAYERS = _vgg_names()
_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)


class VGG19Features(nn.Module):
    """VGG-19 feature extractor, frozen. ``layers`` names the outputs
    (``conv1_2``, ``relu3_1``, ...); the trunk stops at the deepest one.

    ``weights_path``: a .pth/.safetensors state dict with torchvision keys
    (``features.0.weight`` ... or ``0.weight`` ...). Without it the weights are
    random (Kaiming) -- the losses still run, but only trained VGG weights make
    them perceptual; the training code says so to the user."""

    def __init__(
        self, weights_path: str | Path | None = None, layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    ):
        super().__init__()
        layers = tuple(layers)
        bad = [n for n in layers if n not in VGG19_LAYERS]
        if bad:
            raise ValueError(f"unknown VGG-19 layer {bad[0]!r}")
        self.layers = layers
        last = max(VGG19_LAYERS.index(n) for n in layers)
        mods, cin = [], 3
        for v in _VGG19:
            if v == "M":
                mods.append(nn.MaxPool2d(2, 2))
            else:
                mods += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU(inplace=False)]
                cin = v
        self.features = nn.Sequential(*mods[: last + 1])
        self.register_buffer("mean", torch.tensor(_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_STD).view(1, 3, 1, 1), persistent=False)
        self.pretrained = weights_path is not None
        if weights_path is not None:
            self.load_weights(weights_path)
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def load_weights(self, path: str | Path) -> None:
        path = Path(path)
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            sd = load_file(str(path))
        else:
            sd = torch.load(path, map_location="cpu", weights_only=True)
        sd = {k[len("features.") :] if k.startswith("features.") else k: v for k, v in sd.items()}
        own = self.features.state_dict()
        missing = [k for k in own if k not in sd]
        if missing:
            raise ValueError(f"{path}: not VGG-19 weights (missing {missing[0]!r})")
        self.features.load_state_dict({k: sd[k] for k in own})

    def train(self, mode: bool = True):  # always frozen
        return super().train(False)

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        x = ((image + 1) / 2 - self.mean) / self.std
        out = {}
        for name, layer in zip(VGG19_LAYERS, self.features, strict=False):
            x = layer(x)
            if name in self.layers:
                out[name] = x
        return out


def gram_matrix(feat: torch.Tensor) -> torch.Tensor:
    """(B, C, C) Gram matrix of (B, C, H, W) features, divided by C*H*W."""
    b, c, h, w = feat.shape
    f = feat.reshape(b, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


class PerceptualLoss(nn.Module):
    """sum_i w_i * mean|phi_i(x) - phi_i(y)| over VGG layers (PoNA eq. 11 at conv1_2;
    001 eq. 13; 003 eq. 15). The target's features carry no gradient."""

    def __init__(self, vgg: VGG19Features, layers=None, weights=None):
        super().__init__()
        self.vgg = vgg
        self.layers = tuple(layers or vgg.layers)
        self.weights = tuple(weights or [1.0] * len(self.layers))

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        ff, fr = self.vgg(fake), self.vgg(real)
        return sum(
            w * F.l1_loss(ff[n], fr[n].detach()) for n, w in zip(self.layers, self.weights, strict=True)
        )


class StyleLoss(nn.Module):
    """sum_j mean|G(phi_j(x)) - G(phi_j(y))| with Gram matrices G (001 eq. 14; 003 eq. 17)."""

    def __init__(self, vgg: VGG19Features, layers=None):
        super().__init__()
        self.vgg = vgg
        self.layers = tuple(layers or vgg.layers)

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        ff, fr = self.vgg(fake), self.vgg(real)
        return sum(F.l1_loss(gram_matrix(ff[n]), gram_matrix(fr[n]).detach()) for n in self.layers)


class AdversarialLoss(nn.Module):
    """GAN loss on discriminator outputs (logits).

    - ``vanilla``: BCE with logits, i.e. log D / log(1 - D) of PoNA eq. 9, 001 eq. 12.
    - ``lsgan``: (D - 1)^2 / D^2 (the authors' PoNA training code uses this).
    - ``hinge``: D: relu(1 - D_real) + relu(1 + D_fake); G: -D_fake (003 eq. 18 as often trained).
    """

    MODES = ("lsgan", "hinge", "vanilla")

    def __init__(self, mode: str = "lsgan"):
        super().__init__()
        if mode not in self.MODES:
            raise ValueError(f"unknown GAN loss {mode!r}; use {', '.join(self.MODES)}")
        self.mode = mode

    def forward(self, pred: torch.Tensor, real: bool, for_discriminator: bool = True) -> torch.Tensor:
        if self.mode == "lsgan":
            return F.mse_loss(pred, torch.full_like(pred, 1.0 if real else 0.0))
        if self.mode == "vanilla":
            return F.binary_cross_entropy_with_logits(pred, torch.full_like(pred, 1.0 if real else 0.0))
        if not for_discriminator:
            return -pred.mean() if real else pred.mean()
        return F.relu(1.0 - pred).mean() if real else F.relu(1.0 + pred).mean()


# -- flow losses (paper 003 eq. 10-14, used by 001 eq. 9 as well) ------------------
def attention_loss(warped_small: torch.Tensor, target_small: torch.Tensor) -> torch.Tensor:
    """Paper 003 eq. 10: L1 between the attention-warped downsized reference and the target."""
    return F.l1_loss(warped_small, target_small)


def sampling_correctness_loss(
    source_feat: torch.Tensor, target_feat: torch.Tensor, flow: torch.Tensor, eps: float = 1e-6
) -> torch.Tensor:
    """Paper 003 eq. 11-12 (GFLA's sampling correctness), also 001 eq. 9 per part.

    ``mean_l exp(-mu(W_f(v_r, w)^l, v_t^l) / mu(v_r^{l_max}, v_t^l))`` with cosine
    similarity mu and ``l_max = argmax_i mu(v_r^i, v_t^l)`` (eq. 12). ``flow`` is
    resized to the feature grid (offsets rescaled). A flow that samples, for each
    target position, its most similar source feature reaches the minimum exp(-1)."""
    if flow.shape[-2:] != source_feat.shape[-2:]:
        flow = resize_flow(flow, tuple(source_feat.shape[-2:]))
    warped = warp(source_feat, flow)
    sim = F.cosine_similarity(warped, target_feat, dim=1, eps=eps)  # B, h, w
    vr = F.normalize(source_feat.flatten(2), dim=1, eps=eps)  # B, C, N
    vt = F.normalize(target_feat.flatten(2), dim=1, eps=eps)
    best = torch.bmm(vt.transpose(1, 2), vr).amax(-1).reshape(sim.shape)  # eq. 12
    return torch.exp(-sim / best.clamp_min(eps)).mean()


def affine_regularization_loss(flow: torch.Tensor, patch: int = 3, eps: float = 1e-6) -> torch.Tensor:
    """Paper 003 eq. 13-14: each n x n patch of the flow should be a local affine map.

    For each location l, ``R_l`` (3 x n^2) holds the patch's reference coordinates
    (homogeneous, relative to the centre) and ``S_l = R_l + w_l*`` the sampling
    coordinates. ``A_l = R_l S_l^T (S_l S_l^T)^-1`` (eq. 14) is the least-squares fit and
    the loss is the mean of ``||R_l - A_l S_l||^2`` (eq. 13; mean instead of sum so
    that weights do not depend on image size). Zero for any affine flow."""
    b, _, h, w = flow.shape
    n = patch * patch
    r = torch.arange(patch, dtype=flow.dtype, device=flow.device) - (patch - 1) / 2
    gy, gx = torch.meshgrid(r, r, indexing="ij")
    R = torch.stack(
        (gx.reshape(-1), gy.reshape(-1), torch.ones(n, dtype=flow.dtype, device=flow.device))
    )  # 3, n
    wp = F.unfold(flow, patch)  # B, 2*n, L  (channel-major: dx patch then dy patch)
    L = wp.shape[-1]
    wp = wp.reshape(b, 2, n, L).permute(0, 3, 1, 2)  # B, L, 2, n
    S = R.expand(b, L, 3, n).clone()
    S[:, :, :2] = S[:, :, :2] + wp
    RS = R @ S.transpose(-1, -2)  # B, L, 3, 3
    SS = S @ S.transpose(-1, -2) + eps * torch.eye(3, dtype=flow.dtype, device=flow.device)
    A = torch.linalg.solve(SS, RS.transpose(-1, -2)).transpose(-1, -2)  # R S^T (S S^T)^-1
    return ((R - A @ S) ** 2).sum((-1, -2)).mean()


# -- PoNA (eq. 8-11) ---------------------------------------------------------------
PONA_LOSS_WEIGHTS = {
    # (lambda_1 CGAN, lambda_2 L1, lambda_3 perceptual), PoNA Sec. III-G
    "deepfashion": (5.0, 1.0, 1.0),
    "market": (5.0, 10.0, 10.0),
}


class PoNALoss(nn.Module):
    """PoNA's generator objective (eq. 8): ``l1 * L_CGAN + l2 * L_L1 + l3 * L_percep``.

    ``L_CGAN`` (eq. 9) uses both discriminators: D_A on (I_c, I_g) and D_P on
    (I_g, P_t); ``L_percep`` (eq. 11) is L1 on VGG-19 ``conv1_2`` features.
    ``generator_loss`` returns (total, parts); ``discriminator_loss`` the D side."""

    def __init__(self, dataset: str = "deepfashion", gan_mode: str = "lsgan", vgg_weights=None):
        super().__init__()
        if dataset not in PONA_LOSS_WEIGHTS:
            raise ValueError(f"unknown dataset {dataset!r}; use {', '.join(PONA_LOSS_WEIGHTS)}")
        self.weights = PONA_LOSS_WEIGHTS[dataset]
        self.gan = AdversarialLoss(gan_mode)
        self.perceptual = PerceptualLoss(VGG19Features(vgg_weights, layers=("conv1_2",)))

    def generator_loss(self, fake, target, d_appearance_fake, d_pose_fake):
        l_gan = 0.5 * (
            self.gan(d_appearance_fake, True, for_discriminator=False)
            + self.gan(d_pose_fake, True, for_discriminator=False)
        )
        l_l1 = F.l1_loss(fake, target)  # eq. 10
        l_per = self.perceptual(fake, target)
        w1, w2, w3 = self.weights
        total = w1 * l_gan + w2 * l_l1 + w3 * l_per
        return total, {"cgan": l_gan.detach(), "l1": l_l1.detach(), "perceptual": l_per.detach()}

    def discriminator_loss(self, real_a, fake_a, real_p, fake_p):
        return 0.5 * (
            self.gan(real_a, True)
            + self.gan(fake_a, False)
            + self.gan(real_p, True)
            + self.gan(fake_p, False)
        )


def _gaussian_window(channels: int, size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    x = torch.arange(size, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, size, size).contiguous()


def ssim_loss(fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
    """1 - SSIM of images in [-1, 1]: the PATN/PoNA variant (11x11 Gaussian window,
    sigma 1.5, K1 0.01, K2 0.03), border pixels dropped (valid convolution) as the metric
    does, per channel, averaged. Computed on [0, 1] (SSIM's luminance term is not
    shift-invariant, so [-1, 1] would not be the metric)."""
    c = fake.shape[1]
    win = _gaussian_window(c).to(fake)
    c1, c2 = 0.01**2, 0.03**2
    fake, real = (fake + 1.0) * 0.5, (real + 1.0) * 0.5

    def f(a):
        return F.conv2d(a, win, groups=c)

    ux, uy = f(fake), f(real)
    vx, vy, vxy = f(fake * fake) - ux * ux, f(real * real) - uy * uy, f(fake * real) - ux * uy
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2))
    return 1.0 - s.mean()
