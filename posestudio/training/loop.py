"""The training loop behind ``posestudio train``.

One loop for every recipe (:mod:`posestudio.training.recipes`): it seeds, builds the
recipe, restores ``state.pt`` with ``--resume``, reads the data in a deterministic order
(:mod:`posestudio.training.data`), runs the recipe's phase for each step, updates the
EMA generators, writes ``stats.jsonl`` (one JSON line per logged step: step, phase, lr,
sec/step and the loss terms averaged over the ranks), sample grids, the resumable state
and the inference weights + model card. Under ``torchrun`` every rank runs it; rank 0
writes the files.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

from posestudio.errors import InputError
from posestudio.training import checkpoints, data, ddp, samples
from posestudio.training.config import RESUME_MUTABLE, TrainConfig
from posestudio.training.recipes import Amp, make_recipe


def _seed_all(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
    random.seed(seed)


def resolve_config(cfg: TrainConfig, resume: bool) -> TrainConfig:
    """With ``resume``, the saved config with only the mutable options taken from ``cfg``."""
    run_dir = Path(cfg.out)
    if not resume:
        return cfg
    saved_path = run_dir / "config.json"
    if not saved_path.is_file():
        raise InputError("--resume: no config.json in the run folder", run_dir)
    saved = TrainConfig.load(saved_path)
    if saved.arch != cfg.arch:
        raise InputError(f"--resume: the run trains {saved.arch!r}, not {cfg.arch!r}", saved_path)
    for k in RESUME_MUTABLE:
        setattr(saved, k, getattr(cfg, k))
    saved.out = cfg.out
    return saved


class Hooks:
    """What a caller (``posestudio personal``) may add to a run: ``stop()`` is asked after
    every step (true: save the state and the weights now and return, ``stopped`` in the
    summary); ``logged(step, logs, recipe)`` is called after every logged step (rank 0)."""

    def stop(self) -> bool:
        return False

    def logged(self, step: int, logs: dict, recipe) -> None:
        pass


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True, log=None, hooks: Hooks | None = None) -> dict:
    """Run (or continue) training; returns a summary dict (steps, sec/step, files, stopped)."""
    log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
    cfg = resolve_config(cfg, resume)
    run_dir = Path(cfg.out)
    info, device = ddp.setup(cfg.device)
    try:
        return _train(cfg, resume, progress, log, run_dir, info, device, hooks or Hooks())
    finally:
        ddp.teardown()


def _train(cfg, resume, progress, log, run_dir: Path, info: ddp.DistInfo, device, hooks: Hooks) -> dict:
    from tqdm import tqdm

    say = log if info.main else (lambda msg: None)
    _seed_all(cfg.seed)  # same initial weights on every rank (rank 0's are broadcast anyway)
    amp = Amp(cfg.amp, device, info)
    recipe = make_recipe(cfg, device, info, amp)
    _seed_all(cfg.seed + 1000 * info.rank + 1)  # per-rank dropout / noise
    start = 0
    if resume:
        start = checkpoints.load_state(run_dir, recipe, info.rank)
        say(f"resuming {run_dir} at step {start}")
    elif info.main:
        run_dir.mkdir(parents=True, exist_ok=True)
        for stale in ("stats.jsonl",):
            (run_dir / stale).unlink(missing_ok=True)
    if info.main:
        run_dir.mkdir(parents=True, exist_ok=True)
        cfg.save(run_dir / "config.json")
    for note in recipe.notes:
        say(note)
    if cfg.amp and not amp.enabled and device.type != "cuda":
        say("--amp: mixed precision needs CUDA; training in fp32 on the CPU")
    sched = recipe.phases()
    size = recipe.size(next(iter(recipe.generators)))
    say(
        f"{cfg.arch}: {sum(n.num_parameters() for n in recipe.generators.values()):,} generator parameters, "
        f"{size[0]}x{size[1]}, batch {cfg.batch} x {info.world} process(es), device {device}; phases "
        + ", ".join(f"{p} {n}" for p, n in sched)
    )
    ds = data.make_dataset(cfg.data, recipe.data_kind, size, cfg.seed, recipe.label_set, cfg.synth_length)
    ds = recipe.wrap_dataset(ds)
    batches = iter(data.loader(ds, cfg.batch, cfg.seed, info, start, cfg.workers))
    sample_batch = None
    if info.main and cfg.sample_every:
        sample_batch = data.to_device(data._collate([ds[i] for i in range(min(4, len(ds)))]), device)
    stats = open(run_dir / "stats.jsonl", "a", encoding="utf-8") if info.main else None
    bar = tqdm(
        total=cfg.steps, initial=start, disable=not (progress and info.main), unit="step", file=sys.stderr
    )
    times = []
    step = start
    stopped = False
    try:
        for step in range(start, cfg.steps):
            batch = data.to_device(next(batches), device)
            phase = recipe.phase_at(step)
            t0 = time.perf_counter()
            logs = recipe.step(phase, batch)
            amp.update()
            recipe.update_ema()
            if device.type == "cuda":
                torch.cuda.synchronize()
            dt = time.perf_counter() - t0
            times.append(dt)
            done = step + 1
            if done % cfg.log_every == 0 or done == cfg.steps:
                logs = ddp.all_mean(info, logs, device if device.type == "cuda" else None)
                if stats is not None:
                    rec = {"step": done, "phase": phase, "lr": cfg.lr, "sec_per_step": round(dt, 4), **logs}
                    stats.write(json.dumps(rec) + "\n")
                    stats.flush()
                    hooks.logged(done, logs, recipe)
                bar.set_postfix({k: f"{v:.3g}" for k, v in list(logs.items())[:3]}, refresh=False)
            bar.update(1)
            if sample_batch is not None and done % cfg.sample_every == 0:
                samples.write_grid(run_dir, done, recipe.sample(sample_batch))
            if cfg.save_every and done % cfg.save_every == 0 and done != cfg.steps:
                checkpoints.save_state(run_dir, recipe, done, info.rank)
                if info.main:
                    checkpoints.export(run_dir, recipe, done, _data_label(cfg))
            if done < cfg.steps and hooks.stop():
                stopped = True
                break
        step = done if stopped else cfg.steps
    finally:
        bar.close()
        if stats is not None:
            stats.close()
    checkpoints.save_state(run_dir, recipe, step, info.rank)
    files = []
    if info.main:
        files = checkpoints.export(run_dir, recipe, step, _data_label(cfg))
        say(f"wrote {', '.join(str(p) for p in files)}")
    checksum = ddp.parameter_checksum(*recipe.modules.values())
    if info.enabled:  # for checking that the ranks agree
        (run_dir / f"checksum_rank{info.rank}.txt").write_text(checksum + "\n")
    return {
        "steps": step,
        "start": start,
        "sec_per_step": float(np.mean(times[1:] if len(times) > 1 else times)) if times else None,
        "files": [str(p) for p in files],
        "checksum": checksum,
        "rank": info.rank,
        "world": info.world,
        "stopped": stopped,
    }


def _data_label(cfg: TrainConfig) -> str:
    return f"procedural synthetic people/faces (seed {cfg.seed})" if cfg.data == "synth" else str(cfg.data)
