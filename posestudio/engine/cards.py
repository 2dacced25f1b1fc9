"""Model cards: one small JSON file per trained model, beside its weights.

A card says what the weights are (arch + preset + config overrides, so that
``nets.build(arch, preset, **config)`` rebuilds the exact module), which task
they serve, the resolution and inputs the net expects, the weights file and
its sha256, and where they came from (source, licence, training data,
measured metrics). The weights themselves are safetensors, never pickles.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from posestudio.errors import InputError

CARD_SUFFIX = ".card.json"
FORMAT_VERSION = 1


@dataclass
class ModelCard:
    name: str
    arch: str
    task: str  # the main task; ``tasks`` lists every task the weights serve
    resolution: tuple[int, int] = (256, 176)  # (height, width)
    preset: str | None = None
    config: dict = field(default_factory=dict)
    inputs: dict[str, dict] = field(default_factory=dict)  # name -> {channels, kind, label_set}
    outputs: tuple[str, ...] = ("image",)
    label_set: str | None = None
    weights: str | None = None  # file name beside the card
    sha256: str | None = None
    source: str = ""
    licence: str = ""
    training_data: str = ""
    metrics: dict = field(default_factory=dict)
    paper: str = ""
    description: str = ""
    tasks: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False, repr=False)  # the card file, not saved

    def serves(self, task: str) -> bool:
        """Whether these weights can run ``task`` (the puppet serves every task)."""
        return self.is_puppet or task == self.task or task in self.tasks

    @property
    def is_puppet(self) -> bool:
        return self.arch == "puppet"

    @property
    def weights_path(self) -> Path | None:
        if self.weights is None or self.path is None:
            return None
        return self.path.parent / self.weights

    @property
    def height(self) -> int:
        return int(self.resolution[0])

    @property
    def width(self) -> int:
        return int(self.resolution[1])

    def build_config(self) -> dict:
        """Keyword arguments for ``nets.build(arch, preset=..., **config)``."""
        return {"height": self.height, "width": self.width, **self.config}

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("path")
        d["resolution"] = list(self.resolution)
        d["outputs"] = list(self.outputs)
        d["tasks"] = list(self.tasks)
        d["format"] = FORMAT_VERSION
        return d

    def save(self, path: str | Path) -> Path:
        from posestudio.core.formats.atomic import atomic_write_bytes

        path = Path(path)
        atomic_write_bytes(path, (json.dumps(self.to_json(), indent=2, sort_keys=False) + "\n").encode())
        self.path = path
        return path

    @classmethod
    def from_json(cls, data: dict, path: Path | None = None) -> ModelCard:
        known = set(cls.__dataclass_fields__) - {"path"}
        missing = [k for k in ("name", "arch", "task") if k not in data]
        if missing:
            raise InputError(f"model card lacks {', '.join(missing)}", path)
        kw = {k: v for k, v in data.items() if k in known}
        kw["resolution"] = tuple(int(v) for v in kw.get("resolution", (256, 176)))
        kw["outputs"] = tuple(kw.get("outputs", ("image",)))
        kw["tasks"] = tuple(kw.get("tasks", ()))
        return cls(**kw, path=path)

    @classmethod
    def load(cls, path: str | Path) -> ModelCard:
        path = Path(path)
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise InputError(f"model card is not valid JSON ({exc.msg} at line {exc.lineno})", path) from None
        if not isinstance(data, dict):
            raise InputError("model card is not a JSON object", path)
        return cls.from_json(data, path)


def default_verdict(card: ModelCard) -> tuple[bool, str]:
    """Whether ``auto`` may pick ``card`` over the weight-free engine, and the short reason.

    A trained model earns it only with a real-photo record in ``metrics["realpairs"]``
    (``posestudio eval MODEL --realpairs``): it beats the engine measured in the same run
    in both SSIM and PSNR, and passes the identity and locality checks. Synthetic-data
    scores alone never make a default."""
    if card.is_puppet:
        return True, "weight-free engine"
    rec = card.metrics.get("realpairs") if isinstance(card.metrics, dict) else None
    if not isinstance(rec, dict) or "model" not in rec or "engine" not in rec:
        return False, "no real-photo record"
    try:
        m, e = rec["model"], rec["engine"]
        beats = float(m["ssim"]) > float(e["ssim"]) and float(m["psnr"]) > float(e["psnr"])
        identity = bool(rec["identity"]["pass"])
        locality = bool(rec["locality"]["pass"])
    except (KeyError, TypeError, ValueError):
        return False, "real-photo record incomplete"
    if not identity:
        return False, "fails identity"
    if not locality:
        return False, "fails locality"
    if not beats:
        return False, "loses to engine on real photos"
    return True, "beats engine on real photos"


PUPPET = ModelCard(
    name="puppet",
    arch="puppet",
    task="pose",
    resolution=(0, 0),
    outputs=("image", "flow", "visibility", "parsing"),
    source="built in",
    licence="MIT",
    training_data="none (classical per-part affine warp)",
    description="Weight-free warp of the ten rigid body parts; any image size; always available.",
)


def puppet_card(task: str) -> ModelCard:
    """The built-in puppet warp as a card for ``task`` (it serves every task)."""
    d = PUPPET.to_json()
    d.pop("format")
    d["task"] = task
    return ModelCard.from_json(d)
