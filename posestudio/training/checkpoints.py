"""What a run folder keeps, apart:

- ``state.pt``: the resumable training state — every module's and optimiser's state
  dict, the EMA copies, the grad scaler, the step and the RNG states. Only tensors and
  plain containers are stored, so it loads with ``torch.load(weights_only=True)``.
  Ranks other than 0 keep their RNG state in ``state_rank{R}.pt``.
- ``weights.safetensors``: the EMA generator (first arch of the recipe) for inference,
  with ``model.card.json`` written by :class:`posestudio.engine.cards.ModelCard`; extra
  generators (SPT's H_S) as ``{arch}.safetensors`` + ``{arch}.card.json``.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
import torch

from posestudio.errors import InputError

STATE = "state.pt"
WEIGHTS = "weights.safetensors"
CARD = "model.card.json"


def rng_state() -> dict:
    np_state = np.random.get_state()
    out = {
        "torch": torch.get_rng_state(),
        "numpy": [np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *[int(v) for v in np_state[2:4]],
                  float(np_state[4])],
        "python": random.getstate(),
    }  # fmt: skip
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state((n[0], n[1].numpy().astype(np.uint32), n[2], n[3], n[4]))
    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _atomic_save(obj, path: Path) -> None:
    """``torch.save`` to a temporary file, then replace: a full disk leaves the previous file
    whole (and no half-written temporary beside it)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        torch.save(obj, tmp)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_state(run_dir: Path, recipe, step: int, rank: int = 0) -> None:
    """Write the resumable state after ``step`` steps (rank 0: everything; others: RNG only)."""
    if rank != 0:
        _atomic_save({"step": step, "rng": rng_state()}, run_dir / f"state_rank{rank}.pt")
        return
    state = {
        "step": int(step),
        "modules": {k: m.state_dict() for k, m in recipe.modules.items()},
        "ema": {k: e.state_dict() for k, e in recipe.ema.items()},
        "optimizers": {k: o.state_dict() for k, o in recipe.optimizers.items()},
        "scaler": recipe.amp.scaler.state_dict(),
        "rng": rng_state(),
    }
    _atomic_save(state, run_dir / STATE)


def load_state(run_dir: Path, recipe, rank: int = 0) -> int:
    """Restore ``recipe`` from ``state.pt``; returns the step to continue from."""
    path = run_dir / STATE
    if not path.is_file():
        raise InputError("--resume: no state.pt in the run folder", run_dir)
    try:
        state = torch.load(path, map_location=recipe.device, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - a damaged file of any kind
        raise InputError(f"cannot read the training state ({exc.__class__.__name__})", path) from None
    for k, m in recipe.modules.items():
        m.load_state_dict(state["modules"][k])
    for k, e in recipe.ema.items():
        e.model.load_state_dict(state["ema"][k])
    for k, o in recipe.optimizers.items():
        o.load_state_dict(state["optimizers"][k])
    if state.get("scaler"):
        recipe.amp.scaler.load_state_dict(state["scaler"])
    rng = state["rng"]
    if rank != 0:
        rp = run_dir / f"state_rank{rank}.pt"
        if rp.is_file():
            rng = torch.load(rp, map_location="cpu", weights_only=True)["rng"]
    rng["torch"] = rng["torch"].cpu()
    set_rng_state(rng)
    return int(state["step"])


def model_name(run_dir: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "-", Path(run_dir).resolve().name).strip("-._") or "run"
    return name if name != "puppet" else "puppet-run"


def export(run_dir: Path, recipe, step: int, training_data: str) -> list[Path]:
    """EMA generators as safetensors + model cards (``cards.ModelCard``) the store can import."""
    from safetensors.torch import save_file

    from posestudio.engine.cards import ModelCard
    from posestudio.engine.store import sha256
    from posestudio.nets.registry import arch_info

    written = []
    for i, (arch, ema) in enumerate(recipe.ema.items()):
        net = ema.model
        weights = run_dir / (WEIGHTS if i == 0 else f"{arch}.safetensors")
        card_path = run_dir / (CARD if i == 0 else f"{arch}.card.json")
        tensors = {k: v.detach().float().contiguous().cpu() for k, v in net.state_dict().items()}
        tmp = weights.with_name(weights.name + ".tmp")
        save_file(tensors, str(tmp), metadata={"arch": arch, "format": "posestudio-1", "step": str(step)})
        tmp.replace(weights)
        cfg = dict(net.config)
        h, w = int(cfg.pop("height")), int(cfg.pop("width"))
        info = arch_info(arch)
        card = ModelCard(
            name=model_name(run_dir) + ("" if i == 0 else f"-{arch}"), arch=arch, task=info.tasks[0],
            resolution=(h, w), preset=None, config=cfg,
            inputs={n: {"channels": int(s.channels), "kind": s.kind, "label_set": s.label_set}
                    for n, s in net.inputs.items()},
            outputs=tuple(net.outputs),
            label_set=next((s.label_set for s in net.inputs.values() if s.label_set), None),
            weights=weights.name, sha256=sha256(weights), source=f"posestudio train ({recipe.name}, step {step})",
            licence="trained by the user", training_data=training_data, paper=info.paper,
            description=f"EMA weights after {step} steps of the {recipe.name} recipe"
            + (f"; trained without VGG-19 weights, losses dropped: {'; '.join(recipe.dropped_losses)}"
               if recipe.dropped_losses else ""),
        )  # fmt: skip
        card.save(card_path)
        written += [weights, card_path]
    return written
