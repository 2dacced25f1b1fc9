"""SPT's recipe (Song et al., CVPR 2019): Algorithm 1 through
:class:`posestudio.training.recipes.spt_trainer.SPTTrainer` (lines 2-4), after a first
phase that trains the pose regressor P of eq. 6 on images with exact keypoints."""

from __future__ import annotations

import torch

from posestudio.nets import spt as spt_mod
from posestudio.nets.losses import VGG19Features
from posestudio.nets.regressor import PoseRegressor, regressor_loss
from posestudio.training.recipes.base import Recipe, _f, adam, freeze
from posestudio.training.recipes.spt_trainer import SPTTrainer


class SPTRecipe(Recipe):
    """SPT (Song et al., CVPR 2019), Algorithm 1 with a phase 0:

    - ``regressor``: the pose regressor P (eq. 6's pose detector) on (image, heatmaps),
      MSE to the heatmaps; frozen afterwards.
    - ``hs`` (line 2): H_S and D_S on (source parsing, pseudo target parsing) pairs,
      ``L_S = L_adv + lambda_ce L_ce`` (eq. 2-4). A pairs CSV from
      ``training.recipes.spt_pseudo_labels`` supplies the searched S_pt* (eq. 1); synthetic pairs
      supply the exact target parsing.
    - ``ha`` (line 3): H_A, D_A, D_F with H_S fixed, ``L_A`` (eq. 10) = adv + 700 pose +
      0.03 content + 1 style + 1 face, cycle back to the source (unpaired: no target image).
    - ``joint`` (line 4): all of them.

    Without VGG weights the content (eq. 7) and semantic style (eq. 8) weights are 0.
    Mixed precision does not apply (the nets' Algorithm-1 step runs its own backward)."""

    name = "spt"
    VGG_LOSSES = ("content (eq. 7, which the paper calls indispensable)", "semantic style (eq. 8)")
    default_phases = (("regressor", 0.1), ("hs", 0.3), ("ha", 0.3), ("joint", 0.3))

    def __init__(self, cfg, device, info, amp):
        super().__init__(cfg, device, info, amp)
        if amp.enabled:
            self.notes.append("--amp: SPT trains in fp32 (Algorithm 1's steps run their own backward)")
            amp.enabled = False
        self.ha = self.build_generator("spt-appearance")
        self.hs = self.build_generator("spt-parsing")
        ndf = cfg.ndf
        self.d_s = spt_mod.parsing_discriminator(ndf, 3).to(device)
        self.d_a = spt_mod.image_discriminator(ndf, 3).to(device)
        self.d_f = spt_mod.image_discriminator(ndf, 2).to(device)
        self.regressor = PoseRegressor(ch=16, n_res=2).to(device)
        self.features = VGG19Features(self.vgg_path, layers=("conv2_1",)).to(device)
        self.modules.update(d_s=self.d_s, d_a=self.d_a, d_f=self.d_f, regressor=self.regressor)
        self.trainer = SPTTrainer(
            self.hs, self.ha, self.d_s, self.d_a, self.d_f, self.regressor, self.features,
            lr=cfg.lr, face_size=16,
        )  # fmt: skip
        if self.vgg_path is None:
            self.trainer.weights.update(cont=0.0, sty=0.0)
        self.optimizers = {f"spt_{k}": v for k, v in self.trainer.opt.items()}
        self.optimizers["regressor"] = adam(self.cfg, self.regressor)
        self.finish()

    def step(self, phase, batch):
        if phase == "regressor":
            self.regressor.train()
            loss = regressor_loss(self.regressor, batch["source_image"], batch["source_heatmaps"])
            opt = self.optimizers["regressor"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return {"pose_mse": _f(loss), "total": _f(loss)}
        if any(p.requires_grad for p in self.regressor.parameters()):
            freeze(self.regressor)
        return self.trainer.step(phase, batch)

    @torch.no_grad()
    def sample(self, batch):
        hs, ha = self.ema["spt-parsing"].model, self.ema["spt-appearance"].model
        par_t = hs(**{k: batch[k] for k in hs.inputs})["parsing"]
        par_t = spt_mod.one_hot_argmax(par_t)
        out = ha(batch["source_image"], batch["source_parsing"], batch["source_heatmaps"], par_t,
                 batch["target_heatmaps"])["image"]  # fmt: skip
        return batch["source_image"], batch.get("target_image", out), out

    def export_inputs(self, batch):
        ha = self.generators["spt-appearance"]
        return {k: batch[k] for k in ha.inputs}
