"""What every recipe shares: :class:`Recipe` (modules, optimisers, EMA, the phase
schedule), :class:`Amp` (mixed precision + gradient averaging over ranks), the Adam
builder and the generator / discriminator update helpers, and :func:`frozen`.

A recipe owns its modules and optimisers and runs one optimisation step of a named
phase on a batch (generator step with the discriminators frozen, then the
discriminator step on detached fakes). The loop (``training.loop``) owns everything
else: data order, mixed precision, gradient averaging over ranks, EMA, checkpoints.

Without ``--vgg-weights`` every loss computed on VGG features (perceptual, style,
sampling correctness, SCM-Net's body graph, SPT's content/style) is left out — a
randomly initialised VGG would make them meaningless; each recipe names them in
``VGG_LOSSES``.
"""

from __future__ import annotations

import contextlib
from contextlib import contextmanager

import torch
from torch import nn

from posestudio.nets import registry
from posestudio.nets.blocks import ParameterEMA
from posestudio.training import ddp
from posestudio.training.config import TrainConfig


@contextmanager
def frozen(*modules: nn.Module):
    """No parameter gradients for ``modules`` inside the block (restored after)."""
    params = [p for m in modules for p in m.parameters()]
    old = [p.requires_grad for p in params]
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, r in zip(params, old, strict=False):
            p.requires_grad_(r)


def freeze(module: nn.Module) -> nn.Module:
    """Eval mode and no gradients for the parameters (the module still passes gradients
    through to its input): the pose regressor P once trained."""
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)
    return module


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


