"""The attention + flow recipe (paper 003, Ren et al., ACM MM 2021)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from posestudio.nets.attnflow import AttnFlowLoss, face_loss
from posestudio.nets.discriminators import PatchDiscriminator
from posestudio.nets.losses import (
    AdversarialLoss,
    affine_regularization_loss,
    attention_loss,
    sampling_correctness_loss,
)
from posestudio.training.recipes.base import _f, adam, frozen, g_update, gan_step
from posestudio.training.recipes.flow import FlowRecipe, warp_l1


class AttnFlowRecipe(FlowRecipe):
    """Paper 003 (Ren et al., ACM MM 2021). Phase ``flow``: the deformation estimation
    module alone (key/query encoders, flow estimator, combination maps) with
    ``L_attn`` (eq. 10), ``L_flow`` (eq. 11-12, VGG) and ``L_regu`` (eq. 13-14); without VGG
    weights ``L_flow`` becomes the eq.-10-form warp L1 of the flow. Phase ``e2e``: eq. 19
    with :attr:`AttnFlowLoss.DEFAULT_WEIGHTS` (GFLA's lambdas: attn 1, flow 5, regu 0.0025,
    perc 0.5, face 0.5, style 500, adv 2) and a PatchGAN D on the image. The face term
    (eq. 16) is the perceptual loss on 64x64 face crops placed by the target pose's head
    joints (:func:`posestudio.nets.attnflow.face_loss`, the one home of eq. 16), zero for a
    sample without two visible head joints. EMA weights are the paper's "historical average"."""

    name = "attnflow"
    VGG_LOSSES = ("flow / sampling correctness (eq. 11-12; the warp L1 stands in)", "perceptual (eq. 15)",
                  "face (eq. 16)", "style (eq. 17)")  # fmt: skip
    W = {**AttnFlowLoss.DEFAULT_WEIGHTS, "warp": 1.0}

    def __init__(self, cfg, device, info, amp):
        super().__init__(cfg, device, info, amp)
        self.g = self.build_generator("attnflow")
        self.d = PatchDiscriminator(3, cfg.ndf, 3).to(device)
        self.modules["discriminator"] = self.d
        self.vgg, self.perceptual, self.style = self._vgg()
        self.gan = AdversarialLoss(cfg.gan_mode)
        deform = [
            self.g.key_encoder, self.g.query_encoder, self.g.key_proj, self.g.query_proj,
            self.g.flow_estimator, self.g.combination,
        ]  # fmt: skip
        self.optimizers = {
            "flow": adam(cfg, *deform),
            "g": adam(cfg, self.g),
            "d": adam(cfg, self.d, lr=cfg.lr_d),
        }
        self.finish()

    def deform_terms(self, scales: dict, src, tgt) -> dict:
        terms = {"attn": 0.0, "regu": 0.0}
        vs = vt = None
        if self.vgg is not None:
            vs = self.vgg(src)
            vt = {k: v.detach() for k, v in self.vgg(tgt).items()}
            terms["flow"] = 0.0
        else:
            terms["warp"] = 0.0
        for s, e in scales.items():
            terms["attn"] = terms["attn"] + attention_loss(
                e["attention_warp"], F.avg_pool2d(tgt, s)
            )  # eq. 10
            terms["regu"] = terms["regu"] + affine_regularization_loss(e["flow"])  # eq. 13-14
            if vs is not None:
                layer = "relu3_1" if s <= 4 else "relu4_1"
                terms["flow"] = terms["flow"] + sampling_correctness_loss(
                    vs[layer], vt[layer], e["flow"]
                )  # eq. 11
            else:
                terms["warp"] = terms["warp"] + warp_l1(src, tgt, e["flow"])
        return terms

    def step(self, phase, batch):
        src, hs, ht, tgt = (
            batch["source_image"],
            batch["source_heatmaps"],
            batch["target_heatmaps"],
            batch["target_image"],
        )
        self.g.train()
        if phase == "flow":
            with self.amp.autocast():
                terms = self.deform_terms(self.g.deform(src, hs, ht), src, tgt)
                total = sum(self.W[k] * v for k, v in terms.items())
            g_update(self, self.optimizers["flow"], total)
            return {**{k: _f(v) for k, v in terms.items()}, "total": _f(total)}
        with self.amp.autocast():
            out = self.g(src, hs, ht, all_scales=True)
            fake = out["image"]
            terms = self.deform_terms(out["scales"], src, tgt)
            with frozen(self.d):
                terms["adv"] = self.gan(self.d(fake), True, False)  # eq. 18
                if self.vgg is not None:
                    terms["perc"] = self.perceptual(fake, tgt)  # eq. 15
                    terms["face"] = face_loss(self.perceptual, fake, tgt, ht)  # eq. 16
                    terms["style"] = self.style(fake, tgt)  # eq. 17
            total = sum(self.W[k] * v for k, v in terms.items())  # eq. 19
            terms["l1"] = F.l1_loss(fake.detach(), tgt)  # logged only (not in eq. 19)
        g_update(self, self.optimizers["g"], total)
        with self.amp.autocast():
            pred = self.d(torch.cat([tgt, fake.detach()]))
            n = src.shape[0]
            d = 0.5 * (self.gan(pred[:n], True) + self.gan(pred[n:], False))
        d_val = gan_step(self, self.optimizers["d"], d)
        return {**{k: _f(v) for k, v in terms.items()}, "total": _f(total), "d": d_val}
