"""SPT's recipe (Song et al., CVPR 2019): Algorithm 1 through
:class:`posestudio.training.recipes.spt_trainer.SPTTrainer` (lines 2-4), after a first
phase that trains the pose regressor P of eq. 6 on images with exact keypoints, and, with
``--progressive`` (the default of ``--preset paper``), the paper's 128 -> 256 schedule
(Sec. 4.1): everything at half size first, then H_A at the full size."""

from __future__ import annotations

import torch

from posestudio.errors import InputError
from posestudio.nets import spt as spt_mod
from posestudio.nets.losses import VGG19Features
from posestudio.nets.regressor import PoseRegressor, regressor_loss
from posestudio.training.recipes.base import Recipe, _f, adam, freeze
from posestudio.training.recipes.spt_trainer import SPTTrainer, parse, resize

# Sec. 4.1: "the joint learning to refine semantic map prediction is performed on the resolution
# of 128x128. Then we upsample the predicted semantic maps to train images in 256x256 with
# progressive training strategies". Phases at half size, then "ha-full": line 3 again at the run's
# size with H_S (fixed, built at half size) run at half size and its parsing upsampled.
PROGRESSIVE_PHASES = (("regressor", 0.1), ("hs", 0.2), ("ha", 0.2), ("joint", 0.2), ("ha-full", 0.3))
KINDS = {"parsing": "parsing", "mask": "mask"}  # a batch key's kind by its suffix; the rest by area


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
    - ``ha-full`` (``--progressive`` only): line 3 at the run's size after the others ran at
      half size (:data:`PROGRESSIVE_PHASES`, :meth:`size_schedule`); the regressor then
      learns both sizes (the mean of its loss at each), since it judges both.

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
        self.progressive = bool(cfg.progressive)
        if self.progressive:
            self.default_phases = PROGRESSIVE_PHASES
        self.ha = self.build_generator("spt-appearance")
        try:
            self.hs = self.build_generator("spt-parsing")
        except ValueError as exc:
            if not self.progressive:
                raise
            raise InputError(f"--progressive: H_S trains at half the size: {exc}") from None
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
        if self.progressive:
            self.notes.append("progressive (SPT Sec. 4.1): " + ", ".join(
                f"{p} {n} steps at {h}x{w}" for p, n, (h, w) in self.size_schedule()))  # fmt: skip
        self.finish()

    # -- the progressive schedule ---------------------------------------------------------
    def full_size(self) -> tuple[int, int]:
        return super().size("spt-appearance")

    def half_size(self) -> tuple[int, int]:
        h, w = self.full_size()
        return h // 2, w // 2

    def size(self, arch: str) -> tuple[int, int]:
        """H_A (and the data set) at the run's size; H_S at half of it in a progressive run,
        where it only ever runs at half size (its model card says so)."""
        if getattr(self, "progressive", False) and arch == "spt-parsing":
            return self.half_size()
        return super().size(arch)

    def size_at(self, phase: str) -> tuple[int, int]:
        """The size (H, W) the generators train at in ``phase`` (the regressor of a
        progressive run learns the half size besides)."""
        if self.progressive and phase not in ("regressor", "ha-full"):
            return self.half_size()
        return self.full_size()

    def size_schedule(self) -> list[tuple[str, int, tuple[int, int]]]:
        """[(phase, steps, (H, W))]: at which step the size changes."""
        return [(p, n, self.size_at(p)) for p, n in self.phases()]

    def resize(self, batch: dict, size: tuple[int, int]) -> dict:
        """The batch at ``size``: parsing maps, label maps and masks by nearest neighbour,
        images and heatmaps by area, keypoints (x, y, visible) scaled (the data set is read at
        the run's size, resized per phase)."""
        old = next(v.shape[-2:] for v in batch.values() if torch.is_tensor(v) and v.dim() == 4)
        out = {}
        for k, v in batch.items():
            kind = k.rsplit("_", 1)[-1]
            if torch.is_tensor(v) and v.dim() == 4:
                v = resize(v, size, KINDS.get(kind, "image"))
            elif torch.is_tensor(v) and kind == "labels" and v.dim() == 3:
                v = resize(v[:, None].float(), size, "parsing")[:, 0].to(v.dtype)
            elif torch.is_tensor(v) and kind == "pose" and v.shape[-1] == 3:
                v = v * v.new_tensor([size[1] / old[1], size[0] / old[0], 1.0])
            out[k] = v
        return out

    # -- the work ----------------------------------------------------------------------------
    def step(self, phase, batch):
        size = self.size_at(phase)
        if phase == "regressor":
            self.regressor.train()
            loss = regressor_loss(self.regressor, batch["source_image"], batch["source_heatmaps"])
            if self.progressive:
                small = self.resize(batch, self.half_size())
                loss = 0.5 * (loss + regressor_loss(self.regressor, small["source_image"], small["source_heatmaps"]))
            opt = self.optimizers["regressor"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return {"pose_mse": _f(loss), "total": _f(loss), "px": float(size[0])}
        if any(p.requires_grad for p in self.regressor.parameters()):
            freeze(self.regressor)
        batch = self.resize(batch, size)
        if phase == "ha-full":
            logs = self.trainer.step("ha", batch, parsing_size=self.half_size())
        else:
            logs = self.trainer.step(phase, batch)
        return {**logs, "px": float(size[0])}

    @torch.no_grad()
    def sample(self, batch):
        hs, ha = self.ema["spt-parsing"].model, self.ema["spt-appearance"].model
        b = batch
        p_size = self.half_size() if self.progressive else None
        par_t = parse(hs, b["source_parsing"], b["source_heatmaps"], b["source_mask"], b["target_heatmaps"],
                      b["target_mask"], p_size)  # fmt: skip
        par_t = spt_mod.one_hot_argmax(par_t)
        out = ha(b["source_image"], b["source_parsing"], b["source_heatmaps"], par_t, b["target_heatmaps"])["image"]
        return b["source_image"], b.get("target_image", out), out

    def export_inputs(self, batch):
        ha = self.generators["spt-appearance"]
        return {k: batch[k] for k in ha.inputs}

