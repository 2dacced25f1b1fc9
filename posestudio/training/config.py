"""The full configuration of one training run, saved as ``RUN_DIR/config.json``.

Every command-line option of ``posestudio train`` lands in :class:`TrainConfig`; a
resumed run reads the saved one back (the command line may only change ``steps``,
``sample_every``, ``device`` and the logging cadence).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from posestudio.errors import InputError
from posestudio.training.recipes.registry import RECIPES

# `--preset paper`: the generator's own preset and everything else from training.paper_presets
PAPER = "paper"

# the options a resumed run may change
RESUME_MUTABLE = ("steps", "sample_every", "log_every", "save_every", "device", "workers")


def parse_size(text: str | None) -> tuple[int, int] | None:
    """``"64x48"`` -> (64, 48) = (height, width)."""
    if text is None:
        return None
    try:
        h, w = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise InputError(f"--size must be HEIGHTxWIDTH (e.g. 64x48), got {text!r}") from None
    if h < 8 or w < 8:
        raise InputError(f"--size {text}: both sides must be at least 8 pixels")
    return h, w


def parse_phases(text: str | None) -> dict[str, int]:
    """``"flow=100,e2e=900"`` -> {"flow": 100, "e2e": 900}."""
    if not text:
        return {}
    out = {}
    for part in str(text).split(","):
        name, _, n = part.partition("=")
        try:
            out[name.strip()] = int(n)
        except ValueError:
            raise InputError(f"--phases must be NAME=STEPS,..., got {text!r}") from None
        if out[name.strip()] < 0:
            raise InputError(f"--phases: negative step count in {text!r}")
    return out


@dataclass
class TrainConfig:
    arch: str
    data: str = "synth"
    out: str = "run"
    steps: int | None = None  # None: 1000, or the paper's with --preset paper
    batch: int | None = None  # None: 4, or the paper's
    preset: str = "small"  # a generator preset (full, small, tiny) or "paper"
    size: tuple[int, int] | None = None  # (H, W); None = the preset's
    lr: float | None = None  # None: the recipe's (training.recipes.registry.RECIPES)
    lr_d: float | None = None  # discriminators (default: lr)
    betas: tuple[float, float] | None = None
    vgg_weights: str | None = None
    sample_every: int = 100
    log_every: int = 1
    save_every: int = 500
    device: str = "cpu"
    amp: bool = False
    seed: int = 0
    ema_decay: float = 0.999
    gan_mode: str = "lsgan"
    loss_weights: str = "deepfashion"  # PoNA: "deepfashion" (5, 1, 1) | "market" (5, 10, 10)
    phases: dict[str, int] = field(default_factory=dict)  # explicit phase lengths (last phase: the rest)
    ndf: int = 32  # discriminator width
    synth_length: int = 100000
    workers: int = 0
    overrides: dict = field(default_factory=dict)  # generator config overrides (e.g. ngf)
    # SPT's 128 -> 256 schedule (Sec. 4.1; training.recipes.spt): half size first, then H_A at
    # the full size. None: on for spt with --preset paper, off otherwise
    progressive: bool | None = None
    # filled by the recipe, saved for the record: losses left out for want of --vgg-weights
    dropped_losses: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.arch not in RECIPES:
            raise InputError(f"unknown recipe {self.arch!r}; known: {', '.join(RECIPES)}")
        lr, betas = RECIPES[self.arch].lr, RECIPES[self.arch].betas
        steps, batch = 1000, 4
        if self.preset == PAPER:
            from posestudio.training.paper_presets import PAPER_PRESETS

            if self.arch not in PAPER_PRESETS:
                raise InputError(f"--preset paper: {self.arch} follows no paper; use full, small or tiny")
            p = PAPER_PRESETS[self.arch]
            lr, betas, steps, batch = p.lr, p.betas, p.steps, p.batch
            self.size = self.size or p.size
            if self.lr_d is None and p.lr_d_ratio != 1.0:
                self.lr_d = p.lr_d_ratio * float(lr if self.lr is None else self.lr)
        if self.progressive is None:
            self.progressive = self.preset == PAPER and self.arch == "spt"
        self.progressive = bool(self.progressive)
        if self.progressive and self.arch != "spt":
            raise InputError(f"--progressive: only spt trains progressively (SPT Sec. 4.1), not {self.arch}")
        self.steps = steps if self.steps is None else int(self.steps)
        self.batch = batch if self.batch is None else int(self.batch)
        if self.size is not None:
            self.size = (int(self.size[0]), int(self.size[1]))
        self.lr = float(lr if self.lr is None else self.lr)
        betas = betas if self.betas is None else self.betas
        self.betas = (float(betas[0]), float(betas[1]))
        for name in ("steps", "batch", "sample_every", "log_every", "save_every"):
            if int(getattr(self, name)) < (0 if name in ("steps", "sample_every", "save_every") else 1):
                raise InputError(f"--{name.replace('_', '-')} must be positive, got {getattr(self, name)}")

    @property
    def net_preset(self) -> str:
        """The generator preset to build: ``full`` for ``--preset paper``."""
        return "full" if self.preset == PAPER else self.preset

    @classmethod
    def default(cls, name: str):
        """The default of option ``name`` (the command line reads its defaults here)."""
        f = cls.__dataclass_fields__[name]
        return f.default_factory() if callable(f.default_factory) else f.default

    @property
    def archs(self) -> tuple[str, ...]:
        return RECIPES[self.arch].archs

    def to_json(self) -> dict:
        d = asdict(self)
        d["size"] = list(self.size) if self.size else None
        d["betas"] = list(self.betas)
        return d

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n")

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        if kw.get("size"):
            kw["size"] = tuple(kw["size"])
        if "betas" in kw:
            kw["betas"] = tuple(kw["betas"])
        return cls(**kw)

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        path = Path(path)
        try:
            return cls.from_json(json.loads(path.read_text()))
        except (OSError, json.JSONDecodeError, TypeError) as exc:
            raise InputError(
                f"cannot read the run's config ({exc.__class__.__name__}: {exc})", path
            ) from None
