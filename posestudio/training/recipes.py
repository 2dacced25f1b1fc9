"""Training recipes: which networks, losses (with which weights), discriminators and
phases each paper trains. One class per recipe; :func:`make_recipe` picks it.

A recipe owns its modules and optimisers and runs one optimisation step of a named
phase on a batch (generator step with the discriminators frozen, then the
discriminator step on detached fakes). The loop (``training.loop``) owns everything
else: data order, mixed precision, gradient averaging over ranks, EMA, checkpoints.

The pose-transfer recipes (PoNA, structure-aware part flow, attention + flow) are
here; SPT and SCM-Net are in :mod:`posestudio.training.recipes_selfsup`.

Without ``--vgg-weights`` every loss computed on VGG features (perceptual, style,
sampling correctness, SCM-Net's body graph, SPT's content/style) is left out — a
randomly initialised VGG would make them meaningless. Where a phase would then have
no loss on its flows, the flows are trained by paper 003's eq. 10 form instead
(L1 between the flow-warped downsized source and the downsized target).
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from posestudio.nets import registry
from posestudio.nets.attnflow import AttnFlowLoss
from posestudio.nets.blocks import ParameterEMA, warp
from posestudio.nets.discriminators import PatchDiscriminator, PoNADiscriminators
from posestudio.nets.losses import (
    PONA_LOSS_WEIGHTS,
    AdversarialLoss,
    PerceptualLoss,
    StyleLoss,
    VGG19Features,
    affine_regularization_loss,
    attention_loss,
    sampling_correctness_loss,
)
from posestudio.nets.spt_losses import face_crops
from posestudio.nets.spt_schedule import frozen
from posestudio.nets.structflow import StructFlowLoss, part_box_mask
from posestudio.training import ddp
from posestudio.training.config import TrainConfig


class Amp:
    """Mixed precision on CUDA (``torch.autocast`` fp16 + ``GradScaler``); a no-op on CPU.
    ``step`` averages gradients over the ranks before the scaler's inf check so that all
    ranks skip or take a step together."""

    def __init__(self, enabled: bool, device: torch.device, info: ddp.DistInfo):
        self.enabled = bool(enabled) and device.type == "cuda"
        self.device, self.info = device, info
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.enabled)

    def autocast(self):
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda", dtype=torch.float16)

    def backward(self, loss: torch.Tensor) -> None:
        self.scaler.scale(loss).backward()

    def step(self, opt: torch.optim.Optimizer) -> None:
        if self.info.enabled:
            ddp.average_gradients(self.info, opt)
            opt._posestudio_averaged = True
        self.scaler.step(opt)
        opt._posestudio_averaged = False

    def update(self) -> None:
        self.scaler.update()


def _f(x) -> float:
    return float(x.detach()) if torch.is_tensor(x) else float(x)


def adam(cfg: TrainConfig, *mods: nn.Module, lr: float | None = None) -> torch.optim.Adam:
    params = [p for m in mods for p in m.parameters() if p.requires_grad]
    return torch.optim.Adam(params, lr=lr or cfg.lr, betas=cfg.betas)


class Recipe:
    """Base class. Subclasses fill ``generators`` (exported in order, the first as
    ``weights.safetensors``), ``modules`` (everything saved in ``state.pt``),
    ``optimizers``, and implement ``step`` and ``sample``."""

    name = ""
    # (phase, fraction of --steps); the last phase takes the remaining steps
    default_phases: tuple[tuple[str, float], ...] = (("train", 1.0),)
    data_kind = "pairs"  # pairs | self | faces (see training.data)
    label_set = "spt10"
    # the paper's losses computed on VGG features: left out without --vgg-weights
    VGG_LOSSES: tuple[str, ...] = ()

    def __init__(self, cfg: TrainConfig, device: torch.device, info: ddp.DistInfo, amp: Amp):
        self.cfg, self.device, self.info, self.amp = cfg, device, info, amp
        self.generators: dict[str, registry.Generator] = {}
        self.modules: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.ema: dict[str, ParameterEMA] = {}
        self.notes: list[str] = []
        self.vgg_path = cfg.vgg_weights
        # recorded in config.json and the model card; `posestudio eval` shows it
        self.dropped_losses = [] if self.vgg_path else list(self.VGG_LOSSES)
        cfg.dropped_losses = list(self.dropped_losses)
        if self.dropped_losses:
            self.notes.append(
                "no --vgg-weights: training without the paper's VGG-based losses: "
                + "; ".join(self.dropped_losses)
            )

    # -- construction helpers ----------------------------------------------------------
    def size(self, arch: str) -> tuple[int, int]:
        if self.cfg.size:
            return self.cfg.size
        p = registry.preset_config(arch, self.cfg.net_preset)
        return int(p.get("height", 256)), int(p.get("width", 176))

    def build_generator(self, arch: str) -> registry.Generator:
        h, w = self.size(arch)
        net = registry.build(arch, self.cfg.net_preset, height=h, width=w, **self.cfg.overrides).to(self.device)
        self.generators[arch] = net
        self.modules[arch] = net
        return net

    def finish(self) -> None:
        """After subclasses built everything: same start on every rank, EMA copies."""
        ddp.broadcast_modules(self.info, *self.modules.values())
        for arch, net in self.generators.items():
            self.ema[arch] = ParameterEMA(net, self.cfg.ema_decay)
        for opt in self.optimizers.values():
            ddp.attach(self.info, opt)

    def phases(self) -> list[tuple[str, int]]:
        """The run's phase schedule [(phase, steps)], from ``--phases`` or the defaults."""
        total = self.cfg.steps
        names = [p for p, _ in self.default_phases]
        if self.cfg.phases:
            unknown = [p for p in self.cfg.phases if p not in names]
            if unknown:
                from posestudio.errors import InputError

                raise InputError(f"{self.name}: unknown phase {unknown[0]!r}; phases: {', '.join(names)}")
            counts = [self.cfg.phases.get(p, 0) for p in names[:-1]]
        else:
            counts = [int(round(frac * total)) for _, frac in self.default_phases[:-1]]
        out, used = [], 0
        for p, n in zip(names[:-1], counts, strict=True):
            n = max(0, min(n, total - used))
            out.append((p, n))
            used += n
        out.append((names[-1], total - used))
        return out

    def phase_at(self, step: int) -> str:
        start = 0
        sched = self.phases()
        for p, n in sched:
            if step < start + n:
                return p
            start += n
        return sched[-1][0]

    def update_ema(self) -> None:
        for arch, net in self.generators.items():
            self.ema[arch].update(net)

    # -- the work ------------------------------------------------------------------------
    def step(self, phase: str, batch: dict) -> dict[str, float]:
        raise NotImplementedError

    @torch.no_grad()
    def sample(self, batch: dict) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(source, target, output) images in [-1, 1] for the sample grid, from the EMA nets."""
        net = self.ema[next(iter(self.generators))].model
        out = net(**{k: batch[k] for k in net.inputs})["image"]
        return batch["source_image"], batch["target_image"], out

    def wrap_dataset(self, ds):
        """The data set as this recipe reads it (the refiners add the puppet's answer)."""
        return ds

    def export_inputs(self, batch: dict) -> dict:
        net = next(iter(self.generators.values()))
        return {k: batch[k] for k in net.inputs}


def gan_step(recipe: Recipe, opt_d, d_loss: torch.Tensor) -> float:
    opt_d.zero_grad(set_to_none=True)
    recipe.amp.backward(d_loss)
    recipe.amp.step(opt_d)
    return _f(d_loss)


def g_update(recipe: Recipe, opt_g, total: torch.Tensor) -> None:
    opt_g.zero_grad(set_to_none=True)
    recipe.amp.backward(total)
    recipe.amp.step(opt_g)


# -- PoNA ---------------------------------------------------------------------------------
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


# -- shared pieces of the flow recipes ----------------------------------------------------
def warp_l1(source: torch.Tensor, target: torch.Tensor, flow: torch.Tensor, weight=None) -> torch.Tensor:
    """Paper 003 eq. 10 form: L1 between the source downsized to the flow grid and warped
    by ``flow``, and the downsized target (optionally inside ``weight`` (B,1,h,w))."""
    h, w = flow.shape[-2:]
    s = F.adaptive_avg_pool2d(source, (h, w))
    t = F.adaptive_avg_pool2d(target, (h, w))
    diff = (warp(s, flow) - t).abs()
    if weight is None:
        return diff.mean()
    return (diff * weight).sum() / (weight.sum() * diff.shape[1]).clamp_min(1.0)


class _FlowRecipe(Recipe):
    default_phases = (("flow", 0.2), ("e2e", 0.8))

    def _vgg(self):
        if not self.vgg_path:
            return None, None, None
        vgg = VGG19Features(self.vgg_path, layers=("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")).to(
            self.device
        )
        return vgg, PerceptualLoss(vgg), StyleLoss(vgg, layers=("relu2_1", "relu3_1", "relu4_1"))


# -- structure-aware part flow (paper 001) -------------------------------------------------
class StructFlowRecipe(_FlowRecipe):
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


# -- attention + flow (paper 003) ------------------------------------------------------------
class AttnFlowRecipe(_FlowRecipe):
    """Paper 003 (Ren et al., ACM MM 2021). Phase ``flow``: the deformation estimation
    module alone (key/query encoders, flow estimator, combination maps) with
    ``L_attn`` (eq. 10), ``L_flow`` (eq. 11-12, VGG) and ``L_regu`` (eq. 13-14); without VGG
    weights ``L_flow`` becomes the eq.-10-form warp L1 of the flow. Phase ``e2e``: eq. 19
    with :attr:`AttnFlowLoss.DEFAULT_WEIGHTS` (GFLA's lambdas: attn 1, flow 5, regu 0.0025,
    perc 0.5, face 0.5, style 500, adv 2) and a PatchGAN D on the image. The face term
    (eq. 16) is the perceptual loss on 64x64 face crops placed by the target pose's head
    joints (:func:`posestudio.nets.spt_losses.face_crops`), zero for a sample without two
    visible head joints. EMA weights are the paper's "historical average"."""

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

    def face(self, fake, tgt, ht) -> torch.Tensor:
        """Eq. 16: perceptual loss between the 64x64 face crops of the output and the target
        (crop placed by the target pose's head joints; samples without a face count zero)."""
        fc, valid = face_crops(fake, ht, size=64)
        tc, _ = face_crops(tgt, ht, size=64)
        v = valid.reshape(-1, 1, 1, 1)
        return self.perceptual(fc * v, tc * v)

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
                    terms["face"] = self.face(fake, tgt, ht)  # eq. 16
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


def make_recipe(cfg: TrainConfig, device: torch.device, info: ddp.DistInfo, amp: Amp) -> Recipe:
    from posestudio.training import recipes_refine, recipes_selfsup

    table = {
        "refine-pose": recipes_refine.PoseRefineRecipe,
        "refine-garment": recipes_refine.GarmentRefineRecipe,
        "refine-face": recipes_refine.FaceRefineRecipe,
        "pona": PoNARecipe,
        "structflow": StructFlowRecipe,
        "attnflow": AttnFlowRecipe,
        "spt": recipes_selfsup.SPTRecipe,
        "scmnet": recipes_selfsup.SCMNetRecipe,
        "scmnet-face": recipes_selfsup.SCMNetFaceRecipe,
    }
    return table[cfg.arch](cfg, device, info, amp)
