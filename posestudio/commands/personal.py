"""`posestudio personal SOURCE --out RUN`: train a personal model on one character's own
pictures or video, check it on held-out frames against the weight-free engine and install
it (docs/PERSONAL.md). Exit 0 done, 2 bad input, 3 cancelled (resume with --resume),
1 when the disk fills up while training (the run folder stays resumable)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser(
        "personal",
        help="train a personal model on one character's pictures or video (self-supervised) and install it "
        "when it beats the engine",
        description="Learn one character from a folder of images or a video: detect pose and matte per frame "
        "(RUN/material.json), train (RUN/train, curves in RUN/curves.jsonl, progress in RUN/progress.json), "
        "score on held-out frames against the weight-free engine (RUN/score.json) and install the model. "
        "Create RUN/STOP (or send SIGTERM) to cancel; --resume continues.",
    )
    p.add_argument("source", nargs="?", help="folder of images or a video file (optional when RUN/material.json "
                   "exists: it is reused as it is, e.g. with poses corrected in the window)")  # fmt: skip
    p.add_argument("--out", required=True, metavar="RUN", help="run folder")
    p.add_argument("--model", choices=["refine", "scmnet"], default="refine",
                   help="refine: the prior refiner on the engine's warp (light, default); scmnet: SCM-Net, "
                   "self-supervised")  # fmt: skip
    p.add_argument("--minutes", type=float, help="time budget for training (stops cleanly when spent)")
    p.add_argument("--steps", type=int, help="training steps (default 1000, or until --minutes is spent)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    p.add_argument("--holdout", type=int, help="frames held out for the check (default 10 %%, at least 1)")
    p.add_argument("--resume", action="store_true", help="continue a cancelled or interrupted run")
    p.add_argument("--force", action="store_true", help="train again over a run folder that holds a trained model")
    p.add_argument("--prepare-only", action="store_true", help="stop after writing RUN/material.json")
    p.add_argument("--no-install", action="store_true", help="do not install the model into the model store")
    p.add_argument("--name", help="installed model name (default personal-<RUN folder name>)")
    p.add_argument("--batch", type=int, default=4, help="batch size")
    p.add_argument("--max-frames", type=int, help="pictures sampled from the source (default 200)")
    p.add_argument("--preset", choices=["tiny", "small", "full"], default="small",
                   help="generator size (tiny: a quick CPU run; full: a GPU)")  # fmt: skip
    p.add_argument("--max-side", type=int, default=256, help="training size: the frames' aspect, at most this "
                   "many pixels on the long side")  # fmt: skip
    p.set_defaults(func=run)


def run(args) -> int:
    import sys

    from posestudio.engine.runner import torch_available
    from posestudio.errors import InputError

    if not torch_available():
        raise InputError("training needs torch, which this build leaves out: use the source install "
                         "(`make run`, see docs/INSTALL.md)")
    for flag, value in (("--minutes", args.minutes), ("--steps", args.steps), ("--batch", args.batch),
                        ("--max-frames", args.max_frames), ("--max-side", args.max_side)):  # fmt: skip
        if value is not None and not value > 0:
            raise InputError(f"{flag} must be positive, got {value}")
    if args.holdout is not None and args.holdout < 1:
        raise InputError(f"--holdout must be at least 1, got {args.holdout}")
    if not args.resume and not args.prepare_only:  # never retrain silently over a trained model
        from pathlib import Path

        from posestudio.commands.train import check_run_dir

        check_run_dir(Path(args.out) / "train", False, args.force)
    from posestudio.training.personal.run import Options, run_personal

    opts = Options(source=args.source, out=args.out, model=args.model, minutes=args.minutes, steps=args.steps,
                   device=args.device, holdout=args.holdout, resume=args.resume, prepare_only=args.prepare_only,
                   install=not args.no_install, name=args.name, batch=args.batch, max_frames=args.max_frames,
                   preset=args.preset, max_side=args.max_side)  # fmt: skip
    try:
        return run_personal(opts, log=lambda msg: print(msg, file=sys.stderr, flush=True))
    except OSError as exc:
        if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
            raise
        print(f"posestudio: error: {args.out}: {exc.strerror or exc} while training; the run folder keeps its "
              "last saved state: free space and run again with --resume", file=sys.stderr)
        return 1
