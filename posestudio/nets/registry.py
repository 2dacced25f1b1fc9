"""The generator interface and registry shared by every arch.

A generator is an ``nn.Module`` subclass of :class:`Generator` that declares
its named inputs (``INPUTS``), what it returns (``OUTPUTS``: the primary
output first — ``image`` for image generators, ``parsing`` for SPT's H_S —
then intermediates an artist may show as layers), and which tasks it serves. ``forward(**inputs)`` returns a dict of tensors.

Arch modules register themselves with :func:`register`; :func:`build` imports
them lazily by name so that asking for one arch never imports the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import torch
from torch import nn

# arch name -> module under posestudio.nets that defines (and registers) it
ARCH_MODULES: dict[str, str] = {
    "pona": "pona",
    "structflow": "structflow",
    "attnflow": "attnflow",
    "spt-parsing": "spt",
    "spt-appearance": "spt",
    "scmnet": "scmnet",
    "scmnet-face": "scmnet",
    "refine-pose": "refine",
    "refine-garment": "refine",
    "refine-face": "refine",
}

TASKS = ("pose", "garment", "face", "attribute", "parsing")


@dataclass(frozen=True)
class InputSpec:
    """One named input. ``kind`` says how prepare.py builds it:
    image: RGB in [-1, 1]; heatmaps: 18 Gaussian channels; parsing: one-hot over
    ``label_set``; mask: 1 channel in {0, 1}; edges: 1 channel in [0, 1];
    style: per-region style codes produced by another call of the same net;
    prior: the engine's weight-free answer to the request (the puppet warp), RGB in [-1, 1];
    prior_visibility: 1 channel in [0, 1], where that warp shows the moved body."""

    channels: int
    kind: str
    label_set: str | None = None


@dataclass
class ArchInfo:
    name: str
    cls: type
    tasks: tuple[str, ...]
    presets: dict[str, dict] = field(default_factory=dict)
    paper: str = ""


_REGISTRY: dict[str, ArchInfo] = {}


class Generator(nn.Module):
    """Base class: subclasses set ``INPUTS``/``OUTPUTS`` (class or instance level)
    and take their config as keyword arguments, including ``height``/``width``."""

    arch: str = ""
    INPUTS: dict[str, InputSpec] = {}
    OUTPUTS: tuple[str, ...] = ("image",)  # primary output first

    def __init__(self, height: int = 256, width: int = 176, **config):
        super().__init__()
        self.height, self.width = int(height), int(width)
        self.config = {"height": self.height, "width": self.width, **config}

    @property
    def inputs(self) -> dict[str, InputSpec]:
        return dict(self.INPUTS)

    @property
    def outputs(self) -> tuple[str, ...]:
        return tuple(self.OUTPUTS)

    def input_shapes(self, batch: int = 1) -> dict[str, tuple[int, ...]]:
        return {n: (batch, s.channels, self.height, self.width) for n, s in self.inputs.items()}

    def example_inputs(self, batch: int = 1, seed: int = 0) -> dict[str, torch.Tensor]:
        """Random inputs of the declared shapes and value ranges (for checks and export)."""
        g = torch.Generator().manual_seed(seed)
        out = {}
        for name, spec in self.inputs.items():
            shape = (batch, spec.channels, self.height, self.width)
            if spec.kind in ("image", "prior"):
                out[name] = torch.rand(shape, generator=g) * 2 - 1
            elif spec.kind == "parsing":
                idx = torch.randint(0, spec.channels, (batch, self.height, self.width), generator=g)
                out[name] = nn.functional.one_hot(idx, spec.channels).permute(0, 3, 1, 2).float()
            elif spec.kind == "mask":
                out[name] = (torch.rand(shape, generator=g) > 0.5).float()
            else:
                out[name] = torch.rand(shape, generator=g)
        return out

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def register(name: str, *, tasks: tuple[str, ...], presets: dict[str, dict], paper: str = ""):
    """Class decorator: make ``cls`` buildable as ``name`` with named config presets."""

    def deco(cls):
        cls.arch = name
        _REGISTRY[name] = ArchInfo(name, cls, tuple(tasks), dict(presets), paper)
        return cls

    return deco


def arch_info(arch: str) -> ArchInfo:
    if arch not in ARCH_MODULES:
        raise KeyError(f"unknown arch {arch!r}; known: {', '.join(sorted(ARCH_MODULES))}")
    if arch not in _REGISTRY:
        importlib.import_module(f"posestudio.nets.{ARCH_MODULES[arch]}")
    return _REGISTRY[arch]


def list_archs() -> list[str]:
    return list(ARCH_MODULES)


def preset_config(arch: str, preset: str = "small") -> dict:
    info = arch_info(arch)
    if preset not in info.presets:
        raise KeyError(f"arch {arch!r} has no preset {preset!r}; presets: {', '.join(info.presets)}")
    return dict(info.presets[preset])


def build(arch: str, preset: str | None = "small", **config) -> Generator:
    """Build ``arch`` from a named preset, with ``config`` overriding its keys."""
    info = arch_info(arch)
    cfg = preset_config(arch, preset) if preset else {}
    cfg.update(config)
    return info.cls(**cfg)
