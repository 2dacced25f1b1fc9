"""Recipes of the prior refiners (:mod:`posestudio.nets.refine`): ``refine-pose``,
``refine-garment`` and ``refine-face``.

Every training item gets the puppet's answer to its request (``prior_image``, made by
:class:`posestudio.training.prior.WithPrior` exactly as the engine prepares it), and the
refiner learns to correct it with the reconstruction losses the papers use for paired
data: ``L = l1 * L1 + lssim * (1 - SSIM)`` (L1 as PoNA eq. 10; the SSIM term as the
metric computes it, PATN variant). No adversarial term: the refiner starts as the prior
and is judged by SSIM/PSNR against the ground truth, which a GAN term trades away early
in a short CPU run.
"""

from __future__ import annotations

import torch.nn.functional as F

from posestudio.nets.losses import ssim_loss
from posestudio.training.prior import WithPrior, source_image, target_image
from posestudio.training.recipes.base import Recipe, _f, adam, g_update

L1_WEIGHT, SSIM_WEIGHT = 1.0, 1.0


class RefineRecipe(Recipe):
    arch = "refine-pose"
    task = "pose"

    def __init__(self, cfg, device, info, amp):
        super().__init__(cfg, device, info, amp)
        self.notes = []  # no VGG losses in this recipe: nothing is left out
        self.name = cfg.arch
        self.g = self.build_generator(self.arch)
        self.optimizers = {"g": adam(cfg, self.g)}
        self.finish()

    def wrap_dataset(self, ds):
        return WithPrior(ds, self.task, self.label_set)

    def _inputs(self, batch, net):
        return {k: batch[k] for k in net.inputs}

    def step(self, phase, batch):
        real = target_image(batch)
        self.g.train()
        with self.amp.autocast():
            out = self.g(**self._inputs(batch, self.g))
            fake = out["image"]
            l1 = F.l1_loss(fake, real)
            ls = ssim_loss(fake.float(), real.float())
            total = L1_WEIGHT * l1 + SSIM_WEIGHT * ls
        g_update(self, self.optimizers["g"], total)
        prior = batch["prior_image"]  # what the untrained refiner (the puppet) scores, for comparison
        return {"l1": _f(l1), "ssim_loss": _f(ls), "total": _f(total), "prior_l1": _f(F.l1_loss(prior, real)),
                "prior_ssim_loss": _f(ssim_loss(prior.float(), real.float())),
                "repaint": _f(out["repaint"].mean())}  # fmt: skip

    def sample(self, batch):
        import torch

        with torch.no_grad():
            net = self.ema[self.arch].model
            out = net(**self._inputs(batch, net))["image"]
        return source_image(batch), target_image(batch), out


class PoseRefineRecipe(RefineRecipe):
    arch, task = "refine-pose", "pose"


class GarmentRefineRecipe(RefineRecipe):
    arch, task = "refine-garment", "garment"


class FaceRefineRecipe(RefineRecipe):
    arch, task = "refine-face", "face"
    data_kind = "faces"
