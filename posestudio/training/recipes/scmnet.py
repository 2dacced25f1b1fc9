"""SCM-Net's recipes (Wang et al., CVPR 2022): people and faces, self-supervised. The
step is written with the loss functions of :mod:`posestudio.nets.scmnet_losses` so that it
goes through the loop's mixed precision; :class:`SCMNetTrainer` is the same step without
the loop (fp32, its own optimisers) for direct use."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from posestudio.nets import scmnet as scm
from posestudio.nets import scmnet_losses as SL
from posestudio.training.recipes.base import Recipe, _f, adam, frozen, g_update, gan_step


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


@dataclass
class SCMNetTrainer:
    """Self-supervised training (Sec. 3.1): every image reconstructs itself from its own
    pose and its decomposed style; ``step`` is one generator + one discriminator update."""

    gen: nn.Module
    d_style: nn.Module
    d_pose: nn.Module
    features: nn.Module
    lr: float = 2e-4
    weights: dict = field(default_factory=lambda: dict(SL.WEIGHTS))

    def __post_init__(self):
        self.opt_g = torch.optim.Adam(self.gen.parameters(), lr=self.lr, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(
            [*self.d_style.parameters(), *self.d_pose.parameters()], lr=self.lr, betas=(0.5, 0.999)
        )

    def step(self, image: torch.Tensor, parsing: torch.Tensor, pose: torch.Tensor) -> dict[str, float]:
        """``image`` (B,3,H,W) in [-1,1], ``parsing`` (B,8,H,W) one-hot, ``pose`` its own
        heatmaps (person) or edge map (face)."""
        w = self.weights
        self.gen.train()
        fake = self.gen.generate_from_style(self.gen.style_codes(image, parsing), pose)["image"]
        with frozen(self.d_style, self.d_pose):
            ff, fr = self.features(fake), self.features(image)
            terms = {
                "adv": SL.g_adv(self.d_style, self.d_pose, fake, pose),
                "rec": SL.rec_loss(fake, image),
                "perc": SL.perceptual_loss(ff, fr),
                "style": SL.style_loss(ff, fr),
                "graph": SL.graph_loss(ff, fr, parsing),
            }
            total = sum(w[k] * v for k, v in terms.items())  # eq. 9
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        self.opt_g.step()
        d = SL.d_adv(self.d_style, self.d_pose, image, fake, pose)
        self.opt_d.zero_grad(set_to_none=True)
        d.backward()
        self.opt_d.step()
        return {**{k: _f(v) for k, v in terms.items()}, "total": _f(total), "d": _f(d)}
