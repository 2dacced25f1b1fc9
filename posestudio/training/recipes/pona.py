"""PoNA's recipe (Li et al., TIP 2020): eq. 8-11."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from posestudio.nets.discriminators import PoNADiscriminators
from posestudio.nets.losses import PONA_LOSS_WEIGHTS, AdversarialLoss, PerceptualLoss, VGG19Features
from posestudio.training.recipes.base import Recipe, _f, adam, frozen, g_update, gan_step


class PoNARecipe(Recipe):
    """PoNA (Li et al., TIP 2020) paired training, eq. 8:
    ``L = l1 L_CGAN + l2 L_L1 + l3 L_percep`` with (l1, l2, l3) = (5, 1, 1) on DeepFashion,
    (5, 10, 10) on Market (``--loss-weights``); L_CGAN (eq. 9) from the appearance
    discriminator D_A on (I_c, I) and the pose discriminator D_P on (I, P_t), LSGAN as the
    authors' code; L_percep (eq. 11) = L1 on VGG-19 conv1_2 (only with --vgg-weights)."""

    name = "pona"
    VGG_LOSSES = ("perceptual (eq. 11)",)

    def __init__(self, cfg, device, info, amp):
        super().__init__(cfg, device, info, amp)
        self.g = self.build_generator("pona")
        self.d = PoNADiscriminators(ndf=cfg.ndf, n_blocks=2).to(device)
        self.modules["discriminators"] = self.d
        self.weights = PONA_LOSS_WEIGHTS[cfg.loss_weights]
        self.gan = AdversarialLoss(cfg.gan_mode)
        self.perceptual = (
            PerceptualLoss(VGG19Features(self.vgg_path, layers=("conv1_2",))).to(device)
            if self.vgg_path
            else None
        )
        self.optimizers = {"g": adam(cfg, self.g), "d": adam(cfg, self.d, lr=cfg.lr_d)}
        self.finish()

    def step(self, phase, batch):
        src, hs, ht, tgt = (
            batch["source_image"],
            batch["source_heatmaps"],
            batch["target_heatmaps"],
            batch["target_image"],
        )
        w1, w2, w3 = self.weights
        self.g.train()
        with self.amp.autocast():
            fake = self.g(src, hs, ht)["image"]
            with frozen(self.d):
                da, dp = self.d(src, fake, ht)
                l_gan = 0.5 * (self.gan(da, True, False) + self.gan(dp, True, False))  # eq. 9
                l_l1 = F.l1_loss(fake, tgt)  # eq. 10
                terms = {"cgan": l_gan, "l1": l_l1}
                if self.perceptual is not None:
                    terms["perceptual"] = self.perceptual(fake, tgt)  # eq. 11
                total = w1 * l_gan + w2 * l_l1 + w3 * terms.get("perceptual", 0.0)  # eq. 8
        g_update(self, self.optimizers["g"], total)
        with self.amp.autocast():
            # real and fake in one batch per discriminator (one forward each)
            fk = fake.detach()
            ra, rp = self.d(torch.cat([src, src]), torch.cat([tgt, fk]), torch.cat([ht, ht]))
            n = src.shape[0]
            d = 0.5 * (
                self.gan(ra[:n], True)
                + self.gan(ra[n:], False)
                + self.gan(rp[:n], True)
                + self.gan(rp[n:], False)
            )
        d_val = gan_step(self, self.optimizers["d"], d)
        return {**{k: _f(v) for k, v in terms.items()}, "total": _f(total), "d": d_val}


