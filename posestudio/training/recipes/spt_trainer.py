"""One optimisation step of SPT's Algorithm 1 (Song et al., CVPR 2019, Sec. 3.4).

- ``"hs"``: line 2, pre-train {H_S, D_S} on searched pairs (pseudo labels of eq. 1)
  with L_S^total = L_S^adv + lambda_ce L_S^ce (eq. 4).
- ``"ha"``: line 3, train {H_A, D_A, D_F} with L_A^total (eq. 10) on unpaired data,
  H_S fixed: S~_pt = H_S(S_ps, p_t), I~_pt = H_A(I_ps, S_ps, p_s, S~_pt, p_t), then the cycle
  back S~_ps = H_S(S~_pt, p_s), I~_ps = H_A(I~_pt, S~_pt, p_t, S~_ps, p_s).
- ``"ha"`` with ``parsing_size``: line 3 after a progressive run's size change (Sec. 4.1):
  H_S runs at the smaller size it was trained at and its parsing maps are upsampled
  (bilinear, still a distribution per pixel) to the images' size.
- ``"joint"``: line 4, the same with H_S and D_S trained too (L_S^adv on S~_pt against
  real parsing maps is kept so that D_S stays in the loop; gradients of L_A reach H_S
  through the soft S~_pt fed to H_A and through eq. 8's soft region masks).

The generator step runs first with the discriminators frozen, then the discriminator
step on detached fakes. Returns the scalar loss terms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F

from posestudio.nets import spt_losses as L
from posestudio.training.recipes.base import frozen


@dataclass
class SPTTrainer:
    """The networks and optimisers of Algorithm 1. ``features`` is a frozen VGG-like
    extractor returning {"conv2_1": ...}; ``regressor`` the frozen pose regressor P."""

    hs: nn.Module
    ha: nn.Module
    d_s: nn.Module
    d_a: nn.Module
    d_f: nn.Module
    regressor: nn.Module
    features: nn.Module
    lr: float = 2e-4
    weights: dict = field(default_factory=lambda: dict(L.WEIGHTS))
    face_size: int = 32

    def __post_init__(self):
        def adam(*mods):
            return torch.optim.Adam([p for m in mods for p in m.parameters()], lr=self.lr, betas=(0.5, 0.999))

        self.opt = {
            "hs": adam(self.hs),
            "ds": adam(self.d_s),
            "ha": adam(self.ha),
            "hs_joint": adam(self.hs, self.ha),
            "d_af": adam(self.d_a, self.d_f),
            "d_all": adam(self.d_a, self.d_f, self.d_s),
        }

    def step(self, stage: str, batch: dict[str, torch.Tensor], parsing_size=None) -> dict[str, float]:
        if stage == "hs":
            return hs_step(self, batch)
        if stage in ("ha", "joint"):
            return ha_step(self, batch, joint=stage == "joint", parsing_size=parsing_size)
        raise ValueError(f"unknown Algorithm 1 stage {stage!r}; use 'hs', 'ha' or 'joint'")


def _f(x) -> float:
    return float(x.detach()) if torch.is_tensor(x) else float(x)


def resize(x: torch.Tensor, size: tuple[int, int], kind: str) -> torch.Tensor:
    """``x`` (B,C,H,W) at ``size``: label maps and masks (``kind`` parsing / mask) by nearest
    neighbour, so that one-hot stays one-hot; images and heatmaps by area averaging."""
    size = (int(size[0]), int(size[1]))
    if tuple(x.shape[-2:]) == size:
        return x
    if kind in ("parsing", "mask"):
        return F.interpolate(x, size=size, mode="nearest")
    return F.interpolate(x, size=size, mode="area" if size[0] <= x.shape[-2] else "bilinear")


def parse(hs: nn.Module, parsing, heatmaps, mask, heatmaps_to, mask_to, parsing_size=None) -> torch.Tensor:
    """H_S's soft parsing in the target pose, at the inputs' size; with ``parsing_size``
    H_S runs at that size and its output is upsampled (bilinear) to the inputs' size."""
    if parsing_size is None or tuple(parsing_size) == tuple(parsing.shape[-2:]):
        return hs(parsing, heatmaps, mask, heatmaps_to, mask_to)["parsing"]
    small = [resize(x, parsing_size, k) for x, k in ((parsing, "parsing"), (heatmaps, "heatmaps"), (mask, "mask"),
                                                     (heatmaps_to, "heatmaps"), (mask_to, "mask"))]  # fmt: skip
    out = hs(*small)["parsing"]
    return F.interpolate(out, size=parsing.shape[-2:], mode="bilinear", align_corners=False)


def hs_step(t: SPTTrainer, batch: dict[str, torch.Tensor]) -> dict[str, float]:
    """Algorithm 1 line 2. ``batch``: source_parsing, source_heatmaps, source_mask,
    target_parsing (the searched S_pt*), target_heatmaps (p_t*), target_mask (M_pt*)."""
    w = t.weights
    t.hs.train()
    logits = t.hs.logits(
        batch["source_parsing"], batch["source_heatmaps"], batch["source_mask"],
        batch["target_heatmaps"], batch["target_mask"],
    )  # fmt: skip
    probs = torch.softmax(logits, 1)
    with frozen(t.d_s):
        ce = L.weighted_ce(torch.log_softmax(logits, 1), batch["target_parsing"], batch["target_mask"])
        adv = L.g_loss(t.d_s(probs))
        total = w["adv"] * adv + w["ce"] * ce  # eq. 4
    t.opt["hs"].zero_grad(set_to_none=True)
    total.backward()
    t.opt["hs"].step()
    d = L.d_loss(t.d_s(batch["target_parsing"]), t.d_s(probs.detach()))
    t.opt["ds"].zero_grad(set_to_none=True)
    d.backward()
    t.opt["ds"].step()
    return {"ce": _f(ce), "adv": _f(adv), "total": _f(total), "d_s": _f(d)}


def ha_step(t: SPTTrainer, batch: dict[str, torch.Tensor], joint: bool = False, parsing_size=None) -> dict[str, float]:
    """Algorithm 1 line 3 (``joint=False``: H_S fixed) or line 4 (``joint=True``); with
    ``parsing_size`` H_S runs at that size (:func:`parse`).
    ``batch``: source_image, source_parsing, source_heatmaps, source_mask,
    target_heatmaps, target_mask — no target image (unpaired)."""
    w = t.weights
    img_s, par_s = batch["source_image"], batch["source_parsing"]
    hm_s, m_s, hm_t, m_t = (
        batch["source_heatmaps"],
        batch["source_mask"],
        batch["target_heatmaps"],
        batch["target_mask"],
    )
    t.ha.train()
    t.hs.train(joint)
    with torch.set_grad_enabled(joint):
        par_t = parse(t.hs, par_s, hm_s, m_s, hm_t, m_t, parsing_size)
        par_s_back = parse(t.hs, par_t, hm_t, m_t, hm_s, m_s, parsing_size)
    img_t = t.ha(img_s, par_s, hm_s, par_t, hm_t)["image"]
    img_s_back = t.ha(img_t, par_t, hm_t, par_s_back, hm_s)["image"]

    discs = (t.d_a, t.d_f, t.d_s)
    with frozen(*discs, t.regressor, t.features):
        adv = L.g_loss(t.d_a(img_t)) + L.g_loss(t.d_a(img_s_back))  # eq. 5
        pose = L.pose_loss(t.regressor, img_t, hm_t, img_s_back, hm_s)  # eq. 6
        cont = L.content_loss(t.features, img_s_back, img_s)  # eq. 7
        sty = L.semantic_style_loss(t.features, img_s, img_t, img_s_back, par_s, par_t, par_s_back)  # eq. 8
        crop_t, valid_t = L.face_crops(img_t, hm_t, t.face_size)
        crop_b, valid_b = L.face_crops(img_s_back, hm_s, t.face_size)
        face = L.weighted_bce(t.d_f(crop_t), True, valid_t) + L.weighted_bce(
            t.d_f(crop_b), True, valid_b
        )  # eq. 9
        total = adv + w["pose"] * pose + w["cont"] * cont + w["sty"] * sty + w["face"] * face  # eq. 10
        if joint:
            total = total + w["adv"] * L.g_loss(t.d_s(par_t))
    opt_g = t.opt["hs_joint" if joint else "ha"]
    opt_g.zero_grad(set_to_none=True)
    total.backward()
    opt_g.step()

    crop_s, valid_s = L.face_crops(img_s, hm_s, t.face_size)
    d_a = L.d_loss(t.d_a(img_s), t.d_a(img_t.detach())) + L.d_loss(t.d_a(img_s), t.d_a(img_s_back.detach()))
    real_f = t.d_f(crop_s)
    d_f = (
        L.weighted_bce(real_f, True, valid_s) * 2
        + L.weighted_bce(t.d_f(crop_t.detach()), False, valid_t)
        + L.weighted_bce(t.d_f(crop_b.detach()), False, valid_b)
    )
    d_total = d_a + d_f
    if joint:
        d_total = d_total + L.d_loss(t.d_s(par_s), t.d_s(par_t.detach()))
    opt_d = t.opt["d_all" if joint else "d_af"]
    opt_d.zero_grad(set_to_none=True)
    d_total.backward()
    opt_d.step()
    return {
        "adv": _f(adv), "pose": _f(pose), "cont": _f(cont), "sty": _f(sty),
        "face": _f(face), "total": _f(total), "d_a": _f(d_a), "d_f": _f(d_f),
    }  # fmt: skip
