"""`posestudio train RECIPE --data synth|PATH --out RUN_DIR ...`: train one of the papers'
generators with its recipe (see docs/TRAINING.md). Works unchanged under
``torchrun --nproc_per_node N -m posestudio train ...``."""

from __future__ import annotations

import argparse
import json

from posestudio.training.config import TrainConfig
from posestudio.training.recipes.registry import names

RECIPE_NAMES = names()  # one table of recipe names: training.recipes.registry.RECIPES
D = TrainConfig.default  # every default below is the training config's, never a copy


def add_parser(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a generator with its paper's recipe (synthetic data or a data folder)",
        description="Train a generator. Writes RUN_DIR/config.json, stats.jsonl, samples/step_*.png, "
        "state.pt (resumable), weights.safetensors (EMA) and model.card.json.",
    )
    p.add_argument("arch", choices=RECIPE_NAMES, help="recipe (spt trains H_S and H_A)")
    p.add_argument("--data", default=D("data"), help="'synth' or a folder (pose-transfer layout, face edge set, "
                   "or one character's images)")  # fmt: skip
    p.add_argument("--out", required=True, metavar="RUN_DIR", help="run folder")
    p.add_argument("--steps", type=int, help="default: 1000, or the paper's with --preset paper")
    p.add_argument("--batch", type=int, help="batch per process (default: 4, or the paper's)")
    p.add_argument("--preset", default=D("preset"), help="generator preset: full, small, tiny; or paper "
                   "(the paper's size, batch, steps and optimiser with the full generator; docs/TRAINING.md)")  # fmt: skip
    p.add_argument("--size", metavar="HxW", help="image size (default: the preset's), e.g. 64x48")
    p.add_argument("--lr", type=float, help="learning rate (default: the recipe's, see docs/TRAINING.md)")
    p.add_argument("--lr-d", type=float, help="discriminator learning rate (default: --lr)")
    p.add_argument("--resume", action="store_true", help="continue RUN_DIR from its state.pt")
    p.add_argument("--force", action="store_true", help="start over in a RUN_DIR that holds an earlier run")
    p.add_argument("--vgg-weights", metavar="PATH", help="torchvision VGG-19 weights (.pth/.safetensors) for "
                   "the perceptual/style losses; without it those losses are left out")  # fmt: skip
    p.add_argument("--sample-every", type=int, default=D("sample_every"), help="sample grid every N steps (0: never)")
    p.add_argument("--log-every", type=int, default=D("log_every"), help="stats.jsonl line every N steps")
    p.add_argument("--save-every", type=int, default=D("save_every"), help="state.pt + weights every N steps (0: at end)")
    p.add_argument("--device", choices=["cpu", "cuda"], default=D("device"))
    p.add_argument("--amp", action="store_true", help="mixed precision (CUDA only)")
    p.add_argument("--seed", type=int, default=D("seed"))
    p.add_argument("--ema-decay", type=float, default=D("ema_decay"))
    p.add_argument("--gan-mode", choices=["lsgan", "hinge", "vanilla"], default=D("gan_mode"))
    p.add_argument("--loss-weights", choices=["deepfashion", "market"], default=D("loss_weights"),
                   help="PoNA's per-dataset lambdas")  # fmt: skip
    p.add_argument(
        "--phases", metavar="P=N,...", help="phase lengths, e.g. flow=200 (the last phase gets the rest)"
    )
    p.add_argument("--progressive", action=argparse.BooleanOptionalAction, default=D("progressive"),
                   help="spt: train at half size first, then H_A at the full size (SPT Sec. 4.1; "
                   "default: on with --preset paper)")  # fmt: skip
    p.add_argument("--ndf", type=int, default=D("ndf"), help="discriminator width")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="generator config override (JSON value), e.g. --set ngf=16")  # fmt: skip
    p.add_argument("--synth-length", type=int, default=D("synth_length"),
                   help="number of distinct synthetic pairs/faces for --data synth (small = overfit a few)")  # fmt: skip
    p.add_argument("--workers", type=int, default=D("workers"), help="data loader worker processes")
    p.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    p.set_defaults(func=run)


def parse_overrides(items: list[str]) -> dict:
    from posestudio.errors import InputError

    out = {}
    for item in items:
        key, sep, val = item.partition("=")
        if not sep or not key:
            raise InputError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(val)
        except json.JSONDecodeError:
            out[key] = val
    return out


def run(args) -> int:
    from posestudio.engine.runner import torch_available
    from posestudio.errors import InputError

    if not torch_available():  # the bundle infers through ONNX Runtime and leaves torch out
        raise InputError("training needs torch, which this build leaves out: use the source install "
                         "(`make run`, see docs/INSTALL.md)")
    from posestudio.training.config import parse_phases, parse_size
    from posestudio.training.loop import train

    cfg = TrainConfig(
        arch=args.arch, data=args.data, out=args.out, steps=args.steps, batch=args.batch, preset=args.preset,
        size=parse_size(args.size), lr=args.lr, lr_d=args.lr_d, vgg_weights=args.vgg_weights,
        sample_every=args.sample_every, log_every=args.log_every, save_every=args.save_every,
        device=args.device, amp=args.amp, seed=args.seed, ema_decay=args.ema_decay, gan_mode=args.gan_mode,
        loss_weights=args.loss_weights, phases=parse_phases(args.phases), ndf=args.ndf,
        workers=args.workers, synth_length=args.synth_length, overrides=parse_overrides(args.set),
        progressive=args.progressive,
    )  # fmt: skip
    if cfg.vgg_weights:
        from pathlib import Path

        from posestudio.errors import InputError

        if not Path(cfg.vgg_weights).is_file():
            raise InputError("no such VGG weights file", cfg.vgg_weights)
    check_run_dir(args.out, args.resume, args.force)
    summary = train(cfg, resume=args.resume, progress=not args.no_progress)
    if summary["rank"] == 0:
        print(json.dumps({k: summary[k] for k in ("steps", "start", "sec_per_step", "files")}))
    return 0


RUN_FILES = ("state.pt", "weights.safetensors", "model.card.json")


def check_run_dir(out, resume: bool, force: bool) -> None:
    """A new run never silently replaces an earlier run's weights: ``--resume`` continues it,
    ``--force`` starts over; a file (not a folder) is refused."""
    from pathlib import Path

    from posestudio.commands import outputs
    from posestudio.errors import InputError

    out = Path(out)
    outputs.check_output(out, "train", folder=True, force=force)
    if out.exists() and not out.is_dir():
        raise InputError("--out is a file, not a run folder", out)
    if resume:
        return  # the trainer says when there is no state.pt to continue from
    held = [f for f in RUN_FILES if (out / f).is_file()]
    if held and not force:
        raise InputError(f"--out holds an earlier run ({', '.join(held)}); pass --resume to continue it "
                         "or --force to start over", out)
