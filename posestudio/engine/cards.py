"""Model cards: one small JSON file per trained model, beside its weights.

A card says what the weights are (arch + preset + config overrides, so that
``nets.build(arch, preset, **config)`` rebuilds the exact module), which task
they serve, the resolution and inputs the net expects, the weights file and
its sha256, and where they came from (source, licence, training data,
measured metrics). The weights themselves are safetensors, never pickles.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from posestudio.errors import InputError

CARD_SUFFIX = ".card.json"
# a model name becomes file names (NAME.safetensors, NAME.card.json, cached NAME.*.onnx)
MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
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
        return self.path.parent / plain_file_name(self.weights, "weights", self.path)

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
        # the name becomes file names (NAME.safetensors, cached NAME.*.onnx) and ``weights``
        # is a file beside the card: neither may climb out of the model folder
        plain_file_name(kw["name"], "name", path)
        if not MODEL_NAME.match(kw["name"]):
            raise InputError(f"model card name {kw['name'][:80]!r} must be letters, digits, '.', '_' or '-'", path)
        if kw.get("weights") is not None:
            plain_file_name(kw["weights"], "weights", path)
        for key in ("arch", "task"):
            if not isinstance(kw[key], str):
                raise InputError(f"model card field {key!r} must be a string", path)
        if not isinstance(kw.get("config", {}), dict) or not isinstance(kw.get("inputs", {}), dict):
            raise InputError("model card fields 'config' and 'inputs' must be JSON objects", path)
        try:
            kw["resolution"] = tuple(int(v) for v in kw.get("resolution", (256, 176)))
            kw["outputs"] = tuple(str(v) for v in kw.get("outputs", ("image",)))
            kw["tasks"] = tuple(str(v) for v in kw.get("tasks", ()))
        except (TypeError, ValueError, OverflowError) as exc:
            raise InputError(f"model card has a malformed resolution/outputs/tasks ({exc})", path) from None
        if len(kw["resolution"]) != 2 or not all(0 <= v <= 1 << 16 for v in kw["resolution"]):
            raise InputError(f"model card resolution {list(kw['resolution'])} is not [height, width]", path)
        return cls(**kw, path=path)

    @classmethod
    def load(cls, path: str | Path) -> ModelCard:
        from posestudio.core.formats import load_json

        path = Path(path)
        data = load_json(path, what="model card")
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


def personal_wins(record) -> bool:
    """Whether a personal model's held-out record (``score.json``, :mod:`training.personal.score`)
    beats the engine: higher SSIM and PSNR on the held-out frames, identity passed, and no more
    change outside the bent forearm than the engine makes (or locality passed outright)."""
    try:
        m, e = record["personal"], record["engine"]
        beats = float(m["ssim"]) > float(e["ssim"]) and float(m["psnr"]) > float(e["psnr"])
        identity = record["identity"] is True
        loc, eloc = record["locality"], record.get("engine_locality") or {}
        local = bool(loc.get("pass")) or (
            loc.get("max") is not None and eloc.get("max") is not None and float(loc["max"]) <= float(eloc["max"]))
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return bool(beats and identity and local)


def personal_verdict(card: ModelCard) -> tuple[bool, str]:
    """Whether ``auto`` may pick ``card`` for the documents that name it as their personal
    model: its card's ``metrics["personal"]["score"]`` (recomputed, never a stored flag alone)
    says it beats the engine on the character's held-out frames."""
    rec = card.metrics.get("personal") if isinstance(card.metrics, dict) else None
    if not isinstance(rec, dict) or not isinstance(rec.get("score"), dict):
        return False, "not a personal model"
    if not personal_wins(rec["score"]):
        return False, "loses to the engine on its held-out frames"
    return True, "beats the engine on its character's held-out frames"


def plain_file_name(value, field_name: str, card_path: Path | None) -> str:
    """``value`` when it is a plain file name (no folder part, no ``..``, not absolute);
    else an InputError naming the card: card fields name files inside the model folder only."""
    if (not isinstance(value, str) or not value or value in (".", "..") or "/" in value or "\\" in value
            or "\0" in value or value != value.strip() or Path(value).is_absolute() or len(value) > 200):
        raise InputError(f"model card field {field_name!r} must be a plain file name inside the model folder, "
                         f"got {str(value)[:80]!r}", card_path)
    return value


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
