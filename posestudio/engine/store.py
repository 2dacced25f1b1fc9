"""The model store: shipped cards in ``models/`` and the user's in ``paths.models_dir()``.

Each model is ``NAME.card.json`` + ``NAME.safetensors`` side by side. The store
lists, imports, verifies (sha256, tensor names and shapes against the state
dict of ``nets.build(arch)``) and removes models. A corrupt or mismatched file
gives a one-line :class:`InputError` naming it; the other models keep working.
Weights are safetensors only: pickles are never loaded from the store.
"""

from __future__ import annotations

import copy
import glob
import hashlib
import re
import threading
from pathlib import Path

from posestudio import paths
from posestudio.engine.cards import CARD_SUFFIX, MODEL_NAME, ModelCard
from posestudio.errors import InputError

_NAME = MODEL_NAME


def check_name(name: str) -> str:
    if not _NAME.match(name) or name == "puppet":
        raise InputError(f"model name {name!r} must be letters, digits, '.', '_' or '-' (and not 'puppet')")
    return name


def folders() -> list[Path]:
    """Where cards are looked for: the user's folder first (it shadows shipped cards)."""
    return [paths.models_dir(), paths.shipped_models_dir()]


# (folders + card files, their mtimes) -> (cards, errors): one scan per change, not per preview
_listing: tuple[tuple, list[ModelCard], list[str], list[Path]] | None = None
_listing_lock = threading.Lock()


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _stamp(files: list[Path]) -> tuple:
    """The folders' mtimes (a card added, removed or replaced) and the known card files'
    (a card rewritten in place): a few stat calls, no directory listing, no JSON."""
    return (tuple((str(f), _mtime(f)) for f in folders()), tuple(_mtime(f) for f in files))


def forget() -> None:
    """Drop the cached listing (install/remove call it; edits that keep the folder's
    mtime, e.g. a card rewritten within one clock tick, need it too)."""
    global _listing
    with _listing_lock:
        _listing = None


def _scan() -> tuple[list[ModelCard], list[str], list[Path]]:
    seen: dict[str, ModelCard] = {}
    errors: list[str] = []
    files: list[Path] = []
    for folder in folders():
        if not folder.is_dir():
            continue
        for f in sorted(folder.glob("*" + CARD_SUFFIX)):
            files.append(f)
            try:
                card = ModelCard.load(f)
            except (InputError, OSError, TypeError, ValueError) as exc:
                errors.append(str(exc) if isinstance(exc, InputError) else f"{f}: {exc}")
                continue
            seen.setdefault(card.name, card)
    return list(seen.values()), errors, files


def list_cards(task: str | None = None, errors: list[str] | None = None) -> list[ModelCard]:
    """All readable cards (for ``task`` when given). Unreadable cards are skipped,
    with their one-line error appended to ``errors``. The folders are read again only
    when a folder's or a card file's mtime changed (or after :func:`forget`); callers
    get copies, so changing a card never changes the cache."""
    global _listing
    with _listing_lock:
        cached = _listing
    if cached is None or cached[0] != _stamp(cached[3]):
        stamp = _stamp([])  # taken before the scan: a change during it triggers the next one
        cards, errs, files = _scan()
        cached = ((stamp[0], tuple(_mtime(f) for f in files)), cards, errs, files)
        with _listing_lock:
            _listing = cached
    if errors is not None:
        errors.extend(cached[2])
    return [copy.deepcopy(c) for c in cached[1] if task is None or c.serves(task)]


def find(name: str) -> ModelCard:
    """The card called ``name``; InputError listing the installed ones when there is none."""
    for card in list_cards():
        if card.name == name:
            return card
    names = ", ".join(c.name for c in list_cards()) or "none"
    raise InputError(f"no model named {name!r} is installed (installed: {names}; plus 'puppet')")


def sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_state(card: ModelCard, check_hash: bool = True) -> dict:
    """The card's weights as a dict of torch tensors (safetensors only), checked
    against the card's sha256. InputError naming the file when anything is off."""
    wp = card.weights_path
    if wp is None:
        raise InputError(f"model {card.name!r} has no weights file in its card", card.path)
    if wp.suffix != ".safetensors":
        raise InputError("only .safetensors weights are loaded (no pickles)", wp)
    if not wp.is_file():
        raise InputError("weights file is missing", wp)
    if check_hash and card.sha256 and sha256(wp) != card.sha256:
        raise InputError("weights file is corrupt (sha256 differs from its model card)", wp)
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(wp))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise InputError(
            f"weights file cannot be read as safetensors ({' '.join(str(exc).split())})", wp
        ) from None


def build_model(card: ModelCard, check_hash: bool = True):
    """The card's generator with its weights loaded (eval mode). Tensor names and
    shapes are compared with ``build(arch)`` first: a mismatch names the file."""
    from posestudio.nets.registry import build

    state = load_state(card, check_hash)
    net = build(card.arch, preset=card.preset, **card.build_config())
    check_shapes(net.state_dict(), state, card.weights_path)
    net.load_state_dict(state, strict=True)
    return net.eval()


def check_shapes(expected: dict, got: dict, path) -> None:
    missing = [k for k in expected if k not in got]
    extra = [k for k in got if k not in expected]
    wrong = [k for k in expected if k in got and tuple(expected[k].shape) != tuple(got[k].shape)]
    if missing or extra or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} tensors missing (e.g. {missing[0]})")
        if extra:
            parts.append(f"{len(extra)} unexpected (e.g. {extra[0]})")
        if wrong:
            k = wrong[0]
            parts.append(
                f"{len(wrong)} of the wrong shape (e.g. {k}: {tuple(got[k].shape)} "
                f"instead of {tuple(expected[k].shape)})"
            )
        raise InputError("weights do not fit the card's arch: " + "; ".join(parts), path)


# -- import / verify / remove ---------------------------------------------------------
def _input_specs(net) -> dict[str, dict]:
    return {
        n: {"channels": int(s.channels), "kind": s.kind, "label_set": s.label_set}
        for n, s in net.inputs.items()
    }


def _install(card: ModelCard, folder: Path, force: bool, write_weights) -> ModelCard:
    """Put NAME.safetensors (written by ``write_weights(tmp_path)``, then renamed into
    place) and the card beside it into ``folder``; refuses to replace without ``force``."""
    folder.mkdir(parents=True, exist_ok=True)
    card_path = folder / f"{card.name}{CARD_SUFFIX}"
    weights = folder / f"{card.name}.safetensors"
    if not force and (card_path.exists() or weights.exists()):
        raise InputError(f"a model named {card.name!r} exists already (remove it or pass --force)", card_path)
    tmp = weights.with_name(weights.name + ".tmp")
    write_weights(tmp)
    tmp.replace(weights)
    card.weights = weights.name
    card.sha256 = sha256(weights)
    card.save(card_path)
    forget()
    return card


def _write(card: ModelCard, state: dict, folder: Path, force: bool) -> ModelCard:
    """Save ``state`` as NAME.safetensors and the card beside it (atomically, in the user folder)."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().contiguous().cpu() for k, v in state.items()}
    return _install(card, folder, force, lambda tmp: save_file(
        tensors, str(tmp), metadata={"arch": card.arch, "format": "posestudio-1"}))


def import_pona(path: str | Path, name: str | None = None, force: bool = False, **card_fields) -> ModelCard:
    """Convert the PoNA authors' generator checkpoint (``netG`` .pth, read with
    ``torch.load(weights_only=True)`` by ``nets.official``) into our safetensors
    + card in the user's model folder."""
    import torch

    from posestudio.nets.official import load_pona_checkpoint
    from posestudio.nets.registry import arch_info, build

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path)
    name = check_name(name or re.sub(r"[^A-Za-z0-9._-]", "-", path.stem))
    try:
        cfg, state = load_pona_checkpoint(path)
    except ValueError as exc:
        msg = str(exc)
        raise InputError(msg.split(": ", 1)[1] if msg.startswith(str(path)) else msg, path) from None
    cfg = dict(cfg)
    h, w = int(cfg.pop("height")), int(cfg.pop("width"))
    with torch.device("meta"):
        net = build("pona", preset=None, height=h, width=w, **cfg)
    check_shapes(net.state_dict(), state, path)
    card = ModelCard(
        name=name, arch="pona", task="pose", resolution=(h, w), preset=None, config=cfg,
        inputs=_input_specs(net), outputs=tuple(net.outputs), label_set=None,
        source=card_fields.pop("source", f"imported from {path.name}"),
        licence=card_fields.pop("licence", "see the checkpoint's origin"),
        training_data=card_fields.pop("training_data", "DeepFashion" if h == 256 else "Market-1501"),
        paper=arch_info("pona").paper, **card_fields,
    )  # fmt: skip
    return _write(card, state, paths.models_dir(), force)


def import_safetensors(
    path: str | Path, arch: str, name: str | None = None, preset: str | None = "small",
    task: str | None = None, force: bool = False, config: dict | None = None,
) -> ModelCard:  # fmt: skip
    """Add weights in our own safetensors format (e.g. from ``posestudio train``) for
    ``arch`` built from ``preset`` + ``config``; names and shapes are checked first."""
    import torch

    from posestudio.nets.registry import arch_info, build

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path)
    name = check_name(name or re.sub(r"[^A-Za-z0-9._-]", "-", path.stem))
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise InputError(f"cannot be read as safetensors ({' '.join(str(exc).split())})", path) from None
    info = arch_info(arch)
    cfg = dict(config or {})
    with torch.device("meta"):
        net = build(arch, preset=preset, **cfg)
    check_shapes(net.state_dict(), state, path)
    full = dict(net.config)
    h, w = int(full.pop("height")), int(full.pop("width"))
    card = ModelCard(
        name=name, arch=arch, task=task or info.tasks[0], tasks=tuple(info.tasks), resolution=(h, w),
        preset=None, config=full, inputs=_input_specs(net), outputs=tuple(net.outputs),
        label_set=next((s.label_set for s in net.inputs.values() if s.label_set), None),
        source=f"imported from {path.name}", paper=info.paper,
    )  # fmt: skip
    return _write(card, state, paths.models_dir(), force)


def run_card_path(path: str | Path) -> Path:
    """The model card of a training run: ``RUN_DIR/model.card.json``, or the card file itself."""
    path = Path(path)
    if path.is_dir():
        card = path / "model.card.json"  # training.checkpoints.CARD (training imports engine, not back)
        if not card.is_file():
            raise InputError("no model.card.json in this folder (is it a `posestudio train` run?)", path)
        return card
    if not path.is_file():
        raise InputError("no such file or folder", path)
    if not path.name.endswith(".json"):
        raise InputError("expected a training run folder or its model.card.json", path)
    return path


def import_run(path: str | Path, name: str | None = None, force: bool = False, folder: str | Path | None = None,
               **card_fields) -> ModelCard:  # fmt: skip
    """Install a training run's model: read its card (``model.card.json``, as written by
    ``training.checkpoints.export``) and the safetensors it names, check the tensor names
    and shapes against ``build(arch, preset=None, **card.build_config())`` -- the card's
    full config, so runs trained with ``--size``/``--set`` overrides import as trained --
    and copy both into the user's model folder (or ``folder``: ``models/`` when shipping a
    default) under ``name`` (default: the card's). ``card_fields`` replace card fields
    (``metrics``, ``description``, ``licence`` ...)."""
    import torch

    from posestudio.nets.registry import arch_info, list_archs

    card_path = run_card_path(path)
    src = ModelCard.load(card_path)
    if src.is_puppet or src.arch not in list_archs():
        raise InputError(f"model card names an unknown arch {src.arch!r}", card_path)
    wp = src.weights_path
    if wp is None:
        raise InputError("model card names no weights file", card_path)
    if wp.suffix != ".safetensors":
        raise InputError("only .safetensors weights are imported (no pickles)", wp)
    if not wp.is_file():
        raise InputError("weights file named by the model card is missing", wp)
    if src.sha256 and sha256(wp) != src.sha256:
        raise InputError("weights file differs from its model card (sha256)", wp)
    state = load_state(src, check_hash=False)
    from posestudio.nets.registry import build

    try:
        with torch.device("meta"):
            net = build(src.arch, preset=src.preset, **src.build_config())
    except (TypeError, ValueError, KeyError) as exc:
        raise InputError(f"model card's config does not build {src.arch!r} ({exc})", card_path) from None
    check_shapes(net.state_dict(), state, wp)
    info = arch_info(src.arch)
    full = dict(net.config)
    h, w = int(full.pop("height")), int(full.pop("width"))
    data = src.to_json()
    data.pop("format", None)
    data.update(
        name=check_name(name or src.name), resolution=(h, w), preset=None, config=full,
        inputs=_input_specs(net), outputs=tuple(net.outputs), tasks=tuple(src.tasks or info.tasks),
        source=src.source or f"imported from {card_path}", paper=src.paper or info.paper,
    )  # fmt: skip
    data.update(card_fields)
    card = ModelCard.from_json(data)
    dest = Path(folder) if folder is not None else paths.models_dir()
    dest.mkdir(parents=True, exist_ok=True)
    return _copy_in(card, wp, dest, force)


def _copy_in(card: ModelCard, weights_src: Path, folder: Path, force: bool) -> ModelCard:
    """Copy checked safetensors byte for byte (same sha256 as the run's) + the card, atomically."""
    import shutil

    return _install(card, folder, force, lambda tmp: shutil.copyfile(weights_src, tmp))


def verify(card: ModelCard) -> str | None:
    """None when the card's weights are intact and fit its arch; else the one-line problem."""
    try:
        build_model(card, check_hash=True)
    except InputError as exc:
        return str(exc)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        return f"{card.path}: {' '.join(str(exc).split())}"
    return None


def remove(name: str) -> list[Path]:
    """Delete a user model (card + weights + cached ONNX files). Shipped models cannot be removed."""
    card = find(name)
    if card.path is None or card.path.parent.resolve() != paths.models_dir().resolve():
        raise InputError(f"model {name!r} ships with PoseStudio and cannot be removed", card.path)
    gone = []
    for p in (card.path, card.weights_path):
        if p is not None and p.exists():
            p.unlink()
            gone.append(p)
    forget()
    for p in onnx_cache_dir().glob(f"{glob.escape(card.name)}.*"):
        p.unlink()
        gone.append(p)
    return gone


def onnx_cache_dir() -> Path:
    d = paths.cache_dir() / "onnx"
    d.mkdir(parents=True, exist_ok=True)
    return d
