"""The structure-aware part flow recipe (paper 001, Tang et al., AAAI 2021)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from posestudio.nets.discriminators import PatchDiscriminator
from posestudio.nets.losses import AdversarialLoss, affine_regularization_loss, sampling_correctness_loss
from posestudio.nets.structflow import StructFlowLoss, part_box_mask
from posestudio.training.recipes.base import _f, adam, frozen, g_update, gan_step
from posestudio.training.recipes.flow import FlowRecipe, warp_l1


class StructFlowRecipe(FlowRecipe):
    """Paper 001 (Tang et al., AAAI 2021). Phase ``flow``: the three part flow generators
    alone, with the sampling correctness loss per part (eq. 9; VGG relu3_1) and the affine
    regularisation of GFLA (003 eq. 13-14, weight 0.0025); without VGG weights the
    sampling term is replaced by the eq.-10-form warp L1 inside each target part box.
    Phase ``e2e``: eq. 10, ``5 L_sam + 5 L_rec + 2 L_adv + 0.5 L_per + 500 L_sty``
    (:attr:`StructFlowLoss.DEFAULT_WEIGHTS`, GFLA's lambdas) with a PatchGAN D on
    (image, target heatmaps)."""

    name = "structflow"
    VGG_LOSSES = ("sampling correctness (eq. 9; the warp L1 stands in)", "perceptual (eq. 13)", "style (eq. 14)")
    W = {**StructFlowLoss.DEFAULT_WEIGHTS, "regu": 0.0025, "warp": 1.0}

    def __init__(self, cfg, device, info, amp):
        super().__init__(cfg, device, info, amp)
        self.g = self.build_generator("structflow")
        self.d = PatchDiscriminator(3 + 18, cfg.ndf, 3).to(device)
        self.modules["discriminator"] = self.d
        self.vgg, self.perceptual, self.style = self._vgg()
        self.gan = AdversarialLoss(cfg.gan_mode)
        self.optimizers = {
            "flow": adam(cfg, self.g.flow_generators),
            "g": adam(cfg, self.g),
            "d": adam(cfg, self.d, lr=cfg.lr_d),
        }
        self.finish()

    def flow_terms(self, out, src, tgt, ht) -> dict:
        flows = out["part_flows"].split(2, dim=1)
        terms = {"regu": sum(affine_regularization_loss(f) for f in flows)}
        if self.vgg is not None:
            vs, vt = self.vgg(src)["relu3_1"], self.vgg(tgt)["relu3_1"].detach()
            terms["sam"] = sum(sampling_correctness_loss(vs, vt, f) for f in flows)  # eq. 9
        else:
            warp_terms = []
            for part, f in zip(self.g.part_names, flows, strict=True):
                box = part_box_mask(self.g.sub_pose(ht, part), self.g.margin)
                box = F.adaptive_avg_pool2d(box, f.shape[-2:])
                warp_terms.append(warp_l1(src, tgt, f, box))
            terms["warp"] = sum(warp_terms)
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
                out = self.g(src, hs, ht)
                terms = self.flow_terms(out, src, tgt, ht)
                total = sum(self.W[k] * v for k, v in terms.items())
            g_update(self, self.optimizers["flow"], total)
            return {**{k: _f(v) for k, v in terms.items()}, "total": _f(total)}
        with self.amp.autocast():
            out = self.g(src, hs, ht)
            fake = out["image"]
            terms = self.flow_terms(out, src, tgt, ht)
            terms.pop("regu")
            with frozen(self.d):
                terms["rec"] = F.l1_loss(fake, tgt)  # eq. 11
                terms["adv"] = self.gan(self.d(torch.cat([fake, ht], 1)), True, False)  # eq. 12
                if self.vgg is not None:
                    terms["per"] = self.perceptual(fake, tgt)  # eq. 13
                    terms["sty"] = self.style(fake, tgt)  # eq. 14
            total = sum(self.W[k] * v for k, v in terms.items())  # eq. 10
        g_update(self, self.optimizers["g"], total)
        with self.amp.autocast():
            pred = self.d(torch.cat([torch.cat([tgt, fake.detach()]), torch.cat([ht, ht])], 1))
            n = src.shape[0]
            d = 0.5 * (self.gan(pred[:n], True) + self.gan(pred[n:], False))
        d_val = gan_step(self, self.optimizers["d"], d)
        return {**{k: _f(v) for k, v in terms.items()}, "total": _f(total), "d": d_val}
