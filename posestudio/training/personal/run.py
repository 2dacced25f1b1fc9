"""One personal run, headless: material -> training -> held-out check -> installed model.

``posestudio personal`` and the Train dock (through that command, in its own process) call
:func:`run_personal`. The run folder and its files are the contract with the dock
(docs/PERSONAL.md, "Run folder contract"). Training is the ordinary trainer
(:func:`training.loop.train`, recipe ``refine-pose`` or ``scmnet``) reading the material
through :class:`.pairs.MaterialPairs`, with two hooks: stop (the ``STOP`` file, SIGTERM, or
the time budget) and a per-log callback (curves, validation on the held-out frames,
progress with ETA, the newest sample grid).
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posestudio.errors import InputError
from posestudio.training.loop import Hooks
from posestudio.training.personal import material as material_mod
from posestudio.training.personal.progress import CURVES, Progress, append_curve, read_curves

MODELS = {"refine": "refine-pose", "scmnet": "scmnet"}
STOP = "STOP"
TRAIN = "train"
EXIT_CANCELLED = 3
MAX_SIDE = 256  # the training size: the frames' aspect, at most this high/wide
STEPS_WITH_BUDGET = 1_000_000  # with --minutes and no --steps the budget ends the run


@dataclass
class Options:
    source: str | None
    out: str
    model: str = "refine"
    minutes: float | None = None
    steps: int | None = None
    device: str = "auto"
    holdout: int | None = None
    resume: bool = False
    prepare_only: bool = False
    install: bool = True
    name: str | None = None
    batch: int = 4
    seed: int = 0
    val_every: int = 25
    max_frames: int | None = None
    preset: str = "small"  # the generator preset (tiny for a quick CPU run, full on a GPU)
    max_side: int = MAX_SIDE


def resolve_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda: torch sees no GPU on this machine; use --device cpu or auto")
    return device


def train_size(hw: tuple[int, int], arch: str, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """The frames' aspect at most ``max_side`` on the long side, each side a multiple of the net's stride."""
    m = 8 if arch.startswith("refine") else 16
    s = min(1.0, max_side / max(hw))
    return max(m, int(round(hw[0] * s / m)) * m), max(m, int(round(hw[1] * s / m)) * m)


class PersonalHooks(Hooks):
    """Stop on the STOP file, SIGTERM or the time budget; log curves, validation and progress."""

    def __init__(self, run_dir: Path, progress: Progress, val_set, budget_s: float | None, val_every: int,
                 steps: int):  # fmt: skip
        self.run_dir, self.progress, self.val_set = run_dir, progress, val_set
        self.budget_s, self.val_every, self.steps = budget_s, max(1, val_every), steps
        self.cancelled = self.budget_hit = False
        self.signalled = threading.Event()
        self.t0 = time.monotonic()
        self._checked = 0.0
        self._first: tuple[int, float] | None = None
        self._validated = False

    def stop(self) -> bool:
        now = time.monotonic()
        if self.signalled.is_set():
            self.cancelled = True
        elif now - self._checked > 0.25:
            self._checked = now
            self.cancelled = (self.run_dir / STOP).exists()
        if self.budget_s is not None and now - self.t0 >= self.budget_s:
            self.budget_hit = True
        return self.cancelled or self.budget_hit

    def eta(self, step: int) -> float | None:
        now = time.monotonic()
        if self._first is None:
            self._first = (step, now)
            return None
        s0, t0 = self._first
        rate = (now - t0) / max(1, step - s0) if step > s0 else None
        left = None if rate is None else (self.steps - step) * rate
        if self.budget_s is not None:
            budget_left = max(0.0, self.budget_s - (now - self.t0))
            left = budget_left if left is None else min(left, budget_left)
        return left

    def expected_steps(self, step: int, eta: float | None) -> int | None:
        """The steps the run will make: ``--steps``, or with only a time budget the steps the
        budget left will allow at the rate so far (None until there is a rate)."""
        if self.steps < STEPS_WITH_BUDGET:
            return self.steps
        if eta is None or self._first is None or step <= self._first[0]:
            return None
        s0, t0 = self._first
        rate = (time.monotonic() - t0) / (step - s0)
        return step + int(round(eta / rate)) if rate > 0 else None

    def logged(self, step: int, logs: dict, recipe) -> None:
        loss = logs.get("total", next(iter(logs.values()), 0.0))
        append_curve(self.run_dir, {"step": step, "loss": round(float(loss), 6)})
        if not self._validated or step % self.val_every == 0:
            self._validated = True
            append_curve(self.run_dir, {"step": step, **validate(recipe, self.val_set)})
        eta = self.eta(step)
        self.progress.set("train", step=step, steps=self.expected_steps(step, eta), eta_s=eta,
                          sample=newest_sample(self.run_dir),
                          message=f"training: step {step}, loss {float(loss):.4f}")  # fmt: skip


def newest_sample(run_dir: Path) -> str | None:
    files = sorted((run_dir / TRAIN / "samples").glob("step_*.png"))
    return str(files[-1].relative_to(run_dir)) if files else None


def validate(recipe, val_set) -> dict:
    """Mean SSIM (``ssim-plain``) and PSNR of the EMA model on the held-out pairs at the training size."""
    import torch

    from posestudio.training.data import _collate, to_device
    from posestudio.training.metrics import get_metric
    from posestudio.training.prior import target_image, u8

    ssim, psnr = get_metric("ssim-plain"), get_metric("psnr")
    net = recipe.ema[next(iter(recipe.generators))].model
    was_training = net.training
    net.eval()
    s, p = [], []
    with torch.no_grad():
        for k in range(0, len(val_set), 8):
            batch = to_device(_collate([val_set[i] for i in range(k, min(len(val_set), k + 8))]), recipe.device)
            out = net(**{n: batch[n] for n in net.inputs})["image"]
            truth = target_image(batch)
            for o, t in zip(out, truth, strict=True):
                s.append(ssim(u8(o), u8(t)))
                p.append(psnr(u8(o), u8(t)))
    net.train(was_training)
    return {"val_ssim": round(float(np.mean(s)), 5), "val_psnr": round(float(np.mean(p)), 4)}


def _state_step(train_dir: Path) -> int | None:
    import torch

    try:
        return int(torch.load(train_dir / "state.pt", map_location="cpu", weights_only=True)["step"])
    except Exception:  # noqa: BLE001 - no or damaged state: start afresh
        return None


def _keep_curves_until(run_dir: Path, step: int) -> None:
    """On resume: drop curve lines logged after the saved state (they will be logged again)."""
    import json

    from posestudio.core.formats import atomic_write_text

    lines = [json.dumps(r) for r in read_curves(run_dir) if int(r.get("step", 0)) <= step]
    atomic_write_text(run_dir / CURVES, "".join(line + "\n" for line in lines))


def _material(opts: Options, run_dir: Path, progress: Progress, stop) -> material_mod.Material:
    if (run_dir / material_mod.MATERIAL).is_file():
        mat = material_mod.load(run_dir)
        progress.set("prepare", force=True, message=f"material reused: {len(mat.frames)} frames")
        return mat
    if not opts.source:
        raise InputError("no material.json in the run folder: give the folder or video to learn from", run_dir)

    def say(msg, done, total):
        progress.set("prepare", step=done, steps=total, message=msg)

    return material_mod.prepare(opts.source, run_dir, opts.holdout, max_frames=opts.max_frames, say=say, stop=stop)


def run_personal(opts: Options, log=print) -> int:
    """The whole run; returns 0 (done) or 3 (cancelled, resumable). Bad input: InputError.
    A full disk while training: phase "failed", the OSError raised, state.pt as last saved."""
    if opts.model not in MODELS:
        raise InputError(f"--model must be one of {', '.join(MODELS)}, got {opts.model!r}")
    run_dir = Path(opts.out)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / STOP).unlink(missing_ok=True)  # a stale cancel request of the previous session
    device = resolve_device(opts.device)
    progress = Progress(run_dir, device)
    progress.set("prepare", force=True, message="reading the material")
    signalled = threading.Event()
    previous = _on_sigterm(signalled)
    try:
        return _run(opts, run_dir, device, progress, signalled, log)
    except InputError as exc:
        progress.set("failed", force=True, message=str(exc))
        raise
    except OSError as exc:
        progress.set("failed", force=True, message=f"{exc.strerror or exc}; the run folder is resumable with --resume")
        raise
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _on_sigterm(event: threading.Event):
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, lambda *_: event.set())


def _run(opts: Options, run_dir: Path, device: str, progress: Progress, signalled, log) -> int:
    from posestudio.training.config import TrainConfig
    from posestudio.training.loop import train
    from posestudio.training.personal.pairs import MaterialPairs

    def stop_now() -> bool:
        return signalled.is_set() or (run_dir / STOP).exists()

    try:
        mat = _material(opts, run_dir, progress, stop_now)
    except InterruptedError:
        progress.set("cancelled", force=True, message="cancelled while preparing the material")
        return EXIT_CANCELLED
    for note in mat.notes:
        log(note)
    if opts.prepare_only:
        progress.set("done", force=True, step=0, steps=0, eta_s=None,
                     message="material ready: " + "; ".join(mat.notes))  # fmt: skip
        return 0
    arch = MODELS[opts.model]
    train_dir = run_dir / TRAIN
    start = _state_step(train_dir) if opts.resume else None
    if start is None:  # a fresh run: the curves and the old verdict go
        (run_dir / CURVES).unlink(missing_ok=True)
        (run_dir / "score.json").unlink(missing_ok=True)
    else:
        _keep_curves_until(run_dir, start)
    size = train_size(mat.image(0).shape[:2], arch, opts.max_side)
    steps = opts.steps or (STEPS_WITH_BUDGET if opts.minutes else 1000)
    cfg = TrainConfig(arch=arch, data=str(run_dir), out=str(train_dir), steps=steps, batch=opts.batch,
                      preset=opts.preset, size=size, device=device, seed=opts.seed, ema_decay=0.99,
                      sample_every=50, log_every=5, save_every=200)  # fmt: skip
    label_set = "scm8" if arch == "scmnet" else "spt10"
    val_set = MaterialPairs(run_dir, size, "pairs", label_set, holdout=True, with_prior=arch.startswith("refine"))
    budget = None if opts.minutes is None else float(opts.minutes) * 60.0
    hooks = PersonalHooks(run_dir, progress, val_set, budget, opts.val_every, steps)
    hooks.signalled = signalled
    progress.set("train", force=True, step=start or 0, steps=steps if steps < STEPS_WITH_BUDGET else None, eta_s=budget,
                 message=f"training {arch} at {size[0]}x{size[1]} on {device}")  # fmt: skip
    summary = train(cfg, resume=start is not None, progress=False, log=log, hooks=hooks)
    if hooks.cancelled:
        progress.set("cancelled", force=True, step=summary["steps"], eta_s=None,
                     message=f"cancelled at step {summary['steps']}; --resume continues from there")  # fmt: skip
        return EXIT_CANCELLED
    # the steps made are the run's steps now (a time budget ends it before STEPS_WITH_BUDGET)
    progress.set("score", force=True, step=summary["steps"], steps=summary["steps"], eta_s=None,
                 message="held-out check")
    try:
        record = _score_and_install(opts, run_dir, mat, device, progress, stop_now)
    except InterruptedError:  # the model is saved; --resume scores it (and trains on if steps remain)
        progress.set("cancelled", force=True, message="cancelled during the held-out check; --resume runs it again")
        return EXIT_CANCELLED
    verdict = "beats" if record["wins"] else "does not beat"
    p, e = record["personal"], record["engine"]
    msg = (f"the personal model {verdict} the engine on {record['frames']} held-out frame(s): SSIM {p['ssim']:.4f} "
           f"vs {e['ssim']:.4f}, PSNR {p['psnr']:.2f} vs {e['psnr']:.2f}")  # fmt: skip
    if record.get("installed"):
        msg += f"; installed as {record['installed']}"
    log(msg)
    progress.set("done", force=True, step=summary["steps"], eta_s=0.0, message=msg)
    return 0


def _score_and_install(opts: Options, run_dir: Path, mat, device: str, progress: Progress, stop) -> dict:
    from posestudio.engine.cards import ModelCard
    from posestudio.training.personal import score as score_mod

    card = ModelCard.load(run_dir / TRAIN / "model.card.json")
    card.name = f"{card.name}-run"  # the runner caches backends by name: never the installed model's

    def say(msg, done, total):
        if stop():
            raise InterruptedError("cancelled during the held-out check")
        progress.set("score", message=msg)

    record = score_mod.score(mat, card, device, say)
    record["installed"] = install(opts, run_dir, mat, record) if opts.install else None
    score_mod.write(run_dir, record)
    return record


def model_name(run_dir: Path, name: str | None) -> str:
    from posestudio.engine.store import check_name
    from posestudio.training.checkpoints import model_name as run_name

    return check_name(name or f"personal-{run_name(run_dir)}")


def install(opts: Options, run_dir: Path, mat, record: dict) -> str:
    """Put the run's model into the model store with its held-out record; returns its name.
    An installed model of another run (or no personal model at all) is never replaced."""
    from posestudio.engine import store

    name = model_name(run_dir, opts.name)
    here = str(run_dir.resolve())
    try:
        old = store.find(name)
    except InputError:
        old = None
    if old is not None and (old.metrics.get("personal") or {}).get("run") != here:
        raise InputError(f"a model named {name!r} is installed already (not this run's); choose --name")
    personal = {"character": mat.source, "material": str((run_dir / material_mod.MATERIAL).resolve()), "run": here,
                "frames": len(mat.frames), "heldout": len(mat.holdout_frames),
                "score": {k: v for k, v in record.items() if k != "installed"}}  # fmt: skip
    store.import_run(run_dir / TRAIN, name=name, force=old is not None, metrics={"personal": personal},
                     training_data=f"personal material: {mat.source} ({len(mat.frames)} frames)",
                     description=f"personal model of the character in {mat.source}: auto uses it only for documents "
                     "that name it, and only when it beats the engine on its held-out frames")  # fmt: skip
    return name
