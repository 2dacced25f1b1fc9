"""Recipes of the unpaired / self-supervised papers: SPT (Algorithm 1) and SCM-Net.

SPT reuses :class:`posestudio.nets.spt_schedule.SPTTrainer` (lines 2-4 of Algorithm 1)
and adds a first phase that trains the pose regressor P of eq. 6 on images with exact
keypoints. SCM-Net's step is written here with the loss functions of
:mod:`posestudio.nets.scmnet_losses` so that it goes through the loop's mixed precision.
"""

from __future__ import annotations

import torch

from posestudio.nets import scmnet as scm
from posestudio.nets import scmnet_losses as SL
from posestudio.nets import spt as spt_mod
from posestudio.nets.losses import VGG19Features
from posestudio.nets.regressor import PoseRegressor, freeze, regressor_loss
from posestudio.nets.spt_schedule import SPTTrainer, frozen
from posestudio.training.recipes import Recipe, _f, adam, g_update, gan_step


class SPTRecipe(Recipe):
    """SPT (Song et al., CVPR 2019), Algorithm 1 with a phase 0:

    - ``regressor``: the pose regressor P (eq. 6's pose detector) on (image, heatmaps),
      MSE to the heatmaps; frozen afterwards.
    - ``hs`` (line 2): H_S and D_S on (source parsing, pseudo target parsing) pairs,
      ``L_S = L_adv + lambda_ce L_ce`` (eq. 2-4). A pairs CSV from
      ``training.spt_pseudo_labels`` supplies the searched S_pt* (eq. 1); synthetic pairs
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


class SCMNetRecipe(Recipe):
    """SCM-Net (Wang et al., CVPR 2022) self-supervised training (Sec. 3.1): each image is
    rebuilt from its own pose and its own decomposed style (source = target), eq. 9:
    ``5 L_adv + 1 L_rec + 1 L_perc + 150 L_style + 1 L_graph`` with the style discriminator
    D_s on the image and the pose discriminator D_p on (image, pose) (eq. 4); L_perc,
    L_style and the body-graph loss L_graph (eq. 6-8) use VGG features (only with
    --vgg-weights)."""

    name = "scmnet"
    VGG_LOSSES = ("perceptual (eq. 6)", "style (eq. 7)", "body structure retaining graph (eq. 8)")
    default_phases = (("self", 1.0),)
    data_kind = "self"
    label_set = "scm8"
    arch = "scmnet"

    def __init__(self, cfg, device, info, amp):
        super().__init__(cfg, device, info, amp)
        self.g = self.build_generator(self.arch)
        self.d_style = scm.style_discriminator(cfg.ndf, 3).to(device)
        self.d_pose = scm.pose_discriminator(self.g.pose_channels, cfg.ndf, 3).to(device)
        self.modules.update(d_style=self.d_style, d_pose=self.d_pose)
        self.features = SL.vgg_features(self.vgg_path).to(device) if self.vgg_path else None
        self.optimizers = {"g": adam(cfg, self.g), "d": adam(cfg, self.d_style, self.d_pose, lr=cfg.lr_d)}
        self.finish()

    def unpack(self, batch) -> tuple[dict, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(generator inputs, target image, parsing for the graph loss, pose for D_p)."""
        inputs = {
            "source_image": batch["source_image"],
            "source_parsing": batch["source_parsing"],
            "target_heatmaps": batch["source_heatmaps"],
        }
        return inputs, batch["source_image"], batch["source_parsing"], batch["source_heatmaps"]

    def step(self, phase, batch):
        inputs, real, parsing, pose = self.unpack(batch)
        w = SL.WEIGHTS
        self.g.train()
        with self.amp.autocast():
            fake = self.g(**inputs)["image"]
            with frozen(self.d_style, self.d_pose):
                terms = {
                    "adv": SL.g_adv(self.d_style, self.d_pose, fake, pose),
                    "rec": SL.rec_loss(fake, real),
                }
                if self.features is not None:
                    ff, fr = self.features(fake), self.features(real)
                    terms["perc"] = SL.perceptual_loss(ff, fr)  # eq. 6
                    terms["style"] = SL.style_loss(ff, fr)  # eq. 7
                    terms["graph"] = SL.graph_loss(ff, fr, parsing)  # eq. 8
                total = sum(w[k] * v for k, v in terms.items())  # eq. 9
        g_update(self, self.optimizers["g"], total)
        with self.amp.autocast():
            d = SL.d_adv(self.d_style, self.d_pose, real, fake, pose)
        d_val = gan_step(self, self.optimizers["d"], d)
        return {**{k: _f(v) for k, v in terms.items()}, "total": _f(total), "d": d_val}

    @torch.no_grad()
    def sample(self, batch):
        inputs, real, _, _ = self.unpack(batch)
        net = self.ema[self.arch].model
        return inputs["source_image"], real, net(**inputs)["image"]

    def export_inputs(self, batch):
        return self.unpack(batch)[0]


class SCMNetFaceRecipe(SCMNetRecipe):
    """SCM-Net on faces (Sec. 4.5, reference-based edge colorization): the edge map is the
    pose, the style comes from the reference face and its 8-region parsing. With a face
    edge folder the reference is the image itself (self-supervised); the synthetic faces
    give the same identity in another expression as the reference."""

    name = "scmnet-face"
    data_kind = "faces"
    arch = "scmnet-face"

    def unpack(self, batch):
        inputs = {
            "edges": batch["edges"],
            "reference_image": batch["reference_image"],
            "reference_parsing": batch["reference_parsing"],
        }
        return inputs, batch["image"], batch["reference_parsing"], batch["edges"]

    @torch.no_grad()
    def sample(self, batch):
        inputs, real, _, _ = self.unpack(batch)
        net = self.ema[self.arch].model
        return inputs["reference_image"], real, net(**inputs)["image"]


__all__ = ["SPTRecipe", "SCMNetRecipe", "SCMNetFaceRecipe"]
